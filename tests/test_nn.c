/* test_nn.c: the layers of agents/nn.c. Every optimised kernel agrees with its naive reference;
 * every backward pass agrees with central finite differences of its forward pass; the network
 * as a whole (each encoder, both activations, two heads) passes a gradient check; initialisation
 * is a pure function of the seed; Adam matches its formula.
 */
#include "helpers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"

/* a deterministic fill in [-scale, scale) */
static void fill(float *x, size_t n, uint64_t key, float scale) {
    EnvRng r;
    env_rng_seed(&r, key);
    for (size_t i = 0; i < n; i++)
        x[i] = scale * ((float)(env_rng_u32(&r) >> 8) * (2.0f / 16777216.0f) - 1.0f);
}

static void fill_ids(uint8_t *x, size_t n, uint64_t key, int k) {
    EnvRng r;
    env_rng_seed(&r, key);
    for (size_t i = 0; i < n; i++) x[i] = (uint8_t)env_rng_below(&r, (uint32_t)k);
}

/* |a - b| <= atol + rtol |b| for every element */
static void expect_close(const char *what, const float *a, const float *b, size_t n, float atol,
                         float rtol) {
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(a[i] - b[i]) <= atol + rtol * fabsf(b[i])))
            fail_msg("%s[%zu]: %.7g vs reference %.7g", what, i, (double)a[i], (double)b[i]);
}

/* sum_i r_i y_i in double: the scalar loss of the gradient checks */
static double dot(const float *r, const float *y, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)r[i] * (double)y[i];
    return s;
}

