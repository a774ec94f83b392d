"""World settings from Python: a preset, an optional INI file, and keys given as keyword
arguments (the `--set section.key=value` of the command line).

A keyword names a key by its name when that is unique (agents=7, max_steps=500, topology="ring"),
by section and name joined with "_" (beam_length=5, env_agents=7) or with "__"
(regrowth__shape="disc"); a dict `set={"env.agents": 7}` takes the dotted names. Values are
written as the command line takes them: numbers, strings, booleans as 0/1, sequences joined with
commas (regrowth_probs=[0, 0.01, 0.05]).
"""
import numpy as np

from ._lib import check, encode, ffi, lib, new_error


def _key_table():
    keys, rng = [], ffi.new("char[256]")
    sec, key, doc = ffi.new("const char **"), ffi.new("const char **"), ffi.new("const char **")
    i = 0
    while lib.commons_params_key(i, sec, key, rng, 256, doc) == 0:
        keys.append((ffi.string(sec[0]).decode(), ffi.string(key[0]).decode()))
        i += 1
    return keys


KEYS = _key_table()


def key_name(name):
    """The dotted name of a keyword argument's key; ValueError when none or several match."""
    if "." in name:
        return name
    if "__" in name:
        return name.replace("__", ".", 1)
    by_key = [s + "." + k for s, k in KEYS if k == name]
    if len(by_key) == 1:
        return by_key[0]
    joined = [s + "." + k for s, k in KEYS if s + "_" + k == name]
    if len(joined) == 1:
        return joined[0]
    if by_key:
        raise ValueError("key '%s' is ambiguous: %s; name the section (%s)"
                         % (name, ", ".join(by_key),
                            ", ".join(k.replace(".", "_") for k in by_key)))
    raise ValueError("unknown key '%s'; 'commons maps --keys' lists the keys" % name)


def value_text(value):
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (list, tuple, np.ndarray)):
        return ",".join(value_text(v) for v in value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def make_params(preset, config=None, keys=None, sets=None):
    """A params handle (freed with it): the preset, then config (an INI path), then sets (a dict
    of dotted names), then keys (keyword arguments)."""
    err = new_error()
    h = lib.commons_params_new(encode(preset, "preset"), err)
    if h == ffi.NULL:
        check(err.code or -2, err)
    h = ffi.gc(h, lib.commons_params_free)
    if config is not None:
        check(lib.commons_params_load_file(h, encode(config, "config"), err), err)
    items = [(k, v) for k, v in (sets or {}).items()]
    items += [(key_name(k), v) for k, v in (keys or {}).items()]
    for name, value in items:
        assignment = "%s=%s" % (name, value_text(value))
        check(lib.commons_params_set(h, encode(assignment, "a key"), err), err)
    return h


def spec_dict(spec):
    return {f: getattr(spec, f) for f in ("n_agents", "n_actions", "obs_h", "obs_w", "obs_c",
                                          "obs_max", "ids", "n_bits", "msg_size", "n_features",
                                          "state_h", "state_w", "max_steps", "game")}


def params_spec(h):
    err, spec = new_error(), ffi.new("CommonsSpec *")
    check(lib.commons_params_spec(h, spec, err), err)
    return spec_dict(spec)


def handle_spec(fn, h):
    """The spec of a built vec or env (fn: commons_vec_spec or commons_env_spec)."""
    spec = ffi.new("CommonsSpec *")
    fn(h, spec)
    return spec_dict(spec)


def params_ini(h):
    n = lib.commons_params_ini(h, ffi.NULL, 0)
    buf = ffi.new("char[]", n + 1)
    lib.commons_params_ini(h, buf, n + 1)
    return ffi.string(buf).decode()


def result_dict(r, n_agents):
    return {"episode": int(r.episode), "steps": int(r.steps),
            "returns": np.array([r.returns[i] for i in range(n_agents)], dtype=np.int64),
            "efficiency": r.efficiency, "equality": r.equality,
            "sustainability": r.sustainability, "peace": r.peace, "hash": int(r.hash),
            "bad_actions": int(r.bad_actions), "signals": int(r.signals),
            "spawned": int(r.spawned), "collected": int(r.collected),
            "beached": int(r.beached), "afloat": int(r.afloat)}


def seed_value(seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError("seed must be an integer, not %r" % (seed,))
    if not 0 <= int(seed) < 1 << 64:
        raise ValueError("seed %d is outside 0..2**64-1" % seed)
    return int(seed)
