/* ppo.c: rollouts over a batch of worlds, GAE, the clipped PPO objective,
 * minibatch epochs with per-shard gradients summed by one reduction (ppo_tree.c), and inference
 * (see ppo.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ppo.h"

/* a monotonic clock in seconds, for PpoTimes */
static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the loss ---- */

double ppo_loss(const NnNet *net, const PpoConfig *c, int n, const float *out, const int32_t *act,
                const float *logp_old, const float *adv, const float *ret, float inv_count,
                float *dout, float *scratch, double terms[5]) {
    int n_out = net->n_out, nh = net->arch.n_heads;
    float lo = (float)(1.0 - c->clip), hi = (float)(1.0 + c->clip);
    float vf = (float)c->vf_coef, ent_coef = (float)c->ent_coef;
    double total = 0;
    for (int i = 0; i < n; i++) {
        const float *o = out + (size_t)i * (size_t)n_out;
        float *d = dout + (size_t)i * (size_t)n_out;
        const int32_t *a = act + (size_t)i * (size_t)nh;
        /* the heads' log-probabilities (their entropies come with the backward below) */
        float logp = 0.0f, ent = 0.0f;
        for (int h = 0; h < nh; h++) {
            int off = net->head_off[h], k = net->arch.heads[h];
            nn_log_softmax(1, k, o + off, k, scratch + off);
            logp += scratch[off + a[h]];
        }
        /* clipped surrogate: the gradient flows through the unclipped term when it is the max */
        float log_ratio = logp - logp_old[i];
        float ratio = expf(log_ratio);
        float A = adv[i];
        float clipped = ratio < lo ? lo : (ratio > hi ? hi : ratio);
        float pg1 = -A * ratio, pg2 = -A * clipped;
        float pg = pg1 > pg2 ? pg1 : pg2;
        float g = (pg1 >= pg2 ? -A * ratio : 0.0f) * inv_count;
        float e = -ent_coef * inv_count;
        float v = o[n_out - 1], dv = v - ret[i];
        for (int h = 0; h < nh; h++) {
            int off = net->head_off[h], k = net->arch.heads[h];
            ent += nn_categorical_backward_row(k, scratch + off, a[h], g, e, d + off);
        }
        total += (double)(pg + vf * 0.5f * dv * dv - ent_coef * ent) * (double)inv_count;
        d[n_out - 1] = vf * dv * inv_count;
        if (terms) {
            terms[0] += pg;
            terms[1] += 0.5 * (double)dv * dv;
            terms[2] += ent;
            terms[3] += (double)(ratio - 1.0f) - (double)log_ratio;
            terms[4] += fabsf(ratio - 1.0f) > (float)c->clip;
        }
    }
    return total;
}

/* ---- the trainer ---- */

/* each shard's sums in shard_stats (n_shards, ST_STRIDE), summed over shards by the hook */
enum {
    ST_ADV = 0,  /* 2: advantage sum and sum of squares of the current minibatch and group */
    ST_LOSS = 2, /* 5: loss terms over the update (ppo_loss's terms) */
    ST_ROLL = 7, /* 5: return, return^2, return - value, its square, scaled reward */
    ST_EP = 12,  /* 6: episodes, their summed agent return, then the four social metrics */
    ST_END = 18,
    ST_STRIDE = 24
};

