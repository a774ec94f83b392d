/* game.h: what a game file provides to the world core, and the core helpers games use.
 * Internal to env/. */
#ifndef COMMONS_GAME_H
#define COMMONS_GAME_H

#include "env.h"

typedef struct EnvGameOps {
    /* called at reset after the cells are copied from the config's base grid */
    void (*reset)(EnvWorld *w);
    /* the apple at spawn point `slot` was just eaten (the cell is already empty) */
    void (*eaten)(EnvWorld *w, int slot);
    /* resource dynamics at the end of a step, after moves, eating and beams */
    void (*dynamics)(EnvWorld *w);
    /* when set, replaces apple eating: every active agent collects from its cell */
    void (*collect)(EnvWorld *w);
} EnvGameOps;

extern const EnvGameOps env_gathering_ops;
extern const EnvGameOps env_harvest_ops;
extern const EnvGameOps env_cleanup_ops;
extern const EnvGameOps env_ocean_ops;

/* Ocean: builds the per-cell drift tables of the currents field (ocean.c). */
void env_ocean_build_currents(EnvConfig *cfg);

/* The hooks of a game. */
const EnvGameOps *env_game_ops(EnvGame g);

/* Writes a cell id into the grid and into the four rotated encoded copies. */
void env_put_cell(EnvWorld *w, int32_t idx, uint8_t id);

/* The overlay (beams, then agents) painted into the encoded grids; tests that move agents by
 * hand clear it before and paint it after. */
void env_overlay_paint(EnvWorld *w);
void env_overlay_clear(EnvWorld *w);

/* Places an apple at spawn point `slot`: grid, encoded copies, count and empty set. */
void env_apple_put(EnvWorld *w, int slot);

/* Calls body(slot) for each spawn point without an apple, in spawn-point order. The set may
 * change inside the body only for the word being visited (a copy is iterated). */
#define ENV_FOR_EACH_EMPTY_APPLE(w, slot, body)                                                    \
    do {                                                                                           \
        int n_words_ = ((w)->cfg->n_apple + 63) / 64;                                              \
        for (int wd_ = 0; wd_ < n_words_; wd_++) {                                                 \
            uint64_t bits_ = (w)->apple_empty[wd_];                                                \
            while (bits_) {                                                                        \
                int slot = wd_ * 64 + __builtin_ctzll(bits_);                                      \
                bits_ &= bits_ - 1;                                                                \
                body;                                                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#endif
