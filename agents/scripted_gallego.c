/* scripted_gallego.c: the published Cleanup policy of Gallego 2026 (games.md 3.4), rule for rule,
 * as the scripted policy `gallego`. It reads only the const EnvView.
 *
 * The policy (the best dense-feedback Cleanup policy of the paper's code, average reward 144.0
 * per agent with 10 agents on the large map, efficiency 1.44), in map coordinates (row, col):
 *  - a tagged agent stands;
 *  - quota of cleaners from the waste count W on the map: every active agent when no apple is
 *    left and W > 0; else 6 if W > 50, 5 if > 35, 4 if > 20, 3 if > 10, 2 if > 2, 1 if > 0, else
 *    0; at most the number of active agents;
 *  - the cleaners are the quota leftmost active agents (by column, then index); the others
 *    gather: a step toward the nearest apple (breadth-first, other agents ignored); with no apple
 *    reachable they clean anyway when W > 0 (over the whole map), else walk to a patrol point
 *    (row (id mod 3) * 6 + 3, column 15 + (id mod 4) * 2, clamped to the map) or stand;
 *  - a cleaner's zone: with more than one cleaner, the rows are cut into equal bands (row
 *    [k H / n, (k + 1) H / n - 1], the last band to the bottom row) and the cleaner k-th by row
 *    (then index) takes band k; a single cleaner, or an agent cleaning for want of apples, takes
 *    every row;
 *  - in its zone, over the cells of columns 0-11 that are not walls, each cell and facing with
 *    waste in its beam rectangle (5 cells ahead, 3 wide: the Cleanup beam) scores
 *    waste - 0.1 * distance - 0.05 * turns + 0.0001 * ((13 row + 7 col + id) mod 100) (distance:
 *    Manhattan from the agent; turns: quarter turns from its facing); the best cells (ties within
 *    1e-5) are its targets; none in a band: the whole map;
 *  - on a target cell it faces the facing with the most waste in its rectangle (less 0.05 per
 *    turn; the first of north, east, south, west on ties): it turns right when that is one turn
 *    clockwise or a half turn, left when one turn counter-clockwise, and cleans when it already
 *    faces it; elsewhere it steps toward the nearest target (breadth-first), or, when none is
 *    reachable, toward the target nearest by Manhattan distance;
 *  - a cleaner with no target walks to its patrol point; else it stands.
 * Breadth-first searches expand north, south, west, east, walk through agents (the reference's
 * agents share cells) and step without turning (forward, backward or strafing). Scores are
 * computed exactly, in integers scaled by 10^4, so ties are ties. One choice the reference leaves
 * to Python's set order: among equally near unreachable targets, we take the first in row-major
 * order.
 */
#include <stdlib.h>
#include <string.h>

#include "scripted.h"

/* the reference's neighbour order: north, south, west, east */
static const int BFS_ORDER[4] = {ENV_NORTH, ENV_SOUTH, ENV_WEST, ENV_EAST};

static int goal_apple(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s) {
    (void)agent, (void)s;
    return v->cell[idx] == ENV_ID_APPLE;
}

static int goal_marked(const EnvView *v, int agent, int32_t idx, const ScriptedScratch *s) {
    (void)v, (void)agent;
    return s->mark[idx];
}

/* the reference's search: north, south, west, east, through agents (they share cells there) */
static int bfs(const EnvView *v, int me, ScriptedGoal goal, ScriptedScratch *s) {
    return scripted_bfs(v, me, BFS_ORDER, 1, goal, s);
}

/* the move (never a turn) that steps in world direction d; stay for 4 */
static int step_action(int orient, int d) {
    static const int rel[4] = {ENV_ACT_FORWARD, ENV_ACT_RIGHT, ENV_ACT_BACKWARD, ENV_ACT_LEFT};
    return d == 4 ? ENV_ACT_STAY : rel[(d - orient) & 3];
}

static int rows_of(const EnvView *v) {
    return v->cfg->map.h;
}
static int cols_of(const EnvView *v) {
    return v->cfg->map.w;
}
static int32_t cell_at(const EnvView *v, int r, int c) {
    return (r + v->pad) * v->wp + (c + v->pad);
}

/* waste in the 5x3 rectangle ahead of (r, c) facing o, clipped to the map */
static int waste_in_beam(const EnvView *v, int r, int c, int o) {
    int rt = (o + 1) & 3, n = 0;
    for (int d = 1; d <= 5; d++)
        for (int k = -1; k <= 1; k++) {
            int rr = r + d * env_dr[o] + k * env_dr[rt], cc = c + d * env_dc[o] + k * env_dc[rt];
            if (rr < 0 || rr >= rows_of(v) || cc < 0 || cc >= cols_of(v)) continue;
            n += v->cell[cell_at(v, rr, cc)] == ENV_ID_WASTE;
        }
    return n;
}

static int turns(int from, int to) {
    int d = (to - from) & 3;
    return d < 4 - d ? d : 4 - d;
}

/* marks the best cleaning cells of rows [r0, r1] in s->mark; returns how many */
static int best_spots(const EnvView *v, int me, int r0, int r1, ScriptedScratch *s) {
    const EnvAgent *a = &v->agent[me];
    int ar = a->pos / v->wp - v->pad, ac = a->pos % v->wp - v->pad;
    int n = 0, max_c = cols_of(v) < 12 ? cols_of(v) : 12;
    long best = 0;
    memset(s->mark, 0, (size_t)s->n);
    for (int r = r0; r <= r1; r++)
        for (int c = 0; c < max_c; c++) {
            if (v->cell[cell_at(v, r, c)] == ENV_ID_WALL) continue;
            for (int o = 0; o < 4; o++) {
                int w = waste_in_beam(v, r, c, o);
                if (w <= 0) continue;
                long score = 10000L * w - 1000L * (abs(ar - r) + abs(ac - c)) -
                             500L * turns(a->orient, o) + (13 * r + 7 * c + me) % 100;
                if (n == 0 || score > best) {
                    /* a better score: the earlier spots (listed in the queue) are dropped */
                    best = score;
                    n = 0;
                }
                if (score == best && (n == 0 || s->queue[n - 1] != cell_at(v, r, c)))
                    s->queue[n++] = cell_at(v, r, c);
            }
        }
    for (int k = 0; k < n; k++) s->mark[s->queue[k]] = 1;
    return n;
}

