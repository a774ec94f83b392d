/* test_signalling.c: the measures of a learned protocol (sim/signalling.h) and the channel
 * ablation (comm/session.h hearing modes): mutual information on hand-made tables, KL and
 * Jensen-Shannon on known distributions, the listening intervention flipping exactly the heard
 * bits and nothing else in the messages, the zeroed channel hearing no bit, the shuffled one
 * keeping the multiset of sent bits with a keyed, repeatable permutation, the world's own
 * dynamics unchanged by either, and the "plastic in view" predicate. */
#include "helpers.h"

#include <math.h>
#include <string.h>

#include "episode.h"
#include "session.h"
#include "signalling.h"

static void test_mutual_information(void **state) {
    (void)state;
    /* independent: p(v, b) = p(v) p(b) */
    int64_t indep[4] = {10, 20, 30, 60};
    assert_true(fabs(sim_mutual_information(indep, 2, 2)) < 1e-12);
    /* the bit is the view: one bit */
    int64_t same[4] = {50, 0, 0, 50};
    assert_true(fabs(sim_mutual_information(same, 2, 2) - 1.0) < 1e-12);
    /* the bit is the negated view: still one bit */
    int64_t neg[4] = {0, 7, 7, 0};
    assert_true(fabs(sim_mutual_information(neg, 2, 2) - 1.0) < 1e-12);
    /* a known partial case: 0.311278124459 bits (computed by hand from the definition) */
    int64_t part[4] = {25, 25, 0, 50};
    assert_true(fabs(sim_mutual_information(part, 2, 2) - 0.31127812445913283) < 1e-12);
    /* three equally likely values copied: log2(3) */
    int64_t diag3[9] = {4, 0, 0, 0, 4, 0, 0, 0, 4};
    assert_true(fabs(sim_mutual_information(diag3, 3, 3) - log2(3.0)) < 1e-12);
    /* an empty table and a constant bit carry nothing */
    int64_t empty[4] = {0, 0, 0, 0}, constant[4] = {0, 9, 0, 3};
    assert_true(sim_mutual_information(empty, 2, 2) == 0.0);
    assert_true(fabs(sim_mutual_information(constant, 2, 2)) < 1e-12);
}

static void test_divergences(void **state) {
    (void)state;
    double p[2] = {0.5, 0.5}, q[2] = {0.25, 0.75}, a[2] = {1, 0}, b[2] = {0, 1};
    assert_true(fabs(sim_kl(p, q, 2) - 0.14384103622589042) < 1e-12); /* 0.5 ln(4/3) */
    assert_true(fabs(sim_js(p, q, 2) - 0.0487949406953985) < 1e-12);
    assert_true(fabs(sim_js(p, q, 2) - sim_js(q, p, 2)) < 1e-15);
    assert_true(sim_kl(p, p, 2) == 0.0);
    assert_true(sim_js(q, q, 2) == 0.0);
    /* disjoint supports: JS is its maximum, 1 bit; KL is infinite */
    assert_true(fabs(sim_js(a, b, 2) - 1.0) < 1e-12);
    assert_true(isinf(sim_kl(a, b, 2)));
    /* terms with p = 0 count nothing */
    assert_true(fabs(sim_kl(a, p, 2) - log(2.0)) < 1e-12);
}

/* a world of one preset with up to three overrides, and its session (helpers.h), at the start
 * of episode 0 */
typedef ThSession Setup;

static void setup(Setup *x, const char *preset, const char *set1, const char *set2,
                  const char *set3) {
    th_session_open(x, preset, set1, set2, set3, (const char *)NULL);
    env_reset(&x->w, 0);
    comm_session_reset(&x->s);
}

static void teardown(Setup *x) {
    th_session_close(x);
}

/* agents 1 and 4 of a ring emit 1 on bit 0, agent 2 on bit 1; the next observe hears them */
static void emit_some(Setup *x) {
    uint8_t bits[ENV_MAX_AGENTS * 2] = {0};
    bits[1 * 2 + 0] = 1;
    bits[4 * 2 + 0] = 1;
    bits[2 * 2 + 1] = 1;
    int32_t stay[ENV_MAX_AGENTS] = {0};
    comm_session_observe(&x->s, &x->w);
    env_step(&x->w, stay, NULL);
    comm_session_emit(&x->s, bits);
    comm_session_observe(&x->s, &x->w);
}

