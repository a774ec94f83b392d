/* test_dynamics.c: resource dynamics of the worlds, white-box.
 *
 * Harvest density regrowth (rates by neighbour count, neighbourhood shapes), no regrowth under an
 * agent, Cleanup waste spawning (single and ssd modes, the depletion stop, uniform choice of the
 * cell), Cleanup apple regrowth as a function of waste density, Gathering's fixed respawn (exact,
 * no random draws), and conservation of the apple and waste counters over random play of every
 * preset.
 *
 * Statistical checks compare a count of successes with its binomial expectation and accept
 * |k - n p| <= 5 sqrt(n p (1 - p)): a correct implementation misses that by chance with
 * probability below 6e-7 per check, while the rate errors we look for (a wrong table entry, a
 * wrong formula) are many standard deviations away. The seeds are fixed, so every run draws the
 * same numbers and the tests are deterministic.
 *
 * The set-up helpers below edit cells between steps without repainting the observation overlay;
 * these tests never observe, and the next step repaints it.
 */
#include "helpers.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "game.h"

/* the game hooks of a world, as the step uses them */
static const EnvGameOps *ops_of(const EnvWorld *w) {
    return env_game_ops(w->cfg->p.game);
}

/* every agent stays for one step */
static int step_still(EnvWorld *w) {
    int32_t act[ENV_MAX_AGENTS];
    for (int i = 0; i < ENV_MAX_AGENTS; i++) act[i] = ENV_ACT_STAY;
    return env_step(w, act, NULL);
}

/* the apple spawn point at a map cell */
static int apple_slot_at(const EnvWorld *w, int row, int col) {
    int s = w->cfg->apple_slot[th_idx(w->cfg, row, col)];
    assert_true(s >= 0);
    return s;
}

/* the river slot at a map cell */
static int river_slot_at(const EnvWorld *w, int row, int col) {
    int s = w->cfg->river_slot[th_idx(w->cfg, row, col)];
    assert_true(s >= 0);
    return s;
}

/* one bit of a bit set */
static int bit(const uint64_t *set, int i) {
    return (int)((set[i / 64] >> (i % 64)) & 1);
}

/* removes the apple at spawn point `slot` the way eating does: cell, count, set, game hook */
static void remove_apple(EnvWorld *w, int slot) {
    int32_t idx = w->cfg->apple[slot];
    assert_int_equal(w->cell[idx], ENV_ID_APPLE);
    env_put_cell(w, idx, ENV_ID_EMPTY);
    w->n_apples--;
    w->apple_empty[slot / 64] |= 1ULL << (slot % 64);
    ops_of(w)->eaten(w, slot);
}

/* puts waste on clean river slot `slot`, keeping n_waste and the clean set consistent */
static void put_waste_slot(EnvWorld *w, int slot) {
    int32_t idx = w->cfg->river[slot];
    assert_int_equal(w->cell[idx], ENV_ID_RIVER);
    env_put_cell(w, idx, ENV_ID_WASTE);
    w->n_waste++;
    w->river_clean[slot / 64] &= ~(1ULL << (slot % 64));
}

/* puts waste on the clean river cell at a map cell */
static void put_waste(EnvWorld *w, int row, int col) {
    put_waste_slot(w, river_slot_at(w, row, col));
}

/* cleans the waste at river slot `slot` the way a cleaning beam does */
static void clear_waste(EnvWorld *w, int slot) {
    int32_t idx = w->cfg->river[slot];
    assert_int_equal(w->cell[idx], ENV_ID_WASTE);
    env_put_cell(w, idx, ENV_ID_RIVER);
    w->n_waste--;
    w->river_clean[slot / 64] |= 1ULL << (slot % 64);
}

/* cells of the padded grid holding `id` */
static int count_id(const EnvWorld *w, uint8_t id) {
    int n = 0;
    for (int i = 0; i < w->cfg->hp * w->cfg->wp; i++) n += w->cell[i] == id;
    return n;
}

/* k successes in n trials: within 5 standard deviations of n p (p = 0 demands k = 0) */
static void assert_binomial(const char *what, long k, long n, double p) {
    double mean = (double)n * p, sd = sqrt((double)n * p * (1.0 - p));
    if (fabs((double)k - mean) > 5.0 * sd)
        fail_msg("%s: %ld of %ld, expected %.1f +- %.1f (5 sd, p = %.6f)", what, k, n, mean,
                 5.0 * sd, p);
}

/* a world with index 0 for a fixed seed, failing the test on error */
static void world_init(EnvWorld *w, const EnvConfig *cfg, uint64_t seed) {
    EnvError err = {0};
    if (env_world_init(w, cfg, seed, 0, &err)) fail_msg("world: %s", err.msg);
}