static float *falloc(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

/* ---- linear ---- */

typedef struct LinCtx {
    int n, in, out;
    float *x, *w, *b, *y, *r;
} LinCtx;

static double lin_loss(void *p) {
    LinCtx *c = p;
    nn_linear_forward(c->n, c->in, c->out, c->x, c->w, c->b, c->y);
    return dot(c->r, c->y, (size_t)c->n * c->out);
}

static void test_linear(void **state) {
    (void)state;
    int n = 7, in = 13, out = 5;
    LinCtx c = {n,
                in,
                out,
                falloc(n * in),
                falloc(in * out),
                falloc(out),
                falloc(n * out),
                falloc(n * out)};
    fill(c.x, n * in, 1, 1.0f);
    fill(c.w, in * out, 2, 0.5f);
    fill(c.b, out, 3, 0.5f);
    fill(c.r, n * out, 4, 1.0f);
    float *y2 = falloc(n * out), *dx = falloc(n * in), *dw = falloc(in * out), *db = falloc(out);
    float *dx2 = falloc(n * in), *dw2 = falloc(in * out), *db2 = falloc(out);

    /* sgemm against the naive loops */
    nn_linear_forward(n, in, out, c.x, c.w, c.b, c.y);
    nn_linear_forward_naive(n, in, out, c.x, c.w, c.b, y2);
    expect_close("linear y", c.y, y2, n * out, 1e-5f, 1e-5f);
    nn_linear_backward(n, in, out, c.x, c.w, c.r, dx, dw, db);
    nn_linear_backward_naive(n, in, out, c.x, c.w, c.r, dx2, dw2, db2);
    expect_close("linear dx", dx, dx2, n * in, 1e-5f, 1e-5f);
    expect_close("linear dw", dw, dw2, in * out, 1e-5f, 1e-5f);
    expect_close("linear db", db, db2, out, 1e-5f, 1e-5f);

    /* finite differences through the forward pass */
    th_grad_check("linear x", c.x, dx, n * in, 1, lin_loss, &c, 1e-2f, 1e-3);
    th_grad_check("linear w", c.w, dw, in * out, 1, lin_loss, &c, 1e-2f, 1e-3);
    th_grad_check("linear b", c.b, db, out, 1, lin_loss, &c, 1e-2f, 1e-3);

    /* backward overwrites: a second call gives the same gradients */
    nn_linear_backward(n, in, out, c.x, c.w, c.r, dx2, dw2, db2);
    assert_memory_equal(dw, dw2, sizeof(float) * in * out);
    free(c.x), free(c.w), free(c.b), free(c.y), free(c.r);
    free(y2), free(dx), free(dw), free(db), free(dx2), free(dw2), free(db2);
}

/* ---- conv2d ---- */

typedef struct ConvCtx {
    NnConvShape s;
    int n;
    float *x, *w, *b, *y, *r, *col;
} ConvCtx;

static double conv_loss(void *p) {
    ConvCtx *c = p;
    nn_conv_forward(&c->s, c->n, c->x, c->w, c->b, c->y, c->col);
    return dot(c->r, c->y, (size_t)c->n * c->s.oh * c->s.ow * c->s.oc);
}

static void conv_case(int h, int w, int ch, int k, int stride, int oc) {
    ConvCtx c = {.s = {.h = h, .w = w, .c = ch, .kh = k, .kw = k, .stride = stride, .oc = oc},
                 .n = 3};
    assert_int_equal(nn_conv_shape(&c.s), 0);
    size_t nx = (size_t)c.n * h * w * ch, nw = (size_t)k * k * ch * oc;
    size_t ny = (size_t)c.n * c.s.oh * c.s.ow * oc;
    c.x = falloc(nx), c.w = falloc(nw), c.b = falloc(oc), c.y = falloc(ny), c.r = falloc(ny);
    c.col = falloc(nn_conv_col_floats(&c.s, c.n));
    fill(c.x, nx, 11, 1.0f);
    fill(c.w, nw, 12, 0.5f);
    fill(c.b, oc, 13, 0.5f);
    fill(c.r, ny, 14, 1.0f);
    float *y2 = falloc(ny), *dx = falloc(nx), *dw = falloc(nw), *db = falloc(oc);
    float *dx2 = falloc(nx), *dw2 = falloc(nw), *db2 = falloc(oc);
    nn_conv_forward(&c.s, c.n, c.x, c.w, c.b, c.y, c.col);
    nn_conv_forward_naive(&c.s, c.n, c.x, c.w, c.b, y2);
    expect_close("conv y", c.y, y2, ny, 1e-5f, 1e-5f);
    nn_conv_backward(&c.s, c.n, c.w, c.r, dx, dw, db, c.col);
    nn_conv_backward_naive(&c.s, c.n, c.x, c.w, c.r, dx2, dw2, db2);
    expect_close("conv dx", dx, dx2, nx, 1e-4f, 1e-4f);
    expect_close("conv dw", dw, dw2, nw, 1e-4f, 1e-4f);
    expect_close("conv db", db, db2, oc, 1e-4f, 1e-4f);
    th_grad_check("conv x", c.x, dx, nx, 1, conv_loss, &c, 1e-2f, 2e-3);
    th_grad_check("conv w", c.w, dw, nw, 1, conv_loss, &c, 1e-2f, 2e-3);
    th_grad_check("conv b", c.b, db, (size_t)oc, 1, conv_loss, &c, 1e-2f, 2e-3);
    free(c.x), free(c.w), free(c.b), free(c.y), free(c.r), free(c.col);
    free(y2), free(dx), free(dw), free(db), free(dx2), free(dw2), free(db2);
}

static void test_conv(void **state) {
    (void)state;
    conv_case(6, 5, 3, 3, 1, 4); /* non-square input */
    conv_case(7, 7, 2, 3, 2, 3); /* stride 2 */
    conv_case(5, 4, 1, 2, 3, 2); /* stride larger than the kernel: uncovered cells */
    NnConvShape bad = {.h = 4, .w = 4, .c = 1, .kh = 5, .kw = 5, .stride = 1, .oc = 1};
    assert_int_equal(nn_conv_shape(&bad), ENV_EINPUT);
}

/* ---- embedding of ids ---- */

typedef struct EmbCtx {
    NnConvShape s;
    int n;
    size_t stride;
    uint8_t *ids;
    float *w, *b, *y, *r, *table;
    void *work;
} EmbCtx;

static double emb_loss(void *p) {
    EmbCtx *c = p;
    nn_embed_table(&c->s, c->w, c->b, c->table);
    nn_embed_forward(&c->s, c->n, c->ids, c->stride, c->table, c->y, c->work);
    return dot(c->r, c->y, (size_t)c->n * c->s.oh * c->s.ow * c->s.oc);
}

/* ids in runs: each run of 1 .. max_run cells takes id 0 with probability 1/2, else another */
static void fill_runs(uint8_t *x, size_t n, uint64_t key, int k, int max_run) {
    EnvRng r;
    env_rng_seed(&r, key);
    for (size_t i = 0; i < n;) {
        int len = 1 + (int)env_rng_below(&r, (uint32_t)max_run);
        uint8_t id = env_rng_below(&r, 2) ? 0 : (uint8_t)env_rng_below(&r, (uint32_t)k);
        for (int j = 0; j < len && i < n; j++) x[i++] = id;
    }
}

/* ids: 0 random, 1 in runs of up to 12 cells, 2 all zero but for one row of runs, 3 one id > 0
 * everywhere */
static void embed_case_ids(int h, int w, int k_ids, int kh, int kw, int stride, int oc, int n,
                           int ids) {
    EmbCtx c = {.s = {.h = h, .w = w, .c = k_ids, .kh = kh, .kw = kw, .stride = stride, .oc = oc},
                .n = n};
    assert_int_equal(nn_conv_shape(&c.s), 0);
    c.stride = (size_t)h * w + 3; /* rows need not be contiguous */
    size_t nw = (size_t)kh * kw * k_ids * oc, ny = (size_t)c.n * c.s.oh * c.s.ow * oc;
    c.ids = malloc(c.stride * c.n);
    assert_non_null(c.ids);
    if (ids == 0) fill_ids(c.ids, c.stride * c.n, 21, k_ids);
    if (ids == 1) fill_runs(c.ids, c.stride * c.n, 21, k_ids, 12);
    if (ids == 2) {
        memset(c.ids, 0, c.stride * c.n);
        fill_runs(c.ids + c.stride, c.stride, 22, k_ids, 4);
    }
    if (ids == 3) memset(c.ids, k_ids - 1, c.stride * c.n);
    c.ids[5] = (uint8_t)(k_ids + 7); /* out of range: clamped to the last id */
    c.w = falloc(nw), c.b = falloc(oc), c.y = falloc(ny), c.r = falloc(ny);
    c.table = falloc(nn_embed_table_floats(&c.s));
    c.work = malloc(nn_embed_work_bytes(&c.s, c.n));
    assert_non_null(c.work);
    fill(c.w, nw, 22, 0.5f);
    fill(c.b, oc, 23, 0.5f);
    fill(c.r, ny, 24, 1.0f);
    float *y2 = falloc(ny), *dw = falloc(nw), *db = falloc(oc), *dw2 = falloc(nw),
          *db2 = falloc(oc);
    emb_loss(&c);
    nn_embed_forward_naive(&c.s, c.n, c.ids, c.stride, c.w, c.b, y2);
    /* the prefix sums and their differences round at the size of sums over the kernel: the
     * error grows with its K cells (up to about 1e-7 K here, with every cell a boundary) */
    float tol = 2e-7f * (float)(kh * kw) + 1e-6f;
    expect_close("embed y", c.y, y2, ny, tol, 1e-5f);
    nn_embed_backward(&c.s, c.n, c.r, dw, db, c.work);
    nn_embed_backward_naive(&c.s, c.n, c.ids, c.stride, c.r, dw2, db2);
    expect_close("embed dw", dw, dw2, nw, tol * (float)c.n, 1e-5f);
    expect_close("embed db", db, db2, oc, 1e-5f, 1e-5f);
    /* a row's output does not depend on the other rows: each alone gives the batch's bits */
    size_t row_floats = (size_t)c.s.oh * c.s.ow * oc;
    for (int i = 0; i < c.n; i++) {
        nn_embed_forward(&c.s, 1, c.ids + (size_t)i * c.stride, c.stride, c.table, y2, c.work);
        assert_memory_equal(y2, c.y + (size_t)i * row_floats, sizeof(float) * row_floats);
    }
    emb_loss(&c);
    /* the loss is linear in w and b: a wide step keeps the rounding of the sums out of it */
    th_grad_check("embed w", c.w, dw, nw, nw / 400 + 1, emb_loss, &c, 0.25f, 1e-3);
    th_grad_check("embed b", c.b, db, (size_t)oc, 1, emb_loss, &c, 0.25f, 1e-3);
    free(c.ids), free(c.w), free(c.b), free(c.y), free(c.r), free(c.table), free(c.work);
    free(y2), free(dw), free(db), free(dw2), free(db2);
}

static void embed_case(int h, int w, int k_ids, int kh, int kw, int stride, int oc, int n) {
    for (int ids = 0; ids < 4; ids++) embed_case_ids(h, w, k_ids, kh, kw, stride, oc, n, ids);
}

static void test_embed(void **state) {
    (void)state;
    embed_case(6, 5, 12, 3, 3, 1, 4, 4); /* a convolution over one-hot ids */
    embed_case(7, 9, 5, 7, 9, 1, 6, 4);  /* the whole view: an embedding-bag linear layer */
    embed_case(8, 8, 3, 2, 2, 2, 3, 4);  /* stride 2 */
    /* 64-wide vectors plus an 8-wide and a scalar tail; more than 64 kernel cells (the boundary
     * scan takes 64 at a time); a Harvest-sized view */
    embed_case(5, 4, 6, 3, 2, 1, 75, 11);
    embed_case(9, 8, 40, 9, 8, 1, 64, 130);
    embed_case(15, 15, 17, 15, 15, 1, 64, 9);
}

/* The table follows the parameter vector it was built from, one slot per vector: a forward pass
 * with changed parameters sees the change once the work is told of it (and, until then, does
 * not, even after a pass with the other vector). */
static void test_embed_table_cache(void **state) {
    (void)state;
    NnArch arch = {.obs_h = 5,
                   .obs_w = 5,
                   .obs_c = 1,
                   .ids = 1,
                   .n_ids = 6,
                   .hidden = {8},
                   .n_hidden = 1,
                   .activation = NN_RELU,
                   .heads = {3},
                   .n_heads = 1};
    NnNet net;
    NnWork ws;
    EnvError err;
    if (nn_net_init(&net, &arch, &err)) fail_msg("%s", err.msg);
    assert_int_equal(nn_work_init_groups(&ws, &net, 2, 2), 0);
    float *p = falloc(2 * net.n_params), *y0 = falloc(2 * net.n_out), *y1 = falloc(2 * net.n_out);
    nn_net_init_params(&net, p, 3);
    nn_net_init_params(&net, p + net.n_params, 4);
    uint8_t obs[50];
    fill_ids(obs, sizeof obs, 5, 6);
    size_t out = sizeof(float) * 2 * net.n_out;
    nn_forward(&net, p, &ws, 2, obs, 25);
    memcpy(y0, nn_output(&net, &ws), out);
    nn_forward(&net, p + net.n_params, &ws, 2, obs, 25); /* the second group, its own slot */
    memcpy(y1, nn_output(&net, &ws), out);
    assert_memory_not_equal(y0, y1, out);
    for (int o = 0; o < net.layer[0].out; o++) p[net.layer[0].b_off + o] += 1.0f; /* in place */
    nn_forward(&net, p + net.n_params, &ws, 2, obs, 25);
    assert_memory_equal(nn_output(&net, &ws), y1, out);
    nn_forward(&net, p, &ws, 2, obs, 25); /* its kept table, beside the other's, is stale */
    assert_memory_equal(nn_output(&net, &ws), y0, out);
    nn_work_params_changed(&ws);
    nn_forward(&net, p, &ws, 2, obs, 25);
    assert_memory_not_equal(nn_output(&net, &ws), y0, out);
    free(p), free(y0), free(y1);
    nn_work_close(&ws);
}

/* ---- activations ---- */

typedef struct ActCtx {
    size_t n;
    int tanh;
    float *x, *y, *r;
} ActCtx;

static double act_loss(void *p) {
    ActCtx *c = p;
    if (c->tanh)
        nn_tanh_forward(c->n, c->x, c->y);
    else
        nn_relu_forward(c->n, c->x, c->y);
    return dot(c->r, c->y, c->n);
}

/* the vectorised ReLU and nn_add give the bits of their scalar forms, tails, zeros and NaN too */
static void relu_add_exact(void) {
    enum { N = 37 };
    float x[N], y[N], dy[N], dx[N], a[N], a2[N];
    fill(x, N, 41, 1.0f);
    fill(dy, N, 42, 1.0f);
    x[3] = 0.0f, x[4] = -0.0f, x[9] = NAN, x[N - 1] = NAN, x[N - 2] = -1.0f;
    nn_relu_forward(N, x, y);
    nn_relu_backward(N, y, dy, dx);
    for (int i = 0; i < N; i++) {
        float ry = x[i] > 0.0f ? x[i] : 0.0f, rdx = y[i] > 0.0f ? dy[i] : 0.0f;
        assert_memory_equal(&y[i], &ry, sizeof(float));
        assert_memory_equal(&dx[i], &rdx, sizeof(float));
    }
    memcpy(a, x, sizeof a);
    nn_add(a, dy, N);
    for (int i = 0; i < N; i++) {
        a2[i] = x[i] + dy[i];
        if (!isnan(a2[i])) assert_memory_equal(&a[i], &a2[i], sizeof(float));
    }
    /* into a third buffer, and in place */
    float c[N];
    nn_add_to(c, x, dy, N);
    for (int i = 0; i < N; i++)
        if (!isnan(a2[i])) assert_memory_equal(&c[i], &a2[i], sizeof(float));
    nn_add_to(c, c, dy, N);
    for (int i = 0; i < N; i++) {
        float want = a2[i] + dy[i];
        if (!isnan(want)) assert_memory_equal(&c[i], &want, sizeof(float));
    }
}

static void test_activations(void **state) {
    (void)state;
    relu_add_exact();
    for (int t = 0; t < 2; t++) {
        ActCtx c = {64, t, falloc(64), falloc(64), falloc(64)};
        fill(c.x, 64, 31, 2.0f);
        /* keep ReLU inputs away from its kink */
        for (int i = 0; i < 64; i++)
            if (fabsf(c.x[i]) < 0.05f) c.x[i] = 0.1f;
        fill(c.r, 64, 32, 1.0f);
        float *dx = falloc(64);
        act_loss(&c);
        if (t)
            nn_tanh_backward(64, c.y, c.r, dx);
        else
            nn_relu_backward(64, c.y, c.r, dx);
        th_grad_check(t ? "tanh" : "relu", c.x, dx, 64, 1, act_loss, &c, 1e-3f, 1e-3);
        /* in place, on the unperturbed forward */
        act_loss(&c);
        float *copy = falloc(64);
        memcpy(copy, c.r, sizeof(float) * 64);
        if (t)
            nn_tanh_backward(64, c.y, copy, copy);
        else
            nn_relu_backward(64, c.y, copy, copy);
        assert_memory_equal(copy, dx, sizeof(float) * 64);
        free(c.x), free(c.y), free(c.r), free(dx), free(copy);
    }
}

/* ---- categorical heads ---- */

typedef struct CatCtx {
    int n, a;
    float *z, *logp;
    int32_t *act;
    float *g, *e;
} CatCtx;

/* sum_i g_i logp_i[act_i] + e_i H_i */
static double cat_loss(void *p) {
    CatCtx *c = p;
    nn_log_softmax(c->n, c->a, c->z, c->a, c->logp);
    double s = 0;
    for (int i = 0; i < c->n; i++) {
        const float *lp = c->logp + (size_t)i * c->a;
        s += (double)c->g[i] * lp[c->act[i]] + (double)c->e[i] * nn_entropy(c->a, lp);
    }
    return s;
}

static void test_categorical(void **state) {
    (void)state;
    int n = 6, a = 5;
    CatCtx c = {n,         a,        falloc(n * a), falloc(n * a), calloc(n, sizeof(int32_t)),
                falloc(n), falloc(n)};
    fill(c.z, n * a, 41, 3.0f);
    fill(c.g, n, 42, 1.0f);
    fill(c.e, n, 43, 1.0f);
    for (int i = 0; i < n; i++) c.act[i] = (i * 3) % a;
    nn_log_softmax(n, a, c.z, a, c.logp);
    /* probabilities sum to one; the entropy lies in [0, log a] */
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < a; j++) s += exp(c.logp[i * a + j]);
        assert_true(fabs(s - 1.0) < 1e-5);
        float h = nn_entropy(a, c.logp + i * a);
        assert_true(h >= 0.0f && h <= logf((float)a) + 1e-5f);
    }
    float *d = falloc(n * a), *d2 = falloc(n * a);
    nn_categorical_backward(n, a, c.logp, c.act, 1, c.g, c.e, d, a);
    nn_categorical_backward_naive(n, a, c.z, a, c.act, 1, c.g, c.e, d2, a);
    expect_close("categorical dlogits", d, d2, n * a, 1e-5f, 1e-4f);
    /* the row form: the same dlogits, and nn_entropy's bits for the entropy it returns */
    for (int i = 0; i < n; i++) {
        float row[64];
        assert_true(a <= 64);
        float h = nn_categorical_backward_row(a, c.logp + i * a, c.act[i], c.g[i], c.e[i], row);
        float want = nn_entropy(a, c.logp + i * a);
        assert_memory_equal(&h, &want, sizeof h);
        assert_memory_equal(row, d + i * a, sizeof(float) * (size_t)a);
    }
    th_grad_check("categorical logits", c.z, d, n * a, 1, cat_loss, &c, 1e-3f, 2e-3);

    /* sampling by inverse CDF: u below p0 gives 0, u near 1 the last index; argmax */
    float lp[3] = {logf(0.5f), logf(0.25f), logf(0.25f)};
    assert_int_equal(nn_sample(3, lp, 0.0f), 0);
    assert_int_equal(nn_sample(3, lp, 0.49f), 0);
    assert_int_equal(nn_sample(3, lp, 0.51f), 1);
    assert_int_equal(nn_sample(3, lp, 0.76f), 2);
    assert_int_equal(nn_sample(3, lp, 0.99999994f), 2);
    assert_int_equal(nn_argmax(3, lp), 0);

    /* empirical frequencies follow the probabilities */
    EnvRng r;
    env_rng_seed(&r, 99);
    int counts[3] = {0};
    for (int i = 0; i < 40000; i++)
        counts[nn_sample(3, lp, (float)(env_rng_u32(&r) >> 8) * (1.0f / 16777216.0f))]++;
    assert_true(abs(counts[0] - 20000) < 600);
    assert_true(abs(counts[1] - 10000) < 500);
    free(c.z), free(c.logp), free(c.act), free(c.g), free(c.e), free(d), free(d2);
}