/* the intervention flips every heard bit; the messages' counts become degree - count and the
 * slots' bits flip, while degrees and offsets stay as they were */
static void test_flip_heard(void **state) {
    (void)state;
    Setup x;
    setup(&x, "harvest", "comm.topology=ring", "comm.signal_bits=2", "comm.slots=2");
    emit_some(&x);
    int n = x.s.n, B = 2, M = x.s.msg_size;
    uint8_t flipped[ENV_MAX_AGENTS * 2];
    float msg[ENV_MAX_AGENTS * 16];
    assert_true(M <= 16);
    sim_flip_heard(&x.s, flipped, msg);
    for (int k = 0; k < n * B; k++) assert_int_equal(flipped[k], !x.s.heard[k]);
    for (int i = 0; i < n; i++) {
        const float *a = x.s.msg + i * M, *f = msg + i * M;
        float deg = a[B];
        assert_true(deg == 2.0f); /* a ring */
        for (int b = 0; b < B; b++) assert_true(f[b] == deg - a[b]);
        assert_true(f[B] == deg);
        for (int s = 0; s < 2; s++) {
            const float *sa = a + B + 1 + s * (B + 2), *sf = f + B + 1 + s * (B + 2);
            for (int b = 0; b < B; b++) assert_true(sf[b] == 1.0f - sa[b]);
            assert_true(sf[B] == sa[B] && sf[B + 1] == sa[B + 1]);
        }
    }
    /* the ring neighbours of agent 0 are 1 and n - 1: it heard bit 0 from 1 (and from 4 when
     * n = 5), bit 1 from nobody */
    float ones = n == 5 ? 2.0f : 1.0f;
    assert_true(n > 4 && x.s.msg[0] == ones && msg[0] == 2.0f - ones);
    assert_true(x.s.msg[1] == 0.0f && msg[1] == 2.0f);
    teardown(&x);
}

/* zero: every heard bit and every count 0; shuffle: the heard rows are the sent rows permuted
 * by the keyed permutation, the same at a second observe of the same step */
static void test_hearing_modes(void **state) {
    (void)state;
    Setup x;
    setup(&x, "harvest", "comm.topology=full", "comm.signal_bits=2", "comm.slots=1");
    int n = x.s.n, B = 2, M = x.s.msg_size;
    /* intact hears what was sent */
    emit_some(&x);
    assert_memory_equal(x.s.heard, x.s.channel.sent, (size_t)(n * B));
    int sent_ones = 0;
    for (int k = 0; k < n * B; k++) sent_ones += x.s.channel.sent[k];
    assert_int_equal(sent_ones, 3);
    /* zero */
    comm_session_set_hear(&x.s, COMM_HEAR_ZERO);
    comm_session_observe(&x.s, &x.w);
    for (int k = 0; k < n * B; k++) assert_int_equal(x.s.heard[k], 0);
    for (int i = 0; i < n; i++) {
        for (int b = 0; b < B; b++) assert_true(x.s.msg[i * M + b] == 0.0f);
        assert_true(x.s.msg[i * M + B] == (float)(n - 1)); /* the graph is still there */
    }
    /* shuffle: a permutation of the sent rows, keyed by (seed, world, episode, tick) */
    comm_session_set_hear(&x.s, COMM_HEAR_SHUFFLE);
    int moved = 0;
    for (int step = 0; step < 4; step++) {
        comm_session_observe(&x.s, &x.w);
        int32_t perm[ENV_MAX_AGENTS], seen[ENV_MAX_AGENTS] = {0};
        comm_hear_permutation(x.w.seed, x.w.index, x.w.episode, x.w.tick, n, perm);
        for (int i = 0; i < n; i++) {
            assert_true(perm[i] >= 0 && perm[i] < n && !seen[perm[i]]);
            seen[perm[i]] = 1;
            assert_memory_equal(x.s.heard + i * B, x.s.channel.sent + perm[i] * B, (size_t)B);
            moved += perm[i] != i;
        }
        /* the multiset of sent bits is kept: as many ones per bit */
        for (int b = 0; b < B; b++) {
            int h = 0, s = 0;
            for (int i = 0; i < n; i++) h += x.s.heard[i * B + b], s += x.s.channel.sent[i * B + b];
            assert_int_equal(h, s);
        }
        uint8_t again[ENV_MAX_AGENTS * 2];
        memcpy(again, x.s.heard, (size_t)(n * B));
        comm_session_observe(&x.s, &x.w);
        assert_memory_equal(again, x.s.heard, (size_t)(n * B));
        /* the next step: the same bits sent again */
        uint8_t bits[ENV_MAX_AGENTS * 2];
        memcpy(bits, x.s.channel.sent, (size_t)(n * B));
        int32_t stay[ENV_MAX_AGENTS] = {0};
        env_step(&x.w, stay, NULL);
        comm_session_emit(&x.s, bits);
    }
    assert_true(moved > 0);
    teardown(&x);
    EnvError err;
    CommHear h;
    assert_int_equal(comm_hear_parse("shuffle", &h, &err), 0);
    assert_int_equal(h, COMM_HEAR_SHUFFLE);
    assert_int_equal(comm_hear_parse("off", &h, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "unknown channel mode 'off': use one of intact zero shuffle"));
}

