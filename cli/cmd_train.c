/* cmd_train.c: `commons train`: PPO training into a run directory (sim/run.h: what the directory
 * holds, resuming, durability). This file reads the options, prints what is about to happen and
 * the progress, and drives the run's updates. Progress goes to stderr: one line rewritten in place
 * on a terminal, plain lines every 10 seconds otherwise.
 *
 * Under mpirun or srun every rank trains its block of shards (sim/dist.h) and rank 0 prints and
 * writes. After every update the ranks agree on whether to go on: a failure on any rank, or a
 * SIGTERM/SIGINT on any rank (main.c raises the flag), stops all of them after the same update,
 * the latter with a checkpoint.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "params.h"
#include "policy.h"
#include "options.h"
#include "run.h"

static const char *TRAIN_HELP =
    "usage: commons train CONFIG.ini [options]\n"
    "       commons train --resume RUN_DIR [--set train.steps=N]\n"
    "       commons train --keys\n"
    "\n"
    "Trains agents with PPO (actor-critic, OpenBLAS, one BLAS thread) and writes a run\n"
    "directory: config.ini, progress.csv, episodes.jsonl and checkpoint.ckpt. The config is an\n"
    "INI file: [env] preset = NAME and any world keys, then [train], [ppo] and [net].\n"
    "\n"
    "  --out DIR             run directory (default runs/CONFIG-NAME)\n"
    "  --seed N              run seed (train.seed)\n"
    "  --set SEC.KEY=VALUE   override a world or training key (repeatable)\n"
    "  --env NAME            base preset when the config names none (default harvest)\n"
    "  --resume RUN_DIR      continue a run from its checkpoint (or a .ckpt file)\n"
    "  --stop-after N        stop after N updates in this process, with a checkpoint (for\n"
    "                        time-limited jobs; continue with --resume)\n"
    "  --keys                list the training keys with their allowed ranges\n"
    "\n"
    "Prints agent-steps per second (steps x agents / s) with inference, worlds and updates\n"
    "included. Evaluate the result with 'commons eval RUN_DIR'.\n"
    "\n"
    "SIGTERM or SIGINT (Ctrl-C) stops after the update in progress with a checkpoint (exit 0;\n"
    "continue with --resume); a second one stops at once. Under 'mpirun -np R' or 'srun' each\n"
    "process trains train.shards / R shards (R must divide train.shards) and the weights are\n"
    "the bits of one process; rank 0 writes the run directory.\n";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 12,345,678 */
static const char *grouped(long long x, char *buf, size_t n) {
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", x < 0 ? -x : x);
    size_t len = strlen(raw), j = 0;
    if (x < 0 && j + 1 < n) buf[j++] = '-';
    for (size_t i = 0; i < len && j + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) buf[j++] = ',';
        buf[j++] = raw[i];
    }
    buf[j] = 0;
    return buf;
}

static void format_duration(double s, char *buf, size_t n) {
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%lds", t);
}

static void list_keys(void) {
    const char *sec, *key, *doc;
    char range[96];
    printf("%-24s %-36s %s\n", "key", "allowed", "meaning");
    for (int i = 0; ppo_config_key(i, &sec, &key, range, sizeof range, &doc) == 0; i++) {
        char full[64];
        snprintf(full, sizeof full, "%s.%s", sec, key);
        printf("%-24s %-36s %s\n", full, range, doc);
    }
    printf("\nThe world's keys ([env], [obs], ...) are listed by 'commons maps --keys'.\n");
}

/* the network in one line */
static void describe_net(const NnNet *net, char *buf, size_t n) {
    size_t used = 0;
    for (int l = 0; l < net->n_layers && used < n; l++) {
        const NnLayer *ly = &net->layer[l];
        const NnConvShape *cs = &ly->conv;
        const char *sep = l ? ", " : "";
        if (l == net->n_layers - 1)
            used += (size_t)snprintf(buf + used, n - used, "%slinear %d -> %d logits + value", sep,
                                     ly->in, ly->out - 1);
        else if (ly->kind == NN_EMBED && cs->oh * cs->ow == 1)
            used += (size_t)snprintf(buf + used, n - used, "one-hot ids %dx%dx%d -> %d", cs->h,
                                     cs->w, cs->c, cs->oc);
        else if (ly->kind == NN_EMBED || ly->kind == NN_CONV)
            used +=
                (size_t)snprintf(buf + used, n - used, "%s %dx%dx%d -> conv %dx%d/%d -> %dx%dx%d",
                                 ly->kind == NN_EMBED ? "one-hot ids" : "rgb", cs->h, cs->w, cs->c,
                                 cs->kh, cs->kw, cs->stride, cs->oh, cs->ow, cs->oc);
        else if (ly->kind == NN_LINEAR)
            used += (size_t)snprintf(buf + used, n - used, "%slinear %d -> %d", l ? sep : "rgb ",
                                     ly->in, ly->out);
        else
            used += (size_t)snprintf(buf + used, n - used, "%s%s", sep,
                                     ly->kind == NN_RELU ? "relu" : "tanh");
    }
}

