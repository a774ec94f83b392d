/* test_sim.c: the episode stepper and the batch of worlds: the actors' episode replayed from its
 * recorded actions and bits ends in the same state; a batch stepped with the same actions and
 * bits sees, hears and ends exactly as the single-world stepper does, with auto-reset,
 * truncation flags and the final observation; shared rewards over the comm graph. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "episode.h"

typedef struct Setup {
    SimParams sp;
    EnvParams p;  /* sp.env */
    CommParams c; /* sp.comm */
    SimConfig sim;
    EnvConfig cfg; /* sim.env */
} Setup;

static void setup(Setup *x, const char *preset, const char *s1, const char *s2, const char *s3) {
    EnvError err;
    th_sim_params(&x->sp, preset, s1, s2, s3, (const char *)NULL);
    if (sim_config_init(&x->sim, &x->sp, &err)) fail_msg("%s", err.msg);
    x->p = x->sp.env;
    x->c = x->sp.comm;
    x->cfg = x->sim.env;
}

/* an episode of the actors, recorded, then stepped again with the recorded actions and bits */
static void replays_itself(const char *preset, const char *s1, const char *s2, int steps) {
    Setup x;
    setup(&x, preset, s1, s2, NULL);
    int n = x.p.n_agents, nb = n * x.c.signal_bits;
    ScriptedKind kinds[ENV_MAX_AGENTS];
    for (int i = 0; i < n; i++)
        kinds[i] = (ScriptedKind)((i + 2) % SCRIPTED_COUNT); /* coop first */
    SimEpisode a, b;
    EnvError err;
    assert_int_equal(sim_episode_init(&a, &x.sim, kinds, 5, 2, &err), 0);
    assert_int_equal(sim_episode_init(&b, &x.sim, NULL, 5, 2, &err), 0);
    int32_t *act = malloc(sizeof(int32_t) * (size_t)(steps * n));
    uint8_t *bits = malloc((size_t)(steps * nb) + 1);
    sim_episode_start(&a, 3, steps);
    int t = 0, done = 0;
    while (!done) {
        done = sim_episode_step(&a, NULL, NULL);
        memcpy(act + t * n, a.actions, sizeof(int32_t) * (size_t)n);
        memcpy(bits + t * nb, a.bits, (size_t)nb);
        t++;
    }
    assert_int_equal(t, steps);
    assert_int_equal(sim_episode_step(&a, NULL, NULL), 1); /* over: no more steps */
    assert_int_equal(a.world.tick, steps);
    SimResult ra, rb;
    sim_episode_result(&a, &ra);
    sim_episode_start(&b, 3, steps);
    for (t = 0; t < steps; t++)
        assert_int_equal(sim_episode_step(&b, act + t * n, bits + t * nb), t == steps - 1);
    sim_episode_result(&b, &rb);
    assert_true(ra.hash == rb.hash);
    assert_int_equal(ra.steps, steps);
    assert_true(ra.signals == rb.signals);
    assert_memory_equal(ra.ret, rb.ret, sizeof(int64_t) * (size_t)n);
    if (x.c.signal_bits > 0) {
        if (x.p.game == ENV_GAME_OCEAN) assert_true(ra.signals > 0); /* the coop vessel signalled */
        assert_memory_equal(a.session.msg, b.session.msg,
                            sizeof(float) * (size_t)(n * a.session.msg_size));
    }
    /* a run from the start is the stepped episode */
    SimResult rr;
    sim_episode_run(&a, 3, steps, &rr);
    assert_true(rr.hash == ra.hash);
    free(act);
    free(bits);
    sim_episode_close(&a);
    sim_episode_close(&b);
    sim_config_close(&x.sim);
}

static void test_episode_replays_itself(void **state) {
    (void)state;
    replays_itself("cleanup", NULL, NULL, 300);
    replays_itself("ocean-small", NULL, NULL, 200);
    replays_itself("harvest", "comm.topology=ring", "comm.signal_bits=2", 150);
}

