/* env.h: the public interface of the worlds (Gathering, Harvest/Commons, Cleanup, the ocean,
 * the Tragedy water pool).
 *
 * Contract (see DESIGN.md):
 * - EnvParams is a plain value holding every setting; env_params_set() changes one key with
 *   validation. EnvConfig is built once from EnvParams (map loaded and checked) and is const
 *   afterwards; many worlds may share one config.
 * - EnvWorld holds the mutable state of one world. Observation, reward and done buffers belong to
 *   the caller; the world writes into them and never frees them. No allocation inside a step.
 * - Dynamics are integer-only and every random draw comes from a stream seeded by hashing
 *   (run seed, world index, episode index, purpose). The same config and seed give the same bytes.
 * - Library calls return 0 or a negative ENV_E* code and fill an EnvError with a message that
 *   names the place (file:line:col for maps and configs, the key and its range for parameters).
 */
#ifndef COMMONS_ENV_H
#define COMMONS_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rng.h"

#define ENV_MAX_AGENTS 32
/* Limits follow from the types: a map side fits a uint8 (and the u16 of a replay's map hash),
 * so a map holds at most 255 x 255 = 65025 cells, and every per-cell index (apple and river
 * slots, padded cell indices) is int32. */
#define ENV_MAX_MAP_SIDE 255
#define ENV_MAX_VIEW 32
#define ENV_MAX_REGROWTH 8
#define ENV_GEO_SPAN 1024 /* entries of each harvest geometric table */
#define ENV_NAME_LEN 128

/* Error codes, the one table of them (names in env_error_name()). Library calls return ENV_OK or
 * one of these, never another negative number. Bad input (the CLI exits 2) is ENV_EINPUT,
 * including a file that is truncated, corrupted, of another version or not what it claims to be;
 * everything else is a runtime failure (the CLI exits 1). -1 is never used, so a stray bare -1
 * cannot pass for a code. */
enum {
    ENV_OK = 0,
    ENV_EINPUT = -2,    /* bad input: a key, value, map, config, option or file that is refused */
    ENV_ENOMEM = -3,    /* out of memory; the message names what was being allocated */
    ENV_EIO = -4,       /* the file system or a child process failed: open, write, fsync, rename */
    ENV_EMISMATCH = -5, /* a replayed trajectory differs from its recording (another build?) */
    ENV_ENOTFOUND = -6, /* a look-up found nothing: an unknown key, an index past the end */
};

/* The name of an error code ("ENV_EINPUT"), or "unknown error code". */
const char *env_error_name(int code);

typedef struct EnvError {
    int code;
    char msg[512];
} EnvError;

