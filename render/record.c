/* record.c: the headless recorders (see record.h): GIF through giflib, MP4 through an ffmpeg
 * child fed raw frames on a pipe, PNG frames and screenshots through stb_image_write.
 *
 * GIF encoding: one global palette of up to 255 colours, built as colours first appear and
 * patched into the file's header (a fixed 256-entry table at byte 13) when the file is closed;
 * index 255 is transparent. Each frame after the first stores only the rectangle that changed,
 * with unchanged pixels transparent, and frames that change nothing extend the previous frame's
 * delay. Delays are rounded so that their running sum tracks the frame rate exactly; the last
 * frame is held one second longer so that a looping GIF shows where the episode ended.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <gif_lib.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stb_image_write.h>

#include "record.h"

extern char **environ;

#define GIF_TRANSPARENT 255
#define GIF_HASH 4096 /* colour -> index cache, open addressing */
#define GIF_HOLD_CS 100

struct RenderGif {
    GifFileType *g; /* writes to the recorder's temporary file */
    uint8_t pal[256][3];
    int n_pal;
    uint32_t key[GIF_HASH]; /* rgb + 1, 0 for an empty slot */
    uint8_t val[GIF_HASH];
    uint8_t *prev; /* (h, w, 3) the last frame given */
    uint8_t *pend; /* (ph, pw) indices of the frame not yet written */
    int px, py, pw, ph, pdelay, have_pend, pfirst;
};

/* ---- targets ---- */

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int render_record_kind(const char *target, RenderRecordKind *kind, EnvError *err) {
    size_t n = strlen(target);
    if (n == 0)
        return env_fail(err, ENV_EINPUT,
                        "empty recording target; give FILE.gif, FILE.mp4, or DIR/ for PNG frames");
    if (n >= RENDER_PATH_LEN - 32)
        return env_fail(err, ENV_EINPUT, "recording path is longer than %d characters",
                        RENDER_PATH_LEN - 32);
    if (target[n - 1] == '/' || is_dir(target)) {
        *kind = RENDER_REC_PNG;
        char parent[RENDER_PATH_LEN];
        snprintf(parent, sizeof parent, "%.*s", (int)(target[n - 1] == '/' ? n - 1 : n), target);
        char up[RENDER_PATH_LEN];
        env_path_folder(parent, up, sizeof up);
        if (!is_dir(parent) && !is_dir(up))
            return env_fail(err, ENV_EINPUT,
                            "'%s': folder '%s' does not exist; create it or choose another place",
                            target, up);
        return 0;
    }
    if (ends_with(target, ".gif"))
        *kind = RENDER_REC_GIF;
    else if (ends_with(target, ".mp4"))
        *kind = RENDER_REC_MP4;
    else
        return env_fail(err, ENV_EINPUT,
                        "'%s' is not a recording target; give FILE.gif, FILE.mp4, or DIR/ (with "
                        "the slash) for PNG frames",
                        target);
    char dir[RENDER_PATH_LEN];
    env_path_folder(target, dir, sizeof dir);
    if (!is_dir(dir))
        return env_fail(err, ENV_EINPUT,
                        "'%s': folder '%s' does not exist; create it or choose another place",
                        target, dir);
    return 0;
}

int render_find_program(const char *name, char *path, size_t n) {
    const char *env = getenv("PATH");
    if (!env || !*env) env = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = env;;) {
        size_t len = strcspn(p, ":");
        if (len == 0)
            snprintf(path, n, "./%s", name);
        else
            snprintf(path, n, "%.*s/%s", (int)len, p, name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0) return 0;
        if (p[len] == 0) break;
        p += len + 1;
    }
    return ENV_EIO;
}

/* ---- PNG ---- */

static void png_out(void *ctx, void *data, int size) {
    fwrite(data, 1, (size_t)size, (FILE *)ctx);
}

int render_write_png(const char *path, const uint8_t *rgb, int w, int h, EnvError *err) {
    EnvAtomicFile f;
    int rc = env_atomic_open(&f, path, err);
    if (rc) return rc;
    if (!stbi_write_png_to_func(png_out, f.fp, w, h, 3, rgb, w * 3)) {
        env_atomic_abort(&f);
        return env_fail(err, ENV_EIO, "%s: cannot encode the PNG", path);
    }
    return env_atomic_commit(&f, err);
}

