/* helpers.c: shared test helpers (see helpers.h). */
#define _DEFAULT_SOURCE
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../env/game.h"

/* temporary files are removed when the test program exits */
static char temp_paths[256][64];
static int n_temp = 0;

static void remove_temps(void) {
    for (int i = 0; i < n_temp && i < 256; i++) unlink(temp_paths[i]);
}

const char *th_write_temp(const char *text, const char *suffix) {
    if (n_temp == 0) atexit(remove_temps);
    assert_true(n_temp < 256);
    char *path = temp_paths[n_temp++];
    snprintf(path, 64, "/tmp/commons_test_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static void sim_params_from(SimParams *p, const char *preset, va_list ap) {
    EnvError err = {0};
    int rc = sim_params_load_preset(p, preset, &err);
    if (rc) fail_msg("preset %s: %s", preset, err.msg);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) {
        rc = sim_params_apply_set(p, s, &err);
        if (rc) fail_msg("%s: %s", s, err.msg);
    }
}

void th_sim_params(SimParams *p, const char *preset, ...) {
    va_list ap;
    va_start(ap, preset);
    sim_params_from(p, preset, ap);
    va_end(ap);
}

void th_params(EnvParams *p, const char *preset, ...) {
    SimParams sp;
    va_list ap;
    va_start(ap, preset);
    sim_params_from(&sp, preset, ap);
    va_end(ap);
    *p = sp.env;
}

void th_config_with_map(EnvConfig *cfg, EnvParams *p, const char *map_text) {
    EnvError err = {0};
    snprintf(p->map, sizeof p->map, "%s", th_write_temp(map_text, ".txt"));
    int rc = env_config_init(cfg, p, &err);
    unlink(p->map);
    if (rc) fail_msg("config: %s", err.msg);
}

int32_t th_idx(const EnvConfig *cfg, int row, int col) {
    return (row + cfg->pad) * cfg->wp + (col + cfg->pad);
}

void th_place(EnvWorld *w, int i, int row, int col, int orient) {
    int32_t idx = th_idx(w->cfg, row, col);
    assert_true(w->occ[idx] == 0 || w->occ[idx] == i + 1);
    env_overlay_clear(w);
    w->occ[w->agent[i].pos] = 0;
    w->agent[i].pos = idx;
    w->agent[i].orient = (uint8_t)orient;
    w->occ[idx] = (uint8_t)(i + 1);
    env_overlay_paint(w);
}

void th_set_cell(EnvWorld *w, int row, int col, uint8_t id) {
    env_overlay_clear(w);
    env_put_cell(w, th_idx(w->cfg, row, col), id);
    env_overlay_paint(w);
}

int th_run(const char *cmd, char *out, size_t n) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *f = popen(full, "r");
    assert_non_null(f);
    size_t len = fread(out, 1, n - 1, f);
    out[len] = 0;
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
