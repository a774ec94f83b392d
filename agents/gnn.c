/* gnn.c: the GNN layer of gnn.h, K rounds of message passing over comm/'s aggregation kernels,
 * forward and backward, with naive dense references beside them.
 *
 * The fast path runs every matrix product over all rows of all groups at once (OpenBLAS sgemm,
 * one thread, directly or through nn_linear_forward/backward) and aggregates group by group
 * with comm_aggregate_forward/backward. The references loop over every (receiver, sender) pair,
 * test edges with comm_graph_has_edge, form each edge's message from the relative offset
 * pos_j - pos_i, and accumulate in double. Nothing allocates; the scratch layout is the same for
 * both (see work_views).
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gnn.h"
#include "rng.h"

static const char *const MODE_NAMES[GNN_MODE_COUNT] = {"signal", "differentiable"};
static const char *const EST_NAMES[GNN_ESTIMATOR_COUNT] = {"straight", "sigmoid", "soft"};

const char *gnn_mode_name(GnnMode m) {
    return ((int)m >= 0 && (int)m < GNN_MODE_COUNT) ? MODE_NAMES[m] : "?";
}

const char *gnn_estimator_name(GnnEstimator e) {
    return ((int)e >= 0 && (int)e < GNN_ESTIMATOR_COUNT) ? EST_NAMES[e] : "?";
}

int gnn_shape_check(const GnnShape *s, EnvError *err) {
    if (s->d < 1)
        return env_fail(err, ENV_EINPUT,
                        "gnn: node width %d: the encoder must give at least 1 feature (net.hidden)",
                        s->d);
    if (s->bits < 1 || s->bits > ENV_MAX_SIGNAL_BITS)
        return env_fail(err, ENV_EINPUT,
                        "comm.signal_bits = %d: a GNN layer needs 1 to %d bits per agent (set "
                        "comm.signal_bits, or gnn.rounds = 0 for no GNN)",
                        s->bits, ENV_MAX_SIGNAL_BITS);
    if (s->rounds < 1)
        return env_fail(err, ENV_EINPUT,
                        "gnn.rounds = %d: a GNN layer has at least 1 round (0 means no GNN layer)",
                        s->rounds);
    if ((int)s->agg < 0 || (int)s->agg >= COMM_AGG_COUNT)
        return env_fail(err, ENV_EINPUT, "gnn.agg = %d: allowed values are sum, mean, max",
                        (int)s->agg);
    if ((int)s->mode < 0 || (int)s->mode >= GNN_MODE_COUNT)
        return env_fail(err, ENV_EINPUT, "gnn.mode = %d: allowed values are %s", (int)s->mode,
                        GNN_MODE_CHOICES);
    if ((int)s->est < 0 || (int)s->est >= GNN_ESTIMATOR_COUNT)
        return env_fail(err, ENV_EINPUT, "gnn.estimator = %d: allowed values are %s", (int)s->est,
                        GNN_ESTIMATOR_CHOICES);
    if (s->act != NN_RELU && s->act != NN_TANH)
        return env_fail(err, ENV_EINPUT, "net.activation = %d: the GNN layer takes relu or tanh",
                        (int)s->act);
    return 0;
}

/* floats of one round's parameters */
static size_t round_params(const GnnShape *s) {
    size_t d = (size_t)s->d, B = (size_t)s->bits;
    size_t n = d * d + B * d + 2 * d + d;
    if (s->mode == GNN_DIFFERENTIABLE) n += d * B + B;
    return n;
}

size_t gnn_n_params(const GnnShape *s) {
    return (size_t)s->rounds * round_params(s);
}

GnnParamOffsets gnn_param_offsets(const GnnShape *s, int k) {
    size_t d = (size_t)s->d, B = (size_t)s->bits;
    GnnParamOffsets o;
    o.w = (size_t)k * round_params(s);
    o.u = o.w + d * d;
    o.v = o.u + B * d;
    o.b = o.v + 2 * d;
    o.s = s->mode == GNN_DIFFERENTIABLE ? o.b + d : 0;
    o.c = s->mode == GNN_DIFFERENTIABLE ? o.s + d * B : 0;
    return o;
}

