/* run.c: a training run in a directory (see run.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "policy.h"
#include "run.h"

static const char *PROGRESS_HEADER =
    "update,env_steps,agent_steps,seconds,agent_steps_per_s,lr,episodes,return_mean,efficiency,"
    "equality,sustainability,peace,reward_mean,policy_loss,value_loss,entropy,approx_kl,"
    "clip_frac,grad_norm,explained_var\n";

/* mkdir -p; on failure errno holds the cause */
static int make_dirs(const char *path) {
    char buf[SIM_RUN_PATH_LEN];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return ENV_EIO;
    }
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return ENV_EIO;
            *p = '/';
        }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? ENV_EIO : 0;
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
 * `key`, or at the start) is below `limit`; atomically. *last_value gets the last kept value of
 * `column` (0-based, comma separated). */
static int trim_log(const char *path, int header, const char *key, long long limit, int column,
                    double *last_value, EnvError *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 0 : env_fail(err, ENV_EIO, "cannot rewrite %s", path);
    char *out = NULL, *line = NULL;
    size_t out_len = 0, cap = 0;
    FILE *o = open_memstream(&out, &out_len);
    if (!o) {
        fclose(f);
        return env_fail(err, ENV_ENOMEM, "out of memory rewriting %s", path);
    }
    for (int first = 1; getline(&line, &cap, f) > 0; first = 0) {
        const char *p = line;
        if (!(first && header)) {
            if (key && !(p = strstr(line, key))) continue;
            p += key ? strlen(key) : 0;
            if (strtoll(p, NULL, 10) >= limit) continue;
            const char *c = line;
            for (int k = 0; k < column && c; k++)
                if ((c = strchr(c, ','))) c++;
            if (last_value && c) *last_value = strtod(c, NULL);
        }
        fputs(line, o);
    }
    free(line);
    fclose(f);
    fclose(o);
    int rc = env_write_atomic(path, out, out_len, NULL);
    free(out);
    return rc ? env_fail(err, ENV_EIO, "cannot rewrite %s", path) : 0;
}

/* the processes, this rank's block of shards (refused before anything is built when the count
 * does not divide them), the config, the trainer (restored from ck when not NULL) and the
 * effective config text */
static int build(SimRun *r, SimDist *dist, const char *origin, const PpoCheckpoint *ck,
                 EnvError *err) {
    if (!dist) {
        r->one = (SimDist){.rank = 0, .size = 1, .quiet_fd = -1};
        dist = &r->one;
    }
    r->dist = dist;
    int first, count;
    int rc = sim_dist_block(dist, r->cfg.shards, "train.shards", origin, &first, &count, err);
    if (rc) return rc;
    if ((rc = sim_config_init(&r->sim, &r->params, err))) return rc;
    r->open = 1;
    if ((rc = sim_trainer_init(&r->trainer, &r->cfg, &r->sim, first, count, err))) return rc;
    r->open = 2;
    r->trainer.dist = dist;
    r->trainer.ppo.reduce = sim_dist_reduce(dist);
    if (ck && (rc = sim_trainer_restore(&r->trainer, ck, err))) return rc;
    if (!(r->config_text = sim_train_config_text(&r->params, &r->cfg)))
        return env_fail(err, ENV_ENOMEM, "out of memory for the effective config");
    snprintf(r->ckpt, sizeof r->ckpt, "%s/checkpoint.ckpt", r->dir);
    return 0;
}

