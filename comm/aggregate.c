/* aggregate.c: message aggregation over a CommGraph (sum, mean, max), forward and backward, with
 * naive dense references beside the CSR kernels.
 *
 * Contract: y_i = reduce over the neighbours j of i of x_j, elementwise over d features; an agent
 * without neighbours gets 0 (and argmax -1 for max). Neighbours are visited in ascending index
 * order in both the kernels and the references, so sums accumulate in the same order and the
 * fast and naive results agree bit for bit; max keeps the first (lowest-index) maximum. Backward
 * passes add J^T dy into dx and never clear it. Nothing allocates.
 */
#include <string.h>

#include "comm.h"

static const char *const AGG_NAMES[COMM_AGG_COUNT] = {"sum", "mean", "max"};

const char *comm_agg_name(CommAgg op) {
    return ((int)op >= 0 && (int)op < COMM_AGG_COUNT) ? AGG_NAMES[op] : "?";
}

void comm_aggregate_forward(const CommGraph *g, CommAgg op, const float *x, int d, float *y,
                            int32_t *argmax) {
    const size_t dd = (size_t)d;
    for (int i = 0; i < g->n; i++) {
        float *restrict yi = y + (size_t)i * dd;
        int32_t *ai = argmax ? argmax + (size_t)i * dd : NULL;
        const int start = g->row[i], end = g->row[i + 1];
        if (start == end) {
            /* no neighbours: zero, and no argmax */
            memset(yi, 0, dd * sizeof *yi);
            if (ai && op == COMM_AGG_MAX)
                for (size_t k = 0; k < dd; k++) ai[k] = -1;
            continue;
        }
        if (op == COMM_AGG_MAX) {
            /* first neighbour, then strictly greater values replace it */
            int j0 = g->col[start];
            const float *x0 = x + (size_t)j0 * dd;
            for (size_t k = 0; k < dd; k++) yi[k] = x0[k];
            if (ai)
                for (size_t k = 0; k < dd; k++) ai[k] = j0;
            for (int e = start + 1; e < end; e++) {
                int j = g->col[e];
                const float *restrict xj = x + (size_t)j * dd;
                for (size_t k = 0; k < dd; k++)
                    if (xj[k] > yi[k]) {
                        yi[k] = xj[k];
                        if (ai) ai[k] = j;
                    }
            }
            continue;
        }
        /* sum over neighbours in ascending order; the mean divides by the degree */
        const float *x0 = x + (size_t)g->col[start] * dd;
        for (size_t k = 0; k < dd; k++) yi[k] = x0[k];
        for (int e = start + 1; e < end; e++) {
            const float *restrict xj = x + (size_t)g->col[e] * dd;
            for (size_t k = 0; k < dd; k++) yi[k] += xj[k];
        }
        if (op == COMM_AGG_MEAN) {
            const float deg = (float)(end - start);
            for (size_t k = 0; k < dd; k++) yi[k] /= deg;
        }
    }
}

void comm_aggregate_backward(const CommGraph *g, CommAgg op, const float *dy, int d,
                             const int32_t *argmax, float *dx) {
    const size_t dd = (size_t)d;
    if (op == COMM_AGG_MAX) {
        /* each output element routes its gradient to the chosen neighbour */
        for (int i = 0; i < g->n; i++) {
            const float *dyi = dy + (size_t)i * dd;
            const int32_t *ai = argmax + (size_t)i * dd;
            for (size_t k = 0; k < dd; k++)
                if (ai[k] >= 0) dx[(size_t)ai[k] * dd + k] += dyi[k];
        }
        return;
    }
    /* sum: dx_j += dy_i over edges i -> j; mean: dx_j += dy_i / deg_i, the quotient taken once
     * per receiver and block of 64 features (the same values as dividing at every edge) */
    for (int i = 0; i < g->n; i++) {
        const int start = g->row[i], end = g->row[i + 1];
        if (start == end) continue;
        const float *restrict dyi = dy + (size_t)i * dd;
        const float deg = (float)(end - start);
        for (size_t k0 = 0; k0 < dd; k0 += 64) {
            size_t w = dd - k0 < 64 ? dd - k0 : 64;
            float q[64];
            const float *src = dyi + k0;
            if (op == COMM_AGG_MEAN) {
                for (size_t k = 0; k < w; k++) q[k] = dyi[k0 + k] / deg;
                src = q;
            }
            for (int e = start; e < end; e++) {
                float *restrict dxj = dx + (size_t)g->col[e] * dd + k0;
                for (size_t k = 0; k < w; k++) dxj[k] += src[k];
            }
        }
    }
}

void comm_aggregate_forward_naive(const CommGraph *g, CommAgg op, const float *x, int d, float *y,
                                  int32_t *argmax) {
    const int n = g->n;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < d; k++) {
            /* scan every possible sender */
            float acc = 0.0f;
            int count = 0, best = -1;
            for (int j = 0; j < n; j++) {
                if (!comm_graph_has_edge(g, i, j)) continue;
                float v = x[(size_t)j * (size_t)d + (size_t)k];
                if (op == COMM_AGG_MAX) {
                    if (best < 0 || v > acc) {
                        acc = v;
                        best = j;
                    }
                } else {
                    acc = count == 0 ? v : acc + v;
                }
                count++;
            }
            if (op == COMM_AGG_MEAN && count > 0) acc /= (float)count;
            y[(size_t)i * (size_t)d + (size_t)k] = acc;
            if (op == COMM_AGG_MAX && argmax) argmax[(size_t)i * (size_t)d + (size_t)k] = best;
        }
}

void comm_aggregate_backward_naive(const CommGraph *g, CommAgg op, const float *dy, int d,
                                   const int32_t *argmax, float *dx) {
    const int n = g->n;
    for (int j = 0; j < n; j++)
        for (int k = 0; k < d; k++) {
            /* every receiver i whose output depends on x[j, k] */
            float *dxjk = dx + (size_t)j * (size_t)d + (size_t)k;
            for (int i = 0; i < n; i++) {
                float dyik = dy[(size_t)i * (size_t)d + (size_t)k];
                if (op == COMM_AGG_MAX) {
                    if (argmax[(size_t)i * (size_t)d + (size_t)k] == j) *dxjk += dyik;
                } else if (comm_graph_has_edge(g, i, j)) {
                    *dxjk += op == COMM_AGG_MEAN ? dyik / (float)comm_graph_degree(g, i) : dyik;
                }
            }
        }
}
