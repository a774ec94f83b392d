/* world.c: the shared world core: config building, reset, the step, observations and the hash.
 *
 * One step, in this order (every game):
 *  1. last step's beams are forgotten;
 *  2. tag-out timers count down; an agent whose timer is still above zero does nothing this step;
 *  3. turns are applied;
 *  4. moves resolve simultaneously (see resolve_moves): a move into a wall fails; agents never
 *     share a cell; an agent may enter a cell its occupant leaves in the same step; two agents
 *     never swap; when several agents claim one free cell, one claimant chosen uniformly with the
 *     world's dynamics stream moves and the others stay;
 *  5. every active agent standing on an apple eats it (+apples.reward);
 *  6. beams fire simultaneously from the post-move positions: fire beams hit active agents,
 *     clean beams clear waste; hits apply after every beam is traced, so the order of firers
 *     never matters; an agent tagged in this step still fires;
 *  7. the game's resource dynamics run (regrowth, waste), on cells without agents;
 *  8. the tick advances and the metrics update. This step's beams stay listed until the next
 *     step and are drawn into observations over the cells (agents are drawn over beams).
 * Random draws, in order: move contests (one draw per contested cell, cells in order of their
 * first claimant's index), then the game's own draws (documented in its file).
 */
#include <stdlib.h>
#include <string.h>

#include "game.h"

__extension__ typedef unsigned __int128 u128;

const int env_dr[4] = {-1, 0, 1, 0};
const int env_dc[4] = {0, 1, 0, -1};

const EnvGameOps *env_game_ops(EnvGame g) {
    switch (g) {
    case ENV_GAME_HARVEST:
        return &env_harvest_ops;
    case ENV_GAME_CLEANUP:
        return &env_cleanup_ops;
    case ENV_GAME_OCEAN:
        return &env_ocean_ops;
    default:
        return &env_gathering_ops;
    }
}

/* palettes: the SSD code's colours, and the colours of Gallego's environments */
static void set_palette(EnvConfig *cfg) {
    static const uint8_t ssd[ENV_ID_COUNT][3] = {
        [ENV_ID_EMPTY] = {0, 0, 0},       [ENV_ID_WALL] = {180, 180, 180},
        [ENV_ID_APPLE] = {0, 255, 0},     [ENV_ID_WASTE] = {99, 156, 194},
        [ENV_ID_RIVER] = {113, 75, 24},   [ENV_ID_STREAM] = {113, 75, 24},
        [ENV_ID_OUTSIDE] = {0, 0, 0},     [ENV_ID_FIRE] = {255, 255, 0},
        [ENV_ID_CLEAN] = {100, 255, 255}, [ENV_ID_SELF] = {0, 0, 255},
        [ENV_ID_OTHER] = {159, 67, 255},  [ENV_ID_TAGGED] = {100, 100, 100}};
    static const uint8_t gallego[ENV_ID_COUNT][3] = {
        [ENV_ID_EMPTY] = {0, 0, 0},         [ENV_ID_WALL] = {127, 127, 127},
        [ENV_ID_APPLE] = {0, 200, 0},       [ENV_ID_WASTE] = {139, 90, 43},
        [ENV_ID_RIVER] = {100, 180, 255},   [ENV_ID_STREAM] = {0, 180, 200},
        [ENV_ID_OUTSIDE] = {127, 127, 127}, [ENV_ID_FIRE] = {255, 255, 60},
        [ENV_ID_CLEAN] = {100, 255, 255},   [ENV_ID_SELF] = {50, 100, 255},
        [ENV_ID_OTHER] = {220, 50, 50},     [ENV_ID_TAGGED] = {100, 100, 100}};
    /* SSD agent colours, repeated past nine agents */
    static const uint8_t ssd_agents[9][3] = {{0, 0, 255},   {2, 81, 154},    {204, 0, 204},
                                             {216, 30, 54}, {254, 151, 0},   {100, 255, 255},
                                             {99, 99, 255}, {250, 204, 255}, {238, 223, 16}};
    /* the ocean: deep blue sea, brown land, plastic from grey to white, orange vessels */
    static const uint8_t ocean[ENV_ID_COUNT][3] = {
        [ENV_ID_EMPTY] = {16, 40, 96},       [ENV_ID_WALL] = {112, 88, 56},
        [ENV_ID_APPLE] = {0, 200, 0},        [ENV_ID_WASTE] = {139, 90, 43},
        [ENV_ID_RIVER] = {100, 180, 255},    [ENV_ID_STREAM] = {0, 180, 200},
        [ENV_ID_OUTSIDE] = {0, 0, 0},        [ENV_ID_FIRE] = {255, 255, 60},
        [ENV_ID_CLEAN] = {100, 255, 255},    [ENV_ID_SELF] = {255, 160, 0},
        [ENV_ID_OTHER] = {230, 60, 60},      [ENV_ID_TAGGED] = {100, 100, 100},
        [ENV_ID_SOURCE] = {0, 150, 150},     [ENV_ID_PLASTIC1] = {90, 100, 140},
        [ENV_ID_PLASTIC2] = {150, 150, 170}, [ENV_ID_PLASTIC3] = {200, 200, 200},
        [ENV_ID_PLASTIC4] = {255, 255, 255}};
    const uint8_t(*table)[3] = cfg->p.palette == ENV_PALETTE_SSD       ? ssd
                               : cfg->p.palette == ENV_PALETTE_GALLEGO ? gallego
                                                                       : ocean;
    memcpy(cfg->colour, table, sizeof cfg->colour);
    /* plastic levels in the grid palettes, for completeness: shades of grey */
    if (cfg->p.palette != ENV_PALETTE_OCEAN)
        for (int l = 0; l < ENV_PLASTIC_LEVELS; l++) {
            uint8_t v = (uint8_t)(100 + 50 * l);
            cfg->colour[ENV_ID_PLASTIC1 + l][0] = cfg->colour[ENV_ID_PLASTIC1 + l][1] = v;
            cfg->colour[ENV_ID_PLASTIC1 + l][2] = v;
        }
    for (int i = 0; i < ENV_MAX_AGENTS; i++) memcpy(cfg->agent_colour[i], ssd_agents[i % 9], 3);
}