/* ---- GIF ---- */

static int gif_out(GifFileType *g, const GifByteType *data, int n) {
    return (int)fwrite(data, 1, (size_t)n, (FILE *)g->UserData);
}

static int gif_error(const char *target, int code, EnvError *err) {
    const char *why = GifErrorString(code);
    return env_fail(err, ENV_EIO, "%s: GIF writer failed: %s", target, why ? why : "unknown");
}

/* the palette index of a colour: exact while the palette has room, else the nearest entry */
static uint8_t gif_index(RenderGif *gf, const uint8_t *px) {
    uint32_t rgb = ((uint32_t)px[0] << 16 | (uint32_t)px[1] << 8 | px[2]) + 1;
    uint32_t slot = (rgb * 2654435761u) >> 20;
    for (int probe = 0; probe < GIF_HASH; probe++, slot = (slot + 1) & (GIF_HASH - 1)) {
        if (gf->key[slot] == rgb) return gf->val[slot];
        if (gf->key[slot] == 0) break;
    }
    int best = 0;
    if (gf->n_pal < GIF_TRANSPARENT) {
        best = gf->n_pal++;
        memcpy(gf->pal[best], px, 3);
    } else {
        long best_d = -1;
        for (int i = 0; i < gf->n_pal; i++) {
            long d = 0;
            for (int k = 0; k < 3; k++)
                d += (long)(px[k] - gf->pal[i][k]) * (px[k] - gf->pal[i][k]);
            if (best_d < 0 || d < best_d) best_d = d, best = i;
        }
    }
    if (gf->key[slot] == 0) gf->key[slot] = rgb, gf->val[slot] = (uint8_t)best;
    return (uint8_t)best;
}

static int gif_open(RenderRecorder *r, EnvError *err) {
    RenderGif *gf = calloc(1, sizeof *gf);
    size_t n = (size_t)r->w * (size_t)r->h;
    if (!gf || !(gf->prev = malloc(n * 3)) || !(gf->pend = malloc(n))) {
        if (gf) free(gf->prev);
        free(gf);
        return env_fail(err, ENV_ENOMEM, "%s: out of memory for the GIF writer", r->target);
    }
    r->gif = gf;
    int code = env_atomic_open(&r->out, r->target, err);
    if (code) return code;
    gf->g = EGifOpen(r->out.fp, gif_out, &code);
    if (!gf->g) return gif_error(r->target, code, err);
    EGifSetGifVersion(gf->g, true);
    /* a placeholder palette of 256 entries, patched when the file is closed */
    ColorMapObject *map = GifMakeMapObject(256, NULL);
    if (!map) return env_fail(err, ENV_ENOMEM, "%s: out of memory for the GIF palette", r->target);
    int rc = EGifPutScreenDesc(gf->g, r->w, r->h, 8, 0, map);
    GifFreeMapObject(map);
    if (rc != GIF_OK) return gif_error(r->target, gf->g->Error, err);
    /* loop forever (the NETSCAPE2.0 application extension) */
    static const GifByteType loop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(gf->g, APPLICATION_EXT_FUNC_CODE) != GIF_OK ||
        EGifPutExtensionBlock(gf->g, 11, "NETSCAPE2.0") != GIF_OK ||
        EGifPutExtensionBlock(gf->g, 3, loop) != GIF_OK || EGifPutExtensionTrailer(gf->g) != GIF_OK)
        return gif_error(r->target, gf->g->Error, err);
    return 0;
}

