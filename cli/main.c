/* main.c: the `commons` command-line tool.
 *
 * Commands: run, compare, bench, maps. Exit codes: 0 success, 2 bad input (with a message that
 * names the place and the fix), 1 runtime failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "runner.h"

#define EXIT_INPUT 2
#define MAX_SETS 64

static const char *USAGE =
    "usage: commons <command> [options]\n"
    "\n"
    "commands:\n"
    "  run       run episodes with scripted policies and print social metrics\n"
    "  compare   run several policies on the same seeds and print a metrics table\n"
    "  bench     measure agent-steps per second with random actions, observations included\n"
    "  maps      list maps and presets, show one, or list config keys\n"
    "\n"
    "'commons <command> --help' describes a command.\n";

static const char *RUN_HELP =
    "usage: commons run [options]\n"
    "\n"
    "Runs episodes with scripted policies; prints per-episode social metrics (efficiency,\n"
    "equality, sustainability, peace), per-agent returns, and the final state hash.\n"
    "\n"
    "  --env NAME            preset (default harvest); 'commons maps' lists them\n"
    "  --agents N            number of agents (env.agents)\n"
    "  --steps N             steps per episode (env.max_steps)\n"
    "  --episodes N          episodes to run (default 1)\n"
    "  --seed N              run seed (default 1)\n"
    "  --policy P[,P...]     random, greedy or coop: one for all agents, or one per agent\n"
    "                        (default greedy)\n"
    "  --config FILE         INI file applied on top of the preset\n"
    "  --set SEC.KEY=VALUE   override one key (repeatable); 'commons maps --keys' lists keys\n"
    "  --json                print one JSON document instead of the table\n";

static const char *COMPARE_HELP =
    "usage: commons compare [options]\n"
    "\n"
    "Runs each policy (for all agents) on the same seeds and prints the mean and standard\n"
    "deviation of every social metric over the episodes.\n"
    "\n"
    "  --policies P,P,...    policies to compare (default greedy,coop)\n"
    "  --episodes N          episodes per policy, one seed each (default 10)\n"
    "  --env, --agents, --steps, --seed, --config, --set, --json   as for 'commons run'\n";

static const char *BENCH_HELP =
    "usage: commons bench [options]\n"
    "\n"
    "Steps a batch of worlds on one core with uniform random actions and writes every agent's\n"
    "observation into a batch buffer each step. Prints agent-steps per second (steps x agents\n"
    "/ s): the median over repeats, with the slowest and fastest, and the state bytes per world.\n"
    "\n"
    "  --env NAME[,NAME...]  presets (default gathering,harvest,commons,cleanup,cleanup-gallego)\n"
    "  --agents N            agents per world (default: the preset's)\n"
    "  --batch N             worlds stepped per call (default 16)\n"
    "  --steps N             steps per world per repeat (default 4000)\n"
    "  --repeat N            repeats (default 5)\n"
    "  --encoding rgb|ids    observation encoding (default: the preset's)\n"
    "  --set SEC.KEY=VALUE   override one key (repeatable)\n"
    "  --json                print JSON\n";

static const char *MAPS_HELP =
    "usage: commons maps [NAME] [--keys]\n"
    "\n"
    "Without arguments lists the built-in maps and presets. With a map name prints the map;\n"
    "with a preset name prints its effective config. --keys lists every config key with its\n"
    "allowed range.\n";

/* print a located input error and return the bad-input exit code */
static int input_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "commons: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return EXIT_INPUT;
}

static int fail(const EnvError *err) {
    fprintf(stderr, "commons: %s\n", err->msg);
    return err->code == ENV_EINPUT ? EXIT_INPUT : 1;
}

/* options shared by run, compare and bench */
typedef struct Options {
    const char *env;
    const char *config;
    const char *policy;
    const char *sets[MAX_SETS];
    int n_sets;
    char agents_set[32], steps_set[32], encoding_set[32];
    long long episodes, seed, batch, repeat, steps;
    int json, help;
} Options;

