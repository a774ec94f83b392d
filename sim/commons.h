/* commons.h: the C API of libcommons.so, for language bindings (python/commons reads this file
 * with cffi's cdef, between the "cdef begin" and "cdef end" lines, so that part holds only plain
 * declarations: no includes, no macros but integer constants).
 *
 * Contract:
 * - Every type is opaque or a flat struct declared here: a binding never depends on a struct
 *   layout it cannot see (SimBatch, EnvWorld, ... stay private to the library).
 * - Buffers belong to the caller. A vec or an env is bound once to the caller's buffers
 *   (observations, rewards, ends, messages, features) and writes into them in place at every step
 *   and reset: nothing is copied through the API and nothing is allocated inside a step.
 * - Calls return 0 (or a count) on success, or a negative code (ENV_EINPUT -2, ENV_ENOMEM -3,
 *   ENV_EIO -4, ENV_EMISMATCH -5, ENV_ENOTFOUND -6; env/env.h) with err->msg naming the place.
 *   Everything a caller passes is checked before anything changes: sizes, action ranges, signal
 *   bits, observation ids, the state of the handle. A failed call leaves its handle as it was.
 * - A handle is used by one thread at a time; *_free accepts NULL.
 * - Seeds, world indices and episodes mean what they mean to `commons run`: world w of a run with
 *   seed s, episode e, gives the bytes and the state hash of `commons run --seed s` (world 0).
 */
#ifndef COMMONS_CAPI_H
#define COMMONS_CAPI_H

#include <stddef.h>
#include <stdint.h>

/* cdef begin */
#define COMMONS_API_VERSION 1
#define COMMONS_MAX_AGENTS 32

typedef struct CommonsError {
    int code;      /* 0 or the negative code the call returned */
    char msg[512]; /* the message, naming the place */
} CommonsError;

/* What a caller needs to size its buffers. */
typedef struct CommonsSpec {
    int n_agents, n_actions;
    int obs_h, obs_w, obs_c;
    int obs_max;          /* the largest value an observation byte takes (255 rgb, ids: last id) */
    int ids;              /* 1: the ids encoding, 0: rgb */
    int n_bits;           /* signal bits per agent (comm.signal_bits) */
    int msg_size;         /* floats of each agent's received message, 0 without comm */
    int n_features;       /* extra floats per agent (ocean: its row and column) */
    int state_h, state_w; /* the global state: (state_h, state_w, obs_c) */
    int max_steps;
    int game; /* 0 gathering, 1 harvest, 2 cleanup, 3 ocean */
} CommonsSpec;

/* A finished episode (or the one in progress), as `commons run` prints it. */
typedef struct CommonsResult {
    int64_t episode;
    int steps;
    double efficiency, equality, sustainability, peace;
    int64_t returns[32]; /* (n_agents,) */
    uint64_t hash;       /* state hash after the last step; 0 where the world was reset since */
    int bad_actions;
    int64_t signals, spawned, collected, beached, afloat;
} CommonsResult;

typedef struct CommonsParams CommonsParams;
typedef struct CommonsVec CommonsVec;
typedef struct CommonsEnv CommonsEnv;
typedef struct CommonsPolicy CommonsPolicy;

int commons_api_version(void);
/* The name of an error code ("ENV_EINPUT"). */
const char *commons_error_name(int code);
/* Built-in preset names, for listings: NULL past the end. */
const char *commons_preset_name(int i);
/* Every scripted policy name: "random", "greedy", "coop"; NULL past the end. */
const char *commons_scripted_name(int i);

/* The settings of a world: a preset, then config files and section.key=value overrides. */
CommonsParams *commons_params_new(const char *preset, CommonsError *err);
void commons_params_free(CommonsParams *p);
int commons_params_set(CommonsParams *p, const char *assignment, CommonsError *err);
int commons_params_load_file(CommonsParams *p, const char *path, CommonsError *err);
/* Key i of the world's and comm's tables: its section, name, allowed range (into range, n bytes)
 * and doc; ENV_ENOTFOUND past the end. */
int commons_params_key(int i, const char **section, const char **key, char *range, size_t n,
                       const char **doc);
/* The current value of one key into buf (n bytes). */
int commons_params_get(const CommonsParams *p, const char *section, const char *key, char *buf,
                       size_t n, CommonsError *err);
int commons_params_spec(const CommonsParams *p, CommonsSpec *spec, CommonsError *err);
/* The effective config as INI text into buf; returns the length it needs (without the NUL). */
int commons_params_ini(const CommonsParams *p, char *buf, size_t n);

/* A batch of W worlds, global indices world_base.., stepped together with auto-reset (sim/batch.h).
 * Bind the buffers before stepping, shapes for A agents:
 *   obs (W, A, obs_h, obs_w, obs_c) uint8, rewards (W, A) float, terminations (W,) and
 *   truncations (W,) uint8, final_obs (W, A, obs_h, obs_w, obs_c) uint8 or NULL, msg (W, A,
 *   msg_size) float or NULL, features (W, A, n_features) float or NULL.
 * Binding writes the current observations. */
CommonsVec *commons_vec_new(const CommonsParams *p, uint64_t seed, int64_t world_base, int n_worlds,
                            CommonsError *err);
void commons_vec_free(CommonsVec *v);
int commons_vec_bind(CommonsVec *v, uint8_t *obs, float *rewards, uint8_t *terminations,
                     uint8_t *truncations, uint8_t *final_obs, float *msg, float *features,
                     CommonsError *err);
