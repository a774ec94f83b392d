/* capi_env.c: the C API's single world (commons.h, CommonsEnv): one world stepped through the
 * episode stepper (sim/episode.h) as `commons run` steps it, with its actors, its frames and its
 * replay recording.
 *
 * Contract: the same seed, episode and actions give the state hash `commons run` prints; actors
 * attached at tick 0 draw the streams they draw in `commons run --policy`. A handle whose world
 * could not be rebuilt (out of memory during a reset with a new seed) refuses every call but
 * free; no call leaves it half changed otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "capi_internal.h"
#include "episode.h"
#include "policy.h"
#include "raster.h"
#include "replay.h"

struct CommonsEnv {
    SimParams params;
    SimConfig sim;
    SimEpisode e;
    int open;         /* 1: e is built */
    int started;      /* 1: an episode was started */
    int ended;        /* 1: the episode in progress ended */
    SimPolicies pols; /* the actors (commons_env_set_policies) */
    int has_pols;
    uint8_t *obs; /* (A, obs_size) bound */
    float *rewards, *msg, *features;
    float raw[ENV_MAX_AGENTS]; /* (A,) scratch: the world's own rewards */
    SimReplay rp;
    int recording; /* 0 no, 1: rp open, 2: an episode is being recorded */
};

void capi_result_from_sim(const SimResult *r, CommonsResult *out) {
    memset(out, 0, sizeof *out);
    out->episode = r->episode;
    out->steps = r->steps;
    out->efficiency = r->social.efficiency;
    out->equality = r->social.equality;
    out->sustainability = r->social.sustainability;
    out->peace = r->social.peace;
    memcpy(out->returns, r->ret, sizeof r->ret);
    out->hash = r->hash;
    out->bad_actions = r->bad_actions;
    out->signals = r->signals;
    out->spawned = r->spawned;
    out->collected = r->collected;
    out->beached = r->beached;
    out->afloat = r->afloat;
}

/* builds the episode for a seed, with the actors when there are any */
static int open_episode(CommonsEnv *e, uint64_t seed, uint64_t world_index, EnvError *err) {
    int rc =
        sim_episode_init(&e->e, &e->sim, e->has_pols ? e->pols.kind : NULL, seed, world_index, err);
    if (rc) return rc;
    if (e->has_pols && (rc = sim_policies_attach(&e->pols, &e->e, err))) {
        sim_episode_close(&e->e);
        return rc;
    }
    e->open = 1;
    return 0;
}

static void close_episode(CommonsEnv *e) {
    if (e->open) sim_episode_close(&e->e);
    e->open = 0;
    e->started = 0;
}

/* refuses a handle whose world is gone */
static int check_open(const CommonsEnv *e, CommonsError *err) {
    if (e->open) return 0;
    return capi_error(err, ENV_ENOMEM, "this world could not be rebuilt after a failed reset");
}

CommonsEnv *commons_env_new(const CommonsParams *p, uint64_t seed, uint64_t world_index,
                            CommonsError *err) {
    EnvError x;
    CommonsEnv *e = calloc(1, sizeof *e);
    if (!e) {
        capi_error(err, ENV_ENOMEM, "out of memory for a world");
        return NULL;
    }
    e->params = *capi_params(p);
    int rc = sim_config_init(&e->sim, &e->params, &x);
    if (!rc && (rc = open_episode(e, seed, world_index, &x))) sim_config_close(&e->sim);
    if (rc) {
        free(e);
        capi_fail(err, &x, rc);
        return NULL;
    }
    return e;
}

void commons_env_free(CommonsEnv *e) {
    if (!e) return;
    if (e->recording) sim_replay_close(&e->rp);
    close_episode(e);
    if (e->has_pols) sim_policies_close(&e->pols);
    sim_config_close(&e->sim);
    free(e);
}