static uint8_t char_to_id(char ch, int apples_start) {
    switch (ch) {
    case '@':
        return ENV_ID_WALL;
    case 'A':
        return apples_start ? ENV_ID_APPLE : ENV_ID_EMPTY;
    case 'H':
        return ENV_ID_WASTE;
    case 'R':
        return ENV_ID_RIVER;
    case 'S':
        return ENV_ID_STREAM;
    case 'M':
        return ENV_ID_SOURCE;
    default:
        return ENV_ID_EMPTY;
    }
}

int env_spec(const EnvParams *p, EnvSpec *spec, EnvError *err) {
    memset(spec, 0, sizeof *spec);
    if (p->game < 0 || p->game >= ENV_GAME_COUNT)
        return env_fail(err, ENV_EINPUT, "env.game: unknown game");
    if (p->fire.width % 2 == 0)
        return env_fail(err, ENV_EINPUT, "beam.width = %d must be odd (1, 3, 5, ...)",
                        p->fire.width);
    if (p->clean.width % 2 == 0)
        return env_fail(err, ENV_EINPUT, "clean.width = %d must be odd (1, 3, 5, ...)",
                        p->clean.width);
    if (p->game == ENV_GAME_CLEANUP && p->restoration_ppb >= p->depletion_ppb) {
        char res[32], dep[32];
        env_params_get(p, "pollution", "restoration", res, sizeof res);
        env_params_get(p, "pollution", "depletion", dep, sizeof dep);
        return env_fail(err, ENV_EINPUT,
                        "pollution.restoration = %s must be below pollution.depletion = %s", res,
                        dep);
    }
    spec->n_agents = p->n_agents;
    spec->n_actions = env_game_n_actions(p->game);
    spec->obs_h = p->view_ahead + p->view_behind + 1;
    spec->obs_w = 2 * p->view_side + 1;
    spec->obs_c = p->encoding == ENV_ENC_RGB ? 3 : 1;
    spec->obs_size = (size_t)spec->obs_h * (size_t)spec->obs_w * (size_t)spec->obs_c;
    spec->max_steps = p->max_steps;
    spec->encoding = p->encoding;
    spec->n_heads = 1;
    spec->head_size[0] = spec->n_actions;
    spec->n_features = p->game == ENV_GAME_OCEAN ? 2 : 0;
    return 0;
}

/* regrowth neighbourhood as index offsets, self excluded */
static void build_neighbourhood(EnvConfig *cfg) {
    int r = cfg->p.regrowth_radius;
    cfg->n_nbr = 0;
    for (int dr = -r; dr <= r; dr++)
        for (int dc = -r; dc <= r; dc++) {
            if (dr == 0 && dc == 0) continue;
            if (cfg->p.regrowth_shape == ENV_SHAPE_DISC && dr * dr + dc * dc > r * r) continue;
            cfg->nbr[cfg->n_nbr++] = dr * cfg->wp + dc;
        }
}

/* Where each map cell sits in the grid rotated so that orientation o faces up. A rotated grid
 * is padded by view_ahead rows above, view_behind below and view_side columns on each side, so
 * every window is inside it; padding cells of the main grid have no place there (-1). */
static void build_rotations(EnvConfig *cfg) {
    const EnvParams *p = &cfg->p;
    int h = cfg->map.h, w = cfg->map.w, pad = cfg->pad;
    int a = p->view_ahead, b = p->view_behind, s = p->view_side;
    size_t off = 0;
    for (int o = 0; o < cfg->n_rot; o++) {
        int along = (o == ENV_NORTH || o == ENV_SOUTH) ? h : w;
        int across = (o == ENV_NORTH || o == ENV_SOUTH) ? w : h;
        cfg->rot_h[o] = along + a + b;
        cfg->rot_w[o] = across + 2 * s;
        cfg->rot_off[o] = off;
        off += (size_t)cfg->rot_h[o] * (size_t)cfg->rot_w[o];
    }
    cfg->rot_cells = off;
    for (int r = 0; r < cfg->hp; r++)
        for (int c = 0; c < cfg->wp; c++) {
            int32_t idx = r * cfg->wp + c;
            int32_t *ri = &cfg->rot_index[idx * 4];
            int mr = r - pad, mc = c - pad;
            if (mr < 0 || mr >= h || mc < 0 || mc >= w) {
                ri[0] = ri[1] = ri[2] = ri[3] = -1;
                continue;
            }
            int y[4] = {mr, w - 1 - mc, h - 1 - mr, mc};
            int x[4] = {mc, mr, w - 1 - mc, h - 1 - mr};
            for (int o = 0; o < cfg->n_rot; o++)
                ri[o] =
                    (int32_t)((cfg->rot_off[o] + (size_t)((y[o] + a) * cfg->rot_w[o] + x[o] + s)) *
                              (size_t)cfg->spec.obs_c);
            for (int o = cfg->n_rot; o < 4; o++) ri[o] = ri[0];
        }
}

/* Powers (1 - p)^k * 2^32 for k < ENV_GEO_SPAN and each regrowth class, in integer arithmetic:
 * geo[k + 1] = floor(geo[k] * q / 2^32) with q = 2^32 - threshold(p). */
