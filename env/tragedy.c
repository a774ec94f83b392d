/* tragedy.c: the Tragedy water pool (Pretorius et al. 2020, games.md 5.1; their code
 * instadeepai/EGTA-NMARL, egta/envs/tragedy/env.py), in exact integer arithmetic.
 *
 * N valve agents (env.agents, 4 in the paper) share one pool of water. A full pool is 1; the pool
 * starts at tragedy.start (0.5). Quantities are fractions of a full pool given as exact decimals
 * (parts per billion) and held in pool units of 1 / (N * 1e9) of a full pool, so that one valve's
 * take, tragedy.take / N (0.1 / N in the paper, whatever the regrowth), is exactly
 * tragedy.take's parts per billion, and every level is an integer: no floating point touches the
 * state.
 *
 * Actions (2): 0 wait (the valve stays closed), 1 take (the valve opens). An out-of-range action
 * counts as a bad action and waits. Agents never move.
 *
 * A step, in the paper's order:
 *  1. the pool loses tragedy.take / N for every agent that takes;
 *  2. the pool is depleted when it is at or below 0: the episode then ends (terminated) and no
 *     one is rewarded in this step;
 *  3. otherwise every agent that took is rewarded 1, and the pool regrows by tragedy.regrowth
 *     (the paper sweeps 0.03, 0.042, 0.053, 0.065, 0.077, 0.088, 0.1), capped at a full pool.
 * The tick then advances; the episode is truncated at env.max_steps (100 in the paper). No step
 * draws a random number (the spawn stream still places the agents at reset and is then unused:
 * agent i always holds valve i).
 * Rewards are counted in takes: the paper rewards tragedy.take / N (0.025) per take, and its
 * learners divide rewards by reward_norm = 0.025 (no reward sharing), which gives our 1. Returns
 * are takes; multiply by tragedy.take / N for the paper's units.
 *
 * Observation (a 1 x 2 grey image, obs.encoding = rgb; ids is refused): cell 0 is the pool's
 * level, floor(255 * level), its level clamped to [0, 1]; cell 1 is the agent's own total taken,
 * floor(255 * takes / env.max_steps); the three channels of a cell are equal. The network reads
 * them as value / 255. Features (spec.n_features = 2) are the exact values in the paper's units:
 * the level (negative after a depleting step, as in the paper) and the own total taken,
 * takes * tragedy.take / N.
 *
 * The picture (the map the game draws for itself; env.map is not read): a gauge row of
 * max(N, 10) cells, the first ceil(level * width) of them water (ENV_ID_RIVER), under it a row of
 * pipes (ENV_ID_STREAM over a valve that opened in the last step), and the valves: agent i at
 * column i. Walls frame it.
 */
#include <string.h>

#include "game.h"

#define POOL_PPB 1000000000LL
#define GAUGE_MIN 10

/* the gauge's width in cells */
static int gauge_w(int n_agents) {
    return n_agents > GAUGE_MIN ? n_agents : GAUGE_MIN;
}

/* a full pool, in pool units */
static int64_t pool_full(const EnvConfig *cfg) {
    return (int64_t)cfg->p.n_agents * POOL_PPB;
}

static int tragedy_check(const EnvParams *p, EnvError *err) {
    if (p->encoding == ENV_ENC_IDS)
        return env_fail(err, ENV_EINPUT,
                        "obs.encoding = ids: the tragedy game observes quantities (the pool's "
                        "level, the agent's own take), not map cells; use obs.encoding = rgb");
    if (p->pool_start_ppb <= 0)
        return env_fail(err, ENV_EINPUT,
                        "tragedy.start = 0 leaves the pool dry before the first step; allowed "
                        "(0, 1]");
    if (p->pool_take_ppb <= 0)
        return env_fail(err, ENV_EINPUT,
                        "tragedy.take = 0 gives the valves nothing to take; allowed (0, 1]");
    return 0;
}

/* the picture: walls, the gauge row, the pipe row, the valve row */
static int tragedy_map(EnvMap *m, const EnvParams *p, EnvError *err) {
    int w = gauge_w(p->n_agents) + 2;
    char text[5 * (ENV_MAX_AGENTS + 3) + 1], *at = text;
    for (int r = 0; r < 5; r++) {
        for (int c = 0; c < w; c++) {
            int inner = r > 0 && r < 4 && c > 0 && c < w - 1;
            *at++ = !inner ? '@' : (r == 3 && c - 1 < p->n_agents) ? 'P' : ' ';
        }
        *at++ = '\n';
    }
    *at = 0;
    int rc = env_map_parse(m, text, "the tragedy picture", err);
    if (rc == 0) snprintf(m->name, sizeof m->name, "%s", "tragedy");
    return rc;
}