/* writes the pending frame with its delay */
static int gif_flush(RenderRecorder *r, int extra_delay, EnvError *err) {
    RenderGif *gf = r->gif;
    if (!gf->have_pend) return 0;
    GraphicsControlBlock gcb = {.DisposalMode = DISPOSE_DO_NOT,
                                .UserInputFlag = false,
                                .DelayTime = gf->pdelay + extra_delay,
                                .TransparentColor =
                                    gf->pfirst ? NO_TRANSPARENT_COLOR : GIF_TRANSPARENT};
    GifByteType ext[4];
    size_t len = EGifGCBToExtension(&gcb, ext);
    if (EGifPutExtension(gf->g, GRAPHICS_EXT_FUNC_CODE, (int)len, ext) != GIF_OK ||
        EGifPutImageDesc(gf->g, gf->px, gf->py, gf->pw, gf->ph, false, NULL) != GIF_OK)
        return gif_error(r->target, gf->g->Error, err);
    for (int y = 0; y < gf->ph; y++)
        if (EGifPutLine(gf->g, gf->pend + (size_t)y * (size_t)gf->pw, gf->pw) != GIF_OK)
            return gif_error(r->target, gf->g->Error, err);
    gf->have_pend = 0;
    return 0;
}

/* centiseconds between frame k and k + 1, so that the running sum follows the frame rate */
static int gif_delay(long k, int fps) {
    long a = (100 * k + fps / 2) / fps, b = (100 * (k + 1) + fps / 2) / fps;
    return (int)(b - a);
}

static int gif_frame(RenderRecorder *r, const uint8_t *rgb, EnvError *err) {
    RenderGif *gf = r->gif;
    int w = r->w, h = r->h, first = r->frames == 0;
    int delay = gif_delay(r->frames, r->fps);
    /* the rectangle that changed since the last frame */
    int x0 = 0, y0 = 0, x1 = w - 1, y1 = h - 1;
    if (!first) {
        x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++) {
            const uint8_t *a = rgb + (size_t)y * (size_t)w * 3,
                          *b = gf->prev + (size_t)y * (size_t)w * 3;
            if (memcmp(a, b, (size_t)w * 3) == 0) continue;
            if (y < y0) y0 = y;
            y1 = y;
            for (int x = 0; x < w; x++)
                if (memcmp(a + 3 * x, b + 3 * x, 3) != 0) {
                    if (x < x0) x0 = x;
                    if (x > x1) x1 = x;
                }
        }
        if (x1 < 0) {
            gf->pdelay += delay; /* nothing changed: the last frame stays longer */
            return 0;
        }
    }
    int rc = gif_flush(r, 0, err);
    if (rc) return rc;
    gf->px = x0, gf->py = y0, gf->pw = x1 - x0 + 1, gf->ph = y1 - y0 + 1;
    gf->pdelay = delay, gf->pfirst = first, gf->have_pend = 1;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            size_t o = ((size_t)y * (size_t)w + (size_t)x) * 3;
            uint8_t *dst = gf->pend + (size_t)(y - y0) * (size_t)gf->pw + (size_t)(x - x0);
            *dst = (!first && memcmp(rgb + o, gf->prev + o, 3) == 0) ? GIF_TRANSPARENT
                                                                     : gif_index(gf, rgb + o);
        }
    memcpy(gf->prev, rgb, (size_t)w * (size_t)h * 3);
    return 0;
}

static void gif_free(RenderRecorder *r) {
    RenderGif *gf = r->gif;
    if (!gf) return;
    if (gf->g) EGifCloseFile(gf->g, NULL);
    free(gf->prev);
    free(gf->pend);
    free(gf);
    r->gif = NULL;
}

static int gif_close(RenderRecorder *r, EnvError *err) {
    RenderGif *gf = r->gif;
    int rc = gif_flush(r, GIF_HOLD_CS, err), code = 0;
    GifFileType *g = gf->g;
    gf->g = NULL;
    if (EGifCloseFile(g, &code) != GIF_OK && rc == 0) rc = gif_error(r->target, code, err);
    if (rc == 0) {
        /* the final palette over the placeholder: after "GIF89a" and the 7-byte screen
         * descriptor */
        uint8_t table[256][3] = {{0}};
        memcpy(table, gf->pal, (size_t)gf->n_pal * 3);
        if (fseek(r->out.fp, 13, SEEK_SET) != 0 ||
            fwrite(table, 1, sizeof table, r->out.fp) != sizeof table)
            rc = env_fail(err, ENV_EIO, "%s: cannot write the palette: %s", r->target,
                          strerror(errno));
    }
    gif_free(r);
    if (rc) {
        env_atomic_abort(&r->out);
        return rc;
    }
    return env_atomic_commit(&r->out, err);
}

