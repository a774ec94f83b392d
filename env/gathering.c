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
    (void)cfg;
    ENV_FOR_EACH_EMPTY_APPLE(w, slot, {
        if (w->respawn_at[slot] > 0 && w->respawn_at[slot] <= next) {
            env_apple_put(w, slot);
            w->respawn_at[slot] = 0;
        }
    });
}

const EnvGameOps env_gathering_ops = {gathering_reset, gathering_eaten, gathering_dynamics, NULL};
