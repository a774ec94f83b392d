"""summary.py: the Schelling experiment's results as one Markdown table (results/summary.md).

Reads every results/NAME/{conditions,fixed_points,schelling}.csv that `commons schelling --out`
wrote and prints one row per diagram: each condition's margin with its 95% interval (a check
mark when the mean margin is positive), whether the game is a dilemma, R_c(N-1) and R_d(0), and
the fixed points of the replicator dynamics. Standard library only.
Usage: python3 experiments/schelling/summary.py experiments/schelling/results
"""
import csv
import os
import sys


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(res):
    names = sorted(d for d in os.listdir(res) if os.path.isfile(os.path.join(res, d, "conditions.csv")))
    out = [
        "| diagram | R_c(N-1) > R_d(0) | R_c(N-1) > R_c(0) | fear R_d(0) > R_c(0) | greed R_d(N-1) > R_c(N-1) | dilemma | fixed points (s stable, u unstable, m semi) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        cond = rows(os.path.join(res, name, "conditions.csv"))
        cells = []
        dilemma = "?"
        for c in cond:
            if c["condition"] == "dilemma":
                dilemma = "**yes**" if c["holds"] == "1" else "no"
                continue
            mark = "yes" if c["holds"] == "1" else "no"
            cells.append("%s %.1f [%.1f, %.1f]" % (mark, float(c["margin"]), float(c["lo"]), float(c["hi"])))
        fixed = rows(os.path.join(res, name, "fixed_points.csv"))
        fp = ", ".join("%.3f%s" % (float(p["x"]), {"stable": "s", "unstable": "u"}.get(p["stability"], "m")) for p in fixed)
        out.append("| %s | %s | %s | %s |" % (name, " | ".join(cells), dilemma, fp))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "experiments/schelling/results")
