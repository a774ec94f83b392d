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
#include "signalling.h"

static const char *EVAL_HELP =
    "usage: commons eval RUN_DIR|CHECKPOINT [options]\n"
    "\n"
    "Runs the trained policies of a run directory (its checkpoint.ckpt) or of a checkpoint file\n"
    "in the world they were trained in, and prints the mean and standard deviation of every\n"
    "social metric over the episodes (efficiency, equality, sustainability, peace, and\n"
    "restraint: the fraction of steps agents wait, n/a in games without a wait action).\n"
    "\n"
    "  --episodes N          episodes, one seed each (default 10)\n"
    "  --seed N              first seed (default 1): episode e uses seed N + e, as in compare\n"
    "  --baselines           also run the scripted policies (random, greedy, coop) on the seeds\n"
    "  --channel MODE        what the agents hear: intact (default), zero (every received bit 0)\n"
    "                        or shuffle (the sent bits permuted between agents each step)\n"
    "  --set SEC.KEY=VALUE   change a world key (e.g. env.max_steps; repeatable)\n"
    "  --json                print one JSON document\n"
    "\n"
    "For a world that communicates, it also prints the signalling measures of the trained agents\n"
    "(README: measuring a learned protocol): per signal bit the mutual information in bits\n"
    "between the bit and a resource in view (ocean: plastic) with P(bit = 1 | in view) and\n"
    "P(bit = 1 | none); the listening divergence (Jensen-Shannon, bits; KL, nats) of the move\n"
    "distribution when every heard bit is flipped; and the plastic collected (other games: the\n"
    "collective return) with the channel intact, zeroed and shuffled on the same seeds.\n";

