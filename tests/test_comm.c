/* test_comm.c: the communication layer (comm/): topology names, graph building for every
 * topology against hand-computed neighbour lists and against a brute-force dense reference on
 * random layouts, the one-step-delay signal channel and its exact message layout, the aggregation
 * kernels (fast against naive, gradients against central finite differences, the += contract)
 * and reward sharing.
 */
#include "helpers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"

#define NMAX 16
#define DMAX 6

/* ---- helpers ---------------------------------------------------------------------------- */

/* the CSR invariants every built graph must hold */
static void check_csr(const CommGraph *g) {
    assert_in_range(g->n, 0, g->n_max);
    assert_int_equal(g->row[0], 0);
    assert_int_equal(g->row[g->n], g->n_edges);
    assert_in_range(g->n_edges, 0, g->cap);
    for (int i = 0; i < g->n; i++) {
        assert_true(g->row[i] <= g->row[i + 1]);
        for (int e = g->row[i]; e < g->row[i + 1]; e++) {
            assert_in_range(g->col[e], 0, g->n - 1);
            assert_int_not_equal(g->col[e], i);                        /* no self loop */
            if (e > g->row[i]) assert_true(g->col[e - 1] < g->col[e]); /* sorted, unique */
        }
    }
}

/* asserts that agent i hears exactly the `len` agents in `want` (ascending) */
static void expect_nb(const CommGraph *g, int i, const int *want, int len) {
    int deg = comm_graph_degree(g, i);
    if (deg != len) {
        print_error("agent %d: degree %d, expected %d\n", i, deg, len);
        fail();
    }
    for (int e = 0; e < len; e++) assert_int_equal(g->col[g->row[i] + e], want[e]);
}

/* neighbour lists of all n agents: lists[i] ends with -1 */
static void expect_all(const CommGraph *g, int n, const int lists[][NMAX + 1]) {
    check_csr(g);
    assert_int_equal(g->n, n);
    for (int i = 0; i < n; i++) {
        int len = 0;
        while (lists[i][len] >= 0) len++;
        expect_nb(g, i, lists[i], len);
    }
}

static void check_symmetric(const CommGraph *g) {
    for (int i = 0; i < g->n; i++)
        for (int j = 0; j < g->n; j++)
            assert_int_equal(comm_graph_has_edge(g, i, j), comm_graph_has_edge(g, j, i));
}

/* a uniform float in [-1, 1) */
static float rand_unit(EnvRng *r) {
    return (float)env_rng_u32(r) / 2147483648.0f - 1.0f;
}

/* the hand-made layout: six agents on a grid (see the distance table in test_layout_*) */
static const int32_t LR[6] = {0, 0, 3, 1, 5, 0};
static const int32_t LC[6] = {0, 2, 0, 1, 5, 3};
/* squared distances:
 *       0   1   2   3   4   5
 *   0   -   4   9   2  50   9
 *   1   4   -  13   2  34   1
 *   2   9  13   -   5  29  18
 *   3   2   2   5   -  32   5
 *   4  50  34  29  32   -  29
 *   5   9   1  18   5  29   -      */

/* ---- topology names --------------------------------------------------------------------- */

static void test_topology_names(void **state) {
    (void)state;
    const char *names[] = {"none", "full", "ring", "star", "radius", "knn"};
    for (int t = 0; t < COMM_TOPOLOGY_COUNT; t++) {
        CommTopology out = COMM_TOPOLOGY_COUNT;
        EnvError err = {0};
        assert_string_equal(comm_topology_name((CommTopology)t), names[t]);
        assert_int_equal(comm_topology_parse(names[t], &out, &err), 0);
        assert_int_equal(out, t);
    }
    assert_string_equal(comm_topology_name(COMM_TOPOLOGY_COUNT), "?");
    EnvError err = {0};
    CommTopology out = COMM_FULL;
    assert_int_equal(comm_topology_parse("Ring", &out, &err), ENV_EINPUT);
    assert_int_equal(err.code, ENV_EINPUT);
    assert_non_null(strstr(err.msg, "'Ring'"));
    assert_non_null(strstr(err.msg, "none, full, ring, star, radius, knn"));
    assert_int_equal(out, COMM_FULL); /* untouched on failure */
    assert_int_equal(comm_topology_parse(NULL, &out, &err), ENV_EINPUT);
    assert_int_equal(comm_topology_parse("", &out, NULL), ENV_EINPUT);
    assert_true(comm_topology_symmetric(COMM_RADIUS));
    assert_false(comm_topology_symmetric(COMM_KNN));
}

static void test_init_errors(void **state) {
    (void)state;
    CommGraph g;
    EnvError err = {0};
    assert_int_equal(comm_graph_init(&g, 0, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "n_max = 0"));
    assert_null(g.row);
    comm_graph_close(&g); /* safe after a failed init */
    assert_int_equal(comm_graph_init(&g, COMM_GRAPH_MAX_N + 1, &err), ENV_EINPUT);
    assert_int_equal(comm_graph_init(&g, 5, &err), 0);
    assert_int_equal(g.cap, 20);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.n_edges, 0);
    assert_ptr_equal(g.col, g.row + 6); /* one allocation: col follows row */
    comm_graph_close(&g);
    assert_null(g.row);
    comm_graph_close(&g); /* twice is fine */

    CommChannel c;
    assert_int_equal(comm_channel_init(&c, 4, -1, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "bits = -1"));
    assert_int_equal(comm_channel_init(&c, 0, 2, &err), ENV_EINPUT);
    assert_int_equal(comm_channel_init(&c, 4, COMM_MAX_BITS + 1, &err), ENV_EINPUT);
    assert_int_equal(comm_channel_init(&c, 4, 0, &err), 0); /* zero bits: positions only */
    comm_channel_close(&c);
    assert_null(c.sent);
}

/* ---- topologies on the hand-made layout ------------------------------------------------- */

