/* test_params.c: parameter keys, ranges and errors; presets, INI files and --set overrides. */
#define _DEFAULT_SOURCE
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void expect_msg(const EnvError *err, const char *frag) {
    if (!strstr(err->msg, frag)) fail_msg("message '%s' lacks '%s'", err->msg, frag);
}

static void test_set_values(void **state) {
    (void)state;
    EnvParams p;
    EnvError err;
    env_params_default(&p);
    assert_int_equal(env_params_set(&p, "beam", "length", "7", &err), 0);
    assert_int_equal(p.fire.length, 7);
    assert_int_equal(env_params_set(&p, "pollution", "waste_spawn_prob", "0.005", &err), 0);
    assert_true(p.waste_spawn_ppb == 5000000);
    assert_int_equal(env_params_set(&p, "pollution", "depletion", "1", &err), 0);
    assert_true(p.depletion_ppb == 1000000000);
    assert_int_equal(env_params_set(&p, "regrowth", "probs", "0, 0.0025,0.005 ,0.025", &err), 0);
    assert_int_equal(p.n_regrowth, 4);
    assert_true(p.regrowth_ppb[1] == 2500000 && p.regrowth_ppb[3] == 25000000);
    assert_int_equal(env_params_set(&p, "obs", "encoding", "ids", &err), 0);
    assert_int_equal(p.encoding, ENV_ENC_IDS);
    assert_int_equal(env_params_set(&p, "env", "game", "cleanup", &err), 0);
    assert_int_equal(p.game, ENV_GAME_CLEANUP);
    char buf[64];
    assert_int_equal(env_params_get(&p, "regrowth", "probs", buf, sizeof buf), 0);
    assert_string_equal(buf, "0,0.0025,0.005,0.025");
    assert_int_equal(env_params_get(&p, "pollution", "waste_spawn_prob", buf, sizeof buf), 0);
    assert_string_equal(buf, "0.005");
    assert_int_equal(env_params_get(&p, "nosuch", "key", buf, sizeof buf), ENV_ENOTFOUND);
}

static void test_set_errors(void **state) {
    (void)state;
    EnvParams p;
    EnvError err = {0};
    env_params_default(&p);
    assert_int_equal(env_params_set(&p, "beam", "lenght", "5", &err), ENV_EINPUT);
    expect_msg(&err, "unknown key 'beam.lenght'");
    assert_int_equal(env_params_set(&p, "bean", "length", "5", &err), ENV_EINPUT);
    expect_msg(&err, "unknown section '[bean]'");
    assert_int_equal(env_params_set(&p, "beam", "length", "65", &err), ENV_EINPUT);
    expect_msg(&err, "beam.length = 65 is out of range; allowed 0..64");
    assert_int_equal(env_params_set(&p, "beam", "length", "5x", &err), ENV_EINPUT);
    expect_msg(&err, "'5x' is not an integer");
    assert_int_equal(env_params_set(&p, "beam", "length", "", &err), ENV_EINPUT);
    assert_int_equal(env_params_set(&p, "env", "agents", "0", &err), ENV_EINPUT);
    expect_msg(&err, "allowed 1..32");
    assert_int_equal(env_params_set(&p, "pollution", "depletion", "1.5", &err), ENV_EINPUT);
    expect_msg(&err, "not a probability");
    assert_int_equal(env_params_set(&p, "pollution", "depletion", "0.1234567891", &err),
                     ENV_EINPUT);
    assert_int_equal(env_params_set(&p, "pollution", "depletion", "-0.1", &err), ENV_EINPUT);
    assert_int_equal(env_params_set(&p, "pollution", "depletion", ".", &err), ENV_EINPUT);
    assert_int_equal(env_params_set(&p, "regrowth", "probs", "0,0.5,x", &err), ENV_EINPUT);
    expect_msg(&err, "'x' is not a probability");
    assert_int_equal(env_params_set(&p, "regrowth", "probs", "0,0,0,0,0,0,0,0,0", &err),
                     ENV_EINPUT);
    expect_msg(&err, "at most 8");
    assert_int_equal(env_params_set(&p, "obs", "encoding", "png", &err), ENV_EINPUT);
    expect_msg(&err, "choose one of: rgb ids");
    /* a failed set leaves the value unchanged */
    assert_int_equal(p.fire.length, 5);
    /* even beam widths are refused when the config is built */
    EnvSpec spec;
    assert_int_equal(env_params_set(&p, "beam", "width", "2", &err), 0);
    assert_int_equal(env_spec(&p, &spec, &err), ENV_EINPUT);
    expect_msg(&err, "beam.width = 2 must be odd");
}

