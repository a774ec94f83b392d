/* run.h: a training run in a directory, written as training goes and resumable.
 *
 * The run directory holds config.ini (the effective config, world and training), world.ini (the
 * world alone, for `commons run --config`), progress.csv (one row per update, fixed header),
 * episodes.jsonl (one line per finished episode: returns and social metrics) and
 * checkpoint.ckpt (the latest). Resuming continues a run from its checkpoint to the same weights,
 * bit for bit, as the uninterrupted run; rows written after the checkpoint are dropped from the
 * logs first.
 *
 * Durability: config.ini, world.ini and checkpoint.ckpt go through the atomic writer (env/io.h:
 * temporary file, fsync, rename, fsync of the folder), so each is the old file or the whole new
 * one. progress.csv and episodes.jsonl are append logs, not atomic: a crash can cut their last
 * line. They are flushed after every update and fsynced (with any write error reported) just
 * before each checkpoint is written, so a checkpoint on disk never counts rows that are not; rows
 * after the checkpoint, whole or cut, are dropped on resume, which rewrites both logs atomically.
 */
#ifndef COMMONS_SIM_RUN_H
#define COMMONS_SIM_RUN_H

#include <stdio.h>

#include "params.h"
#include "ppo.h"
#include "train.h"

#define SIM_RUN_PATH_LEN 1024

typedef struct SimRun {
    char dir[SIM_RUN_PATH_LEN];
    char ckpt[SIM_RUN_PATH_LEN + 32]; /* DIR/checkpoint.ckpt */
    SimParams params;
    PpoConfig cfg;
    SimConfig sim;
    SimTrainer trainer;
    char *config_text; /* the effective config as INI, as config.ini and checkpoints hold it */
    FILE *progress, *episodes;
    double seconds_before; /* training seconds before this process (from progress.csv) */
    int resumed;
    int open; /* what has been built: 1 config, 2 trainer */
} SimRun;

/* Starts a new run in dir (created with its parents); refuses a directory that holds a run. */
int sim_run_create(SimRun *r, const SimParams *p, const PpoConfig *c, const char *dir,
                   EnvError *err);

/* Continues the run of a checkpoint (a run directory or a .ckpt file) in its directory, or in
 * dir when not NULL. sets are "section.key=value" overrides, applied to the checkpoint's config
 * (the caller allows only those that keep the run the same, e.g. train.steps). */
int sim_run_resume(SimRun *r, const char *path, const char *dir, const char *const *sets,
                   int n_sets, EnvError *err);

void sim_run_close(SimRun *r);

/* Appends the last update's finished episodes to episodes.jsonl and its row to progress.csv;
 * seconds is the time trained in this process, rate the agent-steps per second. */
int sim_run_log(SimRun *r, const PpoStats *st, double seconds, double rate, EnvError *err);

/* 1 when a checkpoint is due after the update just done (every train.checkpoint_every updates,
 * and after the last). */
int sim_run_checkpoint_due(const SimRun *r);

/* Puts the logs on disk, then writes the checkpoint. */
int sim_run_checkpoint(SimRun *r, EnvError *err);

#endif
