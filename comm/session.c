/* session.c: a world's communication, as the config asks for it (see session.h). */
#include <stdlib.h>
#include <string.h>

#include "session.h"

static const char *const HEAR_NAMES[COMM_HEAR_COUNT] = {"intact", "zero", "shuffle"};

const char *comm_hear_name(CommHear h) {
    return (int)h >= 0 && h < COMM_HEAR_COUNT ? HEAR_NAMES[h] : "?";
}

int comm_hear_parse(const char *name, CommHear *out, EnvError *err) {
    for (int h = 0; h < COMM_HEAR_COUNT; h++)
        if (strcmp(name, HEAR_NAMES[h]) == 0) {
            *out = (CommHear)h;
            return 0;
        }
    return env_fail(err, ENV_EINPUT, "unknown channel mode '%s': use one of %s", name,
                    COMM_HEAR_CHOICES);
}

void comm_hear_permutation(uint64_t seed, uint64_t world, uint64_t episode, int32_t tick, int n,
                           int32_t *perm) {
    EnvRng rng;
    env_rng_seed(&rng, env_hash4(seed, world, episode,
                                 ((uint64_t)COMM_STREAM_SHUFFLE << 32) | (uint32_t)tick));
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)env_rng_below(&rng, (uint32_t)i + 1);
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

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
    s->heard = calloc((size_t)s->n * (size_t)s->bits + 1, 1);
    if (rc == 0 && (!s->msg || !s->heard))
        rc = env_fail(err, ENV_ENOMEM, "out of memory for messages");
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
    free(s->heard);
    s->msg = NULL;
    s->heard = NULL;
}

void comm_session_reset(CommSession *s) {
    comm_channel_reset(&s->channel, s->n);
    memset(s->msg, 0, (size_t)s->n * (size_t)s->msg_size * sizeof(float));
    memset(s->trace, 0, sizeof s->trace);
}

void comm_session_set_hear(CommSession *s, CommHear h) {
    s->hear = h;
}

CommChannel comm_session_heard(const CommSession *s) {
    CommChannel c = s->channel;
    c.sent = s->heard;
    return c;
}

/* the channel's sent bits through the hearing mode into s->heard */
static void hear(CommSession *s, const EnvWorld *w) {
    size_t B = (size_t)s->bits, nb = (size_t)s->n * B;
    if (s->hear == COMM_HEAR_ZERO) {
        memset(s->heard, 0, nb);
    } else if (s->hear == COMM_HEAR_SHUFFLE) {
        int32_t perm[ENV_MAX_AGENTS];
        comm_hear_permutation(w->seed, w->index, w->episode, w->tick, s->n, perm);
        for (int i = 0; i < s->n; i++)
            memcpy(s->heard + (size_t)i * B, s->channel.sent + (size_t)perm[i] * B, B);
    } else {
        memcpy(s->heard, s->channel.sent, nb);
    }
}

void comm_session_observe(CommSession *s, const EnvWorld *w) {
    const EnvConfig *cfg = w->cfg;
    for (int i = 0; i < s->n; i++) {
        s->row[i] = w->agent[i].pos / cfg->wp - cfg->pad;
        s->col[i] = w->agent[i].pos % cfg->wp - cfg->pad;
        s->active[i] = w->agent[i].timeout == 0;
    }
    comm_graph_build(&s->graph, s->topology, s->param, s->n, s->row, s->col, s->active);
    hear(s, w);
    /* a world that only shapes rewards hears nothing */
    if (s->msg_size > 0) {
        CommChannel heard = comm_session_heard(s);
        comm_channel_receive(&heard, &s->graph, s->row, s->col, s->slots, s->scale, s->msg);
    }
}

void comm_session_emit(CommSession *s, const uint8_t *bits) {
    comm_channel_emit(&s->channel, bits);
}

void comm_session_snapshot(const CommSession *s, int32_t *row, int32_t *col, float *pos,
                           float *sent) {
    const CommGraph *g = &s->graph;
    int n = s->n;
    for (int i = 0; i <= n; i++) row[i] = i <= g->n ? g->row[i < g->n ? i : g->n] : g->n_edges;
    memcpy(col, g->col, (size_t)g->n_edges * sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        pos[2 * i] = (float)s->row[i] / s->scale;
        pos[2 * i + 1] = (float)s->col[i] / s->scale;
    }
    size_t nb = (size_t)n * (size_t)s->bits;
    for (size_t k = 0; k < nb; k++) sent[k] = s->heard[k] ? 1.0f : 0.0f;
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
