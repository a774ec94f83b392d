/* ppo.h: proximal policy optimisation over a batch of worlds: settings, rollouts, GAE, the
 * clipped objective, and inference for trained policies.
 *
 * Contract:
 * - The trainer holds rollout buffers and the learning, never worlds: a driver (sim/train.h)
 *   steps the worlds of the shards the trainer holds and fills the buffers between
 *   ppo_policy_step() calls through ppo_record_step() (rewards, ends, the truncation bootstrap)
 *   and ppo_record_episode(); the tests drive synthetic tasks the same way.
 * - Worlds have global indices. World w's actions are drawn from its own stream, keyed by
 *   env_hash4(seed, w, update, PPO_STREAM_ACTION), agent by agent and head by head, so a world's
 *   trajectory never depends on which process or batch steps it.
 * - Shards are fixed blocks of worlds (cfg.shards of them). Inference runs shard by shard, and a
 *   minibatch's gradient is computed shard by shard (each shard's share of the minibatch in one
 *   backward pass) and then summed over shards by one hook, PpoReduce, in the pairwise tree over
 *   global shard index (see below); so are the advantage statistics, the loss terms and every
 *   logged statistic. A distributed trainer holds a contiguous range of shards per process and
 *   gives a hook that combines the processes' partial sums in that tree; the algorithm does not
 *   change, and the weights and statistics are the same bit for bit for any split of the shards
 *   over processes (with one BLAS build and kernel).
 * - An episode that ends in a terminal state has value 0 after its end; one cut by the time
 *   limit (a truncation) is bootstrapped from the value of its final observation, computed by the
 *   agent's own parameter group right after the step (ppo_record_step). GAE never carries the
 *   trace across an episode end.
 * - Parameters are shared by all agents (one group) or independent per agent slot (one group per
 *   agent, the independent learners of the SSD papers); each group has its own gradient norm.
 * - Actions may have several parts (the ocean's move and signal bits): one categorical head per
 *   part, sizes from the world's spec (spec.n_heads, spec.head_size). Head 0 is the world's
 *   action; heads 1.. are the signal bits a communication layer reads from the rollout buffers.
 *   The trainer takes any heads; the driver decides what its worlds accept.
 * - Minibatches are drawn per shard and group by a permutation keyed by (seed, update, epoch,
 *   shard, group). Advantages are normalised per minibatch and group.
 * - No allocation inside an update; no global state; errors are returned with a message.
 */
#ifndef COMMONS_PPO_H
#define COMMONS_PPO_H

#include <stdio.h>

#include "env.h"
#include "nn.h"

/* stream purposes, disjoint from ENV_STREAM_* and NN_STREAM_INIT */
enum {
    PPO_STREAM_ACTION = 0x11,
    PPO_STREAM_SHUFFLE = 0x12,
    PPO_STREAM_EVAL = 0x13,
    PPO_STREAM_NOISE = 0x15
};

/* Training settings: sections [train], [ppo], [net] and [gnn] of a training config
 * (agents/ppo_config.c, a table on the key engine env/keys.h). */
typedef struct PpoConfig {
    /* [train] */
    int64_t seed;
    int64_t steps;        /* environment steps to train for, summed over worlds */
    int worlds;           /* worlds stepped together, over all processes */
    int rollout;          /* steps per world per update */
    int shards;           /* fixed blocks of worlds: the unit of inference and gradient sums */
    int independent;      /* 0: parameters shared by all agents; 1: one set per agent slot */
    int checkpoint_every; /* updates between checkpoints; 0: only at the end */
    /* [ppo] */
    double lr;
    int anneal_lr; /* 1: the learning rate falls linearly to 0 over the updates */
    double gamma, gae_lambda;
    double clip;          /* ratio clip epsilon */
    double vf_coef;       /* value loss weight */
    double ent_coef;      /* entropy bonus weight */
    double max_grad_norm; /* 0: no clipping */
    int epochs, minibatches;
    int norm_adv;
    double adam_eps, adam_beta1, adam_beta2;
    double reward_scale; /* rewards are multiplied by this before GAE */
    /* [net] */
    int conv, kernel, stride;
    int hidden[NN_MAX_HIDDEN];
    int n_hidden;
    NnKind activation;
    /* [gnn] */
    int gnn_rounds; /* 0: no GNN layer */
    int gnn_agg;    /* CommAgg */
    int gnn_mode;   /* 0 signal, 1 differentiable (GnnMode) */
    int gnn_estimator;
    double gnn_noise;
} PpoConfig;