/* ---- MP4 ---- */

static int mp4_open(RenderRecorder *r, EnvError *err) {
    char ffmpeg[RENDER_PATH_LEN];
    if (render_find_program("ffmpeg", ffmpeg, sizeof ffmpeg))
        return env_fail(err, ENV_EIO,
                        "%s: recording MP4 needs ffmpeg, which is not on PATH; install it "
                        "(Debian: apt-get install ffmpeg) or record a GIF (FILE.gif) or PNG "
                        "frames (DIR/) instead",
                        r->target);
    int ew = r->w + r->w % 2, eh = r->h + r->h % 2;
    if ((ew != r->w || eh != r->h) && !(r->even = calloc((size_t)ew * (size_t)eh, 3)))
        return env_fail(err, ENV_ENOMEM, "%s: out of memory for a %dx%d frame buffer", r->target,
                        ew, eh);
    /* the temporary name is reserved here and overwritten by ffmpeg (-y) */
    int rc = env_atomic_open(&r->out, r->target, err);
    if (rc) return rc;
    env_atomic_detach(&r->out);
    char size[32], rate[16];
    snprintf(size, sizeof size, "%dx%d", ew, eh);
    snprintf(rate, sizeof rate, "%d", r->fps);
    char *argv[] = {ffmpeg,       "-hide_banner", "-loglevel", "error",    "-nostats", "-y",
                    "-f",         "rawvideo",     "-pix_fmt",  "rgb24",    "-s",       size,
                    "-r",         rate,           "-i",        "pipe:0",   "-an",      "-c:v",
                    "libx264",    "-pix_fmt",     "yuv420p",   "-crf",     "18",       "-movflags",
                    "+faststart", "-f",           "mp4",       r->out.tmp, NULL};
    int fds[2];
    if (pipe(fds) != 0) {
        env_atomic_abort(&r->out);
        return env_fail(err, ENV_EIO, "%s: cannot create a pipe: %s", r->target, strerror(errno));
    }
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    /* its own process group: a terminal's Ctrl-C stops commons, whose handler stops ffmpeg
     * before removing the temporary (a Ctrl-C reaching ffmpeg too would make it finish the file
     * after the temporary was removed) */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid;
    rc = posix_spawn(&pid, ffmpeg, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        env_atomic_abort(&r->out);
        return env_fail(err, ENV_EIO, "%s: cannot start %s: %s", r->target, ffmpeg, strerror(rc));
    }
    r->pid = pid;
    env_atomic_set_writer(&r->out, (long)pid);
    r->pipe = fdopen(fds[1], "wb");
    if (!r->pipe) {
        close(fds[1]);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        r->pid = 0;
        env_atomic_abort(&r->out);
        return env_fail(err, ENV_EIO, "%s: cannot open the pipe to ffmpeg", r->target);
    }
    return 0;
}

static int mp4_frame(RenderRecorder *r, const uint8_t *rgb, EnvError *err) {
    const uint8_t *out = rgb;
    int ew = r->w + r->w % 2, eh = r->h + r->h % 2;
    if (r->even) {
        /* odd sides: repeat the last column and row */
        for (int y = 0; y < eh; y++) {
            int sy = y < r->h ? y : r->h - 1;
            uint8_t *dst = r->even + (size_t)y * (size_t)ew * 3;
            memcpy(dst, rgb + (size_t)sy * (size_t)r->w * 3, (size_t)r->w * 3);
            if (ew > r->w) memcpy(dst + (size_t)r->w * 3, dst + (size_t)(r->w - 1) * 3, 3);
        }
        out = r->even;
    }
    size_t n = (size_t)ew * (size_t)eh * 3;
    if (fwrite(out, 1, n, r->pipe) != n)
        return env_fail(err, ENV_EIO,
                        "%s: ffmpeg stopped reading frames: %s (its messages, if any, are above)",
                        r->target, strerror(errno));
    return 0;
}

