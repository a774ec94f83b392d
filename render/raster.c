/* raster.c: draws a world's const view into an RGB buffer (see raster.h). No SDL in this file.
 *
 * A frame, top to bottom: the map (a tile per cell), with the egocentric view of one agent to its
 * right when asked for; then the heads-up strip (tick, resources, running social metrics, each
 * agent's return and signal). Drawing order on the map: tiles, plastic shading, beams (blended
 * half over the tile), the outline of the chosen agent's view window, comm edges, agents (body in
 * the agent's colour, a bar on the side it faces; greyed when tagged out), signals.
 * Integer arithmetic only; nothing here allocates or writes outside the caller's buffer.
 */
#include <stdio.h>
#include <string.h>

#include "raster.h"

static const uint8_t PALETTE[RENDER_C_COUNT][3] = {
    [RENDER_C_BACKGROUND] = {12, 12, 16},    [RENDER_C_FLOOR] = {30, 30, 36},
    [RENDER_C_FLOOR_DOT] = {46, 46, 54},     [RENDER_C_WALL] = {120, 120, 132},
    [RENDER_C_WALL_LIGHT] = {162, 162, 174}, [RENDER_C_WALL_DARK] = {78, 78, 90},
    [RENDER_C_APPLE] = {70, 200, 70},        [RENDER_C_RIVER] = {36, 86, 160},
    [RENDER_C_RIVER_WAVE] = {66, 124, 200},  [RENDER_C_STREAM] = {40, 128, 168},
    [RENDER_C_STREAM_WAVE] = {84, 172, 206}, [RENDER_C_WASTE] = {134, 110, 46},
    [RENDER_C_SEA] = {22, 58, 112},          [RENDER_C_SEA_WAVE] = {38, 80, 140},
    [RENDER_C_LAND] = {128, 112, 74},        [RENDER_C_LAND_DARK] = {98, 84, 54},
    [RENDER_C_MOUTH] = {150, 96, 40},        [RENDER_C_OUTSIDE] = {0, 0, 0},
    [RENDER_C_UNKNOWN] = {255, 0, 255},      [RENDER_C_FIRE] = {255, 225, 50},
    [RENDER_C_CLEAN] = {110, 255, 255},      [RENDER_C_NOSE] = {255, 255, 255},
    [RENDER_C_TAGGED] = {96, 96, 96},        [RENDER_C_TAGGED_NOSE] = {150, 150, 150},
    [RENDER_C_PLASTIC] = {236, 236, 220},    [RENDER_C_EDGE] = {255, 200, 90},
    [RENDER_C_SIGNAL_ON] = {255, 255, 255},  [RENDER_C_SIGNAL_OFF] = {0, 0, 0},
    [RENDER_C_HIGHLIGHT] = {255, 80, 200},   [RENDER_C_HUD] = {18, 18, 22},
    [RENDER_C_TEXT] = {230, 230, 230},       [RENDER_C_TEXT_DIM] = {140, 140, 150},
};

const uint8_t *render_colour(RenderColour c) {
    return PALETTE[(c >= 0 && c < RENDER_C_COUNT) ? c : RENDER_C_UNKNOWN];
}

void render_scene_from_world(RenderScene *s, const EnvWorld *w) {
    EnvView v;
    env_view(w, &v);
    render_scene_from_view(s, &v);
}

void render_scene_from_view(RenderScene *s, const EnvView *v) {
    memset(s, 0, sizeof *s);
    s->view = *v;
    s->beam = v->beam;
    s->beam_id = v->beam_id;
    s->n_beam = v->n_beam;
    if (v->plastic) {
        s->plastic = v->plastic;
        s->plastic_max = v->cfg->p.level_cap;
    }
}

void render_options_default(RenderOptions *o) {
    o->cell = 8;
    o->hud = 1;
    o->comm = 1;
    o->ego_agent = -1;
}

int render_options_check(const RenderOptions *o, const EnvConfig *cfg, EnvError *err) {
    if (o->cell < RENDER_MIN_CELL || o->cell > RENDER_MAX_CELL)
        return env_fail(err, ENV_EINPUT, "cell size %d is out of range; allowed %d..%d pixels",
                        o->cell, RENDER_MIN_CELL, RENDER_MAX_CELL);
    if (o->ego_agent < -1 || o->ego_agent >= cfg->p.n_agents)
        return env_fail(err, ENV_EINPUT, "agent %d has no view: the world has agents 0..%d",
                        o->ego_agent, cfg->p.n_agents - 1);
    return 0;
}

