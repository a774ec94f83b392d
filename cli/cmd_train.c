/* cmd_train.c: `commons train`: PPO training into a run directory.
 *
 * The run directory holds config.ini (the effective config, world and training), world.ini (the
 * world alone, for `commons run --config`), progress.csv
 * (one row per update, fixed header), episodes.jsonl (one line per finished episode: returns and
 * social metrics) and checkpoint.ckpt (the latest, replaced atomically). --resume continues a run
 * from its checkpoint to the same weights, bit for bit, as the uninterrupted run; rows written
 * after the checkpoint are dropped from the logs first. Progress goes to stderr: one line
 * rewritten in place on a terminal, plain lines every 10 seconds otherwise.
 *
 * Durability: config.ini, world.ini and checkpoint.ckpt go through the atomic writer (env/io.h:
 * temporary file, fsync, rename, fsync of the folder), so each is the old file or the whole new
 * one. progress.csv and episodes.jsonl are append logs, not atomic: a crash can cut their last
 * line. They are flushed after every update and fsynced (with any write error reported) just
 * before each checkpoint is written, so a checkpoint on disk never counts rows that are not; rows
 * after the checkpoint, whole or cut, are dropped on --resume, which rewrites both logs atomically.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "commands.h"
#include "io.h"
#include "params.h"
#include "policy.h"
#include "options.h"
#include "session.h"
#include "train.h"

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
    "included. Evaluate the result with 'commons eval RUN_DIR'.\n";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* mkdir -p */
