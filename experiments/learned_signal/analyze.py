"""Summarises experiments/learned_signal: per world and team, the mean over training seeds of
each run's 10-episode means (collected plastic, fraction of spawned plastic collected, equality),
with 95% confidence intervals (Student t over seeds), the paired difference of each learned team
to the silent team (same seed), learning curves and final bars.
Usage: analyze.py EXPERIMENT_DIR"""
import csv
import glob
import json
import math
import os
import sys

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 19: 2.093, 20: 2.086, 30: 2.042}
TEAMS = ["silent", "signal", "differentiable"]
MEASURES = ["collected", "fraction", "equality"]


def t975(df):
    keys = sorted(k for k in T975 if k <= df)
    return T975[keys[-1]] if keys else float("nan")


def mean_ci(xs):
    n = len(xs)
    if n == 0:
        return float("nan"), float("nan")
    m = sum(xs) / n
    if n < 2:
        return m, float("nan")
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, t975(n - 1) * sd / math.sqrt(n)


def run_means(path):
    d = json.load(open(path))
    eps = d["episodes"]
    col = [e["plastic"]["collected"] for e in eps]
    frac = [e["plastic"]["collected"] / max(1, e["plastic"]["spawned"]) for e in eps]
    eq = [e["equality"] for e in eps]
    n = len(eps)
    return {"collected": sum(col) / n, "fraction": sum(frac) / n, "equality": sum(eq) / n,
            "signals": sum(e.get("signals", 0) for e in eps) / n}


