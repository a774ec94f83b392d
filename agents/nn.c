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

/* The embedding and activation kernels are compiled twice, for AVX2 and for the x86-64
 * baseline, and picked at load time: they only add, compare and select floats element by
 * element, so both give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NN_CLONES
#endif
/* helpers of the cloned kernels are inlined into each clone, so they compile for its target */
#if defined(__GNUC__)
#define NN_INLINE static inline __attribute__((always_inline))
#else
#define NN_INLINE static inline
#endif

/* Eight floats added lane by lane (a GCC/Clang vector; a plain array elsewhere): a row of 64
 * outputs is eight of them, held in registers while a kernel adds weight rows into it. */
#if defined(__GNUC__)
/* unaligned, and aliasing floats like its element type */
typedef float V8 __attribute__((vector_size(32), aligned(4)));
#define V8_LOAD(p) (*(const V8 *)(p))
#define V8_STORE(p, v) (*(V8 *)(p) = (v))
#define V8_ADD(a, b) ((a) + (b))
#else
typedef struct {
    float x[8];
} V8;
static inline V8 v8_load(const float *p) {
    V8 v;
    memcpy(v.x, p, sizeof v.x);
    return v;
}
static inline V8 v8_add(V8 a, V8 b) {
    for (int k = 0; k < 8; k++) a.x[k] += b.x[k];
    return a;
}
#define V8_LOAD(p) v8_load(p)
#define V8_STORE(p, v) memcpy((p), (v).x, sizeof(V8))
#define V8_ADD(a, b) v8_add(a, b)
#endif

/* 64 floats in eight named vectors, so that they stay in registers: load, add a row, store */
#define V8X8_LOAD(a, p)                                                                            \
    do {                                                                                           \
        const float *p_ = (p);                                                                     \
        a##0 = V8_LOAD(p_), a##1 = V8_LOAD(p_ + 8), a##2 = V8_LOAD(p_ + 16);                       \
        a##3 = V8_LOAD(p_ + 24), a##4 = V8_LOAD(p_ + 32), a##5 = V8_LOAD(p_ + 40);                 \
        a##6 = V8_LOAD(p_ + 48), a##7 = V8_LOAD(p_ + 56);                                          \
    } while (0)
#define V8X8_ADD(a, p)                                                                             \
    do {                                                                                           \
        const float *p_ = (p);                                                                     \
        a##0 = V8_ADD(a##0, V8_LOAD(p_)), a##1 = V8_ADD(a##1, V8_LOAD(p_ + 8));                    \
        a##2 = V8_ADD(a##2, V8_LOAD(p_ + 16)), a##3 = V8_ADD(a##3, V8_LOAD(p_ + 24));              \
        a##4 = V8_ADD(a##4, V8_LOAD(p_ + 32)), a##5 = V8_ADD(a##5, V8_LOAD(p_ + 40));              \
        a##6 = V8_ADD(a##6, V8_LOAD(p_ + 48)), a##7 = V8_ADD(a##7, V8_LOAD(p_ + 56));              \
    } while (0)