/* ---- layout ---- */

/* characters of the widest HUD field and of one agent entry */
#define HUD_MIN_CHARS 24
#define HUD_GAP_CHARS 2

static int digits(long long v) {
    int d = 1;
    if (v < 0) {
        d++;
        v = -v;
    }
    while (v >= 10) v /= 10, d++;
    return d;
}

static int signal_bits_shown(const RenderScene *s) {
    if (!s->signal || s->signal_bits <= 0) return 0;
    return s->signal_bits < RENDER_MAX_SIGNAL_BITS ? s->signal_bits : RENDER_MAX_SIGNAL_BITS;
}

/* the HUD's metric fields: text of field k (fixed width, state-independent) and its width, or 0
 * when there is no such field (past the end, or waste without a river) */
#define HUD_FIELDS 7
static int hud_field(const RenderScene *s, int k, char *buf, size_t n) {
    const EnvView *v = &s->view;
    const EnvConfig *cfg = v->cfg;
    int dt = digits(v->max_steps), da = digits(cfg->n_apple), dr = digits(v->n_river);
    EnvSocial soc = {0};
    if (v->metrics) env_metrics_finish(v->metrics, &soc);
    char tmp[96];
    int width = 0;
    switch (k) {
    case 0:
        snprintf(tmp, sizeof tmp, "t %*d/%d", dt, v->tick, v->max_steps);
        width = 3 + 2 * dt;
        break;
    case 1:
        if (v->plastic) {
            /* the ocean: plastic afloat, summed over the map */
            long long afloat = 0;
            for (int r = 0; r < cfg->map.h; r++)
                for (int col = 0; col < cfg->map.w; col++)
                    afloat += v->plastic[(r + v->pad) * v->wp + col + v->pad];
            snprintf(tmp, sizeof tmp, "afloat %6lld", afloat);
            width = 13;
            break;
        }
        if (v->pool_full > 0) {
            /* the tragedy: the pool's level, a full pool being 1 */
            double level = (double)(v->pool > 0 ? v->pool : 0) / (double)v->pool_full;
            snprintf(tmp, sizeof tmp, "pool %5.3f", level);
            width = 10;
            break;
        }
        snprintf(tmp, sizeof tmp, "apples %*d", da, v->n_apples);
        width = 7 + da;
        break;
    case 2:
        if (v->n_river <= 0) return 0; /* no river: the field is skipped */
        snprintf(tmp, sizeof tmp, "waste %*d/%d", dr, v->n_waste, v->n_river);
        width = 7 + 2 * dr;
        break;
    case 3:
        snprintf(tmp, sizeof tmp, "eff %7.3f", soc.efficiency);
        width = 11;
        break;
    case 4:
        snprintf(tmp, sizeof tmp, "eq %6.3f", soc.equality);
        width = 9;
        break;
    case 5:
        snprintf(tmp, sizeof tmp, "sus %*.1f", dt + 2, soc.sustainability);
        width = 6 + dt;
        break;
    case 6:
        snprintf(tmp, sizeof tmp, "peace %5.2f", soc.peace);
        width = 11;
        break;
    default:
        return 0;
    }
    /* a value wider than its field is cut, so the layout never depends on the state */
    snprintf(buf, n, "%-*.*s", width, width, tmp);
    return width;
}

/* lines taken by the metric fields at `chars` characters per line */
static int hud_field_lines(const RenderScene *s, int chars) {
    char buf[96];
    int lines = 0, used = -1;
    for (int k = 0; k < HUD_FIELDS; k++) {
        int wd = hud_field(s, k, buf, sizeof buf);
        if (wd <= 0) continue;
        if (used < 0 || used + HUD_GAP_CHARS + wd > chars) {
            lines++;
            used = wd;
        } else {
            used += HUD_GAP_CHARS + wd;
        }
    }
    return lines;
}

