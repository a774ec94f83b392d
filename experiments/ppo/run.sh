#!/usr/bin/env bash
# Trains the presets (gathering, harvest) on seeds 1 2 3, evaluates every run on 10 episodes
# beside the scripted baselines, and draws the learning curves and the results table into
# experiments/ppo/results/ (matplotlib: /usr/bin/python3 with python3-matplotlib).
# Usage: experiments/ppo/run.sh [BUILD_DIR] [PRESET...]     (runs go to runs/experiments/)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
shift || true
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(gathering harvest)
mkdir -p runs/experiments
for preset in "${presets[@]}"; do
  for seed in 1 2 3; do
    out=runs/experiments/$preset-seed$seed
    rm -rf "$out"
    "$build/commons" train "experiments/ppo/$preset.ini" --seed "$seed" --out "$out" \
      2>&1 | tee "runs/experiments/$preset-seed$seed.log"
    "$build/commons" eval "$out" --episodes 10 --baselines --json > "$out/eval.json"
  done
done
/usr/bin/python3 experiments/ppo/plot.py runs/experiments experiments/ppo/results