static void test_none_and_full(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    comm_graph_build(&g, COMM_NONE, 0, 6, LR, LC, NULL);
    check_csr(&g);
    assert_int_equal(g.n, 6);
    assert_int_equal(g.n_edges, 0);

    comm_graph_build(&g, COMM_FULL, 0, 6, NULL, NULL, NULL); /* positions not needed */
    static const int full[6][NMAX + 1] = {{1, 2, 3, 4, 5, -1}, {0, 2, 3, 4, 5, -1},
                                          {0, 1, 3, 4, 5, -1}, {0, 1, 2, 4, 5, -1},
                                          {0, 1, 2, 3, 5, -1}, {0, 1, 2, 3, 4, -1}};
    expect_all(&g, 6, full);
    assert_int_equal(g.n_edges, 30);
    check_symmetric(&g);

    /* agent 3 tagged out: no edges in or out */
    const uint8_t act[6] = {1, 1, 1, 0, 1, 1};
    comm_graph_build(&g, COMM_FULL, 0, 6, LR, LC, act);
    static const int full3[6][NMAX + 1] = {{1, 2, 4, 5, -1}, {0, 2, 4, 5, -1},
                                           {0, 1, 4, 5, -1}, {-1},
                                           {0, 1, 2, 5, -1}, {0, 1, 2, 4, -1}};
    expect_all(&g, 6, full3);
    assert_int_equal(g.n_edges, 20);
    comm_graph_close(&g);
}

static void test_ring(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    comm_graph_build(&g, COMM_RING, 0, 6, LR, LC, NULL);
    static const int ring[6][NMAX + 1] = {{1, 5, -1}, {0, 2, -1}, {1, 3, -1},
                                          {2, 4, -1}, {3, 5, -1}, {0, 4, -1}};
    expect_all(&g, 6, ring);
    check_symmetric(&g);
    for (int i = 0; i < 6; i++) assert_int_equal(comm_graph_degree(&g, i), 2);

    /* inactive agents are skipped: the ring closes over 0 1 2 4 5 */
    const uint8_t act[6] = {1, 1, 1, 0, 1, 1};
    comm_graph_build(&g, COMM_RING, 0, 6, NULL, NULL, act);
    static const int ring3[6][NMAX + 1] = {{1, 5, -1}, {0, 2, -1}, {1, 4, -1},
                                           {-1},       {2, 5, -1}, {0, 4, -1}};
    expect_all(&g, 6, ring3);
    check_symmetric(&g);

    /* the first and last agents out: the ring closes over 1 2 3 4 */
    const uint8_t ends[6] = {0, 1, 1, 1, 1, 0};
    comm_graph_build(&g, COMM_RING, 0, 6, NULL, NULL, ends);
    static const int ring_ends[6][NMAX + 1] = {{-1},       {2, 4, -1}, {1, 3, -1},
                                               {2, 4, -1}, {1, 3, -1}, {-1}};
    expect_all(&g, 6, ring_ends);

    /* two active agents: one edge each way; one active: none */
    const uint8_t two[6] = {0, 1, 0, 0, 1, 0};
    comm_graph_build(&g, COMM_RING, 0, 6, NULL, NULL, two);
    static const int ring_two[6][NMAX + 1] = {{-1}, {4, -1}, {-1}, {-1}, {1, -1}, {-1}};
    expect_all(&g, 6, ring_two);
    assert_int_equal(g.n_edges, 2);
    const uint8_t one[6] = {0, 0, 1, 0, 0, 0};
    comm_graph_build(&g, COMM_RING, 0, 6, NULL, NULL, one);
    check_csr(&g);
    assert_int_equal(g.n_edges, 0);

    /* three agents: everyone hears both others */
    comm_graph_build(&g, COMM_RING, 0, 3, NULL, NULL, NULL);
    static const int ring_three[3][NMAX + 1] = {{1, 2, -1}, {0, 2, -1}, {0, 1, -1}};
    expect_all(&g, 3, ring_three);
    comm_graph_close(&g);
}

static void test_star(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    comm_graph_build(&g, COMM_STAR, 0, 6, LR, LC, NULL);
    static const int star[6][NMAX + 1] = {
        {1, 2, 3, 4, 5, -1}, {0, -1}, {0, -1}, {0, -1}, {0, -1}, {0, -1}};
    expect_all(&g, 6, star);
    check_symmetric(&g);
    assert_int_equal(g.n_edges, 10);

    /* a tagged-out spoke drops out */
    const uint8_t act[6] = {1, 1, 1, 0, 1, 1};
    comm_graph_build(&g, COMM_STAR, 0, 6, LR, LC, act);
    static const int star3[6][NMAX + 1] = {{1, 2, 4, 5, -1}, {0, -1}, {0, -1}, {-1},
                                           {0, -1},          {0, -1}};
    expect_all(&g, 6, star3);

    /* an inactive hub: no edges at all */
    const uint8_t nohub[6] = {0, 1, 1, 1, 1, 1};
    comm_graph_build(&g, COMM_STAR, 0, 6, LR, LC, nohub);
    check_csr(&g);
    assert_int_equal(g.n, 6);
    assert_int_equal(g.n_edges, 0);
    comm_graph_close(&g);
}

static void test_radius(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    comm_graph_build(&g, COMM_RADIUS, 2, 6, LR, LC, NULL); /* d2 <= 4 */
    static const int r2[6][NMAX + 1] = {{1, 3, -1}, {0, 3, 5, -1}, {-1}, {0, 1, -1}, {-1}, {1, -1}};
    expect_all(&g, 6, r2);
    check_symmetric(&g);

    comm_graph_build(&g, COMM_RADIUS, 3, 6, LR, LC, NULL); /* d2 <= 9: the boundary counts */
    static const int r3[6][NMAX + 1] = {{1, 2, 3, 5, -1}, {0, 3, 5, -1}, {0, 3, -1},
                                        {0, 1, 2, 5, -1}, {-1},          {0, 1, 3, -1}};
    expect_all(&g, 6, r3);
    check_symmetric(&g);

    /* agent 3 tagged out */
    const uint8_t act[6] = {1, 1, 1, 0, 1, 1};
    comm_graph_build(&g, COMM_RADIUS, 3, 6, LR, LC, act);
    static const int r3a[6][NMAX + 1] = {{1, 2, 5, -1}, {0, 5, -1}, {0, -1},
                                         {-1},          {-1},       {0, 1, -1}};
    expect_all(&g, 6, r3a);

    /* r = 0 hears only agents on the same cell; a negative r hears nobody */
    comm_graph_build(&g, COMM_RADIUS, 0, 6, LR, LC, NULL);
    assert_int_equal(g.n_edges, 0);
    const int32_t same_r[3] = {4, 4, 1}, same_c[3] = {2, 2, 2};
    comm_graph_build(&g, COMM_RADIUS, 0, 3, same_r, same_c, NULL);
    static const int r0[3][NMAX + 1] = {{1, -1}, {0, -1}, {-1}};
    expect_all(&g, 3, r0);
    comm_graph_build(&g, COMM_RADIUS, -1, 3, same_r, same_c, NULL);
    assert_int_equal(g.n_edges, 0);
    /* a radius that covers everything is full */
    comm_graph_build(&g, COMM_RADIUS, 8, 6, LR, LC, NULL);
    assert_int_equal(g.n_edges, 30);
    comm_graph_close(&g);
}