/* harvest: per-step regrowth frequency by neighbour count, probs[min(L, n - 1)] */
static void test_harvest_regrowth_rates(void **state) {
    (void)state;
    /* targets (square radius 1): T0 (1,4) with L = 0, T1 (1,8) with L = 1, T2 (1,15) with L = 2,
     * T8 (2,21) with L = 8, which the last entry of the table covers */
    static const char *map = "@@@@@@@@@@@@@@@@@@@@@@@@\n"
                             "@P  A   AA    AAA   AAA@\n"
                             "@                   AAA@\n"
                             "@                   AAA@\n"
                             "@@@@@@@@@@@@@@@@@@@@@@@@\n";
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    th_params(&p, "harvest", "env.agents=1", "env.max_steps=1000000", "regrowth.probs=0,0.25,0.5",
              NULL);
    th_config_with_map(&cfg, &p, map);
    assert_int_equal(cfg.n_nbr, 8);
    world_init(&w, &cfg, 11);
    const int rc[4][2] = {{1, 4}, {1, 8}, {1, 15}, {2, 21}};
    const int want_l[4] = {0, 1, 2, 8};
    const double want_p[4] = {0.0, 0.25, 0.5, 0.5};
    int slot[4];
    for (int t = 0; t < 4; t++) {
        slot[t] = apple_slot_at(&w, rc[t][0], rc[t][1]);
        remove_apple(&w, slot[t]);
    }
    /* the neighbour counts after the removals: the 3x3 square counts all 8 around T8 */
    for (int t = 0; t < 4; t++) assert_int_equal(w.nbr_count[slot[t]], want_l[t]);
    int n_full = cfg.n_apple - 4;
    assert_int_equal(w.n_apples, n_full);

    /* each step every target starts empty: count regrowths, then remove them again */
    const long n_steps = 4000;
    long hits[4] = {0};
    for (long s = 0; s < n_steps; s++) {
        step_still(&w);
        for (int t = 0; t < 4; t++)
            if (w.cell[cfg.apple[slot[t]]] == ENV_ID_APPLE) {
                hits[t]++;
                remove_apple(&w, slot[t]);
            }
        /* nothing else changes: the other spawn points stay full */
        assert_int_equal(w.n_apples, n_full);
    }
    /* T0 never regrows; 5 sd: T1 1000 +- 137, T2 and T8 2000 +- 158 */
    assert_int_equal(hits[0], 0);
    assert_binomial("L=1", hits[1], n_steps, want_p[1]);
    assert_binomial("L=2", hits[2], n_steps, want_p[2]);
    assert_binomial("L=8 (clamped to the last entry)", hits[3], n_steps, want_p[3]);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* harvest: the neighbourhood offsets of each shape and radius */
static void test_neighbourhood_shapes(void **state) {
    (void)state;
    static const struct {
        const char *shape, *radius;
        int disc, r, n;
    } cases[] = {
        {"regrowth.shape=square", "regrowth.radius=1", 0, 1, 8},  /* 3x3 - 1 */
        {"regrowth.shape=square", "regrowth.radius=2", 0, 2, 24}, /* 5x5 - 1 */
        {"regrowth.shape=disc", "regrowth.radius=1", 1, 1, 4},    /* the 4 axis cells */
        {"regrowth.shape=disc", "regrowth.radius=2", 1, 2, 12},   /* 4 + 4 diagonals + 4 at 2 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        EnvParams p;
        EnvConfig cfg;
        th_params(&p, "harvest", "env.agents=1", cases[k].shape, cases[k].radius, NULL);
        th_config_with_map(&cfg, &p, "@@@@@@@\n@P A  @\n@@@@@@@\n");
        assert_int_equal(cfg.n_nbr, cases[k].n);
        /* every expected offset listed exactly once, none other */
        int r = cases[k].r, expected = 0;
        for (int dr = -r; dr <= r; dr++)
            for (int dc = -r; dc <= r; dc++) {
                if (dr == 0 && dc == 0) continue;
                if (cases[k].disc && dr * dr + dc * dc > r * r) continue;
                expected++;
                int found = 0;
                for (int i = 0; i < cfg.n_nbr; i++) found += cfg.nbr[i] == dr * cfg.wp + dc;
                assert_int_equal(found, 1);
            }
        assert_int_equal(expected, cfg.n_nbr);
        env_config_close(&cfg);
    }
}

/* harvest: an apple at (2,2) counts for square radius 2, not for disc radius 2; (2,0) counts
 * for both */
static void test_neighbourhood_diagonal(void **state) {
    (void)state;
    /* Ta (2,3) has an apple at (4,5), offset (2,2); Tb (2,10) has one at (4,10), offset (2,0) */
    static const char *map = "@@@@@@@@@@@@@@\n"
                             "@P           @\n"
                             "@  A      A  @\n"
                             "@            @\n"
                             "@    A    A  @\n"
                             "@            @\n"
                             "@@@@@@@@@@@@@@\n";
    static const char *shapes[2] = {"regrowth.shape=disc", "regrowth.shape=square"};
    for (int sq = 0; sq < 2; sq++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        /* p = 0 with no neighbour, 1 with any: the outcome of each step is certain */
        th_params(&p, "harvest", "env.agents=1", "env.max_steps=1000000", shapes[sq],
                  "regrowth.radius=2", "regrowth.probs=0,1", NULL);
        th_config_with_map(&cfg, &p, map);
        world_init(&w, &cfg, 5);
        int ta = apple_slot_at(&w, 2, 3), tb = apple_slot_at(&w, 2, 10);
        remove_apple(&w, ta);
        remove_apple(&w, tb);
        assert_int_equal(w.nbr_count[ta], sq ? 1 : 0);
        assert_int_equal(w.nbr_count[tb], 1);
        /* Tb regrows at once; Ta only with the square */
        step_still(&w);
        assert_int_equal(w.cell[cfg.apple[tb]], ENV_ID_APPLE);
        assert_int_equal(w.cell[cfg.apple[ta]], sq ? ENV_ID_APPLE : ENV_ID_EMPTY);
        /* with the disc Ta stays empty however long we wait */
        for (int s = 0; s < 200 && !sq; s++) {
            step_still(&w);
            assert_int_equal(w.cell[cfg.apple[ta]], ENV_ID_EMPTY);
        }
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* harvest: an empty spawn point under an agent never regrows, and does once the agent leaves */
static void test_harvest_no_regrowth_under_agent(void **state) {
    (void)state;
    static const char *map = "@@@@@@@\n"
                             "@P    @\n"
                             "@ AAA @\n"
                             "@ AAA @\n"
                             "@ AAA @\n"
                             "@     @\n"
                             "@@@@@@@\n";
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    th_params(&p, "harvest", "env.agents=1", "env.max_steps=1000000", "regrowth.probs=0,1", NULL);
    th_config_with_map(&cfg, &p, map);
    world_init(&w, &cfg, 3);
    int t = apple_slot_at(&w, 3, 3);
    /* the agent stands on the centre apple: it eats it in the first step */
    th_place(&w, 0, 3, 3, ENV_NORTH);
    step_still(&w);
    assert_int_equal(w.reward[0], p.apple_reward);
    assert_int_equal(w.nbr_count[t], 8);
    /* with 8 neighbours p = 1, yet nothing grows under the agent */
    for (int s = 0; s < 500; s++) {
        step_still(&w);
        assert_int_equal(w.cell[cfg.apple[t]], ENV_ID_EMPTY);
        assert_int_equal(w.reward[0], 0);
    }
    assert_int_equal(w.metrics.ret[0], p.apple_reward);
    /* the agent steps aside: the apple is back after the next step */
    th_place(&w, 0, 5, 3, ENV_NORTH);
    step_still(&w);
    assert_int_equal(w.cell[cfg.apple[t]], ENV_ID_APPLE);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* cleanup: no apple and no waste appear under an agent */
static void test_cleanup_nothing_under_agent(void **state) {
    (void)state;
    /* one river cell (1,3), one apple spawn point (1,5) */
    static const char *map = "@@@@@@@\n"
                             "@P R A@\n"
                             "@@@@@@@\n";
    static const char *modes[2] = {"pollution.waste_mode=single", "pollution.waste_mode=ssd"};
    for (int m = 0; m < 2; m++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        th_params(&p, "cleanup", "env.agents=1", "env.max_steps=1000000", modes[m],
                  "pollution.apple_max_prob=1", "pollution.waste_spawn_prob=0", NULL);
        th_config_with_map(&cfg, &p, map);
        world_init(&w, &cfg, 9);
        int a = apple_slot_at(&w, 1, 5);
        /* a clean river (density 0): apples grow with p = 1, except under the agent */
        th_place(&w, 0, 1, 5, ENV_WEST);
        for (int s = 0; s < 300; s++) {
            step_still(&w);
            assert_int_equal(w.cell[cfg.apple[a]], ENV_ID_EMPTY);
            assert_int_equal(w.n_apples, 0);
        }
        th_place(&w, 0, 1, 4, ENV_WEST);
        step_still(&w);
        assert_int_equal(w.cell[cfg.apple[a]], ENV_ID_APPLE);
        env_world_close(&w);
        env_config_close(&cfg);

        /* waste with p = 1: the only river cell is under the agent, so none spawns */
        th_params(&p, "cleanup", "pollution.under_agents=0", "env.agents=1",
                  "env.max_steps=1000000", modes[m], "pollution.waste_spawn_prob=1", NULL);
        th_config_with_map(&cfg, &p, map);
        world_init(&w, &cfg, 9);
        th_place(&w, 0, 1, 3, ENV_WEST);
        for (int s = 0; s < 300; s++) {
            step_still(&w);
            assert_int_equal(w.n_waste, 0);
        }
        th_place(&w, 0, 1, 2, ENV_WEST);
        step_still(&w);
        assert_int_equal(w.n_waste, 1);
        assert_int_equal(w.cell[th_idx(&cfg, 1, 3)], ENV_ID_WASTE);
        env_world_close(&w);
        env_config_close(&cfg);

        /* the SSD code (pollution.under_agents = 1): waste spawns under the agent */
        th_params(&p, "cleanup", "pollution.under_agents=1", "env.agents=1",
                  "env.max_steps=1000000", modes[m], "pollution.waste_spawn_prob=1", NULL);
        th_config_with_map(&cfg, &p, map);
        world_init(&w, &cfg, 9);
        th_place(&w, 0, 1, 3, ENV_WEST);
        step_still(&w);
        assert_int_equal(w.n_waste, 1);
        assert_int_equal(w.cell[th_idx(&cfg, 1, 3)], ENV_ID_WASTE);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* cleanup map for the waste tests: 12 river cells (1,1)..(1,12), two spawn points */
static const char *RIVER12 = "@@@@@@@@@@@@@@\n"
                             "@RRRRRRRRRRRR@\n"
                             "@P P         @\n"
                             "@@@@@@@@@@@@@@\n";

/* Runs n_steps still steps and counts the steps in which one waste cell spawned, removing it
 * again; permanent waste (already there) stays. At most one cell spawns per step, never under
 * an agent. */
static long count_waste_spawns(EnvWorld *w, long n_steps) {
    const EnvConfig *cfg = w->cfg;
    int base = w->n_waste;
    uint8_t before[64];
    assert_true(cfg->n_river <= 64);
    for (int s = 0; s < cfg->n_river; s++) before[s] = w->cell[cfg->river[s]];
    long spawns = 0;
    for (long t = 0; t < n_steps; t++) {
        step_still(w);
        int added = w->n_waste - base;
        assert_true(added == 0 || added == 1);
        if (!added) continue;
        spawns++;
        int found = -1;
        for (int s = 0; s < cfg->n_river; s++)
            if (w->cell[cfg->river[s]] == ENV_ID_WASTE && before[s] != ENV_ID_WASTE) {
                assert_int_equal(found, -1);
                found = s;
            }
        assert_true(found >= 0);
        assert_int_equal(w->occ[cfg->river[found]], 0);
        clear_waste(w, found);
    }
    return spawns;
}

/* cleanup: the per-step probability of a new waste cell, single and ssd modes */
static void test_waste_spawn_rates(void **state) {
    (void)state;
    static const struct {
        const char *mode, *prob;
        int ssd;
        double p;
        int crowd; /* 1: two agents and two waste cells take 4 of the 12 river cells */
        int k;     /* clean river cells without an agent */
    } cases[] = {
        {"pollution.waste_mode=single", "pollution.waste_spawn_prob=0.3", 0, 0.3, 0, 12},
        {"pollution.waste_mode=single", "pollution.waste_spawn_prob=0.3", 0, 0.3, 1, 8},
        {"pollution.waste_mode=ssd", "pollution.waste_spawn_prob=0.1", 1, 0.1, 0, 12},
        {"pollution.waste_mode=ssd", "pollution.waste_spawn_prob=0.1", 1, 0.1, 1, 8},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        th_params(&p, "cleanup", "pollution.under_agents=0", "env.agents=2",
                  "env.max_steps=1000000", cases[c].mode, cases[c].prob, "pollution.depletion=0.5",
                  NULL);
        th_config_with_map(&cfg, &p, RIVER12);
        world_init(&w, &cfg, 100 + c);
        assert_int_equal(cfg.n_river, 12);
        assert_int_equal(w.n_waste, 0);
        if (cases[c].crowd) {
            th_place(&w, 0, 1, 1, ENV_SOUTH);
            th_place(&w, 1, 1, 2, ENV_SOUTH);
            put_waste(&w, 1, 11);
            put_waste(&w, 1, 12);
        }
        /* single: p whatever k is; ssd: 1 - (1 - p)^k, one draw per candidate.
         * 5 sd over 4000 steps: single 1200 +- 145; ssd k = 12: 2870 +- 142 (p = 0.7176),
         * k = 8: 2278 +- 157 (p = 0.5695); the two ssd cases are 4 sd apart from each other's
         * bounds, so counting occupied or wasted cells as candidates fails */
        double want = cases[c].ssd ? 1.0 - pow(1.0 - cases[c].p, cases[c].k) : cases[c].p;
        long n = 4000, k = count_waste_spawns(&w, n);
        char what[96];
        snprintf(what, sizeof what, "%s k=%d", cases[c].mode, cases[c].k);
        assert_binomial(what, k, n, want);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* cleanup: no waste spawns while the density is at or above depletion */
static void test_waste_stops_at_depletion(void **state) {
    (void)state;
    static const char *modes[2] = {"pollution.waste_mode=single", "pollution.waste_mode=ssd"};
    for (int m = 0; m < 2; m++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        /* 12 river cells, depletion 0.25: 3 waste cells is exactly the threshold */
        th_params(&p, "cleanup", "pollution.under_agents=0", "env.agents=2",
                  "env.max_steps=1000000", modes[m], "pollution.waste_spawn_prob=1",
                  "pollution.depletion=0.25", NULL);
        th_config_with_map(&cfg, &p, RIVER12);
        world_init(&w, &cfg, 21);
        /* below the threshold waste spawns with p = 1: 0 -> 1 -> 2 -> 3, then stops */
        for (int s = 1; s <= 3; s++) {
            step_still(&w);
            assert_int_equal(w.n_waste, s);
        }
        for (int s = 0; s < 500; s++) {
            step_still(&w);
            assert_int_equal(w.n_waste, 3);
            assert_int_equal(count_id(&w, ENV_ID_WASTE), 3);
        }
        /* above the threshold too: two more on the first clean cells */
        for (int s = 0; s < cfg.n_river && w.n_waste < 5; s++)
            if (w.cell[cfg.river[s]] == ENV_ID_RIVER) put_waste_slot(&w, s);
        assert_int_equal(w.n_waste, 5);
        for (int s = 0; s < 200; s++) {
            step_still(&w);
            assert_int_equal(w.n_waste, 5);
        }
        /* cleaning back to 2 restarts spawning at once, up to the threshold again */
        for (int s = 0; s < cfg.n_river && w.n_waste > 2; s++)
            if (w.cell[cfg.river[s]] == ENV_ID_WASTE) clear_waste(&w, s);
        step_still(&w);
        assert_int_equal(w.n_waste, 3);
        step_still(&w);
        assert_int_equal(w.n_waste, 3);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* cleanup: the new waste cell is uniform over the candidates */
static void test_waste_cell_uniform(void **state) {
    (void)state;
    static const char *modes[2] = {"pollution.waste_mode=single", "pollution.waste_mode=ssd"};
    for (int m = 0; m < 2; m++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        th_params(&p, "cleanup", "pollution.under_agents=0", "env.agents=2",
                  "env.max_steps=1000000", modes[m], "pollution.waste_spawn_prob=1",
                  "pollution.depletion=0.5", NULL);
        /* 8 river cells; agent 0 stands on (1,3), (1,6) holds waste: 6 candidates */
        th_config_with_map(&cfg, &p,
                           "@@@@@@@@@@\n"
                           "@RRRRRRRR@\n"
                           "@P P     @\n"
                           "@@@@@@@@@@\n");
        world_init(&w, &cfg, 31 + (uint64_t)m);
        th_place(&w, 0, 1, 3, ENV_SOUTH);
        put_waste(&w, 1, 6);
        int occupied = river_slot_at(&w, 1, 3), wasted = river_slot_at(&w, 1, 6);
        long n_steps = 6000, count[8] = {0};
        int base = w.n_waste;
        for (long t = 0; t < n_steps; t++) {
            step_still(&w);
            assert_int_equal(w.n_waste, base + 1); /* p = 1: exactly one each step */
            for (int s = 0; s < cfg.n_river; s++)
                if (s != wasted && w.cell[cfg.river[s]] == ENV_ID_WASTE) {
                    count[s]++;
                    clear_waste(&w, s);
                }
        }
        /* never the occupied cell; each candidate 1000 +- 144 (5 sd of Binomial(6000, 1/6));
         * chi-square with 5 degrees of freedom below 36 (tail probability 9.5e-7) */
        assert_int_equal(count[occupied], 0);
        assert_int_equal(count[wasted], 0);
        double chi2 = 0.0, e = (double)n_steps / 6.0;
        for (int s = 0; s < cfg.n_river; s++) {
            if (s == occupied || s == wasted) continue;
            assert_binomial("candidate cell", count[s], n_steps, 1.0 / 6.0);
            chi2 += ((double)count[s] - e) * ((double)count[s] - e) / e;
        }
        if (chi2 >= 36.0) fail_msg("chi-square %.2f >= 36 (5 dof)", chi2);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* cleanup: apple regrowth probability as a function of waste density */
static void test_cleanup_apple_rate(void **state) {
    (void)state;
    /* 10 river cells, 10 apple spawn points; waste is placed and never spawns (p = 0) */
    static const char *map = "@@@@@@@@@@@@\n"
                             "@RRRRRRRRRR@\n"
                             "@P         @\n"
                             "@AAAAAAAAAA@\n"
                             "@@@@@@@@@@@@\n";
    /* max 0.4, depletion 0.5, restoration 0.1: p = 0.4 (0.5 - d) / 0.4 between them */
    static const struct {
        int waste;
        double p;
    } cases[] = {
        {0, 0.4}, /* d = 0 <= restoration: max */
        {1, 0.4}, /* d = 0.1 = restoration: max */
        {3, 0.2}, /* d = 0.3: 0.4 * 0.2 / 0.4 */
        {4, 0.1}, /* d = 0.4: 0.4 * 0.1 / 0.4 */
        {5, 0.0}, /* d = 0.5 = depletion: none */
        {7, 0.0}, /* d = 0.7 above depletion: none */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        th_params(&p, "cleanup", "env.agents=1", "env.max_steps=1000000",
                  "pollution.waste_spawn_prob=0", "pollution.apple_max_prob=0.4",
                  "pollution.depletion=0.5", "pollution.restoration=0.1", "apples.start=0", NULL);
        th_config_with_map(&cfg, &p, map);
        world_init(&w, &cfg, 41 + c);
        for (int k = 0; k < cases[c].waste; k++) put_waste(&w, 1, 1 + k);
        assert_int_equal(w.n_apples, 0);
        /* every spawn point starts each step empty: 2000 steps x 10 = 20000 trials;
         * 5 sd: p = 0.4 8000 +- 346, p = 0.2 4000 +- 283, p = 0.1 2000 +- 212 */
        long n_steps = 2000, grown = 0;
        for (long t = 0; t < n_steps; t++) {
            step_still(&w);
            assert_int_equal(w.n_waste, cases[c].waste);
            for (int s = 0; s < cfg.n_apple; s++)
                if (w.cell[cfg.apple[s]] == ENV_ID_APPLE) {
                    grown++;
                    remove_apple(&w, s);
                }
            assert_int_equal(w.n_apples, 0);
        }
        char what[64];
        snprintf(what, sizeof what, "apples with %d of 10 river cells wasted", cases[c].waste);
        assert_binomial(what, grown, n_steps * cfg.n_apple, cases[c].p);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* gathering: an apple eaten in step t is collectable again in step t + respawn_steps */
static void test_gathering_respawn_exact(void **state) {
    (void)state;
    static const char *sets[2] = {"apples.respawn_steps=25", "apples.respawn_steps=7"};
    static const char *orders[2] = {"env.order=simultaneous", "env.order=sequential"};
    for (int k = 0; k < 4; k++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        int seq = k >= 2;
        th_params(&p, "gathering", "env.agents=1", "env.max_steps=1000000", sets[k % 2],
                  orders[seq], NULL);
        th_config_with_map(&cfg, &p,
                           "@@@@@@@@\n"
                           "@PA    @\n"
                           "@@@@@@@@\n");
        world_init(&w, &cfg, 51);
        int R = p.respawn_steps, a = apple_slot_at(&w, 1, 2);
        w.agent[0].orient = ENV_EAST; /* the only spawn point is (1,1) */
        uint64_t rng0 = w.rng.state;
        /* step 0 moves onto the apple; then the agent stays there: it eats in steps 0, R, 2R,
         * ... In the simultaneous order the apple is visible after steps R - 1, 2R - 1, ...
         * (the dynamics after eating put it back for the next step); in the sequential order
         * (Gallego's) the dynamics of step R put it back just before it is eaten, unseen */
        int32_t act = ENV_ACT_FORWARD;
        for (int s = 0; s < 5 * R; s++) {
            env_step(&w, &act, NULL);
            act = ENV_ACT_STAY;
            int seen = !seq && (s + 1) % R == 0;
            assert_int_equal(w.reward[0], s % R == 0 ? p.apple_reward : 0);
            assert_int_equal(w.cell[cfg.apple[a]], seen ? ENV_ID_APPLE : ENV_ID_EMPTY);
            assert_int_equal(w.n_apples, seen);
        }
        assert_int_equal(w.metrics.ret[0], 5 * p.apple_reward);
        /* no random draws */
        assert_true(w.rng.state == rng0);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* gathering: an apple returns at its time whether or not anyone waits for it */
static void test_gathering_respawn_walk_away(void **state) {
    (void)state;
    for (int seq = 0; seq < 2; seq++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        th_params(&p, "gathering", "env.agents=1", "env.max_steps=1000000",
                  "apples.respawn_steps=10",
                  seq ? "env.order=sequential" : "env.order=simultaneous", NULL);
        th_config_with_map(&cfg, &p,
                           "@@@@@@@@\n"
                           "@P A   @\n"
                           "@@@@@@@@\n");
        world_init(&w, &cfg, 61);
        int a = apple_slot_at(&w, 1, 3);
        w.agent[0].orient = ENV_EAST;
        uint64_t rng0 = w.rng.state;
        /* steps 0..2 walk east: the apple is eaten in step 1 and the agent leaves in step 2 */
        int32_t act = ENV_ACT_FORWARD;
        for (int s = 0; s < 3; s++) {
            env_step(&w, &act, NULL);
            assert_int_equal(w.reward[0], s == 1);
        }
        /* empty until tick 1 + 10 (after step 10: simultaneous order) or 1 + 10 + 1 (after step 11,
         * 10 steps after the one that ate it: sequential), then present */
        act = ENV_ACT_STAY;
        while (w.tick < 11 + seq) {
            assert_int_equal(w.cell[cfg.apple[a]], ENV_ID_EMPTY);
            env_step(&w, &act, NULL);
        }
        assert_int_equal(w.cell[cfg.apple[a]], ENV_ID_APPLE);
        assert_int_equal(w.n_apples, 1);
        /* either way step 11 = 1 + 10 can collect it: walk back (sequential: step 11 itself) */
        if (seq) {
            env_world_close(&w);
            world_init(&w, &cfg, 61);
            w.agent[0].orient = ENV_EAST;
            act = ENV_ACT_FORWARD;
            for (int s = 0; s < 3; s++) env_step(&w, &act, NULL);
            act = ENV_ACT_STAY;
            while (w.tick < 11) env_step(&w, &act, NULL);
            assert_int_equal(w.cell[cfg.apple[a]], ENV_ID_EMPTY);
        }
        act = ENV_ACT_BACKWARD;
        env_step(&w, &act, NULL);
        assert_int_equal(w.reward[0], 1);
        assert_true(w.rng.state == rng0);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* gathering: long random play of one agent makes no dynamics draws; harvest does */
static void test_gathering_no_draws(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    EnvRng pick;
    /* one agent, so no move contests (they draw from the same stream) */
    th_params(&p, "gathering", "env.agents=1", "env.max_steps=1000000", NULL);
    EnvError err = {0};
    assert_int_equal(env_config_init(&cfg, &p, &err), 0);
    assert_true(cfg.n_apple <= 64); /* one word of the empty set holds them all */
    world_init(&w, &cfg, 71);
    env_rng_seed(&pick, env_hash4(71, 0, 0, ENV_STREAM_BENCH));
    uint64_t rng0 = w.rng.state;
    long regrown = 0;
    for (int s = 0; s < 3000; s++) {
        int32_t act = (int32_t)env_rng_below(&pick, (uint32_t)cfg.spec.n_actions);
        uint64_t empty = w.apple_empty[0];
        env_step(&w, &act, NULL);
        /* spawn points empty before the step and full after it */
        regrown += __builtin_popcountll(empty & ~w.apple_empty[0]);
    }
    /* the run ate and regrew apples, and the stream never moved */
    assert_true(w.metrics.ret[0] > 0);
    assert_true(regrown > 0);
    assert_true(w.rng.state == rng0);
    env_world_close(&w);
    env_config_close(&cfg);

    /* control: harvest regrowth draws from the same stream */
    th_params(&p, "harvest", "env.agents=1", "env.max_steps=1000000", NULL);
    th_config_with_map(&cfg, &p, "@@@@@\n@PAA@\n@@@@@\n");
    world_init(&w, &cfg, 71);
    remove_apple(&w, apple_slot_at(&w, 1, 2));
    rng0 = w.rng.state;
    step_still(&w);
    assert_true(w.rng.state != rng0);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* the counters and sets agree with the grid */
static void check_conservation(const EnvWorld *w, const char *preset, int step) {
    const EnvConfig *cfg = w->cfg;
    int apples = count_id(w, ENV_ID_APPLE), waste = count_id(w, ENV_ID_WASTE);
    if (apples != w->n_apples || waste != w->n_waste)
        fail_msg("%s step %d: %d apple cells, n_apples %d; %d waste cells, n_waste %d", preset,
                 step, apples, w->n_apples, waste, w->n_waste);
    /* apples only on spawn points, waste only on river cells; the sets mirror the cells */
    int on_spawn = 0, on_river = 0;
    for (int s = 0; s < cfg->n_apple; s++) {
        int has = w->cell[cfg->apple[s]] == ENV_ID_APPLE;
        on_spawn += has;
        assert_int_equal(bit(w->apple_empty, s), !has);
    }
    for (int s = 0; s < cfg->n_river; s++) {
        uint8_t id = w->cell[cfg->river[s]];
        assert_true(id == ENV_ID_WASTE || id == ENV_ID_RIVER);
        on_river += id == ENV_ID_WASTE;
        assert_int_equal(bit(w->river_clean, s), id != ENV_ID_WASTE);
    }
    assert_int_equal(on_spawn, apples);
    assert_int_equal(on_river, waste);
    /* harvest: the incremental neighbour counts equal a recount */
    if (cfg->p.game == ENV_GAME_HARVEST)
        for (int s = 0; s < cfg->n_apple; s++) {
            int n = 0;
            for (int k = 0; k < cfg->n_nbr; k++)
                n += w->cell[cfg->apple[s] + cfg->nbr[k]] == ENV_ID_APPLE;
            assert_int_equal(w->nbr_count[s], n);
            /* and each empty spawn point sits in exactly its class's set */
            int words = (cfg->n_apple + 63) / 64, last = cfg->p.n_regrowth - 1;
            int want = n < last ? n : last;
            for (int c = 0; c < ENV_MAX_REGROWTH; c++)
                assert_int_equal(bit(w->class_empty + (size_t)c * (size_t)words, s),
                                 bit(w->apple_empty, s) && c == want);
        }
}

/* every preset: n_apples and n_waste match the grid after every step of random play */
static void test_conservation(void **state) {
    (void)state;
    static const char *presets[] = {"cleanup", "cleanup-gallego", "harvest", "commons",
                                    "gathering"};
    for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        EnvRng pick;
        EnvError err = {0};
        th_params(&p, presets[k], NULL);
        if (env_config_init(&cfg, &p, &err)) fail_msg("%s: %s", presets[k], err.msg);
        world_init(&w, &cfg, 81 + k);
        env_rng_seed(&pick, env_hash4(81 + k, 0, 0, ENV_STREAM_BENCH));
        check_conservation(&w, presets[k], -1);
        int32_t act[ENV_MAX_AGENTS];
        long eaten = 0, grown = 0, cleaned = 0, spawned = 0;
        uint64_t episode = 0, empty[64], clean[64];
        int n_aw = (cfg.n_apple + 63) / 64, n_rw = (cfg.n_river + 63) / 64;
        assert_true(n_aw <= 64 && n_rw <= 64);
        for (int s = 0; s < 3000; s++) {
            memcpy(empty, w.apple_empty, (size_t)n_aw * 8);
            memcpy(clean, w.river_clean, (size_t)n_rw * 8);
            for (int i = 0; i < p.n_agents; i++)
                act[i] = (int32_t)env_rng_below(&pick, (uint32_t)cfg.spec.n_actions);
            int done = env_step(&w, act, NULL);
            check_conservation(&w, presets[k], s);
            /* what changed, from the sets before and after the step */
            for (int d = 0; d < n_aw; d++) {
                eaten += __builtin_popcountll(~empty[d] & w.apple_empty[d]);
                grown += __builtin_popcountll(empty[d] & ~w.apple_empty[d]);
            }
            for (int d = 0; d < n_rw; d++) {
                cleaned += __builtin_popcountll(~clean[d] & w.river_clean[d]);
                spawned += __builtin_popcountll(clean[d] & ~w.river_clean[d]);
            }
            if (done) {
                env_reset(&w, ++episode);
                check_conservation(&w, presets[k], s);
            }
        }
        /* the run exercised the dynamics it checks */
        if (cfg.p.game == ENV_GAME_CLEANUP) {
            if (!cleaned || !spawned)
                fail_msg("%s: cleaned %ld, spawned %ld", presets[k], cleaned, spawned);
        } else if (!eaten || !grown) {
            fail_msg("%s: eaten %ld, grown %ld", presets[k], eaten, grown);
        }
        assert_int_equal(episode, 3);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harvest_regrowth_rates),
        cmocka_unit_test(test_neighbourhood_shapes),
        cmocka_unit_test(test_neighbourhood_diagonal),
        cmocka_unit_test(test_harvest_no_regrowth_under_agent),
        cmocka_unit_test(test_cleanup_nothing_under_agent),
        cmocka_unit_test(test_waste_spawn_rates),
        cmocka_unit_test(test_waste_stops_at_depletion),
        cmocka_unit_test(test_waste_cell_uniform),
        cmocka_unit_test(test_cleanup_apple_rate),
        cmocka_unit_test(test_gathering_respawn_exact),
        cmocka_unit_test(test_gathering_respawn_walk_away),
        cmocka_unit_test(test_gathering_no_draws),
        cmocka_unit_test(test_conservation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
