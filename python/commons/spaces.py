"""Spaces with gymnasium's names and attributes: gymnasium's own when it is importable, else
these small stand-ins (Box, Discrete, MultiDiscrete) with the same constructor arguments,
attributes (shape, dtype, low, high, n, start, nvec, np_random) and methods (contains, sample,
seed, __contains__, __eq__)."""
import numpy as np

try:  # pragma: no cover - depends on the machine
    from gymnasium.spaces import Box, Discrete, MultiDiscrete, Space  # noqa: F401
    HAVE_GYMNASIUM = True
except ImportError:
    HAVE_GYMNASIUM = False

if not HAVE_GYMNASIUM:

    class Space:
        """The base of the stand-in spaces."""

        def __init__(self, shape, dtype, seed=None):
            self.shape = tuple(shape) if shape is not None else None
            self.dtype = np.dtype(dtype) if dtype is not None else None
            self._np_random = None
            if seed is not None:
                self.seed(seed)

        @property
        def np_random(self):
            if self._np_random is None:
                self.seed()
            return self._np_random

        def seed(self, seed=None):
            self._np_random = np.random.default_rng(seed)
            return [seed]

        def __contains__(self, x):
            return self.contains(x)

    class Box(Space):
        def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
            dtype = np.dtype(dtype)
            if shape is None:
                shape = np.shape(low) if np.shape(low) else np.shape(high)
            super().__init__(shape, dtype, seed)
            self.low = np.full(self.shape, low, dtype=dtype)
            self.high = np.full(self.shape, high, dtype=dtype)

        def contains(self, x):
            if not isinstance(x, np.ndarray):
                try:
                    x = np.asarray(x, dtype=self.dtype)
                except (ValueError, TypeError):
                    return False
            return bool(np.can_cast(x.dtype, self.dtype) and x.shape == self.shape
                        and np.all(x >= self.low) and np.all(x <= self.high))

        def is_bounded(self, manner="both"):
            return True

        def sample(self, mask=None):
            if np.issubdtype(self.dtype, np.integer):
                return self.np_random.integers(self.low, self.high, size=self.shape,
                                               dtype=self.dtype, endpoint=True)
            return self.np_random.uniform(self.low, self.high, size=self.shape).astype(self.dtype)

        def __eq__(self, other):
            return (isinstance(other, Box) and self.shape == other.shape
                    and self.dtype == other.dtype and np.array_equal(self.low, other.low)
                    and np.array_equal(self.high, other.high))

        def __repr__(self):
            return "Box(%s, %s, %s, %s)" % (self.low.min(), self.high.max(), self.shape,
                                            self.dtype)

    class Discrete(Space):
        def __init__(self, n, seed=None, start=0):
            super().__init__((), np.int64, seed)
            self.n = np.int64(n)
            self.start = np.int64(start)

        def contains(self, x):
            if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
                v = int(x)
            elif isinstance(x, np.ndarray) and x.shape == () and x.dtype.kind in "iu":
                v = int(x)
            else:
                return False
            return int(self.start) <= v < int(self.start + self.n)

        def sample(self, mask=None):
            return np.int64(self.start + self.np_random.integers(self.n))

        def __eq__(self, other):
            return isinstance(other, Discrete) and self.n == other.n and self.start == other.start

        def __repr__(self):
            return "Discrete(%d)" % self.n

    class MultiDiscrete(Space):
        def __init__(self, nvec, dtype=np.int64, seed=None, start=None):
            self.nvec = np.array(nvec, dtype=dtype, copy=True)
            self.start = (np.zeros_like(self.nvec) if start is None
                          else np.array(start, dtype=dtype))
            super().__init__(self.nvec.shape, dtype, seed)

        def contains(self, x):
            if isinstance(x, (list, tuple)):
                x = np.array(x)
            if not isinstance(x, np.ndarray) or x.shape != self.shape or x.dtype.kind not in "iu":
                return False
            return bool(np.all(x >= self.start) and np.all(x < self.start + self.nvec))

        def sample(self, mask=None):
            return (self.start + self.np_random.integers(self.nvec)).astype(self.dtype)

        def __eq__(self, other):
            return isinstance(other, MultiDiscrete) and np.array_equal(self.nvec, other.nvec)

        def __repr__(self):
            return "MultiDiscrete(%s)" % self.nvec
