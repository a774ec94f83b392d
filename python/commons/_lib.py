"""The shared library libcommons.so through cffi (ABI mode), and its errors as Python exceptions.

The declarations are read from the C API's header (sim/commons.h, between its "cdef begin" and
"cdef end" lines), so Python depends on no struct layout it cannot see. The library is found, in
this order: $COMMONS_LIB (a path to libcommons.so); beside this package (an install puts it in
PREFIX/lib and the package in PREFIX/lib/pythonX.Y/site-packages); the source tree's build/
folder (then any build*/ folder); the dynamic loader's search path.
"""
import os
import pathlib

from cffi import FFI

_HERE = pathlib.Path(__file__).resolve().parent


def _header():
    for path in (_HERE / "commons.h", _HERE.parents[1] / "sim" / "commons.h"):
        if path.is_file():
            text = path.read_text()
            begin, end = "/* cdef begin */", "/* cdef end */"
            return text[text.index(begin) + len(begin):text.index(end)]
    raise ImportError("commons: commons.h not found beside the package nor in the source tree's "
                      "sim/; reinstall (make install) or set PYTHONPATH to the source tree's "
                      "python/ folder")


def _candidates():
    env = os.environ.get("COMMONS_LIB")
    if env:
        return [pathlib.Path(env)]
    root = _HERE.parents[1]
    found = [_HERE / "libcommons.so", _HERE.parents[2] / "libcommons.so",
             root / "build" / "libcommons.so"]
    found += sorted(root.glob("build*/libcommons.so"))
    return found


def _open(ffi):
    tried = []
    for path in _candidates():
        if path.is_file():
            return ffi.dlopen(str(path)), str(path)
        tried.append(str(path))
    if os.environ.get("COMMONS_LIB"):
        raise ImportError("commons: COMMONS_LIB=%s is not a file" % os.environ["COMMONS_LIB"])
    try:
        return ffi.dlopen("libcommons.so"), "libcommons.so"
    except OSError:
        raise ImportError("commons: libcommons.so not found (tried %s and the loader's path); "
                          "build it with 'make' or set COMMONS_LIB" % ", ".join(tried)) from None


ffi = FFI()
ffi.cdef(_header())
lib, LIB_PATH = _open(ffi)
if lib.commons_api_version() != lib.COMMONS_API_VERSION:
    raise ImportError("commons: %s has C API version %d, this package reads version %d"
                      % (LIB_PATH, lib.commons_api_version(), lib.COMMONS_API_VERSION))

EINPUT, ENOMEM, EIO, EMISMATCH, ENOTFOUND = -2, -3, -4, -5, -6


class ReplayMismatch(RuntimeError):
    """A replay did not reproduce its recorded state hashes (another build of the rules?)."""

    def __init__(self, msg, results=None):
        super().__init__(msg)
        self.results = results or []


def error_message(err):
    return ffi.string(err.msg).decode("utf-8", "replace")


def raise_error(rc, err):
    """Raises the exception of a negative code, with the library's message."""
    msg = error_message(err)
    if rc == EIO:
        raise OSError(msg)
    if rc == ENOMEM:
        raise MemoryError(msg)
    if rc == EMISMATCH:
        raise ReplayMismatch(msg)
    raise ValueError(msg)


def check(rc, err):
    if rc < 0:
        raise_error(rc, err)
    return rc


def new_error():
    return ffi.new("CommonsError *")


def encode(text, what):
    """A str argument as bytes for C, refusing what C cannot take."""
    if not isinstance(text, (str, os.PathLike)):
        raise ValueError("%s must be a string, not %s" % (what, type(text).__name__))
    data = os.fsencode(text)
    if b"\0" in data:
        raise ValueError("%s holds a NUL character" % what)
    return data