static int build_geometric(EnvConfig *cfg) {
    int span = ENV_GEO_SPAN, n_class = cfg->p.n_regrowth;
    cfg->geo = malloc((size_t)n_class * (size_t)span * sizeof(uint32_t));
    if (!cfg->geo) return ENV_ENOMEM;
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

/* The carving of a world's single allocation: byte offsets of every array, 8-byte aligned
 * arrays first. Computed in one place for env_world_init and for the config's world_bytes. */
typedef struct WorldLayout {
    size_t empty, class_, clean, afloat, respawn, scratch, beam, plastic, cell, occ, rot, nbr,
        beam_id, total;
    int beam_cap;
} WorldLayout;

static void world_layout(const EnvConfig *cfg, WorldLayout *l) {
    const EnvParams *p = &cfg->p;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    size_t apple_words = (size_t)(cfg->n_apple + 63) / 64;
    size_t ocean_cells = p->game == ENV_GAME_OCEAN ? ncell : 0;
    l->beam_cap = p->n_agents * (p->fire.width * p->fire.length + p->clean.width * p->clean.length);
    l->empty = 0;
    l->class_ = l->empty + apple_words * 8;
    l->clean = l->class_ + apple_words * 8 * ENV_MAX_REGROWTH;
    l->afloat = l->clean + (size_t)(cfg->n_river + 63) / 64 * 8;
    l->respawn = l->afloat + (ocean_cells + 63) / 64 * 8;
    l->scratch = l->respawn + (size_t)cfg->n_apple * 4;
    l->beam = l->scratch + (size_t)cfg->scratch_n * 4;
    l->plastic = l->beam + (size_t)l->beam_cap * 4;
    l->cell = l->plastic + ocean_cells * 4;
    l->occ = l->cell + ncell;
    l->rot = l->occ + ncell;
    l->nbr = l->rot + cfg->rot_cells * (size_t)cfg->spec.obs_c;
    l->beam_id = l->nbr + (size_t)cfg->n_apple;
    l->total = l->beam_id + (size_t)l->beam_cap + 1;
}

static int imax(int a, int b) {
    return a > b ? a : b;
}

int env_config_init(EnvConfig *cfg, const EnvParams *p, EnvError *err) {
    memset(cfg, 0, sizeof *cfg);
    cfg->p = *p;
    int rc = env_spec(p, &cfg->spec, err);
    if (rc) return rc;
    rc = env_map_load(&cfg->map, p->map, err);
    if (rc) return rc;
    const EnvMap *m = &cfg->map;
    cfg->spec.state_h = m->h;
    cfg->spec.state_w = m->w;

    /* count spawn points, apples, river cells, river mouths; check the game's characters */
    int n_spawn = 0, n_apple = 0, n_river = 0, n_source = 0, n_sea = 0;
    int ocean = p->game == ENV_GAME_OCEAN;
    for (int i = 0; i < m->h * m->w; i++) {
        char ch = m->cells[i];
        n_spawn += ch == 'P';
        n_apple += ch == 'A';
        n_river += ch == 'H' || ch == 'R';
        n_source += ch == 'M';
        n_sea += ch == ' ' || ch == 'P' || ch == 'M';
        if ((ocean && strchr("AHRS", ch)) || (!ocean && ch == 'M')) {
            rc = env_fail(err, ENV_EINPUT, "map '%s':%d:%d: '%c' is not a cell of the %s game; %s",
                          m->name, i / m->w + 1, i % m->w + 1, ch, env_game_name(p->game),
                          ocean ? "the ocean has '@' land, ' ' sea, 'P' spawn and 'M' river mouth"
                                : "'M' (river mouth) belongs to the ocean game");
            env_config_close(cfg);
            return rc;
        }
    }
    if (p->n_agents > n_spawn) {
        rc = env_fail(err, ENV_EINPUT,
                      "env.agents = %d but map '%s' has only %d spawn points ('P'); use "
                      "--agents %d or fewer, or add 'P' cells to the map",
                      p->n_agents, m->name, n_spawn, n_spawn);
        env_config_close(cfg);
        return rc;
    }
    if (p->game == ENV_GAME_CLEANUP && n_river == 0) {
        rc = env_fail(err, ENV_EINPUT,
                      "map '%s' has no river cells ('H' or 'R'); cleanup needs a river", m->name);
        env_config_close(cfg);
        return rc;
    }

    /* padding keeps every neighbourhood, move and beam start inside the grid (windows are
     * padded in the rotated grids instead) */
    int pad = imax(p->regrowth_radius, imax(p->fire.width, p->clean.width) / 2 + 1);
    cfg->pad = pad;
    cfg->hp = m->h + 2 * pad;
    cfg->wp = m->w + 2 * pad;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    cfg->n_spawn = n_spawn;
    cfg->n_apple = n_apple;
    cfg->n_river = n_river;
    cfg->n_source = n_source;
    cfg->n_sea = ocean ? n_sea : 0;
    cfg->egocentric = !ocean;
    cfg->n_rot = ocean ? 1 : 4;
    cfg->source = malloc((size_t)(n_source ? n_source : 1) * sizeof(int32_t));
    cfg->sea = malloc((size_t)(n_sea ? n_sea : 1) * sizeof(int32_t));
    cfg->drift_dir = calloc(ncell * 2, 1);
    cfg->drift_thr = calloc(ncell * 2, sizeof(uint32_t));
    cfg->spawn = malloc((size_t)n_spawn * sizeof(int32_t));
    cfg->apple = malloc((size_t)(n_apple ? n_apple : 1) * sizeof(int32_t));
    cfg->river = malloc((size_t)(n_river ? n_river : 1) * sizeof(int32_t));
    cfg->base = malloc(ncell);
    cfg->apple_slot = malloc(ncell * sizeof(int16_t));
    cfg->rot_index = malloc(ncell * 4 * sizeof(int32_t));
    cfg->river_slot = malloc(ncell * sizeof(int16_t));
    if (!cfg->spawn || !cfg->apple || !cfg->river || !cfg->base || !cfg->apple_slot ||
        !cfg->rot_index || !cfg->river_slot || !cfg->source || !cfg->sea || !cfg->drift_dir ||
        !cfg->drift_thr) {
        env_config_close(cfg);
        return env_fail(err, ENV_ENOMEM, "out of memory building the config");
    }
    memset(cfg->base, ENV_ID_OUTSIDE, ncell);
    for (size_t i = 0; i < ncell; i++) cfg->apple_slot[i] = cfg->river_slot[i] = -1;
    n_spawn = n_apple = n_river = n_source = n_sea = 0;
    for (int r = 0; r < m->h; r++)
        for (int c = 0; c < m->w; c++) {
            char ch = m->cells[r * m->w + c];
            int32_t idx = (r + pad) * cfg->wp + (c + pad);
            cfg->base[idx] = char_to_id(ch, p->apples_start);
            if (ch == 'P') cfg->spawn[n_spawn++] = idx;
            if (ch == 'A') {
                cfg->apple_slot[idx] = (int16_t)n_apple;
                cfg->apple[n_apple++] = idx;
            }
            if (ch == 'H' || ch == 'R') {
                cfg->river_slot[idx] = (int16_t)n_river;
                cfg->river[n_river++] = idx;
            }
            if (ch == 'M') cfg->source[n_source++] = idx;
            if (ocean && (ch == ' ' || ch == 'P' || ch == 'M')) cfg->sea[n_sea++] = idx;
        }
    if (ocean) env_ocean_build_currents(cfg);
    build_neighbourhood(cfg);
    build_rotations(cfg);
    for (int o = 0; o < 4; o++)
        for (int a = 0; a < ENV_ACT_COUNT; a++) cfg->move_delta[o][a] = env_move_delta(cfg, o, a);
    if (p->game == ENV_GAME_HARVEST && build_geometric(cfg) != 0) {
        env_config_close(cfg);
        return env_fail(err, ENV_ENOMEM, "out of memory building the config");
    }
    for (int i = 0; i < ENV_MAX_REGROWTH; i++)
        cfg->regrowth_thr[i] = env_ppb_to_thr(p->regrowth_ppb[i]);
    cfg->waste_thr = env_ppb_to_thr(p->waste_spawn_ppb);
    cfg->apple_max_thr = env_ppb_to_thr(p->apple_max_ppb);
    set_palette(cfg);

    /* size of one world's block */
    cfg->scratch_n = imax(imax(n_apple, n_spawn), imax(n_river, 1));
    if (ocean) cfg->scratch_n = imax(cfg->scratch_n, 3 * n_sea);
    WorldLayout lay;
    world_layout(cfg, &lay);
    cfg->world_bytes = lay.total;
    return 0;
}

void env_config_close(EnvConfig *cfg) {
    env_map_close(&cfg->map);
    free(cfg->spawn);
    free(cfg->apple);
    free(cfg->river);
    free(cfg->base);
    free(cfg->apple_slot);
    free(cfg->rot_index);
    free(cfg->river_slot);
    free(cfg->geo);
    free(cfg->source);
    free(cfg->sea);
    free(cfg->drift_dir);
    free(cfg->drift_thr);
    cfg->geo = NULL;
    cfg->source = cfg->sea = NULL;
    cfg->drift_dir = NULL;
    cfg->drift_thr = NULL;
    cfg->river_slot = NULL;
    cfg->spawn = cfg->apple = cfg->river = cfg->rot_index = NULL;
    cfg->base = NULL;
    cfg->apple_slot = NULL;
}

int env_world_init(EnvWorld *w, const EnvConfig *cfg, uint64_t seed, uint64_t index,
                   EnvError *err) {
    memset(w, 0, sizeof *w);
    int c = cfg->spec.obs_c;
    WorldLayout l;
    world_layout(cfg, &l);
    uint8_t *block = calloc(1, l.total);
    if (!block) return env_fail(err, ENV_ENOMEM, "out of memory allocating a world");
    w->block = block;
    w->cfg = cfg;
    w->seed = seed;
    w->index = index;
    w->apple_empty = (uint64_t *)(block + l.empty);
    w->class_empty = (uint64_t *)(block + l.class_);
    w->river_clean = (uint64_t *)(block + l.clean);
    w->afloat = (uint64_t *)(block + l.afloat);
    w->respawn_at = (int32_t *)(block + l.respawn);
    w->scratch = (int32_t *)(block + l.scratch);
    w->beam = (int32_t *)(block + l.beam);
    w->plastic = (int32_t *)(block + l.plastic);
    w->cell = block + l.cell;
    w->occ = block + l.occ;
    for (int o = 0; o < 4; o++)
        w->rot[o] = block + l.rot + cfg->rot_off[o < cfg->n_rot ? o : 0] * (size_t)c;
    /* the rotated grids' padding never changes: fill it once */
    for (size_t i = 0; i < cfg->rot_cells; i++)
        memcpy(block + l.rot + i * (size_t)c,
               c == 1 ? &(uint8_t){ENV_ID_OUTSIDE} : cfg->colour[ENV_ID_OUTSIDE], (size_t)c);
    w->nbr_count = block + l.nbr;
    w->beam_id = block + l.beam_id;
    w->beam_cap = l.beam_cap;
    env_reset(w, 0);
    return 0;
}

void env_world_close(EnvWorld *w) {
    free(w->block);
    w->block = NULL;
}

/* encode one cell into the four rotated grids */
static inline void rot_write_rgb(EnvWorld *w, int32_t idx, uint8_t id, const uint8_t *rgb) {
    const int32_t *ri = &w->cfg->rot_index[idx * 4];
    uint8_t *base = w->rot[0];
    if (ri[0] < 0) return;
    int c = w->cfg->spec.obs_c;
    if (w->cfg->n_rot == 1) {
        /* agents without facing keep one grid */
        if (c == 1)
            base[ri[0]] = id;
        else
            memcpy(base + ri[0], rgb, 3);
    } else if (c == 1) {
        base[ri[0]] = id;
        base[ri[1]] = id;
        base[ri[2]] = id;
        base[ri[3]] = id;
    } else {
        memcpy(base + ri[0], rgb, 3);
        memcpy(base + ri[1], rgb, 3);
        memcpy(base + ri[2], rgb, 3);
        memcpy(base + ri[3], rgb, 3);
    }
}

static inline void rot_write(EnvWorld *w, int32_t idx, uint8_t id) {
    rot_write_rgb(w, idx, id, w->cfg->colour[id]);
}

/* An agent's cell shows the agent: a change of the cell under it waits until it leaves. */
void env_put_cell(EnvWorld *w, int32_t idx, uint8_t id) {
    w->cell[idx] = id;
    if (!w->occ[idx]) rot_write(w, idx, id);
}

/* The overlay: agents, and the beams of the last step on cells without agents, painted into the
 * encoded grids so that an observation is a plain copy. Agents are painted when they move or
 * change tag state; beams are painted at the end of a step and cleared at the start of the next. */
static void paint_agent(EnvWorld *w, int k) {
    const EnvConfig *cfg = w->cfg;
    uint8_t id = w->agent[k].timeout > 0 ? ENV_ID_TAGGED : ENV_ID_OTHER;
    const uint8_t *rgb = (cfg->p.palette == ENV_PALETTE_SSD && id == ENV_ID_OTHER)
                             ? cfg->agent_colour[k]
                             : cfg->colour[id];
    rot_write_rgb(w, w->agent[k].pos, id, rgb);
}

/* writes beam cells (paint) or the cells under them (clear) into the four grids; the locals
 * are restrict-qualified so the compiler keeps them in registers across the byte stores */
static void beams_write(EnvWorld *w, int paint) {
    const EnvConfig *cfg = w->cfg;
    const int32_t *restrict beam = w->beam;
    const uint8_t *restrict beam_id = w->beam_id;
    const uint8_t *restrict occ = w->occ;
    const uint8_t *restrict cell = w->cell;
    const int32_t *restrict rot = cfg->rot_index;
    uint8_t *restrict base = w->rot[0];
    int nb = w->n_beam, rgb = cfg->spec.obs_c == 3;
    for (int b = 0; b < nb; b++) {
        int32_t idx = beam[b];
        const int32_t *ri = rot + (size_t)idx * 4;
        if (occ[idx] || ri[0] < 0) continue;
        uint8_t id = paint ? beam_id[b] : cell[idx];
        if (rgb) {
            const uint8_t *col = cfg->colour[id];
            memcpy(base + ri[0], col, 3);
            memcpy(base + ri[1], col, 3);
            memcpy(base + ri[2], col, 3);
            memcpy(base + ri[3], col, 3);
        } else {
            base[ri[0]] = base[ri[1]] = base[ri[2]] = base[ri[3]] = id;
        }
    }
}

static void paint_beams(EnvWorld *w) {
    beams_write(w, 1);
}

static void clear_beams(EnvWorld *w) {
    beams_write(w, 0);
}

void env_overlay_paint(EnvWorld *w) {
    paint_beams(w);
    for (int k = 0; k < w->cfg->p.n_agents; k++) paint_agent(w, k);
}

void env_overlay_clear(EnvWorld *w) {
    clear_beams(w);
    for (int k = 0; k < w->cfg->p.n_agents; k++)
        rot_write(w, w->agent[k].pos, w->cell[w->agent[k].pos]);
}

void env_apple_put(EnvWorld *w, int slot) {
    env_put_cell(w, w->cfg->apple[slot], ENV_ID_APPLE);
    w->n_apples++;
    w->apple_empty[slot / 64] &= ~(1ULL << (slot % 64));
}

void env_reset(EnvWorld *w, uint64_t episode) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    w->episode = episode;
    w->tick = 0;
    w->n_beam = 0;
    w->bad_actions = 0;
    env_rng_seed(&w->rng, env_hash4(w->seed, w->index, episode, ENV_STREAM_DYNAMICS));
    env_rng_seed(&w->events, env_hash4(w->seed, w->index, episode, ENV_STREAM_EVENTS));
    memcpy(w->cell, cfg->base, ncell);
    memset(w->occ, 0, ncell);
    for (size_t i = 0; i < ncell; i++) rot_write(w, (int32_t)i, w->cell[i]);
    w->n_apples = 0;
    memset(w->apple_empty, 0, (size_t)(cfg->n_apple + 63) / 64 * 8);
    for (int i = 0; i < cfg->n_apple; i++) {
        if (w->cell[cfg->apple[i]] == ENV_ID_APPLE)
            w->n_apples++;
        else
            w->apple_empty[i / 64] |= 1ULL << (i % 64);
    }
    w->n_waste = 0;
    memset(w->river_clean, 0, (size_t)(cfg->n_river + 63) / 64 * 8);
    for (int i = 0; i < cfg->n_river; i++) {
        if (w->cell[cfg->river[i]] == ENV_ID_WASTE)
            w->n_waste++;
        else
            w->river_clean[i / 64] |= 1ULL << (i % 64);
    }

    /* agents: distinct spawn points by a partial shuffle, uniform orientation */
    EnvRng spawn;
    env_rng_seed(&spawn, env_hash4(w->seed, w->index, episode, ENV_STREAM_SPAWN));
    for (int i = 0; i < cfg->n_spawn; i++) w->scratch[i] = cfg->spawn[i];
    memset(w->agent, 0, sizeof w->agent);
    memset(w->reward, 0, sizeof w->reward);
    for (int i = 0; i < p->n_agents; i++) {
        int j = i + (int)env_rng_below(&spawn, (uint32_t)(cfg->n_spawn - i));
        int32_t t = w->scratch[i];
        w->scratch[i] = w->scratch[j];
        w->scratch[j] = t;
        w->agent[i].pos = w->scratch[i];
        w->agent[i].orient = cfg->egocentric ? (uint8_t)env_rng_below(&spawn, 4) : ENV_NORTH;
        w->occ[w->agent[i].pos] = (uint8_t)(i + 1);
    }
    env_game_ops(p->game)->reset(w);
    env_metrics_init(&w->metrics, p->n_agents);
    env_overlay_paint(w);
}

