/* nn.c: layers, the actor-critic network and Adam on flat float buffers (see nn.h).
 *
 * The optimised kernels call cblas_sgemm (OpenBLAS, one thread); the naive references are plain
 * loops over the same layouts, summing in the obvious order, and exist for the tests.
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"

void nn_blas_single_thread(void) {
    openblas_set_num_threads(1);
}

int nn_conv_shape(NnConvShape *s) {
    if (s->kh < 1 || s->kw < 1 || s->stride < 1 || s->kh > s->h || s->kw > s->w) return ENV_EINPUT;
    s->oh = (s->h - s->kh) / s->stride + 1;
    s->ow = (s->w - s->kw) / s->stride + 1;
    return 0;
}

/* ---- linear ---- */

void nn_linear_forward(int n, int in, int out, const float *x, const float *w, const float *b,
                       float *y) {
    if (n <= 0) return;
    /* bias into every row, then y += x w */
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * (size_t)out, b, sizeof(float) * (size_t)out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, out, in, 1.0f, x, in, w, out, 1.0f, y,
                out);
}

/* column sums of a (rows, cols) matrix, row by row */
static void column_sums(int rows, int cols, const float *a, float *out) {
    memset(out, 0, sizeof(float) * (size_t)cols);
    for (int i = 0; i < rows; i++) {
        const float *r = a + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++) out[j] += r[j];
    }
}

void nn_linear_backward(int n, int in, int out, const float *x, const float *w, const float *dy,
                        float *dx, float *dw, float *db) {
    if (n <= 0) {
        memset(dw, 0, sizeof(float) * (size_t)in * (size_t)out);
        memset(db, 0, sizeof(float) * (size_t)out);
        return;
    }
    /* dw = x^T dy, db = column sums of dy, dx = dy w^T */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, n, 1.0f, x, in, dy, out, 0.0f, dw,
                out);
    column_sums(n, out, dy, db);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, in, out, 1.0f, dy, out, w, out,
                    0.0f, dx, in);
}

void nn_linear_forward_naive(int n, int in, int out, const float *x, const float *w, const float *b,
                             float *y) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < out; j++) {
            float s = b[j];
            for (int k = 0; k < in; k++) s += x[(size_t)i * in + k] * w[(size_t)k * out + j];
            y[(size_t)i * out + j] = s;
        }
}

void nn_linear_backward_naive(int n, int in, int out, const float *x, const float *w,
                              const float *dy, float *dx, float *dw, float *db) {
    for (int k = 0; k < in; k++)
        for (int j = 0; j < out; j++) {
            float s = 0;
            for (int i = 0; i < n; i++) s += x[(size_t)i * in + k] * dy[(size_t)i * out + j];
            dw[(size_t)k * out + j] = s;
        }
    for (int j = 0; j < out; j++) {
        float s = 0;
        for (int i = 0; i < n; i++) s += dy[(size_t)i * out + j];
        db[j] = s;
    }
    if (dx)
        for (int i = 0; i < n; i++)
            for (int k = 0; k < in; k++) {
                float s = 0;
                for (int j = 0; j < out; j++) s += dy[(size_t)i * out + j] * w[(size_t)k * out + j];
                dx[(size_t)i * in + k] = s;
            }
}

/* ---- conv2d: im2col + sgemm ---- */

size_t nn_conv_col_floats(const NnConvShape *s, int n) {
    return (size_t)n * (size_t)s->oh * (size_t)s->ow * (size_t)s->kh * (size_t)s->kw * (size_t)s->c;
}

/* col row (i, oy, ox) holds the kh x kw x c patch; each kernel row is kw * c contiguous floats */
static void im2col(const NnConvShape *s, int n, const float *x, float *col) {
    size_t span = (size_t)s->kw * (size_t)s->c;
    for (int i = 0; i < n; i++)
        for (int oy = 0; oy < s->oh; oy++)
            for (int ox = 0; ox < s->ow; ox++)
                for (int ky = 0; ky < s->kh; ky++) {
                    const float *src =
                        x + (((size_t)i * s->h + (size_t)(oy * s->stride + ky)) * (size_t)s->w +
                             (size_t)(ox * s->stride)) *
                                (size_t)s->c;
                    memcpy(col, src, sizeof(float) * span);
                    col += span;
                }
}

