/* signalling.c: measures of positive signalling and listening (see signalling.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "signalling.h"

double sim_mutual_information(const int64_t *count, int nx, int ny) {
    double total = 0, px[64] = {0}, py[64] = {0};
    if (nx > 64 || ny > 64) return NAN;
    for (int x = 0; x < nx; x++)
        for (int y = 0; y < ny; y++) {
            double c = (double)count[x * ny + y];
            total += c;
            px[x] += c;
            py[y] += c;
        }
    if (total <= 0) return 0.0;
    double mi = 0;
    for (int x = 0; x < nx; x++)
        for (int y = 0; y < ny; y++) {
            double c = (double)count[x * ny + y];
            if (c > 0) mi += c / total * log2(c * total / (px[x] * py[y]));
        }
    return mi > 0 ? mi : 0.0; /* rounding can leave -1e-17 for independent tables */
}

double sim_kl(const double *p, const double *q, int n) {
    double kl = 0;
    for (int k = 0; k < n; k++) {
        if (p[k] <= 0) continue;
        if (q[k] <= 0) return INFINITY;
        kl += p[k] * log(p[k] / q[k]);
    }
    return kl > 0 ? kl : 0.0;
}

double sim_js(const double *p, const double *q, int n) {
    double js = 0;
    for (int k = 0; k < n; k++) {
        double m = 0.5 * (p[k] + q[k]);
        if (p[k] > 0) js += 0.5 * p[k] * log(p[k] / m);
        if (q[k] > 0) js += 0.5 * q[k] * log(q[k] / m);
    }
    js /= log(2.0);
    return js > 0 ? js : 0.0;
}

int sim_resource_in_view(const EnvWorld *w, int agent) {
    const EnvConfig *cfg = w->cfg;
    const EnvParams *p = &cfg->p;
    int o = w->agent[agent].orient, rt = (o + 1) & 3;
    int r0 = w->agent[agent].pos / cfg->wp, c0 = w->agent[agent].pos % cfg->wp;
    int ocean = p->game == ENV_GAME_OCEAN && w->plastic;
    for (int vr = 0; vr < cfg->spec.obs_h; vr++)
        for (int vc = 0; vc < cfg->spec.obs_w; vc++) {
            int fwd = p->view_ahead - vr, right = vc - p->view_side;
            int r = r0 + fwd * env_dr[o] + right * env_dr[rt];
            int col = c0 + fwd * env_dc[o] + right * env_dc[rt];
            if (r < 0 || r >= cfg->hp || col < 0 || col >= cfg->wp) continue;
            int32_t idx = r * cfg->wp + col;
            if (ocean ? w->plastic[idx] > 0 : w->cell[idx] == ENV_ID_APPLE) return 1;
        }
    return 0;
}

void sim_flip_heard(const CommSession *s, uint8_t *flipped, float *msg) {
    size_t nb = (size_t)s->n * (size_t)s->bits;
    for (size_t k = 0; k < nb; k++) flipped[k] = s->heard[k] ? 0 : 1;
    CommChannel c = comm_session_heard(s);
    c.sent = flipped;
    comm_channel_receive(&c, &s->graph, s->row, s->col, s->slots, s->scale, msg);
}

void sim_signal_stats_add(SimSignalStats *to, const SimSignalStats *from) {
    for (int b = 0; b < ENV_MAX_SIGNAL_BITS; b++)
        for (int v = 0; v < 2; v++)
            for (int y = 0; y < 2; y++) to->count[b][v][y] += from->count[b][v][y];
    to->js_sum += from->js_sum;
    to->kl_sum += from->kl_sum;
    to->n_listen += from->n_listen;
    to->n_steps += from->n_steps;
}

