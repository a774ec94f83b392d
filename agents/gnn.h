/* gnn.h: a graph neural network layer over the communication graph: K rounds of message passing
 * in which each agent's node state is combined with an aggregate (sum, mean or max) of what its
 * graph neighbours sent, forward and backward, on flat caller-owned buffers.
 *
 * Contract:
 * - Only bits and positions cross between agents. A node state h_i never reaches another agent
 *   directly: what agent j sends to agent i is its bits z_j (B of them) and its position, seen
 *   by i as the offset pos_j - pos_i.
 *   - GNN_SIGNAL (the paper's setting): the bits are the channel bits each agent emitted at the
 *     previous world step as actions (comm/ delivers them one step late); they are inputs here,
 *     the same in every round, and no gradient crosses between agents.
 *   - GNN_DIFFERENTIABLE: in each round every agent emits B bits from its current state,
 *     a = h S + c, z = estimator(a); K rounds are K exchanges of bits within one world step. The
 *     forward bits are hard 0/1 (except GNN_SOFT); the backward pass lets a listener's gradient
 *     cross through the bit z_j back into the speaker's state h_j by the chosen estimator.
 * - Round k = 1..K, with h^(0) = h0 and per-round parameters W_k (d, d), U_k (B, d), V_k (2, d),
 *   b_k (d,) and, in differentiable mode only, S_k (d, B), c_k (B,):
 *       signal:          z = bits_in
 *       differentiable:  a = h^(k-1) S_k + c_k,  z = estimator forward of a (+ noise)
 *       x_j   = z_j U_k + pos_j V_k                                  (rows, d)
 *       m_i   = agg over the neighbours j of i of x_j, minus c_i pos_i V_k, with c_i = deg_i for
 *               sum, 1 for mean and max, and m_i = 0 for an agent without neighbours
 *       h^(k) = act(h^(k-1) W_k + b_k + m)
 *   so every edge j -> i carries z_j U_k + (pos_j - pos_i) V_k: the neighbour's bits and its
 *   relative offset (the subtraction is exact for max too: it is the same for every neighbour
 *   of i). An agent without neighbours gets h^(k) = act(h^(k-1) W_k + b_k) bit for bit as
 *   nn_linear_forward computes it over the same rows.
 * - Parameters of one layer are one flat vector, round by round: [W U V b] in signal mode,
 *   [W U V b S c] in differentiable mode, each matrix row-major (in, out) like nn.h's linear
 *   layers (gnn_param_offsets gives the offsets).
 * - Rows are agents of G groups (one group = one world at one step): group g has graphs[g].n = n
 *   agents (the same n for every group) in rows g*n .. g*n + n - 1 of every (rows, .) buffer,
 *   rows = G * n. An edge i -> j of a graph means agent i hears agent j; graph indices are
 *   local to the group.
 * - Nothing allocates: the caller sizes work (gnn_work_floats) and iwork (gnn_work_ints) for
 *   the rows it passes. Sums have a fixed order (neighbours in ascending index, BLAS with one
 *   thread), so the same inputs give the same bytes.
 * - Every kernel has a naive reference (`_naive`): dense loops over every (receiver, sender)
 *   pair, double accumulation, edge messages formed from relative offsets directly; the tests
 *   compare the two and check the backward passes against finite differences.
 */
#ifndef COMMONS_GNN_H
#define COMMONS_GNN_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h" /* CommGraph, CommAgg, comm_aggregate_forward/backward */
#include "nn.h"   /* NnKind: NN_RELU, NN_TANH */

/* stream purpose of the layer's parameter initialisation, disjoint from ENV_STREAM_*,
 * NN_STREAM_INIT (0x10) and PPO_STREAM_* (0x11..0x13, 0x15) */
#define GNN_STREAM_INIT 0x14

/* What crosses the graph: last step's channel bits, or bits emitted within the step. */
typedef enum { GNN_SIGNAL = 0, GNN_DIFFERENTIABLE, GNN_MODE_COUNT } GnnMode;

/* How a bit z of a pre-activation a is formed and passes gradient (differentiable mode), with
 * u = a + noise:
 * - GNN_STRAIGHT: z = (a > 0) (noise ignored); dz/da = 1 where |a| <= 1, else 0
 *   (straight-through with a hard-tanh window);
 * - GNN_SIGMOID: z = (u > 0); dz/da = 4 s (1 - s) with s = sigmoid(u) (noisy sigmoid, DIAL);
 * - GNN_SOFT: z = s = sigmoid(u) (not binary), dz/da = s (1 - s) exactly: for gradient checks. */
typedef enum { GNN_STRAIGHT = 0, GNN_SIGMOID, GNN_SOFT, GNN_ESTIMATOR_COUNT } GnnEstimator;

/* The names of the modes ("signal differentiable") and estimators ("straight sigmoid soft") in
 * enum order, space separated (choice lists for key tables). */
