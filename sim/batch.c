/* batch.c: a batch of worlds stepped together for a trainer (see batch.h). */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "episode.h"

int sim_batch_init(SimBatch *b, const SimConfig *sim, uint64_t seed, int64_t world_base,
                   int n_worlds, int keep_history, EnvError *err) {
    const EnvConfig *cfg = &sim->env;
    memset(b, 0, sizeof *b);
    b->sim = sim;
    b->cfg = cfg;
    b->n_worlds = n_worlds;
    b->n_agents = cfg->p.n_agents;
    b->world_base = world_base;
    b->n_bits = sim->comm.signal_bits;
    /* a session carries the graph for communication and for shared or shaped rewards */
    b->comm = comm_session_wanted(&sim->comm);
    size_t W = (size_t)n_worlds, A = (size_t)b->n_agents, T = (size_t)cfg->p.max_steps;
    size_t B = (size_t)b->n_bits;
    b->worlds = calloc(W, sizeof *b->worlds);
    if (keep_history) b->history = malloc(W * T * A * sizeof(int32_t));
    if (keep_history && B) b->bit_history = calloc(W * T * A * B, 1);
    b->raw = malloc(A * sizeof(float));
    if (b->comm) b->sessions = calloc(W, sizeof *b->sessions);
    if (!b->worlds || (keep_history && !b->history) || (keep_history && B && !b->bit_history) ||
        !b->raw || (b->comm && !b->sessions)) {
        sim_batch_close(b);
        return env_fail(err, ENV_ENOMEM, "out of memory for a batch of %d worlds", n_worlds);
    }
    for (int k = 0; k < n_worlds; k++) {
        int rc = env_world_init(&b->worlds[k], cfg, seed, (uint64_t)(world_base + k), err);
        if (!rc && b->comm) rc = comm_session_init(&b->sessions[k], cfg, &sim->comm, err);
        if (rc) {
            /* world k may hold memory without its session; close what was built */
            if (b->worlds[k].block) env_world_close(&b->worlds[k]);
            b->n_worlds = k;
            sim_batch_close(b);
            return rc;
        }
    }
    if (b->comm) b->msg_size = b->sessions[0].msg_size;
    for (int k = 0; b->comm && k < n_worlds; k++)
        comm_session_observe(&b->sessions[k], &b->worlds[k]);
    return 0;
}

void sim_batch_close(SimBatch *b) {
    for (int k = 0; b->worlds && k < b->n_worlds; k++) {
        env_world_close(&b->worlds[k]);
        if (b->sessions) comm_session_close(&b->sessions[k]);
    }
    free(b->worlds);
    free(b->sessions);
    free(b->history);
    free(b->bit_history);
    free(b->raw);
    memset(b, 0, sizeof *b);
}

/* world k's messages, features and graph into the rows of msg, features and comm */
static void observe_comm(SimBatch *b, int k, float *msg, float *features, const SimCommOut *c) {
    const EnvSpec *s = &b->cfg->spec;
    size_t A = (size_t)b->n_agents, rows = (size_t)k * A;
    if (features && s->n_features > 0)
        env_features(&b->worlds[k], features + rows * (size_t)s->n_features);
    if (!b->comm) return;
    const CommSession *cs = &b->sessions[k];
    if (msg) memcpy(msg + rows * (size_t)b->msg_size, cs->msg, A * (size_t)b->msg_size * 4);
    if (c && c->row)
        comm_session_snapshot(cs, c->row + (size_t)k * (A + 1), c->col + (size_t)k * A * (A - 1),
                              c->pos + rows * 2, c->sent + rows * (size_t)b->n_bits);
}

/* world k's observation, messages and features into the rows of out */
static void observe_world(SimBatch *b, int k, const SimBatchOut *out) {
    const EnvSpec *s = &b->cfg->spec;
    size_t rows = (size_t)k * (size_t)b->n_agents;
    if (out->obs) env_observe(&b->worlds[k], out->obs + rows * s->obs_size);
    observe_comm(b, k, out->msg, out->features, &out->comm);
}

void sim_batch_observe(SimBatch *b, const SimBatchOut *out) {
    for (int k = 0; k < b->n_worlds; k++) observe_world(b, k, out);
}

