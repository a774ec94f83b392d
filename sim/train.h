/* train.h: the training driver: a PPO trainer (agents/ppo.h) fed by a batch of worlds (batch.h),
 * and its checkpoints.
 *
 * Contract:
 * - A SimTrainer holds shards first_shard .. first_shard + n_shards - 1 of cfg.shards: the
 *   trainer's buffers and the worlds of those shards (global indices shard * worlds-per-shard
 *   onwards). Every cross-sample sum goes through the trainer's PpoReduce hook over global shard
 *   index, so trainers holding complementary shard ranges, joined by a combining hook, end with the
 *   parameters of one trainer holding them all (tests/test_reduce.c).
 * - A step of the rollout: inference on the current observations (ppo_policy_step), the batch
 *   steps its worlds with the sampled actions (terminations and truncations apart, the final
 *   observation of every ended episode), the trainer records the step and bootstraps the
 *   truncations (ppo_record_step), and finished episodes are recorded for the statistics.
 * - Worlds that communicate (comm.*) train with their signal bits as action heads (or, with the
 *   GNN's differentiable mode, emitted by the network), the received messages and the world's
 *   features as the network's float input, and each step's graph for the GNN layer; learning
 *   rewards are the batch's (shared as rewards.* asks), the episodes' metrics the world's own.
 * - A checkpoint holds the trainer's state and EVERY world's episode, tick, state hash and the
 *   actions of its episode so far: with several processes (dist set) the world records are
 *   gathered to rank 0, which writes the file. Restoring takes the held block of worlds from a
 *   checkpoint of all of them (written by any number of processes), replays them and checks the
 *   hash.
 */
#ifndef COMMONS_SIM_TRAIN_H
#define COMMONS_SIM_TRAIN_H

#include "batch.h"
#include "checkpoint.h"
#include "dist.h"
#include "params.h"
#include "policy.h"
#include "ppo.h"

typedef struct SimTrainer {
    const SimConfig *sim;
    PpoTrainer ppo; /* the learning, its rollout buffers and counters */
    SimBatch batch; /* the worlds of the held shards */
    SimDist *dist;  /* the processes holding the other shards; NULL: one process holds all */
    EnvSpec spec;   /* the learner's spec (sim_learn_spec) */
    /* the float input's parts before they are joined into the trainer's rows, W = held worlds:
     * msg (W, A, M) and features (W, A, F) after a step, final_msg and final_features for the
     * episodes that ended */
    float *msg, *features, *final_msg, *final_features;
    void *block;
} SimTrainer;

/* Builds the trainer and its worlds (reset to episode 0, first observations in place). */
int sim_trainer_init(SimTrainer *t, const PpoConfig *cfg, const SimConfig *sim, int first_shard,
                     int n_shards, EnvError *err);
void sim_trainer_close(SimTrainer *t);

/* One whole update: the rollout through the worlds, GAE, epochs of minibatch steps. stats may be
 * NULL. It is sim_trainer_rollout() then sim_trainer_learn(), apart for timing. */
void sim_trainer_update(SimTrainer *t, PpoStats *stats);
void sim_trainer_rollout(SimTrainer *t);
void sim_trainer_learn(SimTrainer *t, PpoStats *stats);

/* Writes a checkpoint of the trainer and its worlds, with the effective config text. With
 * several processes it is collective: rank 0 gathers every world's record and writes the file,
 * and every rank returns rank 0's verdict (the message on rank 0). */
int sim_trainer_save(const SimTrainer *t, const char *config, const char *path, EnvError *err);

/* Restores a trainer built from the checkpoint's config: parameters, moments, counters, and every
 * held world replayed to where it was (its state hash checked). The checkpoint must hold the
 * held worlds (a checkpoint of every world does, whoever wrote it). */
int sim_trainer_restore(SimTrainer *t, const PpoCheckpoint *ck, EnvError *err);

#endif
