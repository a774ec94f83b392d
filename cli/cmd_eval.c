/* cmd_eval.c: `commons eval`: runs trained policies in the world they were trained in and prints
 * their social metrics, optionally beside the scripted baselines on the same seeds.
 *
 * Episode e runs with seed s + e in world 0, episode 0, as `commons compare` does, so the rows
 * of the two commands compare directly. Trained agents sample their actions from their own
 * streams (sim/episode.h).
 *
 * Under mpirun or srun (sim/dist.h) the list of every policy's episodes is dealt round the
 * ranks; rank 0 gathers the results in order and prints exactly what one process
 * prints (the same sums in the same order).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "params.h"
#include "policy.h"
#include "options.h"
#include "episode.h"
#include "dist.h"

static const char *EVAL_HELP =
    "usage: commons eval RUN_DIR|CHECKPOINT [options]\n"
    "\n"
    "Runs the trained policies of a run directory (its checkpoint.ckpt) or of a checkpoint file\n"
    "in the world they were trained in, and prints the mean and standard deviation of every\n"
    "social metric over the episodes (efficiency, equality, sustainability, peace).\n"
    "\n"
    "  --episodes N          episodes, one seed each (default 10)\n"
    "  --seed N              first seed (default 1): episode e uses seed N + e, as in compare\n"
    "  --baselines           also run the scripted policies (random, greedy, coop) on the seeds\n"
    "  --set SEC.KEY=VALUE   change a world key (e.g. env.max_steps; repeatable)\n"
    "  --json                print one JSON document\n";

/* the four metrics of each episode of one policy */
typedef struct Rows {
    double *v; /* (4, episodes) */
    int n;
} Rows;

static void mean_sd(const double *x, int n, double *mean, double *sd) {
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += x[i];
    m /= n;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = n > 1 ? sqrt(v / (n - 1)) : 0.0;
}

/* what one episode gives: its four metrics and every agent's return */
typedef struct EvalItem {
    double metric[4];
    int64_t ret[ENV_MAX_AGENTS]; /* (n_agents,) */
} EvalItem;

/* one episode of one policy assignment: learned (ps) or a scripted kind for all */
static int run_episode(const SimConfig *cfg, const SimPolicies *ps, ScriptedKind kind,
                       long long seed, EvalItem *out) {
    EnvError err;
    ScriptedKind kinds[ENV_MAX_AGENTS];
    for (int i = 0; i < ENV_MAX_AGENTS; i++) kinds[i] = kind;
    SimEpisode r;
    if (sim_episode_init(&r, cfg, kinds, (uint64_t)seed, 0, &err)) return cli_fail(&err);
    int rc = ps ? cli_policies_attach(ps, &r) : 0;
    if (rc) {
        sim_episode_close(&r);
        return rc;
    }
    SimResult ep;
    sim_episode_run(&r, 0, 0, &ep);
    memset(out, 0, sizeof *out);
    out->metric[0] = ep.social.efficiency;
    out->metric[1] = ep.social.equality;
    out->metric[2] = ep.social.sustainability;
    out->metric[3] = ep.social.peace;
    memcpy(out->ret, ep.ret, sizeof ep.ret);
    sim_episode_close(&r);
    return 0;
}

/* one policy's rows and mean return from its items (rows->n of them), summed in episode order */
static void policy_rows(const EvalItem *items, int n_agents, Rows *rows, double *mean_return) {
    *mean_return = 0;
    for (int e = 0; e < rows->n; e++) {
        for (int j = 0; j < 4; j++) rows->v[j * rows->n + e] = items[e].metric[j];
        for (int i = 0; i < n_agents; i++)
            *mean_return += (double)items[e].ret[i] / n_agents / rows->n;
    }
}

static void print_row(const char *name, const Rows *rows, double ret, int json, int last) {
    double m[4], sd[4];
    for (int j = 0; j < 4; j++) mean_sd(rows->v + j * rows->n, rows->n, &m[j], &sd[j]);
    if (json)
        printf("  {\"policy\": \"%s\", \"return\": %.4f, \"efficiency\": [%.6f, %.6f], "
               "\"equality\": [%.6f, %.6f], \"sustainability\": [%.4f, %.4f], \"peace\": [%.4f, "
               "%.4f]}%s\n",
               name, ret, m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3], last ? "" : ",");
    else
        printf("%-8s %9.2f %8.3f +- %5.3f %8.3f +- %5.3f %10.1f +- %5.1f %8.3f +- %5.3f\n", name,
               ret, m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3]);
}

/* the positional run directory or checkpoint and the --baselines flag; the rest are options */
static int split_args(int argc, char **argv, const char **target, int *baselines, Options *o) {
    char *rest[256];
    int n_rest = 0;
    for (int i = 0; i < argc && n_rest < 254; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--baselines") == 0) {
            *baselines = 1;
        } else if (a[0] != '-') {
            if (*target) return cli_input_error("unexpected argument '%s'; see --help", a);
            *target = a;
        } else {
            /* an option, and its value unless it is a flag or has one */
            rest[n_rest++] = argv[i];
            int flag = !strcmp(a, "--json") || !strcmp(a, "--help") || !strcmp(a, "-h");
            if (!flag && !strchr(a, '=') && i + 1 < argc) rest[n_rest++] = argv[++i];
        }
    }
    return cli_parse_options(n_rest, rest, o, " --episodes --seed --set --json ");
}