/* What a driver feeds the network besides the observation (NULL: nothing). */
typedef struct PpoFeed {
    int n_float; /* floats per agent and step: received messages, then the world's features */
    int n_bits;  /* signal bits per agent the world's channel carries (the GNN's bits) */
} PpoFeed;

void ppo_config_default(PpoConfig *c);
/* 1 when the section belongs to the training settings (train, ppo, net). */
int ppo_config_section(const char *section);
/* Sets one key; returns ENV_EINPUT with a message naming the key and the allowed range. */
int ppo_config_set(PpoConfig *c, const char *section, const char *key, const char *value,
                   EnvError *err);
/* Formats a key's value; returns 0, or ENV_ENOTFOUND for an unknown key. */
int ppo_config_get(const PpoConfig *c, const char *section, const char *key, char *buf, size_t n);
/* Writes every key as INI, read back by ppo_config_set() to the same values. */
void ppo_config_write_ini(const PpoConfig *c, FILE *f);
/* Iterates over the keys: returns 0 and fills the strings for index i, or ENV_ENOTFOUND past the
 * end. */
int ppo_config_key(int i, const char **section, const char **key, char *range, size_t n,
                   const char **doc);
/* Checks the settings together against a world's spec and what the driver feeds (feed may be
 * NULL) and builds the network architecture. */
int ppo_config_check(const PpoConfig *c, const EnvSpec *spec, const PpoFeed *feed, NnArch *arch,
                     EnvError *err);

/* A finished episode, as recorded during a rollout. */
typedef struct PpoEpisode {
    int64_t index;               /* episodes finished before this one in the run */
    int64_t env_steps;           /* the run's environment steps when it finished */
    int64_t world;               /* global world index */
    uint64_t episode;            /* the world's episode index */
    int64_t ret[ENV_MAX_AGENTS]; /* (n_agents,) returns */
    EnvSocial social;
} PpoEpisode;

/* What one update did, for logs: every field is over all shards, the same on every process
 * (sums through PpoReduce), and the same for any split of the shards over processes. The
 * episodes themselves (PpoTrainer.ep) are the held worlds' only. */
typedef struct PpoStats {
    int64_t update; /* 1-based index of the update just done */
    int64_t env_steps;
    double lr;
    double policy_loss, value_loss, entropy, approx_kl, clip_frac;
    double grad_norm;     /* mean over minibatches and groups, before clipping */
    double explained_var; /* of the value predictions on the rollout, all shards */
    double reward_mean;   /* per agent-step, unscaled, all shards */
    int n_episodes;       /* episodes finished during the update, all shards */
    double return_mean;   /* mean per-agent return of those episodes */
    EnvSocial social;     /* mean social metrics of those episodes */
} PpoStats;

/* The sums across shards.
 *
 * Every cross-sample sum of training (gradients, advantage statistics, loss terms, the logged
 * statistics) is computed per shard and then summed over GLOBAL shard index in one fixed tree,
 * the pairwise tree over the cfg.shards chunks c0..c(S-1):
 *     at step = 1, 2, 4, ... (while step < S), for i = 0, 2 step, 4 step, ... with i + step < S:
 *     c[i] += c[i + step]  (element by element; a chunk without a partner is carried up as is)
 * so ((c0 + c1) + (c2 + c3)) + ((c4 + c5)) for S = 6. The result is the same bits whatever
 * contiguous range of shards each process holds.
 *
 * Subtrees: the tree's nodes are the aligned blocks [i, i + 2^k) (i a multiple of 2^k) clipped
 * to [0, S). A holder of shards [first, first + count) can sum locally, in the tree's own order,
 * every node that lies inside its range; ppo_tree_cover() lists the largest such nodes (at most
 * PPO_TREE_MAX_NODES, about 2 log2 S), ppo_tree_presum_*() sums each into its first chunk. A
 * combiner then needs only those node sums: it places each at its first shard index in an array
 * of S chunk pointers, NULL at every other index, and ppo_tree_sum_*() over that array finishes
 * the tree with the same bits as over all S chunks. E.g. S = 6 held 4 + 2: one node [0, 4) and
 * one [4, 6), so each process sends one buffer; 3 + 3: nodes [0, 2), [2, 3) and [3, 4), [4, 6).
 */
