#!/usr/bin/python3
"""plot.py: learning curves and the results table of experiments/ppo/run.sh.

Usage: /usr/bin/python3 experiments/ppo/plot.py RUNS_DIR OUT_DIR

Reads RUNS_DIR/{gathering,harvest}-seed{1,2,3}/progress.csv and eval.json (commons eval --json
--baselines) and the training logs RUNS_DIR/*.log; writes OUT_DIR/curves.png (efficiency of the
training episodes against environment steps, each seed and their mean, with the scripted
baselines), OUT_DIR/curves.csv (the binned curves), OUT_DIR/summary.csv (every evaluation row)
and OUT_DIR/table.md (mean +- sd over seeds, for the README).
"""
import csv
import json
import os
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PRESETS = [("gathering", "Gathering (small map, 2 agents)"), ("harvest", "Harvest (5 agents)")]
SEEDS = [1, 2, 3]
BINS = 40
METRICS = ["efficiency", "equality", "sustainability", "peace"]


def read_curve(path):
    """(env_steps, efficiency) of the updates in which episodes finished"""
    xs, ys = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["efficiency"]:
                xs.append(int(row["env_steps"]))
                ys.append(float(row["efficiency"]))
    return xs, ys


def binned(xs, ys, x_max):
    """means of ys in BINS equal slices of [0, x_max]"""
    sums, counts = [0.0] * BINS, [0] * BINS
    for x, y in zip(xs, ys):
        b = min(BINS - 1, int(x * BINS / x_max))
        sums[b] += y
        counts[b] += 1
    centres = [(b + 0.5) * x_max / BINS for b in range(BINS)]
    return [(c, s / n) for c, s, n in zip(centres, sums, counts) if n]


def fmt(values, digits):
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} +- {statistics.stdev(values):.{digits}f}"


def main():
    runs, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), dpi=80)
    summary = [["preset", "policy", "train_seed", "return"] + METRICS]
    curves = [["preset", "seed", "env_steps", "efficiency"]]
    table = ["| env | policy | efficiency | equality | sustainability | peace |", "|---|---|---|---|---|---|"]
    speeds = []
    for ax, (preset, title) in zip(axes, PRESETS):
        per_seed, evals = {}, {}
        for seed in SEEDS:
            d = os.path.join(runs, f"{preset}-seed{seed}")
            if not os.path.exists(os.path.join(d, "eval.json")):
                continue
            xs, ys = read_curve(os.path.join(d, "progress.csv"))
            with open(os.path.join(d, "eval.json")) as f:
                evals[seed] = json.load(f)
            x_max = max(xs)
            per_seed[seed] = binned(xs, ys, x_max)
            for x, y in per_seed[seed]:
                curves.append([preset, seed, int(x), f"{y:.4f}"])
            log = os.path.join(runs, f"{preset}-seed{seed}.log")
            if os.path.exists(log):
                m = re.search(r"in ([0-9.]+) s: ([0-9,]+) agent-steps/s", open(log).read())
                if m:
                    speeds.append((preset, seed, float(m.group(1)), int(m.group(2).replace(",", ""))))
        if not per_seed:
            continue
        for seed, pts in per_seed.items():
            ax.plot([p[0] / 1e6 for p in pts], [p[1] for p in pts], lw=0.8, alpha=0.5,
                    label=f"PPO seed {seed}")
        # the mean over seeds, bin by bin
        common = min(len(p) for p in per_seed.values())
        mean = [(per_seed[SEEDS[0]][i][0], statistics.mean(p[i][1] for p in per_seed.values()))
                for i in range(common)]
        ax.plot([p[0] / 1e6 for p in mean], [p[1] for p in mean], lw=2.2, color="black",
                label="PPO mean")
        # baselines: the eval rows of the scripted policies (the same seeds for every run)
        base = {r["policy"]: r for r in next(iter(evals.values()))["rows"]}
        lo = min(min(p[1] for p in pts) for pts in per_seed.values())
        hi = max(max(p[1] for p in pts) for pts in per_seed.values())
        for name, style in [("coop", ":"), ("greedy", "--"), ("random", "-.")]:
            v = base[name]["efficiency"][0]
            lo, hi = (min(lo, v), max(hi, v)) if v > -0.5 else (lo, hi)
            label = f"{name} {v:.3f}" + (" (below the axis)" if v <= -0.5 else "")
            ax.axhline(v, ls=style, color="gray", lw=1.2, label=label)
        ax.set_ylim(max(lo, -0.5) - 0.05, hi + 0.05)
        ax.set_title(title)
        ax.set_xlabel("environment steps (millions)")
        ax.set_ylabel("efficiency (reward per step, all agents)")
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(alpha=0.3)
        # table rows: trained (mean +- sd over the training seeds), then the baselines
        trained = {m: [] for m in METRICS + ["return"]}
        for seed, ev in evals.items():
            for r in ev["rows"]:
                summary.append([preset, r["policy"], seed if r["policy"] == "trained" else "",
                                f"{r['return']:.3f}"] + [f"{r[m][0]:.4f}" for m in METRICS])
                if r["policy"] == "trained":
                    for m in METRICS:
                        trained[m].append(r[m][0])
        n = len(evals)
        table.append(f"| {preset} | **PPO** ({n} seeds) | {fmt(trained['efficiency'], 3)} | "
                     f"{fmt(trained['equality'], 3)} | {fmt(trained['sustainability'], 1)} | "
                     f"{fmt(trained['peace'], 3)} |")
        for name in ["random", "greedy", "coop"]:
            r = base[name]
            table.append(f"| {preset} | {name} | {r['efficiency'][0]:.3f} | {r['equality'][0]:.3f} | "
                         f"{r['sustainability'][0]:.1f} | {r['peace'][0]:.3f} |")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"))
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        csv.writer(f).writerows(summary)
    with open(os.path.join(out, "curves.csv"), "w", newline="") as f:
        csv.writer(f).writerows(curves)
    lines = table + [""]
    for preset, seed, secs, rate in speeds:
        lines.append(f"- {preset} seed {seed}: {secs:.0f} s, {rate:,} agent-steps/s")
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
