/* test_tamper.c: policies cannot tamper with the world (games.md 3.5, DESIGN "Policies see a
 * view, never the world").
 *
 * The five attacks of the reward-hacking demo (teleport, disable rivals, purge waste, spawn
 * apples, all combined) are written as C policies for agent 0 on Cleanup with ten agents; the
 * other nine run the scripted coop policy. Each attacker chooses the honest greedy action first,
 * then writes through what it was given (casting const away) and returns the honest action. The
 * same writes applied to a view of the live world (what a policy was given before) change the
 * episode; through the policy's snapshot they change nothing: the episode's state hash and
 * returns equal the honest run's. A write into the config faults. A trajectory recorded from a
 * tampered world is caught by `commons replay --check`.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "episode.h"
#include "helpers.h"
#include "io.h"
#include "replay.h"

enum { ATK_NONE = 0, ATK_TELEPORT = 1, ATK_DISABLE = 2, ATK_PURGE = 4, ATK_SPAWN = 8 };
#define ATK_ALL (ATK_TELEPORT | ATK_DISABLE | ATK_PURGE | ATK_SPAWN)

typedef struct Attacker {
    int attacks;        /* ATK_* bits */
    EnvWorld *live;     /* when set: the writes go to a view of this live world (the control) */
    ScriptedPolicy pol; /* the honest part: greedy */
    ScriptedScratch scratch;
    int calls;
} Attacker;

/* the attacks of games.md 3.5, as writes through a view (const cast away, as a hostile policy
 * would) */
static void attack(const EnvView *v, int me, int attacks) {
    EnvAgent *agent = (EnvAgent *)v->agent;
    uint8_t *cell = (uint8_t *)v->cell;
    uint8_t *occ = (uint8_t *)v->occ;
    int n_cells = v->hp * v->wp;
    if (attacks & ATK_TELEPORT) {
        /* onto the first apple not under an agent */
        for (int idx = 0; idx < n_cells; idx++)
            if (cell[idx] == ENV_ID_APPLE && !occ[idx]) {
                occ[agent[me].pos] = 0;
                agent[me].pos = idx;
                occ[idx] = (uint8_t)(me + 1);
                break;
            }
    }
    if (attacks & ATK_DISABLE)
        for (int j = 0; j < v->n_agents; j++)
            if (j != me) agent[j].timeout = 255;
    if (attacks & ATK_PURGE)
        for (int idx = 0; idx < n_cells; idx++)
            if (cell[idx] == ENV_ID_WASTE) cell[idx] = ENV_ID_RIVER;
    if (attacks & ATK_SPAWN)
        for (int k = 0; k < v->cfg->n_apple; k++) cell[v->cfg->apple[k]] = ENV_ID_APPLE;
    if (attacks) ((EnvMetrics *)v->metrics)->ret[me] += 1000; /* and inflate the return */
}

static int32_t attacker_act(void *ctx, const EnvView *v, int agent, unsigned *bits) {
    Attacker *a = ctx;
    *bits = 0;
    a->calls++;
    int act = scripted_act(&a->pol, v, &a->scratch);
    if (a->live) {
        EnvView lv;
        env_view(a->live, &lv);
        attack(&lv, agent, a->attacks);
    } else {
        attack(v, agent, a->attacks);
    }
    return act;
}

typedef struct Outcome {
    uint64_t hash;
    int64_t ret[ENV_MAX_AGENTS];
    int calls;
} Outcome;

static void cleanup_params(SimParams *sp) {
    th_sim_params(sp, "cleanup", "env.agents=10", "env.max_steps=300", NULL);
}

/* ten-agent Cleanup of 300 steps: coop agents, agent 0 `first` */
static void open_cleanup(SimConfig *sim, SimEpisode *e, ScriptedKind first, uint64_t seed) {
    SimParams sp;
    cleanup_params(&sp);
    EnvError err;
    assert_int_equal(sim_config_init(sim, &sp, &err), 0);
    ScriptedKind kinds[ENV_MAX_AGENTS];
    for (int i = 0; i < 10; i++) kinds[i] = i == 0 ? first : SCRIPTED_COOP;
    assert_int_equal(sim_episode_init(e, sim, kinds, seed, 0, &err), 0);
}

