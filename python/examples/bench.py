"""Random-action stepping of a batch of worlds from Python (commons.VecEnv) against
`commons bench` on the same preset and batch, alternating in one run.

    PYTHONPATH=python /usr/bin/python3 python/examples/bench.py [--env harvest] [--batch 16]
        [--steps 4000] [--rounds 3] [--commons build/commons]

Prints agent-steps per second of both (the median over rounds), their ratio, and the overhead of
one Python step call: (Python's seconds per batch step) - (C's seconds per batch step). Random
actions are drawn by numpy in blocks of 1000 steps (the drawing is timed).
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import commons  # noqa: E402


def python_rate(env, batch, steps, seed):
    venv = commons.VecEnv(env, batch, seed)
    rng = np.random.default_rng(seed)
    n_act, shape = venv.spec["n_actions"], (1000, batch, venv.num_agents)
    bits_shape = (batch, venv.num_agents, venv.spec["n_bits"])
    t0 = time.perf_counter()
    done = 0
    while done < steps:
        block = rng.integers(0, n_act, size=shape, dtype=np.int32)
        for t in range(min(1000, steps - done)):
            bits = rng.integers(0, 2, size=bits_shape, dtype=np.uint8) if bits_shape[2] else None
            venv.step(block[t], bits)
        done += min(1000, steps - done)
    dt = time.perf_counter() - t0
    venv.close()
    return steps * batch * venv.num_agents / dt


def c_rate(binary, env, batch, steps):
    out = subprocess.run([binary, "bench", "--env", env, "--batch", str(batch), "--steps",
                          str(steps), "--repeat", "1", "--json"], check=True,
                         capture_output=True, text=True).stdout
    row = json.loads(out)["results"][0]
    return row["agent_steps_per_s"], row["agents"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default="harvest")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--commons", default=str(pathlib.Path(__file__).resolve().parents[2]
                                             / "build" / "commons"))
    a = ap.parse_args()
    py, c = [], []
    for r in range(a.rounds):
        rate, agents = c_rate(a.commons, a.env, a.batch, a.steps)
        c.append(rate)
        py.append(python_rate(a.env, a.batch, a.steps, r + 1))
        print("round %d: commons bench %.0f, python VecEnv %.0f agent-steps/s"
              % (r + 1, c[-1], py[-1]), flush=True)
    mc, mp = float(np.median(c)), float(np.median(py))
    per_step = a.batch * agents
    overhead = per_step / mp - per_step / mc
    print("median: commons bench %.0f, python %.0f agent-steps/s; ratio %.2f; "
          "python overhead %.1f us per step call (%d worlds x %d agents)"
          % (mc, mp, mp / mc, overhead * 1e6, a.batch, agents))


if __name__ == "__main__":
    main()
