/* runner.c: episodes with scripted or trained policies (see runner.h). */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

int cli_runner_init(CliRunner *r, const SimConfig *sim, const ScriptedKind *kinds, uint64_t seed,
                    uint64_t world_index, EnvError *err) {
    const EnvConfig *cfg = &sim->env;
    memset(r, 0, sizeof *r);
    r->sim = sim;
    r->cfg = cfg;
    r->seed = seed;
    memcpy(r->kind, kinds, (size_t)cfg->p.n_agents * sizeof kinds[0]);
    int rc = env_world_init(&r->world, cfg, seed, world_index, err);
    if (rc) return rc;
    if (scripted_scratch_init(&r->scratch, cfg) != 0) {
        env_world_close(&r->world);
        return env_fail(err, ENV_ENOMEM, "out of memory for policy scratch");
    }
    r->comm = comm_session_wanted(&sim->comm);
    if (r->comm && (rc = comm_session_init(&r->session, cfg, &sim->comm, err)) != 0) {
        scripted_scratch_close(&r->scratch);
        env_world_close(&r->world);
        return rc;
    }
    return 0;
}

int cli_runner_set_learned(CliRunner *r, int agent, const PpoPolicy *pol, int group,
                           EnvError *err) {
    if (agent < 0 || agent >= r->cfg->p.n_agents || group < 0 || group >= pol->n_groups)
        return env_fail(err, ENV_EINPUT, "no parameter group %d for agent %d", group, agent);
    if (!r->obs && !(r->obs = malloc(r->cfg->spec.obs_size * (size_t)r->cfg->p.n_agents)))
        return env_fail(err, ENV_ENOMEM, "out of memory for observations");
    if (r->learned[agent]) nn_work_close(&r->learned_work[agent]);
    r->learned[agent] = NULL;
    if (nn_work_init(&r->learned_work[agent], &pol->net, 1))
        return env_fail(err, ENV_ENOMEM, "out of memory for a policy");
    r->learned[agent] = pol;
    r->learned_group[agent] = group;
    return 0;
}

void cli_runner_close(CliRunner *r) {
    for (int i = 0; i < ENV_MAX_AGENTS; i++)
        if (r->learned[i]) nn_work_close(&r->learned_work[i]);
    free(r->obs);
    if (r->comm) comm_session_close(&r->session);
    scripted_scratch_close(&r->scratch);
    env_world_close(&r->world);
}

void cli_actors_init(CliActors *a, const CliRunner *r, uint64_t episode) {
    for (int i = 0; i < r->cfg->p.n_agents; i++) {
        scripted_init(&a->pol[i], r->kind[i], i, r->seed, r->world.index, episode);
        env_rng_seed(&a->learned_rng[i],
                     env_hash4(r->seed, r->world.index, episode,
                               ((uint64_t)PPO_STREAM_EVAL << 32) | (uint64_t)i));
    }
}

int64_t cli_actors_act(CliActors *a, CliRunner *r, const EnvView *view, int32_t *actions,
                       uint8_t *bits) {
    const EnvConfig *cfg = r->cfg;
    int n_bits = r->sim->comm.signal_bits;
    int64_t signals = 0;
    if (r->obs) env_observe(&r->world, r->obs);
    for (int i = 0; i < cfg->p.n_agents; i++) {
        unsigned sig = 0;
        if (r->learned[i]) {
            /* a trained policy: head 0 moves, the next heads are its signal bits */
            int32_t parts[NN_MAX_HEADS];
            const PpoPolicy *lp = r->learned[i];
            actions[i] = ppo_policy_act(lp, r->learned_group[i], &r->learned_work[i],
                                        r->obs + (size_t)i * cfg->spec.obs_size, &a->learned_rng[i],
                                        0, parts);
            for (int b = 0; b < n_bits && b + 1 < lp->n_heads; b++)
                sig |= (unsigned)(parts[b + 1] & 1) << b;
        } else {
            actions[i] = scripted_act(&a->pol[i], view, &r->scratch);
            sig = scripted_signals(&a->pol[i], view);
        }
        for (int b = 0; b < n_bits; b++) {
            bits[i * n_bits + b] = (uint8_t)((sig >> b) & 1u);
            signals += bits[i * n_bits + b];
        }
    }
    return signals;
}

void cli_run_episode(CliRunner *r, uint64_t episode, int steps, CliEpisode *out) {
    const EnvConfig *cfg = r->cfg;
    int n = cfg->p.n_agents;
    if (steps <= 0 || steps > cfg->p.max_steps) steps = cfg->p.max_steps;
    CliActors actors;
    cli_actors_init(&actors, r, episode);
    env_reset(&r->world, episode);
    if (r->comm) comm_session_reset(&r->session);
    int32_t actions[ENV_MAX_AGENTS];
    uint8_t bits[ENV_MAX_AGENTS * ENV_MAX_SIGNAL_BITS];
    int64_t signals = 0;
    EnvView view;
    for (int t = 0; t < steps; t++) {
        env_view(&r->world, &view);
        /* hear last step's signals over this step's graph */
        if (r->comm) {
            comm_session_observe(&r->session, &r->world);
            comm_session_view(&r->session, &view);
        }
        signals += cli_actors_act(&actors, r, &view, actions, bits);
        env_step(&r->world, actions, NULL);
        if (r->comm) comm_session_emit(&r->session, bits);
    }
    memset(out, 0, sizeof *out);
    out->signals = signals;
    out->spawned = r->world.spawned;
    out->collected = r->world.collected;
    out->beached = r->world.beached;
    out->afloat = cfg->p.game == ENV_GAME_OCEAN ? env_plastic_afloat(&r->world) : 0;
    out->episode = (int)episode;
    out->steps = steps;
    env_metrics_finish(&r->world.metrics, &out->social);
    memcpy(out->ret, r->world.metrics.ret, (size_t)n * sizeof out->ret[0]);
    out->hash = env_state_hash(&r->world);
    out->bad_actions = r->world.bad_actions;
}
