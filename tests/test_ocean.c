/* test_ocean.c: the ocean world: plastic conservation at every step, currents, collection,
 * observations against the naive reference, golden hashes, and bad ocean maps and configs. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "../env/game.h"

static const char *OCEANS[] = {"ocean", "ocean-small", "ocean-hivex", "ocean-patchy"};
#define N_OCEANS (sizeof OCEANS / sizeof OCEANS[0])

static void build(EnvParams *p, EnvConfig *cfg, EnvWorld *w, uint64_t seed) {
    EnvError err;
    if (env_config_init(cfg, p, &err)) fail_msg("%s", err.msg);
    assert_int_equal(env_world_init(w, cfg, seed, 0, &err), 0);
}

static void random_actions(EnvRng *rng, int n, int32_t *act) {
    for (int i = 0; i < n; i++) act[i] = (int32_t)env_rng_below(rng, 5);
}

/* spawned = afloat + collected + beached after every step of long random runs; the afloat set
 * and the cells agree with the plastic counts; land never holds plastic */
static void test_conservation(void **state) {
    (void)state;
    for (size_t k = 0; k < N_OCEANS; k++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        th_params(&p, OCEANS[k], "env.max_steps=700", (const char *)NULL);
        build(&p, &cfg, &w, 3);
        EnvRng rng;
        env_rng_seed(&rng, 17 + k);
        int32_t act[ENV_MAX_AGENTS];
        int64_t total_spawned = 0, total_collected = 0;
        for (int t = 0; t < 2000; t++) {
            random_actions(&rng, p.n_agents, act);
            int64_t collected_before = w.collected;
            float rew[ENV_MAX_AGENTS];
            int done = env_step(&w, act, rew);
            /* rewards are what the vessels collected this step */
            int64_t sum = 0;
            for (int i = 0; i < p.n_agents; i++) sum += (int64_t)rew[i];
            assert_true(sum == w.collected - collected_before);
            int64_t afloat = env_plastic_afloat(&w);
            if (w.spawned != afloat + w.collected + w.beached)
                fail_msg("%s step %d: spawned %lld != afloat %lld + collected %lld + beached %lld",
                         OCEANS[k], t, (long long)w.spawned, (long long)afloat,
                         (long long)w.collected, (long long)w.beached);
            if (t % 97 == 0) {
                for (int32_t i = 0; i < cfg.hp * cfg.wp; i++) {
                    int on = (int)((w.afloat[i / 64] >> (i % 64)) & 1);
                    assert_int_equal(on, w.plastic[i] > 0);
                    if (w.plastic[i] > 0) {
                        assert_true(cfg.base[i] == ENV_ID_EMPTY || cfg.base[i] == ENV_ID_SOURCE);
                        assert_true(w.cell[i] >= ENV_ID_PLASTIC1 && w.cell[i] <= ENV_ID_PLASTIC4);
                    }
                }
            }
            if (done) {
                total_spawned += w.spawned;
                total_collected += w.collected;
                env_reset(&w, w.episode + 1);
            }
        }
        /* the runs did something: plastic appeared and was collected */
        assert_true(total_spawned > 0);
        assert_true(total_collected > 0);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

static const char *BASIN = "@@@@@@@@@@@@@\n"
                           "@           @\n"
                           "@           @\n"
                           "@P         P@\n"
                           "@           @\n"
                           "@           @\n"
                           "@@@@@@@@@@@@@\n";

/* put `units` of plastic on a map cell outside a step, keeping the books */
static void drop(EnvWorld *w, int row, int col, int units) {
    int32_t idx = th_idx(w->cfg, row, col);
    w->plastic[idx] += units;
    w->afloat[idx / 64] |= 1ULL << (idx % 64);
    w->spawned += units;
    env_overlay_clear(w);
    env_put_cell(w, idx, ENV_ID_PLASTIC4);
    env_overlay_paint(w);
}

/* uniform eastward currents: a stack moves east with probability current_prob a step, and
 * beaches on the east coast */
static void test_uniform_drift(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    th_params(&p, "ocean-small", "env.agents=2", "ocean.currents=uniform", "ocean.current_dir=east",
              "ocean.current_prob=0.25", "ocean.source_prob=0", "ocean.patch_prob=0",
              "ocean.initial_patches=0", (const char *)NULL);
    th_config_with_map(&cfg, &p, BASIN);
    EnvError err;
    assert_int_equal(env_world_init(&w, &cfg, 5, 0, &err), 0);
    int32_t stay[2] = {ENV_OCEAN_STAY, ENV_OCEAN_STAY};
    /* count the steps a single stack takes to cross from column 1 to the coast, many times */
    int64_t moves = 0, steps = 0;
    for (int trial = 0; trial < 200; trial++) {
        drop(&w, 1, 1, 3);
        int col = 1;
        while (w.beached < 3LL * (trial + 1)) {
            env_step(&w, stay, NULL);
            steps++;
            int32_t idx = th_idx(&cfg, 1, col);
            if (w.plastic[idx] == 0) {
                moves++;
                col++;
                if (col <= 11) assert_int_equal(w.plastic[th_idx(&cfg, 1, col)], 3);
            }
            assert_true(steps < 100000);
        }
        assert_int_equal(col, 12); /* 11 moves: columns 2..11, then onto the coast */
    }
    assert_int_equal(moves, 200 * 11);
    /* a move is a geometric trial with p = 0.25: mean 4 steps a move; 2200 moves have a mean
     * with sd sqrt(0.75)/0.25/sqrt(2200) = 0.074, five sd is 0.37 */
    double mean = (double)steps / (double)moves;
    assert_true(mean > 4.0 - 0.37 && mean < 4.0 + 0.37);
    assert_true(w.spawned == w.beached);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* the gyre gathers plastic: its mean distance from the centre shrinks over time */
static void test_gyre_converges(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    th_params(&p, "ocean", "ocean.source_prob=0", "ocean.patch_prob=0", "ocean.initial_patches=40",
              "ocean.beaching=0", "ocean.current_prob=0.5", (const char *)NULL);
    build(&p, &cfg, &w, 9);
    int32_t stay[ENV_MAX_AGENTS] = {0};
    double cy = (cfg.hp - 1) / 2.0, cx = (cfg.wp - 1) / 2.0;
    double before = 0, after = 0;
    int64_t units = 0;
    for (int i = 0; i < cfg.n_sea; i++) {
        int32_t idx = cfg.sea[i];
        double dy = idx / cfg.wp - cy, dx = idx % cfg.wp - cx;
        before += w.plastic[idx] * (dy * dy + dx * dx);
        units += w.plastic[idx];
    }
    for (int t = 0; t < 400; t++) env_step(&w, stay, NULL);
    /* vessels staying put may have collected some; compare mean squared distances */
    int64_t left = 0;
    for (int i = 0; i < cfg.n_sea; i++) {
        int32_t idx = cfg.sea[i];
        double dy = idx / cfg.wp - cy, dx = idx % cfg.wp - cx;
        after += w.plastic[idx] * (dy * dy + dx * dx);
        left += w.plastic[idx];
    }
    assert_true(units > 0 && left > 0);
    assert_true(after / (double)left < 0.6 * before / (double)units);
    assert_true(w.beached == 0);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* a vessel collects at most capacity units a step, and that is its reward */
static void test_collection(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    th_params(&p, "ocean-small", "env.agents=2", "ocean.currents=none", "ocean.source_prob=0",
              "ocean.patch_prob=0", "ocean.initial_patches=0", "ocean.capacity=3",
              (const char *)NULL);
    th_config_with_map(&cfg, &p, BASIN);
    EnvError err;
    assert_int_equal(env_world_init(&w, &cfg, 5, 0, &err), 0);
    th_place(&w, 0, 3, 1, ENV_NORTH);
    th_place(&w, 1, 3, 11, ENV_NORTH);
    drop(&w, 3, 2, 7);
    int32_t act[2] = {ENV_OCEAN_EAST, ENV_OCEAN_STAY};
    float rew[2];
    env_step(&w, act, rew);
    assert_int_equal(w.agent[0].pos, th_idx(&cfg, 3, 2));
    assert_true(rew[0] == 3.0f && rew[1] == 0.0f);
    act[0] = ENV_OCEAN_STAY;
    env_step(&w, act, rew);
    assert_true(rew[0] == 3.0f);
    env_step(&w, act, rew);
    assert_true(rew[0] == 1.0f);
    env_step(&w, act, rew);
    assert_true(rew[0] == 0.0f);
    assert_int_equal(w.collected, 7);
    assert_int_equal(w.metrics.ret[0], 7);
    /* moves are absolute: north, then west into the coast (stays) */
    act[0] = ENV_OCEAN_NORTH;
    env_step(&w, act, rew);
    assert_int_equal(w.agent[0].pos, th_idx(&cfg, 2, 2));
    act[0] = ENV_OCEAN_WEST;
    env_step(&w, act, rew);
    env_step(&w, act, rew);
    assert_int_equal(w.agent[0].pos, th_idx(&cfg, 2, 1));
    assert_int_equal(w.agent[0].orient, ENV_NORTH);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* the fast observation equals the naive reference on every ocean preset and both encodings */
static void test_observe_matches_naive(void **state) {
    (void)state;
    for (size_t k = 0; k < N_OCEANS; k++)
        for (int enc = 0; enc < 2; enc++) {
            EnvParams p;
            EnvConfig cfg;
            EnvWorld w;
            th_params(&p, OCEANS[k], enc ? "obs.encoding=ids" : "obs.encoding=rgb",
                      (const char *)NULL);
            build(&p, &cfg, &w, 21);
            size_t bytes = cfg.spec.obs_size * (size_t)p.n_agents;
            uint8_t *fast = malloc(bytes), *naive = malloc(bytes);
            EnvRng rng;
            env_rng_seed(&rng, 3 + k);
            int32_t act[ENV_MAX_AGENTS];
            for (int t = 0; t < 300; t++) {
                random_actions(&rng, p.n_agents, act);
                env_step(&w, act, NULL);
                env_observe(&w, fast);
                env_observe_naive(&w, naive);
                if (memcmp(fast, naive, bytes))
                    fail_msg("%s: observation differs from the reference at step %d", OCEANS[k], t);
            }
            /* features: own row and column, scaled to [0, 1) */
            float feat[2 * ENV_MAX_AGENTS];
            assert_int_equal(cfg.spec.n_features, 2);
            env_features(&w, feat);
            for (int i = 0; i < 2 * p.n_agents; i++) assert_true(feat[i] >= 0 && feat[i] < 1);
            free(fast);
            free(naive);
            env_world_close(&w);
            env_config_close(&cfg);
        }
}

/* golden hashes after 500 random steps, and determinism across repeats and world indices */
static void test_golden_hashes(void **state) {
    (void)state;
    static const uint64_t golden[N_OCEANS] = {0xf0f7eb60ba218c56ULL, 0xd97194b381ba74a3ULL,
                                              0x3c6ffdf6f0039284ULL, 0xde8ca2d6a474a449ULL};
    int bad = 0;
    for (size_t k = 0; k < N_OCEANS; k++) {
        uint64_t h[3];
        for (int rep = 0; rep < 3; rep++) {
            EnvParams p;
            EnvConfig cfg;
            EnvWorld w;
            EnvError err;
            th_params(&p, OCEANS[k], (const char *)NULL);
            assert_int_equal(env_config_init(&cfg, &p, &err), 0);
            assert_int_equal(env_world_init(&w, &cfg, 7, rep == 2 ? 1 : 0, &err), 0);
            EnvRng rng;
            env_rng_seed(&rng, env_hash4(7, 0, 0, ENV_STREAM_BENCH));
            int32_t act[ENV_MAX_AGENTS];
            for (int t = 0; t < 500; t++) {
                random_actions(&rng, p.n_agents, act);
                env_step(&w, act, NULL);
            }
            h[rep] = env_state_hash(&w);
            env_world_close(&w);
            env_config_close(&cfg);
        }
        assert_true(h[0] == h[1]);
        assert_true(h[0] != h[2]);
        if (h[0] != golden[k]) {
            print_message("golden %-14s expected %016llx got 0x%016llxULL\n", OCEANS[k],
                          (unsigned long long)golden[k], (unsigned long long)h[0]);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* ocean maps take only ocean cells, and the grid games refuse river mouths */
static void test_map_errors(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvError err = {0};
    th_params(&p, "ocean-small", (const char *)NULL);
    snprintf(p.map, sizeof p.map, "%s", th_write_temp("@@@@\n@PA@\n@P @\n@@@@\n", ".txt"));
    assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, ":2:3: 'A' is not a cell of the ocean game"));
    assert_non_null(strstr(err.msg, "'M' river mouth"));
    th_params(&p, "harvest", (const char *)NULL);
    snprintf(p.map, sizeof p.map, "%s", th_write_temp("@@@@@\n@PPM@\n@PPP@\n@@@@@\n", ".txt"));
    assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, ":2:4: 'M' is not a cell of the harvest game"));
    /* the CLI: exit 2, with the key and the range */
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "'%s' run --env ocean --set ocean.capacity=0", COMMONS_BIN);
    assert_int_equal(th_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "ocean.capacity = 0 is out of range; allowed 1..100000"));
    snprintf(cmd, sizeof cmd, "'%s' run --env ocean --set ocean.currents=swirl", COMMONS_BIN);
    assert_int_equal(th_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "choose one of: none uniform gyre"));
    snprintf(cmd, sizeof cmd, "'%s' run --env ocean --set comm.topology=mesh", COMMONS_BIN);
    assert_int_equal(th_run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "none full ring star radius knn"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conservation),
        cmocka_unit_test(test_uniform_drift),
        cmocka_unit_test(test_gyre_converges),
        cmocka_unit_test(test_collection),
        cmocka_unit_test(test_observe_matches_naive),
        cmocka_unit_test(test_golden_hashes),
        cmocka_unit_test(test_map_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