int sim_signalling_init(SimSignalling *m, const SimEpisode *e, EnvError *err) {
    memset(m, 0, sizeof *m);
    size_t A = (size_t)e->cfg->p.n_agents, B = (size_t)e->n_bits;
    m->n_bits = e->n_bits;
    m->msg_size = e->comm ? e->session.msg_size : 0;
    m->n_float = e->n_float;
    m->flipped = calloc(A * B + 1, 1);
    m->msg = calloc(A * (size_t)m->msg_size + 1, sizeof(float));
    m->x = calloc(A * (size_t)m->n_float + 1, sizeof(float));
    m->sent = calloc(A * B + 1, sizeof(float));
    m->real = calloc(2 * A * (size_t)e->cfg->spec.head_size[0] + 1, sizeof(double));
    if (m->real) m->flip = m->real + A * (size_t)e->cfg->spec.head_size[0];
    if (!m->flipped || !m->msg || !m->x || !m->sent || !m->real) {
        sim_signalling_close(m);
        return env_fail(err, ENV_ENOMEM, "out of memory for the signalling measures");
    }
    return 0;
}

void sim_signalling_close(SimSignalling *m) {
    free(m->flipped);
    free(m->msg);
    free(m->x);
    free(m->sent);
    free(m->real);
    memset(m, 0, sizeof *m);
}

/* the head-0 distribution of every trained agent into p (A, head 0 size), from the float input
 * x (A, n_float) and the heard bits sent (A, B); the episode's observations and graph */
static void head0(SimEpisode *e, const float *x, const float *sent, double *p) {
    int A = e->cfg->p.n_agents, k0 = e->cfg->spec.head_size[0], done[ENV_MAX_AGENTS] = {0};
    float lp[256];
    for (int i = 0; i < A; i++) {
        const PpoPolicy *lp_pol = e->learned[i];
        if (!lp_pol) continue;
        const NnNet *net = &lp_pol->net;
        int src;
        const float *out = sim_episode_learned_out(e, i, x, sent, done, &src);
        int k = net->arch.heads[0] < k0 ? net->arch.heads[0] : k0;
        nn_log_softmax(1, k, out + net->head_off[0], k, lp);
        for (int a = 0; a < k0; a++) p[(size_t)i * (size_t)k0 + (size_t)a] = a < k ? exp(lp[a]) : 0;
    }
}

void sim_signalling_measure(SimSignalling *m, SimEpisode *e, SimSignalStats *st) {
    int A = e->cfg->p.n_agents, B = e->n_bits, any = 0;
    for (int i = 0; i < A; i++) {
        if (!e->learned[i]) continue;
        any = 1;
        st->n_steps++;
        int v = sim_resource_in_view(&e->world, i);
        for (int b = 0; b < B && b < ENV_MAX_SIGNAL_BITS; b++)
            st->count[b][v][e->bits[i * B + b] ? 1 : 0]++;
    }
    if (!any || !e->comm || !e->x) return;
    /* the real distributions from the inputs the actors read, then the intervened ones */
    int k0 = e->cfg->spec.head_size[0], M = m->msg_size, X = m->n_float;
    double q[256];
    head0(e, e->x, e->g_sent, m->real);
    sim_flip_heard(&e->session, m->flipped, m->msg);
    for (int k = 0; k < A * B; k++) m->sent[k] = m->flipped[k] ? 1.0f : 0.0f;
    memcpy(m->x, e->x, (size_t)A * (size_t)X * sizeof(float));
    for (int i = 0; i < A && M > 0; i++)
        memcpy(m->x + (size_t)i * (size_t)X, m->msg + (size_t)i * (size_t)M,
               (size_t)M * sizeof(float));
    double *flip = m->flip;
    head0(e, m->x, m->sent, flip);
    for (int i = 0; i < A; i++) {
        if (!e->learned[i] || comm_graph_degree(&e->session.graph, i) == 0) continue;
        const double *p = m->real + (size_t)i * (size_t)k0;
        memcpy(q, flip + (size_t)i * (size_t)k0, sizeof(double) * (size_t)k0);
        st->js_sum += sim_js(p, q, k0);
        st->kl_sum += sim_kl(p, q, k0);
        st->n_listen++;
    }
}
