/* checkpoint.h: the full training state of a PPO trainer in one file.
 *
 * Contract:
 * - A checkpoint holds the effective config (INI text), the counters (update, environment steps,
 *   episodes, Adam steps), every group's parameters and Adam moments, and each world's position:
 *   its episode index, its tick, its state hash and the actions of its episode so far. Every
 *   random stream of training is keyed by the seed and those counters, so they are its RNG state;
 *   the worlds are restored by replaying their actions from the start of the episode (the worlds
 *   are deterministic) and checked against the saved state hash.
 * - Resuming from a checkpoint gives the same weights, bit for bit, as the uninterrupted run, with
 *   the same build and BLAS kernel.
 * - Files are written atomically (a temporary file, fsync, rename) and carry a magic number, a
 *   version and a checksum of the payload. A file that is truncated, corrupted, of another version
 *   or not a checkpoint is refused with a message saying which (ENV_EINPUT).
 *
 * Format, version 2, little-endian (the only byte order we build for; the header checks it):
 *   header, 64 bytes: "CMNSCKPT", u32 version, u32 header bytes, u64 payload bytes,
 *                     u64 FNV-1a 64 of the payload, u32 0x01020304, zero padding
 *   payload, every record padded to 8 bytes:
 *     u64 config bytes, the config text
 *     i64 seed, update, n_updates, env_steps, episodes, adam_steps
 *     char[32] the BLAS kernel that trained it (nn_blas_kernel(), NUL padded)
 *     u32 groups, u32 heads, u64 parameters per group
 *     f32 params (groups x parameters), f32 Adam m, f32 Adam v
 *     u32 worlds, u32 agents, i64 global index of the first world, u32 signal bits B, u32 0
 *     per world: u64 episode, i32 tick, u32 0, u64 state hash, i32 actions (tick x agents),
 *                u8 signal bits sent (tick x agents x B)
 * Version 1 (read too) has neither the kernel nor the bits: its worlds sent none.
 */
#ifndef COMMONS_CHECKPOINT_H
#define COMMONS_CHECKPOINT_H

#include "ppo.h"

#define PPO_CKPT_MAGIC "CMNSCKPT"
#define PPO_CKPT_VERSION 2u

typedef struct PpoWorldRecord {
    uint64_t episode;
    int32_t tick;
    uint64_t hash;          /* env_state_hash after the tick steps */
    const int32_t *actions; /* (tick, n_agents) */
    const uint8_t *bits;    /* (tick, n_agents, n_bits) signal bits sent, or NULL: none */
} PpoWorldRecord;

/* A checkpoint read into memory; the views point into `data`. */
typedef struct PpoCheckpoint {
    const char *config; /* the effective config, NUL-terminated */
    int64_t seed, update, n_updates, env_steps, episodes, adam_steps;
    int n_groups, n_heads;
    size_t n_params;             /* per group */
    const float *params, *m, *v; /* (n_groups, n_params) each */
    int n_worlds, n_agents, n_bits;
    int64_t world_base;
    char blas[32];         /* the BLAS kernel that wrote it ("" in version 1) */
    PpoWorldRecord *world; /* (n_worlds,) */
    uint8_t *data;
} PpoCheckpoint;

/* Writes the trainer's state, the records of the n_worlds worlds its driver holds (none for a
 * synthetic task; their bits have t->feed.n_bits per agent and step) and the effective config
 * text to path (atomically). */
int ppo_checkpoint_save(const PpoTrainer *t, const PpoWorldRecord *worlds, int n_worlds,
                        const char *config, const char *path, EnvError *err);

/* Reads and checks a checkpoint file. */
int ppo_checkpoint_load(PpoCheckpoint *ck, const char *path, EnvError *err);
void ppo_checkpoint_close(PpoCheckpoint *ck);

/* Restores a trainer built from the checkpoint's config: parameters, moments and counters.
 * Refuses a checkpoint whose sizes do not match, or that holds other than the n_worlds worlds
 * the trainer's driver holds; the driver restores those worlds from ck->world (sim/train.h). */
int ppo_trainer_restore(PpoTrainer *t, const PpoCheckpoint *ck, int n_worlds, EnvError *err);

#endif
