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
/* Applies one "section.key=value" override. */
int cli_apply_set(EnvParams *p, const char *assignment, EnvError *err);

#endif
