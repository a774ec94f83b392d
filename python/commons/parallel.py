"""ParallelEnv: one world with PettingZoo's parallel API, stepped through the episode stepper as
`commons run` steps it (the same seed, episode and actions end in the state hash it prints).

Agents are "agent_0" .. "agent_{n-1}". reset(seed) starts episode 0 of a run with that seed;
reset() without a seed starts the next episode of the same run (episode e of `commons run
--episodes`); options={"episode": e} picks one. Every episode ends at env.max_steps as a
truncation; then `agents` is empty until the next reset. Observations are copies (each agent's
array is its own); the C side writes into one buffer this object owns.

Policies: set_policies("coop") (or a checkpoint, or a comma list, one per agent) gives the
agents actors, and policy_actions() returns what they choose now, drawing from the streams they
draw in `commons run --policy`. step_untrusted({agent: fn}) calls each fn with a PolicyView: a
read-only snapshot of that agent's observation and nothing that leads to the world (the setting
of games.md 3.5).
"""
import collections

import numpy as np

from . import spaces
from ._lib import check, encode, ffi, lib, new_error
from ._params import handle_spec, make_params, params_ini, result_dict, seed_value

# What an untrusted policy sees: immutable fields, and an observation whose memory is an
# immutable bytes object (numpy refuses to make it writeable), a snapshot the policy owns.
PolicyView = collections.namedtuple(
    "PolicyView", ["agent", "index", "tick", "max_steps", "observation", "reward", "n_actions",
                   "n_bits"])


def _snapshot(a):
    return np.frombuffer(a.tobytes(), dtype=a.dtype).reshape(a.shape)


