/* episode.h: the one episode stepper. Every command, the recorders, the viewer and the replays
 * step a world through it.
 *
 * A SimEpisode owns one world, its comm session (when the config communicates) and its actors:
 * per agent a scripted policy, a trained policy, or nothing (actions given from outside). One call,
 * sim_episode_step(), takes one step, always in this order (an episode ends after env.max_steps
 * steps, or earlier at a step that leaves the world in a terminal state):
 *   1. the comm session rebuilds the graph and hears the bits emitted at the previous step
 *      (messages out: the view's msg);
 *   2. the actors choose every agent's action and signal bits from the view (scripted) or the
 *      observation (trained), unless the caller gives them (a replay, a Python policy);
 *   3. the world steps (its metrics update with it);
 *   4. the comm session carries this step's bits, heard at the next step.
 * Policies see a snapshot: the view a scripted (or custom) policy is given, and the scene a
 * renderer draws, are copies in the episode's read-only SimView (view.h), taken once per step;
 * nothing they are given leads to the world, and a write through it faults.
 * Streams: a scripted agent draws from (seed, world, episode, ENV_STREAM_POLICY, agent), a trained
 * one from (seed, world, episode, PPO_STREAM_EVAL, agent), so an episode is the same wherever and
 * however (all at once, a step at a time in a window, replayed) it is stepped.
 */
#ifndef COMMONS_SIM_EPISODE_H
#define COMMONS_SIM_EPISODE_H

#include "env.h"
#include "params.h"
#include "ppo.h"
#include "raster.h"
#include "scripted.h"
#include "session.h"
#include "view.h"

/* What an episode ended in, as the commands print it. */
typedef struct SimResult {
    int episode;
    int steps;
    EnvSocial social;
    int64_t ret[ENV_MAX_AGENTS];      /* (n_agents,) returns */
    double restraint[ENV_MAX_AGENTS]; /* (n_agents,) fraction of steps each waited, or
                                         ENV_NO_RESTRAINT in a game without a wait action */
    uint64_t hash;                    /* state hash after the last step */
    int32_t bad_actions;
    int64_t signals;                             /* signal bits set to 1 over the episode */
    int64_t spawned, collected, beached, afloat; /* ocean plastic at the end of the episode */
} SimResult;

/* A policy written in C (tests, experiments): the action of `agent` from the view, and its
 * signal bits (bit b for signal b) in *bits. ctx is the caller's. */
typedef int32_t (*SimPolicyFn)(void *ctx, const EnvView *v, int agent, unsigned *bits);

typedef struct SimEpisode {
    const SimConfig *sim;
    const EnvConfig *cfg; /* &sim->env */
    EnvWorld world;
    int comm; /* 1: the world communicates (comm.*) */
    CommSession session;
    uint64_t seed;
    /* actors: a scripted kind for every agent, replaced by a trained policy where one is set */
    ScriptedKind kind[ENV_MAX_AGENTS];        /* (n_agents,) */
    ScriptedPolicy pol[ENV_MAX_AGENTS];       /* (n_agents,) this episode's scripted policies */
    ScriptedScratch scratch;                  /* search buffers shared by the scripted policies */
    const PpoPolicy *learned[ENV_MAX_AGENTS]; /* (n_agents,) a trained policy, or NULL */
    int learned_group[ENV_MAX_AGENTS];        /* (n_agents,) its parameter group */
    NnWork learned_work[ENV_MAX_AGENTS];      /* (n_agents,) its inference buffers */
    EnvRng learned_rng[ENV_MAX_AGENTS];       /* (n_agents,) its stream this episode */
    uint8_t *obs;                             /* (n_agents, obs_size) once any is trained */
    /* what trained policies read besides observations, once any is trained: x (n_agents, X) the
     * messages heard then the world's features; the graph and signals for GNN policies
     * (comm_session_snapshot): g_row (A + 1), g_col (A (A - 1)), g_pos (A, 2), g_sent (A, B);
     * feat (A, F) the world's features, F = spec.n_features */
    int n_float;
    float *x, *g_pos, *g_sent, *feat;
    int32_t *g_row, *g_col;
    SimPolicyFn custom[ENV_MAX_AGENTS]; /* (n_agents,) a C policy, or NULL */
    void *custom_ctx[ENV_MAX_AGENTS];   /* (n_agents,) its context */
    SimView view;                       /* the policies' snapshot of the world */
    /* the episode in progress */
    uint64_t episode;
    int steps, t; /* steps to take (cut to t when a step terminates the episode); steps taken */
    int n_bits;   /* signal bits per agent */
    int32_t actions[ENV_MAX_AGENTS];                    /* (n_agents,) the last step's actions */
    uint8_t bits[ENV_MAX_AGENTS * ENV_MAX_SIGNAL_BITS]; /* (n_agents, n_bits) its signals */
    int64_t signals;                                    /* signal bits set so far */
    int32_t edges[ENV_MAX_AGENTS * ENV_MAX_AGENTS * 2]; /* (n_edges, 2) scratch for scenes */
} SimEpisode;