/* ---- the network as a whole ---- */

typedef struct NetCtx {
    NnNet net;
    NnWork ws;
    float *params, *r;
    uint8_t *obs;
    int n;
} NetCtx;

static double net_loss(void *p) {
    NetCtx *c = p;
    nn_work_params_changed(&c->ws); /* the checks change parameters in place */
    nn_forward(&c->net, c->params, &c->ws, c->n, c->obs, (size_t)c->net.in_size);
    return dot(c->r, nn_output(&c->net, &c->ws), (size_t)c->n * c->net.n_out);
}

static void net_case(const char *what, NnArch arch) {
    NetCtx c = {.n = 5};
    EnvError err;
    if (nn_net_init(&c.net, &arch, &err)) fail_msg("%s: %s", what, err.msg);
    assert_int_equal(nn_work_init(&c.ws, &c.net, c.n), 0);
    c.params = falloc(c.net.n_params);
    nn_net_init_params(&c.net, c.params, 7);
    /* larger logits weights than the default 0.01 gain, so the check sees them */
    const NnLayer *out = &c.net.layer[c.net.n_layers - 1];
    fill(c.params + out->w_off, (size_t)out->in * out->out, 8, 0.3f);
    size_t nobs = (size_t)c.n * c.net.in_size;
    c.obs = malloc(nobs);
    fill_ids(c.obs, nobs, 9, arch.ids ? arch.n_ids : 256);
    c.r = falloc((size_t)c.n * c.net.n_out);
    fill(c.r, (size_t)c.n * c.net.n_out, 10, 1.0f);
    float *grads = falloc(c.net.n_params);
    net_loss(&c);
    nn_backward(&c.net, c.params, &c.ws, c.n, c.obs, (size_t)c.net.in_size, c.r, grads);
    /* a subset of every layer's parameters */
    for (int l = 0; l < c.net.n_layers; l++) {
        const NnLayer *ly = &c.net.layer[l];
        if (!ly->n_params) continue;
        size_t step = ly->n_params / 40 + 1;
        th_grad_check(what, c.params + ly->w_off, grads + ly->w_off, ly->n_params, step, net_loss,
                      &c, 1e-2f, 5e-3);
    }
    /* backward overwrites its gradients: a second pass gives the same bytes */
    float *again = falloc(c.net.n_params);
    memset(again, 0x7f, sizeof(float) * c.net.n_params);
    net_loss(&c);
    nn_backward(&c.net, c.params, &c.ws, c.n, c.obs, (size_t)c.net.in_size, c.r, again);
    assert_memory_equal(grads, again, sizeof(float) * c.net.n_params);
    free(again), free(grads), free(c.r), free(c.obs), free(c.params);
    nn_work_close(&c.ws);
}