class ParallelEnv:
    metadata = {"render_modes": ["rgb_array"], "name": "commons_v0", "is_parallelizable": True,
                "render_fps": 10}

    def __init__(self, preset="harvest", seed=1, render_mode="rgb_array", *, config=None,
                 set=None, policies=None, cell=8, hud=True, world_index=0, **keys):
        self._h = None
        if render_mode not in (None, "rgb_array"):
            raise ValueError("render_mode must be 'rgb_array' or None, not %r" % (render_mode,))
        self.render_mode = render_mode
        self._params = make_params(preset, config, keys, set)
        self.config_ini = params_ini(self._params)
        self.preset = preset
        self._seed = seed_value(seed)
        self._episode = -1
        self._cell, self._hud = int(cell), bool(hud)
        self._err = err = new_error()
        h = lib.commons_env_new(self._params, self._seed, int(world_index), err)
        if h == ffi.NULL:
            check(err.code or -2, err)
        self._h = ffi.gc(h, lib.commons_env_free)
        self.spec = s = handle_spec(lib.commons_env_spec, self._h)
        n = s["n_agents"]
        self.possible_agents = ["agent_%d" % i for i in range(n)]
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        self.agents = []
        shape = (s["obs_h"], s["obs_w"], s["obs_c"])
        self._obs = np.zeros((n,) + shape, dtype=np.uint8)
        self._rewards = np.zeros(n, dtype=np.float32)
        self._msg = np.zeros((n, s["msg_size"]), dtype=np.float32)
        self._features = np.zeros((n, s["n_features"]), dtype=np.float32)
        self._act = np.zeros(n, dtype=np.int32)
        self._bits = np.zeros((n, s["n_bits"]), dtype=np.uint8)
        self._obs_space = {a: spaces.Box(0, s["obs_max"], shape, np.uint8)
                           for a in self.possible_agents}
        if s["n_bits"]:
            self._act_space = {a: spaces.MultiDiscrete([s["n_actions"]] + [2] * s["n_bits"])
                               for a in self.possible_agents}
        else:
            self._act_space = {a: spaces.Discrete(s["n_actions"]) for a in self.possible_agents}
        self.state_space = spaces.Box(0, s["obs_max"], (s["state_h"], s["state_w"], s["obs_c"]),
                                      np.uint8)

        def ptr(kind, a):
            return ffi.cast(kind, ffi.from_buffer(a)) if a.size else ffi.NULL

        check(lib.commons_env_bind(self._h, ptr("uint8_t *", self._obs),
                                   ptr("float *", self._rewards), ptr("float *", self._msg),
                                   ptr("float *", self._features), err), err)
        self._policies = None
        if render_mode is not None:
            self._frame_size()  # checks cell
        if policies is not None:
            self.set_policies(policies)

    # ---- PettingZoo's parallel API ----

    @property
    def num_agents(self):
        return len(self.agents)

    @property
    def max_num_agents(self):
        return len(self.possible_agents)

    def observation_space(self, agent):
        return self._obs_space[agent]

    def action_space(self, agent):
        return self._act_space[agent]

    def _handle(self):
        if self._h is None:
            raise ValueError("this environment is closed")
        return self._h

    def _observations(self):
        return {a: self._obs[self._index[a]].copy() for a in self.agents}

    def _infos(self):
        infos = {a: {} for a in self.agents}
        for a in self.agents:
            i = self._index[a]
            if self.spec["msg_size"]:
                infos[a]["msg"] = self._msg[i].copy()
            if self.spec["n_features"]:
                infos[a]["features"] = self._features[i].copy()
        return infos

    def reset(self, seed=None, options=None):
        h = self._handle()
        episode = self._episode + 1
        if seed is not None:
            self._seed, episode = seed_value(seed), 0
        if options and "episode" in options:
            episode = int(options["episode"])
            if episode < 0:
                raise ValueError("episode %d is negative" % episode)
        check(lib.commons_env_reset(h, self._seed, episode, self._err), self._err)
        self._episode = episode
        self.agents = list(self.possible_agents)
        return self._observations(), self._infos()

    def _action_arrays(self, actions):
        if not isinstance(actions, dict):
            raise ValueError("actions must be a dict {agent: action}, not %s"
                             % type(actions).__name__)
        unknown = [a for a in actions if a not in self._index or a not in self.agents]
        if unknown:
            raise ValueError("actions for agents that are not acting: %s" % unknown)
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError("no action for %s" % missing)
        nb = self.spec["n_bits"]
        for a, act in actions.items():
            i = self._index[a]
            if nb:
                v = np.asarray(act)
                if v.shape != (1 + nb,) or v.dtype.kind not in "iu":
                    raise ValueError("%s: an action is %d integers [move, bit...], not %r"
                                     % (a, 1 + nb, act))
                if v[1:].min() < 0 or v[1:].max() > 1:
                    raise ValueError("%s: signal bits must be 0 or 1, not %s" % (a, v[1:]))
                self._act[i], self._bits[i] = _int32(a, v[0]), v[1:]
            else:
                self._act[i] = _int32(a, act)

    def step(self, actions):
        h = self._handle()
        if not self.agents:
            raise ValueError("the episode has ended: reset first")
        self._action_arrays(actions)
        bits = ffi.from_buffer(self._bits) if self._bits.size else ffi.NULL
        rc = check(lib.commons_env_step(h, ffi.cast("int32_t *", ffi.from_buffer(self._act)),
                                        ffi.cast("uint8_t *", bits), self._err), self._err)
        obs, infos = self._observations(), self._infos()
        rewards = {a: float(self._rewards[self._index[a]]) for a in self.agents}
        terminations = {a: rc == 1 for a in self.agents}
        truncations = {a: rc == 2 for a in self.agents}
        if rc:
            result = self.result()
            for a in self.agents:
                infos[a]["episode"] = result
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def render(self):
        """The frame `commons run --record` draws of the world now: (h, w, 3) uint8."""
        if self.render_mode is None:
            return None
        h = self._handle()
        frame = np.zeros(self._frame_size() + (3,), dtype=np.uint8)
        check(lib.commons_env_render(h, self._cell, self._hud,
                                     ffi.cast("uint8_t *", ffi.from_buffer(frame)), frame.size,
                                     self._err), self._err)
        return frame

    def _frame_size(self):
        hw = ffi.new("int[2]")
        check(lib.commons_env_render_size(self._handle(), self._cell, self._hud, hw, hw + 1,
                                          self._err), self._err)
        return (hw[0], hw[1])

    def state(self):
        """The whole map now (the global state): (state_h, state_w, obs_c) uint8."""
        h = self._handle()
        out = np.zeros(self.state_space.shape, dtype=np.uint8)
        check(lib.commons_env_global_state(h, ffi.cast("uint8_t *", ffi.from_buffer(out)),
                                           out.size, self._err), self._err)
        return out

    def close(self):
        if self._h is not None:
            h, self._h = self._h, None
            ffi.release(h)
        self.agents = []

    # ---- beyond PettingZoo ----

    @property
    def unwrapped(self):
        return self

    @property
    def tick(self):
        return int(lib.commons_env_tick(self._handle()))

    @property
    def episode(self):
        return self._episode

    def state_hash(self):
        """The 64-bit state hash `commons run` prints."""
        return int(lib.commons_env_hash(self._handle()))

    def result(self):
        """The episode so far: returns, social metrics, state hash, as `commons run` prints."""
        r = ffi.new("CommonsResult *")
        lib.commons_env_result(self._handle(), r)
        return result_dict(r, len(self.possible_agents))

    def set_policies(self, policies):
        """Actors for the agents, as `commons run --policy` takes them: a scripted name (random,
        greedy, coop), a checkpoint file or run directory, or a comma list (or a list), one per
        agent. Only at the start of an episode."""
        if isinstance(policies, (list, tuple)):
            policies = ",".join(str(p) for p in policies)
        check(lib.commons_env_set_policies(self._handle(), encode(policies, "policies"),
                                           self._err), self._err)
        self._policies = policies

    def policy_actions(self, policies=None):
        """{agent: action} the actors choose for the state now (set_policies first, or give
        them here)."""
        h = self._handle()
        if policies is not None and policies != self._policies:
            self.set_policies(policies)
        if not self.agents:
            raise ValueError("the episode has ended: reset first")
        act = np.zeros(len(self.possible_agents), dtype=np.int32)
        bits = np.zeros_like(self._bits)
        check(lib.commons_env_policy_act(h, ffi.cast("int32_t *", ffi.from_buffer(act)),
                                         ffi.cast("uint8_t *", ffi.from_buffer(bits))
                                         if bits.size else ffi.NULL, self._err), self._err)
        if self.spec["n_bits"]:
            return {a: np.concatenate(([act[i]], bits[i])).astype(np.int64)
                    for i, a in enumerate(self.possible_agents)}
        return {a: int(act[i]) for i, a in enumerate(self.possible_agents)}

    def policy_view(self, agent):
        """What an untrusted policy of `agent` sees now (a PolicyView)."""
        i = self._index[agent]
        return PolicyView(agent, i, self.tick, self.spec["max_steps"], _snapshot(self._obs[i]),
                          float(self._rewards[i]), self.spec["n_actions"], self.spec["n_bits"])

    def step_untrusted(self, policies):
        """Steps with {agent: fn}: each fn(view) returns its agent's action, seeing only its
        PolicyView. Agents without a fn stay (action 6 in the grid games, 0 in the ocean)."""
        stay = 0 if self.spec["game"] == 3 else 6
        actions = {}
        for a in self.agents:
            fn = policies.get(a)
            actions[a] = stay if fn is None else fn(self.policy_view(a))
        return self.step(actions)

    def record(self, policies="python"):
        """Records the episodes from the next reset on, for save_replay(). policies: the names
        the replay lists, one for all agents or a comma list (or a list), one per agent."""
        if isinstance(policies, (list, tuple)):
            policies = ",".join(str(p) for p in policies)
        if isinstance(policies, str) and "," not in policies:
            policies = ",".join([policies] * len(self.possible_agents))
        check(lib.commons_env_record(self._handle(), encode(policies, "policies"), self._err),
              self._err)

    def save_replay(self, path):
        """Writes the recorded episodes as a replay file (`commons replay PATH --check`)."""
        check(lib.commons_env_save_replay(self._handle(), encode(path, "path"), self._err),
              self._err)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _int32(agent, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
            value = int(value)
        else:
            raise ValueError("%s: an action is an integer, not %r" % (agent, value))
    if not -2**31 <= int(value) < 2**31:
        raise ValueError("%s: action %d is out of range" % (agent, value))
    return int(value)


def parallel_env(preset="harvest", seed=1, **kwargs):
    """A ParallelEnv (PettingZoo's parallel API) of a preset; keys as for VecEnv."""
    return ParallelEnv(preset, seed, **kwargs)