/* the checkpoint as the policy of every agent, in its own world with the --set overrides */
static int load_policy(const char *target, const Options *o, SimPolicies *ps, SimConfig *cfg,
                       EnvError *err) {
    memset(ps, 0, sizeof *ps);
    if (!(ps->loaded = calloc(1, sizeof *ps->loaded)))
        return env_fail(err, ENV_ENOMEM, "out of memory for a policy");
    int rc = sim_learned_load(&ps->loaded[0], target, err);
    if (rc) {
        free(ps->loaded);
        return rc;
    }
    ps->n_loaded = 1;
    SimParams sp = ps->loaded[0].params;
    for (int i = 0; i < o->n_sets && !rc; i++) rc = sim_params_apply_set(&sp, o->sets[i], err);
    if (!rc) rc = sim_config_init(cfg, &sp, err);
    if (rc) {
        sim_policies_close(ps);
        return rc;
    }
    for (int i = 0; i < sp.env.n_agents; i++) ps->learned[i] = 0;
    return 0;
}

static void print_header(const SimLearned *l, const EnvParams *p, const Options *o) {
    int ne = (int)o->episodes;
    if (o->json)
        printf("{\"checkpoint\": \"%s\", \"update\": %lld, \"updates\": %lld, \"env_steps\": %lld, "
               "\"env\": \"%s\", \"agents\": %d, \"steps\": %d, \"episodes\": %d, \"seed\": %lld, "
               "\"rows\": [\n",
               l->file, (long long)l->update, (long long)l->n_updates, (long long)l->env_steps,
               p->preset, p->n_agents, p->max_steps, ne, o->seed);
    else
        printf("checkpoint %s: update %lld of %lld, %lld env steps (%s parameters)\n"
               "env %s, %d agents, %d steps, %d episodes (seeds %lld..%lld); mean +- sd\n"
               "%-8s %9s %16s %16s %18s %16s\n",
               l->file, (long long)l->update, (long long)l->n_updates, (long long)l->env_steps,
               l->ppo.independent ? "independent" : "shared", p->preset, p->n_agents, p->max_steps,
               ne, o->seed, o->seed + ne - 1, "policy", "return", "efficiency", "equality",
               "sustainability", "peace");
}

/* this rank's items of the list of every policy's episodes (policy 0 the trained one, then the
 * baselines; policy k's episode e is item k * ne + e), gathered to rank 0 in order (*all) */
static int eval_items(SimDist *d, const SimConfig *cfg, const SimPolicies *ps, int n_pol, int ne,
                      long long seed, EvalItem **all) {
    int64_t n_items = (int64_t)n_pol * ne, count = sim_dist_deal(d, n_items);
    EvalItem *mine = malloc(sizeof *mine * (size_t)(count > 0 ? count : 1));
    EnvError err = {ENV_ENOMEM, "out of memory for the results"};
    int rc = mine ? 0 : cli_fail(&err);
    for (int64_t i = 0; i < count && !rc; i++) {
        int64_t item = sim_dist_dealt(d, i);
        int k = (int)(item / ne), e = (int)(item % ne);
        rc = run_episode(cfg, k ? NULL : ps, k ? (ScriptedKind)(k - 1) : SCRIPTED_RANDOM, seed + e,
                         &mine[i]);
    }
    if (!rc && sim_dist_gather_dealt(d, mine, sizeof *mine, n_items, (void **)all, &err))
        rc = cli_fail(&err);
    free(mine);
    if (rc && d->size > 1) sim_dist_abort(d, rc);
    return rc;
}

int cli_cmd_eval(SimDist *d, int argc, char **argv) {
    const char *target = NULL;
    int baselines = 0;
    Options o = {.episodes = 10, .seed = 1};
    sim_dist_quiet(d);
    int rc = split_args(argc, argv, &target, &baselines, &o);
    if (rc) return rc;
    if (o.help) {
        if (d->rank == 0) fputs(EVAL_HELP, stdout);
        return 0;
    }
    if (!target)
        return cli_input_error("eval needs a run directory or a checkpoint: commons eval RUN_DIR");
    char blas_note[512];
    nn_blas_setup(blas_note, sizeof blas_note);
    if (blas_note[0] && d->rank == 0) fprintf(stderr, "%s\n", blas_note);
    SimPolicies ps;
    SimConfig cfg;
    EnvError err;
    if (load_policy(target, &o, &ps, &cfg, &err)) return cli_fail(&err);
    sim_dist_speak(d);
    int ne = (int)o.episodes, n_pol = 1 + (baselines ? SCRIPTED_COUNT : 0);
    EvalItem *all = NULL;
    rc = eval_items(d, &cfg, &ps, n_pol, ne, o.seed, &all);
    Rows rows = {malloc(sizeof(double) * 4 * (size_t)ne), ne};
    if (!rc && d->rank == 0 && !rows.v)
        rc = cli_fail(&(EnvError){ENV_ENOMEM, "out of memory for the results"});
    if (!rc && d->rank == 0) {
        int n_agents = cfg.env.p.n_agents;
        double ret;
        print_header(&ps.loaded[0], &cfg.env.p, &o);
        for (int k = 0; k < n_pol; k++) {
            policy_rows(all + (size_t)k * ne, n_agents, &rows, &ret);
            print_row(k ? scripted_name((ScriptedKind)(k - 1)) : "trained", &rows, ret, o.json,
                      k + 1 == n_pol);
        }
        if (o.json) printf(" ]}\n");
    }
    free(all);
    free(rows.v);
    sim_config_close(&cfg);
    sim_policies_close(&ps);
    return rc;
}
