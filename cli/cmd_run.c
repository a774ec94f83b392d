/* cmd_run.c: `commons run` and `commons compare`: episodes with scripted policies.
 *
 * Under mpirun or srun (sim/dist.h) the episodes are dealt round the ranks (compare: the list of
 * every policy's episodes), each rank runs its own, and rank 0 gathers the results in order and
 * prints exactly what one process prints. An episode is the same wherever it runs (sim/episode.h).
 * --record and --replay-out write one file from one process.
 */
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
#include "dist.h"

static const char *RUN_HELP =
    "usage: commons run [options]\n"
    "\n"
    "Runs episodes with scripted policies; prints per-episode social metrics (efficiency,\n"
    "equality, sustainability, peace; restraint, n/a in games without a wait action),\n"
    "per-agent returns (and restraints), and the final state hash.\n"
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
        printf("\n");
        cli_print_table_header();
    }
}

/* a failure in the middle of spread work: this rank says why and the run ends on every rank */
static int fail_spread(SimDist *d, const EnvError *err) {
    int rc = cli_fail(err);
    if (d->size > 1) sim_dist_abort(d, rc);
    return rc;
}

/* the episodes spread over the ranks; rank 0 prints them in order */
static int run_spread(SimDist *d, Run *r, const Options *o) {
    int n = r->sp.env.n_agents, ocean = r->sp.env.game == ENV_GAME_OCEAN;
    int64_t count = sim_dist_deal(d, o->episodes);
    SimResult *mine = calloc((size_t)(count > 0 ? count : 1), sizeof *mine);
    EnvError err;
    if (!mine) return fail_spread(d, &(EnvError){ENV_ENOMEM, "out of memory for the results"});
    for (int64_t k = 0; k < count; k++)
        sim_episode_run(&r->e, (uint64_t)sim_dist_dealt(d, k), 0, &mine[k]);
    void *all;
    int rc = sim_dist_gather_dealt(d, mine, sizeof *mine, o->episodes, &all, &err);
    free(mine);
    if (rc) return fail_spread(d, &err);
    if (d->rank == 0) {
        const SimResult *res = all;
        print_header(r, o);
        EnvSocial mean = {0};
        for (long long e = 0; e < o->episodes; e++) {
            cli_mean_add(&mean, &res[e].social, o->episodes);
            cli_print_episode(&res[e], n, ocean, o->json, e + 1 == o->episodes);
        }
        cli_print_mean(&mean, o->episodes ? res[o->episodes - 1].hash : 0, o->json);
        fflush(stdout);
    }
    free(all);
    return 0;
}