int env_move_delta(const EnvConfig *cfg, int orient, int action) {
    int f = orient & 3, rt = (orient + 1) & 3;
    int dr, dc;
    /* ocean: absolute moves 1..4 are north, east, south, west */
    if (!cfg->egocentric) {
        if (action < ENV_OCEAN_NORTH || action > ENV_OCEAN_WEST) return 0;
        return env_dr[action - 1] * cfg->wp + env_dc[action - 1];
    }
    switch (action) {
    case ENV_ACT_FORWARD:
        dr = env_dr[f], dc = env_dc[f];
        break;
    case ENV_ACT_BACKWARD:
        dr = -env_dr[f], dc = -env_dc[f];
        break;
    case ENV_ACT_LEFT:
        dr = -env_dr[rt], dc = -env_dc[rt];
        break;
    case ENV_ACT_RIGHT:
        dr = env_dr[rt], dc = env_dc[rt];
        break;
    default:
        return 0;
    }
    return dr * cfg->wp + dc;
}

static inline int walkable(uint8_t id) {
    return id != ENV_ID_WALL && id != ENV_ID_OUTSIDE;
}

/* simultaneous move resolution; target[i] == pos means the agent stays */
static void resolve_moves(EnvWorld *w, int32_t *target) {
    int n = w->cfg->p.n_agents;
    uint8_t moving[ENV_MAX_AGENTS];
    for (int i = 0; i < n; i++) moving[i] = target[i] != w->agent[i].pos;

    /* the common case: every mover's target is free and claimed once; marks are undone */
    int clear = 1, m = 0;
    int32_t marked[ENV_MAX_AGENTS];
    for (int i = 0; i < n && clear; i++) {
        if (!moving[i]) continue;
        if (w->occ[target[i]]) {
            clear = 0;
        } else {
            w->occ[target[i]] = 0xFF;
            marked[m++] = target[i];
        }
    }
    for (int k = 0; k < m; k++) w->occ[marked[k]] = 0;

    for (int pass = 0; pass < 2 && !clear; pass++) {
        /* an agent moving into a cell whose occupant stays must stay too */
        for (int changed = 1; changed;) {
            changed = 0;
            for (int i = 0; i < n; i++) {
                if (!moving[i]) continue;
                int k = w->occ[target[i]] - 1;
                if (k >= 0 && !moving[k]) {
                    moving[i] = 0;
                    target[i] = w->agent[i].pos;
                    changed = 1;
                }
            }
        }
        if (pass == 1) break;
        /* two agents never swap cells */
        for (int i = 0; i < n; i++) {
            if (!moving[i]) continue;
            int k = w->occ[target[i]] - 1;
            if (k >= 0 && moving[k] && target[k] == w->agent[i].pos) {
                moving[i] = moving[k] = 0;
                target[i] = w->agent[i].pos;
                target[k] = w->agent[k].pos;
            }
        }
        /* contests: claimants of one cell, one winner drawn uniformly */
        for (int i = 0; i < n; i++) {
            if (!moving[i]) continue;
            int claim[ENV_MAX_AGENTS], nc = 0;
            for (int j = i; j < n; j++)
                if (moving[j] && target[j] == target[i]) claim[nc++] = j;
            if (nc < 2) continue;
            int win = claim[env_rng_below(&w->rng, (uint32_t)nc)];
            for (int k = 0; k < nc; k++)
                if (claim[k] != win) {
                    moving[claim[k]] = 0;
                    target[claim[k]] = w->agent[claim[k]].pos;
                }
        }
    }
    /* apply: vacate every moving agent's cell, then occupy the targets */
    for (int i = 0; i < n; i++)
        if (moving[i]) {
            int32_t pos = w->agent[i].pos;
            w->occ[pos] = 0;
            rot_write(w, pos, w->cell[pos]);
        }
    for (int i = 0; i < n; i++)
        if (moving[i]) {
            w->agent[i].pos = target[i];
            w->occ[target[i]] = (uint8_t)(i + 1);
            paint_agent(w, i);
        }
}

