/* rng.h: seeded random streams.
 *
 * Contract: every stream is keyed by hashing a tuple (run seed, world index, episode index,
 * purpose) through SplitMix64, never by adding seeds. A stream is a PCG32 generator (64-bit state,
 * 32-bit output, Lemire's unbiased bounded draw). Probabilities are compared as integer
 * thresholds against a 32-bit draw, so no floating point enters the state.
 */
#ifndef COMMONS_RNG_H
#define COMMONS_RNG_H

#include <stdint.h>

/* stream purposes */
enum {
    ENV_STREAM_SPAWN = 1,    /* agent placement and orientation at reset */
    ENV_STREAM_DYNAMICS = 2, /* move conflicts and resource regrowth */
    ENV_STREAM_POLICY = 3,   /* scripted policies: purpose + agent index is hashed in */
    ENV_STREAM_BENCH = 4,    /* random actions of the benchmark */
    ENV_STREAM_EVENTS = 5    /* exogenous events (ocean: river mouths and patches), the same
                                whatever the agents do */
};

typedef struct EnvRng {
    uint64_t state;
    uint64_t inc;
} EnvRng;

/* One SplitMix64 step: advances *x and returns the mixed output. */
static inline uint64_t env_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Hashes a tuple of four words into one key; each word is mixed in turn. */
uint64_t env_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* Seeds a stream from a key (use env_hash4 to build the key). */
void env_rng_seed(EnvRng *r, uint64_t key);

static inline uint32_t env_rng_u32(EnvRng *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* A uniform integer in [0, n), n >= 1, without modulo bias. */
static inline uint32_t env_rng_below(EnvRng *r, uint32_t n) {
    uint64_t m = (uint64_t)env_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (low < t) {
            m = (uint64_t)env_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* True with probability thr / 2^32 (thr in [0, 2^32]). */
static inline int env_rng_chance(EnvRng *r, uint64_t thr) {
    return (uint64_t)env_rng_u32(r) < thr;
}

/* The threshold for a probability given in parts per billion. */
static inline uint64_t env_ppb_to_thr(int64_t ppb) {
    return (uint64_t)(((unsigned long long)ppb << 32) / 1000000000ULL);
}

#endif
