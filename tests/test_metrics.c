/* test_metrics.c: the streaming social metrics (env_metrics_init/step/finish) against cases
 * computed by hand from the definitions in games.md section 2: efficiency, equality (1 - Gini),
 * sustainability (0-based step indices, agents without a positive reward excluded) and peace
 * (tagged agent-steps), including T = 0, a zero or negative total and negative returns.
 */
#include "helpers.h"

#include <string.h>

/* values are small ratios: float precision (about 1e-7 relative) is far below this */
#define EPS 1e-6f

/* feeds n_steps rows of rewards (n_steps, n) and tags (n_steps, n) or no tags when NULL */
static void feed(EnvMetrics *m, int n, int n_steps, const int32_t *rewards, const uint8_t *tagged) {
    uint8_t none[ENV_MAX_AGENTS] = {0};
    for (int t = 0; t < n_steps; t++)
        env_metrics_step(m, rewards + (size_t)t * (size_t)n,
                         tagged ? tagged + (size_t)t * (size_t)n : none, NULL);
}

/* T = 0: nothing to average over */
static void test_empty_episode(void **state) {
    (void)state;
    EnvMetrics m;
    EnvSocial s;
    memset(&m, 0x5a, sizeof m); /* init must clear every field */
    env_metrics_init(&m, 3);
    assert_int_equal(m.n_agents, 3);
    assert_int_equal(m.steps, 0);
    assert_int_equal(m.tagged_steps, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(m.ret[i], 0);
        assert_int_equal(m.pos_n[i], 0);
        assert_int_equal(m.pos_t_sum[i], 0);
    }
    env_metrics_finish(&m, &s);
    assert_float_equal(s.efficiency, 0.0, EPS);     /* T = 0 gives 0 */
    assert_float_equal(s.equality, 1.0, EPS);       /* sum R = 0 <= 0 gives 1 */
    assert_float_equal(s.sustainability, 0.0, EPS); /* no agent with r > 0 gives 0 */
    assert_float_equal(s.peace, 0.0, EPS);          /* T = 0 gives 0 */
}

/* two agents with equal returns, no tags */
static void test_equal_returns(void **state) {
    (void)state;
    const int32_t r[4 * 2] = {1, 0, /* t = 0 */
                              0, 1, /* t = 1 */
                              1, 1, /* t = 2 */
                              0, 0 /* t = 3 */};
    EnvMetrics m;
    EnvSocial s;
    env_metrics_init(&m, 2);
    feed(&m, 2, 4, r, NULL);
    assert_int_equal(m.steps, 4);
    assert_int_equal(m.ret[0], 2);
    assert_int_equal(m.ret[1], 2);
    env_metrics_finish(&m, &s);
    /* efficiency = (2 + 2) / 4 = 1 */
    assert_float_equal(s.efficiency, 1.0, EPS);
    /* equality = 1 - (|2-2| * 4 pairs) / (2 * 2 * 4) = 1 */
    assert_float_equal(s.equality, 1.0, EPS);
    /* sustainability: agent 0 at t = 0, 2 -> 1; agent 1 at t = 1, 2 -> 1.5; mean 1.25 */
    assert_float_equal(s.sustainability, 1.25, EPS);
    /* peace = (2 * 4 - 0) / 4 = 2 */
    assert_float_equal(s.peace, 2.0, EPS);
}

/* three agents with unequal returns; one never rewarded */
static void test_unequal_returns(void **state) {
    (void)state;
    const int32_t r[3 * 3] = {2, 1, 0, /* t = 0 */
                              2, 1, 0, /* t = 1 */
                              2, 1, 0 /* t = 2 */};
    EnvMetrics m;
    EnvSocial s;
    env_metrics_init(&m, 3);
    feed(&m, 3, 3, r, NULL);
    env_metrics_finish(&m, &s);
    /* R = (6, 3, 0): efficiency = 9 / 3 = 3 */
    assert_float_equal(s.efficiency, 3.0, EPS);
    /* sum_ij |Ri - Rj| = 2 * (3 + 6 + 3) = 24; equality = 1 - 24 / (2 * 3 * 9) = 5/9 */
    assert_float_equal(s.equality, 5.0 / 9.0, EPS);
    /* agents 0 and 1 rewarded at t = 0, 1, 2 -> mean 1 each; agent 2 excluded: (1 + 1) / 2 = 1
     * (including agent 2 with 0 would give 2/3) */
    assert_float_equal(s.sustainability, 1.0, EPS);
    /* peace = (3 * 3 - 0) / 3 = 3 */
    assert_float_equal(s.peace, 3.0, EPS);
}