static void test_knn(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    /* k = 1: agent 3 has 0 and 1 at d2 = 2 (takes 0), agent 4 has 2 and 5 at 29 (takes 2) */
    comm_graph_build(&g, COMM_KNN, 1, 6, LR, LC, NULL);
    static const int k1[6][NMAX + 1] = {{3, -1}, {5, -1}, {3, -1}, {0, -1}, {2, -1}, {1, -1}};
    expect_all(&g, 6, k1);
    assert_int_equal(g.n_edges, 6);

    comm_graph_build(&g, COMM_KNN, 2, 6, LR, LC, NULL);
    static const int k2[6][NMAX + 1] = {{1, 3, -1}, {3, 5, -1}, {0, 3, -1},
                                        {0, 1, -1}, {2, 5, -1}, {1, 3, -1}};
    expect_all(&g, 6, k2);

    /* k = 3: agent 0 has 2 and 5 at d2 = 9 (takes 2), agent 3 has 2 and 5 at 5 (takes 2) */
    comm_graph_build(&g, COMM_KNN, 3, 6, LR, LC, NULL);
    static const int k3[6][NMAX + 1] = {{1, 2, 3, -1}, {0, 3, 5, -1}, {0, 1, 3, -1},
                                        {0, 1, 2, -1}, {2, 3, 5, -1}, {0, 1, 3, -1}};
    expect_all(&g, 6, k3);
    for (int i = 0; i < 6; i++) assert_int_equal(comm_graph_degree(&g, i), 3);

    /* knn is directed: 4 hears 2, 2 does not hear 4 */
    assert_true(comm_graph_has_edge(&g, 4, 2));
    assert_false(comm_graph_has_edge(&g, 2, 4));

    /* k >= n - 1 is full */
    comm_graph_build(&g, COMM_KNN, 5, 6, LR, LC, NULL);
    assert_int_equal(g.n_edges, 30);
    comm_graph_build(&g, COMM_KNN, 1000, 6, LR, LC, NULL);
    assert_int_equal(g.n_edges, 30);

    /* agent 3 tagged out: it is nobody's neighbour, and hears nobody */
    const uint8_t act[6] = {1, 1, 1, 0, 1, 1};
    comm_graph_build(&g, COMM_KNN, 2, 6, LR, LC, act);
    static const int k2a[6][NMAX + 1] = {{1, 2, -1}, {0, 5, -1}, {0, 1, -1},
                                         {-1},       {2, 5, -1}, {0, 1, -1}};
    expect_all(&g, 6, k2a);

    /* k <= 0 gives no edges */
    comm_graph_build(&g, COMM_KNN, 0, 6, LR, LC, NULL);
    assert_int_equal(g.n_edges, 0);
    comm_graph_build(&g, COMM_KNN, -3, 6, LR, LC, NULL);
    assert_int_equal(g.n_edges, 0);
    comm_graph_close(&g);
}

/* equidistant agents: ties go to the lower index, whatever the order of the positions */
static void test_knn_ties(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    /* agent 0 at the centre; 1 at d2 = 4; 2, 3, 4 at d2 = 1 (west, north, east) */
    const int32_t r[5] = {5, 7, 5, 4, 5}, c[5] = {5, 5, 4, 5, 6};
    static const int want_k[4][4] = {{2, -1, -1, -1}, {2, 3, -1, -1}, {2, 3, 4, -1}, {1, 2, 3, 4}};
    for (int k = 1; k <= 4; k++) {
        comm_graph_build(&g, COMM_KNN, k, 5, r, c, NULL);
        check_csr(&g);
        expect_nb(&g, 0, want_k[k - 1], k);
    }
    /* the same ring of equidistant agents listed the other way round around a centre agent 4 */
    const int32_t r2[5] = {5, 4, 5, 6, 5}, c2[5] = {6, 5, 4, 5, 5};
    comm_graph_build(&g, COMM_KNN, 2, 5, r2, c2, NULL);
    check_csr(&g);
    expect_nb(&g, 4, (const int[]){0, 1}, 2);
    comm_graph_build(&g, COMM_KNN, 3, 5, r2, c2, NULL);
    expect_nb(&g, 4, (const int[]){0, 1, 2}, 3);
    /* with 1 tagged out the tie moves on to the next index */
    const uint8_t act[5] = {1, 0, 1, 1, 1};
    comm_graph_build(&g, COMM_KNN, 2, 5, r2, c2, act);
    expect_nb(&g, 4, (const int[]){0, 2}, 2);
    comm_graph_close(&g);
}

/* fewer active agents than k: each hears all the other active ones */
static void test_knn_few_active(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    const uint8_t act[6] = {1, 0, 1, 0, 1, 0};
    comm_graph_build(&g, COMM_KNN, 3, 6, LR, LC, act);
    static const int want[6][NMAX + 1] = {{2, 4, -1}, {-1}, {0, 4, -1}, {-1}, {0, 2, -1}, {-1}};
    expect_all(&g, 6, want);
    const uint8_t lone[6] = {0, 0, 0, 0, 1, 0};
    comm_graph_build(&g, COMM_KNN, 3, 6, LR, LC, lone);
    check_csr(&g);
    assert_int_equal(g.n_edges, 0);
    const uint8_t none[6] = {0};
    for (int t = 0; t < COMM_TOPOLOGY_COUNT; t++) {
        comm_graph_build(&g, (CommTopology)t, 3, 6, LR, LC, none);
        check_csr(&g);
        assert_int_equal(g.n_edges, 0);
    }
    comm_graph_close(&g);
}

