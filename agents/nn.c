/* nn.c: the layers' kernels on flat float buffers (see nn.h): linear, conv2d, the one-hot
 * embedding, activations and categorical heads; the network built from them is in net.c.
 *
 * The optimised kernels call cblas_sgemm (OpenBLAS, one thread); the naive references are plain
 * loops over the same layouts, summing in the obvious order, and exist for the tests.
 */
#include <cblas.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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

static void column_sums(int rows, int cols, const float *a, float *out);

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

/* ---- embedding of ids: one-hot convolution as sums of weight rows ---- */

/* y = b + the sum over the K = kh kw kernel cells k (k = ky kw + kx) of W[k][id_k]. Id 0 (the
 * empty floor, ENV_ID_EMPTY) is the base. With D[k][id] = W[k][id] - W[k][0] and the prefix sums
 * P[k][id] = D[0][id] + ... + D[k-1][id] (P[k][0] = 0),
 *     y = B + sum over the boundaries k of (P[k][id_{k-1}] - P[k][id_k]),  B = b + sum_k W[k][0],
 * a boundary being a k in 1 .. K where the id changes, id_K taken as 0. A run of one id over cells
 * a .. b-1 costs two rows of P instead of b - a rows of W, a run of the base none: a Harvest or
 * Gathering view (mostly floor and beyond-the-edge cells) has about 35 boundaries for its 225 or
 * 336 cells. The backward pass is the transpose: each boundary adds its row's dy to the gradient
 * of P[k][id_{k-1}] and subtracts it from that of P[k][id_k]; a suffix sum over k turns those into
 * the gradients of D, and the base's are db minus the others'. The sums run in another order than
 * one weight row per cell, so the kernels equal the naive reference within rounding; every output
 * row depends on its own ids and the weights alone, never on the other rows of the batch. */

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
#define V8_SUB(a, b) ((a) - (b))
typedef uint32_t V8U __attribute__((vector_size(32), aligned(4)));
#define V8_ZERO ((V8){0})
/* v with its signs flipped where m (0 or 0x80000000) says: -v is exact */
#define V8_FLIP(v, m) ((V8)((V8U)(v) ^ (m)))
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
static inline V8 v8_sub(V8 a, V8 b) {
    for (int k = 0; k < 8; k++) a.x[k] -= b.x[k];
    return a;
}
static inline V8 v8_flip(V8 a, uint32_t m) {
    for (int k = 0; k < 8; k++) a.x[k] = m ? -a.x[k] : a.x[k];
    return a;
}
#define V8_LOAD(p) v8_load(p)
#define V8_STORE(p, v) memcpy((p), (v).x, sizeof(V8))
#define V8_ADD(a, b) v8_add(a, b)
#define V8_SUB(a, b) v8_sub(a, b)
#define V8_FLIP(v, m) v8_flip(v, m)
#define V8_ZERO ((V8){{0}})
#endif

/* 64 floats in eight named vectors, so that they stay in registers: load, add a row with its
 * signs flipped where m says, store */
#define V8X8_LOAD(a, p)                                                                            \
    do {                                                                                           \
        const float *p_ = (p);                                                                     \
        a##0 = V8_LOAD(p_), a##1 = V8_LOAD(p_ + 8), a##2 = V8_LOAD(p_ + 16);                       \
        a##3 = V8_LOAD(p_ + 24), a##4 = V8_LOAD(p_ + 32), a##5 = V8_LOAD(p_ + 40);                 \
        a##6 = V8_LOAD(p_ + 48), a##7 = V8_LOAD(p_ + 56);                                          \
    } while (0)