static void test_network_gradients(void **state) {
    (void)state;
    /* tanh everywhere: ReLU's kinks make finite differences unreliable through deep nets */
    NnArch ids_conv = {.obs_h = 7,
                       .obs_w = 6,
                       .obs_c = 1,
                       .ids = 1,
                       .n_ids = 12,
                       .conv = 4,
                       .kernel = 3,
                       .stride = 1,
                       .hidden = {16, 8},
                       .n_hidden = 2,
                       .activation = NN_TANH,
                       .heads = {5, 2},
                       .n_heads = 2};
    net_case("ids + conv", ids_conv);
    NnArch ids_view = ids_conv;
    ids_view.conv = 0;
    net_case("ids + whole view", ids_view);
    NnArch rgb_conv = {.obs_h = 6,
                       .obs_w = 5,
                       .obs_c = 3,
                       .conv = 3,
                       .kernel = 2,
                       .stride = 2,
                       .hidden = {8},
                       .n_hidden = 1,
                       .activation = NN_TANH,
                       .heads = {4},
                       .n_heads = 1};
    net_case("rgb + conv", rgb_conv);
    NnArch rgb_view = rgb_conv;
    rgb_view.conv = 0;
    rgb_view.activation = NN_RELU;
    net_case("rgb + whole view, relu", rgb_view);
}