/* n = 0, 1 and 2 for every topology */
static void test_small_n(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, 2, NULL), 0);
    assert_int_equal(g.cap, 2);
    const int32_t r[2] = {0, 0}, c[2] = {0, 5};
    for (int t = 0; t < COMM_TOPOLOGY_COUNT; t++) {
        /* n = 0 and n = 1: no edges */
        comm_graph_build(&g, (CommTopology)t, 10, 0, r, c, NULL);
        check_csr(&g);
        assert_int_equal(g.n, 0);
        assert_int_equal(g.n_edges, 0);
        comm_graph_build(&g, (CommTopology)t, 10, 1, r, c, NULL);
        check_csr(&g);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.n_edges, 0);
        /* n = 2: one edge each way for everything but none (d2 = 25 <= 100) */
        comm_graph_build(&g, (CommTopology)t, 10, 2, r, c, NULL);
        check_csr(&g);
        assert_int_equal(g.n_edges, t == COMM_NONE ? 0 : 2);
        check_symmetric(&g);
        /* n = 2 with one agent out: nothing */
        const uint8_t act[2] = {1, 0};
        comm_graph_build(&g, (CommTopology)t, 10, 2, r, c, act);
        assert_int_equal(g.n_edges, 0);
    }
    /* a radius just short of the distance, then exactly it */
    comm_graph_build(&g, COMM_RADIUS, 4, 2, r, c, NULL);
    assert_int_equal(g.n_edges, 0);
    comm_graph_build(&g, COMM_RADIUS, 5, 2, r, c, NULL);
    assert_int_equal(g.n_edges, 2);
    /* n beyond n_max is clamped, never written out of bounds */
    const int32_t r5[5] = {0}, c5[5] = {0};
    comm_graph_build(&g, COMM_FULL, 0, 5, r5, c5, NULL);
    check_csr(&g);
    assert_int_equal(g.n, 2);
    comm_graph_close(&g);
}

/* ---- every topology against a brute-force dense reference ------------------------------- */

/* dense adjacency adj[i][j] straight from the definitions in comm.h */
static void ref_build(CommTopology t, int param, int n, const int32_t *r, const int32_t *c,
                      const uint8_t *act, uint8_t adj[NMAX][NMAX]) {
    memset(adj, 0, sizeof(uint8_t[NMAX][NMAX]));
    int list[NMAX], m = 0;
    for (int i = 0; i < n; i++)
        if (act[i]) list[m++] = i;
    for (int a = 0; a < m; a++) {
        int i = list[a];
        if (t == COMM_FULL) {
            for (int b = 0; b < m; b++) adj[i][list[b]] = list[b] != i;
        } else if (t == COMM_RING) {
            if (m >= 2) {
                adj[i][list[(a + 1) % m]] = 1;
                adj[i][list[(a + m - 1) % m]] = 1;
            }
        } else if (t == COMM_STAR) {
            if (act[0] && i == 0)
                for (int b = 0; b < m; b++) adj[0][list[b]] = list[b] != 0;
            if (act[0] && i != 0) adj[i][0] = 1;
        } else if (t == COMM_RADIUS) {
            for (int b = 0; b < m; b++) {
                int j = list[b];
                int64_t dr = r[i] - r[j], dc = c[i] - c[j];
                if (j != i && param >= 0 && dr * dr + dc * dc <= (int64_t)param * param)
                    adj[i][j] = 1;
            }
        } else if (t == COMM_KNN) {
            /* sort the others by (distance, index) with a plain selection sort */
            int cand[NMAX], nc = 0;
            for (int b = 0; b < m; b++)
                if (list[b] != i) cand[nc++] = list[b];
            for (int x = 0; x < nc; x++)
                for (int y = x + 1; y < nc; y++) {
                    int64_t dx = comm_dist2(r, c, i, cand[x]), dy = comm_dist2(r, c, i, cand[y]);
                    if (dy < dx || (dy == dx && cand[y] < cand[x])) {
                        int tmp = cand[x];
                        cand[x] = cand[y];
                        cand[y] = tmp;
                    }
                }
            for (int x = 0; x < nc && x < param; x++) adj[i][cand[x]] = 1;
        }
    }
}

static void test_random_layouts(void **state) {
    (void)state;
    EnvRng rng;
    env_rng_seed(&rng, env_hash4(11, 0, 0, 0));
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    uint8_t adj[NMAX][NMAX];
    for (int trial = 0; trial < 400; trial++) {
        int n = 1 + (int)env_rng_below(&rng, NMAX);
        int span = 1 + (int)env_rng_below(&rng, 6); /* small grids force distance ties */
        int32_t r[NMAX], c[NMAX];
        uint8_t act[NMAX];
        for (int i = 0; i < n; i++) {
            r[i] = (int32_t)env_rng_below(&rng, (uint32_t)span) - 2;
            c[i] = (int32_t)env_rng_below(&rng, (uint32_t)span) - 2;
            act[i] = env_rng_below(&rng, 4) != 0;
        }
        for (int t = 0; t < COMM_TOPOLOGY_COUNT; t++) {
            int param = (int)env_rng_below(&rng, 6);
            comm_graph_build(&g, (CommTopology)t, param, n, r, c, act);
            check_csr(&g);
            ref_build((CommTopology)t, param, n, r, c, act, adj);
            int edges = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    if (comm_graph_has_edge(&g, i, j) != adj[i][j]) {
                        print_error("trial %d %s param %d n %d: edge %d->%d is %d, expected %d\n",
                                    trial, comm_topology_name((CommTopology)t), param, n, i, j,
                                    comm_graph_has_edge(&g, i, j), adj[i][j]);
                        fail();
                    }
                    edges += adj[i][j];
                }
            assert_int_equal(g.n_edges, edges);
            if (comm_topology_symmetric((CommTopology)t)) check_symmetric(&g);
            /* knn: exactly min(k, other active) neighbours per active agent */
            if (t == COMM_KNN) {
                int m = 0;
                for (int i = 0; i < n; i++) m += act[i];
                for (int i = 0; i < n; i++)
                    assert_int_equal(comm_graph_degree(&g, i),
                                     act[i] ? (param < m - 1 ? param : m - 1) : 0);
            }
        }
    }
    comm_graph_close(&g);
}

/* ---- signal channel --------------------------------------------------------------------- */