#define PPO_TREE_MAX_NODES 32

/* Sums n_chunks buffers of n values in the tree's order into out (which may be chunks[0]); it
 * overwrites chunks (chunk 0 holds the sum only when it is out). chunks[i] may be NULL when i lies
 * inside a node already summed into that node's first chunk (see above); chunks[0] is never NULL.
 */
void ppo_tree_sum_f32(float *const *chunks, int n_chunks, size_t n, float *out);
void ppo_tree_sum_f64(double *const *chunks, int n_chunks, size_t n, double *out);
/* The largest whole subtrees of the tree over total shards inside [first, first + count), in
 * order: start[j], size[j] (shards). Returns their number, at most PPO_TREE_MAX_NODES. */
int ppo_tree_cover(int first, int count, int total, int *start, int *size);
/* Sums each of those subtrees of the held chunks (chunks[k] is shard first + k) into its first
 * chunk, chunks[start[j] - first]; writes start (PPO_TREE_MAX_NODES) and returns the count. */
int ppo_tree_presum_f32(float *const *chunks, int first, int count, int total, size_t n,
                        int *start);
int ppo_tree_presum_f64(double *const *chunks, int first, int count, int total, size_t n,
                        int *start);

/* The hook that sums across shards. A trainer holding shards first_shard .. first_shard +
 * n_shards - 1 of total_shards hands it its n_shards chunks of n values (chunks[k] is global
 * shard first_shard + k) and receives in out (which may be chunks[0]) the sum of all
 * total_shards chunks in the tree above, from every process the same bits. The hook may
 * overwrite the chunks. sum_f32 carries every gradient; sum_f64 the advantage, loss and logged
 * statistics. It is collective: every trainer of a run calls it the same number of times, in
 * the same order, with the same n (a distributed hook presums its subtrees, exchanges them, and
 * finishes the tree). */
typedef struct PpoReduce {
    void (*sum_f32)(void *ctx, float *const *chunks, int first_shard, int n_shards,
                    int total_shards, size_t n, float *out);
    void (*sum_f64)(void *ctx, double *const *chunks, int first_shard, int n_shards,
                    int total_shards, size_t n, double *out);
    void *ctx;
} PpoReduce;

/* The in-process reduction (the default): the tree over the held chunks. It is the global sum
 * when the trainer holds every shard; a trainer holding fewer needs a combining hook. */
void ppo_reduce_local_f32(void *ctx, float *const *chunks, int first_shard, int n_shards,
                          int total_shards, size_t n, float *out);
void ppo_reduce_local_f64(void *ctx, double *const *chunks, int first_shard, int n_shards,
                          int total_shards, size_t n, double *out);

/* The PPO loss of n samples given the network outputs out (n, n_out): for each sample,
 * max(-A r, -A clip(r, 1 - e, 1 + e)) + vf_coef (v - R)^2 / 2 - ent_coef H, with r the
 * probability ratio of the (multi-part) action and H the sum of the heads' entropies, each
 * multiplied by inv_count. Writes dout (n, n_out), the gradient of the sum; returns the sum.
 * act (n, n_heads); logp_old, adv, ret (n,). scratch: n_out floats. terms (optional) receives
 * the unweighted sums: [policy loss, value loss, entropy, approx KL, clipped count]. */
double ppo_loss(const NnNet *net, const PpoConfig *c, int n, const float *out, const int32_t *act,
                const float *logp_old, const float *adv, const float *ret, float inv_count,
                float *dout, float *scratch, double terms[5]);

/* Seconds spent so far, summed over updates (a monotonic clock read at a few points; the
 * caller may zero it): what `commons bench --train` breaks the training time into. */
typedef struct PpoTimes {
    double infer;     /* rollout inference: forward, sampling (ppo_policy_step, bootstraps) */
    double forward;   /* minibatch gathers, forward passes and the loss */
    double backward;  /* backward passes */
    double optimizer; /* the gradient sum over shards, norms, clipping and Adam */
} PpoTimes;

