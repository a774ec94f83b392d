#!/usr/bin/env bash
# Gathering aggression against scarcity (Leibo et al. 2017; issue 14 item 5): PPO agents of
# experiments/ppo/gathering.ini (gathering-small, 2 agents, shared parameters) trained for
# STEPS environment steps at each apple respawn time apples.respawn_steps (the scarcity: an
# eaten apple returns that many steps later), SEEDS seeds each, one training at a time. Each
# trained pair then plays 10 episodes of 1000 steps in its own world (commons run --policy
# RUN/ --episodes 10 --json); analyze.py writes results.csv (one row per episode), summary.csv
# (per respawn time: beams fired per step and peace, mean over seeds with a 95% t interval over
# the seeds) and plot.png.
# Usage: experiments/aggression/run.sh [BUILD_DIR] [SEEDS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
nseeds=${2:-8}
steps=${3:-300000}
respawns=(5 25 100 400)
res=experiments/aggression
runs=runs/aggression
mkdir -p "$runs"
start=$(date +%s)
: > "$res/wall_time.txt"
for rs in "${respawns[@]}"; do
  for seed in $(seq 1 "$nseeds"); do
    out=$runs/respawn-$rs-$seed
    if [ ! -f "$out/checkpoint.ckpt" ]; then
      rm -rf "$out"
      t1=$(date +%s.%N)
      "$build/commons" train experiments/ppo/gathering.ini --seed "$seed" \
        --set train.steps="$steps" --set train.checkpoint_every=0 \
        --set apples.respawn_steps="$rs" --out "$out" > "$out.log" 2>&1
      printf 'train respawn %s seed %s: %.1f s\n' "$rs" "$seed" "$(echo "$(date +%s.%N) - $t1" | bc)" >> "$res/wall_time.txt"
    fi
    "$build/commons" run --policy "$out/" --episodes 10 --json > "$out/eval.json"
  done
done
echo "total: $(($(date +%s) - start)) s" >> "$res/wall_time.txt"
/usr/bin/python3 "$res/analyze.py" "$runs" "$res" "$nseeds" "${respawns[@]}"
cat "$res/wall_time.txt" "$res/summary.csv"