static int parse_count(const char *opt, const char *v, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*v == 0 || *end != 0 || errno)
        return input_error("%s: '%s' is not an integer; give a value in %lld..%lld", opt, v, lo,
                           hi);
    if (x < lo || x > hi)
        return input_error("%s: %lld is out of range; allowed %lld..%lld", opt, x, lo, hi);
    *out = x;
    return 0;
}

/* parse --opt VALUE and --opt=VALUE forms; `allowed` lists the options of this command */
static int parse_options(int argc, char **argv, Options *o, const char *allowed) {
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            o->help = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            return input_error("unexpected argument '%s'; see --help", arg);
        char name[64];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof name) return input_error("unknown option '%s'; see --help", arg);
        memcpy(name, arg, len);
        name[len] = 0;
        char probe[72];
        snprintf(probe, sizeof probe, " %s ", name);
        if (!strstr(allowed, probe)) return input_error("unknown option '%s'; see --help", name);
        if (strcmp(name, "--json") == 0) {
            if (eq) return input_error("--json takes no value");
            o->json = 1;
            continue;
        }
        if (eq) {
            val = eq + 1;
        } else {
            if (i + 1 >= argc) return input_error("%s needs a value; see --help", name);
            val = argv[++i];
        }
        int rc = 0;
        if (strcmp(name, "--env") == 0)
            o->env = val;
        else if (strcmp(name, "--config") == 0)
            o->config = val;
        else if (strcmp(name, "--policy") == 0 || strcmp(name, "--policies") == 0)
            o->policy = val;
        else if (strcmp(name, "--set") == 0) {
            if (o->n_sets == MAX_SETS) return input_error("at most %d --set options", MAX_SETS);
            o->sets[o->n_sets++] = val;
        } else if (strcmp(name, "--agents") == 0) {
            long long n;
            if ((rc = parse_count(name, val, 1, ENV_MAX_AGENTS, &n))) return rc;
            snprintf(o->agents_set, sizeof o->agents_set, "env.agents=%lld", n);
        } else if (strcmp(name, "--steps") == 0) {
            if ((rc = parse_count(name, val, 1, 1000000, &o->steps))) return rc;
            snprintf(o->steps_set, sizeof o->steps_set, "env.max_steps=%lld", o->steps);
        } else if (strcmp(name, "--encoding") == 0) {
            if (strcmp(val, "rgb") != 0 && strcmp(val, "ids") != 0)
                return input_error("--encoding: '%s' is not allowed; choose rgb or ids", val);
            snprintf(o->encoding_set, sizeof o->encoding_set, "obs.encoding=%s", val);
        } else if (strcmp(name, "--episodes") == 0)
            rc = parse_count(name, val, 1, 1000000, &o->episodes);
        else if (strcmp(name, "--seed") == 0)
            rc = parse_count(name, val, 0, (1LL << 62), &o->seed);
        else if (strcmp(name, "--batch") == 0)
            rc = parse_count(name, val, 1, 4096, &o->batch);
        else if (strcmp(name, "--repeat") == 0)
            rc = parse_count(name, val, 1, 1000, &o->repeat);
        if (rc) return rc;
    }
    return 0;
}

/* preset, config file, then --agents/--steps/--encoding and --set in that order */
static int build_params(const Options *o, const char *env, EnvParams *p) {
    EnvError err;
    if (cli_load_preset(p, env, &err)) return fail(&err);
    if (o->config && cli_load_file(p, o->config, &err)) return fail(&err);
    const char *quick[3] = {o->agents_set, o->steps_set, o->encoding_set};
    for (int i = 0; i < 3; i++)
        if (quick[i][0] && cli_apply_set(p, quick[i], &err)) return fail(&err);
    for (int i = 0; i < o->n_sets; i++)
        if (cli_apply_set(p, o->sets[i], &err)) return fail(&err);
    return 0;
}

