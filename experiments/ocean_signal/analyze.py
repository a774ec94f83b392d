"""Summarises results.csv of the ocean signalling experiment: per condition, the mean of each
measure with a 95% confidence interval (Student t), the difference between the conditions
(Welch), and a plot. Usage: analyze.py results.csv summary.csv plot.png"""
import csv
import math
import sys

# two-sided 95% quantiles of Student's t by degrees of freedom (larger df: normal)
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 19: 2.093, 20: 2.086, 24: 2.064, 25: 2.060,
        29: 2.045, 30: 2.042, 40: 2.021, 50: 2.009, 60: 2.000, 80: 1.990, 100: 1.984}


def t975(df):
    keys = sorted(k for k in T975 if k <= df)
    return T975[keys[-1]] if keys and df <= 100 else 1.96


def mean_ci(xs):
    n = len(xs)
    m = sum(xs) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, t975(n - 1) * sd / math.sqrt(n), sd


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    conds = ["silent", "signalling"]
    measures = ["collected", "fraction", "equality", "beached"]
    by = {c: [r for r in rows if r["condition"] == c] for c in conds}
    with open(sys.argv[2], "w") as f:
        f.write("condition,measure,n,mean,ci95,sd\n")
        for c in conds:
            for m in measures:
                xs = [float(r[m]) for r in by[c]]
                mu, ci, sd = mean_ci(xs)
                f.write("%s,%s,%d,%.4f,%.4f,%.4f\n" % (c, m, len(xs), mu, ci, sd))
        # paired by seed: for one seed both teams meet the same river mouths and patches (the
        # ocean's events stream), so the per-seed difference removes the plastic supply's spread
        silent = {r["seed"]: r for r in by["silent"]}
        for m in measures:
            d = [float(r[m]) - float(silent[r["seed"]][m]) for r in by["signalling"]
                 if r["seed"] in silent]
            mu, ci, sd = mean_ci(d)
            f.write("difference,%s,%d,%.4f,%.4f,%.4f\n" % (m, len(d), mu, ci, sd))
    print(open(sys.argv[2]).read(), end="")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing (Debian: python3-matplotlib): no plot", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    for ax, m, label in zip(axes, ["collected", "fraction", "equality"],
                            ["plastic collected (units)", "fraction of spawned plastic",
                             "equality (1 - Gini)"]):
        for k, c in enumerate(conds):
            xs = [float(r[m]) for r in by[c]]
            mu, ci, _ = mean_ci(xs)
            ax.scatter([k + 0.15 * ((i % 5) - 2) / 2 for i in range(len(xs))], xs, s=8,
                       alpha=0.5, color="C%d" % k)
            ax.errorbar([k], [mu], yerr=[ci], fmt="o", color="black", capsize=6)
        ax.set_xticks([0, 1])
        ax.set_xticklabels(conds)
        ax.set_title(label, fontsize=9)
    fig.suptitle("ocean-patchy, 6 vessels, 1000 steps: mean and 95%% CI over %d seeds"
                 % len(by["silent"]), fontsize=9)
    fig.tight_layout()
    fig.savefig(sys.argv[3], dpi=90)


if __name__ == "__main__":
    main()