/* a uniform float in [0, 1) from 24 bits of a draw */
static inline float unit_draw(EnvRng *r) {
    return (float)(env_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

/* carve views from one allocation, each on a 64-byte boundary */
typedef struct Carver {
    char *base;
    size_t off;
} Carver;

static void *carve(Carver *c, size_t bytes) {
    void *p = c->base ? c->base + c->off : NULL;
    c->off += (bytes + 63) & ~(size_t)63;
    return p;
}

/* lays out every buffer; with base NULL it only measures */
static size_t layout(PpoTrainer *t, char *base) {
    Carver c = {base, 0};
    size_t T = (size_t)t->cfg.rollout, W = (size_t)t->n_worlds, A = (size_t)t->n_agents;
    size_t H = (size_t)t->n_heads, O = t->spec.obs_size, P = t->model.n;
    size_t G = (size_t)t->n_groups, rows = (size_t)t->mb_rows;
    size_t X = (size_t)t->feed.n_float, B = (size_t)t->feed.n_bits, E = A * (A - 1);
    size_t K = (size_t)t->cfg.gnn_rounds;
    size_t max_rows = rows > (size_t)t->shard_worlds * (size_t)t->group_agents
                          ? rows
                          : (size_t)t->shard_worlds * (size_t)t->group_agents;
    t->obs = carve(&c, (T + 1) * W * A * O);
    t->xin = carve(&c, (T + 1) * W * A * X * sizeof(float));
    t->act = carve(&c, T * W * A * H * sizeof(int32_t));
    t->env_act = carve(&c, W * A * sizeof(int32_t));
    t->env_bits = carve(&c, W * A * B);
    t->logp = carve(&c, T * W * A * sizeof(float));
    t->value = carve(&c, (T + 1) * W * A * sizeof(float));
    t->reward = carve(&c, T * W * A * sizeof(float));
    t->term = carve(&c, T * W);
    t->trunc = carve(&c, T * W);
    t->boot = carve(&c, T * W * A * sizeof(float));
    t->final_obs = carve(&c, W * A * O);
    t->final_x = carve(&c, W * A * X * sizeof(float));
    t->adv = carve(&c, T * W * A * sizeof(float));
    t->ret = carve(&c, T * W * A * sizeof(float));
    t->act_rng = carve(&c, W * sizeof(EnvRng));
    size_t slots = t->gnn ? (T + 2) * W : 0;
    t->g_row = carve(&c, slots * (A + 1) * sizeof(int32_t));
    t->g_col = carve(&c, slots * E * sizeof(int32_t));
    t->g_pos = carve(&c, slots * A * 2 * sizeof(float));
    t->g_sent = carve(&c, slots * A * B * sizeof(float));
    t->graphs = carve(&c, (t->gnn ? max_rows / A + 1 : 0) * sizeof(CommGraph));
    t->noise = carve(&c, (t->gnn ? K * max_rows * B : 0) * sizeof(float));
    t->perm = carve(&c, T * W * A * sizeof(int32_t));
    t->mb_idx = carve(&c, (size_t)t->n_shards * rows * sizeof(int32_t));
    t->mb_obs = carve(&c, rows * O);
    t->mb_x = carve(&c, rows * X * sizeof(float));
    t->mb_pos = carve(&c, (t->gnn ? rows * 2 : 0) * sizeof(float));
    t->mb_sent = carve(&c, (t->gnn ? rows * B : 0) * sizeof(float));
    t->mb_act = carve(&c, rows * H * sizeof(int32_t));
    t->mb_logp = carve(&c, rows * sizeof(float));
    t->mb_adv = carve(&c, rows * sizeof(float));
    t->mb_ret = carve(&c, rows * sizeof(float));
    t->dout = carve(&c, max_rows * (size_t)t->model.net.n_out * sizeof(float));
    t->scratch = carve(&c, (size_t)t->model.net.n_out * sizeof(float));
    /* one shard writes its gradients straight into the model */
    t->shard_grads = t->n_shards > 1 ? carve(&c, (size_t)t->n_shards * G * P * sizeof(float))
                                     : (base ? t->model.grads : NULL);
    t->shard_stats = carve(&c, (size_t)t->n_shards * ST_STRIDE * sizeof(double));
    t->grad_chunks = carve(&c, (size_t)t->n_shards * sizeof(float *));
    t->stat_chunks = carve(&c, (size_t)t->n_shards * sizeof(double *));
    t->ep = carve(&c, (size_t)t->ep_cap * sizeof(PpoEpisode));
    return c.off;
}

int ppo_trainer_init(PpoTrainer *t, const PpoConfig *cfg, const EnvSpec *spec, const PpoFeed *feed,
                     int first_shard, int n_shards, EnvError *err) {
    memset(t, 0, sizeof *t);
    NnArch arch;
    int rc = ppo_config_check(cfg, spec, feed, &arch, err);
    if (rc) return rc;
    if (first_shard < 0 || n_shards < 1 || first_shard + n_shards > cfg->shards)
        return env_fail(err, ENV_EINPUT, "shards %d..%d are outside 0..%d", first_shard,
                        first_shard + n_shards - 1, cfg->shards - 1);
    t->cfg = *cfg;
    t->spec = *spec;
    if (feed) t->feed = *feed;
    t->gnn = cfg->gnn_rounds > 0;
    t->reduce = (PpoReduce){ppo_reduce_local_f32, ppo_reduce_local_f64, NULL};
    t->n_agents = spec->n_agents;
    t->n_heads = spec->n_heads;
    for (int h = 0; h < t->n_heads; h++) t->heads[h] = spec->head_size[h];
    t->n_groups = cfg->independent ? spec->n_agents : 1;
    t->group_agents = cfg->independent ? 1 : spec->n_agents;
    t->first_shard = first_shard;
    t->n_shards = n_shards;
    t->shard_worlds = cfg->worlds / cfg->shards;
    t->n_worlds = n_shards * t->shard_worlds;
    t->world_base = (int64_t)first_shard * t->shard_worlds;
    int64_t batch = (int64_t)cfg->worlds * cfg->rollout;
    t->n_updates = (cfg->steps + batch - 1) / batch;
    /* the GNN trains whole (step, world) groups: a sample unit is one world at one step */
    t->unit = t->gnn ? spec->n_agents : 1;
    int shard_units = cfg->rollout * t->shard_worlds * t->group_agents / t->unit;
    if (shard_units < cfg->minibatches)
        return env_fail(err, ENV_EINPUT,
                        "ppo.minibatches = %d is more than the %d (step, world) groups of a shard "
                        "that the GNN trains whole (train.rollout x train.worlds / train.shards); "
                        "lower it",
                        cfg->minibatches, shard_units);
    t->mb_rows = (shard_units + cfg->minibatches - 1) / cfg->minibatches * t->unit;
    /* a world ends at most one episode every max_steps steps */
    t->ep_cap = t->n_worlds * (cfg->rollout / (spec->max_steps > 0 ? spec->max_steps : 1) + 1);
    if ((rc = nn_model_init(&t->model, &arch, t->n_groups, (uint64_t)cfg->seed, err))) return rc;
    int rollout_rows = t->shard_worlds * t->group_agents;
    int max_rows = t->mb_rows > rollout_rows ? t->mb_rows : rollout_rows;
    if (nn_work_init_groups(&t->work, &t->model.net, max_rows, t->n_groups)) {
        ppo_trainer_close(t);
        return env_fail(err, ENV_ENOMEM, "out of memory for network buffers");
    }
    size_t bytes = layout(t, NULL);
    t->block = aligned_alloc(64, bytes);
    if (!t->block) {
        ppo_trainer_close(t);
        return env_fail(err, ENV_ENOMEM, "out of memory for rollout buffers (%zu bytes)", bytes);
    }
    memset(t->block, 0, bytes);
    layout(t, t->block);
    return 0;
}

void ppo_trainer_close(PpoTrainer *t) {
    free(t->block);
    t->block = NULL;
    nn_work_close(&t->work);
    nn_model_close(&t->model);
}

PpoCommSlot ppo_comm_slot(PpoTrainer *t, int slot, int w) {
    size_t A = (size_t)t->n_agents, k = (size_t)slot * (size_t)t->n_worlds + (size_t)w;
    PpoCommSlot c = {t->g_row + k * (A + 1), t->g_col + k * A * (A - 1), t->g_pos + k * A * 2,
                     t->g_sent + k * A * (size_t)t->feed.n_bits};
    return c;
}

/* moves slot `from` of the GNN inputs into slot `to` */
static void move_comm_slot(PpoTrainer *t, int from, int to) {
    size_t W = (size_t)t->n_worlds, A = (size_t)t->n_agents, B = (size_t)t->feed.n_bits;
    size_t f = (size_t)from * W, d = (size_t)to * W;
    memcpy(t->g_row + d * (A + 1), t->g_row + f * (A + 1), W * (A + 1) * sizeof(int32_t));
    memcpy(t->g_col + d * A * (A - 1), t->g_col + f * A * (A - 1),
           W * A * (A - 1) * sizeof(int32_t));
    memcpy(t->g_pos + d * A * 2, t->g_pos + f * A * 2, W * A * 2 * sizeof(float));
    memcpy(t->g_sent + d * A * B, t->g_sent + f * A * B, W * A * B * sizeof(float));
}

void ppo_rollout_begin(PpoTrainer *t) {
    size_t T = (size_t)t->cfg.rollout, WA = (size_t)t->n_worlds * (size_t)t->n_agents;
    size_t step_bytes = WA * t->spec.obs_size, step_x = WA * (size_t)t->feed.n_float;
    memcpy(t->obs, t->obs + T * step_bytes, step_bytes);
    memcpy(t->xin, t->xin + T * step_x, step_x * sizeof(float));
    if (t->gnn) move_comm_slot(t, (int)T, 0);
    for (int w = 0; w < t->n_worlds; w++)
        env_rng_seed(&t->act_rng[w], env_hash4((uint64_t)t->cfg.seed, (uint64_t)(t->world_base + w),
                                               (uint64_t)t->update, PPO_STREAM_ACTION));
    t->n_ep = 0;
}

/* The graph view of held world w at slot `slot`. */
static CommGraph graph_view(PpoTrainer *t, int slot, int w) {
    PpoCommSlot c = ppo_comm_slot(t, slot, w);
    return comm_graph_view(t->n_agents, c.row, c.col);
}

/* the bits' noise of world w (global index) at rollout step `step` of this update, for the
 * differentiable GNN's rounds, written at out[(k * rows + r0 + a) * B + b]: a logistic draw
 * times gnn.noise from the world's own stream, so inference and learning see the same noise */
static void noise_world(const PpoTrainer *t, int step, int64_t w, float *out, size_t rows, int r0) {
    int K = t->cfg.gnn_rounds, A = t->n_agents, B = t->feed.n_bits;
    EnvRng r;
    env_rng_seed(&r, env_hash4(env_hash4((uint64_t)t->cfg.seed, (uint64_t)w, (uint64_t)t->update,
                                         PPO_STREAM_NOISE),
                               (uint64_t)step, 0, 0));
    float scale = (float)t->cfg.gnn_noise;
    for (int k = 0; k < K; k++)
        for (int a = 0; a < A; a++)
            for (int b = 0; b < B; b++) {
                float u = ((float)(env_rng_u32(&r) >> 8) + 0.5f) * (1.0f / 16777216.0f);
                out[((size_t)k * rows + (size_t)(r0 + a)) * (size_t)B + (size_t)b] =
                    scale * logf(u / (1.0f - u));
            }
}

/* 1 when the GNN's bits carry noise (differentiable mode, sigmoid estimator, gnn.noise > 0) */
static int noisy(const PpoTrainer *t) {
    return t->gnn && t->cfg.gnn_mode == 1 && t->cfg.gnn_estimator == 1 && t->cfg.gnn_noise > 0;
}

/* The network input of shard s's worlds w0 .. w0 + SW - 1 and group g at slot `slot` (slot T + 1:
 * the final states), from the rollout buffers obs (slot's observations, or final_obs) and x. */
static NnInput shard_input(PpoTrainer *t, int slot, int s, int g, const uint8_t *obs,
                           const float *x) {
    int A = t->n_agents, SW = t->shard_worlds, w0 = s * SW, a0 = t->cfg.independent ? g : 0;
    size_t O = t->spec.obs_size, X = (size_t)t->feed.n_float;
    NnInput in = {.obs = obs + ((size_t)w0 * (size_t)A + (size_t)a0) * O,
                  .stride = t->cfg.independent ? (size_t)A * O : O};
    if (X) {
        in.x = x + ((size_t)w0 * (size_t)A + (size_t)a0) * X;
        in.x_stride = t->cfg.independent ? (size_t)A * X : X;
    }
    if (t->gnn) {
        for (int k = 0; k < SW; k++) t->graphs[k] = graph_view(t, slot, w0 + k);
        PpoCommSlot c = ppo_comm_slot(t, slot, w0);
        in.graphs = t->graphs;
        in.pos = c.pos;
        in.sent = c.sent;
        if (noisy(t) && slot <= t->cfg.rollout) {
            for (int k = 0; k < SW; k++)
                noise_world(t, slot, t->world_base + w0 + k, t->noise, (size_t)SW * (size_t)A,
                            k * A);
            in.noise = t->noise;
        }
    }
    return in;
}

void ppo_policy_step(PpoTrainer *t, int step) {
    const NnNet *net = &t->model.net;
    int W = t->n_worlds, A = t->n_agents, H = t->n_heads, ga = t->group_agents;
    int B = t->feed.n_bits, diff = t->gnn && t->cfg.gnn_mode == 1;
    size_t O = t->spec.obs_size, X = (size_t)t->feed.n_float;
    int sample = step < t->cfg.rollout;
    const uint8_t *slot = t->obs + (size_t)step * (size_t)W * (size_t)A * O;
    const float *xslot = t->xin + (size_t)step * (size_t)W * (size_t)A * X;
    double t0 = seconds_now();
    /* shard by shard, group by group: a world's agents are visited in order, so each world's
     * stream gives its draws agent by agent, head by head */
    for (int s = 0; s < t->n_shards; s++) {
        int w0 = s * t->shard_worlds;
        for (int g = 0; g < t->n_groups; g++) {
            int a0 = t->cfg.independent ? g : 0;
            int rows = t->shard_worlds * ga;
            NnInput in = shard_input(t, step, s, g, slot, xslot);
            nn_forward_in(net, t->model.params + (size_t)g * t->model.n, &t->work, rows, &in);
            const float *out = nn_output(net, &t->work);
            /* differentiable mode: the last round's bits go out on the channel */
            const float *gbits =
                diff ? t->work.gnn_bits + (size_t)(t->cfg.gnn_rounds - 1) * (size_t)rows * (size_t)B
                     : NULL;
            for (int r = 0; r < rows; r++) {
                int w = w0 + r / ga, a = a0 + r % ga;
                size_t idx = ((size_t)step * (size_t)W + (size_t)w) * (size_t)A + (size_t)a;
                const float *o = out + (size_t)r * (size_t)net->n_out;
                t->value[idx] = o[net->n_out - 1];
                if (!sample) continue;
                float logp = 0.0f;
                for (int h = 0; h < H; h++) {
                    int off = net->head_off[h], k = t->heads[h];
                    nn_log_softmax(1, k, o + off, k, t->scratch + off);
                    int choice = nn_sample(k, t->scratch + off, unit_draw(&t->act_rng[w]));
                    t->act[idx * (size_t)H + (size_t)h] = choice;
                    logp += t->scratch[off + choice];
                }
                t->logp[idx] = logp;
                size_t wa = (size_t)w * (size_t)A + (size_t)a;
                t->env_act[wa] = t->act[idx * (size_t)H];
                for (int b = 0; b < B; b++)
                    t->env_bits[wa * (size_t)B + (size_t)b] =
                        (uint8_t)(diff ? gbits[(size_t)r * (size_t)B + (size_t)b] > 0.5f
                                       : (b + 1 < H && t->act[idx * (size_t)H + (size_t)(b + 1)]));
            }
        }
    }
    t->times.infer += seconds_now() - t0;
}

void ppo_record_episode(PpoTrainer *t, int w, uint64_t episode, const EnvMetrics *m) {
    if (t->n_ep == t->ep_cap) return;
    PpoEpisode *e = &t->ep[t->n_ep++];
    memset(e, 0, sizeof *e);
    e->index = t->episodes++;
    e->env_steps = t->env_steps;
    e->world = t->world_base + w;
    e->episode = episode;
    memcpy(e->ret, m->ret, sizeof(int64_t) * (size_t)t->n_agents);
    env_metrics_finish(m, &e->social);
}

/* the values of the final observations of shard s's worlds into boot (step), group by group
 * over the whole shard, so a world's value never depends on which others ended with it */
static void bootstrap_shard(PpoTrainer *t, int step, int s) {
    const NnNet *net = &t->model.net;
    int W = t->n_worlds, A = t->n_agents, ga = t->group_agents, w0 = s * t->shard_worlds;
    const uint8_t *trunc = t->trunc + (size_t)step * (size_t)W;
    for (int g = 0; g < t->n_groups; g++) {
        int a0 = t->cfg.independent ? g : 0, rows = t->shard_worlds * ga;
        NnInput in = shard_input(t, t->cfg.rollout + 1, s, g, t->final_obs, t->final_x);
        nn_forward_in(net, t->model.params + (size_t)g * t->model.n, &t->work, rows, &in);
        const float *out = nn_output(net, &t->work);
        for (int r = 0; r < rows; r++) {
            int w = w0 + r / ga, a = a0 + r % ga;
            if (!trunc[w]) continue;
            size_t idx = ((size_t)step * (size_t)W + (size_t)w) * (size_t)A + (size_t)a;
            t->boot[idx] = out[(size_t)r * (size_t)net->n_out + (size_t)(net->n_out - 1)];
        }
    }
}

void ppo_record_step(PpoTrainer *t, int step, const float *rewards, const uint8_t *term,
                     const uint8_t *trunc, const uint8_t *final_obs) {
    int W = t->n_worlds, A = t->n_agents;
    size_t O = t->spec.obs_size, WA = (size_t)W * (size_t)A;
    float *rew = t->reward + (size_t)step * WA;
    uint8_t *te = t->term + (size_t)step * (size_t)W, *tr = t->trunc + (size_t)step * (size_t)W;
    if (rewards != rew) memcpy(rew, rewards, sizeof(float) * WA);
    if (t->cfg.reward_scale != 1.0) {
        float sc = (float)t->cfg.reward_scale;
        for (size_t i = 0; i < WA; i++) rew[i] *= sc;
    }
    if (term != te) memcpy(te, term, (size_t)W);
    if (trunc != tr) memcpy(tr, trunc, (size_t)W);
    /* a termination wins over a truncation of the same step */
    for (int w = 0; w < W; w++) tr[w] = (uint8_t)(tr[w] && !te[w]);
    for (int s = 0; s < t->n_shards; s++) {
        int any = 0;
        for (int w = s * t->shard_worlds; w < (s + 1) * t->shard_worlds; w++) {
            if (!tr[w]) continue;
            any = 1;
            size_t row = (size_t)w * (size_t)A * O;
            if (final_obs != t->final_obs) memcpy(t->final_obs + row, final_obs + row, A * O);
        }
        if (!any) continue;
        double t0 = seconds_now();
        bootstrap_shard(t, step, s);
        t->times.infer += seconds_now() - t0;
    }
}

/* generalised advantage estimation, world by world and agent by agent, backwards in time */
static void compute_gae(PpoTrainer *t) {
    int T = t->cfg.rollout, W = t->n_worlds, A = t->n_agents;
    float gamma = (float)t->cfg.gamma, lambda = (float)t->cfg.gae_lambda;
    for (int w = 0; w < W; w++)
        for (int a = 0; a < A; a++) {
            float last = 0.0f;
            for (int s = T - 1; s >= 0; s--) {
                size_t idx = ((size_t)s * W + (size_t)w) * A + (size_t)a;
                size_t next = idx + (size_t)W * (size_t)A;
                /* after a termination nothing; after a truncation the final observation's value;
                 * the trace stops at either end */
                int term = t->term[(size_t)s * W + (size_t)w],
                    cut = t->trunc[(size_t)s * W + (size_t)w];
                float keep = term ? 0.0f : 1.0f, live = term | cut ? 0.0f : 1.0f;
                float v_next = cut ? t->boot[idx] : t->value[next];
                float delta = t->reward[idx] + gamma * v_next * keep - t->value[idx];
                last = delta + gamma * lambda * live * last;
                t->adv[idx] = last;
                t->ret[idx] = last + t->value[idx];
            }
        }
}

/* the rollout index of sample i of shard s and group g: samples run over (step, world, agent) */
static inline size_t sample_index(const PpoTrainer *t, int s, int g, int i) {
    int ga = t->group_agents;
    int al = i % ga, rest = i / ga;
    int wl = rest % t->shard_worlds, step = rest / t->shard_worlds;
    int w = s * t->shard_worlds + wl, a = (t->cfg.independent ? g : 0) + al;
    return ((size_t)step * (size_t)t->n_worlds + (size_t)w) * (size_t)t->n_agents + (size_t)a;
}

/* The rollout indices of minibatch units lo .. hi - 1 of shard s and group g into idx (shard s's
 * rows of mb_idx); returns the rows. A unit is one sample, or with the GNN one (step, world)
 * group of A rows. */
static int minibatch_rows(const PpoTrainer *t, int s, int g, const int32_t *perm, int lo, int hi,
                          int32_t *idx) {
    int A = t->n_agents, rows = 0;
    for (int i = lo; i < hi; i++) {
        if (!t->gnn) {
            idx[rows++] = (int32_t)sample_index(t, s, g, perm[i]);
            continue;
        }
        int step = perm[i] / t->shard_worlds, w = s * t->shard_worlds + perm[i] % t->shard_worlds;
        for (int a = 0; a < A; a++)
            idx[rows++] = (int32_t)(((size_t)step * (size_t)t->n_worlds + (size_t)w) * A + a);
    }
    return rows;
}

/* gathers the minibatch's rows (rollout indices idx) into the mb_ buffers and returns the
 * network's input */
static NnInput gather(PpoTrainer *t, const int32_t *idx_of, int rows, double mean, double inv_std) {
    size_t O = t->spec.obs_size, H = (size_t)t->n_heads, X = (size_t)t->feed.n_float;
    size_t A = (size_t)t->n_agents, WA = (size_t)t->n_worlds * A, B = (size_t)t->feed.n_bits;
    for (int r = 0; r < rows; r++) {
        size_t idx = (size_t)idx_of[r];
        memcpy(t->mb_obs + (size_t)r * O, t->obs + idx * O, O);
        if (X) memcpy(t->mb_x + (size_t)r * X, t->xin + idx * X, X * sizeof(float));
        memcpy(t->mb_act + (size_t)r * H, t->act + idx * H, sizeof(int32_t) * H);
        t->mb_logp[r] = t->logp[idx];
        t->mb_adv[r] = (float)((t->adv[idx] - mean) * inv_std);
        t->mb_ret[r] = t->ret[idx];
    }
    NnInput in = {.obs = t->mb_obs, .stride = O, .x = X ? t->mb_x : NULL, .x_stride = X};
    if (!t->gnn) return in;
    for (int u = 0; u < rows / (int)A; u++) {
        size_t idx = (size_t)idx_of[(size_t)u * A]; /* (step, world, agent 0) */
        int step = (int)(idx / WA), w = (int)(idx % WA / A);
        t->graphs[u] = graph_view(t, step, w);
        PpoCommSlot c = ppo_comm_slot(t, step, w);
        memcpy(t->mb_pos + (size_t)u * A * 2, c.pos, A * 2 * sizeof(float));
        memcpy(t->mb_sent + (size_t)u * A * B, c.sent, A * B * sizeof(float));
        if (noisy(t)) noise_world(t, step, t->world_base + w, t->noise, (size_t)rows, u * (int)A);
    }
    in.graphs = t->graphs;
    in.pos = t->mb_pos;
    in.sent = t->mb_sent;
    in.noise = noisy(t) ? t->noise : NULL;
    return in;
}

/* a Fisher-Yates permutation from the stream of (seed, update, epoch, shard, group) */
static void shuffle(const PpoTrainer *t, int epoch, int s, int g, int32_t *perm, int n) {
    EnvRng r;
    uint64_t key =
        env_hash4((uint64_t)t->cfg.seed, (uint64_t)t->update, (uint64_t)epoch, PPO_STREAM_SHUFFLE);
    env_rng_seed(&r, env_hash4(key, (uint64_t)(t->first_shard + s), (uint64_t)g, 0));
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)env_rng_below(&r, (uint32_t)(i + 1));
        int32_t x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
}

/* each shard's rollout and episode sums, in a fixed order: samples by (step, world, agent) and
 * episodes as recorded (by step, then world) */
static void rollout_sums(PpoTrainer *t) {
    int T = t->cfg.rollout, W = t->n_worlds, A = t->n_agents, SW = t->shard_worlds;
    for (int s = 0; s < t->n_shards; s++) {
        double *st = t->shard_stats + (size_t)s * ST_STRIDE;
        double sr = 0, srr = 0, sd = 0, sdd = 0, rew = 0;
        for (int step = 0; step < T; step++) {
            size_t i0 = ((size_t)step * (size_t)W + (size_t)s * (size_t)SW) * (size_t)A;
            for (size_t i = i0; i < i0 + (size_t)SW * (size_t)A; i++) {
                double r = t->ret[i], d = r - t->value[i];
                sr += r, srr += r * r, sd += d, sdd += d * d;
                rew += t->reward[i];
            }
        }
        double roll[5] = {sr, srr, sd, sdd, rew};
        memcpy(st + ST_ROLL, roll, sizeof roll);
        memset(st + ST_EP, 0, sizeof(double) * (ST_END - ST_EP));
    }
    for (int e = 0; e < t->n_ep; e++) {
        const PpoEpisode *ep = &t->ep[e];
        int s = (int)((ep->world - t->world_base) / SW);
        double *st = t->shard_stats + (size_t)s * ST_STRIDE + ST_EP, ret = 0;
        for (int a = 0; a < A; a++) ret += (double)ep->ret[a];
        st[0] += 1;
        st[1] += ret;
        st[2] += ep->social.efficiency;
        st[3] += ep->social.equality;
        st[4] += ep->social.sustainability;
        st[5] += ep->social.peace;
    }
}

/* the update's summary from the sums over all shards: tot[k] is the sum of field ST_LOSS + k */
static void fill_stats(const PpoTrainer *t, const double *tot, double lr, double norm_mean,
                       PpoStats *stats) {
    const PpoConfig *c = &t->cfg;
    const double *loss = tot, *roll = tot + (ST_ROLL - ST_LOSS), *ep = tot + (ST_EP - ST_LOSS);
    memset(stats, 0, sizeof *stats);
    double n_seen = (double)c->epochs * c->rollout * c->worlds * t->n_agents;
    stats->update = t->update;
    stats->env_steps = t->env_steps;
    stats->lr = lr;
    stats->policy_loss = loss[0] / n_seen;
    stats->value_loss = loss[1] / n_seen;
    stats->entropy = loss[2] / n_seen;
    stats->approx_kl = loss[3] / n_seen;
    stats->clip_frac = loss[4] / n_seen;
    stats->grad_norm = norm_mean;
    /* explained variance and the mean reward over every shard's rollout */
    double n_all = (double)c->rollout * c->worlds * t->n_agents;
    double var_r = roll[1] / n_all - (roll[0] / n_all) * (roll[0] / n_all);
    double var_d = roll[3] / n_all - (roll[2] / n_all) * (roll[2] / n_all);
    stats->explained_var = var_r > 0 ? 1.0 - var_d / var_r : 0.0;
    stats->reward_mean = roll[4] / n_all / c->reward_scale;
    stats->n_episodes = (int)ep[0];
    if (ep[0] > 0) {
        stats->return_mean = ep[1] / t->n_agents / ep[0];
        stats->social.efficiency = ep[2] / ep[0];
        stats->social.equality = ep[3] / ep[0];
        stats->social.sustainability = ep[4] / ep[0];
        stats->social.peace = ep[5] / ep[0];
    }
}

/* GAE, then the epochs of minibatch steps: per shard and group a forward and backward pass, the
 * gradient summed over shards by the hook, clipped per group, one Adam step. Long because the
 * minibatch step is one piece: the statistics, the gather and the reduction share its indices. */
void ppo_learn(PpoTrainer *t, PpoStats *stats) {
    const PpoConfig *c = &t->cfg;
    const NnNet *net = &t->model.net;
    int S = t->n_shards, G = t->n_groups, M = c->minibatches;
    int F = t->first_shard, TS = c->shards;
    size_t P = t->model.n;
    /* sample units per shard and group */
    int N = c->rollout * t->shard_worlds * t->group_agents / t->unit;
    compute_gae(t);
    double lr = ppo_lr(c, t->update, t->n_updates);
    float **chunks = t->grad_chunks;
    double **stat_chunks = t->stat_chunks;
    double norm_sum = 0;
    int n_norms = 0;
    memset(t->shard_stats, 0, sizeof(double) * ST_STRIDE * (size_t)S);
    rollout_sums(t);

    for (int epoch = 0; epoch < c->epochs; epoch++) {
        for (int s = 0; s < S; s++)
            for (int g = 0; g < G; g++)
                shuffle(t, epoch, s, g, t->perm + ((size_t)s * G + (size_t)g) * (size_t)N, N);
        for (int m = 0; m < M; m++) {
            int lo = (int)((int64_t)m * N / M), hi = (int)((int64_t)(m + 1) * N / M);
            /* the minibatch over all shards */
            double count = (double)(hi - lo) * t->unit * c->shards;
            for (int g = 0; g < G; g++) {
                /* advantage statistics of this minibatch, summed over shards */
                /* each shard's rows of this minibatch: rollout indices, found once */
                int rows = 0;
                for (int s = 0; s < S; s++)
                    rows =
                        minibatch_rows(t, s, g, t->perm + ((size_t)s * G + (size_t)g) * (size_t)N,
                                       lo, hi, t->mb_idx + (size_t)s * (size_t)t->mb_rows);
                double mean = 0, inv_std = 1;
                if (c->norm_adv) {
                    for (int s = 0; s < S; s++) {
                        const int32_t *idx = t->mb_idx + (size_t)s * (size_t)t->mb_rows;
                        double sum = 0, sq = 0;
                        for (int i = 0; i < rows; i++) {
                            double x = t->adv[idx[i]];
                            sum += x;
                            sq += x * x;
                        }
                        stat_chunks[s] = t->shard_stats + (size_t)s * ST_STRIDE + ST_ADV;
                        stat_chunks[s][0] = sum;
                        stat_chunks[s][1] = sq;
                    }
                    double tot[2];
                    t->reduce.sum_f64(t->reduce.ctx, stat_chunks, F, S, TS, 2, tot);
                    mean = tot[0] / count;
                    double var = count > 1 ? (tot[1] - tot[0] * mean) / (count - 1) : 0;
                    inv_std = 1.0 / (sqrt(var > 0 ? var : 0) + 1e-8);
                }
                /* each shard's share: gather, forward, loss, backward into its gradient */
                for (int s = 0; s < S; s++) {
                    double t0 = seconds_now();
                    NnInput in =
                        gather(t, t->mb_idx + (size_t)s * (size_t)t->mb_rows, rows, mean, inv_std);
                    const float *params = t->model.params + (size_t)g * P;
                    nn_forward_in(net, params, &t->work, rows, &in);
                    ppo_loss(net, c, rows, nn_output(net, &t->work), t->mb_act, t->mb_logp,
                             t->mb_adv, t->mb_ret, (float)(1.0 / count), t->dout, t->scratch,
                             t->shard_stats + (size_t)s * ST_STRIDE + ST_LOSS);
                    float *grads = t->shard_grads + (size_t)s * (size_t)G * P + (size_t)g * P;
                    double t1 = seconds_now();
                    nn_backward_in(net, params, &t->work, rows, &in, t->dout, grads);
                    double t2 = seconds_now();
                    t->times.forward += t1 - t0;
                    t->times.backward += t2 - t1;
                }
            }
            /* the one gradient sum over shards, then per-group clipping and Adam */
            double t3 = seconds_now();
            for (int s = 0; s < S; s++) chunks[s] = t->shard_grads + (size_t)s * (size_t)G * P;
            t->reduce.sum_f32(t->reduce.ctx, chunks, F, S, TS, (size_t)G * P, t->model.grads);
            float scale[ENV_MAX_AGENTS]; /* (G,) the clipping, applied inside the Adam step */
            for (int g = 0; g < G; g++) {
                double norm = nn_norm(t->model.grads + (size_t)g * P, P);
                norm_sum += norm;
                n_norms++;
                scale[g] = c->max_grad_norm > 0 && norm > c->max_grad_norm
                               ? (float)(c->max_grad_norm / (norm + 1e-6))
                               : 1.0f;
            }
            nn_adam_step_scaled(&t->model, scale, (float)lr, (float)c->adam_beta1,
                                (float)c->adam_beta2, (float)c->adam_eps);
            nn_work_params_changed(&t->work);
            t->times.optimizer += seconds_now() - t3;
        }
    }
    /* loss, rollout and episode statistics over shards (always: the hook is collective) */
    double tot[ST_END - ST_LOSS];
    for (int s = 0; s < S; s++) stat_chunks[s] = t->shard_stats + (size_t)s * ST_STRIDE + ST_LOSS;
    t->reduce.sum_f64(t->reduce.ctx, stat_chunks, F, S, TS, ST_END - ST_LOSS, tot);
    t->update++;
    if (stats) fill_stats(t, tot, lr, n_norms ? norm_sum / n_norms : 0, stats);
}

/* ---- inference ---- */

int ppo_policy_init(PpoPolicy *p, const NnArch *arch, int n_groups, const float *params,
                    EnvError *err) {
    memset(p, 0, sizeof *p);
    int rc = nn_net_init(&p->net, arch, err);
    if (rc) return rc;
    p->n_groups = n_groups;
    p->n_heads = arch->n_heads;
    memcpy(p->heads, arch->heads, sizeof p->heads);
    size_t n = p->net.n_params * (size_t)n_groups;
    p->params = malloc(sizeof(float) * (n ? n : 1));
    if (!p->params) return env_fail(err, ENV_ENOMEM, "out of memory for policy parameters");
    memcpy(p->params, params, sizeof(float) * n);
    return 0;
}

void ppo_policy_close(PpoPolicy *p) {
    free(p->params);
    p->params = NULL;
}

int32_t ppo_policy_sample(const PpoPolicy *p, const float *o, EnvRng *rng, int greedy,
                          int32_t *act) {
    const NnNet *net = &p->net;
    float lp[256];
    for (int h = 0; h < p->n_heads; h++) {
        int k = p->heads[h];
        nn_log_softmax(1, k, o + net->head_off[h], k, lp);
        act[h] = greedy ? nn_argmax(k, lp) : nn_sample(k, lp, unit_draw(rng));
    }
    return act[0];
}

int32_t ppo_policy_act(const PpoPolicy *p, int group, NnWork *ws, const uint8_t *obs, EnvRng *rng,
                       int greedy, int32_t *act) {
    const NnNet *net = &p->net;
    nn_forward(net, p->params + (size_t)group * net->n_params, ws, 1, obs, (size_t)net->in_size);
    return ppo_policy_sample(p, nn_output(net, ws), rng, greedy, act);
}
