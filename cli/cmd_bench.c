/* cmd_bench.c: `commons bench`: agent-steps per second with random actions; with --train CONFIG,
 * the training loop's agent-steps per second and where its time goes.
 *
 * Under mpirun or srun (sim/dist.h), each preset is measured twice: rank 0 alone (the others
 * wait), then every rank at once on its own worlds (world indices rank x batch onwards). Rank 0
 * prints the usual row (the rank alone), then each rank's rate, their total and the weak-scaling
 * efficiency: the mean rate per rank at once over the rate of one rank alone.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "params.h"
#include "options.h"
#include "batch.h"
#include "dist.h"
#include "policy.h"
#include "train.h"

static const char *BENCH_HELP =
    "usage: commons bench [options]\n"
    "\n"
    "Steps a batch of worlds on one core with uniform random actions and writes every agent's\n"
    "observation into a batch buffer each step. Prints agent-steps per second (steps x agents\n"
    "/ s): the median over repeats, with the slowest and fastest, and the state bytes per world.\n"
    "Worlds that communicate (comm.*) also emit random signal bits and receive their messages\n"
    "every step; the comm column names the topology and the signal bits.\n"
    "\n"
    "  --env NAME[,NAME...]  presets (default gathering,harvest,commons,cleanup,cleanup-gallego,\n"
    "                        ocean)\n"
    "  --agents N            agents per world (default: the preset's)\n"
    "  --batch N             worlds stepped per call (default 16)\n"
    "  --steps N             steps per world per repeat (default 4000)\n"
    "  --repeat N            repeats (default 5)\n"
    "  --encoding rgb|ids    observation encoding (default: the preset's)\n"
    "  --set SEC.KEY=VALUE   override one key (repeatable)\n"
    "  --json                print JSON\n"
    "  --train CONFIG        instead: the training loop of a training config (inference,\n"
    "                        worlds and updates; one warm-up update, then --repeat updates\n"
    "                        timed, default 5) and its breakdown; --set applies\n"
    "\n"
    "Under 'mpirun -np R' each preset is also run on R processes at once (one batch each):\n"
    "each rank's rate, the total and the weak-scaling efficiency (mean per rank / one alone).\n";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the median, slowest and fastest of n rates (sorted in place) */
static void summarise(double *rates, int n, double out[3]) {
    qsort(rates, (size_t)n, sizeof rates[0], cmp_double);
    out[0] = n % 2 ? rates[n / 2] : 0.5 * (rates[n / 2 - 1] + rates[n / 2]);
    out[1] = rates[0];
    out[2] = rates[n - 1];
}

/* a preset's row; in JSON the object is left open when `open` (the spread follows) */
static void print_row(const Options *o, const char *env, const SimConfig *sim, double rate[3],
                      int first, int open) {
    const EnvSpec *s = &sim->env.spec;
    size_t state = sizeof(EnvWorld) + sim->env.world_bytes;
    char shape[48], talk[32] = "-";
    snprintf(shape, sizeof shape, "%dx%dx%d", s->obs_h, s->obs_w, s->obs_c);
    const char *enc = s->encoding == ENV_ENC_RGB ? "rgb" : "ids";
    if (comm_session_wanted(&sim->comm))
        snprintf(talk, sizeof talk, "%s/%db", comm_topology_name(sim->comm.topology),
                 sim->comm.signal_bits);
    if (o->json)
        printf("%s  {\"env\": \"%s\", \"agents\": %d, \"encoding\": \"%s\", \"obs\": \"%s\", "
               "\"batch\": %d, \"agent_steps_per_s\": %.0f, \"min\": %.0f, \"max\": %.0f, "
               "\"state_bytes\": %zu, \"comm\": \"%s\"%s",
               first ? "" : ",\n", env, s->n_agents, enc, shape, (int)o->batch, rate[0], rate[1],
               rate[2], state, talk, open ? "" : "}");
    else
        printf("%-16s %6d %8s %10s %6d %14.0f %14.0f %14.0f %12zu  %s\n", env, s->n_agents, enc,
               shape, (int)o->batch, rate[0], rate[1], rate[2], state, talk);
    fflush(stdout);
}

/* one preset: a batch of worlds (sim/batch.h) with random actions and signal bits, observations
 * (and, in worlds that communicate, messages) into batch buffers; the median, slowest and fastest
 * rate into rate; sim is built (close it) when it returns 0 */
