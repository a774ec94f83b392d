/* replay.h: replay files: the config, the seed and every action of one or more episodes, enough
 * to reproduce their exact trajectories; and the cursor that plays them back.
 *
 * File layout (version 1), integers little-endian:
 *   "CMNSRPLY" magic (8 bytes), u32 version, u32 flags (0), u64 payload bytes,
 *   payload:
 *     u64 seed, u64 world index, u64 map hash, u32 agents, u32 hash interval, u32 signal bits,
 *     u32 episodes, str preset, str policies (comma list, one per agent), str config (INI,
 *     every key),
 *     per episode: u64 episode index, u32 steps, u32 hashes, u64 hash[hashes],
 *                  actions packed two per byte (low nibble first), steps x agents of them,
 *                  signal bits packed eight per byte (lowest bit first), steps x agents x bits,
 *   u64 checksum: FNV-1a 64 of every byte before it.
 * A str is a u32 length and that many bytes. Actions 0..14 are stored as is; anything else as 15
 * (an out-of-range action, which the world counts and treats as stay, so it replays the same).
 * Hashes are the state hash at tick 0, at every multiple of the hash interval, and after the last
 * step, so a replay that diverges says where. Signals do not change the world; they are kept so
 * that a replay shows (and counts) them as the run did.
 *
 * Contract: files are written atomically (temporary file, fsync, rename). Reading checks the
 * magic, the version, the length and the checksum before it believes any field, then bounds-checks
 * every field; a truncated, corrupted, wrong-version or foreign file is refused with ENV_EINPUT and
 * a message that names the file and what is wrong.
 */
#ifndef COMMONS_SIM_REPLAY_H
#define COMMONS_SIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "episode.h"
#include "params.h"

#define SIM_REPLAY_MAGIC "CMNSRPLY"
#define SIM_REPLAY_VERSION 1
#define SIM_REPLAY_HASH_EVERY 100
#define SIM_REPLAY_BAD_ACTION 15
#define SIM_REPLAY_MAX_BYTES (1LL << 30)

typedef struct SimReplayEpisode {
    uint64_t episode;
    int32_t steps; /* steps recorded so far (while writing) or in the file */
    int32_t n_hashes;
    uint64_t *hashes; /* (n_hashes,) state hashes: tick 0, each multiple of hash_every, the end */
    uint8_t *actions; /* (steps, n_agents) one action per byte */
    uint8_t *signals; /* (steps, n_agents, signal_bits) one bit per byte, or NULL without bits */
    int32_t cap;      /* steps the arrays hold */
} SimReplayEpisode;

typedef struct SimReplay {
    char preset[ENV_NAME_LEN];
    char *policies; /* comma list of one policy name per agent */
    char *ini;      /* the effective config, as sim_params_write_ini() writes it */
    uint64_t seed, world_index, map_hash;
    int n_agents, hash_every, signal_bits;
    int n_episodes, cap;
    SimReplayEpisode *ep; /* (n_episodes,) */
} SimReplay;

/* FNV-1a 64 of n bytes, the checksum of replay files. */
uint64_t sim_replay_checksum(const uint8_t *data, size_t n);

/* A hash of a config's map (size and cells), to check that a replay meets the same map. */
uint64_t sim_replay_map_hash(const EnvConfig *cfg);

/* Starts a replay of worlds of cfg; policies is a comma list (one name per agent). */
int sim_replay_init(SimReplay *rp, const SimConfig *cfg, uint64_t seed, uint64_t world_index,
                    const char *policies, EnvError *err);
/* Starts recording an episode; w must have just been reset. */
int sim_replay_begin(SimReplay *rp, uint64_t episode, const EnvWorld *w, EnvError *err);
/* Records one step: actions (n_agents,), signal bits (n_agents, signal_bits) or NULL when there
 * are none; w is the world after the step. */
int sim_replay_step(SimReplay *rp, const int32_t *actions, const uint8_t *bits, const EnvWorld *w,
                    EnvError *err);
/* Ends the episode being recorded; w is the world after its last step. */
int sim_replay_end(SimReplay *rp, const EnvWorld *w, EnvError *err);

/* Serialises a replay into a fresh buffer (free it). */
int sim_replay_encode(const SimReplay *rp, uint8_t **data, size_t *n, EnvError *err);
/* Parses a buffer into rp; origin names it in messages. */
int sim_replay_decode(SimReplay *rp, const uint8_t *data, size_t n, const char *origin,
                      EnvError *err);
/* Writes a replay file atomically. */
int sim_replay_write(const SimReplay *rp, const char *path, EnvError *err);
/* Reads and checks a replay file. */
int sim_replay_read(SimReplay *rp, const char *path, EnvError *err);
void sim_replay_close(SimReplay *rp);

/* Rebuilds the params of a replay and checks that they read back to the same config. */
int sim_replay_params(const SimReplay *rp, const char *origin, SimParams *p, EnvError *err);
/* Checks that cfg (built from the replay's params) has the map the replay was made on. */
int sim_replay_check_config(const SimReplay *rp, const char *origin, const EnvConfig *cfg,
                            EnvError *err);

/* Plays one recorded episode back through the episode stepper, with the recorded actions and
 * signal bits, checking the recorded hashes as it goes. */
typedef struct SimReplayCursor {
    const SimReplay *rp;
    const SimReplayEpisode *ep;
    SimEpisode *e;        /* built from the replay's config, seed and world index */
    int next_hash;        /* index of the next recorded hash to check */
    int mismatch_tick;    /* first tick whose hash differs, or -1 */
    uint64_t got, wanted; /* the hashes at that tick */
    int last_match_tick;  /* the last tick whose hash matched, or -1 */
} SimReplayCursor;

/* Starts the recorded episode ep_index in e and checks the tick-0 hash. */
void sim_replay_cursor_start(SimReplayCursor *c, const SimReplay *rp, int ep_index, SimEpisode *e);
/* Takes one recorded step; returns 1 when the episode is over (nothing left to take). */
int sim_replay_cursor_step(SimReplayCursor *c);
/* Describes a mismatch, if any: returns 0 when every hash so far matched, else ENV_EMISMATCH. */
int sim_replay_cursor_mismatch(const SimReplayCursor *c, const char *origin, EnvError *err);

#endif
