"""Shared fixtures of the Python binding's tests: the commons binary (COMMONS_BIN, set by ctest;
else build/commons of the source tree) and a helper that runs it."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))


@pytest.fixture(scope="session")
def commons_bin():
    path = os.environ.get("COMMONS_BIN", str(ROOT / "build" / "commons"))
    if not os.path.isfile(path):
        pytest.fail("the commons binary %s is missing: build first (make)" % path)
    return path


@pytest.fixture(scope="session")
def run_cli(commons_bin):
    def run(*args, check=True):
        p = subprocess.run([commons_bin] + [str(a) for a in args], capture_output=True,
                           text=True)
        if check and p.returncode != 0:
            raise AssertionError("commons %s exited %d: %s" % (" ".join(map(str, args)),
                                                               p.returncode, p.stderr))
        return p
    return run


def final_hash(stdout):
    """The hash of `commons run`'s last line: 'final state hash HEX'."""
    line = [x for x in stdout.splitlines() if x.startswith("final state hash")][-1]
    return int(line.split()[-1], 16)