void render_layout(const RenderScene *s, const RenderOptions *o, RenderLayout *l) {
    const EnvConfig *cfg = s->view.cfg;
    memset(l, 0, sizeof *l);
    int cs = o->cell;
    l->cell = cs;
    l->text = cs >= 24 ? 2 : 1;
    l->char_w = 6 * l->text;
    l->line_h = 9 * l->text;
    l->pad = 2 * l->text;
    int map_w = cfg->map.w * cs, map_h = cfg->map.h * cs;
    int ego = o->ego_agent >= 0 && o->ego_agent < s->view.n_agents;
    int ego_w = ego ? cs + cfg->spec.obs_w * cs : 0;
    int ego_h = ego ? l->line_h + cfg->spec.obs_h * cs : 0;
    int content_w = map_w + ego_w;
    int min_w = o->hud ? 2 * l->pad + HUD_MIN_CHARS * l->char_w : 0;
    l->w = content_w > min_w ? content_w : min_w;
    l->map_x = (l->w - content_w) / 2;
    l->map_y = 0;
    l->ego_x = l->map_x + map_w + cs;
    l->ego_label_y = 0;
    l->ego_y = l->line_h;
    int top = map_h > ego_h ? map_h : ego_h;
    l->hud_y = top;
    /* one agent entry: a colour swatch, the index, the return, and the signal bits */
    int bits = o->comm ? signal_bits_shown(s) : 0;
    l->token_chars = 1 + 2 + 7 + (bits ? 1 + bits : 0);
    if (o->hud) {
        int chars = (l->w - 2 * l->pad) / l->char_w;
        l->tokens_per_line = (chars + HUD_GAP_CHARS) / (l->token_chars + HUD_GAP_CHARS);
        if (l->tokens_per_line < 1) l->tokens_per_line = 1;
        l->agent_line0 = hud_field_lines(s, chars);
        int n = s->view.n_agents;
        int lines = l->agent_line0 + (n + l->tokens_per_line - 1) / l->tokens_per_line;
        l->hud_h = 2 * l->pad + lines * l->line_h;
    }
    l->h = l->hud_y + l->hud_h;
}

/* ---- pixels ---- */

typedef struct Canvas {
    uint8_t *rgb; /* (h, w, 3) */
    int w, h;
} Canvas;

static inline void put(const Canvas *c, int x, int y, const uint8_t *col) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    uint8_t *p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    p[0] = col[0], p[1] = col[1], p[2] = col[2];
}

static void fill(const Canvas *c, int x0, int y0, int w, int h, const uint8_t *col) {
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) put(c, x, y, col);
}

/* blends num/den of col over the pixel, rounding to nearest */
static inline void blend(const Canvas *c, int x, int y, const uint8_t *col, int num, int den) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    uint8_t *p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    for (int k = 0; k < 3; k++)
        p[k] = (uint8_t)((p[k] * (den - num) + col[k] * num + den / 2) / den);
}

/* inside the disc centred in a cell of size cs, of diameter d pixels (pixel centres) */
static inline int in_disc(int x, int y, int cs, int d) {
    int dx = 2 * x + 1 - cs, dy = 2 * y + 1 - cs;
    return dx * dx + dy * dy <= d * d;
}

/* a wavy line across the cell, two pixels up, two down */
static inline int on_wave(int x, int y, int cs) {
    int yw = cs / 2;
    return (x % 4 < 2) ? y == yw - 1 : y == yw;
}

/* the ocean's tiles: sea (plastic cells too: their plastic is shaded over it), land, mouths */
static const uint8_t *ocean_pixel(int x, int y, int cs, uint8_t id) {
    const uint8_t *sea = on_wave(x, y, cs) ? PALETTE[RENDER_C_SEA_WAVE] : PALETTE[RENDER_C_SEA];
    switch (id) {
    case ENV_ID_WALL:
        return (x == 0 && y == 0) || (x == cs / 2 && y == cs / 2) ? PALETTE[RENDER_C_LAND_DARK]
                                                                  : PALETTE[RENDER_C_LAND];
    case ENV_ID_SOURCE:
        return in_disc(x, y, cs, cs / 2) ? PALETTE[RENDER_C_MOUTH] : sea;
    case ENV_ID_OUTSIDE:
        return PALETTE[RENDER_C_OUTSIDE];
    case ENV_ID_EMPTY:
    case ENV_ID_PLASTIC1:
    case ENV_ID_PLASTIC2:
    case ENV_ID_PLASTIC3:
    case ENV_ID_PLASTIC4:
        return sea;
    default:
        return NULL;
    }
}

