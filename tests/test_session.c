/* test_session.c: communication inside worlds: the one-step delay of signals through a running
 * world, messages as part of what policies see, signals in a grid game, reward sharing, and the
 * signalling vessels heading for a vessel that signalled. */
#include "helpers.h"

#include <string.h>

#include "../env/game.h"
#include "episode.h"
#include "session.h"

/* a world of one preset with up to three overrides, and its session (helpers.h) */
typedef ThSession Setup;

static void setup(Setup *x, const char *preset, const char *set1, const char *set2,
                  const char *set3) {
    th_session_open(x, preset, set1, set2, set3, (const char *)NULL);
}

static void teardown(Setup *x) {
    th_session_close(x);
}

/* in Harvest with a ring and one signal bit: a bit emitted at step t is heard at t + 1 only */
static void test_signal_delay_in_grid_game(void **state) {
    (void)state;
    Setup x;
    setup(&x, "harvest", "comm.topology=ring", "comm.signal_bits=1", "comm.slots=1");
    assert_int_equal(x.sim.spec.n_heads, 2);
    assert_int_equal(x.sim.spec.head_size[0], 8);
    assert_int_equal(x.sim.spec.head_size[1], 2);
    int n = x.p.env.n_agents, m = x.s.msg_size;
    assert_int_equal(m, comm_message_size(1, 1));
    comm_session_reset(&x.s);
    int32_t stay[ENV_MAX_AGENTS];
    for (int i = 0; i < n; i++) stay[i] = ENV_ACT_STAY;
    uint8_t bits[ENV_MAX_AGENTS] = {0};
    /* step 0: agent 2 signals; nobody hears anything yet */
    comm_session_observe(&x.s, &x.w);
    for (int i = 0; i < n; i++) assert_true(x.s.msg[i * m] == 0.0f);
    bits[2] = 1;
    env_step(&x.w, stay, NULL);
    comm_session_emit(&x.s, bits);
    /* step 1: its ring neighbours 1 and 3 hear one signaller among their 2 neighbours */
    comm_session_observe(&x.s, &x.w);
    for (int i = 0; i < n; i++) {
        float want = (i == 1 || i == 3) ? 1.0f : 0.0f;
        assert_true(x.s.msg[i * m] == want);
        assert_true(x.s.msg[i * m + 1] == 2.0f);
    }
    memset(bits, 0, sizeof bits);
    env_step(&x.w, stay, NULL);
    comm_session_emit(&x.s, bits);
    /* step 2: silence again */
    comm_session_observe(&x.s, &x.w);
    for (int i = 0; i < n; i++) assert_true(x.s.msg[i * m] == 0.0f);
    /* a reset forgets what was sent */
    bits[0] = 1;
    comm_session_emit(&x.s, bits);
    comm_session_reset(&x.s);
    comm_session_observe(&x.s, &x.w);
    for (int i = 0; i < n; i++) assert_true(x.s.msg[i * m] == 0.0f);
    teardown(&x);
}

/* tagged-out agents neither hear nor are heard */
static void test_tagged_agents_silent(void **state) {
    (void)state;
    Setup x;
    setup(&x, "cleanup-gallego", "comm.topology=full", "comm.signal_bits=1", NULL);
    int n = x.p.env.n_agents, m = x.s.msg_size;
    uint8_t bits[ENV_MAX_AGENTS];
    memset(bits, 1, sizeof bits);
    comm_session_emit(&x.s, bits);
    x.w.agent[0].timeout = 5;
    comm_session_observe(&x.s, &x.w);
    for (int k = 0; k < m; k++) assert_true(x.s.msg[k] == 0.0f);
    for (int i = 1; i < n; i++) {
        assert_true(x.s.msg[i * m] == (float)(n - 2));
        assert_true(x.s.msg[i * m + 1] == (float)(n - 2));
    }
    teardown(&x);
}

/* information structures: own rewards, alpha times the neighbours', or the global sum */
static void test_reward_sharing(void **state) {
    (void)state;
    const float r[5] = {1, 2, 3, 4, 5};
    float out[5];
    Setup x;
    setup(&x, "harvest", "comm.topology=ring", "rewards.share=neighbours", "rewards.alpha=0.5");
    comm_session_observe(&x.s, &x.w);
    comm_session_rewards(&x.s, r, out);
    /* ring over 5 agents: i hears i-1 and i+1 */
    assert_float_equal(out[0], 1 + 0.5 * (5 + 2), 1e-6);
    assert_float_equal(out[2], 3 + 0.5 * (2 + 4), 1e-6);
    assert_float_equal(out[4], 5 + 0.5 * (4 + 1), 1e-6);
    teardown(&x);
    setup(&x, "harvest", "comm.topology=none", "comm.signal_bits=1", "rewards.share=global");
    comm_session_observe(&x.s, &x.w);
    comm_session_rewards(&x.s, r, out);
    for (int i = 0; i < 5; i++) assert_float_equal(out[i], 15, 1e-6);
    teardown(&x);
    setup(&x, "harvest", "comm.topology=full", "rewards.share=none", NULL);
    comm_session_observe(&x.s, &x.w);
    comm_session_rewards(&x.s, r, out);
    assert_memory_equal(out, r, sizeof r);
    teardown(&x);
}

