"""VecEnv: a batch of worlds stepped in one call, writing straight into numpy arrays it owns.

The arrays are allocated once and bound to the C batch (sim/batch.h through commons.h); every
step and reset writes into them in place, so step() returns the same arrays each time (no copy:
copy what you keep). Worlds that end an episode are reset to their next one (auto-reset): the
step returns the new episode's first observation, the ended one's last observation is in
final_obs, and infos["episodes"] lists the ended episodes' returns and social metrics.
"""
import numpy as np

from . import spaces
from ._lib import check, ffi, lib, new_error
from ._params import handle_spec, make_params, params_ini, result_dict, seed_value

_INT = (np.dtype(np.int32), np.dtype(np.int64))


class VecEnv:
    """`VecEnv(preset, num_worlds, seed, **keys)`: num_worlds worlds of a preset.

    Arrays (W worlds, A agents), overwritten in place by every step:
      obs (W, A, h, w, c) uint8, rewards (W, A) float32 (learning rewards: shared over the comm
      graph when rewards.share asks), terminations (W,) bool, truncations (W,) bool,
      final_obs (W, A, h, w, c) uint8, msg (W, A, msg_size) float32 (worlds that communicate),
      features (W, A, n_features) float32.
    step(actions, bits=None): actions (W, A) of int32 or int64 in 0..n_actions-1; bits
    (W, A, n_bits) of 0/1 (uint8 or bool) when comm.signal_bits > 0.
    """

    def __init__(self, preset="harvest", num_worlds=16, seed=1, *, world_base=0, config=None,
                 set=None, **keys):
        self._h = None
        if not isinstance(num_worlds, (int, np.integer)) or isinstance(num_worlds, bool):
            raise ValueError("num_worlds must be an integer, not %r" % (num_worlds,))
        self._params = make_params(preset, config, keys, set)
        self.config_ini = params_ini(self._params)
        self.preset = preset
        self.seed = seed_value(seed)
        W = int(num_worlds)
        err = self._err = new_error()
        h = lib.commons_vec_new(self._params, self.seed, int(world_base), W, err)
        if h == ffi.NULL:
            check(err.code or -2, err)
        self._h = ffi.gc(h, lib.commons_vec_free)
        self.spec = s = handle_spec(lib.commons_vec_spec, self._h)
        self.num_worlds, self.num_agents = W, s["n_agents"]
        A, shape = self.num_agents, (s["obs_h"], s["obs_w"], s["obs_c"])
        self.obs = np.zeros((W, A) + shape, dtype=np.uint8)
        self.final_obs = np.zeros_like(self.obs)
        self.rewards = np.zeros((W, A), dtype=np.float32)
        self.terminations = np.zeros(W, dtype=np.bool_)
        self.truncations = np.zeros(W, dtype=np.bool_)
        self.msg = np.zeros((W, A, s["msg_size"]), dtype=np.float32)
        self.features = np.zeros((W, A, s["n_features"]), dtype=np.float32)
        self._act_shape, self._bits_shape = (W, A), (W, A, s["n_bits"])
        self.single_observation_space = spaces.Box(0, s["obs_max"], shape, np.uint8)
        if s["n_bits"]:
            self.single_action_space = spaces.MultiDiscrete([s["n_actions"]] + [2] * s["n_bits"])
        else:
            self.single_action_space = spaces.Discrete(s["n_actions"])
        self.observation_space = self.single_observation_space
        self.action_space = self.single_action_space

        def ptr(kind, a):
            return ffi.cast(kind, ffi.from_buffer(a)) if a.size else ffi.NULL

        check(lib.commons_vec_bind(self._h, ptr("uint8_t *", self.obs),
                                   ptr("float *", self.rewards),
                                   ptr("uint8_t *", self.terminations),
                                   ptr("uint8_t *", self.truncations),
                                   ptr("uint8_t *", self.final_obs), ptr("float *", self.msg),
                                   ptr("float *", self.features), err), err)

    def _handle(self):
        if self._h is None:
            raise ValueError("this VecEnv is closed")
        return self._h

    def reset(self, seed=None, options=None):
        """Every world at episode 0 of a run with `seed` (default: the constructor's)."""
        h = self._handle()
        if seed is not None:
            self.seed = seed_value(seed)
        check(lib.commons_vec_reset(h, self.seed, self._err), self._err)
        return self.obs, {}

    def _actions(self, actions):
        a = actions
        if not isinstance(a, np.ndarray):
            a = np.asarray(a)
        if a.shape != self._act_shape:
            raise ValueError("actions must have shape %s (worlds, agents), not %s"
                             % (self._act_shape, a.shape))
        if a.dtype not in _INT:
            if a.dtype.kind not in "iu":
                raise ValueError("actions must be integers, not %s" % a.dtype)
            a = a.astype(np.int64)
        return np.ascontiguousarray(a)

    def _bits(self, bits):
        if self._bits_shape[2] == 0:
            if bits is not None:
                raise ValueError("this world has no signal bits (comm.signal_bits = 0)")
            return ffi.NULL
        if bits is None:
            return ffi.NULL
        b = np.asarray(bits)
        if b.shape != self._bits_shape or b.dtype.kind not in "biu":
            raise ValueError("bits must be 0/1 integers of shape %s, not %s %s"
                             % (self._bits_shape, b.dtype, b.shape))
        if b.dtype != np.uint8 and b.dtype != np.bool_:
            if b.min() < 0 or b.max() > 1:
                raise ValueError("signal bits must be 0 or 1")
            b = b.astype(np.uint8)
        return ffi.cast("uint8_t *", ffi.from_buffer(np.ascontiguousarray(b)))

    def step(self, actions, bits=None):
        """Steps every world; returns (obs, rewards, terminations, truncations, infos), the
        arrays this VecEnv owns."""
        h = self._h
        if h is None:
            raise ValueError("this VecEnv is closed")
        a = actions
        if (type(a) is not np.ndarray or a.dtype not in _INT or a.shape != self._act_shape
                or not a.flags.c_contiguous):
            a = self._actions(a)
        b = self._bits(bits) if bits is not None or self._bits_shape[2] else ffi.NULL
        n = lib.commons_vec_step(h, ffi.from_buffer(a), a.itemsize, b, self._err)
        if n < 0:
            check(n, self._err)
        infos = self._episodes() if n else {}
        return self.obs, self.rewards, self.terminations, self.truncations, infos

    def _episodes(self):
        out, r = [], ffi.new("CommonsResult *")
        for k in np.flatnonzero(self.terminations | self.truncations):
            check(lib.commons_vec_last_episode(self._h, int(k), r, self._err), self._err)
            d = result_dict(r, self.num_agents)
            d["world"] = int(k)
            del d["hash"]
            out.append(d)
        return {"episodes": out}

    def state_hash(self, world):
        """The 64-bit state hash of world `world` now."""
        h = self._handle()
        if not 0 <= int(world) < self.num_worlds:
            raise ValueError("world %d is outside 0..%d" % (world, self.num_worlds - 1))
        return int(lib.commons_vec_hash(h, int(world)))

    def close(self):
        if self._h is not None:
            h, self._h = self._h, None
            ffi.release(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