/* the tile of cell id `id`, at (x0, y0); `ocean` picks the ocean's tiles */
static void draw_tile(const Canvas *c, int x0, int y0, int cs, uint8_t id, int ocean) {
    const uint8_t *floor = PALETTE[RENDER_C_FLOOR];
    for (int y = 0; y < cs; y++)
        for (int x = 0; x < cs; x++) {
            const uint8_t *col = ocean ? ocean_pixel(x, y, cs, id) : NULL;
            if (col) {
                put(c, x0 + x, y0 + y, col);
                continue;
            }
            switch (id) {
            case ENV_ID_EMPTY:
                col = (x == 0 && y == 0) ? PALETTE[RENDER_C_FLOOR_DOT] : floor;
                break;
            case ENV_ID_WALL:
                if (y == cs - 1 || x == cs - 1)
                    col = PALETTE[RENDER_C_WALL_DARK];
                else if (y == 0 || x == 0)
                    col = PALETTE[RENDER_C_WALL_LIGHT];
                else
                    col = PALETTE[RENDER_C_WALL];
                break;
            case ENV_ID_APPLE:
                col = in_disc(x, y, cs, cs * 3 / 4) ? PALETTE[RENDER_C_APPLE] : floor;
                break;
            case ENV_ID_RIVER:
                col = on_wave(x, y, cs) ? PALETTE[RENDER_C_RIVER_WAVE] : PALETTE[RENDER_C_RIVER];
                break;
            case ENV_ID_STREAM:
                col = on_wave(x, y, cs) ? PALETTE[RENDER_C_STREAM_WAVE] : PALETTE[RENDER_C_STREAM];
                break;
            case ENV_ID_WASTE:
                col = in_disc(x, y, cs, cs * 5 / 8) ? PALETTE[RENDER_C_WASTE]
                                                    : PALETTE[RENDER_C_RIVER];
                break;
            case ENV_ID_OUTSIDE:
                col = PALETTE[RENDER_C_OUTSIDE];
                break;
            default:
                /* a cell id without a tile: a magenta and black checker, impossible to miss */
                col = ((x ^ y) & 2) ? PALETTE[RENDER_C_UNKNOWN] : PALETTE[RENDER_C_OUTSIDE];
                break;
            }
            put(c, x0 + x, y0 + y, col);
        }
}

/* eighths of plastic shading of a cell: from its units when the scene has them, else from the
 * level of its cell id */
static int plastic_eighths(const RenderScene *s, int32_t idx, uint8_t id) {
    if (s->plastic && s->plastic_max > 0) {
        long long units = s->plastic[idx];
        if (units <= 0) return 0;
        if (units > s->plastic_max) units = s->plastic_max;
        return (int)((units * 8 + s->plastic_max - 1) / s->plastic_max);
    }
    if (id >= ENV_ID_PLASTIC1 && id <= ENV_ID_PLASTIC4) return 2 * (id - ENV_ID_PLASTIC1 + 1);
    return 0;
}

/* a map cell: tile, then plastic shading (eighths, up to 3/4 opacity) */
static void draw_cell(const Canvas *c, const RenderScene *s, const RenderLayout *l, int r,
                      int col) {
    const EnvView *v = &s->view;
    int cs = l->cell, x0 = l->map_x + col * cs, y0 = l->map_y + r * cs;
    int32_t idx = (r + v->pad) * v->wp + (col + v->pad);
    draw_tile(c, x0, y0, cs, v->cell[idx], v->cfg->p.game == ENV_GAME_OCEAN);
    {
        int q = plastic_eighths(s, idx, v->cell[idx]);
        if (q > 0)
            for (int y = 0; y < cs; y++)
                for (int x = 0; x < cs; x++)
                    blend(c, x0 + x, y0 + y, PALETTE[RENDER_C_PLASTIC], q * 3, 32);
    }
}

/* map row and column of a padded index; 0 when on the map, 1 off it */
static int cell_rc(const EnvView *v, int32_t idx, int *r, int *col) {
    *r = idx / v->wp - v->pad;
    *col = idx % v->wp - v->pad;
    return (*r >= 0 && *r < v->cfg->map.h && *col >= 0 && *col < v->cfg->map.w) ? 0 : 1;
}