static void test_network_layout(void **state) {
    (void)state;
    NnArch a = {.obs_h = 15,
                .obs_w = 15,
                .obs_c = 1,
                .ids = 1,
                .n_ids = 12,
                .conv = 0,
                .hidden = {64, 64},
                .n_hidden = 2,
                .activation = NN_RELU,
                .heads = {5, 2},
                .n_heads = 2};
    NnNet net;
    EnvError err;
    assert_int_equal(nn_net_init(&net, &a, &err), 0);
    /* embed(15x15x12 -> 64), relu, linear 64->64, relu, linear 64 -> 5 + 2 + 1 */
    assert_int_equal(net.n_layers, 5);
    assert_int_equal(net.layer[0].kind, NN_EMBED);
    assert_int_equal(net.n_out, 8);
    assert_int_equal(net.head_off[1], 5);
    assert_int_equal(net.n_params, 15 * 15 * 12 * 64 + 64 + 64 * 64 + 64 + 64 * 8 + 8);

    /* errors name the setting */
    NnArch bad = a;
    bad.conv = 4;
    bad.kernel = 16;
    bad.stride = 1;
    assert_int_equal(nn_net_init(&net, &bad, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "net.kernel = 16"));
    bad = a;
    bad.n_hidden = 0;
    assert_int_equal(nn_net_init(&net, &bad, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "net.conv = 0 needs"));
    bad = a;
    bad.heads[1] = 1;
    assert_int_equal(nn_net_init(&net, &bad, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "net.heads"));
}

