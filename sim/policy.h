/* policy.h: training configs, and the policies of a run: scripted names and trained checkpoints,
 * loaded and given to an episode's agents.
 *
 * Contract: a training config is one INI file. [env] `preset = NAME` (first) picks the base
 * world; the world's sections set its keys (as with --config); [train], [ppo] and [net] set the
 * training keys (agents/ppo.h). Every error names the file and line, the key and what is
 * allowed; unknown keys are errors. A trained policy is loaded from a checkpoint file or from a
 * run directory (its checkpoint.ckpt); the checkpoint carries its own effective config.
 */
#ifndef COMMONS_SIM_POLICY_H
#define COMMONS_SIM_POLICY_H

#include "checkpoint.h"
#include "env.h"
#include "episode.h"
#include "params.h"
#include "ppo.h"
#include "scripted.h"

/* Applies INI text (origin names it in messages) onto run params and training settings. */
int sim_train_load_text(SimParams *p, PpoConfig *c, const char *text, const char *origin,
                        EnvError *err);
/* The same for a file. */
int sim_train_load_file(SimParams *p, PpoConfig *c, const char *path, EnvError *err);
/* Applies one --set section.key=value to whichever of the two owns the section. */
int sim_train_apply_set(SimParams *p, PpoConfig *c, const char *assignment, EnvError *err);
/* The effective config as INI text (malloc'd): the preset, every world and comm key, every
 * training key. Reading it back with sim_train_load_text() gives the same values. With c NULL,
 * the world's settings alone, as a --config file for 'commons run'. */
char *sim_train_config_text(const SimParams *p, const PpoConfig *c);

/* The checkpoint file a path names: PATH/checkpoint.ckpt for a directory, else PATH. */
void sim_checkpoint_file(const char *path, char *out, size_t n);
/* 1 when a --policy entry names a checkpoint: it holds a '/' or ends in ".ckpt". */
int sim_is_checkpoint_path(const char *s);

/* A trained policy with the settings it was trained under. */
typedef struct SimLearned {
    char file[1024];
    SimParams params; /* the world and comm settings it was trained under */
    PpoConfig ppo;
    PpoPolicy policy;
    PpoFeed feed; /* what the network reads besides observations */
    int64_t update, n_updates, env_steps;
} SimLearned;

/* What a learner of a world trains on: the world's spec (signal heads included, from sim_spec or
 * a SimConfig) becomes the learner's spec, without the signal heads in the GNN's
 * differentiable mode (the network emits the bits); the feed is the float input (the received
 * messages when the world communicates, then the world's features) and the channel's bits. */
void sim_learn_spec(const CommParams *comm, const PpoConfig *c, const EnvSpec *world, EnvSpec *spec,
                    PpoFeed *feed);

int sim_learned_load(SimLearned *l, const char *path, EnvError *err);
void sim_learned_close(SimLearned *l);
/* Checks that the policy reads this world's observations and acts in it. */
int sim_learned_check(const SimLearned *l, const EnvSpec *spec, EnvError *err);

/* The policies of `commons run --policy`: scripted names or checkpoints, one for all agents or
 * one per agent. A checkpoint entry PATH#g plays parameter set g of an independent checkpoint
 * (one set per training slot) whatever slot it sits in; without '#g', agent i plays set i. */
typedef struct SimPolicies {
    ScriptedKind kind[ENV_MAX_AGENTS]; /* (n_agents,) scripted kind, for agents without a ckpt */
    int learned[ENV_MAX_AGENTS];       /* (n_agents,) index into `loaded`, or -1 */
    int group[ENV_MAX_AGENTS];         /* (n_agents,) parameter set from '#g', or -1 */
    int n_entries;                     /* entries given (a pool: any number; else n_agents) */
    int pool;                          /* 1: parsed by sim_policies_parse_pool() */
    SimLearned *loaded;                /* (n_loaded,) distinct checkpoints */
    int n_loaded;
    char name[ENV_MAX_AGENTS][64]; /* (n_agents,) names for printing */
} SimPolicies;

/* Splits a comma list of scripted policy names into kinds (at most ENV_MAX_AGENTS); *n gets
 * their number. opt names the option in messages ("--policy"). */
int sim_scripted_list(const char *opt, const char *spec, ScriptedKind *kinds, int *n,
                      EnvError *err);
/* One scripted policy for all n_agents agents, or exactly one per agent. */
int sim_scripted_policies(const char *spec, int n_agents, ScriptedKind *kinds, EnvError *err);

/* Parses the list, loading each distinct checkpoint once. Lists of scripted names behave exactly
 * as sim_scripted_policies(). */
int sim_policies_parse(const char *spec, int n_agents, SimPolicies *out, EnvError *err);
/* A pool: 1 to ENV_MAX_AGENTS entries kept as given (entry j in kind[j], learned[j], group[j],
 * n_entries of them), whatever the number of agents; place entries with
 * sim_policies_attach_entry(). */
int sim_policies_parse_pool(const char *spec, SimPolicies *out, EnvError *err);
/* The parameter set an entry names: for "PATH#g" (g decimal digits) writes PATH into path and
 * returns g; otherwise copies the entry and returns -1. */
int sim_policy_entry_group(const char *entry, char *path, size_t n);
void sim_policies_close(SimPolicies *ps);
/* Gives the episode's agents their checkpoints, each checked against the world: a shared policy
 * plays every slot, agent i of an independent one plays slot i. */
int sim_policies_attach(const SimPolicies *ps, SimEpisode *e, EnvError *err);
/* The same for slot i alone (nothing when its entry is scripted). */
int sim_policies_attach_slot(const SimPolicies *ps, SimEpisode *e, int i, EnvError *err);
/* Entry j of ps plays the episode's slot i (nothing when the entry is scripted: the caller gives
 * the episode the entry's kind). */
int sim_policies_attach_entry(const SimPolicies *ps, SimEpisode *e, int slot, int j, EnvError *err);

#endif
