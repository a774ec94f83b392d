/* nn.h: neural-network layers with forward and backward passes on flat float buffers, the
 * actor-critic network of the learning agents, and Adam.
 *
 * Contract:
 * - Kernels work on caller-owned row-major buffers with an explicit batch size n; they allocate
 *   nothing and keep no state. Backward kernels overwrite (never accumulate) the parameter
 *   gradients and the input gradient: a gradient is the sum over the n rows of one call, in an
 *   order fixed by the kernel, the shapes and the BLAS build.
 * - Every optimised kernel (OpenBLAS sgemm, im2col) has a naive reference beside it (`_naive`);
 *   the tests compare them and check every backward pass against finite differences.
 * - Images are NHWC: (n, h, w, c). A convolution has no padding ("valid"). Linear weights are
 *   (in, out) row-major, so a layer is y = x W + b; convolution weights are (kh, kw, c, oc), the
 *   im2col matrix times the weights gives the output directly in NHWC.
 * - An `ids` observation (one uint8 per cell, ENV_ID_*) enters through NN_EMBED: a convolution
 *   over its one-hot encoding, computed as a sum of weight rows (the one-hot is never built).
 * - A network's parameters for one group are one flat vector; NnModel holds the parameters,
 *   gradients and Adam moments of G groups (G = 1 shared, or one per agent slot) in one
 *   allocation. Initialisation draws from a seeded stream (rng.h), never from a global RNG.
 * - Determinism: results depend only on the inputs, the shapes and the BLAS kernel. Call
 *   nn_blas_single_thread() once per process before training.
 */
#ifndef COMMONS_NN_H
#define COMMONS_NN_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "env.h"

#define NN_MAX_HIDDEN 8
#define NN_MAX_HEADS 8
#define NN_MAX_LAYERS (2 * NN_MAX_HIDDEN + 4)

/* stream purpose of parameter initialisation, disjoint from ENV_STREAM_* and PPO_STREAM_* */
#define NN_STREAM_INIT 0x10

/* Sets OpenBLAS to one thread in this process (openblas_set_num_threads(1)): the training
 * contract is one BLAS thread per process, so that sums have one order. */
void nn_blas_single_thread(void);

/* BLAS kernel (agents/blas.c). OpenBLAS's DYNAMIC_ARCH build picks its sgemm kernel by CPU when
 * it loads; a CPU it does not recognise gets a generic SSE kernel, about 3x slower with other
 * bits. The kernel is part of a run's identity: the same binary and kernel give the same bits. */
/* The kernel in use (openblas_get_corename()), e.g. "Haswell", "Zen", "Prescott". */
const char *nn_blas_kernel(void);
/* The best kernel this CPU supports (cpuid): "SkylakeX", "Zen", "Haswell", "Sandybridge", or
 * NULL without AVX. */
const char *nn_blas_best_kernel(void);
/* The policy: the kernel to switch to, or NULL. Only from a generic kernel (no AVX) to a better
 * one, and never when OPENBLAS_CORETYPE is set (coretype_env: its value, NULL when unset). */
const char *nn_blas_pick(const char *current, const char *best, const char *coretype_env);
/* sgemm against the naive product on odd sizes and each layout the network uses; returns 0, or
 * -1 with a message naming the layout and the element. */
int nn_blas_check(char *msg, size_t n);
/* Re-initialises OpenBLAS with the named kernel (NULL: the library's own choice) through its
 * exported gotoblas_dynamic_quit/init, OPENBLAS_CORETYPE set meanwhile and then restored;
 * returns -1 when the library has no such functions. Only before any other BLAS use, with no
 * other thread running BLAS. */
int nn_blas_use(const char *kernel);
/* Once per process, first: one BLAS thread, then nn_blas_pick(); a switch is kept only when
 * nn_blas_check() passes. Returns 1 when it switched; note (n bytes) receives a sentence for the
 * user when it switched or tried to, else "". */
int nn_blas_setup(char *note, size_t n);

/* the shape of a convolution (and of NN_EMBED, whose input channels are the id classes) */
typedef struct NnConvShape {
    int h, w, c; /* input; NN_EMBED: c = number of id classes, the input holds one id per cell */
    int kh, kw;  /* kernel */
    int stride;  /* the same along rows and columns */
    int oc;      /* output channels */
    int oh, ow;  /* output: (h - kh) / stride + 1, (w - kw) / stride + 1 */
} NnConvShape;