/* one agent holds everything: the Gini coefficient is (N - 1) / N */
static void test_one_agent_takes_all(void **state) {
    (void)state;
    const int32_t r[4] = {0, 0, 0, 8};
    EnvMetrics m;
    EnvSocial s;
    env_metrics_init(&m, 4);
    feed(&m, 4, 1, r, NULL);
    env_metrics_finish(&m, &s);
    /* sum_ij |Ri - Rj| = 2 * 3 * 8 = 48; equality = 1 - 48 / (2 * 4 * 8) = 1/4 */
    assert_float_equal(s.equality, 0.25, EPS);
    /* efficiency = 8 / 1 */
    assert_float_equal(s.efficiency, 8.0, EPS);
    /* only agent 3 rewarded, at t = 0: sustainability = 0 (0-based index) */
    assert_float_equal(s.sustainability, 0.0, EPS);
}

/* a total of zero or below gives equality 1 */
static void test_equality_nonpositive_total(void **state) {
    (void)state;
    EnvMetrics m;
    EnvSocial s;
    /* R = (-5, 5): total 0 -> 1.0 (the formula would divide by zero) */
    const int32_t a[2] = {-5, 5};
    env_metrics_init(&m, 2);
    feed(&m, 2, 1, a, NULL);
    env_metrics_finish(&m, &s);
    assert_float_equal(s.equality, 1.0, EPS);
    /* efficiency = 0 / 1 */
    assert_float_equal(s.efficiency, 0.0, EPS);
    /* R = (-3, -1) over two steps: total -4 < 0 -> 1.0; efficiency = -4 / 2 = -2 */
    const int32_t b[2 * 2] = {-2, -1, -1, 0};
    env_metrics_init(&m, 2);
    feed(&m, 2, 2, b, NULL);
    env_metrics_finish(&m, &s);
    assert_float_equal(s.equality, 1.0, EPS);
    assert_float_equal(s.efficiency, -2.0, EPS);
    /* no positive reward anywhere: sustainability 0 */
    assert_float_equal(s.sustainability, 0.0, EPS);
}

/* negative returns with a positive total lower equality, below zero when extreme */
static void test_equality_negative_returns(void **state) {
    (void)state;
    EnvMetrics m;
    EnvSocial s;
    /* R = (10, -8): total 2; sum_ij |Ri - Rj| = 2 * 18 = 36; 1 - 36 / (2 * 2 * 2) = -3.5 */
    const int32_t a[2] = {10, -8};
    env_metrics_init(&m, 2);
    feed(&m, 2, 1, a, NULL);
    env_metrics_finish(&m, &s);
    assert_float_equal(s.equality, -3.5, EPS);
    /* R = (10, -2, 4): total 12; pairs 12 + 6 + 6 = 24, doubled 48; 1 - 48 / 72 = 1/3, lower
     * than for R = (10, 0, 4): pairs 10 + 6 + 4 = 20, doubled 40; 1 - 40 / 84 = 11/21 */
    const int32_t b[3] = {10, -2, 4};
    env_metrics_init(&m, 3);
    feed(&m, 3, 1, b, NULL);
    env_metrics_finish(&m, &s);
    assert_float_equal(s.equality, 1.0 / 3.0, EPS);
    const int32_t c[3] = {10, 0, 4};
    env_metrics_init(&m, 3);
    feed(&m, 3, 1, c, NULL);
    env_metrics_finish(&m, &s);
    assert_float_equal(s.equality, 11.0 / 21.0, EPS);
}

/* sustainability: 0-based indices, only steps with reward > 0, unrewarded agents excluded */
static void test_sustainability(void **state) {
    (void)state;
    const int32_t r[5 * 3] = {1, 0,  -1,  /* t = 0: agent 0 */
                              0, -5, 0,   /* t = 1: a negative reward does not count */
                              0, 0,  0,   /* t = 2 */
                              0, 0,  -50, /* t = 3 */
                              0, 3,  0 /* t = 4: agent 1 */};
    EnvMetrics m;
    EnvSocial s;
    env_metrics_init(&m, 3);
    feed(&m, 3, 5, r, NULL);
    assert_int_equal(m.pos_n[0], 1);
    assert_int_equal(m.pos_n[1], 1);
    assert_int_equal(m.pos_n[2], 0);
    assert_int_equal(m.pos_t_sum[1], 4);
    env_metrics_finish(&m, &s);
    /* agent 0: t = 0 -> 0; agent 1: t = 4 -> 4; agent 2 excluded: (0 + 4) / 2 = 2
     * (1-based indices would give 3; counting agent 2 as 0 would give 4/3) */
    assert_float_equal(s.sustainability, 2.0, EPS);
    /* R = (1, -2, -51): total -52 -> equality 1; efficiency = -52 / 5 = -10.4 */
    assert_float_equal(s.equality, 1.0, EPS);
    assert_float_equal(s.efficiency, -10.4, EPS);

    /* several rewarded steps: agent 0 at t = 1, 2, 6 -> 3; agent 1 at t = 7 -> 7; mean 5 */
    const int32_t q[8 * 2] = {0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1};
    env_metrics_init(&m, 2);
    feed(&m, 2, 8, q, NULL);
    env_metrics_finish(&m, &s);
    assert_float_equal(s.sustainability, 5.0, EPS);
}