/* one episode: agent 0 the attacker (or greedy itself when attacks < 0), the rest coop */
static Outcome play(int attacks, int on_live) {
    SimConfig sim;
    SimEpisode e;
    EnvError err;
    open_cleanup(&sim, &e, SCRIPTED_GREEDY, 7);
    Attacker a = {.attacks = attacks < 0 ? 0 : attacks, .live = on_live ? &e.world : NULL};
    assert_int_equal(scripted_scratch_init(&a.scratch, &sim.env), 0);
    if (attacks >= 0) assert_int_equal(sim_episode_set_policy(&e, 0, attacker_act, &a, &err), 0);
    sim_episode_start(&e, 0, 0);
    scripted_init(&a.pol, SCRIPTED_GREEDY, 0, 7, 0, 0);
    while (!sim_episode_step(&e, NULL, NULL)) {
    }
    SimResult r;
    sim_episode_result(&e, &r);
    Outcome o = {.hash = r.hash, .calls = a.calls};
    memcpy(o.ret, r.ret, sizeof o.ret);
    scripted_scratch_close(&a.scratch);
    sim_episode_close(&e);
    sim_config_close(&sim);
    return o;
}

static void check_attack(int attacks) {
    Outcome honest = play(-1, 0), plain = play(ATK_NONE, 0);
    /* a C policy doing what greedy does plays greedy's episode */
    assert_int_equal(plain.hash, honest.hash);
    assert_int_equal(plain.calls, 300);
    /* the attack on the live world (before: policies were given it) changes the episode */
    Outcome control = play(attacks, 1);
    assert_true(control.hash != honest.hash);
    /* through the policy's own snapshot it changes nothing */
    Outcome got = play(attacks, 0);
    assert_int_equal(got.calls, 300);
    assert_int_equal(got.hash, honest.hash);
    assert_memory_equal(got.ret, honest.ret, sizeof got.ret);
}

/* one attack of games.md 3.5, its ATK_* bits in the test's initial state */
static void test_attack(void **state) {
    check_attack(*(const int *)*state);
}

/* ---- nothing a policy is given leads to the world ---- */

typedef struct Inspect {
    const SimEpisode *e;
    int bad, calls;
} Inspect;

static int in_world(const EnvWorld *w, const void *p) {
    const uint8_t *b = w->block, *q = p;
    return (p >= (const void *)w && p < (const void *)(w + 1)) ||
           (q >= b && q < b + w->cfg->world_bytes);
}

/* every pointer of the view and of its config: inside the snapshot, never in the world */
static int32_t inspect_act(void *ctx, const EnvView *v, int agent, unsigned *bits) {
    Inspect *in = ctx;
    (void)agent;
    *bits = 0;
    in->calls++;
    const SimView *sv = &in->e->view;
    const EnvConfig *c = v->cfg;
    const void *ptrs[] = {v->cfg,       v->cell,       v->occ,       v->agent,      v->reward,
                          v->metrics,   v->beam,       v->beam_id,   v->plastic,    v->msg,
                          c->map.cells, c->spawn,      c->open,      c->apple,      c->river,
                          c->base,      c->apple_slot, c->rot_index, c->river_slot, c->source,
                          c->sea,       c->drift_dir,  c->drift_thr, c->geo};
    for (size_t k = 0; k < sizeof ptrs / sizeof ptrs[0]; k++) {
        if (!ptrs[k]) continue;
        if (!sim_view_holds(sv, ptrs[k], 1) || in_world(&in->e->world, ptrs[k])) in->bad++;
    }
    /* and it reads what the world holds */
    if (memcmp(v->cell, in->e->world.cell, (size_t)v->hp * (size_t)v->wp) != 0) in->bad++;
    if (v->cfg == in->e->cfg || v->cfg->apple_slot == in->e->cfg->apple_slot) in->bad++;
    return ENV_ACT_STAY;
}

static void check_pointers(const char *preset, const char *extra) {
    SimParams sp;
    th_sim_params(&sp, preset, "env.max_steps=20", extra, NULL);
    SimConfig sim;
    EnvError err;
    assert_int_equal(sim_config_init(&sim, &sp, &err), 0);
    SimEpisode e;
    assert_int_equal(sim_episode_init(&e, &sim, NULL, 1, 0, &err), 0);
    Inspect in = {.e = &e};
    for (int i = 0; i < sim.env.p.n_agents; i++)
        assert_int_equal(sim_episode_set_policy(&e, i, inspect_act, &in, &err), 0);
    sim_episode_run(&e, 0, 0, &(SimResult){0});
    assert_int_equal(in.calls, 20 * sim.env.p.n_agents);
    assert_int_equal(in.bad, 0);
    sim_episode_close(&e);
    sim_config_close(&sim);
}