/* the metrics (EVAL_METRICS) of each episode of one policy */
#define EVAL_METRICS 5
typedef struct Rows {
    double *v; /* (EVAL_METRICS, episodes) */
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

/* what one episode gives: its metrics (the four social ones, then restraint, negative in a game
 * without a wait action) and every agent's return */
typedef struct EvalItem {
    double metric[EVAL_METRICS];
    int64_t ret[ENV_MAX_AGENTS]; /* (n_agents,) */
    double collected;            /* ocean: plastic collected; otherwise the collective return */
    int64_t spawned;             /* ocean: plastic spawned */
    SimSignalStats sig;          /* the trained agents' signalling measures (measured items) */
} EvalItem;

/* one episode of one policy assignment: learned (ps) or a scripted kind for all, hearing the
 * channel as `hear` says; measured: the signalling measures too (the same episode either way) */
static int run_episode(const SimConfig *cfg, const SimPolicies *ps, ScriptedKind kind,
                       long long seed, CommHear hear, int measured, EvalItem *out) {
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
    sim_episode_set_channel(&r, hear);
    memset(out, 0, sizeof *out);
    SimResult ep;
    if (measured) {
        SimSignalling m;
        if (sim_signalling_init(&m, &r, &err)) {
            sim_episode_close(&r);
            return cli_fail(&err);
        }
        int32_t act[ENV_MAX_AGENTS];
        uint8_t bits[ENV_MAX_AGENTS * ENV_MAX_SIGNAL_BITS];
        sim_episode_start(&r, 0, 0);
        int end = 0;
        while (!end) {
            sim_episode_act(&r);
            sim_signalling_measure(&m, &r, &out->sig);
            memcpy(act, r.actions, sizeof act);
            memcpy(bits, r.bits, sizeof bits);
            end = sim_episode_step(&r, act, bits);
        }
        sim_episode_result(&r, &ep);
        sim_signalling_close(&m);
    } else {
        sim_episode_run(&r, 0, 0, &ep);
    }
    out->spawned = ep.spawned;
    out->collected = (double)ep.collected;
    if (cfg->env.p.game != ENV_GAME_OCEAN)
        for (int i = 0; i < cfg->env.p.n_agents; i++) out->collected += (double)ep.ret[i];
    out->metric[0] = ep.social.efficiency;
    out->metric[1] = ep.social.equality;
    out->metric[2] = ep.social.sustainability;
    out->metric[3] = ep.social.peace;
    out->metric[4] = ep.social.restraint;
    memcpy(out->ret, ep.ret, sizeof ep.ret);
    sim_episode_close(&r);
    return 0;
}

/* one policy's rows and mean return from its items (rows->n of them), summed in episode order */
static void policy_rows(const EvalItem *items, int n_agents, Rows *rows, double *mean_return) {
    *mean_return = 0;
    for (int e = 0; e < rows->n; e++) {
        for (int j = 0; j < EVAL_METRICS; j++) rows->v[j * rows->n + e] = items[e].metric[j];
        for (int i = 0; i < n_agents; i++)
            *mean_return += (double)items[e].ret[i] / n_agents / rows->n;
    }
}

static void print_row(const char *name, const Rows *rows, double ret, int json, int last) {
    double m[EVAL_METRICS], sd[EVAL_METRICS];
    for (int j = 0; j < EVAL_METRICS; j++) mean_sd(rows->v + j * rows->n, rows->n, &m[j], &sd[j]);
    /* restraint: mean +- sd, or n/a (null) in a game without a wait action */
    char r[64];
    if (m[4] < 0)
        snprintf(r, sizeof r, "%s", json ? "null" : "n/a");
    else
        snprintf(r, sizeof r, json ? "[%.4f, %.4f]" : "%.3f +- %5.3f", m[4], sd[4]);
    if (json)
        printf("  {\"policy\": \"%s\", \"return\": %.4f, \"efficiency\": [%.6f, %.6f], "
               "\"equality\": [%.6f, %.6f], \"sustainability\": [%.4f, %.4f], \"peace\": [%.4f, "
               "%.4f], \"restraint\": %s}%s\n",
               name, ret, m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3], r, last ? "" : ",");
    else
        printf("%-8s %9.2f %8.3f +- %5.3f %8.3f +- %5.3f %10.1f +- %5.1f %8.3f +- %5.3f %15s\n",
               name, ret, m[0], sd[0], m[1], sd[1], m[2], sd[2], m[3], sd[3], r);
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
    return cli_parse_options(n_rest, rest, o, " --episodes --seed --set --json --channel ");
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
               "%-8s %9s %16s %16s %18s %16s %15s\n",
               l->file, (long long)l->update, (long long)l->n_updates, (long long)l->env_steps,
               l->ppo.independent ? "independent" : "shared", p->preset, p->n_agents, p->max_steps,
               ne, o->seed, o->seed + ne - 1, "policy", "return", "efficiency", "equality",
               "sustainability", "peace", "restraint");
}

/* The sets of episodes: set 0 the trained policy (hearing the channel as --channel says, measured
 * when the world signals), sets 1..n_pol-1 the baselines, then, when the world signals, the trained
 * policy under the two other channel modes (the ablation). */
typedef struct EvalPlan {
    int n_pol, n_sets, signals;
    CommHear hear;                         /* --channel */
    CommHear set_hear[3 + SCRIPTED_COUNT]; /* (n_sets,) */
} EvalPlan;

static void eval_plan(EvalPlan *pl, int n_pol, int signals, CommHear hear) {
    pl->n_pol = n_pol;
    pl->signals = signals;
    pl->hear = hear;
    pl->n_sets = n_pol;
    for (int k = 0; k < n_pol; k++) pl->set_hear[k] = hear;
    for (int h = 0; signals && h < COMM_HEAR_COUNT; h++)
        if ((CommHear)h != hear) pl->set_hear[pl->n_sets++] = (CommHear)h;
}

/* the set of channel mode h (the trained policy) */
static int plan_set(const EvalPlan *pl, CommHear h) {
    if (h == pl->hear) return 0;
    for (int k = pl->n_pol; k < pl->n_sets; k++)
        if (pl->set_hear[k] == h) return k;
    return -1;
}

