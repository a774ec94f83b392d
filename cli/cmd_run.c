/* cmd_run.c: `commons run` and `commons compare`: episodes with scripted policies. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "commands.h"
#include "params.h"
#include "policy.h"
#include "options.h"
#include "report.h"
#include "episode.h"

static const char *RUN_HELP =
    "usage: commons run [options]\n"
    "\n"
    "Runs episodes with scripted policies; prints per-episode social metrics (efficiency,\n"
    "equality, sustainability, peace), per-agent returns, and the final state hash.\n"
    "\n"
    "  --env NAME            preset (default harvest; with a trained --policy and neither\n"
    "                        --env nor --config, the world it was trained in); 'commons\n"
    "                        maps' lists them\n"
    "  --agents N            number of agents (env.agents)\n"
    "  --steps N             steps per episode (env.max_steps)\n"
    "  --episodes N          episodes to run (default 1)\n"
    "  --seed N              run seed (default 1)\n"
    "  --policy P[,P...]     random, greedy, coop, gallego (Gallego 2026's Cleanup policy),\n"
    "                        or a trained policy (a run directory given with a '/', or a\n"
    "                        .ckpt file): one for all agents, or one per agent (default greedy)\n"
    "  --config FILE         INI file applied on top of the preset\n"
    "  --set SEC.KEY=VALUE   override one key (repeatable); 'commons maps --keys' lists keys\n"
    "  --json                print one JSON document instead of the table\n"
    "  --record TARGET       also record the frames: FILE.gif, FILE.mp4 (needs ffmpeg) or DIR/\n"
    "                        (PNG frames); the run and its output are unchanged\n"
    "  --cell N, --fps N     recording: pixels per map cell (default 8), frames per second\n"
    "                        (default 10)\n"
    "  --replay-out FILE     also write a replay (config, seed, actions) for 'commons replay'\n";

static const char *COMPARE_HELP =
    "usage: commons compare [options]\n"
    "\n"
    "Runs each policy (for all agents) on the same seeds and prints the mean and standard\n"
    "deviation of every social metric over the episodes.\n"
    "\n"
    "  --policies P,P,...    policies to compare (default greedy,coop)\n"
    "  --episodes N          episodes per policy, one seed each (default 10)\n"
    "  --env, --agents, --steps, --seed, --config, --set, --json   as for 'commons run'\n";

/* what a run holds: the settings, the policies and the episode stepper */
typedef struct Run {
    SimParams sp;
    SimPolicies pols;
    SimConfig sim;
    SimEpisode e;
    int open; /* 1 policies, 2 config, 3 episode */
} Run;

static void run_close(Run *r) {
    if (r->open >= 3) sim_episode_close(&r->e);
    if (r->open >= 2) sim_config_close(&r->sim);
    if (r->open >= 1) sim_policies_close(&r->pols);
}

/* settings, policies (scripted or checkpoints), the world and its stepper; an exit code */
static int run_open(Run *r, const Options *o) {
    EnvError err;
    r->open = 0;
    int rc = cli_world_params(o, &r->sp);
    if (!rc) rc = cli_policies_parse(o->policy, r->sp.env.n_agents, &r->pols);
    if (rc) return rc;
    r->open = 1;
    if (sim_config_init(&r->sim, &r->sp, &err)) return cli_fail(&err);
    r->open = 2;
    if (sim_episode_init(&r->e, &r->sim, r->pols.kind, (uint64_t)o->seed, 0, &err))
        return cli_fail(&err);
    r->open = 3;
    return cli_policies_attach(&r->pols, &r->e);
}