/* Builds the world (global index world_index), its comm session and the scripted actors kinds
 * (n_agents,); NULL kinds means every agent's actions come from the caller. */
int sim_episode_init(SimEpisode *e, const SimConfig *sim, const ScriptedKind *kinds, uint64_t seed,
                     uint64_t world_index, EnvError *err);
void sim_episode_close(SimEpisode *e);

/* Gives agent i a trained policy (its parameter group g) in place of its scripted kind; the
 * policy must outlive the episode. Its heads after the first are the agent's signal bits. */
int sim_episode_set_learned(SimEpisode *e, int agent, const PpoPolicy *pol, int group,
                            EnvError *err);

/* The output row (n_out floats) of agent i's trained policy on the episode's observations, the
 * float input x (n_agents, n_float) and, for GNN policies, the episode's graph with the heard
 * bits sent (n_agents, bits): the actors' input, or an intervened copy of it. A GNN policy
 * computes the whole world once: done (n_agents,), zeroed by the caller for each new input,
 * marks the agents whose buffers hold a world's pass; *src is the agent whose buffers hold
 * agent i's (its GNN bits too). */
const float *sim_episode_learned_out(SimEpisode *e, int i, const float *x, const float *sent,
                                     int *done, int *src);

/* Gives agent i a policy written in C in place of its scripted kind or trained policy (fn NULL
 * gives the scripted kind back). It sees the same read-only snapshot as the scripted policies. */
int sim_episode_set_policy(SimEpisode *e, int agent, SimPolicyFn fn, void *ctx, EnvError *err);

/* What the agents hear from now on (comm/session.h: intact, zero, shuffle): an evaluation-time
 * ablation of the channel; the world's own dynamics are unchanged. A world that does not
 * communicate ignores it. */
void sim_episode_set_channel(SimEpisode *e, CommHear h);

/* Starts episode `episode` of `steps` steps (env.max_steps when steps <= 0): world, comm session
 * and the actors' streams. */
void sim_episode_start(SimEpisode *e, uint64_t episode, int steps);

/* Takes one step (see the top of this file). actions (n_agents,) and bits (n_agents, n_bits) come
 * from the caller when not NULL, else from the actors; either way they are kept in e->actions and
 * e->bits. Returns 1 when the episode is over (it then takes no more steps). */
int sim_episode_step(SimEpisode *e, const int32_t *actions, const uint8_t *bits);

/* Steps 1-2 without the world: the actors choose every agent's action and bits for the state now
 * (drawing from their streams) into e->actions and e->bits. Passing those to sim_episode_step()
 * takes the step sim_episode_step(e, NULL, NULL) would have taken (bindings call it). */
void sim_episode_act(SimEpisode *e);

/* The world's part of every step, the one both this stepper and the batch (batch.h) take: the
 * world steps with actions (n_agents,); when rewards (n_agents,) is not NULL it receives the
 * learning rewards, the world's own shared over the graph the agents acted on as rewards.share
 * asks (raw, n_agents floats, is scratch for the world's own); then the channel carries bits
 * (n_agents, signal_bits; NULL sends zeros). cs is NULL for a world that does not communicate.
 * Returns what env_step() returns. */
int sim_world_step(EnvWorld *w, CommSession *cs, const int32_t *actions, const uint8_t *bits,
                   float *rewards, float *raw);

/* Runs a whole episode from its start, as sim_episode_start() and steps to the end. */
void sim_episode_run(SimEpisode *e, uint64_t episode, int steps, SimResult *out);

/* The episode so far, as a result. */
void sim_episode_result(const SimEpisode *e, SimResult *out);

/* The view of the world now (with the messages the agents heard at the last step): a fresh
 * snapshot in e->view, read-only, valid until the next step or view. */
void sim_episode_view(SimEpisode *e, EnvView *v);

/* The scene of the world now, with the comm layers: the graph the last step's messages crossed
 * and the bits each agent emitted. Its view is a snapshot, as sim_episode_view() gives. */
void sim_episode_scene(SimEpisode *e, RenderScene *s);

#endif
