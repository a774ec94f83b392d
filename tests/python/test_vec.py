"""VecEnv: shapes and dtypes, zero copy (the C side writes into the arrays Python owns), the same
seed giving the same observations over 1000 steps, auto-reset and the ended episodes' metrics."""
import numpy as np

import commons


def test_shapes_dtypes_and_spaces():
    v = commons.VecEnv("harvest", 4, 1)
    assert v.obs.shape == (4, 5, 15, 15, 3) and v.obs.dtype == np.uint8
    assert v.rewards.shape == (4, 5) and v.rewards.dtype == np.float32
    assert v.terminations.shape == (4,) and v.terminations.dtype == np.bool_
    assert v.truncations.dtype == np.bool_
    assert v.single_action_space.n == 8
    assert v.single_observation_space.shape == (15, 15, 3)
    obs, infos = v.reset()
    assert obs is v.obs and infos == {}
    assert obs.any(), "reset writes the first observations"
    v.close()


def test_zero_copy_data_pointers_stay():
    v = commons.VecEnv("harvest", 16, 3)
    ptrs = [a.__array_interface__["data"][0] for a in (v.obs, v.rewards, v.terminations,
                                                       v.truncations, v.final_obs)]
    rng = np.random.default_rng(0)
    before = v.obs.copy()
    for _ in range(20):
        out = v.step(rng.integers(0, 8, (16, 5), dtype=np.int32))
        now = [a.__array_interface__["data"][0] for a in out[:4]]
        assert now == ptrs[:4]
        assert out[0] is v.obs and out[1] is v.rewards
    assert v.final_obs.__array_interface__["data"][0] == ptrs[4]
    assert not np.array_equal(before, v.obs), "the steps wrote into the same array"


def _run(seed, steps, actions_seed=7):
    v = commons.VecEnv("cleanup", 3, seed, max_steps=300)
    rng = np.random.default_rng(actions_seed)
    h = 0
    obs_hash = []
    for _ in range(steps):
        v.step(rng.integers(0, v.spec["n_actions"], (3, 5)))
        obs_hash.append(hash(v.obs.tobytes()) ^ hash(v.rewards.tobytes()))
    hashes = [v.state_hash(k) for k in range(3)]
    return obs_hash, hashes, h


def test_same_seed_same_observations_over_1000_steps():
    a, ha, _ = _run(5, 1000)
    b, hb, _ = _run(5, 1000)
    assert a == b and ha == hb
    c, hc, _ = _run(6, 1000)
    assert hc != ha and c != a


def test_world_alone_equals_world_in_batch():
    """A world's trajectory depends on (seed, its global index, actions) only."""
    rng = np.random.default_rng(1)
    acts = rng.integers(0, 8, (200, 4, 5), dtype=np.int32)
    batch = commons.VecEnv("harvest", 4, 9)
    alone = commons.VecEnv("harvest", 1, 9, world_base=2)
    for t in range(200):
        batch.step(acts[t])
        alone.step(acts[t, 2:3])
        assert np.array_equal(batch.obs[2], alone.obs[0])
    assert batch.state_hash(2) == alone.state_hash(0)


def test_auto_reset_infos_and_final_obs():
    v = commons.VecEnv("harvest", 2, 1, max_steps=50)
    rng = np.random.default_rng(2)
    ended = None
    for t in range(50):
        last = v.obs.copy()
        _, rew, term, trunc, infos = v.step(rng.integers(0, 8, (2, 5)))
        if t < 49:
            assert infos == {} and not trunc.any()
        else:
            ended = infos
    assert v.truncations.all() and not v.terminations.any()
    eps = ended["episodes"]
    assert [e["world"] for e in eps] == [0, 1]
    for e in eps:
        assert e["steps"] == 50 and e["episode"] == 0
        assert e["returns"].shape == (5,)
        total = e["returns"].sum()
        assert abs(e["efficiency"] - total / 50) < 1e-9
        assert 0 <= e["peace"] <= 5
    assert last.shape == v.final_obs.shape
    # the next step runs episode 1
    _, _, _, trunc, infos = v.step(np.zeros((2, 5), dtype=np.int64))
    assert infos == {} and not trunc.any()


def test_signal_bits_and_messages_in_a_world_that_communicates():
    v = commons.VecEnv("ocean-small", 2, 1)
    s = v.spec
    assert s["n_bits"] == 1 and v.msg.shape == (2, s["n_agents"], s["msg_size"])
    assert v.features.shape == (2, s["n_agents"], 2)
    acts = np.zeros((2, s["n_agents"]), dtype=np.int32)
    bits = np.ones((2, s["n_agents"], 1), dtype=np.uint8)
    v.step(acts, bits)
    v.step(acts, bits)
    assert v.msg[:, :, 0].max() > 0, "the bits sent were heard"
    assert (v.features >= 0).all() and (v.features <= 1).all()
