#!/usr/bin/env bash
# Information structures on the Tragedy water pool (Pretorius et al. 2020; issue 14 item 4):
# N = 4 valves, regrowth 0.055 (presets/tragedy.ini), PPO from experiments/tragedy/train.ini
# (200k environment steps, one parameter set per slot), 5 seeds per structure:
#   independent  no sharing
#   neighbours   obs.neighbours = 1: each agent's float input also holds the others' level and
#                total taken (agents i+1, i+2, i+3 mod 4)
#   share-0.1    rewards.share = neighbours, alpha 0.1 over the full graph
#   share-1      rewards.share = neighbours, alpha 1 over the full graph
#   global       rewards.share = global (every agent learns from the sum)
#   messages     comm.topology = full, comm.signal_bits = 1: one learned bit a step, heard as
#                the count of neighbours that sent 1 (comm.slots = 0: no per-neighbour slots,
#                so an agent hears the same whatever slot it plays in)
# Then every trained agent (run, slot) is classified by its restraint over 20 episodes in its
# own team (commons run --policy RUN/ --episodes 20 --json): defector D below 0.25, cooperator C
# above 0.35. The C and D agents of a structure, pooled over its seeds (RUN#slot entries), play
# commons schelling (N = 4, compositions of 0..4 cooperators, 50 seeds). A structure without a
# C (or D) agent plays the scripted coop (greedy) policy in its place, and the title says so.
# Results: experiments/infostruct/results/ (agents.csv, STRUCT/ per diagram, summary.md,
# wall_time.txt). Runs: runs/infostruct/ (a run with a checkpoint is kept, not trained again).
# Usage: experiments/infostruct/run.sh [BUILD_DIR] [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
nseeds=${2:-5}
res=experiments/infostruct/results
runs=runs/infostruct
mkdir -p "$res" "$runs"
start=$(date +%s)
: > "$res/wall_time.txt"

structures=(independent neighbours share-0.1 share-1 global messages)
sets() {
  case $1 in
    independent) ;;
    neighbours) echo "--set obs.neighbours=1" ;;
    share-0.1) echo "--set comm.topology=full --set comm.slots=0 --set rewards.share=neighbours --set rewards.alpha=0.1" ;;
    share-1) echo "--set comm.topology=full --set comm.slots=0 --set rewards.share=neighbours --set rewards.alpha=1" ;;
    global) echo "--set rewards.share=global" ;;
    messages) echo "--set comm.topology=full --set comm.signal_bits=1 --set comm.slots=0" ;;
  esac
}

# 1. training, one run at a time
t0=$(date +%s)
for st in "${structures[@]}"; do
  for seed in $(seq 1 "$nseeds"); do
    out=$runs/$st-$seed
    if [ ! -f "$out/checkpoint.ckpt" ]; then
      rm -rf "$out"
      t1=$(date +%s.%N)
      # shellcheck disable=SC2046
      "$build/commons" train experiments/tragedy/train.ini --seed "$seed" $(sets "$st") \
        --out "$out" > "$out.log" 2>&1
      printf 'train %s seed %s: %.1f s\n' "$st" "$seed" "$(echo "$(date +%s.%N) - $t1" | bc)" >> "$res/wall_time.txt"
    fi
  done
done
echo "training (all runs not kept from before): $(($(date +%s) - t0)) s" >> "$res/wall_time.txt"

# 2. restraint of every trained agent in its own team: 20 episodes
t0=$(date +%s)
for st in "${structures[@]}"; do
  for seed in $(seq 1 "$nseeds"); do
    "$build/commons" run --policy "$runs/$st-$seed/" --episodes 20 --json > "$runs/$st-$seed/restraint.json"
  done
done
/usr/bin/python3 experiments/infostruct/classify.py "$runs" "$nseeds" "${structures[@]}" > "$res/agents.csv"
echo "classification (20 episodes x $((${#structures[@]} * nseeds)) teams): $(($(date +%s) - t0)) s" >> "$res/wall_time.txt"

# 3. a Schelling diagram per structure, C and D pooled over seeds
for st in "${structures[@]}"; do
  t0=$(date +%s)
  coop=$(awk -F, -v s="$st" 'NR > 1 && $1 == s && $5 == "C" { printf "%s%s#%s", sep, $3, $4; sep = "," }' "$res/agents.csv")
  defect=$(awk -F, -v s="$st" 'NR > 1 && $1 == s && $5 == "D" { printf "%s%s#%s", sep, $3, $4; sep = "," }' "$res/agents.csv")
  nc=$(awk -F, -v s="$st" 'NR > 1 && $1 == s && $5 == "C"' "$res/agents.csv" | wc -l)
  nd=$(awk -F, -v s="$st" 'NR > 1 && $1 == s && $5 == "D"' "$res/agents.csv" | wc -l)
  title="tragedy, $st: C = $nc trained"
  if [ "$nc" = 0 ]; then coop=coop; title="tragedy, $st: C = scripted coop (no trained C)"; fi
  if [ "$nd" = 0 ]; then defect=greedy; title="$title, D = scripted greedy (no trained D)"; else title="$title, D = $nd trained"; fi
  world=()
  # the structure's own world (a trained side names it; with neither, its first run's)
  if [ "$nc" = 0 ] && [ "$nd" = 0 ]; then world=(--config "$runs/$st-1/world.ini"); fi
  mkdir -p "$res/$st"
  "$build/commons" schelling "${world[@]}" --coop "$coop" --defect "$defect" --seeds 50 \
    --title "$title" --out "$res/$st" > "$res/$st/table.txt"
  echo "schelling $st ($nc C, $nd D): $(($(date +%s) - t0)) s" >> "$res/wall_time.txt"
done
echo "total: $(($(date +%s) - start)) s" >> "$res/wall_time.txt"
/usr/bin/python3 experiments/infostruct/summary.py "$res" "${structures[@]}" > "$res/summary.md"
cat "$res/wall_time.txt" "$res/summary.md"
