#!/usr/bin/env bash
# Training throughput of commons against the same network and PPO settings in PyTorch, back to
# back on this machine: three alternating rounds, each one process with one thread (OpenBLAS set
# to one thread by commons; torch.set_num_threads(1)). Prints agent-steps per second of every
# round, the medians and their ratio.
# Usage: bench/compare.sh [BUILD_DIR] [CONFIG]   (default build, experiments/ppo/harvest.ini)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
config=${2:-experiments/ppo/harvest.ini}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ours=() theirs=()
for round in 1 2 3; do
  # 30 updates of commons (inference, worlds and updates), 6 timed updates of PyTorch
  "$build/commons" train "$config" --set train.steps=61440 --out "$tmp/r$round" >"$tmp/log" 2>&1
  rate=$(sed -n 's/.*: \([0-9,]*\) agent-steps\/s (rollouts.*/\1/p' "$tmp/log" | tr -d ,)
  ours+=("$rate")
  line=$(/usr/bin/python3 bench/ppo_torch.py "$config" --updates 6 --threads 1)
  trate=$(echo "$line" | sed -n 's/.* = \([0-9]*\) agent-steps\/s.*/\1/p')
  theirs+=("$trate")
  echo "round $round: commons $rate agent-steps/s, torch $trate agent-steps/s"
done
echo "$line"
med() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
m1=$(med "${ours[@]}") m2=$(med "${theirs[@]}")
echo "median: commons $m1, torch $m2 agent-steps/s; ratio $(awk "BEGIN {printf \"%.2f\", $m1 / $m2}")"
