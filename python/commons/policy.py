"""Policies callable from Python, replay checks, and the names of built-ins.

- Policy(spec): the actors of `commons run --policy SPEC` (scripted names, checkpoints, or a
  comma list, one per agent); policy(env) returns {agent: action} for a ParallelEnv's state now,
  drawn from the streams `commons run` draws, so following it ends in the hash `commons run`
  prints. Give it from the start of an episode (tick 0).
- TrainedPolicy(path): a checkpoint acting on observations given to it (a VecEnv's obs, say).
- replay(path): `commons replay PATH --check` from Python.
"""
import numpy as np

from ._lib import ReplayMismatch, check, encode, error_message, ffi, lib, new_error
from ._params import result_dict


def _names(fn):
    out = []
    while fn(len(out)) != ffi.NULL:
        out.append(ffi.string(fn(len(out))).decode())
    return out


def presets():
    """The built-in presets' names."""
    return _names(lib.commons_preset_name)


def scripted_policies():
    """The scripted policies' names."""
    return _names(lib.commons_scripted_name)


class Policy:
    """Scripted policies or checkpoints for a ParallelEnv's agents: policy(env) -> actions."""

    def __init__(self, spec):
        if isinstance(spec, (list, tuple)):
            spec = ",".join(str(s) for s in spec)
        encode(spec, "policy")
        self.spec = spec

    def __call__(self, env):
        return env.policy_actions(self.spec)

    def __repr__(self):
        return "Policy(%r)" % self.spec


class TrainedPolicy:
    """A trained policy (a run directory or a .ckpt file) acting on observations.

    act(obs, greedy=False): obs (..., h, w, c) uint8 in the encoding it was trained on; returns
    int32 actions of shape obs.shape[:-3]. Sampling draws from a stream keyed by (seed, the
    number of calls so far); a policy of independent parameters (one group per agent slot) uses
    group i % groups for row i, so give it (..., agents, h, w, c)."""

    def __init__(self, path, seed=0):
        self._err = err = new_error()
        h = lib.commons_policy_load(encode(path, "path"), err)
        if h == ffi.NULL:
            check(err.code or -2, err)
        self._h = ffi.gc(h, lib.commons_policy_free)
        spec, groups = ffi.new("CommonsSpec *"), ffi.new("int *")
        lib.commons_policy_spec(self._h, spec, groups)
        self.obs_shape = (spec.obs_h, spec.obs_w, spec.obs_c)
        self.obs_max, self.n_actions, self.n_bits = spec.obs_max, spec.n_actions, spec.n_bits
        self.groups = groups[0]
        self.seed, self.calls = int(seed), 0

    def act(self, obs, greedy=False, bits=False):
        if self._h is None:
            raise ValueError("this policy is closed")
        o = np.asarray(obs)
        if o.dtype != np.uint8 or o.ndim < 3 or o.shape[-3:] != self.obs_shape:
            raise ValueError("observations must be uint8 (..., %d, %d, %d), not %s %s"
                             % (self.obs_shape + (o.dtype, o.shape)))
        o = np.ascontiguousarray(o)
        lead = o.shape[:-3]
        n = int(np.prod(lead)) if lead else 1
        if self.groups > 1 and (not lead or lead[-1] % self.groups):
            raise ValueError("this policy holds %d independent groups, one per agent slot: give "
                             "observations (..., %d, h, w, c)" % (self.groups, self.groups))
        actions = np.zeros(n, dtype=np.int32)
        out_bits = np.zeros((n, self.n_bits), dtype=np.uint8)
        check(lib.commons_policy_act(
            self._h, ffi.cast("uint8_t *", ffi.from_buffer(o)), n, self.seed, self.calls,
            1 if greedy else 0, ffi.cast("int32_t *", ffi.from_buffer(actions)),
            ffi.cast("uint8_t *", ffi.from_buffer(out_bits)) if out_bits.size else ffi.NULL,
            self._err), self._err)
        self.calls += 1
        actions = actions.reshape(lead)
        return (actions, out_bits.reshape(lead + (self.n_bits,))) if bits else actions

    def close(self):
        if self._h is not None:
            h, self._h = self._h, None
            ffi.release(h)


def replay(path):
    """Plays a replay file back, checking every recorded hash; returns one dict per episode (as
    `commons replay --check` prints them). ReplayMismatch when it diverges (its .results hold
    the episodes played), ValueError for a file that is not a valid replay."""
    err, n, cap = new_error(), ffi.new("int *"), 64
    while True:
        out = ffi.new("CommonsResult[]", cap)
        rc = lib.commons_replay_check(encode(path, "path"), out, cap, n, err)
        if n[0] <= cap:
            break
        cap = n[0]
    results = [result_dict(out[i], 32) for i in range(min(n[0], cap))]
    if rc == -5:
        raise ReplayMismatch(error_message(err), results)
    check(rc, err)
    return results
