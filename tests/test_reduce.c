/* test_reduce.c: the PPO trainer's sums across shards and its truncation bootstrap (agents/ppo.c).
 * The tree finished from any split's subtree sums (ppo_tree_cover, ppo_tree_presum_*) gives the
 * bits of the tree over every chunk; trainers holding complementary shard ranges, each in its own
 * thread and combined through the PpoReduce hook, end with the one-trainer parameters, Adam
 * moments and logged statistics bit for bit (6 shards as 4+2, 3+3, 2+2+2; 16 as 8+8); and on a
 * synthetic task a truncated episode's return is r + gamma V(final observation), a terminated
 * one's r alone, with the trace never crossing an episode end.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppo.h"
#include "train.h"

/* ---- the tree ---- */

/* values where the order of float additions shows */
static float wild(EnvRng *r) {
    float mag[4] = {1e-3f, 1.0f, 1e4f, 1e8f};
    float x = mag[env_rng_below(r, 4)] * (1.0f + (float)env_rng_below(r, 1000) / 999.0f);
    return env_rng_below(r, 2) ? x : -x;
}

/* the tree over all S chunks against the same tree finished from the subtree sums of the
 * holders of the ranges cut at cuts[0] < cuts[1] < ... (n_cuts of them inside 1..S-1) */
static void check_split(int S, const int *cuts, int n_cuts, EnvRng *r) {
    enum { N = 3 };
    float *full = malloc(sizeof(float) * N * (size_t)S),
          *part = malloc(sizeof(float) * N * (size_t)S);
    double *dfull = malloc(sizeof(double) * N * (size_t)S),
           *dpart = malloc(sizeof(double) * N * (size_t)S);
    float *fc[64], *pc[64], *nodes[64];
    double *dfc[64], *dpc[64], *dnodes[64];
    for (int i = 0; i < N * S; i++) {
        full[i] = part[i] = wild(r);
        dfull[i] = dpart[i] = (double)wild(r) * (1.0 + 1e-9 * (double)env_rng_below(r, 1000));
    }
    for (int s = 0; s < S; s++) {
        fc[s] = full + N * s, pc[s] = part + N * s, nodes[s] = NULL;
        dfc[s] = dfull + N * s, dpc[s] = dpart + N * s, dnodes[s] = NULL;
    }
    float want[N], got[N];
    double dwant[N], dgot[N];
    ppo_tree_sum_f32(fc, S, N, want);
    ppo_tree_sum_f64(dfc, S, N, dwant);
    for (int h = 0; h <= n_cuts; h++) {
        int first = h ? cuts[h - 1] : 0, end = h < n_cuts ? cuts[h] : S;
        int start[PPO_TREE_MAX_NODES], dstart[PPO_TREE_MAX_NODES];
        int n = ppo_tree_presum_f32(pc + first, first, end - first, S, N, start);
        int dn = ppo_tree_presum_f64(dpc + first, first, end - first, S, N, dstart);
        assert_int_equal(n, dn);
        for (int j = 0; j < n; j++)
            nodes[start[j]] = pc[start[j]], dnodes[dstart[j]] = dpc[dstart[j]];
    }
    ppo_tree_sum_f32(nodes, S, N, got);
    ppo_tree_sum_f64(dnodes, S, N, dgot);
    if (memcmp(want, got, sizeof want) || memcmp(dwant, dgot, sizeof dwant))
        fail_msg("%d shards cut %d times at %d: the finished tree differs from the full one", S,
                 n_cuts, n_cuts ? cuts[0] : -1);
    free(full), free(part), free(dfull), free(dpart);
}

