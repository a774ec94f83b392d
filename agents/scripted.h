/* scripted.h: hand-written policies that read a const view of a world.
 *
 * - random: a uniform action from the game's action set.
 * - greedy: breadth-first search to the nearest apple (through other agents where agents may
 *   share cells, env.overlap), stepping there without turning.
 * - coop:   a cooperative reference per game:
 *     gathering: greedy over the apples closer to this agent than to any other (a Voronoi share);
 *     harvest:   restraint: eats only apples with at least `coop_min_neighbours` apples around
 *                them, so sparse patches can regrow;
 *     cleanup:   a waste-adaptive cleaner quota: the lowest-indexed agents clean (the more waste,
 *                the more cleaners), the others harvest;
 *     ocean:     the signalling vessel: it signals 1 while it sees a stack of at least
 *                SCRIPTED_SIGNAL_UNITS units, and with no plastic in view it heads for the nearest
 *                neighbour it heard signal 1 (from its received message), else it wanders.
 *   In the ocean, greedy goes to the densest plastic in view (ties: nearest, then scan order),
 *   stays on plastic while there is any, and wanders when it sees none; it never signals.
 *   In the tragedy, greedy always opens its valve (take); coop (and gallego) takes while the pool
 *   is at or above its start level (tragedy.start) and waits below it, which keeps the pool from
 *   running dry at any positive regrowth.
 * - gallego: the published Cleanup policy of Gallego 2026 (games.md 3.4) rule for rule: a cleaner
 *   quota by waste count, cleaners chosen as the leftmost agents by column, row zones, cleaning
 *   only when the beam rectangle covers waste; the others gather (scripted_gallego.c).
 * Policies never fire the tagging beam. Each agent's policy has its own random stream, keyed by
 * (seed, world, episode, ENV_STREAM_POLICY, agent).
 */
#ifndef COMMONS_SCRIPTED_H
#define COMMONS_SCRIPTED_H

#include "env.h"

typedef enum {
    SCRIPTED_RANDOM = 0,
    SCRIPTED_GREEDY,
    SCRIPTED_COOP,
    SCRIPTED_GALLEGO,
    SCRIPTED_COUNT
} ScriptedKind;

/* Parses a policy name; returns 0, or ENV_EINPUT with a message listing the names. */
int scripted_parse(const char *name, ScriptedKind *out, EnvError *err);
const char *scripted_name(ScriptedKind k);

/* BFS scratch shared by the policies of one world; sized for a config. */
typedef struct ScriptedScratch {
    int32_t *queue; /* (hp * wp,) cells to visit */
    uint8_t *first; /* (hp * wp,) first move direction + 1 from the start, 0 unvisited */
    uint8_t *mark;  /* (hp * wp,) goal cells of a search (gallego) */
    int n;
} ScriptedScratch;

int scripted_scratch_init(ScriptedScratch *s, const EnvConfig *cfg);
void scripted_scratch_close(ScriptedScratch *s);

typedef struct ScriptedPolicy {
    ScriptedKind kind;
    int agent;
    EnvRng rng;
    int wander_dir;  /* ocean: the heading of a wander (ENV_OCEAN_NORTH..WEST) */
    int wander_left; /* ocean: steps left on that heading */
} ScriptedPolicy;

/* Seeds an agent's policy for one episode of one world. */
void scripted_init(ScriptedPolicy *pol, ScriptedKind kind, int agent, uint64_t seed, uint64_t world,
                   uint64_t episode);

/* Chooses the agent's action from the view. */
int scripted_act(ScriptedPolicy *pol, const EnvView *v, ScriptedScratch *s);

/* The signal bits (bit b set for signal b) the agent emits this step: the signalling ocean
 * vessel's bit 0; 0 for every other policy. */
unsigned scripted_signals(const ScriptedPolicy *pol, const EnvView *v);

/* ocean: a stack this large in view makes the signalling vessel signal */
#define SCRIPTED_SIGNAL_UNITS 4

/* Internal to agents/scripted*.c. A search goal: is cell idx one agent `agent` looks for? */
typedef int (*ScriptedGoal)(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s);

/* Internal to agents/scripted*.c. Breadth-first search from the agent's cell: returns the world
 * direction (ENV_NORTH..ENV_WEST) of the first step toward the nearest goal cell, 4 when the agent
 * stands on one, -1 (not an error) when none is reachable. Neighbours are expanded in `order`;
 * walls and the map edge block, other agents too unless through_agents. */
int scripted_bfs(const EnvView *v, int agent, const int order[4], int through_agents,
                 ScriptedGoal goal, ScriptedScratch *s);

/* The gallego policy's action for agent `me` (scripted_gallego.c). */
int scripted_gallego_act(const EnvView *v, int me, ScriptedScratch *s);

/* The quota of cleaners the cooperative Cleanup policy assigns for a waste count. */
int scripted_cleaner_quota(int n_waste, int n_agents, int apples_present);

/* coop Harvest restraint: minimum number of neighbouring apples for an apple to be eaten */
#define SCRIPTED_COOP_MIN_NEIGHBOURS 2

#endif
