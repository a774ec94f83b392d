#!/usr/bin/env bash
# A silent team against a signalling team on sparse, patchy plastic (preset ocean-patchy).
# Both teams run the same scripted vessels; the silent team never signals and ignores what it
# hears (policy greedy), the signalling team signals while it sees a stack of 4 or more units
# and, with no plastic in view, heads for the nearest vessel it heard signal (policy coop).
# Writes results.csv (one row per episode), summary.csv (means with 95% confidence intervals)
# and plot.png. Usage: experiments/ocean_signal/run.sh [SEEDS] (default 30).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
bin="$root/build/commons"
seeds="${1:-30}"
[ -x "$bin" ] || { echo "build first: make -C $root build" >&2; exit 1; }
out="$here/results.csv"
tmp="$out.tmp"
echo "condition,seed,collected,spawned,beached,fraction,efficiency,equality,signals" > "$tmp"
for cond in silent signalling; do
  policy=greedy
  [ "$cond" = signalling ] && policy=coop
  for seed in $(seq 1 "$seeds"); do
    "$bin" run --env ocean-patchy --policy "$policy" --seed "$seed" --episodes 1 --json |
      /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
e = d["episodes"][0]
p = e["plastic"]
print("%s,%s,%d,%d,%d,%.6f,%.6f,%.6f,%d" % (sys.argv[1], sys.argv[2], p["collected"],
      p["spawned"], p["beached"], p["collected"] / p["spawned"], e["efficiency"],
      e["equality"], e["signals"]))' "$cond" "$seed" >> "$tmp"
  done
done
mv "$tmp" "$out"
/usr/bin/python3 "$here/analyze.py" "$out" "$here/summary.csv" "$here/plot.png"
