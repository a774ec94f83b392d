/* test_tragedy.c: the Tragedy water pool (env/tragedy.c) against trajectories computed by hand.
 *
 * Pool units are 1 / (N * 1e9) of a full pool: with N = 4 a full pool is 4e9, the start (0.5)
 * 2e9, one valve's take (0.1 / 4) 1e8, the regrowth 0.055 2.2e8. Each test steps a world and
 * checks the level, every reward, the restraint counts and the step that ends the episode; then
 * the observation bytes, the features, the picture, a golden state hash, and the config errors
 * (in the library and as the CLI's exit 2).
 */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

#define TAKE ENV_TRAGEDY_TAKE
#define WAIT ENV_TRAGEDY_WAIT

typedef struct T {
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
} T;

/* the tragedy preset with overrides (NULL-ended) */
static void open_world(T *t, const char *set1, const char *set2, const char *set3) {
    EnvError err = {0};
    th_params(&t->p, "tragedy", set1, set2, set3, (const char *)NULL);
    if (env_config_init(&t->cfg, &t->p, &err)) fail_msg("%s", err.msg);
    if (env_world_init(&t->w, &t->cfg, 7, 0, &err)) fail_msg("%s", err.msg);
}

static void close_world(T *t) {
    env_world_close(&t->w);
    env_config_close(&t->cfg);
}

/* one step with the same action for every agent, or per agent when acts is not NULL */
static int step(T *t, int all, const int32_t *acts, float *r) {
    int32_t a[ENV_MAX_AGENTS];
    for (int i = 0; i < t->p.n_agents; i++) a[i] = acts ? acts[i] : all;
    return env_step(&t->w, a, r);
}

/* everyone takes at regrowth 0.055: the pool loses 1.8e8 a step and runs dry in step 10 */
static void test_all_take_depletes(void **state) {
    (void)state;
    T t;
    open_world(&t, NULL, NULL, NULL);
    assert_int_equal(t.w.pool, 2000000000LL);
    float r[4];
    for (int k = 1; k <= 9; k++) {
        assert_int_equal(step(&t, TAKE, NULL, r), ENV_RUNNING);
        assert_int_equal(t.w.pool, 2000000000LL - 180000000LL * k);
        for (int i = 0; i < 4; i++) assert_true(r[i] == 1.0f);
    }
    /* step 10: 3.8e8 - 4e8 = -2e7 <= 0: terminated, nobody rewarded, no regrowth */
    assert_int_equal(step(&t, TAKE, NULL, r), ENV_TERMINATED);
    assert_int_equal(t.w.pool, -20000000LL);
    assert_int_equal(t.w.depleted, 1);
    assert_int_equal(t.w.tick, 10);
    for (int i = 0; i < 4; i++) {
        assert_true(r[i] == 0.0f);
        assert_int_equal(t.w.metrics.ret[i], 9);
        assert_int_equal(t.w.metrics.waited[i], 0);
    }
    EnvSocial s;
    env_metrics_finish(&t.w.metrics, &s);
    assert_true(s.restraint == 0.0);
    assert_float_equal(s.efficiency, 36.0 / 10.0, 1e-12);
    close_world(&t);

    /* at the paper's slowest regrowth, 0.03, the pool runs dry in step 7 (1.2e8 a step) */
    open_world(&t, "tragedy.regrowth=0.03", NULL, NULL);
    for (int k = 1; k <= 6; k++) assert_int_equal(step(&t, TAKE, NULL, r), ENV_RUNNING);
    assert_int_equal(t.w.pool, 2000000000LL - 280000000LL * 6);
    assert_int_equal(step(&t, TAKE, NULL, r), ENV_TERMINATED);
    assert_int_equal(t.w.pool, 320000000LL - 400000000LL);
    close_world(&t);
}

