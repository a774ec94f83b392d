/* test_gnn.c: the GNN layer of agents/gnn.c. The kernels agree with the naive references (every
 * aggregation, both modes, every estimator, one and two rounds, three groups with different
 * graphs); the backward passes agree with central finite differences, including the gradient
 * that crosses from a listener to a speaker (and its absence in signal mode); hard bits are 0/1;
 * permuting agents permutes the outputs; an agent without neighbours gets act(h W + b) bit for
 * bit; the max aggregation's argmax is kept per round; shape errors name their key.
 */
#include "helpers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn.h"

#define NMAX 6 /* agents per group */
#define GMAX 3 /* groups */

/* a deterministic fill in [-scale, scale) */
static void fill(float *x, size_t n, uint64_t key, float scale) {
    EnvRng r;
    env_rng_seed(&r, key);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * ((float)(env_rng_u32(&r) >> 8) * (2.0f / 16777216.0f) - 1.0f);
}

static float *falloc(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

/* |a - b| <= atol + rtol |b| for every element */
static void expect_close(const char *what, const float *a, const float *b, size_t n, float atol,
                         float rtol) {
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(a[i] - b[i]) <= atol + rtol * fabsf(b[i])))
            fail_msg("%s[%zu]: %.7g vs reference %.7g", what, i, (double)a[i], (double)b[i]);
}

/* a layer, its inputs and every buffer of one forward and backward pass */
typedef struct Case {
    GnnShape s;
    int G, n, rows;
    CommGraph graph[GMAX];
    int32_t prow[GMAX * NMAX], pcol[GMAX * NMAX]; /* (rows,) integer positions */
    uint8_t active[GMAX * NMAX];                  /* (rows,) */
    float *params, *dparams;                      /* (n_params,) */
    float *h0, *h, *dh, *dh0;                     /* (rows, d) */
    float *pos;                                   /* (rows, 2) */
    float *bits_in;                               /* (rows, B) */
    float *noise, *bits_out;                      /* (K, rows, B) */
    float *work;
    int32_t *iwork;
    int use_noise;
} Case;

/* the topology of group g in the default case: full, ring, radius 2 with agents 1 and 4 inactive */
static void build_graph(Case *c, int g, CommTopology t, int param) {
    comm_graph_build(&c->graph[g], t, param, c->n, c->prow + g * c->n, c->pcol + g * c->n,
                     c->active + g * c->n);
}

/* positions: distinct cells of a 5 x 5 patch per group, scaled by 1/4 */
static void set_positions(Case *c, uint64_t key) {
    EnvRng r;
    env_rng_seed(&r, key);
    for (int g = 0; g < c->G; g++) {
        int used[25] = {0};
        for (int i = 0; i < c->n; i++) {
            int cell;
            do cell = (int)env_rng_below(&r, 25);
            while (used[cell]);
            used[cell] = 1;
            int ri = g * c->n + i;
            c->prow[ri] = cell / 5;
            c->pcol[ri] = cell % 5;
            c->pos[ri * 2] = (float)c->prow[ri] / 4.0f;
            c->pos[ri * 2 + 1] = (float)c->pcol[ri] / 4.0f;
        }
    }
}