static void test_tree_from_subtrees(void **state) {
    (void)state;
    /* the documented covers */
    int start[PPO_TREE_MAX_NODES], size[PPO_TREE_MAX_NODES];
    assert_int_equal(ppo_tree_cover(0, 4, 6, start, size), 1);
    assert_true(start[0] == 0 && size[0] == 4);
    assert_int_equal(ppo_tree_cover(4, 2, 6, start, size), 1);
    assert_true(start[0] == 4 && size[0] == 2);
    assert_int_equal(ppo_tree_cover(3, 3, 6, start, size), 2);
    assert_true(start[0] == 3 && size[0] == 1 && start[1] == 4 && size[1] == 2);
    assert_int_equal(ppo_tree_cover(0, 6, 6, start, size), 1);
    assert_int_equal(size[0], 6);
    assert_int_equal(ppo_tree_cover(1, 14, 16, start, size), 6); /* 1, 2-3, 4-7, 8-11, 12-13, 14 */
    assert_true(start[2] == 4 && size[2] == 4 && start[5] == 14 && size[5] == 1);
    assert_true(ppo_tree_cover(1, 4094, 4096, start, size) <= PPO_TREE_MAX_NODES);
    /* every split in two and in three of 1..40 shards finishes with the full tree's bits */
    EnvRng r;
    env_rng_seed(&r, 77);
    for (int S = 1; S <= 40; S++) {
        check_split(S, NULL, 0, &r);
        for (int a = 1; a < S; a++) {
            check_split(S, &a, 1, &r);
            for (int b = a + 1; b < S; b += 3) check_split(S, (int[]){a, b}, 2, &r);
        }
    }
    /* the default hook over one trainer's chunks is the tree */
    float v[3][1] = {{1e8f}, {1}, {-1e8f}}, out;
    float *c[3] = {v[0], v[1], v[2]};
    ppo_reduce_local_f32(NULL, c, 0, 3, 3, 1, &out);
    assert_true(out == (1e8f + 1.0f) + -1e8f);
}

/* ---- trainers in threads ---- */

/* the combiner the trainers share: each presums its subtrees, publishes their roots at their
 * global shard index, and the holder of shard 0 finishes the tree for all */
typedef struct Combiner {
    pthread_barrier_t barrier;
    int total;
    float **f32;  /* (total,) subtree roots, NULL inside subtrees */
    double **f64; /* (total,) */
    float *res32; /* (n,) the finished sum */
    double res64[64];
} Combiner;

static void publish(void **slots, void *const *chunks, int first, int count, const int *start,
                    int nodes) {
    for (int k = 0; k < count; k++) slots[first + k] = NULL;
    for (int j = 0; j < nodes; j++) slots[start[j]] = chunks[start[j] - first];
}

static void combine_f32(void *ctx, float *const *chunks, int first, int count, int total, size_t n,
                        float *out) {
    Combiner *c = ctx;
    if (total != c->total) abort(); /* no cmocka assertion off the main thread */
    int start[PPO_TREE_MAX_NODES];
    int nodes = ppo_tree_presum_f32(chunks, first, count, total, n, start);
    publish((void **)c->f32, (void *const *)chunks, first, count, start, nodes);
    pthread_barrier_wait(&c->barrier);
    if (first == 0) ppo_tree_sum_f32(c->f32, total, n, c->res32);
    pthread_barrier_wait(&c->barrier);
    memcpy(out, c->res32, sizeof(float) * n);
}

static void combine_f64(void *ctx, double *const *chunks, int first, int count, int total, size_t n,
                        double *out) {
    Combiner *c = ctx;
    if (total != c->total || n > 64) abort();
    int start[PPO_TREE_MAX_NODES];
    int nodes = ppo_tree_presum_f64(chunks, first, count, total, n, start);
    publish((void **)c->f64, (void *const *)chunks, first, count, start, nodes);
    pthread_barrier_wait(&c->barrier);
    if (first == 0) ppo_tree_sum_f64(c->f64, total, n, c->res64);
    pthread_barrier_wait(&c->barrier);
    memcpy(out, c->res64, sizeof(double) * n);
}

typedef struct Job {
    SimTrainer *t;
    int updates;
    PpoStats stats;
} Job;