/* everyone waits: the pool fills to the cap in step 10, the episode is truncated at max_steps */
static void test_all_wait(void **state) {
    (void)state;
    T t;
    open_world(&t, "env.max_steps=12", NULL, NULL);
    float r[4];
    for (int k = 1; k <= 12; k++) {
        int end = step(&t, WAIT, NULL, r);
        assert_int_equal(end, k == 12 ? ENV_TRUNCATED : ENV_RUNNING);
        int64_t want = 2000000000LL + 220000000LL * k;
        assert_int_equal(t.w.pool, want < 4000000000LL ? want : 4000000000LL);
        for (int i = 0; i < 4; i++) assert_true(r[i] == 0.0f);
    }
    assert_int_equal(t.w.pool, 4000000000LL);
    EnvSocial s;
    env_metrics_finish(&t.w.metrics, &s);
    assert_true(s.restraint == 1.0);
    assert_true(s.efficiency == 0.0);
    close_world(&t);
}

/* two take, two wait: +2e7 a step; only the takers are rewarded; restraint 0, 0, 1, 1 */
static void test_mixed(void **state) {
    (void)state;
    T t;
    open_world(&t, "env.max_steps=20", NULL, NULL);
    const int32_t acts[4] = {TAKE, TAKE, WAIT, WAIT};
    float r[4];
    for (int k = 1; k <= 20; k++) {
        assert_int_equal(step(&t, 0, acts, r), k == 20 ? ENV_TRUNCATED : ENV_RUNNING);
        assert_int_equal(t.w.pool, 2000000000LL + 20000000LL * k);
        assert_true(r[0] == 1.0f && r[1] == 1.0f && r[2] == 0.0f && r[3] == 0.0f);
    }
    assert_true(env_metrics_restraint(&t.w.metrics, 0) == 0.0);
    assert_true(env_metrics_restraint(&t.w.metrics, 3) == 1.0);
    EnvSocial s;
    env_metrics_finish(&t.w.metrics, &s);
    assert_true(s.restraint == 0.5);
    assert_float_equal(s.equality, 0.5, 1e-12); /* returns 20 20 0 0 */
    close_world(&t);
}

/* exactness: a pool at exactly 0 is depleted; a third of 0.1 taken by three valves a step at
 * regrowth 0.1 keeps the pool at 0.5 exactly for ever */
static void test_exact_units(void **state) {
    (void)state;
    T t;
    float r[3];
    open_world(&t, "env.agents=1", "tragedy.start=0.1", "tragedy.regrowth=0");
    assert_int_equal(step(&t, TAKE, NULL, r), ENV_TERMINATED);
    assert_int_equal(t.w.pool, 0);
    assert_true(r[0] == 0.0f);
    close_world(&t);
    open_world(&t, "env.agents=3", "tragedy.regrowth=0.1", NULL);
    for (int k = 1; k <= 100; k++) {
        assert_int_equal(step(&t, TAKE, NULL, r), k == 100 ? ENV_TRUNCATED : ENV_RUNNING);
        assert_int_equal(t.w.pool, 1500000000LL);
    }
    assert_int_equal(t.w.metrics.ret[2], 100);
    close_world(&t);
}

/* an out-of-range action is counted, waits, and counts as restraint */
static void test_bad_action_waits(void **state) {
    (void)state;
    T t;
    open_world(&t, NULL, NULL, NULL);
    const int32_t acts[4] = {TAKE, 7, -1, TAKE};
    float r[4];
    step(&t, 0, acts, r);
    assert_int_equal(t.w.bad_actions, 2);
    assert_int_equal(t.w.pool, 2000000000LL - 200000000LL + 220000000LL);
    assert_true(r[1] == 0.0f && r[2] == 0.0f && r[0] == 1.0f);
    assert_int_equal(t.w.metrics.waited[1], 1);
    assert_int_equal(t.w.metrics.waited[2], 1);
    assert_int_equal(t.w.metrics.waited[0], 0);
    close_world(&t);
}

