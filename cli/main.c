/* main.c: the `commons` command-line tool: dispatches to the commands in cli/cmd_*.c.
 *
 * Exit codes: 0 success, 2 bad input (with a message that names the place and the fix), 1 runtime
 * failure.
 *
 * SIGINT and SIGTERM remove the temporary files being written (env/io.h), say what an unfinished
 * job leaves (env_stop_note), and then end the process by the same signal with its default action,
 * so the caller sees the usual status. `commons train` is the exception: its first SIGINT or
 * SIGTERM (a scheduler's warning before a time limit, or Ctrl-C) only raises a flag, and the
 * training stops after the update in progress with a checkpoint; a second one ends the process as
 * above. The library installs no signal handler; this is the only place that does.
 *
 * Processes (sim/dist.h): under mpirun or srun the commands that spread their work (run,
 * compare, eval, bench, train) run on every rank; the others are refused there.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dist.h"
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
    "  schelling play a cooperator and a defector in every mix: Schelling diagram, dilemma\n"
    "            conditions, replicator dynamics\n"
    "\n"
    "'commons <command> --help' describes a command.\n";

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);                 /* one process */
    int (*spread)(SimDist *d, int argc, char **argv); /* over the ranks */
} COMMANDS[] = {
    /* clang-format off */
    {"run", NULL, cli_cmd_run},
    {"compare", NULL, cli_cmd_compare},
    {"bench", NULL, cli_cmd_bench},
    {"maps", cli_cmd_maps, NULL},
    {"train", NULL, cli_cmd_train},
    {"eval", NULL, cli_cmd_eval},
    {"watch", cli_cmd_watch, NULL},
    {"replay", cli_cmd_replay, NULL},
    {"schelling", cli_cmd_schelling, NULL},
    /* clang-format on */
};

/* the training's stop flag: the signal that asked for a stop with a checkpoint, or 0 */
static volatile sig_atomic_t stop_signal = 0;
static volatile sig_atomic_t stop_gently = 0; /* 1 while `commons train` runs */
static volatile sig_atomic_t stop_quiet = 0;  /* 1 on ranks other than 0: rank 0 says it */

/* async-signal-safe: the first signal during training raises the flag; otherwise unlink() the
 * temporaries, then die of sig (the default action restored; the signal is blocked while the
 * handler runs and delivered when it returns) */
static void on_stop_signal(int sig) {
    if (stop_gently && !stop_signal) {
        stop_signal = sig;
        static const char msg[] = "commons: stopping after this update with a checkpoint (the "
                                  "same signal again stops at once)\n";
        if (!stop_quiet) {
            ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
            (void)w;
        }
        return;
    }
    env_atomic_remove_temps();
    env_stop_note_print();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
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

/* a command: in one process, or spread over the ranks of a launch */
static int dispatch(int k, int argc, char **argv) {
    SimDist d;
    EnvError err;
    if (sim_dist_init(&d, &argc, &argv, &err)) {
        fprintf(stderr, "commons: %s\n", err.msg);
        return CLI_EXIT_INPUT;
    }
    int rc;
    if (COMMANDS[k].spread) {
        d.stop = &stop_signal;
        stop_quiet = d.rank != 0;
        stop_gently = strcmp(COMMANDS[k].name, "train") == 0;
        rc = COMMANDS[k].spread(&d, argc - 2, argv + 2);
        stop_gently = 0;
    } else if (d.size > 1) {
        if (d.rank == 0)
            fprintf(stderr,
                    "commons: '%s' runs in one process, and this launch started %d; run it "
                    "without mpirun or srun (run, compare, eval, bench and train spread over "
                    "processes)\n",
                    COMMANDS[k].name, d.size);
        rc = CLI_EXIT_INPUT;
    } else {
        rc = COMMANDS[k].fn(argc - 2, argv + 2);
    }
    sim_dist_close(&d);
    return rc;
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
        if (strcmp(cmd, COMMANDS[i].name) == 0) return dispatch((int)i, argc, argv);
    fprintf(stderr, "commons: unknown command '%s'\n\n%s", cmd, USAGE);
    return CLI_EXIT_INPUT;
}
