/* record.h: headless recorders: frames to an animated GIF (giflib), an MP4 (raw frames piped to
 * ffmpeg: H.264, yuv420p), or a folder of PNG files (stb_image_write); and single PNG files.
 *
 * Contract:
 * - A recorder takes RGB frames (h, w, 3) of one size and never looks at a world, so recording
 *   cannot change a trajectory.
 * - Files appear atomically (env/io.h: temporary file beside the target, fsync, rename, fsync of
 *   the folder): a GIF or MP4 is renamed into place when render_recorder_close() succeeds; each
 *   PNG frame file is written the same way. A failed or aborted recording, or one cut by SIGINT or
 *   SIGTERM under the CLI, leaves no temporary file behind.
 * - GIF colours are exact while a recording uses at most 255 distinct colours (one index is the
 *   transparent colour that keeps unchanged pixels); further colours map to the nearest one
 *   already in the palette, deterministically. The same frames give the same bytes.
 * - MP4 needs an `ffmpeg` executable on PATH (found before anything is written). Callers should
 *   ignore SIGPIPE so that an ffmpeg that dies is reported as an error, not a signal.
 * - Errors return a negative ENV_E* code with a message naming the file: ENV_EINPUT for a target
 *   that cannot be a recording (unknown extension, missing folder), ENV_EIO otherwise.
 */
#ifndef COMMONS_RECORD_H
#define COMMONS_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include "env.h"
#include "io.h"

typedef enum { RENDER_REC_GIF = 0, RENDER_REC_MP4, RENDER_REC_PNG } RenderRecordKind;

#define RENDER_MAX_FPS 100
#define RENDER_PATH_LEN 1024

/* Classifies a recording target: FILE.gif, FILE.mp4, or DIR/ (or an existing folder) for PNG
 * frames. Checks that the folder holding a file exists. */
int render_record_kind(const char *target, RenderRecordKind *kind, EnvError *err);

/* Finds an executable on PATH; returns 0 and its path, or ENV_EIO when there is none. */
int render_find_program(const char *name, char *path, size_t n);

typedef struct RenderGif RenderGif; /* internal state of the GIF writer */

typedef struct RenderRecorder {
    RenderRecordKind kind;
    int w, h, fps;
    long frames; /* frames written so far */
    char target[RENDER_PATH_LEN];
    EnvAtomicFile out; /* GIF, MP4: the temporary file renamed over target on close */
    RenderGif *gif;
    /* mp4: the ffmpeg child and the pipe to its stdin */
    FILE *pipe;
    long pid;
    uint8_t *even; /* (h + h % 2, w + w % 2, 3) a frame padded to even sides for yuv420p */
} RenderRecorder;

/* Opens a recording of w x h frames at fps frames per second (1..RENDER_MAX_FPS). */
int render_recorder_open(RenderRecorder *r, const char *target, int w, int h, int fps,
                         EnvError *err);
/* Adds one frame: rgb (h, w, 3). */
int render_recorder_frame(RenderRecorder *r, const uint8_t *rgb, EnvError *err);
/* Finishes the file and moves it into place. The recorder is closed either way. */
int render_recorder_close(RenderRecorder *r, EnvError *err);
/* Stops without producing the file and removes temporary files. */
void render_recorder_abort(RenderRecorder *r);

/* Writes one PNG file atomically: rgb (h, w, 3). */
int render_write_png(const char *path, const uint8_t *rgb, int w, int h, EnvError *err);

#endif
