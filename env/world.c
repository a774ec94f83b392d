/* world.c: a world's life: its single allocation (init, close) and the hash of its state.
 *
 * Contract: env_world_init makes one allocation of cfg->world_bytes, carved by env_layout
 * (config.c) into the arrays of EnvWorld, the game's own arrays carved by its ops, then resets to
 * episode 0. env_state_hash covers everything the future of the world depends on: tick,
 * counters, RNG streams, cells, agents, returns, then the game's own state (its hash hook).
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "io.h"

int env_world_init(EnvWorld *w, const EnvConfig *cfg, uint64_t seed, uint64_t index,
                   EnvError *err) {
    memset(w, 0, sizeof *w);
    const EnvGameOps *ops = env_game_ops(cfg->p.game);
    int c = cfg->spec.obs_c;
    EnvLayout l;
    env_layout(cfg, &l);
    uint8_t *block = calloc(1, l.total);
    if (!block) return env_fail(err, ENV_ENOMEM, "out of memory allocating a world");
    w->block = block;
    w->cfg = cfg;
    w->seed = seed;
    w->index = index;
    w->apple_empty = (uint64_t *)(block + l.empty);
    w->class_empty = (uint64_t *)(block + l.class_);
    w->river_clean = (uint64_t *)(block + l.clean);
    if (ops->carve) ops->carve(w, block + l.game);
    w->respawn_at = (int32_t *)(block + l.respawn);
    w->scratch = (int32_t *)(block + l.scratch);
    w->beam = (int32_t *)(block + l.beam);
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

uint64_t env_state_hash(const EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    const EnvGameOps *ops = env_game_ops(cfg->p.game);
    int n = cfg->p.n_agents;
    uint64_t h = ENV_FNV1A64_BASIS;
    int32_t head[4] = {w->tick, w->n_waste, w->n_apples, (int32_t)w->episode};
    h = env_fnv1a64(h, head, sizeof head);
    h = env_fnv1a64(h, &w->rng.state, sizeof w->rng.state);
    h = env_fnv1a64(h, &w->events.state, sizeof w->events.state);
    for (int r = 0; r < cfg->map.h; r++)
        h = env_fnv1a64(h, w->cell + (size_t)(r + cfg->pad) * (size_t)cfg->wp + (size_t)cfg->pad,
                        (size_t)cfg->map.w);
    for (int i = 0; i < n; i++) {
        const EnvAgent *a = &w->agent[i];
        int32_t f[5] = {a->pos, a->orient, a->timeout, a->hits, a->fired};
        h = env_fnv1a64(h, f, sizeof f);
        h = env_fnv1a64(h, &w->metrics.ret[i], sizeof w->metrics.ret[i]);
    }
    if (ops->hash) h = ops->hash(w, h);
    return h;
}
