"""Gathering aggression against scarcity: reads RUNS/respawn-R-SEED/eval.json (commons run
--policy RUN/ --episodes 10 --json) and writes RES/results.csv (one row per episode),
RES/summary.csv (per respawn time: beams fired per step, peace and the pair's apples per
episode, each the mean over seeds of the seed's episode mean, with a 95% Student t interval over
the seeds) and RES/plot.png.
Usage: analyze.py RUNS RES SEEDS RESPAWN...
"""
import json
import sys

import numpy as np

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}

runs, res, nseeds = sys.argv[1], sys.argv[2], int(sys.argv[3])
respawns = [int(x) for x in sys.argv[4:]]
rows, summary = [], []
for rs in respawns:
    per_seed = {"beams": [], "peace": [], "apples": []}
    for seed in range(1, nseeds + 1):
        with open(f"{runs}/respawn-{rs}-{seed}/eval.json") as f:
            eps = json.load(f)["episodes"]
        for e in eps:
            rows.append((rs, seed, e["episode"], e["beams"], e["peace"], sum(e["returns"])))
        per_seed["beams"].append(np.mean([e["beams"] for e in eps]))
        per_seed["peace"].append(np.mean([e["peace"] for e in eps]))
        per_seed["apples"].append(np.mean([sum(e["returns"]) for e in eps]))
    line = [rs]
    for k in ("beams", "peace", "apples"):
        x = np.array(per_seed[k])
        half = T975[len(x) - 1] * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else float("nan")
        line += [x.mean(), x.mean() - half, x.mean() + half]
    summary.append(line)

with open(f"{res}/results.csv", "w") as f:
    f.write("respawn_steps,seed,episode,beams_per_step,peace,apples\n")
    for r in rows:
        f.write(f"{r[0]},{r[1]},{r[2]},{r[3]:.4f},{r[4]:.4f},{r[5]}\n")
with open(f"{res}/summary.csv", "w") as f:
    f.write("respawn_steps,beams,beams_lo,beams_hi,peace,peace_lo,peace_hi,apples,apples_lo,"
            "apples_hi\n")
    for s in summary:
        f.write(",".join([str(s[0])] + [f"{v:.4f}" for v in s[1:]]) + "\n")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

s = np.array(summary, dtype=float)
fig, ax = plt.subplots(1, 3, figsize=(12, 3.6))
for a, (col, name) in zip(ax, [(1, "beams fired per step (2 agents)"), (4, "peace (of 2)"),
                               (7, "apples eaten per episode (pair)")]):
    a.errorbar(s[:, 0], s[:, col], yerr=[s[:, col] - s[:, col + 1], s[:, col + 2] - s[:, col]],
               marker="o", capsize=4)
    for rs in respawns:
        pts = [r for r in rows if r[0] == rs]
        for seed in range(1, nseeds + 1):
            v = [r[{1: 3, 4: 4, 7: 5}[col]] for r in pts if r[1] == seed]
            a.plot([rs], [np.mean(v)], "k.", alpha=0.4)
    a.set_xscale("log")
    a.set_xlabel("apple respawn time (steps; scarcer to the right)")
    a.set_title(name, fontsize=10)
fig.suptitle(f"Gathering (gathering-small): trained PPO pairs, {nseeds} seeds per respawn time, "
             "mean and 95% t interval over seeds (dots: seeds)", fontsize=10)
fig.tight_layout()
fig.savefig(f"{res}/plot.png", dpi=100)