/* the 1x2 grey image, the exact features, the picture (gauge, pipes, valves) */
static void test_observation_and_picture(void **state) {
    (void)state;
    T t;
    open_world(&t, NULL, NULL, NULL);
    const EnvSpec *s = &t.cfg.spec;
    assert_int_equal(s->obs_h, 1);
    assert_int_equal(s->obs_w, 2);
    assert_int_equal(s->obs_c, 3);
    assert_int_equal(s->n_actions, 2);
    assert_int_equal(t.cfg.map.h, 5);
    assert_int_equal(t.cfg.map.w, 12);
    /* agent i holds valve i; half the gauge holds water */
    for (int i = 0; i < 4; i++) assert_int_equal(t.w.agent[i].pos, th_idx(&t.cfg, 3, 1 + i));
    for (int c = 0; c < 10; c++)
        assert_int_equal(t.w.cell[th_idx(&t.cfg, 1, 1 + c)], c < 5 ? ENV_ID_RIVER : ENV_ID_EMPTY);
    const int32_t acts[4] = {TAKE, WAIT, TAKE, TAKE};
    for (int k = 0; k < 3; k++) step(&t, 0, acts, NULL);
    /* 2e9 - 3 (3e8 - 2.2e8) = 1.76e9: level 0.44, 255 * 0.44 = 112.2; 3 takes of 100 steps */
    assert_int_equal(t.w.pool, 1760000000LL);
    uint8_t obs[4 * 6], naive[4 * 6];
    env_observe(&t.w, obs);
    env_observe_naive(&t.w, naive);
    assert_memory_equal(obs, naive, sizeof obs);
    static const uint8_t want0[6] = {112, 112, 112, 7, 7, 7}, want1[6] = {112, 112, 112, 0, 0, 0};
    assert_memory_equal(obs, want0, 6);
    assert_memory_equal(obs + 6, want1, 6);
    float f[8];
    env_features(&t.w, f);
    assert_float_equal(f[0], 0.44, 1e-6);
    assert_float_equal(f[1], 3 * 0.025, 1e-6);
    assert_float_equal(f[3], 0.0, 1e-12);
    /* ceil(0.44 * 10) = 5 cells of water; open valves show a stream in their pipe */
    for (int c = 0; c < 10; c++)
        assert_int_equal(t.w.cell[th_idx(&t.cfg, 1, 1 + c)], c < 5 ? ENV_ID_RIVER : ENV_ID_EMPTY);
    for (int i = 0; i < 4; i++)
        assert_int_equal(t.w.cell[th_idx(&t.cfg, 2, 1 + i)],
                         acts[i] == TAKE ? ENV_ID_STREAM : ENV_ID_EMPTY);
    EnvView v;
    env_view(&t.w, &v);
    assert_int_equal(v.pool, 1760000000LL);
    assert_int_equal(v.pool_full, 4000000000LL);
    assert_int_equal(v.pool_take, 100000000LL);
    close_world(&t);
}

/* obs.neighbours = 1: agent i's features are (level, take) of agents i, i+1, ..., i+3 (mod 4);
 * a game without features refuses the key */
static void test_neighbours_features(void **state) {
    (void)state;
    T t;
    open_world(&t, "obs.neighbours=1", NULL, NULL);
    assert_int_equal(t.cfg.spec.n_features, 8);
    /* takes after 3 steps: agent 0 three, agent 1 none, agent 2 two, agent 3 one */
    const int32_t acts[3][4] = {
        {TAKE, WAIT, TAKE, TAKE}, {TAKE, WAIT, TAKE, WAIT}, {TAKE, WAIT, WAIT, WAIT}};
    for (int k = 0; k < 3; k++) step(&t, 0, acts[k], NULL);
    const double take[4] = {3 * 0.025, 0, 2 * 0.025, 1 * 0.025};
    double level = (double)t.w.pool / 4e9;
    float f[4 * 8];
    memset(f, 0xff, sizeof f);
    env_features(&t.w, f);
    for (int i = 0; i < 4; i++)
        for (int m = 0; m < 4; m++) {
            assert_float_equal(f[i * 8 + m * 2], level, 1e-6);
            assert_float_equal(f[i * 8 + m * 2 + 1], take[(i + m) % 4], 1e-6);
        }
    /* the observation bytes do not change */
    T plain;
    open_world(&plain, NULL, NULL, NULL);
    for (int k = 0; k < 3; k++) step(&plain, 0, acts[k], NULL);
    uint8_t a[24], b[24];
    env_observe(&t.w, a);
    env_observe(&plain.w, b);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(env_state_hash(&t.w), env_state_hash(&plain.w));
    close_world(&plain);
    close_world(&t);
    /* a game without features */
    EnvParams p;
    EnvConfig cfg;
    EnvError err = {0};
    th_params(&p, "gathering", "obs.neighbours=1", (const char *)NULL);
    assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
    if (!strstr(err.msg, "obs.neighbours = 1: the gathering game has no features to share"))
        fail_msg("got '%s'", err.msg);
}

