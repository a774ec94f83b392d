/* rng.c: tuple hashing and stream seeding (see rng.h). */
#include "rng.h"

uint64_t env_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t x = 0x636F6D6D6F6E73ULL; /* "commons" */
    uint64_t h = env_splitmix64(&x);
    uint64_t words[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++) {
        x = h ^ words[i];
        h = env_splitmix64(&x);
    }
    return h;
}

void env_rng_seed(EnvRng *r, uint64_t key) {
    uint64_t x = key;
    uint64_t init = env_splitmix64(&x);
    r->inc = (env_splitmix64(&x) << 1u) | 1u;
    r->state = 0;
    (void)env_rng_u32(r);
    r->state += init;
    (void)env_rng_u32(r);
}
