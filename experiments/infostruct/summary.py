"""Summarises experiments/infostruct/results: per structure, how many agents are C, D or
unclassified, the mean restraint and return, the dilemma conditions and the replicator fixed
points of its Schelling diagram, as a Markdown table.
Usage: summary.py RESULTS STRUCT...
"""
import csv
import sys

res, structures = sys.argv[1], sys.argv[2:]
agents = list(csv.DictReader(open(f"{res}/agents.csv")))
print("| structure | C | D | unclassified | restraint (mean over agents) | return | "
      "R_c(3) > R_d(0) | R_c(3) > R_c(0) | fear | greed | dilemma | fixed points |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
names = {"R_c(N-1) > R_d(0)": 0, "R_c(N-1) > R_c(0)": 1, "fear: R_d(0) > R_c(0)": 2,
         "greed: R_d(N-1) > R_c(N-1)": 3}
for st in structures:
    a = [r for r in agents if r["structure"] == st]
    n = {k: sum(r["class"] == k for r in a) for k in "CDU"}
    w = sum(float(r["restraint"]) for r in a) / len(a)
    ret = sum(float(r["return"]) for r in a) / len(a)
    conds = ["?"] * 4
    for r in csv.DictReader(open(f"{res}/{st}/conditions.csv")):
        k = names.get(r["condition"])
        if k is not None:
            yes = "yes" if r["holds"] == "1" else "no"
            conds[k] = f"{yes} {float(r['margin']):.1f} [{float(r['lo']):.1f}, {float(r['hi']):.1f}]"
    dil = "**yes**" if all(c.startswith("yes") for c in conds[:2]) and (
        conds[2].startswith("yes") or conds[3].startswith("yes")) else "no"
    fp = ", ".join(f"{float(r['x']):.3g} {r['stability'][0]}"
                   for r in csv.DictReader(open(f"{res}/{st}/fixed_points.csv")))
    print(f"| {st} | {n['C']} | {n['D']} | {n['U']} | {w:.3f} | {ret:.1f} | "
          + " | ".join(conds) + f" | {dil} | {fp} |")
