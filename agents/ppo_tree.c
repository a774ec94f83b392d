/* ppo_tree.c: the sums across shards: the fixed pairwise tree over global shard index, its
 * subtrees for a holder of a range of shards, and the in-process reduction (see ppo.h, "The sums
 * across shards").
 */
#include <string.h>

#include "nn.h"
#include "ppo.h"

/* The tree: at step 1, 2, 4, ... chunk i (a multiple of 2 step) adds chunk i + step, in place.
 * A NULL chunk lies inside a subtree already summed into that subtree's first chunk: the pairs
 * inside such a subtree are skipped, so its sum enters the tree where its root would have. */
void ppo_tree_sum_f32(float *const *chunks, int n_chunks, size_t n, float *out) {
    int last = 1; /* the last step: its one pair (chunk 0 and chunk last) writes into out */
    while (2 * last < n_chunks) last *= 2;
    for (int step = 1; step < last; step *= 2)
        for (int i = 0; i + step < n_chunks; i += 2 * step) {
            if (chunks[i + step]) nn_add(chunks[i], chunks[i + step], n);
        }
    if (n_chunks > 1 && chunks[last])
        nn_add_to(out, chunks[0], chunks[last], n);
    else if (out != chunks[0])
        memcpy(out, chunks[0], sizeof(float) * n);
}

void ppo_tree_sum_f64(double *const *chunks, int n_chunks, size_t n, double *out) {
    for (int step = 1; step < n_chunks; step *= 2)
        for (int i = 0; i + step < n_chunks; i += 2 * step) {
            double *restrict a = chunks[i];
            const double *restrict b = chunks[i + step];
            if (!b) continue;
            for (size_t k = 0; k < n; k++) a[k] += b[k];
        }
    if (out != chunks[0]) memcpy(out, chunks[0], sizeof(double) * n);
}

int ppo_tree_cover(int first, int count, int total, int *start, int *size) {
    int n = 0, end = first + count;
    for (int pos = first; pos < end; n++) {
        /* the largest aligned block at pos (clipped to total) that ends inside the range */
        int span = 1;
        while (span < total && pos % (2 * span) == 0 &&
               (pos + 2 * span < total ? pos + 2 * span : total) <= end)
            span *= 2;
        int stop = pos + span < total ? pos + span : total;
        start[n] = pos;
        size[n] = stop - pos;
        pos = stop;
    }
    return n;
}

int ppo_tree_presum_f32(float *const *chunks, int first, int count, int total, size_t n,
                        int *start) {
    int size[PPO_TREE_MAX_NODES];
    int nodes = ppo_tree_cover(first, count, total, start, size);
    for (int j = 0; j < nodes; j++) {
        float *const *c = chunks + (start[j] - first);
        ppo_tree_sum_f32(c, size[j], n, c[0]);
    }
    return nodes;
}

int ppo_tree_presum_f64(double *const *chunks, int first, int count, int total, size_t n,
                        int *start) {
    int size[PPO_TREE_MAX_NODES];
    int nodes = ppo_tree_cover(first, count, total, start, size);
    for (int j = 0; j < nodes; j++) {
        double *const *c = chunks + (start[j] - first);
        ppo_tree_sum_f64(c, size[j], n, c[0]);
    }
    return nodes;
}

void ppo_reduce_local_f32(void *ctx, float *const *chunks, int first_shard, int n_shards,
                          int total_shards, size_t n, float *out) {
    (void)ctx, (void)first_shard, (void)total_shards;
    ppo_tree_sum_f32(chunks, n_shards, n, out);
}

void ppo_reduce_local_f64(void *ctx, double *const *chunks, int first_shard, int n_shards,
                          int total_shards, size_t n, double *out) {
    (void)ctx, (void)first_shard, (void)total_shards;
    ppo_tree_sum_f64(chunks, n_shards, n, out);
}