int commons_env_spec(const CommonsEnv *e, CommonsSpec *spec) {
    int msg = e->open && e->e.comm ? e->e.session.msg_size : 0;
    capi_spec(&e->sim.spec, &e->sim.comm, msg, (int)e->sim.env.p.game, spec);
    return 0;
}

/* observations, messages and features of the world now into the bound buffers */
static void observe_bound(CommonsEnv *e) {
    if (e->e.comm) comm_session_observe(&e->e.session, &e->e.world);
    env_observe(&e->e.world, e->obs);
    if (e->msg && e->e.comm)
        memcpy(e->msg, e->e.session.msg,
               (size_t)e->e.session.msg_size * (size_t)e->sim.env.p.n_agents * sizeof(float));
    if (e->features && e->sim.env.spec.n_features > 0) env_features(&e->e.world, e->features);
}

int commons_env_bind(CommonsEnv *e, uint8_t *obs, float *rewards, float *msg, float *features,
                     CommonsError *err) {
    if (!obs || !rewards) return capi_error(err, ENV_EINPUT, "bind: obs and rewards are required");
    e->obs = obs;
    e->rewards = rewards;
    e->msg = msg;
    e->features = features;
    memset(rewards, 0, sizeof(float) * (size_t)e->sim.env.p.n_agents);
    if (e->started && e->open) observe_bound(e);
    return 0;
}

/* a new seed: the world rebuilt (a recording in progress refuses it) */
static int change_seed(CommonsEnv *e, uint64_t seed, CommonsError *err) {
    EnvError x;
    if (e->recording && (e->recording == 2 || e->rp.n_episodes > 0)) {
        env_fail(&x, ENV_EINPUT,
                 "a recording holds the episodes of one seed (%llu); save it before a reset with "
                 "seed %llu",
                 (unsigned long long)e->e.seed, (unsigned long long)seed);
        return capi_fail(err, &x, ENV_EINPUT);
    }
    uint64_t index = e->e.world.index;
    close_episode(e);
    int rc = open_episode(e, seed, index, &x);
    if (rc) return capi_fail(err, &x, rc);
    if (e->recording) {
        /* nothing recorded yet: the recording follows the seed */
        SimReplay rp;
        if ((rc = sim_replay_init(&rp, &e->sim, seed, index, e->rp.policies, &x)))
            return capi_fail(err, &x, rc);
        sim_replay_close(&e->rp);
        e->rp = rp;
    }
    return 0;
}

int commons_env_reset(CommonsEnv *e, uint64_t seed, uint64_t episode, CommonsError *err) {
    EnvError x;
    int rc = check_open(e, err);
    if (rc) return rc;
    if (!e->obs) return capi_error(err, ENV_EINPUT, "reset before the buffers were bound");
    if (seed != e->e.seed && (rc = change_seed(e, seed, err))) return rc;
    /* the episode being recorded ends where it stands */
    if (e->recording == 2 && (rc = sim_replay_end(&e->rp, &e->e.world, &x)))
        return capi_fail(err, &x, rc);
    if (e->recording) e->recording = 1;
    sim_episode_start(&e->e, episode, 0);
    if (e->recording) {
        if ((rc = sim_replay_begin(&e->rp, episode, &e->e.world, &x)))
            return capi_fail(err, &x, rc);
        e->recording = 2;
    }
    e->started = 1;
    e->ended = 0;
    memset(e->rewards, 0, sizeof(float) * (size_t)e->sim.env.p.n_agents);
    observe_bound(e);
    return 0;
}

/* refuses a step or an action outside a running episode */
static int check_running(const CommonsEnv *e, CommonsError *err) {
    int rc = check_open(e, err);
    if (rc) return rc;
    if (!e->started) return capi_error(err, ENV_EINPUT, "step before reset");
    if (e->ended) return capi_error(err, ENV_EINPUT, "the episode has ended: reset first");
    return 0;
}

