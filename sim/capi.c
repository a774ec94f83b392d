/* capi.c: the C API of libcommons.so (commons.h): params, batches of worlds and single worlds
 * behind opaque handles, for language bindings.
 *
 * Contract (commons.h): every argument is checked before anything changes; buffers are the
 * caller's, bound once and written in place; errors come back as a code and a message. Batches
 * step through sim/batch.h and single worlds through the episode stepper (sim/episode.h), so a
 * binding's trajectories are those of the commands.
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "capi_internal.h"
#include "policy.h"

struct CommonsParams {
    SimParams p;
};

struct CommonsVec {
    SimConfig sim;
    SimBatch b;
    SimBatchOut out;
    int bound;
    int32_t *act; /* (W, A) the checked actions */
};

int capi_fail(CommonsError *out, const EnvError *err, int rc) {
    if (out) {
        out->code = rc;
        snprintf(out->msg, sizeof out->msg, "%s", err->msg);
    }
    return rc;
}

int capi_error(CommonsError *out, int code, const char *msg) {
    EnvError err;
    env_fail(&err, code, "%s", msg);
    return capi_fail(out, &err, code);
}

int commons_api_version(void) {
    return COMMONS_API_VERSION;
}
const char *commons_error_name(int code) {
    return env_error_name(code);
}
const char *commons_preset_name(int i) {
    return i < 0 ? NULL : env_builtin_preset_name(i);
}
const char *commons_scripted_name(int i) {
    return i >= 0 && i < SCRIPTED_COUNT ? scripted_name((ScriptedKind)i) : NULL;
}

/* ---- params ---- */

CommonsParams *commons_params_new(const char *preset, CommonsError *err) {
    EnvError e;
    CommonsParams *p = malloc(sizeof *p);
    if (!p) {
        capi_error(err, ENV_ENOMEM, "out of memory for the params");
        return NULL;
    }
    int rc = preset ? sim_params_load_preset(&p->p, preset, &e) : 0;
    if (!preset) sim_params_default(&p->p);
    if (rc) {
        free(p);
        capi_fail(err, &e, rc);
        return NULL;
    }
    return p;
}

void commons_params_free(CommonsParams *p) {
    free(p);
}

const SimParams *capi_params(const CommonsParams *p) {
    return &p->p;
}

int commons_params_set(CommonsParams *p, const char *assignment, CommonsError *err) {
    EnvError e;
    int rc = sim_params_apply_set(&p->p, assignment, &e);
    return rc ? capi_fail(err, &e, rc) : 0;
}

int commons_params_load_file(CommonsParams *p, const char *path, CommonsError *err) {
    EnvError e;
    int rc = sim_params_load_file(&p->p, path, &e);
    return rc ? capi_fail(err, &e, rc) : 0;
}

int commons_params_key(int i, const char **section, const char **key, char *range, size_t n,
                       const char **doc) {
    return i < 0 ? ENV_ENOTFOUND : sim_params_key(i, section, key, range, n, doc);
}

int commons_params_get(const CommonsParams *p, const char *section, const char *key, char *buf,
                       size_t n, CommonsError *err) {
    if (sim_params_get(&p->p, section, key, buf, n) == 0) return 0;
    EnvError e;
    env_fail(&e, ENV_ENOTFOUND, "no key '%s.%s'; 'commons maps --keys' lists the keys", section,
             key);
    return capi_fail(err, &e, ENV_ENOTFOUND);
}

/* the API's spec from a sim spec and the comm settings */
void capi_spec(const EnvSpec *s, const CommParams *comm, int msg_size, int game, CommonsSpec *out) {
    memset(out, 0, sizeof *out);
    out->n_agents = s->n_agents;
    out->n_actions = s->n_actions;
    out->obs_h = s->obs_h;
    out->obs_w = s->obs_w;
    out->obs_c = s->obs_c;
    out->ids = s->encoding == ENV_ENC_IDS;
    out->obs_max = out->ids ? ENV_ID_COUNT - 1 : 255;
    out->n_bits = comm ? comm->signal_bits : 0;
    out->msg_size = msg_size;
    out->n_features = s->n_features;
    out->state_h = s->state_h;
    out->state_w = s->state_w;
    out->max_steps = s->max_steps;
    out->game = game;
}

