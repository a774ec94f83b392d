/* capture.h: what `commons run`, `watch` and `replay` share to show and keep episodes: a
 * world's frames into a recording (CliFrames), and the --record, --replay-out, --fps and --cell
 * options of `commons run` (CliCapture).
 *
 * Contract: a captured episode is stepped by the episode stepper (sim/episode.h) a step at a time,
 * as sim_episode_run() steps it. Capturing only reads the world, and a captured
 * episode is run again by sim_episode_run(), whose result is the one reported: a run prints the
 * same bytes with or without --record and --replay-out, and a capture whose final state differs
 * from the run's is an error, never a silent wrong recording. Functions that return an int return
 * an exit code: 0, 2 for bad input, 1 for a runtime failure, after printing why.
 */
#ifndef COMMONS_CAPTURE_H
#define COMMONS_CAPTURE_H

#include "policy.h"
#include "options.h"
#include "raster.h"
#include "record.h"
#include "replay.h"
#include "episode.h"
#include "viewer.h"

#define CLI_DEFAULT_CELL 8
#define CLI_DEFAULT_FPS 10
#define CLI_GIF_MAX_FPS 50

/* frames of a world, drawn by the raster, into a recorder */
typedef struct CliFrames {
    RenderOptions opt;
    RenderLayout lay;
    uint8_t *rgb; /* (lay.h, lay.w, 3) */
    RenderRecorder rec;
    int open;
} CliFrames;

/* Opens a recording whose frames are laid out for scenes like s (same config and layer sizes).
 * EnvError codes. */
int cli_frames_open(CliFrames *f, const char *target, const RenderScene *s, int cell, int fps,
                    EnvError *err);
int cli_frames_add(CliFrames *f, const RenderScene *s, EnvError *err);
int cli_frames_close(CliFrames *f, EnvError *err);
void cli_frames_abort(CliFrames *f);

/* Parses --cell and --fps for a recording to `target` (NULL: none, and then they are errors).
 * Checks the target (kind, folder, ffmpeg for MP4). Returns an exit code. */
int cli_parse_record_options(const Options *o, const char *target, int *cell, int *fps);

/* Parses the window options of `watch` and `replay`: --cell, --speed, --keys, --shots.
 * Returns an exit code. */
int cli_viewer_options(const Options *o, RenderViewerOptions *vo);

/* Joins the policy names of n agents (as `commons run` prints them) with commas. */
void cli_policy_list(const SimPolicies *pols, int n, char *buf, size_t size);

/* the --record / --replay-out options of `commons run` */
typedef struct CliCapture {
    const char *record, *replay_out;
    int cell, fps;
    int active; /* 1 when anything is captured */
    CliFrames frames;
    SimReplay replay;
    int has_frames, has_replay;
    long steps; /* steps captured */
} CliCapture;

/* Reads the options and checks the targets before anything runs. Returns an exit code. */
int cli_capture_options(CliCapture *c, const Options *o);
/* Opens the replay for the runner's world (the recording opens with its first frame);
 * policies is the comma list of the agents' policy names, kept in the replay. Returns an exit
 * code. */
int cli_capture_begin(CliCapture *c, SimEpisode *r, const char *policies);
/* Runs one episode with sim_episode_run() (out is its result); when asked, first captures it a
 * step at a time and checks that the capture ended in the run's state. Returns an exit code. */
int cli_capture_episode(CliCapture *c, SimEpisode *r, uint64_t episode, SimResult *out);
/* Finishes the files and says on stderr where they went. Returns an exit code. */
int cli_capture_end(CliCapture *c);
/* Drops everything unfinished (after a failure). */
void cli_capture_abort(CliCapture *c);

#endif