/* splits a comma-separated policy list; empty entries are errors */
static int split_policies(const char *opt, const char *spec, ScriptedKind *kinds, int *n) {
    EnvError err;
    *n = 0;
    const char *q = spec;
    for (int pos = 1;; pos++) {
        size_t len = strcspn(q, ",");
        char name[32];
        if (len == 0)
            return input_error("%s: entry %d of '%s' is empty; give random, greedy or coop", opt,
                               pos, spec);
        if (*n == ENV_MAX_AGENTS)
            return input_error("%s: more than %d entries", opt, ENV_MAX_AGENTS);
        snprintf(name, sizeof name, "%.*s", (int)(len < 31 ? len : 31), q);
        if (scripted_parse(name, &kinds[*n], &err)) return input_error("%s: %s", opt, err.msg);
        (*n)++;
        if (q[len] == 0) return 0;
        q += len + 1;
    }
}

/* one policy for all agents, or exactly one per agent */
static int parse_policies(const char *spec, int n_agents, ScriptedKind *kinds) {
    int n, rc = split_policies("--policy", spec, kinds, &n);
    if (rc) return rc;
    if (n == 1)
        for (int i = 1; i < n_agents; i++) kinds[i] = kinds[0];
    else if (n != n_agents)
        return input_error("--policy: %d policies for %d agents; give one for all agents or "
                           "exactly one per agent",
                           n, n_agents);
    return 0;
}

static void print_social_json(const EnvSocial *s) {
    printf("\"efficiency\": %.6f, \"equality\": %.6f, \"sustainability\": %.4f, \"peace\": %.4f",
           s->efficiency, s->equality, s->sustainability, s->peace);
}

static int cmd_run(int argc, char **argv) {
    Options o = {.env = "harvest", .policy = "greedy", .episodes = 1, .seed = 1};
    int rc = parse_options(argc, argv, &o,
                           " --env --agents --steps --episodes --seed --policy --config --set "
                           "--json ");
    if (rc) return rc;
    if (o.help) {
        fputs(RUN_HELP, stdout);
        return 0;
    }
    EnvParams p;
    if ((rc = build_params(&o, o.env, &p))) return rc;
    ScriptedKind kinds[ENV_MAX_AGENTS];
    if ((rc = parse_policies(o.policy, p.n_agents, kinds))) return rc;
    EnvConfig cfg;
    EnvError err;
    if (env_config_init(&cfg, &p, &err)) return fail(&err);
    CliRunner r;
    if (cli_runner_init(&r, &cfg, kinds, (uint64_t)o.seed, 0, &err)) {
        env_config_close(&cfg);
        return fail(&err);
    }
    int n = p.n_agents;
    EnvSocial mean = {0};
    uint64_t final_hash = 0;
    if (o.json) {
        printf(
            "{\"env\": \"%s\", \"game\": \"%s\", \"map\": \"%s\", \"agents\": %d, \"steps\": %d, "
            "\"seed\": %lld, \"policies\": [",
            p.preset, env_game_name(p.game), cfg.map.name, n, p.max_steps, o.seed);
        for (int i = 0; i < n; i++) printf("%s\"%s\"", i ? ", " : "", scripted_name(kinds[i]));
        printf("],\n \"episodes\": [\n");
    } else {
        printf("env %s (game %s, map %s %dx%d), %d agents, %d steps, seed %lld\n", p.preset,
               env_game_name(p.game), cfg.map.name, cfg.map.h, cfg.map.w, n, p.max_steps, o.seed);
        printf("policies:");
        for (int i = 0; i < n; i++) printf(" %s", scripted_name(kinds[i]));
        printf("\n%7s %10s %9s %14s %8s  %s\n", "episode", "efficiency", "equality",
               "sustainability", "peace", "returns");
    }
    for (long long e = 0; e < o.episodes; e++) {
        CliEpisode ep;
        cli_run_episode(&r, (uint64_t)e, 0, &ep);
        mean.efficiency += ep.social.efficiency / (double)o.episodes;
        mean.equality += ep.social.equality / (double)o.episodes;
        mean.sustainability += ep.social.sustainability / (double)o.episodes;
        mean.peace += ep.social.peace / (double)o.episodes;
        final_hash = ep.hash;
        if (o.json) {
            printf("  {\"episode\": %lld, ", e);
            print_social_json(&ep.social);
            printf(", \"returns\": [");
            for (int i = 0; i < n; i++) printf("%s%lld", i ? ", " : "", (long long)ep.ret[i]);
            printf("], \"hash\": \"%016llx\"}%s\n", (unsigned long long)ep.hash,
                   e + 1 < o.episodes ? "," : "");
        } else {
            printf("%7lld %10.3f %9.3f %14.1f %8.3f ", e, ep.social.efficiency, ep.social.equality,
                   ep.social.sustainability, ep.social.peace);
            for (int i = 0; i < n; i++) printf(" %lld", (long long)ep.ret[i]);
            printf("\n");
        }
    }
    if (o.json) {
        printf(" ],\n \"mean\": {");
        print_social_json(&mean);
        printf("},\n \"final_hash\": \"%016llx\"}\n", (unsigned long long)final_hash);
    } else {
        printf("%7s %10.3f %9.3f %14.1f %8.3f\n", "mean", mean.efficiency, mean.equality,
               mean.sustainability, mean.peace);
        printf("final state hash %016llx\n", (unsigned long long)final_hash);
    }
    cli_runner_close(&r);
    env_config_close(&cfg);
    return 0;
}