typedef struct Recent {
    double ret[64], eff[64], eq[64], sus[64], peace[64];
    int n, next;
} Recent;

static void recent_add(Recent *r, const PpoEpisode *e, int n_agents) {
    double sum = 0;
    for (int a = 0; a < n_agents; a++) sum += (double)e->ret[a];
    r->ret[r->next] = sum / n_agents;
    r->eff[r->next] = e->social.efficiency;
    r->eq[r->next] = e->social.equality;
    r->sus[r->next] = e->social.sustainability;
    r->peace[r->next] = e->social.peace;
    r->next = (r->next + 1) % 64;
    if (r->n < 64) r->n++;
}

static double mean_of(const double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    return n ? s / n : 0;
}

/* the options of one invocation */
typedef struct TrainArgs {
    Options o;
    const char *config, *resume, *out;
    long long stop_after;
} TrainArgs;

static int parse_args(int argc, char **argv, TrainArgs *a) {
    memset(a, 0, sizeof *a);
    if (argc > 0 && argv[0][0] != '-') {
        a->config = argv[0];
        argc--, argv++;
    }
    a->o = (Options){.env = "harvest", .seed = -1};
    int rc =
        cli_parse_options(argc, argv, &a->o, " --env --set --seed --out --resume --stop-after ");
    if (rc || a->o.help) return rc;
    a->resume = cli_extra(&a->o, "--resume");
    a->out = cli_extra(&a->o, "--out");
    if ((a->out && !*a->out) || (a->resume && !*a->resume))
        return cli_input_error("%s: empty path; give a run directory",
                               a->out ? "--out" : "--resume");
    const char *stop = cli_extra(&a->o, "--stop-after");
    if (stop && (rc = cli_parse_count("--stop-after", stop, 1, 1000000000, &a->stop_after)))
        return rc;
    if (!a->config && !a->resume)
        return cli_input_error("train needs a config file (commons train CONFIG.ini) or --resume "
                               "RUN_DIR; see --help");
    if (a->config && a->resume)
        return cli_input_error("give a config file or --resume RUN_DIR, not both: a resumed run "
                               "keeps its own config");
    if (!a->resume) return 0;
    for (int i = 0; i < a->o.n_sets; i++)
        if (strncmp(a->o.sets[i], "train.steps=", 12) != 0 &&
            strncmp(a->o.sets[i], "train.checkpoint_every=", 23) != 0)
            return cli_input_error("--set '%s': a resumed run keeps its config; only train.steps "
                                   "and train.checkpoint_every may change",
                                   a->o.sets[i]);
    if (a->o.seed >= 0 || strcmp(a->o.env, "harvest") != 0)
        return cli_input_error("--seed and --env do not apply to a resumed run");
    return 0;
}

/* a new run: preset, config file, --seed, --set; the directory --out or runs/CONFIG-NAME */
static int create_run(const TrainArgs *a, SimDist *d, SimRun *run, EnvError *err) {
    SimParams p;
    PpoConfig c;
    ppo_config_default(&c);
    int rc = sim_params_load_preset(&p, a->o.env, err);
    if (!rc) rc = sim_train_load_file(&p, &c, a->config, err);
    if (!rc && a->o.seed >= 0) c.seed = a->o.seed;
    for (int i = 0; i < a->o.n_sets && !rc; i++)
        rc = sim_train_apply_set(&p, &c, a->o.sets[i], err);
    if (rc) return rc;
    char dir[SIM_RUN_PATH_LEN];
    if (a->out) {
        snprintf(dir, sizeof dir, "%s", a->out);
    } else {
        const char *base = strrchr(a->config, '/');
        base = base ? base + 1 : a->config;
        snprintf(dir, sizeof dir, "runs/%.*s", (int)strcspn(base, "."), base);
    }
    return sim_run_create(run, &p, &c, dir, a->config, d, err);
}