/* an agent: a body inset from the cell, corners cut when there is room, and a bar on the side
 * it faces; orient < 0 (a vessel, which has no facing) puts a deck in the middle instead */
static void draw_agent(const Canvas *c, int x0, int y0, int cs, int orient, const uint8_t *body,
                       const uint8_t *nose) {
    int m = cs / 8 > 1 ? cs / 8 : 1, nd = cs / 4 > 1 ? cs / 4 : 1, q = cs / 4;
    int lo = m, hi = cs - m - 1; /* body spans [lo, hi] on both axes */
    for (int y = lo; y <= hi; y++)
        for (int x = lo; x <= hi; x++) {
            if (cs >= 6 && (x == lo || x == hi) && (y == lo || y == hi)) continue;
            int is_nose = 0;
            switch (orient) {
            case -1:
                is_nose = x >= q + m && x < cs - q - m && y >= q + m && y < cs - q - m;
                break;
            case ENV_NORTH:
                is_nose = y < lo + nd && x >= q && x < cs - q;
                break;
            case ENV_SOUTH:
                is_nose = y > hi - nd && x >= q && x < cs - q;
                break;
            case ENV_EAST:
                is_nose = x > hi - nd && y >= q && y < cs - q;
                break;
            default:
                is_nose = x < lo + nd && y >= q && y < cs - q;
                break;
            }
            put(c, x0 + x, y0 + y, is_nose ? nose : body);
        }
}

/* a rectangle outline, t pixels thick */
static void outline(const Canvas *c, int x0, int y0, int w, int h, int t, const uint8_t *col) {
    fill(c, x0, y0, w, t, col);
    fill(c, x0, y0 + h - t, w, t, col);
    fill(c, x0, y0, t, h, col);
    fill(c, x0 + w - t, y0, t, h, col);
}

/* a line between two pixels (Bresenham), t pixels thick */
static void line(const Canvas *c, int x0, int y0, int x1, int y1, int t, const uint8_t *col) {
    int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
    int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) {
        fill(c, x0 - t / 2, y0 - t / 2, t, t, col);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += sx;
        if (e2 <= dx) e += dx, y0 += sy;
    }
}

int render_text(uint8_t *rgb, int w, int h, int x, int y, const char *text, const uint8_t *colour,
                int scale) {
    Canvas c = {rgb, w, h};
    int x0 = x;
    for (const char *p = text; *p; p++, x += 6 * scale) {
        const char *g = render_glyph((unsigned char)*p);
        for (int r = 0; r < 7; r++)
            for (int k = 0; k < 5; k++)
                if (g[r * 5 + k] == '#')
                    fill(&c, x + k * scale, y + r * scale, scale, scale, colour);
    }
    return x - x0;
}

/* the map rectangle an agent sees, clipped to the map: rows r0..r1, cols c0..c1 */
static void view_window(const EnvConfig *cfg, int r, int col, int orient, int *r0, int *r1, int *c0,
                        int *c1) {
    int a = cfg->p.view_ahead, b = cfg->p.view_behind, sd = cfg->p.view_side;
    switch (orient) {
    case ENV_NORTH:
        *r0 = r - a, *r1 = r + b, *c0 = col - sd, *c1 = col + sd;
        break;
    case ENV_SOUTH:
        *r0 = r - b, *r1 = r + a, *c0 = col - sd, *c1 = col + sd;
        break;
    case ENV_EAST:
        *r0 = r - sd, *r1 = r + sd, *c0 = col - b, *c1 = col + a;
        break;
    default:
        *r0 = r - sd, *r1 = r + sd, *c0 = col - a, *c1 = col + b;
        break;
    }
    if (*r0 < 0) *r0 = 0;
    if (*c0 < 0) *c0 = 0;
    if (*r1 > cfg->map.h - 1) *r1 = cfg->map.h - 1;
    if (*c1 > cfg->map.w - 1) *c1 = cfg->map.w - 1;
}