typedef struct PpoTrainer {
    PpoConfig cfg;
    PpoTimes times;
    EnvSpec spec;
    PpoFeed feed;
    NnModel model;
    NnWork work;
    PpoReduce reduce;
    int n_agents, n_heads, n_groups;
    int group_agents; /* agents per group: n_agents (shared) or 1 (independent) */
    int heads[NN_MAX_HEADS];
    int first_shard, n_shards; /* the shards this trainer holds */
    int shard_worlds;          /* worlds per shard */
    int n_worlds;              /* worlds held: n_shards * shard_worlds */
    int64_t world_base;        /* global index of the first world held */
    /* counters: the training state besides parameters and moments */
    int64_t update, n_updates, env_steps, episodes;
    /* rollout buffers; T = cfg.rollout, W = n_worlds, A = n_agents, H = n_heads, O = obs bytes,
     * X = feed.n_float, B = feed.n_bits, E = A (A - 1) edges at most */
    uint8_t *obs;       /* (T + 1, W, A, O) observation before each step; slot T the last */
    float *xin;         /* (T + 1, W, A, X) float input before each step (X > 0) */
    int32_t *act;       /* (T, W, A, H) action parts */
    int32_t *env_act;   /* (W, A) head-0 actions of the current step, for the worlds */
    uint8_t *env_bits;  /* (W, A, B) signal bits of the current step, for the worlds' channels */
    float *logp;        /* (T, W, A) log-probability of the action taken */
    float *value;       /* (T + 1, W, A) value estimates */
    float *reward;      /* (T, W, A) rewards, scaled */
    uint8_t *term;      /* (T, W) 1 when the step ended the world's episode in a terminal state */
    uint8_t *trunc;     /* (T, W) 1 when the time limit cut the world's episode at this step */
    float *boot;        /* (T, W, A) value of the final observation where trunc, else unused */
    uint8_t *final_obs; /* (W, A, O) last observation of the episodes that ended at a step */
    float *final_x;     /* (W, A, X) their float input, written by the driver (X > 0) */
    float *adv, *ret;   /* (T, W, A) GAE advantages and returns */
    EnvRng *act_rng;    /* (W,) each world's action stream for this update */
    /* the GNN layer's inputs (cfg.gnn_rounds > 0), slot by slot like obs, written by the driver
     * through ppo_comm_slot(); slot T + 1 holds the final states of the episodes that ended */
    int32_t *g_row;    /* (T + 2, W, A + 1) CSR offsets of each world's graph */
    int32_t *g_col;    /* (T + 2, W, E) neighbours */
    float *g_pos;      /* (T + 2, W, A, 2) scaled positions */
    float *g_sent;     /* (T + 2, W, A, B) bits each agent sent at the previous step, 0/1 */
    CommGraph *graphs; /* (max groups,) views into g_row, g_col for one forward pass */
    float *noise;      /* (rounds, max rows, B) the bits' noise of one forward pass */
    /* minibatch buffers */
    int32_t *perm;                    /* (n_shards, n_groups, shard samples) */
    int32_t *mb_idx;                  /* (n_shards, mb rows) rollout index of each row */
    uint8_t *mb_obs;                  /* (mb rows, O) */
    float *mb_x;                      /* (mb rows, X) */
    float *mb_pos, *mb_sent;          /* (mb rows, 2), (mb rows, B) */
    int32_t *mb_act;                  /* (mb rows, H) */
    float *mb_logp, *mb_adv, *mb_ret; /* (mb rows,) */
    float *dout;                      /* (max rows, n_out) */
    float *scratch;                   /* (n_out,) */
    float *shard_grads;               /* (n_shards, n_groups * n_params) */
    double *shard_stats;              /* (n_shards, 24) per-shard sums (layout in ppo.c) */
    float **grad_chunks;              /* (n_shards,) each shard's gradient, for the reduction */
    double **stat_chunks;             /* (n_shards,) */
    int mb_rows;                      /* the largest minibatch share of one shard and group */
    int unit; /* rows per sample unit: 1, or A when the GNN needs whole (step, world) groups */
    int gnn;  /* 1: the network has a GNN layer */
    /* episodes finished during the last rollout */
    PpoEpisode *ep;
    int n_ep, ep_cap;
    void *block;
} PpoTrainer;

/* The GNN inputs of slot `slot` (0..T: before step slot; T + 1: final states) and held world w:
 * pointers into the trainer's buffers for the driver to fill. */