/* trace one beam; marks hit agents in hit[] and clears waste for clean beams */
static void trace_beam(EnvWorld *w, int firer, int kind, uint8_t *hit) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    const EnvBeam *b = kind == ENV_ACT_FIRE ? &p->fire : &p->clean;
    const EnvAgent *a = &w->agent[firer];
    int f = a->orient, rt = (a->orient + 1) & 3;
    int32_t fwd = env_dr[f] * cfg->wp + env_dc[f];
    int32_t right = env_dr[rt] * cfg->wp + env_dc[rt];
    int half = b->width / 2;
    uint8_t paint = kind == ENV_ACT_FIRE ? ENV_ID_FIRE : ENV_ID_CLEAN;
    for (int k = -half; k <= half; k++) {
        int d0 = k == 0 ? 1 : b->side_start;
        int32_t idx = a->pos + k * right + d0 * fwd;
        for (int d = 0; d < b->length; d++, idx += fwd) {
            uint8_t id = w->cell[idx];
            if (id == ENV_ID_OUTSIDE) break;
            if (id == ENV_ID_WALL) {
                if (b->walls_block) break;
                continue;
            }
            int occ = w->occ[idx] - 1;
            if (occ >= 0 && occ != firer && w->agent[occ].timeout == 0) {
                if (kind == ENV_ACT_FIRE) hit[occ] = 1;
                if (b->agents_block) break;
            }
            if (w->n_beam < w->beam_cap) {
                w->beam[w->n_beam] = idx;
                w->beam_id[w->n_beam++] = paint;
            }
            if (kind == ENV_ACT_CLEAN && id == ENV_ID_WASTE) {
                int slot = cfg->river_slot[idx];
                env_put_cell(w, idx, ENV_ID_RIVER);
                w->n_waste--;
                w->river_clean[slot / 64] |= 1ULL << (slot % 64);
                if (p->clean_stops_at_waste) break;
            }
        }
    }
}