/* five agents; 1 and 4 are both at d2 = 1 from agent 0 */
static const int32_t CR[5] = {0, 0, 2, 0, 1};
static const int32_t CC[5] = {0, 1, 0, -3, 0};

static void test_channel_delay(void **state) {
    (void)state;
    CommGraph g;
    CommChannel ch;
    assert_int_equal(comm_graph_init(&g, 5, NULL), 0);
    assert_int_equal(comm_channel_init(&ch, 5, 2, NULL), 0);
    comm_graph_build(&g, COMM_FULL, 0, 5, CR, CC, NULL);
    comm_channel_reset(&ch, 5);
    assert_int_equal(comm_message_size(2, 0), 3);
    float out[5 * 3];

    /* step t = 0: receive first (nothing was sent), then emit */
    const uint8_t b0[5 * 2] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    comm_channel_receive(&ch, &g, CR, CC, 0, 1.0f, out);
    for (int i = 0; i < 5; i++) {
        assert_true(out[i * 3 + 0] == 0.0f);
        assert_true(out[i * 3 + 1] == 0.0f);
        assert_true(out[i * 3 + 2] == 4.0f); /* four neighbours */
    }
    comm_channel_emit(&ch, b0);

    /* step t = 1: the bits of t = 0 arrive; agent 0 does not hear itself */
    comm_channel_receive(&ch, &g, CR, CC, 0, 1.0f, out);
    assert_true(out[0 * 3 + 0] == 0.0f && out[0 * 3 + 1] == 1.0f);
    for (int i = 1; i < 4; i++) assert_true(out[i * 3 + 0] == 1.0f && out[i * 3 + 1] == 1.0f);
    assert_true(out[4 * 3 + 0] == 1.0f && out[4 * 3 + 1] == 0.0f);
    const uint8_t quiet[5 * 2] = {0};
    comm_channel_emit(&ch, quiet);

    /* step t = 2: the bits of t = 0 are gone */
    comm_channel_receive(&ch, &g, CR, CC, 0, 1.0f, out);
    for (int i = 0; i < 5; i++) assert_true(out[i * 3 + 0] == 0.0f && out[i * 3 + 1] == 0.0f);

    /* reset clears what was sent */
    comm_channel_emit(&ch, b0);
    comm_channel_reset(&ch, 5);
    comm_channel_receive(&ch, &g, CR, CC, 0, 1.0f, out);
    for (int i = 0; i < 5; i++) assert_true(out[i * 3 + 0] == 0.0f && out[i * 3 + 1] == 0.0f);
    for (int k = 0; k < 5 * 2; k++) assert_int_equal(ch.sent[k], 0);
    comm_channel_close(&ch);
    comm_graph_close(&g);
}

static void expect_row(const float *got, const float *want, int size, int agent) {
    for (int k = 0; k < size; k++)
        if (got[k] != want[k]) {
            print_error("agent %d, offset %d: got %g, expected %g\n", agent, k, (double)got[k],
                        (double)want[k]);
            fail();
        }
}

static void test_channel_layout(void **state) {
    (void)state;
    CommGraph g;
    CommChannel ch;
    assert_int_equal(comm_graph_init(&g, 5, NULL), 0);
    assert_int_equal(comm_channel_init(&ch, 5, 2, NULL), 0);
    comm_graph_build(&g, COMM_FULL, 0, 5, CR, CC, NULL);
    comm_channel_reset(&ch, 5);
    /* bits (b0, b1) per agent; any nonzero byte is a 1 */
    const uint8_t bits[5 * 2] = {1, 0, 1, 7, 0, 1, 0, 0, 255, 0};
    comm_channel_emit(&ch, bits);
    const int slots = 5, size = comm_message_size(2, slots);
    assert_int_equal(size, 2 + 1 + 5 * 4);
    float out[5 * 23];
    memset(out, 0x7f, sizeof out); /* receive must write every float */
    comm_channel_receive(&ch, &g, CR, CC, slots, 2.0f, out);

    /* agent 0: nearest 1 (d2 1), 4 (d2 1, higher index), 2 (4), 3 (9); the fifth slot unused */
    const float want0[23] = {2, 2, 4,           /* heard b0 from 1, 4; b1 from 1, 2; 4 nbrs */
                             1, 1, 0.0f, 0.5f,  /* slot 0: agent 1 at (0, +1) / 2 */
                             1, 0, 0.5f, 0.0f,  /* slot 1: agent 4 at (+1, 0) / 2 */
                             0, 1, 1.0f, 0.0f,  /* slot 2: agent 2 at (+2, 0) / 2 */
                             0, 0, 0.0f, -1.5f, /* slot 3: agent 3 at (0, -3) / 2 */
                             0, 0, 0.0f, 0.0f};
    expect_row(out, want0, size, 0);
    /* agent 3 at (0, -3): 0 (d2 9), 4 (10), 2 (13), 1 (16) */
    const float want3[23] = {3, 2, 4,          /* b0 from 0, 1, 4; b1 from 1, 2 */
                             1, 0, 0.0f, 1.5f, /* slot 0: agent 0 */
                             1, 0, 0.5f, 1.5f, /* slot 1: agent 4 */
                             0, 1, 1.0f, 1.5f, /* slot 2: agent 2 */
                             1, 1, 0.0f, 2.0f, /* slot 3: agent 1 */
                             0, 0, 0.0f, 0.0f};
    expect_row(out + 3 * size, want3, size, 3);
    /* agent 4 at (1, 0): 0 and 2 tie at d2 1, then 1 (2), then 3 (10) */
    const float want4[23] = {2, 2, 4,            /* b0 from 0, 1; b1 from 1, 2 */
                             1, 0, -0.5f, 0.0f,  /* slot 0: agent 0 */
                             0, 1, 0.5f,  0.0f,  /* slot 1: agent 2 */
                             1, 1, -0.5f, 0.5f,  /* slot 2: agent 1 */
                             0, 0, -0.5f, -1.5f, /* slot 3: agent 3 */
                             0, 0, 0.0f,  0.0f};
    expect_row(out + 4 * size, want4, size, 4);

    /* agent 4 tagged out: it sends and hears nothing; one slot */
    const uint8_t act[5] = {1, 1, 1, 1, 0};
    comm_graph_build(&g, COMM_FULL, 0, 5, CR, CC, act);
    const int size1 = comm_message_size(2, 1);
    comm_channel_receive(&ch, &g, CR, CC, 1, 2.0f, out);
    const float want0a[7] = {1, 2, 3, 1, 1, 0.0f, 0.5f};
    expect_row(out, want0a, size1, 0);
    const float zero[7] = {0};
    expect_row(out + 4 * size1, zero, size1, 4);
    /* a scale <= 0 is taken as 1 */
    comm_channel_receive(&ch, &g, CR, CC, 1, 0.0f, out);
    assert_true(out[6] == 1.0f);

    /* zero bits: the neighbour count and the nearest positions only */
    CommChannel none;
    assert_int_equal(comm_channel_init(&none, 5, 0, NULL), 0);
    comm_channel_reset(&none, 5);
    comm_channel_emit(&none, NULL);
    assert_int_equal(comm_message_size(0, 1), 3);
    comm_channel_receive(&none, &g, CR, CC, 1, 1.0f, out);
    const float want_nb[3] = {3, 0.0f, 1.0f};
    expect_row(out, want_nb, 3, 0);
    comm_channel_close(&none);
    comm_channel_close(&ch);
    comm_graph_close(&g);
}

