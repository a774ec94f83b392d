/* step.c: reset and the step shared by every game: moves, eating, beams, tag-out, metrics.
 *
 * Two step orders (env.order); both start the same way:
 *  1. last step's beams are forgotten;
 *  2. tag-out timers count down; an agent whose timer is still above zero does nothing this step.
 * Simultaneous (the SSD code's order, and Melting Pot's):
 *  3. turns are applied;
 *  4. moves resolve simultaneously (see resolve_moves). With env.overlap = forbidden: a move into
 *     a wall fails; agents never share a cell; an agent may enter a cell its occupant leaves in
 *     the same step; two agents never swap; when several agents claim one free cell, one claimant
 *     chosen uniformly with the world's dynamics stream moves and the others stay. With
 *     env.overlap = allowed every move that does not hit a wall succeeds;
 *  5. every active agent standing on an apple eats it (+apples.reward), or, in a game with its
 *     own collection, collects as the game says;
 *  6. beams fire simultaneously from the post-move positions: fire beams hit active agents,
 *     clean beams clean as the game says; hits apply after every beam is traced, so the order
 *     of firers never matters; an agent tagged in this step still fires;
 *  7. the game's resource dynamics run (regrowth, waste).
 * Sequential (Gallego's code):
 *  3. agent after agent in index order, each active agent acts at once: it turns, moves (into a
 *     wall, or with env.overlap = forbidden into an occupied cell, it stays), or fires or cleans
 *     from where it stands, its hits applied before the next agent acts. So a lower-indexed
 *     firer's tag cancels a later agent's action in this step, and an agent already tagged is
 *     not hit again;
 *  4. the game's resource dynamics run;
 *  5. every active agent on an apple eats it, in index order (with overlap, the first one there),
 *     or the game collects as it says. An agent tagged in this step collects nothing.
 * A game with its own actions (ops->act: tragedy's valves) replaces steps 3-6 of either order:
 * agents never move; the game applies the checked actions, then its dynamics run. An
 * out-of-range action counts as a bad action and stays, or in a game with a wait action waits.
 * Then, in all: the tick advances and the metrics update (restraint counts the steps each agent
 * chose the wait action, in a game that has one). This step's beams stay listed until the
 * next step and, when obs.beams = 1, are drawn into observations over the cells (agents are drawn
 * over beams). The episode ends terminated when the game says its state is terminal, else
 * truncated at env.max_steps.
 * A ray of a beam covers cells one after another (see gathering.c for the geometry); reaching an
 * active agent other than the firer, a fire ray hits every such agent on the cell; with
 * agents_block the ray covers that cell (a clean ray cleans it) and stops there.
 * Where agents share a cell, observations show the lowest-indexed agent on it.
 * Random draws, in order: move contests (simultaneous order without overlap: one draw per
 * contested cell, cells in order of their first claimant's index), then the game's own draws
 * (documented in its file).
 * Reset draws from its own spawn stream, agent by agent in index order: one draw picks the agent's
 * spawn point among those left (a partial shuffle), or, for agents beyond the spawn points
 * (env.extra_agents = random), one draw picks an open floor cell (' ' or 'P'; without overlap
 * among those still free); then, for agents with facing, one draw picks its orientation; the
 * game's reset hook follows (its draws are documented in its file).
 */
#include "core.h"

/* an agent beyond the spawn points: a uniform open floor cell (without overlap, a free one; the
 * config checked that enough exist) */
static int32_t random_open_cell(EnvWorld *w, EnvRng *rng) {
    const EnvConfig *cfg = w->cfg;
    if (cfg->p.overlap) return cfg->open[env_rng_below(rng, (uint32_t)cfg->n_open)];
    int n_free = 0;
    for (int k = 0; k < cfg->n_open; k++) n_free += !w->occ[cfg->open[k]];
    int m = (int)env_rng_below(rng, (uint32_t)n_free);
    for (int k = 0; k < cfg->n_open; k++)
        if (!w->occ[cfg->open[k]] && m-- == 0) return cfg->open[k];
    return cfg->open[0];
}

