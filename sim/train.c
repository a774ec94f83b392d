/* train.c: the training driver (see train.h). */
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* the batch's outputs for the state after step `slot - 1` (slot T + 1: the final states): the
 * float input's parts into the trainer's staging buffers, the graph into the trainer's slot */
static void comm_out(SimTrainer *t, int slot, float **msg, float **features, SimCommOut *c) {
    PpoTrainer *p = &t->ppo;
    int final = slot == p->cfg.rollout + 1;
    *msg = final ? t->final_msg : t->msg;
    *features = final ? t->final_features : t->features;
    memset(c, 0, sizeof *c);
    if (!p->gnn) return;
    PpoCommSlot cs = ppo_comm_slot(p, slot, 0);
    *c = (SimCommOut){cs.row, cs.col, cs.pos, cs.sent};
}

/* joins messages (W, A, M) and features (W, A, F) into the float input rows x (W, A, M + F) */
static void join_input(const SimTrainer *t, const float *msg, const float *features, float *x) {
    size_t rows = (size_t)t->ppo.n_worlds * (size_t)t->ppo.n_agents;
    size_t F = (size_t)t->spec.n_features, X = (size_t)t->ppo.feed.n_float, M = X - F;
    if (!X) return;
    for (size_t r = 0; r < rows; r++) {
        if (M) memcpy(x + r * X, msg + r * M, M * sizeof(float));
        if (F) memcpy(x + r * X + M, features + r * F, F * sizeof(float));
    }
}

/* the observation, float input and graph of every world as they stand, into slot `slot` */
static void observe_into(SimTrainer *t, int slot) {
    PpoTrainer *p = &t->ppo;
    size_t WA = (size_t)p->n_worlds * (size_t)p->n_agents;
    SimBatchOut out = {.obs = p->obs + (size_t)slot * WA * p->spec.obs_size};
    comm_out(t, slot, &out.msg, &out.features, &out.comm);
    sim_batch_observe(&t->batch, &out);
    join_input(t, out.msg, out.features, p->xin + (size_t)slot * WA * (size_t)p->feed.n_float);
}

int sim_trainer_init(SimTrainer *t, const PpoConfig *cfg, const SimConfig *sim, int first_shard,
                     int n_shards, EnvError *err) {
    memset(t, 0, sizeof *t);
    t->sim = sim;
    PpoFeed feed;
    sim_learn_spec(&sim->comm, cfg, &sim->spec, &t->spec, &feed);
    int rc = ppo_trainer_init(&t->ppo, cfg, &t->spec, &feed, first_shard, n_shards, err);
    if (rc) return rc;
    PpoTrainer *p = &t->ppo;
    if ((rc = sim_batch_init(&t->batch, sim, (uint64_t)cfg->seed, p->world_base, p->n_worlds, 1,
                             err))) {
        ppo_trainer_close(p);
        return rc;
    }
    /* staging for the float input's parts: the feed is messages (M) then features (F) */
    size_t WA = (size_t)p->n_worlds * (size_t)p->n_agents;
    size_t F = (size_t)t->spec.n_features, M = (size_t)feed.n_float - F, part = WA * (M + F);
    if (part) {
        t->block = calloc(2 * part + 2, sizeof(float));
        if (!t->block) {
            sim_trainer_close(t);
            return env_fail(err, ENV_ENOMEM, "out of memory for the float input");
        }
        float *f = t->block;
        t->msg = M ? f : NULL;
        t->features = F ? f + WA * M : NULL;
        t->final_msg = M ? f + part : NULL;
        t->final_features = F ? f + part + WA * M : NULL;
    }
    /* the first observation waits in the last slot, where each rollout starts from */
    observe_into(t, cfg->rollout);
    return 0;
}

void sim_trainer_close(SimTrainer *t) {
    sim_batch_close(&t->batch);
    ppo_trainer_close(&t->ppo);
    free(t->block);
    t->block = NULL;
}