static void draw_map(const Canvas *c, const RenderScene *s, const RenderOptions *o,
                     const RenderLayout *l) {
    const EnvView *v = &s->view;
    const EnvConfig *cfg = v->cfg;
    int cs = l->cell, t = cs / 8 > 1 ? cs / 8 : 1;
    /* tiles and plastic */
    for (int r = 0; r < cfg->map.h; r++)
        for (int col = 0; col < cfg->map.w; col++) draw_cell(c, s, l, r, col);
    /* beams: the cell is redrawn before blending, so a cell listed twice is blended once */
    for (int b = 0; s->beam && b < s->n_beam; b++) {
        int r, col;
        if (cell_rc(v, s->beam[b], &r, &col)) continue;
        draw_cell(c, s, l, r, col);
        const uint8_t *bc = s->beam_id && s->beam_id[b] == ENV_ID_CLEAN ? PALETTE[RENDER_C_CLEAN]
                                                                        : PALETTE[RENDER_C_FIRE];
        for (int y = 0; y < cs; y++)
            for (int x = 0; x < cs; x++)
                blend(c, l->map_x + col * cs + x, l->map_y + r * cs + y, bc, 1, 2);
    }
    /* the chosen agent's view window */
    int ego = o->ego_agent >= 0 && o->ego_agent < v->n_agents ? o->ego_agent : -1;
    if (ego >= 0) {
        int r, col, r0, r1, c0, c1;
        if (!cell_rc(v, v->agent[ego].pos, &r, &col)) {
            view_window(cfg, r, col, cfg->egocentric ? v->agent[ego].orient : ENV_NORTH, &r0, &r1,
                        &c0, &c1);
            outline(c, l->map_x + c0 * cs, l->map_y + r0 * cs, (c1 - c0 + 1) * cs,
                    (r1 - r0 + 1) * cs, t, PALETTE[RENDER_C_HIGHLIGHT]);
        }
    }
    /* comm edges, under the agents */
    if (o->comm && s->edges)
        for (int e = 0; e < s->n_edges; e++) {
            int i = s->edges[2 * e], j = s->edges[2 * e + 1], ri, ci, rj, cj;
            if (i < 0 || j < 0 || i >= v->n_agents || j >= v->n_agents || i == j) continue;
            if (cell_rc(v, v->agent[i].pos, &ri, &ci) || cell_rc(v, v->agent[j].pos, &rj, &cj))
                continue;
            line(c, l->map_x + ci * cs + cs / 2, l->map_y + ri * cs + cs / 2,
                 l->map_x + cj * cs + cs / 2, l->map_y + rj * cs + cs / 2, t,
                 PALETTE[RENDER_C_EDGE]);
        }
    /* agents, greyed when tagged out, with the chosen one framed */
    for (int i = 0; i < v->n_agents; i++) {
        const EnvAgent *a = &v->agent[i];
        int r, col;
        if (cell_rc(v, a->pos, &r, &col)) continue;
        int x0 = l->map_x + col * cs, y0 = l->map_y + r * cs;
        int orient = cfg->egocentric ? a->orient : -1;
        if (a->timeout > 0)
            draw_agent(c, x0, y0, cs, orient, PALETTE[RENDER_C_TAGGED],
                       PALETTE[RENDER_C_TAGGED_NOSE]);
        else
            draw_agent(c, x0, y0, cs, orient, cfg->agent_colour[i], PALETTE[RENDER_C_NOSE]);
        if (i == ego) outline(c, x0, y0, cs, cs, t, PALETTE[RENDER_C_HIGHLIGHT]);
    }
    /* signals: the bottom quarter of the agent's cell, one segment per bit */
    int bits = o->comm ? signal_bits_shown(s) : 0;
    if (bits > cs) bits = cs;
    for (int i = 0; bits && i < v->n_agents; i++) {
        int r, col;
        if (cell_rc(v, v->agent[i].pos, &r, &col)) continue;
        int x0 = l->map_x + col * cs, y0 = l->map_y + r * cs, sh = cs / 4 > 1 ? cs / 4 : 1;
        for (int k = 0; k < bits; k++) {
            int xa = k * cs / bits, xb = (k + 1) * cs / bits;
            const uint8_t *bc = s->signal[(size_t)i * (size_t)s->signal_bits + (size_t)k]
                                    ? PALETTE[RENDER_C_SIGNAL_ON]
                                    : PALETTE[RENDER_C_SIGNAL_OFF];
            fill(c, x0 + xa, y0 + cs - sh, xb - xa, sh, bc);
        }
    }
}

