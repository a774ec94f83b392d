/* scripted.c: random, greedy and cooperative scripted policies (see scripted.h); gallego is in
 * scripted_gallego.c.
 * They read only the const EnvView: no world state is written here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scripted.h"

static const char *NAMES[SCRIPTED_COUNT] = {"random", "greedy", "coop", "gallego"};

int scripted_parse(const char *name, ScriptedKind *out, EnvError *err) {
    for (int k = 0; k < SCRIPTED_COUNT; k++)
        if (strcmp(name, NAMES[k]) == 0) {
            *out = (ScriptedKind)k;
            return 0;
        }
    return env_fail(err, ENV_EINPUT,
                    "unknown policy '%s'; choose random, greedy or coop, or gallego (Gallego "
                    "2026's published Cleanup policy)",
                    name);
}

const char *scripted_name(ScriptedKind k) {
    return (k >= 0 && k < SCRIPTED_COUNT) ? NAMES[k] : "?";
}

int scripted_scratch_init(ScriptedScratch *s, const EnvConfig *cfg) {
    s->n = cfg->hp * cfg->wp;
    s->queue = malloc((size_t)s->n * sizeof(int32_t));
    s->first = malloc((size_t)s->n);
    s->mark = malloc((size_t)s->n);
    if (!s->queue || !s->first || !s->mark) {
        scripted_scratch_close(s);
        return ENV_ENOMEM;
    }
    return 0;
}

void scripted_scratch_close(ScriptedScratch *s) {
    free(s->queue);
    free(s->first);
    free(s->mark);
    s->queue = NULL;
    s->first = NULL;
    s->mark = NULL;
}

void scripted_init(ScriptedPolicy *pol, ScriptedKind kind, int agent, uint64_t seed, uint64_t world,
                   uint64_t episode) {
    pol->kind = kind;
    pol->agent = agent;
    pol->wander_dir = ENV_OCEAN_STAY;
    pol->wander_left = 0;
    env_rng_seed(&pol->rng, env_hash4(seed, world, episode,
                                      ((uint64_t)ENV_STREAM_POLICY << 32) | (uint64_t)agent));
}

/* what a BFS looks for */
enum { BFS_NONE = -1 };
typedef ScriptedGoal Goal;

static int walkable(uint8_t id) {
    return id != ENV_ID_WALL && id != ENV_ID_OUTSIDE;
}

/* see scripted.h */
int scripted_bfs(const EnvView *v, int agent, const int order[4], int through_agents,
                 ScriptedGoal goal, ScriptedScratch *s) {
    int32_t start = v->agent[agent].pos;
    if (goal(v, agent, start, s)) return 4;
    memset(s->first, 0, (size_t)s->n);
    int head = 0, tail = 0;
    s->queue[tail++] = start;
    s->first[start] = 5;
    while (head < tail) {
        int32_t cur = s->queue[head++];
        for (int k = 0; k < 4; k++) {
            int d = order[k];
            int32_t nb = cur + env_dr[d] * v->wp + env_dc[d];
            if (s->first[nb] || !walkable(v->cell[nb])) continue;
            if (v->occ[nb] && v->occ[nb] != agent + 1 && !through_agents) continue;
            s->first[nb] = (uint8_t)(cur == start ? d + 1 : s->first[cur]);
            if (goal(v, agent, nb, s)) return s->first[nb] - 1;
            s->queue[tail++] = nb;
        }
    }
    return BFS_NONE;
}

/* The policies' search: neighbours in orientation order N, E, S, W; other agents block paths
 * unless agents may share cells (env.overlap). */
static int bfs(const EnvView *v, int agent, Goal goal, ScriptedScratch *s) {
    static const int nesw[4] = {ENV_NORTH, ENV_EAST, ENV_SOUTH, ENV_WEST};
    return scripted_bfs(v, agent, nesw, v->cfg->p.overlap, goal, s);
}