void sim_batch_step(SimBatch *b, const int32_t *actions, const uint8_t *bits,
                    const SimBatchOut *out) {
    const EnvConfig *cfg = b->cfg;
    size_t A = (size_t)b->n_agents, T = (size_t)cfg->p.max_steps, B = (size_t)b->n_bits;
    for (int k = 0; k < b->n_worlds; k++) {
        EnvWorld *w = &b->worlds[k];
        CommSession *cs = b->comm ? &b->sessions[k] : NULL;
        size_t rows = (size_t)k * A;
        const int32_t *act = actions + rows;
        /* remember the episode's actions (checkpoints replay them) */
        if (b->history)
            memcpy(b->history + ((size_t)k * T + (size_t)w->tick) * A, act, A * sizeof(int32_t));
        if (b->bit_history && bits)
            memcpy(b->bit_history + ((size_t)k * T + (size_t)w->tick) * A * B, bits + rows * B,
                   A * B);
        /* the world, its learning rewards and this step's signals (episode.h) */
        float *rew = out->rewards ? out->rewards + rows : NULL;
        int end = sim_world_step(w, cs, act, bits ? bits + rows * B : NULL, rew, b->raw);
        /* auto-reset, after what the final state's agents would hear and see */
        if (end != ENV_RUNNING) {
            if (cs && (out->final_msg || out->final_comm.row)) comm_session_observe(cs, w);
            observe_comm(b, k, out->final_msg, out->final_features, &out->final_comm);
            env_auto_reset(w, out->final_obs ? out->final_obs + rows * cfg->spec.obs_size : NULL);
            if (cs) comm_session_reset(cs);
        }
        if (out->terminations) out->terminations[k] = (uint8_t)(end == ENV_TERMINATED);
        if (out->truncations) out->truncations[k] = (uint8_t)(end == ENV_TRUNCATED);
        /* what the agents hear and see for the next step */
        if (cs) comm_session_observe(cs, w);
        observe_world(b, k, out);
    }
}

int sim_batch_restore(SimBatch *b, int k, uint64_t episode, int tick, const int32_t *actions,
                      const uint8_t *bits, uint64_t hash, EnvError *err) {
    EnvWorld *w = &b->worlds[k];
    size_t A = (size_t)b->n_agents, T = (size_t)b->cfg->p.max_steps;
    if (tick < 0 || (size_t)tick >= T)
        return env_fail(err, ENV_EINPUT, "world %lld: tick %d is outside 0..%zu",
                        (long long)(b->world_base + k), tick, T - 1);
    size_t B = (size_t)b->n_bits;
    CommSession *cs = b->comm ? &b->sessions[k] : NULL;
    env_reset(w, episode);
    if (cs) {
        comm_session_reset(cs);
        comm_session_observe(cs, w);
    }
    /* the world, its channel and the learning rewards' traces, step by step as they went */
    for (int s = 0; s < tick; s++) {
        env_step(w, actions + (size_t)s * A, cs ? b->raw : NULL);
        if (cs) {
            float shaped[ENV_MAX_AGENTS]; /* the reward traces of inequity aversion move on */
            comm_session_rewards(cs, b->raw, shaped);
            static const uint8_t none[ENV_MAX_AGENTS * ENV_MAX_SIGNAL_BITS];
            comm_session_emit(cs, bits ? bits + (size_t)s * A * B : none);
            comm_session_observe(cs, w);
        }
    }
    uint64_t h = env_state_hash(w);
    if (h != hash)
        return env_fail(err, ENV_EINPUT,
                        "world %lld: replaying the checkpoint's %d actions gives state hash "
                        "%016llx, the checkpoint recorded %016llx (another build of the worlds?)",
                        (long long)(b->world_base + k), tick, (unsigned long long)h,
                        (unsigned long long)hash);
    if (b->history)
        memcpy(b->history + (size_t)k * T * A, actions, (size_t)tick * A * sizeof(int32_t));
    if (b->bit_history && bits)
        memcpy(b->bit_history + (size_t)k * T * A * B, bits, (size_t)tick * A * B);
    return 0;
}
