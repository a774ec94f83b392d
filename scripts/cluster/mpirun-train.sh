#!/usr/bin/env bash
# `commons train` (or `--resume RUN_DIR`) under mpirun: one rank per core, one BLAS thread each.
#
#   scripts/cluster/mpirun-train.sh RANKS [HOSTFILE] -- train CONFIG.ini --out RUN_DIR
#
# RANKS must divide train.shards. Without a hostfile the ranks run on this machine; more ranks
# than cores needs --oversubscribe (added then), and --bind-to core is dropped (it would stack
# ranks on the same cores). As root, Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 and
# OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (set here when root). A SIGTERM to mpirun reaches every rank:
# they stop after the update in progress with a checkpoint.
set -euo pipefail
ranks=${1:?usage: mpirun-train.sh RANKS [HOSTFILE] -- COMMONS-ARGS...}
shift
hostfile=""
if [ "${1:-}" != "--" ] && [ $# -gt 0 ]; then hostfile=$1; shift; fi
[ "${1:-}" = "--" ] && shift
commons=${COMMONS:-$(dirname "$0")/../../build/commons}
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
opts=(-np "$ranks" -x OPENBLAS_NUM_THREADS=1 -x OMP_NUM_THREADS=1)
if [ -n "$hostfile" ]; then
  opts+=(--hostfile "$hostfile" --bind-to core --map-by core)
elif [ "$ranks" -gt "$(nproc)" ]; then
  opts+=(--oversubscribe --bind-to none)
else
  opts+=(--bind-to core --map-by core)
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
exec mpirun "${opts[@]}" "$commons" "$@"