/* Fills oh and ow; returns 0, or ENV_EINPUT when the kernel does not fit the input. */
int nn_conv_shape(NnConvShape *s);

/* linear: x (n, in), w (in, out), b (out,), y (n, out) */
void nn_linear_forward(int n, int in, int out, const float *x, const float *w, const float *b,
                       float *y);
/* dy (n, out) -> dw (in, out), db (out,), dx (n, in) or NULL */
void nn_linear_backward(int n, int in, int out, const float *x, const float *w, const float *dy,
                        float *dx, float *dw, float *db);
void nn_linear_forward_naive(int n, int in, int out, const float *x, const float *w, const float *b,
                             float *y);
void nn_linear_backward_naive(int n, int in, int out, const float *x, const float *w,
                              const float *dy, float *dx, float *dw, float *db);

/* conv2d: x (n, h, w, c), w (kh, kw, c, oc), b (oc,), y (n, oh, ow, oc);
 * col (n * oh * ow, kh * kw * c) is scratch that the backward pass reads again */
size_t nn_conv_col_floats(const NnConvShape *s, int n);
void nn_conv_forward(const NnConvShape *s, int n, const float *x, const float *w, const float *b,
                     float *y, float *col);
/* dy (n, oh, ow, oc) -> dw, db, dx (n, h, w, c) or NULL; col holds the forward's im2col and is
 * overwritten */
void nn_conv_backward(const NnConvShape *s, int n, const float *w, const float *dy, float *dx,
                      float *dw, float *db, float *col);
void nn_conv_forward_naive(const NnConvShape *s, int n, const float *x, const float *w,
                           const float *b, float *y);
void nn_conv_backward_naive(const NnConvShape *s, int n, const float *x, const float *w,
                            const float *dy, float *dx, float *dw, float *db);

/* embedding of ids: a convolution over one-hot ids, folded into sums of weight rows.
 * ids: row i at ids + i * stride, (h, w) values in [0, c); w (kh, kw, c, oc); y (n, oh, ow, oc).
 * An id >= c is treated as c - 1. Id 0 is the base: along the kernel cells, a run of one id costs
 * two rows of a prefix-sum table derived from w and b, a run of id 0 nothing (see nn.c).
 * table (nn_embed_table_floats) is nn_embed_table(w, b): build it again whenever w or b change.
 * work (nn_embed_work_bytes for n rows) is scratch that the forward pass fills and the backward
 * pass reads again: call the backward after the forward over the same rows. Each output row
 * depends on its own ids and the table alone, whatever the batch; the sums equal the naive
 * reference's within rounding. */
size_t nn_embed_table_floats(const NnConvShape *s);
void nn_embed_table(const NnConvShape *s, const float *w, const float *b, float *table);
size_t nn_embed_work_bytes(const NnConvShape *s, int n);
void nn_embed_forward(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                      const float *table, float *y, void *work);
/* dy (n, oh, ow, oc) -> dw, db */
void nn_embed_backward(const NnConvShape *s, int n, const float *dy, float *dw, float *db,
                       void *work);
void nn_embed_forward_naive(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                            const float *w, const float *b, float *y);
void nn_embed_backward_naive(const NnConvShape *s, int n, const uint8_t *ids, size_t stride,
                             const float *dy, float *dw, float *db);

/* a += b over n floats (vectorised; the bits of the plain loop) */
void nn_add(float *a, const float *b, size_t n);
/* out = a + b over n floats (the bits of nn_add on a copy of a; out may alias a or b) */
void nn_add_to(float *out, const float *a, const float *b, size_t n);

/* activations, elementwise over count values; y may alias x, dx may alias dy */
void nn_relu_forward(size_t count, const float *x, float *y);
void nn_relu_backward(size_t count, const float *y, const float *dy, float *dx);
void nn_tanh_forward(size_t count, const float *x, float *y);
void nn_tanh_backward(size_t count, const float *y, const float *dy, float *dx);

/* categorical heads. logits: row i at logits + i * ld, a values; logp (n, a). */
void nn_log_softmax(int n, int a, const float *logits, int ld, float *logp);
/* The entropy of one row of log-probabilities. */
float nn_entropy(int a, const float *logp);
/* Draws from one row by inverse CDF with u in [0, 1); returns an index in [0, a). */
int nn_sample(int a, const float *logp, float u);
/* The most likely index of one row (the first on ties). */
int nn_argmax(int a, const float *logp);
/* Backward of a loss L through log-softmax, for each row i: g[i] = dL/d logp_i[act_i] and
 * e[i] = dL/dH_i (H the row's entropy) give dlogits (row i at dlogits + i * ld). act: row i at
 * act[i * act_stride]. */