/* Records a message in err (when not NULL) and returns code. */
int env_fail(EnvError *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* games: one .c file each. The game sets the resource rule: gathering regrows a fixed time after
 * an apple is eaten, harvest by the density of nearby apples, cleanup by river pollution; ocean
 * is the macroplastic world (ocean.c): plastic from river mouths and patches drifts on currents
 * and vessels collect it; tragedy is the water pool of Pretorius et al. 2020 (tragedy.c): valve
 * agents take from a shared pool that regrows until it runs dry. */
typedef enum {
    ENV_GAME_GATHERING = 0,
    ENV_GAME_HARVEST,
    ENV_GAME_CLEANUP,
    ENV_GAME_OCEAN,
    ENV_GAME_TRAGEDY,
    ENV_GAME_COUNT
} EnvGame;

/* tragedy actions: close the valve (wait) or open it (take) */
enum { ENV_TRAGEDY_WAIT = 0, ENV_TRAGEDY_TAKE };

/* ocean actions: absolute moves (vessels have no facing) */
enum { ENV_OCEAN_STAY = 0, ENV_OCEAN_NORTH, ENV_OCEAN_EAST, ENV_OCEAN_SOUTH, ENV_OCEAN_WEST };

/* actions: egocentric, the same numbering in every game; a game uses the first n_actions */
enum {
    ENV_ACT_FORWARD = 0,
    ENV_ACT_BACKWARD,
    ENV_ACT_LEFT,   /* strafe left */
    ENV_ACT_RIGHT,  /* strafe right */
    ENV_ACT_TURN_L, /* rotate counter-clockwise */
    ENV_ACT_TURN_R, /* rotate clockwise */
    ENV_ACT_STAY,
    ENV_ACT_FIRE,  /* tagging / penalty beam */
    ENV_ACT_CLEAN, /* cleaning beam (Cleanup only) */
    ENV_ACT_COUNT
};

/* orientations: north is -row, east is +col */
enum { ENV_NORTH = 0, ENV_EAST, ENV_SOUTH, ENV_WEST };

/* observation encodings */
typedef enum { ENV_ENC_RGB = 0, ENV_ENC_IDS } EnvEncoding;
typedef enum { ENV_PALETTE_SSD = 0, ENV_PALETTE_GALLEGO, ENV_PALETTE_OCEAN } EnvPalette;

/* cell ids, as written by the `ids` encoding (one uint8 per cell) */
enum {
    ENV_ID_EMPTY = 0,
    ENV_ID_WALL,
    ENV_ID_APPLE,
    ENV_ID_WASTE,
    ENV_ID_RIVER,
    ENV_ID_STREAM,
    ENV_ID_OUTSIDE, /* beyond the map edge */
    ENV_ID_FIRE,    /* a penalty beam fired this step */
    ENV_ID_CLEAN,   /* a cleaning beam fired this step */
    ENV_ID_SELF,
    ENV_ID_OTHER,
    ENV_ID_TAGGED,   /* an agent that is tagged out */
    ENV_ID_SOURCE,   /* ocean: a river mouth without plastic */
    ENV_ID_PLASTIC1, /* ocean: plastic, levels 1 (least) to 4 (ocean.level_cap units or more) */
    ENV_ID_PLASTIC2,
    ENV_ID_PLASTIC3,
    ENV_ID_PLASTIC4,
    ENV_ID_COUNT
};
#define ENV_PLASTIC_LEVELS 4

/* regrowth neighbourhood shapes and waste spawning modes */
typedef enum { ENV_SHAPE_SQUARE = 0, ENV_SHAPE_DISC } EnvShape;
typedef enum { ENV_WASTE_SSD = 0, ENV_WASTE_SINGLE } EnvWasteMode;
typedef enum { ENV_CURRENTS_NONE = 0, ENV_CURRENTS_UNIFORM, ENV_CURRENTS_GYRE } EnvCurrents;
/* step order (step.order): every agent at once (the SSD code, Melting Pot), or one agent after
 * another in index order (Gallego's code); see step.c */
typedef enum { ENV_ORDER_SIMULTANEOUS = 0, ENV_ORDER_SEQUENTIAL } EnvOrder;
/* agents beyond the map's spawn points (env.extra_agents): refused, or on random open cells */
typedef enum { ENV_EXTRA_REFUSE = 0, ENV_EXTRA_RANDOM } EnvExtraAgents;
/* which waste density sets the apple regrowth probability (pollution.density): the density
 * before this step's waste spawn (the SSD code) or after it (Gallego's code) */
typedef enum { ENV_DENSITY_BEFORE_SPAWN = 0, ENV_DENSITY_AFTER_SPAWN } EnvDensityPhase;
#define ENV_MAX_SIGNAL_BITS 4
#define ENV_MAX_HEADS (1 + ENV_MAX_SIGNAL_BITS)

/* Probabilities and fractions are stored exactly as parts per billion (1e9 = 1.0). */
#define ENV_PPB 1000000000LL

typedef struct EnvBeam {
    int length;       /* cells along the facing direction */
    int width;        /* odd: rays side by side, centred on the agent */
    int side_start;   /* distance where side rays start: 0 (SSD, beside the agent) or 1 */
    int walls_block;  /* 1: a ray stops at a wall; 0: it passes through */
    int agents_block; /* 1: a ray stops at the first agent it hits */
    int cost;         /* reward subtracted from the firer */
} EnvBeam;

typedef struct EnvParams {
    char preset[ENV_NAME_LEN]; /* preset name the params came from, for the record */
    char source[ENV_NAME_LEN * 2];
    EnvGame game;
    char map[ENV_NAME_LEN]; /* built-in map name or a path to a map file */
    int n_agents;
    int max_steps;
    EnvExtraAgents extra_agents; /* agents beyond the spawn points: refused or placed at random */
    /* step rules */
    EnvOrder order; /* simultaneous or sequential (agent by agent in index order) */
    int overlap;    /* 1: agents may share a cell (and walk through each other) */
    /* observation window, in cells, relative to the agent facing up */
    int view_ahead, view_behind, view_side;
    EnvEncoding encoding;
    EnvPalette palette;
    int obs_beams;      /* 1: observations show the last step's beams */
    int obs_neighbours; /* 1: features hold every agent's game features, own first, then agents
                           i+1, ..., i+N-1 (mod N): the neighbours' observations */
    /* beams */
    EnvBeam fire;
    EnvBeam clean;
    int clean_stops_at_waste; /* 1: each clean ray stops at (and clears) its first waste cell */
    int hit_penalty;          /* reward subtracted from an agent hit by a fire beam */
    int hits_to_tag;          /* hits that tag an agent out; 0 disables tag-out */
    int tag_steps;            /* steps a tagged agent is out */
    /* apples */
    int apple_reward;
    int apples_start;  /* 1: every apple spawn point starts with an apple */
    int respawn_steps; /* fixed regrowth: an eaten apple returns this many steps later */
    /* density regrowth: p = regrowth_ppb[min(neighbours, n_regrowth - 1)] */
    int64_t regrowth_ppb[ENV_MAX_REGROWTH];
    int n_regrowth;
    EnvShape regrowth_shape;
    int regrowth_radius;
    int regrowth_under_agents; /* 1: a spawn point under an agent may regrow */
    int regrowth_in_place;     /* 1: spawn points regrow one by one, each seeing earlier ones */
    /* pollution (Cleanup) */
    int64_t waste_spawn_ppb;
    EnvWasteMode waste_mode;
    int64_t apple_max_ppb;         /* apple regrowth probability with a clean river */
    int64_t depletion_ppb;         /* waste density at or above which apples stop growing */
    int64_t restoration_ppb;       /* waste density at or below which apples grow at full rate */
    EnvDensityPhase density_phase; /* the density apples regrow by: before or after the spawn */
    int waste_under_agents;        /* 1: waste may spawn on a river cell under an agent */
    /* ocean */
    EnvCurrents currents;
    int current_dir;         /* uniform currents: ENV_NORTH .. ENV_WEST */
    int64_t current_ppb;     /* probability that a cell's plastic drifts one cell a step */
    int64_t gyre_inward_ppb; /* gyre: weight of the inward pull against the circulation */
    int64_t source_ppb;      /* probability that a river mouth emits in a step */
    int source_units;        /* units a river mouth emits */
    int64_t patch_ppb;       /* probability that a patch appears somewhere in a step */
    int patch_units;         /* units in a patch */
    int patch_radius;        /* a patch covers the sea cells within this Chebyshev radius */
    int initial_patches;     /* patches placed at reset */
    int capacity;            /* units a vessel collects in a step */
    int beaching;            /* 1: plastic drifting onto land is beached (leaves the sea) */
    int level_cap;           /* units shown as the top plastic level */
    /* tragedy: fractions of a full pool (1.0), parts per billion */
    int64_t pool_start_ppb; /* the pool's level at the start of an episode */
    int64_t pool_regen_ppb; /* added to the pool each step it is not depleted */
    int64_t pool_take_ppb;  /* taken by all agents together when every valve opens (each N-th) */
} EnvParams;

/* Sets every field to its neutral default (Gathering rules on the small map). */
void env_params_default(EnvParams *p);

/* Sets one key, e.g. ("beam", "length", "5"). Validates type and range; on failure returns
 * ENV_EINPUT with a message naming the key, the value and what is allowed. */
int env_params_set(EnvParams *p, const char *section, const char *key, const char *value,
                   EnvError *err);

/* Writes the params as an INI file that env_params_set() reads back to the same values. */
void env_params_write_ini(const EnvParams *p, FILE *f);

/* Iterates over the documented keys: returns 0 and fills the strings for index i, or ENV_ENOTFOUND
 * past the end. */
int env_params_key(int i, const char **section, const char **key, char *range, size_t n,
                   const char **doc);

/* Formats the current value of one key into buf. Returns 0, or ENV_ENOTFOUND for an unknown key. */
int env_params_get(const EnvParams *p, const char *section, const char *key, char *buf, size_t n);

/* the names of games, encodings and palettes */
const char *env_game_name(EnvGame g);
int env_game_n_actions(EnvGame g);
const char *env_action_name(int a);

/* A parsed map: rows of cell chars, before padding. */
typedef struct EnvMap {
    char name[ENV_NAME_LEN];
    int h, w;
    char *cells; /* (h, w) map characters */
} EnvMap;

/* Parses map text. `origin` names it in messages ("maps/x.txt" or "built-in map 'x'").
 * Errors: unknown character (with line, column and the allowed set), ragged rows, empty map,
 * a map larger than ENV_MAX_MAP_SIDE, no spawn point. */
int env_map_parse(EnvMap *m, const char *text, const char *origin, EnvError *err);
/* Loads a built-in map by name, or a file when the name contains '/' or ends in ".txt". */
int env_map_load(EnvMap *m, const char *name, EnvError *err);
void env_map_close(EnvMap *m);
/* Built-in map text by name, or NULL. */
const char *env_builtin_map(const char *name);
/* Built-in preset INI text by name, or NULL. */
const char *env_builtin_preset(const char *name);
/* Names of built-ins, for listings: returns NULL past the end. */
const char *env_builtin_map_name(int i);
const char *env_builtin_preset_name(int i);
/* Joins the names of the built-in maps (presets = 0) or presets (1) with ", ". */
void env_builtin_list(int presets, char *buf, size_t n);

/* The spec of a world: what a caller needs to size its buffers, without building a world. */
typedef struct EnvSpec {
    int n_agents;
    int n_actions;
    int obs_h, obs_w, obs_c; /* one agent's observation */
    size_t obs_size;         /* obs_h * obs_w * obs_c bytes */
    int state_h, state_w;    /* the global-state view, unpadded */
    int max_steps;
    EnvEncoding encoding;
    int n_heads;                  /* 1; comm_spec() adds the signal heads */
    int head_size[ENV_MAX_HEADS]; /* (n_heads,) choices of each action head: the game's, then 2s */
    int n_features;               /* extra float features per agent (ocean: own row and column) */
} EnvSpec;

int env_spec(const EnvParams *p, EnvSpec *spec, EnvError *err);

/* The immutable part of a world: params, the map and everything derived from it. Every pointer
 * member is deep-copied into the policies' snapshot by copy_config() in sim/view.c: a new one
 * must be added there. */
typedef struct EnvConfig {
    EnvParams p;
    EnvSpec spec;
    EnvMap map;
    int pad;                /* padding of the grid on every side (beams, neighbourhoods) */
    int hp, wp;             /* padded grid size */
    int n_spawn;            /* agent spawn points */
    int32_t *spawn;         /* (n_spawn,) padded cell index */
    int n_open;             /* open floor cells (' ' and 'P'), where extra agents may start */
    int32_t *open;          /* (n_open,) padded cell index */
    int n_apple;            /* apple spawn points */
    int32_t *apple;         /* (n_apple,) padded cell index */
    int n_river;            /* river cells that can hold waste */
    int32_t *river;         /* (n_river,) padded cell index */
    uint8_t *base;          /* (hp, wp) cell ids at the start of an episode, no agents */
    int32_t *apple_slot;    /* (hp, wp) index into apple[] or -1 (int32: every cell may be one) */
    int32_t *rot_index;     /* (hp * wp, 4) byte offset of each map cell in each rotated grid
                               from the start of the first, or -1 off the map */
    int32_t *river_slot;    /* (hp, wp) index into river[] or -1 (int32: every cell may be one) */
    int rot_h[4], rot_w[4]; /* size, in cells, of each rotated grid */
    size_t rot_off[4];      /* offset, in cells, of each rotated grid in a world's block */
    size_t rot_cells;       /* cells of the four rotated grids together */
    int scratch_n;          /* length of a world's scratch array */
    int32_t move_delta[4][ENV_ACT_COUNT]; /* index delta of each action for each orientation */
    int egocentric;      /* 1: actions are relative to facing (grid games); 0: absolute */
    int n_rot;           /* rotated grids kept: 4, or 1 when agents have no facing */
    int n_source;        /* ocean river mouths */
    int32_t *source;     /* (n_source,) padded cell index */
    int n_sea;           /* ocean: cells plastic can occupy */
    int32_t *sea;        /* (n_sea,) padded cell index */
    uint8_t *drift_dir;  /* (hp * wp, 2) ocean: two drift directions (ENV_NORTH..) per cell */
    uint32_t *drift_thr; /* (hp * wp, 2) ocean: cumulative thresholds of those directions */
    int n_nbr;           /* regrowth neighbourhood size */
    int32_t nbr[(2 * 8 + 1) * (2 * 8 + 1)];  /* (n_nbr,) index offsets, self excluded */
    uint64_t regrowth_thr[ENV_MAX_REGROWTH]; /* probabilities as thresholds on a 32-bit draw */
    uint32_t *geo; /* (n_regrowth, ENV_GEO_SPAN) harvest: (1 - p)^k * 2^32, see harvest.c */
    uint64_t waste_thr, apple_max_thr;
    uint8_t colour[ENV_ID_COUNT][3]; /* palette for the rgb encoding */
    uint8_t agent_colour[ENV_MAX_AGENTS][3];
    size_t world_bytes; /* size of the state block of one world */
} EnvConfig;

/* Builds a config: validates the params together, loads the map, checks that the agents fit. */
int env_config_init(EnvConfig *cfg, const EnvParams *p, EnvError *err);
void env_config_close(EnvConfig *cfg);

typedef struct EnvAgent {
    int32_t pos;     /* padded cell index */
    uint8_t orient;  /* ENV_NORTH .. ENV_WEST */
    uint8_t timeout; /* steps left tagged out; 0 when active */
    uint8_t hits;    /* beam hits since the last tag-out */
    uint8_t fired;   /* beam fired this step: 0, ENV_ACT_FIRE or ENV_ACT_CLEAN */
} EnvAgent;

/* streaming social metrics of one episode (games.md section 2), and restraint (Pretorius et al.
 * 2020): the fraction of steps an agent waits, in games with a wait action */
typedef struct EnvMetrics {
    int n_agents;
    int has_wait; /* 1 once a step reported which agents waited (a game with a wait action) */
    int32_t steps;
    int64_t ret[ENV_MAX_AGENTS];       /* (n_agents,) integer returns */
    int64_t pos_t_sum[ENV_MAX_AGENTS]; /* (n_agents,) sum of 0-based steps with reward > 0 */
    int32_t pos_n[ENV_MAX_AGENTS];     /* (n_agents,) steps with reward > 0 */
    int64_t tagged_steps;              /* (agent, step) pairs tagged out at the end of a step */
    int32_t waited[ENV_MAX_AGENTS];    /* (n_agents,) steps the agent chose the wait action */
    int64_t beams;                     /* fire beams fired (an agent firing in a step is one) */
} EnvMetrics;

/* The social metrics of an episode. restraint is the mean over agents of the fraction of steps
 * each waited; ENV_NO_RESTRAINT (negative) in a game without a wait action. beams is the fire
 * beams fired per step, summed over agents (0..N; Leibo et al. 2017's beam use), cleaning beams
 * not counted. */
typedef struct EnvSocial {
    double efficiency, equality, sustainability, peace, restraint, beams;
} EnvSocial;
#define ENV_NO_RESTRAINT (-1.0)

void env_metrics_init(EnvMetrics *m, int n_agents);
/* Adds one step: rewards (n_agents,) and tagged flags (n_agents,) after the step, and waited
 * flags (n_agents,): 1 where the agent chose the wait action, or NULL in a game without one. */
void env_metrics_step(EnvMetrics *m, const int32_t *rewards, const uint8_t *tagged,
                      const uint8_t *waited);
void env_metrics_finish(const EnvMetrics *m, EnvSocial *out);
/* Adds the fire beams fired in the step being counted (call before env_metrics_step). */
void env_metrics_beams(EnvMetrics *m, int fired);
/* Agent i's restraint: waited steps over steps (0 before the first step), or ENV_NO_RESTRAINT in a
 * game without a wait action. */
double env_metrics_restraint(const EnvMetrics *m, int i);

/* the mutable state of one world */
typedef struct EnvWorld {
    const EnvConfig *cfg;
    uint64_t seed, index, episode;
    int32_t tick;
    EnvRng rng;    /* dynamics stream of this episode: move conflicts and regrowth */
    EnvRng events; /* events stream of this episode: draws that never depend on the state */
    EnvAgent agent[ENV_MAX_AGENTS];
    int32_t reward[ENV_MAX_AGENTS];      /* (n_agents,) integer rewards of the last step */
    int32_t n_waste;                     /* river cells holding waste */
    int32_t n_apples;                    /* apples on the map */
    int32_t bad_actions;                 /* out-of-range actions seen (treated as stay) */
    int64_t spawned, collected, beached; /* ocean: plastic units so far this episode */
    int64_t pool;     /* tragedy: water in the pool, in units of 1 / (n_agents * 1e9) of a full
                         pool (tragedy.c); negative once a step took more than there was */
    int32_t depleted; /* tragedy: 1 when the last step ran the pool dry (the episode ends) */
    int32_t regrow_skip[ENV_MAX_REGROWTH]; /* harvest: failures left before each class's next
                                              regrowth, -1 undrawn (see harvest.c) */
    EnvMetrics metrics;                    /* the episode in progress */
    EnvMetrics last_metrics; /* the last finished episode (set by env_batch_step's auto-reset) */
    int32_t episodes_done;   /* episodes finished by auto-reset */
    /* views into one allocation */
    uint8_t *cell;         /* (hp, wp) cell ids without agents or beams */
    uint8_t *occ;          /* (hp, wp) agent index + 1, or 0 */
    uint8_t *rot[4];       /* (4) encoded grid rotated so each orientation faces up */
    uint64_t *apple_empty; /* (ceil(n_apple / 64),) bit set: spawn point without an apple */
    uint64_t *class_empty; /* (ENV_MAX_REGROWTH, ceil(n_apple / 64)) harvest: the empty spawn
                              points of each regrowth class */
    uint64_t *river_clean; /* (ceil(n_river / 64),) bit set: river cell without waste */
    uint8_t *nbr_count;    /* (n_apple,) apples in each spawn point's neighbourhood */
    int32_t *plastic;      /* (hp, wp) ocean: plastic units per cell */
    uint64_t *afloat;      /* (ceil(hp * wp / 64),) ocean: bit set of cells holding plastic */
    int32_t *respawn_at;   /* (n_apple,) tick when an eaten apple returns (fixed regrowth) */
    int32_t *scratch;      /* (scratch_n,) temporary indices inside one call */
    int32_t *beam;         /* (beam_cap,) cells a beam crossed in the last step */
    uint8_t *beam_id;      /* (beam_cap,) ENV_ID_FIRE or ENV_ID_CLEAN */
    int32_t n_beam, beam_cap;
    void *block;
} EnvWorld;

/* Allocates the state of one world. `index` is the world's global index (not a thread's). */
int env_world_init(EnvWorld *w, const EnvConfig *cfg, uint64_t seed, uint64_t index, EnvError *err);
void env_world_close(EnvWorld *w);

/* Starts episode `episode`: places agents and resources from that episode's streams. */
void env_reset(EnvWorld *w, uint64_t episode);

/* Ends the episode in progress and starts the next (auto-reset): its observation goes into
 * final_obs (n_agents, obs_size) when not NULL, its metrics into last_metrics, and
 * episodes_done counts it. */
void env_auto_reset(EnvWorld *w, uint8_t *final_obs);

/* How a step left the episode: still running, ended by the game (a terminal state, whose value
 * is 0), or cut by the time limit max_steps (a truncation: the episode could have gone on, so a
 * learner bootstraps from the value of the last observation). */
enum { ENV_RUNNING = 0, ENV_TERMINATED = 1, ENV_TRUNCATED = 2 };

/* Steps one world. actions: (n_agents,) int32; rewards: (n_agents,) float or NULL.
 * Returns ENV_RUNNING, ENV_TERMINATED or ENV_TRUNCATED (tick == max_steps). */
int env_step(EnvWorld *w, const int32_t *actions, float *rewards);

/* Writes every agent's observation: obs (n_agents, obs_h, obs_w, obs_c). */
void env_observe(const EnvWorld *w, uint8_t *obs);

/* The naive reference of env_observe (one cell at a time), kept for the tests. */
void env_observe_naive(const EnvWorld *w, uint8_t *obs);

/* Steps a batch of n worlds in one call; every buffer belongs to the caller, and any but actions
 * may be NULL.
 *   actions      (n, n_agents) int32
 *   obs          (n, n_agents, obs_h, obs_w, obs_c) the observation after the step
 *   rewards      (n, n_agents) float
 *   terminations (n,) 1 when the step ended the world's episode in a terminal state
 *   truncations  (n,) 1 when the time limit cut the world's episode
 *   final_obs    (n, n_agents, obs_h, obs_w, obs_c): for a world whose episode ended, the
 *                observation of its last state (a learner bootstraps a truncation from it);
 *                the rows of the other worlds are left as they were.
 * A world whose episode ended is reset to its next episode (auto-reset) before its observation
 * is written, its metrics kept in last_metrics. */
void env_batch_step(EnvWorld *worlds, int n, const int32_t *actions, uint8_t *obs, float *rewards,
                    uint8_t *terminations, uint8_t *truncations, uint8_t *final_obs);

/* Writes every agent's extra features: out (n_agents, spec.n_features). Ocean: own row and column
 * divided by the map's height and width; tragedy: the level and own total taken. With
 * obs.neighbours = 1 (the neighbours' observations), row i holds the game's features of agents
 * i, i+1, ..., i+N-1 (mod N), so spec.n_features is N times the game's. */
void env_features(const EnvWorld *w, float *out);

/* Plastic units afloat (ocean), summed over the grid. */
int64_t env_plastic_afloat(const EnvWorld *w);

/* The global state: every cell with agents and beams, (state_h, state_w, obs_c) in the
 * config's encoding. Agents are ENV_ID_OTHER/ENV_ID_TAGGED, in rgb each in its own colour. */
void env_global_state(const EnvWorld *w, uint8_t *out);

/* A 64-bit hash of the whole state: tick, cells, agents, resources, RNG and returns. */
uint64_t env_state_hash(const EnvWorld *w);

/* What a policy or a renderer reads of a world. env_view() fills one that points into the live
 * world (for the env's own code and tests); policies and renderers are given a snapshot of it
 * instead (sim/view.h: a copy in read-only memory, its cfg a deep copy of the config), so that
 * nothing they are given leads to the world's state. `const` alone is not the protection. */
typedef struct EnvView {
    const EnvConfig *cfg;
    int n_agents, tick, max_steps;
    int hp, wp, pad;       /* padded grid: cell index = (row + pad) * wp + (col + pad) */
    const uint8_t *cell;   /* (hp, wp) cell ids */
    const uint8_t *occ;    /* (hp, wp) agent index + 1, or 0 */
    const EnvAgent *agent; /* (n_agents,) */
    const int32_t *reward; /* (n_agents,) last step's rewards */
    const EnvMetrics *metrics;
    int n_waste, n_river, n_apples;
    const int32_t *beam;    /* (n_beam,) cells the last step's beams crossed */
    const uint8_t *beam_id; /* (n_beam,) ENV_ID_FIRE or ENV_ID_CLEAN */
    int n_beam;
    const int32_t *plastic;  /* (hp, wp) ocean plastic units, or NULL */
    int64_t pool, pool_full; /* tragedy: the pool and a full pool in pool units; 0 elsewhere */
    int64_t pool_take;       /* tragedy: one valve's take in pool units; 0 elsewhere */
    const float *msg;        /* (n_agents, msg_size) received messages, set by comm/, or NULL */
    int msg_size;
    int n_bits;      /* signal bits per agent in the messages (set by comm/), or 0 */
    float msg_scale; /* message offsets are cell offsets divided by this */
} EnvView;

void env_view(const EnvWorld *w, EnvView *v);

/* movement helpers shared by the world and the scripted policies */
extern const int env_dr[4]; /* (4,) row step of each orientation */
extern const int env_dc[4]; /* (4,) col step of each orientation */
/* The padded-index delta that `action` moves an agent facing `orient`, or 0. */
int env_move_delta(const EnvConfig *cfg, int orient, int action);

#endif
