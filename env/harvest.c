/* harvest.c: Harvest (Hughes et al. 2018, the SSD code) and Commons (Perolat et al. 2017).
 *
 * Map legend, actions (8: move, strafe, turn, stay, fire), the fire beam, tag-out and rewards
 * (+apples.reward per apple eaten, -beam.cost per firing, -beam.hit_penalty per hit taken) are
 * Gathering's (see gathering.c); the step order is the shared one (step.c), with this game's
 * regrowth as the dynamics. The episode is truncated at env.max_steps and never terminates.
 *
 * Rules: each step, every apple spawn point without an apple, and without an agent unless
 * regrowth.under_agents (Gallego's code: an apple regrown under an agent is eaten in the same
 * step, as its step eats after regrowth, env.order = sequential), regrows an apple with
 * probability regrowth.probs[min(L, n - 1)], where L is the number of apples in its neighbourhood
 * (regrowth.shape and regrowth.radius; the spawn point itself excluded). With regrowth.update =
 * snapshot (the SSD code, Melting Pot) all probabilities are computed from the state before this
 * step's regrowth, so the order of spawn points does not matter. With in_place (Gallego's code)
 * the spawn points are visited in spawn-point order (map row-major) and each sees the apples
 * regrown before it in the same step: one draw from the dynamics stream per empty spawn point
 * whose p > 0 (a success under an agent is discarded unless under_agents), nothing else below.
 *
 * Snapshot sampling: every spawn point without an apple gets one Bernoulli(p_c) trial a step, where
 * c = min(L, n - 1) is its class; a success on a point under an agent is discarded (so such a
 * point never regrows, and the other points' trials are unaffected). Trials run class by class
 * in increasing c, within a class in spawn-point order (map row-major), step after step. Each
 * class keeps a countdown of the failures left before its next success; a success draws a new
 * countdown, a geometric number G of failures with P(G >= k) = (1 - p)^k: G is the largest k with
 * u < floor((1 - p)^k * 2^32) for a 32-bit draw u, from a table of ENV_GEO_SPAN powers built with
 * integer arithmetic, continued with another draw past the table (the law is memoryless). So the
 * stream is drawn once per success, and a step costs a few operations per class: the empty
 * points of each class are kept as a bit set, and the k-th one is found by counting bits.
 * Countdowns start undrawn at reset, are drawn at first use, and are part of the world state.
 * Random draws, all from the dynamics stream after the move contests (step.c), in order: for each
 * class in increasing c that has empty points and p > 0, its countdown when undrawn, then one new
 * countdown per success (one draw, more past the table).
 *
 * Neighbourhood counts are kept incrementally: an apple appearing or vanishing updates the counts
 * of the spawn points around it.
 */
#include <stdlib.h>
#include <string.h>

#include "game.h"

__extension__ typedef unsigned __int128 u128;

/* Powers (1 - p)^k * 2^32 for k < ENV_GEO_SPAN and each regrowth class, in integer arithmetic:
 * geo[k + 1] = floor(geo[k] * q / 2^32) with q = 2^32 - threshold(p). */
static int harvest_build(EnvConfig *cfg, EnvError *err) {
    int span = ENV_GEO_SPAN, n_class = cfg->p.n_regrowth;
    cfg->geo = malloc((size_t)n_class * (size_t)span * sizeof(uint32_t));
    if (!cfg->geo) return env_fail(err, ENV_ENOMEM, "out of memory building the config");
    for (int c = 0; c < n_class; c++) {
        uint32_t *geo = cfg->geo + (size_t)c * (size_t)span;
        uint64_t q = (1ULL << 32) - env_ppb_to_thr(cfg->p.regrowth_ppb[c]);
        uint64_t g = 1ULL << 32;
        geo[0] = UINT32_MAX; /* stands for 2^32: every draw is below it */
        for (int k = 1; k < span; k++) {
            g = (uint64_t)(((u128)g * q) >> 32);
            geo[k] = (uint32_t)(g > UINT32_MAX ? UINT32_MAX : g);
        }
    }
    return 0;
}

static int apple_class(const EnvWorld *w, int slot) {
    int last = w->cfg->p.n_regrowth - 1;
    return w->nbr_count[slot] < last ? w->nbr_count[slot] : last;
}

static uint64_t *class_set(EnvWorld *w, int c) {
    return w->class_empty + (size_t)c * (size_t)((w->cfg->n_apple + 63) / 64);
}

static int is_empty(const EnvWorld *w, int slot) {
    return (int)((w->apple_empty[slot / 64] >> (slot % 64)) & 1);
}

static void class_add(EnvWorld *w, int slot) {
    class_set(w, apple_class(w, slot))[slot / 64] |= 1ULL << (slot % 64);
}

static void class_remove(EnvWorld *w, int slot) {
    class_set(w, apple_class(w, slot))[slot / 64] &= ~(1ULL << (slot % 64));
}

/* an apple appeared (+1) or vanished (-1) at idx: the counts around it change, and empty spawn
 * points move between class sets */
