/* test_map.c: the ASCII map parser, built-in maps and the map-related config errors. */
#include "helpers.h"

#include <string.h>

/* a parse that must fail with a message containing every given fragment */
static void expect_error(const char *text, const char *f1, const char *f2) {
    EnvMap m;
    EnvError err = {0};
    assert_int_equal(env_map_parse(&m, text, "t.txt", &err), ENV_EINPUT);
    if (!strstr(err.msg, f1) || (f2 && !strstr(err.msg, f2)))
        fail_msg("message '%s' lacks '%s' / '%s'", err.msg, f1, f2 ? f2 : "");
}

static void test_parse_good(void **state) {
    (void)state;
    EnvMap m;
    EnvError err;
    assert_int_equal(env_map_parse(&m, "; a comment\n@@@@\n@P.@\n@AH@\n@@@@\n", "t", &err), 0);
    assert_int_equal(m.h, 4);
    assert_int_equal(m.w, 4);
    assert_int_equal(m.cells[1 * 4 + 1], 'P');
    assert_int_equal(m.cells[1 * 4 + 2], ' '); /* '.' is floor */
    assert_int_equal(m.cells[2 * 4 + 2], 'H');
    env_map_close(&m);
    /* CRLF line ends and a missing final newline */
    assert_int_equal(env_map_parse(&m, "@@@\r\n@P@\r\n@@@", "t", &err), 0);
    assert_int_equal(m.h, 3);
    assert_int_equal(m.w, 3);
    env_map_close(&m);
}

static void test_parse_errors(void **state) {
    (void)state;
    /* unknown character: line and column, the character and the allowed set */
    expect_error("@@@@\n@P.@\n@.x@\n@@@@\n", "t.txt:3:3: unknown map character 'x'", "'@' wall");
    expect_error("; c\n@@@@\n@P#@\n", "t.txt:3:3: unknown map character '#'", NULL);
    expect_error("@@@@\n@P\t@\n", "t.txt:2:3", "byte 0x09");
    /* ragged rows name the line */
    expect_error("@@@@\n@P.@\n@..\n@@@@\n", "t.txt:3: ragged row: 3 cells", "4");
    /* no spawn point, empty */
    expect_error("@@@\n@.@\n@@@\n", "no spawn point", "'P'");
    expect_error("", "the map is empty", NULL);
    expect_error("; only a comment\n", "the map is empty", NULL);
}

/* blank lines before the first row and after the last are not rows; a non-ASCII byte is named */
static void test_blank_lines_and_bytes(void **state) {
    (void)state;
    EnvMap m;
    EnvError err;
    assert_int_equal(env_map_parse(&m, "\n\r\n; c\n\n@@@\n@P@\n@@@\n\n\n\r\n", "t", &err), 0);
    assert_int_equal(m.h, 3);
    assert_int_equal(m.w, 3);
    assert_int_equal(m.cells[4], 'P');
    env_map_close(&m);
    /* a blank line between rows is still a ragged row, which names the next row */
    expect_error("@@@\n@P@\n\n\n@@@\n", "t.txt:3: ragged row: 0 cells where the first row has 3",
                 "rows go on at line 5");
    /* UTF-8 'e' acute: the byte, its line and column, not a ragged row */
    expect_error("@@@@\n@P\xc3\xa9@\n@@@@\n", "t.txt:2:3: non-ASCII byte 0xc3", "maps are ASCII");
    expect_error("\n\n\n", "the map is empty", NULL);
}

/* a map over every apple-slot limit of the old int16 slots: 200 x 200 apples, within the stated
 * 255 x 255, runs (a Harvest agent eating the apples of slots past 32767 crashed) */