static void *run_updates(void *arg) {
    Job *j = arg;
    for (int u = 0; u < j->updates; u++) sim_trainer_update(j->t, &j->stats);
    return NULL;
}

static void same_stats(const PpoStats *a, const PpoStats *b) {
    assert_int_equal(a->update, b->update);
    assert_int_equal(a->env_steps, b->env_steps);
    assert_int_equal(a->n_episodes, b->n_episodes);
    const double *x[] = {&a->lr,          &a->policy_loss, &a->value_loss,      &a->entropy,
                         &a->approx_kl,   &a->clip_frac,   &a->grad_norm,       &a->explained_var,
                         &a->reward_mean, &a->return_mean, &a->social.equality, &a->social.peace};
    const double *y[] = {&b->lr,          &b->policy_loss, &b->value_loss,      &b->entropy,
                         &b->approx_kl,   &b->clip_frac,   &b->grad_norm,       &b->explained_var,
                         &b->reward_mean, &b->return_mean, &b->social.equality, &b->social.peace};
    for (int i = 0; i < (int)(sizeof x / sizeof x[0]); i++)
        if (memcmp(x[i], y[i], sizeof(double)))
            fail_msg("statistic %d: %.17g split, %.17g in one trainer", i, *x[i], *y[i]);
    assert_memory_equal(&a->social, &b->social, sizeof a->social);
}

/* what the worlds of a case say to each other */
enum { SILENT = 0, SIGNALS, GNN_SIGNAL, GNN_DIFF };

/* gathering-small, one world per shard, episodes of 10 steps cut inside the rollouts of 8;
 * communicating cases hear each other, send 2 bits and share rewards */
static void split_config(PpoConfig *c, SimConfig *env, int shards, int independent, int comm) {
    SimParams p;
    if (comm == SILENT)
        th_sim_params(&p, "gathering-small", "obs.encoding=ids", "env.max_steps=10", NULL);
    else
        th_sim_params(&p, "gathering-small", "obs.encoding=ids", "env.max_steps=10",
                      "comm.topology=full", "comm.signal_bits=2", "rewards.share=neighbours",
                      "rewards.alpha=0.5", NULL);
    EnvError err;
    if (sim_config_init(env, &p, &err)) fail_msg("%s", err.msg);
    ppo_config_default(c);
    c->worlds = shards;
    c->shards = shards;
    c->rollout = 8;
    c->minibatches = 2;
    c->epochs = 2;
    c->hidden[0] = 16;
    c->n_hidden = 1;
    c->seed = 21;
    c->lr = 3e-3;
    c->independent = independent;
    c->steps = (int64_t)shards * 8 * 4;
    if (comm >= GNN_SIGNAL) {
        c->gnn_rounds = 2;
        c->gnn_agg = COMM_AGG_MAX;
        c->gnn_mode = comm == GNN_DIFF;
        c->gnn_estimator = comm == GNN_DIFF; /* the noisy sigmoid */
        c->gnn_noise = comm == GNN_DIFF ? 0.5 : 0;
        c->minibatches = 4;
    }
}

/* trainers holding the ranges of sizes parts[0], parts[1], ... run `updates` updates in threads
 * and end as the one trainer holding every shard */