/* the egocentric move that steps in world direction d */
static int move_toward(int orient, int d) {
    static const int rel_action[4] = {ENV_ACT_FORWARD, ENV_ACT_RIGHT, ENV_ACT_BACKWARD,
                                      ENV_ACT_LEFT};
    return rel_action[(d - orient) & 3];
}

static int goal_apple(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s) {
    (void)s;
    (void)agent;
    return v->cell[idx] == ENV_ID_APPLE;
}

static int goal_apple_spawn(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s) {
    (void)s;
    (void)agent;
    return v->cfg->apple_slot[idx] >= 0;
}

static int goal_waste(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s) {
    (void)s;
    (void)agent;
    return v->cell[idx] == ENV_ID_WASTE;
}

/* harvest restraint: an apple with enough apples around it to keep its patch alive */
static int goal_apple_rich(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s) {
    (void)s;
    (void)agent;
    if (v->cell[idx] != ENV_ID_APPLE) return 0;
    int n = 0;
    for (int k = 0; k < v->cfg->n_nbr; k++) n += v->cell[idx + v->cfg->nbr[k]] == ENV_ID_APPLE;
    return n >= SCRIPTED_COOP_MIN_NEIGHBOURS;
}

/* gathering share: an apple no other active agent is strictly closer to (Manhattan) */
static int goal_apple_mine(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s) {
    (void)s;
    if (v->cell[idx] != ENV_ID_APPLE) return 0;
    int r = idx / v->wp, c = idx % v->wp;
    int32_t me = v->agent[agent].pos;
    int mine = abs(me / v->wp - r) + abs(me % v->wp - c);
    for (int k = 0; k < v->n_agents; k++) {
        if (k == agent || v->agent[k].timeout) continue;
        int32_t p = v->agent[k].pos;
        int theirs = abs(p / v->wp - r) + abs(p % v->wp - c);
        if (theirs < mine || (theirs == mine && k < agent)) return 0;
    }
    return 1;
}

static int random_move(ScriptedPolicy *pol) {
    return (int)env_rng_below(&pol->rng, 4);
}

/* step toward a goal; else toward a fallback goal; else wander (or wait when idle_stay) */
static int seek(ScriptedPolicy *pol, const EnvView *v, ScriptedScratch *s, Goal g, Goal fallback,
                int idle_stay) {
    int orient = v->agent[pol->agent].orient;
    int d = bfs(v, pol->agent, g, s);
    if (d == 4) return ENV_ACT_STAY;
    if (d < 0 && fallback) {
        d = bfs(v, pol->agent, fallback, s);
        if (d == 4) return ENV_ACT_STAY;
    }
    if (d >= 0) return move_toward(orient, d);
    return idle_stay ? ENV_ACT_STAY : random_move(pol);
}

/* does a clean beam fired facing `orient` from `pos` reach a waste cell? */
static int beam_reaches_waste(const EnvView *v, int32_t pos, int orient) {
    const EnvBeam *b = &v->cfg->p.clean;
    int rt = (orient + 1) & 3;
    int32_t fwd = env_dr[orient] * v->wp + env_dc[orient];
    int32_t right = env_dr[rt] * v->wp + env_dc[rt];
    for (int k = -b->width / 2; k <= b->width / 2; k++) {
        int32_t idx = pos + k * right + (k == 0 ? 1 : b->side_start) * fwd;
        for (int d = 0; d < b->length; d++, idx += fwd) {
            uint8_t id = v->cell[idx];
            if (id == ENV_ID_OUTSIDE) break;
            if (id == ENV_ID_WALL) {
                if (b->walls_block) break;
                continue;
            }
            if (id == ENV_ID_WASTE) return 1;
            int who = v->occ[idx] - 1;
            if (b->agents_block && who >= 0 && v->agent[who].timeout == 0) break;
        }
    }
    return 0;
}