/* the adjoint of im2col: dx = sum of the patches it came from */
static void col2im(const NnConvShape *s, int n, const float *col, float *dx) {
    size_t span = (size_t)s->kw * (size_t)s->c;
    memset(dx, 0, sizeof(float) * (size_t)n * (size_t)s->h * (size_t)s->w * (size_t)s->c);
    for (int i = 0; i < n; i++)
        for (int oy = 0; oy < s->oh; oy++)
            for (int ox = 0; ox < s->ow; ox++)
                for (int ky = 0; ky < s->kh; ky++) {
                    float *dst =
                        dx + (((size_t)i * s->h + (size_t)(oy * s->stride + ky)) * (size_t)s->w +
                              (size_t)(ox * s->stride)) *
                                 (size_t)s->c;
                    for (size_t k = 0; k < span; k++) dst[k] += col[k];
                    col += span;
                }
}

void nn_conv_forward(const NnConvShape *s, int n, const float *x, const float *w, const float *b,
                     float *y, float *col) {
    im2col(s, n, x, col);
    int rows = n * s->oh * s->ow, k = s->kh * s->kw * s->c;
    nn_linear_forward(rows, k, s->oc, col, w, b, y);
}

void nn_conv_backward(const NnConvShape *s, int n, const float *w, const float *dy, float *dx,
                      float *dw, float *db, float *col) {
    int rows = n * s->oh * s->ow, k = s->kh * s->kw * s->c;
    /* dw and db from the forward's im2col, then dcol = dy w^T over col, folded back into dx */
    nn_linear_backward(rows, k, s->oc, col, w, dy, NULL, dw, db);
    if (!dx || rows == 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k, s->oc, 1.0f, dy, s->oc, w, s->oc,
                0.0f, col, k);
    col2im(s, n, col, dx);
}

/* index helpers of the naive references */
static inline size_t x_at(const NnConvShape *s, int i, int r, int c, int ch) {
    return (((size_t)i * s->h + (size_t)r) * (size_t)s->w + (size_t)c) * (size_t)s->c + (size_t)ch;
}
static inline size_t w_at(const NnConvShape *s, int ky, int kx, int ch, int o) {
    return (((size_t)ky * s->kw + (size_t)kx) * (size_t)s->c + (size_t)ch) * (size_t)s->oc +
           (size_t)o;
}
static inline size_t y_at(const NnConvShape *s, int i, int oy, int ox, int o) {
    return (((size_t)i * s->oh + (size_t)oy) * (size_t)s->ow + (size_t)ox) * (size_t)s->oc +
           (size_t)o;
}

void nn_conv_forward_naive(const NnConvShape *s, int n, const float *x, const float *w,
                           const float *b, float *y) {
    for (int i = 0; i < n; i++)
        for (int oy = 0; oy < s->oh; oy++)
            for (int ox = 0; ox < s->ow; ox++)
                for (int o = 0; o < s->oc; o++) {
                    float acc = b[o];
                    for (int ky = 0; ky < s->kh; ky++)
                        for (int kx = 0; kx < s->kw; kx++)
                            for (int ch = 0; ch < s->c; ch++)
                                acc += x[x_at(s, i, oy * s->stride + ky, ox * s->stride + kx, ch)] *
                                       w[w_at(s, ky, kx, ch, o)];
                    y[y_at(s, i, oy, ox, o)] = acc;
                }
}

