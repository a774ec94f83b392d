/* ocean.c: the macroplastic-collection world (ocean.md; our design: no public grid spec exists).
 *
 * The map: '@' land, ' ' sea, 'P' vessel spawn point (sea), 'M' river mouth (a sea cell that
 * emits plastic); the grid games' 'A', 'H', 'R' and 'S' are refused.
 *
 * Actions (5, absolute: vessels have no facing and one encoded grid): 0 stay, 1 north, 2 east,
 * 3 south, 4 west; out-of-range actions count as bad_actions and stay. Moves resolve like every
 * game's (step.c: no two vessels share a cell; contests drawn at random). There is no beam, so no
 * hit and no tag-out. A vessel collects up to ocean.capacity units from its cell a step (instead
 * of eating apples), and the units collected are its reward; nothing costs anything.
 * Features (spec.n_features = 2): each vessel's own row and column over the map's height and
 * width. The view exposes the plastic units per cell (EnvView.plastic).
 *
 * Each step, after moves and collection (step.c), in this order:
 *  1. every river mouth emits ocean.source_units with probability ocean.source_prob (one draw per
 *     mouth, in map order, from the dynamics stream);
 *  2. with probability ocean.patch_prob (one draw), a patch of ocean.patch_units appears around a
 *     sea cell drawn uniformly (one more draw): the units are dealt one by one over the sea cells
 *     within Chebyshev distance ocean.patch_radius, in row-major order, round after round;
 *  Step 2 and the initial patches (reset: one draw of the centre per patch, after the vessels
 *  are placed) draw from the world's events stream, which nothing the vessels do can change: for
 *  one seed every team meets the same patches, so teams can be compared seed by seed.
 *  3. drift, from the dynamics stream: every cell holding plastic draws once (cells in
 *     row-major order); with the cell's
 *     first threshold its whole stack moves one cell in its first direction, with the second in
 *     its second direction, else it stays. A stack drifting onto land is beached (ocean.beaching)
 *     or stays. All moves are decided from the state before the drift, so order never matters.
 * The tick then advances; the episode is truncated at env.max_steps and never terminates. Random
 * draws of the dynamics stream in a step, in order: move contests (step.c), river mouths, drift.
 * Plastic is conserved: spawned = afloat + collected + beached, at every step (tested).
 *
 * Currents (per-cell tables built once with the config, integer arithmetic only):
 *  none: no drift; uniform: every cell drifts in ocean.current_dir with ocean.current_prob;
 *  gyre: a clockwise circulation about the map's centre with an inward pull weighted by
 *  ocean.gyre_inward, so plastic converges to a patch; the velocity (row, col) is split into its
 *  vertical and horizontal parts, drawn with probabilities current_prob * |v_r| / (|v_r| + |v_c|)
 *  and current_prob * |v_c| / (|v_r| + |v_c|).
 *
 * Observation cells: sea ENV_ID_EMPTY, land ENV_ID_WALL, a river mouth without plastic
 * ENV_ID_SOURCE, plastic as ENV_ID_PLASTIC1..4 by level: level = ceil(4 * min(units, cap) / cap).
 */
#include <stdlib.h>
#include <string.h>

#include "game.h"

__extension__ typedef unsigned __int128 u128;

/* the cell id that shows `units` of plastic on a cell */
static uint8_t plastic_id(const EnvConfig *cfg, int32_t idx, int32_t units) {
    if (units <= 0) return cfg->base[idx] == ENV_ID_SOURCE ? ENV_ID_SOURCE : ENV_ID_EMPTY;
    int cap = cfg->p.level_cap;
    int u = units < cap ? units : cap;
    int level = (ENV_PLASTIC_LEVELS * u + cap - 1) / cap;
    return (uint8_t)(ENV_ID_PLASTIC1 + level - 1);
}

/* sets a cell's plastic, keeping the afloat set and the encoded grid in step */
static void set_plastic(EnvWorld *w, int32_t idx, int32_t units) {
    w->plastic[idx] = units;
    if (units > 0)
        w->afloat[idx / 64] |= 1ULL << (idx % 64);
    else
        w->afloat[idx / 64] &= ~(1ULL << (idx % 64));
    uint8_t id = plastic_id(w->cfg, idx, units);
    if (w->cell[idx] != id) env_put_cell(w, idx, id);
}

static void add_plastic(EnvWorld *w, int32_t idx, int32_t units) {
    set_plastic(w, idx, w->plastic[idx] + units);
    w->spawned += units;
}

/* a patch: units dealt round-robin over the sea cells around a centre */
static void place_patch(EnvWorld *w, int32_t centre) {
    const EnvConfig *cfg = w->cfg;
    int rad = cfg->p.patch_radius, left = cfg->p.patch_units;
    int32_t cells[17 * 17];
    int n = 0, r0 = centre / cfg->wp, c0 = centre % cfg->wp;
    for (int r = r0 - rad; r <= r0 + rad; r++)
        for (int c = c0 - rad; c <= c0 + rad; c++) {
            if (r < 0 || r >= cfg->hp || c < 0 || c >= cfg->wp) continue;
            int32_t idx = r * cfg->wp + c;
            uint8_t b = cfg->base[idx];
            if (b == ENV_ID_EMPTY || b == ENV_ID_SOURCE) cells[n++] = idx;
        }
    int each = left / n, extra = left % n;
    for (int k = 0; k < n; k++) {
        int units = each + (k < extra);
        if (units > 0) add_plastic(w, cells[k], units);
    }
}

