/* cmd_bench.c: `commons bench`: agent-steps per second with random actions. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "params.h"
#include "options.h"
#include "episode.h"
#include "session.h"

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
    "  --json                print JSON\n";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* one preset: batch of worlds, random actions, observations into a batch buffer */
static int bench_one(const Options *o, const char *env, int first) {
    SimParams p;
    int rc = cli_build_params(o, env, &p);
    if (rc) return rc;
    SimConfig sim;
    EnvError err;
    if (sim_config_init(&sim, &p, &err)) return cli_fail(&err);
    const EnvConfig *cfg = &sim.env;
    int nb = (int)o->batch, n = p.env.n_agents;
    const EnvSpec *s = &cfg->spec;
    EnvWorld *worlds = calloc((size_t)nb, sizeof *worlds);
    int32_t *actions = malloc(sizeof(int32_t) * (size_t)nb * (size_t)n);
    uint8_t *obs = malloc(s->obs_size * (size_t)nb * (size_t)n);
    float *rewards = malloc(sizeof(float) * (size_t)nb * (size_t)n);
    uint8_t *dones = malloc(2 * (size_t)nb); /* (2, nb) terminations, then truncations */
    double rates[1000];
    if (!worlds || !actions || !obs || !rewards || !dones) {
        fprintf(stderr, "commons: out of memory\n");
        return 1;
    }
    for (int k = 0; k < nb; k++)
        if (env_world_init(&worlds[k], cfg, (uint64_t)o->seed, (uint64_t)k, &err))
            return cli_fail(&err);
    /* worlds that communicate also emit random signal bits and receive messages every step */
    int comm = comm_session_wanted(&p.comm), bits = p.comm.signal_bits;
    CommSession *sessions = comm ? calloc((size_t)nb, sizeof *sessions) : NULL;
    uint8_t sig[ENV_MAX_AGENTS * ENV_MAX_SIGNAL_BITS];
    for (int k = 0; comm && k < nb; k++)
        if (!sessions || comm_session_init(&sessions[k], cfg, &p.comm, &err)) return cli_fail(&err);
    EnvRng rng;
    env_rng_seed(&rng, env_hash4((uint64_t)o->seed, 0, 0, ENV_STREAM_BENCH));
    uint64_t checksum = 0;
    for (int rep = 0; rep < (int)o->repeat; rep++) {
        double t0 = now_seconds();
        for (long long t = 0; t < o->steps; t++) {
            for (int i = 0; i < nb * n; i++)
                actions[i] = (int32_t)env_rng_below(&rng, (uint32_t)s->n_actions);
            if (!comm) {
                env_batch_step(worlds, nb, actions, obs, rewards, dones, dones + nb, NULL);
            } else {
                for (int k = 0; k < nb; k++) {
                    size_t a = (size_t)k * (size_t)n;
                    env_batch_step(&worlds[k], 1, actions + a, obs + a * s->obs_size, rewards + a,
                                   dones + k, dones + nb + k, NULL);
                    for (int i = 0; i < n * bits; i++) sig[i] = (uint8_t)(env_rng_u32(&rng) & 1);
                    if (dones[k] || dones[nb + k]) comm_session_reset(&sessions[k]);
                    comm_session_emit(&sessions[k], sig);
                    comm_session_observe(&sessions[k], &worlds[k]);
                    checksum += (uint64_t)sessions[k].msg[0];
                }
            }
            checksum += obs[(size_t)(t % nb) * s->obs_size];
        }
        double dt = now_seconds() - t0;
        rates[rep] = (double)o->steps * nb * n / dt;
    }
    qsort(rates, (size_t)o->repeat, sizeof rates[0], cmp_double);
    double med = rates[o->repeat / 2];
    if (o->repeat % 2 == 0) med = 0.5 * (rates[o->repeat / 2 - 1] + rates[o->repeat / 2]);
    size_t state = sizeof(EnvWorld) + cfg->world_bytes;
    char shape[48];
    snprintf(shape, sizeof shape, "%dx%dx%d", s->obs_h, s->obs_w, s->obs_c);
    const char *enc = s->encoding == ENV_ENC_RGB ? "rgb" : "ids";
    char talk[32] = "-";
    if (comm) snprintf(talk, sizeof talk, "%s/%db", comm_topology_name(p.comm.topology), bits);
    if (o->json)
        printf("%s  {\"env\": \"%s\", \"agents\": %d, \"encoding\": \"%s\", \"obs\": \"%s\", "
               "\"batch\": %d, \"agent_steps_per_s\": %.0f, \"min\": %.0f, \"max\": %.0f, "
               "\"state_bytes\": %zu, \"comm\": \"%s\"}",
               first ? "" : ",\n", env, n, enc, shape, nb, med, rates[0], rates[o->repeat - 1],
               state, talk);
    else
        printf("%-16s %6d %8s %10s %6d %14.0f %14.0f %14.0f %12zu  %s\n", env, n, enc, shape, nb,
               med, rates[0], rates[o->repeat - 1], state, talk);
    fflush(stdout);
    for (int k = 0; k < nb; k++) env_world_close(&worlds[k]);
    for (int k = 0; comm && k < nb; k++) comm_session_close(&sessions[k]);
    free(sessions);
    free(worlds);
    free(actions);
    free(obs);
    free(rewards);
    free(dones);
    sim_config_close(&sim);
    return checksum == 0xFFFFFFFFFFFFFFFFULL; /* keeps the observation writes observable */
}

int cli_cmd_bench(int argc, char **argv) {
    Options o = {.env = "gathering,harvest,commons,cleanup,cleanup-gallego,ocean",
                 .batch = 16,
                 .steps = 4000,
                 .repeat = 5,
                 .seed = 1};
    int rc = cli_parse_options(argc, argv, &o,
                               " --env --agents --batch --steps --repeat --encoding --set --seed "
                               "--json ");
    if (rc) return rc;
    if (o.help) {
        fputs(BENCH_HELP, stdout);
        return 0;
    }
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
    if (o.json)
        printf("{\"threads\": 1, \"steps_per_world\": %lld, \"repeat\": %lld, \"results\": [\n",
               o.steps, o.repeat);
    else
        printf("one core, random actions, observations written to a batch buffer; %lld steps per "
               "world, %lld repeats\n%-16s %6s %8s %10s %6s %14s %14s %14s %12s  %s\n",
               o.steps, o.repeat, "env", "agents", "encoding", "obs", "batch", "agent-steps/s",
               "slowest", "fastest", "state bytes", "comm");
    snprintf(buf, sizeof buf, "%s", o.env);
    int first = 1;
    save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if ((rc = bench_one(&o, tok, first))) return rc;
        first = 0;
    }
    if (o.json) printf("\n]}\n");
    return 0;
}
