/* train.c: the training driver (see train.h). */
#include <stdlib.h>
#include <string.h>

#include "train.h"

int sim_trainer_init(SimTrainer *t, const PpoConfig *cfg, const SimConfig *sim, int first_shard,
                     int n_shards, EnvError *err) {
    memset(t, 0, sizeof *t);
    t->sim = sim;
    if (comm_session_wanted(&sim->comm) || sim->comm.share != COMM_SHARE_NONE)
        return env_fail(err, ENV_EINPUT,
                        "this world communicates or shares rewards (comm.topology, "
                        "comm.signal_bits, rewards.share), and the trainer does not run the "
                        "communication layer yet; train with comm.topology = none, "
                        "comm.signal_bits = 0 and rewards.share = none");
    int rc = ppo_trainer_init(&t->ppo, cfg, &sim->spec, first_shard, n_shards, err);
    if (rc) return rc;
    PpoTrainer *p = &t->ppo;
    if ((rc = sim_batch_init(&t->batch, sim, (uint64_t)cfg->seed, p->world_base, p->n_worlds, 1,
                             err))) {
        ppo_trainer_close(p);
        return rc;
    }
    /* the first observation waits in the last slot, where each rollout starts from */
    size_t step_bytes = (size_t)p->n_worlds * (size_t)p->n_agents * p->spec.obs_size;
    SimBatchOut first = {.obs = p->obs + (size_t)cfg->rollout * step_bytes};
    sim_batch_observe(&t->batch, &first);
    return 0;
}

void sim_trainer_close(SimTrainer *t) {
    sim_batch_close(&t->batch);
    ppo_trainer_close(&t->ppo);
}

/* the worlds take step s of the rollout with the sampled actions */
static void rollout_step(SimTrainer *t, int s) {
    PpoTrainer *p = &t->ppo;
    size_t W = (size_t)p->n_worlds, A = (size_t)p->n_agents, O = p->spec.obs_size;
    size_t cell = (size_t)s * W * A;
    SimBatchOut out = {.obs = p->obs + (cell + W * A) * O,
                       .rewards = p->reward + cell,
                       .terminations = p->term + (size_t)s * W,
                       .truncations = p->trunc + (size_t)s * W,
                       .final_obs = p->final_obs};
    sim_batch_step(&t->batch, p->env_act, NULL, &out);
    ppo_record_step(p, s, out.rewards, out.terminations, out.truncations, out.final_obs);
    p->env_steps += p->cfg.worlds;
    for (size_t w = 0; w < W; w++) {
        if (!(out.terminations[w] | out.truncations[w])) continue;
        const EnvWorld *wd = &t->batch.worlds[w];
        ppo_record_episode(p, (int)w, wd->episode - 1, &wd->last_metrics);
    }
}

void sim_trainer_rollout(SimTrainer *t) {
    PpoTrainer *p = &t->ppo;
    ppo_rollout_begin(p);
    for (int s = 0; s < p->cfg.rollout; s++) {
        ppo_policy_step(p, s);
        rollout_step(t, s);
    }
    ppo_policy_step(p, p->cfg.rollout); /* the values that bootstrap GAE */
}

void sim_trainer_learn(SimTrainer *t, PpoStats *stats) {
    ppo_learn(&t->ppo, stats);
}

void sim_trainer_update(SimTrainer *t, PpoStats *stats) {
    sim_trainer_rollout(t);
    sim_trainer_learn(t, stats);
}

int sim_trainer_save(const SimTrainer *t, const char *config, const char *path, EnvError *err) {
    const SimBatch *b = &t->batch;
    size_t T = (size_t)b->cfg->p.max_steps, A = (size_t)b->n_agents;
    PpoWorldRecord *rec = calloc((size_t)(b->n_worlds > 0 ? b->n_worlds : 1), sizeof *rec);
    if (!rec) return env_fail(err, ENV_ENOMEM, "out of memory for the world records of %s", path);
    for (int k = 0; k < b->n_worlds; k++) {
        const EnvWorld *w = &b->worlds[k];
        rec[k] = (PpoWorldRecord){w->episode, w->tick, env_state_hash(w),
                                  b->history + (size_t)k * T * A};
    }
    int rc = ppo_checkpoint_save(&t->ppo, rec, b->n_worlds, config, path, err);
    free(rec);
    return rc;
}

int sim_trainer_restore(SimTrainer *t, const PpoCheckpoint *ck, EnvError *err) {
    PpoTrainer *p = &t->ppo;
    int rc = ppo_trainer_restore(p, ck, t->batch.n_worlds, err);
    if (rc) return rc;
    /* every world back where it was: its episode replayed from the start */
    for (int k = 0; k < t->batch.n_worlds; k++) {
        const PpoWorldRecord *wr = &ck->world[k];
        if ((rc = sim_batch_restore(&t->batch, k, wr->episode, wr->tick, wr->actions, wr->hash,
                                    err)))
            return rc;
    }
    /* the current observations wait in the last slot, where the next rollout starts */
    size_t step_bytes = (size_t)p->n_worlds * (size_t)p->n_agents * p->spec.obs_size;
    SimBatchOut now = {.obs = p->obs + (size_t)p->cfg.rollout * step_bytes};
    sim_batch_observe(&t->batch, &now);
    return 0;
}
