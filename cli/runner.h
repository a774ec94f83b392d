/* runner.h: runs episodes of one world with scripted policies, or trained ones
 * (cli_runner_set_learned), for `commons run`, `commons compare`, `commons eval` and the tests. */
#ifndef COMMONS_RUNNER_H
#define COMMONS_RUNNER_H

#include "env.h"
#include "ppo.h"
#include "scripted.h"
#include "session.h"

typedef struct CliEpisode {
    int episode;
    int steps;
    EnvSocial social;
    int64_t ret[ENV_MAX_AGENTS]; /* (n_agents,) returns */
    uint64_t hash;               /* state hash after the last step */
    int32_t bad_actions;
    int64_t signals;                             /* signal bits set to 1 over the episode */
    int64_t spawned, collected, beached, afloat; /* ocean plastic at the end of the episode */
} CliEpisode;

typedef struct CliRunner {
    const EnvConfig *cfg;
    EnvWorld world;
    ScriptedScratch scratch;
    ScriptedKind kind[ENV_MAX_AGENTS]; /* (n_agents,) policy of each agent */
    uint64_t seed;
    int comm; /* 1: the world communicates (comm.*) */
    CommSession session;
    /* trained policies; a NULL entry plays its scripted kind */
    const PpoPolicy *learned[ENV_MAX_AGENTS]; /* (n_agents,) */
    int learned_group[ENV_MAX_AGENTS];        /* (n_agents,) parameter group of each */
    NnWork learned_work[ENV_MAX_AGENTS];      /* (n_agents,) inference buffers of each */
    uint8_t *obs;                             /* (n_agents, obs_size) once any is learned */
} CliRunner;

/* world_index is the world's global index; the same (seed, index, episode) gives the same
 * episode wherever it runs. */
int cli_runner_init(CliRunner *r, const EnvConfig *cfg, const ScriptedKind *kinds, uint64_t seed,
                    uint64_t world_index, EnvError *err);
void cli_runner_close(CliRunner *r);
/* Gives agent i a trained policy (its parameter group g) in place of its scripted kind; the
 * policy must outlive the runner. Its actions are drawn from the stream (seed, world, episode,
 * PPO_STREAM_EVAL, agent); its heads after the first are the agent's signal bits. */
int cli_runner_set_learned(CliRunner *r, int agent, const PpoPolicy *pol, int group,
                           EnvError *err);
/* Runs episode `episode` for `steps` steps (the config's max_steps when steps <= 0). */
void cli_run_episode(CliRunner *r, uint64_t episode, int steps, CliEpisode *out);

#endif
