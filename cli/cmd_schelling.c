/* cmd_schelling.c: `commons schelling`: a world measured as a game. Plays a cooperator and a
 * defector policy in every composition of N agents on many seeds (sim/schelling.h) and prints the
 * Schelling diagram, the social-dilemma conditions with their margins and the fixed points of the
 * replicator dynamics; --out DIR also writes them as CSV files and a PNG figure.
 *
 * One process; the command parses, calls sim_schelling_run() and prints. Exit codes as every
 * command: 2 for bad input, 1 for a runtime failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "options.h"
#include "params.h"
#include "policy.h"
#include "schelling.h"

static const char *SCHELLING_HELP =
    "usage: commons schelling [options]\n"
    "\n"
    "Plays a cooperator policy C and a defector policy D in every composition of k = 0..N\n"
    "cooperators among N agents, one episode per seed, and prints the Schelling diagram: R_c(l)\n"
    "and R_d(l), the mean return of a cooperator (defector) among l = 0..N-1 other cooperators,\n"
    "with 95% t intervals over the seeds; the group's mean return per composition; the\n"
    "social-dilemma conditions with their margins; and the fixed points of the replicator\n"
    "dynamics x' = x(1-x)(f_C(x) - f_D(x)) with binomial mixing, and their stability.\n"
    "In episode s the cooperators sit in slots (s + j) mod N, j < k; every composition uses\n"
    "seeds S0 .. S0 + S - 1.\n"
    "\n"
    "  --env NAME            preset (default harvest; with a trained --coop or --defect and\n"
    "                        neither --env nor --config, the world it was trained in)\n"
    "  --config FILE         INI file applied on top of the preset\n"
    "  --agents N            number of agents, 2 or more (default the world's)\n"
    "  --coop P              the cooperator: random, greedy, coop, gallego, or a trained policy\n"
    "                        (a run directory given with a '/', or a .ckpt file); default coop.\n"
    "                        A comma list is a pool (up to 32): the cooperators of episode s\n"
    "                        take entries (s k + j) mod P in turn; PATH#g is parameter set g of\n"
    "                        an independent checkpoint (one set per training slot)\n"
    "  --defect P            the defector, as --coop; default greedy\n"
    "  --title TEXT          the figure's title (default: the world and the two policies)\n"
    "  --seeds S             episodes per composition, 2 or more (default 50)\n"
    "  --seed S0             first seed (default 1)\n"
    "  --steps N             steps per episode (env.max_steps)\n"
    "  --set SEC.KEY=VALUE   override one key (repeatable)\n"
    "  --out DIR             also write schelling.csv, groups.csv, conditions.csv,\n"
    "                        replicator.csv, fixed_points.csv, episodes.csv and schelling.png\n";

/* one side's policy: a single entry, scripted or a checkpoint, for all n agents; a comma list
 * or an entry PATH#g is a pool whose members take turns */
static int side_policy(const char *opt, const char *spec, int n, SimPolicies *out) {
    if (!spec[0])
        return cli_input_error("%s: give a policy (random, greedy, coop, gallego or a "
                               "checkpoint), or a comma list of them",
                               opt);
    EnvError err;
    int pool = strchr(spec, ',') || strchr(spec, '#');
    if (pool ? sim_policies_parse_pool(spec, out, &err) : sim_policies_parse(spec, n, out, &err)) {
        /* the list parser names --policy; this command's option is another */
        const char *m = strncmp(err.msg, "--policy: ", 10) == 0 ? err.msg + 10 : err.msg;
        return cli_input_error("%s: %s", opt, m);
    }
    return 0;
}

static void print_stat(const SimStat *s) {
    printf("  %9.2f [%9.2f, %9.2f]", s->mean, s->mean - s->half, s->mean + s->half);
}

static void print_result(const SimSchelling *r, const SimParams *sp, const char *coop,
                         const char *defect, double seconds) {
    int n = r->n;
    printf("schelling: env %s, %d agents, %d steps, %d seeds (%llu..%llu) x %d compositions = %d "
           "episodes in %.1f s\n",
           sp->env.preset, n, r->steps > 0 ? r->steps : sp->env.max_steps, r->seeds,
           (unsigned long long)r->seed, (unsigned long long)(r->seed + (uint64_t)r->seeds - 1),
           n + 1, (n + 1) * r->seeds, seconds);
    printf("cooperator C = %s, defector D = %s; mean [95%% t interval] over seeds\n\n", coop,
           defect);
    printf("%3s  %32s  %32s  %32s\n", "l", "R_c(l)", "R_d(l)", "R_d(l) - R_c(l)");
    for (int l = 0; l < n; l++) {
        printf("%3d", l);
        print_stat(&r->rc[l]);
        print_stat(&r->rd[l]);
        print_stat(&r->temptation[l]);
        printf("\n");
    }
    printf("\n%3s  %32s\n", "k", "group mean return (k cooperators)");
    for (int k = 0; k <= n; k++) {
        printf("%3d", k);
        print_stat(&r->grp[k]);
        printf("\n");
    }
    printf("\nsocial-dilemma conditions (margin = left - right):\n");
    for (int c = 0; c < SIM_COND_COUNT; c++) {
        printf("  %-28s", sim_condition_name((SimCondition)c));
        print_stat(&r->cond[c]);
        printf("  %s\n", r->significant[c] ? "holds (interval above 0)"
                         : r->holds[c]     ? "holds (interval reaches 0)"
                                           : "fails");
    }
    printf("  a social dilemma: %s\n", r->dilemma ? "yes" : "no");
    printf("\nreplicator dynamics x' = x(1-x)(f_C(x) - f_D(x)), fixed points:");
    for (int i = 0; i < r->n_fixed; i++)
        printf("%s x = %.4f (%s)", i ? "," : "", r->fixed[i].x,
               sim_fixed_kind_name(r->fixed[i].kind));
    printf("\n");
    if (r->degenerate) printf("  (f_C = f_D on most of [0, 1]: every x is a rest point)\n");
}

