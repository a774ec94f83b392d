"""Hashes equal to the command line's: scripted policies stepped from Python end in the hash
`commons run` prints; Python's own actions, recorded, replay in `commons replay --check` to the
same hash; commons.replay checks files written by the CLI and by Python."""
import numpy as np
import pytest

import commons
from conftest import final_hash


@pytest.mark.parametrize("preset,policy,seed", [("harvest", "coop", 1), ("cleanup", "coop", 3),
                                                ("gathering", "greedy", 2),
                                                ("ocean-small", "coop", 5),
                                                ("harvest", "random,greedy,coop,coop,random", 7)])
def test_scripted_policies_from_python_end_in_the_cli_hash(run_cli, preset, policy, seed):
    cli = run_cli("run", "--env", preset, "--policy", policy, "--seed", seed, "--episodes", 2)
    env = commons.parallel_env(preset, seed=seed)
    pol = commons.Policy(policy)
    for episode in range(2):
        env.reset()
        while env.agents:
            env.step(pol(env))
    assert env.state_hash() == final_hash(cli.stdout)
    assert env.result()["hash"] == final_hash(cli.stdout)


def test_python_actions_replay_in_the_cli(run_cli, tmp_path):
    env = commons.parallel_env("cleanup", seed=11, max_steps=300)
    env.record("python")
    rng = np.random.default_rng(3)
    hashes = []
    for _ in range(2):
        env.reset()
        while env.agents:
            env.step({a: int(rng.integers(0, 9)) for a in env.agents})
        hashes.append(env.state_hash())
    path = tmp_path / "py.replay"
    env.save_replay(path)
    out = run_cli("replay", path, "--check").stdout
    assert final_hash(out) == hashes[-1]
    assert "policies: python python python python python" in out
    results = commons.replay(path)
    assert [r["hash"] for r in results] == hashes
    assert [r["steps"] for r in results] == [300, 300]


def test_replay_of_a_cli_file(run_cli, tmp_path):
    path = tmp_path / "c.replay"
    cli = run_cli("run", "--env", "ocean-small", "--policy", "coop", "--episodes", 2,
                  "--replay-out", path)
    results = commons.replay(str(path))
    assert len(results) == 2 and results[-1]["hash"] == final_hash(cli.stdout)
    assert results[0]["signals"] > 0


def test_a_corrupted_replay_is_refused(tmp_path):
    env = commons.parallel_env("harvest", seed=1, max_steps=20)
    env.record()
    env.reset()
    while env.agents:
        env.step({a: 6 for a in env.agents})
    path = tmp_path / "x.replay"
    env.save_replay(path)
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="x.replay"):
        commons.replay(path)
    with pytest.raises((ValueError, OSError), match="missing.replay"):
        commons.replay(tmp_path / "missing.replay")


def test_vec_world_hash_equals_the_episode_stepper():
    """World k of a VecEnv and a ParallelEnv on world index k end in the same state."""
    rng = np.random.default_rng(5)
    acts = rng.integers(0, 8, (100, 3, 5))
    v = commons.VecEnv("harvest", 3, 2)
    env = commons.parallel_env("harvest", seed=2, world_index=1)
    env.reset()
    for t in range(100):
        v.step(acts[t])
        env.step({a: int(acts[t, 1, i]) for i, a in enumerate(env.possible_agents)})
    assert v.state_hash(1) == env.state_hash()