/* the gauge: the first ceil(level * width) cells hold water */
static void paint_gauge(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int width = gauge_w(cfg->p.n_agents);
    int64_t full = pool_full(cfg), pool = w->pool < 0 ? 0 : w->pool;
    int64_t filled = (pool * width + full - 1) / full;
    int32_t row = (1 + cfg->pad) * cfg->wp + cfg->pad + 1;
    for (int c = 0; c < width; c++) {
        uint8_t id = c < filled ? ENV_ID_RIVER : ENV_ID_EMPTY;
        if (w->cell[row + c] != id) env_put_cell(w, row + c, id);
    }
}

/* agent i at valve i (its spawn point in map order), the pool at its start, pipes closed */
static void tragedy_reset(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int n = cfg->p.n_agents;
    for (int i = 0; i < n; i++) w->occ[w->agent[i].pos] = 0;
    for (int i = 0; i < n; i++) {
        w->agent[i].pos = cfg->spawn[i];
        w->occ[cfg->spawn[i]] = (uint8_t)(i + 1);
    }
    w->pool = cfg->p.pool_start_ppb * n;
    w->depleted = 0;
    paint_gauge(w);
}

static void tragedy_eaten(EnvWorld *w, int slot) {
    (void)w, (void)slot;
}

/* steps 1-2 and the rewards of step 3; the pipes show which valves opened */
static void tragedy_act(EnvWorld *w, const int32_t *act) {
    const EnvConfig *cfg = w->cfg;
    int n = cfg->p.n_agents, takers = 0;
    for (int i = 0; i < n; i++) {
        int take = act[i] == ENV_TRAGEDY_TAKE;
        takers += take;
        int32_t pipe = w->agent[i].pos - cfg->wp;
        uint8_t id = take ? ENV_ID_STREAM : ENV_ID_EMPTY;
        if (w->cell[pipe] != id) env_put_cell(w, pipe, id);
    }
    w->pool -= (int64_t)takers * cfg->p.pool_take_ppb;
    w->depleted = w->pool <= 0;
    for (int i = 0; i < n; i++) w->reward[i] = !w->depleted && act[i] == ENV_TRAGEDY_TAKE;
}

/* step 3: regrowth up to a full pool, unless depleted */
static void tragedy_dynamics(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    if (!w->depleted) {
        w->pool += cfg->p.pool_regen_ppb * cfg->p.n_agents;
        if (w->pool > pool_full(cfg)) w->pool = pool_full(cfg);
    }
    paint_gauge(w);
}

static int tragedy_terminal(const EnvWorld *w) {
    return w->depleted;
}

static uint64_t tragedy_hash(const EnvWorld *w, uint64_t h) {
    int64_t s[2] = {w->pool, w->depleted};
    return env_fnv1a64(h, s, sizeof s);
}

/* a byte of the gauge image: floor(255 * num / den), num clamped to [0, den] */
static uint8_t level_byte(int64_t num, int64_t den) {
    if (num <= 0) return 0;
    if (num >= den) return 255;
    return (uint8_t)(num * 255 / den);
}

static void tragedy_observe(const EnvWorld *w, uint8_t *obs) {
    const EnvConfig *cfg = w->cfg;
    size_t size = cfg->spec.obs_size;
    int c = cfg->spec.obs_c;
    uint8_t level = level_byte(w->pool, pool_full(cfg));
    for (int i = 0; i < cfg->p.n_agents; i++) {
        uint8_t *o = obs + (size_t)i * size;
        uint8_t taken = level_byte(w->metrics.ret[i], cfg->p.max_steps);
        memset(o, level, (size_t)c);
        memset(o + c, taken, (size_t)c);
    }
}

/* the exact level and own total taken, in the paper's units */
static void tragedy_features(const EnvWorld *w, float *out) {
    const EnvConfig *cfg = w->cfg;
    double full = (double)pool_full(cfg);
    for (int i = 0; i < cfg->p.n_agents; i++) {
        out[i * 2] = (float)((double)w->pool / full);
        out[i * 2 + 1] = (float)((double)w->metrics.ret[i] * (double)cfg->p.pool_take_ppb / full);
    }
}

static void tragedy_view(const EnvWorld *w, EnvView *v) {
    v->pool = w->pool;
    v->pool_full = pool_full(w->cfg);
    v->pool_take = w->cfg->p.pool_take_ppb;
}

const EnvGameOps env_tragedy_ops = {
    .name = "tragedy",
    .n_actions = 2,
    .egocentric = 0,
    .n_features = 2,
    .has_wait = 1,
    .wait_action = ENV_TRAGEDY_WAIT,
    .obs_h = 1,
    .obs_w = 2,
    .refused = "",
    .legend = "the tragedy draws its own picture",
    .check = tragedy_check,
    .map = tragedy_map,
    .reset = tragedy_reset,
    .eaten = tragedy_eaten,
    .act = tragedy_act,
    .dynamics = tragedy_dynamics,
    .terminal = tragedy_terminal,
    .hash = tragedy_hash,
    .features = tragedy_features,
    .observe = tragedy_observe,
    .view = tragedy_view,
};
