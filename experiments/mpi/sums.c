/* sums.c: what one sum over ranks costs (the PpoReduce hook of sim/dist.h), apart from training.
 *
 *   mpirun -np R build/mpi_sums [FLOATS] [SHARDS_PER_RANK] [REPEATS]
 *
 * Each rank holds SHARDS_PER_RANK chunks of FLOATS floats (default 250,000, the Harvest network's
 * gradient; 8 shards; 200 repeats); every repeat starts at a barrier (so that no rank waits for a
 * slower one) and times one f32 sum and one sum of 24 doubles (the logged statistics). Rank 0
 * prints the median and range over repeats of the slowest rank's time, and the bytes each rank
 * sends per sum. A main in experiments/: it exits on errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* times[reps]: the slowest rank's time of each repeat (on rank 0), then its median and range */
static void report(SimDist *d, const char *what, double *mine, int reps, double bytes) {
    double *all = malloc(sizeof(double) * (size_t)d->size), *slow = malloc(sizeof(double) * reps);
    EnvError err;
    for (int r = 0; r < reps; r++) {
        sim_dist_allgather_f64(d, mine[r], all, &err);
        slow[r] = 0;
        for (int q = 0; q < d->size; q++) slow[r] = all[q] > slow[r] ? all[q] : slow[r];
    }
    qsort(slow, (size_t)reps, sizeof *slow, cmp);
    if (d->rank == 0)
        printf("%d ranks, %-22s median %8.1f us (range %.1f..%.1f), %.2f MB sent per rank\n",
               d->size, what, 1e6 * slow[reps / 2], 1e6 * slow[0], 1e6 * slow[reps - 1],
               bytes / 1e6);
    free(all), free(slow);
}

int main(int argc, char **argv) {
    SimDist d;
    EnvError err;
    if (sim_dist_init(&d, &argc, &argv, &err)) {
        fprintf(stderr, "mpi_sums: %s\n", err.msg);
        return 2;
    }
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 250000;
    int per = argc > 2 ? atoi(argv[2]) : 8, reps = argc > 3 ? atoi(argv[3]) : 200;
    int total = per * d.size, first = d.rank * per;
    float *buf = malloc(sizeof(float) * n * (size_t)per), *out = malloc(sizeof(float) * n);
    float **chunks = malloc(sizeof(float *) * (size_t)per);
    double *dbuf = malloc(sizeof(double) * 24 * (size_t)per), dout[24];
    double **dchunks = malloc(sizeof(double *) * (size_t)per);
    double *t32 = malloc(sizeof(double) * (size_t)reps),
           *t64 = malloc(sizeof(double) * (size_t)reps);
    PpoReduce h = sim_dist_reduce(&d);
    for (int r = -10; r < reps; r++) {
        for (size_t i = 0; i < n * (size_t)per; i++) buf[i] = (float)(i % 1000) * 1e-3f;
        for (int k = 0; k < per; k++) chunks[k] = buf + (size_t)k * n, dchunks[k] = dbuf + 24 * k;
        for (int i = 0; i < 24 * per; i++) dbuf[i] = i;
        sim_dist_barrier(&d);
        int64_t b0 = d.sum_bytes;
        double t0 = sim_dist_now();
        h.sum_f32(h.ctx, chunks, first, per, total, n, out);
        double t1 = sim_dist_now();
        int64_t b1 = d.sum_bytes;
        sim_dist_barrier(&d);
        double t2 = sim_dist_now();
        h.sum_f64(h.ctx, dchunks, first, per, total, 24, dout);
        double t3 = sim_dist_now();
        if (r < 0) continue;
        t32[r] = t1 - t0, t64[r] = t3 - t2;
        if (r == reps - 1) {
            char what[64];
            snprintf(what, sizeof what, "%zu floats:", n);
            report(&d, what, t32, reps, (double)(b1 - b0));
            report(&d, "24 doubles:", t64, reps, (double)(d.sum_bytes - b1));
        }
    }
    free(buf), free(out), free(chunks), free(dbuf), free(dchunks), free(t32), free(t64);
    sim_dist_close(&d);
    return 0;
}