/* the egocentric observation of the chosen agent, one flat block per observed cell */
static void draw_ego(const Canvas *c, const RenderScene *s, const RenderOptions *o,
                     const RenderLayout *l) {
    const EnvConfig *cfg = s->view.cfg;
    char label[32];
    snprintf(label, sizeof label, "agent %d sees", o->ego_agent);
    render_text(c->rgb, c->w, c->h, l->ego_x, l->ego_label_y + l->text, label,
                PALETTE[RENDER_C_HIGHLIGHT], l->text);
    if (!s->ego_obs) return;
    int oh = cfg->spec.obs_h, ow = cfg->spec.obs_w, oc = cfg->spec.obs_c, cs = l->cell;
    for (int r = 0; r < oh; r++)
        for (int k = 0; k < ow; k++) {
            const uint8_t *px = s->ego_obs + ((size_t)r * (size_t)ow + (size_t)k) * (size_t)oc;
            const uint8_t *col = px;
            if (oc == 1) col = *px < ENV_ID_COUNT ? cfg->colour[*px] : PALETTE[RENDER_C_UNKNOWN];
            fill(c, l->ego_x + k * cs, l->ego_y + r * cs, cs, cs, col);
        }
}

/* the heads-up strip: metric fields wrapped on whole fields, then one entry per agent */
static void draw_hud(const Canvas *c, const RenderScene *s, const RenderOptions *o,
                     const RenderLayout *l) {
    const EnvView *v = &s->view;
    fill(c, 0, l->hud_y, l->w, l->hud_h, PALETTE[RENDER_C_HUD]);
    int chars = (l->w - 2 * l->pad) / l->char_w;
    int x0 = l->pad, y0 = l->hud_y + l->pad, line_no = -1, used = -1;
    char buf[96];
    for (int k = 0; k < HUD_FIELDS; k++) {
        int wd = hud_field(s, k, buf, sizeof buf);
        if (wd <= 0) continue;
        if (used < 0 || used + HUD_GAP_CHARS + wd > chars) {
            line_no++;
            used = 0;
        } else {
            used += HUD_GAP_CHARS;
        }
        render_text(c->rgb, c->w, c->h, x0 + used * l->char_w, y0 + line_no * l->line_h, buf,
                    PALETTE[RENDER_C_TEXT], l->text);
        used += wd;
    }
    /* the bits that fit the entries the layout made room for */
    int bits = o->comm ? signal_bits_shown(s) : 0;
    if (bits > l->token_chars - 11) bits = l->token_chars > 11 ? l->token_chars - 11 : 0;
    for (int i = 0; i < v->n_agents; i++) {
        int ln = l->agent_line0 + i / l->tokens_per_line, slot = i % l->tokens_per_line;
        int x = x0 + slot * (l->token_chars + HUD_GAP_CHARS) * l->char_w;
        int y = y0 + ln * l->line_h;
        const uint8_t *sw =
            v->agent[i].timeout > 0 ? PALETTE[RENDER_C_TAGGED] : v->cfg->agent_colour[i];
        fill(c, x, y, 5 * l->text, 7 * l->text, sw);
        long long ret = v->metrics ? (long long)v->metrics->ret[i] : 0;
        int n = snprintf(buf, sizeof buf, "%2d%7lld", i, ret);
        if (n > 9) buf[9] = 0; /* a return wider than its field is cut */
        render_text(c->rgb, c->w, c->h, x + l->char_w, y, buf, PALETTE[RENDER_C_TEXT], l->text);
        if (bits) {
            for (int k = 0; k < bits; k++)
                buf[k] = s->signal[(size_t)i * (size_t)s->signal_bits + (size_t)k] ? '1' : '0';
            buf[bits] = 0;
            render_text(c->rgb, c->w, c->h, x + 11 * l->char_w, y, buf, PALETTE[RENDER_C_TEXT_DIM],
                        l->text);
        }
    }
}

void render_frame(const RenderScene *s, const RenderOptions *o, const RenderLayout *l,
                  uint8_t *rgb) {
    Canvas c = {rgb, l->w, l->h};
    fill(&c, 0, 0, l->w, l->h, PALETTE[RENDER_C_BACKGROUND]);
    draw_map(&c, s, o, l);
    if (o->ego_agent >= 0 && o->ego_agent < s->view.n_agents) draw_ego(&c, s, o, l);
    if (o->hud) draw_hud(&c, s, o, l);
}