void nn_conv_backward_naive(const NnConvShape *s, int n, const float *x, const float *w,
                            const float *dy, float *dx, float *dw, float *db) {
    size_t nw = (size_t)s->kh * s->kw * s->c * s->oc;
    memset(dw, 0, sizeof(float) * nw);
    memset(db, 0, sizeof(float) * (size_t)s->oc);
    if (dx) memset(dx, 0, sizeof(float) * (size_t)n * s->h * s->w * s->c);
    for (int i = 0; i < n; i++)
        for (int oy = 0; oy < s->oh; oy++)
            for (int ox = 0; ox < s->ow; ox++)
                for (int o = 0; o < s->oc; o++) {
                    float g = dy[y_at(s, i, oy, ox, o)];
                    db[o] += g;
                    for (int ky = 0; ky < s->kh; ky++)
                        for (int kx = 0; kx < s->kw; kx++)
                            for (int ch = 0; ch < s->c; ch++) {
                                size_t xi =
                                    x_at(s, i, oy * s->stride + ky, ox * s->stride + kx, ch);
                                dw[w_at(s, ky, kx, ch, o)] += x[xi] * g;
                                if (dx) dx[xi] += w[w_at(s, ky, kx, ch, o)] * g;
                            }
                }
}

/* ---- embedding of ids: one-hot convolution as a gather of weight rows ---- */

static inline int clamp_id(const NnConvShape *s, uint8_t id) {
    return id < s->c ? id : s->c - 1;
}

/* The embedding kernels are compiled twice, for AVX2 and for the x86-64 baseline, and picked at
 * load time: they only add floats element by element, so both give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NN_CLONES
#endif

/* y += x over n floats, in chunks of 8 that compile to vector adds at -O2 */
static inline void add_row(float *restrict y, const float *restrict x, int n) {
    int o = 0;
    for (; o + 8 <= n; o += 8)
        for (int k = 0; k < 8; k++) y[o + k] += x[o + k];
    for (; o < n; o++) y[o] += x[o];
}

/* Samples are taken in blocks whose outputs fit in cache (about 32 KiB); inside a block the loop
 * runs over kernel cells first, so one cell's weight rows (c x oc) stay in L1 while every sample
 * of the block adds its row. Each output still sums its cells in kernel order, and each weight
 * gradient its samples in order: the loop order changes no result. */
static int embed_block(const NnConvShape *s) {
    int per = s->oh * s->ow * s->oc;
    int b = 8192 / (per > 0 ? per : 1);
    return b < 1 ? 1 : b;
}

NN_CLONES void nn_embed_forward(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                                const float *w, const float *b, float *y) {
    int oc = s->oc, blk = embed_block(s);
    for (int i0 = 0; i0 < n; i0 += blk) {
        int i1 = i0 + blk < n ? i0 + blk : n;
        for (int i = i0; i < i1; i++)
            for (int o = 0; o < s->oh * s->ow; o++)
                memcpy(y + ((size_t)i * s->oh * s->ow + (size_t)o) * (size_t)oc, b,
                       sizeof(float) * (size_t)oc);
        /* one weight row per kernel cell, cells in kernel order */
        for (int ky = 0; ky < s->kh; ky++)
            for (int kx = 0; kx < s->kw; kx++) {
                const float *wk = w + w_at(s, ky, kx, 0, 0);
                for (int i = i0; i < i1; i++) {
                    const uint8_t *img = ids + (size_t)i * stride;
                    for (int oy = 0; oy < s->oh; oy++) {
                        const uint8_t *row =
                            img + (size_t)(oy * s->stride + ky) * (size_t)s->w + (size_t)kx;
                        float *yr = y + y_at(s, i, oy, 0, 0);
                        for (int ox = 0; ox < s->ow; ox++, yr += oc)
                            add_row(yr, wk + (size_t)clamp_id(s, row[ox * s->stride]) * oc, oc);
                    }
                }
            }
    }
}