int commons_env_step(CommonsEnv *e, const int32_t *actions, const uint8_t *bits,
                     CommonsError *err) {
    EnvError x;
    int rc = check_running(e, err), A = e->sim.env.p.n_agents, nb = e->e.n_bits;
    int32_t act[ENV_MAX_AGENTS];
    if (!rc)
        rc = capi_check_actions(actions, 4, (size_t)A, e->sim.env.spec.n_actions, act, bits,
                                (size_t)(A * nb), A, err);
    if (rc) return rc;
    int done = sim_episode_step(&e->e, act, nb > 0 ? bits : NULL);
    /* learning rewards: the world's own, shared over the graph the agents acted on */
    for (int i = 0; i < A; i++) e->raw[i] = (float)e->e.world.reward[i];
    if (e->e.comm)
        comm_session_rewards(&e->e.session, e->raw, e->rewards);
    else
        memcpy(e->rewards, e->raw, sizeof(float) * (size_t)A);
    if (e->recording == 2 &&
        (rc = sim_replay_step(&e->rp, e->e.actions, e->e.bits, &e->e.world, &x)))
        return capi_fail(err, &x, rc);
    observe_bound(e);
    if (!done) return 0;
    e->ended = 1;
    return e->e.world.tick >= e->sim.env.p.max_steps ? ENV_TRUNCATED : ENV_TERMINATED;
}

int commons_env_set_policies(CommonsEnv *e, const char *policies, CommonsError *err) {
    EnvError x;
    int rc = check_open(e, err);
    if (rc) return rc;
    if (e->started && e->e.t > 0)
        return capi_error(err, ENV_EINPUT,
                          "policies can be given only at the start of an episode (tick 0), so "
                          "that their streams are those of 'commons run'");
    SimPolicies ps;
    if ((rc = sim_policies_parse(policies, e->sim.env.p.n_agents, &ps, &x)))
        return capi_fail(err, &x, rc);
    /* check the checkpoints against this world before anything changes */
    for (int i = 0; i < ps.n_loaded && !rc; i++)
        rc = sim_learned_check(&ps.loaded[i], &e->sim.spec, &x);
    for (int i = 0; i < e->sim.env.p.n_agents && !rc; i++) {
        int k = ps.learned[i], groups = k < 0 ? 1 : ps.loaded[k].policy.n_groups;
        if (groups > 1 && i >= groups)
            rc = env_fail(&x, ENV_EINPUT, "%s holds %d independent policies; agent %d has none",
                          ps.loaded[k].file, groups, i);
    }
    if (rc) {
        sim_policies_close(&ps);
        return capi_fail(err, &x, rc);
    }
    uint64_t seed = e->e.seed, index = e->e.world.index, episode = e->e.episode;
    int started = e->started;
    close_episode(e);
    if (e->has_pols) sim_policies_close(&e->pols);
    e->pols = ps;
    e->has_pols = 1;
    if ((rc = open_episode(e, seed, index, &x))) return capi_fail(err, &x, rc);
    if (started) {
        /* the same episode from its start: tick 0 again, the actors' streams fresh */
        sim_episode_start(&e->e, episode, 0);
        e->started = 1;
        if (e->obs) observe_bound(e);
    }
    return 0;
}

int commons_env_policy_act(CommonsEnv *e, int32_t *actions, uint8_t *bits, CommonsError *err) {
    int rc = check_running(e, err);
    if (rc) return rc;
    if (!e->has_pols)
        return capi_error(err, ENV_EINPUT, "no policies: give them first (set_policies)");
    sim_episode_act(&e->e);
    int A = e->sim.env.p.n_agents;
    memcpy(actions, e->e.actions, sizeof(int32_t) * (size_t)A);
    if (bits && e->e.n_bits > 0) memcpy(bits, e->e.bits, (size_t)(A * e->e.n_bits));
    return 0;
}

int commons_env_result(const CommonsEnv *e, CommonsResult *out) {
    if (!e->open) return capi_error(NULL, ENV_ENOMEM, "");
    SimResult r;
    sim_episode_result(&e->e, &r);
    capi_result_from_sim(&r, out);
    return 0;
}