/* this rank's items of the list of every set's episodes (set k's episode e is item k * ne + e),
 * gathered to rank 0 in order (*all) */
static int eval_items(SimDist *d, const SimConfig *cfg, const SimPolicies *ps, const EvalPlan *pl,
                      int ne, long long seed, EvalItem **all) {
    int64_t n_items = (int64_t)pl->n_sets * ne, count = sim_dist_deal(d, n_items);
    EvalItem *mine = malloc(sizeof *mine * (size_t)(count > 0 ? count : 1));
    EnvError err = {ENV_ENOMEM, "out of memory for the results"};
    int rc = mine ? 0 : cli_fail(&err);
    for (int64_t i = 0; i < count && !rc; i++) {
        int64_t item = sim_dist_dealt(d, i);
        int k = (int)(item / ne), e = (int)(item % ne);
        int trained = k == 0 || k >= pl->n_pol;
        rc =
            run_episode(cfg, trained ? ps : NULL, trained ? SCRIPTED_RANDOM : (ScriptedKind)(k - 1),
                        seed + e, pl->set_hear[k], k == 0 && pl->signals, &mine[i]);
    }
    if (!rc && sim_dist_gather_dealt(d, mine, sizeof *mine, n_items, (void **)all, &err))
        rc = cli_fail(&err);
    free(mine);
    if (rc && d->size > 1) sim_dist_abort(d, rc);
    return rc;
}

