/* cleanup.c: Cleanup (Hughes et al. 2018 as in the SSD code, and Gallego 2026's rules).
 *
 * Rules, each step after moves, eating and beams:
 *  1. waste: with density d = waste cells / river cells below pollution.depletion, one clean
 *     river cell without an agent, chosen uniformly, becomes waste with probability
 *     waste_spawn_prob ("single" mode), or with probability 1 - (1 - p)^k for k such cells
 *     ("ssd" mode: the SSD code gives every candidate its own draw until one succeeds);
 *  2. apples: d is recomputed; p = 0 when d >= depletion, apple_max_prob when d <= restoration,
 *     and apple_max_prob * (depletion - d) / (depletion - restoration) between; every apple spawn
 *     point without an apple and without an agent regrows with p.
 * All arithmetic is integer (64-bit, 128-bit for the interpolation). Random draws, in order: the
 * waste draws (ssd: up to k, stopping at the first success; single: one), one more draw to pick
 * the cell when waste spawns, then one draw per eligible spawn point in spawn-point order when
 * p > 0.
 */
#include <string.h>

#include "game.h"

__extension__ typedef unsigned __int128 u128;

static void cleanup_reset(EnvWorld *w) {
    (void)w;
}

static void cleanup_eaten(EnvWorld *w, int slot) {
    (void)w, (void)slot;
}

/* the apple regrowth threshold for the current waste count */
static uint64_t apple_threshold(const EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    u128 wasted = (u128)w->n_waste * (u128)ENV_PPB;
    u128 dep = (u128)p->depletion_ppb * (u128)cfg->n_river;
    u128 res = (u128)p->restoration_ppb * (u128)cfg->n_river;
    if (wasted >= dep) return 0;
    if (wasted <= res) return cfg->apple_max_thr;
    return (uint64_t)((u128)cfg->apple_max_thr * (dep - wasted) / (dep - res));
}

static void cleanup_dynamics(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    /* 1. waste: candidates are clean river cells without an agent */
    if ((u128)w->n_waste * (u128)ENV_PPB < (u128)p->depletion_ppb * (u128)cfg->n_river) {
        int n_words = (cfg->n_river + 63) / 64;
        uint64_t cand[(ENV_MAX_MAP_SIDE * ENV_MAX_MAP_SIDE + 63) / 64];
        memcpy(cand, w->river_clean, (size_t)n_words * 8);
        for (int i = 0; i < p->n_agents; i++) {
            int slot = cfg->river_slot[w->agent[i].pos];
            if (slot >= 0) cand[slot / 64] &= ~(1ULL << (slot % 64));
        }
        int k = 0;
        for (int wd = 0; wd < n_words; wd++) k += __builtin_popcountll(cand[wd]);
        int tries = p->waste_mode == ENV_WASTE_SSD ? k : (k > 0);
        for (int t = 0; t < tries; t++) {
            if (!env_rng_chance(&w->rng, cfg->waste_thr)) continue;
            /* the m-th candidate, in river-cell order */
            int m = (int)env_rng_below(&w->rng, (uint32_t)k), wd = 0;
            while (__builtin_popcountll(cand[wd]) <= m) m -= __builtin_popcountll(cand[wd++]);
            uint64_t bits = cand[wd];
            for (; m > 0; m--) bits &= bits - 1;
            int slot = wd * 64 + __builtin_ctzll(bits);
            env_put_cell(w, cfg->river[slot], ENV_ID_WASTE);
            w->river_clean[slot / 64] &= ~(1ULL << (slot % 64));
            w->n_waste++;
            break;
        }
    }
    /* 2. apples */
    uint64_t thr = apple_threshold(w);
    if (thr == 0) return;
    ENV_FOR_EACH_EMPTY_APPLE(w, slot, {
        if (!w->occ[cfg->apple[slot]] && env_rng_chance(&w->rng, thr)) env_apple_put(w, slot);
    });
}

const EnvGameOps env_cleanup_ops = {cleanup_reset, cleanup_eaten, cleanup_dynamics, NULL};