void nn_categorical_backward(int n, int a, const float *logp, const int32_t *act, int act_stride,
                             const float *g, const float *e, float *dlogits, int ld);
/* The same for one row (act its action, g and e its coefficients, dlogits its a values); returns
 * the row's entropy, the bits of nn_entropy: each exponential is taken once. */
float nn_categorical_backward_row(int a, const float *logp, int act, float g, float e,
                                  float *dlogits);
/* the same in double precision, for the tests */
void nn_categorical_backward_naive(int n, int a, const float *logits, int ld_in, const int32_t *act,
                                   int act_stride, const float *g, const float *e, float *dlogits,
                                   int ld);

/* layer kinds of a network: NN_CONCAT appends the float input to its input row; NN_GNN is the
 * communication layer of gnn.h over groups of agents */
typedef enum { NN_LINEAR = 0, NN_CONV, NN_EMBED, NN_RELU, NN_TANH, NN_CONCAT, NN_GNN } NnKind;

/* The architecture: an encoder over the observation, hidden layers, and one output layer that
 * holds the logits of every categorical head followed by the value. */
typedef struct NnArch {
    int obs_h, obs_w, obs_c; /* the observation (EnvSpec) */
    int ids; /* 1: the ids encoding (obs_c = 1) with n_ids classes; 0: uint8 / 255 */
    int n_ids;
    int conv;   /* output channels of the first layer's convolution; 0: it covers the whole view */
    int kernel; /* square kernel size of that convolution */
    int stride;
    int hidden[NN_MAX_HIDDEN]; /* (n_hidden,) sizes of the linear layers after the encoder */
    int n_hidden;
    NnKind activation;       /* NN_RELU or NN_TANH */
    int heads[NN_MAX_HEADS]; /* (n_heads,) actions of each categorical head */
    int n_heads;
    int n_float; /* floats of input beside the observation (messages, features), appended to the
                    encoder's output; 0: none */
    /* the GNN layer after the hidden layers (gnn.h); gnn_rounds = 0: none */
    int gnn_rounds, gnn_bits, gnn_agg, gnn_mode, gnn_estimator;
    int gnn_agents; /* agents per group: rows come in groups of one world at one step */
} NnArch;

typedef struct NnLayer {
    NnKind kind;
    NnConvShape conv;              /* NN_CONV, NN_EMBED */
    int in, out;                   /* features per sample */
    float gain;                    /* initialisation scale of the weights */
    size_t w_off, b_off, n_params; /* in a group's parameter vector */
} NnLayer;

typedef struct NnNet {
    NnArch arch;
    NnLayer layer[NN_MAX_LAYERS];
    int n_layers;
    int in_size;                /* bytes of one observation */
    int n_out;                  /* outputs: the heads' logits, then the value */
    int head_off[NN_MAX_HEADS]; /* (n_heads,) first logit of each head in a row of the output */
    size_t n_params;            /* floats of one group's parameters */
} NnNet;

/* Builds the layer list; errors name the offending setting. */
int nn_net_init(NnNet *net, const NnArch *arch, EnvError *err);

/* Initialises one group's parameters from the stream keyed by `key`: weights uniform with
 * standard deviation gain / sqrt(fan_in) (gain sqrt(2) before ReLU, 1 before tanh, 0.01 for
 * the logits, 1 for the value), biases zero. */
void nn_net_init_params(const NnNet *net, float *params, uint64_t key);

/* Per-batch buffers of a network, for up to max_n rows, in one allocation. */
typedef struct NnWork {
    int max_n;
    float *input; /* (max_n, in_size) the observation as floats (not NN_EMBED) */
    float *col;   /* (conv col floats) im2col of the first layer */
    void *embed;  /* (nn_embed_work_bytes) the embedding's boundaries */
    /* the embedding's tables (nn_embed_table) of the parameter vectors the forward pass last
     * saw, known by address: up to table_slots of them, built on first use */
    float *tables;                         /* (table_slots, nn_embed_table_floats) */
    const float *table_of[ENV_MAX_AGENTS]; /* the parameters of each slot, or NULL */
    int table_slots, table_next;
    float *y[NN_MAX_LAYERS]; /* (max_n, layer out) each layer's output */
    float *dy[2];            /* (max_n, widest layer) gradients flowing down, ping-pong */
    float *gnn_work;         /* the GNN layer's scratch (gnn_work_floats) */
    int32_t *gnn_iwork;      /* (gnn_work_ints) */
    float *gnn_bits;         /* (rounds, max_n, bits) the bits the GNN layer emitted */
    void *block;
} NnWork;

