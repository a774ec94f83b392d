/* test_policies.c: scripted policies: BFS greedy, the cooperative references, determinism, and
 * that policies read the world without changing it. */
#include "helpers.h"

#include <string.h>

#include "episode.h"
#include "game.h" /* env_overlay_clear, env_overlay_paint: placing agents by hand */
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

/* gallego: the leftmost agent by column is the cleaner (quota 1 for one waste cell): it turns to
 * face the waste, then cleans; the other gathers; a tagged agent stands */
static void test_gallego_roles(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    EnvError err = {0};
    th_params(&p, "cleanup-gallego", "env.agents=2", "pollution.waste_spawn_prob=0",
              (const char *)NULL);
    th_config_with_map(&cfg, &p,
                       "@@@@@@@@@@\n"
                       "@HP     A@\n"
                       "@ P      @\n"
                       "@@@@@@@@@@\n");
    assert_int_equal(env_world_init(&w, &cfg, 1, 0, &err), 0);
    /* agent 1 at (1,2) facing north, agent 0 at (2,3): 1 is leftmost */
    env_overlay_clear(&w);
    for (int i = 0; i < 2; i++) w.occ[w.agent[i].pos] = 0;
    w.agent[1].pos = th_idx(&cfg, 1, 2);
    w.agent[0].pos = th_idx(&cfg, 2, 3);
    w.agent[1].orient = ENV_NORTH;
    w.agent[0].orient = ENV_NORTH;
    for (int i = 0; i < 2; i++) w.occ[w.agent[i].pos] = (uint8_t)(i + 1);
    env_overlay_paint(&w);
    ScriptedScratch s;
    assert_int_equal(scripted_scratch_init(&s, &cfg), 0);
    ScriptedPolicy pol[2];
    for (int i = 0; i < 2; i++) scripted_init(&pol[i], SCRIPTED_GALLEGO, i, 1, 0, 0);
    EnvView v;
    env_view(&w, &v);
    /* the waste at (1,1) is west of the cleaner: one turn left, then clean */
    assert_int_equal(scripted_act(&pol[1], &v, &s), ENV_ACT_TURN_L);
    int a0 = scripted_act(&pol[0], &v, &s);
    assert_true(a0 <= ENV_ACT_RIGHT); /* the gatherer steps toward the apple */
    int32_t act[2] = {ENV_ACT_STAY, ENV_ACT_TURN_L};
    env_step(&w, act, NULL);
    env_view(&w, &v);
    assert_int_equal(scripted_act(&pol[1], &v, &s), ENV_ACT_CLEAN);
    /* no waste left after the clean: nobody cleans; a tagged agent stands */
    act[1] = ENV_ACT_CLEAN;
    env_step(&w, act, NULL);
    assert_int_equal(w.n_waste, 0);
    env_view(&w, &v);
    assert_true(scripted_act(&pol[1], &v, &s) != ENV_ACT_CLEAN);
    w.agent[0].timeout = 3;
    assert_int_equal(scripted_act(&pol[0], &v, &s), ENV_ACT_STAY);
    scripted_scratch_close(&s);
    env_world_close(&w);
    env_config_close(&cfg);
    ScriptedKind k;
    assert_int_equal(scripted_parse("gallego", &k, &err), 0);
    assert_int_equal(k, SCRIPTED_GALLEGO);
}

/* gallego on Gallego's setting (10 agents, cleanup-gallego, seeds 1..5): it cleans and harvests,
 * well above greedy (which never cleans), and every seed gives the same episode twice */
static void test_gallego_setting(void **state) {
    (void)state;
    SimParams sp;
    SimConfig cfg;
    EnvError err;
    th_sim_params(&sp, "cleanup-gallego", "env.agents=10", (const char *)NULL);
    assert_int_equal(sim_config_init(&cfg, &sp, &err), 0);
    ScriptedKind kinds[ENV_MAX_AGENTS];
    double sum[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 10; i++) kinds[i] = k ? SCRIPTED_GREEDY : SCRIPTED_GALLEGO;
        for (int seed = 1; seed <= 5; seed++) {
            double eff[2];
            for (int rep = 0; rep < 2; rep++) {
                SimEpisode r;
                SimResult ep;
                assert_int_equal(sim_episode_init(&r, &cfg, kinds, (uint64_t)seed, 0, &err), 0);
                sim_episode_run(&r, 0, 0, &ep);
                eff[rep] = ep.social.efficiency;
                sim_episode_close(&r);
            }
            assert_true(eff[0] == eff[1]);
            sum[k] += eff[0];
        }
    }
    /* greedy stops at about 0.1 (103 apples, then the river is too dirty); gallego about 1.4 */
    if (sum[0] / 5 < 1.0 || sum[1] / 5 > 0.2)
        fail_msg("gallego %.3f, greedy %.3f", sum[0] / 5, sum[1] / 5);
    sim_config_close(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harvest_restraint),
        cmocka_unit_test(test_cleanup_cleaners),
        cmocka_unit_test(test_greedy_shortest_path),
        cmocka_unit_test(test_policy_determinism_and_purity),
        cmocka_unit_test(test_cleaner_quota),
        cmocka_unit_test(test_gallego_roles),
        cmocka_unit_test(test_gallego_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
