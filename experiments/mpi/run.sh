#!/usr/bin/env bash
# The MPI measurements of the README (section "Many processes: MPI"), on this machine:
#   1. training weak scaling: per process 8 Harvest worlds (weak.ini), 1 process against 2
#      (16 worlds), REPEAT pairs in turn; `commons train`'s agent-steps/s per process;
#   2. the sums over ranks at 2, 3 and 4 ranks (3 and 4 oversubscribed on 2 cores): seconds,
#      calls and bytes sent per rank, from train's summary;
#   3. `commons compare` (harvest, greedy and coop, EPISODES episodes each) in one process and
#      over 2, wall time of the whole command (mpirun's start included), REPEAT pairs in turn.
# Usage: experiments/mpi/run.sh [REPEAT] [EPISODES]   (from the repository root, after make)
set -euo pipefail
cd "$(dirname "$0")/../.."
repeat=${1:-5}
episodes=${2:-400}
commons=build/commons
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OPENBLAS_NUM_THREADS=1
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s (range %s..%s)", m, a[1], a[NR]}'; }
rate() { grep -o '[0-9,]* agent-steps/s per process' | head -1 | tr -d ',' | cut -d' ' -f1; }

echo "== training weak scaling (experiments/mpi/weak.ini), $repeat pairs"
for i in $(seq "$repeat"); do
  rm -rf "$out/w1" "$out/w2"
  one=$("$commons" train experiments/mpi/weak.ini --out "$out/w1" 2>/dev/null |
        grep '^done' | sed 's/.* s: \([0-9,]*\) agent-steps.s.*/\1/' | tr -d ,)
  two=$(mpirun -np 2 --bind-to core "$commons" train experiments/mpi/weak.ini --out "$out/w2" \
        --set train.worlds=16 --set train.shards=16 --set train.steps=81920 2>/dev/null | rate)
  echo "pair $i: one process $one, two processes $two per process: $(echo "scale=3; $two / $one" | bc)"
  echo "$one" >> "$out/one"; echo "$two" >> "$out/two"; echo "scale=4; $two / $one" | bc >> "$out/eff"
done
echo "one process: $(median < "$out/one") agent-steps/s"
echo "two processes: $(median < "$out/two") agent-steps/s per process"
echo "efficiency: $(median < "$out/eff")"

echo "== the sums over ranks (weak.ini, R x 8 worlds)"
for R in 2 3 4; do
  rm -rf "$out/s$R"
  mpirun -np "$R" --oversubscribe "$commons" train experiments/mpi/weak.ini --out "$out/s$R" \
    --set train.worlds=$((8 * R)) --set train.shards=$((8 * R)) --set train.steps=$((40960 * R)) \
    2>/dev/null | grep 'processes:'
done

echo "== compare, $episodes episodes each of greedy and coop, $repeat pairs"
for i in $(seq "$repeat"); do
  t0=$(date +%s.%N); "$commons" compare --episodes "$episodes" > "$out/c1"; t1=$(date +%s.%N)
  mpirun -np 2 --bind-to core "$commons" compare --episodes "$episodes" > "$out/c2"; t2=$(date +%s.%N)
  cmp -s "$out/c1" "$out/c2" || { echo "compare printed other bytes on 2 processes"; exit 1; }
  s=$(echo "scale=3; ($t1 - $t0) / ($t2 - $t1)" | bc)
  echo "pair $i: one process $(echo "$t1 - $t0" | bc) s, two $(echo "$t2 - $t1" | bc) s: ${s}x"
  echo "$s" >> "$out/speed"
done
echo "speed-up: $(median < "$out/speed")x (the same bytes)"