int env_step(EnvWorld *w, const int32_t *actions, float *rewards) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    const EnvGameOps *ops = env_game_ops(p->game);
    int n = p->n_agents, n_act = cfg->spec.n_actions;
    int32_t target[ENV_MAX_AGENTS];
    int32_t act[ENV_MAX_AGENTS];

    /* 1. clear last step's beams */
    clear_beams(w);
    w->n_beam = 0;

    /* 2-3. timers, action checks and turns */
    for (int i = 0; i < n; i++) {
        EnvAgent *a = &w->agent[i];
        w->reward[i] = 0;
        a->fired = 0;
        act[i] = actions[i];
        if (act[i] < 0 || act[i] >= n_act) {
            w->bad_actions++;
            act[i] = ENV_ACT_STAY;
        }
        if (a->timeout > 0 && --a->timeout == 0) paint_agent(w, i);
        if (a->timeout > 0) act[i] = ENV_ACT_STAY;
        if (cfg->egocentric && act[i] == ENV_ACT_TURN_L) a->orient = (uint8_t)((a->orient + 3) & 3);
        if (cfg->egocentric && act[i] == ENV_ACT_TURN_R) a->orient = (uint8_t)((a->orient + 1) & 3);
        int32_t t = a->pos + cfg->move_delta[a->orient][act[i]];
        target[i] = walkable(w->cell[t]) ? t : a->pos;
    }

    /* 4. moves */
    resolve_moves(w, target);

    /* 5. eating, or the game's own collection */
    if (ops->collect) ops->collect(w);
    for (int i = 0; i < n && !ops->collect; i++) {
        EnvAgent *a = &w->agent[i];
        if (a->timeout == 0 && w->cell[a->pos] == ENV_ID_APPLE) {
            int slot = cfg->apple_slot[a->pos];
            env_put_cell(w, a->pos, ENV_ID_EMPTY);
            w->n_apples--;
            w->apple_empty[slot / 64] |= 1ULL << (slot % 64);
            w->reward[i] += p->apple_reward;
            ops->eaten(w, slot);
        }
    }

    /* 6. beams, traced from post-move positions; hits apply afterwards */
    uint8_t hits[ENV_MAX_AGENTS] = {0};
    for (int i = 0; i < n; i++) {
        int kind = act[i];
        if (kind == ENV_ACT_FIRE && p->fire.length > 0) {
            w->reward[i] -= p->fire.cost;
            uint8_t hit[ENV_MAX_AGENTS] = {0};
            trace_beam(w, i, kind, hit);
            for (int k = 0; k < n; k++) hits[k] = (uint8_t)(hits[k] + hit[k]);
            w->agent[i].fired = (uint8_t)kind;
        } else if (kind == ENV_ACT_CLEAN && p->clean.length > 0) {
            w->reward[i] -= p->clean.cost;
            trace_beam(w, i, kind, NULL);
            w->agent[i].fired = (uint8_t)kind;
        }
    }
    for (int k = 0; k < n; k++) {
        EnvAgent *a = &w->agent[k];
        for (int h = 0; h < hits[k]; h++) {
            w->reward[k] -= p->hit_penalty;
            if (p->hits_to_tag > 0 && a->timeout == 0 && ++a->hits >= p->hits_to_tag) {
                a->timeout = (uint8_t)p->tag_steps;
                a->hits = 0;
                paint_agent(w, k);
            }
        }
    }

    /* 7. resources */
    ops->dynamics(w);

    /* 8. paint this step's beams, advance, metrics */
    paint_beams(w);
    w->tick++;
    uint8_t tagged[ENV_MAX_AGENTS];
    for (int i = 0; i < n; i++) {
        tagged[i] = w->agent[i].timeout > 0;
        if (rewards) rewards[i] = (float)w->reward[i];
    }
    env_metrics_step(&w->metrics, w->reward, tagged);
    return w->tick >= p->max_steps ? ENV_TRUNCATED : ENV_RUNNING;
}