static int mp4_close(RenderRecorder *r, int keep, EnvError *err) {
    int rc = 0;
    if (r->pipe && fclose(r->pipe) != 0 && keep)
        rc = env_fail(err, ENV_EIO, "%s: ffmpeg stopped reading frames: %s", r->target,
                      strerror(errno));
    r->pipe = NULL;
    if (r->pid > 0) {
        if (!keep) kill((pid_t)r->pid, SIGTERM);
        int status = 0;
        while (waitpid((pid_t)r->pid, &status, 0) < 0 && errno == EINTR) {
        }
        r->pid = 0;
        if (keep && rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            rc = env_fail(err, ENV_EIO, "%s: ffmpeg failed (%s %d); its messages are above",
                          r->target, WIFEXITED(status) ? "exit code" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    free(r->even);
    r->even = NULL;
    /* ffmpeg wrote the temporary by name: synced, renamed over the target, folder synced */
    if (keep && rc == 0 && env_atomic_commit(&r->out, NULL) != 0)
        rc = env_fail(err, ENV_EIO, "%s: cannot move the video into place: %s", r->target,
                      strerror(errno));
    env_atomic_abort(&r->out);
    return rc;
}

/* ---- the recorder ---- */

int render_recorder_open(RenderRecorder *r, const char *target, int w, int h, int fps,
                         EnvError *err) {
    memset(r, 0, sizeof *r);
    int rc = render_record_kind(target, &r->kind, err);
    if (rc) return rc;
    if (fps < 1 || fps > RENDER_MAX_FPS)
        return env_fail(err, ENV_EINPUT, "frame rate %d is out of range; allowed 1..%d", fps,
                        RENDER_MAX_FPS);
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
        return env_fail(err, ENV_EINPUT, "frame size %dx%d is out of range", w, h);
    snprintf(r->target, sizeof r->target, "%s", target);
    r->w = w, r->h = h, r->fps = fps;
    switch (r->kind) {
    case RENDER_REC_GIF:
        rc = gif_open(r, err);
        if (rc) render_recorder_abort(r);
        return rc;
    case RENDER_REC_MP4:
        rc = mp4_open(r, err);
        if (rc) render_recorder_abort(r);
        return rc;
    default:
        /* PNG frames: the folder is created when missing (its parent was checked) */
        if (!is_dir(target) && mkdir(target, 0777) != 0 && errno != EEXIST)
            return env_fail(err, ENV_EIO, "%s: cannot create the folder: %s", target,
                            strerror(errno));
        return 0;
    }
}

int render_recorder_frame(RenderRecorder *r, const uint8_t *rgb, EnvError *err) {
    int rc = 0;
    switch (r->kind) {
    case RENDER_REC_GIF:
        rc = gif_frame(r, rgb, err);
        break;
    case RENDER_REC_MP4:
        rc = mp4_frame(r, rgb, err);
        break;
    default: {
        char path[RENDER_PATH_LEN + 64];
        size_t n = strlen(r->target);
        snprintf(path, sizeof path, "%s%sframe_%06ld.png", r->target,
                 (n && r->target[n - 1] == '/') ? "" : "/", r->frames);
        rc = render_write_png(path, rgb, r->w, r->h, err);
        if (rc == 0) {
            /* what a stop by a signal leaves: the frames so far */
            char note[RENDER_PATH_LEN + 160];
            snprintf(note, sizeof note,
                     "commons: stopped: %s holds the %ld frames recorded so far (frame_000000.png "
                     "to frame_%06ld.png), not the whole recording\n",
                     r->target, r->frames + 1, r->frames);
            env_stop_note(note);
        }
        break;
    }
    }
    if (rc == 0) r->frames++;
    return rc;
}

int render_recorder_close(RenderRecorder *r, EnvError *err) {
    switch (r->kind) {
    case RENDER_REC_GIF:
        if (!r->gif) return 0;
        return gif_close(r, err);
    case RENDER_REC_MP4:
        return mp4_close(r, 1, err);
    default:
        env_stop_note(NULL);
        return 0;
    }
}

void render_recorder_abort(RenderRecorder *r) {
    if (r->kind == RENDER_REC_PNG) env_stop_note(NULL);
    if (r->kind == RENDER_REC_GIF) {
        gif_free(r);
        env_atomic_abort(&r->out);
    } else if (r->kind == RENDER_REC_MP4) {
        mp4_close(r, 0, NULL);
    }
}