uint64_t commons_env_hash(const CommonsEnv *e) {
    return e->open ? env_state_hash(&e->e.world) : 0;
}
int commons_env_tick(const CommonsEnv *e) {
    return e->open ? e->e.world.tick : 0;
}

int commons_env_global_state(const CommonsEnv *e, uint8_t *out, size_t n, CommonsError *err) {
    int rc = check_open(e, err);
    if (rc) return rc;
    const EnvSpec *s = &e->sim.env.spec;
    size_t need = (size_t)s->state_h * (size_t)s->state_w * (size_t)s->obs_c;
    if (n != need) {
        EnvError x;
        env_fail(&x, ENV_EINPUT, "the global state takes %zu bytes, not %zu", need, n);
        return capi_fail(err, &x, ENV_EINPUT);
    }
    env_global_state(&e->e.world, out);
    return 0;
}

/* the scene and layout of a frame */
static int frame_layout(CommonsEnv *e, int cell, int hud, RenderScene *s, RenderOptions *o,
                        RenderLayout *l, CommonsError *err) {
    EnvError x;
    int rc = check_open(e, err);
    if (rc) return rc;
    render_options_default(o);
    o->cell = cell;
    o->hud = hud != 0;
    if ((rc = render_options_check(o, &e->sim.env, &x))) return capi_fail(err, &x, rc);
    memset(s, 0, sizeof *s);
    sim_episode_scene(&e->e, s);
    render_layout(s, o, l);
    return 0;
}

int commons_env_render_size(CommonsEnv *e, int cell, int hud, int *h, int *w, CommonsError *err) {
    RenderScene s;
    RenderOptions o;
    RenderLayout l;
    int rc = frame_layout(e, cell, hud, &s, &o, &l, err);
    if (rc) return rc;
    *h = l.h;
    *w = l.w;
    return 0;
}

int commons_env_render(CommonsEnv *e, int cell, int hud, uint8_t *rgb, size_t n,
                       CommonsError *err) {
    RenderScene s;
    RenderOptions o;
    RenderLayout l;
    int rc = frame_layout(e, cell, hud, &s, &o, &l, err);
    if (rc) return rc;
    if (n != (size_t)l.h * (size_t)l.w * 3) {
        EnvError x;
        env_fail(&x, ENV_EINPUT, "a %dx%d frame takes %zu bytes, not %zu", l.h, l.w,
                 (size_t)l.h * (size_t)l.w * 3, n);
        return capi_fail(err, &x, ENV_EINPUT);
    }
    render_frame(&s, &o, &l, rgb);
    return 0;
}

int commons_env_record(CommonsEnv *e, const char *policies, CommonsError *err) {
    EnvError x;
    int rc = check_open(e, err);
    if (rc) return rc;
    if (e->recording) return capi_error(err, ENV_EINPUT, "already recording");
    if ((rc = sim_replay_init(&e->rp, &e->sim, e->e.seed, e->e.world.index, policies, &x)))
        return capi_fail(err, &x, rc);
    e->recording = 1;
    return 0;
}

int commons_env_save_replay(CommonsEnv *e, const char *path, CommonsError *err) {
    EnvError x;
    int rc = 0;
    if (!e->recording) return capi_error(err, ENV_EINPUT, "not recording: call record first");
    if (e->recording == 2 && (rc = sim_replay_end(&e->rp, &e->e.world, &x)))
        return capi_fail(err, &x, rc);
    e->recording = 1;
    if (e->rp.n_episodes == 0)
        return capi_error(err, ENV_EINPUT, "nothing recorded: reset after record");
    if ((rc = sim_replay_write(&e->rp, path, &x))) return capi_fail(err, &x, rc);
    sim_replay_close(&e->rp);
    e->recording = 0;
    return 0;
}
