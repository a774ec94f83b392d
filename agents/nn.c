/* nn.c: the layers' kernels on flat float buffers (see nn.h): linear, conv2d, the one-hot
 * embedding, activations and categorical heads; the network built from them is in net.c.
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

const char *nn_blas_kernel(void) {
    return openblas_get_corename();
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