/* ---- aggregation ------------------------------------------------------------------------ */

/* a random directed graph written straight into the CSR arrays (edge probability p / 4) */
static void random_graph(CommGraph *g, EnvRng *rng, int n, int p) {
    int e = 0;
    g->row[0] = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            if (j != i && (int)env_rng_below(rng, 4) < p) g->col[e++] = j;
        g->row[i + 1] = e;
    }
    g->n = n;
    g->n_edges = e;
}

static void test_aggregate_hand(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, 3, NULL), 0);
    /* 0 hears 1 and 2; 1 hears 0; 2 hears nobody */
    g.n = 3;
    g.n_edges = 3;
    const int32_t row[4] = {0, 2, 3, 3}, col[3] = {1, 2, 0};
    memcpy(g.row, row, sizeof row);
    memcpy(g.col, col, sizeof col);
    const float x[3 * 2] = {1, 5, 2, 3, 4, 3};
    float y[6];
    int32_t am[6];

    comm_aggregate_forward(&g, COMM_AGG_SUM, x, 2, y, NULL);
    const float ysum[6] = {6, 6, 1, 5, 0, 0};
    assert_memory_equal(y, ysum, sizeof y);
    comm_aggregate_forward(&g, COMM_AGG_MEAN, x, 2, y, NULL);
    const float ymean[6] = {3, 3, 1, 5, 0, 0};
    assert_memory_equal(y, ymean, sizeof y);
    comm_aggregate_forward(&g, COMM_AGG_MAX, x, 2, y, am);
    const float ymax[6] = {4, 3, 1, 5, 0, 0};
    const int32_t amax[6] = {2, 1, 0, 0, -1, -1}; /* 1 and 2 tie at 3: the lower index */
    assert_memory_equal(y, ymax, sizeof y);
    assert_memory_equal(am, amax, sizeof am);

    /* backward with dy = (1, 10), (100, 1000), (7, 7) on top of dx = 0.5 */
    const float dy[6] = {1, 10, 100, 1000, 7, 7};
    float dx[6];
    for (int k = 0; k < 6; k++) dx[k] = 0.5f;
    comm_aggregate_backward(&g, COMM_AGG_SUM, dy, 2, NULL, dx);
    const float dsum[6] = {100.5f, 1000.5f, 1.5f, 10.5f, 1.5f, 10.5f};
    assert_memory_equal(dx, dsum, sizeof dx);
    for (int k = 0; k < 6; k++) dx[k] = 0.5f;
    comm_aggregate_backward(&g, COMM_AGG_MEAN, dy, 2, NULL, dx);
    const float dmean[6] = {100.5f, 1000.5f, 1.0f, 5.5f, 1.0f, 5.5f};
    assert_memory_equal(dx, dmean, sizeof dx);
    for (int k = 0; k < 6; k++) dx[k] = 0.5f;
    comm_aggregate_backward(&g, COMM_AGG_MAX, dy, 2, am, dx);
    const float dmax[6] = {100.5f, 1000.5f, 0.5f, 10.5f, 1.5f, 0.5f};
    assert_memory_equal(dx, dmax, sizeof dx);
    assert_string_equal(comm_agg_name(COMM_AGG_MEAN), "mean");
    comm_graph_close(&g);
}

/* fast against naive on random graphs and features; ties in max on quantised features */
static void test_aggregate_fast_vs_naive(void **state) {
    (void)state;
    EnvRng rng;
    env_rng_seed(&rng, env_hash4(12, 0, 0, 0));
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    float x[NMAX * DMAX], dy[NMAX * DMAX];
    float y1[NMAX * DMAX], y2[NMAX * DMAX], dx1[NMAX * DMAX], dx2[NMAX * DMAX];
    int32_t a1[NMAX * DMAX], a2[NMAX * DMAX];
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + (int)env_rng_below(&rng, NMAX), d = 1 + (int)env_rng_below(&rng, DMAX);
        if (trial % 2) {
            random_graph(&g, &rng, n, (int)env_rng_below(&rng, 5));
        } else {
            int32_t r[NMAX], c[NMAX];
            uint8_t act[NMAX];
            for (int i = 0; i < n; i++) {
                r[i] = (int32_t)env_rng_below(&rng, 8);
                c[i] = (int32_t)env_rng_below(&rng, 8);
                act[i] = env_rng_below(&rng, 5) != 0;
            }
            comm_graph_build(&g, (CommTopology)env_rng_below(&rng, COMM_TOPOLOGY_COUNT),
                             (int)env_rng_below(&rng, 6), n, r, c, act);
        }
        int quantised = trial % 3 == 0;
        for (int k = 0; k < n * d; k++) {
            x[k] = quantised ? (float)env_rng_below(&rng, 3) : rand_unit(&rng);
            dy[k] = rand_unit(&rng);
        }
        for (int op = 0; op < COMM_AGG_COUNT; op++) {
            memset(a1, 0x55, sizeof a1);
            memset(a2, 0x55, sizeof a2);
            comm_aggregate_forward(&g, (CommAgg)op, x, d, y1, a1);
            comm_aggregate_forward_naive(&g, (CommAgg)op, x, d, y2, a2);
            for (int k = 0; k < n * d; k++) dx1[k] = dx2[k] = 0.25f * x[k];
            comm_aggregate_backward(&g, (CommAgg)op, dy, d, a1, dx1);
            comm_aggregate_backward_naive(&g, (CommAgg)op, dy, d, a2, dx2);
            if (op == COMM_AGG_MEAN) {
                /* mean: equal within 1e-6 relative (the same order of operations, in fact) */
                for (int k = 0; k < n * d; k++) {
                    assert_float_equal(y1[k], y2[k], 1e-6 * (1.0 + fabs(y2[k])));
                    assert_float_equal(dx1[k], dx2[k], 1e-6 * (1.0 + fabs(dx2[k])));
                }
            } else {
                /* sum and max: bit for bit, argmax included */
                assert_memory_equal(y1, y2, (size_t)(n * d) * sizeof *y1);
                assert_memory_equal(dx1, dx2, (size_t)(n * d) * sizeof *dx1);
                if (op == COMM_AGG_MAX) assert_memory_equal(a1, a2, (size_t)(n * d) * sizeof *a1);
            }
        }
    }
    comm_graph_close(&g);
}

