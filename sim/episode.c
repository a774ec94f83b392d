/* episode.c: the one episode stepper (see episode.h). */
#include <stdlib.h>
#include <string.h>

#include "episode.h"

int sim_episode_init(SimEpisode *e, const SimConfig *sim, const ScriptedKind *kinds, uint64_t seed,
                     uint64_t world_index, EnvError *err) {
    const EnvConfig *cfg = &sim->env;
    memset(e, 0, sizeof *e);
    e->sim = sim;
    e->cfg = cfg;
    e->seed = seed;
    e->n_bits = sim->comm.signal_bits;
    if (kinds) memcpy(e->kind, kinds, (size_t)cfg->p.n_agents * sizeof kinds[0]);
    int rc = env_world_init(&e->world, cfg, seed, world_index, err);
    if (rc) return rc;
    if (scripted_scratch_init(&e->scratch, cfg) != 0) {
        env_world_close(&e->world);
        return env_fail(err, ENV_ENOMEM, "out of memory for the scripted policies' search buffers");
    }
    e->comm = comm_session_wanted(&sim->comm);
    if (e->comm && (rc = comm_session_init(&e->session, cfg, &sim->comm, err)) != 0) {
        scripted_scratch_close(&e->scratch);
        env_world_close(&e->world);
        return rc;
    }
    size_t msg_floats = e->comm ? (size_t)e->session.msg_size * (size_t)cfg->p.n_agents : 0;
    if ((rc = sim_view_init(&e->view, &e->world, msg_floats, err)) != 0) {
        if (e->comm) comm_session_close(&e->session);
        scripted_scratch_close(&e->scratch);
        env_world_close(&e->world);
        return rc;
    }
    return 0;
}

int sim_episode_set_policy(SimEpisode *e, int agent, SimPolicyFn fn, void *ctx, EnvError *err) {
    if (agent < 0 || agent >= e->cfg->p.n_agents)
        return env_fail(err, ENV_EINPUT, "no agent %d: the world has agents 0..%d", agent,
                        e->cfg->p.n_agents - 1);
    e->custom[agent] = fn;
    e->custom_ctx[agent] = ctx;
    return 0;
}

int sim_episode_set_learned(SimEpisode *e, int agent, const PpoPolicy *pol, int group,
                            EnvError *err) {
    const EnvConfig *cfg = e->cfg;
    if (agent < 0 || agent >= cfg->p.n_agents || group < 0 || group >= pol->n_groups)
        return env_fail(err, ENV_EINPUT, "no parameter group %d for agent %d", group, agent);
    size_t A = (size_t)cfg->p.n_agents, B = (size_t)e->n_bits;
    e->n_float = (e->comm ? e->session.msg_size : 0) + cfg->spec.n_features;
    if (pol->net.arch.n_float != 0 && pol->net.arch.n_float != e->n_float)
        return env_fail(err, ENV_EINPUT,
                        "the trained policy of agent %d reads %d floats of messages and features; "
                        "this world gives %d: run it in the world it was trained in (--config "
                        "RUN_DIR/world.ini)",
                        agent, pol->net.arch.n_float, e->n_float);
    if (pol->net.arch.gnn_rounds > 0 &&
        (pol->net.arch.gnn_agents != (int)A || pol->net.arch.gnn_bits != (int)B || !e->comm))
        return env_fail(
            err, ENV_EINPUT,
            "the trained policy of agent %d communicates over a graph of %d agents with "
            "%d signal bits; this world has %zu agents and %zu bits",
            agent, pol->net.arch.gnn_agents, pol->net.arch.gnn_bits, A, B);
    if (!e->obs && !(e->obs = malloc(cfg->spec.obs_size * A)))
        return env_fail(err, ENV_ENOMEM, "out of memory for the trained policies' observations");
    if (!e->x) {
        size_t F = (size_t)cfg->spec.n_features;
        e->x = calloc(A * ((size_t)e->n_float + 2 + B + F) + 1, sizeof(float));
        e->g_row = calloc(A + 1 + A * A, sizeof(int32_t));
        if (!e->x || !e->g_row)
            return env_fail(err, ENV_ENOMEM, "out of memory for the trained policies' inputs");
        e->g_pos = e->x + A * (size_t)e->n_float;
        e->g_sent = e->g_pos + 2 * A;
        e->feat = e->g_sent + A * B; /* (A, F) the world's features */
        e->g_col = e->g_row + A + 1;
    }
    if (e->learned[agent]) nn_work_close(&e->learned_work[agent]);
    e->learned[agent] = NULL;
    /* a GNN policy computes the whole world at once */
    int rows = pol->net.arch.gnn_rounds > 0 ? (int)A : 1;
    if (nn_work_init(&e->learned_work[agent], &pol->net, rows))
        return env_fail(err, ENV_ENOMEM, "out of memory for a trained policy's buffers");
    e->learned[agent] = pol;
    e->learned_group[agent] = group;
    return 0;
}