int commons_params_spec(const CommonsParams *p, CommonsSpec *spec, CommonsError *err) {
    EnvError e;
    EnvSpec s;
    int rc = sim_spec(&p->p, &s, &e);
    if (rc) return capi_fail(err, &e, rc);
    int msg = comm_params_communicates(&p->p.comm)
                  ? comm_message_size(p->p.comm.signal_bits, p->p.comm.slots)
                  : 0;
    capi_spec(&s, &p->p.comm, msg, (int)p->p.env.game, spec);
    return 0;
}

int commons_params_ini(const CommonsParams *p, char *buf, size_t n) {
    char *text = sim_train_config_text(&p->p, NULL);
    if (!text) return ENV_ENOMEM;
    size_t len = strlen(text);
    if (buf && n > 0) snprintf(buf, n, "%s", text);
    free(text);
    return (int)len;
}

/* checks actions (n,) of act_bytes each against n_actions into act, and bits (nb,) 0/1 */
int capi_check_actions(const void *actions, int act_bytes, size_t n, int n_actions, int32_t *act,
                       const uint8_t *bits, size_t nb, int n_agents, CommonsError *err) {
    EnvError e;
    if (act_bytes != 4 && act_bytes != 8) {
        env_fail(&e, ENV_EINPUT, "actions must be int32 or int64, not %d-byte integers", act_bytes);
        return capi_fail(err, &e, ENV_EINPUT);
    }
    for (size_t i = 0; i < n; i++) {
        int64_t a = act_bytes == 4 ? ((const int32_t *)actions)[i] : ((const int64_t *)actions)[i];
        if (a < 0 || a >= n_actions) {
            env_fail(&e, ENV_EINPUT,
                     "action %lld of world %zu, agent %zu is out of range; allowed 0..%d",
                     (long long)a, i / (size_t)n_agents, i % (size_t)n_agents, n_actions - 1);
            return capi_fail(err, &e, ENV_EINPUT);
        }
        act[i] = (int32_t)a;
    }
    for (size_t i = 0; bits && i < nb; i++)
        if (bits[i] > 1) {
            env_fail(&e, ENV_EINPUT, "signal bit %zu is %d; allowed 0 or 1", i, bits[i]);
            return capi_fail(err, &e, ENV_EINPUT);
        }
    return 0;
}

/* ---- a batch of worlds ---- */

CommonsVec *commons_vec_new(const CommonsParams *p, uint64_t seed, int64_t world_base, int n_worlds,
                            CommonsError *err) {
    EnvError e;
    if (n_worlds < 1 || n_worlds > 1 << 20 || world_base < 0) {
        env_fail(&e, ENV_EINPUT, "num_worlds = %d, world_base = %lld: allowed 1..%d worlds from 0",
                 n_worlds, (long long)world_base, 1 << 20);
        capi_fail(err, &e, ENV_EINPUT);
        return NULL;
    }
    CommonsVec *v = calloc(1, sizeof *v);
    if (!v) {
        capi_error(err, ENV_ENOMEM, "out of memory for a batch of worlds");
        return NULL;
    }
    int rc = sim_config_init(&v->sim, &p->p, &e);
    if (rc) {
        free(v);
        capi_fail(err, &e, rc);
        return NULL;
    }
    rc = sim_batch_init(&v->b, &v->sim, seed, world_base, n_worlds, 0, &e);
    if (!rc && !(v->act = malloc(sizeof(int32_t) * (size_t)n_worlds * (size_t)v->b.n_agents))) {
        sim_batch_close(&v->b);
        rc = env_fail(&e, ENV_ENOMEM, "out of memory for a batch's actions");
    }
    if (rc) {
        sim_config_close(&v->sim);
        free(v);
        capi_fail(err, &e, rc);
        return NULL;
    }
    return v;
}

void commons_vec_free(CommonsVec *v) {
    if (!v) return;
    sim_batch_close(&v->b);
    sim_config_close(&v->sim);
    free(v->act);
    free(v);
}