/* mean and sample standard deviation */
static void mean_sd(const double *x, int n, double *mean, double *sd) {
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += x[i];
    m /= n;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(v / (n - 1)) : 0.0;
}

static int cmd_compare(int argc, char **argv) {
    Options o = {.env = "harvest", .policy = "greedy,coop", .episodes = 10, .seed = 1};
    int rc = parse_options(argc, argv, &o,
                           " --env --agents --steps --episodes --seed --policies --config --set "
                           "--json ");
    if (rc) return rc;
    if (o.help) {
        fputs(COMPARE_HELP, stdout);
        return 0;
    }
    EnvParams p;
    if ((rc = build_params(&o, o.env, &p))) return rc;
    ScriptedKind list[ENV_MAX_AGENTS];
    int n_pol;
    EnvError err;
    if ((rc = split_policies("--policies", o.policy, list, &n_pol))) return rc;
    EnvConfig cfg;
    if (env_config_init(&cfg, &p, &err)) return fail(&err);
    int ne = (int)o.episodes;
    double *vals = malloc(sizeof(double) * 4 * (size_t)ne);
    if (!vals) {
        env_config_close(&cfg);
        fprintf(stderr, "commons: out of memory\n");
        return 1;
    }
    if (o.json)
        printf("{\"env\": \"%s\", \"agents\": %d, \"steps\": %d, \"episodes\": %d, \"seed\": %lld, "
               "\"rows\": [\n",
               p.preset, p.n_agents, p.max_steps, ne, o.seed);
    else
        printf("env %s, %d agents, %d steps, %d episodes (seeds %lld..%lld); mean +- sd\n"
               "%-8s %16s %16s %18s %16s\n",
               p.preset, p.n_agents, p.max_steps, ne, o.seed, o.seed + ne - 1, "policy",
               "efficiency", "equality", "sustainability", "peace");
    for (int k = 0; k < n_pol; k++) {
        ScriptedKind kinds[ENV_MAX_AGENTS];
        for (int i = 0; i < p.n_agents; i++) kinds[i] = list[k];
        for (int e = 0; e < ne; e++) {
            CliRunner r;
            if (cli_runner_init(&r, &cfg, kinds, (uint64_t)(o.seed + e), 0, &err)) {
                free(vals);
                env_config_close(&cfg);
                return fail(&err);
            }
            CliEpisode ep;
            cli_run_episode(&r, 0, 0, &ep);
            vals[0 * ne + e] = ep.social.efficiency;
            vals[1 * ne + e] = ep.social.equality;
            vals[2 * ne + e] = ep.social.sustainability;
            vals[3 * ne + e] = ep.social.peace;
            cli_runner_close(&r);
        }
        double m[4], sd[4];
        for (int j = 0; j < 4; j++) mean_sd(vals + j * ne, ne, &m[j], &sd[j]);
        if (o.json)
            printf(
                "  {\"policy\": \"%s\", \"efficiency\": [%.6f, %.6f], \"equality\": [%.6f, %.6f], "
                "\"sustainability\": [%.4f, %.4f], \"peace\": [%.4f, %.4f]}%s\n",
                scripted_name(list[k]), m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3],
                k + 1 < n_pol ? "," : "");
        else
            printf("%-8s %8.3f +- %5.3f %8.3f +- %5.3f %10.1f +- %5.1f %8.3f +- %5.3f\n",
                   scripted_name(list[k]), m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3]);
    }
    if (o.json) printf(" ]}\n");
    free(vals);
    env_config_close(&cfg);
    return 0;
}

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
    EnvParams p;
    int rc = build_params(o, env, &p);
    if (rc) return rc;
    EnvConfig cfg;
    EnvError err;
    if (env_config_init(&cfg, &p, &err)) return fail(&err);
    int nb = (int)o->batch, n = p.n_agents;
    const EnvSpec *s = &cfg.spec;
    EnvWorld *worlds = calloc((size_t)nb, sizeof *worlds);
    int32_t *actions = malloc(sizeof(int32_t) * (size_t)nb * (size_t)n);
    uint8_t *obs = malloc(s->obs_size * (size_t)nb * (size_t)n);
    float *rewards = malloc(sizeof(float) * (size_t)nb * (size_t)n);
    uint8_t *dones = malloc((size_t)nb);
    double rates[1000];
    if (!worlds || !actions || !obs || !rewards || !dones) {
        fprintf(stderr, "commons: out of memory\n");
        return 1;
    }
    for (int k = 0; k < nb; k++)
        if (env_world_init(&worlds[k], &cfg, (uint64_t)o->seed, (uint64_t)k, &err))
            return fail(&err);
    EnvRng rng;
    env_rng_seed(&rng, env_hash4((uint64_t)o->seed, 0, 0, ENV_STREAM_BENCH));
    uint64_t checksum = 0;
    for (int rep = 0; rep < (int)o->repeat; rep++) {
        double t0 = now_seconds();
        for (long long t = 0; t < o->steps; t++) {
            for (int i = 0; i < nb * n; i++)
                actions[i] = (int32_t)env_rng_below(&rng, (uint32_t)s->n_actions);
            env_batch_step(worlds, nb, actions, obs, rewards, dones);
            checksum += obs[(size_t)(t % nb) * s->obs_size];
        }
        double dt = now_seconds() - t0;
        rates[rep] = (double)o->steps * nb * n / dt;
    }
    qsort(rates, (size_t)o->repeat, sizeof rates[0], cmp_double);
    double med = rates[o->repeat / 2];
    if (o->repeat % 2 == 0) med = 0.5 * (rates[o->repeat / 2 - 1] + rates[o->repeat / 2]);
    size_t state = sizeof(EnvWorld) + cfg.world_bytes;
    char shape[48];
    snprintf(shape, sizeof shape, "%dx%dx%d", s->obs_h, s->obs_w, s->obs_c);
    const char *enc = s->encoding == ENV_ENC_RGB ? "rgb" : "ids";
    if (o->json)
        printf("%s  {\"env\": \"%s\", \"agents\": %d, \"encoding\": \"%s\", \"obs\": \"%s\", "
               "\"batch\": %d, \"agent_steps_per_s\": %.0f, \"min\": %.0f, \"max\": %.0f, "
               "\"state_bytes\": %zu}",
               first ? "" : ",\n", env, n, enc, shape, nb, med, rates[0], rates[o->repeat - 1],
               state);
    else
        printf("%-16s %6d %8s %10s %6d %14.0f %14.0f %14.0f %12zu\n", env, n, enc, shape, nb, med,
               rates[0], rates[o->repeat - 1], state);
    fflush(stdout);
    for (int k = 0; k < nb; k++) env_world_close(&worlds[k]);
    free(worlds);
    free(actions);
    free(obs);
    free(rewards);
    free(dones);
    env_config_close(&cfg);
    return checksum == 0xFFFFFFFFFFFFFFFFULL; /* keeps the observation writes observable */
}

