"""PettingZoo's parallel_api_test, reproduced (pettingzoo is not installed here): agents a subset
of possible agents, no revived agents, spaces cached, the keys of every dict, observations inside
their spaces, num_agents; plus reset and render."""
import numpy as np
import pytest

import commons

PRESETS = ["harvest", "cleanup", "gathering-small", "ocean-small"]


def parallel_api_test(env, num_cycles=1000):
    """The checks of pettingzoo.test.parallel_api_test."""
    env.reset(seed=0)
    assert isinstance(env.possible_agents, list)
    assert isinstance(env.agents, list)
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent), \
            "observation_space should return the exact same space object for an agent"
        assert env.action_space(agent) is env.action_space(agent), \
            "action_space should return the exact same space object for an agent"
    obs, infos = env.reset(seed=0)
    assert isinstance(obs, dict) and isinstance(infos, dict)
    assert set(obs) == set(env.agents) == set(infos)
    for agent, o in obs.items():
        assert env.observation_space(agent).contains(o)
    has_finished = set()
    for _ in range(num_cycles):
        actions = {a: env.action_space(a).sample() for a in env.agents}
        obs, rew, terminated, truncated, info = env.step(actions)
        for agent in env.agents:
            assert agent not in has_finished, "agent cannot be revived once dead"
        live = set(actions)
        assert set(obs) == set(rew) == set(terminated) == set(truncated) == set(info) == live
        for agent, o in obs.items():
            assert env.observation_space(agent).contains(o), "observation outside its space"
        for agent, r in rew.items():
            assert isinstance(r, float)
        assert set(env.agents).issubset(set(env.possible_agents))
        assert env.num_agents == len(env.agents)
        for agent in live:
            if terminated[agent] or truncated[agent]:
                has_finished.add(agent)
                assert agent not in env.agents
        if not env.agents:
            break
    return has_finished


@pytest.mark.parametrize("preset", PRESETS)
def test_parallel_api(preset):
    env = commons.parallel_env(preset, seed=1, max_steps=200)
    finished = parallel_api_test(env)
    assert finished == set(env.possible_agents)
    assert env.agents == []
    with pytest.raises(ValueError, match="reset first"):
        env.step({})
    env.close()


def test_reset_next_episode_and_seeds():
    env = commons.parallel_env("harvest", seed=4, max_steps=10)
    o0, _ = env.reset()
    assert env.episode == 0
    o1, _ = env.reset()
    assert env.episode == 1
    o0b, _ = env.reset(seed=4)
    assert env.episode == 0
    assert all(np.array_equal(o0[a], o0b[a]) for a in o0)
    assert any(not np.array_equal(o0[a], o1[a]) for a in o0)
    o2, _ = env.reset(options={"episode": 1})
    assert all(np.array_equal(o1[a], o2[a]) for a in o1)


def test_observations_are_copies():
    env = commons.parallel_env("harvest", seed=1)
    obs, _ = env.reset()
    keep = {a: o.copy() for a, o in obs.items()}
    env.step({a: 0 for a in env.agents})
    assert all(np.array_equal(keep[a], obs[a]) for a in obs), "stepping changed an old obs"


def test_render_and_state():
    env = commons.parallel_env("cleanup", seed=1)
    env.reset()
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape == (267, 148, 3)  # the size `commons run --record` draws at cell 8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 5
    state = env.state()
    assert state.shape == env.state_space.shape == (25, 18, 3)
    assert commons.parallel_env("harvest", render_mode=None).render() is None


def test_spaces_match_gymnasium_names():
    env = commons.parallel_env("ocean-small")
    a = env.action_space("agent_0")
    assert type(a).__name__ == "MultiDiscrete" and list(a.nvec) == [5, 2]
    o = env.observation_space("agent_0")
    assert type(o).__name__ == "Box" and o.dtype == np.uint8 and o.shape == (9, 9, 3)
    d = commons.parallel_env("harvest").action_space("agent_0")
    assert type(d).__name__ == "Discrete" and d.n == 8 and d.start == 0
    ids = commons.parallel_env("harvest", encoding="ids").observation_space("agent_0")
    assert ids.high.max() == 16 and ids.shape == (15, 15, 1)