/* the signalling measures and the ablation of the trained policy, from the items of every set */
static void print_signalling(const EvalPlan *pl, const EvalItem *all, int ne, const SimConfig *cfg,
                             int json) {
    SimSignalStats st;
    memset(&st, 0, sizeof st);
    for (int e = 0; e < ne; e++) sim_signal_stats_add(&st, &all[e].sig);
    int B =
        cfg->comm.signal_bits < ENV_MAX_SIGNAL_BITS ? cfg->comm.signal_bits : ENV_MAX_SIGNAL_BITS;
    int ocean = cfg->env.p.game == ENV_GAME_OCEAN;
    const char *what = ocean ? "plastic" : "apple";
    double js = st.n_listen ? st.js_sum / (double)st.n_listen : 0.0;
    double kl = st.n_listen ? st.kl_sum / (double)st.n_listen : 0.0;
    if (json)
        printf(
            ", \"channel\": \"%s\", \"signalling\": {\"resource\": \"%s\", \"agent_steps\": %lld, "
            "\"bits\": [",
            comm_hear_name(pl->hear), what, (long long)st.n_steps);
    else
        printf("signalling (trained agents, channel %s, %lld agent-steps; bit b at step t against "
               "%s in view at t):\n",
               comm_hear_name(pl->hear), (long long)st.n_steps, what);
    for (int b = 0; b < B; b++) {
        int64_t(*c)[2] = st.count[b];
        int64_t n1 = c[1][0] + c[1][1], n0 = c[0][0] + c[0][1];
        double mi = sim_mutual_information(&c[0][0], 2, 2);
        double p1 = n1 ? (double)c[1][1] / (double)n1 : NAN;
        double p0 = n0 ? (double)c[0][1] / (double)n0 : NAN;
        if (json)
            printf("%s{\"bit\": %d, \"mi_bits\": %.6f, \"p_on_in_view\": %.6f, \"n_in_view\": "
                   "%lld, \"p_on_none\": %.6f, \"n_none\": %lld}",
                   b ? ", " : "", b, mi, n1 ? p1 : -1.0, (long long)n1, n0 ? p0 : -1.0,
                   (long long)n0);
        else
            printf("  bit %d: I(bit; %s in view) %.4f bits, P(bit=1 | %s) %.3f (n %lld), "
                   "P(bit=1 | none) %.3f (n %lld)\n",
                   b, what, mi, what, p1, (long long)n1, p0, (long long)n0);
    }
    if (json)
        printf("]}, \"listening\": {\"js_bits\": %.6f, \"kl_nats\": %.6f, \"agent_steps\": %lld}, "
               "\"ablation\": {\"measure\": \"%s\", \"rows\": [",
               js, kl, (long long)st.n_listen, ocean ? "plastic collected" : "collective return");
    else
        printf("listening: %.4f bits JS, %.4f nats KL between the move distributions with the "
               "heard bits and with every heard bit flipped, mean over %lld agent-steps with a "
               "neighbour\n"
               "ablation (trained policy, same seeds): %s per episode, mean +- sd%s; paired "
               "difference to intact, mean and 95%% interval\n",
               js, kl, (long long)st.n_listen, ocean ? "plastic collected" : "collective return",
               ocean ? ", fraction of spawned" : "");
    int intact = plan_set(pl, COMM_HEAR_INTACT);
    double *v = malloc(sizeof(double) * 2 * (size_t)ne), *dv = v + ne;
    for (int h = 0; v && h < COMM_HEAR_COUNT; h++) {
        const EvalItem *it = all + (size_t)plan_set(pl, (CommHear)h) * (size_t)ne;
        const EvalItem *in = all + (size_t)intact * (size_t)ne;
        double sum_c = 0, sum_s = 0, m, sd, dm, dsd;
        for (int e = 0; e < ne; e++) {
            v[e] = it[e].collected;
            dv[e] = it[e].collected - in[e].collected;
            sum_c += it[e].collected;
            sum_s += (double)it[e].spawned;
        }
        mean_sd(v, ne, &m, &sd);
        mean_sd(dv, ne, &dm, &dsd);
        double half = ne > 1 ? 1.96 * dsd / sqrt((double)ne) : 0.0;
        double frac = sum_s > 0 ? sum_c / sum_s : 0.0;
        char fr[32] = "";
        if (ocean) snprintf(fr, sizeof fr, "(%.3f)", frac);
        if (json)
            printf("%s{\"channel\": \"%s\", \"mean\": %.4f, \"sd\": %.4f, \"fraction\": %.6f, "
                   "\"diff\": %.4f, \"diff_ci95\": [%.4f, %.4f]}",
                   h ? ", " : "", comm_hear_name((CommHear)h), m, sd, ocean ? frac : -1.0, dm,
                   dm - half, dm + half);
        else if (h == COMM_HEAR_INTACT)
            printf("  %-8s %9.2f +- %7.2f %s\n", comm_hear_name((CommHear)h), m, sd, fr);
        else
            printf("  %-8s %9.2f +- %7.2f %-9s %+9.2f [%+.2f, %+.2f]\n",
                   comm_hear_name((CommHear)h), m, sd, fr, dm, dm - half, dm + half);
    }
    free(v);
    if (json) printf("]}");
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
    CommHear hear = COMM_HEAR_INTACT;
    const char *chan = cli_extra(&o, "--channel");
    if (chan && comm_hear_parse(chan, &hear, &err)) return cli_fail(&err);
    if (load_policy(target, &o, &ps, &cfg, &err)) return cli_fail(&err);
    sim_dist_speak(d);
    int ne = (int)o.episodes, n_pol = 1 + (baselines ? SCRIPTED_COUNT : 0);
    EvalPlan plan;
    eval_plan(&plan, n_pol, comm_session_wanted(&cfg.comm) && cfg.comm.signal_bits > 0, hear);
    EvalItem *all = NULL;
    rc = eval_items(d, &cfg, &ps, &plan, ne, o.seed, &all);
    Rows rows = {malloc(sizeof(double) * EVAL_METRICS * (size_t)ne), ne};
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
        if (o.json) printf(" ]");
        if (plan.signals) print_signalling(&plan, all, ne, &cfg, o.json);
        if (o.json) printf("}\n");
    }
    free(all);
    free(rows.v);
    sim_config_close(&cfg);
    sim_policies_close(&ps);
    return rc;
}
