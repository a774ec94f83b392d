/* share.c: reward sharing over a communication graph (information structures, Pretorius et al.
 * 2020).
 *
 * Contract: out_i = r_i + alpha * (sum of the rewards of the agents i hears), the sum taken in
 * ascending neighbour order; with `global` every agent gets the sum of all rewards, summed in
 * index order. Inequity aversion (Hughes et al. 2018) subtracts envy and guilt computed on
 * exponentially smoothed reward traces (comm.h). Nothing allocates.
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

void comm_inequity_rewards(int n, float alpha, float beta, float decay, float *trace,
                           const float *r, float *out) {
    /* the traces first: every agent's smoothed reward including this step's */
    for (int i = 0; i < n; i++) trace[i] = decay * trace[i] + r[i];
    if (n < 2) return;
    float a = alpha / (float)(n - 1), b = beta / (float)(n - 1);
    for (int i = 0; i < n; i++) {
        /* envy: the others ahead of i; guilt: the others behind it */
        float envy = 0.0f, guilt = 0.0f;
        for (int j = 0; j < n; j++) {
            float d = trace[j] - trace[i];
            if (d > 0.0f)
                envy += d;
            else
                guilt -= d;
        }
        out[i] -= a * envy + b * guilt;
    }
}