/* L(x) = sum(w * y(x)) in double */
static double loss(const CommGraph *g, CommAgg op, const float *x, int d, const float *w) {
    float y[NMAX * DMAX];
    comm_aggregate_forward(g, op, x, d, y, NULL);
    double s = 0.0;
    for (int k = 0; k < g->n * d; k++) s += (double)w[k] * (double)y[k];
    return s;
}

/* Central differences with h = 0.1 against the backward pass. The three reductions are
 * piecewise linear in x, so the difference has no truncation error away from the kinks of max;
 * the max inputs are distinct multiples of 0.25 per feature, so a step of +-0.1 never changes an
 * argmax. What remains is float rounding of y (magnitudes up to NMAX), divided by 2h: the worst
 * error seen is under 1e-5, and the tolerance is 2e-4 absolute plus 1e-4 relative, while a real
 * error (a dropped or doubled 1/deg or edge) is 1 / NMAX times a weight or more. */
static void test_aggregate_finite_differences(void **state) {
    (void)state;
    EnvRng rng;
    env_rng_seed(&rng, env_hash4(13, 0, 0, 0));
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    float x[NMAX * DMAX], w[NMAX * DMAX], dx[NMAX * DMAX];
    int32_t am[NMAX * DMAX];
    const float h = 0.1f;
    double worst = 0.0;
    for (int trial = 0; trial < 60; trial++) {
        int n = 2 + (int)env_rng_below(&rng, NMAX - 1), d = 1 + (int)env_rng_below(&rng, DMAX);
        random_graph(&g, &rng, n, 1 + (int)env_rng_below(&rng, 4));
        for (int k = 0; k < n * d; k++) w[k] = rand_unit(&rng);
        for (int op = 0; op < COMM_AGG_COUNT; op++) {
            if (op == COMM_AGG_MAX) {
                /* per feature: a random permutation of 0, 0.25, 0.5, ... */
                for (int k = 0; k < d; k++)
                    for (int i = 0; i < n; i++) {
                        int j = (int)env_rng_below(&rng, (uint32_t)(i + 1));
                        x[i * d + k] = x[j * d + k];
                        x[j * d + k] = 0.25f * (float)i - 1.0f;
                    }
            } else {
                for (int k = 0; k < n * d; k++) x[k] = rand_unit(&rng);
            }
            float y[NMAX * DMAX];
            comm_aggregate_forward(&g, (CommAgg)op, x, d, y, am);
            memset(dx, 0, sizeof dx);
            comm_aggregate_backward(&g, (CommAgg)op, w, d, am, dx);
            for (int k = 0; k < n * d; k++) {
                float keep = x[k];
                x[k] = keep + h;
                double lp = loss(&g, (CommAgg)op, x, d, w);
                x[k] = keep - h;
                double lm = loss(&g, (CommAgg)op, x, d, w);
                x[k] = keep;
                /* the perturbation actually applied, in float */
                double step = (double)(keep + h) - (double)(keep - h);
                double fd = (lp - lm) / step;
                double err = fabs(fd - (double)dx[k]);
                if (err > worst) worst = err;
                if (err > 2e-4 + 1e-4 * fabs(fd)) {
                    print_error("%s trial %d n %d d %d elem %d: fd %.6f, backward %.6f\n",
                                comm_agg_name((CommAgg)op), trial, n, d, k, fd, (double)dx[k]);
                    fail();
                }
            }
        }
    }
    print_message("finite differences: worst absolute error %.2e\n", worst);
    comm_graph_close(&g);
}

/* the backward pass adds: twice from zero is double once; an existing value is kept */
static void test_aggregate_accumulates(void **state) {
    (void)state;
    EnvRng rng;
    env_rng_seed(&rng, env_hash4(14, 0, 0, 0));
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    const int n = 9, d = 3;
    random_graph(&g, &rng, n, 2);
    float x[9 * 3], dy[9 * 3], y[9 * 3], once[9 * 3], twice[9 * 3], base[9 * 3], on_base[9 * 3];
    int32_t am[9 * 3];
    for (int k = 0; k < n * d; k++) {
        x[k] = rand_unit(&rng);
        dy[k] = (float)(int)env_rng_below(&rng, 16) / 8.0f; /* dyadic: the sums are exact */
        base[k] = (float)(int)env_rng_below(&rng, 16);
    }
    for (int op = 0; op < COMM_AGG_COUNT; op++) {
        comm_aggregate_forward(&g, (CommAgg)op, x, d, y, am);
        memset(once, 0, sizeof once);
        memset(twice, 0, sizeof twice);
        memcpy(on_base, base, sizeof base);
        comm_aggregate_backward(&g, (CommAgg)op, dy, d, am, once);
        comm_aggregate_backward(&g, (CommAgg)op, dy, d, am, twice);
        comm_aggregate_backward(&g, (CommAgg)op, dy, d, am, twice);
        comm_aggregate_backward(&g, (CommAgg)op, dy, d, am, on_base);
        int nonzero = 0;
        for (int k = 0; k < n * d; k++) {
            if (op == COMM_AGG_MEAN) {
                /* 1 / deg is inexact: a few float roundings on values below 64 */
                assert_float_equal(twice[k], 2.0f * once[k], 1e-4);
                assert_float_equal(on_base[k], base[k] + once[k], 1e-4);
            } else {
                /* dyadic values: exact */
                assert_true(twice[k] == 2.0f * once[k]);
                assert_true(on_base[k] == base[k] + once[k]);
            }
            nonzero += once[k] != 0.0f;
        }
        assert_true(nonzero > 0); /* the case is not vacuous */
    }
    comm_graph_close(&g);
}