def main(root):
    rows = []
    measures = []
    for path in sorted(glob.glob(os.path.join(root, "eval", "*.measures"))):
        world, team, seed = os.path.basename(path)[:-9].rsplit("-", 2)
        d = json.load(open(path))
        b0 = d["signalling"]["bits"][0]
        abl = {r["channel"]: r for r in d["ablation"]["rows"]}
        measures.append(dict(world=world, team=team, seed=int(seed), mi=b0["mi_bits"],
                             p_on_view=b0["p_on_in_view"], p_on_none=b0["p_on_none"],
                             js=d["listening"]["js_bits"], kl=d["listening"]["kl_nats"],
                             zero=abl["zero"]["diff"], shuffle=abl["shuffle"]["diff"]))
    for path in sorted(glob.glob(os.path.join(root, "eval", "*.json"))):
        name = os.path.basename(path)[:-5]
        world, rest = name.split("-scripted-") if "-scripted-" in name else (None, None)
        if world:
            team, seed = "scripted-" + rest, 0
        else:
            parts = name.rsplit("-", 2)
            world, team, seed = parts[0], parts[1], int(parts[2])
        if team.startswith("scripted-"):
            # one run of scripted episodes: each episode is a sample
            for e in json.load(open(path))["episodes"]:
                p = e["plastic"]
                rows.append(dict(world=world, team=team, seed=e["episode"],
                                 collected=p["collected"],
                                 fraction=p["collected"] / max(1, p["spawned"]),
                                 equality=e["equality"], signals=e.get("signals", 0)))
            continue
        r = run_means(path)
        rows.append(dict(world=world, team=team, seed=seed, **r))
    with open(os.path.join(root, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["world", "team", "seed", "collected", "fraction",
                                          "equality", "signals"])
        w.writeheader()
        for r in rows:
            w.writerow(r)
    summary = []
    worlds = sorted({r["world"] for r in rows})
    for world in worlds:
        by = {}
        for r in rows:
            if r["world"] == world:
                by.setdefault(r["team"], {})[r["seed"]] = r
        print("\n%s (mean over training seeds, 95%% CI; scripted: over its 10 episodes)" % world)
        print("%-22s %4s %18s %18s %18s" % ("team", "n", *MEASURES))
        for team in TEAMS + ["scripted-greedy", "scripted-coop"]:
            if team not in by:
                continue
            runs = list(by[team].values())
            cells = []
            for m in MEASURES:
                mu, ci = mean_ci([r[m] for r in runs])
                cells.append("%8.3f +- %-7.3f" % (mu, ci) if m != "collected"
                             else "%8.1f +- %-7.1f" % (mu, ci))
                summary.append(dict(world=world, team=team, measure=m, n=len(runs), mean=mu, ci95=ci))
            print("%-22s %4d %s" % (team, len(runs), " ".join(cells)))
        for team in TEAMS[1:]:
            if team not in by or "silent" not in by:
                continue
            seeds = sorted(set(by[team]) & set(by["silent"]))
            cells = []
            for m in MEASURES:
                mu, ci = mean_ci([by[team][s][m] - by["silent"][s][m] for s in seeds])
                cells.append("%8.3f +- %-7.3f" % (mu, ci) if m != "collected"
                             else "%8.1f +- %-7.1f" % (mu, ci))
                summary.append(dict(world=world, team=team + " - silent", measure=m,
                                    n=len(seeds), mean=mu, ci95=ci))
            print("%-22s %4d %s" % (team + " - silent", len(seeds), " ".join(cells)))
    keys = ["mi", "p_on_view", "p_on_none", "js", "kl", "zero", "shuffle"]
    if measures:
        with open(os.path.join(root, "measures.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["world", "team", "seed"] + keys)
            w.writeheader()
            for r in measures:
                w.writerow(r)
        print("\nsignalling measures (trained teams, intact channel, 10 episodes per run; mean over"
              " seeds, 95% CI)")
        print("%-14s %-15s %4s %s" % ("world", "team", "n", "  ".join("%-17s" % k for k in keys)))
        for world in worlds:
            for team in TEAMS[1:]:
                rs = [r for r in measures if r["world"] == world and r["team"] == team]
                if not rs:
                    continue
                cells = []
                for k in keys:
                    mu, ci = mean_ci([r[k] for r in rs])
                    cells.append("%8.4f +- %-6.4f" % (mu, ci))
                    summary.append(dict(world=world, team=team, measure=k, n=len(rs), mean=mu,
                                        ci95=ci))
                print("%-14s %-15s %4d %s" % (world, team, len(rs), " ".join(cells)))
    with open(os.path.join(root, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["world", "team", "measure", "n", "mean", "ci95"])
        w.writeheader()
        for r in summary:
            w.writerow(r)
    plot(root, rows, worlds)


def plot(root, rows, worlds):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plots")
        return
    worlds = [w for w in worlds if w in ("ocean-patchy", "ocean")]
    if not worlds:
        return
    fig, axes = plt.subplots(2, len(worlds), figsize=(6 * len(worlds), 8), squeeze=False)
    colors = {"silent": "tab:gray", "signal": "tab:blue", "differentiable": "tab:orange"}
    for j, world in enumerate(worlds):
        ax = axes[0][j]
        for team in TEAMS:
            curves = []
            for p in sorted(glob.glob(os.path.join(root, "runs", world, team, "*", "progress.csv"))):
                xs, ys = [], []
                for r in csv.DictReader(open(p)):
                    if r["efficiency"]:
                        xs.append(int(r["env_steps"]))
                        ys.append(float(r["efficiency"]))
                curves.append((xs, ys))
                ax.plot(xs, ys, color=colors[team], alpha=0.15, lw=0.8)
            if curves:
                n = min(len(c[1]) for c in curves)
                mean = [sum(c[1][i] for c in curves) / len(curves) for i in range(n)]
                ax.plot(curves[0][0][:n], mean, color=colors[team], lw=2,
                        label="%s (%d seeds)" % (team, len(curves)))
        ax.set_title("%s: training episodes" % world)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("efficiency")
        ax.legend(fontsize=8)
        ax = axes[1][j]
        teams = [t for t in TEAMS + ["scripted-greedy", "scripted-coop"]
                 if any(r["world"] == world and r["team"] == t for r in rows)]
        mus, cis = [], []
        for t in teams:
            mu, ci = mean_ci([r["fraction"] for r in rows if r["world"] == world and r["team"] == t])
            mus.append(mu)
            cis.append(0 if math.isnan(ci) else ci)
        ax.bar(range(len(teams)), mus, yerr=cis, color=[colors.get(t, "tab:green") for t in teams],
               capsize=4)
        ax.set_xticks(range(len(teams)))
        ax.set_xticklabels(teams, rotation=20, fontsize=8)
        ax.set_ylabel("fraction of spawned plastic collected")
        ax.set_title("%s: evaluation (10 episodes per run)" % world)
    fig.tight_layout()
    fig.savefig(os.path.join(root, "plot.png"), dpi=90)


if __name__ == "__main__":
    main(sys.argv[1])
