/* options.h: option parsing and error reporting shared by the commands of the commons tool.
 *
 * Contract: commands parse with cli_parse_options() against the list of options they accept,
 * build params with cli_build_params() (preset, config file, then --agents/--steps/--encoding and
 * --set in order), and return cli_input_error()/cli_fail() codes: 2 for bad input, 1 otherwise.
 */
#ifndef COMMONS_OPTIONS_H
#define COMMONS_OPTIONS_H

#include "env.h"
#include "params.h"
#include "policy.h"
#include "scripted.h"

#define CLI_EXIT_INPUT 2
#define CLI_MAX_SETS 64

/* options shared by the commands; each command accepts a subset */
typedef struct Options {
    const char *env;
    const char *config;
    const char *policy;
    const char *sets[CLI_MAX_SETS];
    int n_sets;
    char agents_set[32], steps_set[32], encoding_set[32];
    long long episodes, seed, batch, repeat, steps;
    int json, help;
    int env_given; /* 1 when --env was given (env holds the command's default otherwise) */
    /* options a command adds: --name VALUE pairs it declared in `allowed` and reads here */
    const char *extra_name[8];
    const char *extra_value[8];
    int n_extra;
} Options;

/* Prints "commons: TEXT" and a newline to stderr, control bytes (but newlines and tabs) escaped
 * as \xNN: every error message of the tool goes through it. */
void cli_print_error(const char *text);
/* Prints "commons: MESSAGE" to stderr (escaped as cli_print_error does); returns
 * CLI_EXIT_INPUT. */
int cli_input_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Prints an EnvError; returns 2 for bad input, 1 otherwise. */
int cli_fail(const EnvError *err);
/* Parses an integer option value in [lo, hi]. */
int cli_parse_count(const char *opt, const char *v, long long lo, long long hi, long long *out);
/* Parses --opt VALUE and --opt=VALUE; `allowed` is " --a --b " (spaces around each). Options
 * that are not among the shared ones land in extra_name/extra_value. */
int cli_parse_options(int argc, char **argv, Options *o, const char *allowed);
/* The value of an extra option, or NULL. */
const char *cli_extra(const Options *o, const char *name);
/* Preset, config file, then the quick options and --set in order. */
int cli_build_params(const Options *o, const char *env, SimParams *p);
/* The world of a run with --policy: --env and --config as cli_build_params() reads them; with
 * neither, and a trained policy first in --policy, the world that policy was trained in, then
 * the quick options and --set on top. */
int cli_world_params(const Options *o, SimParams *p);
/* sim_scripted_list(), sim_policies_parse() and sim_policies_attach() (sim/policy.h), their
 * errors printed: each returns an exit code. */
int cli_split_policies(const char *opt, const char *spec, ScriptedKind *kinds, int *n);
int cli_policies_parse(const char *spec, int n_agents, SimPolicies *out);
int cli_policies_attach(const SimPolicies *ps, SimEpisode *e);

#endif