NN_CLONES void nn_embed_backward(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                                 const float *dy, float *dw, float *db) {
    int oc = s->oc, blk = embed_block(s);
    memset(dw, 0, sizeof(float) * (size_t)s->kh * s->kw * s->c * oc);
    column_sums(n * s->oh * s->ow, oc, dy, db);
    /* scatter each output gradient onto the weight rows its ids selected, samples in order */
    for (int i0 = 0; i0 < n; i0 += blk) {
        int i1 = i0 + blk < n ? i0 + blk : n;
        for (int ky = 0; ky < s->kh; ky++)
            for (int kx = 0; kx < s->kw; kx++) {
                float *wk = dw + w_at(s, ky, kx, 0, 0);
                for (int i = i0; i < i1; i++) {
                    const uint8_t *img = ids + (size_t)i * stride;
                    for (int oy = 0; oy < s->oh; oy++) {
                        const uint8_t *row =
                            img + (size_t)(oy * s->stride + ky) * (size_t)s->w + (size_t)kx;
                        const float *g = dy + y_at(s, i, oy, 0, 0);
                        for (int ox = 0; ox < s->ow; ox++, g += oc)
                            add_row(wk + (size_t)clamp_id(s, row[ox * s->stride]) * oc, g, oc);
                    }
                }
            }
    }
}

/* the reference builds the one-hot image and runs the naive convolution on it */
static float *one_hot(const NnConvShape *s, int n, const uint8_t *ids, size_t stride) {
    float *x = calloc((size_t)n * s->h * s->w * s->c, sizeof(float));
    if (!x) return NULL;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < s->h; r++)
            for (int c = 0; c < s->w; c++)
                x[x_at(s, i, r, c, clamp_id(s, ids[(size_t)i * stride + (size_t)r * s->w + c]))] =
                    1.0f;
    return x;
}

void nn_embed_forward_naive(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                            const float *w, const float *b, float *y) {
    float *x = one_hot(s, n, ids, stride);
    if (!x) return;
    nn_conv_forward_naive(s, n, x, w, b, y);
    free(x);
}

void nn_embed_backward_naive(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                             const float *dy, float *dw, float *db) {
    float *x = one_hot(s, n, ids, stride);
    if (!x) return;
    nn_conv_backward_naive(s, n, x, NULL, dy, NULL, dw, db);
    free(x);
}

/* ---- activations ---- */

