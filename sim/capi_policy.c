/* capi_policy.c: the C API's trained policies acting on observations a caller gives, and the
 * check of replay files (commons.h).
 *
 * Contract: a policy reads observations of exactly the shape and encoding it was trained on; an
 * `ids` observation byte outside the ids it knows is refused before the network reads it (it
 * indexes the embedding). Sampling draws from a stream keyed by (seed, stream, row), so the same
 * call gives the same actions. A replay is checked as `commons replay --check` checks it.
 */
#include <stdlib.h>
#include <string.h>

#include "capi_internal.h"
#include "policy.h"
#include "replay.h"

struct CommonsPolicy {
    SimLearned l;
    NnWork ws; /* one row */
};

CommonsPolicy *commons_policy_load(const char *path, CommonsError *err) {
    EnvError x;
    CommonsPolicy *p = calloc(1, sizeof *p);
    if (!p) {
        capi_error(err, ENV_ENOMEM, "out of memory for a policy");
        return NULL;
    }
    int rc = sim_learned_load(&p->l, path, &x);
    if (rc) {
        free(p);
        capi_fail(err, &x, rc);
        return NULL;
    }
    if (nn_work_init(&p->ws, &p->l.policy.net, 1)) {
        sim_learned_close(&p->l);
        free(p);
        capi_error(err, ENV_ENOMEM, "out of memory for a policy's buffers");
        return NULL;
    }
    return p;
}

void commons_policy_free(CommonsPolicy *p) {
    if (!p) return;
    nn_work_close(&p->ws);
    sim_learned_close(&p->l);
    free(p);
}

int commons_policy_spec(const CommonsPolicy *p, CommonsSpec *spec, int *groups) {
    const NnArch *a = &p->l.policy.net.arch;
    EnvSpec s;
    memset(&s, 0, sizeof s);
    s.n_agents = p->l.params.env.n_agents;
    s.n_actions = a->heads[0];
    s.obs_h = a->obs_h;
    s.obs_w = a->obs_w;
    s.obs_c = a->obs_c;
    s.encoding = a->ids ? ENV_ENC_IDS : ENV_ENC_RGB;
    s.max_steps = p->l.params.env.max_steps;
    capi_spec(&s, NULL, 0, (int)p->l.params.env.game, spec);
    spec->n_bits = p->l.policy.n_heads - 1;
    if (a->ids) spec->obs_max = a->n_ids - 1;
    if (groups) *groups = p->l.policy.n_groups;
    return 0;
}

int commons_policy_act(CommonsPolicy *p, const uint8_t *obs, int n, uint64_t seed, uint64_t stream,
                       int greedy, int32_t *actions, uint8_t *bits, CommonsError *err) {
    EnvError x;
    const NnArch *a = &p->l.policy.net.arch;
    size_t size = (size_t)a->obs_h * (size_t)a->obs_w * (size_t)a->obs_c;
    int nb = p->l.policy.n_heads - 1, groups = p->l.policy.n_groups;
    if (n < 0) return capi_error(err, ENV_EINPUT, "a negative number of observations");
    /* ids index the embedding: refuse any the network does not know */
    for (size_t i = 0; a->ids && i < (size_t)n * size; i++)
        if (obs[i] >= a->n_ids) {
            env_fail(&x, ENV_EINPUT,
                     "observation %zu holds id %d at byte %zu; this policy reads ids 0..%d",
                     i / size, obs[i], i % size, a->n_ids - 1);
            return capi_fail(err, &x, ENV_EINPUT);
        }
    for (int i = 0; i < n; i++) {
        int32_t parts[NN_MAX_HEADS];
        EnvRng rng;
        env_rng_seed(&rng, env_hash4(seed, stream, (uint64_t)i, PPO_STREAM_EVAL));
        actions[i] = ppo_policy_act(&p->l.policy, i % groups, &p->ws, obs + (size_t)i * size, &rng,
                                    greedy, parts);
        for (int b = 0; bits && b < nb; b++)
            bits[(size_t)i * (size_t)nb + (size_t)b] = (uint8_t)(parts[b + 1] & 1);
    }
    return 0;
}

/* plays every recorded episode back; results into out, *n of them */
static int check_replay(const char *path, SimReplay *rp, CommonsResult *out, int cap, int *n,
                        EnvError *x) {
    SimParams p;
    SimConfig sim;
    SimEpisode e;
    int rc = sim_replay_params(rp, path, &p, x);
    if (!rc) rc = sim_config_init(&sim, &p, x);
    if (rc) return rc;
    if ((rc = sim_replay_check_config(rp, path, &sim.env, x)) ||
        (rc = sim_episode_init(&e, &sim, NULL, rp->seed, rp->world_index, x))) {
        sim_config_close(&sim);
        return rc;
    }
    for (int i = 0; i < rp->n_episodes && !rc; i++) {
        SimReplayCursor cur;
        sim_replay_cursor_start(&cur, rp, i, &e);
        while (!sim_replay_cursor_step(&cur)) {
        }
        SimResult r;
        sim_episode_result(&e, &r);
        if (i < cap) capi_result_from_sim(&r, &out[i]);
        *n = i + 1;
        rc = sim_replay_cursor_mismatch(&cur, path, x);
    }
    sim_episode_close(&e);
    sim_config_close(&sim);
    return rc;
}

int commons_replay_check(const char *path, CommonsResult *out, int cap, int *n, CommonsError *err) {
    EnvError x;
    SimReplay rp;
    *n = 0;
    int rc = sim_replay_read(&rp, path, &x);
    if (rc) return capi_fail(err, &x, rc);
    rc = check_replay(path, &rp, out, cap, n, &x);
    sim_replay_close(&rp);
    return rc ? capi_fail(err, &x, rc) : 0;
}