static void case_init(Case *c, GnnShape s, int G, int n, uint64_t key) {
    memset(c, 0, sizeof *c);
    c->s = s;
    c->G = G;
    c->n = n;
    c->rows = G * n;
    size_t rd = (size_t)c->rows * s.d, rB = (size_t)c->rows * s.bits, np = gnn_n_params(&s);
    c->params = falloc(np);
    c->dparams = falloc(np);
    c->h0 = falloc(rd);
    c->h = falloc(rd);
    c->dh = falloc(rd);
    c->dh0 = falloc(rd);
    c->pos = falloc((size_t)c->rows * 2);
    c->bits_in = falloc(rB);
    c->noise = falloc((size_t)s.rounds * rB);
    c->bits_out = falloc((size_t)s.rounds * rB);
    c->work = falloc(gnn_work_floats(&s, c->rows));
    c->iwork = calloc(gnn_work_ints(&s, c->rows) + 1, sizeof(int32_t));
    assert_non_null(c->iwork);
    /* random parameters (biases included), states, bits, noise and upstream gradient */
    fill(c->params, np, env_hash4(key, 1, 0, 0), 0.6f);
    fill(c->h0, rd, env_hash4(key, 2, 0, 0), 1.0f);
    fill(c->dh, rd, env_hash4(key, 3, 0, 0), 1.0f);
    fill(c->noise, (size_t)s.rounds * rB, env_hash4(key, 4, 0, 0), 0.5f);
    EnvRng r;
    env_rng_seed(&r, env_hash4(key, 5, 0, 0));
    for (size_t i = 0; i < rB; i++) c->bits_in[i] = (float)env_rng_below(&r, 2);
    set_positions(c, env_hash4(key, 6, 0, 0));
    for (int i = 0; i < c->rows; i++) c->active[i] = 1;
    for (int g = 0; g < G; g++) assert_int_equal(comm_graph_init(&c->graph[g], n, NULL), 0);
    c->use_noise = 1;
}

/* group 0 full, group 1 ring, group 2 radius 2 with agents 1 and 4 inactive (no neighbours) */
static void default_graphs(Case *c) {
    if (c->G > 2) {
        c->active[2 * c->n + 1] = 0;
        if (c->n > 4) c->active[2 * c->n + 4] = 0;
    }
    static const CommTopology topo[GMAX] = {COMM_FULL, COMM_RING, COMM_RADIUS};
    for (int g = 0; g < c->G; g++) build_graph(c, g, topo[g % GMAX], 2);
}

static void case_close(Case *c) {
    for (int g = 0; g < c->G; g++) comm_graph_close(&c->graph[g]);
    free(c->params);
    free(c->dparams);
    free(c->h0);
    free(c->h);
    free(c->dh);
    free(c->dh0);
    free(c->pos);
    free(c->bits_in);
    free(c->noise);
    free(c->bits_out);
    free(c->work);
    free(c->iwork);
}

static void run_forward(Case *c, int naive) {
    const float *noise = c->use_noise ? c->noise : NULL;
    (naive ? gnn_forward_naive : gnn_forward)(&c->s, c->params, c->G, c->graph, c->h0, c->pos,
                                              c->bits_in, noise, c->h, c->bits_out, c->work,
                                              c->iwork);
}

static void run_backward(Case *c, int naive) {
    const float *noise = c->use_noise ? c->noise : NULL;
    (naive ? gnn_backward_naive : gnn_backward)(&c->s, c->params, c->G, c->graph, c->h0, c->pos,
                                                c->bits_in, noise, c->dh, c->dparams, c->dh0,
                                                c->work, c->iwork);
}

/* the scalar loss of the gradient checks: sum dh * h, in double */
static double loss(Case *c) {
    run_forward(c, 0);
    double l = 0;
    for (size_t i = 0; i < (size_t)c->rows * c->s.d; i++) l += (double)c->dh[i] * (double)c->h[i];
    return l;
}

static GnnShape shape(int d, int bits, int rounds, CommAgg agg, GnnMode mode, GnnEstimator est,
                      NnKind act) {
    GnnShape s = {d, bits, rounds, agg, mode, est, act};
    return s;
}

/* ---- fast against naive ----------------------------------------------------------------- */