#define V8X8_STORE(p, a)                                                                           \
    do {                                                                                           \
        float *p_ = (p);                                                                           \
        V8_STORE(p_, a##0), V8_STORE(p_ + 8, a##1), V8_STORE(p_ + 16, a##2);                       \
        V8_STORE(p_ + 24, a##3), V8_STORE(p_ + 32, a##4), V8_STORE(p_ + 40, a##5);                 \
        V8_STORE(p_ + 48, a##6), V8_STORE(p_ + 56, a##7);                                          \
    } while (0)

/* Kernel cells are taken in chunks: in the forward pass, chunks whose weight rows (c x oc floats
 * a cell) fit in about 64 KiB; in the backward pass, chunks of at most 2048 (cell, id) masks. */
#define EMBED_MAX_CHUNK 2048
static int embed_chunk(const NnConvShape *s, int cells, int bytes) {
    int per = s->c * s->oc * (int)sizeof(float);
    int k = bytes / (per > 0 ? per : 1);
    if (k < 1) k = 1;
    if (k > cells) k = cells;
    return k > EMBED_MAX_CHUNK ? EMBED_MAX_CHUNK : k;
}

/* the image offsets of kernel cells k0 .. k0 + count - 1 (cell k = ky kw + kx) */
static void cell_offsets(const NnConvShape *s, int k0, int count, int *off) {
    for (int j = 0; j < count; j++) {
        int k = k0 + j;
        off[j] = (k / s->kw) * s->w + k % s->kw;
    }
}

/* one output row (oc floats at yr) gets the weight rows of count cells added in order, each
 * cell's row chosen by its id; first: the row starts from the bias, else from its value */
NN_INLINE void embed_add_cells(const NnConvShape *s, const uint8_t *img, const int *off,
                               const float *w, size_t cell_floats, int count, const float *b,
                               int first, float *yr) {
    int oc = s->oc, o = 0;
    for (; o + 64 <= oc; o += 64) {
        V8 a0, a1, a2, a3, a4, a5, a6, a7;
        V8X8_LOAD(a, first ? b + o : yr + o);
        const float *wk = w + o;
        for (int j = 0; j < count; j++, wk += cell_floats)
            V8X8_ADD(a, wk + (size_t)clamp_id(s, img[off[j]]) * (size_t)oc);
        V8X8_STORE(yr + o, a);
    }
    for (; o + 8 <= oc; o += 8) {
        V8 acc = V8_LOAD(first ? b + o : yr + o);
        const float *wk = w + o;
        for (int j = 0; j < count; j++, wk += cell_floats)
            acc = V8_ADD(acc, V8_LOAD(wk + (size_t)clamp_id(s, img[off[j]]) * (size_t)oc));
        V8_STORE(yr + o, acc);
    }
    for (; o < oc; o++) {
        float acc = first ? b[o] : yr[o];
        const float *wk = w + o;
        for (int j = 0; j < count; j++, wk += cell_floats)
            acc += wk[(size_t)clamp_id(s, img[off[j]]) * (size_t)oc];
        yr[o] = acc;
    }
}

/* Forward: each output row starts from the bias and adds one weight row per kernel cell, cells
 * in kernel order, the row held in registers across a chunk of cells whose weights stay in
 * cache; chunk after chunk, every output row of the batch. The sum's order is the same as one
 * cell at a time. */
NN_CLONES void nn_embed_forward(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                                const float *w, const float *b, float *y) {
    int cells = s->kh * s->kw, chunk = embed_chunk(s, cells, 65536);
    size_t oc = (size_t)s->oc, cell_floats = (size_t)s->c * oc;
    int off[EMBED_MAX_CHUNK];
    for (int k0 = 0; k0 < cells; k0 += chunk) {
        int count = k0 + chunk <= cells ? chunk : cells - k0;
        cell_offsets(s, k0, count, off);
        const float *wk = w + (size_t)k0 * cell_floats;
        float *yr = y;
        for (int i = 0; i < n; i++)
            for (int oy = 0; oy < s->oh; oy++)
                for (int ox = 0; ox < s->ow; ox++, yr += oc) {
                    const uint8_t *img = ids + (size_t)i * stride +
                                         (size_t)(oy * s->stride) * (size_t)s->w +
                                         (size_t)(ox * s->stride);
                    embed_add_cells(s, img, off, wk, cell_floats, count, b, k0 == 0, yr);
                }
    }
}

/* dw row += the dy rows r0 + j for every bit j of mask, in increasing j */
NN_INLINE void embed_gather_rows(int oc, uint64_t mask, const float *dy0, float *dwr) {
    int o = 0;
    for (; o + 64 <= oc; o += 64) {
        V8 a0, a1, a2, a3, a4, a5, a6, a7;
        V8X8_LOAD(a, dwr + o);
        for (uint64_t m = mask; m; m &= m - 1)
            V8X8_ADD(a, dy0 + (size_t)__builtin_ctzll(m) * (size_t)oc + o);
        V8X8_STORE(dwr + o, a);
    }
    for (; o + 8 <= oc; o += 8) {
        V8 acc = V8_LOAD(dwr + o);
        for (uint64_t m = mask; m; m &= m - 1)
            acc = V8_ADD(acc, V8_LOAD(dy0 + (size_t)__builtin_ctzll(m) * (size_t)oc + o));
        V8_STORE(dwr + o, acc);
    }
    for (; o < oc; o++) {
        float acc = dwr[o];
        for (uint64_t m = mask; m; m &= m - 1) acc += dy0[(size_t)__builtin_ctzll(m) * oc + o];
        dwr[o] = acc;
    }
}

/* Backward: each weight row's gradient is the sum of the output gradients of the rows whose id
 * selected it, rows in order. Rows are taken 64 at a time: a first pass marks, for a chunk of
 * cells, which of the 64 rows chose each (cell, id) in a bit mask; a second pass adds, for each
 * marked (cell, id), its rows in increasing order into the weight row held in registers. */
NN_CLONES void nn_embed_backward(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                                 const float *dy, float *dw, float *db) {
    int cells = s->kh * s->kw, c = s->c, oc = s->oc, P = s->oh * s->ow;
    int chunk = EMBED_MAX_CHUNK / (c > 0 ? c : 1); /* count * c masks */
    if (chunk > cells) chunk = cells;
    size_t cell_floats = (size_t)c * (size_t)oc;
    size_t rows = (size_t)n * (size_t)P;
    int off[EMBED_MAX_CHUNK];
    uint64_t mask[EMBED_MAX_CHUNK];
    memset(dw, 0, sizeof(float) * (size_t)cells * cell_floats);
    memset(mask, 0, sizeof mask);
    column_sums((int)rows, oc, dy, db);
    for (size_t r0 = 0; r0 < rows; r0 += 64) {
        int nr = rows - r0 < 64 ? (int)(rows - r0) : 64;
        const float *dy0 = dy + r0 * (size_t)oc;
        for (int k0 = 0; k0 < cells; k0 += chunk) {
            int count = k0 + chunk <= cells ? chunk : cells - k0;
            cell_offsets(s, k0, count, off);
            /* mark: bit j of mask[cell * c + id] when row r0 + j chose id at that cell */
            for (int j = 0; j < nr; j++) {
                size_t r = r0 + (size_t)j;
                int i = (int)(r / (size_t)P), p = (int)(r % (size_t)P);
                const uint8_t *img = ids + (size_t)i * stride +
                                     (size_t)((p / s->ow) * s->stride) * (size_t)s->w +
                                     (size_t)((p % s->ow) * s->stride);
                uint64_t bit = (uint64_t)1 << j;
                for (int k = 0; k < count; k++) mask[k * c + clamp_id(s, img[off[k]])] |= bit;
            }
            /* add: each marked weight row gathers its rows, then its mask is cleared */
            for (int k = 0; k < count; k++)
                for (int id = 0; id < c; id++) {
                    uint64_t m = mask[k * c + id];
                    if (!m) continue;
                    mask[k * c + id] = 0;
                    embed_gather_rows(oc, m, dy0,
                                      dw + (size_t)(k0 + k) * cell_floats + (size_t)id * oc);
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

NN_CLONES void nn_add(float *a, const float *b, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) V8_STORE(a + i, V8_ADD(V8_LOAD(a + i), V8_LOAD(b + i)));
    for (; i < n; i++) a[i] += b[i];
}

NN_CLONES void nn_add_to(float *out, const float *a, const float *b, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) V8_STORE(out + i, V8_ADD(V8_LOAD(a + i), V8_LOAD(b + i)));
    for (; i < n; i++) out[i] = a[i] + b[i];
}

/* ---- activations ---- */

/* ReLU as a select, eight lanes at a time: y = x > 0 ? x : +0 (and +0 for NaN), the bits of the
 * scalar form; the backward passes dy where y > 0 */
#if defined(__GNUC__)
typedef int V8I __attribute__((vector_size(32), aligned(4)));
#define V8_KEEP_POS(x, v) ((V8)((V8I)(v) & ((x) > (V8){0})))
#endif

NN_CLONES void nn_relu_forward(size_t count, const float *x, float *y) {
    size_t i = 0;
#if defined(__GNUC__)
    for (; i + 8 <= count; i += 8) {
        V8 v = V8_LOAD(x + i);
        V8_STORE(y + i, V8_KEEP_POS(v, v));
    }
#endif
    for (; i < count; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

NN_CLONES void nn_relu_backward(size_t count, const float *y, const float *dy, float *dx) {
    size_t i = 0;
#if defined(__GNUC__)
    for (; i + 8 <= count; i += 8) V8_STORE(dx + i, V8_KEEP_POS(V8_LOAD(y + i), V8_LOAD(dy + i)));
#endif
    for (; i < count; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
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

float nn_categorical_backward_row(int a, const float *logp, int act, float g, float e,
                                  float *dlogits) {
    /* d logp[k] / dz_j = [j == k] - p_j;  dH / dz_j = -p_j (logp_j + H). The probabilities wait
     * in dlogits while the entropy is summed from them: nn_entropy's terms in its order. */
    float h = 0.0f;
    for (int j = 0; j < a; j++) dlogits[j] = expf(logp[j]);
    for (int j = 0; j < a; j++) h -= dlogits[j] * logp[j];
    for (int j = 0; j < a; j++) {
        float p = dlogits[j];
        dlogits[j] = -g * p - e * p * (logp[j] + h);
    }
    dlogits[act] += g;
    return h;
}

void nn_categorical_backward(int n, int a, const float *logp, const int32_t *act, int act_stride,
                             const float *g, const float *e, float *dlogits, int ld) {
    for (int i = 0; i < n; i++)
        nn_categorical_backward_row(a, logp + (size_t)i * (size_t)a,
                                    act[(size_t)i * (size_t)act_stride], g[i], e[i],
                                    dlogits + (size_t)i * (size_t)ld);
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
