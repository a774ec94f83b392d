#!/usr/bin/env bash
# Training throughput of commons against the same network and PPO settings in PyTorch, back to
# back on this machine: three alternating rounds, both sides pinned to one core (taskset -c 0),
# one thread each (commons: one OpenBLAS thread; torch.set_num_threads(1)), the same span timed:
# one warm-up update, then 6 timed updates of rollouts (inference and worlds), GAE and the
# epochs x minibatches of the config (`commons bench --train`, bench/ppo_torch.py). Prints
# agent-steps per second of every round, the medians and their ratio.
# Usage: bench/compare.sh [BUILD_DIR] [CONFIG]   (default build, experiments/ppo/harvest.ini)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
config=${2:-experiments/ppo/harvest.ini}
pin=(taskset -c 0)
command -v taskset >/dev/null || pin=()
ours=() theirs=()
for round in 1 2 3; do
  log=$("${pin[@]}" "$build/commons" bench --train "$config" --repeat 6)
  rate=$(echo "$log" | sed -n 's/.* = \([0-9]*\) agent-steps\/s$/\1/p')
  ours+=("$rate")
  line=$("${pin[@]}" /usr/bin/python3 bench/ppo_torch.py "$config" --updates 6 --threads 1)
  trate=$(echo "$line" | sed -n 's/.* = \([0-9]*\) agent-steps\/s.*/\1/p')
  theirs+=("$trate")
  echo "round $round: commons $rate agent-steps/s, torch $trate agent-steps/s"
done
echo "$log" | head -1
echo "$line"
med() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
m1=$(med "${ours[@]}") m2=$(med "${theirs[@]}")
echo "median: commons $m1, torch $m2 agent-steps/s; ratio $(awk "BEGIN {printf \"%.2f\", $m1 / $m2}")"