/* a policy's name for the figure: a checkpoint's last path component ("harvest-shared") */
static void short_name(const char *spec, char *buf, size_t n) {
    size_t len = strlen(spec);
    while (len > 1 && spec[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && spec[start - 1] != '/') start--;
    snprintf(buf, n, "%.*s", (int)(len - start), spec + start);
}

/* the folder of --out: made when missing (its parent must exist) */
static int out_dir(const char *dir) {
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        return cli_input_error("--out %s: exists and is not a folder", dir);
    }
    if (mkdir(dir, 0777) != 0)
        return cli_input_error("--out %s: cannot create the folder (%s); its parent must exist",
                               dir, strerror(errno));
    return 0;
}

int cli_cmd_schelling(int argc, char **argv) {
    Options o = {.env = "harvest", .seed = 1};
    int rc = cli_parse_options(argc, argv, &o,
                               " --env --config --agents --coop --defect --seeds --seed --steps "
                               "--set --out --title ");
    if (rc) return rc;
    if (o.help) {
        fputs(SCHELLING_HELP, stdout);
        return 0;
    }
    const char *coop = cli_extra(&o, "--coop"), *defect = cli_extra(&o, "--defect");
    const char *out = cli_extra(&o, "--out"), *seeds_s = cli_extra(&o, "--seeds");
    if (!coop) coop = "coop";
    if (!defect) defect = "greedy";
    long long seeds = 50;
    if (seeds_s && (rc = cli_parse_count("--seeds", seeds_s, 2, 1000000, &seeds))) return rc;
    /* the world: a trained side's own unless --env or --config names one */
    o.policy = sim_is_checkpoint_path(coop) ? coop : defect;
    SimParams sp;
    if ((rc = cli_world_params(&o, &sp))) return rc;
    int n = sp.env.n_agents;
    if (n < 2)
        return cli_input_error("--agents: a Schelling diagram needs 2 or more agents (a focal "
                               "agent and others); the world has %d",
                               n);
    if (out && (rc = out_dir(out))) return rc;
    SimPolicies pc, pd;
    if ((rc = side_policy("--coop", coop, n, &pc))) return rc;
    if ((rc = side_policy("--defect", defect, n, &pd))) {
        sim_policies_close(&pc);
        return rc;
    }
    nn_blas_single_thread();
    SimConfig cfg;
    SimSchelling r;
    EnvError err;
    int open = 0;
    if (sim_config_init(&cfg, &sp, &err)) {
        rc = cli_fail(&err);
    } else {
        open = 1;
        if (sim_schelling_init(&r, n, (int)seeds, (uint64_t)o.seed, (int)o.steps, &err))
            rc = cli_fail(&err);
        else
            open = 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!rc && sim_schelling_run(&r, &cfg, &pc, &pd, &err)) rc = cli_fail(&err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!rc) {
        double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        print_result(&r, &sp, coop, defect, sec);
        if (out) {
            char png[4200], title[320], cn[64], dn[64];
            snprintf(png, sizeof png, "%s/schelling.png", out);
            short_name(coop, cn, sizeof cn);
            short_name(defect, dn, sizeof dn);
            const char *given = cli_extra(&o, "--title");
            if (given)
                snprintf(title, sizeof title, "%.300s", given);
            else
                snprintf(title, sizeof title, "%.40s, N = %d: C = %.24s, D = %.24s", sp.env.preset,
                         n, cn, dn);
            if (sim_schelling_write_csv(&r, out, &err) || sim_schelling_plot(&r, title, png, &err))
                rc = cli_fail(&err);
            else
                printf("\nwrote %s/{schelling,groups,conditions,replicator,fixed_points,"
                       "episodes}.csv and %s\n",
                       out, png);
        }
    }
    if (open >= 2) sim_schelling_close(&r);
    if (open >= 1) sim_config_close(&cfg);
    sim_policies_close(&pc);
    sim_policies_close(&pd);
    return rc;
}
