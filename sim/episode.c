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
    if (!e->obs && !(e->obs = malloc(cfg->spec.obs_size * (size_t)cfg->p.n_agents)))
        return env_fail(err, ENV_ENOMEM, "out of memory for the trained policies' observations");
    if (e->learned[agent]) nn_work_close(&e->learned_work[agent]);
    e->learned[agent] = NULL;
    if (nn_work_init(&e->learned_work[agent], &pol->net, 1))
        return env_fail(err, ENV_ENOMEM, "out of memory for a trained policy's buffers");
    e->learned[agent] = pol;
    e->learned_group[agent] = group;
    return 0;
}

void sim_episode_close(SimEpisode *e) {
    for (int i = 0; i < ENV_MAX_AGENTS; i++)
        if (e->learned[i]) nn_work_close(&e->learned_work[i]);
    free(e->obs);
    sim_view_close(&e->view);
    if (e->comm) comm_session_close(&e->session);
    scripted_scratch_close(&e->scratch);
    env_world_close(&e->world);
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

/* every agent's action and signal bits from its actor: the scripted policies read one shared
 * snapshot of the world; a C policy its own, taken afresh for it */
static void actors_act(SimEpisode *e) {
    const EnvConfig *cfg = e->cfg;
    int n_bits = e->n_bits, need_view = 0;
    EnvView view;
    if (e->obs) env_observe(&e->world, e->obs);
    for (int i = 0; i < cfg->p.n_agents; i++) need_view |= !e->custom[i] && !e->learned[i];
    if (need_view) sim_episode_view(e, &view);
    for (int i = 0; i < cfg->p.n_agents; i++) {
        unsigned sig = 0;
        if (e->custom[i]) {
            EnvView own;
            take_view(e, SIM_VIEW_OWN, &own);
            e->actions[i] = e->custom[i](e->custom_ctx[i], &own, i, &sig);
        } else if (e->learned[i]) {
            /* a trained policy: head 0 moves, the next heads are its signal bits */
            int32_t parts[NN_MAX_HEADS];
            const PpoPolicy *lp = e->learned[i];
            e->actions[i] = ppo_policy_act(lp, e->learned_group[i], &e->learned_work[i],
                                           e->obs + (size_t)i * cfg->spec.obs_size,
                                           &e->learned_rng[i], 0, parts);
            for (int b = 0; b < n_bits && b + 1 < lp->n_heads; b++)
                sig |= (unsigned)(parts[b + 1] & 1) << b;
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
