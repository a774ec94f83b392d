"""Untrusted Python policies (games.md 3.5): each gets a PolicyView, a read-only snapshot of its
own observation and no reference to the world. The five attacks of the reward-hacking demo
(teleport, disable rivals, purge waste, spawn apples, all combined), written against the view,
fail: every attempt raises, and the episode ends in exactly the state (hash and returns) of an
honest policy that takes the same actions."""
import gc

import numpy as np
import pytest

import commons

WASTE, APPLE = 3, 2  # ids of the `ids` encoding


def teleport(view):
    view.agent_pos[view.index] = (3, 4)  # the live env's position array: not there


def teleport_by_field(view):
    view._replace(tick=0)  # a new tuple; the world is untouched either way
    object.__setattr__(view, "index", 9)


def disable_rivals(view):
    for j in range(5):
        if j != view.index:
            view.agent_timeout[j] = 99999


def purge_waste(view):
    view.observation[view.observation == WASTE] = 0


def unlock_and_purge(view):
    view.observation.flags.writeable = True
    view.observation[:] = 0


def spawn_apples(view):
    np.copyto(view.observation, APPLE)


def spawn_apples_through_base(view):
    base = view.observation.base
    base[0] = APPLE  # bytes: immutable


ATTACKS = {
    "teleport": [teleport, teleport_by_field],
    "disable_rivals": [disable_rivals],
    "purge_waste": [purge_waste, unlock_and_purge],
    "spawn_apples": [spawn_apples, spawn_apples_through_base],
}
ATTACKS["combined"] = [f for fs in ATTACKS.values() for f in fs]


def play(attacks, steps=300):
    """Agent 0 tries `attacks` every step, then acts like the honest twin (a fixed random
    stream); agents 1..4 act from their own streams. Returns (hash, returns, caught)."""
    env = commons.parallel_env("cleanup", seed=42, encoding="ids", max_steps=steps)
    env.reset()
    caught = []
    rngs = {a: np.random.default_rng(i) for i, a in enumerate(env.possible_agents)}

    def attacker(view):
        for attack in attacks:
            try:
                attack(view)
            except (AttributeError, TypeError, ValueError) as e:
                caught.append((attack.__name__, type(e).__name__))
            else:
                caught.append((attack.__name__, None))
        return int(rngs[view.agent].integers(0, view.n_actions))

    def honest(view):
        return int(rngs[view.agent].integers(0, view.n_actions))

    pols = {a: honest for a in env.possible_agents}
    pols["agent_0"] = attacker
    while env.agents:
        env.step_untrusted(pols)
    r = env.result()
    return r["hash"], list(r["returns"]), caught


HONEST = None


def honest_run():
    global HONEST
    if HONEST is None:
        HONEST = play([])
    return HONEST


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_fails(name):
    h, returns, caught = play(ATTACKS[name])
    h0, returns0, _ = honest_run()
    assert caught, "the attacks ran"
    assert all(exc is not None for _, exc in caught), "an attempt did not raise: %s" % caught
    assert {n for n, _ in caught} == {f.__name__ for f in ATTACKS[name]}
    assert h == h0 and returns == returns0, "the attack changed the world"


def test_view_is_read_only_and_leads_nowhere():
    env = commons.parallel_env("cleanup", seed=1)
    env.reset()
    view = env.policy_view("agent_1")
    assert view.index == 1 and view.tick == 0 and view.n_actions == 9
    assert not view.observation.flags.writeable
    with pytest.raises(ValueError):
        view.observation.flags.writeable = True
    with pytest.raises(AttributeError):
        view.tick = 5
    # nothing reachable from the view is the env, its buffers or a C handle
    seen, todo = set(), [view]
    forbidden = (id(env), id(env._obs), id(env._h))
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        assert id(obj) not in forbidden
        assert "cffi" not in type(obj).__module__ if hasattr(type(obj), "__module__") else True
        if isinstance(obj, (type, type(gc))):
            continue  # classes and modules are shared by everything
        todo.extend(gc.get_referents(obj))
    # the snapshot is its own memory: the world's buffer moves on, the view does not
    keep = view.observation.copy()
    env.step({a: 0 for a in env.agents})
    assert np.array_equal(keep, view.observation)
