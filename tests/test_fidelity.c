/* test_fidelity.c: the rules where the reference implementations disagree, one check each, and
 * the maps exactly as the references build them.
 *
 * Maps: reachable cells and spawn points of Gallego's Gathering maps (ragged rows padded with open
 * floor). Cleanup (the SSD code): apple regrowth from the waste density before the step's spawn
 * (pollution.density), waste under agents (pollution.under_agents, in test_dynamics.c), a cleaning
 * ray that cleans the cell of the agent that stops it, observations without beams (obs.beams).
 * Gallego's step (env.order = sequential, env.overlap = allowed): a lower-indexed firer's tag
 * cancels a later agent's action, a second beam misses an agent already tagged, an agent tagged
 * in a step collects nothing in it, agents share cells; extra agents on random open cells
 * (env.extra_agents); a tagged agent sees itself as itself; Commons regrowth under agents and in
 * place (regrowth.under_agents, regrowth.update). Each rule is checked both ways.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game.h"

static void world_init(EnvWorld *w, const EnvConfig *cfg, uint64_t seed) {
    EnvError err = {0};
    if (env_world_init(w, cfg, seed, 0, &err)) fail_msg("world: %s", err.msg);
}

static void config_init(EnvConfig *cfg, const EnvParams *p) {
    EnvError err = {0};
    if (env_config_init(cfg, p, &err)) fail_msg("config: %s", err.msg);
}

/* cells reachable from the spawn points through non-wall cells inside the map */
static int reachable(const EnvMap *m) {
    int n = m->h * m->w, head = 0, tail = 0, *queue = malloc((size_t)n * sizeof(int));
    char *seen = calloc((size_t)n, 1);
    assert_non_null(queue);
    assert_non_null(seen);
    for (int i = 0; i < n; i++)
        if (m->cells[i] == 'P') seen[i] = 1, queue[tail++] = i;
    while (head < tail) {
        int cur = queue[head++], r = cur / m->w, c = cur % m->w;
        static const int dr[4] = {-1, 0, 1, 0}, dc[4] = {0, 1, 0, -1};
        for (int d = 0; d < 4; d++) {
            int nr = r + dr[d], nc = c + dc[d], nb = nr * m->w + nc;
            if (nr < 0 || nr >= m->h || nc < 0 || nc >= m->w || seen[nb]) continue;
            if (m->cells[nb] == '@') continue;
            seen[nb] = 1;
            queue[tail++] = nb;
        }
    }
    free(queue);
    free(seen);
    return tail;
}

/* moves every agent at once to (row[i], col[i]) facing orient[i], repainting the overlay */
static void place_all(EnvWorld *w, int n, const int *row, const int *col, const int *orient) {
    env_overlay_clear(w);
    for (int i = 0; i < n; i++) w->occ[w->agent[i].pos] = 0;
    for (int i = 0; i < n; i++) {
        int32_t idx = th_idx(w->cfg, row[i], col[i]);
        assert_int_equal(w->occ[idx], 0);
        w->agent[i].pos = idx;
        w->agent[i].orient = (uint8_t)orient[i];
        w->occ[idx] = (uint8_t)(i + 1);
    }
    env_overlay_paint(w);
}

static char map_at(const EnvMap *m, int r, int c) {
    return m->cells[r * m->w + c];
}

/* Gallego's maps as his code builds them: ragged rows padded with open floor */
static void test_gallego_maps(void **state) {
    (void)state;
    static const struct {
        const char *name;
        int h, w, reach;
    } want[] = {
        {"gathering", 21, 29, 521},       {"gathering-small", 10, 18, 121},
        {"gathering-large", 16, 38, 491}, {"harvest", 16, 38, 504},
        {"cleanup", 25, 18, 368},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        EnvMap m;
        EnvError err = {0};
        assert_int_equal(env_map_load(&m, want[k].name, &err), 0);
        assert_int_equal(m.h, want[k].h);
        assert_int_equal(m.w, want[k].w);
        if (reachable(&m) != want[k].reach)
            fail_msg("map %s: %d reachable cells, expected %d", want[k].name, reachable(&m),
                     want[k].reach);
        /* the exact cells the issue measured */
        if (strcmp(want[k].name, "gathering") == 0) {
            /* rows 10-11 open into the right-hand region */
            assert_int_equal(map_at(&m, 10, 24), ' ');
            assert_int_equal(map_at(&m, 10, 28), '@');
            assert_int_equal(map_at(&m, 5, 28), ' ');
        }
        if (strcmp(want[k].name, "gathering-small") == 0) {
            assert_int_equal(map_at(&m, 1, 15), 'P');
            assert_int_equal(map_at(&m, 1, 16), '@');
        }
        if (strcmp(want[k].name, "gathering-large") == 0) {
            assert_int_equal(map_at(&m, 11, 34), 'P');
            int walls36 = 0;
            for (int r = 1; r < 15; r++) walls36 += map_at(&m, r, 36) == '@';
            assert_int_equal(walls36, 13);
        }
        env_map_close(&m);
    }
}

