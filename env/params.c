/* params.c: every setting of a world as one table of keys, with types, ranges and docs, on the
 * key engine (keys.h).
 *
 * Contract: env_params_set() is the only way text becomes a parameter. It rejects unknown keys,
 * malformed numbers and out-of-range values with a message that names the key and the allowed
 * range. Probabilities are exact decimals stored as parts per billion.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "keys.h"

#define F(field) offsetof(EnvParams, field)

static const EnvKeySpec KEYS[] = {
    ENV_KEY_ROW_CHOICE(
        "env", "game", F(game), "gathering harvest cleanup ocean tragedy", NULL,
        "rules: fixed respawn, density regrowth, pollution-driven regrowth, ocean plastic, or "
        "the tragedy water pool"),
    ENV_KEY_ROW_STRING("env", "map", F(map), ENV_NAME_LEN - 1,
                       "built-in map name, or a path to a map file"),
    ENV_KEY_ROW_INT("env", "agents", F(n_agents), 1, ENV_MAX_AGENTS, "number of agents"),
    ENV_KEY_ROW_INT("env", "max_steps", F(max_steps), 1, 1000000, "steps per episode"),
    ENV_KEY_ROW_STRING("env", "source", F(source), ENV_NAME_LEN - 1,
                       "where the rules come from (a note)"),
    ENV_KEY_ROW_CHOICE("env", "extra_agents", F(extra_agents), "refuse random", NULL,
                       "agents beyond the map's spawn points: refused, or placed on random open "
                       "floor cells (Gallego)"),
    ENV_KEY_ROW_CHOICE("env", "order", F(order), "simultaneous sequential", NULL,
                       "simultaneous: moves, eating, beams, regrowth (SSD); sequential: agent by "
                       "agent in index order, then regrowth, then eating (Gallego)"),
    ENV_KEY_ROW_CHOICE("env", "overlap", F(overlap), "forbidden allowed", NULL,
                       "whether agents may share a cell and walk through each other"),
    ENV_KEY_ROW_INT("obs", "ahead", F(view_ahead), 0, ENV_MAX_VIEW, "cells seen ahead"),
    ENV_KEY_ROW_INT("obs", "behind", F(view_behind), 0, ENV_MAX_VIEW, "cells seen behind"),
    ENV_KEY_ROW_INT("obs", "side", F(view_side), 0, ENV_MAX_VIEW, "cells seen to each side"),
    ENV_KEY_ROW_CHOICE("obs", "encoding", F(encoding), "rgb ids", NULL,
                       "rgb: uint8 x 3 per cell; ids: one uint8 cell id per cell"),
    ENV_KEY_ROW_CHOICE("obs", "palette", F(palette), "ssd gallego ocean", NULL,
                       "colours of the rgb encoding"),
    ENV_KEY_ROW_BOOL("obs", "beams", F(obs_beams),
                     "observations show the last step's beams (the SSD code never does)"),
    ENV_KEY_ROW_BOOL("obs", "neighbours", F(obs_neighbours),
                     "features also hold every other agent's features, agents i+1.. i+N-1 "
                     "(mod N) after the agent's own (games with features: ocean, tragedy)"),
    ENV_KEY_ROW_INT("beam", "length", F(fire.length), 0, 64, "fire beam length (0: no beam)"),
    ENV_KEY_ROW_INT("beam", "width", F(fire.width), 1, 15, "fire beam width (odd)"),
    ENV_KEY_ROW_INT("beam", "side_start", F(fire.side_start), 0, 1,
                    "distance where side rays start: 0 beside the agent (SSD), 1 ahead"),
    ENV_KEY_ROW_BOOL("beam", "walls_block", F(fire.walls_block), "walls stop a ray"),
    ENV_KEY_ROW_BOOL("beam", "agents_block", F(fire.agents_block),
                     "the first agent hit stops a ray"),
    ENV_KEY_ROW_INT("beam", "cost", F(fire.cost), -1000, 1000, "reward lost by the firer"),
    ENV_KEY_ROW_INT("beam", "hit_penalty", F(hit_penalty), -1000, 1000,
                    "reward lost by each agent hit"),
    ENV_KEY_ROW_INT("beam", "hits_to_tag", F(hits_to_tag), 0, 255,
                    "hits that tag an agent out (0: never)"),
    ENV_KEY_ROW_INT("beam", "tag_steps", F(tag_steps), 1, 255, "steps a tagged agent stays out"),
    ENV_KEY_ROW_INT("clean", "length", F(clean.length), 0, 64, "cleaning beam length (0: none)"),
    ENV_KEY_ROW_INT("clean", "width", F(clean.width), 1, 15, "cleaning beam width (odd)"),
    ENV_KEY_ROW_INT("clean", "side_start", F(clean.side_start), 0, 1,
                    "distance where side rays start"),
    ENV_KEY_ROW_BOOL("clean", "walls_block", F(clean.walls_block), "walls stop a ray"),
    ENV_KEY_ROW_BOOL("clean", "agents_block", F(clean.agents_block), "the first agent stops a ray"),
    ENV_KEY_ROW_INT("clean", "cost", F(clean.cost), -1000, 1000, "reward lost by the cleaner"),
    ENV_KEY_ROW_BOOL("clean", "stops_at_waste", F(clean_stops_at_waste),
                     "a ray clears its first waste cell and stops (SSD); else clears all"),
    ENV_KEY_ROW_INT("apples", "reward", F(apple_reward), -1000, 1000, "reward for eating an apple"),
    ENV_KEY_ROW_BOOL("apples", "start", F(apples_start), "spawn points start with apples"),
    ENV_KEY_ROW_INT("apples", "respawn_steps", F(respawn_steps), 1, 1000000,
                    "fixed regrowth: steps until an eaten apple returns"),
    ENV_KEY_ROW_PROBS("regrowth", "probs", F(regrowth_ppb), F(n_regrowth), ENV_MAX_REGROWTH,
                      "density regrowth: p for 0, 1, 2, ... nearby apples; the last applies above"),
    ENV_KEY_ROW_CHOICE("regrowth", "shape", F(regrowth_shape), "square disc", NULL,
                       "neighbourhood: square (Chebyshev) or disc (dr^2 + dc^2 <= radius^2)"),
    ENV_KEY_ROW_INT("regrowth", "radius", F(regrowth_radius), 1, 8, "neighbourhood radius"),
    ENV_KEY_ROW_BOOL(
        "regrowth", "under_agents", F(regrowth_under_agents),
        "a spawn point under an agent may regrow (eaten at once in the sequential order)"),
    ENV_KEY_ROW_CHOICE("regrowth", "update", F(regrowth_in_place), "snapshot in_place", NULL,
                       "snapshot: every p from the state before the step; in_place: points in "
                       "order, each counting apples regrown earlier in the step"),
    ENV_KEY_ROW_PROB("pollution", "waste_spawn_prob", F(waste_spawn_ppb),
                     "per-step waste spawn probability"),
    ENV_KEY_ROW_CHOICE(
        "pollution", "waste_mode", F(waste_mode), "ssd single", NULL,
        "ssd: every clean river cell draws until one spawns; single: one draw a step"),
    ENV_KEY_ROW_PROB("pollution", "apple_max_prob", F(apple_max_ppb),
                     "apple regrowth probability with a clean river"),
    ENV_KEY_ROW_PROB("pollution", "depletion", F(depletion_ppb),
                     "waste density at or above which apples stop growing"),
    ENV_KEY_ROW_PROB("pollution", "restoration", F(restoration_ppb),
                     "waste density at or below which apples grow at the full rate"),
    ENV_KEY_ROW_CHOICE("pollution", "density", F(density_phase), "before_spawn after_spawn", NULL,
                       "apple regrowth follows the waste density before this step's waste "
                       "spawn (SSD) or after it (Gallego)"),
    ENV_KEY_ROW_BOOL("pollution", "under_agents", F(waste_under_agents),
                     "waste may spawn on a river cell under an agent (SSD)"),
    ENV_KEY_ROW_CHOICE("ocean", "currents", F(currents), "none uniform gyre", NULL,
                       "surface currents: none, one direction, or a gyre converging to a patch"),
    ENV_KEY_ROW_CHOICE("ocean", "current_dir", F(current_dir), "north east south west", NULL,
                       "direction of uniform currents"),
    ENV_KEY_ROW_PROB("ocean", "current_prob", F(current_ppb),
                     "probability that a cell's plastic drifts one cell in a step"),
    ENV_KEY_ROW_PROB("ocean", "gyre_inward", F(gyre_inward_ppb),
                     "gyre: weight of the inward pull against the circulation"),
    ENV_KEY_ROW_PROB("ocean", "source_prob", F(source_ppb),
                     "probability that a river mouth ('M') emits in a step"),
    ENV_KEY_ROW_INT("ocean", "source_units", F(source_units), 1, 1000, "units a river mouth emits"),
    ENV_KEY_ROW_PROB("ocean", "patch_prob", F(patch_ppb),
                     "probability that a patch appears at a random sea cell in a step"),
    ENV_KEY_ROW_INT("ocean", "patch_units", F(patch_units), 1, 100000, "units in a patch"),
    ENV_KEY_ROW_INT("ocean", "patch_radius", F(patch_radius), 0, 8,
                    "a patch covers the sea cells within this Chebyshev radius"),
    ENV_KEY_ROW_INT("ocean", "initial_patches", F(initial_patches), 0, 1000,
                    "patches placed at the start of an episode"),
    ENV_KEY_ROW_INT("ocean", "capacity", F(capacity), 1, 100000,
                    "units a vessel collects from its cell in a step"),
    ENV_KEY_ROW_BOOL("ocean", "beaching", F(beaching),
                     "plastic drifting onto land leaves the sea (beached); else it stays"),
    ENV_KEY_ROW_INT("ocean", "level_cap", F(level_cap), 1, 100000,
                    "units shown as the top plastic level in observations"),
    ENV_KEY_ROW_PROB("tragedy", "start", F(pool_start_ppb),
                     "the pool's level at the start of an episode (1 is a full pool)"),
    ENV_KEY_ROW_PROB("tragedy", "regrowth", F(pool_regen_ppb),
                     "added to the pool every step it is not depleted (the paper: 0.03..0.1)"),
    ENV_KEY_ROW_PROB("tragedy", "take", F(pool_take_ppb),
                     "taken when every valve opens; each agent's take is this over env.agents"),
};

/* the world's table: its keys, the world's message dialect, and where the keys are listed */
static const EnvKeyTable TABLE = {KEYS, (int)(sizeof KEYS / sizeof KEYS[0]), ENV_KEY_DIALECT_WORLD,
                                  "commons maps --keys"};

