/* test_helpers.c: the test helpers agree with the library they stand in for.
 *
 * th_params reads presets without the CLI (so that env tests link the env library alone); here
 * it must give exactly the world params sim_params_load_preset and sim_params_apply_set give,
 * for every built-in preset, compared as the INI text env_params_write_ini writes.
 */
#define _DEFAULT_SOURCE
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the params as INI text (caller frees) */
static char *ini_of(const EnvParams *p) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    env_params_write_ini(p, f);
    fclose(f);
    return buf;
}

static void test_presets_as_sim(void **state) {
    (void)state;
    int n = 0;
    for (const char *name; (name = env_builtin_preset_name(n)) != NULL; n++) {
        EnvParams mine;
        SimParams sim;
        EnvError err = {0};
        th_params(&mine, name, "beam.length=3", "env.agents=2", (const char *)NULL);
        if (sim_params_load_preset(&sim, name, &err)) fail_msg("%s: %s", name, err.msg);
        assert_int_equal(sim_params_apply_set(&sim, "beam.length=3", &err), 0);
        assert_int_equal(sim_params_apply_set(&sim, "env.agents=2", &err), 0);
        const EnvParams *cli = &sim.env;
        char *a = ini_of(&mine), *b = ini_of(cli);
        if (strcmp(a, b) != 0) fail_msg("preset %s: th_params differs from the CLI", name);
        assert_string_equal(mine.preset, cli->preset);
        assert_int_equal(mine.fire.length, 3);
        assert_int_equal(mine.n_agents, 2);
        free(a);
        free(b);
    }
    assert_true(n >= 12);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets_as_sim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
