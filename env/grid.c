/* grid.c: the encoded grids of a world and the overlay painted into them.
 *
 * Contract: a world keeps its cell ids (w->cell) and, for observations, the same cells encoded
 * (ids or colours) in one grid rotated per orientation (four for egocentric agents, one
 * otherwise; see build_rotations in config.c). Every cell write goes through env_put_cell so the
 * copies never disagree. The overlay, agents and the beams of the last step on cells without
 * agents, is painted into the encoded grids so that an observation is a plain copy: agents are
 * painted when they move or change tag state; beams are painted at the end of a step and cleared
 * at the start of the next, unless obs.beams = 0 (then they are never painted). Where agents share
 * a cell (env.overlap), the grids show the lowest-indexed agent there (w->occ).
 */
#include "core.h"

/* An agent's cell shows the agent: a change of the cell under it waits until it leaves. */
void env_put_cell(EnvWorld *w, int32_t idx, uint8_t id) {
    w->cell[idx] = id;
    if (!w->occ[idx]) env_rot_write(w, idx, id);
}

/* (see core.h) the locals are restrict-qualified so the compiler keeps them in registers across
 * the byte stores */
void env_beams_write(EnvWorld *w, int paint) {
    const EnvConfig *cfg = w->cfg;
    const int32_t *restrict beam = w->beam;
    const uint8_t *restrict beam_id = w->beam_id;
    const uint8_t *restrict occ = w->occ;
    const uint8_t *restrict cell = w->cell;
    const int32_t *restrict rot = cfg->rot_index;
    uint8_t *restrict base = w->rot[0];
    int nb = cfg->p.obs_beams ? w->n_beam : 0, rgb = cfg->spec.obs_c == 3;
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

void env_overlay_paint(EnvWorld *w) {
    env_beams_write(w, 1);
    for (int k = 0; k < w->cfg->p.n_agents; k++) env_paint_agent(w, k);
}

void env_overlay_clear(EnvWorld *w) {
    env_beams_write(w, 0);
    for (int k = 0; k < w->cfg->p.n_agents; k++)
        env_rot_write(w, w->agent[k].pos, w->cell[w->agent[k].pos]);
}

void env_apple_put(EnvWorld *w, int slot) {
    env_put_cell(w, w->cfg->apple[slot], ENV_ID_APPLE);
    w->n_apples++;
    w->apple_empty[slot / 64] &= ~(1ULL << (slot % 64));
}
