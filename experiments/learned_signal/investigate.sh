#!/usr/bin/env bash
# Why do learned signals not help (run.sh)? Two variations of the headline on ocean-patchy, each
# against its own silent team, evaluated like run.sh (eval.sh's measures):
#   shared    learning rewards shared by the team (rewards.share = global): a vessel that calls
#             the others to a patch gains from what they collect; SEEDS seeds per team
#   long      4x the training (1.2M environment steps); LONG_SEEDS seeds per team
# Usage: experiments/learned_signal/investigate.sh [SEEDS] [LONG_SEEDS] (defaults 5, 2)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../../build/commons"
seeds="${1:-5}"
long_seeds="${2:-2}"
export OPENBLAS_NUM_THREADS=1
start=$(date +%s)
signal="--set gnn.rounds=1 --set gnn.aggregate=mean --set gnn.mode=signal"
silent="--set comm.topology=none --set comm.signal_bits=0"
train() { # variant team seed keys...
  local out="$here/runs/ocean-patchy-$1/$2/$3"; shift 3
  [ -f "$out/checkpoint.ckpt" ] || "$bin" train "$here/train.ini" --env ocean-patchy "$@" \
    --out "$out" > /dev/null
}
for seed in $(seq 1 "$seeds"); do
  train shared silent "$seed" --seed "$seed" $silent --set rewards.share=global
  train shared signal "$seed" --seed "$seed" $signal --set rewards.share=global
done
for seed in $(seq 1 "$long_seeds"); do
  train long silent "$seed" --seed "$seed" $silent --set train.steps=1200000
  train long signal "$seed" --seed "$seed" $signal --set train.steps=1200000
done
echo "training wall time: $(( $(date +%s) - start )) s"
"$here/eval.sh" "$seeds" "ocean-patchy-shared ocean-patchy-long"
echo "total wall time: $(( $(date +%s) - start )) s"
