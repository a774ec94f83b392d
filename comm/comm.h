/* comm.h: the communication layer: who hears whom, binary signals, and message aggregation.
 *
 * Contract (see DESIGN.md):
 * - comm/ sits above env/ (it uses EnvError, env_fail and ENV_MAX_AGENTS) and below agents/,
 *   which composes the aggregation kernels with learnable weights into GNN layers.
 * - A CommGraph is a CSR adjacency rebuilt every step from agent positions and an active mask.
 *   An edge i -> j means that agent i hears agent j. Neighbour lists are sorted ascending by agent
 *   index, have no duplicates and never contain the agent itself.
 * - Memory is allocated only by the *_init functions, once, on the caller's structs, and freed by
 *   the matching *_close. Building, emitting, receiving, aggregating and sharing never allocate.
 * - Everything is deterministic: integer distances, fixed tie breaks (lower agent index first) and
 *   a fixed summation order (neighbours in ascending index), so the same inputs give the same
 * bytes.
 * - Positions are integer grid coordinates (row, col) with |value| < 2^30, so that squared
 *   distances fit in int64.
 */
#ifndef COMMONS_COMM_H
#define COMMONS_COMM_H

#include <stdint.h>
#include <stdio.h>

#include "env.h"
#include "keys.h"

/* ---- topologies ------------------------------------------------------------------------- */

/* The communication topologies. COMM_TOPOLOGY_COUNT is not a topology; it counts them. */
typedef enum {
    COMM_NONE = 0,
    COMM_FULL,
    COMM_RING,
    COMM_STAR,
    COMM_RADIUS,
    COMM_KNN,
    COMM_TOPOLOGY_COUNT
} CommTopology;

/* The topology names in enum order, space separated (a choice list for parameter tables: the
 * index of a name is its CommTopology value). */
#define COMM_TOPOLOGY_CHOICES "none full ring star radius knn"

/* Returns the name of a topology ("none", "full", ...), or "?" for a value out of range. */
const char *comm_topology_name(CommTopology t);

/* Parses a topology name. Returns 0 and sets *out, or returns ENV_EINPUT with a message that
 * names the bad value and lists the allowed names. */
int comm_topology_parse(const char *name, CommTopology *out, EnvError *err);

/* Returns 1 when every graph the topology builds is symmetric (i hears j exactly when j hears
 * i): none, full, ring, star and radius. knn is directed, so it returns 0. */
int comm_topology_symmetric(CommTopology t);

/* ---- parameters: the [comm] and [rewards] keys -------------------------------------------- */

/* How learning rewards are shared (rewards.share). */
typedef enum { COMM_SHARE_NONE = 0, COMM_SHARE_NEIGHBOURS, COMM_SHARE_GLOBAL } CommShare;

/* Every setting of a world's communication and information structure. */
typedef struct CommParams {
    CommTopology topology;   /* who hears whom, rebuilt every step */
    int radius;              /* radius topology: squared distance <= radius^2 */
    int k;                   /* knn topology: neighbours heard */
    int signal_bits;         /* signal heads added to every agent's action */
    int slots;               /* nearest neighbours described in a received message */
    CommShare share;         /* rewards: own; own plus alpha times neighbours'; or the sum */
    int64_t share_alpha_ppb; /* alpha of share = neighbours, parts per billion */
    int inequity;            /* 1: inequity-averse learning rewards (Hughes et al. 2018) */
    double inequity_alpha;   /* weight of disadvantageous inequity (envy) */
    double inequity_beta;    /* weight of advantageous inequity (guilt) */
    double inequity_decay;   /* gamma * lambda, the decay of the reward traces */
} CommParams;

/* Sets every field to its default: no topology, no signals, no sharing, inequity aversion off
 * (with alpha 5, beta 0.05 and decay 0.99 * 0.975 ready for rewards.inequity = on). */
void comm_params_default(CommParams *p);

/* 1 when the section holds comm keys ([comm], [rewards]). */
int comm_params_section(const char *section);