static void split_case(int shards, const int *parts, int n_parts, int independent, int comm) {
    enum { UPDATES = 4 };
    PpoConfig c;
    SimConfig env;
    split_config(&c, &env, shards, independent, comm);
    EnvError err;
    SimTrainer sone;
    if (sim_trainer_init(&sone, &c, &env, 0, shards, &err)) fail_msg("%s", err.msg);
    const PpoTrainer *one = &sone.ppo;
    Job ref = {&sone, UPDATES, {0}};
    run_updates(&ref);

    Combiner comb = {.total = shards};
    pthread_barrier_init(&comb.barrier, NULL, (unsigned)n_parts);
    comb.f32 = calloc((size_t)shards, sizeof(float *));
    comb.f64 = calloc((size_t)shards, sizeof(double *));
    size_t n_floats = one->model.n * (size_t)one->model.n_groups;
    comb.res32 = malloc(sizeof(float) * n_floats);
    SimTrainer t[4];
    Job job[4];
    pthread_t th[4];
    for (int h = 0, first = 0; h < n_parts; first += parts[h++]) {
        if (sim_trainer_init(&t[h], &c, &env, first, parts[h], &err)) fail_msg("%s", err.msg);
        t[h].ppo.reduce = (PpoReduce){combine_f32, combine_f64, &comb};
        job[h] = (Job){&t[h], UPDATES, {0}};
    }
    for (int h = 0; h < n_parts; h++) pthread_create(&th[h], NULL, run_updates, &job[h]);
    for (int h = 0; h < n_parts; h++) pthread_join(th[h], NULL);

    size_t bytes = sizeof(float) * n_floats;
    for (int h = 0; h < n_parts; h++) {
        assert_memory_equal(t[h].ppo.model.params, one->model.params, bytes);
        assert_memory_equal(t[h].ppo.model.m, one->model.m, bytes);
        assert_memory_equal(t[h].ppo.model.v, one->model.v, bytes);
        assert_int_equal(t[h].ppo.model.adam_steps, one->model.adam_steps);
        same_stats(&job[h].stats, &ref.stats);
    }
    /* episodes ended inside the rollouts (so truncations were bootstrapped) and were counted over
     * every shard */
    assert_true(ref.stats.n_episodes == shards);
    assert_true(ref.stats.explained_var != 0 && isfinite(ref.stats.explained_var));
    for (int h = 0; h < n_parts; h++) sim_trainer_close(&t[h]);
    sim_trainer_close(&sone);
    pthread_barrier_destroy(&comb.barrier);
    free(comb.f32), free(comb.f64), free(comb.res32);
    sim_config_close(&env);
}

static void test_split_4_2(void **state) {
    (void)state;
    split_case(6, (int[]){4, 2}, 2, 0, SILENT);
}

static void test_split_3_3(void **state) {
    (void)state;
    split_case(6, (int[]){3, 3}, 2, 0, SILENT);
}

static void test_split_2_2_2(void **state) {
    (void)state;
    split_case(6, (int[]){2, 2, 2}, 3, 0, SILENT);
    split_case(6, (int[]){1, 3, 2}, 3, 1, SILENT); /* independent learners, uneven ranges */
}

static void test_split_8_8(void **state) {
    (void)state;
    split_case(16, (int[]){8, 8}, 2, 0, SILENT);
}

/* communicating worlds: a world's weights are the same whether its shard is trained with all the
 * others in one trainer or apart (signal heads and messages, independent learners; the GNN in
 * both modes) */
static void test_split_comm(void **state) {
    (void)state;
    split_case(6, (int[]){4, 2}, 2, 1, SIGNALS);
    split_case(6, (int[]){3, 3}, 2, 0, GNN_SIGNAL);
    split_case(6, (int[]){1, 3, 2}, 3, 0, GNN_DIFF);
}

/* a communicating run stopped at a checkpoint in the middle of episodes and resumed from it in a
 * new trainer ends with the weights of the run that never stopped */