static int cmd_bench(int argc, char **argv) {
    Options o = {.env = "gathering,harvest,commons,cleanup,cleanup-gallego",
                 .batch = 16,
                 .steps = 4000,
                 .repeat = 5,
                 .seed = 1};
    int rc = parse_options(argc, argv, &o,
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
    if (strlen(o.env) >= sizeof buf) return input_error("--env: list too long");
    /* check every preset before printing anything */
    snprintf(buf, sizeof buf, "%s", o.env);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        EnvParams p;
        EnvConfig cfg;
        EnvError err;
        if ((rc = build_params(&o, tok, &p))) return rc;
        if (env_config_init(&cfg, &p, &err)) return fail(&err);
        env_config_close(&cfg);
    }
    if (o.json)
        printf("{\"threads\": 1, \"steps_per_world\": %lld, \"repeat\": %lld, \"results\": [\n",
               o.steps, o.repeat);
    else
        printf("one core, random actions, observations written to a batch buffer; %lld steps per "
               "world, %lld repeats\n%-16s %6s %8s %10s %6s %14s %14s %14s %12s\n",
               o.steps, o.repeat, "env", "agents", "encoding", "obs", "batch", "agent-steps/s",
               "slowest", "fastest", "state bytes");
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

static void describe_map(const char *name) {
    EnvMap m;
    EnvError err;
    if (env_map_load(&m, name, &err)) return;
    int spawn = 0, apple = 0, river = 0;
    for (int i = 0; i < m.h * m.w; i++) {
        spawn += m.cells[i] == 'P';
        apple += m.cells[i] == 'A';
        river += m.cells[i] == 'H' || m.cells[i] == 'R';
    }
    printf("  %-24s %3dx%-3d %3d spawn points, %3d apple spawns, %3d river cells\n", name, m.h, m.w,
           spawn, apple, river);
    env_map_close(&m);
}

static int cmd_maps(int argc, char **argv) {
    int keys = 0;
    const char *name = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(MAPS_HELP, stdout);
            return 0;
        } else if (strcmp(argv[i], "--keys") == 0) {
            keys = 1;
        } else if (argv[i][0] == '-') {
            return input_error("unknown option '%s'; see 'commons maps --help'", argv[i]);
        } else if (name) {
            return input_error("maps takes one name; got '%s' and '%s'", name, argv[i]);
        } else {
            name = argv[i];
        }
    }
    if (keys) {
        const char *sec, *key, *doc;
        char range[96];
        printf("%-28s %-28s %s\n", "key", "allowed", "meaning");
        for (int i = 0; env_params_key(i, &sec, &key, range, sizeof range, &doc) == 0; i++) {
            char full[64];
            snprintf(full, sizeof full, "%s.%s", sec, key);
            printf("%-28s %-28s %s\n", full, range, doc);
        }
        return 0;
    }
    if (name) {
        const char *map = env_builtin_map(name);
        if (env_builtin_preset(name)) {
            EnvParams p;
            EnvError err;
            if (cli_load_preset(&p, name, &err)) return fail(&err);
            env_params_write_ini(&p, stdout);
            if (!map) return 0;
            printf("\n");
        }
        if (map) {
            describe_map(name);
            fputs(map, stdout);
            return 0;
        }
        return input_error("no map or preset named '%s'; 'commons maps' lists them", name);
    }
    printf("maps:\n");
    for (int i = 0; env_builtin_map_name(i); i++) describe_map(env_builtin_map_name(i));
    printf("presets:\n");
    for (int i = 0; env_builtin_preset_name(i); i++) {
        EnvParams p;
        EnvError err;
        if (cli_load_preset(&p, env_builtin_preset_name(i), &err)) return fail(&err);
        printf("  %-20s game %-9s map %-24s %2d agents, view %dx%d; %s\n", p.preset,
               env_game_name(p.game), p.map, p.n_agents, p.view_ahead + p.view_behind + 1,
               2 * p.view_side + 1, p.source);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "compare") == 0) return cmd_compare(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "maps") == 0) return cmd_maps(argc - 2, argv + 2);
    fprintf(stderr, "commons: unknown command '%s'\n\n%s", cmd, USAGE);
    return EXIT_INPUT;
}