typedef struct PpoCommSlot {
    int32_t *row, *col; /* (A + 1,), (A (A - 1),) the graph */
    float *pos;         /* (A, 2) */
    float *sent;        /* (A, B) */
} PpoCommSlot;
PpoCommSlot ppo_comm_slot(PpoTrainer *t, int slot, int w);

/* Builds a trainer for shards first_shard .. first_shard + n_shards - 1 of cfg.shards (all of
 * them for first_shard = 0, n_shards = cfg.shards): model initialised from cfg.seed, rollout
 * buffers for the worlds of those shards. spec describes the worlds (or a synthetic task); feed
 * what the driver gives besides observations (NULL: nothing). */
int ppo_trainer_init(PpoTrainer *t, const PpoConfig *cfg, const EnvSpec *spec, const PpoFeed *feed,
                     int first_shard, int n_shards, EnvError *err);
void ppo_trainer_close(PpoTrainer *t);

/* An update is: ppo_rollout_begin(); for each step s < T: ppo_policy_step(s), the driver steps
 * the worlds with env_act (observations into obs slot s + 1), ppo_record_step(s), env_steps +=
 * cfg.worlds, ppo_record_episode() for each world whose episode ended; then ppo_policy_step(T)
 * (the values that bootstrap GAE) and ppo_learn(). With a float input (feed.n_float > 0) the
 * driver also writes xin slot s + 1 beside obs, and t->final_x beside final_obs; with a GNN layer
 * the graph of each slot through ppo_comm_slot() (slot T + 1 for the final states). Signal bits
 * for the worlds' channels are in env_bits after ppo_policy_step (the signal heads' draws, or in
 * differentiable mode the bits of the GNN's last round). */
/* seeds the action streams and moves the last observation (float input, graph) into slot 0 */
void ppo_rollout_begin(PpoTrainer *t);
/* inference on observation slot `step` (step == T: values only): fills act, logp, value,
 * env_act and env_bits for that step */
void ppo_policy_step(PpoTrainer *t, int step);
/* Stores the results of step `step` for an outside driver that steps the worlds itself:
 * rewards (W, A) unscaled (multiplied by cfg.reward_scale here), term and trunc (W,) and
 * final_obs (W, A, O), the last observation of every world whose episode ended (rows of the
 * other worlds are not read; the ended worlds' rows are copied into t->final_obs); any of them
 * may be the trainer's own buffers. For each shard with
 * a truncated world, the values of final_obs are computed (shard by shard, group by group, like
 * ppo_policy_step) into boot. The observation after the step, for the world's next episode when
 * it ended, goes in obs slot step + 1, written by the caller. */
void ppo_record_step(PpoTrainer *t, int step, const float *rewards, const uint8_t *term,
                     const uint8_t *trunc, const uint8_t *final_obs);
/* Records the episode that world w (0-based among the held worlds) just finished: its episode
 * index and metrics (n_agents returns), for the update's statistics. */
void ppo_record_episode(PpoTrainer *t, int w, uint64_t episode, const EnvMetrics *m);
/* GAE and the epochs; stats may be NULL */
void ppo_learn(PpoTrainer *t, PpoStats *stats);

/* The learning rate of update u (0-based). */
double ppo_lr(const PpoConfig *c, int64_t u, int64_t n_updates);

/* A trained policy for inference: parameters of every group, no moments. */
typedef struct PpoPolicy {
    NnNet net;
    int n_groups;
    int n_heads;
    int heads[NN_MAX_HEADS];
    float *params; /* (n_groups, net.n_params) */
} PpoPolicy;

/* Copies n_groups * net.n_params parameters. */
int ppo_policy_init(PpoPolicy *p, const NnArch *arch, int n_groups, const float *params,
                    EnvError *err);
void ppo_policy_close(PpoPolicy *p);
/* One agent's action parts from its observation (obs_size bytes) into act (n_heads,), with
 * group g's parameters, drawing one value per head from rng (argmax instead when greedy).
 * ws: for at least one row. Returns act[0], the world's action. */
int32_t ppo_policy_act(const PpoPolicy *p, int group, NnWork *ws, const uint8_t *obs, EnvRng *rng,
                       int greedy, int32_t *act);
/* Draws one agent's action parts from its output row o (n_out values) into act; returns act[0]. */
int32_t ppo_policy_sample(const PpoPolicy *p, const float *o, EnvRng *rng, int greedy,
                          int32_t *act);

#endif