/* a uniform float in [-1, 1) from 24 bits of a draw (as net.c draws) */
static float uniform_pm1(EnvRng *r) {
    return (float)(env_rng_u32(r) >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

/* n weights uniform on [-bound, bound] */
static void fill_uniform(EnvRng *r, float *w, size_t n, float bound) {
    for (size_t i = 0; i < n; i++) w[i] = bound * uniform_pm1(r);
}

void gnn_init_params(const GnnShape *s, float *params, uint64_t key) {
    size_t d = (size_t)s->d, B = (size_t)s->bits;
    memset(params, 0, sizeof(float) * gnn_n_params(s));
    /* uniform on [-b, b] has standard deviation b / sqrt(3) */
    float gain = s->act == NN_RELU ? sqrtf(2.0f) : 1.0f;
    float bound_wuv = gain * sqrtf(3.0f / (float)(s->d + s->bits + 2));
    float bound_s = sqrtf(3.0f / (float)s->d);
    for (int k = 0; k < s->rounds; k++) {
        EnvRng rng;
        env_rng_seed(&rng, env_hash4(key, (uint64_t)k, 0, GNN_STREAM_INIT));
        GnnParamOffsets o = gnn_param_offsets(s, k);
        fill_uniform(&rng, params + o.w, d * d, bound_wuv);
        fill_uniform(&rng, params + o.u, B * d, bound_wuv);
        fill_uniform(&rng, params + o.v, 2 * d, bound_wuv);
        if (s->mode == GNN_DIFFERENTIABLE) fill_uniform(&rng, params + o.s, d * B, bound_s);
    }
}

size_t gnn_work_floats(const GnnShape *s, int rows) {
    size_t r = rows > 0 ? (size_t)rows : 0, d = (size_t)s->d, B = (size_t)s->bits;
    size_t K = (size_t)s->rounds;
    size_t n = K * r * d + 5 * r * d + r * B;
    if (s->mode == GNN_DIFFERENTIABLE) n += 2 * K * r * B;
    return n;
}

size_t gnn_work_ints(const GnnShape *s, int rows) {
    size_t r = rows > 0 ? (size_t)rows : 0;
    return s->agg == COMM_AGG_MAX ? (size_t)s->rounds * r * (size_t)s->d : 0;
}

/* named views of the scratch */
typedef struct Views {
    float *hk; /* (K, rows, d) h^(k) of every round k = 1..K */
    float *pv; /* (rows, d) pos V of the round */
    float *x;  /* (rows, d) forward: node messages; backward: their gradient */
    float *m;  /* (rows, d) forward: the aggregate; backward: the pre-activation's gradient */
    float *g0; /* (rows, d) the gradient wrt a round's output, ping */
    float *g1; /* (rows, d) pong */
    float *dz; /* (rows, B) gradient wrt the bits, then wrt a */
    float *zk; /* (K, rows, B) differentiable: the bits of each round */
    float *uk; /* (K, rows, B) differentiable: a (+ noise) of each round */
} Views;

static Views work_views(const GnnShape *s, int rows, float *work) {
    size_t r = (size_t)rows, d = (size_t)s->d, B = (size_t)s->bits, K = (size_t)s->rounds;
    Views v;
    v.hk = work;
    v.pv = v.hk + K * r * d;
    v.x = v.pv + r * d;
    v.m = v.x + r * d;
    v.g0 = v.m + r * d;
    v.g1 = v.g0 + r * d;
    v.dz = v.g1 + r * d;
    v.zk = s->mode == GNN_DIFFERENTIABLE ? v.dz + r * B : NULL;
    v.uk = s->mode == GNN_DIFFERENTIABLE ? v.zk + K * r * B : NULL;
    return v;
}

static float sigmoidf_(float u) {
    return 1.0f / (1.0f + expf(-u));
}

/* the bit of u = a (+ noise) */
static float bit_forward(GnnEstimator est, float u) {
    if (est == GNN_SOFT) return sigmoidf_(u);
    return u > 0.0f ? 1.0f : 0.0f;
}

/* dz / da at u = a (+ noise) */
static float bit_slope(GnnEstimator est, float u) {
    if (est == GNN_STRAIGHT) return fabsf(u) <= 1.0f ? 1.0f : 0.0f;
    float sg = sigmoidf_(u);
    return est == GNN_SIGMOID ? 4.0f * sg * (1.0f - sg) : sg * (1.0f - sg);
}

/* the multiplier of pos_i V in agent i's aggregate: deg for sum, 1 for mean and max */
static float self_count(CommAgg agg, int deg) {
    return agg == COMM_AGG_SUM ? (float)deg : 1.0f;
}

/* ---- fast path -------------------------------------------------------------------------- */

void gnn_forward(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                 const float *h0, const float *pos, const float *bits_in, const float *noise,
                 float *h, float *bits_out, float *work, int32_t *iwork) {
    const int n = G > 0 ? graphs[0].n : 0, rows = G * n, d = s->d, B = s->bits;
    if (rows <= 0) return;
    const size_t rd = (size_t)rows * (size_t)d, rB = (size_t)rows * (size_t)B, gd = (size_t)n * d;
    const int diff = s->mode == GNN_DIFFERENTIABLE;
    Views v = work_views(s, rows, work);
    for (int k = 0; k < s->rounds; k++) {
        GnnParamOffsets o = gnn_param_offsets(s, k);
        const float *hp = k == 0 ? h0 : v.hk + (size_t)(k - 1) * rd;
        float *hk = v.hk + (size_t)k * rd;
        int32_t *am = s->agg == COMM_AGG_MAX ? iwork + (size_t)k * rd : NULL;
        /* the bits that cross: last step's, or emitted now from h^(k-1) */
        const float *z = bits_in;
        if (diff) {
            float *u = v.uk + (size_t)k * rB, *zk = v.zk + (size_t)k * rB;
            nn_linear_forward(rows, d, B, hp, params + o.s, params + o.c, u);
            if (noise && s->est != GNN_STRAIGHT) {
                const float *nk = noise + (size_t)k * rB;
                for (size_t i = 0; i < rB; i++) u[i] += nk[i];
            }
            for (size_t i = 0; i < rB; i++) zk[i] = bit_forward(s->est, u[i]);
            if (bits_out) memcpy(bits_out + (size_t)k * rB, zk, sizeof(float) * rB);
            z = zk;
        }
        /* node messages x = z U + pos V */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, d, 2, 1.0f, pos, 2,
                    params + o.v, d, 0.0f, v.pv, d);
        memcpy(v.x, v.pv, sizeof(float) * rd);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, d, B, 1.0f, z, B, params + o.u,
                    d, 1.0f, v.x, d);
        /* aggregate per group, then make every offset relative to the receiver */
        for (int g = 0; g < G; g++) {
            const CommGraph *gr = &graphs[g];
            size_t off = (size_t)g * gd;
            comm_aggregate_forward(gr, s->agg, v.x + off, d, v.m + off, am ? am + off : NULL);
            for (int i = 0; i < n; i++) {
                int deg = gr->row[i + 1] - gr->row[i];
                if (deg == 0) continue;
                float c = self_count(s->agg, deg);
                float *mi = v.m + off + (size_t)i * d;
                const float *pvi = v.pv + off + (size_t)i * d;
                for (int q = 0; q < d; q++) mi[q] -= c * pvi[q];
            }
        }
        /* h^(k) = act(h^(k-1) W + b + m) */
        nn_linear_forward(rows, d, d, hp, params + o.w, params + o.b, hk);
        for (size_t i = 0; i < rd; i++) hk[i] += v.m[i];
        if (s->act == NN_RELU)
            nn_relu_forward(rd, hk, hk);
        else
            nn_tanh_forward(rd, hk, hk);
    }
    memcpy(h, v.hk + (size_t)(s->rounds - 1) * rd, sizeof(float) * rd);
}