/* walks to the agent's patrol point; stands when it is unreachable or reached */
static int patrol(const EnvView *v, int me, ScriptedScratch *s) {
    int r = (me % 3) * 6 + 3, c = 15 + (me % 4) * 2;
    r = r < rows_of(v) - 1 ? r : rows_of(v) - 1;
    c = c < cols_of(v) - 1 ? c : cols_of(v) - 1;
    memset(s->mark, 0, (size_t)s->n);
    s->mark[cell_at(v, r, c)] = 1;
    int d = bfs(v, me, goal_marked, s);
    return d < 0 ? ENV_ACT_STAY : step_action(v->agent[me].orient, d);
}

/* the cleaner's rows: its band among the core cleaners, or every row */
static void cleaner_zone(const EnvView *v, int me, const int *core, int n_core, int *r0, int *r1) {
    int h = rows_of(v), in_core = 0, rank = 0;
    for (int k = 0; k < n_core; k++) in_core |= core[k] == me;
    *r0 = 0;
    *r1 = h - 1;
    if (!in_core || n_core < 2) return;
    int32_t my_row = v->agent[me].pos / v->wp;
    for (int k = 0; k < n_core; k++) {
        int32_t row = v->agent[core[k]].pos / v->wp;
        rank += row < my_row || (row == my_row && core[k] < me);
    }
    *r0 = rank * h / n_core;
    *r1 = rank == n_core - 1 ? h - 1 : (rank + 1) * h / n_core - 1;
}

static int clean_act(const EnvView *v, int me, const int *core, int n_core, ScriptedScratch *s) {
    const EnvAgent *a = &v->agent[me];
    int r0, r1, h = rows_of(v);
    cleaner_zone(v, me, core, n_core, &r0, &r1);
    int n = best_spots(v, me, r0, r1, s);
    if (n == 0 && (r0 > 0 || r1 < h - 1)) n = best_spots(v, me, 0, h - 1, s);
    if (n == 0) return patrol(v, me, s);
    int ar = a->pos / v->wp - v->pad, ac = a->pos % v->wp - v->pad;
    if (s->mark[a->pos]) {
        /* on a target: face the best facing, then clean */
        int best_o = -1, best = 0;
        for (int o = 0; o < 4; o++) {
            int w = waste_in_beam(v, ar, ac, o);
            int score = 100 * w - 5 * turns(a->orient, o);
            if (w > 0 && (best_o < 0 || score > best)) best_o = o, best = score;
        }
        if (best_o >= 0) {
            int diff = (best_o - a->orient) & 3;
            if (diff == 0) return ENV_ACT_CLEAN;
            return diff == 3 ? ENV_ACT_TURN_L : ENV_ACT_TURN_R;
        }
    }
    int d = bfs(v, me, goal_marked, s);
    if (d >= 0) return step_action(a->orient, d);
    /* no target reachable: toward the nearest by Manhattan distance (row-major on ties) */
    int32_t target = -1;
    int best = 0;
    for (int32_t idx = 0; idx < s->n; idx++) {
        if (!s->mark[idx]) continue;
        int dist = abs(idx / v->wp - v->pad - ar) + abs(idx % v->wp - v->pad - ac);
        if (target < 0 || dist < best) target = idx, best = dist;
    }
    memset(s->mark, 0, (size_t)s->n);
    s->mark[target] = 1;
    d = bfs(v, me, goal_marked, s);
    if (d >= 0) return step_action(a->orient, d);
    return patrol(v, me, s);
}

int scripted_gallego_act(const EnvView *v, int me, ScriptedScratch *s) {
    if (v->agent[me].timeout > 0) return ENV_ACT_STAY;
    int n = v->n_agents, waste = v->n_waste;
    /* the quota, and the active agents by column (then index) */
    int active[ENV_MAX_AGENTS], n_active = 0;
    for (int k = 0; k < n; k++)
        if (v->agent[k].timeout == 0) active[n_active++] = k;
    int quota = 0;
    if (v->n_apples == 0 && waste > 0)
        quota = n_active;
    else
        quota = waste > 50   ? 6
                : waste > 35 ? 5
                : waste > 20 ? 4
                : waste > 10 ? 3
                : waste > 2  ? 2
                : waste > 0  ? 1
                             : 0;
    if (quota > n_active) quota = n_active;
    for (int i = 1; i < n_active; i++)
        for (int j = i; j > 0; j--) {
            int x = active[j - 1], y = active[j];
            int cx = v->agent[x].pos % v->wp, cy = v->agent[y].pos % v->wp;
            if (cx < cy || (cx == cy && x < y)) break;
            active[j - 1] = y;
            active[j] = x;
        }
    int cleaner = 0;
    for (int k = 0; k < quota; k++) cleaner |= active[k] == me;
    if (!cleaner) {
        int d = bfs(v, me, goal_apple, s);
        if (d >= 0) return step_action(v->agent[me].orient, d);
        if (waste == 0) return patrol(v, me, s);
    }
    return clean_act(v, me, active, quota, s);
}