/* peace counts (agent, step) pairs flagged as tagged */
static void test_peace(void **state) {
    (void)state;
    const int32_t r[5 * 3] = {0};
    /* agent 0 tagged at t = 1, 2, 3; agent 1 at t = 4 (any nonzero flag counts as one) */
    const uint8_t tag[5 * 3] = {0, 0,   0, /* t = 0 */
                                1, 0,   0, /* t = 1 */
                                1, 0,   0, /* t = 2 */
                                2, 0,   0, /* t = 3 */
                                0, 255, 0 /* t = 4 */};
    EnvMetrics m;
    EnvSocial s;
    env_metrics_init(&m, 3);
    feed(&m, 3, 5, r, tag);
    assert_int_equal(m.tagged_steps, 4);
    env_metrics_finish(&m, &s);
    /* peace = (3 * 5 - 4) / 5 = 2.2 */
    assert_float_equal(s.peace, 2.2, EPS);
    /* no rewards: efficiency 0, equality 1, sustainability 0 */
    assert_float_equal(s.efficiency, 0.0, EPS);
    assert_float_equal(s.equality, 1.0, EPS);
    assert_float_equal(s.sustainability, 0.0, EPS);

    /* everyone tagged every step: peace = (2 * 3 - 6) / 3 = 0 */
    const uint8_t all[3 * 2] = {1, 1, 1, 1, 1, 1};
    env_metrics_init(&m, 2);
    feed(&m, 2, 3, r, all);
    env_metrics_finish(&m, &s);
    assert_float_equal(s.peace, 0.0, EPS);
}

/* returns accumulate in 64 bits: three steps of 2e9 total overflow int32 */
static void test_large_returns(void **state) {
    (void)state;
    const int32_t r[2] = {1000000000, 1000000000};
    EnvMetrics m;
    EnvSocial s;
    env_metrics_init(&m, 2);
    for (int t = 0; t < 3; t++) feed(&m, 2, 1, r, NULL);
    assert_true(m.ret[0] == 3000000000LL);
    env_metrics_finish(&m, &s);
    /* efficiency = 6e9 / 3 = 2e9 (relative tolerance: float keeps 24 bits) */
    assert_float_equal(s.efficiency / 2e9, 1.0, EPS);
    /* equal returns: equality 1; rewarded at t = 0, 1, 2 -> 1 */
    assert_float_equal(s.equality, 1.0, EPS);
    assert_float_equal(s.sustainability, 1.0, EPS);
}