void sim_episode_close(SimEpisode *e) {
    for (int i = 0; i < ENV_MAX_AGENTS; i++)
        if (e->learned[i]) nn_work_close(&e->learned_work[i]);
    free(e->obs);
    free(e->x);
    free(e->g_row);
    sim_view_close(&e->view);
    if (e->comm) comm_session_close(&e->session);
    scripted_scratch_close(&e->scratch);
    env_world_close(&e->world);
}

void sim_episode_set_channel(SimEpisode *e, CommHear h) {
    if (e->comm) comm_session_set_hear(&e->session, h);
}

void sim_episode_start(SimEpisode *e, uint64_t episode, int steps) {
    const EnvParams *p = &e->cfg->p;
    e->episode = episode;
    e->steps = (steps <= 0 || steps > p->max_steps) ? p->max_steps : steps;
    e->t = 0;
    e->signals = 0;
    memset(e->actions, 0, sizeof e->actions);
    memset(e->bits, 0, sizeof e->bits);
    for (int i = 0; i < p->n_agents; i++) {
        scripted_init(&e->pol[i], e->kind[i], i, e->seed, e->world.index, episode);
        env_rng_seed(&e->learned_rng[i],
                     env_hash4(e->seed, e->world.index, episode,
                               ((uint64_t)PPO_STREAM_EVAL << 32) | (uint64_t)i));
    }
    env_reset(&e->world, episode);
    if (e->comm) comm_session_reset(&e->session);
}

/* a snapshot of the world now, with the messages heard, into slot `slot` of the view */
static void take_view(SimEpisode *e, int slot, EnvView *v) {
    EnvView live;
    env_view(&e->world, &live);
    if (e->comm) comm_session_view(&e->session, &live);
    sim_view_take(&e->view, slot, &live, v);
}

void sim_episode_view(SimEpisode *e, EnvView *v) {
    take_view(e, SIM_VIEW_SHARED, v);
}

/* the float input and graph that trained policies read, as the world stands */
static void learned_inputs(SimEpisode *e) {
    size_t A = (size_t)e->cfg->p.n_agents, X = (size_t)e->n_float;
    size_t M = e->comm ? (size_t)e->session.msg_size : 0, F = X - M;
    float *feat = e->feat;
    if (F > 0) env_features(&e->world, feat);
    for (size_t i = 0; i < A; i++) {
        if (M) memcpy(e->x + i * X, e->session.msg + i * M, M * sizeof(float));
        if (F) memcpy(e->x + i * X + M, feat + i * F, F * sizeof(float));
    }
    if (e->comm) comm_session_snapshot(&e->session, e->g_row, e->g_col, e->g_pos, e->g_sent);
}