static void ocean_reset(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    memset(w->plastic, 0, ncell * sizeof(int32_t));
    memset(w->afloat, 0, (ncell + 63) / 64 * 8);
    w->spawned = w->collected = w->beached = 0;
    for (int k = 0; k < cfg->p.initial_patches; k++)
        place_patch(w, cfg->sea[env_rng_below(&w->events, (uint32_t)cfg->n_sea)]);
}

static void ocean_eaten(EnvWorld *w, int slot) {
    (void)w, (void)slot;
}

/* every active vessel takes up to capacity units from its cell (vessels never share a cell) */
static void ocean_collect(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    for (int i = 0; i < cfg->p.n_agents; i++) {
        int32_t idx = w->agent[i].pos;
        int32_t have = w->plastic[idx];
        if (have <= 0 || w->agent[i].timeout > 0) continue;
        int32_t take = have < cfg->p.capacity ? have : cfg->p.capacity;
        set_plastic(w, idx, have - take);
        w->collected += take;
        w->reward[i] += take;
    }
}

static void ocean_dynamics(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    /* 1. river mouths */
    uint64_t source_thr = env_ppb_to_thr(p->source_ppb);
    if (source_thr > 0)
        for (int k = 0; k < cfg->n_source; k++)
            if (env_rng_chance(&w->rng, source_thr))
                add_plastic(w, cfg->source[k], p->source_units);
    /* 2. a patch somewhere */
    uint64_t patch_thr = env_ppb_to_thr(p->patch_ppb);
    if (patch_thr > 0 && env_rng_chance(&w->events, patch_thr))
        place_patch(w, cfg->sea[env_rng_below(&w->events, (uint32_t)cfg->n_sea)]);
    /* 3. drift: decide every move from the state before it, then apply */
    if (p->currents == ENV_CURRENTS_NONE) return;
    int n_words = (cfg->hp * cfg->wp + 63) / 64, n_moves = 0;
    int32_t *mv = w->scratch; /* (n_moves, 3): source, destination (-1 beached), units */
    for (int wd = 0; wd < n_words; wd++) {
        uint64_t bits = w->afloat[wd];
        while (bits) {
            int32_t idx = wd * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            uint32_t u = env_rng_u32(&w->rng);
            const uint8_t *dir = cfg->drift_dir + (size_t)idx * 2;
            const uint32_t *thr = cfg->drift_thr + (size_t)idx * 2;
            int d = u < thr[0] ? dir[0] : u < thr[1] ? dir[1] : -1;
            if (d < 0) continue;
            int32_t dst = idx + env_dr[d] * cfg->wp + env_dc[d];
            uint8_t b = cfg->base[dst];
            int sea = b == ENV_ID_EMPTY || b == ENV_ID_SOURCE;
            if (!sea && !p->beaching) continue;
            mv[n_moves * 3] = idx;
            mv[n_moves * 3 + 1] = sea ? dst : -1;
            mv[n_moves * 3 + 2] = w->plastic[idx];
            n_moves++;
        }
    }
    for (int k = 0; k < n_moves; k++) {
        int32_t src = mv[k * 3], dst = mv[k * 3 + 1], units = mv[k * 3 + 2];
        set_plastic(w, src, w->plastic[src] - units);
        if (dst >= 0)
            set_plastic(w, dst, w->plastic[dst] + units);
        else
            w->beached += units;
    }
}

/* the direction (ENV_NORTH..ENV_WEST) of a signed step along rows (vertical) or columns */
static uint8_t dir_of(int vertical, long long v) {
    if (vertical) return v < 0 ? ENV_NORTH : ENV_SOUTH;
    return v < 0 ? ENV_WEST : ENV_EAST;
}

static void build_currents(EnvConfig *cfg) {
    const EnvParams *p = &cfg->p;
    uint64_t thr = env_ppb_to_thr(p->current_ppb);
    if (thr > UINT32_MAX) thr = UINT32_MAX;
    long long cy2 = cfg->hp - 1, cx2 = cfg->wp - 1; /* twice the centre, in cells */
    long long inward = p->gyre_inward_ppb, round = ENV_PPB - p->gyre_inward_ppb;
    for (int r = 0; r < cfg->hp; r++)
        for (int c = 0; c < cfg->wp; c++) {
            size_t idx = (size_t)r * (size_t)cfg->wp + (size_t)c;
            uint8_t *dir = cfg->drift_dir + idx * 2;
            uint32_t *t = cfg->drift_thr + idx * 2;
            t[0] = t[1] = 0;
            dir[0] = dir[1] = ENV_NORTH;
            if (p->currents == ENV_CURRENTS_UNIFORM) {
                dir[0] = dir[1] = (uint8_t)p->current_dir;
                t[0] = t[1] = (uint32_t)thr;
            } else if (p->currents == ENV_CURRENTS_GYRE) {
                /* offsets from the centre, doubled to stay integer */
                long long dy = 2LL * r - cy2, dx = 2LL * c - cx2;
                /* clockwise on screen: (dy, dx) -> (dx, -dy); inward: -(dy, dx) */
                long long vr = round * dx - inward * dy, vc = -round * dy - inward * dx;
                long long ar = vr < 0 ? -vr : vr, ac = vc < 0 ? -vc : vc;
                if (ar + ac == 0) continue;
                uint32_t tr = (uint32_t)((u128)thr * (u128)ar / (u128)(ar + ac));
                dir[0] = dir_of(1, vr);
                dir[1] = dir_of(0, vc);
                t[0] = tr;
                t[1] = (uint32_t)thr;
            }
        }
}