int commons_vec_spec(const CommonsVec *v, CommonsSpec *spec) {
    capi_spec(&v->sim.spec, &v->sim.comm, v->b.msg_size, (int)v->sim.env.p.game, spec);
    return 0;
}

int commons_vec_bind(CommonsVec *v, uint8_t *obs, float *rewards, uint8_t *terminations,
                     uint8_t *truncations, uint8_t *final_obs, float *msg, float *features,
                     CommonsError *err) {
    if (!obs || !rewards || !terminations || !truncations)
        return capi_error(err, ENV_EINPUT,
                          "bind: obs, rewards, terminations and truncations "
                          "are required");
    SimBatchOut out = {.obs = obs,
                       .rewards = rewards,
                       .terminations = terminations,
                       .truncations = truncations,
                       .final_obs = final_obs,
                       .msg = msg,
                       .features = features};
    v->out = out;
    v->bound = 1;
    size_t W = (size_t)v->b.n_worlds;
    memset(terminations, 0, W);
    memset(truncations, 0, W);
    memset(rewards, 0, W * (size_t)v->b.n_agents * sizeof(float));
    sim_batch_observe(&v->b, &v->out);
    return 0;
}

int commons_vec_reset(CommonsVec *v, uint64_t seed, CommonsError *err) {
    EnvError e;
    SimBatch nb;
    int rc = sim_batch_init(&nb, &v->sim, seed, v->b.world_base, v->b.n_worlds, 0, &e);
    if (rc) return capi_fail(err, &e, rc);
    sim_batch_close(&v->b);
    v->b = nb;
    if (v->bound)
        return commons_vec_bind(v, v->out.obs, v->out.rewards, v->out.terminations,
                                v->out.truncations, v->out.final_obs, v->out.msg, v->out.features,
                                err);
    return 0;
}

int commons_vec_step(CommonsVec *v, const void *actions, int act_bytes, const uint8_t *bits,
                     CommonsError *err) {
    if (!v->bound) return capi_error(err, ENV_EINPUT, "step before the buffers were bound");
    size_t W = (size_t)v->b.n_worlds, A = (size_t)v->b.n_agents;
    int rc = capi_check_actions(actions, act_bytes, W * A, v->b.cfg->spec.n_actions, v->act, bits,
                                W * A * (size_t)v->b.n_bits, (int)A, err);
    if (rc) return rc;
    sim_batch_step(&v->b, v->act, v->b.n_bits > 0 ? bits : NULL, &v->out);
    int ended = 0;
    for (size_t k = 0; k < W; k++) ended += v->out.terminations[k] | v->out.truncations[k];
    return ended;
}

/* a result from finished metrics */
void capi_result_from_metrics(const EnvMetrics *m, int64_t episode, CommonsResult *out) {
    EnvSocial s;
    memset(out, 0, sizeof *out);
    env_metrics_finish(m, &s);
    out->episode = episode;
    out->steps = m->steps;
    out->efficiency = s.efficiency;
    out->equality = s.equality;
    out->sustainability = s.sustainability;
    out->peace = s.peace;
    memcpy(out->returns, m->ret, (size_t)m->n_agents * sizeof m->ret[0]);
}

int commons_vec_last_episode(const CommonsVec *v, int k, CommonsResult *out, CommonsError *err) {
    EnvError e;
    if (k < 0 || k >= v->b.n_worlds) {
        env_fail(&e, ENV_EINPUT, "world %d is outside 0..%d", k, v->b.n_worlds - 1);
        return capi_fail(err, &e, ENV_EINPUT);
    }
    const EnvWorld *w = &v->b.worlds[k];
    if (w->episodes_done == 0) {
        env_fail(&e, ENV_ENOTFOUND, "world %d has not finished an episode", k);
        return capi_fail(err, &e, ENV_ENOTFOUND);
    }
    capi_result_from_metrics(&w->last_metrics, (int64_t)w->episode - 1, out);
    return 0;
}

uint64_t commons_vec_hash(const CommonsVec *v, int k) {
    return k >= 0 && k < v->b.n_worlds ? env_state_hash(&v->b.worlds[k]) : 0;
}
