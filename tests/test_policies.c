/* test_policies.c: scripted policies: BFS greedy, the cooperative references, determinism, and
 * that policies read the world without changing it. */
#include "helpers.h"

#include <string.h>

#include "episode.h"
#include "scripted.h"

/* mean of one social metric over seeds 1..n, every agent running one policy */
static void run_seeds(const char *preset, ScriptedKind kind, int n, double *eff, double *sus,
                      int64_t *tagged) {
    SimParams sp;
    SimConfig cfg;
    EnvError err;
    th_sim_params(&sp, preset, (const char *)NULL);
    const EnvParams p = sp.env;
    assert_int_equal(sim_config_init(&cfg, &sp, &err), 0);
    ScriptedKind kinds[ENV_MAX_AGENTS];
    for (int i = 0; i < p.n_agents; i++) kinds[i] = kind;
    for (int s = 0; s < n; s++) {
        SimEpisode r;
        SimResult ep;
        assert_int_equal(sim_episode_init(&r, &cfg, kinds, (uint64_t)(s + 1), 0, &err), 0);
        sim_episode_run(&r, 0, 0, &ep);
        eff[s] = ep.social.efficiency;
        sus[s] = ep.social.sustainability;
        /* peace stays full: scripted policies never tag anyone */
        *tagged +=
            (int64_t)(p.n_agents * p.max_steps) - (int64_t)(ep.social.peace * p.max_steps + 0.5);
        sim_episode_close(&r);
    }
    sim_config_close(&cfg);
}

static double mean(const double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    return s / n;
}

/* the README's claim: over 10 seeds coop beats greedy on sustainability in Harvest */
static void test_harvest_restraint(void **state) {
    (void)state;
    double ge[10], gs[10], ce[10], cs[10];
    int64_t tagged = 0;
    run_seeds("harvest", SCRIPTED_GREEDY, 10, ge, gs, &tagged);
    run_seeds("harvest", SCRIPTED_COOP, 10, ce, cs, &tagged);
    assert_true(mean(cs, 10) > 2.0 * mean(gs, 10));
    int wins = 0;
    for (int s = 0; s < 10; s++) wins += cs[s] > gs[s];
    assert_int_equal(wins, 10);
    /* restraint also pays collectively here */
    assert_true(mean(ce, 10) > mean(ge, 10));
    assert_int_equal(tagged, 0);
}

/* and on efficiency in Cleanup, where greedy agents never clean */
static void test_cleanup_cleaners(void **state) {
    (void)state;
    double ge[10], gs[10], ce[10], cs[10];
    int64_t tagged = 0;
    run_seeds("cleanup", SCRIPTED_GREEDY, 10, ge, gs, &tagged);
    run_seeds("cleanup", SCRIPTED_COOP, 10, ce, cs, &tagged);
    /* SSD rules: the river starts above the depletion threshold, so nothing grows uncleaned */
    assert_true(mean(ge, 10) == 0.0);
    assert_true(mean(ce, 10) > 1.0);
    for (int s = 0; s < 10; s++) assert_true(ce[s] > ge[s]);
}

/* greedy walks a shortest path: an apple 9 steps away is eaten on the 9th step */
static void test_greedy_shortest_path(void **state) {
    (void)state;
    static const char *corridor = "@@@@@@@@@\n"
                                  "@P@@@@@@@\n"
                                  "@ @    A@\n"
                                  "@   @@@@@\n"
                                  "@@@@@@@@@\n";
    EnvParams p;
    SimConfig sim;
    EnvError err;
    th_params(&p, "gathering", "env.agents=1", (const char *)NULL);
    th_config_with_map(&sim.env, &p, corridor);
    comm_params_default(&sim.comm);
    sim.spec = sim.env.spec;
    SimEpisode r;
    ScriptedKind k = SCRIPTED_GREEDY;
    assert_int_equal(sim_episode_init(&r, &sim, &k, 1, 0, &err), 0);
    ScriptedPolicy pol;
    scripted_init(&pol, SCRIPTED_GREEDY, 0, 1, 0, 0);
    env_reset(&r.world, 0);
    /* (1,1) (2,1) (3,1) (3,2) (3,3) (2,3) (2,4) (2,5) (2,6) and the apple at (2,7) */
    int t = 0;
    EnvView v;
    while (r.world.metrics.ret[0] == 0 && t < 50) {
        env_view(&r.world, &v);
        int32_t a = scripted_act(&pol, &v, &r.scratch);
        assert_true(a >= ENV_ACT_FORWARD && a <= ENV_ACT_RIGHT);
        env_step(&r.world, &a, NULL);
        t++;
    }
    assert_int_equal(t, 9);
    sim_episode_close(&r);
    env_config_close(&sim.env);
}