void nn_relu_forward(size_t count, const float *x, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void nn_relu_backward(size_t count, const float *y, const float *dy, float *dx) {
    for (size_t i = 0; i < count; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void nn_tanh_forward(size_t count, const float *x, float *y) {
    for (size_t i = 0; i < count; i++) y[i] = tanhf(x[i]);
}

void nn_tanh_backward(size_t count, const float *y, const float *dy, float *dx) {
    for (size_t i = 0; i < count; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

/* ---- categorical heads ---- */

void nn_log_softmax(int n, int a, const float *logits, int ld, float *logp) {
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * (size_t)ld;
        float *out = logp + (size_t)i * (size_t)a;
        float mx = z[0];
        for (int j = 1; j < a; j++) mx = z[j] > mx ? z[j] : mx;
        float sum = 0.0f;
        for (int j = 0; j < a; j++) sum += expf(z[j] - mx);
        float lse = mx + logf(sum);
        for (int j = 0; j < a; j++) out[j] = z[j] - lse;
    }
}

float nn_entropy(int a, const float *logp) {
    float h = 0.0f;
    for (int j = 0; j < a; j++) h -= expf(logp[j]) * logp[j];
    return h;
}

int nn_sample(int a, const float *logp, float u) {
    float cum = 0.0f;
    for (int j = 0; j < a - 1; j++) {
        cum += expf(logp[j]);
        if (u < cum) return j;
    }
    return a - 1;
}

int nn_argmax(int a, const float *logp) {
    int best = 0;
    for (int j = 1; j < a; j++)
        if (logp[j] > logp[best]) best = j;
    return best;
}

void nn_categorical_backward(int n, int a, const float *logp, const int32_t *act, int act_stride,
                             const float *g, const float *e, float *dlogits, int ld) {
    /* d logp[k] / dz_j = [j == k] - p_j;  dH / dz_j = -p_j (logp_j + H) */
    for (int i = 0; i < n; i++) {
        const float *lp = logp + (size_t)i * (size_t)a;
        float *d = dlogits + (size_t)i * (size_t)ld;
        float h = nn_entropy(a, lp);
        int k = act[(size_t)i * (size_t)act_stride];
        for (int j = 0; j < a; j++) {
            float p = expf(lp[j]);
            d[j] = -g[i] * p - e[i] * p * (lp[j] + h);
        }
        d[k] += g[i];
    }
}

void nn_categorical_backward_naive(int n, int a, const float *logits, int ld_in, const int32_t *act,
                                   int act_stride, const float *g, const float *e, float *dlogits,
                                   int ld) {
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * (size_t)ld_in;
        double mx = z[0], sum = 0, h = 0;
        for (int j = 1; j < a; j++) mx = z[j] > mx ? z[j] : mx;
        for (int j = 0; j < a; j++) sum += exp(z[j] - mx);
        double lse = mx + log(sum);
        for (int j = 0; j < a; j++) h -= exp(z[j] - lse) * (z[j] - lse);
        int k = act[(size_t)i * (size_t)act_stride];
        for (int j = 0; j < a; j++) {
            double p = exp(z[j] - lse);
            double d = g[i] * ((j == k) - p) - e[i] * p * ((z[j] - lse) + h);
            dlogits[(size_t)i * (size_t)ld + j] = (float)d;
        }
    }
}

/* ---- the network ---- */

static void add_layer(NnNet *net, NnKind kind, int in, int out, float gain) {
    NnLayer *l = &net->layer[net->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = in;
    l->out = out;
    l->gain = gain;
}

int nn_net_init(NnNet *net, const NnArch *a, EnvError *err) {
    memset(net, 0, sizeof *net);
    net->arch = *a;
    if (a->obs_h < 1 || a->obs_w < 1 || a->obs_c < 1)
        return env_fail(err, ENV_EINPUT, "observation shape %dx%dx%d is empty", a->obs_h, a->obs_w,
                        a->obs_c);
    if (a->ids && (a->obs_c != 1 || a->n_ids < 2 || a->n_ids > 256))
        return env_fail(err, ENV_EINPUT, "the ids encoding needs one channel and 2..256 ids");
    if (a->n_heads < 1 || a->n_heads > NN_MAX_HEADS)
        return env_fail(err, ENV_EINPUT, "net.heads: %d heads; allowed 1..%d", a->n_heads,
                        NN_MAX_HEADS);
    for (int h = 0; h < a->n_heads; h++)
        if (a->heads[h] < 2)
            return env_fail(err, ENV_EINPUT, "net.heads: a head of %d actions; allowed 2 or more",
                            a->heads[h]);
    if (a->n_hidden < 0 || a->n_hidden > NN_MAX_HIDDEN)
        return env_fail(err, ENV_EINPUT, "net.hidden: %d layers; allowed 0..%d", a->n_hidden,
                        NN_MAX_HIDDEN);
    if (a->conv == 0 && a->n_hidden < 1)
        return env_fail(err, ENV_EINPUT,
                        "net.conv = 0 needs at least one net.hidden layer (the first layer then "
                        "covers the whole view)");
    if (a->activation != NN_RELU && a->activation != NN_TANH)
        return env_fail(err, ENV_EINPUT, "net.activation: choose relu or tanh");
    float act_gain = a->activation == NN_RELU ? sqrtf(2.0f) : 1.0f;
    net->in_size = a->obs_h * a->obs_w * a->obs_c;
    int next = 0; /* first hidden size not yet used */

    /* encoder: a convolution (or one-hot embedding), or one layer over the whole view */
    NnConvShape cs = {.h = a->obs_h, .w = a->obs_w, .c = a->ids ? a->n_ids : a->obs_c};
    if (a->conv > 0) {
        cs.kh = cs.kw = a->kernel;
        cs.stride = a->stride;
        cs.oc = a->conv;
        if (nn_conv_shape(&cs))
            return env_fail(err, ENV_EINPUT,
                            "net.kernel = %d with net.stride = %d does not fit the %dx%d view",
                            a->kernel, a->stride, a->obs_h, a->obs_w);
    } else {
        cs.kh = a->obs_h;
        cs.kw = a->obs_w;
        cs.stride = 1;
        cs.oc = a->hidden[next++];
        nn_conv_shape(&cs);
    }
    int feat = cs.oh * cs.ow * cs.oc;
    if (a->ids) {
        add_layer(net, NN_EMBED, net->in_size, feat, act_gain);
        net->layer[0].conv = cs;
    } else if (a->conv > 0) {
        add_layer(net, NN_CONV, net->in_size, feat, act_gain);
        net->layer[0].conv = cs;
    } else {
        add_layer(net, NN_LINEAR, net->in_size, feat, act_gain);
    }
    add_layer(net, a->activation, feat, feat, 0);
    /* hidden layers */
    for (; next < a->n_hidden; next++) {
        if (a->hidden[next] < 1)
            return env_fail(err, ENV_EINPUT, "net.hidden: layer sizes must be 1 or more");
        add_layer(net, NN_LINEAR, feat, a->hidden[next], act_gain);
        feat = a->hidden[next];
        add_layer(net, a->activation, feat, feat, 0);
    }
    /* output: the heads' logits then the value */
    net->n_out = 0;
    for (int h = 0; h < a->n_heads; h++) {
        net->head_off[h] = net->n_out;
        net->n_out += a->heads[h];
    }
    net->n_out += 1;
    add_layer(net, NN_LINEAR, feat, net->n_out, 1.0f);

    /* parameter offsets: weights then biases, layer by layer */
    size_t off = 0;
    for (int l = 0; l < net->n_layers; l++) {
        NnLayer *ly = &net->layer[l];
        size_t nw = 0, nb = 0;
        if (ly->kind == NN_LINEAR) {
            nw = (size_t)ly->in * (size_t)ly->out;
            nb = (size_t)ly->out;
        } else if (ly->kind == NN_CONV || ly->kind == NN_EMBED) {
            nw = (size_t)ly->conv.kh * ly->conv.kw * ly->conv.c * ly->conv.oc;
            nb = (size_t)ly->conv.oc;
        }
        ly->w_off = off;
        ly->b_off = off + nw;
        ly->n_params = nw + nb;
        off += nw + nb;
    }
    net->n_params = off;
    return 0;
}

/* a uniform float in [-1, 1) from 24 bits of a draw */
static float uniform_pm1(EnvRng *r) {
    return (float)(env_rng_u32(r) >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

void nn_net_init_params(const NnNet *net, float *params, uint64_t key) {
    memset(params, 0, sizeof(float) * net->n_params);
    for (int l = 0; l < net->n_layers; l++) {
        const NnLayer *ly = &net->layer[l];
        if (ly->n_params == 0) continue;
        EnvRng rng;
        env_rng_seed(&rng, env_hash4(key, (uint64_t)l, 0, NN_STREAM_INIT));
        int rows, cols;
        float fan_in;
        if (ly->kind == NN_LINEAR) {
            rows = ly->in;
            cols = ly->out;
            fan_in = (float)ly->in;
        } else {
            rows = ly->conv.kh * ly->conv.kw * ly->conv.c;
            cols = ly->conv.oc;
            /* a one-hot input has one active value per kernel cell */
            fan_in = (float)(ly->kind == NN_EMBED ? ly->conv.kh * ly->conv.kw : rows);
        }
        int is_out = l == net->n_layers - 1;
        float *w = params + ly->w_off;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                float gain = ly->gain;
                if (is_out) gain = j < cols - 1 ? 0.01f : 1.0f;
                /* uniform on [-b, b] has standard deviation b / sqrt(3) */
                float bound = gain * sqrtf(3.0f / fan_in);
                w[(size_t)i * (size_t)cols + (size_t)j] = bound * uniform_pm1(&rng);
            }
    }
}

int nn_work_init(NnWork *ws, const NnNet *net, int max_n) {
    memset(ws, 0, sizeof *ws);
    ws->max_n = max_n;
    const NnLayer *l0 = &net->layer[0];
    size_t n_input = l0->kind == NN_EMBED ? 0 : (size_t)max_n * (size_t)net->in_size;
    size_t n_col = l0->kind == NN_CONV ? nn_conv_col_floats(&l0->conv, max_n) : 0;
    /* the gradients flowing down are as wide as the widest layer output (a layer's input is
     * the previous layer's output) */
    size_t widest = 0;
    for (int l = 0; l < net->n_layers; l++)
        if ((size_t)net->layer[l].out > widest) widest = (size_t)net->layer[l].out;
    size_t n_dy = (size_t)max_n * widest;
    /* carve one allocation: every view starts on a 16-float boundary */
#define NN_ROUND(x) (((x) + 15) & ~(size_t)15)
    size_t total = NN_ROUND(n_input) + NN_ROUND(n_col) + 2 * NN_ROUND(n_dy);
    for (int l = 0; l < net->n_layers; l++)
        total += NN_ROUND((size_t)max_n * (size_t)net->layer[l].out);
    float *block = aligned_alloc(64, NN_ROUND(total) * sizeof(float));
    if (!block) return ENV_ENOMEM;
    memset(block, 0, NN_ROUND(total) * sizeof(float));
    ws->block = block;
    float *p = block;
    ws->input = p;
    p += NN_ROUND(n_input);
    ws->col = p;
    p += NN_ROUND(n_col);
    ws->dy[0] = p;
    p += NN_ROUND(n_dy);
    ws->dy[1] = p;
    p += NN_ROUND(n_dy);
    for (int l = 0; l < net->n_layers; l++) {
        ws->y[l] = p;
        p += NN_ROUND((size_t)max_n * (size_t)net->layer[l].out);
    }
#undef NN_ROUND
    return 0;
}

void nn_work_close(NnWork *ws) {
    free(ws->block);
    ws->block = NULL;
}

void nn_forward(const NnNet *net, const float *params, NnWork *ws, int n, const uint8_t *obs,
                size_t stride) {
    const NnLayer *l0 = &net->layer[0];
    /* the first layer reads the observation: ids directly, colours as floats in [0, 1] */
    if (l0->kind == NN_EMBED) {
        nn_embed_forward(&l0->conv, n, obs, stride, params + l0->w_off, params + l0->b_off,
                         ws->y[0]);
    } else {
        int m = net->in_size;
        for (int i = 0; i < n; i++) {
            const uint8_t *src = obs + (size_t)i * stride;
            float *dst = ws->input + (size_t)i * (size_t)m;
            for (int k = 0; k < m; k++) dst[k] = (float)src[k] * (1.0f / 255.0f);
        }
        if (l0->kind == NN_CONV)
            nn_conv_forward(&l0->conv, n, ws->input, params + l0->w_off, params + l0->b_off,
                            ws->y[0], ws->col);
        else
            nn_linear_forward(n, l0->in, l0->out, ws->input, params + l0->w_off, params + l0->b_off,
                              ws->y[0]);
    }
    for (int l = 1; l < net->n_layers; l++) {
        const NnLayer *ly = &net->layer[l];
        const float *x = ws->y[l - 1];
        size_t count = (size_t)n * (size_t)ly->out;
        if (ly->kind == NN_RELU)
            nn_relu_forward(count, x, ws->y[l]);
        else if (ly->kind == NN_TANH)
            nn_tanh_forward(count, x, ws->y[l]);
        else
            nn_linear_forward(n, ly->in, ly->out, x, params + ly->w_off, params + ly->b_off,
                              ws->y[l]);
    }
}

void nn_backward(const NnNet *net, const float *params, NnWork *ws, int n, const uint8_t *obs,
                 size_t stride, const float *dout, float *grads) {
    const float *d = dout; /* the gradient flowing into the current layer's output */
    int spare = 0;         /* the ping-pong buffer that d is not in */
    for (int l = net->n_layers - 1; l >= 1; l--) {
        const NnLayer *ly = &net->layer[l];
        size_t count = (size_t)n * (size_t)ly->out;
        float *dx = ws->dy[spare];
        if (ly->kind == NN_RELU) {
            nn_relu_backward(count, ws->y[l], d, dx);
        } else if (ly->kind == NN_TANH) {
            nn_tanh_backward(count, ws->y[l], d, dx);
        } else {
            nn_linear_backward(n, ly->in, ly->out, ws->y[l - 1], params + ly->w_off, d, dx,
                               grads + ly->w_off, grads + ly->b_off);
        }
        d = dx;
        spare ^= 1;
    }
    /* the first layer: parameter gradients only */
    const NnLayer *l0 = &net->layer[0];
    if (l0->kind == NN_EMBED)
        nn_embed_backward(&l0->conv, n, obs, stride, d, grads + l0->w_off, grads + l0->b_off);
    else if (l0->kind == NN_CONV)
        nn_conv_backward(&l0->conv, n, params + l0->w_off, d, NULL, grads + l0->w_off,
                         grads + l0->b_off, ws->col);
    else
        nn_linear_backward(n, l0->in, l0->out, ws->input, params + l0->w_off, d, NULL,
                           grads + l0->w_off, grads + l0->b_off);
}

/* ---- model and Adam ---- */

int nn_model_init(NnModel *m, const NnArch *arch, int n_groups, uint64_t seed, EnvError *err) {
    memset(m, 0, sizeof *m);
    int rc = nn_net_init(&m->net, arch, err);
    if (rc) return rc;
    if (n_groups < 1) return env_fail(err, ENV_EINPUT, "a model needs at least one group");
    m->n_groups = n_groups;
    m->n = m->net.n_params;
    /* params, grads, m and v of every group; each view on a 64-byte boundary */
    size_t per = (m->n * (size_t)n_groups + 15) & ~(size_t)15;
    float *block = aligned_alloc(64, 4 * per * sizeof(float));
    if (!block) return env_fail(err, ENV_ENOMEM, "out of memory for %zu parameters", 4 * per);
    memset(block, 0, 4 * per * sizeof(float));
    m->block = block;
    m->params = block;
    m->grads = block + per;
    m->m = block + 2 * per;
    m->v = block + 3 * per;
    for (int g = 0; g < n_groups; g++)
        nn_net_init_params(&m->net, m->params + (size_t)g * m->n,
                           env_hash4(seed, (uint64_t)g, 0, NN_STREAM_INIT));
    return 0;
}

void nn_model_close(NnModel *m) {
    free(m->block);
    m->block = NULL;
}

void nn_adam_step(NnModel *md, float lr, float beta1, float beta2, float eps) {
    md->adam_steps++;
    double bc1 = 1.0 - pow((double)beta1, (double)md->adam_steps);
    double bc2 = 1.0 - pow((double)beta2, (double)md->adam_steps);
    float step = (float)((double)lr / bc1);
    float inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    size_t total = md->n * (size_t)md->n_groups;
    float *restrict p = md->params, *restrict m = md->m, *restrict v = md->v;
    const float *restrict g = md->grads;
    float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
    for (size_t i = 0; i < total; i++) {
        m[i] = beta1 * m[i] + c1 * g[i];
        v[i] = beta2 * v[i] + c2 * g[i] * g[i];
        p[i] -= step * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
    }
}

double nn_norm(const float *g, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * (double)g[i];
    return sqrt(s);
}