int cli_cmd_run(SimDist *d, int argc, char **argv) {
    Options o = {.env = "harvest", .policy = "greedy", .episodes = 1, .seed = 1};
    sim_dist_quiet(d);
    int rc = cli_parse_options(argc, argv, &o,
                               " --env --agents --steps --episodes --seed --policy --config --set "
                               "--json --record --replay-out --fps --cell ");
    if (rc) return rc;
    if (o.help) {
        if (d->rank == 0) fputs(RUN_HELP, stdout);
        return 0;
    }
    if (d->size > 1 && (cli_extra(&o, "--record") || cli_extra(&o, "--replay-out")))
        return cli_input_error("--record and --replay-out write one file from one process; run "
                               "them without mpirun or srun");
    CliCapture cap;
    Run r = {.open = 0};
    if ((rc = cli_capture_options(&cap, &o)) || (rc = run_open(&r, &o))) {
        run_close(&r);
        return rc;
    }
    sim_dist_speak(d);
    if (d->size > 1) {
        rc = run_spread(d, &r, &o);
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

/* the four metrics of this rank's items of the list of every policy's episodes (policy k's
 * episode e is item k * ne + e, with seed + e) into out (count, 4) */
static int compare_items(const SimDist *d, const SimConfig *sim, const ScriptedKind *list, int ne,
                         long long seed, int64_t count, double *out, EnvError *err) {
    for (int64_t i = 0; i < count; i++) {
        int64_t item = sim_dist_dealt(d, i);
        int k = (int)(item / ne), e = (int)(item % ne);
        ScriptedKind kinds[ENV_MAX_AGENTS];
        for (int a = 0; a < ENV_MAX_AGENTS; a++) kinds[a] = list[k];
        SimEpisode r;
        if (sim_episode_init(&r, sim, kinds, (uint64_t)(seed + e), 0, err)) return 1;
        SimResult ep;
        sim_episode_run(&r, 0, 0, &ep);
        double *v = out + 4 * i;
        v[0] = ep.social.efficiency;
        v[1] = ep.social.equality;
        v[2] = ep.social.sustainability;
        v[3] = ep.social.peace;
        sim_episode_close(&r);
    }
    return 0;
}

/* the table (or JSON) from every item's metrics all (n_pol * ne, 4) */
static void print_compare(const Options *o, const EnvParams *p, const ScriptedKind *list, int n_pol,
                          int ne, const double *all) {
    if (o->json)
        printf("{\"env\": \"%s\", \"agents\": %d, \"steps\": %d, \"episodes\": %d, \"seed\": %lld, "
               "\"rows\": [\n",
               p->preset, p->n_agents, p->max_steps, ne, o->seed);
    else
        printf("env %s, %d agents, %d steps, %d episodes (seeds %lld..%lld); mean +- sd\n"
               "%-8s %16s %16s %18s %16s\n",
               p->preset, p->n_agents, p->max_steps, ne, o->seed, o->seed + ne - 1, "policy",
               "efficiency", "equality", "sustainability", "peace");
    double vals[4 * 1024], *v = ne <= 1024 ? vals : malloc(sizeof(double) * 4 * (size_t)ne);
    for (int k = 0; k < n_pol && v; k++) {
        for (int e = 0; e < ne; e++)
            for (int j = 0; j < 4; j++) v[j * ne + e] = all[((size_t)k * ne + e) * 4 + j];
        double m[4], sd[4];
        for (int j = 0; j < 4; j++) mean_sd(v + j * ne, ne, &m[j], &sd[j]);
        if (o->json)
            printf(
                "  {\"policy\": \"%s\", \"efficiency\": [%.6f, %.6f], \"equality\": [%.6f, %.6f], "
                "\"sustainability\": [%.4f, %.4f], \"peace\": [%.4f, %.4f]}%s\n",
                scripted_name(list[k]), m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3],
                k + 1 < n_pol ? "," : "");
        else
            printf("%-8s %8.3f +- %5.3f %8.3f +- %5.3f %10.1f +- %5.1f %8.3f +- %5.3f\n",
                   scripted_name(list[k]), m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3]);
    }
    if (o->json) printf(" ]}\n");
    if (v != vals) free(v);
}

int cli_cmd_compare(SimDist *d, int argc, char **argv) {
    Options o = {.env = "harvest", .policy = "greedy,coop", .episodes = 10, .seed = 1};
    sim_dist_quiet(d);
    int rc =
        cli_parse_options(argc, argv, &o,
                          " --env --agents --steps --episodes --seed --policies --config --set "
                          "--json ");
    if (rc) return rc;
    if (o.help) {
        if (d->rank == 0) fputs(COMPARE_HELP, stdout);
        return 0;
    }
    SimParams sp;
    if ((rc = cli_build_params(&o, o.env, &sp))) return rc;
    ScriptedKind list[ENV_MAX_AGENTS];
    int n_pol;
    EnvError err;
    if ((rc = cli_split_policies("--policies", o.policy, list, &n_pol))) return rc;
    SimConfig sim;
    if (sim_config_init(&sim, &sp, &err)) return cli_fail(&err);
    sim_dist_speak(d);
    /* this rank's items, gathered to rank 0 in order */
    int ne = (int)o.episodes;
    int64_t n_items = (int64_t)n_pol * ne, count = sim_dist_deal(d, n_items);
    double *mine = malloc(sizeof(double) * 4 * (size_t)(count > 0 ? count : 1));
    void *all = NULL;
    if (!mine) rc = 1, err = (EnvError){ENV_ENOMEM, "out of memory for the results"};
    if (!rc) rc = compare_items(d, &sim, list, ne, o.seed, count, mine, &err);
    if (!rc) rc = sim_dist_gather_dealt(d, mine, sizeof(double) * 4, n_items, &all, &err);
    free(mine);
    if (!rc && d->rank == 0) print_compare(&o, &sp.env, list, n_pol, ne, all);
    free(all);
    sim_config_close(&sim);
    return rc ? fail_spread(d, &err) : 0;
}