void env_reset(EnvWorld *w, uint64_t episode) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    w->episode = episode;
    w->tick = 0;
    w->n_beam = 0;
    w->bad_actions = 0;
    env_rng_seed(&w->rng, env_hash4(w->seed, w->index, episode, ENV_STREAM_DYNAMICS));
    env_rng_seed(&w->events, env_hash4(w->seed, w->index, episode, ENV_STREAM_EVENTS));
    memcpy(w->cell, cfg->base, ncell);
    memset(w->occ, 0, ncell);
    for (size_t i = 0; i < ncell; i++) env_rot_write(w, (int32_t)i, w->cell[i]);
    w->n_apples = 0;
    memset(w->apple_empty, 0, (size_t)(cfg->n_apple + 63) / 64 * 8);
    for (int i = 0; i < cfg->n_apple; i++) {
        if (w->cell[cfg->apple[i]] == ENV_ID_APPLE)
            w->n_apples++;
        else
            w->apple_empty[i / 64] |= 1ULL << (i % 64);
    }
    w->n_waste = 0;
    memset(w->river_clean, 0, (size_t)(cfg->n_river + 63) / 64 * 8);
    for (int i = 0; i < cfg->n_river; i++) {
        if (w->cell[cfg->river[i]] == ENV_ID_WASTE)
            w->n_waste++;
        else
            w->river_clean[i / 64] |= 1ULL << (i % 64);
    }

    /* agents: distinct spawn points by a partial shuffle, uniform orientation */
    EnvRng spawn;
    env_rng_seed(&spawn, env_hash4(w->seed, w->index, episode, ENV_STREAM_SPAWN));
    for (int i = 0; i < cfg->n_spawn; i++) w->scratch[i] = cfg->spawn[i];
    memset(w->agent, 0, sizeof w->agent);
    memset(w->reward, 0, sizeof w->reward);
    for (int i = 0; i < p->n_agents; i++) {
        if (i < cfg->n_spawn) {
            int j = i + (int)env_rng_below(&spawn, (uint32_t)(cfg->n_spawn - i));
            int32_t t = w->scratch[i];
            w->scratch[i] = w->scratch[j];
            w->scratch[j] = t;
            w->agent[i].pos = w->scratch[i];
        } else {
            w->agent[i].pos = random_open_cell(w, &spawn);
        }
        w->agent[i].orient = cfg->egocentric ? (uint8_t)env_rng_below(&spawn, 4) : ENV_NORTH;
        if (!w->occ[w->agent[i].pos]) w->occ[w->agent[i].pos] = (uint8_t)(i + 1);
    }
    env_game_ops(p->game)->reset(w);
    env_metrics_init(&w->metrics, p->n_agents);
    w->metrics.has_wait = env_game_ops(p->game)->has_wait;
    env_overlay_paint(w);
}

static inline int walkable(uint8_t id) {
    return id != ENV_ID_WALL && id != ENV_ID_OUTSIDE;
}

/* Occupancy: occ holds the lowest-indexed agent on a cell + 1 (the only one there unless agents
 * share cells). Agent i leaves its cell: the next agent there, or the cell, is painted. */
static void occ_leave(EnvWorld *w, int i) {
    int32_t pos = w->agent[i].pos;
    int top = 0;
    if (w->cfg->p.overlap)
        for (int k = 0; k < w->cfg->p.n_agents && !top; k++)
            if (k != i && w->agent[k].pos == pos) top = k + 1;
    w->occ[pos] = (uint8_t)top;
    if (top)
        env_paint_agent(w, top - 1);
    else
        env_rot_write(w, pos, w->cell[pos]);
}

/* agent i enters cell pos (after occ_leave) */
static void occ_enter(EnvWorld *w, int i, int32_t pos) {
    w->agent[i].pos = pos;
    if (!w->occ[pos] || w->occ[pos] > i + 1) w->occ[pos] = (uint8_t)(i + 1);
    env_paint_agent(w, i);
}