/* the worlds take step s of the rollout with the sampled actions and bits */
static void rollout_step(SimTrainer *t, int s) {
    PpoTrainer *p = &t->ppo;
    size_t W = (size_t)p->n_worlds, A = (size_t)p->n_agents, O = p->spec.obs_size;
    size_t cell = (size_t)s * W * A, X = (size_t)p->feed.n_float;
    SimBatchOut out = {.obs = p->obs + (cell + W * A) * O,
                       .rewards = p->reward + cell,
                       .terminations = p->term + (size_t)s * W,
                       .truncations = p->trunc + (size_t)s * W,
                       .final_obs = p->final_obs};
    comm_out(t, s + 1, &out.msg, &out.features, &out.comm);
    comm_out(t, p->cfg.rollout + 1, &out.final_msg, &out.final_features, &out.final_comm);
    sim_batch_step(&t->batch, p->env_act, p->feed.n_bits ? p->env_bits : NULL, &out);
    join_input(t, out.msg, out.features, p->xin + (cell + W * A) * X);
    int ended = 0;
    for (size_t w = 0; w < W; w++) ended |= out.terminations[w] | out.truncations[w];
    if (ended) join_input(t, out.final_msg, out.final_features, p->final_x);
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

/* bytes of one world's record, padded to 8 so that the next starts aligned */
static size_t record_bytes(int tick, size_t A, size_t B) {
    return 24 + (((size_t)tick * A * (4 + B) + 7) & ~(size_t)7);
}

/* the held worlds' records as bytes: per world u64 episode, i32 tick, i32 0, u64 hash, then the
 * actions (tick, n_agents) as i32 and the signal bits (tick, n_agents, B) as u8 */
static uint8_t *pack_worlds(const SimBatch *b, size_t *n) {
    size_t T = (size_t)b->cfg->p.max_steps, A = (size_t)b->n_agents, bytes = 0;
    size_t B = b->bit_history ? (size_t)b->n_bits : 0;
    for (int k = 0; k < b->n_worlds; k++) bytes += record_bytes(b->worlds[k].tick, A, B);
    uint8_t *buf = calloc(bytes ? bytes : 1, 1), *p = buf;
    if (!buf) return NULL;
    for (int k = 0; k < b->n_worlds; k++) {
        const EnvWorld *w = &b->worlds[k];
        uint64_t episode = w->episode, hash = env_state_hash(w);
        int32_t tick[2] = {w->tick, 0};
        memcpy(p, &episode, 8), memcpy(p + 8, tick, 8), memcpy(p + 16, &hash, 8);
        memcpy(p + 24, b->history + (size_t)k * T * A, (size_t)w->tick * A * 4);
        if (B)
            memcpy(p + 24 + (size_t)w->tick * A * 4, b->bit_history + (size_t)k * T * A * B,
                   (size_t)w->tick * A * B);
        p += record_bytes(w->tick, A, B);
    }
    *n = bytes;
    return buf;
}

/* the records of n worlds packed back to back, as views into buf */
static int unpack_worlds(const uint8_t *buf, size_t n, int worlds, int A, int B,
                         PpoWorldRecord *rec) {
    size_t off = 0;
    for (int k = 0; k < worlds; k++) {
        if (off + 24 > n) return 1;
        int32_t tick[2];
        memcpy(&rec[k].episode, buf + off, 8), memcpy(tick, buf + off + 8, 8);
        memcpy(&rec[k].hash, buf + off + 16, 8);
        rec[k].tick = tick[0];
        rec[k].actions = (const int32_t *)(const void *)(buf + off + 24);
        rec[k].bits = B ? buf + off + 24 + (size_t)tick[0] * (size_t)A * 4 : NULL;
        off += record_bytes(tick[0], (size_t)A, (size_t)B);
    }
    return off != n;
}

int sim_trainer_save(const SimTrainer *t, const char *config, const char *path, EnvError *err) {
    const SimBatch *b = &t->batch;
    SimDist *d = t->dist;
    int many = d && d->size > 1, worlds = many ? t->ppo.cfg.worlds : b->n_worlds, rc = 0;
    size_t n = 0, n_all = 0;
    void *all = NULL;
    uint8_t *mine = pack_worlds(b, &n);
    if (!mine) rc = env_fail(err, ENV_ENOMEM, "out of memory for the world records of %s", path);
    /* one process holds every world; several gather them to rank 0 */
    if (many) {
        if (sim_dist_min(d, rc)) {
            free(mine);
            return rc ? rc : env_fail(err, ENV_ENOMEM, "out of memory on another rank");
        }
        rc = sim_dist_gather(d, mine, n, &all, &n_all, err);
        free(mine);
    } else {
        all = mine, n_all = n;
    }
    PpoWorldRecord *rec = NULL;
    if (!rc && (!d || d->rank == 0)) {
        rec = calloc((size_t)worlds, sizeof *rec);
        if (!rec)
            rc = env_fail(err, ENV_ENOMEM, "out of memory for the world records of %s", path);
        else if (unpack_worlds(all, n_all, worlds, b->n_agents, b->bit_history ? b->n_bits : 0,
                               rec))
            rc = env_fail(err, ENV_EIO, "the world records gathered for %s do not add up", path);
        /* gathered: the checkpoint of every world, as one process holding them all writes it */
        PpoTrainer whole = t->ppo;
        if (many) whole.world_base = 0;
        if (!rc) rc = ppo_checkpoint_save(&whole, rec, worlds, config, path, err);
    }
    free(rec);
    free(all);
    if (many) {
        rc = sim_dist_min(d, rc);
        if (rc && d->rank != 0) env_fail(err, rc, "rank 0 could not write %s", path);
    }
    return rc;
}

int sim_trainer_restore(SimTrainer *t, const PpoCheckpoint *ck, EnvError *err) {
    PpoTrainer *p = &t->ppo;
    /* the held block of the checkpoint's worlds */
    PpoCheckpoint block = *ck;
    int64_t skip = p->world_base - ck->world_base;
    if (skip < 0 || skip + t->batch.n_worlds > ck->n_worlds)
        return env_fail(err, ENV_EINPUT,
                        "the checkpoint holds worlds %lld..%lld; this trainer holds %lld..%lld",
                        (long long)ck->world_base, (long long)ck->world_base + ck->n_worlds - 1,
                        (long long)p->world_base, (long long)p->world_base + t->batch.n_worlds - 1);
    block.world = ck->world + skip;
    block.n_worlds = t->batch.n_worlds;
    block.world_base = p->world_base;
    int rc = ppo_trainer_restore(p, &block, t->batch.n_worlds, err);
    if (rc) return rc;
    /* every world back where it was: its episode replayed from the start */
    for (int k = 0; k < t->batch.n_worlds; k++) {
        const PpoWorldRecord *wr = &block.world[k];
        if ((rc = sim_batch_restore(&t->batch, k, wr->episode, wr->tick, wr->actions, wr->bits,
                                    wr->hash, err)))
            return rc;
    }
    /* the current observations wait in the last slot, where the next rollout starts */
    observe_into(t, p->cfg.rollout);
    return 0;
}