/* the scripted signalling team under the three modes: the same plastic spawns (the world's own
 * dynamics do not depend on the channel), intact is the stepper's default, and the team, which
 * heads for vessels it hears signal, takes another episode when it hears nothing */
static void test_ablation_episodes(void **state) {
    (void)state;
    SimParams sp;
    SimConfig cfg;
    EnvError err;
    th_sim_params(&sp, "ocean-patchy", "env.max_steps=200", (const char *)NULL);
    assert_int_equal(sim_config_init(&cfg, &sp, &err), 0);
    ScriptedKind kinds[ENV_MAX_AGENTS];
    for (int i = 0; i < ENV_MAX_AGENTS; i++) kinds[i] = SCRIPTED_COOP;
    SimResult r[COMM_HEAR_COUNT + 1];
    for (int h = 0; h <= COMM_HEAR_COUNT; h++) {
        SimEpisode e;
        assert_int_equal(sim_episode_init(&e, &cfg, kinds, 5, 0, &err), 0);
        if (h < COMM_HEAR_COUNT) sim_episode_set_channel(&e, (CommHear)h);
        sim_episode_run(&e, 0, 0, &r[h]);
        sim_episode_close(&e);
    }
    for (int h = 0; h < COMM_HEAR_COUNT; h++) {
        assert_true(r[h].spawned == r[0].spawned);
        assert_true(r[h].spawned == r[h].collected + r[h].beached + r[h].afloat);
        assert_true(r[h].signals > 0);
    }
    assert_true(r[COMM_HEAR_INTACT].hash == r[COMM_HEAR_COUNT].hash);
    assert_true(r[COMM_HEAR_ZERO].hash != r[COMM_HEAR_INTACT].hash);
    sim_config_close(&cfg);
}

/* plastic on the vessel's own cell and at the window's far edge is in view; one row beyond
 * is not */
static void test_plastic_in_view(void **state) {
    (void)state;
    Setup x;
    setup(&x, "ocean-patchy", "env.max_steps=10", (const char *)NULL, (const char *)NULL);
    const EnvConfig *c = &x.sim.env;
    size_t cells = (size_t)c->hp * (size_t)c->wp;
    int checked = 0;
    for (int i = 0; i < c->p.n_agents; i++) {
        memset(x.w.plastic, 0, cells * sizeof(int32_t));
        assert_int_equal(sim_resource_in_view(&x.w, i), 0);
        int32_t pos = x.w.agent[i].pos, o = x.w.agent[i].orient;
        x.w.plastic[pos] = 1;
        assert_int_equal(sim_resource_in_view(&x.w, i), 1);
        x.w.plastic[pos] = 0;
        int r = pos / c->wp + (c->p.view_ahead + 1) * env_dr[o];
        int col = pos % c->wp + (c->p.view_ahead + 1) * env_dc[o];
        if (r < 1 || r >= c->hp - 1 || col < 1 || col >= c->wp - 1) continue;
        x.w.plastic[r * c->wp + col] = 3;
        assert_int_equal(sim_resource_in_view(&x.w, i), 0);
        x.w.plastic[r * c->wp + col] = 0;
        x.w.plastic[(r - env_dr[o]) * c->wp + col - env_dc[o]] = 3;
        assert_int_equal(sim_resource_in_view(&x.w, i), 1);
        checked++;
    }
    assert_true(checked > 0);
    teardown(&x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutual_information), cmocka_unit_test(test_divergences),
        cmocka_unit_test(test_flip_heard),         cmocka_unit_test(test_hearing_modes),
        cmocka_unit_test(test_ablation_episodes),  cmocka_unit_test(test_plastic_in_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