static void test_apply_set(void **state) {
    (void)state;
    SimParams p;
    EnvError err = {0};
    sim_params_default(&p);
    assert_int_equal(sim_params_apply_set(&p, "beam.length=3", &err), 0);
    assert_int_equal(p.env.fire.length, 3);
    const char *bad[] = {"beam.length", "beamlength=3", ".length=3",
                         "beam.=3",     "beam.length=", "=3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sim_params_apply_set(&p, bad[i], &err), ENV_EINPUT);
        char want[64];
        snprintf(want, sizeof want, "--set '%s'", bad[i]);
        expect_msg(&err, want);
    }
    assert_int_equal(sim_params_apply_set(&p, "beam.length=99", &err), ENV_EINPUT);
    expect_msg(&err, "--set 'beam.length=99': beam.length = 99 is out of range");
}

static void test_presets(void **state) {
    (void)state;
    SimParams p;
    EnvError err = {0};
    int n = 0;
    for (int i = 0; env_builtin_preset_name(i); i++, n++) {
        EnvConfig cfg;
        assert_int_equal(sim_params_load_preset(&p, env_builtin_preset_name(i), &err), 0);
        assert_string_equal(p.env.preset, env_builtin_preset_name(i));
        assert_true(strlen(p.env.source) > 0);
        if (env_config_init(&cfg, &p.env, &err)) fail_msg("%s: %s", p.env.preset, err.msg);
        env_config_close(&cfg);
    }
    assert_int_equal(n, 13);
    assert_int_equal(sim_params_load_preset(&p, "harvest", &err), 0);
    assert_int_equal(p.env.regrowth_shape, ENV_SHAPE_SQUARE); /* the SSD code's 3x3 neighbourhood */
    assert_int_equal(p.env.regrowth_radius, 1);
    assert_int_equal(p.env.hits_to_tag, 0);
    assert_int_equal(p.env.hit_penalty, 50);
    assert_int_equal(sim_params_load_preset(&p, "nosuch", &err), ENV_EINPUT);
    expect_msg(&err, "unknown preset 'nosuch'; presets are");
    expect_msg(&err, "cleanup-gallego");
}

/* an INI file on top of a preset; errors carry file:line */
static void test_ini_files(void **state) {
    (void)state;
    SimParams p;
    EnvError err = {0};
    const char *good = th_write_temp("[env]\npreset = cleanup\nagents = 3\n\n[beam]\n"
                                     "length = 4 ; inline comment\n",
                                     ".ini");
    sim_params_default(&p);
    assert_int_equal(sim_params_load_file(&p, good, &err), 0);
    assert_int_equal(p.env.game, ENV_GAME_CLEANUP);
    assert_int_equal(p.env.n_agents, 3);
    assert_int_equal(p.env.fire.length, 4);
    static const struct {
        const char *text, *frag;
        int line;
    } bad[] = {
        {"[env]\nagents = 3\n[beam]\nlenght = 2\n", "unknown key 'beam.lenght'", 4},
        {"[env]\nagents = 300\n", "env.agents = 300 is out of range; allowed 1..32", 2},
        {"[env]\nagents = 3\nthis is not ini\n", "malformed line", 3},
        {"agents = 3\n", "outside any [section]", 1},
        {"[env]\nagents = 3\npreset = harvest\n", "env.preset must be the first key", 3},
        {"[env]\npreset = nosuch\n", "unknown preset 'nosuch'", 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *path = th_write_temp(bad[i].text, ".ini");
        SimParams before;
        sim_params_default(&p);
        before = p;
        assert_int_equal(sim_params_load_file(&p, path, &err), ENV_EINPUT);
        char want[128];
        snprintf(want, sizeof want, "%s:%d: ", path, bad[i].line);
        expect_msg(&err, want);
        expect_msg(&err, bad[i].frag);
        /* nothing half-applied */
        assert_memory_equal(&p, &before, sizeof p);
        unlink(path);
    }
    assert_int_equal(sim_params_load_file(&p, "/nonexistent/c.ini", &err), ENV_EINPUT);
    expect_msg(&err, "/nonexistent/c.ini: cannot open config file");
    unlink(good);
}

/* the effective config written as INI reads back to the same parameters */
static void test_write_read_round_trip(void **state) {
    (void)state;
    for (int i = 0; env_builtin_preset_name(i); i++) {
        SimParams p, q;
        EnvError err;
        assert_int_equal(sim_params_load_preset(&p, env_builtin_preset_name(i), &err), 0);
        char path[] = "/tmp/commons_rt_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        sim_params_write_ini(&p, f);
        fclose(f);
        sim_params_default(&q);
        if (sim_params_load_file(&q, path, &err)) fail_msg("%s", err.msg);
        unlink(path);
        const char *sec, *key, *doc;
        char range[96], a[256], b[256];
        for (int k = 0; sim_params_key(k, &sec, &key, range, sizeof range, &doc) == 0; k++) {
            sim_params_get(&p, sec, key, a, sizeof a);
            sim_params_get(&q, sec, key, b, sizeof b);
            if (strcmp(a, b)) fail_msg("%s: %s.%s '%s' != '%s'", p.env.preset, sec, key, a, b);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_values), cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_apply_set),  cmocka_unit_test(test_presets),
        cmocka_unit_test(test_ini_files),  cmocka_unit_test(test_write_read_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
