/* test_game.c: the contract between the world core and the games (env/game.h).
 *
 * Every game's ops agree with the names and action counts of params.c and set the spec; the
 * required hooks are there; each game's config checks (map legend, river, thresholds) give their
 * exact error texts; the core files name no game and the game files do not reach into the core
 * (no include or call loop).
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../env/game.h"

static void test_ops_agree_with_params(void **state) {
    (void)state;
    for (int g = 0; g < ENV_GAME_COUNT; g++) {
        const EnvGameOps *ops = env_game_ops((EnvGame)g);
        assert_string_equal(ops->name, env_game_name((EnvGame)g));
        assert_int_equal(ops->n_actions, env_game_n_actions((EnvGame)g));
        assert_non_null(ops->reset);
        assert_non_null(ops->eaten);
        assert_non_null(ops->dynamics);
        assert_non_null(ops->refused);
        assert_non_null(ops->legend);
        /* only the tragedy ends an episode in a terminal state (its dry pool), and only it has
         * a wait action, its own actions, observation, map and view */
        int tragedy = g == ENV_GAME_TRAGEDY;
        assert_int_equal(ops->terminal != NULL, tragedy);
        assert_int_equal(ops->has_wait, tragedy);
        assert_int_equal(ops->act != NULL, tragedy);
        assert_int_equal(ops->observe != NULL, tragedy);
        assert_int_equal(ops->obs_h > 0, tragedy);
        assert_int_equal(ops->map != NULL, tragedy);
        assert_int_equal(ops->view != NULL, tragedy);
    }
    /* the spec comes from the ops */
    static const struct {
        const char *preset;
        int n_actions, n_features, egocentric;
    } want[] = {{"gathering", 8, 0, 1},
                {"harvest", 8, 0, 1},
                {"cleanup", 9, 0, 1},
                {"ocean", 5, 2, 0},
                {"tragedy", 2, 2, 0}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        EnvParams p;
        EnvConfig cfg;
        EnvError err = {0};
        th_params(&p, want[k].preset, (const char *)NULL);
        assert_int_equal(env_config_init(&cfg, &p, &err), 0);
        assert_int_equal(cfg.spec.n_actions, want[k].n_actions);
        assert_int_equal(cfg.spec.head_size[0], want[k].n_actions);
        assert_int_equal(cfg.spec.n_features, want[k].n_features);
        assert_int_equal(cfg.egocentric, want[k].egocentric);
        assert_int_equal(cfg.n_rot, want[k].egocentric ? 4 : 1);
        /* only the ocean keeps plastic, and only its view shows it */
        EnvWorld w;
        assert_int_equal(env_world_init(&w, &cfg, 1, 0, &err), 0);
        EnvView v;
        env_view(&w, &v);
        assert_int_equal(v.plastic != NULL, p.game == ENV_GAME_OCEAN);
        assert_int_equal(cfg.drift_dir != NULL, p.game == ENV_GAME_OCEAN);
        assert_int_equal(cfg.geo != NULL, p.game == ENV_GAME_HARVEST);
        env_world_close(&w);
        env_config_close(&cfg);
    }
}

/* a config error: its exact text */
static void expect_config_error(EnvParams *p, const char *map_text, const char *want) {
    EnvConfig cfg;
    EnvError err = {0};
    snprintf(p->map, sizeof p->map, "%s", th_write_temp(map_text, ".txt"));
    assert_int_equal(env_config_init(&cfg, p, &err), ENV_EINPUT);
    if (!strstr(err.msg, want)) fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_game_config_errors(void **state) {
    (void)state;
    EnvParams p;
    th_params(&p, "cleanup", "env.agents=1", (const char *)NULL);
    expect_config_error(&p, "@@@@@\n@P A@\n@@@@@\n",
                        "has no river cells ('H' or 'R'); cleanup needs a river");
    expect_config_error(&p, "@@@@@\n@PMR@\n@@@@@\n",
                        ":2:3: 'M' is not a cell of the cleanup game; 'M' (river mouth) belongs "
                        "to the ocean game");
    th_params(&p, "gathering", "env.agents=1", (const char *)NULL);
    expect_config_error(&p, "@@@@\n@PM@\n@@@@\n", "'M' is not a cell of the gathering game");
    th_params(&p, "ocean-small", "env.agents=1", (const char *)NULL);
    expect_config_error(&p, "@@@@\n@PS@\n@@@@\n",
                        ":2:3: 'S' is not a cell of the ocean game; the ocean has '@' land, ' ' "
                        "sea, 'P' spawn and 'M' river mouth");
    /* the cleanup thresholds are checked with the spec, before any map */
    th_params(&p, "cleanup", "pollution.restoration=0.5", (const char *)NULL);
    EnvSpec spec;
    EnvError err = {0};
    assert_int_equal(env_spec(&p, &spec, &err), ENV_EINPUT);
    assert_string_equal(err.msg,
                        "pollution.restoration = 0.5 must be below pollution.depletion = 0.4");
}

/* the text of a source file (caller frees) */
static char *read_source(const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", COMMONS_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_core_names_no_game(void **state) {
    (void)state;
    static const char *core[] = {"env/config.c", "env/grid.c",  "env/observe.c",
                                 "env/step.c",   "env/world.c", "env/core.h"};
    static const char *names[] = {"ENV_GAME_GATHERING", "ENV_GAME_HARVEST", "ENV_GAME_CLEANUP",
                                  "ENV_GAME_OCEAN",     "ENV_GAME_TRAGEDY", "env_gathering_",
                                  "env_harvest_",       "env_cleanup_",     "env_ocean_",
                                  "env_tragedy_",       "ENV_TRAGEDY_"};
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++) {
        char *text = read_source(core[i]);
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (strstr(text, names[k])) fail_msg("%s names '%s'", core[i], names[k]);
        free(text);
    }
    static const char *games[] = {"env/gathering.c", "env/harvest.c", "env/cleanup.c",
                                  "env/ocean.c", "env/tragedy.c"};
    for (size_t i = 0; i < sizeof games / sizeof games[0]; i++) {
        char *text = read_source(games[i]);
        if (strstr(text, "core.h")) fail_msg("%s includes the core's own header", games[i]);
        free(text);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_agree_with_params),
        cmocka_unit_test(test_game_config_errors),
        cmocka_unit_test(test_core_names_no_game),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