/* Sets one key, e.g. ("comm", "topology", "ring"). Validates type and range; on failure returns
 * ENV_EINPUT with a message naming the key, the value and what is allowed (the world's dialect of
 * the key engine, env/keys.h), and leaves p unchanged. */
int comm_params_set(CommParams *p, const char *section, const char *key, const char *value,
                    EnvError *err);

/* Formats the current value of one key into buf. Returns 0, or ENV_ENOTFOUND for an unknown key. */
int comm_params_get(const CommParams *p, const char *section, const char *key, char *buf, size_t n);

/* Writes the keys as INI ("\n[comm]\n" and "\n[rewards]\n" sections), read back by
 * comm_params_set() to the same values. */
void comm_params_write_ini(const CommParams *p, FILE *f);

/* Iterates over the documented keys: returns 0 and fills the strings for index i, or ENV_ENOTFOUND
 * past the end. */
int comm_params_key(int i, const char **section, const char **key, char *range, size_t n,
                    const char **doc);

/* The key table (env/keys.h), for callers that combine it with other tables. */
const EnvKeyTable *comm_params_table(void);

/* Adds the signal heads to a world's spec: one head of 2 choices per signal bit after the
 * world's own head (spec->n_heads becomes 1 + signal_bits). */
void comm_spec(const CommParams *p, EnvSpec *spec);

/* ---- graphs ----------------------------------------------------------------------------- */

/* A CSR adjacency over n agents. The neighbours of agent i (the agents it hears) are
 * col[row[i]] .. col[row[i + 1] - 1], sorted ascending by agent index. row[0] == 0 and
 * row[n] == n_edges. */
typedef struct CommGraph {
    int n;        /* agents in the current graph, 0 <= n <= n_max */
    int n_edges;  /* edges in the current graph */
    int cap;      /* capacity of col: n_max * (n_max - 1) */
    int n_max;    /* the largest n the graph was sized for */
    int32_t *row; /* (n_max + 1,) offsets into col; the start of the graph's one allocation */
    int32_t *col; /* (cap,) neighbour indices, a view into the same allocation */
} CommGraph;

/* The largest n_max of a graph: row and col together must stay indexable by an int. */
#define COMM_GRAPH_MAX_N 46340

/* Sizes a graph for up to n_max agents (1 <= n_max <= COMM_GRAPH_MAX_N) in one allocation of
 * (n_max + 1 + n_max * (n_max - 1)) int32 values, and leaves it empty (n = 0). Returns 0,
 * ENV_EINPUT for a bad n_max or ENV_ENOMEM; on failure the graph holds no memory. */
int comm_graph_init(CommGraph *g, int n_max, EnvError *err);

/* Frees the graph's memory and zeroes the struct; safe on a zeroed or closed graph. */
void comm_graph_close(CommGraph *g);

/* Rebuilds the graph for n agents (0 <= n <= n_max; a value outside is clamped to that range)
 * at integer positions row (n,) and col (n,). active (n,) marks the agents that take part;
 * active[i] == 0 (a tagged-out agent) gives agent i no edges in or out. active may be NULL (all
 * active). row and col may be NULL for the topologies that ignore positions (none, full, ring,
 * star). param is the radius r for COMM_RADIUS and k for COMM_KNN, ignored otherwise; a negative
 * param gives no edges.
 * - none: no edges.
 * - full: every ordered pair of distinct active agents.
 * - ring: each active agent hears the previous and the next active agent in index order,
 *   cyclically. With two active agents that is one edge each way; with one, none.
 * - star: agent 0 is the hub. When it is active it hears every other active agent and each of
 *   them hears it; when it is inactive there are no edges at all.
 * - radius: i hears j when their squared Euclidean distance is at most r * r (symmetric).
 * - knn: i hears its k nearest other active agents by squared Euclidean distance, ties broken by
 *   the lower agent index (directed; all of them when fewer than k others are active).
 * Never allocates. Costs O(n^2) for full and radius, O(n^2 k) for knn. */
