/* params.h: everything a world run needs to be set up, as one value: the world's keys (EnvParams)
 * and the communication keys (CommParams); presets, INI files (libinih) and --set overrides
 * onto it; and the config built from it (SimConfig).
 *
 * Contract:
 * - SimParams is a plain value. sim_params_set() sends a key to the table that owns its section
 *   (comm's [comm] and [rewards], else the world's); a key no table knows gets a message naming
 *   the key or listing every section. Its INI (sim_params_write_ini) is the world's keys, then
 *   the comm keys, and reads back to the same values.
 * - Order of application: a preset (commons run --env NAME), then a config file, then each
 *   --set section.key=value in the order given. A config file may name its base preset with
 *   `preset = NAME` as the first key of [env]; a preset may not name another. Nothing is half
 *   applied: on an error the params are unchanged.
 * - Every error names its place: "FILE:LINE: message" for files and presets, "--set 'ARG':
 *   message" for overrides.
 * - SimConfig is built once from SimParams and is const afterwards: the world's config, the comm
 *   settings, and the spec of the world with its signal heads (what a learner acts on).
 */
#ifndef COMMONS_SIM_PARAMS_H
#define COMMONS_SIM_PARAMS_H

#include <stdio.h>

#include "comm.h"
#include "env.h"

typedef struct SimParams {
    EnvParams env;
    CommParams comm;
} SimParams;

/* Sets every key to its default (env_params_default, comm_params_default). */
void sim_params_default(SimParams *p);

/* Sets one key, e.g. ("comm", "topology", "ring"): the section picks the table. Returns 0, or
 * ENV_EINPUT with a message naming the key (or listing the sections) and what is allowed. */
int sim_params_set(SimParams *p, const char *section, const char *key, const char *value,
                   EnvError *err);

/* Formats the current value of one key into buf. Returns 0, or ENV_ENOTFOUND for an unknown key. */
int sim_params_get(const SimParams *p, const char *section, const char *key, char *buf, size_t n);

/* Writes the effective config as INI: the world's keys (with their header line), then comm's. */
void sim_params_write_ini(const SimParams *p, FILE *f);

/* Iterates over every key (the world's, then comm's): returns 0 and fills the strings for index
 * i, or ENV_ENOTFOUND past the end. */
int sim_params_key(int i, const char **section, const char **key, char *range, size_t n,
                   const char **doc);

/* Replaces p with a built-in preset's params (defaults, then the preset's keys). */
int sim_params_load_preset(SimParams *p, const char *name, EnvError *err);

/* Applies an INI file on top of p. */
int sim_params_load_file(SimParams *p, const char *path, EnvError *err);

/* Applies one "section.key=value" override. */
int sim_params_apply_set(SimParams *p, const char *assignment, EnvError *err);

/* A key handler for sim_ini_parse: sets one key (first: it is the file's first key); returns 0,
 * or an error code with a message (without the file and line, which sim_ini_parse adds). */
typedef int (*SimKeyFn)(void *user, const char *section, const char *key, const char *value,
                        int first, EnvError *err);

/* Parses INI text with libinih, calling fn for every key; stops at the first failure. Errors
 * carry "ORIGIN:LINE: ". */
int sim_ini_parse(const char *text, const char *origin, SimKeyFn fn, void *user, EnvError *err);

/* Reads a whole config file (at most 1 MiB of text) into *text (free it); located errors for a
 * missing, unreadable, oversized or binary file. */
int sim_ini_read(const char *path, char **text, EnvError *err);

/* The immutable setup of a world run. */
typedef struct SimConfig {
    EnvConfig env;   /* the world's config */
    CommParams comm; /* its communication */
    EnvSpec spec;    /* env.spec plus the signal heads (comm_spec) */
} SimConfig;

/* Builds the world's config (env_config_init) and the spec with its signal heads. */
int sim_config_init(SimConfig *c, const SimParams *p, EnvError *err);
void sim_config_close(SimConfig *c);

/* The spec of the run params describe, signal heads included, without building a world. */
int sim_spec(const SimParams *p, EnvSpec *spec, EnvError *err);

#endif