int scripted_cleaner_quota(int n_waste, int n_agents, int apples_present) {
    if (!apples_present && n_waste > 0) return n_agents;
    int q = n_waste > 50   ? 6
            : n_waste > 35 ? 5
            : n_waste > 20 ? 4
            : n_waste > 10 ? 3
            : n_waste > 2  ? 2
            : n_waste > 0  ? 1
                           : 0;
    /* scale the ten-agent quota table to the population, keeping one harvester */
    q = (q * n_agents + 9) / 10;
    if (q > n_agents - 1) q = n_agents - 1;
    return q;
}

static int cleanup_coop(ScriptedPolicy *pol, const EnvView *v, ScriptedScratch *s) {
    int me = pol->agent;
    /* roles: the quota of active agents with the lowest indices clean */
    int quota = scripted_cleaner_quota(v->n_waste, v->n_agents, v->n_apples > 0);
    int rank = 0;
    for (int k = 0; k < me; k++) rank += v->agent[k].timeout == 0;
    if (rank >= quota) return seek(pol, v, s, goal_apple, goal_apple_spawn, 1);
    const EnvAgent *a = &v->agent[me];
    if (beam_reaches_waste(v, a->pos, a->orient)) return ENV_ACT_CLEAN;
    if (beam_reaches_waste(v, a->pos, (a->orient + 1) & 3)) return ENV_ACT_TURN_R;
    if (beam_reaches_waste(v, a->pos, (a->orient + 3) & 3)) return ENV_ACT_TURN_L;
    if (beam_reaches_waste(v, a->pos, (a->orient + 2) & 3)) return ENV_ACT_TURN_R;
    return seek(pol, v, s, goal_waste, NULL, 0);
}

/* the ocean: the densest stack in view, as an offset from the vessel; returns its units */
static int ocean_best(const EnvView *v, int me, int *out_dr, int *out_dc) {
    const EnvParams *p = &v->cfg->p;
    int32_t pos = v->agent[me].pos;
    int best = 0, best_d = 0;
    for (int dr = -p->view_ahead; dr <= p->view_behind; dr++)
        for (int dc = -p->view_side; dc <= p->view_side; dc++) {
            int32_t idx = pos + dr * v->wp + dc;
            int r = pos / v->wp + dr, c = pos % v->wp + dc;
            if (r < 0 || r >= v->hp || c < 0 || c >= v->wp) continue;
            int units = v->plastic[idx];
            if (units <= 0 || (v->occ[idx] && v->occ[idx] != me + 1)) continue;
            int d = abs(dr) + abs(dc);
            if (units > best || (units == best && d < best_d)) {
                best = units;
                best_d = d;
                *out_dr = dr;
                *out_dc = dc;
            }
        }
    return best;
}

/* the absolute move one step toward an offset: the longer axis first, rows on ties */
static int ocean_toward(int dr, int dc) {
    if (dr == 0 && dc == 0) return ENV_OCEAN_STAY;
    if (abs(dr) >= abs(dc)) return dr < 0 ? ENV_OCEAN_NORTH : ENV_OCEAN_SOUTH;
    return dc < 0 ? ENV_OCEAN_WEST : ENV_OCEAN_EAST;
}

/* keep a random heading for a while; a new one when it runs out or the way is blocked */
static int ocean_wander(ScriptedPolicy *pol, const EnvView *v) {
    int32_t pos = v->agent[pol->agent].pos;
    int32_t ahead = pos + v->cfg->move_delta[0][pol->wander_dir];
    uint8_t id = v->cell[ahead];
    int blocked = id == ENV_ID_WALL || id == ENV_ID_OUTSIDE || v->occ[ahead];
    if (pol->wander_left <= 0 || pol->wander_dir == ENV_OCEAN_STAY || blocked) {
        pol->wander_dir = ENV_OCEAN_NORTH + (int)env_rng_below(&pol->rng, 4);
        pol->wander_left = 5 + (int)env_rng_below(&pol->rng, 11);
    }
    pol->wander_left--;
    return pol->wander_dir;
}