void comm_graph_build(CommGraph *g, CommTopology t, int param, int n, const int32_t *row,
                      const int32_t *col, const uint8_t *active);

/* A graph of n agents over caller-owned CSR arrays (row (n + 1,), col (n (n - 1),)), as
 * comm_session_snapshot() and a trainer's rollout keep them: no allocation; never close it. */
CommGraph comm_graph_view(int n, int32_t *row, int32_t *col);

/* Returns the number of agents that agent i hears (0 when i is out of range). */
int comm_graph_degree(const CommGraph *g, int i);

/* Returns 1 when agent i hears agent j in the current graph, else 0 (a binary search). */
int comm_graph_has_edge(const CommGraph *g, int i, int j);

/* Returns the squared Euclidean distance between agents i and j at positions row (n,), col (n,). */
int64_t comm_dist2(const int32_t *row, const int32_t *col, int i, int j);

/* ---- signal channel --------------------------------------------------------------------- */

/* A channel of `bits` binary signals per agent with a delay of one step: the bits an agent emits
 * at step t reach its neighbours at step t + 1.
 *
 * Protocol for one world step t, in this order:
 *   1. comm_channel_receive() reads what was emitted at step t - 1 (all zero after a reset);
 *   2. comm_channel_emit() stores the bits of step t, replacing those of step t - 1.
 * A world that writes its observations after stepping (env_step, then env_observe) therefore
 * emits inside the step and receives while observing: the observation that agents act on at
 * step t + 1 carries the bits of step t, and never bits of the step being chosen. */
typedef struct CommChannel {
    int n;         /* agents, 0 <= n <= n_max */
    int bits;      /* signals per agent, >= 0 */
    int n_max;     /* the largest n the channel was sized for */
    uint8_t *sent; /* (n, bits) 0/1 bits emitted last step */
} CommChannel;

/* The most signals per agent a channel accepts. */
#define COMM_MAX_BITS 1024

/* Sizes a channel for up to n_max agents (>= 1) of `bits` signals each (0 <= bits <=
 * COMM_MAX_BITS) in one allocation; n starts at 0. Returns 0, ENV_EINPUT or ENV_ENOMEM; on
 * failure the channel holds no memory. */
int comm_channel_init(CommChannel *c, int n_max, int bits, EnvError *err);

/* Frees the channel's memory and zeroes the struct; safe on a zeroed or closed channel. */
void comm_channel_close(CommChannel *c);

/* Starts an episode of n agents (clamped to 0..n_max): nothing was sent, every bit is 0. */
void comm_channel_reset(CommChannel *c, int n);

/* Stores bits_now (n, bits) for delivery at the next step; any nonzero byte counts as 1. */
void comm_channel_emit(CommChannel *c, const uint8_t *bits_now);

/* Returns the number of floats one agent receives: bits + 1 + slots * (bits + 2). */
int comm_message_size(int bits, int slots);

/* Writes what each agent receives from last step's emissions over graph g as float features
 * out (n, comm_message_size(bits, slots)), with n = g->n (the channel must hold at least n
 * agents). Positions row (n,) and col (n,) are this step's; they may be NULL when slots == 0.
 * Layout of agent i's row, with B = bits and N(i) the agents that i hears in g:
 *
 *   offset                         floats  value
 *   b (0 <= b < B)                 1 each  how many neighbours in N(i) sent bit b = 1
 *   B                              1       |N(i)|, the number of neighbours
 *   B + 1 + s * (B + 2) + b        1 each  slot s, bit b of the neighbour in the slot (0 or 1)
 *   B + 1 + s * (B + 2) + B        1       slot s, (row[j] - row[i]) / scale
 *   B + 1 + s * (B + 2) + B + 1    1       slot s, (col[j] - col[i]) / scale
 *
 * for s = 0 .. slots - 1. Slot s holds the (s + 1)-th nearest neighbour j in N(i) by squared
 * distance, ties broken by the lower agent index. Slots beyond |N(i)| are all zero; the count at
 * offset B tells how many slots are filled (min(|N(i)|, slots)). A scale <= 0 is taken as 1.
 * Never allocates; costs O(n * (deg * B + slots * deg)). */
