/* test_ppo.c: agents/ppo.c. Settings parse, print and read back, and errors name the key and
 * range; the shard reduction sums in the documented pairwise order; the loss's gradient agrees
 * with finite differences (two heads, clipped and unclipped samples); GAE agrees with a naive
 * recursion; a world's rollout does not depend on the batch it is stepped in; gradient clipping
 * and learning-rate annealing do what they say; and on synthetic bandits with two heads PPO
 * learns, with independent parameters learning what shared ones cannot.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ppo.h"

static void test_config(void **state) {
    (void)state;
    PpoConfig c, d;
    EnvError err;
    ppo_config_default(&c);
    assert_int_equal(ppo_config_set(&c, "ppo", "lr", "0.0003", &err), 0);
    assert_int_equal(ppo_config_set(&c, "net", "hidden", "32,16,8", &err), 0);
    assert_int_equal(ppo_config_set(&c, "net", "activation", "tanh", &err), 0);
    assert_int_equal(ppo_config_set(&c, "train", "params", "independent", &err), 0);
    assert_int_equal(ppo_config_set(&c, "train", "steps", "123456789012", &err), 0);
    assert_true(c.lr == 0.0003);
    assert_int_equal(c.n_hidden, 3);
    assert_int_equal(c.hidden[2], 8);
    assert_int_equal(c.activation, NN_TANH);
    assert_int_equal(c.independent, 1);
    assert_true(c.steps == 123456789012LL);

    /* the printed INI reads back to the same settings, key by key */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ppo_config_write_ini(&c, f);
    fclose(f);
    ppo_config_default(&d);
    char section[32] = "";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '[') {
            snprintf(section, sizeof section, "%.*s", (int)(strlen(line) - 2), line + 1);
            continue;
        }
        char key[64], value[128];
        assert_int_equal(sscanf(line, "%63s = %127s", key, value), 2);
        if (ppo_config_set(&d, section, key, value, &err)) fail_msg("%s", err.msg);
    }
    free(text);
    assert_memory_equal(&c, &d, sizeof c);

    /* errors: key, value and the allowed range */
    assert_int_equal(ppo_config_set(&c, "ppo", "lr", "0", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "ppo.lr = 0 is out of range; allowed a number in (0, 1]");
    assert_int_equal(ppo_config_set(&c, "ppo", "epochs", "2.5", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "ppo.epochs = '2.5' is not an integer; allowed 1..1000");
    assert_int_equal(ppo_config_set(&c, "train", "params", "both", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "train.params = 'both' is not allowed; choose shared independent");
    assert_int_equal(ppo_config_set(&c, "net", "hidden", "64,0", &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "net.hidden = '64,0' is not allowed"));
    assert_int_equal(ppo_config_set(&c, "ppo", "lenght", "1", &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "unknown key 'ppo.lenght'"));
    assert_int_equal(ppo_config_set(&c, "net", "hidden", "none", &err), 0);
    assert_int_equal(c.n_hidden, 0);

    /* checks against a world: shards divide worlds, minibatches fit */
    EnvSpec spec = {.n_agents = 2,
                    .n_actions = 8,
                    .obs_h = 5,
                    .obs_w = 5,
                    .obs_c = 3,
                    .obs_size = 75,
                    .max_steps = 100,
                    .n_heads = 1,
                    .head_size = {8}};
    NnArch arch;
    ppo_config_default(&c);
    c.worlds = 6;
    c.shards = 4;
    assert_int_equal(ppo_config_check(&c, &spec, NULL, &arch, &err), ENV_EINPUT);
    assert_string_equal(err.msg,
                        "train.shards = 4 does not divide train.worlds = 6; choose a divisor");
    c.shards = 3;
    c.rollout = 2;
    c.minibatches = 9;
    assert_int_equal(ppo_config_check(&c, &spec, NULL, &arch, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "ppo.minibatches = 9 is more than the 8 samples"));
    c.minibatches = 8;
    assert_int_equal(ppo_config_check(&c, &spec, NULL, &arch, &err), 0);
    assert_int_equal(arch.heads[0], 8);
}

static void test_reduce_order(void **state) {
    (void)state;
    /* values where float addition order shows: ((a + b) + (c + d)) + e */
    float v[5][2] = {{1e8f, 1}, {1, 1e8f}, {-1e8f, 3}, {1, -1e8f}, {0.5f, 7}};
    float *chunks[5];
    float copy[5][2];
    memcpy(copy, v, sizeof v);
    for (int i = 0; i < 5; i++) chunks[i] = copy[i];
    float out[2];
    ppo_tree_sum_f32(chunks, 5, 2, out);
    for (int k = 0; k < 2; k++) {
        float want = ((v[0][k] + v[1][k]) + (v[2][k] + v[3][k])) + v[4][k];
        assert_true(out[k] == want);
    }
    /* a single chunk is copied as is */
    float one[2] = {3, 4};
    float *c1[1] = {one};
    ppo_reduce_local_f32(NULL, c1, 0, 1, 1, 2, out);
    assert_true(out[0] == 3 && out[1] == 4);
    double dv[3][1] = {{1e17}, {1}, {-1e17}}, dout[1];
    double *dc[3] = {dv[0], dv[1], dv[2]};
    ppo_reduce_local_f64(NULL, dc, 0, 3, 3, 1, dout);
    assert_true(dout[0] == (1e17 + 1.0) + -1e17);
}

/* a network with two heads (5 and 2) on a 4x4 ids view */
static void two_head_net(NnNet *net) {
    NnArch a = {.obs_h = 4,
                .obs_w = 4,
                .obs_c = 1,
                .ids = 1,
                .n_ids = ENV_ID_COUNT,
                .conv = 0,
                .hidden = {8},
                .n_hidden = 1,
                .activation = NN_TANH,
                .heads = {5, 2},
                .n_heads = 2};
    EnvError err;
    assert_int_equal(nn_net_init(net, &a, &err), 0);
}

typedef struct LossCtx {
    NnNet net;
    PpoConfig c;
    int n;
    float *out, *dout, *scratch, *logp_old, *adv, *ret;
    int32_t *act;
} LossCtx;

static double loss_at(LossCtx *x) {
    return ppo_loss(&x->net, &x->c, x->n, x->out, x->act, x->logp_old, x->adv, x->ret, 0.25f,
                    x->dout, x->scratch, NULL);
}

static void test_loss_gradient(void **state) {
    (void)state;
    LossCtx x = {.n = 6};
    two_head_net(&x.net);
    ppo_config_default(&x.c);
    x.c.ent_coef = 0.05;
    int no = x.net.n_out;
    x.out = calloc((size_t)x.n * no, sizeof(float));
    x.dout = calloc((size_t)x.n * no, sizeof(float));
    x.scratch = calloc((size_t)no, sizeof(float));
    x.logp_old = calloc((size_t)x.n, sizeof(float));
    x.adv = calloc((size_t)x.n, sizeof(float));
    x.ret = calloc((size_t)x.n, sizeof(float));
    x.act = calloc((size_t)x.n * 2, sizeof(int32_t));
    EnvRng r;
    env_rng_seed(&r, 5);
    for (int i = 0; i < x.n * no; i++) x.out[i] = (float)env_rng_below(&r, 2000) / 500.0f - 2.0f;
    for (int i = 0; i < x.n; i++) {
        x.act[2 * i] = (int32_t)env_rng_below(&r, 5);
        x.act[2 * i + 1] = (int32_t)env_rng_below(&r, 2);
        x.adv[i] = (i % 2 ? 1.0f : -1.0f) * (0.5f + (float)i / 4);
        x.ret[i] = (float)i - 2.5f;
    }
    /* old log-probabilities that put the ratios inside and outside the clip range */
    float scratch[8];
    const float shift[6] = {0.0f, 0.1f, -0.1f, 0.6f, -0.6f, 0.05f};
    for (int i = 0; i < x.n; i++) {
        float lp = 0;
        for (int h = 0; h < 2; h++) {
            int off = x.net.head_off[h], k = x.net.arch.heads[h];
            nn_log_softmax(1, k, x.out + i * no + off, k, scratch);
            lp += scratch[x.act[2 * i + h]];
        }
        x.logp_old[i] = lp - shift[i];
    }
    double terms[5] = {0};
    ppo_loss(&x.net, &x.c, x.n, x.out, x.act, x.logp_old, x.adv, x.ret, 0.25f, x.dout, x.scratch,
             terms);
    float *analytic = calloc((size_t)x.n * no, sizeof(float));
    memcpy(analytic, x.dout, sizeof(float) * (size_t)x.n * no);
    /* samples 3 and 4 are outside the range: clipped, counted */
    assert_true(terms[4] >= 2.0);
    for (int i = 0; i < x.n * no; i++) {
        float keep = x.out[i], h = 1e-3f;
        x.out[i] = keep + h;
        double up = loss_at(&x);
        x.out[i] = keep - h;
        double down = loss_at(&x);
        x.out[i] = keep;
        double num = (up - down) / (2 * h);
        if (fabs(num - analytic[i]) > 2e-3 * (1 + fabs(num)))
            fail_msg("dloss/dout[%d]: analytic %.6g, finite differences %.6g", i, analytic[i], num);
    }
    /* a clipped sample whose clipped term is the larger one has no policy gradient: only the
     * entropy term remains on its logits */
    int clipped = -1;
    for (int i = 0; i < x.n; i++) {
        float ratio = expf(shift[i]);
        if ((x.adv[i] > 0 && ratio > 1.2f) || (x.adv[i] < 0 && ratio < 0.8f)) clipped = i;
    }
    assert_true(clipped >= 0);
    LossCtx y = x;
    y.c.ent_coef = 0;
    loss_at(&y);
    for (int j = 0; j < no - 1; j++) assert_true(y.dout[clipped * no + j] == 0.0f);
    free(analytic), free(x.out), free(x.dout), free(x.scratch), free(x.logp_old), free(x.adv),
        free(x.ret), free(x.act);
}

/* a bandit: every step ends an episode; context in cell 0 (ids 0..5) */
typedef struct Bandit {
    EnvRng rng;
    int per_agent; /* 1: agent a's target for head 0 is (ctx + a) % 3 */
} Bandit;

static void bandit_obs(Bandit *b, uint8_t *obs, int n) {
    for (int i = 0; i < n; i++) {
        obs[3 * i] = (uint8_t)env_rng_below(&b->rng, 6);
        obs[3 * i + 1] = (uint8_t)env_rng_below(&b->rng, 3);
        obs[3 * i + 2] = 1;
    }
}

static EnvSpec bandit_spec(void) {
    EnvSpec s = {.n_agents = 2,
                 .n_actions = 3,
                 .obs_h = 1,
                 .obs_w = 3,
                 .obs_c = 1,
                 .obs_size = 3,
                 .max_steps = 0,
                 .encoding = ENV_ENC_IDS,
                 .n_heads = 2,
                 .head_size = {3, 2}};
    return s;
}

/* runs updates of the bandit with PPO; returns the mean reward of the last 5 (or fewer) */
static double run_bandit(PpoTrainer *t, Bandit *b, int updates) {
    int T = t->cfg.rollout, W = t->n_worlds, A = t->n_agents;
    size_t step_bytes = (size_t)W * A * 3;
    bandit_obs(b, t->obs + (size_t)T * step_bytes, W * A);
    double recent = 0;
    for (int u = 0; u < updates; u++) {
        ppo_rollout_begin(t);
        double total = 0;
        for (int s = 0; s < T; s++) {
            ppo_policy_step(t, s);
            const uint8_t *obs = t->obs + (size_t)s * step_bytes;
            for (int i = 0; i < W * A; i++) {
                int ctx = obs[3 * i], a = i % A;
                const int32_t *act = t->act + ((size_t)s * W * A + (size_t)i) * 2;
                int target0 = b->per_agent ? (ctx + a) % 3 : ctx % 3;
                float r = (act[0] == target0) + (act[1] == ctx / 3);
                t->reward[(size_t)s * W * A + (size_t)i] = r;
                total += r;
            }
            for (int w = 0; w < W; w++) t->term[(size_t)s * W + (size_t)w] = 1;
            bandit_obs(b, t->obs + (size_t)(s + 1) * step_bytes, W * A);
        }
        ppo_policy_step(t, T);
        ppo_learn(t, NULL);
        int last = updates < 5 ? updates : 5;
        if (u >= updates - last) recent += total / (T * W * A) / last;
    }
    return recent;
}

static void bandit_config(PpoConfig *c) {
    ppo_config_default(c);
    c->worlds = 8;
    c->shards = 2;
    c->rollout = 16;
    c->minibatches = 2;
    c->epochs = 4;
    c->lr = 0.01;
    c->anneal_lr = 0;
    c->ent_coef = 0.001;
    c->hidden[0] = 32;
    c->n_hidden = 1;
    c->steps = 1000000;
}

static void test_two_heads_learn(void **state) {
    (void)state;
    PpoConfig c;
    bandit_config(&c);
    EnvSpec spec = bandit_spec();
    EnvError err;
    PpoTrainer t;
    if (ppo_trainer_init(&t, &c, &spec, NULL, 0, c.shards, &err)) fail_msg("%s", err.msg);
    assert_int_equal(t.n_heads, 2);
    Bandit b;
    env_rng_seed(&b.rng, 1);
    b.per_agent = 0;
    /* random play earns 1/3 + 1/2; both heads learned earn 2 */
    double first = run_bandit(&t, &b, 1);
    double last = run_bandit(&t, &b, 60);
    print_message("bandit, shared parameters: reward %.3f -> %.3f\n", first, last);
    assert_true(first > 0.6 && first < 1.1);
    assert_true(last > 1.85);
    ppo_trainer_close(&t);
}

static void test_independent_learners(void **state) {
    (void)state;
    /* each agent has its own target: one shared policy cannot serve both, independent ones can */
    double result[2];
    for (int mode = 0; mode < 2; mode++) {
        PpoConfig c;
        bandit_config(&c);
        c.independent = mode;
        EnvSpec spec = bandit_spec();
        EnvError err;
        PpoTrainer t;
        if (ppo_trainer_init(&t, &c, &spec, NULL, 0, c.shards, &err)) fail_msg("%s", err.msg);
        assert_int_equal(t.n_groups, mode ? 2 : 1);
        Bandit b;
        env_rng_seed(&b.rng, 2);
        b.per_agent = 1;
        result[mode] = run_bandit(&t, &b, 60);
        if (mode) {
            /* the groups started and ended apart */
            size_t n = t.model.n;
            assert_true(memcmp(t.model.params, t.model.params + n, sizeof(float) * n) != 0);
        }
        ppo_trainer_close(&t);
    }
    print_message("per-agent targets: shared %.3f, independent %.3f\n", result[0], result[1]);
    assert_true(result[1] > 1.85);
    assert_true(result[0] < 1.6);
}

static void test_gae(void **state) {
    (void)state;
    PpoConfig c;
    bandit_config(&c);
    c.rollout = 5;
    c.worlds = 2;
    c.shards = 1;
    c.minibatches = 1;
    c.epochs = 1;
    c.gamma = 0.9;
    c.gae_lambda = 0.8;
    EnvSpec spec = bandit_spec();
    EnvError err;
    PpoTrainer t;
    if (ppo_trainer_init(&t, &c, &spec, NULL, 0, 1, &err)) fail_msg("%s", err.msg);
    int T = 5, W = 2, A = 2;
    ppo_rollout_begin(&t);
    for (int s = 0; s <= T; s++) ppo_policy_step(&t, s);
    for (int i = 0; i < T * W * A; i++) t.reward[i] = (float)(i % 7) - 2.0f;
    memset(t.term, 0, (size_t)T * W);
    memset(t.trunc, 0, (size_t)T * W);
    t.term[2 * W + 1] = 1; /* world 1 ends its episode at step 2 */
    float value[6 * 4];
    memcpy(value, t.value, sizeof value);
    ppo_learn(&t, NULL);
    /* the recursion in double, from its definition */
    for (int w = 0; w < W; w++)
        for (int a = 0; a < A; a++) {
            double next_adv = 0;
            for (int s = T - 1; s >= 0; s--) {
                int idx = (s * W + w) * A + a, nxt = idx + W * A;
                double live = t.term[s * W + w] ? 0 : 1;
                double delta = t.reward[idx] + 0.9 * value[nxt] * live - value[idx];
                next_adv = delta + 0.9 * 0.8 * live * next_adv;
                assert_true(fabs(t.adv[idx] - next_adv) < 1e-5);
                assert_true(fabs(t.ret[idx] - (next_adv + value[idx])) < 1e-5);
            }
        }
    ppo_trainer_close(&t);
}

static void test_clip_and_anneal(void **state) {
    (void)state;
    PpoConfig c;
    bandit_config(&c);
    c.max_grad_norm = 1e-3;
    c.anneal_lr = 1;
    c.steps = 8 * 16 * 10; /* 10 updates */
    EnvSpec spec = bandit_spec();
    EnvError err;
    PpoTrainer t;
    if (ppo_trainer_init(&t, &c, &spec, NULL, 0, c.shards, &err)) fail_msg("%s", err.msg);
    assert_int_equal(t.n_updates, 10);
    assert_true(fabs(ppo_lr(&c, 0, 10) - 0.01) < 1e-12);
    assert_true(fabs(ppo_lr(&c, 5, 10) - 0.005) < 1e-12);
    assert_true(fabs(ppo_lr(&c, 9, 10) - 0.001) < 1e-12);
    Bandit b;
    env_rng_seed(&b.rng, 3);
    run_bandit(&t, &b, 1);
    /* the gradient the last Adam step used was clipped to the norm */
    double norm = nn_norm(t.model.grads, t.model.n);
    assert_true(norm <= 1e-3 * (1 + 1e-4));
    assert_true(norm > 0.5e-3);
    assert_int_equal(t.update, 1);
    assert_int_equal(t.model.adam_steps, c.epochs * c.minibatches);
    ppo_trainer_close(&t);
}

int main(void) {
    nn_blas_single_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_reduce_order),
        cmocka_unit_test(test_loss_gradient),
        cmocka_unit_test(test_gae),
        cmocka_unit_test(test_clip_and_anneal),
        cmocka_unit_test(test_two_heads_learn),
        cmocka_unit_test(test_independent_learners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
