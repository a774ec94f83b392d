/* metrics.c: streaming social metrics (games.md section 2, Perolat et al. 2017).
 *
 * With N agents, T steps and integer returns R_i:
 *   efficiency     = sum_i R_i / T                         (0 when T = 0)
 *   equality       = 1 - sum_i sum_j |R_i - R_j| / (2 N sum_i R_i)   (1 when sum_i R_i <= 0)
 *   sustainability = mean over agents with at least one positive-reward step of the mean
 *                    0-based step index of those steps      (0 when no agent has one)
 *   peace          = (N T - tagged agent-steps) / T          (0 when T = 0)
 *   restraint      = mean over agents of W_i / T, W_i the steps agent i chose the wait action
 *                    (Pretorius et al. 2020; 0 when T = 0); ENV_NO_RESTRAINT in a game without
 *                    a wait action (every game but tragedy: staying put there is a move, not a
 *                    restraint from a shared resource)
 *   beams          = fire beams fired / T, summed over agents (0 when T = 0): Leibo et al.
 *                    2017's beam use; a cleaning beam is not counted
 * A tagged agent-step is an (agent, step) pair whose tag-out timer is above zero after the step.
 * Equality can be negative when some returns are negative (Cleanup's penalties).
 */
#include <string.h>

#include "env.h"

void env_metrics_init(EnvMetrics *m, int n_agents) {
    memset(m, 0, sizeof *m);
    m->n_agents = n_agents;
}

void env_metrics_step(EnvMetrics *m, const int32_t *rewards, const uint8_t *tagged,
                      const uint8_t *waited) {
    if (waited) m->has_wait = 1;
    for (int i = 0; i < m->n_agents; i++) {
        if (waited) m->waited[i] += waited[i] != 0;
        m->ret[i] += rewards[i];
        if (rewards[i] > 0) {
            m->pos_t_sum[i] += m->steps;
            m->pos_n[i]++;
        }
        m->tagged_steps += tagged[i] != 0;
    }
    m->steps++;
}

void env_metrics_finish(const EnvMetrics *m, EnvSocial *out) {
    int n = m->n_agents;
    double T = (double)m->steps;
    int64_t total = 0, diff = 0;
    for (int i = 0; i < n; i++) total += m->ret[i];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            diff += m->ret[i] > m->ret[j] ? m->ret[i] - m->ret[j] : m->ret[j] - m->ret[i];
    out->efficiency = m->steps > 0 ? (double)total / T : 0.0;
    out->equality = total > 0 ? 1.0 - (double)diff / (2.0 * n * (double)total) : 1.0;
    double s = 0.0;
    int counted = 0;
    for (int i = 0; i < n; i++)
        if (m->pos_n[i] > 0) {
            s += (double)m->pos_t_sum[i] / (double)m->pos_n[i];
            counted++;
        }
    out->sustainability = counted > 0 ? s / counted : 0.0;
    out->peace = m->steps > 0 ? ((double)n * T - (double)m->tagged_steps) / T : 0.0;
    double r = 0.0;
    for (int i = 0; i < n; i++) r += env_metrics_restraint(m, i);
    out->restraint = m->has_wait ? r / n : ENV_NO_RESTRAINT;
    out->beams = m->steps > 0 ? (double)m->beams / T : 0.0;
}

void env_metrics_beams(EnvMetrics *m, int fired) {
    m->beams += fired;
}

double env_metrics_restraint(const EnvMetrics *m, int i) {
    if (!m->has_wait) return ENV_NO_RESTRAINT;
    return m->steps > 0 ? (double)m->waited[i] / (double)m->steps : 0.0;
}