void comm_channel_receive(const CommChannel *c, const CommGraph *g, const int32_t *row,
                          const int32_t *col, int slots, float scale, float *out);

/* ---- aggregation ------------------------------------------------------------------------ */

/* How messages from neighbours are combined. */
typedef enum { COMM_AGG_SUM = 0, COMM_AGG_MEAN, COMM_AGG_MAX, COMM_AGG_COUNT } CommAgg;

/* Returns the name of an aggregation ("sum", "mean", "max"), or "?" for a value out of range. */
const char *comm_agg_name(CommAgg op);

/* Aggregates features x (n, d) over graph g into y (n, d), n = g->n: y_i is the sum, the mean or
 * the elementwise max over the neighbours j of agent i of x_j; an agent without neighbours gets
 * 0. Sums run over neighbours in ascending index order; the mean is that sum divided by the
 * degree. For COMM_AGG_MAX, argmax (n, d) receives the neighbour chosen for each element (ties:
 * the lowest index) or -1 when agent i has no neighbours; argmax may be NULL for sum and mean
 * (it is then left untouched) and for max when no backward pass follows. y must not overlap x.
 * Never allocates. */
void comm_aggregate_forward(const CommGraph *g, CommAgg op, const float *x, int d, float *y,
                            int32_t *argmax);

/* Accumulates into dx (n, d) the gradient of sum(dy * y) with respect to x, where y was
 * computed by comm_aggregate_forward on the same graph: dx += J^T dy. It adds and never
 * clears: the caller zeroes dx first (or accumulates several terms on purpose). For
 * COMM_AGG_MAX, argmax (n, d) must be the one the forward pass wrote. dx must not overlap dy.
 * Never allocates. */
void comm_aggregate_backward(const CommGraph *g, CommAgg op, const float *dy, int d,
                             const int32_t *argmax, float *dx);

/* Naive references of the two kernels above, with the same contracts: dense loops over every
 * (receiver, sender) pair that test membership with comm_graph_has_edge. Kept for the tests. */
void comm_aggregate_forward_naive(const CommGraph *g, CommAgg op, const float *x, int d, float *y,
                                  int32_t *argmax);
void comm_aggregate_backward_naive(const CommGraph *g, CommAgg op, const float *dy, int d,
                                   const int32_t *argmax, float *dx);

/* ---- information structures ------------------------------------------------------------- */

/* Shares rewards r (n,) over graph g into out (n,), after Pretorius et al. (2020):
 * out_i = r_i + alpha * sum over the neighbours j of i of r_j (neighbours in ascending order), so
 * an agent without neighbours keeps its own reward. With global != 0 every agent gets the sum of
 * all n rewards (g and alpha are ignored, g may be NULL). Without global, n should equal g->n;
 * agents at index g->n or above are treated as having no neighbours. out must not overlap r
 * unless global != 0. Never allocates. */
void comm_share_rewards(const CommGraph *g, float alpha, int global, int n, const float *r,
                        float *out);

/* Inequity aversion (Hughes et al. 2018, after Fehr and Schmidt 1999) for n >= 2 agents. First the
 * reward traces trace (n,) take this step's rewards r (n,): e_i = decay * e_i + r_i. Then
 *   out_i -= alpha / (n - 1) * sum_j max(e_j - e_i, 0) + beta / (n - 1) * sum_j max(e_i - e_j, 0)
 * subtracts the envy and the guilt from out (n,), which holds the rewards to shape (r itself, or
 * r shared). Sums run over j in ascending order. With n < 2 only the traces update. out may alias
 * r. Never allocates. */
void comm_inequity_rewards(int n, float alpha, float beta, float decay, float *trace,
                           const float *r, float *out);

#endif
