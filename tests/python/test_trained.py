"""Trained checkpoints from Python: as actors of a ParallelEnv they end in the hash `commons run
--policy CKPT` prints; TrainedPolicy acts on observations given to it, checks their shape and
refuses ids the network does not know (they index its embedding)."""
import numpy as np
import pytest

import commons
from conftest import ROOT, final_hash


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, run_cli):
    out = tmp_path_factory.mktemp("train") / "run"
    run_cli("train", ROOT / "experiments" / "ppo" / "demo.ini", "--set", "train.steps=4096",
            "--out", out)
    return out


def test_checkpoint_actors_end_in_the_cli_hash(run_cli, run_dir):
    world = run_dir / "world.ini"
    spec = "%s/,greedy,%s/checkpoint.ckpt,coop,random" % (run_dir, run_dir)
    cli = run_cli("run", "--config", world, "--policy", spec, "--seed", 3, "--steps", 300)
    env = commons.parallel_env("harvest", seed=3, config=world, max_steps=300)
    env.reset()
    pol = commons.Policy(spec)
    while env.agents:
        env.step(pol(env))
    assert env.state_hash() == final_hash(cli.stdout)


def test_checkpoint_in_a_world_it_cannot_read(run_dir):
    env = commons.parallel_env("harvest", seed=1)  # rgb: the checkpoint reads ids
    with pytest.raises(ValueError, match="ids observations"):
        env.set_policies(str(run_dir) + "/")


def test_trained_policy_on_vec_observations(run_dir):
    pol = commons.TrainedPolicy(run_dir)
    assert pol.obs_shape == (15, 15, 1) and pol.n_actions == 8 and pol.groups == 1
    v = commons.VecEnv("harvest", 4, 1, config=run_dir / "world.ini")
    a = pol.act(v.obs)
    assert a.shape == (4, 5) and a.dtype == np.int32 and a.min() >= 0 and a.max() < 8
    g1, g2 = pol.act(v.obs, greedy=True), pol.act(v.obs, greedy=True)
    assert np.array_equal(g1, g2)
    same = commons.TrainedPolicy(run_dir)
    assert np.array_equal(same.act(v.obs), a), "the same (seed, call) gives the same actions"
    for _ in range(50):
        v.step(pol.act(v.obs))
    with pytest.raises(ValueError, match=r"uint8 \(\.\.\., 15, 15, 1\)"):
        pol.act(np.zeros((4, 15, 15, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        pol.act(np.zeros((4, 15, 15, 1), dtype=np.float32))
    bad = np.zeros((2, 15, 15, 1), dtype=np.uint8)
    bad[1, 3, 4, 0] = 200
    with pytest.raises(ValueError, match="observation 1 holds id 200 at byte 49; this policy "
                                         "reads ids 0..16"):
        pol.act(bad)