static void print_header(const Run *r, const Options *o) {
    const EnvParams *p = &r->sp.env;
    const EnvMap *map = &r->sim.env.map;
    int n = p->n_agents;
    if (o->json) {
        printf("{\"env\": \"%s\", \"game\": \"%s\", \"map\": \"%s\", \"agents\": %d, "
               "\"steps\": %d, \"seed\": %lld, \"policies\": [",
               p->preset, env_game_name(p->game), map->name, n, p->max_steps, o->seed);
        for (int i = 0; i < n; i++) printf("%s\"%s\"", i ? ", " : "", r->pols.name[i]);
        printf("],\n \"episodes\": [\n");
    } else {
        printf("env %s (game %s, map %s %dx%d), %d agents, %d steps, seed %lld\n", p->preset,
               env_game_name(p->game), map->name, map->h, map->w, n, p->max_steps, o->seed);
        printf("policies:");
        for (int i = 0; i < n; i++) printf(" %s", r->pols.name[i]);
        printf("\n%7s %10s %9s %14s %8s  %s\n", "episode", "efficiency", "equality",
               "sustainability", "peace", "returns");
    }
}

int cli_cmd_run(int argc, char **argv) {
    Options o = {.env = "harvest", .policy = "greedy", .episodes = 1, .seed = 1};
    int rc = cli_parse_options(argc, argv, &o,
                               " --env --agents --steps --episodes --seed --policy --config --set "
                               "--json --record --replay-out --fps --cell ");
    if (rc) return rc;
    if (o.help) {
        fputs(RUN_HELP, stdout);
        return 0;
    }
    CliCapture cap;
    Run r = {.open = 0};
    if ((rc = cli_capture_options(&cap, &o)) || (rc = run_open(&r, &o))) {
        run_close(&r);
        return rc;
    }
    int n = r.sp.env.n_agents, ocean = r.sp.env.game == ENV_GAME_OCEAN;
    char policy_list[64 * ENV_MAX_AGENTS];
    cli_policy_list(&r.pols, n, policy_list, sizeof policy_list);
    if ((rc = cli_capture_begin(&cap, &r.e, policy_list))) {
        run_close(&r);
        return rc;
    }
    print_header(&r, &o);
    EnvSocial mean = {0};
    uint64_t final_hash = 0;
    for (long long e = 0; e < o.episodes && !rc; e++) {
        SimResult ep;
        if ((rc = cli_capture_episode(&cap, &r.e, (uint64_t)e, &ep))) break;
        cli_mean_add(&mean, &ep.social, o.episodes);
        final_hash = ep.hash;
        cli_print_episode(&ep, n, ocean, o.json, e + 1 == o.episodes);
    }
    if (!rc) {
        cli_print_mean(&mean, final_hash, o.json);
        fflush(stdout);
        rc = cli_capture_end(&cap);
    }
    run_close(&r);
    return rc;
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

int cli_cmd_compare(int argc, char **argv) {
    Options o = {.env = "harvest", .policy = "greedy,coop", .episodes = 10, .seed = 1};
    int rc =
        cli_parse_options(argc, argv, &o,
                          " --env --agents --steps --episodes --seed --policies --config --set "
                          "--json ");
    if (rc) return rc;
    if (o.help) {
        fputs(COMPARE_HELP, stdout);
        return 0;
    }
    SimParams sp;
    if ((rc = cli_build_params(&o, o.env, &sp))) return rc;
    const EnvParams p = sp.env;
    ScriptedKind list[ENV_MAX_AGENTS];
    int n_pol;
    EnvError err;
    if ((rc = cli_split_policies("--policies", o.policy, list, &n_pol))) return rc;
    SimConfig sim;
    if (sim_config_init(&sim, &sp, &err)) return cli_fail(&err);
    int ne = (int)o.episodes;
    double *vals = malloc(sizeof(double) * 4 * (size_t)ne);
    if (!vals) {
        sim_config_close(&sim);
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
            SimEpisode r;
            if (sim_episode_init(&r, &sim, kinds, (uint64_t)(o.seed + e), 0, &err)) {
                free(vals);
                sim_config_close(&sim);
                return cli_fail(&err);
            }
            SimResult ep;
            sim_episode_run(&r, 0, 0, &ep);
            vals[0 * ne + e] = ep.social.efficiency;
            vals[1 * ne + e] = ep.social.equality;
            vals[2 * ne + e] = ep.social.sustainability;
            vals[3 * ne + e] = ep.social.peace;
            sim_episode_close(&r);
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
    sim_config_close(&sim);
    return 0;
}