static void test_init_and_adam(void **state) {
    (void)state;
    NnArch a = {.obs_h = 9,
                .obs_w = 9,
                .obs_c = 3,
                .conv = 6,
                .kernel = 3,
                .stride = 1,
                .hidden = {32},
                .n_hidden = 1,
                .activation = NN_RELU,
                .heads = {8},
                .n_heads = 1};
    NnModel m1, m2;
    EnvError err;
    assert_int_equal(nn_model_init(&m1, &a, 3, 42, &err), 0);
    assert_int_equal(nn_model_init(&m2, &a, 3, 42, &err), 0);
    size_t n = m1.n;
    /* the same seed gives the same bytes; groups differ from each other */
    assert_memory_equal(m1.params, m2.params, sizeof(float) * n * 3);
    assert_true(memcmp(m1.params, m1.params + n, sizeof(float) * n) != 0);
    /* biases start at zero; weights have the documented scale */
    const NnLayer *l0 = &m1.net.layer[0];
    for (int o = 0; o < 6; o++) assert_true(m1.params[l0->b_off + (size_t)o] == 0.0f);
    double s = 0;
    size_t nw = l0->b_off - l0->w_off;
    for (size_t i = 0; i < nw; i++) s += (double)m1.params[i] * m1.params[i];
    double sd = sqrt(s / (double)nw), want = sqrt(2.0) / sqrt(27.0);
    assert_true(fabs(sd - want) < 0.15 * want);
    nn_model_close(&m2);
    assert_int_equal(nn_model_init(&m2, &a, 3, 43, &err), 0);
    assert_true(memcmp(m1.params, m2.params, sizeof(float) * n) != 0);

    /* Adam: two steps against the formula in double */
    float p0 = m1.params[3], g1 = 0.5f, g2 = -0.25f;
    double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    memset(m1.grads, 0, sizeof(float) * n * 3);
    m1.grads[3] = g1;
    nn_adam_step(&m1, (float)lr, (float)b1, (float)b2, (float)eps);
    m1.grads[3] = g2;
    nn_adam_step(&m1, (float)lr, (float)b1, (float)b2, (float)eps);
    double mm = 0, vv = 0, p = p0;
    double gs[2] = {g1, g2};
    for (int t = 1; t <= 2; t++) {
        mm = b1 * mm + (1 - b1) * gs[t - 1];
        vv = b2 * vv + (1 - b2) * gs[t - 1] * gs[t - 1];
        p -= lr / (1 - pow(b1, t)) * mm / (sqrt(vv) / sqrt(1 - pow(b2, t)) + eps);
    }
    assert_true(fabs(m1.params[3] - p) < 1e-6);
    assert_int_equal(m1.adam_steps, 2);
    /* a parameter whose gradients were all zero does not move */
    float before = m1.params[5];
    memset(m1.grads, 0, sizeof(float) * n * 3);
    nn_adam_step(&m1, (float)lr, (float)b1, (float)b2, (float)eps);
    assert_true(m1.params[5] == before);
    assert_true(fabs(nn_norm((float[]){3, 4}, 2) - 5.0) < 1e-12);
    nn_model_close(&m1);
    nn_model_close(&m2);
}