/* the nearest neighbour heard signalling bit 0, from the message slots; 0 when none */
static int ocean_heard(const EnvView *v, int me, int *out_dr, int *out_dc) {
    if (!v->msg || v->n_bits < 1) return 0;
    /* a message is bits + 1 + slots * (bits + 2) floats (comm_message_size) */
    int bits = v->n_bits, slots = (v->msg_size - bits - 1) / (bits + 2);
    const float *m = v->msg + (size_t)me * (size_t)v->msg_size;
    for (int s = 0; s < slots; s++) {
        const float *slot = m + bits + 1 + s * (bits + 2);
        if (slot[0] < 0.5f) continue;
        *out_dr = (int)lroundf(slot[bits] * v->msg_scale);
        *out_dc = (int)lroundf(slot[bits + 1] * v->msg_scale);
        if (*out_dr != 0 || *out_dc != 0) return 1;
    }
    return 0;
}

static int ocean_act(ScriptedPolicy *pol, const EnvView *v) {
    int me = pol->agent, dr = 0, dc = 0;
    if (v->plastic[v->agent[me].pos] > 0) return ENV_OCEAN_STAY;
    if (ocean_best(v, me, &dr, &dc) > 0) return ocean_toward(dr, dc);
    if (pol->kind == SCRIPTED_COOP && ocean_heard(v, me, &dr, &dc)) return ocean_toward(dr, dc);
    return ocean_wander(pol, v);
}

unsigned scripted_signals(const ScriptedPolicy *pol, const EnvView *v) {
    if (pol->kind != SCRIPTED_COOP || v->cfg->p.game != ENV_GAME_OCEAN) return 0;
    int dr = 0, dc = 0;
    int here = v->plastic[v->agent[pol->agent].pos];
    int seen = ocean_best(v, pol->agent, &dr, &dc);
    return (here >= SCRIPTED_SIGNAL_UNITS || seen >= SCRIPTED_SIGNAL_UNITS) ? 1u : 0u;
}

/* tragedy: greedy always takes; coop takes while the pool is at or above its start level */
static int tragedy_act(const ScriptedPolicy *pol, const EnvView *v) {
    if (pol->kind == SCRIPTED_GREEDY) return ENV_TRAGEDY_TAKE;
    int64_t start = v->cfg->p.pool_start_ppb * v->n_agents;
    return v->pool >= start ? ENV_TRAGEDY_TAKE : ENV_TRAGEDY_WAIT;
}

int scripted_act(ScriptedPolicy *pol, const EnvView *v, ScriptedScratch *s) {
    const EnvConfig *cfg = v->cfg;
    int stay = cfg->egocentric ? ENV_ACT_STAY : ENV_OCEAN_STAY;
    if (v->agent[pol->agent].timeout > 0 && pol->kind != SCRIPTED_RANDOM) return stay;
    if (cfg->p.game == ENV_GAME_OCEAN && pol->kind != SCRIPTED_RANDOM) return ocean_act(pol, v);
    if (cfg->p.game == ENV_GAME_TRAGEDY && pol->kind != SCRIPTED_RANDOM) return tragedy_act(pol, v);
    switch (pol->kind) {
    case SCRIPTED_RANDOM:
        return (int)env_rng_below(&pol->rng, (uint32_t)cfg->spec.n_actions);
    case SCRIPTED_GREEDY:
        return seek(pol, v, s, goal_apple, NULL, 0);
    case SCRIPTED_GALLEGO:
        return scripted_gallego_act(v, pol->agent, s);
    case SCRIPTED_COOP:
    default:
        switch (cfg->p.game) {
        case ENV_GAME_GATHERING:
            return seek(pol, v, s, goal_apple_mine, NULL, 0);
        case ENV_GAME_HARVEST:
            return seek(pol, v, s, goal_apple_rich, NULL, 1);
        default:
            return cleanup_coop(pol, v, s);
        }
    }
}
