/* batch.h: a batch of worlds stepped together for a trainer, each with its comm session.
 *
 * Contract: every buffer is the caller's; the batch writes into it and never frees it. A step of
 * the batch is, world by world, the step of episode.h (hear, act, world, emit), with the actions
 * and signal bits given by the caller, followed by auto-reset: a world whose episode ended (a
 * termination or a truncation) starts its next episode, and what the caller receives for it is
 * the first observation (and messages) of that episode, with the ended episode's last observation
 * in final_obs. A world's trajectory depends only on (seed, its global index, the actions), never
 * on the batch it is stepped in or on the process that holds it.
 *
 * Buffers, for W worlds of A agents, O = obs_size bytes, M = msg_size floats, F = n_features:
 *   actions      (W, A)       int32 head-0 actions
 *   bits         (W, A, B)    signal bits 0/1, B = comm.signal_bits (NULL: none emitted)
 *   obs          (W, A, O)    uint8 the observation after the step
 *   rewards      (W, A)       float learning rewards: the world's, or shared over the comm
 *                             graph as rewards.share asks (the social metrics keep the world's)
 *   terminations (W,), truncations (W,)   uint8
 *   final_obs    (W, A, O)    rows of the worlds whose episode ended (NULL: not written)
 *   msg          (W, A, M)    float messages heard for the next step (NULL: not written)
 *   features     (W, A, F)    float the world's extra features (NULL: not written)
 *   comm         each world's graph and signals for the next step (comm_session_snapshot):
 *                row (W, A + 1), col (W, A (A - 1)), pos (W, A, 2), sent (W, A, B)
 *                (NULL row: not written)
 *   final_msg, final_features, final_comm   the same for the final state of the worlds whose
 *                episode ended (NULL: not written)
 */
#ifndef COMMONS_SIM_BATCH_H
#define COMMONS_SIM_BATCH_H

#include "env.h"
#include "params.h"
#include "session.h"

/* one step's graphs and signals of W worlds (see above) */
typedef struct SimCommOut {
    int32_t *row, *col;
    float *pos, *sent;
} SimCommOut;

typedef struct SimBatchOut {
    uint8_t *obs;
    float *rewards;
    uint8_t *terminations, *truncations;
    uint8_t *final_obs;
    float *msg;
    float *features;
    SimCommOut comm;
    float *final_msg, *final_features;
    SimCommOut final_comm;
} SimBatchOut;

typedef struct SimBatch {
    const SimConfig *sim;
    const EnvConfig *cfg; /* &sim->env */
    int n_worlds, n_agents;
    int64_t world_base;    /* global index of worlds[0] */
    EnvWorld *worlds;      /* (W,) */
    int comm;              /* 1: every world has a comm session */
    CommSession *sessions; /* (W,) or NULL */
    int n_bits, msg_size;
    int32_t *history;     /* (W, max_steps, A) actions of each world's episode so far (checkpoints
                             restore a world by replaying them), or NULL: not kept */
    uint8_t *bit_history; /* (W, max_steps, A, B) their signal bits, or NULL */
    float *raw;           /* (A,) one world's own rewards, before sharing */
} SimBatch;

/* Builds worlds world_base .. world_base + n_worlds - 1 of a run with this seed, reset to their
 * episode 0. keep_history: 1 to keep each episode's actions (for checkpoints). */
int sim_batch_init(SimBatch *b, const SimConfig *sim, uint64_t seed, int64_t world_base,
                   int n_worlds, int keep_history, EnvError *err);
void sim_batch_close(SimBatch *b);

/* The observation (and messages, features) of every world as it stands; out's other fields are
 * ignored. */
void sim_batch_observe(SimBatch *b, const SimBatchOut *out);

/* Steps every world once (see the top of this file). */
void sim_batch_step(SimBatch *b, const int32_t *actions, const uint8_t *bits,
                    const SimBatchOut *out);

/* Restores world k to episode `episode` after `tick` steps of the recorded actions (tick, A) and
 * signal bits (tick, A, B; NULL: none sent) and checks its state hash; ENV_EINPUT when the hash
 * differs. The batch must keep its history. */
int sim_batch_restore(SimBatch *b, int k, uint64_t episode, int tick, const int32_t *actions,
                      const uint8_t *bits, uint64_t hash, EnvError *err);

#endif
