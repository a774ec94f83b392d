#!/usr/bin/env bash
# Gallego 2026's setting (games.md 3.1): 10 agents on the large maps (gathering-large,
# cleanup-gallego), 1000 steps, seeds 0-4, every agent running one scripted policy; the four
# social metrics with 95% confidence intervals. The policy `gallego` is the paper's published
# Cleanup policy (games.md 3.4; average reward 144.0 per agent, efficiency 1.44, in the reference
# code). Writes results.csv (one row per episode) and summary.csv (mean and 95% CI half-width per
# metric), and prints the summary and the wall time.
# Usage: experiments/gallego/run.sh [SEEDS] (default 5: seeds 0..4).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
bin="$root/build/commons"
seeds="${1:-5}"
[ -x "$bin" ] || { echo "build first: make -C $root build" >&2; exit 1; }
start=$(date +%s.%N)
out="$here/results.csv"
tmp="$out.tmp"
echo "env,policy,seed,efficiency,equality,sustainability,peace,reward_per_agent" > "$tmp"
for pair in cleanup-gallego:gallego cleanup-gallego:coop cleanup-gallego:greedy \
            cleanup-gallego:random gathering-large:greedy gathering-large:coop \
            gathering-large:random; do
  env="${pair%%:*}"
  policy="${pair##*:}"
  for seed in $(seq 0 $((seeds - 1))); do
    "$bin" run --env "$env" --agents 10 --steps 1000 --policy "$policy" --seed "$seed" \
        --episodes 1 --json |
      /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
e = d["episodes"][0]
n = len(e["returns"])
print("%s,%s,%s,%.6f,%.6f,%.4f,%.4f,%.2f" % (sys.argv[1], sys.argv[2], sys.argv[3],
      e["efficiency"], e["equality"], e["sustainability"], e["peace"], sum(e["returns"]) / n))
' "$env" "$policy" "$seed" >> "$tmp"
  done
done
mv "$tmp" "$out"
/usr/bin/python3 "$here/analyze.py" "$out" "$here/summary.csv"
end=$(date +%s.%N)
/usr/bin/python3 -c "import sys; print('wall time %.1f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$end"