/* ---- reward sharing --------------------------------------------------------------------- */

static void test_share_rewards(void **state) {
    (void)state;
    CommGraph g;
    assert_int_equal(comm_graph_init(&g, NMAX, NULL), 0);
    float out[6];

    /* star over four agents: the hub gets half of every spoke's reward, a spoke half the hub's */
    const float r4[4] = {1, 2, 3, 4};
    comm_graph_build(&g, COMM_STAR, 0, 4, NULL, NULL, NULL);
    comm_share_rewards(&g, 0.5f, 0, 4, r4, out);
    const float star[4] = {5.5f, 2.5f, 3.5f, 4.5f};
    assert_memory_equal(out, star, sizeof star);

    /* agent 3 out: it has no neighbours and keeps its own reward */
    const uint8_t act[4] = {1, 1, 1, 0};
    comm_graph_build(&g, COMM_STAR, 0, 4, NULL, NULL, act);
    comm_share_rewards(&g, 0.5f, 0, 4, r4, out);
    const float star3[4] = {3.5f, 2.5f, 3.5f, 4.0f};
    assert_memory_equal(out, star3, sizeof star3);

    /* alpha = 0 is selfish; alpha = 1 over a full graph is the total */
    comm_graph_build(&g, COMM_FULL, 0, 4, NULL, NULL, NULL);
    comm_share_rewards(&g, 0.0f, 0, 4, r4, out);
    assert_memory_equal(out, r4, sizeof r4);
    comm_share_rewards(&g, 1.0f, 0, 4, r4, out);
    for (int i = 0; i < 4; i++) assert_true(out[i] == 10.0f);

    /* global: everyone gets the sum, whatever the graph; g may be NULL; out may alias r */
    comm_share_rewards(NULL, 0.3f, 1, 4, r4, out);
    for (int i = 0; i < 4; i++) assert_true(out[i] == 10.0f);
    float inplace[3] = {1.5f, -4.0f, 0.25f};
    comm_share_rewards(NULL, 0.0f, 1, 3, inplace, inplace);
    for (int i = 0; i < 3; i++) assert_true(inplace[i] == -2.25f);

    /* directed knn (k = 1) on the hand-made layout: 0<-3, 1<-5, 2<-3, 3<-0, 4<-2, 5<-1 */
    const float r6[6] = {1, 2, 4, 8, 16, 32};
    comm_graph_build(&g, COMM_KNN, 1, 6, LR, LC, NULL);
    comm_share_rewards(&g, 0.25f, 0, 6, r6, out);
    const float knn[6] = {3.0f, 10.0f, 6.0f, 8.25f, 17.0f, 32.5f};
    assert_memory_equal(out, knn, sizeof knn);

    /* no edges at all: everyone keeps its reward */
    comm_graph_build(&g, COMM_NONE, 0, 6, LR, LC, NULL);
    comm_share_rewards(&g, 0.75f, 0, 6, r6, out);
    assert_memory_equal(out, r6, sizeof r6);
    comm_graph_close(&g);
}

/* inequity aversion by hand: n = 3, alpha 1, beta 0.5, decay 0.5 (see comm.h for the formula) */
static void test_inequity_rewards(void **state) {
    (void)state;
    float trace[3] = {0, 0, 0}, out[3];
    /* step 1: traces = rewards {1, 0, 2}; agent 0 envies 1 and is ahead of 0 by 1:
     * 1 - 1/2 * 1 - 0.5/2 * 1 = 0.25; agent 1: 0 - 1/2 * (1 + 2) = -1.5; agent 2:
     * 2 - 0.5/2 * (1 + 2) = 1.25 */
    const float r1[3] = {1, 0, 2};
    memcpy(out, r1, sizeof out);
    comm_inequity_rewards(3, 1.0f, 0.5f, 0.5f, trace, r1, out);
    const float want1[3] = {0.25f, -1.5f, 1.25f};
    assert_memory_equal(out, want1, sizeof want1);
    /* step 2: no rewards; traces {0.5, 0, 1}: -0.25 - 0.125, -0.75, -0.375 */
    const float r2[3] = {0, 0, 0};
    memcpy(out, r2, sizeof out);
    comm_inequity_rewards(3, 1.0f, 0.5f, 0.5f, trace, r2, out);
    const float want2[3] = {-0.375f, -0.75f, -0.375f};
    assert_memory_equal(out, want2, sizeof want2);
    const float traces[3] = {0.5f, 0.0f, 1.0f};
    assert_memory_equal(trace, traces, sizeof traces);
    /* in place, on rewards already shaped: equal traces cost nothing */
    float t2[2] = {0, 0}, inplace[2] = {3, 3};
    comm_inequity_rewards(2, 5.0f, 0.05f, 0.9f, t2, inplace, inplace);
    assert_true(inplace[0] == 3.0f && inplace[1] == 3.0f);
    /* one agent: only its trace moves */
    float t1[1] = {2}, one[1] = {1};
    comm_inequity_rewards(1, 5.0f, 0.05f, 0.5f, t1, one, one);
    assert_true(t1[0] == 2.0f && one[0] == 1.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topology_names),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_none_and_full),
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_star),
        cmocka_unit_test(test_radius),
        cmocka_unit_test(test_knn),
        cmocka_unit_test(test_knn_ties),
        cmocka_unit_test(test_knn_few_active),
        cmocka_unit_test(test_small_n),
        cmocka_unit_test(test_random_layouts),
        cmocka_unit_test(test_channel_delay),
        cmocka_unit_test(test_channel_layout),
        cmocka_unit_test(test_aggregate_hand),
        cmocka_unit_test(test_aggregate_fast_vs_naive),
        cmocka_unit_test(test_aggregate_finite_differences),
        cmocka_unit_test(test_aggregate_accumulates),
        cmocka_unit_test(test_share_rewards),
        cmocka_unit_test(test_inequity_rewards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
