"""commons: Python binding of the commons simulator (libcommons.so through cffi).

    PYTHONPATH=python /usr/bin/python3 -c "import commons; print(commons.presets())"

- VecEnv(preset, num_worlds, seed, **keys): a batch of worlds writing into numpy arrays it owns.
- parallel_env(preset, seed=..., **keys): one world with PettingZoo's parallel API.
- Policy(spec): scripted policies and checkpoints acting in a ParallelEnv, as `commons run`;
  TrainedPolicy(path): a checkpoint acting on observations you give it.
- replay(path): plays a replay file back and checks its hashes (`commons replay --check`).
- spaces: Box, Discrete, MultiDiscrete (gymnasium's when it is importable).
Bad input raises ValueError (or OSError for files) with the library's message.
"""
from . import spaces
from ._lib import LIB_PATH, ReplayMismatch
from .parallel import ParallelEnv, PolicyView, parallel_env
from .policy import Policy, TrainedPolicy, presets, replay, scripted_policies
from .vec import VecEnv

__all__ = ["VecEnv", "ParallelEnv", "parallel_env", "Policy", "TrainedPolicy", "PolicyView",
           "replay", "presets", "scripted_policies", "spaces", "ReplayMismatch", "LIB_PATH"]
