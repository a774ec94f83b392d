/* config.h: building EnvParams from presets, INI files (libinih) and --set overrides.
 *
 * Order of application: a preset (commons run --env NAME), then a config file, then each
 * --set section.key=value in the order given. A config file may name its base preset with
 * `preset = NAME` in [env] as its first key. Every error names the place: the file and line, or
 * the --set argument, and what is allowed.
 */
#ifndef COMMONS_CONFIG_H
#define COMMONS_CONFIG_H

#include "env.h"

/* Replaces p with a built-in preset. Unknown names get a message listing the presets. */
int cli_load_preset(EnvParams *p, const char *name, EnvError *err);
/* Applies an INI file on top of p. */
int cli_load_file(EnvParams *p, const char *path, EnvError *err);
/* A key handler for cli_ini_parse: sets one key (first: it is the file's first key); returns 0,
 * or an ENV_E* code with err saying what is wrong and what is allowed (no place: the parser
 * adds the origin and line). */
typedef int (*CliKeyFn)(void *user, const char *section, const char *key, const char *value,
                        int first, EnvError *err);
/* Parses INI text (libinih) through fn. The first error, a syntax error or a failed key, is
 * reported as "ORIGIN:LINE: message"; a key outside any [section] is an error. */
int cli_ini_parse(const char *text, const char *origin, CliKeyFn fn, void *user, EnvError *err);
/* Reads a whole config file (at most 1 MiB of text) into *text (free it); located errors for a
 * missing, unreadable, oversized or binary file. */
int cli_ini_read(const char *path, char **text, EnvError *err);

/* Applies one "section.key=value" override. */
int cli_apply_set(EnvParams *p, const char *assignment, EnvError *err);

#endif