/* inequity aversion in a session: no topology, no messages; traces reset with the episode */
static void test_inequity_session(void **state) {
    (void)state;
    const float r[5] = {2, 0, 0, 0, 0}, zero[5] = {0};
    float out[5];
    Setup x;
    setup(&x, "harvest", "rewards.inequity=on", "rewards.inequity_alpha=2",
          "rewards.inequity_beta=0.5");
    assert_false(comm_params_communicates(&x.sim.comm));
    assert_int_equal(x.s.msg_size, 0);
    comm_session_reset(&x.s);
    comm_session_observe(&x.s, &x.w);
    comm_session_rewards(&x.s, r, out);
    /* agent 0 is 2 ahead of four others: 2 - 0.5/4 * 8 = 1; the others: 0 - 2/4 * 2 = -1 */
    assert_float_equal(out[0], 1.0, 1e-6);
    for (int i = 1; i < 5; i++) assert_float_equal(out[i], -1.0, 1e-6);
    /* next step, no rewards: the traces decay by 0.96525 (the default) */
    comm_session_rewards(&x.s, zero, out);
    assert_float_equal(out[0], -0.5 / 4 * 4 * 2 * 0.96525, 1e-5);
    assert_float_equal(out[1], -2.0 / 4 * 2 * 0.96525, 1e-5);
    /* a new episode forgets them */
    comm_session_reset(&x.s);
    comm_session_rewards(&x.s, zero, out);
    assert_memory_equal(out, zero, sizeof zero);
    teardown(&x);
    /* shared first (everyone gets the sum, 2), then minus envy and guilt over the traces of the
     * agents' own rewards (alpha 5, beta 0.05 by default) */
    setup(&x, "harvest", "rewards.inequity=on", "rewards.share=global", NULL);
    comm_session_reset(&x.s);
    comm_session_rewards(&x.s, r, out);
    assert_float_equal(out[0], 2.0 - 0.05 / 4 * 8, 1e-6);
    assert_float_equal(out[3], 2.0 - 5.0 / 4 * 2, 1e-6);
    teardown(&x);
}

/* the signalling vessels: a vessel that sees a stack signals; one that sees nothing and heard
 * the signal heads for the signaller; a silent (greedy) vessel wanders instead */
static void test_signalling_vessels(void **state) {
    (void)state;
    Setup x;
    setup(&x, "ocean-patchy", "env.agents=2", "ocean.initial_patches=0", "ocean.patch_prob=0");
    /* vessel 0 sits next to a stack, vessel 1 far to the south-east */
    th_place(&x.w, 0, 8, 8, ENV_NORTH);
    th_place(&x.w, 1, 30, 30, ENV_NORTH);
    int32_t idx = th_idx(&x.sim.env, 8, 9);
    x.w.plastic[idx] = 10;
    x.w.afloat[idx / 64] |= 1ULL << (idx % 64);
    env_put_cell(&x.w, idx, ENV_ID_PLASTIC4);
    ScriptedPolicy coop[2], greedy1;
    ScriptedScratch scratch;
    assert_int_equal(scripted_scratch_init(&scratch, &x.sim.env), 0);
    for (int i = 0; i < 2; i++) scripted_init(&coop[i], SCRIPTED_COOP, i, 3, 0, 0);
    scripted_init(&greedy1, SCRIPTED_GREEDY, 1, 3, 0, 0);
    EnvView v;
    env_view(&x.w, &v);
    comm_session_reset(&x.s);
    comm_session_observe(&x.s, &x.w);
    comm_session_view(&x.s, &v);
    /* step t: vessel 0 signals and moves onto the stack; vessel 1 hears nothing yet */
    assert_int_equal(scripted_signals(&coop[0], &v), 1);
    assert_int_equal(scripted_signals(&coop[1], &v), 0);
    assert_int_equal(scripted_signals(&greedy1, &v), 0);
    assert_int_equal(scripted_act(&coop[0], &v, &scratch), ENV_OCEAN_EAST);
    uint8_t bits[2] = {1, 0};
    comm_session_emit(&x.s, bits);
    /* step t + 1: vessel 1 heard it and heads north-west (rows first on equal offsets) */
    comm_session_observe(&x.s, &x.w);
    env_view(&x.w, &v);
    comm_session_view(&x.s, &v);
    int a = scripted_act(&coop[1], &v, &scratch);
    assert_int_equal(a, ENV_OCEAN_NORTH);
    /* without the message, the same vessel wanders in some direction, not by the signal */
    v.msg = NULL;
    int wanders = 0;
    for (int t = 0; t < 40; t++) wanders += scripted_act(&greedy1, &v, &scratch) != ENV_OCEAN_NORTH;
    assert_true(wanders > 0);
    scripted_scratch_close(&scratch);
    teardown(&x);
}

/* the runner counts signals, and the signalling team signals while the silent one does not */
static void test_runner_signals(void **state) {
    (void)state;
    SimParams sp;
    SimConfig cfg;
    EnvError err;
    th_sim_params(&sp, "ocean-patchy", "env.max_steps=300", (const char *)NULL);
    const EnvParams p = sp.env;
    assert_int_equal(sim_config_init(&cfg, &sp, &err), 0);
    ScriptedKind kinds[ENV_MAX_AGENTS];
    int64_t sent[2];
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < p.n_agents; i++) kinds[i] = k ? SCRIPTED_COOP : SCRIPTED_GREEDY;
        SimEpisode r;
        SimResult ep;
        assert_int_equal(sim_episode_init(&r, &cfg, kinds, 5, 0, &err), 0);
        sim_episode_run(&r, 0, 0, &ep);
        sent[k] = ep.signals;
        /* both teams meet the same plastic: the events stream ignores what vessels do */
        assert_true(ep.spawned == ep.collected + ep.beached + ep.afloat);
        sim_episode_close(&r);
    }
    assert_true(sent[0] == 0);
    assert_true(sent[1] > 0);
    sim_config_close(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_delay_in_grid_game),
        cmocka_unit_test(test_tagged_agents_silent),
        cmocka_unit_test(test_reward_sharing),
        cmocka_unit_test(test_signalling_vessels),
        cmocka_unit_test(test_inequity_session),
        cmocka_unit_test(test_runner_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