static int bench_one(const Options *o, const char *env, int rank, SimConfig *sim, double rate[3]) {
    SimParams p;
    SimBatch b;
    EnvError err;
    int rc = cli_build_params(o, env, &p);
    if (rc) return rc;
    if (sim_config_init(sim, &p, &err)) return cli_fail(&err);
    if (sim_batch_init(&b, sim, (uint64_t)o->seed, (uint64_t)rank * (uint64_t)o->batch,
                       (int)o->batch, 0, &err)) {
        sim_config_close(sim);
        return cli_fail(&err);
    }
    const EnvSpec *s = &sim->env.spec;
    size_t rows = (size_t)o->batch * (size_t)s->n_agents, n_bits = rows * (size_t)b.n_bits;
    int32_t *actions = malloc(sizeof(int32_t) * rows);
    uint8_t *bits = malloc(n_bits + 1), *ends = malloc(2 * (size_t)o->batch);
    SimBatchOut out = {.obs = malloc(s->obs_size * rows),
                       .rewards = malloc(sizeof(float) * rows),
                       .terminations = ends,
                       .truncations = ends + o->batch,
                       .msg = b.comm ? malloc(sizeof(float) * rows * (size_t)b.msg_size) : NULL};
    double rates[1000];
    rc = !actions || !bits || !ends || !out.obs || !out.rewards || (b.comm && !out.msg);
    EnvRng rng;
    env_rng_seed(&rng, env_hash4((uint64_t)o->seed, (uint64_t)rank, 0, ENV_STREAM_BENCH));
    uint64_t checksum = 0;
    for (int rep = 0; rep < (int)o->repeat && !rc; rep++) {
        double t0 = now_seconds();
        for (long long t = 0; t < o->steps; t++) {
            for (size_t i = 0; i < rows; i++)
                actions[i] = (int32_t)env_rng_below(&rng, (uint32_t)s->n_actions);
            for (size_t i = 0; i < n_bits; i++) bits[i] = (uint8_t)(env_rng_u32(&rng) & 1);
            sim_batch_step(&b, actions, bits, &out);
            checksum += out.obs[(size_t)(t % o->batch) * s->obs_size];
            if (out.msg) checksum += (uint64_t)out.msg[0];
        }
        rates[rep] = (double)o->steps * (double)rows / (now_seconds() - t0);
    }
    if (!rc) summarise(rates, (int)o->repeat, rate);
    if (rc) fprintf(stderr, "commons: out of memory for a batch of %lld worlds\n", o->batch);
    free(actions), free(bits), free(ends), free(out.obs), free(out.rewards), free(out.msg);
    sim_batch_close(&b);
    return rc || checksum == 0xFFFFFFFFFFFFFFFFULL; /* keeps the observation writes observable */
}

/* every rank's rate at once after rank 0's alone: a line per preset under the row */
static void print_spread(const Options *o, double alone, const double *rates, int R) {
    double total = 0;
    for (int q = 0; q < R; q++) total += rates[q];
    double eff = alone > 0 ? total / R / alone : 0;
    if (o->json) {
        printf(",\n   \"ranks\": %d, \"rank_rates\": [", R);
        for (int q = 0; q < R; q++) printf("%s%.0f", q ? ", " : "", rates[q]);
        printf("], \"total\": %.0f, \"weak_scaling_efficiency\": %.4f}", total, eff);
    } else {
        printf("  %d ranks at once:", R);
        for (int q = 0; q < R; q++) printf(" rank %d %.0f%s", q, rates[q], q + 1 < R ? "," : "");
        printf("; total %.0f agent-steps/s; weak-scaling efficiency %.1f%% (mean per rank / rank 0 "
               "alone)\n",
               total, 100 * eff);
    }
    fflush(stdout);
}

/* one preset: alone, and under a launch also spread over the ranks */
static int bench_preset(SimDist *d, const Options *o, const char *env, int first) {
    SimConfig sim;
    double rate[3] = {0}, alone[3] = {0};
    int rc = 0;
    /* rank 0 alone, the others waiting */
    if (d->rank == 0) rc = bench_one(o, env, 0, &sim, alone);
    if (d->rank == 0 && !rc) sim_config_close(&sim);
    if ((rc = sim_dist_min(d, rc))) return rc;
    if (d->size > 1) {
        sim_dist_barrier(d);
        if ((rc = sim_dist_min(d, bench_one(o, env, d->rank, &sim, rate)))) return rc;
        sim_config_close(&sim);
    }
    double rates[4096];
    EnvError err;
    if (d->size > 4096) return cli_input_error("bench: at most 4096 processes");
    if (sim_dist_allgather_f64(d, rate[0], rates, &err)) return cli_fail(&err);
    if (d->rank != 0) return 0;
    /* the row: the preset's config again for its sizes */
    SimParams p;
    if ((rc = cli_build_params(o, env, &p))) return rc;
    if (sim_config_init(&sim, &p, &err)) return cli_fail(&err);
    print_row(o, env, &sim, alone, first, o->json && d->size > 1);
    sim_config_close(&sim);
    if (d->size > 1) print_spread(o, alone[0], rates, d->size);
    return 0;
}

/* the share of a part in the whole, for the breakdown */
static void print_part(const char *what, double sec, double total, double per_update) {
    printf("  %-34s %8.3f s  %5.1f%%  %8.2f ms per update\n", what, sec,
           total > 0 ? 100 * sec / total : 0, 1e3 * sec / per_update);
}

/* `bench --train CONFIG`: the updates of `commons train` without its files, timed as a whole and
 * in parts (the trainer's PpoTimes, the rollout's rest is the worlds) */
