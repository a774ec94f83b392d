/* config.c: the immutable part of a world: the spec, and the config built from params and map.
 *
 * Contract: env_spec() needs no map; env_config_init() validates the params together, loads the
 * map, checks it against the game's legend and builds everything a world reads but never writes
 * (the padded base grid, spawn points, apples, river, regrowth neighbourhood, rotated-grid
 * offsets, move deltas, thresholds, palette, the world's block size), then the game's own part
 * through its ops. On failure the config is closed and a named error returned.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

const int env_dr[4] = {-1, 0, 1, 0};
const int env_dc[4] = {0, 1, 0, -1};

static int imax(int a, int b) {
    return a > b ? a : b;
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
    const EnvGameOps *ops = env_game_ops(p->game);
    if (ops->check) {
        int rc = ops->check(p, err);
        if (rc) return rc;
    }
    spec->n_agents = p->n_agents;
    spec->n_actions = ops->n_actions;
    spec->obs_h = ops->obs_h > 0 ? ops->obs_h : p->view_ahead + p->view_behind + 1;
    spec->obs_w = ops->obs_h > 0 ? ops->obs_w : 2 * p->view_side + 1;
    spec->obs_c = p->encoding == ENV_ENC_RGB ? 3 : 1;
    spec->obs_size = (size_t)spec->obs_h * (size_t)spec->obs_w * (size_t)spec->obs_c;
    spec->max_steps = p->max_steps;
    spec->encoding = p->encoding;
    spec->n_heads = 1; /* comm_spec() adds the signal heads */
    spec->head_size[0] = spec->n_actions;
    spec->n_features = ops->n_features * (p->obs_neighbours ? p->n_agents : 1);
    if (p->obs_neighbours && ops->n_features == 0)
        return env_fail(err, ENV_EINPUT,
                        "obs.neighbours = 1: the %s game has no features to share; it works in "
                        "games with features (ocean, tragedy), set obs.neighbours = 0",
                        ops->name);
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

void env_layout(const EnvConfig *cfg, EnvLayout *l) {
    const EnvParams *p = &cfg->p;
    const EnvGameOps *ops = env_game_ops(p->game);
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    size_t apple_words = (size_t)(cfg->n_apple + 63) / 64;
    size_t game_bytes = ops->state_bytes ? (ops->state_bytes(cfg) + 7) / 8 * 8 : 0;
    l->beam_cap = p->n_agents * (p->fire.width * p->fire.length + p->clean.width * p->clean.length);
    l->empty = 0;
    l->class_ = l->empty + apple_words * 8;
    l->clean = l->class_ + apple_words * 8 * ENV_MAX_REGROWTH;
    l->game = l->clean + (size_t)(cfg->n_river + 63) / 64 * 8;
    l->respawn = l->game + game_bytes;
    l->scratch = l->respawn + (size_t)cfg->n_apple * 4;
    l->beam = l->scratch + (size_t)cfg->scratch_n * 4;
    l->cell = l->beam + (size_t)l->beam_cap * 4;
    l->occ = l->cell + ncell;
    l->rot = l->occ + ncell;
    l->nbr = l->rot + cfg->rot_cells * (size_t)cfg->spec.obs_c;
    l->beam_id = l->nbr + (size_t)cfg->n_apple;
    l->total = l->beam_id + (size_t)l->beam_cap + 1;
}

/* Counts spawn points, apples and river cells, and checks the map against the game's legend
 * and the number of agents. */
static int check_map(EnvConfig *cfg, const EnvGameOps *ops, EnvError *err) {
    const EnvParams *p = &cfg->p;
    const EnvMap *m = &cfg->map;
    for (int i = 0; i < m->h * m->w; i++) {
        char ch = m->cells[i];
        cfg->n_spawn += ch == 'P';
        cfg->n_apple += ch == 'A';
        cfg->n_river += ch == 'H' || ch == 'R';
        cfg->n_open += ch == ' ' || ch == 'P';
        if (ops->refused && strchr(ops->refused, ch))
            return env_fail(err, ENV_EINPUT,
                            "map '%s':%d:%d: '%c' is not a cell of the %s game; %s", m->name,
                            i / m->w + 1, i % m->w + 1, ch, ops->name, ops->legend);
    }
    /* extra agents go to open floor cells, one each unless agents may share cells */
    if (p->extra_agents == ENV_EXTRA_RANDOM && p->n_agents > cfg->n_spawn && !p->overlap &&
        p->n_agents > cfg->n_open)
        return env_fail(err, ENV_EINPUT,
                        "env.agents = %d but map '%s' has only %d open floor cells (' ' or 'P') "
                        "for its agents; use --agents %d or fewer, or env.overlap = allowed",
                        p->n_agents, m->name, cfg->n_open, cfg->n_open);
    if (p->extra_agents == ENV_EXTRA_RANDOM && p->n_agents > cfg->n_spawn && cfg->n_open == 0)
        return env_fail(err, ENV_EINPUT,
                        "env.agents = %d but map '%s' has only %d spawn points ('P') and no open "
                        "floor cell (' ') for the others",
                        p->n_agents, m->name, cfg->n_spawn);
    if (p->extra_agents == ENV_EXTRA_REFUSE && p->n_agents > cfg->n_spawn)
        return env_fail(err, ENV_EINPUT,
                        "env.agents = %d but map '%s' has only %d spawn points ('P'); use "
                        "--agents %d or fewer, or add 'P' cells to the map",
                        p->n_agents, m->name, cfg->n_spawn, cfg->n_spawn);
    return 0;
}