/* what is about to happen */
static void print_plan(const SimRun *run, const char *resumed_from) {
    const SimParams *p = &run->params;
    const PpoConfig *c = &run->cfg;
    const EnvSpec *spec = &run->sim.spec;
    const PpoTrainer *t = &run->trainer.ppo;
    int64_t per_update = (int64_t)c->worlds * c->rollout;
    char net_text[512], g1[32], g2[32], g3[32];
    describe_net(&t->model.net, net_text, sizeof net_text);
    printf("train %s (game %s, %d agents, %d steps an episode, %s observations %dx%dx%d), "
           "seed %lld, BLAS kernel %s\n",
           p->env.preset, env_game_name(p->env.game), spec->n_agents, p->env.max_steps,
           spec->encoding == ENV_ENC_IDS ? "ids" : "rgb", spec->obs_h, spec->obs_w, spec->obs_c,
           (long long)c->seed, nn_blas_kernel());
    printf("PPO: %d worlds x %d steps an update, %lld updates = %s env steps = %s agent-steps; "
           "%s parameters\n",
           c->worlds, c->rollout, (long long)t->n_updates,
           grouped(t->n_updates * per_update, g1, 32),
           grouped(t->n_updates * per_update * spec->n_agents, g2, 32),
           c->independent ? "independent" : "shared");
    printf("network: %s; %d group(s) x %s parameters\n", net_text, t->model.n_groups,
           grouped((long long)t->model.n, g3, 32));
    if (resumed_from) printf("resuming at update %lld from %s\n", (long long)t->update, run->ckpt);
    if (resumed_from && run->blas[0] && strcmp(run->blas, nn_blas_kernel()) != 0)
        printf("warning: the checkpoint was trained with the BLAS kernel %s and this process runs "
               "%s: the run goes on, but its weights will not be the bits of an uninterrupted run "
               "(set OPENBLAS_CORETYPE=%s to match)\n",
               run->blas, nn_blas_kernel(), run->blas);
    if (run->dist->size == 1)
        printf("run directory %s (one process, one BLAS thread)\n", run->dir);
    else
        printf("run directory %s (%d processes of %d shards each, one BLAS thread each)\n",
               run->dir, run->dist->size, t->n_shards);
    fflush(stdout);
}

/* the time and episodes of this process's updates, for the progress line and the summary */
typedef struct Clock {
    double start, last_show, rollout, learn;
    int64_t first_update;
    Recent recent;
} Clock;

/* progress: in place on a terminal, a line every 10 s otherwise, and at the end */
static void show_progress(const SimRun *run, Clock *k, const PpoStats *st, double elapsed,
                          double rate, int last) {
    int tty = isatty(fileno(stderr));
    if (!last && elapsed - k->last_show < (tty ? 0.25 : 10.0)) return;
    const PpoTrainer *t = &run->trainer.ppo;
    k->last_show = elapsed;
    char left[32], ret[48], g1[32], g2[32];
    format_duration((double)(t->n_updates - t->update) * elapsed /
                        (double)(t->update - k->first_update),
                    left, sizeof left);
    if (k->recent.n)
        snprintf(ret, sizeof ret, "return %.2f, efficiency %.3f",
                 mean_of(k->recent.ret, k->recent.n), mean_of(k->recent.eff, k->recent.n));
    else
        snprintf(ret, sizeof ret, "return -");
    fprintf(stderr, "%s[%3d%%] update %lld/%lld  %s agent-steps  %s agent-steps/s  %s  %s left%s",
            tty ? "\r" : "", (int)(100 * t->update / t->n_updates), (long long)t->update,
            (long long)t->n_updates, grouped(st->env_steps * t->n_agents, g1, 32),
            grouped((long long)rate, g2, 32), ret, left, tty ? "\033[K" : "\n");
    if (last && tty) fputc('\n', stderr);
    fflush(stderr);
}

/* every rank's verdict after an update: the worst error code (0: all well), and whether any
 * rank was asked to stop */
static int agree(SimRun *run, int rc, int *stop, EnvError *err) {
    SimDist *d = run->dist;
    int all = sim_dist_min(d, rc);
    if (all && !rc) env_fail(err, all, "another process failed (see its message)");
    *stop = sim_dist_max(d, d->stop && *d->stop ? (int)*d->stop : 0);
    return all;
}

/* the updates: rollout, learning, logs, checkpoint, progress; *stopped gets the signal that
 * stopped them early */