int nn_work_init(NnWork *ws, const NnNet *net, int max_n);
/* the same, keeping the tables of up to groups parameter vectors (1 .. ENV_MAX_AGENTS) at once */
int nn_work_init_groups(NnWork *ws, const NnNet *net, int max_n, int groups);
void nn_work_close(NnWork *ws);
/* The forward pass keeps what it derives from a parameter vector (the embedding's table) for the
 * next call with the same vector: after changing parameters in place (an optimizer step, a
 * load), call this before the next forward pass. */
void nn_work_params_changed(NnWork *ws);

/* What a network reads for n rows besides its parameters. */
typedef struct NnInput {
    const uint8_t *obs; /* row i at obs + i * stride: the observation */
    size_t stride;
    const float *x; /* row i at x + i * x_stride: arch.n_float floats (NULL when n_float = 0) */
    size_t x_stride;
    /* the GNN layer (arch.gnn_rounds > 0): the rows are n / arch.gnn_agents groups of one world at
     * one step, in agent order; graphs (groups,) that step's graph of each group; pos (n, 2)
     * scaled positions; sent (n, gnn_bits) 0/1 the bits each agent sent at the previous step
     * (signal mode); noise (rounds, n, gnn_bits) or NULL (differentiable mode) */
    const CommGraph *graphs;
    const float *pos, *sent, *noise;
} NnInput;

/* Forward and backward over the rows of in; the same as nn_forward/nn_backward below otherwise. */
void nn_forward_in(const NnNet *net, const float *params, NnWork *ws, int n, const NnInput *in);
void nn_backward_in(const NnNet *net, const float *params, NnWork *ws, int n, const NnInput *in,
                    const float *dout, float *grads);

/* Forward over n <= max_n observations: row i at obs + i * stride (a network without float input
 * or GNN layer). The output (n, n_out) is nn_output(). */
void nn_forward(const NnNet *net, const float *params, NnWork *ws, int n, const uint8_t *obs,
                size_t stride);
static inline const float *nn_output(const NnNet *net, const NnWork *ws) {
    return ws->y[net->n_layers - 1];
}
/* Backward after nn_forward on the same rows: dout (n, n_out) -> grads (n_params,), the sum over
 * the rows (overwritten). */
void nn_backward(const NnNet *net, const float *params, NnWork *ws, int n, const uint8_t *obs,
                 size_t stride, const float *dout, float *grads);

/* Parameters, gradients and Adam moments of G groups in one allocation. */
typedef struct NnModel {
    NnNet net;
    int n_groups;
    size_t n;      /* floats per group: net.n_params */
    float *params; /* (n_groups, n) */
    float *grads;  /* (n_groups, n) */
    float *m;      /* (n_groups, n) Adam first moment */
    float *v;      /* (n_groups, n) Adam second moment */
    int64_t adam_steps;
    void *block;
} NnModel;

/* Allocates G groups and initialises group g from the key env_hash4(seed, g, 0, NN_STREAM_INIT)
 * (zero moments). */
int nn_model_init(NnModel *m, const NnArch *arch, int n_groups, uint64_t seed, EnvError *err);
void nn_model_close(NnModel *m);

/* One Adam step on every group (PyTorch's formula: p -= lr / (1 - b1^t) * m / (sqrt(v) /
 * sqrt(1 - b2^t) + eps)). */
void nn_adam_step(NnModel *m, float lr, float beta1, float beta2, float eps);

/* The same with group g's gradients multiplied by scale[g] first (gradient clipping fused into
 * the step; scale NULL: 1): the bits of scaling the gradients in place and then nn_adam_step(),
 * and the gradients are left scaled like that. */
void nn_adam_step_scaled(NnModel *m, const float *scale, float lr, float beta1, float beta2,
                         float eps);

/* The Euclidean norm of g, summed in double in index order. */
double nn_norm(const float *g, size_t n);

#endif