/* sea: the cells plastic can occupy */
static int is_sea(char ch) {
    return ch == ' ' || ch == 'P' || ch == 'M';
}

/* the river mouths, the sea cells and the drift tables; the drift keeps 3 numbers a move */
static int ocean_build(EnvConfig *cfg, EnvError *err) {
    const EnvMap *m = &cfg->map;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    int n_source = 0, n_sea = 0;
    for (int i = 0; i < m->h * m->w; i++) {
        n_source += m->cells[i] == 'M';
        n_sea += is_sea(m->cells[i]);
    }
    cfg->source = malloc((size_t)(n_source ? n_source : 1) * sizeof(int32_t));
    cfg->sea = malloc((size_t)(n_sea ? n_sea : 1) * sizeof(int32_t));
    cfg->drift_dir = calloc(ncell * 2, 1);
    cfg->drift_thr = calloc(ncell * 2, sizeof(uint32_t));
    if (!cfg->source || !cfg->sea || !cfg->drift_dir || !cfg->drift_thr)
        return env_fail(err, ENV_ENOMEM, "out of memory building the config");
    for (int r = 0; r < m->h; r++)
        for (int c = 0; c < m->w; c++) {
            char ch = m->cells[r * m->w + c];
            int32_t idx = (r + cfg->pad) * cfg->wp + (c + cfg->pad);
            if (ch == 'M') cfg->source[cfg->n_source++] = idx;
            if (is_sea(ch)) cfg->sea[cfg->n_sea++] = idx;
        }
    build_currents(cfg);
    if (cfg->scratch_n < 3 * n_sea) cfg->scratch_n = 3 * n_sea;
    return 0;
}

/* a world's plastic: the afloat bit set, then the units per cell */
static size_t ocean_state_bytes(const EnvConfig *cfg) {
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    return (ncell + 63) / 64 * 8 + ncell * sizeof(int32_t);
}

static void ocean_carve(EnvWorld *w, uint8_t *bytes) {
    size_t ncell = (size_t)w->cfg->hp * (size_t)w->cfg->wp;
    w->afloat = (uint64_t *)bytes;
    w->plastic = (int32_t *)(bytes + (ncell + 63) / 64 * 8);
}

/* the plastic counters and every map cell's units */
static uint64_t ocean_hash(const EnvWorld *w, uint64_t h) {
    const EnvConfig *cfg = w->cfg;
    int64_t counts[3] = {w->spawned, w->collected, w->beached};
    h = env_fnv1a64(h, counts, sizeof counts);
    for (int r = 0; r < cfg->map.h; r++)
        h = env_fnv1a64(h, w->plastic + (size_t)(r + cfg->pad) * (size_t)cfg->wp + (size_t)cfg->pad,
                        (size_t)cfg->map.w * sizeof(int32_t));
    return h;
}

/* own row and column, over the map's height and width */
static void ocean_features(const EnvWorld *w, float *out) {
    const EnvConfig *cfg = w->cfg;
    for (int i = 0; i < cfg->p.n_agents; i++) {
        int r = w->agent[i].pos / cfg->wp - cfg->pad, c = w->agent[i].pos % cfg->wp - cfg->pad;
        out[i * 2] = (float)r / (float)cfg->map.h;
        out[i * 2 + 1] = (float)c / (float)cfg->map.w;
    }
}

int64_t env_plastic_afloat(const EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int64_t sum = 0;
    for (int i = 0; i < cfg->n_sea; i++) sum += w->plastic[cfg->sea[i]];
    return sum;
}

const EnvGameOps env_ocean_ops = {
    .name = "ocean",
    .n_actions = 5,
    .egocentric = 0,
    .n_features = 2,
    .refused = "AHRS",
    .legend = "the ocean has '@' land, ' ' sea, 'P' spawn and 'M' river mouth",
    .build = ocean_build,
    .state_bytes = ocean_state_bytes,
    .carve = ocean_carve,
    .reset = ocean_reset,
    .collect = ocean_collect,
    .eaten = ocean_eaten,
    .dynamics = ocean_dynamics,
    .hash = ocean_hash,
    .features = ocean_features,
};