static void count_change(EnvWorld *w, int32_t idx, int delta) {
    const EnvConfig *cfg = w->cfg;
    for (int k = 0; k < cfg->n_nbr; k++) {
        int s = cfg->apple_slot[idx + cfg->nbr[k]];
        if (s < 0) continue;
        int empty = is_empty(w, s);
        if (empty) class_remove(w, s);
        w->nbr_count[s] = (uint8_t)(w->nbr_count[s] + delta);
        if (empty) class_add(w, s);
    }
}

static void harvest_reset(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int n_words = (cfg->n_apple + 63) / 64;
    for (int c = 0; c < ENV_MAX_REGROWTH; c++) w->regrow_skip[c] = -1;
    memset(w->class_empty, 0, (size_t)n_words * ENV_MAX_REGROWTH * 8);
    for (int i = 0; i < cfg->n_apple; i++) w->nbr_count[i] = 0;
    for (int i = 0; i < cfg->n_apple; i++)
        if (w->cell[cfg->apple[i]] == ENV_ID_APPLE) count_change(w, cfg->apple[i], +1);
    for (int i = 0; i < cfg->n_apple; i++)
        if (is_empty(w, i)) class_add(w, i);
}

/* the core has already marked the spot empty */
static void harvest_eaten(EnvWorld *w, int slot) {
    class_add(w, slot);
    count_change(w, w->cfg->apple[slot], -1);
}

/* a geometric number of failures: the largest k with u < geo[k], continued past the table */
static int32_t geometric_gap(EnvRng *rng, const uint32_t *geo) {
    int32_t total = 0;
    for (;;) {
        uint32_t u = env_rng_u32(rng);
        int lo = 0, hi = ENV_GEO_SPAN - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (u < geo[mid])
                lo = mid;
            else
                hi = mid - 1;
        }
        total += lo;
        if (lo < ENV_GEO_SPAN - 1 || total > (1 << 30)) return total;
    }
}

/* the index of the k-th set bit (k from 0) of a bit set known to hold more than k */
static int select_bit(const uint64_t *set, int k) {
    int wd = 0;
    while (__builtin_popcountll(set[wd]) <= k) k -= __builtin_popcountll(set[wd++]);
    uint64_t bits = set[wd];
    for (; k > 0; k--) bits &= bits - 1;
    return wd * 64 + __builtin_ctzll(bits);
}

/* regrowth.update = in_place: spawn points one by one, each with the probability of its class as
 * the apples regrown before it in this step left it */
static void regrow_in_place(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int under = cfg->p.regrowth_under_agents;
    ENV_FOR_EACH_EMPTY_APPLE(w, slot, {
        uint64_t thr = cfg->regrowth_thr[apple_class(w, slot)];
        if (thr > 0 && env_rng_chance(&w->rng, thr) && (under || !w->occ[cfg->apple[slot]])) {
            class_remove(w, slot);
            env_apple_put(w, slot);
            count_change(w, cfg->apple[slot], +1);
        }
    });
}

static void harvest_dynamics(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    if (cfg->p.regrowth_in_place) {
        regrow_in_place(w);
        return;
    }
    int under = cfg->p.regrowth_under_agents;
    int n_words = (cfg->n_apple + 63) / 64, n_new = 0;
    for (int c = 0; c < cfg->p.n_regrowth; c++) {
        if (cfg->regrowth_thr[c] == 0) continue;
        const uint64_t *set = class_set(w, c);
        const uint32_t *geo = cfg->geo + (size_t)c * ENV_GEO_SPAN;
        int n = 0;
        for (int wd = 0; wd < n_words; wd++) n += __builtin_popcountll(set[wd]);
        if (n == 0) continue;
        if (w->regrow_skip[c] < 0) w->regrow_skip[c] = geometric_gap(&w->rng, geo);
        /* successes at trial positions skip, skip + 1 + G, ... among this step's n trials */
        int pos = 0;
        while (w->regrow_skip[c] < n - pos) {
            pos += w->regrow_skip[c];
            int slot = select_bit(set, pos);
            if (under || !w->occ[cfg->apple[slot]]) w->scratch[n_new++] = slot;
            pos++;
            w->regrow_skip[c] = geometric_gap(&w->rng, geo);
        }
        w->regrow_skip[c] -= n - pos;
    }
    /* regrow after all trials: every probability came from the state before this step */
    for (int k = 0; k < n_new; k++) {
        int slot = w->scratch[k];
        class_remove(w, slot);
        env_apple_put(w, slot);
        count_change(w, cfg->apple[slot], +1);
    }
}

/* the regrowth countdowns */
static uint64_t harvest_hash(const EnvWorld *w, uint64_t h) {
    return env_fnv1a64(h, w->regrow_skip, sizeof w->regrow_skip);
}

const EnvGameOps env_harvest_ops = {
    .name = "harvest",
    .n_actions = 8,
    .egocentric = 1,
    .refused = ENV_GRID_REFUSED,
    .legend = ENV_GRID_LEGEND,
    .build = harvest_build,
    .reset = harvest_reset,
    .eaten = harvest_eaten,
    .dynamics = harvest_dynamics,
    .hash = harvest_hash,
};