/* The spec of the batch's worlds (with the global state's size). */
int commons_vec_spec(const CommonsVec *v, CommonsSpec *spec);
/* Rebuilds every world at episode 0 of a run with this seed and writes the observations. */
int commons_vec_reset(CommonsVec *v, uint64_t seed, CommonsError *err);
/* Steps every world: actions (W, A) of int32 (act_bytes 4) or int64 (8), each in 0..n_actions-1;
 * bits (W, A, n_bits) of 0 or 1, or NULL. Returns how many worlds ended their episode (their
 * next episode's first observation is in obs, the last one in final_obs). */
int commons_vec_step(CommonsVec *v, const void *actions, int act_bytes, const uint8_t *bits,
                     CommonsError *err);
/* The last episode world k finished (its hash is 0: the world was reset since). */
int commons_vec_last_episode(const CommonsVec *v, int k, CommonsResult *out, CommonsError *err);
/* The state hash of world k now. */
uint64_t commons_vec_hash(const CommonsVec *v, int k);

/* One world through the episode stepper (sim/episode.h), as `commons run` steps it, with actors
 * (scripted or trained policies) available to choose actions. Bind obs (A, obs_h, obs_w, obs_c)
 * uint8, rewards (A,) float, msg (A, msg_size) float or NULL, features (A, n_features) or NULL. */
CommonsEnv *commons_env_new(const CommonsParams *p, uint64_t seed, uint64_t world_index,
                            CommonsError *err);
void commons_env_free(CommonsEnv *e);
/* The spec of the world (with the global state's size). */
int commons_env_spec(const CommonsEnv *e, CommonsSpec *spec);
int commons_env_bind(CommonsEnv *e, uint8_t *obs, float *rewards, float *msg, float *features,
                     CommonsError *err);
/* Starts episode `episode` of a run with this seed (a new seed rebuilds the world) and writes the
 * observations. */
int commons_env_reset(CommonsEnv *e, uint64_t seed, uint64_t episode, CommonsError *err);
/* Steps with actions (A,) int32 in 0..n_actions-1 and bits (A, n_bits) 0/1 or NULL. Returns 0
 * while the episode runs, 2 when this step ended it at its time limit (a truncation), 1 when the
 * game ended it (a termination). Stepping an ended episode is an error. */
int commons_env_step(CommonsEnv *e, const int32_t *actions, const uint8_t *bits, CommonsError *err);
/* Gives the agents actors, as `commons run --policy` does: one name or checkpoint for all agents
 * or a comma list, one per agent. Only at tick 0 (the episode restarts from its start, so the
 * actors' streams are those of `commons run`). */
int commons_env_set_policies(CommonsEnv *e, const char *policies, CommonsError *err);
/* The actors' actions (A,) and bits (A, n_bits) for the state now (drawn from their streams). */
int commons_env_policy_act(CommonsEnv *e, int32_t *actions, uint8_t *bits, CommonsError *err);
int commons_env_result(const CommonsEnv *e, CommonsResult *out);
uint64_t commons_env_hash(const CommonsEnv *e);
int commons_env_tick(const CommonsEnv *e);
/* The whole map now: out (state_h, state_w, obs_c), n bytes. */
int commons_env_global_state(const CommonsEnv *e, uint8_t *out, size_t n, CommonsError *err);
/* The size of a rendered frame (cell pixels per map cell, hud 0/1), then the frame itself into
 * rgb (h, w, 3), n bytes: the frame `commons run --record` draws. */
int commons_env_render_size(CommonsEnv *e, int cell, int hud, int *h, int *w, CommonsError *err);
int commons_env_render(CommonsEnv *e, int cell, int hud, uint8_t *rgb, size_t n, CommonsError *err);
/* Records the episodes from the next reset on (policies: the names a replay lists, a comma list
 * or one name), then writes them as a replay file for `commons replay`. */
int commons_env_record(CommonsEnv *e, const char *policies, CommonsError *err);
int commons_env_save_replay(CommonsEnv *e, const char *path, CommonsError *err);

/* Plays a replay file back and checks every recorded hash (`commons replay --check`): fills
 * out[0 .. min(n, cap)) and *n with the episodes' results. ENV_EMISMATCH when it diverged. */
int commons_replay_check(const char *path, CommonsResult *out, int cap, int *n, CommonsError *err);

/* A trained policy (a checkpoint file or a run directory) acting on observations. */
CommonsPolicy *commons_policy_load(const char *path, CommonsError *err);
void commons_policy_free(CommonsPolicy *p);
/* The observations it reads and the actions it gives (n_bits: its signal heads); *groups gets
 * its parameter groups (1 shared, else one per agent slot). */
int commons_policy_spec(const CommonsPolicy *p, CommonsSpec *spec, int *groups);
/* Actions for n observations (n, obs_h, obs_w, obs_c) into actions (n,), sampled from a stream
 * keyed by (seed, stream) or the most likely when greedy; row i uses parameter group i % groups.
 * bits (n, n_bits) or NULL receives the signal heads. */
int commons_policy_act(CommonsPolicy *p, const uint8_t *obs, int n, uint64_t seed, uint64_t stream,
                       int greedy, int32_t *actions, uint8_t *bits, CommonsError *err);
/* cdef end */

#endif