/* every aggregation, mode, estimator, activation and one or two rounds over three groups */
static void test_fast_vs_naive(void **state) {
    (void)state;
    int cases = 0;
    for (int agg = 0; agg < COMM_AGG_COUNT; agg++)
        for (int variant = 0; variant < 4; variant++) /* signal, straight, sigmoid, soft */
            for (int K = 1; K <= 2; K++)
                for (int a = 0; a < 2; a++) {
                    GnnMode mode = variant == 0 ? GNN_SIGNAL : GNN_DIFFERENTIABLE;
                    GnnEstimator est = variant == 0 ? GNN_STRAIGHT : (GnnEstimator)(variant - 1);
                    GnnShape s = shape(4, 3, K, (CommAgg)agg, mode, est, a ? NN_TANH : NN_RELU);
                    uint64_t key = env_hash4(100, (uint64_t)agg, (uint64_t)variant, (uint64_t)K);
                    Case f, r;
                    case_init(&f, s, 3, 5, key);
                    case_init(&r, s, 3, 5, key);
                    default_graphs(&f);
                    default_graphs(&r);
                    run_forward(&f, 0);
                    run_forward(&r, 1);
                    char what[96];
                    int len = snprintf(what, sizeof what, "%s %s %s K=%d %s ", comm_agg_name(s.agg),
                                       gnn_mode_name(mode), gnn_estimator_name(est), K,
                                       a ? "tanh" : "relu");
                    size_t rd = (size_t)f.rows * s.d, rB = (size_t)f.rows * s.bits;
                    snprintf(what + len, sizeof what - (size_t)len, "h");
                    expect_close(what, f.h, r.h, rd, 1e-5f, 1e-4f);
                    snprintf(what + len, sizeof what - (size_t)len, "bits_out");
                    if (mode == GNN_DIFFERENTIABLE)
                        expect_close(what, f.bits_out, r.bits_out, (size_t)K * rB, 1e-6f, 0);
                    /* the same neighbour chosen for every element of every round */
                    if (s.agg == COMM_AGG_MAX)
                        assert_memory_equal(f.iwork, r.iwork,
                                            gnn_work_ints(&s, f.rows) * sizeof(int32_t));
                    run_backward(&f, 0);
                    run_backward(&r, 1);
                    snprintf(what + len, sizeof what - (size_t)len, "dparams");
                    expect_close(what, f.dparams, r.dparams, gnn_n_params(&s), 1e-4f, 1e-4f);
                    snprintf(what + len, sizeof what - (size_t)len, "dh0");
                    expect_close(what, f.dh0, r.dh0, rd, 1e-5f, 1e-4f);
                    case_close(&f);
                    case_close(&r);
                    cases++;
                }
    assert_int_equal(cases, 3 * 4 * 2 * 2);
}

/* ---- finite differences ----------------------------------------------------------------- */

/* the loss of a case, for th_grad_check */
static double case_loss(void *c) {
    return loss(c);
}

/* dparams and dh0 in signal mode and in differentiable mode with soft bits (tanh, so that the
 * loss is smooth; max is smooth away from ties, and the perturbation is small) */
static void test_finite_differences(void **state) {
    (void)state;
    for (int agg = 0; agg < COMM_AGG_COUNT; agg++)
        for (int mode = 0; mode < 2; mode++) {
            GnnShape s = shape(3, 2, 2, (CommAgg)agg, (GnnMode)mode, GNN_SOFT, NN_TANH);
            Case c;
            case_init(&c, s, 3, 4, env_hash4(200, (uint64_t)agg, (uint64_t)mode, 0));
            default_graphs(&c);
            run_forward(&c, 0);
            run_backward(&c, 0);
            size_t np = gnn_n_params(&s), rd = (size_t)c.rows * s.d;
            float *dp = falloc(np), *dh0 = falloc(rd);
            memcpy(dp, c.dparams, sizeof(float) * np);
            memcpy(dh0, c.dh0, sizeof(float) * rd);
            char what[64];
            float eps = agg == COMM_AGG_MAX ? 1e-3f : 1e-2f;
            snprintf(what, sizeof what, "%s %s dparams", comm_agg_name(s.agg),
                     gnn_mode_name(s.mode));
            th_grad_check(what, c.params, dp, np, 1, case_loss, &c, eps, 2e-3);
            snprintf(what, sizeof what, "%s %s dh0", comm_agg_name(s.agg), gnn_mode_name(s.mode));
            th_grad_check(what, c.h0, dh0, rd, 1, case_loss, &c, eps, 2e-3);
            free(dp);
            free(dh0);
            case_close(&c);
        }
}

