/* test_schelling.c: Schelling diagrams (sim/schelling.h): the compositions pinned, the t quantile,
 * the dilemma conditions on synthetic payoff tables (Prisoner's Dilemma, Stag Hunt, Chicken and a
 * three-player public goods game), the replicator fixed points of known games against
 * hand-computed roots, a real sweep agreeing with episodes played one by one, and the command:
 * its CSV of a tiny run pinned, its files, and bad options refused with exit 2. */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "episode.h"
#include "schelling.h"

/* ---- compositions ------------------------------------------------------------------------ */

static void slots_text(int n, int k, int s, char *buf) {
    uint8_t cm[ENV_MAX_AGENTS];
    sim_schelling_slots(n, k, s, cm);
    for (int i = 0; i < n; i++) buf[i] = cm[i] ? 'C' : 'D';
    buf[n] = 0;
}

static void test_slots(void **state) {
    (void)state;
    char b[ENV_MAX_AGENTS + 1];
    slots_text(5, 0, 3, b);
    assert_string_equal(b, "DDDDD");
    slots_text(5, 5, 3, b);
    assert_string_equal(b, "CCCCC");
    slots_text(5, 2, 0, b);
    assert_string_equal(b, "CCDDD");
    slots_text(5, 2, 3, b);
    assert_string_equal(b, "DDDCC");
    slots_text(5, 2, 4, b);
    assert_string_equal(b, "CDDDC");
    slots_text(5, 3, 7, b);
    assert_string_equal(b, "DDCCC");
    /* over N consecutive seeds every slot is a cooperator exactly k times */
    for (int k = 0; k <= 5; k++) {
        int count[5] = {0};
        for (int s = 10; s < 15; s++) {
            uint8_t cm[5];
            sim_schelling_slots(5, k, s, cm);
            int sum = 0;
            for (int i = 0; i < 5; i++) count[i] += cm[i], sum += cm[i];
            assert_int_equal(sum, k);
        }
        for (int i = 0; i < 5; i++) assert_int_equal(count[i], k);
    }
}

