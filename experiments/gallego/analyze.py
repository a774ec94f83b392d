"""Summarises experiments/gallego/results.csv: mean and 95% confidence interval (Student t over
the seeds) of each social metric per (env, policy); writes summary.csv and prints a table."""
import csv
import math
import statistics
import sys

# two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
METRICS = ["efficiency", "equality", "sustainability", "peace", "reward_per_agent"]


def ci(xs):
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, float("nan")
    t = T975[min(len(xs) - 1, len(T975)) - 1]
    return m, t * statistics.stdev(xs) / math.sqrt(len(xs))


def main(src, dst):
    groups = {}
    with open(src) as f:
        for row in csv.DictReader(f):
            groups.setdefault((row["env"], row["policy"]), []).append(row)
    with open(dst, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["env", "policy", "episodes"] + [f"{m}_{s}" for m in METRICS for s in ("mean", "ci95")])
        print("%-16s %-8s %3s %18s %18s %18s %16s %16s" % ("env", "policy", "n", *METRICS))
        for (env, policy), rows in groups.items():
            cells = []
            line = "%-16s %-8s %3d" % (env, policy, len(rows))
            for m in METRICS:
                mean, half = ci([float(r[m]) for r in rows])
                cells += [f"{mean:.4f}", f"{half:.4f}"]
                line += " %9.3f +- %6.3f" % (mean, half)
            w.writerow([env, policy, len(rows)] + cells)
            print(line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
