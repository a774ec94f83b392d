/* session.c: a world's communication, as the config asks for it (see session.h). */
#include <stdlib.h>
#include <string.h>

#include "session.h"

int comm_params_communicates(const CommParams *p) {
    return p->topology != COMM_NONE || p->signal_bits > 0;
}

int comm_session_wanted(const CommParams *p) {
    return comm_params_communicates(p) || p->share != COMM_SHARE_NONE || p->inequity;
}

int comm_session_init(CommSession *s, const EnvConfig *cfg, const CommParams *p, EnvError *err) {
    memset(s, 0, sizeof *s);
    s->topology = p->topology;
    s->param = s->topology == COMM_RADIUS ? p->radius : p->k;
    s->n = cfg->p.n_agents;
    s->bits = p->signal_bits;
    s->slots = p->slots;
    s->msg_size = comm_params_communicates(p) ? comm_message_size(s->bits, s->slots) : 0;
    s->scale = (float)(cfg->map.h > cfg->map.w ? cfg->map.h : cfg->map.w);
    s->share = p->share;
    s->alpha = (float)((double)p->share_alpha_ppb / (double)ENV_PPB);
    s->inequity = p->inequity;
    s->ia_alpha = (float)p->inequity_alpha;
    s->ia_beta = (float)p->inequity_beta;
    s->ia_decay = (float)p->inequity_decay;
    int rc = comm_graph_init(&s->graph, s->n, err);
    if (rc == 0) rc = comm_channel_init(&s->channel, s->n, s->bits, err);
    s->msg = calloc((size_t)s->n * (size_t)s->msg_size + 1, sizeof(float));
    if (rc == 0 && !s->msg) rc = env_fail(err, ENV_ENOMEM, "out of memory for messages");
    if (rc) {
        comm_session_close(s);
        return rc;
    }
    comm_channel_reset(&s->channel, s->n);
    return 0;
}

void comm_session_close(CommSession *s) {
    comm_graph_close(&s->graph);
    comm_channel_close(&s->channel);
    free(s->msg);
    s->msg = NULL;
}

void comm_session_reset(CommSession *s) {
    comm_channel_reset(&s->channel, s->n);
    memset(s->msg, 0, (size_t)s->n * (size_t)s->msg_size * sizeof(float));
    memset(s->trace, 0, sizeof s->trace);
}

void comm_session_observe(CommSession *s, const EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    for (int i = 0; i < s->n; i++) {
        s->row[i] = w->agent[i].pos / cfg->wp - cfg->pad;
        s->col[i] = w->agent[i].pos % cfg->wp - cfg->pad;
        s->active[i] = w->agent[i].timeout == 0;
    }
    comm_graph_build(&s->graph, s->topology, s->param, s->n, s->row, s->col, s->active);
    /* a world that only shapes rewards hears nothing */
    if (s->msg_size > 0)
        comm_channel_receive(&s->channel, &s->graph, s->row, s->col, s->slots, s->scale, s->msg);
}

void comm_session_emit(CommSession *s, const uint8_t *bits) {
    comm_channel_emit(&s->channel, bits);
}

void comm_session_view(const CommSession *s, EnvView *v) {
    v->msg = s->msg;
    v->msg_size = s->msg_size;
    v->n_bits = s->bits;
    v->msg_scale = s->scale;
}

void comm_session_rewards(CommSession *s, const float *r, float *out) {
    if (s->share == COMM_SHARE_NONE)
        memcpy(out, r, (size_t)s->n * sizeof(float));
    else
        comm_share_rewards(&s->graph, s->alpha, s->share == COMM_SHARE_GLOBAL, s->n, r, out);
    if (s->inequity)
        comm_inequity_rewards(s->n, s->ia_alpha, s->ia_beta, s->ia_decay, s->trace, r, out);
}