/* Copies a window of `rows` rows of n bytes from rows `stride` apart. Rows of 8 to 64 bytes go
 * as fixed 8- or 16-byte pieces, the last one overlapping, so no libc call is made; the piece
 * count is fixed per loop so the compiler unrolls it. */
#define COPY_ROWS(P, K)                                                                            \
    for (int r = 0; r < rows; r++, dst += n, src += stride) {                                      \
        for (int k = 0; k < (K)-1; k++) memcpy(dst + k * (P), src + k * (P), (P));                 \
        memcpy(dst + n - (P), src + n - (P), (P));                                                 \
    }

static void copy_window(uint8_t *dst, const uint8_t *src, size_t n, size_t stride, int rows) {
    if (n >= 8 && n <= 16)
        COPY_ROWS(8, 2)
    else if (n > 16 && n <= 32)
        COPY_ROWS(16, 2)
    else if (n > 32 && n <= 48)
        COPY_ROWS(16, 3)
    else if (n > 48 && n <= 64)
        COPY_ROWS(16, 4)
    else
        for (int r = 0; r < rows; r++, dst += n, src += stride) memcpy(dst, src, n);
}

/* write one cell of an observation: an id, or its colour */
static inline void put_px(uint8_t *d, int c, const uint8_t *col, uint8_t id) {
    if (c == 1) {
        *d = id;
    } else {
        d[0] = col[0];
        d[1] = col[1];
        d[2] = col[2];
    }
}

void env_observe(const EnvWorld *w, uint8_t *obs) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    int n = p->n_agents, c = cfg->spec.obs_c;
    int oh = cfg->spec.obs_h, ow = cfg->spec.obs_w;
    int ahead = p->view_ahead, side = p->view_side;
    size_t row_bytes = (size_t)ow * (size_t)c;
    const uint8_t *self = p->palette == ENV_PALETTE_SSD ? NULL : cfg->colour[ENV_ID_SELF];
    for (int i = 0; i < n; i++) {
        uint8_t *out = obs + (size_t)i * cfg->spec.obs_size;
        int o = w->agent[i].orient;
        int32_t ri = cfg->rot_index[w->agent[i].pos * 4 + o];
        size_t rw = (size_t)cfg->rot_w[o] * (size_t)c;
        /* the window, overlay included, is a rectangle of the rotated grid: a copy per row */
        const uint8_t *src = w->rot[0] + ri - (size_t)(ahead * cfg->rot_w[o] + side) * (size_t)c;
        copy_window(out, src, row_bytes, rw, oh);
        /* the viewer sees itself as self (in the SSD palette, its own colour, already there) */
        if (w->agent[i].timeout == 0) {
            uint8_t *d = out + ((size_t)ahead * (size_t)ow + (size_t)side) * (size_t)c;
            if (c == 1)
                *d = ENV_ID_SELF;
            else if (self)
                memcpy(d, self, 3);
        }
    }
}