/* Allocates the padded grids and lists, and fills them from the map. */
static int build_grid(EnvConfig *cfg) {
    const EnvMap *m = &cfg->map;
    int pad = cfg->pad;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    cfg->spawn = malloc((size_t)cfg->n_spawn * sizeof(int32_t));
    cfg->open = malloc((size_t)(cfg->n_open ? cfg->n_open : 1) * sizeof(int32_t));
    cfg->apple = malloc((size_t)(cfg->n_apple ? cfg->n_apple : 1) * sizeof(int32_t));
    cfg->river = malloc((size_t)(cfg->n_river ? cfg->n_river : 1) * sizeof(int32_t));
    cfg->base = malloc(ncell);
    cfg->apple_slot = malloc(ncell * sizeof *cfg->apple_slot);
    cfg->rot_index = malloc(ncell * 4 * sizeof(int32_t));
    cfg->river_slot = malloc(ncell * sizeof *cfg->river_slot);
    if (!cfg->spawn || !cfg->open || !cfg->apple || !cfg->river || !cfg->base || !cfg->apple_slot ||
        !cfg->rot_index || !cfg->river_slot)
        return ENV_ENOMEM;
    memset(cfg->base, ENV_ID_OUTSIDE, ncell);
    for (size_t i = 0; i < ncell; i++) cfg->apple_slot[i] = cfg->river_slot[i] = -1;
    int n_spawn = 0, n_apple = 0, n_river = 0, n_open = 0;
    for (int r = 0; r < m->h; r++)
        for (int c = 0; c < m->w; c++) {
            char ch = m->cells[r * m->w + c];
            int32_t idx = (r + pad) * cfg->wp + (c + pad);
            cfg->base[idx] = char_to_id(ch, cfg->p.apples_start);
            if (ch == 'P') cfg->spawn[n_spawn++] = idx;
            if (ch == ' ' || ch == 'P') cfg->open[n_open++] = idx;
            if (ch == 'A') {
                cfg->apple_slot[idx] = n_apple;
                cfg->apple[n_apple++] = idx;
            }
            if (ch == 'H' || ch == 'R') {
                cfg->river_slot[idx] = n_river;
                cfg->river[n_river++] = idx;
            }
        }
    return 0;
}

int env_config_init(EnvConfig *cfg, const EnvParams *p, EnvError *err) {
    memset(cfg, 0, sizeof *cfg);
    cfg->p = *p;
    int rc = env_spec(p, &cfg->spec, err);
    if (rc) return rc;
    const EnvGameOps *ops = env_game_ops(p->game);
    rc = ops->map ? ops->map(&cfg->map, p, err) : env_map_load(&cfg->map, p->map, err);
    if (rc) return rc;
    cfg->spec.state_h = cfg->map.h;
    cfg->spec.state_w = cfg->map.w;
    rc = check_map(cfg, ops, err);
    if (rc) {
        env_config_close(cfg);
        return rc;
    }

    /* padding keeps every neighbourhood, move and beam start inside the grid (windows are
     * padded in the rotated grids instead) */
    cfg->pad = imax(p->regrowth_radius, imax(p->fire.width, p->clean.width) / 2 + 1);
    cfg->hp = cfg->map.h + 2 * cfg->pad;
    cfg->wp = cfg->map.w + 2 * cfg->pad;
    cfg->egocentric = ops->egocentric;
    cfg->n_rot = ops->egocentric ? 4 : 1;
    if (build_grid(cfg) != 0) {
        env_config_close(cfg);
        return env_fail(err, ENV_ENOMEM, "out of memory building the config");
    }
    build_neighbourhood(cfg);
    build_rotations(cfg);
    for (int o = 0; o < 4; o++)
        for (int a = 0; a < ENV_ACT_COUNT; a++) cfg->move_delta[o][a] = env_move_delta(cfg, o, a);
    for (int i = 0; i < ENV_MAX_REGROWTH; i++)
        cfg->regrowth_thr[i] = env_ppb_to_thr(p->regrowth_ppb[i]);
    cfg->waste_thr = env_ppb_to_thr(p->waste_spawn_ppb);
    cfg->apple_max_thr = env_ppb_to_thr(p->apple_max_ppb);
    set_palette(cfg);
    cfg->scratch_n = imax(imax(cfg->n_apple, cfg->n_spawn), imax(cfg->n_river, 1));

    /* the game's part, then the size of one world's block */
    rc = ops->build ? ops->build(cfg, err) : 0;
    if (rc) {
        env_config_close(cfg);
        return rc;
    }
    EnvLayout lay;
    env_layout(cfg, &lay);
    cfg->world_bytes = lay.total;
    return 0;
}

void env_config_close(EnvConfig *cfg) {
    env_map_close(&cfg->map);
    free(cfg->spawn);
    free(cfg->open);
    cfg->open = NULL;
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

int env_move_delta(const EnvConfig *cfg, int orient, int action) {
    int f = orient & 3, rt = (orient + 1) & 3;
    int dr, dc;
    /* agents without facing: action 1 + d moves in direction d (north, east, south, west) */
    if (!cfg->egocentric) {
        int d = action - 1;
        if (d < ENV_NORTH || d > ENV_WEST) return 0;
        return env_dr[d] * cfg->wp + env_dc[d];
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
