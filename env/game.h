/* game.h: what a game file provides to the world core, and the core helpers games use.
 * Internal to env/.
 *
 * Contract: a game is one .c file (gathering.c, harvest.c, cleanup.c, ocean.c, tragedy.c) that
 * opens with
 * the complete rules of its game and exports one EnvGameOps table; games.c maps EnvGame to the
 * tables. The core (config.c, grid.c, observe.c, step.c, world.c) names no game: every per-game
 * difference is a field or hook below. Games include this header only; they call the core helpers
 * declared here, and the core calls games only through their ops. A NULL hook does nothing,
 * except where its comment says otherwise.
 */
#ifndef COMMONS_GAME_H
#define COMMONS_GAME_H

#include "env.h"
#include "io.h" /* env_fnv1a64: games continue the state hash with it */

typedef struct EnvGameOps {
    const char *name; /* as env.game spells it (the same as env_game_name) */
    int n_actions;    /* the game's actions are 0 .. n_actions - 1 */
    int egocentric;   /* 1: agents face a direction (four rotated grids); 0: absolute moves */
    int n_features;   /* float features per agent written by `features` */
    /* a game with a wait action (has_wait = 1): restraint counts the steps an agent chooses
     * wait_action, and an out-of-range action waits instead of staying */
    int has_wait, wait_action;
    /* when obs_h > 0: the observation is obs_h x obs_w cells (obs.ahead/behind/side unused),
     * written by `observe` */
    int obs_h, obs_w;
    /* the map legend: characters the game refuses among those env_map_parse accepts, and what
     * the error message tells about the game's cells */
    const char *refused;
    const char *legend;

    /* params checked together, beyond each key's range (env_spec) */
    int (*check)(const EnvParams *p, EnvError *err);
    /* when set, the game draws its own map from the params (env.map is not read): fills m as
     * env_map_parse does; returns 0 or an error */
    int (*map)(EnvMap *m, const EnvParams *p, EnvError *err);
    /* the game's part of the config, built after the core's (grids, spawn points, apples, river,
     * rotations, thresholds, palette, scratch_n, which it may raise); returns 0 or an error */
    int (*build)(EnvConfig *cfg, EnvError *err);
    /* bytes of the game's own arrays in a world's block (8-byte aligned), and the carving of
     * them into the world's pointers */
    size_t (*state_bytes)(const EnvConfig *cfg);
    void (*carve)(EnvWorld *w, uint8_t *bytes);

    /* called at reset after the cells are copied from the config's base grid and the agents
     * placed (required) */
    void (*reset)(EnvWorld *w);
    /* when set, replaces apple eating: every active agent collects from its cell */
    void (*collect)(EnvWorld *w);
    /* when set, the game applies the step's checked actions act (n_agents,) itself: it replaces
     * turns, moves, collection and beams (agents never move); `dynamics` follows */
    void (*act)(EnvWorld *w, const int32_t *act);
    /* the apple at spawn point `slot` was just eaten (the cell is already empty) (required) */
    void (*eaten)(EnvWorld *w, int slot);
    /* a clean beam reached a waste cell: returns 1 when the ray stops there */
    int (*clean)(EnvWorld *w, int32_t idx);
    /* resource dynamics at the end of a step, after moves, eating and beams (required) */
    void (*dynamics)(EnvWorld *w);
    /* 1 when the state is terminal: the step then ends the episode as ENV_TERMINATED */
    int (*terminal)(const EnvWorld *w);

    /* the game's state, hashed after the core's (env_fnv1a64) */
    uint64_t (*hash)(const EnvWorld *w, uint64_t h);
    /* writes out (n_agents, n_features) */
    void (*features)(const EnvWorld *w, float *out);
    /* when set (with obs_h > 0), writes obs (n_agents, obs_h, obs_w, obs_c) in place of the
     * window copy, for env_observe and env_observe_naive alike */
    void (*observe)(const EnvWorld *w, uint8_t *obs);
    /* the game's part of the read-only view (pool levels); NULL leaves the core's */
    void (*view)(const EnvWorld *w, EnvView *v);
} EnvGameOps;

/* the legend of the grid games (gathering, harvest, cleanup): every map character but 'M' */
#define ENV_GRID_REFUSED "M"
#define ENV_GRID_LEGEND "'M' (river mouth) belongs to the ocean game"

extern const EnvGameOps env_gathering_ops;
extern const EnvGameOps env_harvest_ops;
extern const EnvGameOps env_cleanup_ops;
extern const EnvGameOps env_ocean_ops;
extern const EnvGameOps env_tragedy_ops;

/* The hooks of a game (games.c); an unknown game gets Gathering's. */
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