/* The naive reference of env_observe: one cell at a time, from world coordinates. */
void env_observe_naive(const EnvWorld *w, uint8_t *obs) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    int n = p->n_agents, c = cfg->spec.obs_c, ssd = p->palette == ENV_PALETTE_SSD;
    for (int i = 0; i < n; i++) {
        int o = w->agent[i].orient, rt = (o + 1) & 3;
        int r0 = w->agent[i].pos / cfg->wp, c0 = w->agent[i].pos % cfg->wp;
        for (int vr = 0; vr < cfg->spec.obs_h; vr++)
            for (int vc = 0; vc < cfg->spec.obs_w; vc++) {
                int fwd = p->view_ahead - vr, right = vc - p->view_side;
                int r = r0 + fwd * env_dr[o] + right * env_dr[rt];
                int col = c0 + fwd * env_dc[o] + right * env_dc[rt];
                uint8_t id = ENV_ID_OUTSIDE;
                const uint8_t *rgb = NULL;
                if (r >= 0 && r < cfg->hp && col >= 0 && col < cfg->wp) {
                    int32_t idx = r * cfg->wp + col;
                    id = w->cell[idx];
                    for (int b = 0; b < w->n_beam; b++)
                        if (w->beam[b] == idx) id = w->beam_id[b];
                    rgb = cfg->colour[id];
                    for (int k = 0; k < n; k++) {
                        if (w->agent[k].pos != idx || k == i) continue;
                        id = w->agent[k].timeout > 0 ? ENV_ID_TAGGED : ENV_ID_OTHER;
                        rgb = (ssd && id == ENV_ID_OTHER) ? cfg->agent_colour[k] : cfg->colour[id];
                    }
                    if (idx == w->agent[i].pos && w->agent[i].timeout == 0) {
                        id = ENV_ID_SELF;
                        rgb = ssd ? cfg->agent_colour[i] : cfg->colour[id];
                    } else if (idx == w->agent[i].pos) {
                        id = ENV_ID_TAGGED;
                        rgb = cfg->colour[id];
                    }
                }
                if (!rgb) rgb = cfg->colour[ENV_ID_OUTSIDE];
                uint8_t *d = obs + (size_t)i * cfg->spec.obs_size +
                             ((size_t)vr * (size_t)cfg->spec.obs_w + (size_t)vc) * (size_t)c;
                put_px(d, c, rgb, id);
            }
    }
}

void env_batch_step(EnvWorld *worlds, int nw, const int32_t *actions, uint8_t *obs, float *rewards,
                    uint8_t *terminations, uint8_t *truncations, uint8_t *final_obs) {
    for (int k = 0; k < nw; k++) {
        EnvWorld *w = &worlds[k];
        const EnvSpec *s = &w->cfg->spec;
        size_t rows = (size_t)k * (size_t)s->n_agents;
        int end = env_step(w, actions + rows, rewards ? rewards + rows : NULL);
        if (end != ENV_RUNNING) {
            if (final_obs) env_observe(w, final_obs + rows * s->obs_size);
            w->last_metrics = w->metrics;
            w->episodes_done++;
            env_reset(w, w->episode + 1);
        }
        if (terminations) terminations[k] = (uint8_t)(end == ENV_TERMINATED);
        if (truncations) truncations[k] = (uint8_t)(end == ENV_TRUNCATED);
        if (obs) env_observe(w, obs + rows * s->obs_size);
    }
}

void env_global_state(const EnvWorld *w, uint8_t *out) {
    const EnvConfig *cfg = w->cfg;
    int c = cfg->spec.obs_c, h = cfg->map.h, wd = cfg->map.w;
    /* the north-facing rotated grid holds the map unrotated, overlay included */
    for (int r = 0; r < h; r++)
        memcpy(out + (size_t)r * (size_t)wd * (size_t)c,
               w->rot[ENV_NORTH] +
                   ((size_t)(r + cfg->p.view_ahead) * (size_t)cfg->rot_w[ENV_NORTH] +
                    (size_t)cfg->p.view_side) *
                       (size_t)c,
               (size_t)wd * (size_t)c);
}

/* FNV-1a over bytes */
static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const uint8_t *b = data;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001B3ULL;
    }
    return h;
}

uint64_t env_state_hash(const EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int n = cfg->p.n_agents;
    uint64_t h = 0xCBF29CE484222325ULL;
    int32_t head[4] = {w->tick, w->n_waste, w->n_apples, (int32_t)w->episode};
    h = fnv(h, head, sizeof head);
    h = fnv(h, &w->rng.state, sizeof w->rng.state);
    h = fnv(h, &w->events.state, sizeof w->events.state);
    for (int r = 0; r < cfg->map.h; r++)
        h = fnv(h, w->cell + (size_t)(r + cfg->pad) * (size_t)cfg->wp + (size_t)cfg->pad,
                (size_t)cfg->map.w);
    for (int i = 0; i < n; i++) {
        const EnvAgent *a = &w->agent[i];
        int32_t f[5] = {a->pos, a->orient, a->timeout, a->hits, a->fired};
        h = fnv(h, f, sizeof f);
        h = fnv(h, &w->metrics.ret[i], sizeof w->metrics.ret[i]);
    }
    if (cfg->p.game == ENV_GAME_GATHERING)
        h = fnv(h, w->respawn_at, (size_t)cfg->n_apple * sizeof(int32_t));
    if (cfg->p.game == ENV_GAME_HARVEST) h = fnv(h, w->regrow_skip, sizeof w->regrow_skip);
    if (cfg->p.game == ENV_GAME_OCEAN) {
        int64_t counts[3] = {w->spawned, w->collected, w->beached};
        h = fnv(h, counts, sizeof counts);
        for (int r = 0; r < cfg->map.h; r++)
            h = fnv(h, w->plastic + (size_t)(r + cfg->pad) * (size_t)cfg->wp + (size_t)cfg->pad,
                    (size_t)cfg->map.w * sizeof(int32_t));
    }
    return h;
}

void env_features(const EnvWorld *w, float *out) {
    const EnvConfig *cfg = w->cfg;
    if (cfg->spec.n_features == 0) return;
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

void env_view(const EnvWorld *w, EnvView *v) {
    const EnvConfig *cfg = w->cfg;
    v->cfg = cfg;
    v->n_agents = cfg->p.n_agents;
    v->tick = w->tick;
    v->max_steps = cfg->p.max_steps;
    v->hp = cfg->hp;
    v->wp = cfg->wp;
    v->pad = cfg->pad;
    v->cell = w->cell;
    v->occ = w->occ;
    v->agent = w->agent;
    v->reward = w->reward;
    v->metrics = &w->metrics;
    v->n_waste = w->n_waste;
    v->n_river = cfg->n_river;
    v->n_apples = w->n_apples;
    v->beam = w->beam;
    v->beam_id = w->beam_id;
    v->n_beam = w->n_beam;
    v->plastic = cfg->p.game == ENV_GAME_OCEAN ? w->plastic : NULL;
    v->msg = NULL;
    v->msg_size = 0;
    v->n_bits = 0;
    v->msg_scale = 1.0f;
}