static int train_loop(SimRun *run, long long stop_after, Clock *k, int *stopped, EnvError *err) {
    PpoTrainer *t = &run->trainer.ppo;
    int A = t->n_agents, root = run->dist->rank == 0;
    double per_update = (double)run->cfg.worlds * run->cfg.rollout * A;
    k->first_update = t->update;
    k->start = now_seconds();
    k->last_show = -1e9;
    if (t->update >= t->n_updates && root)
        printf("the run has done its %lld updates; raise train.steps (--set) to continue it\n",
               (long long)t->n_updates);
    while (t->update < t->n_updates && (!stop_after || t->update - k->first_update < stop_after)) {
        PpoStats st;
        double t0 = now_seconds();
        sim_trainer_rollout(&run->trainer);
        double t1 = now_seconds();
        sim_trainer_learn(&run->trainer, &st);
        double t2 = now_seconds();
        k->rollout += t1 - t0;
        k->learn += t2 - t1;
        double elapsed = t2 - k->start;
        double rate = (double)(t->update - k->first_update) * per_update / elapsed;
        int rc = sim_run_log(run, &st, elapsed, rate, err);
        for (int e = 0; root && e < run->n_ep; e++) recent_add(&k->recent, &run->ep[e], A);
        if ((rc = agree(run, rc, stopped, err))) return rc;
        int stopping = (stop_after && t->update - k->first_update == stop_after) || *stopped;
        if (sim_run_checkpoint_due(run) || stopping) rc = sim_run_checkpoint(run, err);
        if (rc) return rc;
        if (root) show_progress(run, k, &st, elapsed, rate, t->update == t->n_updates || stopping);
        if (*stopped) break;
    }
    return 0;
}

static void print_summary(const SimRun *run, const Clock *k) {
    const PpoTrainer *t = &run->trainer.ppo;
    double total = now_seconds() - k->start;
    int64_t done_steps =
        (t->update - k->first_update) * run->cfg.worlds * run->cfg.rollout * t->n_agents;
    char g1[32], g2[32];
    printf("done: %lld updates, %s agent-steps in %.1f s: %s agent-steps/s (rollouts %.1f s, "
           "updates %.1f s; inference, worlds and updates included)\n",
           (long long)(t->update - k->first_update), grouped(done_steps, g1, 32), total,
           grouped(total > 0 ? (long long)(done_steps / total) : 0, g2, 32), k->rollout, k->learn);
    int R = run->dist->size;
    if (R > 1)
        printf("%d processes: %s agent-steps/s per process (rank 0: rollouts %.1f s, updates "
               "%.1f s, of which %.2f s in %lld sums over ranks sending %.1f MB)\n",
               R, grouped(total > 0 ? (long long)(done_steps / total / R) : 0, g2, 32), k->rollout,
               k->learn, run->dist->sum_seconds, (long long)run->dist->sum_calls,
               (double)run->dist->sum_bytes / 1e6);
    const Recent *r = &k->recent;
    if (r->n)
        printf("last %d episodes: return %.2f per agent, efficiency %.3f, equality %.3f, "
               "sustainability %.1f, peace %.3f\n",
               r->n, mean_of(r->ret, r->n), mean_of(r->eff, r->n), mean_of(r->eq, r->n),
               mean_of(r->sus, r->n), mean_of(r->peace, r->n));
    printf("checkpoint %s; evaluate with: commons eval %s\n", run->ckpt, run->dir);
}

int cli_cmd_train(SimDist *d, int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--keys") == 0) {
            if (d->rank == 0) list_keys();
            return 0;
        }
    /* every rank reads the same input: rank 0 alone says what is wrong with it */
    sim_dist_quiet(d);
    TrainArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    if (a.o.help) {
        if (d->rank == 0) fputs(TRAIN_HELP, stdout);
        return 0;
    }
    char blas_note[512];
    nn_blas_setup(blas_note, sizeof blas_note);
    if (blas_note[0] && d->rank == 0) printf("%s\n", blas_note);
    SimRun run;
    EnvError err;
    rc = a.resume ? sim_run_resume(&run, a.resume, a.out, a.o.sets, a.o.n_sets, d, &err)
                  : create_run(&a, d, &run, &err);
    if (rc) return cli_fail(&err);
    sim_dist_speak(d);
    if (d->rank == 0) print_plan(&run, a.resume);
    Clock k = {0};
    int stopped = 0;
    rc = train_loop(&run, a.stop_after, &k, &stopped, &err);
    if (!rc && d->rank == 0) print_summary(&run, &k);
    if (!rc && stopped && d->rank == 0)
        printf("stopped by %s after update %lld of %lld; the checkpoint holds it: continue with "
               "'commons train --resume %s'\n",
               stopped == SIGTERM  ? "SIGTERM"
               : stopped == SIGINT ? "SIGINT"
                                   : "a signal",
               (long long)run.trainer.ppo.update, (long long)run.trainer.ppo.n_updates, run.dir);
    sim_run_close(&run);
    return rc ? cli_fail(&err) : 0;
}
