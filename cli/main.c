/* main.c: the `commons` command-line tool: dispatches to the commands in cli/cmd_*.c.
 *
 * Exit codes: 0 success, 2 bad input (with a message that names the place and the fix), 1 runtime
 * failure.
 *
 * SIGINT and SIGTERM remove the temporary files being written (env/io.h), say what an unfinished
 * job leaves (env_stop_note), and then end the process
 * by the same signal with its default action, so the caller sees the usual status. The library
 * installs no signal handler; this is the only place that does.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "io.h"
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

/* async-signal-safe: unlink() the temporaries, then die of sig (SA_RESETHAND restored the default
 * action; the signal is blocked while the handler runs and delivered when it returns) */
static void on_stop_signal(int sig) {
    env_atomic_remove_temps();
    env_stop_note_print();
    raise(sig);
}

static void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    /* a signal ignored when we started (nohup, background jobs) stays ignored */
    const int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

int main(int argc, char **argv) {
    install_stop_handlers();
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