static void resume_case(int comm) {
    PpoConfig c;
    SimConfig env;
    split_config(&c, &env, 4, 0, comm);
    EnvError err;
    SimTrainer a, b, r;
    if (sim_trainer_init(&a, &c, &env, 0, 4, &err) || sim_trainer_init(&b, &c, &env, 0, 4, &err))
        fail_msg("%s", err.msg);
    for (int u = 0; u < 4; u++) sim_trainer_update(&a, NULL);
    for (int u = 0; u < 2; u++) sim_trainer_update(&b, NULL);
    /* 16 steps in: every episode of 10 steps is 6 steps old, its signals in the channel */
    assert_int_equal(b.batch.worlds[0].tick, 6);
    char path[128];
    snprintf(path, sizeof path, "/tmp/commons_reduce_%d_%d.ckpt", (int)getpid(), comm);
    if (sim_trainer_save(&b, "[env]\npreset = gathering-small\n", path, &err))
        fail_msg("%s", err.msg);
    PpoCheckpoint ck;
    if (ppo_checkpoint_load(&ck, path, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ck.n_bits, 2);
    if (sim_trainer_init(&r, &c, &env, 0, 4, &err) || sim_trainer_restore(&r, &ck, &err))
        fail_msg("%s", err.msg);
    for (int u = 0; u < 2; u++) sim_trainer_update(&r, NULL);
    size_t bytes = sizeof(float) * a.ppo.model.n * (size_t)a.ppo.model.n_groups;
    assert_memory_equal(r.ppo.model.params, a.ppo.model.params, bytes);
    assert_memory_equal(r.ppo.model.v, a.ppo.model.v, bytes);
    /* without the bits the channel is wrong: the replayed worlds hear other messages */
    SimTrainer q;
    for (int k = 0; k < ck.n_worlds; k++) ck.world[k].bits = NULL;
    if (sim_trainer_init(&q, &c, &env, 0, 4, &err) || sim_trainer_restore(&q, &ck, &err))
        fail_msg("%s", err.msg);
    for (int u = 0; u < 2; u++) sim_trainer_update(&q, NULL);
    assert_true(memcmp(q.ppo.model.params, a.ppo.model.params, bytes) != 0);
    sim_trainer_close(&q);
    ppo_checkpoint_close(&ck);
    remove(path);
    sim_trainer_close(&a);
    sim_trainer_close(&b);
    sim_trainer_close(&r);
    sim_config_close(&env);
}

static void test_resume_comm(void **state) {
    (void)state;
    resume_case(SIGNALS);
    resume_case(GNN_SIGNAL);
    resume_case(GNN_DIFF);
}

/* ---- the truncation bootstrap ---- */

static EnvSpec cells_spec(void) {
    EnvSpec s = {.n_agents = 2,
                 .n_actions = 3,
                 .obs_h = 1,
                 .obs_w = 3,
                 .obs_c = 1,
                 .obs_size = 3,
                 .max_steps = 0,
                 .encoding = ENV_ENC_IDS,
                 .n_heads = 1,
                 .head_size = {3}};
    return s;
}

/* agent a's value of one observation, by the network alone */
static float value_of(PpoTrainer *t, NnWork *ws, int a, const uint8_t *obs) {
    const NnNet *net = &t->model.net;
    int g = t->cfg.independent ? a : 0;
    nn_forward(net, t->model.params + (size_t)g * t->model.n, ws, 1, obs, t->spec.obs_size);
    return nn_output(net, ws)[net->n_out - 1];
}

/* reward 1 every step; world w's episodes last L = 3 + w steps; world 1's end in a terminal
 * state, the others' are cut by the time limit; the final observation differs from the next
 * episode's first */
static void bootstrap_case(int independent) {
    PpoConfig c;
    ppo_config_default(&c);
    c.worlds = 4;
    c.shards = 2;
    c.rollout = 9;
    c.minibatches = 1;
    c.epochs = 1;
    c.gamma = 0.9;
    c.gae_lambda = 0.7;
    c.reward_scale = 2;
    c.hidden[0] = 16;
    c.n_hidden = 1;
    c.independent = independent;
    EnvSpec spec = cells_spec();
    EnvError err;
    PpoTrainer t;
    if (ppo_trainer_init(&t, &c, &spec, NULL, 0, c.shards, &err)) fail_msg("%s", err.msg);
    int T = c.rollout, W = 4, A = 2, O = 3;
    size_t step_bytes = (size_t)W * A * O;
    uint8_t final_obs[4 * 2 * 3];
    float rewards[4 * 2], boot_want[9][4][2];
    uint8_t term[4], trunc[4];
    NnWork ws;
    assert_int_equal(nn_work_init(&ws, &t.model.net, 1), 0);
    for (size_t i = 0; i < step_bytes; i++) t.obs[(size_t)T * step_bytes + i] = (uint8_t)(i % 5);
    ppo_rollout_begin(&t);
    for (int s = 0; s < T; s++) {
        ppo_policy_step(&t, s);
        uint8_t *next = t.obs + (size_t)(s + 1) * step_bytes;
        memset(final_obs, 0xEE, sizeof final_obs); /* rows of running worlds must not be read */
        for (int w = 0; w < W; w++) {
            int L = 3 + w, end = (s + 1) % L == 0;
            term[w] = (uint8_t)(end && w == 1);
            trunc[w] = (uint8_t)(end && w != 1);
            for (int a = 0; a < A; a++) {
                rewards[w * A + a] = 1.0f;
                uint8_t *o = next + ((size_t)w * A + (size_t)a) * O;
                o[0] = end ? 1 : (uint8_t)((s + a) % 6), o[1] = (uint8_t)(w % 3), o[2] = 1;
                if (!end) continue;
                uint8_t *f = final_obs + ((size_t)w * A + (size_t)a) * O;
                f[0] = (uint8_t)(2 + (s + w + a) % 4), f[1] = (uint8_t)a, f[2] = 2;
                boot_want[s][w][a] = value_of(&t, &ws, a, f);
                /* the test has teeth: the next episode's first observation has another value */
                assert_true(fabsf(boot_want[s][w][a] - value_of(&t, &ws, a, o)) > 1e-4f);
            }
        }
        ppo_record_step(&t, s, rewards, term, trunc, final_obs);
    }
    ppo_policy_step(&t, T);
    float value[10 * 4 * 2];
    memcpy(value, t.value, sizeof value);
    ppo_learn(&t, NULL);
    for (int w = 0; w < W; w++)
        for (int a = 0; a < A; a++) {
            double adv = 0;
            for (int s = T - 1; s >= 0; s--) {
                int idx = (s * W + w) * A + a, nxt = idx + W * A, L = 3 + w;
                int end = (s + 1) % L == 0;
                assert_true(t.reward[idx] == 2.0f);
                if (end && w == 1) {
                    /* a termination: the reward alone */
                    assert_true(fabs(t.ret[idx] - 2.0) < 1e-5);
                } else if (end) {
                    /* a truncation: the reward and the final observation's discounted value */
                    assert_true(fabs(t.boot[idx] - boot_want[s][w][a]) < 1e-6);
                    assert_true(fabs(t.ret[idx] - (2.0 + 0.9 * boot_want[s][w][a])) < 1e-5);
                }
                /* the recursion in double, the trace stopping at every end */
                double v_next = end ? (w == 1 ? 0.0 : (double)boot_want[s][w][a]) : value[nxt];
                double delta = 2.0 + 0.9 * v_next - value[idx];
                adv = delta + (end ? 0.0 : 0.9 * 0.7 * adv);
                if (fabs(t.adv[idx] - adv) > 1e-5)
                    fail_msg("world %d agent %d step %d: advantage %.7g, expected %.7g", w, a, s,
                             t.adv[idx], adv);
            }
        }
    nn_work_close(&ws);
    ppo_trainer_close(&t);
}

static void test_truncation_bootstrap(void **state) {
    (void)state;
    bootstrap_case(0);
    bootstrap_case(1);
}

int main(void) {
    nn_blas_single_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_from_subtrees), cmocka_unit_test(test_split_4_2),
        cmocka_unit_test(test_split_3_3),          cmocka_unit_test(test_split_2_2_2),
        cmocka_unit_test(test_split_8_8),          cmocka_unit_test(test_split_comm),
        cmocka_unit_test(test_resume_comm),        cmocka_unit_test(test_truncation_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