static int bench_train(SimDist *d, const Options *o, const char *config) {
    if (d->size > 1) return cli_input_error("bench --train measures one process; run it alone");
    char blas_note[512];
    nn_blas_setup(blas_note, sizeof blas_note);
    if (blas_note[0]) printf("%s\n", blas_note);
    SimParams p;
    PpoConfig c;
    EnvError err;
    ppo_config_default(&c);
    int rc = sim_params_load_preset(&p, "harvest", &err);
    if (!rc) rc = sim_train_load_file(&p, &c, config, &err);
    for (int i = 0; i < o->n_sets && !rc; i++) rc = sim_train_apply_set(&p, &c, o->sets[i], &err);
    if (rc) return cli_fail(&err);
    SimConfig sim;
    SimTrainer tr;
    if (sim_config_init(&sim, &p, &err)) return cli_fail(&err);
    if (sim_trainer_init(&tr, &c, &sim, 0, c.shards, &err)) {
        sim_config_close(&sim);
        return cli_fail(&err);
    }
    PpoTrainer *t = &tr.ppo;
    int timed = (int)o->repeat;
    double per_update = (double)c.worlds * c.rollout * t->n_agents, rollout = 0, learn = 0;
    printf("train loop of %s: %d worlds x %d steps x %d agents an update, %d epochs x %d "
           "minibatches, %zu parameters x %d group(s); one process, one BLAS thread, BLAS kernel "
           "%s\n",
           config, c.worlds, c.rollout, t->n_agents, c.epochs, c.minibatches, t->model.n,
           t->n_groups, nn_blas_kernel());
    for (int u = 0; u <= timed; u++) {
        if (u == 1) memset(&t->times, 0, sizeof t->times); /* the first update warms up */
        PpoStats st;
        double t0 = now_seconds();
        sim_trainer_rollout(&tr);
        double t1 = now_seconds();
        sim_trainer_learn(&tr, &st);
        double t2 = now_seconds();
        if (u == 0) continue;
        rollout += t1 - t0;
        learn += t2 - t1;
    }
    const PpoTimes *pt = &t->times;
    double total = rollout + learn, steps = per_update * timed;
    printf("%d updates timed after 1 warm-up: %.0f agent-steps in %.2f s = %.0f agent-steps/s\n",
           timed, steps, total, total > 0 ? steps / total : 0);
    print_part("rollout inference (forward, sample)", pt->infer, total, timed);
    print_part("worlds (step, observe, record)", rollout - pt->infer, total, timed);
    print_part("forward (gather, forward, loss)", pt->forward, total, timed);
    print_part("backward", pt->backward, total, timed);
    print_part("optimizer (shard sum, norm, Adam)", pt->optimizer, total, timed);
    print_part("other (GAE, shuffles, statistics)",
               learn - pt->forward - pt->backward - pt->optimizer, total, timed);
    sim_trainer_close(&tr);
    sim_config_close(&sim);
    return 0;
}

int cli_cmd_bench(SimDist *d, int argc, char **argv) {
    Options o = {.env = "gathering,harvest,commons,cleanup,cleanup-gallego,ocean",
                 .batch = 16,
                 .steps = 4000,
                 .repeat = 5,
                 .seed = 1};
    sim_dist_quiet(d);
    int rc = cli_parse_options(argc, argv, &o,
                               " --env --agents --batch --steps --repeat --encoding --set --seed "
                               "--json --train ");
    if (rc) return rc;
    if (o.help) {
        if (d->rank == 0) fputs(BENCH_HELP, stdout);
        return 0;
    }
    const char *train = cli_extra(&o, "--train");
    if (train) return bench_train(d, &o, train);
    /* --steps means steps per world here, not episode length */
    o.steps_set[0] = 0;
    char buf[512];
    if (strlen(o.env) >= sizeof buf) return cli_input_error("--env: list too long");
    /* check every preset before printing anything */
    snprintf(buf, sizeof buf, "%s", o.env);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        SimParams p;
        SimConfig cfg;
        EnvError err;
        if ((rc = cli_build_params(&o, tok, &p))) return rc;
        if (sim_config_init(&cfg, &p, &err)) return cli_fail(&err);
        sim_config_close(&cfg);
    }
    sim_dist_speak(d);
    if (d->rank == 0 && o.json)
        printf("{\"threads\": 1, \"steps_per_world\": %lld, \"repeat\": %lld, \"results\": [\n",
               o.steps, o.repeat);
    else if (d->rank == 0)
        printf("one core, random actions, observations written to a batch buffer; %lld steps per "
               "world, %lld repeats\n%-16s %6s %8s %10s %6s %14s %14s %14s %12s  %s\n",
               o.steps, o.repeat, "env", "agents", "encoding", "obs", "batch", "agent-steps/s",
               "slowest", "fastest", "state bytes", "comm");
    snprintf(buf, sizeof buf, "%s", o.env);
    int first = 1;
    save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if ((rc = bench_preset(d, &o, tok, first))) return rc;
        first = 0;
    }
    if (d->rank == 0 && o.json) printf("\n]}\n");
    return 0;
}