/* two agents on a ring, only agent 0's output in the loss: in differentiable mode the gradient
 * reaches agent 1 (the speaker) through its bits and matches finite differences; in signal mode
 * agent 1's state cannot reach agent 0 and its gradient is exactly zero */
static void test_listener_reaches_speaker(void **state) {
    (void)state;
    for (int variant = 0; variant < 3; variant++)
        for (int K = 1; K <= 2; K++) {
            GnnMode mode = variant == 0 ? GNN_SIGNAL : GNN_DIFFERENTIABLE;
            GnnEstimator est = variant == 2 ? GNN_SIGMOID : GNN_SOFT;
            GnnShape s = shape(3, 2, K, COMM_AGG_SUM, mode, est, NN_TANH);
            Case c;
            case_init(&c, s, 1, 2, env_hash4(300, (uint64_t)variant, (uint64_t)K, 0));
            build_graph(&c, 0, COMM_RING, 0);
            assert_int_equal(c.graph[0].n_edges, 2);
            for (int q = 0; q < s.d; q++) c.dh[s.d + q] = 0.0f; /* agent 1 is not in the loss */
            run_forward(&c, 0);
            run_backward(&c, 0);
            const float *speaker = c.dh0 + s.d;
            if (mode == GNN_SIGNAL) {
                for (int q = 0; q < s.d; q++) assert_true(speaker[q] == 0.0f);
            } else {
                double norm = 0;
                for (int q = 0; q < s.d; q++) norm += fabs((double)speaker[q]);
                if (!(norm > 1e-3))
                    fail_msg("%s K=%d: the speaker's gradient is %.3g", gnn_estimator_name(est), K,
                             norm);
                /* the soft estimator is the exact derivative: finite differences agree */
                if (est == GNN_SOFT) {
                    float dh0[NMAX * 3];
                    memcpy(dh0, c.dh0, sizeof(float) * (size_t)c.rows * s.d);
                    th_grad_check("speaker dh0", c.h0, dh0, (size_t)c.rows * s.d, 1, case_loss, &c,
                                  1e-2f, 2e-3);
                }
            }
            /* the naive reference agrees on the crossing path too */
            Case r;
            case_init(&r, s, 1, 2, env_hash4(300, (uint64_t)variant, (uint64_t)K, 0));
            build_graph(&r, 0, COMM_RING, 0);
            memcpy(r.dh, c.dh, sizeof(float) * (size_t)c.rows * s.d);
            run_forward(&r, 1);
            run_backward(&r, 1);
            expect_close("speaker naive dh0", c.dh0, r.dh0, (size_t)c.rows * s.d, 1e-5f, 1e-4f);
            case_close(&r);
            case_close(&c);
        }
}

/* ---- hard bits -------------------------------------------------------------------------- */

/* straight and sigmoid emit exactly 0 or 1 (both values occur); straight ignores noise, sigmoid
 * thresholds a + noise; soft emits values strictly between 0 and 1 */
static void test_hard_bits(void **state) {
    (void)state;
    for (int est = 0; est < GNN_ESTIMATOR_COUNT; est++) {
        GnnShape s = shape(4, 3, 2, COMM_AGG_MEAN, GNN_DIFFERENTIABLE, (GnnEstimator)est, NN_RELU);
        Case c;
        case_init(&c, s, 3, 5, env_hash4(400, (uint64_t)est, 0, 0));
        default_graphs(&c);
        size_t nb = (size_t)s.rounds * c.rows * s.bits;
        run_forward(&c, 0);
        float *with_noise = falloc(nb);
        memcpy(with_noise, c.bits_out, sizeof(float) * nb);
        c.use_noise = 0;
        run_forward(&c, 0);
        int ones = 0, zeros = 0;
        for (size_t i = 0; i < nb; i++) {
            float z = with_noise[i];
            if (est == GNN_SOFT) {
                assert_true(z > 0.0f && z < 1.0f);
                continue;
            }
            assert_true(z == 0.0f || z == 1.0f);
            ones += z == 1.0f;
            zeros += z == 0.0f;
        }
        if (est != GNN_SOFT) assert_true(ones > 0 && zeros > 0);
        /* noise of +-0.5 flips some sigmoid bits and never a straight-through bit */
        int same = memcmp(with_noise, c.bits_out, sizeof(float) * nb) == 0;
        assert_int_equal(same, est == GNN_STRAIGHT);
        free(with_noise);
        case_close(&c);
    }
}