/* Adam's vector paths (AVX, SSE2) give the bits of the scalar formula in float, element by
 * element; the norm skips blocks of zeros and keeps the in-order sum's bits */
static void test_adam_bits_and_norm(void **state) {
    (void)state;
    NnArch a = {.obs_h = 5,
                .obs_w = 5,
                .obs_c = 3,
                .hidden = {7},
                .n_hidden = 1,
                .activation = NN_TANH,
                .heads = {5},
                .n_heads = 1};
    NnModel md;
    EnvError err;
    assert_int_equal(nn_model_init(&md, &a, 1, 9, &err), 0);
    size_t n = md.n; /* not a multiple of 8: every path runs */
    float *p = falloc(n), *m = falloc(n), *v = falloc(n);
    memcpy(p, md.params, sizeof(float) * n);
    const float lr = 0.003f, b1 = 0.9f, b2 = 0.999f, eps = 1e-5f;
    for (int t = 1; t <= 3; t++) {
        fill(md.grads, n, 70 + (uint64_t)t, 2.0f);
        float step = (float)((double)lr / (1.0 - pow((double)b1, t)));
        float inv = (float)(1.0 / sqrt(1.0 - pow((double)b2, t)));
        for (size_t i = 0; i < n; i++) {
            float gi = md.grads[i] * 1.0f;
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            p[i] -= step * m[i] / (sqrtf(v[i]) * inv + eps);
        }
        nn_adam_step(&md, lr, b1, b2, eps);
        assert_memory_equal(md.params, p, sizeof(float) * n);
        assert_memory_equal(md.m, m, sizeof(float) * n);
        assert_memory_equal(md.v, v, sizeof(float) * n);
    }
    /* zeros of both signs in whole blocks and scattered, then the in-order sum */
    float *g = md.grads;
    fill(g, n, 80, 1.0f);
    for (size_t i = 8; i < 40; i++) g[i] = (i & 1) ? -0.0f : 0.0f;
    g[50] = 0.0f;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * (double)g[i];
    double want = sqrt(s), got = nn_norm(g, n);
    assert_memory_equal(&got, &want, sizeof got);
    free(p), free(m), free(v);
    nn_model_close(&md);
}