/* policies are functions of (seed, world, episode, agent, view): same inputs, same actions;
 * and they never change the world they read */
static void test_policy_determinism_and_purity(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvError err;
    th_params(&p, "cleanup-gallego", (const char *)NULL);
    assert_int_equal(env_config_init(&cfg, &p, &err), 0);
    for (int kind = 0; kind < SCRIPTED_COUNT; kind++) {
        EnvWorld w;
        ScriptedScratch s;
        assert_int_equal(env_world_init(&w, &cfg, 4, 0, &err), 0);
        assert_int_equal(scripted_scratch_init(&s, &cfg), 0);
        ScriptedPolicy a[ENV_MAX_AGENTS], b[ENV_MAX_AGENTS];
        for (int i = 0; i < p.n_agents; i++) {
            scripted_init(&a[i], (ScriptedKind)kind, i, 4, 0, 0);
            scripted_init(&b[i], (ScriptedKind)kind, i, 4, 0, 0);
        }
        int32_t act[ENV_MAX_AGENTS];
        EnvView v;
        for (int t = 0; t < 200; t++) {
            env_view(&w, &v);
            uint64_t before = env_state_hash(&w);
            for (int i = 0; i < p.n_agents; i++) {
                act[i] = scripted_act(&a[i], &v, &s);
                assert_int_equal(scripted_act(&b[i], &v, &s), act[i]);
                assert_true(act[i] >= 0 && act[i] < cfg.spec.n_actions);
                if (kind != SCRIPTED_RANDOM) assert_int_not_equal(act[i], ENV_ACT_FIRE);
            }
            assert_true(env_state_hash(&w) == before);
            env_step(&w, act, NULL);
        }
        scripted_scratch_close(&s);
        env_world_close(&w);
    }
    env_config_close(&cfg);
}

/* the cleaner quota: more waste, more cleaners; one harvester kept; all clean without apples */
static void test_cleaner_quota(void **state) {
    (void)state;
    assert_int_equal(scripted_cleaner_quota(0, 10, 1), 0);
    assert_int_equal(scripted_cleaner_quota(1, 10, 1), 1);
    assert_int_equal(scripted_cleaner_quota(11, 10, 1), 3);
    assert_int_equal(scripted_cleaner_quota(60, 10, 1), 6);
    assert_int_equal(scripted_cleaner_quota(60, 5, 1), 3);
    assert_int_equal(scripted_cleaner_quota(60, 2, 1), 1);
    assert_int_equal(scripted_cleaner_quota(5, 5, 0), 5);
    for (int w = 0; w < 100; w++)
        assert_true(scripted_cleaner_quota(w + 1, 5, 1) >= scripted_cleaner_quota(w, 5, 1));
    EnvError err = {0};
    ScriptedKind k;
    assert_int_equal(scripted_parse("coop", &k, &err), 0);
    assert_int_equal(k, SCRIPTED_COOP);
    assert_int_equal(scripted_parse("nice", &k, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "unknown policy 'nice'"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harvest_restraint),
        cmocka_unit_test(test_cleanup_cleaners),
        cmocka_unit_test(test_greedy_shortest_path),
        cmocka_unit_test(test_policy_determinism_and_purity),
        cmocka_unit_test(test_cleaner_quota),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
