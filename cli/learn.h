/* learn.h: training configs and trained policies for `commons train`, `commons eval` and the
 * episode runner.
 *
 * Contract: a training config is one INI file. [env] `preset = NAME` (first) picks the base
 * world; the world's sections set its keys (as with --config); [train], [ppo] and [net] set the
 * training keys (agents/ppo.h). Every error names the file and line, the key and what is
 * allowed; unknown keys are errors. A trained policy is loaded from a checkpoint file or from a
 * run directory (its checkpoint.ckpt); the checkpoint carries its own effective config.
 */
#ifndef COMMONS_LEARN_H
#define COMMONS_LEARN_H

#include "checkpoint.h"
#include "env.h"
#include "params.h"
#include "ppo.h"
#include "scripted.h"

/* Applies INI text (origin names it in messages) onto run params and training settings. */
int cli_train_load_text(SimParams *p, PpoConfig *c, const char *text, const char *origin,
                        EnvError *err);
/* The same for a file. */
int cli_train_load_file(SimParams *p, PpoConfig *c, const char *path, EnvError *err);
/* Applies one --set section.key=value to whichever of the two owns the section. */
int cli_train_apply_set(SimParams *p, PpoConfig *c, const char *assignment, EnvError *err);
/* The effective config as INI text (malloc'd): the preset, every world and comm key, every
 * training key. Reading it back with cli_train_load_text() gives the same values. */
char *cli_train_config_text(const SimParams *p, const PpoConfig *c);

/* The checkpoint file a path names: PATH/checkpoint.ckpt for a directory, else PATH. */
void cli_checkpoint_file(const char *path, char *out, size_t n);
/* 1 when a --policy entry names a checkpoint: it holds a '/' or ends in ".ckpt". */
int cli_is_checkpoint_path(const char *s);

/* A trained policy with the settings it was trained under. */
typedef struct CliLearned {
    char file[1024];
    SimParams params; /* the world and comm settings it was trained under */
    PpoConfig ppo;
    PpoPolicy policy;
    int64_t update, n_updates, env_steps;
} CliLearned;

int cli_learned_load(CliLearned *l, const char *path, EnvError *err);
void cli_learned_close(CliLearned *l);
/* Checks that the policy reads this world's observations and acts in it. */
int cli_learned_check(const CliLearned *l, const EnvSpec *spec, EnvError *err);

/* The policies of `commons run --policy`: scripted names or checkpoints, one for all agents or
 * one per agent. */
typedef struct CliPolicies {
    ScriptedKind kind[ENV_MAX_AGENTS]; /* (n_agents,) scripted kind, for agents without a ckpt */
    int learned[ENV_MAX_AGENTS];       /* (n_agents,) index into `loaded`, or -1 */
    CliLearned *loaded;                /* (n_loaded,) distinct checkpoints */
    int n_loaded;
    char name[ENV_MAX_AGENTS][64]; /* (n_agents,) names for printing */
} CliPolicies;

/* Parses the list, loading each distinct checkpoint once; prints errors and returns the exit
 * code (2 for bad input). Lists of scripted names behave exactly as cli_parse_policies(). */
int cli_policies_parse(const char *spec, int n_agents, CliPolicies *out);
void cli_policies_close(CliPolicies *ps);
/* Gives the runner's agents their checkpoints, each checked against the world: a shared policy
 * plays every slot, agent i of an independent one plays slot i. Prints errors; returns the exit
 * code. */
struct SimEpisode;
int cli_policies_attach(const CliPolicies *ps, struct SimEpisode *r);

#endif