/* the batch against one stepper per world, with the same actions and bits */
static void batch_matches_episodes(const char *preset, const char *s1, const char *s2,
                                   const char *s3) {
    Setup x;
    setup(&x, preset, s1, s2, s3);
    const int W = 3, steps = 2 * x.p.max_steps + 7;
    int A = x.p.n_agents, B = x.c.signal_bits;
    size_t O = x.cfg.spec.obs_size;
    int F = x.cfg.spec.n_features;
    EnvError err;
    SimBatch batch;
    assert_int_equal(sim_batch_init(&batch, &x.sim, 11, 4, W, 0, &err), 0);
    int M = batch.msg_size;
    SimEpisode e[3];
    for (int k = 0; k < W; k++) {
        assert_int_equal(sim_episode_init(&e[k], &x.sim, NULL, 11, (uint64_t)(4 + k), &err), 0);
        sim_episode_start(&e[k], 0, 0);
    }
    uint8_t *obs = malloc((size_t)W * A * O), *fin = malloc((size_t)W * A * O);
    uint8_t *one = malloc((size_t)A * O);
    float *rew = malloc(sizeof(float) * (size_t)(W * A));
    float *msg = malloc(sizeof(float) * (size_t)(W * A * (M > 0 ? M : 1)));
    float *feat = malloc(sizeof(float) * (size_t)(W * A * (F > 0 ? F : 1)));
    float feat1[ENV_MAX_AGENTS * 8];
    int32_t act[3 * ENV_MAX_AGENTS];
    uint8_t bits[3 * ENV_MAX_AGENTS * ENV_MAX_SIGNAL_BITS] = {0}, term[3], trunc[3];
    SimBatchOut out = {.obs = obs,
                       .rewards = rew,
                       .terminations = term,
                       .truncations = trunc,
                       .final_obs = fin,
                       .msg = M > 0 ? msg : NULL,
                       .features = F > 0 ? feat : NULL};
    EnvRng rng;
    env_rng_seed(&rng, 77);
    int ends = 0;
    for (int t = 0; t < steps; t++) {
        for (int i = 0; i < W * A; i++)
            act[i] = (int32_t)env_rng_below(&rng, (uint32_t)x.cfg.spec.n_actions);
        for (int i = 0; i < W * A * B; i++) bits[i] = (uint8_t)(env_rng_u32(&rng) & 1);
        sim_batch_step(&batch, act, B ? bits : NULL, &out);
        for (int k = 0; k < W; k++) {
            int done = sim_episode_step(&e[k], act + k * A, bits + k * A * B);
            int32_t raw[ENV_MAX_AGENTS];
            memcpy(raw, e[k].world.reward, sizeof(int32_t) * (size_t)A);
            assert_int_equal(trunc[k], done);
            assert_int_equal(term[k], 0);
            if (done) {
                ends++;
                env_observe(&e[k].world, one);
                assert_memory_equal(fin + (size_t)k * A * O, one, (size_t)A * O);
                sim_episode_start(&e[k], e[k].episode + 1, 0);
            }
            /* rewards: the world's own, or shared over the graph the agents acted on */
            if (x.c.share == COMM_SHARE_NONE)
                for (int i = 0; i < A; i++) assert_true(rew[k * A + i] == (float)raw[i]);
            /* what the next step sees and hears */
            env_observe(&e[k].world, one);
            assert_memory_equal(obs + (size_t)k * A * O, one, (size_t)A * O);
            if (M > 0) {
                comm_session_observe(&e[k].session, &e[k].world);
                assert_memory_equal(msg + (size_t)k * A * M, e[k].session.msg,
                                    sizeof(float) * (size_t)(A * M));
            }
            if (F > 0) {
                env_features(&e[k].world, feat1);
                assert_memory_equal(feat + (size_t)k * A * F, feat1,
                                    sizeof(float) * (size_t)(A * F));
            }
            assert_true(env_state_hash(&batch.worlds[k]) == env_state_hash(&e[k].world));
        }
    }
    assert_int_equal(ends, 2 * W);
    assert_int_equal(batch.worlds[1].episodes_done, 2);
    for (int k = 0; k < W; k++) sim_episode_close(&e[k]);
    sim_batch_close(&batch);
    free(obs);
    free(fin);
    free(one);
    free(rew);
    free(msg);
    free(feat);
    sim_config_close(&x.sim);
}

static void test_batch_matches_episodes(void **state) {
    (void)state;
    batch_matches_episodes("gathering-small", "env.max_steps=40", NULL, NULL);
    batch_matches_episodes("ocean-small", "env.max_steps=30", NULL, NULL);
    batch_matches_episodes("harvest", "env.max_steps=25", "comm.topology=ring",
                           "comm.signal_bits=1");
}

/* rewards.share = global: every agent's learning reward is the sum of the world's rewards */
static void test_batch_shares_rewards(void **state) {
    (void)state;
    Setup x;
    setup(&x, "cleanup", "rewards.share=global", "comm.topology=full", NULL);
    EnvError err;
    SimBatch batch;
    assert_int_equal(sim_batch_init(&batch, &x.sim, 2, 0, 1, 0, &err), 0);
    int A = x.p.n_agents;
    int32_t act[ENV_MAX_AGENTS];
    float rew[ENV_MAX_AGENTS];
    SimBatchOut out = {.rewards = rew};
    EnvRng rng;
    env_rng_seed(&rng, 5);
    int nonzero = 0;
    for (int t = 0; t < 200; t++) {
        for (int i = 0; i < A; i++) act[i] = (int32_t)env_rng_below(&rng, 9);
        sim_batch_step(&batch, act, NULL, &out);
        float sum = 0;
        for (int i = 0; i < A; i++) sum += (float)batch.worlds[0].reward[i];
        for (int i = 0; i < A; i++) assert_true(rew[i] == sum);
        nonzero += sum != 0;
    }
    assert_true(nonzero > 10); /* beams cost and hit: the check above saw real sums */
    sim_batch_close(&batch);
    sim_config_close(&x.sim);
}

