/* capture.c: episodes a step at a time, frames into recordings, and the capture options of
 * `commons run` (see capture.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"

/* ---- frames ---- */

int cli_frames_open(CliFrames *f, const char *target, const RenderScene *s, int cell, int fps,
                    EnvError *err) {
    memset(f, 0, sizeof *f);
    render_options_default(&f->opt);
    f->opt.cell = cell;
    int rc = render_options_check(&f->opt, s->view.cfg, err);
    if (rc) return rc;
    render_layout(s, &f->opt, &f->lay);
    f->rgb = malloc((size_t)f->lay.w * (size_t)f->lay.h * 3);
    if (!f->rgb) return env_fail(err, ENV_ENOMEM, "out of memory for frames");
    rc = render_recorder_open(&f->rec, target, f->lay.w, f->lay.h, fps, err);
    if (rc) {
        free(f->rgb);
        f->rgb = NULL;
        return rc;
    }
    f->open = 1;
    return 0;
}

int cli_frames_add(CliFrames *f, const RenderScene *s, EnvError *err) {
    render_frame(s, &f->opt, &f->lay, f->rgb);
    return render_recorder_frame(&f->rec, f->rgb, err);
}

int cli_frames_close(CliFrames *f, EnvError *err) {
    int rc = f->open ? render_recorder_close(&f->rec, err) : 0;
    f->open = 0;
    free(f->rgb);
    f->rgb = NULL;
    return rc;
}

void cli_frames_abort(CliFrames *f) {
    if (f->open && f->rec.kind == RENDER_REC_PNG && f->rec.frames > 0)
        fprintf(stderr,
                "commons: %s holds the %ld frames recorded before the failure (frame_000000.png "
                "to frame_%06ld.png), not the whole recording\n",
                f->rec.target, f->rec.frames, f->rec.frames - 1);
    if (f->open) render_recorder_abort(&f->rec);
    f->open = 0;
    free(f->rgb);
    f->rgb = NULL;
}

/* ---- options ---- */

int cli_parse_record_options(const Options *o, const char *target, int *cell, int *fps) {
    const char *cell_s = cli_extra(o, "--cell"), *fps_s = cli_extra(o, "--fps");
    long long v;
    int rc;
    *cell = CLI_DEFAULT_CELL;
    *fps = CLI_DEFAULT_FPS;
    if (!target) {
        if (cell_s || fps_s)
            return cli_input_error("%s sets how a recording looks; add --record FILE.gif, "
                                   "FILE.mp4 or DIR/",
                                   cell_s ? "--cell" : "--fps");
        return 0;
    }
    if (cell_s) {
        if ((rc = cli_parse_count("--cell", cell_s, RENDER_MIN_CELL, RENDER_MAX_CELL, &v)))
            return rc;
        *cell = (int)v;
    }
    RenderRecordKind kind;
    EnvError err;
    if (render_record_kind(target, &kind, &err)) return cli_input_error("--record %s", err.msg);
    int max_fps = kind == RENDER_REC_GIF ? CLI_GIF_MAX_FPS : RENDER_MAX_FPS;
    if (fps_s) {
        /* one message: what a GIF cannot show, or the range of the format */
        char *end;
        long long want = strtoll(fps_s, &end, 10);
        if (kind == RENDER_REC_GIF && *fps_s && !*end && want > max_fps && want <= RENDER_MAX_FPS)
            v = want;
        else if ((rc = cli_parse_count("--fps", fps_s, 1, max_fps, &v)))
            return rc;
        if (v > max_fps)
            return cli_input_error("--fps: %lld is more than a GIF can show (at most %d frames per "
                                   "second); lower it or record an MP4",
                                   v, max_fps);
        *fps = (int)v;
    }
    if (kind == RENDER_REC_MP4) {
        char path[RENDER_PATH_LEN];
        if (render_find_program("ffmpeg", path, sizeof path)) {
            fprintf(stderr,
                    "commons: --record %s: recording MP4 needs ffmpeg, which is not on PATH; "
                    "install it (Debian: apt-get install ffmpeg), or record a GIF (FILE.gif) or "
                    "PNG frames (DIR/) instead\n",
                    target);
            return 1;
        }
        /* an ffmpeg that dies must be an error message, not a silent SIGPIPE */
        signal(SIGPIPE, SIG_IGN);
    }
    return 0;
}

void cli_policy_list(const SimPolicies *pols, int n, char *buf, size_t size) {
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < n && at < size; i++) {
        int k = snprintf(buf + at, size - at, "%s%s", i ? "," : "", pols->name[i]);
        if (k < 0) break;
        at += (size_t)k;
    }
}

/* the viewer options shared with `commons replay`: --cell, --speed, --keys, --shots */
int cli_viewer_options(const Options *o, RenderViewerOptions *vo) {
    long long v;
    int rc;
    memset(vo, 0, sizeof *vo);
    vo->cell = CLI_DEFAULT_CELL;
    vo->speed = CLI_DEFAULT_FPS;
    const char *s;
    if ((s = cli_extra(o, "--cell"))) {
        if ((rc = cli_parse_count("--cell", s, RENDER_MIN_CELL, RENDER_MAX_CELL, &v))) return rc;
        vo->cell = (int)v;
    }
    if ((s = cli_extra(o, "--speed"))) {
        if ((rc = cli_parse_count("--speed", s, 1, 1000, &v))) return rc;
        vo->speed = (int)v;
    }
    vo->keys = cli_extra(o, "--keys");
    if ((s = cli_extra(o, "--shots"))) {
        struct stat st;
        if (stat(s, &st) != 0 || !S_ISDIR(st.st_mode))
            return cli_input_error("--shots %s: no such folder; create it or choose another", s);
        vo->shot_dir = s;
    }
    return 0;
}

