/* observe.c: what the outside reads of a world: observations, the global state, features and
 * the read-only view.
 *
 * Contract: every output buffer belongs to the caller and is written in place; nothing here
 * changes the world. env_observe copies each agent's window out of the rotated encoded grid
 * (grid.c), overlay included; env_observe_naive computes the same bytes one cell at a time from
 * world coordinates and is the reference the tests compare it with. A game with its own
 * observation (ops->observe: tragedy's pool gauge) writes it for both.
 */
#include "core.h"

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
    const EnvGameOps *ops = env_game_ops(p->game);
    if (ops->observe) {
        ops->observe(w, obs);
        return;
    }
    int n = p->n_agents, c = cfg->spec.obs_c;
    int oh = cfg->spec.obs_h, ow = cfg->spec.obs_w;
    int ahead = p->view_ahead, side = p->view_side;
    size_t row_bytes = (size_t)ow * (size_t)c;
    int ssd = p->palette == ENV_PALETTE_SSD;
    for (int i = 0; i < n; i++) {
        uint8_t *out = obs + (size_t)i * cfg->spec.obs_size;
        int o = w->agent[i].orient;
        int32_t ri = cfg->rot_index[w->agent[i].pos * 4 + o];
        size_t rw = (size_t)cfg->rot_w[o] * (size_t)c;
        /* the window, overlay included, is a rectangle of the rotated grid: a copy per row */
        const uint8_t *src = w->rot[0] + ri - (size_t)(ahead * cfg->rot_w[o] + side) * (size_t)c;
        copy_window(out, src, row_bytes, rw, oh);
        /* the viewer sees itself as self, tagged or not (in the SSD palette, in its own colour),
         * unless a lower-indexed agent shares its cell and is drawn there */
        if (w->occ[w->agent[i].pos] == i + 1) {
            uint8_t *d = out + ((size_t)ahead * (size_t)ow + (size_t)side) * (size_t)c;
            if (c == 1)
                *d = ENV_ID_SELF;
            else
                memcpy(d, ssd ? cfg->agent_colour[i] : cfg->colour[ENV_ID_SELF], 3);
        }
    }
}

/* The naive reference of env_observe: one cell at a time, from world coordinates. */
void env_observe_naive(const EnvWorld *w, uint8_t *obs) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    const EnvGameOps *ops = env_game_ops(p->game);
    if (ops->observe) {
        ops->observe(w, obs);
        return;
    }
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
                    for (int b = 0; p->obs_beams && b < w->n_beam; b++)
                        if (w->beam[b] == idx) id = w->beam_id[b];
                    rgb = cfg->colour[id];
                    /* the lowest-indexed agent on the cell is drawn: self, tagged or other */
                    int k = 0;
                    while (k < n && w->agent[k].pos != idx) k++;
                    if (k == i) {
                        id = ENV_ID_SELF;
                        rgb = ssd ? cfg->agent_colour[i] : cfg->colour[id];
                    } else if (k < n) {
                        id = w->agent[k].timeout > 0 ? ENV_ID_TAGGED : ENV_ID_OTHER;
                        rgb = (ssd && id == ENV_ID_OTHER) ? cfg->agent_colour[k] : cfg->colour[id];
                    }
                }
                if (!rgb) rgb = cfg->colour[ENV_ID_OUTSIDE];
                uint8_t *d = obs + (size_t)i * cfg->spec.obs_size +
                             ((size_t)vr * (size_t)cfg->spec.obs_w + (size_t)vc) * (size_t)c;
                put_px(d, c, rgb, id);
            }
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

void env_features(const EnvWorld *w, float *out) {
    const EnvGameOps *ops = env_game_ops(w->cfg->p.game);
    if (!ops->features) return;
    ops->features(w, out);
    if (!w->cfg->p.obs_neighbours) return;
    /* the neighbours' features: out holds the game's (N, F) rows; row i of the result is
     * (N * F) long, rows i + m mod N for m = 0..N-1. Rows N-1..1 lie past the game's rows;
     * row 0 is the game's rows in order already */
    size_t n = (size_t)w->cfg->p.n_agents, f = (size_t)ops->n_features;
    for (size_t i = n - 1; i >= 1; i--)
        for (size_t m = 0; m < n; m++)
            memcpy(out + (i * n + m) * f, out + ((i + m) % n) * f, f * sizeof(float));
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
    v->plastic = w->plastic; /* NULL unless the game keeps units per cell */
    v->msg = NULL;
    v->msg_size = 0;
    v->n_bits = 0;
    v->msg_scale = 1.0f;
    v->pool = v->pool_full = v->pool_take = 0;
    const EnvGameOps *ops = env_game_ops(cfg->p.game);
    if (ops->view) ops->view(w, v);
}