/* simultaneous move resolution; target[i] == pos means the agent stays */
static void resolve_moves(EnvWorld *w, int32_t *target) {
    int n = w->cfg->p.n_agents;
    if (w->cfg->p.overlap) {
        /* agents may share cells: every move that does not hit a wall succeeds */
        for (int i = 0; i < n; i++)
            if (target[i] != w->agent[i].pos) {
                occ_leave(w, i);
                occ_enter(w, i, target[i]);
            }
        return;
    }
    uint8_t moving[ENV_MAX_AGENTS];
    for (int i = 0; i < n; i++) moving[i] = target[i] != w->agent[i].pos;

    /* the common case: every mover's target is free and claimed once; marks are undone */
    int clear = 1, m = 0;
    int32_t marked[ENV_MAX_AGENTS];
    for (int i = 0; i < n && clear; i++) {
        if (!moving[i]) continue;
        if (w->occ[target[i]]) {
            clear = 0;
        } else {
            w->occ[target[i]] = 0xFF;
            marked[m++] = target[i];
        }
    }
    for (int k = 0; k < m; k++) w->occ[marked[k]] = 0;

    for (int pass = 0; pass < 2 && !clear; pass++) {
        /* an agent moving into a cell whose occupant stays must stay too */
        for (int changed = 1; changed;) {
            changed = 0;
            for (int i = 0; i < n; i++) {
                if (!moving[i]) continue;
                int k = w->occ[target[i]] - 1;
                if (k >= 0 && !moving[k]) {
                    moving[i] = 0;
                    target[i] = w->agent[i].pos;
                    changed = 1;
                }
            }
        }
        if (pass == 1) break;
        /* two agents never swap cells */
        for (int i = 0; i < n; i++) {
            if (!moving[i]) continue;
            int k = w->occ[target[i]] - 1;
            if (k >= 0 && moving[k] && target[k] == w->agent[i].pos) {
                moving[i] = moving[k] = 0;
                target[i] = w->agent[i].pos;
                target[k] = w->agent[k].pos;
            }
        }
        /* contests: claimants of one cell, one winner drawn uniformly */
        for (int i = 0; i < n; i++) {
            if (!moving[i]) continue;
            int claim[ENV_MAX_AGENTS], nc = 0;
            for (int j = i; j < n; j++)
                if (moving[j] && target[j] == target[i]) claim[nc++] = j;
            if (nc < 2) continue;
            int win = claim[env_rng_below(&w->rng, (uint32_t)nc)];
            for (int k = 0; k < nc; k++)
                if (claim[k] != win) {
                    moving[claim[k]] = 0;
                    target[claim[k]] = w->agent[claim[k]].pos;
                }
        }
    }
    /* apply: vacate every moving agent's cell, then occupy the targets */
    for (int i = 0; i < n; i++)
        if (moving[i]) {
            int32_t pos = w->agent[i].pos;
            w->occ[pos] = 0;
            env_rot_write(w, pos, w->cell[pos]);
        }
    for (int i = 0; i < n; i++)
        if (moving[i]) {
            w->agent[i].pos = target[i];
            w->occ[target[i]] = (uint8_t)(i + 1);
            env_paint_agent(w, i);
        }
}

/* the active agents other than the firer on cell idx, whose lowest-indexed agent is occ: returns
 * whether there is one, and marks them in hit[] when hit is not NULL */
static int agents_on(const EnvWorld *w, int firer, int32_t idx, int occ, uint8_t *hit) {
    int any = 0, end = w->cfg->p.overlap ? w->cfg->p.n_agents : occ + 1;
    for (int k = occ; k < end; k++) {
        if (w->agent[k].pos != idx || k == firer || w->agent[k].timeout) continue;
        any = 1;
        if (hit) hit[k] = 1;
    }
    return any;
}

/* trace one beam; marks hit agents in hit[], and lets the game clean what a clean beam reaches */
static void trace_beam(EnvWorld *w, const EnvGameOps *ops, int firer, int kind, uint8_t *hit) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    const EnvBeam *b = kind == ENV_ACT_FIRE ? &p->fire : &p->clean;
    const EnvAgent *a = &w->agent[firer];
    int f = a->orient, rt = (a->orient + 1) & 3;
    int32_t fwd = env_dr[f] * cfg->wp + env_dc[f];
    int32_t right = env_dr[rt] * cfg->wp + env_dc[rt];
    int half = b->width / 2;
    uint8_t paint = kind == ENV_ACT_FIRE ? ENV_ID_FIRE : ENV_ID_CLEAN;
    for (int k = -half; k <= half; k++) {
        int d0 = k == 0 ? 1 : b->side_start;
        int32_t idx = a->pos + k * right + d0 * fwd;
        for (int d = 0; d < b->length; d++, idx += fwd) {
            uint8_t id = w->cell[idx];
            if (id == ENV_ID_OUTSIDE) break;
            if (id == ENV_ID_WALL) {
                if (b->walls_block) break;
                continue;
            }
            /* an active agent: hit by fire; with agents_block the ray ends on its cell */
            int occ = w->occ[idx] - 1, stop = 0;
            if (occ >= 0)
                stop = agents_on(w, firer, idx, occ, kind == ENV_ACT_FIRE ? hit : NULL) &&
                       b->agents_block;
            if (w->n_beam < w->beam_cap) {
                w->beam[w->n_beam] = idx;
                w->beam_id[w->n_beam++] = paint;
            }
            if (kind == ENV_ACT_CLEAN && id == ENV_ID_WASTE && ops->clean && ops->clean(w, idx))
                break;
            if (stop) break;
        }
    }
}

