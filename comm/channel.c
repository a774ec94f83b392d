/* channel.c: the binary signal channel (CommChannel) and what agents receive from it.
 *
 * Contract: one buffer of the bits emitted last step; emit replaces it and receive reads it, so
 * within a step receive-then-emit delivers each emission exactly one step later (see comm.h for
 * the protocol and the exact message layout). The nearest-neighbour slots are chosen by repeated
 * minimum scans over a receiver's neighbour list, so neither call allocates or needs scratch.
 */
#include <stdlib.h>
#include <string.h>

#include "comm.h"

int comm_channel_init(CommChannel *c, int n_max, int bits, EnvError *err) {
    memset(c, 0, sizeof *c);
    if (n_max < 1 || n_max > COMM_GRAPH_MAX_N)
        return env_fail(err, ENV_EINPUT, "comm channel: n_max = %d is out of range; allowed 1..%d",
                        n_max, COMM_GRAPH_MAX_N);
    if (bits < 0 || bits > COMM_MAX_BITS)
        return env_fail(err, ENV_EINPUT, "comm channel: bits = %d is out of range; allowed 0..%d",
                        bits, COMM_MAX_BITS);
    size_t size = (size_t)n_max * (size_t)bits;
    c->sent = calloc(size ? size : 1, 1);
    if (!c->sent)
        return env_fail(err, ENV_ENOMEM, "comm channel: out of memory for %d agents x %d bits",
                        n_max, bits);
    c->n_max = n_max;
    c->bits = bits;
    return 0;
}

void comm_channel_close(CommChannel *c) {
    free(c->sent);
    memset(c, 0, sizeof *c);
}

void comm_channel_reset(CommChannel *c, int n) {
    if (n < 0) n = 0;
    if (n > c->n_max) n = c->n_max;
    c->n = n;
    memset(c->sent, 0, (size_t)c->n_max * (size_t)c->bits);
}

void comm_channel_emit(CommChannel *c, const uint8_t *bits_now) {
    size_t size = (size_t)c->n * (size_t)c->bits;
    for (size_t k = 0; k < size; k++) c->sent[k] = bits_now[k] != 0;
}

int comm_message_size(int bits, int slots) {
    return bits + 1 + slots * (bits + 2);
}

#define CHANNEL_FAST_SLOTS 32

void comm_channel_receive(const CommChannel *c, const CommGraph *g, const int32_t *row,
                          const int32_t *col, int slots, float scale, float *out) {
    const int bits = c->bits, n = g->n;
    if (slots < 0) slots = 0;
    const size_t size = (size_t)comm_message_size(bits, slots);
    if (!(scale > 0.0f)) scale = 1.0f;
    for (int i = 0; i < n; i++) {
        float *restrict o = out + (size_t)i * size;
        const int32_t *nb = g->col + g->row[i];
        const int deg = g->row[i + 1] - g->row[i];
        memset(o, 0, size * sizeof *o);

        /* counts: neighbours that sent each bit, then the neighbour count */
        for (int e = 0; e < deg; e++) {
            const uint8_t *s = c->sent + (size_t)nb[e] * (size_t)bits;
            for (int b = 0; b < bits; b++) o[b] += (float)s[b];
        }
        o[bits] = (float)deg;

        /* slots: the nearest neighbours in (distance, index) order. Up to CHANNEL_FAST_SLOTS
         * slots, one pass keeps the best so far by insertion (neighbours come in ascending index,
         * so a strict comparison keeps the lower index on ties); beyond, a minimum scan each */
        int filled = slots < deg ? slots : deg;
        int64_t top_d[CHANNEL_FAST_SLOTS];
        int top_j[CHANNEL_FAST_SLOTS];
        if (filled > 0 && filled <= CHANNEL_FAST_SLOTS) {
            int have = 0;
            for (int e = 0; e < deg; e++) {
                int j = nb[e];
                int64_t dr = (int64_t)row[j] - row[i], dc = (int64_t)col[j] - col[i];
                int64_t dj = dr * dr + dc * dc;
                if (have == filled && dj >= top_d[have - 1]) continue;
                int at = have < filled ? have++ : have - 1;
                while (at > 0 && top_d[at - 1] > dj) {
                    top_d[at] = top_d[at - 1];
                    top_j[at] = top_j[at - 1];
                    at--;
                }
                top_d[at] = dj;
                top_j[at] = j;
            }
        }
        int64_t cur_d = -1;
        int cur_j = -1;
        for (int s = 0; s < filled; s++) {
            int best_j = -1;
            if (filled <= CHANNEL_FAST_SLOTS) {
                best_j = top_j[s];
            } else {
                int64_t best_d = 0;
                for (int e = 0; e < deg; e++) {
                    int j = nb[e];
                    int64_t dj = comm_dist2(row, col, i, j);
                    if (dj < cur_d || (dj == cur_d && j <= cur_j)) continue; /* already placed */
                    if (best_j < 0 || dj < best_d || (dj == best_d && j < best_j)) {
                        best_d = dj;
                        best_j = j;
                    }
                }
                cur_d = best_d;
                cur_j = best_j;
            }
            float *slot = o + bits + 1 + (size_t)s * (size_t)(bits + 2);
            const uint8_t *sj = c->sent + (size_t)best_j * (size_t)bits;
            for (int b = 0; b < bits; b++) slot[b] = (float)sj[b];
            slot[bits] = (float)(row[best_j] - row[i]) / scale;
            slot[bits + 1] = (float)(col[best_j] - col[i]) / scale;
        }
    }
}
