/* dist.h: the processes of a run: MPI when the program was launched by mpirun or srun, one
 * process otherwise. sim/dist.c is the only file that includes mpi.h; everything else calls this.
 *
 * Contract:
 * - sim_dist_init() starts MPI only under a launcher (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK or
 *   SLURM_STEP_NUM_TASKS in the environment); a plain `commons` is one rank and never touches MPI.
 *   A build without MPI launched as several ranks is refused (ENV_EINPUT) with what is missing.
 * - Work is split by global index, never by rank: shards in equal contiguous blocks (a count that
 *   does not divide the shards is refused, naming the key and where it came from), episodes dealt
 *   round the ranks. Results are gathered to rank 0 in global order, so what rank 0 prints or
 *   writes is what one process would.
 * - The reduction hook (sim_dist_reduce) follows agents/ppo.h's PpoReduce: each rank presums the
 *   whole subtrees inside its block (ppo_tree_presum_*), the subtree sums are exchanged, and the
 *   tree is finished with the bits of one process on every rank. Large vectors (gradients) are
 *   finished slice by slice: rank q receives slice q of every subtree sum (an all-to-all), sums
 *   it, and the slices are gathered by all (an all-gather); per sum a rank sends and receives about
 *   (its subtree count + 1) x n values. Small vectors (statistics) are gathered whole by all.
 * - Every collective waits under a watchdog: a process of the same host that has died is named
 *   within a second, and a wait longer than the timeout (COMMONS_DIST_TIMEOUT seconds, default
 *   300) ends the run; either way the run is aborted (MPI_Abort) with a message on stderr naming
 *   the rank. MPI errors are returned (MPI_ERRORS_RETURN) and end the run the same way. A process
 *   killed outright is also seen by the launcher (mpirun ends the job; srun with -K).
 * - Collectives must be called by every rank in the same order with the same sizes.
 */
#ifndef COMMONS_SIM_DIST_H
#define COMMONS_SIM_DIST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "ppo.h"

typedef struct SimDist {
    int rank, size;
    int mpi;        /* 1 when MPI was started */
    double timeout; /* seconds a collective may wait */
    /* set by the caller's signal handler (SIGTERM, SIGINT) when not NULL; read by the training
     * loop, which stops every rank at the same update */
    volatile sig_atomic_t *stop;
    int quiet_fd; /* stderr saved while a rank other than 0 is quiet, else -1 */
    /* the sums over ranks so far (the hook): calls, bytes this rank sent, seconds in them
     * (exchanging, and waiting for the slowest rank) */
    int64_t sum_calls, sum_bytes;
    double sum_seconds;
    void *impl; /* buffers of the reduction and the peers' pids (dist.c) */
} SimDist;

/* 1 when this build has MPI. */
int sim_dist_available(void);

/* Starts the processes of the run (see above); argc, argv may be given to MPI_Init. */
int sim_dist_init(SimDist *d, int *argc, char ***argv, EnvError *err);
/* Ends MPI (collective); a one-process SimDist is just cleared. */
void sim_dist_close(SimDist *d);
/* Ends every process of the run with code (MPI_Abort) when there are several; returns at once
 * with one (the caller returns its code). For failures in the middle of distributed work, where
 * the other ranks would otherwise wait for this one. */
void sim_dist_abort(SimDist *d, int code);

/* Ranks other than 0 send stderr to /dev/null until sim_dist_speak(): every rank reads the same
 * input and reaches the same verdict, so input errors are printed once, by rank 0. */
void sim_dist_quiet(SimDist *d);
void sim_dist_speak(SimDist *d);

/* This rank's block of total shards: first, count. ENV_EINPUT when size does not divide total,
 * with a message naming key (e.g. "train.shards"), where it was set and the counts that work. */
int sim_dist_block(const SimDist *d, int total, const char *key, const char *where, int *first,
                   int *count, EnvError *err);
/* Items dealt like cards: of n items, this rank takes rank, rank + size, rank + 2 size, ...
 * (items of unequal cost, such as one policy's episodes after another's, balance out); returns
 * how many. */
int64_t sim_dist_deal(const SimDist *d, int64_t n);
/* The global index of this rank's k-th dealt item. */
int64_t sim_dist_dealt(const SimDist *d, int64_t k);
/* Gathers every rank's dealt items (sim_dist_deal(d, n) of `item` bytes each, in its order) to
 * rank 0 in global item order: *all (malloc'd, n items) on rank 0, NULL elsewhere. */
int sim_dist_gather_dealt(SimDist *d, const void *mine, size_t item, int64_t n, void **all,
                          EnvError *err);

/* The PpoReduce hook over the ranks' blocks; the plain tree for one process. */
PpoReduce sim_dist_reduce(SimDist *d);

/* Gathers each rank's bytes to rank 0, concatenated in rank order: *all (malloc'd, free it) and
 * *n_all on rank 0, NULL and 0 elsewhere. With one process *all is a copy. */
int sim_dist_gather(SimDist *d, const void *mine, size_t n, void **all, size_t *n_all,
                    EnvError *err);
/* The same bytes on every rank as on rank 0. */
int sim_dist_bcast(SimDist *d, void *buf, size_t n, EnvError *err);
/* Every rank's value of x in rank order (size values) on every rank. */
int sim_dist_allgather_f64(SimDist *d, double x, double *all, EnvError *err);
/* The smallest value of x over the ranks (a verdict all agree on: 0 or the worst error code),
 * and the largest (a flag any rank may raise). */
int sim_dist_min(SimDist *d, int x);
int sim_dist_max(SimDist *d, int x);
void sim_dist_barrier(SimDist *d);

/* Seconds since some fixed point, the same clock on every rank of a host. */
double sim_dist_now(void);

#endif
