/* cmd_maps.c: `commons maps`: built-in maps, presets and config keys. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "params.h"
#include "options.h"
#include "episode.h"

static const char *MAPS_HELP =
    "usage: commons maps [NAME] [--map | --preset] [--keys]\n"
    "\n"
    "Without arguments lists the built-in maps and presets. With a map name prints the map;\n"
    "with a preset name prints its effective config; a name that is both prints both.\n"
    "  --map NAME      only the map, as a map file (e.g. to copy and edit:\n"
    "                  commons maps --map harvest > my.txt)\n"
    "  --preset NAME   only the preset's effective config, as an INI file\n"
    "  --keys          every config key with its allowed range\n";

static void describe_map(const char *name) {
    EnvMap m;
    EnvError err;
    if (env_map_load(&m, name, &err)) return;
    int spawn = 0, apple = 0, river = 0;
    for (int i = 0; i < m.h * m.w; i++) {
        spawn += m.cells[i] == 'P';
        apple += m.cells[i] == 'A';
        river += m.cells[i] == 'H' || m.cells[i] == 'R';
    }
    printf("  %-24s %3dx%-3d %3d spawn points, %3d apple spawns, %3d river cells\n", name, m.h, m.w,
           spawn, apple, river);
    env_map_close(&m);
}

int cli_cmd_maps(int argc, char **argv) {
    int keys = 0, only = 0; /* only: 1 the map, 2 the preset */
    const char *name = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(MAPS_HELP, stdout);
            return 0;
        } else if (strcmp(argv[i], "--keys") == 0) {
            keys = 1;
        } else if (strcmp(argv[i], "--map") == 0 || strcmp(argv[i], "--preset") == 0) {
            if (only) return cli_input_error("--map and --preset: choose one");
            only = argv[i][2] == 'm' ? 1 : 2;
        } else if (argv[i][0] == '-') {
            return cli_input_error("unknown option '%s'; see 'commons maps --help'", argv[i]);
        } else if (name) {
            return cli_input_error("maps takes one name; got '%s' and '%s'", name, argv[i]);
        } else {
            name = argv[i];
        }
    }
    if (keys) {
        const char *sec, *key, *doc;
        char range[96];
        printf("%-28s %-28s %s\n", "key", "allowed", "meaning");
        for (int i = 0; sim_params_key(i, &sec, &key, range, sizeof range, &doc) == 0; i++) {
            char full[64];
            snprintf(full, sizeof full, "%s.%s", sec, key);
            printf("%-28s %-28s %s\n", full, range, doc);
        }
        return 0;
    }
    if (only && !name)
        return cli_input_error("%s needs a name; 'commons maps' lists them",
                               only == 1 ? "--map" : "--preset");
    if (name && only == 1) {
        const char *map = env_builtin_map(name);
        if (!map)
            return cli_input_error("no built-in map named '%s'; 'commons maps' lists them", name);
        fputs(map, stdout);
        return 0;
    }
    if (name && only == 2 && !env_builtin_preset(name))
        return cli_input_error("no preset named '%s'; 'commons maps' lists them", name);
    if (name) {
        const char *map = only == 2 ? NULL : env_builtin_map(name);
        if (env_builtin_preset(name)) {
            SimParams p;
            EnvError err;
            if (sim_params_load_preset(&p, name, &err)) return cli_fail(&err);
            sim_params_write_ini(&p, stdout);
            if (!map) return 0;
            printf("\n");
        }
        if (map) {
            describe_map(name);
            fputs(map, stdout);
            return 0;
        }
        return cli_input_error("no map or preset named '%s'; 'commons maps' lists them", name);
    }
    printf("maps:\n");
    for (int i = 0; env_builtin_map_name(i); i++) describe_map(env_builtin_map_name(i));
    printf("presets:\n");
    for (int i = 0; env_builtin_preset_name(i); i++) {
        SimParams sp;
        EnvError err;
        if (sim_params_load_preset(&sp, env_builtin_preset_name(i), &err)) return cli_fail(&err);
        const EnvParams p = sp.env;
        printf("  %-20s game %-9s map %-24s %2d agents, view %dx%d; %s\n", p.preset,
               env_game_name(p.game), p.map, p.n_agents, p.view_ahead + p.view_behind + 1,
               2 * p.view_side + 1, p.source);
    }
    return 0;
}