void gnn_backward(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                  const float *h0, const float *pos, const float *bits_in, const float *noise,
                  const float *dh, float *dparams, float *dh0, float *work, int32_t *iwork) {
    (void)noise; /* the forward kept a (+ noise) in the scratch */
    const int n = G > 0 ? graphs[0].n : 0, rows = G * n, d = s->d, B = s->bits;
    memset(dparams, 0, sizeof(float) * gnn_n_params(s));
    if (rows <= 0) return;
    const size_t rd = (size_t)rows * (size_t)d, rB = (size_t)rows * (size_t)B, gd = (size_t)n * d;
    const int diff = s->mode == GNN_DIFFERENTIABLE;
    Views v = work_views(s, rows, work);
    const float *gk = dh; /* dL / dh^(k) */
    for (int k = s->rounds - 1; k >= 0; k--) {
        GnnParamOffsets o = gnn_param_offsets(s, k);
        const float *hp = k == 0 ? h0 : v.hk + (size_t)(k - 1) * rd;
        const float *hk = v.hk + (size_t)k * rd;
        const int32_t *am = s->agg == COMM_AGG_MAX ? iwork + (size_t)k * rd : NULL;
        const float *z = diff ? v.zk + (size_t)k * rB : bits_in;
        float *gnext = k == 0 ? dh0 : ((s->rounds - 1 - k) % 2 == 0 ? v.g0 : v.g1);
        float *dpre = v.m, *dx = v.x;
        /* through the activation, then the linear part: dW, db and dh^(k-1) */
        if (s->act == NN_RELU)
            nn_relu_backward(rd, hk, gk, dpre);
        else
            nn_tanh_backward(rd, hk, gk, dpre);
        nn_linear_backward(rows, d, d, hp, params + o.w, dpre, gnext, dparams + o.w, dparams + o.b);
        /* the aggregate's gradient onto the node messages, group by group */
        memset(dx, 0, sizeof(float) * rd);
        for (int g = 0; g < G; g++) {
            size_t off = (size_t)g * gd;
            comm_aggregate_backward(&graphs[g], s->agg, dpre + off, d, am ? am + off : NULL,
                                    dx + off);
        }
        /* dU = z^T dx */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, B, d, rows, 1.0f, z, B, dx, d, 0.0f,
                    dparams + o.u, d);
        /* differentiable: back through the bits into the speakers' states */
        if (diff) {
            const float *u = v.uk + (size_t)k * rB;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, B, d, 1.0f, dx, d,
                        params + o.u, d, 0.0f, v.dz, B);
            for (size_t i = 0; i < rB; i++) v.dz[i] *= bit_slope(s->est, u[i]);
            nn_linear_backward(rows, d, B, hp, params + o.s, v.dz, NULL, dparams + o.s,
                               dparams + o.c);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, d, B, 1.0f, v.dz, B,
                        params + o.s, B, 1.0f, gnext, d);
        }
        /* pos V enters through x (dx) and through the receiver's correction (-c_i dpre_i) */
        for (int g = 0; g < G; g++) {
            const CommGraph *gr = &graphs[g];
            size_t off = (size_t)g * gd;
            for (int i = 0; i < n; i++) {
                int deg = gr->row[i + 1] - gr->row[i];
                if (deg == 0) continue;
                float c = self_count(s->agg, deg);
                float *dxi = dx + off + (size_t)i * d;
                const float *dpi = dpre + off + (size_t)i * d;
                for (int q = 0; q < d; q++) dxi[q] -= c * dpi[q];
            }
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 2, d, rows, 1.0f, pos, 2, dx, d, 0.0f,
                    dparams + o.v, d);
        gk = gnext;
    }
}