/* ---- permutation equivariance ----------------------------------------------------------- */

/* permuting the agents of a group (positions, bits, states, noise, activity, with the graph
 * rebuilt on the permuted positions) permutes the outputs and the input gradient and leaves the
 * parameter gradient unchanged */
static void test_permutation(void **state) {
    (void)state;
    static const int perm[NMAX] = {3, 5, 0, 4, 1, 2}; /* new agent a is old agent perm[a] */
    for (int agg = 0; agg < COMM_AGG_COUNT; agg++)
        for (int variant = 0; variant < 3; variant++)
            for (int topo = 0; topo < 2; topo++) {
                GnnMode mode = variant == 0 ? GNN_SIGNAL : GNN_DIFFERENTIABLE;
                GnnEstimator est = variant == 1 ? GNN_SIGMOID : GNN_SOFT;
                GnnShape s = shape(4, 2, 2, (CommAgg)agg, mode, est, NN_TANH);
                uint64_t key = env_hash4(500, (uint64_t)agg, (uint64_t)variant, (uint64_t)topo);
                CommTopology t = topo ? COMM_RADIUS : COMM_FULL;
                Case a, b;
                case_init(&a, s, 1, NMAX, key);
                case_init(&b, s, 1, NMAX, key);
                a.active[2] = 0; /* an agent without neighbours */
                const int d = s.d, B = s.bits, n = NMAX;
                for (int i = 0; i < n; i++) {
                    int o = perm[i];
                    b.prow[i] = a.prow[o];
                    b.pcol[i] = a.pcol[o];
                    b.active[i] = a.active[o];
                    memcpy(b.pos + i * 2, a.pos + o * 2, sizeof(float) * 2);
                    memcpy(b.h0 + i * d, a.h0 + o * d, sizeof(float) * (size_t)d);
                    memcpy(b.dh + i * d, a.dh + o * d, sizeof(float) * (size_t)d);
                    memcpy(b.bits_in + i * B, a.bits_in + o * B, sizeof(float) * (size_t)B);
                    for (int k = 0; k < s.rounds; k++)
                        memcpy(b.noise + (k * n + i) * B, a.noise + (k * n + o) * B,
                               sizeof(float) * (size_t)B);
                }
                build_graph(&a, 0, t, 2);
                build_graph(&b, 0, t, 2);
                run_forward(&a, 0);
                run_forward(&b, 0);
                run_backward(&a, 0);
                run_backward(&b, 0);
                for (int i = 0; i < n; i++) {
                    expect_close("permuted h", b.h + i * d, a.h + perm[i] * d, (size_t)d, 1e-5f,
                                 1e-5f);
                    expect_close("permuted dh0", b.dh0 + i * d, a.dh0 + perm[i] * d, (size_t)d,
                                 1e-5f, 1e-4f);
                    if (mode == GNN_DIFFERENTIABLE)
                        for (int k = 0; k < s.rounds; k++)
                            expect_close("permuted bits", b.bits_out + (k * n + i) * B,
                                         a.bits_out + (k * n + perm[i]) * B, (size_t)B, 1e-6f, 0);
                }
                expect_close("permuted dparams", b.dparams, a.dparams, gnn_n_params(&s), 1e-4f,
                             1e-4f);
                case_close(&a);
                case_close(&b);
            }
}

/* ---- agents without neighbours ---------------------------------------------------------- */

/* act(h W + b) computed by nn.h over the same rows */
static void linear_act(const GnnShape *s, const float *params, int k, int rows, const float *x,
                       float *y) {
    GnnParamOffsets o = gnn_param_offsets(s, k);
    nn_linear_forward(rows, s->d, s->d, x, params + o.w, params + o.b, y);
    if (s->act == NN_RELU)
        nn_relu_forward((size_t)rows * s->d, y, y);
    else
        nn_tanh_forward((size_t)rows * s->d, y, y);
}