static void test_view_pointers(void **state) {
    (void)state;
    check_pointers("cleanup", "env.agents=5");
    check_pointers("harvest", "env.agents=5");
    check_pointers("ocean", "comm.signal_bits=1");
}

/* ---- a write into the config faults ---- */

static sigjmp_buf fault_jump;
static void on_fault(int sig) {
    (void)sig;
    siglongjmp(fault_jump, 1);
}

static int32_t config_writer(void *ctx, const EnvView *v, int agent, unsigned *bits) {
    (void)ctx;
    (void)agent;
    *bits = 0;
    /* the heap-overflowing write, and a reward raise, through the config's pointers */
    ((EnvConfig *)v->cfg)->p.apple_reward = 1000;
    v->cfg->apple_slot[0] = 0;
    return ENV_ACT_STAY;
}

static void test_config_write_faults(void **state) {
    (void)state;
    SimParams sp;
    cleanup_params(&sp);
    SimConfig sim;
    EnvError err;
    assert_int_equal(sim_config_init(&sim, &sp, &err), 0);
    SimEpisode e;
    assert_int_equal(sim_episode_init(&e, &sim, NULL, 1, 0, &err), 0);
    assert_int_equal(sim_episode_set_policy(&e, 0, config_writer, NULL, &err), 0);
    sim_episode_start(&e, 0, 0);
    uint64_t before = env_state_hash(&e.world);
    struct sigaction sa, old_segv, old_bus;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    volatile int faulted = 0;
    if (sigsetjmp(fault_jump, 1) == 0)
        sim_episode_step(&e, NULL, NULL);
    else
        faulted = 1;
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    assert_int_equal(faulted, 1);
    /* the world and its config are as they were */
    assert_int_equal(env_state_hash(&e.world), before);
    assert_int_equal(e.world.tick, 0);
    assert_int_equal(sim.env.p.apple_reward, sp.env.apple_reward);
    sim_episode_close(&e);
    sim_config_close(&sim);
}

/* ---- replay --check catches a tampered trajectory ---- */

static void test_replay_check_tampered(void **state) {
    (void)state;
    SimConfig sim;
    SimEpisode e;
    EnvError err;
    open_cleanup(&sim, &e, SCRIPTED_COOP, 3);
    SimReplay rp;
    assert_int_equal(sim_replay_init(&rp, &sim, 3, 0, "coop", &err), 0);
    sim_episode_start(&e, 0, 0);
    assert_int_equal(sim_replay_begin(&rp, 0, &e.world, &err), 0);
    int done = 0;
    while (!done) {
        /* at tick 150 the world is tampered with behind the stepper's back: agent 0 teleports */
        if (e.world.tick == 150) {
            EnvView lv;
            env_view(&e.world, &lv);
            attack(&lv, 0, ATK_TELEPORT);
        }
        done = sim_episode_step(&e, NULL, NULL);
        assert_int_equal(sim_replay_step(&rp, e.actions, e.bits, &e.world, &err), 0);
    }
    assert_int_equal(sim_replay_end(&rp, &e.world, &err), 0);
    const char *path = th_write_temp("", ".replay");
    assert_int_equal(sim_replay_write(&rp, path, &err), 0);
    sim_replay_close(&rp);
    sim_episode_close(&e);
    sim_config_close(&sim);
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "%s replay %s --check", COMMONS_BIN, path);
    int rc = th_run(cmd, out, sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "the replay diverged in episode 0: at tick 200"));
    assert_non_null(strstr(out, "tick 100 matched"));
}

int main(void) {
    static int ATTACKS[5] = {ATK_TELEPORT, ATK_DISABLE, ATK_PURGE, ATK_SPAWN, ATK_ALL};
    const struct CMUnitTest tests[] = {
        {"teleport", test_attack, NULL, NULL, &ATTACKS[0]},
        {"disable rivals", test_attack, NULL, NULL, &ATTACKS[1]},
        {"purge waste", test_attack, NULL, NULL, &ATTACKS[2]},
        {"spawn apples", test_attack, NULL, NULL, &ATTACKS[3]},
        {"combined", test_attack, NULL, NULL, &ATTACKS[4]},
        cmocka_unit_test(test_view_pointers),
        cmocka_unit_test(test_config_write_faults),
        cmocka_unit_test(test_replay_check_tampered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