#define V8X8_ADD_FLIP(a, p, m)                                                                     \
    do {                                                                                           \
        const float *p_ = (p);                                                                     \
        a##0 = V8_ADD(a##0, V8_FLIP(V8_LOAD(p_), m));                                              \
        a##1 = V8_ADD(a##1, V8_FLIP(V8_LOAD(p_ + 8), m));                                          \
        a##2 = V8_ADD(a##2, V8_FLIP(V8_LOAD(p_ + 16), m));                                         \
        a##3 = V8_ADD(a##3, V8_FLIP(V8_LOAD(p_ + 24), m));                                         \
        a##4 = V8_ADD(a##4, V8_FLIP(V8_LOAD(p_ + 32), m));                                         \
        a##5 = V8_ADD(a##5, V8_FLIP(V8_LOAD(p_ + 40), m));                                         \
        a##6 = V8_ADD(a##6, V8_FLIP(V8_LOAD(p_ + 48), m));                                         \
        a##7 = V8_ADD(a##7, V8_FLIP(V8_LOAD(p_ + 56), m));                                         \
    } while (0)
#define V8X8_STORE(p, a)                                                                           \
    do {                                                                                           \
        float *p_ = (p);                                                                           \
        V8_STORE(p_, a##0), V8_STORE(p_ + 8, a##1), V8_STORE(p_ + 16, a##2);                       \
        V8_STORE(p_ + 24, a##3), V8_STORE(p_ + 32, a##4), V8_STORE(p_ + 40, a##5);                 \
        V8_STORE(p_ + 48, a##6), V8_STORE(p_ + 56, a##7);                                          \
    } while (0)
/* the 64 floats at p += a with its signs flipped where m says */
#define V8X8_UPDATE_FLIP(p, a, m)                                                                  \
    do {                                                                                           \
        float *q_ = (p);                                                                           \
        V8_STORE(q_, V8_ADD(V8_LOAD(q_), V8_FLIP(a##0, m)));                                       \
        V8_STORE(q_ + 8, V8_ADD(V8_LOAD(q_ + 8), V8_FLIP(a##1, m)));                               \
        V8_STORE(q_ + 16, V8_ADD(V8_LOAD(q_ + 16), V8_FLIP(a##2, m)));                             \
        V8_STORE(q_ + 24, V8_ADD(V8_LOAD(q_ + 24), V8_FLIP(a##3, m)));                             \
        V8_STORE(q_ + 32, V8_ADD(V8_LOAD(q_ + 32), V8_FLIP(a##4, m)));                             \
        V8_STORE(q_ + 40, V8_ADD(V8_LOAD(q_ + 40), V8_FLIP(a##5, m)));                             \
        V8_STORE(q_ + 48, V8_ADD(V8_LOAD(q_ + 48), V8_FLIP(a##6, m)));                             \
        V8_STORE(q_ + 56, V8_ADD(V8_LOAD(q_ + 56), V8_FLIP(a##7, m)));                             \
    } while (0)

/* column sums of a (rows, cols) matrix, row by row from zero: 64 or 8 columns at a time in
 * registers, each column's sum in the order of the plain loop */
NN_CLONES static void column_sums(int rows, int cols, const float *a, float *out) {
    int o = 0;
    for (; o + 64 <= cols; o += 64) {
        V8 s0, s1, s2, s3, s4, s5, s6, s7;
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = V8_ZERO;
        for (int i = 0; i < rows; i++) V8X8_ADD_FLIP(s, a + (size_t)i * (size_t)cols + o, 0u);
        V8X8_STORE(out + o, s);
    }
    for (; o + 8 <= cols; o += 8) {
        V8 s = V8_ZERO;
        for (int i = 0; i < rows; i++) s = V8_ADD(s, V8_LOAD(a + (size_t)i * (size_t)cols + o));
        V8_STORE(out + o, s);
    }
    for (; o < cols; o++) {
        float s = 0;
        for (int i = 0; i < rows; i++) s += a[(size_t)i * (size_t)cols + o];
        out[o] = s;
    }
}

/* The table (nn_embed_table): P[k][id] for k = 1 .. K in slot (k - 1) c + id, (K c, oc), then
 * B (oc,). The kernels' scratch, carved from the caller's work (nn_embed_work_bytes): the forward
 * pass fills it and the backward pass reads the forward's boundaries again. */
#define EMBED_PAD 64 /* zero ids after a row's last cell: the boundary scan reads that far */
typedef struct EmbedWork {
    uint32_t *ent;    /* (rows, 2 K): a row's terms in boundary order: the P offset (slot x oc),
                         EMBED_MINUS when subtracted */
    int32_t *n_ent;   /* (rows,) how many */
    int32_t *off;     /* (K,) the image offset of each kernel cell */
    uint8_t *line;    /* (K + EMBED_PAD) one row's ids, clamped, zero padded */
    uint8_t *present; /* (c,) 1 for the ids in some row of the batch (all, beyond 64 ids) */
} EmbedWork;

static size_t embed_round(size_t bytes) {
    return (bytes + 63) & ~(size_t)63;
}

static size_t embed_work_carve(const NnConvShape *s, int n, void *work, EmbedWork *e) {
    size_t K = (size_t)s->kh * (size_t)s->kw, c = (size_t)s->c;
    size_t rows = (size_t)(n > 0 ? n : 0) * (size_t)s->oh * (size_t)s->ow;
    size_t sizes[5] = {rows * 2 * K * sizeof(uint32_t), rows * sizeof(int32_t), K * sizeof(int32_t),
                       K + EMBED_PAD, c};
    size_t total = 0;
    char *p = work;
    void *view[5];
    for (int i = 0; i < 5; i++) {
        view[i] = p ? p + total : NULL;
        total += embed_round(sizes[i]);
    }
    if (e) {
        e->ent = view[0], e->n_ent = view[1], e->off = view[2], e->line = view[3];
        e->present = view[4];
    }
    return total;
}

size_t nn_embed_table_floats(const NnConvShape *s) {
    return ((size_t)s->kh * (size_t)s->kw * (size_t)s->c + 1) * (size_t)s->oc;
}

size_t nn_embed_work_bytes(const NnConvShape *s, int n) {
    return embed_work_carve(s, n, NULL, NULL);
}

/* one row's ids, clamped to c - 1, into line[0 .. K), zeros after */
NN_INLINE void embed_line(const NnConvShape *s, const uint8_t *img, const int32_t *off, int K,
                          int contiguous, uint8_t *line) {
    if (contiguous) {
        memcpy(line, img, (size_t)K);
#if defined(__SSE2__)
        __m128i top = _mm_set1_epi8((char)(uint8_t)(s->c - 1));
        for (int j = 0; j < K; j += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(line + j));
            _mm_storeu_si128((__m128i *)(line + j), _mm_min_epu8(v, top));
        }
#else
        for (int j = 0; j < K; j++) line[j] = (uint8_t)clamp_id(s, line[j]);
#endif
    } else {
        for (int j = 0; j < K; j++) line[j] = (uint8_t)clamp_id(s, img[off[j]]);
    }
    memset(line + K, 0, EMBED_PAD);
}

/* The terms of one row, boundary by boundary: + P[k][id_{k-1}], then - P[k][id_k], base ids left
 * out. Kept in this order, the sum stays near the size of its result: between a run's start and
 * end it holds only that run's opening term. Every run ends at a boundary (id_K = 0): bit id of
 * *ended marks the ids below 64 that end one. */
#define EMBED_MINUS 0x80000000u
NN_INLINE int embed_boundaries(int K, int c, int oc, const uint8_t *line, uint32_t *ent,
                               uint64_t *ended) {
    int ne = 0;
    uint64_t seen = 0;
    for (int k0 = 1; k0 <= K; k0 += 64) {
        /* bit j: a boundary at k0 + j (line[k] != line[k - 1]) */
        uint64_t m = 0;
#if defined(__SSE2__)
        for (int q = 0; q < 64; q += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(line + k0 + q));
            __m128i b = _mm_loadu_si128((const __m128i *)(line + k0 + q - 1));
            m |= (uint64_t)(uint16_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(a, b)) << q;
        }
#else
        for (int q = 0; q < 64; q++) m |= (uint64_t)(line[k0 + q] != line[k0 + q - 1]) << q;
#endif
        for (; m; m &= m - 1) {
            int k = k0 + __builtin_ctzll(m);
            int prev = line[k - 1], cur = line[k];
            uint32_t slot = (uint32_t)(k - 1) * (uint32_t)c;
            ent[ne] = (slot + (uint32_t)prev) * (uint32_t)oc;
            ne += prev != 0;
            ent[ne] = (slot + (uint32_t)cur) * (uint32_t)oc | EMBED_MINUS;
            ne += cur != 0;
            seen |= (uint64_t)1 << (prev & 63);
        }
    }
    *ended |= seen;
    return ne;
}

/* dst = src + (a - z) over n floats (src NULL: a - z) */
NN_INLINE void embed_prefix_step(float *dst, const float *src, const float *a, const float *z,
                                 int n) {
    int o = 0;
    for (; o + 8 <= n; o += 8) {
        V8 d = V8_SUB(V8_LOAD(a + o), V8_LOAD(z + o));
        V8_STORE(dst + o, src ? V8_ADD(V8_LOAD(src + o), d) : d);
    }
    for (; o < n; o++) dst[o] = src ? src[o] + (a[o] - z[o]) : a[o] - z[o];
}

/* one output row: y = base + its terms in order */
NN_INLINE void embed_row(int oc, const float *p, const float *base, const uint32_t *ent, int ne,
                         float *y) {
    int o = 0;
    for (; o + 64 <= oc; o += 64) {
        V8 a0, a1, a2, a3, a4, a5, a6, a7;
        V8X8_LOAD(a, base + o);
        for (int i = 0; i < ne; i++)
            V8X8_ADD_FLIP(a, p + (ent[i] & ~EMBED_MINUS) + o, ent[i] & EMBED_MINUS);
        V8X8_STORE(y + o, a);
    }
    for (; o + 8 <= oc; o += 8) {
        V8 a = V8_LOAD(base + o);
        for (int i = 0; i < ne; i++)
            a = V8_ADD(a, V8_FLIP(V8_LOAD(p + (ent[i] & ~EMBED_MINUS) + o), ent[i] & EMBED_MINUS));
        V8_STORE(y + o, a);
    }
    for (; o < oc; o++) {
        float a = base[o];
        for (int i = 0; i < ne; i++) {
            float v = p[(ent[i] & ~EMBED_MINUS) + o];
            a += ent[i] & EMBED_MINUS ? -v : v;
        }
        y[o] = a;
    }
}

NN_CLONES void nn_embed_table(const NnConvShape *s, const float *w, const float *b, float *table) {
    int K = s->kh * s->kw, c = s->c, oc = s->oc;
    size_t cell_floats = (size_t)c * (size_t)oc;
    float *base = table + (size_t)K * cell_floats;
    memcpy(base, b, sizeof(float) * (size_t)oc);
    for (int k = 0; k < K; k++) nn_add(base, w + (size_t)k * cell_floats, (size_t)oc);
    for (int k = 0; k < K; k++) {
        const float *wk = w + (size_t)k * cell_floats;
        float *pk = table + (size_t)k * cell_floats;
        for (int id = 0; id < c; id++) {
            float *p = pk + (size_t)id * (size_t)oc;
            embed_prefix_step(p, k ? p - cell_floats : NULL, wk + (size_t)id * (size_t)oc, wk, oc);
        }
    }
}

NN_CLONES void nn_embed_forward(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                                const float *table, float *y, void *work) {
    EmbedWork e;
    embed_work_carve(s, n, work, &e);
    int K = s->kh * s->kw, c = s->c, oc = s->oc, P = s->oh * s->ow;
    const float *base = table + (size_t)K * (size_t)c * (size_t)oc;
    int contiguous = 1;
    for (int k = 0; k < K; k++) {
        e.off[k] = (k / s->kw) * s->w + k % s->kw;
        contiguous &= e.off[k] == k;
    }
    uint64_t ended = 0;
    for (int i = 0; i < n; i++)
        for (int q = 0; q < P; q++) {
            size_t r = (size_t)i * (size_t)P + (size_t)q;
            const uint8_t *img = ids + (size_t)i * stride +
                                 (size_t)((q / s->ow) * s->stride) * (size_t)s->w +
                                 (size_t)((q % s->ow) * s->stride);
            uint32_t *ent = e.ent + r * 2 * (size_t)K;
            embed_line(s, img, e.off, K, contiguous, e.line);
            e.n_ent[r] = embed_boundaries(K, c, oc, e.line, ent, &ended);
            embed_row(oc, table, base, ent, e.n_ent[r], y + r * (size_t)oc);
        }
    for (int id = 0; id < c; id++) e.present[id] = id >= 64 || (ended >> id & 1);
}

/* one row's dy into the gradient of each of its terms, with the term's sign */
NN_INLINE void embed_scatter(int oc, const float *dyr, const uint32_t *ent, int ne, float *dw) {
    int o = 0;
    for (; o + 64 <= oc; o += 64) {
        V8 d0, d1, d2, d3, d4, d5, d6, d7;
        V8X8_LOAD(d, dyr + o);
        for (int i = 0; i < ne; i++)
            V8X8_UPDATE_FLIP(dw + (ent[i] & ~EMBED_MINUS) + o, d, ent[i] & EMBED_MINUS);
    }
    for (; o + 8 <= oc; o += 8) {
        V8 d = V8_LOAD(dyr + o);
        for (int i = 0; i < ne; i++) {
            float *q = dw + (ent[i] & ~EMBED_MINUS) + o;
            V8_STORE(q, V8_ADD(V8_LOAD(q), V8_FLIP(d, ent[i] & EMBED_MINUS)));
        }
    }
    for (; o < oc; o++)
        for (int i = 0; i < ne; i++)
            dw[(ent[i] & ~EMBED_MINUS) + o] += ent[i] & EMBED_MINUS ? -dyr[o] : dyr[o];
}

NN_CLONES void nn_embed_backward(const NnConvShape *s, int n, const float *dy, float *dw, float *db,
                                 void *work) {
    EmbedWork e;
    embed_work_carve(s, n, work, &e);
    int K = s->kh * s->kw, c = s->c, oc = s->oc;
    size_t cell_floats = (size_t)c * (size_t)oc, rows = (size_t)n * (size_t)(s->oh * s->ow);
    memset(dw, 0, sizeof(float) * (size_t)K * cell_floats);
    column_sums((int)rows, oc, dy, db);
    /* the gradients of P, in P's slots: each row's dy at its boundaries, rows in order */
    for (size_t r = 0; r < rows; r++) {
        const uint32_t *ent = e.ent + r * 2 * (size_t)K;
        embed_scatter(oc, dy + r * (size_t)oc, ent, e.n_ent[r], dw);
    }
    /* D[k] is in P[k + 1] .. P[K]: its gradient is the sum of theirs, slots k .. K - 1 */
    for (int k = K - 2; k >= 0; k--)
        for (int id = 1; id < c; id++)
            if (e.present[id])
                nn_add(dw + (size_t)k * cell_floats + (size_t)id * (size_t)oc,
                       dw + (size_t)(k + 1) * cell_floats + (size_t)id * (size_t)oc, (size_t)oc);
    /* W[k][0] enters B once and every D[k][id] negatively */
    for (int k = 0; k < K; k++) {
        float *w0 = dw + (size_t)k * cell_floats;
        memcpy(w0, db, sizeof(float) * (size_t)oc);
        for (int id = 1; id < c; id++)
            if (e.present[id]) embed_prefix_step(w0, NULL, w0, w0 + (size_t)id * (size_t)oc, oc);
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
