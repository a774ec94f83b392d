#!/usr/bin/env bash
# Learned communication on the ocean: silent teams against teams that learn to signal, trained
# with PPO from the same settings (train.ini), SEEDS seeds per team, on ocean-patchy and ocean.
#   silent          no channel (comm.topology = none, no signal bits): own view and position only
#   signal          the paper's setting: one bit a step as an action head, heard at the next step
#                   through the world's channel, read by a GNN layer (gnn.mode = signal)
#   differentiable  the GNN exchanges bits within the step and the listener's loss trains the
#                   speaker (gnn.mode = differentiable, noisy-sigmoid gradient)
# Then every trained team is evaluated (eval.sh) and summarised (analyze.py).
# Usage: experiments/learned_signal/run.sh [SEEDS] [WORLDS] [JOBS]
#        (defaults: 10, "ocean-patchy ocean", 2 parallel trainings)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../build/commons"
seeds="${1:-10}"
worlds="${2:-ocean-patchy ocean}"
jobs="${3:-2}"
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
start=$(date +%s)
team_keys() {
  case "$1" in
    silent) echo "--set comm.topology=none --set comm.signal_bits=0" ;;
    signal) echo "--set gnn.rounds=1 --set gnn.aggregate=mean --set gnn.mode=signal" ;;
    differentiable) echo "--set gnn.rounds=1 --set gnn.aggregate=mean --set gnn.mode=differentiable --set gnn.estimator=sigmoid --set gnn.noise=0.5" ;;
  esac
}
list="$(mktemp)"
for world in $worlds; do
  for team in silent signal differentiable; do
    for seed in $(seq 1 "$seeds"); do
      out="$here/runs/$world/$team/$seed"
      [ -f "$out/checkpoint.ckpt" ] && continue
      echo "$bin train $here/train.ini --seed $seed --env $world $(team_keys $team) --out $out"
    done
  done
done > "$list"
echo "training $(wc -l < "$list") runs, $jobs at a time"
xargs -P "$jobs" -I{} sh -c '{} > /dev/null 2>&1 || echo "failed: {}"' < "$list"
rm -f "$list"
echo "training wall time: $(( $(date +%s) - start )) s"
"$here/eval.sh" "$seeds" "$worlds"
echo "total wall time: $(( $(date +%s) - start )) s"