/* a world's metrics follow its steps: one row per step, returns match the rewards */
static void test_world_metrics(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    EnvError err = {0};
    th_params(&p, "gathering", "env.agents=1", "apples.respawn_steps=3", NULL);
    th_config_with_map(&cfg, &p,
                       "@@@@@@\n"
                       "@PA  @\n"
                       "@@@@@@\n");
    assert_int_equal(env_world_init(&w, &cfg, 7, 0, &err), 0);
    w.agent[0].orient = ENV_EAST; /* the only spawn point is (1, 1) */
    /* step 0 eats the apple; it returns for steps 3 and 6 while the agent stays on it */
    int32_t act = ENV_ACT_FORWARD;
    for (int t = 0; t < 8; t++) {
        env_step(&w, &act, NULL);
        act = ENV_ACT_STAY;
    }
    EnvSocial s;
    env_metrics_finish(&w.metrics, &s);
    assert_int_equal(w.metrics.steps, 8);
    assert_int_equal(w.metrics.ret[0], 3);
    /* efficiency = 3 / 8; sustainability = (0 + 3 + 6) / 3 = 3; peace = (1 * 8 - 0) / 8 = 1 */
    assert_float_equal(s.efficiency, 0.375, EPS);
    assert_float_equal(s.sustainability, 3.0, EPS);
    assert_float_equal(s.peace, 1.0, EPS);
    assert_float_equal(s.equality, 1.0, EPS);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* two Gathering agents facing each other along a corridor, one hit tags for 5 steps */
static void two_on_a_corridor(EnvConfig *cfg, EnvWorld *w) {
    EnvParams p;
    EnvError err = {0};
    th_params(&p, "gathering", "beam.hits_to_tag=1", "beam.tag_steps=5", NULL);
    th_config_with_map(cfg, &p,
                       "@@@@@@@\n"
                       "@P  P @\n"
                       "@@@@@@@\n");
    assert_int_equal(env_world_init(w, cfg, 7, 0, &err), 0);
    /* off the spawn points, so neither placement lands on the other agent */
    th_place(w, 0, 1, 2, ENV_EAST);
    th_place(w, 1, 1, 5, ENV_WEST);
}

/* a tag-out applied in step t counts for steps t .. t + tag_steps - 1 */
static void test_world_peace(void **state) {
    (void)state;
    EnvConfig cfg;
    EnvWorld w;
    two_on_a_corridor(&cfg, &w);
    /* agent 0 fires once at step 0; agent 1 is out for steps 0 .. 4 (timer 5 .. 1) */
    int32_t act[2] = {ENV_ACT_FIRE, ENV_ACT_STAY};
    for (int t = 0; t < 10; t++) {
        env_step(&w, act, NULL);
        assert_int_equal(w.agent[1].timeout > 0, t < 5);
        act[0] = ENV_ACT_STAY;
    }
    assert_int_equal(w.metrics.tagged_steps, 5);
    EnvSocial s;
    env_metrics_finish(&w.metrics, &s);
    /* peace = (2 * 10 - 5) / 10 = 1.5 */
    assert_float_equal(s.peace, 1.5, EPS);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* beams: fire beams fired per step; a tagged agent fires nothing, a cleaning beam is not one */
static void test_world_beams(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    EnvError err = {0};
    two_on_a_corridor(&cfg, &w);
    /* the gathering preset's sequential order: agent 0 fires at step 0 and tags agent 1 out
     * before it acts (steps 0 .. 4); agent 1 fires at every step from 5 on, tagging agent 0
     * at step 5 (steps 5 .. 9), so agent 0's fire at step 7 never happens */
    for (int t = 0; t < 10; t++) {
        int32_t act[2] = {t == 0 || t == 7 ? ENV_ACT_FIRE : ENV_ACT_STAY, ENV_ACT_FIRE};
        env_step(&w, act, NULL);
    }
    /* agent 0: step 0; agent 1: steps 5 .. 9 */
    assert_int_equal(w.metrics.beams, 6);
    EnvSocial s;
    env_metrics_finish(&w.metrics, &s);
    assert_float_equal(s.beams, 0.6, EPS);
    env_world_close(&w);
    env_config_close(&cfg);
    /* a cleaning beam is not a fire beam */
    th_params(&p, "cleanup", (const char *)NULL);
    assert_int_equal(env_config_init(&cfg, &p, &err), 0);
    assert_int_equal(env_world_init(&w, &cfg, 7, 0, &err), 0);
    int32_t clean[ENV_MAX_AGENTS];
    for (int i = 0; i < p.n_agents; i++) clean[i] = ENV_ACT_CLEAN;
    for (int t = 0; t < 5; t++) env_step(&w, clean, NULL);
    assert_int_equal(w.metrics.beams, 0);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* restraint: each agent's waited steps over T, their mean; n/a without a wait action */
static void test_restraint(void **state) {
    (void)state;
    EnvMetrics m;
    EnvSocial s;
    int32_t r[3] = {0, 1, 0};
    uint8_t tags[3] = {0}, waits[4][3] = {{1, 0, 1}, {1, 0, 0}, {1, 0, 1}, {1, 1, 0}};
    env_metrics_init(&m, 3);
    env_metrics_finish(&m, &s);
    assert_true(s.restraint == ENV_NO_RESTRAINT);
    assert_true(env_metrics_restraint(&m, 0) == ENV_NO_RESTRAINT);
    for (int t = 0; t < 4; t++) env_metrics_step(&m, r, tags, waits[t]);
    env_metrics_finish(&m, &s);
    /* agent 0 waited 4/4, agent 1 1/4, agent 2 2/4 */
    assert_float_equal(env_metrics_restraint(&m, 0), 1.0, EPS);
    assert_float_equal(env_metrics_restraint(&m, 1), 0.25, EPS);
    assert_float_equal(env_metrics_restraint(&m, 2), 0.5, EPS);
    assert_float_equal(s.restraint, 1.75 / 3.0, EPS);
    /* a game without a wait action: n/a, whatever the steps */
    env_metrics_init(&m, 3);
    for (int t = 0; t < 4; t++) env_metrics_step(&m, r, tags, NULL);
    env_metrics_finish(&m, &s);
    assert_true(s.restraint < 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_episode),
        cmocka_unit_test(test_equal_returns),
        cmocka_unit_test(test_unequal_returns),
        cmocka_unit_test(test_one_agent_takes_all),
        cmocka_unit_test(test_equality_nonpositive_total),
        cmocka_unit_test(test_equality_negative_returns),
        cmocka_unit_test(test_sustainability),
        cmocka_unit_test(test_peace),
        cmocka_unit_test(test_world_beams),
        cmocka_unit_test(test_large_returns),
        cmocka_unit_test(test_world_metrics),
        cmocka_unit_test(test_world_peace),
        cmocka_unit_test(test_restraint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