/* steps 1-3: beams forgotten, rewards zeroed, actions checked, timers, turns; target[i] is the
 * cell agent i tries to enter (its own cell when it stays or walks into a wall) */
static void start_step(EnvWorld *w, const int32_t *actions, int32_t *act, int32_t *target) {
    const EnvConfig *cfg = w->cfg;
    const EnvGameOps *ops = env_game_ops(cfg->p.game);
    int n = cfg->p.n_agents, n_act = cfg->spec.n_actions;
    env_beams_write(w, 0);
    w->n_beam = 0;
    for (int i = 0; i < n; i++) {
        EnvAgent *a = &w->agent[i];
        w->reward[i] = 0;
        a->fired = 0;
        act[i] = actions[i];
        if (act[i] < 0 || act[i] >= n_act) {
            w->bad_actions++;
            act[i] = ops->has_wait ? ops->wait_action : ENV_ACT_STAY;
        }
        if (a->timeout > 0 && --a->timeout == 0) env_paint_agent(w, i);
        if (a->timeout > 0) act[i] = ENV_ACT_STAY;
        if (cfg->p.order == ENV_ORDER_SEQUENTIAL) continue; /* agents act in act_sequential */
        if (cfg->egocentric && act[i] == ENV_ACT_TURN_L) a->orient = (uint8_t)((a->orient + 3) & 3);
        if (cfg->egocentric && act[i] == ENV_ACT_TURN_R) a->orient = (uint8_t)((a->orient + 1) & 3);
        int32_t t = a->pos + cfg->move_delta[a->orient][act[i]];
        target[i] = walkable(w->cell[t]) ? t : a->pos;
    }
}

/* every active agent on an apple eats it, in index order */
static void eat_apples(EnvWorld *w, const EnvGameOps *ops) {
    const EnvConfig *cfg = w->cfg;
    for (int i = 0; i < cfg->p.n_agents; i++) {
        EnvAgent *a = &w->agent[i];
        if (a->timeout == 0 && w->cell[a->pos] == ENV_ID_APPLE) {
            int slot = cfg->apple_slot[a->pos];
            env_put_cell(w, a->pos, ENV_ID_EMPTY);
            w->n_apples--;
            w->apple_empty[slot / 64] |= 1ULL << (slot % 64);
            w->reward[i] += cfg->p.apple_reward;
            ops->eaten(w, slot);
        }
    }
}

/* one agent's beam of `kind`: its cost, its trace; the agents a fire beam hits are added to hits */
static void fire_one(EnvWorld *w, const EnvGameOps *ops, int i, int kind, uint8_t *hits) {
    const EnvParams *p = &w->cfg->p;
    const EnvBeam *b = kind == ENV_ACT_FIRE ? &p->fire : &p->clean;
    if (b->length <= 0) return;
    uint8_t hit[ENV_MAX_AGENTS] = {0};
    w->reward[i] -= b->cost;
    trace_beam(w, ops, i, kind, hit);
    if (kind == ENV_ACT_FIRE)
        for (int k = 0; k < p->n_agents; k++) hits[k] = (uint8_t)(hits[k] + hit[k]);
    w->agent[i].fired = (uint8_t)kind;
}

/* each hit costs hit_penalty and counts toward a tag-out */
static void apply_hits(EnvWorld *w, const uint8_t *hits) {
    const EnvParams *p = &w->cfg->p;
    for (int k = 0; k < p->n_agents; k++) {
        EnvAgent *a = &w->agent[k];
        for (int h = 0; h < hits[k]; h++) {
            w->reward[k] -= p->hit_penalty;
            if (p->hits_to_tag > 0 && a->timeout == 0 && ++a->hits >= p->hits_to_tag) {
                a->timeout = (uint8_t)p->tag_steps;
                a->hits = 0;
                env_paint_agent(w, k);
            }
        }
    }
}

/* simultaneous step 6: beams traced from post-move positions; hits apply afterwards */
static void fire_beams(EnvWorld *w, const EnvGameOps *ops, const int32_t *act) {
    uint8_t hits[ENV_MAX_AGENTS] = {0};
    for (int i = 0; i < w->cfg->p.n_agents; i++)
        if (act[i] == ENV_ACT_FIRE || act[i] == ENV_ACT_CLEAN) fire_one(w, ops, i, act[i], hits);
    apply_hits(w, hits);
}