/* the t quantiles against scipy.stats.t.ppf(0.975, df) */
static void test_t975(void **state) {
    (void)state;
    const struct {
        int df;
        double t;
    } want[] = {{1, 12.706204736}, {2, 4.30265273},   {5, 2.570581836}, {10, 2.228138852},
                {30, 2.042272456}, {31, 2.039513446}, {50, 2.00855911}, {100, 1.983971518}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_float_equal(sim_t975(want[i].df), want[i].t, 1e-4);
    assert_true(isnan(sim_t975(0)));
}

/* ---- synthetic games -------------------------------------------------------------------- */

/* a sweep of n agents, 2 seeds, with payoffs rc (n,), rd (n,) and noise +-e on each seed (the
 * same for both sides, so paired margins have no spread) */
static void synthetic(SimSchelling *r, int n, const double *rc, const double *rd, double e) {
    EnvError err;
    assert_int_equal(sim_schelling_init(r, n, 2, 1, 0, &err), 0);
    for (int k = 0; k <= n; k++)
        for (int s = 0; s < 2; s++) {
            double noise = s == 0 ? e : -e;
            size_t cell = (size_t)k * 2 + (size_t)s;
            r->coop[cell] = k > 0 ? rc[k - 1] + noise : 0;
            r->defect[cell] = k < n ? rd[k] + noise : 0;
            r->group[cell] = (k * (k > 0 ? rc[k - 1] : 0) + (n - k) * (k < n ? rd[k] : 0)) / n;
        }
    sim_schelling_analyse(r);
}

static void expect_fixed(const SimSchelling *r, int n_fixed, const double *x,
                         const SimFixedKind *kind) {
    assert_int_equal(r->n_fixed, n_fixed);
    for (int i = 0; i < n_fixed; i++) {
        assert_float_equal(r->fixed[i].x, x[i], 1e-9);
        assert_int_equal(r->fixed[i].kind, kind[i]);
    }
}

/* two players: R_c(1) = R, R_c(0) = S, R_d(1) = T, R_d(0) = P */
static void test_two_player_games(void **state) {
    (void)state;
    SimSchelling r;
    /* Prisoner's Dilemma R 3, S 0, T 5, P 1: all four conditions; g = -x - 1 < 0: defection */
    const double pd_c[2] = {0, 3}, pd_d[2] = {1, 5};
    synthetic(&r, 2, pd_c, pd_d, 0.5);
    assert_float_equal(r.cond[SIM_COND_COOP_OVER_DEFECT].mean, 2, 1e-12);    /* R - P */
    assert_float_equal(r.cond[SIM_COND_COOP_OVER_EXPLOITED].mean, 3, 1e-12); /* R - S */
    assert_float_equal(r.cond[SIM_COND_FEAR].mean, 1, 1e-12);                /* P - S */
    assert_float_equal(r.cond[SIM_COND_GREED].mean, 2, 1e-12);               /* T - R */
    for (int c = 0; c < SIM_COND_COUNT; c++) {
        assert_true(r.holds[c]);
        assert_true(r.significant[c]); /* paired: no spread */
        assert_float_equal(r.cond[c].half, 0, 1e-12);
    }
    assert_true(r.dilemma);
    /* R_c(1) over seeds {3.5, 2.5}: sd 1/sqrt(2), half = t(1) * 0.5 */
    assert_float_equal(r.rc[1].mean, 3, 1e-12);
    assert_float_equal(r.rc[1].half, 12.706204736 * 0.5, 1e-6);
    const double pd_x[2] = {0, 1};
    const SimFixedKind pd_k[2] = {SIM_FIXED_STABLE, SIM_FIXED_UNSTABLE};
    expect_fixed(&r, 2, pd_x, pd_k);
    sim_schelling_close(&r);

    /* Stag Hunt R 4, S 0, T 3, P 2: fear without greed; g = 3x - 2: unstable root 2/3 */
    const double sh_c[2] = {0, 4}, sh_d[2] = {2, 3};
    synthetic(&r, 2, sh_c, sh_d, 0.0);
    assert_true(r.holds[SIM_COND_FEAR] && !r.holds[SIM_COND_GREED] && r.dilemma);
    const double sh_x[3] = {0, 2.0 / 3.0, 1};
    const SimFixedKind sh_k[3] = {SIM_FIXED_STABLE, SIM_FIXED_UNSTABLE, SIM_FIXED_STABLE};
    expect_fixed(&r, 3, sh_x, sh_k);
    assert_float_equal(sim_schelling_gain(2, sh_c, sh_d, 0.25), 3 * 0.25 - 2, 1e-12);
    sim_schelling_close(&r);

    /* Chicken R 3, S 1, T 5, P 0: greed without fear; g = 1 - 3x: stable mix at 1/3 */
    const double ch_c[2] = {1, 3}, ch_d[2] = {0, 5};
    synthetic(&r, 2, ch_c, ch_d, 0.0);
    assert_true(!r.holds[SIM_COND_FEAR] && r.holds[SIM_COND_GREED] && r.dilemma);
    const double ch_x[3] = {0, 1.0 / 3.0, 1};
    const SimFixedKind ch_k[3] = {SIM_FIXED_UNSTABLE, SIM_FIXED_STABLE, SIM_FIXED_UNSTABLE};
    expect_fixed(&r, 3, ch_x, ch_k);
    sim_schelling_close(&r);

    /* Harmony R 4, S 3, T 2, P 1: cooperating always pays; no fear, no greed: no dilemma */
    const double hm_c[2] = {3, 4}, hm_d[2] = {1, 2};
    synthetic(&r, 2, hm_c, hm_d, 0.0);
    assert_true(r.holds[SIM_COND_COOP_OVER_DEFECT] && r.holds[SIM_COND_COOP_OVER_EXPLOITED]);
    assert_false(r.holds[SIM_COND_FEAR] || r.holds[SIM_COND_GREED] || r.dilemma);
    sim_schelling_close(&r);
}

/* three players */
static void test_three_player_games(void **state) {
    (void)state;
    SimSchelling r;
    /* public goods: a cooperator pays 1, every contribution is doubled and shared by the 3:
     * R_c(l) = 2(l + 1)/3 - 1, R_d(l) = 2l/3; defecting gains 1/3 everywhere */
    double pg_c[3], pg_d[3];
    for (int l = 0; l < 3; l++) pg_c[l] = 2.0 * (l + 1) / 3 - 1, pg_d[l] = 2.0 * l / 3;
    synthetic(&r, 3, pg_c, pg_d, 0.25);
    assert_float_equal(r.cond[SIM_COND_COOP_OVER_DEFECT].mean, 1, 1e-12);
    assert_float_equal(r.cond[SIM_COND_COOP_OVER_EXPLOITED].mean, 4.0 / 3, 1e-12);
    assert_float_equal(r.cond[SIM_COND_FEAR].mean, 1.0 / 3, 1e-12);
    assert_float_equal(r.cond[SIM_COND_GREED].mean, 1.0 / 3, 1e-12);
    for (int l = 0; l < 3; l++) assert_float_equal(r.temptation[l].mean, 1.0 / 3, 1e-12);
    assert_float_equal(r.grp[3].mean, 1, 1e-12);
    assert_float_equal(r.grp[0].mean, 0, 1e-12);
    assert_true(r.dilemma);
    const double pg_x[2] = {0, 1};
    const SimFixedKind pg_k[2] = {SIM_FIXED_STABLE, SIM_FIXED_UNSTABLE};
    expect_fixed(&r, 2, pg_x, pg_k);
    sim_schelling_close(&r);

    /* R_c - R_d = (1, -2, 1): g = 6x^2 - 6x + 1, roots 1/2 -+ sqrt(3)/6 */
    const double q_c[3] = {1, -2, 1}, q_d[3] = {0, 0, 0};
    synthetic(&r, 3, q_c, q_d, 0.0);
    const double q_x[4] = {0, 0.5 - sqrt(3.0) / 6, 0.5 + sqrt(3.0) / 6, 1};
    const SimFixedKind q_k[4] = {SIM_FIXED_UNSTABLE, SIM_FIXED_STABLE, SIM_FIXED_UNSTABLE,
                                 SIM_FIXED_STABLE};
    expect_fixed(&r, 4, q_x, q_k);
    sim_schelling_close(&r);

    /* R_c - R_d = (1, -1, 1): g = (2x - 1)^2 touches zero at 1/2 (a grid point): semi-stable */
    const double t_c[3] = {1, -1, 1};
    synthetic(&r, 3, t_c, q_d, 0.0);
    const double t_x[3] = {0, 0.5, 1};
    const SimFixedKind t_k[3] = {SIM_FIXED_UNSTABLE, SIM_FIXED_SEMI, SIM_FIXED_STABLE};
    expect_fixed(&r, 3, t_x, t_k);
    sim_schelling_close(&r);

    /* R_c - R_d = (0, -1, 2): g = 2x^2 - 2x(1 - x) = 4x^2 - 2x vanishes at 0 and falls just
     * inside: 0 is stable; the root 1/2 is unstable */
    const double e_c[3] = {0, -1, 2};
    synthetic(&r, 3, e_c, q_d, 0.0);
    const double e_x[3] = {0, 0.5, 1};
    const SimFixedKind e_k[3] = {SIM_FIXED_STABLE, SIM_FIXED_UNSTABLE, SIM_FIXED_STABLE};
    expect_fixed(&r, 3, e_x, e_k);
    sim_schelling_close(&r);

    /* C and D pay alike: every x rests; only the ends are reported, as semi-stable */
    synthetic(&r, 3, q_d, q_d, 0.0);
    assert_true(r.degenerate);
    const double z_x[2] = {0, 1};
    const SimFixedKind z_k[2] = {SIM_FIXED_SEMI, SIM_FIXED_SEMI};
    expect_fixed(&r, 2, z_x, z_k);
    sim_schelling_close(&r);
}

static void test_init_errors(void **state) {
    (void)state;
    SimSchelling r;
    EnvError err;
    assert_int_equal(sim_schelling_init(&r, 1, 10, 1, 0, &err), ENV_EINPUT);
    char want[96];
    snprintf(want, sizeof want, "needs 2..%d agents (a focal agent and others); got 1",
             ENV_MAX_AGENTS);
    assert_non_null(strstr(err.msg, want));
    assert_int_equal(sim_schelling_init(&r, 3, 1, 1, 0, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "needs 2..1000000 seeds"));
}

/* ---- a real sweep ----------------------------------------------------------------------- */

/* every cell of a small Harvest sweep is what its episode, played alone, gives */
static void test_sweep_matches_episodes(void **state) {
    (void)state;
    SimParams sp;
    SimConfig cfg;
    EnvError err;
    th_sim_params(&sp, "harvest", "env.agents=3", (const char *)NULL);
    if (sim_config_init(&cfg, &sp, &err)) fail_msg("%s", err.msg);
    SimPolicies pc, pd;
    assert_int_equal(sim_policies_parse("coop", 3, &pc, &err), 0);
    assert_int_equal(sim_policies_parse("greedy", 3, &pd, &err), 0);
    SimSchelling r;
    assert_int_equal(sim_schelling_init(&r, 3, 3, 7, 40, &err), 0);
    assert_int_equal(sim_schelling_run(&r, &cfg, &pc, &pd, &err), 0);
    for (int k = 0; k <= 3; k++)
        for (int s = 0; s < 3; s++) {
            uint8_t cm[3];
            ScriptedKind kinds[3];
            sim_schelling_slots(3, k, s, cm);
            for (int i = 0; i < 3; i++) kinds[i] = cm[i] ? SCRIPTED_COOP : SCRIPTED_GREEDY;
            SimEpisode e;
            SimResult res;
            assert_int_equal(sim_episode_init(&e, &cfg, kinds, 7 + (uint64_t)s, 0, &err), 0);
            sim_episode_run(&e, 0, 40, &res);
            sim_episode_close(&e);
            assert_int_equal(res.steps, 40);
            double c = 0, d = 0;
            for (int i = 0; i < 3; i++) *(cm[i] ? &c : &d) += (double)res.ret[i];
            size_t cell = (size_t)k * 3 + (size_t)s;
            assert_true(r.coop[cell] == (k ? c / k : 0));
            assert_true(r.defect[cell] == (k < 3 ? d / (3 - k) : 0));
            assert_true(r.group[cell] == (c + d) / 3);
        }
    /* R_c(l) is the mean of composition l + 1's cooperators */
    assert_float_equal(r.rc[0].mean, (r.coop[3] + r.coop[4] + r.coop[5]) / 3, 1e-12);
    /* a world of another size is refused */
    SimSchelling r4;
    assert_int_equal(sim_schelling_init(&r4, 4, 2, 1, 10, &err), 0);
    assert_int_equal(sim_schelling_run(&r4, &cfg, &pc, &pd, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "the world has 3 agents and the sweep 4"));
    sim_schelling_close(&r4);
    sim_schelling_close(&r);
    sim_policies_close(&pc);
    sim_policies_close(&pd);
    sim_config_close(&cfg);
}

/* ---- the command ------------------------------------------------------------------------ */

static char out[65536];

static int commons(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s", COMMONS_BIN, args);
    return th_run(cmd, out, sizeof out);
}

static void expect_error(const char *args, const char *needle) {
    int rc = commons(args);
    if (rc != 2) fail_msg("commons %s: exit code %d, expected 2; output:\n%s", args, rc, out);
    if (!strstr(out, needle)) fail_msg("commons %s: expected \"%s\" in:\n%s", args, needle, out);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* ---- pools ------------------------------------------------------------------------------ */

/* which pool entry plays each slot, by hand: 4 agents, 2 cooperators, episode 3: cooperators in
 * slots 3, 0 (members 0, 1: entries 3 * 2 + 0, + 1 mod 5 = 1, 2); defectors in slots 1, 2
 * (entries 3 * 2 + 0, + 1 mod 3 = 0, 1); without pools, entry = slot */
static void test_pool_entries(void **state) {
    (void)state;
    int e[4];
    sim_schelling_entries(4, 2, 3, 5, 3, e);
    assert_int_equal(e[3], 1);
    assert_int_equal(e[0], 2);
    assert_int_equal(e[1], 0);
    assert_int_equal(e[2], 1);
    sim_schelling_entries(4, 1, 2, 0, 0, e);
    for (int i = 0; i < 4; i++) assert_int_equal(e[i], i);
    /* every member of a pool plays equally often over P seeds with one cooperator */
    int count[5] = {0};
    for (int s = 0; s < 5; s++) {
        sim_schelling_entries(4, 1, s, 5, 2, e);
        count[e[s % 4]]++;
    }
    for (int j = 0; j < 5; j++) assert_int_equal(count[j], 1);
    /* PATH#g names a parameter set */
    char path[64];
    assert_int_equal(sim_policy_entry_group("runs/a#12", path, sizeof path), 12);
    assert_string_equal(path, "runs/a");
    assert_int_equal(sim_policy_entry_group("runs/a#", path, sizeof path), -1);
    assert_string_equal(path, "runs/a#");
    assert_int_equal(sim_policy_entry_group("a.ckpt#x1", path, sizeof path), -1);
    assert_true(sim_is_checkpoint_path("a.ckpt#3"));
}

/* a pool of scripted kinds: every cell is its episode played with the entries the pool gives */
static void test_pool_sweep(void **state) {
    (void)state;
    SimParams sp;
    SimConfig cfg;
    EnvError err;
    th_sim_params(&sp, "harvest", "env.agents=3", (const char *)NULL);
    if (sim_config_init(&cfg, &sp, &err)) fail_msg("%s", err.msg);
    SimPolicies pc, pd;
    assert_int_equal(sim_policies_parse_pool("coop,random", &pc, &err), 0);
    assert_int_equal(pc.n_entries, 2);
    assert_int_equal(sim_policies_parse("greedy", 3, &pd, &err), 0);
    SimSchelling r;
    assert_int_equal(sim_schelling_init(&r, 3, 3, 7, 30, &err), 0);
    assert_int_equal(sim_schelling_run(&r, &cfg, &pc, &pd, &err), 0);
    int randoms = 0;
    for (int k = 0; k <= 3; k++)
        for (int s = 0; s < 3; s++) {
            uint8_t cm[3];
            int e[3];
            ScriptedKind kinds[3];
            sim_schelling_slots(3, k, s, cm);
            sim_schelling_entries(3, k, s, 2, 0, e);
            for (int i = 0; i < 3; i++) {
                kinds[i] = cm[i] ? (e[i] == 0 ? SCRIPTED_COOP : SCRIPTED_RANDOM) : SCRIPTED_GREEDY;
                randoms += kinds[i] == SCRIPTED_RANDOM;
            }
            SimEpisode ep;
            SimResult res;
            assert_int_equal(sim_episode_init(&ep, &cfg, kinds, 7 + (uint64_t)s, 0, &err), 0);
            sim_episode_run(&ep, 0, 30, &res);
            sim_episode_close(&ep);
            double c = 0;
            for (int i = 0; i < 3; i++) c += cm[i] ? (double)res.ret[i] : 0;
            assert_true(r.coop[(size_t)k * 3 + (size_t)s] == (k ? c / k : 0));
        }
    /* both members played: of the 3 (1 + 2 + 3) = 18 cooperator places, entry 1 (random)
     * took 1 (k = 1: seed 1), 3 (k = 2: one a seed) and 4 (k = 3: 1, 2, 1) */
    assert_int_equal(randoms, 8);
    sim_schelling_close(&r);
    sim_policies_close(&pc);
    sim_policies_close(&pd);
    sim_config_close(&cfg);
}

/* PATH#g plays parameter set g of an independent checkpoint in any slot: a team given sets
 * 0..3 by name is the checkpoint's own team; a set beyond the checkpoint's is refused */
static void test_pool_parameter_sets(void **state) {
    (void)state;
    char dir[256], args[2048], own[4096];
    snprintf(dir, sizeof dir, "%s", th_write_temp("", ".d"));
    remove(dir);
    snprintf(args, sizeof args,
             "train %s/experiments/tragedy/train.ini --set train.steps=3200 --seed 3 --out %s",
             COMMONS_SOURCE_DIR, dir);
    if (commons(args) != 0) fail_msg("commons %s failed:\n%s", args, out);
    snprintf(args, sizeof args, "run --policy %s/ --episodes 3 --json", dir);
    if (commons(args) != 0) fail_msg("commons %s failed:\n%s", args, out);
    snprintf(own, sizeof own, "%s", strstr(out, "\"episodes\""));
    snprintf(args, sizeof args, "run --policy %s#0,%s#1,%s#2,%s#3 --episodes 3 --json", dir, dir,
             dir, dir);
    if (commons(args) != 0) fail_msg("commons %s failed:\n%s", args, out);
    assert_string_equal(strstr(out, "\"episodes\""), own);
    /* set 1 in every slot is another team */
    snprintf(args, sizeof args, "run --policy %s#1 --episodes 3 --json", dir);
    if (commons(args) != 0) fail_msg("commons %s failed:\n%s", args, out);
    assert_string_not_equal(strstr(out, "\"episodes\""), own);
    snprintf(args, sizeof args, "schelling --coop %s#4 --defect greedy --seeds 2", dir);
    expect_error(args, "asks for parameter set 4;");
    snprintf(args, sizeof args, "schelling --coop %s#0,%s#3 --defect %s#1 --seeds 2", dir, dir,
             dir);
    if (commons(args) != 0) fail_msg("commons %s failed:\n%s", args, out);
    assert_non_null(strstr(out, "4 agents, 100 steps, 2 seeds"));
}

/* a tiny run: its diagram pinned (coop against greedy, 3 agents of Harvest, 60 steps, 3 seeds) */
static void test_command(void **state) {
    (void)state;
    char dir[256], args[512], path[512];
    snprintf(dir, sizeof dir, "%s", th_write_temp("", ".d"));
    remove(dir);
    snprintf(args, sizeof args, "schelling --agents 3 --seeds 3 --steps 60 --out %s", dir);
    if (commons(args) != 0) fail_msg("commons %s failed:\n%s", args, out);
    assert_non_null(strstr(out, "3 agents, 60 steps, 3 seeds (1..3) x 4 compositions = 12"));
    assert_non_null(strstr(out, "a social dilemma: no"));
    assert_non_null(strstr(out, "fixed points: x = 0.0000 (unstable), x = 1.0000 (stable)"));
    snprintf(path, sizeof path, "%s/schelling.csv", dir);
    assert_string_equal(
        slurp(path),
        "l,rc,rc_lo,rc_hi,rd,rd_lo,rd_hi,td,td_lo,td_hi\n"
        "0,37.333333,24.830114,49.836552,36.111111,30.120880,42.101343,-1.222222,-15.331438,"
        "12.886993\n"
        "1,34.833333,28.963545,40.703122,33.500000,31.348674,35.651326,-1.333333,-8.174115,"
        "5.507449\n"
        "2,31.777778,26.264376,37.291179,30.333333,16.651770,44.014897,-1.444444,-13.453489,"
        "10.564600\n");
    snprintf(path, sizeof path, "%s/episodes.csv", dir);
    char *ep = slurp(path);
    assert_non_null(strstr(ep, "cooperators,seed,slots,coop,defect,group\n0,1,DDD,"));
    assert_non_null(strstr(ep, "\n2,3,CDC,")); /* seed index 2: slots 2 and 0 */
    const char *files[] = {"groups.csv", "conditions.csv", "replicator.csv", "fixed_points.csv",
                           "schelling.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (stat(path, &st) != 0 || st.st_size < 20) fail_msg("%s is missing or empty", path);
    }
    snprintf(path, sizeof path, "%s/replicator.csv", dir);
    assert_non_null(strstr(slurp(path), "x,f_c,f_d,xdot\n0.00,"));
    /* the same run again gives the same table */
    snprintf(path, sizeof path, "%s/schelling.csv", dir);
    char first[4096];
    snprintf(first, sizeof first, "%s", slurp(path));
    if (commons(args) != 0) fail_msg("commons %s failed again:\n%s", args, out);
    assert_string_equal(slurp(path), first);
    expect_error("schelling --seeds 1", "--seeds: 1 is out of range; allowed 2..1000000");
    expect_error("schelling --seeds x", "--seeds: 'x' is not an integer");
    expect_error("schelling --agents 1", "needs 2 or more agents");
    expect_error("schelling --coop bogus", "--coop: unknown policy 'bogus'");
    expect_error("schelling --defect coop,,greedy", "--defect: entry 2 of 'coop,,greedy' is empty");
    expect_error("schelling --coop nowhere/run", "nowhere/run");
    expect_error("schelling --bogus 1", "unknown option '--bogus'");
    expect_error("schelling --env nosuch", "nosuch");
    snprintf(args, sizeof args, "schelling --out %s/schelling.csv", dir);
    expect_error(args, "exists and is not a folder");
    assert_int_equal(commons("schelling --help"), 0);
    assert_non_null(strstr(out, "usage: commons schelling"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_t975),
        cmocka_unit_test(test_two_player_games),
        cmocka_unit_test(test_three_player_games),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_sweep_matches_episodes),
        cmocka_unit_test(test_pool_entries),
        cmocka_unit_test(test_pool_sweep),
        cmocka_unit_test(test_pool_parameter_sets),
        cmocka_unit_test(test_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