/* clipping fused into Adam: the bits of scaling the gradients in place, then the plain step */
static void test_adam_scaled(void **state) {
    (void)state;
    NnArch a = {.obs_h = 5,
                .obs_w = 5,
                .obs_c = 3,
                .hidden = {7},
                .n_hidden = 1,
                .activation = NN_TANH,
                .heads = {5},
                .n_heads = 1};
    NnModel m1, m2;
    EnvError err;
    assert_int_equal(nn_model_init(&m1, &a, 3, 7, &err), 0);
    assert_int_equal(nn_model_init(&m2, &a, 3, 7, &err), 0);
    size_t n = m1.n, all = n * 3;
    float scale[3] = {0.37f, 1.0f, 2.5f};
    for (int step = 0; step < 3; step++) {
        fill(m1.grads, all, 50 + (uint64_t)step, 1.0f);
        memcpy(m2.grads, m1.grads, sizeof(float) * all);
        for (int g = 0; g < 3; g++)
            for (size_t i = 0; i < n; i++) m1.grads[(size_t)g * n + i] *= scale[g];
        nn_adam_step(&m1, 0.01f, 0.9f, 0.999f, 1e-5f);
        nn_adam_step_scaled(&m2, scale, 0.01f, 0.9f, 0.999f, 1e-5f);
        assert_memory_equal(m1.params, m2.params, sizeof(float) * all);
        assert_memory_equal(m1.m, m2.m, sizeof(float) * all);
        assert_memory_equal(m1.v, m2.v, sizeof(float) * all);
        assert_memory_equal(m1.grads, m2.grads, sizeof(float) * all);
    }
    nn_model_close(&m1);
    nn_model_close(&m2);
}

/* the BLAS kernel: the policy, the start-up check, and a switch and back (the environment as it
 * was) */
static void test_blas(void **state) {
    (void)state;
    assert_null(nn_blas_pick("Prescott", "Haswell", "Prescott")); /* the user's choice stays */
    assert_string_equal(nn_blas_pick("Prescott", "Haswell", NULL), "Haswell");
    assert_string_equal(nn_blas_pick("Core2", "Zen", ""), "Zen");
    assert_null(nn_blas_pick("Zen", "Zen", NULL));
    assert_null(nn_blas_pick("Sandybridge", "Haswell", NULL)); /* not a generic fallback */
    assert_null(nn_blas_pick("Prescott", NULL, NULL));         /* nothing better */
    char msg[256] = "";
    assert_true(strlen(nn_blas_kernel()) > 0);
    assert_int_equal(nn_blas_check(msg, sizeof msg), 0);
    char first[64], *env = getenv("OPENBLAS_CORETYPE");
    char env_before[64];
    snprintf(env_before, sizeof env_before, "%s", env ? env : "(unset)");
    snprintf(first, sizeof first, "%s", nn_blas_kernel());
    if (nn_blas_use("Prescott") != 0) skip(); /* not a DYNAMIC_ARCH OpenBLAS */
    assert_string_equal(nn_blas_kernel(), "Prescott");
    assert_int_equal(nn_blas_check(msg, sizeof msg), 0);
    env = getenv("OPENBLAS_CORETYPE");
    assert_string_equal(env ? env : "(unset)", env_before);
    /* start-up on the generic kernel: switched to the best unless OPENBLAS_CORETYPE is set */
    int switched = nn_blas_setup(msg, sizeof msg);
    if (getenv("OPENBLAS_CORETYPE") || !nn_blas_best_kernel()) {
        assert_int_equal(switched, 0);
        assert_string_equal(nn_blas_kernel(), "Prescott");
    } else {
        assert_int_equal(switched, 1);
        assert_string_equal(nn_blas_kernel(), nn_blas_best_kernel());
        assert_non_null(strstr(msg, "generic Prescott kernel"));
    }
    assert_int_equal(nn_blas_use(first), 0);
    assert_string_equal(nn_blas_kernel(), first);
}

int main(void) {
    nn_blas_single_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_conv),
        cmocka_unit_test(test_embed),
        cmocka_unit_test(test_embed_table_cache),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_categorical),
        cmocka_unit_test(test_network_gradients),
        cmocka_unit_test(test_network_layout),
        cmocka_unit_test(test_init_and_adam),
        cmocka_unit_test(test_adam_scaled),
        cmocka_unit_test(test_adam_bits_and_norm),
        cmocka_unit_test(test_blas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
