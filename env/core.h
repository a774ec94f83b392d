/* core.h: what the core files (config.c, grid.c, observe.c, step.c, world.c) share among
 * themselves. Internal to the core: game files include game.h only.
 *
 * The hot writers of the encoded grids are inline here so that the step (step.c) and the overlay
 * (grid.c) both inline them.
 */
#ifndef COMMONS_CORE_H
#define COMMONS_CORE_H

#include <string.h>

#include "game.h"

/* The carving of a world's single allocation: byte offsets of every array, 8-byte aligned
 * arrays first. Computed in one place for env_world_init and for the config's world_bytes. */
typedef struct EnvLayout {
    size_t empty, class_, clean, game, respawn, scratch, beam, cell, occ, rot, nbr, beam_id, total;
    int beam_cap;
} EnvLayout;

void env_layout(const EnvConfig *cfg, EnvLayout *l);

/* encode one cell into the rotated grids */
static inline void env_rot_write_rgb(EnvWorld *w, int32_t idx, uint8_t id, const uint8_t *rgb) {
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

static inline void env_rot_write(EnvWorld *w, int32_t idx, uint8_t id) {
    env_rot_write_rgb(w, idx, id, w->cfg->colour[id]);
}

/* paints the agent drawn on agent k's cell, the lowest-indexed one there (k itself unless agents
 * share cells): tagged, or in the other-agent id (in the SSD palette, in its own colour) */
static inline void env_paint_agent(EnvWorld *w, int k) {
    const EnvConfig *cfg = w->cfg;
    k = w->occ[w->agent[k].pos] - 1;
    uint8_t id = w->agent[k].timeout > 0 ? ENV_ID_TAGGED : ENV_ID_OTHER;
    const uint8_t *rgb = (cfg->p.palette == ENV_PALETTE_SSD && id == ENV_ID_OTHER)
                             ? cfg->agent_colour[k]
                             : cfg->colour[id];
    env_rot_write_rgb(w, w->agent[k].pos, id, rgb);
}

/* Writes the last step's beam cells (paint = 1) or the cells under them (paint = 0) into the
 * encoded grids, skipping cells with agents. */
void env_beams_write(EnvWorld *w, int paint);

#endif
