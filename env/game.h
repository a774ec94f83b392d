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
} EnvGameOps;

extern const EnvGameOps env_gathering_ops;
extern const EnvGameOps env_harvest_ops;
extern const EnvGameOps env_cleanup_ops;

/* Writes a cell id into the grid and into the four rotated encoded copies. */
void env_put_cell(EnvWorld *w, int32_t idx, uint8_t id);

#endif
