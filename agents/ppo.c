/* ppo.c: rollouts over a batch of worlds, GAE, the clipped PPO objective,
 * minibatch epochs with per-shard gradients summed by one reduction, and inference (see ppo.h).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ppo.h"

/* ---- the reduction across shards ---- */

void ppo_reduce_local_f32(void *ctx, float *const *chunks, int n_chunks, size_t n, float *out) {
    (void)ctx;
    /* pairwise: ((c0 + c1) + (c2 + c3)) + ..., in place in the even chunks */
    for (int step = 1; step < n_chunks; step *= 2)
        for (int i = 0; i + step < n_chunks; i += 2 * step) {
            float *restrict a = chunks[i];
            const float *restrict b = chunks[i + step];
            for (size_t k = 0; k < n; k++) a[k] += b[k];
        }
    if (out != chunks[0]) memcpy(out, chunks[0], sizeof(float) * n);
}

void ppo_reduce_local_f64(void *ctx, double *const *chunks, int n_chunks, size_t n, double *out) {
    (void)ctx;
    for (int step = 1; step < n_chunks; step *= 2)
        for (int i = 0; i + step < n_chunks; i += 2 * step)
            for (size_t k = 0; k < n; k++) chunks[i][k] += chunks[i + step][k];
    if (out != chunks[0]) memcpy(out, chunks[0], sizeof(double) * n);
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
        /* the heads' log-probabilities and entropies */
        float logp = 0.0f, ent = 0.0f;
        for (int h = 0; h < nh; h++) {
            int off = net->head_off[h], k = net->arch.heads[h];
            nn_log_softmax(1, k, o + off, k, scratch + off);
            logp += scratch[off + a[h]];
            ent += nn_entropy(k, scratch + off);
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
        total += (double)(pg + vf * 0.5f * dv * dv - ent_coef * ent) * (double)inv_count;
        for (int h = 0; h < nh; h++) {
            int off = net->head_off[h], k = net->arch.heads[h];
            nn_categorical_backward(1, k, scratch + off, a + h, 1, &g, &e, d + off, k);
        }
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
    size_t max_steps = t->env ? (size_t)t->spec.max_steps : 0;
    t->obs = carve(&c, (T + 1) * W * A * O);
    t->act = carve(&c, T * W * A * H * sizeof(int32_t));
    t->env_act = carve(&c, W * A * sizeof(int32_t));
    t->logp = carve(&c, T * W * A * sizeof(float));
    t->value = carve(&c, (T + 1) * W * A * sizeof(float));
    t->reward = carve(&c, T * W * A * sizeof(float));
    t->done = carve(&c, T * W);
    t->adv = carve(&c, T * W * A * sizeof(float));
    t->ret = carve(&c, T * W * A * sizeof(float));
    t->history = carve(&c, W * max_steps * A * sizeof(int32_t));
    t->act_rng = carve(&c, W * sizeof(EnvRng));
    t->perm = carve(&c, T * W * A * sizeof(int32_t));
    t->mb_obs = carve(&c, rows * O);
    t->mb_act = carve(&c, rows * H * sizeof(int32_t));
    t->mb_logp = carve(&c, rows * sizeof(float));
    t->mb_adv = carve(&c, rows * sizeof(float));
    t->mb_ret = carve(&c, rows * sizeof(float));
    size_t max_rows = rows > (size_t)t->shard_worlds * (size_t)t->group_agents
                          ? rows
                          : (size_t)t->shard_worlds * (size_t)t->group_agents;
    t->dout = carve(&c, max_rows * (size_t)t->model.net.n_out * sizeof(float));
    t->scratch = carve(&c, (size_t)t->model.net.n_out * sizeof(float));
    /* one shard writes its gradients straight into the model */
    t->shard_grads = t->n_shards > 1 ? carve(&c, (size_t)t->n_shards * G * P * sizeof(float))
                                     : (base ? t->model.grads : NULL);
    t->shard_stats = carve(&c, (size_t)t->n_shards * 8 * sizeof(double));
    t->grad_chunks = carve(&c, (size_t)t->n_shards * sizeof(float *));
    t->stat_chunks = carve(&c, (size_t)t->n_shards * sizeof(double *));
    t->ep = carve(&c, (size_t)t->ep_cap * sizeof(PpoEpisode));
    return c.off;
}

int ppo_trainer_init(PpoTrainer *t, const PpoConfig *cfg, const EnvSpec *spec, const EnvConfig *env,
                     int first_shard, int n_shards, EnvError *err) {
    memset(t, 0, sizeof *t);
    NnArch arch;
    int rc = ppo_config_check(cfg, spec, &arch, err);
    if (rc) return rc;
    if (env && spec->n_heads > 1)
        return env_fail(err, ENV_EINPUT,
                        "training with signal heads (comm.signal_bits = %d) needs the "
                        "communication layer in the trainer, which is not wired in yet; set "
                        "comm.signal_bits = 0",
                        spec->n_heads - 1);
    if (first_shard < 0 || n_shards < 1 || first_shard + n_shards > cfg->shards)
        return env_fail(err, ENV_EINPUT, "shards %d..%d are outside 0..%d", first_shard,
                        first_shard + n_shards - 1, cfg->shards - 1);
    t->cfg = *cfg;
    t->spec = *spec;
    t->env = env;
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
    int shard_samples = cfg->rollout * t->shard_worlds * t->group_agents;
    t->mb_rows = (shard_samples + cfg->minibatches - 1) / cfg->minibatches;
    t->ep_cap =
        env ? t->n_worlds * (cfg->rollout / (spec->max_steps > 0 ? spec->max_steps : 1) + 1) : 1;
    if ((rc = nn_model_init(&t->model, &arch, t->n_groups, (uint64_t)cfg->seed, err))) return rc;
    int rollout_rows = t->shard_worlds * t->group_agents;
    int max_rows = t->mb_rows > rollout_rows ? t->mb_rows : rollout_rows;
    if (nn_work_init(&t->work, &t->model.net, max_rows)) {
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
    if (env) {
        t->worlds = calloc((size_t)t->n_worlds, sizeof *t->worlds);
        if (!t->worlds) {
            ppo_trainer_close(t);
            return env_fail(err, ENV_ENOMEM, "out of memory for worlds");
        }
        for (int w = 0; w < t->n_worlds; w++)
            if ((rc = env_world_init(&t->worlds[w], env, (uint64_t)cfg->seed,
                                     (uint64_t)(t->world_base + w), err))) {
                for (int k = 0; k < w; k++) env_world_close(&t->worlds[k]);
                free(t->worlds);
                t->worlds = NULL;
                ppo_trainer_close(t);
                return rc;
            }
        /* the first observation waits in the last slot, where each rollout starts from */
        size_t step_bytes = (size_t)t->n_worlds * (size_t)t->n_agents * spec->obs_size;
        uint8_t *last = t->obs + (size_t)cfg->rollout * step_bytes;
        for (int w = 0; w < t->n_worlds; w++)
            env_observe(&t->worlds[w], last + (size_t)w * (size_t)t->n_agents * spec->obs_size);
    }
    return 0;
}

void ppo_trainer_close(PpoTrainer *t) {
    if (t->worlds) {
        for (int w = 0; w < t->n_worlds; w++) env_world_close(&t->worlds[w]);
        free(t->worlds);
        t->worlds = NULL;
    }
    free(t->block);
    t->block = NULL;
    nn_work_close(&t->work);
    nn_model_close(&t->model);
}

void ppo_rollout_begin(PpoTrainer *t) {
    size_t step_bytes = (size_t)t->n_worlds * (size_t)t->n_agents * t->spec.obs_size;
    memcpy(t->obs, t->obs + (size_t)t->cfg.rollout * step_bytes, step_bytes);
    for (int w = 0; w < t->n_worlds; w++)
        env_rng_seed(&t->act_rng[w], env_hash4((uint64_t)t->cfg.seed, (uint64_t)(t->world_base + w),
                                               (uint64_t)t->update, PPO_STREAM_ACTION));
    t->n_ep = 0;
}

void ppo_policy_step(PpoTrainer *t, int step) {
    const NnNet *net = &t->model.net;
    int W = t->n_worlds, A = t->n_agents, H = t->n_heads, ga = t->group_agents;
    size_t O = t->spec.obs_size;
    int sample = step < t->cfg.rollout;
    const uint8_t *slot = t->obs + (size_t)step * (size_t)W * (size_t)A * O;
    /* shard by shard, group by group: a world's agents are visited in order, so each world's
     * stream gives its draws agent by agent, head by head */
    for (int s = 0; s < t->n_shards; s++) {
        int w0 = s * t->shard_worlds;
        for (int g = 0; g < t->n_groups; g++) {
            int a0 = t->cfg.independent ? g : 0;
            int rows = t->shard_worlds * ga;
            const uint8_t *base = slot + ((size_t)w0 * (size_t)A + (size_t)a0) * O;
            size_t stride = t->cfg.independent ? (size_t)A * O : O;
            nn_forward(net, t->model.params + (size_t)g * t->model.n, &t->work, rows, base, stride);
            const float *out = nn_output(net, &t->work);
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
                t->env_act[(size_t)w * (size_t)A + (size_t)a] = t->act[idx * (size_t)H];
            }
        }
    }
}

void ppo_env_step(PpoTrainer *t, int step) {
    int W = t->n_worlds, A = t->n_agents;
    size_t O = t->spec.obs_size, max_steps = (size_t)t->spec.max_steps;
    /* remember each world's actions of the episode in progress (checkpoints replay them) */
    for (int w = 0; w < W; w++)
        memcpy(t->history + ((size_t)w * max_steps + (size_t)t->worlds[w].tick) * (size_t)A,
               t->env_act + (size_t)w * (size_t)A, sizeof(int32_t) * (size_t)A);
    size_t cell = (size_t)step * (size_t)W * (size_t)A;
    float *rew = t->reward + cell;
    uint8_t *done = t->done + (size_t)step * (size_t)W;
    env_batch_step(t->worlds, W, t->env_act, t->obs + (cell + (size_t)W * (size_t)A) * O, rew, NULL,
                   done, NULL);
    if (t->cfg.reward_scale != 1.0) {
        float s = (float)t->cfg.reward_scale;
        for (size_t i = 0; i < (size_t)W * (size_t)A; i++) rew[i] *= s;
    }
    t->env_steps += t->cfg.worlds;
    for (int w = 0; w < W; w++) {
        if (!done[w] || t->n_ep == t->ep_cap) continue;
        const EnvWorld *wd = &t->worlds[w];
        PpoEpisode *e = &t->ep[t->n_ep++];
        memset(e, 0, sizeof *e);
        e->index = t->episodes++;
        e->env_steps = t->env_steps;
        e->world = t->world_base + w;
        e->episode = wd->episode - 1;
        memcpy(e->ret, wd->last_metrics.ret, sizeof(int64_t) * (size_t)A);
        env_metrics_finish(&wd->last_metrics, &e->social);
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
                float live = t->done[(size_t)s * W + (size_t)w] ? 0.0f : 1.0f;
                float delta = t->reward[idx] + gamma * t->value[next] * live - t->value[idx];
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

void ppo_learn(PpoTrainer *t, PpoStats *stats) {
    const PpoConfig *c = &t->cfg;
    const NnNet *net = &t->model.net;
    int S = t->n_shards, G = t->n_groups, H = t->n_heads, M = c->minibatches;
    size_t P = t->model.n, O = t->spec.obs_size;
    int N = c->rollout * t->shard_worlds * t->group_agents; /* samples per shard and group */
    compute_gae(t);
    double lr = ppo_lr(c, t->update, t->n_updates);
    float **chunks = t->grad_chunks;
    double **stat_chunks = t->stat_chunks;
    double terms_total[5] = {0}, norm_sum = 0;
    int n_norms = 0;
    memset(t->shard_stats, 0, sizeof(double) * 8 * (size_t)S);

    for (int epoch = 0; epoch < c->epochs; epoch++) {
        for (int s = 0; s < S; s++)
            for (int g = 0; g < G; g++)
                shuffle(t, epoch, s, g, t->perm + ((size_t)s * G + (size_t)g) * (size_t)N, N);
        for (int m = 0; m < M; m++) {
            int lo = (int)((int64_t)m * N / M), hi = (int)((int64_t)(m + 1) * N / M);
            int rows = hi - lo;
            double count = (double)rows * c->shards; /* the minibatch over all shards */
            for (int g = 0; g < G; g++) {
                /* advantage statistics of this minibatch, summed over shards */
                double mean = 0, inv_std = 1;
                if (c->norm_adv) {
                    for (int s = 0; s < S; s++) {
                        const int32_t *perm = t->perm + ((size_t)s * G + (size_t)g) * (size_t)N;
                        double sum = 0, sq = 0;
                        for (int i = lo; i < hi; i++) {
                            double x = t->adv[sample_index(t, s, g, perm[i])];
                            sum += x;
                            sq += x * x;
                        }
                        stat_chunks[s] = t->shard_stats + 8 * (size_t)s;
                        stat_chunks[s][0] = sum;
                        stat_chunks[s][1] = sq;
                    }
                    double tot[2];
                    t->reduce.sum_f64(t->reduce.ctx, stat_chunks, S, 2, tot);
                    mean = tot[0] / count;
                    double var = count > 1 ? (tot[1] - tot[0] * mean) / (count - 1) : 0;
                    inv_std = 1.0 / (sqrt(var > 0 ? var : 0) + 1e-8);
                }
                /* each shard's share: gather, forward, loss, backward into its gradient */
                for (int s = 0; s < S; s++) {
                    const int32_t *perm = t->perm + ((size_t)s * G + (size_t)g) * (size_t)N;
                    for (int r = 0; r < rows; r++) {
                        size_t idx = sample_index(t, s, g, perm[lo + r]);
                        memcpy(t->mb_obs + (size_t)r * O, t->obs + idx * O, O);
                        memcpy(t->mb_act + (size_t)r * H, t->act + idx * (size_t)H,
                               sizeof(int32_t) * (size_t)H);
                        t->mb_logp[r] = t->logp[idx];
                        t->mb_adv[r] = (float)((t->adv[idx] - mean) * inv_std);
                        t->mb_ret[r] = t->ret[idx];
                    }
                    const float *params = t->model.params + (size_t)g * P;
                    nn_forward(net, params, &t->work, rows, t->mb_obs, O);
                    ppo_loss(net, c, rows, nn_output(net, &t->work), t->mb_act, t->mb_logp,
                             t->mb_adv, t->mb_ret, (float)(1.0 / count), t->dout, t->scratch,
                             t->shard_stats + 8 * (size_t)s + 2);
                    float *grads = t->shard_grads + (size_t)s * (size_t)G * P + (size_t)g * P;
                    nn_backward(net, params, &t->work, rows, t->mb_obs, O, t->dout, grads);
                }
            }
            /* the one gradient sum over shards, then per-group clipping and Adam */
            for (int s = 0; s < S; s++) chunks[s] = t->shard_grads + (size_t)s * (size_t)G * P;
            t->reduce.sum_f32(t->reduce.ctx, chunks, S, (size_t)G * P, t->model.grads);
            for (int g = 0; g < G; g++) {
                float *gr = t->model.grads + (size_t)g * P;
                double norm = nn_norm(gr, P);
                norm_sum += norm;
                n_norms++;
                if (c->max_grad_norm > 0 && norm > c->max_grad_norm) {
                    float scale = (float)(c->max_grad_norm / (norm + 1e-6));
                    for (size_t i = 0; i < P; i++) gr[i] *= scale;
                }
            }
            nn_adam_step(&t->model, (float)lr, (float)c->adam_beta1, (float)c->adam_beta2,
                         (float)c->adam_eps);
        }
    }
    /* loss statistics over shards, then the update's summary */
    for (int s = 0; s < S; s++) stat_chunks[s] = t->shard_stats + 8 * (size_t)s + 2;
    t->reduce.sum_f64(t->reduce.ctx, stat_chunks, S, 5, terms_total);
    t->update++;
    if (!stats) return;
    memset(stats, 0, sizeof *stats);
    double n_seen = (double)c->epochs * (double)N * c->shards * G;
    stats->update = t->update;
    stats->env_steps = t->env_steps;
    stats->lr = lr;
    stats->policy_loss = terms_total[0] / n_seen;
    stats->value_loss = terms_total[1] / n_seen;
    stats->entropy = terms_total[2] / n_seen;
    stats->approx_kl = terms_total[3] / n_seen;
    stats->clip_frac = terms_total[4] / n_seen;
    stats->grad_norm = n_norms ? norm_sum / n_norms : 0;
    /* explained variance and the mean reward of the local rollout */
    size_t n_all = (size_t)c->rollout * (size_t)t->n_worlds * (size_t)t->n_agents;
    double sr = 0, srr = 0, sd = 0, sdd = 0, rew = 0;
    for (size_t i = 0; i < n_all; i++) {
        double r = t->ret[i], d = r - t->value[i];
        sr += r, srr += r * r, sd += d, sdd += d * d;
        rew += t->reward[i];
    }
    double var_r = srr / n_all - (sr / n_all) * (sr / n_all);
    double var_d = sdd / n_all - (sd / n_all) * (sd / n_all);
    stats->explained_var = var_r > 0 ? 1.0 - var_d / var_r : 0.0;
    stats->reward_mean = rew / (double)n_all / c->reward_scale;
    stats->n_episodes = t->n_ep;
    for (int e = 0; e < t->n_ep; e++) {
        const PpoEpisode *ep = &t->ep[e];
        for (int a = 0; a < t->n_agents; a++)
            stats->return_mean += (double)ep->ret[a] / t->n_agents / t->n_ep;
        stats->social.efficiency += ep->social.efficiency / t->n_ep;
        stats->social.equality += ep->social.equality / t->n_ep;
        stats->social.sustainability += ep->social.sustainability / t->n_ep;
        stats->social.peace += ep->social.peace / t->n_ep;
    }
}

void ppo_update(PpoTrainer *t, PpoStats *stats) {
    ppo_rollout_begin(t);
    for (int s = 0; s < t->cfg.rollout; s++) {
        ppo_policy_step(t, s);
        ppo_env_step(t, s);
    }
    ppo_policy_step(t, t->cfg.rollout); /* the values that bootstrap GAE */
    ppo_learn(t, stats);
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

int32_t ppo_policy_act(const PpoPolicy *p, int group, NnWork *ws, const uint8_t *obs, EnvRng *rng,
                       int greedy, int32_t *act) {
    const NnNet *net = &p->net;
    nn_forward(net, p->params + (size_t)group * net->n_params, ws, 1, obs, (size_t)net->in_size);
    const float *o = nn_output(net, ws);
    float lp[256];
    for (int h = 0; h < p->n_heads; h++) {
        int k = p->heads[h];
        nn_log_softmax(1, k, o + net->head_off[h], k, lp);
        act[h] = greedy ? nn_argmax(k, lp) : nn_sample(k, lp, unit_draw(rng));
    }
    return act[0];
}
