/* main.c: the `commons` command-line tool: dispatches to the commands in cli/cmd_*.c.
 *
 * Exit codes: 0 success, 2 bad input (with a message that names the place and the fix), 1 runtime
 * failure.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"

static const char *USAGE =
    "usage: commons <command> [options]\n"
    "\n"
    "commands:\n"
    "  run       run episodes with scripted policies and print social metrics\n"
    "  compare   run several policies on the same seeds and print a metrics table\n"
    "  bench     measure agent-steps per second with random actions, observations included\n"
    "  maps      list maps and presets, show one, or list config keys\n"
    "  train     train agents with PPO into a run directory\n"
    "  eval      run trained policies (a run directory or checkpoint) and print social metrics\n"
    "  watch     play episodes live in a window (SDL2)\n"
    "  replay    play a replay file back in the window, into a GIF/MP4, or just check it\n"
    "\n"
    "'commons <command> --help' describes a command.\n";

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} COMMANDS[] = {
    /* clang-format off */
    {"run", cli_cmd_run},
    {"compare", cli_cmd_compare},
    {"bench", cli_cmd_bench},
    {"maps", cli_cmd_maps},
    {"train", cli_cmd_train},
    {"eval", cli_cmd_eval},
    {"watch", cli_cmd_watch},
    {"replay", cli_cmd_replay},
    /* clang-format on */
};

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CLI_EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(cmd, COMMANDS[i].name) == 0) return COMMANDS[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "commons: unknown command '%s'\n\n%s", cmd, USAGE);
    return CLI_EXIT_INPUT;
}