/* the SSD code computes the apple probability from the waste density before the step's spawn */
static void test_density_before_spawn(void **state) {
    (void)state;
    /* 10 river cells, 3 with waste: d = 0.3; one waste cell spawns each step (p = 1), so after
     * the spawn d = 0.4 = depletion: after_spawn gives p = 0, before_spawn p = (0.4 - 0.3) / 0.4 */
    static const char *map = "@@@@@@@@@@@@\n"
                             "@HHHRRRRRRR@\n"
                             "@P         @\n"
                             "@AAAAAAAAAA@\n"
                             "@@@@@@@@@@@@\n";
    static const char *phases[2] = {"pollution.density=before_spawn",
                                    "pollution.density=after_spawn"};
    for (int k = 0; k < 2; k++) {
        EnvParams p;
        EnvConfig cfg;
        th_params(&p, "cleanup", "env.agents=1", phases[k], "pollution.waste_mode=single",
                  "pollution.waste_spawn_prob=1", "pollution.apple_max_prob=1",
                  "pollution.depletion=0.4", "apples.start=0", (const char *)NULL);
        th_config_with_map(&cfg, &p, map);
        long grown = 0;
        for (uint64_t seed = 0; seed < 200; seed++) {
            EnvWorld w;
            world_init(&w, &cfg, seed);
            int32_t act = ENV_ACT_STAY;
            env_step(&w, &act, NULL);
            assert_int_equal(w.n_waste, 4);
            grown += w.n_apples;
            env_world_close(&w);
        }
        /* 2000 trials with p = 0.25: 500 +- 97 (5 sd) */
        if (k == 0 && (grown < 403 || grown > 597)) fail_msg("before_spawn: %ld apples", grown);
        if (k == 1) assert_int_equal(grown, 0);
        env_config_close(&cfg);
    }
}

/* a cleaning ray stopped by an agent cleans the waste under it first (the SSD code) */
static void test_clean_ray_under_agent(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    th_params(&p, "cleanup", "env.agents=2", "clean.width=1", "pollution.waste_spawn_prob=0",
              (const char *)NULL);
    th_config_with_map(&cfg, &p,
                       "@@@@@@@\n"
                       "@PHH  @\n"
                       "@P    @\n"
                       "@@@@@@@\n");
    world_init(&w, &cfg, 1);
    place_all(&w, 2, (int[]){1, 1}, (int[]){1, 2}, (int[]){ENV_EAST, ENV_SOUTH});
    int32_t act[2] = {ENV_ACT_CLEAN, ENV_ACT_STAY};
    env_step(&w, act, NULL);
    assert_int_equal(w.cell[th_idx(&cfg, 1, 2)], ENV_ID_RIVER); /* under agent 1: cleaned */
    assert_int_equal(w.cell[th_idx(&cfg, 1, 3)], ENV_ID_WASTE); /* behind it: the ray stopped */
    assert_int_equal(w.n_waste, 1);
    env_world_close(&w);
    env_config_close(&cfg);
}