/* a fixed action sequence over episodes (auto-reset): the state hash after 300 steps */
static void test_golden_hash(void **state) {
    (void)state;
    T t;
    open_world(&t, "tragedy.regrowth=0.042", NULL, NULL);
    uint64_t x = 12345;
    int32_t a[4];
    int ends = 0;
    for (int k = 0; k < 300; k++) {
        for (int i = 0; i < 4; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            a[i] = (int32_t)((x >> 33) % 3 != 0); /* takes two times in three */
        }
        uint8_t term, trunc;
        env_batch_step(&t.w, 1, a, NULL, NULL, &term, &trunc, NULL);
        ends += term + trunc;
    }
    assert_int_equal(t.w.episodes_done, ends);
    assert_int_equal(ends, 13);
    assert_int_equal(env_state_hash(&t.w), 0x1eb896007b939ae1ULL);
    close_world(&t);
}

/* bad values: the library's texts, and the CLI's exit 2 */
static void test_config_errors(void **state) {
    (void)state;
    static const struct {
        const char *set, *want;
    } bad[] = {
        {"obs.encoding=ids", "obs.encoding = ids: the tragedy game observes quantities"},
        {"tragedy.take=0", "tragedy.take = 0 gives the valves nothing to take; allowed (0, 1]"},
        {"tragedy.start=0", "tragedy.start = 0 leaves the pool dry before the first step"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        EnvParams p;
        EnvConfig cfg;
        EnvError err = {0};
        th_params(&p, "tragedy", bad[k].set, (const char *)NULL);
        assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
        if (!strstr(err.msg, bad[k].want)) fail_msg("got '%s', want '%s'", err.msg, bad[k].want);
        char cmd[512], out[4096];
        snprintf(cmd, sizeof cmd, "%s run --env tragedy --set %s", COMMONS_BIN, bad[k].set);
        assert_int_equal(th_run(cmd, out, sizeof out), 2);
        if (!strstr(out, bad[k].want)) fail_msg("got '%s', want '%s'", out, bad[k].want);
    }
    /* the key engine's own ranges */
    EnvParams p;
    EnvError err = {0};
    th_params(&p, "tragedy", (const char *)NULL);
    assert_int_equal(env_params_set(&p, "tragedy", "regrowth", "1.5", &err), ENV_EINPUT);
    if (!strstr(err.msg, "tragedy.regrowth")) fail_msg("got '%s'", err.msg);
    char out[4096];
    assert_int_equal(
        th_run(COMMONS_BIN " run --env tragedy --set tragedy.regrowth=-0.1", out, sizeof out), 2);
    if (!strstr(out, "tragedy.regrowth")) fail_msg("got '%s'", out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_take_depletes),
        cmocka_unit_test(test_all_wait),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_exact_units),
        cmocka_unit_test(test_bad_action_waits),
        cmocka_unit_test(test_observation_and_picture),
        cmocka_unit_test(test_neighbours_features),
        cmocka_unit_test(test_golden_hash),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