/* with no neighbours the output is act(h W + b) bit for bit: every agent under the topology
 * none for two rounds, and the isolated agents of a radius graph for one round */
static void test_no_neighbours(void **state) {
    (void)state;
    for (int agg = 0; agg < COMM_AGG_COUNT; agg++)
        for (int mode = 0; mode < 2; mode++)
            for (int a = 0; a < 2; a++) {
                NnKind act = a ? NN_TANH : NN_RELU;
                GnnShape s = shape(4, 2, 2, (CommAgg)agg, (GnnMode)mode, GNN_SIGMOID, act);
                Case c;
                case_init(&c, s, 3, 5, env_hash4(600, (uint64_t)agg, (uint64_t)mode, 0));
                for (int g = 0; g < c.G; g++) build_graph(&c, g, COMM_NONE, 0);
                run_forward(&c, 0);
                size_t rd = (size_t)c.rows * s.d;
                float *h1 = falloc(rd), *h2 = falloc(rd);
                linear_act(&s, c.params, 0, c.rows, c.h0, h1);
                linear_act(&s, c.params, 1, c.rows, h1, h2);
                for (size_t i = 0; i < rd; i++) assert_true(c.h[i] == h2[i]);
                /* nothing reaches the bits or positions' weights */
                run_backward(&c, 0);
                GnnParamOffsets o = gnn_param_offsets(&s, 1);
                for (int i = 0; i < (s.bits + 2) * s.d; i++)
                    assert_true(c.dparams[o.u + (size_t)i] == 0.0f);
                free(h1);
                free(h2);
                case_close(&c);

                /* one round on the default graphs: agents 1 and 4 of group 2 are inactive */
                GnnShape s1 = shape(4, 2, 1, (CommAgg)agg, (GnnMode)mode, GNN_SIGMOID, act);
                case_init(&c, s1, 3, 5, env_hash4(601, (uint64_t)agg, (uint64_t)mode, 0));
                default_graphs(&c);
                run_forward(&c, 0);
                h1 = falloc(rd);
                linear_act(&s1, c.params, 0, c.rows, c.h0, h1);
                int isolated = 0;
                for (int g = 0; g < c.G; g++)
                    for (int i = 0; i < c.n; i++) {
                        if (comm_graph_degree(&c.graph[g], i) != 0) continue;
                        isolated++;
                        size_t off = (size_t)(g * c.n + i) * s1.d;
                        for (int q = 0; q < s1.d; q++) assert_true(c.h[off + q] == h1[off + q]);
                    }
                assert_true(isolated >= 2);
                free(h1);
                case_close(&c);
            }
}

/* ---- max aggregation: the argmax of each round -------------------------------------------- */

/* every argmax entry of every round names a neighbour of the receiver (-1 exactly when it has
 * none), the rounds differ, and the backward pass routes through the round's own argmax: a
 * stale argmax (round 1's in round 2's place) changes the gradient */
