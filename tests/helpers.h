/* helpers.h: shared test helpers (cmocka). They need the env library alone (env tests link
 * commons_env only); tests built with COMMONS_TEST_SIM also get the CLI's config.h. */
#ifndef COMMONS_TEST_HELPERS_H
#define COMMONS_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "env.h"
#ifdef COMMONS_TEST_SIM
#include "params.h"  /* sim_params_*, for the tests that link the upper layers */
#include "session.h" /* CommSession */
#endif

/* Writes text to a fresh temporary file and returns its path; removed at exit (256 at most). */
const char *th_write_temp(const char *text, const char *suffix);

/* Loads a built-in preset (asserting success), then applies "section.key=value" overrides
 * (NULL-ended): the world's keys, read without the upper layers (the same params as
 * sim_params_load_preset gives in SimParams.env). */
void th_params(EnvParams *p, const char *preset, ...);
#ifdef COMMONS_TEST_SIM
/* The same, world and comm keys, through sim_params_load_preset and sim_params_apply_set. */
void th_sim_params(SimParams *p, const char *preset, ...);

/* A world of one preset with overrides (NULL-ended) and its comm session (asserted wanted),
 * world seed 3, world index 0; closed by th_session_close. */
typedef struct ThSession {
    SimParams p;
    SimConfig sim;
    EnvWorld w;
    CommSession s;
} ThSession;
void th_session_open(ThSession *x, const char *preset, ...);
void th_session_close(ThSession *x);
#endif

/* Central differences of a loss f(ctx) with respect to every element of x (or every step-th)
 * against an analytic gradient: fails naming `what` and the element when
 * |numeric - analytic| > tol (1 + |numeric|). f re-evaluates the loss with x as it stands. */
typedef double (*ThLossFn)(void *ctx);
void th_grad_check(const char *what, float *x, const float *analytic, size_t n, size_t step,
                   ThLossFn f, void *ctx, float h, double tol);

/* Builds a config for a map given as text: writes it to a temp file and sets env.map. */
void th_config_with_map(EnvConfig *cfg, EnvParams *p, const char *map_text);

/* Padded cell index of map cell (row, col). */
int32_t th_idx(const EnvConfig *cfg, int row, int col);

/* Places agent i at map cell (row, col) facing orient, moving it in the occupancy grid. */
void th_place(EnvWorld *w, int i, int row, int col, int orient);

/* Sets a map cell's id (test setup only): raw, no counters; use env_apple_put for apples. */
void th_set_cell(EnvWorld *w, int row, int col, uint8_t id);

/* Runs a shell command; returns its exit code and captures stdout+stderr into out. */
int th_run(const char *cmd, char *out, size_t n);

#endif
