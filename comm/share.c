/* share.c: reward sharing over a communication graph (information structures, Pretorius et al.
 * 2020).
 *
 * Contract: out_i = r_i + alpha * (sum of the rewards of the agents i hears), the sum taken in
 * ascending neighbour order; with `global` every agent gets the sum of all rewards, summed in
 * index order. Nothing allocates.
 */
#include "comm.h"

void comm_share_rewards(const CommGraph *g, float alpha, int global, int n, const float *r,
                        float *out) {
    if (global) {
        /* the total first, so out may alias r */
        float total = 0.0f;
        for (int i = 0; i < n; i++) total += r[i];
        for (int i = 0; i < n; i++) out[i] = total;
        return;
    }
    for (int i = 0; i < n; i++) {
        /* agents beyond the graph have no neighbours */
        float s = 0.0f;
        if (i < g->n)
            for (int e = g->row[i]; e < g->row[i + 1]; e++) s += r[g->col[e]];
        out[i] = r[i] + alpha * s;
    }
}
