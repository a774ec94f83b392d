#!/usr/bin/env bash
# Harvest and Cleanup as social dilemmas (Hughes et al. 2018), N = 5: Schelling diagrams of
#   1. scripted cooperators against scripted defectors (coop or gallego against greedy), and
#   2. trained ones: for each game, short PPO runs from experiments/schelling/GAME.ini (250k
#      environment steps each, one core): with individual rewards (the defector), and with
#      inequity-averse rewards (rewards.inequity = on) or the group's reward
#      (rewards.share = global) (two kinds of cooperator).
# Every diagram plays 6 compositions x 50 seeds of 1000 steps. Results (the printed table, the
# CSV files and schelling.png per diagram, wall times) go to experiments/schelling/results/;
# runs go to runs/schelling/ (a run with a checkpoint there is kept, not trained again).
# Usage: experiments/schelling/run.sh [BUILD_DIR] [scripted|trained|all]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
part=${2:-all}
res=experiments/schelling/results
mkdir -p "$res" runs/schelling
start=$(date +%s)
touch "$res/wall_time.txt"

# one diagram: NAME then the options of commons schelling
diagram() {
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  mkdir -p "$res/$name"
  "$build/commons" schelling --seeds 50 --out "$res/$name" "$@" | tee "$res/$name/table.txt"
  echo "$name: $(($(date +%s) - t0)) s (commons schelling $*)" >> "$res/wall_time.txt"
}

if [ "$part" = scripted ] || [ "$part" = all ]; then
  diagram harvest-scripted --env harvest --coop coop --defect greedy
  diagram cleanup-scripted --env cleanup --coop coop --defect greedy
  diagram cleanup-gallego --env cleanup --coop gallego --defect greedy
fi

if [ "$part" = trained ] || [ "$part" = all ]; then
  for game in harvest cleanup; do
    for kind in selfish inequity shared; do
      out=runs/schelling/$game-$kind
      set_args=()
      [ "$kind" = inequity ] && set_args=(--set rewards.inequity=on)
      [ "$kind" = shared ] && set_args=(--set rewards.share=global)
      if [ ! -f "$out/checkpoint.ckpt" ]; then
        rm -rf "$out"
        t0=$(date +%s)
        "$build/commons" train "experiments/schelling/$game.ini" --seed 1 "${set_args[@]}" \
          --out "$out" > "runs/schelling/$game-$kind.log" 2>&1
        echo "train $game-$kind: $(($(date +%s) - t0)) s" >> "$res/wall_time.txt"
      else
        echo "train $game-$kind: kept from an earlier run, which took" \
          "$(grep -o 'agent-steps in [0-9.]* s' "runs/schelling/$game-$kind.log" | tail -1 | sed 's/agent-steps in //')" \
          >> "$res/wall_time.txt"
      fi
      "$build/commons" eval "$out" --episodes 10 > "$res/eval-$game-$kind.txt"
    done
    # cooperators trained with inequity aversion or the group's reward, against selfish
    # defectors, in the world the cooperators were trained in (rewards keys do not change returns)
    for kind in inequity shared; do
      diagram "$game-$kind" --coop "runs/schelling/$game-$kind" \
        --defect "runs/schelling/$game-selfish"
    done
  done
fi
echo "total ($part): $(($(date +%s) - start)) s" >> "$res/wall_time.txt"
cat "$res/wall_time.txt"
/usr/bin/python3 experiments/schelling/summary.py "$res" > "$res/summary.md"
cat "$res/summary.md"