int cli_capture_options(CliCapture *c, const Options *o) {
    memset(c, 0, sizeof *c);
    c->record = cli_extra(o, "--record");
    c->replay_out = cli_extra(o, "--replay-out");
    int rc = cli_parse_record_options(o, c->record, &c->cell, &c->fps);
    if (rc) return rc;
    if (c->replay_out) {
        struct stat st;
        char dir[RENDER_PATH_LEN];
        const char *slash = strrchr(c->replay_out, '/');
        if (!*c->replay_out) return cli_input_error("--replay-out: empty path; give a file name");
        if (strlen(c->replay_out) >= RENDER_PATH_LEN - 32)
            return cli_input_error("--replay-out: the path is too long");
        if (stat(c->replay_out, &st) == 0 && S_ISDIR(st.st_mode))
            return cli_input_error("--replay-out %s: that is a folder; give a file name, e.g. "
                                   "%s/run.replay",
                                   c->replay_out, c->replay_out);
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - c->replay_out) : 1,
                 slash ? c->replay_out : ".");
        if (slash == c->replay_out) snprintf(dir, sizeof dir, "/");
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return cli_input_error("--replay-out %s: folder '%s' does not exist; create it or "
                                   "choose another place",
                                   c->replay_out, dir);
        /* before any episode runs: a temporary file beside the target, removed at once */
        EnvAtomicFile probe;
        EnvError err;
        if (env_atomic_open(&probe, c->replay_out, &err))
            return cli_input_error("--replay-out %s: cannot write there (%s); choose another "
                                   "place",
                                   c->replay_out, strerror(errno));
        env_atomic_abort(&probe);
    }
    c->active = c->record || c->replay_out;
    return 0;
}

int cli_capture_begin(CliCapture *c, SimEpisode *r, const char *policies) {
    if (!c->replay_out) return 0;
    EnvError err;
    if (sim_replay_init(&c->replay, r->sim, r->seed, r->world.index, policies, &err))
        return cli_fail(&err);
    c->has_replay = 1;
    return 0;
}

/* draws the cursor's world into the recording; the recording opens with the first frame, whose
 * scene fixes the layout */
static int capture_frame(CliCapture *c, SimEpisode *e, EnvError *err) {
    RenderScene s;
    sim_episode_scene(e, &s);
    if (!c->has_frames) {
        int rc = cli_frames_open(&c->frames, c->record, &s, c->cell, c->fps, err);
        if (rc) return rc;
        c->has_frames = 1;
    }
    return cli_frames_add(&c->frames, &s, err);
}

int cli_capture_episode(CliCapture *c, SimEpisode *r, uint64_t episode, SimResult *out) {
    if (!c->active) {
        sim_episode_run(r, episode, 0, out);
        return 0;
    }
    EnvError err;
    int rc = 0, done = 0;
    sim_episode_start(r, episode, 0);
    if (c->has_replay) rc = sim_replay_begin(&c->replay, episode, &r->world, &err);
    if (!rc && c->record) rc = capture_frame(c, r, &err);
    while (!rc && !done) {
        done = sim_episode_step(r, NULL, NULL);
        if (c->has_replay) rc = sim_replay_step(&c->replay, r->actions, r->bits, &r->world, &err);
        if (!rc && c->record) rc = capture_frame(c, r, &err);
        c->steps++;
    }
    if (!rc && c->has_replay) rc = sim_replay_end(&c->replay, &r->world, &err);
    SimResult captured;
    if (!rc) sim_episode_result(r, &captured);
    if (rc) {
        cli_capture_abort(c);
        return cli_fail(&err);
    }
    /* the run itself, as it runs without capture: its output is the one printed, and the
     * captured episode must have ended in the same state */
    sim_episode_run(r, episode, 0, out);
    if (captured.hash != out->hash || captured.steps != out->steps) {
        cli_capture_abort(c);
        fprintf(stderr,
                "commons: the captured episode %llu ended in state %016llx, the run in %016llx; "
                "nothing was recorded (the recorder and the runner disagree: a bug)\n",
                (unsigned long long)episode, (unsigned long long)captured.hash,
                (unsigned long long)out->hash);
        return 1;
    }
    return 0;
}

int cli_capture_end(CliCapture *c) {
    if (!c->active) return 0;
    EnvError err;
    if (c->has_frames) {
        long frames = c->frames.rec.frames;
        int w = c->frames.lay.w, h = c->frames.lay.h;
        c->has_frames = 0;
        if (cli_frames_close(&c->frames, &err)) {
            cli_capture_abort(c);
            return cli_fail(&err);
        }
        fprintf(stderr, "recorded %ld frames of %dx%d pixels to %s\n", frames, w, h, c->record);
    }
    if (c->has_replay) {
        int rc = sim_replay_write(&c->replay, c->replay_out, &err);
        int n_ep = c->replay.n_episodes;
        sim_replay_close(&c->replay);
        c->has_replay = 0;
        if (rc) return cli_fail(&err);
        fprintf(stderr, "wrote the replay of %d episode%s (%ld steps) to %s\n", n_ep,
                n_ep == 1 ? "" : "s", c->steps, c->replay_out);
    }
    return 0;
}

void cli_capture_abort(CliCapture *c) {
    if (c->has_frames) cli_frames_abort(&c->frames);
    if (c->has_replay) sim_replay_close(&c->replay);
    c->has_frames = c->has_replay = 0;
}