/* sequential step 3: each active agent in index order turns, moves, fires or cleans at once */
static void act_sequential(EnvWorld *w, const EnvGameOps *ops, const int32_t *act) {
    const EnvConfig *cfg = w->cfg;
    for (int i = 0; i < cfg->p.n_agents; i++) {
        EnvAgent *a = &w->agent[i];
        int k = act[i];
        if (a->timeout > 0) continue; /* tagged before this step, or by an earlier firer */
        if (cfg->egocentric && (k == ENV_ACT_TURN_L || k == ENV_ACT_TURN_R)) {
            a->orient = (uint8_t)((a->orient + (k == ENV_ACT_TURN_L ? 3 : 1)) & 3);
        } else if (cfg->egocentric && (k == ENV_ACT_FIRE || k == ENV_ACT_CLEAN)) {
            uint8_t hits[ENV_MAX_AGENTS] = {0};
            fire_one(w, ops, i, k, hits);
            apply_hits(w, hits);
        } else {
            int32_t t = a->pos + cfg->move_delta[a->orient][k];
            if (t != a->pos && walkable(w->cell[t]) && (cfg->p.overlap || !w->occ[t])) {
                occ_leave(w, i);
                occ_enter(w, i, t);
            }
        }
    }
}

/* eating, or the game's own collection */
static void collect(EnvWorld *w, const EnvGameOps *ops) {
    if (ops->collect)
        ops->collect(w);
    else
        eat_apples(w, ops);
}

int env_step(EnvWorld *w, const int32_t *actions, float *rewards) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    const EnvGameOps *ops = env_game_ops(p->game);
    int n = p->n_agents;
    int32_t target[ENV_MAX_AGENTS];
    int32_t act[ENV_MAX_AGENTS];

    /* 1-3. beams forgotten, timers, action checks and (simultaneous) turns */
    start_step(w, actions, act, target);

    if (ops->act) {
        /* the game's own actions (agents never move), then its dynamics */
        ops->act(w, act);
        ops->dynamics(w);
    } else if (p->order == ENV_ORDER_SEQUENTIAL) {
        /* agent by agent, then resources, then eating */
        act_sequential(w, ops, act);
        ops->dynamics(w);
        collect(w, ops);
    } else {
        /* moves, eating, beams, resources */
        resolve_moves(w, target);
        collect(w, ops);
        fire_beams(w, ops, act);
        ops->dynamics(w);
    }

    /* paint this step's beams, advance, metrics */
    env_beams_write(w, 1);
    w->tick++;
    uint8_t tagged[ENV_MAX_AGENTS], waited[ENV_MAX_AGENTS];
    int fired = 0;
    for (int i = 0; i < n; i++) {
        fired += w->agent[i].fired == ENV_ACT_FIRE;
        tagged[i] = w->agent[i].timeout > 0;
        waited[i] = ops->has_wait && act[i] == ops->wait_action;
        if (rewards) rewards[i] = (float)w->reward[i];
    }
    env_metrics_beams(&w->metrics, fired);
    env_metrics_step(&w->metrics, w->reward, tagged, ops->has_wait ? waited : NULL);
    if (ops->terminal && ops->terminal(w)) return ENV_TERMINATED;
    return w->tick >= p->max_steps ? ENV_TRUNCATED : ENV_RUNNING;
}

void env_auto_reset(EnvWorld *w, uint8_t *final_obs) {
    if (final_obs) env_observe(w, final_obs);
    w->last_metrics = w->metrics;
    w->episodes_done++;
    env_reset(w, w->episode + 1);
}

void env_batch_step(EnvWorld *worlds, int nw, const int32_t *actions, uint8_t *obs, float *rewards,
                    uint8_t *terminations, uint8_t *truncations, uint8_t *final_obs) {
    for (int k = 0; k < nw; k++) {
        EnvWorld *w = &worlds[k];
        const EnvSpec *s = &w->cfg->spec;
        size_t rows = (size_t)k * (size_t)s->n_agents;
        int end = env_step(w, actions + rows, rewards ? rewards + rows : NULL);
        if (end != ENV_RUNNING)
            env_auto_reset(w, final_obs ? final_obs + rows * s->obs_size : NULL);
        if (terminations) terminations[k] = (uint8_t)(end == ENV_TERMINATED);
        if (truncations) truncations[k] = (uint8_t)(end == ENV_TRUNCATED);
        if (obs) env_observe(w, obs + rows * s->obs_size);
    }
}
