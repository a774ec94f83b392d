/* gathering.c: Gathering (Leibo et al. 2017, parameterised as in Gallego 2026).
 *
 * Map legend: '@' wall, ' ' or '.' floor, 'P' agent spawn point, 'A' apple spawn point (an apple
 * there at the start when apples.start = 1, the presets' choice); 'H' and 'R' (river) and 'S'
 * (stream) are accepted and are inert cells; 'M' (a river mouth) is refused: it belongs to the
 * ocean game.
 *
 * Actions (8, agents face a direction): 0 forward, 1 backward, 2 strafe left, 3 strafe right,
 * 4 turn left, 5 turn right, 6 stay, 7 fire. Out-of-range actions count as bad_actions and stay.
 *
 * Beam (the fire action; the beam.* keys): beam.width rays side by side, centred on the firer
 * and beam.length cells long; the centre ray starts one cell ahead, the side rays at distance
 * beam.side_start; a ray ends at the map edge, at a wall when beam.walls_block (else it passes
 * through), and at the first active agent it hits when beam.agents_block. Tagged agents are
 * neither hit nor stop rays. An agent crossed by any ray of a beam takes one hit from that
 * beam; hits apply after every beam is traced, so the firing order never matters (an agent tagged
 * in this step still fires) in the simultaneous order; in the sequential order each beam's hits
 * apply at once (env.order, step.c). beam.hits_to_tag hits (0: never) tag an agent out for
 * beam.tag_steps steps: it stays on its cell, drawn grey to the others (and as itself to itself),
 * blocks moves unless agents may share cells (env.overlap), cannot eat, fire or be hit, and its
 * hit count restarts. Its timer counts down at the start of each step, and it acts again in the
 * step where the timer reaches 0. The presets: length 20, width 1, through walls and agents, two
 * hits tag out for 25 steps, no costs; Gallego's step: sequential, agents may share cells, agents
 * beyond the spawn points start on random open cells (env.extra_agents = random).
 *
 * Rewards in a step: +apples.reward for an apple eaten; -beam.cost for firing; -beam.hit_penalty
 * for each hit taken.
 *
 * Step order (step.c, env.order): simultaneous (timers, turns, moves, eating, beams, then this
 * game's dynamics) or sequential (timers, each agent acting in index order, this game's dynamics,
 * then eating). Either way an apple eaten in step t is collectable again in step
 * t + apples.respawn_steps, and the dynamics that run just before that step's eating put it back,
 * whether or not an agent stands on its cell (an agent standing there eats it in the step it
 * returns): in the simultaneous order those of step t + respawn_steps - 1, so it is seen a step
 * before it can be eaten; in the sequential order (Gallego's code, the presets) those of step
 * t + respawn_steps, so it is seen respawn_steps steps after it was eaten. Apples return in
 * spawn-point order (map row-major). The tick then advances; the episode is truncated at
 * env.max_steps and never terminates.
 *
 * Random draws: at reset, the spawn stream places the agents (step.c); in a step, the dynamics
 * stream draws only for move contests (step.c). The game itself draws nothing.
 */
#include "game.h"

static void gathering_reset(EnvWorld *w) {
    for (int i = 0; i < w->cfg->n_apple; i++) w->respawn_at[i] = 0;
}

static void gathering_eaten(EnvWorld *w, int slot) {
    w->respawn_at[slot] = w->tick + w->cfg->p.respawn_steps;
}

/* apples due by the step whose eating follows these dynamics return now, in spawn-point order:
 * the next step's (simultaneous order: eating comes before the dynamics) or this one's
 * (sequential: after) */
static void gathering_dynamics(EnvWorld *w) {
    int32_t next = w->tick + (w->cfg->p.order == ENV_ORDER_SEQUENTIAL ? 0 : 1);
    ENV_FOR_EACH_EMPTY_APPLE(w, slot, {
        if (w->respawn_at[slot] > 0 && w->respawn_at[slot] <= next) {
            env_apple_put(w, slot);
            w->respawn_at[slot] = 0;
        }
    });
}

/* the return ticks of eaten apples */
static uint64_t gathering_hash(const EnvWorld *w, uint64_t h) {
    return env_fnv1a64(h, w->respawn_at, (size_t)w->cfg->n_apple * sizeof(int32_t));
}

const EnvGameOps env_gathering_ops = {
    .name = "gathering",
    .n_actions = 8,
    .egocentric = 1,
    .refused = ENV_GRID_REFUSED,
    .legend = ENV_GRID_LEGEND,
    .reset = gathering_reset,
    .eaten = gathering_eaten,
    .dynamics = gathering_dynamics,
    .hash = gathering_hash,
};