#define GNN_MODE_CHOICES "signal differentiable"
#define GNN_ESTIMATOR_CHOICES "straight sigmoid soft"

/* The shape of a layer. */
typedef struct GnnShape {
    int d;            /* node state width, input and output of every round, >= 1 */
    int bits;         /* B bits per agent that cross the graph, 1..ENV_MAX_SIGNAL_BITS */
    int rounds;       /* K >= 1 */
    CommAgg agg;      /* COMM_AGG_SUM / MEAN / MAX */
    GnnMode mode;     /* GNN_SIGNAL or GNN_DIFFERENTIABLE */
    GnnEstimator est; /* differentiable mode: how bits pass gradient */
    NnKind act;       /* NN_RELU or NN_TANH */
} GnnShape;

/* Offsets of round k's parameters (0-based k) in a layer's flat vector; s and c are 0 (and
 * absent) in signal mode. */
typedef struct GnnParamOffsets {
    size_t w, u, v, b, s, c; /* W (d, d), U (B, d), V (2, d), b (d,), S (d, B), c (B,) */
} GnnParamOffsets;

/* Returns the name of a mode or estimator, or "?" out of range. */
const char *gnn_mode_name(GnnMode m);
const char *gnn_estimator_name(GnnEstimator e);

/* Returns 0 for a valid shape, or ENV_EINPUT with a message that names the key and the allowed
 * range (gnn.rounds, gnn.agg, gnn.mode, gnn.estimator, comm.signal_bits, net.activation, and the
 * node width d that the encoder gives). */
int gnn_shape_check(const GnnShape *s, EnvError *err);

/* Floats of one layer's parameters: K (d d + B d + 2 d + d) in signal mode, plus K (d B + B) in
 * differentiable mode. */
size_t gnn_n_params(const GnnShape *s);

/* The offsets of round k (0 <= k < K). */
GnnParamOffsets gnn_param_offsets(const GnnShape *s, int k);

/* Initialises the parameters from the stream keyed by `key` (round k draws from
 * env_hash4(key, k, 0, GNN_STREAM_INIT)), as nn.h does a linear layer: weights uniform with
 * standard deviation gain / sqrt(fan_in), biases zero. W, U and V together act as one linear
 * layer over [h, z, pos], so their fan_in is d + B + 2 and their gain sqrt(2) before ReLU, 1
 * before tanh; S has fan_in d and gain 1. */
void gnn_init_params(const GnnShape *s, float *params, uint64_t key);

/* Scratch for `rows` agent rows: floats K rows d + 5 rows d + rows B, plus 2 K rows B in
 * differentiable mode; ints K rows d for max aggregation (the argmax of every round), else 0
 * (iwork may then be NULL). */
size_t gnn_work_floats(const GnnShape *s, int rows);
size_t gnn_work_ints(const GnnShape *s, int rows);

/* Forward over G groups (see the contract for the row layout):
 *   h0       (rows, d)      node states in (the encoder's output)
 *   pos      (rows, 2)      scaled positions (row, col) of each agent this step
 *   bits_in  (rows, B)      0/1 floats; signal mode: the bits each agent sent at the previous
 *                           step (heard now); ignored in differentiable mode (may be NULL)
 *   noise    (K, rows, B)   or NULL (zero): added to a before thresholding (SIGMOID, SOFT)
 *   h        (rows, d)      output h^(K); must not overlap h0
 *   bits_out (K, rows, B)   or NULL: differentiable mode: the bits emitted in each round (0/1;
 *                           the sigmoid values for GNN_SOFT); left untouched in signal mode
 *   work, iwork             scratch that keeps what the backward pass reads: call backward with
 *                           the same inputs and scratch, untouched in between. */
void gnn_forward(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                 const float *h0, const float *pos, const float *bits_in, const float *noise,
                 float *h, float *bits_out, float *work, int32_t *iwork);

/* Backward after gnn_forward on the same inputs and scratch: dh (rows, d), the gradient of the
 * loss with respect to h, gives dparams (n_params,), the sum over rows (overwritten), and dh0
 * (rows, d, overwritten). In differentiable mode dh0 includes the path that crosses from a
 * listener i through the bit z_j of its neighbour j back into h_j (the speaker); in signal mode
 * no gradient crosses between agents. dh0 must not overlap dh. */
void gnn_backward(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                  const float *h0, const float *pos, const float *bits_in, const float *noise,
                  const float *dh, float *dparams, float *dh0, float *work, int32_t *iwork);

/* Naive references with the same contracts (the tests compare them with the kernels above). */
void gnn_forward_naive(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                       const float *h0, const float *pos, const float *bits_in, const float *noise,
                       float *h, float *bits_out, float *work, int32_t *iwork);
void gnn_backward_naive(const GnnShape *s, const float *params, int G, const CommGraph *graphs,
                        const float *h0, const float *pos, const float *bits_in, const float *noise,
                        const float *dh, float *dparams, float *dh0, float *work, int32_t *iwork);

#endif