const float *sim_episode_learned_out(SimEpisode *e, int i, const float *x, const float *sent,
                                     int *done, int *src) {
    const PpoPolicy *lp = e->learned[i];
    const NnNet *net = &lp->net;
    int A = e->cfg->p.n_agents;
    if (net->arch.gnn_rounds == 0) {
        NnInput in = {.obs = e->obs + (size_t)i * e->cfg->spec.obs_size,
                      .stride = (size_t)net->in_size,
                      .x = net->arch.n_float ? x + (size_t)i * (size_t)e->n_float : NULL,
                      .x_stride = (size_t)e->n_float};
        nn_forward_in(net, lp->params + (size_t)e->learned_group[i] * net->n_params,
                      &e->learned_work[i], 1, &in);
        *src = i;
        return nn_output(net, &e->learned_work[i]);
    }
    /* the first agent of this policy computes the world */
    *src = -1;
    for (int j = 0; j < i && *src < 0; j++)
        if (done[j] && e->learned[j] == lp) *src = j;
    if (*src < 0) {
        *src = i;
        CommGraph g = comm_graph_view(A, e->g_row, e->g_col);
        NnInput in = {.obs = e->obs,
                      .stride = e->cfg->spec.obs_size,
                      .x = net->arch.n_float ? x : NULL,
                      .x_stride = (size_t)e->n_float,
                      .graphs = &g,
                      .pos = e->g_pos,
                      .sent = sent};
        nn_forward_in(net, lp->params, &e->learned_work[i], A, &in); /* shared parameters */
        done[i] = 1;
    }
    return nn_output(net, &e->learned_work[*src]) + (size_t)i * (size_t)net->n_out;
}

/* a trained policy's action parts and signal bits for agent i */
static int32_t learned_act(SimEpisode *e, int i, int *done, unsigned *sig) {
    const PpoPolicy *lp = e->learned[i];
    const NnArch *a = &lp->net.arch;
    int A = e->cfg->p.n_agents, n_bits = e->n_bits, src;
    int32_t parts[NN_MAX_HEADS];
    const float *out = sim_episode_learned_out(e, i, e->x, e->g_sent, done, &src);
    int32_t act = ppo_policy_sample(lp, out, &e->learned_rng[i], 0, parts);
    const NnWork *ws = &e->learned_work[src];
    if (a->gnn_rounds > 0 && a->gnn_mode == 1) { /* differentiable: the last round's bits */
        const float *bits = ws->gnn_bits + ((size_t)(a->gnn_rounds - 1) * (size_t)A + (size_t)i) *
                                               (size_t)a->gnn_bits;
        for (int b = 0; b < n_bits; b++) *sig |= (unsigned)(bits[b] > 0.5f) << b;
    } else {
        for (int b = 0; b < n_bits && b + 1 < lp->n_heads; b++)
            *sig |= (unsigned)(parts[b + 1] & 1) << b;
    }
    return act;
}

/* every agent's action and signal bits from its actor: the scripted policies read one shared
 * snapshot of the world; a C policy its own, taken afresh for it */
static void actors_act(SimEpisode *e) {
    const EnvConfig *cfg = e->cfg;
    int n_bits = e->n_bits, need_view = 0, done[ENV_MAX_AGENTS] = {0};
    EnvView view;
    if (e->obs) env_observe(&e->world, e->obs);
    if (e->x) learned_inputs(e);
    for (int i = 0; i < cfg->p.n_agents; i++) need_view |= !e->custom[i] && !e->learned[i];
    if (need_view) sim_episode_view(e, &view);
    for (int i = 0; i < cfg->p.n_agents; i++) {
        unsigned sig = 0;
        if (e->custom[i]) {
            EnvView own;
            take_view(e, SIM_VIEW_OWN, &own);
            e->actions[i] = e->custom[i](e->custom_ctx[i], &own, i, &sig);
        } else if (e->learned[i]) {
            /* a trained policy: head 0 moves, the next heads (or its GNN) give its bits */
            e->actions[i] = learned_act(e, i, done, &sig);
        } else {
            e->actions[i] = scripted_act(&e->pol[i], &view, &e->scratch);
            sig = scripted_signals(&e->pol[i], &view);
        }
        for (int b = 0; b < n_bits; b++) e->bits[i * n_bits + b] = (uint8_t)((sig >> b) & 1u);
    }
}