/* ---- naive references ------------------------------------------------------------------- */

/* the edge message of j -> i, feature q: z_j U[:, q] + (pos_j - pos_i) V[:, q] */
static double edge_message(const GnnShape *s, const float *U, const float *V, const float *zj,
                           const float *pj, const float *pi, int q) {
    double e = 0.0;
    for (int b = 0; b < s->bits; b++) e += (double)zj[b] * (double)U[(size_t)b * s->d + q];
    for (int t = 0; t < 2; t++)
        e += ((double)pj[t] - (double)pi[t]) * (double)V[(size_t)t * s->d + q];
    return e;
}

/* the weight of edge i -> j in the aggregate of feature q: 1 (sum), 1 / deg_i (mean), or
 * whether j is the chosen maximum (max) */
static double edge_weight(const GnnShape *s, const CommGraph *g, const int32_t *am_i, int i, int j,
                          int q) {
    if (s->agg == COMM_AGG_MAX) return am_i[q] == j ? 1.0 : 0.0;
    if (s->agg == COMM_AGG_MEAN) return 1.0 / (double)comm_graph_degree(g, i);
    return 1.0;
}

void gnn_forward_naive(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                       const float *h0, const float *pos, const float *bits_in, const float *noise,
                       float *h, float *bits_out, float *work, int32_t *iwork) {
    const int n = G > 0 ? graphs[0].n : 0, rows = G * n, d = s->d, B = s->bits;
    if (rows <= 0) return;
    const size_t rd = (size_t)rows * (size_t)d, rB = (size_t)rows * (size_t)B;
    const int diff = s->mode == GNN_DIFFERENTIABLE;
    Views v = work_views(s, rows, work);
    for (int k = 0; k < s->rounds; k++) {
        GnnParamOffsets o = gnn_param_offsets(s, k);
        const float *W = params + o.w, *U = params + o.u, *V = params + o.v, *bb = params + o.b;
        const float *hp = k == 0 ? h0 : v.hk + (size_t)(k - 1) * rd;
        float *hk = v.hk + (size_t)k * rd;
        int32_t *am = s->agg == COMM_AGG_MAX ? iwork + (size_t)k * rd : NULL;
        const float *z = bits_in;
        if (diff) {
            /* every agent's bits from its own state */
            const float *S = params + o.s, *c = params + o.c;
            float *u = v.uk + (size_t)k * rB, *zk = v.zk + (size_t)k * rB;
            for (int r = 0; r < rows; r++)
                for (int b = 0; b < B; b++) {
                    double a = c[b];
                    for (int p = 0; p < d; p++)
                        a += (double)hp[(size_t)r * d + p] * (double)S[(size_t)p * B + b];
                    size_t ix = (size_t)r * B + b;
                    if (noise && s->est != GNN_STRAIGHT) a += (double)noise[(size_t)k * rB + ix];
                    u[ix] = (float)a;
                    zk[ix] = s->est == GNN_SOFT ? (float)(1.0 / (1.0 + exp(-a)))
                                                : (a > 0.0 ? 1.0f : 0.0f);
                }
            if (bits_out) memcpy(bits_out + (size_t)k * rB, zk, sizeof(float) * rB);
            z = zk;
        }
        for (int g = 0; g < G; g++) {
            const CommGraph *gr = &graphs[g];
            for (int i = 0; i < n; i++) {
                const int ri = g * n + i;
                const float *pi = pos + (size_t)ri * 2;
                for (int q = 0; q < d; q++) {
                    double pre = bb[q];
                    for (int p = 0; p < d; p++)
                        pre += (double)hp[(size_t)ri * d + p] * (double)W[(size_t)p * d + q];
                    /* every possible sender, in ascending order */
                    double acc = 0.0;
                    int count = 0, best = -1;
                    for (int j = 0; j < n; j++) {
                        if (!comm_graph_has_edge(gr, i, j)) continue;
                        const int rj = g * n + j;
                        double e =
                            edge_message(s, U, V, z + (size_t)rj * B, pos + (size_t)rj * 2, pi, q);
                        if (s->agg == COMM_AGG_MAX) {
                            if (best < 0 || e > acc) {
                                acc = e;
                                best = j;
                            }
                        } else {
                            acc += e;
                        }
                        count++;
                    }
                    if (s->agg == COMM_AGG_MEAN && count > 0) acc /= count;
                    if (am) am[(size_t)ri * d + q] = best;
                    pre += acc;
                    double y = s->act == NN_RELU ? (pre > 0.0 ? pre : 0.0) : tanh(pre);
                    hk[(size_t)ri * d + q] = (float)y;
                }
            }
        }
    }
    memcpy(h, v.hk + (size_t)(s->rounds - 1) * rd, sizeof(float) * rd);
}