const EnvKeyTable *env_params_table(void) {
    return &TABLE;
}

void env_params_default(EnvParams *p) {
    memset(p, 0, sizeof *p);
    snprintf(p->preset, sizeof p->preset, "%s", "custom");
    p->game = ENV_GAME_GATHERING;
    snprintf(p->map, sizeof p->map, "%s", "gathering-small");
    p->n_agents = 2;
    p->max_steps = 1000;
    p->view_ahead = p->view_behind = p->view_side = 7;
    p->extra_agents = ENV_EXTRA_REFUSE;
    p->order = ENV_ORDER_SIMULTANEOUS;
    p->overlap = 0;
    p->encoding = ENV_ENC_RGB;
    p->palette = ENV_PALETTE_SSD;
    p->obs_beams = 1;
    p->fire = (EnvBeam){
        .length = 5, .width = 3, .side_start = 0, .walls_block = 1, .agents_block = 1, .cost = 0};
    p->clean = p->fire;
    p->clean.length = 0;
    p->hit_penalty = 0;
    p->hits_to_tag = 2;
    p->tag_steps = 25;
    p->apple_reward = 1;
    p->apples_start = 1;
    p->respawn_steps = 25;
    p->n_regrowth = 4;
    p->regrowth_ppb[1] = 5000000;
    p->regrowth_ppb[2] = 20000000;
    p->regrowth_ppb[3] = 50000000;
    p->regrowth_shape = ENV_SHAPE_SQUARE;
    p->regrowth_radius = 1;
    p->regrowth_under_agents = 0;
    p->regrowth_in_place = 0;
    p->waste_spawn_ppb = 500000000;
    p->waste_mode = ENV_WASTE_SSD;
    p->apple_max_ppb = 50000000;
    p->depletion_ppb = 400000000;
    p->restoration_ppb = 0;
    p->density_phase = ENV_DENSITY_AFTER_SPAWN;
    p->waste_under_agents = 0;
    p->currents = ENV_CURRENTS_NONE;
    p->current_dir = ENV_EAST;
    p->current_ppb = 200000000;
    p->gyre_inward_ppb = 200000000;
    p->source_ppb = 0;
    p->source_units = 1;
    p->patch_ppb = 0;
    p->patch_units = 20;
    p->patch_radius = 1;
    p->initial_patches = 0;
    p->capacity = 1;
    p->beaching = 1;
    p->level_cap = 8;
    p->pool_start_ppb = 500000000;
    p->pool_regen_ppb = 55000000;
    p->pool_take_ppb = 100000000;
}

