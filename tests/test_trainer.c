/* test_trainer.c: the training driver (sim/train.c): worlds stepped by a trainer holding some
 * shards see, act and learn exactly as inside a trainer holding all of them; updates are
 * deterministic; worlds that signal are refused until the trainer reads signals. */
#include "helpers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

static void harvest_config(PpoConfig *c, SimParams *p) {
    th_sim_params(p, "harvest", "obs.encoding=ids", "env.max_steps=20", NULL);
    ppo_config_default(c);
    c->worlds = 4;
    c->shards = 2;
    c->rollout = 12;
    c->minibatches = 2;
    c->epochs = 1;
    c->hidden[0] = 16;
    c->n_hidden = 1;
    c->seed = 9;
}

static void test_world_position_independent(void **state) {
    (void)state;
    /* worlds 2 and 3 stepped among four (shards 0-1) and alone (shard 1 only) */
    SimParams p;
    PpoConfig c;
    harvest_config(&c, &p);
    SimConfig env;
    EnvError err;
    assert_int_equal(sim_config_init(&env, &p, &err), 0);
    SimTrainer sall, spart;
    if (sim_trainer_init(&sall, &c, &env, 0, 2, &err)) fail_msg("%s", err.msg);
    if (sim_trainer_init(&spart, &c, &env, 1, 1, &err)) fail_msg("%s", err.msg);
    PpoTrainer *all = &sall.ppo, *part = &spart.ppo;
    assert_int_equal(part->world_base, 2);
    assert_int_equal(part->n_worlds, 2);
    assert_int_equal(spart.batch.worlds[0].index, 2);
    for (int rep = 0; rep < 2; rep++) {
        sim_trainer_rollout(&sall);
        sim_trainer_rollout(&spart);
        int A = env.spec.n_agents;
        size_t O = env.spec.obs_size;
        for (int s = 0; s <= c.rollout; s++)
            for (int w = 0; w < 2; w++) {
                size_t ia = ((size_t)s * 4 + 2 + w) * A, ip = ((size_t)s * 2 + w) * A;
                assert_memory_equal(all->obs + ia * O, part->obs + ip * O, A * O);
                assert_memory_equal(all->value + ia, part->value + ip, A * sizeof(float));
                if (s == c.rollout) continue;
                assert_memory_equal(all->act + ia, part->act + ip, A * sizeof(int32_t));
                assert_memory_equal(all->logp + ia, part->logp + ip, A * sizeof(float));
                assert_memory_equal(all->reward + ia, part->reward + ip, A * sizeof(float));
            }
        /* the next rollout's streams are keyed by the update */
        all->update++;
        part->update++;
    }
    /* an episode of 20 steps ended in every world within the 24 steps */
    assert_int_equal(all->n_ep, 4);
    assert_int_equal(part->n_ep, 2);
    assert_int_equal(part->ep[0].world, 2);
    assert_true(part->ep[0].ret[0] == all->ep[2].ret[0]);
    sim_trainer_close(&sall);
    sim_trainer_close(&spart);
    sim_config_close(&env);
}

static void test_updates_deterministic(void **state) {
    (void)state;
    SimParams p;
    PpoConfig c;
    harvest_config(&c, &p);
    c.independent = 1;
    SimConfig env;
    EnvError err;
    assert_int_equal(sim_config_init(&env, &p, &err), 0);
    SimTrainer sa_, sb_;
    if (sim_trainer_init(&sa_, &c, &env, 0, c.shards, &err)) fail_msg("%s", err.msg);
    if (sim_trainer_init(&sb_, &c, &env, 0, c.shards, &err)) fail_msg("%s", err.msg);
    PpoTrainer *a = &sa_.ppo, *b = &sb_.ppo;
    size_t bytes = sizeof(float) * a->model.n * (size_t)a->model.n_groups;
    float *start = malloc(bytes);
    memcpy(start, a->model.params, bytes);
    PpoStats sa, sb;
    for (int u = 0; u < 3; u++) {
        sim_trainer_update(&sa_, &sa);
        sim_trainer_update(&sb_, &sb);
    }
    assert_memory_equal(a->model.params, b->model.params, bytes);
    assert_memory_equal(a->model.m, b->model.m, bytes);
    assert_int_equal(sa.update, 3);
    assert_int_equal(sa.env_steps, 3 * 12 * 4);
    assert_true(sa.entropy > 0 && sa.entropy <= logf(8) + 1e-4);
    /* every agent's group learned */
    for (int g = 0; g < a->model.n_groups; g++)
        assert_true(memcmp(start + g * a->model.n, a->model.params + g * a->model.n,
                           sizeof(float) * a->model.n) != 0);
    /* the same run with another seed differs */
    SimTrainer d;
    c.seed = 10;
    if (sim_trainer_init(&d, &c, &env, 0, c.shards, &err)) fail_msg("%s", err.msg);
    sim_trainer_update(&d, NULL);
    assert_true(memcmp(d.ppo.model.params, a->model.params, bytes) != 0);
    /* worlds that signal: the bits the worlds receive are the signal heads' draws, and the
     * network reads the messages */
    SimParams sp;
    th_sim_params(&sp, "harvest", "comm.topology=ring", "comm.signal_bits=1", NULL);
    SimConfig two;
    assert_int_equal(sim_config_init(&two, &sp, &err), 0);
    SimTrainer e;
    if (sim_trainer_init(&e, &c, &two, 0, c.shards, &err)) fail_msg("%s", err.msg);
    assert_int_equal(e.ppo.n_heads, 2);
    assert_int_equal(e.ppo.feed.n_float, comm_message_size(1, sp.comm.slots));
    sim_trainer_rollout(&e);
    int T = c.rollout, W = e.ppo.n_worlds, A = e.ppo.n_agents, ones = 0;
    for (int i = 0; i < W * A; i++) {
        int32_t head1 = e.ppo.act[((size_t)(T - 1) * (size_t)(W * A) + (size_t)i) * 2 + 1];
        assert_int_equal(e.ppo.env_bits[i], head1);
        ones += head1;
    }
    assert_true(ones > 0 && ones < W * A);
    sim_trainer_close(&e);
    sim_config_close(&two);
    free(start);
    sim_trainer_close(&sa_);
    sim_trainer_close(&sb_);
    sim_trainer_close(&d);
    sim_config_close(&env);
}

int main(void) {
    nn_blas_single_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_position_independent),
        cmocka_unit_test(test_updates_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