static void test_max_argmax(void **state) {
    (void)state;
    GnnShape s = shape(4, 3, 2, COMM_AGG_MAX, GNN_DIFFERENTIABLE, GNN_SOFT, NN_TANH);
    Case c;
    case_init(&c, s, 3, 5, env_hash4(700, 0, 0, 0));
    default_graphs(&c);
    assert_int_equal(gnn_work_ints(&s, c.rows), (size_t)2 * c.rows * s.d);
    run_forward(&c, 0);
    size_t rd = (size_t)c.rows * s.d;
    for (int k = 0; k < s.rounds; k++)
        for (int g = 0; g < c.G; g++)
            for (int i = 0; i < c.n; i++)
                for (int q = 0; q < s.d; q++) {
                    int32_t j = c.iwork[k * rd + (size_t)(g * c.n + i) * s.d + (size_t)q];
                    if (comm_graph_degree(&c.graph[g], i) == 0)
                        assert_int_equal(j, -1);
                    else
                        assert_true(comm_graph_has_edge(&c.graph[g], i, j));
                }
    assert_true(memcmp(c.iwork, c.iwork + rd, rd * sizeof(int32_t)) != 0);
    run_backward(&c, 0);
    size_t np = gnn_n_params(&s);
    float *good = falloc(np);
    memcpy(good, c.dparams, sizeof(float) * np);
    /* forward again, then spoil round 2's argmax with round 1's */
    run_forward(&c, 0);
    memcpy(c.iwork + rd, c.iwork, rd * sizeof(int32_t));
    run_backward(&c, 0);
    assert_true(memcmp(good, c.dparams, sizeof(float) * np) != 0);
    /* and with the scratch untouched, backward twice gives the same bytes */
    run_forward(&c, 0);
    run_backward(&c, 0);
    assert_memory_equal(good, c.dparams, sizeof(float) * np);
    free(good);
    case_close(&c);
    /* sum and mean need no ints */
    s.agg = COMM_AGG_MEAN;
    assert_int_equal(gnn_work_ints(&s, 15), 0);
}

/* ---- groups ----------------------------------------------------------------------------- */

/* three groups in one call give what each group gives alone (the forward bit for bit, the
 * parameter gradient the sum of the three up to rounding) */
static void test_groups(void **state) {
    (void)state;
    GnnShape s = shape(4, 2, 2, COMM_AGG_SUM, GNN_DIFFERENTIABLE, GNN_SIGMOID, NN_RELU);
    Case all;
    case_init(&all, s, 3, 5, env_hash4(800, 0, 0, 0));
    default_graphs(&all);
    run_forward(&all, 0);
    run_backward(&all, 0);
    size_t np = gnn_n_params(&s), gd = (size_t)5 * s.d, gB = (size_t)5 * s.bits;
    float *sum = falloc(np);
    for (int g = 0; g < 3; g++) {
        Case one;
        case_init(&one, s, 1, 5, env_hash4(800, 0, 0, 0));
        memcpy(one.params, all.params, sizeof(float) * np);
        memcpy(one.h0, all.h0 + g * gd, sizeof(float) * gd);
        memcpy(one.dh, all.dh + g * gd, sizeof(float) * gd);
        memcpy(one.pos, all.pos + g * 10, sizeof(float) * 10);
        for (int k = 0; k < s.rounds; k++)
            memcpy(one.noise + k * gB, all.noise + (k * 3 + g) * gB, sizeof(float) * gB);
        comm_graph_close(&one.graph[0]);
        one.graph[0] = all.graph[g];
        run_forward(&one, 0);
        run_backward(&one, 0);
        assert_memory_equal(one.h, all.h + g * gd, sizeof(float) * gd);
        expect_close("group dh0", one.dh0, all.dh0 + g * gd, gd, 1e-6f, 1e-5f);
        for (size_t i = 0; i < np; i++) sum[i] += one.dparams[i];
        memset(&one.graph[0], 0, sizeof one.graph[0]); /* owned by `all` */
        case_close(&one);
    }
    expect_close("group dparams", all.dparams, sum, np, 1e-4f, 1e-4f);
    free(sum);
    case_close(&all);
}

/* ---- shapes, layout, initialisation ----------------------------------------------------- */

static void expect_error(GnnShape s, const char *needle) {
    EnvError err = {0};
    assert_int_equal(gnn_shape_check(&s, &err), ENV_EINPUT);
    assert_int_equal(err.code, ENV_EINPUT);
    if (!strstr(err.msg, needle)) fail_msg("error \"%s\" does not name %s", err.msg, needle);
}