void gnn_backward_naive(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                        const float *h0, const float *pos, const float *bits_in, const float *noise,
                        const float *dh, float *dparams, float *dh0, float *work, int32_t *iwork) {
    (void)noise;
    const int n = G > 0 ? graphs[0].n : 0, rows = G * n, d = s->d, B = s->bits;
    memset(dparams, 0, sizeof(float) * gnn_n_params(s));
    if (rows <= 0) return;
    const size_t rd = (size_t)rows * (size_t)d, rB = (size_t)rows * (size_t)B;
    const int diff = s->mode == GNN_DIFFERENTIABLE;
    Views v = work_views(s, rows, work);
    const float *gk = dh;
    for (int k = s->rounds - 1; k >= 0; k--) {
        GnnParamOffsets o = gnn_param_offsets(s, k);
        const float *W = params + o.w, *U = params + o.u, *S = diff ? params + o.s : NULL;
        const float *hp = k == 0 ? h0 : v.hk + (size_t)(k - 1) * rd;
        const float *hk = v.hk + (size_t)k * rd;
        const int32_t *am = s->agg == COMM_AGG_MAX ? iwork + (size_t)k * rd : NULL;
        const float *z = diff ? v.zk + (size_t)k * rB : bits_in;
        float *gnext = k == 0 ? dh0 : ((s->rounds - 1 - k) % 2 == 0 ? v.g0 : v.g1);
        float *dpre = v.m, *da = v.dz;
        /* through the activation */
        for (size_t i = 0; i < rd; i++) {
            double y = hk[i];
            double slope = s->act == NN_RELU ? (y > 0.0 ? 1.0 : 0.0) : 1.0 - y * y;
            dpre[i] = (float)((double)gk[i] * slope);
        }
        /* dW and db: sums over rows */
        for (int p = 0; p < d; p++)
            for (int q = 0; q < d; q++) {
                double acc = 0.0;
                for (int r = 0; r < rows; r++)
                    acc += (double)hp[(size_t)r * d + p] * (double)dpre[(size_t)r * d + q];
                dparams[o.w + (size_t)p * d + q] = (float)acc;
            }
        for (int q = 0; q < d; q++) {
            double acc = 0.0;
            for (int r = 0; r < rows; r++) acc += dpre[(size_t)r * d + q];
            dparams[o.b + q] = (float)acc;
        }
        /* dU and dV: sums over every edge j -> i of the weighted receiver gradient */
        for (int q = 0; q < d; q++) {
            double du[ENV_MAX_SIGNAL_BITS] = {0}, dv[2] = {0};
            for (int g = 0; g < G; g++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        if (!comm_graph_has_edge(&graphs[g], i, j)) continue;
                        const int ri = g * n + i, rj = g * n + j;
                        double w =
                            edge_weight(s, &graphs[g], am ? am + (size_t)ri * d : NULL, i, j, q);
                        double de = w * (double)dpre[(size_t)ri * d + q];
                        for (int b = 0; b < B; b++) du[b] += de * (double)z[(size_t)rj * B + b];
                        for (int t = 0; t < 2; t++)
                            dv[t] += de * ((double)pos[(size_t)rj * 2 + t] -
                                           (double)pos[(size_t)ri * 2 + t]);
                    }
            for (int b = 0; b < B; b++) dparams[o.u + (size_t)b * d + q] = (float)du[b];
            for (int t = 0; t < 2; t++) dparams[o.v + (size_t)t * d + q] = (float)dv[t];
        }
        /* differentiable: a speaker's bits reach every listener that hears it */
        if (diff) {
            const float *u = v.uk + (size_t)k * rB;
            for (int g = 0; g < G; g++)
                for (int j = 0; j < n; j++) {
                    const int rj = g * n + j;
                    for (int b = 0; b < B; b++) {
                        double dz = 0.0;
                        for (int i = 0; i < n; i++) {
                            if (!comm_graph_has_edge(&graphs[g], i, j)) continue;
                            const int ri = g * n + i;
                            for (int q = 0; q < d; q++)
                                dz += edge_weight(s, &graphs[g], am ? am + (size_t)ri * d : NULL, i,
                                                  j, q) *
                                      (double)dpre[(size_t)ri * d + q] *
                                      (double)U[(size_t)b * d + q];
                        }
                        double ub = u[(size_t)rj * B + b], slope;
                        if (s->est == GNN_STRAIGHT) {
                            slope = fabs(ub) <= 1.0 ? 1.0 : 0.0;
                        } else {
                            double sg = 1.0 / (1.0 + exp(-ub));
                            slope = (s->est == GNN_SIGMOID ? 4.0 : 1.0) * sg * (1.0 - sg);
                        }
                        da[(size_t)rj * B + b] = (float)(dz * slope);
                    }
                }
            for (int p = 0; p < d; p++)
                for (int b = 0; b < B; b++) {
                    double acc = 0.0;
                    for (int r = 0; r < rows; r++)
                        acc += (double)hp[(size_t)r * d + p] * (double)da[(size_t)r * B + b];
                    dparams[o.s + (size_t)p * B + b] = (float)acc;
                }
            for (int b = 0; b < B; b++) {
                double acc = 0.0;
                for (int r = 0; r < rows; r++) acc += da[(size_t)r * B + b];
                dparams[o.c + b] = (float)acc;
            }
        }
        /* dh^(k-1): through W, and through S in differentiable mode */
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < d; p++) {
                double acc = 0.0;
                for (int q = 0; q < d; q++)
                    acc += (double)dpre[(size_t)r * d + q] * (double)W[(size_t)p * d + q];
                if (diff)
                    for (int b = 0; b < B; b++)
                        acc += (double)da[(size_t)r * B + b] * (double)S[(size_t)p * B + b];
                gnext[(size_t)r * d + p] = (float)acc;
            }
        gk = gnext;
    }
}
