/* runner.h: runs episodes of one world with scripted policies, or trained ones
 * (cli_runner_set_learned), for `commons run`, `commons compare`, `commons eval` and the tests. */
#ifndef COMMONS_RUNNER_H
#define COMMONS_RUNNER_H

#include "env.h"
#include "params.h"
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
    const SimConfig *sim; /* the run's config: the world's, comm's and the spec with signal heads */
    const EnvConfig *cfg; /* &sim->env */
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
int cli_runner_init(CliRunner *r, const SimConfig *sim, const ScriptedKind *kinds, uint64_t seed,
                    uint64_t world_index, EnvError *err);
void cli_runner_close(CliRunner *r);
/* Gives agent i a trained policy (its parameter group g) in place of its scripted kind; the
 * policy must outlive the runner. Its actions are drawn from the stream (seed, world, episode,
 * PPO_STREAM_EVAL, agent); its heads after the first are the agent's signal bits. */
int cli_runner_set_learned(CliRunner *r, int agent, const PpoPolicy *pol, int group, EnvError *err);
/* The policies of one episode: scripted policies and the trained agents' streams. A loop that
 * steps a runner's world itself (recorders, viewers) calls cli_actors_init() at the start of an
 * episode and cli_actors_act() before each env_step(), as cli_run_episode() does, so every
 * policy, scripted or trained, acts the same way there. */
typedef struct CliActors {
    ScriptedPolicy pol[ENV_MAX_AGENTS]; /* (n_agents,) */
    EnvRng learned_rng[ENV_MAX_AGENTS]; /* (n_agents,) */
} CliActors;

void cli_actors_init(CliActors *a, const CliRunner *r, uint64_t episode);
/* Every agent's action (n_agents,) and signal bits (n_agents, signal_bits) from the view (the
 * comm session's, when the world communicates) and the world's observations; returns the number
 * of bits set. */
int64_t cli_actors_act(CliActors *a, CliRunner *r, const EnvView *view, int32_t *actions,
                       uint8_t *bits);

/* Runs episode `episode` for `steps` steps (the config's max_steps when steps <= 0). */
void cli_run_episode(CliRunner *r, uint64_t episode, int steps, CliEpisode *out);

#endif