int env_params_set(EnvParams *p, const char *section, const char *key, const char *value,
                   EnvError *err) {
    return env_keys_set(&TABLE, p, section, key, value, err);
}

int env_params_get(const EnvParams *p, const char *section, const char *key, char *buf, size_t n) {
    return env_keys_get(&TABLE, p, section, key, buf, n);
}

void env_params_write_ini(const EnvParams *p, FILE *f) {
    fprintf(f, "; effective config (preset '%s')\n", p->preset);
    env_keys_write_ini(&TABLE, p, f);
}

int env_params_key(int i, const char **section, const char **key, char *range, size_t n,
                   const char **doc) {
    return env_keys_describe(&TABLE, i, section, key, range, n, doc);
}

const char *env_game_name(EnvGame g) {
    static const char *names[] = {"gathering", "harvest", "cleanup", "ocean", "tragedy"};
    return (g >= 0 && g < ENV_GAME_COUNT) ? names[g] : "?";
}

int env_game_n_actions(EnvGame g) {
    if (g == ENV_GAME_OCEAN) return 5;
    if (g == ENV_GAME_TRAGEDY) return 2;
    return g == ENV_GAME_CLEANUP ? 9 : 8;
}

const char *env_action_name(int a) {
    static const char *names[] = {"forward",    "backward", "left", "right", "turn_left",
                                  "turn_right", "stay",     "fire", "clean"};
    return (a >= 0 && a < ENV_ACT_COUNT) ? names[a] : "?";
}
