/* viewer.h: the interactive window (SDL2) that plays episodes as they run or replay.
 *
 * Contract:
 * - The viewer knows nothing of policies or replay files: a RenderSource steps the episode and
 *   hands back the scene to draw; the viewer only reads it, so watching never changes a
 *   trajectory (the same keys give the same ticks and hashes as a headless run).
 * - Frames come from the raster at a fixed cell size and are scaled to the window by an integer
 *   factor (nearest neighbour), centred; the window is resizable.
 * - Controls: space pause/resume, '.' or Right single step, '+' or Up faster, '-' or Down
 *   slower, 'r' restart (a new seed for live episodes, the same episode for replays), 'v' cycles
 *   the agent whose egocentric view is shown (digits pick one), 'c' toggles the comm overlay,
 *   's' or F12 saves a screenshot of the window, 'h' lists the controls, 'q' or Esc quits.
 *   At the end of an episode the viewer pauses; space or '.' starts the next one (with
 *   exit_at_end it goes on by itself, and closes after the source's last episode).
 * - Without a display (or in a build without SDL2) render_viewer_run() fails with ENV_EIO and a
 *   message that says why and suggests recording instead. Only viewer.c includes SDL.
 */
#ifndef COMMONS_VIEWER_H
#define COMMONS_VIEWER_H

#include <stddef.h>

#include "env.h"
#include "raster.h"

typedef struct RenderSource {
    void *ctx;
    /* Starts an episode: next = 1 the next one, next = 0 a restart (a new seed for live
     * episodes, the same episode again for replays). Returns 0, 1 when there is no next
     * episode (the viewer stays where it is), or a negative ENV_E* code with err filled. */
    int (*reset)(void *ctx, int next, EnvError *err);
    /* Takes one step; returns 1 when the episode has just ended, 0 otherwise. */
    int (*step)(void *ctx);
    /* Fills the scene to draw; for ego_agent >= 0 it also points ego_obs at that agent's
     * observation. */
    void (*scene)(void *ctx, RenderScene *s, int ego_agent);
    /* A short name of the current state for titles and screenshot files, e.g.
     * "cleanup-s3-e0-t000005". */
    void (*name)(void *ctx, char *buf, size_t n);
    /* Called after a screenshot was saved to path (may be NULL). */
    void (*on_screenshot)(void *ctx, const char *path);
    /* Called when the viewer prints its controls (may be NULL); text holds them. */
    void (*on_help)(void *ctx, const char *text);
} RenderSource;

typedef struct RenderViewerOptions {
    int cell;             /* pixels per map cell before the window's integer scaling */
    int speed;            /* steps per second at the start */
    const char *keys;     /* keys pressed one per frame at the start (demos, tests), or NULL */
    const char *shot_dir; /* folder for screenshots; NULL for the current folder */
    const char *title;    /* window title prefix, e.g. "commons watch" */
    const char *hint;     /* appended to the no-display message, e.g. how to record instead */
    int exit_at_end;      /* 1: at the end of an episode go on to the next without pausing, and
                             close the window when the source has no next episode */
} RenderViewerOptions;

/* The controls, one per line, as printed by 'h'. */
extern const char *const RENDER_VIEWER_HELP;

/* 1 when this build has the SDL2 viewer, 0 otherwise. */
int render_viewer_available(void);

/* Opens the window and plays until the user quits. The source must be at the start of an
 * episode. Returns 0, or a negative ENV_E* code with err filled. */
int render_viewer_run(const RenderSource *src, const RenderViewerOptions *o, EnvError *err);

#endif