/* the directory, config.ini, world.ini and the logs (trimmed to the checkpoint on resume) */
static int open_dir(SimRun *r, EnvError *err) {
    char path[SIM_RUN_PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/progress.csv", r->dir);
    /* logs without a checkpoint (a run stopped before its first save) may be started afresh */
    if (!r->resumed && access(path, F_OK) == 0 && access(r->ckpt, F_OK) == 0)
        return env_fail(err, ENV_EINPUT,
                        "%s already holds a run; continue it with 'commons train --resume %s' or "
                        "choose another --out",
                        r->dir, r->dir);
    if (make_dirs(r->dir))
        return env_fail(err, ENV_EIO, "cannot create the run directory %s: %s", r->dir,
                        strerror(errno));
    char *world = sim_train_config_text(&r->params, NULL);
    if (!world) return env_fail(err, ENV_ENOMEM, "out of memory for world.ini");
    /* the effective config, and the BLAS kernel the run computes with (its bits depend on it) */
    size_t n_text = strlen(r->config_text);
    char *text = malloc(n_text + 128);
    if (!text) {
        free(world);
        return env_fail(err, ENV_ENOMEM, "out of memory for config.ini");
    }
    int n_all = snprintf(text, n_text + 128, "%s; BLAS kernel (OpenBLAS): %s\n", r->config_text,
                         nn_blas_kernel());
    snprintf(path, sizeof path, "%s/config.ini", r->dir);
    int rc = env_write_atomic(path, text, (size_t)n_all, err);
    free(text);
    /* the world alone, for 'commons run --config RUN_DIR/world.ini --policy RUN_DIR/' */
    if (!rc) snprintf(path, sizeof path, "%s/world.ini", r->dir);
    if (!rc) rc = env_write_atomic(path, world, strlen(world), err);
    free(world);
    if (rc) return env_fail(err, ENV_EIO, "cannot write %s: %s", path, strerror(errno));
    /* logs: a resumed run drops what was written after its checkpoint */
    const PpoTrainer *t = &r->trainer.ppo;
    snprintf(path, sizeof path, "%s/progress.csv", r->dir);
    if (r->resumed && (rc = trim_log(path, 1, NULL, t->update + 1, 3, &r->seconds_before, err)))
        return rc;
    r->progress = fopen(path, r->resumed ? "ab" : "wb");
    snprintf(path, sizeof path, "%s/episodes.jsonl", r->dir);
    if (r->resumed && (rc = trim_log(path, 0, "{\"episode\": ", t->episodes, 0, NULL, err)))
        return rc;
    r->episodes = fopen(path, r->resumed ? "ab" : "wb");
    if (!r->progress || !r->episodes)
        return env_fail(err, ENV_EIO, "cannot write the logs in %s: %s", r->dir, strerror(errno));
    if (!r->resumed) fputs(PROGRESS_HEADER, r->progress);
    return 0;
}

/* the run directory, written by rank 0; every rank returns the verdict (an error message on the
 * ranks where it happened; rank 0 names a failure of another rank) */
static int open_dir_agreed(SimRun *r, int rc, EnvError *err) {
    if (!rc && r->dist->rank == 0) rc = open_dir(r, err);
    int all = sim_dist_min(r->dist, rc);
    if (all && !rc)
        env_fail(err, all,
                 r->dist->rank == 0 ? "another process failed to build its part of the run"
                                    : "rank 0 could not write the run directory");
    return all;
}

int sim_run_create(SimRun *r, const SimParams *p, const PpoConfig *c, const char *dir,
                   const char *origin, SimDist *dist, EnvError *err) {
    memset(r, 0, sizeof *r);
    r->params = *p;
    r->cfg = *c;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    int rc = build(r, dist, origin, NULL, err);
    /* a count that does not divide the shards is the same verdict on every rank: nothing ran */
    if (rc != ENV_EINPUT || r->open) rc = open_dir_agreed(r, rc, err);
    if (rc) sim_run_close(r);
    return rc;
}

int sim_run_resume(SimRun *r, const char *path, const char *dir, const char *const *sets,
                   int n_sets, SimDist *dist, EnvError *err) {
    memset(r, 0, sizeof *r);
    r->resumed = 1;
    char file[SIM_RUN_PATH_LEN], origin[SIM_RUN_PATH_LEN + 16];
    sim_checkpoint_file(path, file, sizeof file);
    PpoCheckpoint ck;
    int rc = ppo_checkpoint_load(&ck, file, err);
    if (rc) return rc;
    snprintf(r->blas, sizeof r->blas, "%s", ck.blas);
    /* the run's own settings, then the overrides the caller allowed */
    sim_params_default(&r->params);
    ppo_config_default(&r->cfg);
    snprintf(origin, sizeof origin, "%s (its config)", file);
    rc = sim_train_load_text(&r->params, &r->cfg, ck.config, origin, err);
    for (int i = 0; i < n_sets && !rc; i++)
        rc = sim_train_apply_set(&r->params, &r->cfg, sets[i], err);
    /* the run directory is the checkpoint's */
    snprintf(r->dir, sizeof r->dir, "%s", dir ? dir : file);
    char *slash = strrchr(r->dir, '/');
    if (!dir && slash) *slash = 0;
    if (!dir && !slash) snprintf(r->dir, sizeof r->dir, ".");
    if (!rc) {
        rc = build(r, dist, origin, &ck, err);
        if (rc != ENV_EINPUT || r->open) rc = open_dir_agreed(r, rc, err);
    }
    ppo_checkpoint_close(&ck);
    if (rc) sim_run_close(r);
    return rc;
}

void sim_run_close(SimRun *r) {
    free(r->ep);
    if (r->progress) fclose(r->progress);
    if (r->episodes) fclose(r->episodes);
    free(r->config_text);
    if (r->open >= 2) sim_trainer_close(&r->trainer);
    if (r->open >= 1) sim_config_close(&r->sim);
    memset(r, 0, sizeof *r);
}

/* one line of episodes.jsonl */
static void log_episode(FILE *f, const PpoEpisode *ep, int64_t update, int n_agents) {
    fprintf(f,
            "{\"episode\": %lld, \"update\": %lld, \"env_steps\": %lld, \"world\": %lld, "
            "\"world_episode\": %llu, \"returns\": [",
            (long long)ep->index, (long long)update, (long long)ep->env_steps, (long long)ep->world,
            (unsigned long long)ep->episode);
    for (int a = 0; a < n_agents; a++) fprintf(f, "%s%lld", a ? ", " : "", (long long)ep->ret[a]);
    fprintf(f,
            "], \"efficiency\": %.6f, \"equality\": %.6f, \"sustainability\": %.4f, "
            "\"peace\": %.4f, \"restraint\": ",
            ep->social.efficiency, ep->social.equality, ep->social.sustainability,
            ep->social.peace);
    if (ep->social.restraint < 0)
        fprintf(f, "null}\n");
    else
        fprintf(f, "%.4f}\n", ep->social.restraint);
}

/* episodes in the order one process records them: by step (env_steps), then world */
static int episode_order(const void *a, const void *b) {
    const PpoEpisode *x = a, *y = b;
    if (x->env_steps != y->env_steps) return x->env_steps < y->env_steps ? -1 : 1;
    return (x->world > y->world) - (x->world < y->world);
}

/* every rank's episodes of the update to rank 0 (r->ep), numbered over the run; every rank's
 * counter becomes the run's */
static int gather_episodes(SimRun *r, const PpoStats *st, EnvError *err) {
    PpoTrainer *t = &r->trainer.ppo;
    int64_t before = t->episodes - t->n_ep;
    t->episodes = before + st->n_episodes;
    void *all;
    size_t n;
    int rc = sim_dist_gather(r->dist, t->ep, sizeof(PpoEpisode) * (size_t)t->n_ep, &all, &n, err);
    if (rc) return rc;
    free(r->ep);
    r->ep = all;
    r->n_ep = (int)(n / sizeof(PpoEpisode));
    if (r->n_ep > 1) qsort(r->ep, (size_t)r->n_ep, sizeof *r->ep, episode_order);
    for (int e = 0; e < r->n_ep; e++) r->ep[e].index = before + e;
    return 0;
}

int sim_run_log(SimRun *r, const PpoStats *st, double seconds, double rate, EnvError *err) {
    const PpoTrainer *t = &r->trainer.ppo;
    int A = t->n_agents;
    int rc = gather_episodes(r, st, err);
    if (rc || r->dist->rank != 0) return rc;
    for (int e = 0; e < r->n_ep; e++) log_episode(r->episodes, &r->ep[e], st->update, A);
    /* one row per update; episode columns empty when none finished */
    FILE *f = r->progress;
    fprintf(f, "%lld,%lld,%lld,%.3f,%.0f,%.6g,%d,", (long long)st->update, (long long)st->env_steps,
            (long long)st->env_steps * A, r->seconds_before + seconds, rate, st->lr,
            st->n_episodes);
    if (st->n_episodes)
        fprintf(f, "%.4f,%.6f,%.6f,%.4f,%.4f,", st->return_mean, st->social.efficiency,
                st->social.equality, st->social.sustainability, st->social.peace);
    else
        fprintf(f, ",,,,,");
    fprintf(f, "%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", st->reward_mean, st->policy_loss,
            st->value_loss, st->entropy, st->approx_kl, st->clip_frac, st->grad_norm,
            st->explained_var);
    if (fflush(r->progress) != 0 || fflush(r->episodes) != 0)
        return env_fail(err, ENV_EIO, "cannot write the logs in %s: %s", r->dir, strerror(errno));
    return 0;
}

int sim_run_checkpoint_due(const SimRun *r) {
    const PpoTrainer *t = &r->trainer.ppo;
    return (r->cfg.checkpoint_every && t->update % r->cfg.checkpoint_every == 0) ||
           t->update == t->n_updates;
}

int sim_run_checkpoint(SimRun *r, EnvError *err) {
    /* the logs' rows reach the disk before the checkpoint that counts them */
    int rc = 0;
    if (r->dist->rank == 0 && (sync_log(r->progress) || sync_log(r->episodes)))
        rc = env_fail(err, ENV_EIO, "cannot write the logs in %s: %s", r->dir, strerror(errno));
    int all = sim_dist_min(r->dist, rc);
    if (all && !rc) env_fail(err, all, "rank 0 could not write the logs in %s", r->dir);
    if (all) return all;
    return sim_trainer_save(&r->trainer, r->config_text, r->ckpt, err);
}