static void test_many_apples(void **state) {
    (void)state;
    static char text[201 * 200 + 1];
    char *q = text;
    for (int r = 0; r < 200; r++) {
        for (int c = 0; c < 200; c++) *q++ = r == 199 && c == 199 ? 'P' : 'A';
        *q++ = '\n';
    }
    *q = 0;
    EnvParams p;
    th_params(&p, "harvest", "env.agents=1", NULL);
    EnvConfig cfg;
    th_config_with_map(&cfg, &p, text);
    assert_int_equal(cfg.n_apple, 200 * 200 - 1);
    assert_int_equal(cfg.apple_slot[th_idx(&cfg, 199, 198)], 200 * 200 - 2);
    EnvWorld w;
    EnvError err;
    assert_int_equal(env_world_init(&w, &cfg, 1, 0, &err), 0);
    th_place(&w, 0, 199, 199, ENV_WEST);
    int32_t act[1] = {ENV_ACT_FORWARD};
    int before = w.n_apples;
    for (int t = 0; t < 3; t++) env_step(&w, act, NULL);
    /* the apples of the last slots were eaten */
    assert_int_equal(w.agent[0].pos, th_idx(&cfg, 199, 196));
    assert_true(w.n_apples < before);
    assert_int_equal(w.metrics.ret[0], 3 * p.apple_reward);
    env_world_close(&w);
    env_config_close(&cfg);
}

static void test_builtin_maps(void **state) {
    (void)state;
    static const struct {
        const char *name;
        int h, w, spawns, apples, rivers;
    } want[] = {
        {"harvest", 16, 38, 20, 155, 0},       {"cleanup", 25, 18, 10, 103, 119},
        {"gathering", 21, 29, 2, 51, 0},       {"gathering-large", 16, 38, 20, 155, 0},
        {"gathering-small", 10, 18, 2, 14, 0}, {"commons", 20, 30, 28, 88, 0},
        {"cleanup-small", 11, 13, 3, 45, 24},  {"meltingpot-harvest-open", 18, 24, 62, 64, 0},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        EnvMap m;
        EnvError err;
        assert_int_equal(env_map_load(&m, want[k].name, &err), 0);
        int s = 0, a = 0, r = 0;
        for (int i = 0; i < m.h * m.w; i++) {
            s += m.cells[i] == 'P';
            a += m.cells[i] == 'A';
            r += m.cells[i] == 'H' || m.cells[i] == 'R';
        }
        assert_int_equal(m.h, want[k].h);
        assert_int_equal(m.w, want[k].w);
        assert_int_equal(s, want[k].spawns);
        assert_int_equal(a, want[k].apples);
        assert_int_equal(r, want[k].rivers);
        env_map_close(&m);
    }
    /* the SSD cleanup map starts with 56 waste cells */
    EnvMap m;
    EnvError err;
    assert_int_equal(env_map_load(&m, "cleanup", &err), 0);
    int h = 0;
    for (int i = 0; i < m.h * m.w; i++) h += m.cells[i] == 'H';
    assert_int_equal(h, 56);
    env_map_close(&m);
}

static void test_load_errors(void **state) {
    (void)state;
    EnvMap m;
    EnvError err = {0};
    assert_int_equal(env_map_load(&m, "nosuch", &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "unknown map 'nosuch'"));
    assert_non_null(strstr(err.msg, "harvest"));
    assert_int_equal(env_map_load(&m, "/nonexistent/x.txt", &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "cannot open map file '/nonexistent/x.txt'"));
    /* a file: the message names the file */
    const char *path = th_write_temp("@@@\n@Pz\n@@@\n", ".txt");
    assert_int_equal(env_map_load(&m, path, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, ":2:3: unknown map character 'z'"));
}

/* more agents than spawn points; a cleanup map without a river */
static void test_config_map_errors(void **state) {
    (void)state;
    EnvParams p;
    EnvConfig cfg;
    EnvError err = {0};
    th_params(&p, "gathering-small", "env.agents=3", "env.extra_agents=refuse", (const char *)NULL);
    assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "env.agents = 3 but map 'gathering-small' has only 2 spawn"));
    assert_non_null(strstr(err.msg, "--agents 2 or fewer"));
    th_params(&p, "cleanup", "env.map=harvest", (const char *)NULL);
    assert_int_equal(env_config_init(&cfg, &p, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "no river cells"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_blank_lines_and_bytes),
        cmocka_unit_test(test_many_apples),
        cmocka_unit_test(test_builtin_maps),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_config_map_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
