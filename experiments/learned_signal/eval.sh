#!/usr/bin/env bash
# Evaluates every trained team of run.sh (10 episodes each, seeds 1001..1010, in the world it was
# trained in) and the scripted reference teams on the same seeds: one JSON per run (eval/), then
# results.csv, summary.csv and the plots (analyze.py).
# Usage: experiments/learned_signal/eval.sh [SEEDS] [WORLDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../build/commons"
seeds="${1:-10}"
worlds="${2:-ocean-patchy ocean}"
episodes=10
mkdir -p "$here/eval"
for world in $worlds; do
  for team in silent signal differentiable; do
    for seed in $(seq 1 "$seeds"); do
      run="$here/runs/$world/$team/$seed"
      out="$here/eval/$world-$team-$seed.json"
      [ -f "$run/checkpoint.ckpt" ] || continue
      [ -f "$out" ] || { "$bin" run --config "$run/world.ini" --policy "$run/checkpoint.ckpt" \
        --seed 1001 --episodes "$episodes" --json > "$out.tmp" && mv "$out.tmp" "$out"; }
      # the signalling measures and the channel ablation (teams that have a channel)
      [ "$team" = silent ] || [ -f "${out%.json}.measures" ] || {
        "$bin" eval "$run" --episodes "$episodes" --seed 1001 --json > "$out.m.tmp" &&
          mv "$out.m.tmp" "${out%.json}.measures"; }
    done
  done
  # the scripted reference: silent greedy vessels and the signalling coop team, same seeds
  case "$world" in ocean-patchy-*) continue ;; esac
  for policy in greedy coop; do
    out="$here/eval/$world-scripted-$policy.json"
    [ -f "$out" ] && continue
    "$bin" run --env "$world" --policy "$policy" --seed 1001 --episodes "$episodes" --json \
      > "$out.tmp" && mv "$out.tmp" "$out"
  done
done
/usr/bin/python3 "$here/analyze.py" "$here"