/* obs.beams: the SSD presets keep beams out of observations; the fast and naive observers agree */
static void test_obs_beams(void **state) {
    (void)state;
    for (int show = 0; show < 2; show++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        th_params(&p, "cleanup", "env.agents=1", "obs.encoding=ids", (const char *)NULL);
        assert_int_equal(p.obs_beams, 0);
        if (show)
            th_params(&p, "cleanup", "env.agents=1", "obs.encoding=ids", "obs.beams=1",
                      (const char *)NULL);
        th_config_with_map(&cfg, &p,
                           "@@@@@@@@@\n"
                           "@P      @\n"
                           "@RRRRRRR@\n"
                           "@@@@@@@@@\n");
        world_init(&w, &cfg, 1);
        th_place(&w, 0, 1, 1, ENV_EAST);
        int32_t act = ENV_ACT_FIRE;
        env_step(&w, &act, NULL);
        assert_true(w.n_beam > 0);
        size_t n = cfg.spec.obs_size;
        uint8_t *fast = malloc(n), *naive = malloc(n);
        env_observe(&w, fast);
        env_observe_naive(&w, naive);
        assert_memory_equal(fast, naive, n);
        int fire = 0;
        for (size_t i = 0; i < n; i++) fire += fast[i] == ENV_ID_FIRE;
        assert_int_equal(fire > 0, show);
        free(fast);
        free(naive);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* a 1x6 corridor for the step-order tests: agents at (1,1) .. (1,4), an apple spawn at (1,5) */
static const char *CORRIDOR = "@@@@@@@@\n"
                              "@PPPPA @\n"
                              "@     R@\n"
                              "@@@@@@@@\n";

/* cleanup-gallego on a map, in the given order, without waste or regrowth */
static void gallego_world(EnvWorld *w, EnvConfig *cfg, int n, const char *order, const char *map) {
    EnvParams p;
    char agents[32];
    snprintf(agents, sizeof agents, "env.agents=%d", n);
    th_params(&p, "cleanup-gallego", agents, order, "pollution.waste_spawn_prob=0",
              "pollution.apple_max_prob=0", (const char *)NULL);
    th_config_with_map(cfg, &p, map);
    world_init(w, cfg, 3);
}

/* sequential: a lower-indexed firer's tag cancels a later agent's action; a second beam misses
 * an agent already tagged (it pays 50 once); simultaneous: both hits count */
static void test_sequential_tags(void **state) {
    (void)state;
    for (int seq = 0; seq < 2; seq++) {
        EnvWorld w;
        EnvConfig cfg;
        gallego_world(&w, &cfg, 3, seq ? "env.order=sequential" : "env.order=simultaneous",
                      "@@@@@@@@\n"
                      "@P     @\n"
                      "@P     @\n"
                      "@      @\n"
                      "@      @\n"
                      "@P    R@\n"
                      "@@@@@@@@\n");
        /* 0 at (1,1) fires east (rows 0-2, columns 2-6); 1 at (1,3) steps south to (2,3), still
         * in that beam; 2 at (5,3) fires north (rows 4-0, columns 2-4) */
        place_all(&w, 3, (int[]){1, 1, 5}, (int[]){1, 3, 3},
                  (int[]){ENV_EAST, ENV_SOUTH, ENV_NORTH});
        int32_t act[3] = {ENV_ACT_FIRE, ENV_ACT_FORWARD, ENV_ACT_FIRE};
        env_step(&w, act, NULL);
        assert_int_equal(w.agent[1].timeout, 25);
        if (seq) {
            assert_int_equal(w.agent[1].pos, th_idx(&cfg, 1, 3)); /* its move was cancelled */
            assert_int_equal(w.reward[1], -50);                   /* hit once */
        } else {
            assert_int_equal(w.agent[1].pos, th_idx(&cfg, 2, 3)); /* moved, then hit */
            assert_int_equal(w.reward[1], -100);                  /* hit by both */
        }
        assert_int_equal(w.reward[0], -1);
        assert_int_equal(w.reward[2], -1);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* sequential: an agent tagged in a step collects nothing in it, even after moving onto an apple
 * before the firer acted; simultaneous: it eats before the beams */
static void test_sequential_tagged_collects_nothing(void **state) {
    (void)state;
    for (int seq = 0; seq < 2; seq++) {
        EnvWorld w;
        EnvConfig cfg;
        gallego_world(&w, &cfg, 2, seq ? "env.order=sequential" : "env.order=simultaneous",
                      CORRIDOR);
        /* agent 0 at (1,4) steps east onto the apple at (1,5); agent 1 at (1,3) fires east */
        place_all(&w, 2, (int[]){1, 1}, (int[]){4, 3}, (int[]){ENV_EAST, ENV_EAST});
        int32_t act[2] = {ENV_ACT_FORWARD, ENV_ACT_FIRE};
        env_step(&w, act, NULL);
        assert_int_equal(w.agent[0].pos, th_idx(&cfg, 1, 5));
        assert_int_equal(w.agent[0].timeout, 25);
        assert_int_equal(w.reward[0], seq ? -50 : 1 - 50);
        assert_int_equal(w.n_apples, seq ? 1 : 0);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* overlap: agents share cells and walk through each other; forbidden: they block */
static void test_overlap(void **state) {
    (void)state;
    for (int allowed = 0; allowed < 2; allowed++) {
        for (int seq = 0; seq < 2; seq++) {
            EnvWorld w;
            EnvConfig cfg;
            EnvParams p;
            th_params(&p, "cleanup-gallego", "env.agents=2",
                      seq ? "env.order=sequential" : "env.order=simultaneous",
                      allowed ? "env.overlap=allowed" : "env.overlap=forbidden", "obs.encoding=ids",
                      (const char *)NULL);
            th_config_with_map(&cfg, &p, CORRIDOR);
            world_init(&w, &cfg, 3);
            place_all(&w, 2, (int[]){1, 1}, (int[]){1, 2}, (int[]){ENV_EAST, ENV_EAST});
            /* 0 steps east into 1's cell; 1 stays */
            int32_t act[2] = {ENV_ACT_FORWARD, ENV_ACT_STAY};
            env_step(&w, act, NULL);
            int32_t shared = th_idx(&cfg, 1, 2);
            assert_int_equal(w.agent[0].pos == shared, allowed);
            /* the cell shows the lowest-indexed agent: agent 1 sees agent 0 on its own cell */
            size_t n = cfg.spec.obs_size;
            uint8_t *fast = malloc(2 * n), *naive = malloc(2 * n);
            env_observe(&w, fast);
            env_observe_naive(&w, naive);
            assert_memory_equal(fast, naive, 2 * n);
            size_t centre = (size_t)p.view_ahead * (size_t)cfg.spec.obs_w + (size_t)p.view_side;
            assert_int_equal(fast[centre], ENV_ID_SELF);
            assert_int_equal(fast[n + centre], allowed ? ENV_ID_OTHER : ENV_ID_SELF);
            /* then 0 walks on through 1 */
            env_step(&w, act, NULL);
            assert_int_equal(w.agent[0].pos, allowed ? th_idx(&cfg, 1, 3) : th_idx(&cfg, 1, 1));
            assert_int_equal(w.occ[shared], 2);
            free(fast);
            free(naive);
            env_world_close(&w);
            env_config_close(&cfg);
        }
    }
}

/* env.extra_agents: the Gallego presets place agents beyond the spawn points on random open
 * floor cells (never walls, apples, river or stream); refuse keeps the old error */
static void test_extra_agents(void **state) {
    (void)state;
    static const char *presets[3] = {"gathering-small", "cleanup-gallego", "commons"};
    for (int k = 0; k < 3; k++) {
        EnvParams p;
        EnvConfig cfg;
        th_params(&p, presets[k], "env.agents=30", (const char *)NULL);
        assert_int_equal(p.extra_agents, ENV_EXTRA_RANDOM);
        config_init(&cfg, &p);
        for (uint64_t seed = 0; seed < 20; seed++) {
            EnvWorld w;
            world_init(&w, &cfg, seed);
            for (int i = 0; i < 30; i++) {
                int32_t pos = w.agent[i].pos;
                int spawn = 0;
                for (int s = 0; s < cfg.n_spawn; s++) spawn |= cfg.spawn[s] == pos;
                assert_int_equal(cfg.base[pos], ENV_ID_EMPTY);
                assert_int_equal(cfg.apple_slot[pos], -1);
                if (i < cfg.n_spawn) assert_true(spawn);
            }
            env_world_close(&w);
        }
        env_config_close(&cfg);
    }
    EnvParams p;
    EnvConfig cfg;
    EnvError err = {0};
    th_params(&p, "gathering-small", "env.agents=3", "env.extra_agents=refuse", (const char *)NULL);
    assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "has only 2 spawn points"));
    /* without overlap every agent needs its own open cell */
    th_params(&p, "gathering-small", "env.agents=3", "env.overlap=forbidden", (const char *)NULL);
    th_config_with_map(&cfg, &p, "@@@@@@\n@P PA@\n@@@@@@\n");
    env_config_close(&cfg);
    th_params(&p, "gathering-small", "env.agents=4", "env.overlap=forbidden", (const char *)NULL);
    snprintf(p.map, sizeof p.map, "%s", th_write_temp("@@@@@@\n@P PA@\n@@@@@@\n", ".txt"));
    assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "has only 3 open floor cells"));
}

/* a tagged agent sees its own cell as itself; the others see it grey */
static void test_tagged_sees_itself(void **state) {
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        EnvWorld w;
        EnvConfig cfg;
        EnvParams p;
        th_params(&p, "cleanup-gallego", "env.agents=2",
                  enc ? "obs.encoding=ids" : "obs.encoding=rgb", (const char *)NULL);
        th_config_with_map(&cfg, &p, CORRIDOR);
        world_init(&w, &cfg, 3);
        place_all(&w, 2, (int[]){1, 1}, (int[]){1, 2}, (int[]){ENV_EAST, ENV_WEST});
        int32_t act[2] = {ENV_ACT_FIRE, ENV_ACT_STAY};
        env_step(&w, act, NULL);
        assert_int_equal(w.agent[1].timeout, 25);
        size_t n = cfg.spec.obs_size, c = (size_t)cfg.spec.obs_c;
        uint8_t *fast = malloc(2 * n), *naive = malloc(2 * n);
        env_observe(&w, fast);
        env_observe_naive(&w, naive);
        assert_memory_equal(fast, naive, 2 * n);
        size_t centre = ((size_t)p.view_ahead * (size_t)cfg.spec.obs_w + (size_t)p.view_side) * c;
        size_t ahead = centre - (size_t)cfg.spec.obs_w * c; /* the cell in front */
        if (enc) {
            assert_int_equal(fast[n + centre], ENV_ID_SELF);
            assert_int_equal(fast[ahead], ENV_ID_TAGGED); /* 0 sees 1 in front of it */
        } else {
            assert_memory_equal(fast + n + centre, cfg.colour[ENV_ID_SELF], 3);
            assert_memory_equal(fast + ahead, cfg.colour[ENV_ID_TAGGED], 3);
        }
        free(fast);
        free(naive);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* Commons (Gallego's code): a spawn point under an agent regrows and is eaten in the same step;
 * in place, a chain of spawn points regrows in one step, each seeing the one before */
static void test_commons_regrowth(void **state) {
    (void)state;
    for (int under = 0; under < 2; under++) {
        EnvWorld w;
        EnvConfig cfg;
        EnvParams p;
        th_params(&p, "commons", "env.agents=1", "regrowth.probs=1",
                  under ? "regrowth.under_agents=1" : "regrowth.under_agents=0",
                  (const char *)NULL);
        th_config_with_map(&cfg, &p, "@@@@@\n@PA @\n@@@@@\n");
        world_init(&w, &cfg, 5);
        place_all(&w, 1, (int[]){1}, (int[]){2}, (int[]){ENV_EAST});
        int32_t act = ENV_ACT_STAY;
        env_step(&w, &act, NULL); /* the start apple under it is eaten */
        for (int s = 0; s < 10; s++) {
            env_step(&w, &act, NULL);
            assert_int_equal(w.reward[0], under);
            assert_int_equal(w.n_apples, 0);
        }
        env_world_close(&w);
        env_config_close(&cfg);
    }
    for (int in_place = 0; in_place < 2; in_place++) {
        EnvWorld w;
        EnvConfig cfg;
        EnvParams p;
        /* p = 0 without neighbours, 1 with one or more; one apple left at the west end */
        th_params(&p, "commons", "env.agents=1", "regrowth.probs=0,1", "regrowth.radius=1",
                  in_place ? "regrowth.update=in_place" : "regrowth.update=snapshot",
                  "apples.start=0", (const char *)NULL);
        th_config_with_map(&cfg, &p, "@@@@@@@@\n@AAAAAA@\n@P     @\n@@@@@@@@\n");
        world_init(&w, &cfg, 5);
        env_apple_put(&w, 0);
        w.agent[0].orient = ENV_SOUTH;
        /* harvest keeps neighbour counts: rebuild them the way a reset does */
        env_game_ops(cfg.p.game)->reset(&w);
        int32_t act = ENV_ACT_STAY;
        env_step(&w, &act, NULL);
        assert_int_equal(w.n_apples, in_place ? 6 : 2);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gallego_maps),
        cmocka_unit_test(test_density_before_spawn),
        cmocka_unit_test(test_clean_ray_under_agent),
        cmocka_unit_test(test_obs_beams),
        cmocka_unit_test(test_sequential_tags),
        cmocka_unit_test(test_sequential_tagged_collects_nothing),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_extra_agents),
        cmocka_unit_test(test_tagged_sees_itself),
        cmocka_unit_test(test_commons_regrowth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
