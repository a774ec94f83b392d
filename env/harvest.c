/* harvest.c: Harvest (Hughes et al. 2018, the SSD code) and Commons (Perolat et al. 2017).
 *
 * Rules: each step, every apple spawn point without an apple and without an agent regrows an
 * apple with probability regrowth.probs[min(L, n - 1)], where L is the number of apples in its
 * neighbourhood (regrowth.shape and regrowth.radius; the spawn point itself excluded). All
 * probabilities are computed from the state before this step's regrowth, so the order of spawn
 * points does not matter. Random draws: one per eligible spawn point whose probability is above
 * zero, in spawn-point order (map row-major).
 *
 * Neighbourhood counts are kept incrementally: an apple appearing or vanishing updates the counts
 * of the spawn points around it.
 */
#include "game.h"

static void count_change(EnvWorld *w, int32_t idx, int delta) {
    const EnvConfig *cfg = w->cfg;
    for (int k = 0; k < cfg->n_nbr; k++) {
        int s = cfg->apple_slot[idx + cfg->nbr[k]];
        if (s >= 0) w->nbr_count[s] = (uint8_t)(w->nbr_count[s] + delta);
    }
}

static void harvest_reset(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    for (int i = 0; i < cfg->n_apple; i++) w->nbr_count[i] = 0;
    for (int i = 0; i < cfg->n_apple; i++)
        if (w->cell[cfg->apple[i]] == ENV_ID_APPLE) count_change(w, cfg->apple[i], +1);
}

static void harvest_eaten(EnvWorld *w, int slot) {
    count_change(w, w->cfg->apple[slot], -1);
}

static void harvest_dynamics(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int last = cfg->p.n_regrowth - 1, n_new = 0;
    ENV_FOR_EACH_EMPTY_APPLE(w, slot, {
        int L = w->nbr_count[slot] < last ? w->nbr_count[slot] : last;
        uint64_t thr = cfg->regrowth_thr[L];
        if (thr > 0 && !w->occ[cfg->apple[slot]] && env_rng_chance(&w->rng, thr))
            w->scratch[n_new++] = slot;
    });
    for (int k = 0; k < n_new; k++) {
        env_apple_put(w, w->scratch[k]);
        count_change(w, cfg->apple[w->scratch[k]], +1);
    }
}

const EnvGameOps env_harvest_ops = {harvest_reset, harvest_eaten, harvest_dynamics};
