/* gathering.c: Gathering (Leibo et al. 2017, parameterised as in Gallego 2026).
 *
 * Rules: an eaten apple returns apples.respawn_steps steps later, whether or not an agent stands
 * on its cell (an agent standing there eats it on the step it returns). No random draws.
 * Beams and tag-out come from the shared core (two hits tag an agent out in the presets).
 */
#include "game.h"

static void gathering_reset(EnvWorld *w) {
    for (int i = 0; i < w->cfg->n_apple; i++) w->respawn_at[i] = 0;
}

static void gathering_eaten(EnvWorld *w, int slot) {
    w->respawn_at[slot] = w->tick + w->cfg->p.respawn_steps;
}

/* apples due by the next step return now, in spawn-point order */
static void gathering_dynamics(EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    int32_t next = w->tick + 1;
    for (int i = 0; i < cfg->n_apple; i++) {
        int32_t idx = cfg->apple[i];
        if (w->respawn_at[i] > 0 && w->respawn_at[i] <= next && w->cell[idx] != ENV_ID_APPLE) {
            env_put_cell(w, idx, ENV_ID_APPLE);
            w->n_apples++;
            w->respawn_at[i] = 0;
        }
    }
}

const EnvGameOps env_gathering_ops = {gathering_reset, gathering_eaten, gathering_dynamics};
