"""Bad input raises ValueError (OSError for files) carrying the library's message, and never
crashes the interpreter: wrong dtypes and shapes, out-of-range actions and bits, unknown keys,
bad values, closed environments, bad files."""
import numpy as np
import pytest

import commons


def test_unknown_preset_and_keys():
    with pytest.raises(ValueError, match="nope"):
        commons.VecEnv("nope", 2, 1)
    with pytest.raises(ValueError, match="unknown key 'agnets'"):
        commons.VecEnv("harvest", 2, 1, agnets=3)
    with pytest.raises(ValueError, match=r"env.agents = 300 is out of range; allowed 1..32"):
        commons.parallel_env("harvest", agents=300)
    with pytest.raises(ValueError, match="ambiguous"):
        commons.VecEnv("harvest", 2, 1, length=3)
    with pytest.raises(ValueError, match="regrowth.shape"):
        commons.VecEnv("harvest", 2, 1, regrowth__shape="hexagon")
    v = commons.VecEnv("harvest", 2, 1, beam_length=3, set={"env.max_steps": 40})
    assert "length = 3" in v.config_ini and "max_steps = 40" in v.config_ini
    with pytest.raises(ValueError, match="num_worlds"):
        commons.VecEnv("harvest", 0, 1)
    with pytest.raises(ValueError, match="seed"):
        commons.VecEnv("harvest", 2, -1)
    with pytest.raises(ValueError, match="NUL"):
        commons.VecEnv("harv\0est", 2, 1)


def test_config_files(tmp_path):
    with pytest.raises((ValueError, OSError), match="missing.ini"):
        commons.VecEnv("harvest", 2, 1, config=tmp_path / "missing.ini")
    bad = tmp_path / "bad.ini"
    bad.write_text("[env]\nagents = 0\n")
    with pytest.raises(ValueError, match="bad.ini:2"):
        commons.VecEnv("harvest", 2, 1, config=bad)


def test_vec_step_bad_actions():
    v = commons.VecEnv("harvest", 2, 1)
    good = np.zeros((2, 5), dtype=np.int32)
    with pytest.raises(ValueError, match=r"shape \(2, 5\)"):
        v.step(np.zeros((5, 2), dtype=np.int32))
    with pytest.raises(ValueError, match="integers"):
        v.step(np.zeros((2, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"action 8 of world 1, agent 3 is out of range; "
                                         r"allowed 0..7"):
        bad = good.copy()
        bad[1, 3] = 8
        v.step(bad)
    with pytest.raises(ValueError, match="action -1"):
        v.step(np.full((2, 5), -1, dtype=np.int64))
    with pytest.raises(ValueError, match="action 4294967296"):
        v.step(np.full((2, 5), 2**32, dtype=np.int64))
    with pytest.raises(ValueError, match="no signal bits"):
        v.step(good, np.zeros((2, 5, 1), dtype=np.uint8))
    # a refused step changed nothing
    before = v.state_hash(0)
    assert v.step(good.astype(np.int16))[4] == {}
    assert v.state_hash(0) != before
    v.step([[0] * 5, [1] * 5])  # lists are fine
    v.step(np.asfortranarray(np.zeros((2, 5), dtype=np.int64)))


def test_vec_bad_bits():
    v = commons.VecEnv("ocean-small", 1, 1)
    acts = np.zeros((1, 2), dtype=np.int32)
    with pytest.raises(ValueError, match="signal bit 1 is 2; allowed 0 or 1"):
        v.step(acts, np.array([[[0], [2]]], dtype=np.uint8))
    with pytest.raises(ValueError, match="0 or 1"):
        v.step(acts, np.array([[[0], [-1]]]))
    with pytest.raises(ValueError, match="shape"):
        v.step(acts, np.zeros((1, 2, 2), dtype=np.uint8))
    v.step(acts, np.ones((1, 2, 1), dtype=np.bool_))


def test_closed_environments():
    v = commons.VecEnv("harvest", 2, 1)
    v.close()
    v.close()
    with pytest.raises(ValueError, match="closed"):
        v.step(np.zeros((2, 5), dtype=np.int32))
    with pytest.raises(ValueError, match="closed"):
        v.reset()
    e = commons.parallel_env("harvest")
    e.reset()
    e.close()
    for call in (lambda: e.reset(), lambda: e.render(), lambda: e.state_hash(),
                 lambda: e.policy_actions("coop"), lambda: e.state()):
        with pytest.raises(ValueError, match="closed"):
            call()
    with pytest.raises(ValueError, match="closed"):
        e.step({})


def test_parallel_step_bad_actions():
    e = commons.parallel_env("harvest", seed=1)
    with pytest.raises(ValueError, match="reset first"):
        e.step({a: 0 for a in e.possible_agents})
    e.reset()
    acts = {a: 0 for a in e.agents}
    with pytest.raises(ValueError, match="no action for"):
        e.step({"agent_0": 0})
    with pytest.raises(ValueError, match="not acting"):
        e.step(dict(acts, agent_9=0))
    with pytest.raises(ValueError, match="out of range; allowed 0..7"):
        e.step(dict(acts, agent_2=99))
    with pytest.raises(ValueError, match="an integer"):
        e.step(dict(acts, agent_2=1.5))
    with pytest.raises(ValueError, match="an integer"):
        e.step(dict(acts, agent_2="fire"))
    with pytest.raises(ValueError, match="out of range"):
        e.step(dict(acts, agent_2=2**40))
    with pytest.raises(ValueError, match="dict"):
        e.step([0] * 5)
    assert e.tick == 0, "refused steps took no step"
    with pytest.raises(ValueError, match="cell size 2 is out of range"):
        commons.parallel_env("harvest", cell=2)


def test_policies_bad_names_and_timing(tmp_path):
    e = commons.parallel_env("harvest", seed=1)
    e.reset()
    with pytest.raises(ValueError, match="random, greedy"):
        e.set_policies("sneaky")
    with pytest.raises(ValueError):
        e.set_policies("coop,coop")
    with pytest.raises((ValueError, OSError), match="nothing.ckpt"):
        e.set_policies(str(tmp_path / "nothing.ckpt"))
    e.step(commons.Policy("coop")(e))
    with pytest.raises(ValueError, match="tick 0"):
        e.set_policies("greedy")
    with pytest.raises((ValueError, OSError)):
        commons.TrainedPolicy(tmp_path / "none.ckpt")
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint at all" * 10)
    with pytest.raises(ValueError, match="junk.ckpt"):
        commons.TrainedPolicy(junk)


def test_replay_errors(tmp_path):
    e = commons.parallel_env("harvest")
    with pytest.raises(ValueError, match="not recording"):
        e.save_replay(tmp_path / "a.replay")
    e.record()
    with pytest.raises(ValueError, match="nothing recorded"):
        e.save_replay(tmp_path / "a.replay")
    e.reset()
    e.step({a: 0 for a in e.agents})
    with pytest.raises(ValueError, match="one seed"):
        e.reset(seed=99)
    with pytest.raises(OSError, match="no/such/dir"):
        e.save_replay(tmp_path / "no" / "such" / "dir" / "a.replay")
    not_replay = tmp_path / "n.replay"
    not_replay.write_text("hello")
    with pytest.raises(ValueError, match="n.replay"):
        commons.replay(not_replay)
