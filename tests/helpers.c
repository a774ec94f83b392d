/* helpers.c: shared test helpers (see helpers.h). */
#define _DEFAULT_SOURCE
#include "helpers.h"

#include "keys.h"

#include <math.h>
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

/* copies s[0, n) without leading and trailing blanks into out (of size cap) */
static void trimmed(char *out, size_t cap, const char *s, size_t n) {
    while (n > 0 && (*s == ' ' || *s == '\t')) s++, n--;
    while (n > 0 && strchr(" \t\r", s[n - 1])) n--;
    if (n >= cap) fail_msg("line too long: %.*s", (int)n, s);
    memcpy(out, s, n);
    out[n] = 0;
}

/* Reads a built-in preset's INI text into fresh defaults with env_params_set, as the CLI's loader
 * does with libinih, so that env tests need the env library alone. The presets hold nothing but
 * [section] headers, key = value lines, ';' or '#' comment lines and blank lines (test_helpers
 * checks that both loaders agree on every preset). Keys of sections the world's table does not
 * own ([comm], [rewards]) are skipped. */
static void load_preset(EnvParams *p, const char *name) {
    const char *text = env_builtin_preset(name);
    if (!text) fail_msg("unknown preset %s", name);
    env_params_default(p);
    char section[64] = "", line[512], key[128];
    EnvError err = {0};
    for (int no = 1; *text; no++) {
        size_t n = strcspn(text, "\n");
        trimmed(line, sizeof line, text, n);
        text += n + (text[n] == '\n');
        if (line[0] == 0 || line[0] == ';' || line[0] == '#') continue;
        char *eq = strchr(line, '=');
        if (line[0] == '[' && strchr(line, ']')) {
            trimmed(section, sizeof section, line + 1, (size_t)(strchr(line, ']') - line - 1));
        } else if (eq) {
            trimmed(key, sizeof key, line, (size_t)(eq - line));
            char value[512];
            trimmed(value, sizeof value, eq + 1, strlen(eq + 1));
            /* the world's keys only: comm's sections belong to comm/ */
            if (!env_keys_has_section(env_params_table(), section)) continue;
            if (env_params_set(p, section, key, value, &err))
                fail_msg("preset %s:%d: %s", name, no, err.msg);
        } else {
            fail_msg("preset %s:%d: malformed line '%s'", name, no, line);
        }
    }
    snprintf(p->preset, sizeof p->preset, "%s", name);
}

/* applies "section.key=value" */
static void apply_set(EnvParams *p, const char *s) {
    const char *dot = strchr(s, '.'), *eq = strchr(s, '=');
    if (!dot || !eq || dot > eq) fail_msg("%s: expected section.key=value", s);
    char section[64], key[128];
    trimmed(section, sizeof section, s, (size_t)(dot - s));
    trimmed(key, sizeof key, dot + 1, (size_t)(eq - dot - 1));
    EnvError err = {0};
    if (env_params_set(p, section, key, eq + 1, &err)) fail_msg("%s: %s", s, err.msg);
}

void th_params(EnvParams *p, const char *preset, ...) {
    load_preset(p, preset);
    va_list ap;
    va_start(ap, preset);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) apply_set(p, s);
    va_end(ap);
}

#ifdef COMMONS_TEST_SIM
void th_sim_params(SimParams *p, const char *preset, ...) {
    EnvError err = {0};
    if (sim_params_load_preset(p, preset, &err)) fail_msg("preset %s: %s", preset, err.msg);
    va_list ap;
    va_start(ap, preset);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        if (sim_params_apply_set(p, s, &err)) fail_msg("%s: %s", s, err.msg);
    va_end(ap);
}

void th_session_open(ThSession *x, const char *preset, ...) {
    EnvError err = {0};
    if (sim_params_load_preset(&x->p, preset, &err)) fail_msg("preset %s: %s", preset, err.msg);
    va_list ap;
    va_start(ap, preset);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        if (sim_params_apply_set(&x->p, s, &err)) fail_msg("%s: %s", s, err.msg);
    va_end(ap);
    if (sim_config_init(&x->sim, &x->p, &err)) fail_msg("%s", err.msg);
    assert_int_equal(env_world_init(&x->w, &x->sim.env, 3, 0, &err), 0);
    assert_true(comm_session_wanted(&x->sim.comm));
    assert_int_equal(comm_session_init(&x->s, &x->sim.env, &x->sim.comm, &err), 0);
}

void th_session_close(ThSession *x) {
    comm_session_close(&x->s);
    env_world_close(&x->w);
    sim_config_close(&x->sim);
}
#endif

void th_grad_check(const char *what, float *x, const float *analytic, size_t n, size_t step,
                   ThLossFn f, void *ctx, float h, double tol) {
    for (size_t i = 0; i < n; i += step) {
        float keep = x[i];
        x[i] = keep + h;
        double up = f(ctx);
        x[i] = keep - h;
        double down = f(ctx);
        x[i] = keep;
        double numeric = (up - down) / (2.0 * (double)h);
        double err = fabs(numeric - (double)analytic[i]);
        if (err > tol * (1.0 + fabs(numeric)))
            fail_msg("%s: d/dx[%zu] analytic %.6g, finite differences %.6g", what, i,
                     (double)analytic[i], numeric);
    }
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
