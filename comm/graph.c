/* graph.c: communication topologies and their CSR adjacency (CommGraph).
 *
 * Contract: comm_graph_init() makes the only allocation; comm_graph_build() rewrites row and col
 * in place from positions and an active mask, in one pass over receivers in index order, each
 * receiver's neighbours emitted in ascending index order (so lists come out sorted without a
 * sort). Inactive agents get no edges in or out. Distances are exact int64 squared Euclidean
 * distances; every tie is broken by the lower agent index.
 */
#include <stdlib.h>
#include <string.h>

#include "comm.h"

static const char *const TOPOLOGY_NAMES[COMM_TOPOLOGY_COUNT] = {"none", "full",   "ring",
                                                                "star", "radius", "knn"};

const char *comm_topology_name(CommTopology t) {
    return ((int)t >= 0 && (int)t < COMM_TOPOLOGY_COUNT) ? TOPOLOGY_NAMES[t] : "?";
}

int comm_topology_parse(const char *name, CommTopology *out, EnvError *err) {
    if (name)
        for (int t = 0; t < COMM_TOPOLOGY_COUNT; t++)
            if (strcmp(name, TOPOLOGY_NAMES[t]) == 0) {
                *out = (CommTopology)t;
                return 0;
            }
    return env_fail(err, ENV_EINPUT,
                    "unknown communication topology '%s'; choose one of: none, full, ring, star, "
                    "radius, knn",
                    name ? name : "(null)");
}

int comm_topology_symmetric(CommTopology t) {
    return t == COMM_NONE || t == COMM_FULL || t == COMM_RING || t == COMM_STAR || t == COMM_RADIUS;
}

int comm_graph_init(CommGraph *g, int n_max, EnvError *err) {
    memset(g, 0, sizeof *g);
    if (n_max < 1 || n_max > COMM_GRAPH_MAX_N)
        return env_fail(err, ENV_EINPUT, "comm graph: n_max = %d is out of range; allowed 1..%d",
                        n_max, COMM_GRAPH_MAX_N);
    int cap = n_max * (n_max - 1);
    int32_t *block = malloc(((size_t)n_max + 1 + (size_t)cap) * sizeof *block);
    if (!block) return env_fail(err, ENV_ENOMEM, "comm graph: out of memory for %d agents", n_max);
    g->n_max = n_max;
    g->cap = cap;
    g->row = block;
    g->col = block + n_max + 1;
    g->row[0] = 0;
    return 0;
}

void comm_graph_close(CommGraph *g) {
    free(g->row);
    memset(g, 0, sizeof *g);
}

int64_t comm_dist2(const int32_t *row, const int32_t *col, int i, int j) {
    int64_t dr = (int64_t)row[j] - row[i], dc = (int64_t)col[j] - col[i];
    return dr * dr + dc * dc;
}

static inline int is_active(const uint8_t *active, int i) {
    return !active || active[i];
}

/* key order of candidates: (distance, index) lexicographically */
static inline int key_less(int64_t d1, int j1, int64_t d2, int j2) {
    return d1 < d2 || (d1 == d2 && j1 < j2);
}

/* the key (distance, index) of i's k-th nearest other active agent, or the farthest one's when
 * fewer are active; *tj = -1 when there is none. k passes over the agents, no scratch memory */
static void knn_threshold(int i, int k, int n, const int32_t *row, const int32_t *col,
                          const uint8_t *active, int64_t *td, int *tj) {
    int64_t cur_d = -1;
    int cur_j = -1;
    for (int s = 0; s < k; s++) {
        int64_t best_d = 0;
        int best_j = -1;
        for (int j = 0; j < n; j++) {
            if (j == i || !is_active(active, j)) continue;
            int64_t dj = comm_dist2(row, col, i, j);
            if (!key_less(cur_d, cur_j, dj, j)) continue; /* already counted */
            if (best_j < 0 || key_less(dj, j, best_d, best_j)) {
                best_d = dj;
                best_j = j;
            }
        }
        if (best_j < 0) break;
        cur_d = best_d;
        cur_j = best_j;
    }
    *td = cur_d;
    *tj = cur_j;
}

/* the next (dir = +1) or previous (dir = -1) active agent after i, cyclically; i itself when no
 * other agent is active */
static int ring_step(int i, int dir, int n, const uint8_t *active) {
    int j = i;
    do {
        j = (j + dir + n) % n;
    } while (j != i && !is_active(active, j));
    return j;
}

void comm_graph_build(CommGraph *g, CommTopology t, int param, int n, const int32_t *row,
                      const int32_t *col, const uint8_t *active) {
    if (n < 0) n = 0;
    if (n > g->n_max) n = g->n_max;
    int32_t *restrict off = g->row;
    int32_t *restrict nb = g->col;
    int e = 0;
    int hub_on = n > 0 && is_active(active, 0);
    int64_t r2 = (int64_t)param * param;
    off[0] = 0;
    for (int i = 0; i < n; i++) {
        if (!is_active(active, i)) {
            off[i + 1] = e;
            continue;
        }
        switch (t) {
        case COMM_FULL:
            for (int j = 0; j < n; j++)
                if (j != i && is_active(active, j)) nb[e++] = j;
            break;
        case COMM_RING: {
            /* previous and next active agents; one edge when they coincide */
            int prev = ring_step(i, -1, n, active), next = ring_step(i, +1, n, active);
            if (next == i) break;
            int lo = prev < next ? prev : next, hi = prev < next ? next : prev;
            nb[e++] = lo;
            if (hi != lo) nb[e++] = hi;
            break;
        }
        case COMM_STAR:
            /* the hub hears every active spoke; a spoke hears the hub */
            if (!hub_on) break;
            if (i == 0) {
                for (int j = 1; j < n; j++)
                    if (is_active(active, j)) nb[e++] = j;
            } else {
                nb[e++] = 0;
            }
            break;
        case COMM_RADIUS:
            if (param < 0) break;
            for (int j = 0; j < n; j++)
                if (j != i && is_active(active, j) && comm_dist2(row, col, i, j) <= r2) nb[e++] = j;
            break;
        case COMM_KNN: {
            if (param <= 0) break;
            /* find the k-th nearest key, then take every key up to it in index order */
            int64_t td;
            int tj;
            knn_threshold(i, param < n ? param : n, n, row, col, active, &td, &tj);
            if (tj < 0) break;
            for (int j = 0; j < n; j++) {
                if (j == i || !is_active(active, j)) continue;
                int64_t dj = comm_dist2(row, col, i, j);
                if (!key_less(td, tj, dj, j)) nb[e++] = j;
            }
            break;
        }
        case COMM_NONE:
        default:
            break;
        }
        off[i + 1] = e;
    }
    g->n = n;
    g->n_edges = e;
}

CommGraph comm_graph_view(int n, int32_t *row, int32_t *col) {
    CommGraph g = {
        .n = n, .n_edges = row[n], .cap = n * (n - 1), .n_max = n, .row = row, .col = col};
    return g;
}

int comm_graph_degree(const CommGraph *g, int i) {
    if (i < 0 || i >= g->n) return 0;
    return g->row[i + 1] - g->row[i];
}

int comm_graph_has_edge(const CommGraph *g, int i, int j) {
    if (i < 0 || i >= g->n) return 0;
    int lo = g->row[i], hi = g->row[i + 1];
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (g->col[mid] == j) return 1;
        if (g->col[mid] < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
