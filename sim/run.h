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
 *
 * Processes (dist.h): a run may be held by several processes, each holding an equal block of
 * the shards (a count that does not divide train.shards is refused before anything is built or
 * written). Rank 0 alone writes the directory; the episodes of every rank are gathered to it in
 * the order one process records them (by step, then world), and checkpoints hold every world.
 * The calls that take a SimRun are then collective: every rank calls them in the same order. A
 * run resumes on any number of processes that divides its shards.
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
    SimDist *dist;  /* the processes of the run (never NULL once built) */
    SimDist one;    /* the one-process SimDist when the caller gave none */
    PpoEpisode *ep; /* (n_ep,) the last update's episodes of every rank, in order (rank 0) */
    int n_ep, ep_cap;
    char *config_text; /* the effective config as INI, as config.ini and checkpoints hold it */
    FILE *progress, *episodes;
    double seconds_before; /* training seconds before this process (from progress.csv) */
    int resumed;
    char blas[32]; /* resumed: the BLAS kernel that wrote the checkpoint ("" before version 2) */
    int open;      /* what has been built: 1 config, 2 trainer */
} SimRun;

/* Starts a new run in dir (created with its parents); refuses a directory that holds a run.
 * origin names where the settings came from (the config file), for errors. dist: the processes
 * (NULL: this one alone). */
int sim_run_create(SimRun *r, const SimParams *p, const PpoConfig *c, const char *dir,
                   const char *origin, SimDist *dist, EnvError *err);

/* Continues the run of a checkpoint (a run directory or a .ckpt file) in its directory, or in
 * dir when not NULL. sets are "section.key=value" overrides, applied to the checkpoint's config
 * (the caller allows only those that keep the run the same, e.g. train.steps). */
int sim_run_resume(SimRun *r, const char *path, const char *dir, const char *const *sets,
                   int n_sets, SimDist *dist, EnvError *err);

void sim_run_close(SimRun *r);

/* Gathers the last update's finished episodes of every rank (r->ep on rank 0, numbered over the
 * run) and brings every rank's episode counter to the run's; rank 0 appends them to
 * episodes.jsonl and the update's row to progress.csv. seconds is the time trained in this
 * process, rate the agent-steps per second (over all processes). */
int sim_run_log(SimRun *r, const PpoStats *st, double seconds, double rate, EnvError *err);

/* 1 when a checkpoint is due after the update just done (every train.checkpoint_every updates,
 * and after the last). */
int sim_run_checkpoint_due(const SimRun *r);

/* Puts the logs on disk, then writes the checkpoint (of every world, by rank 0). */
int sim_run_checkpoint(SimRun *r, EnvError *err);

#endif
