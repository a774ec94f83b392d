"""Classifies every trained Tragedy agent by its restraint (Pretorius et al. 2020).

Reads RUNS/STRUCT-SEED/restraint.json (commons run --policy RUN/ --episodes 20 --json: the team
of one training run in its own world) and prints agents.csv: structure, seed, run, slot, class
(D: mean restraint below 0.25, C: above 0.35, U: unclassified), the mean restraint over the
episodes, and the agent's mean return.
Usage: classify.py RUNS SEEDS STRUCT...
"""
import json
import sys

runs, nseeds, structures = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("structure,seed,run,slot,class,restraint,return")
for st in structures:
    for seed in range(1, nseeds + 1):
        run = f"{runs}/{st}-{seed}"
        with open(f"{run}/restraint.json") as f:
            doc = json.load(f)
        eps = doc["episodes"]
        n = len(eps[0]["restraints"])
        for i in range(n):
            w = sum(e["restraints"][i] for e in eps) / len(eps)
            r = sum(e["returns"][i] for e in eps) / len(eps)
            c = "D" if w < 0.25 else "C" if w > 0.35 else "U"
            print(f"{st},{seed},{run},{i},{c},{w:.4f},{r:.2f}")
