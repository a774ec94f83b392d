/* cleanup.c: Cleanup (Hughes et al. 2018 as in the SSD code, and Gallego 2026's rules).
 *
 * Map legend: '@' wall, ' ' or '.' floor, 'P' agent spawn point, 'A' apple spawn point (an apple
 * there at the start when apples.start = 1), 'H' river holding waste at the start, 'R' clean
 * river, 'S' stream (inert: never holds waste). The river cells ('H' and 'R') are where waste
 * lives; a map without any is refused. 'M' (a river mouth) belongs to the ocean game and is
 * refused. The params are refused unless pollution.restoration < pollution.depletion.
 *
 * Actions (9, agents face a direction): 0 forward, 1 backward, 2 strafe left, 3 strafe right,
 * 4 turn left, 5 turn right, 6 stay, 7 fire, 8 clean. Out-of-range actions count as bad_actions
 * and stay.
 *
 * Beams: both have the ray geometry of gathering.c (width rays centred on the firer, length
 * cells, the centre ray from one cell ahead and the side rays from side_start, ended by the map
 * edge, by walls when walls_block, by the first active agent when agents_block), with their own
 * keys: beam.* for fire, clean.* for clean. Fire beams hit active agents: one hit per beam, each
 * costing beam.hit_penalty; beam.hits_to_tag hits (0: never) tag the agent out for beam.tag_steps
 * steps (gathering.c tells what a tagged agent may not do). A clean beam hits nobody; every waste
 * cell a ray reaches becomes clean river, and with clean.stops_at_waste the ray ends at the first
 * waste cell it cleans; a ray stopped by an agent (agents_block) cleans the cell under it first.
 * Beams are traced in agent order, a clean beam on the cells as the earlier beams of the step left
 * them; hits apply after all beams are traced (simultaneous order) or at once (sequential: a hit
 * agent is tagged, so a second beam in the step misses it). The presets: `cleanup` (the SSD code)
 * three rays of length 5 from beside the agent, stopped by walls and the first agent, each clean
 * ray clearing its first waste cell, firing costs 1, a hit 50, no tag-out, cleaning is free, no
 * beams in observations (obs.beams = 0); `cleanup-gallego` 5x3 rectangles through walls and
 * agents clearing all waste in them, firing and cleaning cost 1, a hit costs 50 and tags out for
 * 25 steps, the sequential order, agents sharing cells, extra agents on random open cells.
 *
 * Rewards in a step: +apples.reward for an apple eaten; -beam.cost for firing; -clean.cost for
 * cleaning; -beam.hit_penalty for each hit taken.
 *
 * Step order (step.c, env.order): simultaneous (timers, turns, moves, eating, beams, then this
 * game's dynamics; the SSD code) or sequential (timers, each agent acting in index order, this
 * game's dynamics, then eating; Gallego's code). The dynamics, with d = waste cells / river cells:
 *  1. waste: while d is below pollution.depletion, one clean river cell, chosen uniformly among
 *     the candidates (every clean river cell with pollution.under_agents, the SSD code; else
 *     those without an agent), becomes waste with probability waste_spawn_prob ("single" mode),
 *     or with probability 1 - (1 - p)^k for k candidates ("ssd" mode: the SSD code gives every
 *     candidate its own draw until one succeeds);
 *  2. apples: p = 0 when d >= depletion, apple_max_prob when d <= restoration, and
 *     apple_max_prob * (depletion - d) / (depletion - restoration) between, where d is the
 *     density before step 1 (pollution.density = before_spawn, the SSD code computes both
 *     probabilities once) or after it (after_spawn, Gallego's code); every apple spawn point
 *     without an apple and without an agent regrows with p.
 * The tick then advances; the episode is truncated at env.max_steps and never terminates.
 * All arithmetic is integer (64-bit, 128-bit for the interpolation). Random draws, all from the
 * dynamics stream, in order: the move contests (step.c), the waste draws (ssd: up to k, stopping
 * at the first success; single: one), one more draw to pick the cell when waste spawns, then one
 * draw per eligible spawn point in spawn-point order when p > 0. Reset draws only the agents'
 * places (step.c).
 */
#include <string.h>

#include "game.h"

__extension__ typedef unsigned __int128 u128;

/* the restoration density must be below the depletion density */
static int cleanup_check(const EnvParams *p, EnvError *err) {
    if (p->restoration_ppb < p->depletion_ppb) return 0;
    char res[32], dep[32];
    env_params_get(p, "pollution", "restoration", res, sizeof res);
    env_params_get(p, "pollution", "depletion", dep, sizeof dep);
    return env_fail(err, ENV_EINPUT,
                    "pollution.restoration = %s must be below pollution.depletion = %s", res, dep);
}

/* the map must have a river */
static int cleanup_build(EnvConfig *cfg, EnvError *err) {
    if (cfg->n_river > 0) return 0;
    return env_fail(err, ENV_EINPUT,
                    "map '%s' has no river cells ('H' or 'R'); cleanup needs a river",
                    cfg->map.name);
}

static void cleanup_reset(EnvWorld *w) {
    (void)w;
}

static void cleanup_eaten(EnvWorld *w, int slot) {
    (void)w, (void)slot;
}

/* a clean ray reached waste at idx: the cell becomes clean river */
static int cleanup_clean(EnvWorld *w, int32_t idx) {
    int slot = w->cfg->river_slot[idx];
    env_put_cell(w, idx, ENV_ID_RIVER);
    w->n_waste--;
    w->river_clean[slot / 64] |= 1ULL << (slot % 64);
    return w->cfg->p.clean_stops_at_waste;
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
    /* the apple probability from the density before the spawn (SSD) */
    uint64_t thr = p->density_phase == ENV_DENSITY_BEFORE_SPAWN ? apple_threshold(w) : 0;
    /* 1. waste: candidates are clean river cells (without an agent unless under_agents) */
    if ((u128)w->n_waste * (u128)ENV_PPB < (u128)p->depletion_ppb * (u128)cfg->n_river) {
        int n_words = (cfg->n_river + 63) / 64;
        uint64_t cand[(ENV_MAX_MAP_SIDE * ENV_MAX_MAP_SIDE + 63) / 64];
        memcpy(cand, w->river_clean, (size_t)n_words * 8);
        for (int i = 0; i < p->n_agents && !p->waste_under_agents; i++) {
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
    /* 2. apples, from the density after the spawn (Gallego) */
    if (p->density_phase == ENV_DENSITY_AFTER_SPAWN) thr = apple_threshold(w);
    if (thr == 0) return;
    ENV_FOR_EACH_EMPTY_APPLE(w, slot, {
        if (!w->occ[cfg->apple[slot]] && env_rng_chance(&w->rng, thr)) env_apple_put(w, slot);
    });
}

const EnvGameOps env_cleanup_ops = {
    .name = "cleanup",
    .n_actions = 9,
    .egocentric = 1,
    .refused = ENV_GRID_REFUSED,
    .legend = ENV_GRID_LEGEND,
    .check = cleanup_check,
    .build = cleanup_build,
    .reset = cleanup_reset,
    .eaten = cleanup_eaten,
    .clean = cleanup_clean,
    .dynamics = cleanup_dynamics,
};