/* rewards.inequity: the batch's learning rewards are the world's own minus envy and guilt over
 * per-episode traces (reset at auto-reset), while the world itself steps as without it */
static void test_batch_inequity_rewards(void **state) {
    (void)state;
    Setup x, y;
    setup(&x, "cleanup", "rewards.inequity=on", "env.max_steps=60", NULL);
    setup(&y, "cleanup", "env.max_steps=60", NULL, NULL);
    EnvError err;
    SimBatch a, b;
    assert_int_equal(sim_batch_init(&a, &x.sim, 2, 0, 1, 0, &err), 0);
    assert_int_equal(sim_batch_init(&b, &y.sim, 2, 0, 1, 0, &err), 0);
    assert_true(a.comm && a.msg_size == 0 && !b.comm);
    int A = x.p.n_agents, shaped = 0;
    int32_t act[ENV_MAX_AGENTS];
    float ra[ENV_MAX_AGENTS], rb[ENV_MAX_AGENTS], trace[ENV_MAX_AGENTS] = {0};
    SimBatchOut oa = {.rewards = ra}, ob = {.rewards = rb};
    EnvRng rng;
    env_rng_seed(&rng, 5);
    for (int t = 0; t < 150; t++) {
        if (t % 60 == 0) memset(trace, 0, sizeof trace); /* a new episode */
        for (int i = 0; i < A; i++) act[i] = (int32_t)env_rng_below(&rng, 9);
        sim_batch_step(&a, act, NULL, &oa);
        sim_batch_step(&b, act, NULL, &ob);
        assert_int_equal(env_state_hash(&a.worlds[0]), env_state_hash(&b.worlds[0]));
        float want[ENV_MAX_AGENTS];
        memcpy(want, rb, sizeof want);
        comm_inequity_rewards(A, 5.0f, 0.05f, 0.96525f, trace, rb, want);
        for (int i = 0; i < A; i++) assert_true(ra[i] == want[i]);
        for (int i = 0; i < A; i++) shaped += ra[i] != rb[i];
    }
    assert_true(shaped > 100); /* beams cost and hit: the traces differ */
    assert_memory_equal(&a.worlds[0].last_metrics, &b.worlds[0].last_metrics,
                        sizeof a.worlds[0].last_metrics);
    sim_batch_close(&a);
    sim_batch_close(&b);
    sim_config_close(&x.sim);
    sim_config_close(&y.sim);
}

/* a world restored from its recorded actions continues as the original */
static void test_batch_restore(void **state) {
    (void)state;
    Setup x;
    setup(&x, "harvest", "env.max_steps=50", NULL, NULL);
    EnvError err;
    SimBatch a, b;
    assert_int_equal(sim_batch_init(&a, &x.sim, 8, 0, 2, 1, &err), 0);
    assert_int_equal(sim_batch_init(&b, &x.sim, 8, 0, 2, 1, &err), 0);
    int A = x.p.n_agents;
    int32_t act[2 * ENV_MAX_AGENTS];
    SimBatchOut none = {0};
    for (int t = 0; t < 63; t++) {
        for (int i = 0; i < 2 * A; i++) act[i] = (t * 7 + i * 3) % 8;
        sim_batch_step(&a, act, NULL, &none);
    }
    const EnvWorld *w = &a.worlds[1];
    assert_int_equal(sim_batch_restore(&b, 1, w->episode, w->tick, a.history + 50 * A, NULL,
                                       env_state_hash(w), &err),
                     0);
    assert_true(env_state_hash(&b.worlds[1]) == env_state_hash(w));
    assert_int_not_equal(sim_batch_restore(&b, 1, w->episode, w->tick, a.history + 50 * A, NULL,
                                           env_state_hash(w) ^ 1, &err),
                         0);
    assert_non_null(strstr(err.msg, "replaying the checkpoint's 13 actions"));
    sim_batch_close(&a);
    sim_batch_close(&b);
    sim_config_close(&x.sim);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_episode_replays_itself),
        cmocka_unit_test(test_batch_matches_episodes),
        cmocka_unit_test(test_batch_shares_rewards),
        cmocka_unit_test(test_batch_inequity_rewards),
        cmocka_unit_test(test_batch_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