static int make_dirs(const char *path) {
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* writes text to path atomically (env/io.h); on failure errno holds the cause */
static int write_atomic(const char *path, const char *text) {
    return env_write_atomic(path, text, strlen(text), NULL);
}

/* puts an append log's lines on disk; nonzero (errno set) when it or an earlier write failed */
static int sync_log(FILE *f) {
    errno = 0;
    if (fflush(f) != 0 || ferror(f)) {
        if (!errno) errno = EIO;
        return 1;
    }
    return fsync(fileno(f)) != 0;
}

/* keeps the first line (a header, when `header`) and the lines whose leading number (after
 * `key`, or at the start) is below `limit`; atomically. Returns the last kept value of
 * `column` (0-based, comma separated) or 0. */
static int trim_log(const char *path, int header, const char *key, long long limit, int column,
                    double *last_value) {
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 0 : -1;
    char *out = NULL;
    size_t out_len = 0;
    FILE *o = open_memstream(&out, &out_len);
    char *line = NULL;
    size_t cap = 0;
    int first = 1;
    while (getline(&line, &cap, f) > 0) {
        const char *p = line;
        if (!(first && header)) {
            if (key) {
                p = strstr(line, key);
                if (!p) continue;
                p += strlen(key);
            }
            if (strtoll(p, NULL, 10) >= limit) continue;
            if (last_value) {
                const char *c = line;
                for (int k = 0; k < column && c; k++)
                    if ((c = strchr(c, ','))) c++;
                if (c) *last_value = strtod(c, NULL);
            }
        }
        fputs(line, o);
        first = 0;
    }
    free(line);
    fclose(f);
    fclose(o);
    int rc = write_atomic(path, out);
    free(out);
    return rc;
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

/* the world's settings alone, as a --config file */
static char *world_text(const SimParams *p) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fprintf(f, "[env]\npreset = %s\n\n", p->env.preset);
    sim_params_write_ini(p, f);
    fclose(f);
    return text;
}

static const char *PROGRESS_HEADER =
    "update,env_steps,agent_steps,seconds,agent_steps_per_s,lr,episodes,return_mean,efficiency,"
    "equality,sustainability,peace,reward_mean,policy_loss,value_loss,entropy,approx_kl,"
    "clip_frac,grad_norm,explained_var\n";

int cli_cmd_train(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--keys") == 0) {
            list_keys();
            return 0;
        }
    const char *config = NULL;
    if (argc > 0 && argv[0][0] != '-') {
        config = argv[0];
        argc--, argv++;
    }
    Options o = {.env = "harvest", .seed = -1};
    int rc = cli_parse_options(argc, argv, &o, " --env --set --seed --out --resume --stop-after ");
    if (rc) return rc;
    if (o.help) {
        fputs(TRAIN_HELP, stdout);
        return 0;
    }
    const char *resume = cli_extra(&o, "--resume"), *out_dir = cli_extra(&o, "--out");
    long long stop_after = 0;
    const char *stop_text = cli_extra(&o, "--stop-after");
    if (stop_text && (rc = cli_parse_count("--stop-after", stop_text, 1, 1000000000, &stop_after)))
        return rc;
    if (!config && !resume)
        return cli_input_error("train needs a config file (commons train CONFIG.ini) or --resume "
                               "RUN_DIR; see --help");
    if (config && resume)
        return cli_input_error("give a config file or --resume RUN_DIR, not both: a resumed run "
                               "keeps its own config");
    nn_blas_single_thread();

    /* settings: preset, config file, --seed, --set; or the checkpoint's own */
    SimParams p;
    PpoConfig c;
    EnvError err;
    PpoCheckpoint ck = {0};
    char ck_file[1024] = "", run_dir[1024];
    ppo_config_default(&c);
    if (resume) {
        sim_checkpoint_file(resume, ck_file, sizeof ck_file);
        if (ppo_checkpoint_load(&ck, ck_file, &err)) return cli_fail(&err);
        sim_params_default(&p);
        char origin[1100];
        snprintf(origin, sizeof origin, "%s (its config)", ck_file);
        if (sim_train_load_text(&p, &c, ck.config, origin, &err)) {
            ppo_checkpoint_close(&ck);
            return cli_fail(&err);
        }
        for (int i = 0; i < o.n_sets; i++)
            if (strncmp(o.sets[i], "train.steps=", 12) != 0 &&
                strncmp(o.sets[i], "train.checkpoint_every=", 23) != 0) {
                ppo_checkpoint_close(&ck);
                return cli_input_error("--set '%s': a resumed run keeps its config; only "
                                       "train.steps and train.checkpoint_every may change",
                                       o.sets[i]);
            }
        if (o.seed >= 0 || strcmp(o.env, "harvest") != 0) {
            ppo_checkpoint_close(&ck);
            return cli_input_error("--seed and --env do not apply to a resumed run");
        }
        /* the run directory is the checkpoint's */
        snprintf(run_dir, sizeof run_dir, "%s", ck_file);
        char *slash = strrchr(run_dir, '/');
        if (slash)
            *slash = 0;
        else
            snprintf(run_dir, sizeof run_dir, ".");
        if (out_dir) snprintf(run_dir, sizeof run_dir, "%s", out_dir);
    } else {
        if (sim_params_load_preset(&p, o.env, &err)) return cli_fail(&err);
        if (sim_train_load_file(&p, &c, config, &err)) return cli_fail(&err);
        if (o.seed >= 0) c.seed = o.seed;
        if (out_dir) {
            snprintf(run_dir, sizeof run_dir, "%s", out_dir);
        } else {
            const char *base = strrchr(config, '/');
            base = base ? base + 1 : config;
            size_t len = strcspn(base, ".");
            snprintf(run_dir, sizeof run_dir, "runs/%.*s", (int)len, base);
        }
    }
    for (int i = 0; i < o.n_sets; i++)
        if (sim_train_apply_set(&p, &c, o.sets[i], &err)) {
            ppo_checkpoint_close(&ck);
            return cli_fail(&err);
        }

    /* the world and the trainer */
    SimConfig sim;
    if (sim_config_init(&sim, &p, &err)) {
        ppo_checkpoint_close(&ck);
        return cli_fail(&err);
    }
    SimTrainer trainer;
    if (sim_trainer_init(&trainer, &c, &sim, 0, c.shards, &err)) {
        ppo_checkpoint_close(&ck);
        sim_config_close(&sim);
        return cli_fail(&err);
    }
    PpoTrainer *t = &trainer.ppo;
    int exit_code = 0;
    char *text = sim_train_config_text(&p, &c);
    char path[1200];
    FILE *progress = NULL, *episodes = NULL;
    double seconds_before = 0;
    if (resume) {
        rc = sim_trainer_restore(&trainer, &ck, &err);
        ppo_checkpoint_close(&ck);
        if (rc) {
            exit_code = cli_fail(&err);
            goto done;
        }
    }
    if (!text) {
        exit_code = cli_input_error("out of memory");
        goto done;
    }

    /* the run directory: refuse to mix two runs */
    snprintf(path, sizeof path, "%s/progress.csv", run_dir);
    if (!resume && access(path, F_OK) == 0) {
        exit_code = cli_input_error("%s already holds a run; continue it with 'commons train "
                                    "--resume %s' or choose another --out",
                                    run_dir, run_dir);
        goto done;
    }
    if (make_dirs(run_dir)) {
        fprintf(stderr, "commons: cannot create the run directory %s: %s\n", run_dir,
                strerror(errno));
        exit_code = 1;
        goto done;
    }
    snprintf(path, sizeof path, "%s/config.ini", run_dir);
    char *world = world_text(&p);
    if (!world || write_atomic(path, text)) {
        fprintf(stderr, "commons: cannot write %s: %s\n", path, strerror(errno));
        free(world);
        exit_code = 1;
        goto done;
    }
    /* the world alone, for 'commons run --config RUN_DIR/world.ini --policy RUN_DIR/' */
    snprintf(path, sizeof path, "%s/world.ini", run_dir);
    rc = write_atomic(path, world);
    free(world);
    if (rc) {
        fprintf(stderr, "commons: cannot write %s: %s\n", path, strerror(errno));
        exit_code = 1;
        goto done;
    }
    /* logs: a resumed run drops what was written after its checkpoint */
    snprintf(path, sizeof path, "%s/progress.csv", run_dir);
    if (resume && trim_log(path, 1, NULL, t->update + 1, 3, &seconds_before)) {
        fprintf(stderr, "commons: cannot rewrite %s\n", path);
        exit_code = 1;
        goto done;
    }
    progress = fopen(path, resume ? "ab" : "wb");
    snprintf(path, sizeof path, "%s/episodes.jsonl", run_dir);
    if (resume && trim_log(path, 0, "{\"episode\": ", t->episodes, 0, NULL)) {
        fprintf(stderr, "commons: cannot rewrite %s\n", path);
        exit_code = 1;
        goto done;
    }
    episodes = fopen(path, resume ? "ab" : "wb");
    if (!progress || !episodes) {
        fprintf(stderr, "commons: cannot write the logs in %s: %s\n", run_dir, strerror(errno));
        exit_code = 1;
        goto done;
    }
    if (!resume) fputs(PROGRESS_HEADER, progress);

    /* what is about to happen */
    int A = sim.spec.n_agents;
    int64_t per_update = (int64_t)c.worlds * c.rollout;
    char net_text[512], g1[32], g2[32], g3[32];
    describe_net(&t->model.net, net_text, sizeof net_text);
    printf("train %s (game %s, %d agents, %d steps an episode, %s observations %dx%dx%d), "
           "seed %lld\n",
           p.env.preset, env_game_name(p.env.game), A, p.env.max_steps,
           sim.spec.encoding == ENV_ENC_IDS ? "ids" : "rgb", sim.spec.obs_h, sim.spec.obs_w,
           sim.spec.obs_c, (long long)c.seed);
    printf("PPO: %d worlds x %d steps an update, %lld updates = %s env steps = %s agent-steps; "
           "%s parameters\n",
           c.worlds, c.rollout, (long long)t->n_updates, grouped(t->n_updates * per_update, g1, 32),
           grouped(t->n_updates * per_update * A, g2, 32),
           c.independent ? "independent" : "shared");
    printf("network: %s; %d group(s) x %s parameters\n", net_text, t->model.n_groups,
           grouped((long long)t->model.n, g3, 32));
    if (resume) printf("resuming at update %lld from %s\n", (long long)t->update, ck_file);
    printf("run directory %s (one process, one BLAS thread)\n", run_dir);
    fflush(stdout);

    /* the loop: update, log, show, checkpoint */
    int tty = isatty(fileno(stderr));
    int64_t first_update = t->update;
    double start = now_seconds(), last_show = -1e9, t_rollout = 0, t_learn = 0;
    Recent recent = {0};
    snprintf(path, sizeof path, "%s/checkpoint.ckpt", run_dir);
    if (t->update >= t->n_updates)
        printf("the run has done its %lld updates; raise train.steps (--set) to continue it\n",
               (long long)t->n_updates);
    while (t->update < t->n_updates && (!stop_after || t->update - first_update < stop_after)) {
        PpoStats st;
        double t0 = now_seconds();
        sim_trainer_rollout(&trainer);
        double t1 = now_seconds();
        sim_trainer_learn(&trainer, &st);
        double t2 = now_seconds();
        t_rollout += t1 - t0;
        t_learn += t2 - t1;
        double elapsed = t2 - start;
        double rate = (double)(t->update - first_update) * per_update * A / elapsed;
        for (int e = 0; e < t->n_ep; e++) {
            const PpoEpisode *ep = &t->ep[e];
            recent_add(&recent, ep, A);
            fprintf(episodes,
                    "{\"episode\": %lld, \"update\": %lld, \"env_steps\": %lld, \"world\": %lld, "
                    "\"world_episode\": %llu, \"returns\": [",
                    (long long)ep->index, (long long)st.update, (long long)ep->env_steps,
                    (long long)ep->world, (unsigned long long)ep->episode);
            for (int a = 0; a < A; a++)
                fprintf(episodes, "%s%lld", a ? ", " : "", (long long)ep->ret[a]);
            fprintf(episodes,
                    "], \"efficiency\": %.6f, \"equality\": %.6f, \"sustainability\": %.4f, "
                    "\"peace\": %.4f}\n",
                    ep->social.efficiency, ep->social.equality, ep->social.sustainability,
                    ep->social.peace);
        }
        /* one row per update; episode columns empty when none finished */
        fprintf(progress, "%lld,%lld,%lld,%.3f,%.0f,%.6g,%d,", (long long)st.update,
                (long long)st.env_steps, (long long)st.env_steps * A, seconds_before + elapsed,
                rate, st.lr, st.n_episodes);
        if (st.n_episodes)
            fprintf(progress, "%.4f,%.6f,%.6f,%.4f,%.4f,", st.return_mean, st.social.efficiency,
                    st.social.equality, st.social.sustainability, st.social.peace);
        else
            fprintf(progress, ",,,,,");
        fprintf(progress, "%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", st.reward_mean,
                st.policy_loss, st.value_loss, st.entropy, st.approx_kl, st.clip_frac, st.grad_norm,
                st.explained_var);
        fflush(progress);
        fflush(episodes);
        int stopping = stop_after && t->update - first_update == stop_after;
        if ((c.checkpoint_every && t->update % c.checkpoint_every == 0) ||
            t->update == t->n_updates || stopping) {
            /* the logs' rows reach the disk before the checkpoint that counts them */
            if (sync_log(progress) || sync_log(episodes)) {
                fprintf(stderr, "commons: cannot write the logs in %s: %s\n", run_dir,
                        strerror(errno));
                exit_code = 1;
                goto done;
            }
            if (sim_trainer_save(&trainer, text, path, &err)) {
                exit_code = cli_fail(&err);
                goto done;
            }
        }
        /* progress: in place on a terminal, a line every 10 s otherwise, and at the end */
        int last = t->update == t->n_updates || stopping;
        if (last || elapsed - last_show >= (tty ? 0.25 : 10.0)) {
            last_show = elapsed;
            char left[32], ret[48];
            format_duration((double)(t->n_updates - t->update) * elapsed /
                                (double)(t->update - first_update),
                            left, sizeof left);
            if (recent.n)
                snprintf(ret, sizeof ret, "return %.2f, efficiency %.3f",
                         mean_of(recent.ret, recent.n), mean_of(recent.eff, recent.n));
            else
                snprintf(ret, sizeof ret, "return -");
            fprintf(stderr,
                    "%s[%3d%%] update %lld/%lld  %s agent-steps  %s agent-steps/s  %s  %s "
                    "left%s",
                    tty ? "\r" : "", (int)(100 * t->update / t->n_updates), (long long)t->update,
                    (long long)t->n_updates, grouped(st.env_steps * A, g1, 32),
                    grouped((long long)rate, g2, 32), ret, left, tty ? "\033[K" : "\n");
            if (last && tty) fputc('\n', stderr);
            fflush(stderr);
        }
    }
    double total = now_seconds() - start;
    int64_t done_steps = (t->update - first_update) * per_update * A;
    printf("done: %lld updates, %s agent-steps in %.1f s: %s agent-steps/s (rollouts %.1f s, "
           "updates %.1f s; inference, worlds and updates included)\n",
           (long long)(t->update - first_update), grouped(done_steps, g1, 32), total,
           grouped(total > 0 ? (long long)(done_steps / total) : 0, g2, 32), t_rollout, t_learn);
    if (recent.n)
        printf("last %d episodes: return %.2f per agent, efficiency %.3f, equality %.3f, "
               "sustainability %.1f, peace %.3f\n",
               recent.n, mean_of(recent.ret, recent.n), mean_of(recent.eff, recent.n),
               mean_of(recent.eq, recent.n), mean_of(recent.sus, recent.n),
               mean_of(recent.peace, recent.n));
    printf("checkpoint %s; evaluate with: commons eval %s\n", path, run_dir);
done:
    if (progress) fclose(progress);
    if (episodes) fclose(episodes);
    free(text);
    sim_trainer_close(&trainer);
    sim_config_close(&sim);
    return exit_code;
}