static void test_shape_check(void **state) {
    (void)state;
    GnnShape ok = shape(8, 2, 2, COMM_AGG_MEAN, GNN_DIFFERENTIABLE, GNN_STRAIGHT, NN_RELU);
    EnvError err = {0};
    assert_int_equal(gnn_shape_check(&ok, &err), 0);
    GnnShape s = ok;
    s.d = 0;
    expect_error(s, "node width 0");
    s = ok;
    s.bits = 0;
    expect_error(s, "comm.signal_bits = 0");
    s.bits = ENV_MAX_SIGNAL_BITS + 1;
    expect_error(s, "1 to 4 bits");
    s = ok;
    s.rounds = 0;
    expect_error(s, "gnn.rounds = 0");
    s = ok;
    s.agg = COMM_AGG_COUNT;
    expect_error(s, "gnn.agg = 3: allowed values are sum, mean, max");
    s = ok;
    s.mode = (GnnMode)2;
    expect_error(s, "gnn.mode = 2: allowed values are signal differentiable");
    s = ok;
    s.est = (GnnEstimator)-1;
    expect_error(s, "gnn.estimator = -1: allowed values are straight sigmoid soft");
    s = ok;
    s.act = NN_LINEAR;
    expect_error(s, "net.activation");
    assert_string_equal(gnn_mode_name(GNN_DIFFERENTIABLE), "differentiable");
    assert_string_equal(gnn_estimator_name(GNN_SIGMOID), "sigmoid");
    assert_string_equal(gnn_estimator_name((GnnEstimator)7), "?");
}

static void test_layout_and_init(void **state) {
    (void)state;
    /* d = 3, B = 2: per round W 9 + U 6 + V 6 + b 3 = 24, plus S 6 + c 2 differentiable */
    GnnShape s = shape(3, 2, 2, COMM_AGG_SUM, GNN_SIGNAL, GNN_STRAIGHT, NN_TANH);
    assert_int_equal(gnn_n_params(&s), 48);
    GnnParamOffsets o = gnn_param_offsets(&s, 1);
    assert_int_equal(o.w, 24);
    assert_int_equal(o.u, 33);
    assert_int_equal(o.v, 39);
    assert_int_equal(o.b, 45);
    s.mode = GNN_DIFFERENTIABLE;
    assert_int_equal(gnn_n_params(&s), 64);
    o = gnn_param_offsets(&s, 1);
    assert_int_equal(o.w, 32);
    assert_int_equal(o.b, 53);
    assert_int_equal(o.s, 56);
    assert_int_equal(o.c, 62);
    assert_int_equal(gnn_work_floats(&s, 10), 2 * 10 * 3 + 5 * 10 * 3 + 10 * 2 + 2 * 2 * 10 * 2);

    /* initialisation: a pure function of the key, zero biases, bounds gain sqrt(3 / fan_in) */
    float p1[64], p2[64], p3[64];
    gnn_init_params(&s, p1, 42);
    gnn_init_params(&s, p2, 42);
    gnn_init_params(&s, p3, 43);
    assert_memory_equal(p1, p2, sizeof p1);
    assert_true(memcmp(p1, p3, sizeof p1) != 0);
    float bwuv = sqrtf(3.0f / 7.0f), bs = sqrtf(3.0f / 3.0f);
    for (int k = 0; k < 2; k++) {
        o = gnn_param_offsets(&s, k);
        for (size_t i = o.w; i < o.b; i++) assert_true(fabsf(p1[i]) <= bwuv && p1[i] != 0.0f);
        for (size_t i = o.b; i < o.s; i++) assert_true(p1[i] == 0.0f);
        for (size_t i = o.s; i < o.c; i++) assert_true(fabsf(p1[i]) <= bs && p1[i] != 0.0f);
        for (size_t i = o.c; i < o.c + 2; i++) assert_true(p1[i] == 0.0f);
    }
    /* the rounds draw from different streams */
    assert_true(memcmp(p1, p1 + 32, 9 * sizeof(float)) != 0);
}

int main(void) {
    nn_blas_single_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_vs_naive),
        cmocka_unit_test(test_finite_differences),
        cmocka_unit_test(test_listener_reaches_speaker),
        cmocka_unit_test(test_hard_bits),
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_no_neighbours),
        cmocka_unit_test(test_max_argmax),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_shape_check),
        cmocka_unit_test(test_layout_and_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