void sim_episode_act(SimEpisode *e) {
    if (e->comm) comm_session_observe(&e->session, &e->world);
    actors_act(e);
}

int sim_episode_step(SimEpisode *e, const int32_t *actions, const uint8_t *bits) {
    if (e->t >= e->steps) return 1;
    int n = e->cfg->p.n_agents, nb = n * e->n_bits;
    /* 1. hear last step's signals over this step's graph */
    if (e->comm) comm_session_observe(&e->session, &e->world);
    /* 2. the actions: the caller's, or the actors' */
    if (actions) {
        memcpy(e->actions, actions, sizeof(int32_t) * (size_t)n);
        if (bits)
            memcpy(e->bits, bits, (size_t)nb);
        else
            memset(e->bits, 0, (size_t)nb);
    } else {
        actors_act(e);
    }
    for (int k = 0; k < nb; k++) e->signals += e->bits[k];
    /* 3-4. the world, then this step's signals into the channel */
    int end =
        sim_world_step(&e->world, e->comm ? &e->session : NULL, e->actions, e->bits, NULL, NULL);
    e->t++;
    /* a terminal state (the tragedy's dry pool) ends the episode here */
    if (end == ENV_TERMINATED) e->steps = e->t;
    return e->t >= e->steps;
}

int sim_world_step(EnvWorld *w, CommSession *cs, const int32_t *actions, const uint8_t *bits,
                   float *rewards, float *raw) {
    static const uint8_t none[ENV_MAX_AGENTS * ENV_MAX_SIGNAL_BITS];
    int end = env_step(w, actions, cs && rewards ? raw : rewards);
    if (cs && rewards) comm_session_rewards(cs, raw, rewards);
    if (cs) comm_session_emit(cs, bits ? bits : none);
    return end;
}

void sim_episode_run(SimEpisode *e, uint64_t episode, int steps, SimResult *out) {
    sim_episode_start(e, episode, steps);
    while (!sim_episode_step(e, NULL, NULL)) {
    }
    sim_episode_result(e, out);
}

void sim_episode_result(const SimEpisode *e, SimResult *out) {
    const EnvWorld *w = &e->world;
    memset(out, 0, sizeof *out);
    out->signals = e->signals;
    out->spawned = w->spawned;
    out->collected = w->collected;
    out->beached = w->beached;
    out->afloat = env_plastic_afloat(w);
    out->episode = (int)e->episode;
    out->steps = e->t;
    env_metrics_finish(&w->metrics, &out->social);
    memcpy(out->ret, w->metrics.ret, (size_t)e->cfg->p.n_agents * sizeof out->ret[0]);
    for (int i = 0; i < e->cfg->p.n_agents; i++)
        out->restraint[i] = env_metrics_restraint(&w->metrics, i);
    out->hash = env_state_hash(w);
    out->bad_actions = w->bad_actions;
}

void sim_episode_scene(SimEpisode *e, RenderScene *s) {
    EnvView v;
    sim_episode_view(e, &v);
    render_scene_from_view(s, &v);
    if (e->comm && e->session.graph.n > 0) {
        const CommGraph *g = &e->session.graph;
        int ne = 0;
        for (int i = 0; i < g->n; i++)
            for (int k = g->row[i]; k < g->row[i + 1]; k++) {
                e->edges[2 * ne] = i;
                e->edges[2 * ne + 1] = g->col[k];
                ne++;
            }
        s->edges = e->edges;
        s->n_edges = ne;
    }
    if (e->n_bits > 0) {
        s->signal = e->bits;
        s->signal_bits = e->n_bits;
    }
}
