/* viewer.c: the SDL2 window of `commons watch` and `commons replay` (see viewer.h). The only file
 * of the project that includes SDL; built as a stub that explains itself when SDL2 is missing.
 *
 * Loop: feed one scripted key (if any), handle events, take the steps that are due at the
 * current speed (at most a frame's worth), redraw when something changed. A screenshot reads the
 * window's pixels back after drawing and before presenting, so it holds exactly what is shown.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "record.h"
#include "viewer.h"

const char *const RENDER_VIEWER_HELP = "controls:\n"
                                       "  space        pause / resume (at the end: next episode)\n"
                                       "  . or Right   single step\n"
                                       "  + or Up      faster\n"
                                       "  - or Down    slower\n"
                                       "  r            restart (live: a new seed)\n"
                                       "  v, 0-9       show an agent's egocentric view\n"
                                       "  c            toggle the comm overlay\n"
                                       "  s or F12     screenshot (PNG)\n"
                                       "  h            this list\n"
                                       "  q or Esc     quit\n";

#ifndef COMMONS_HAVE_SDL2

int render_viewer_available(void) {
    return 0;
}

int render_viewer_run(const RenderSource *src, const RenderViewerOptions *o, EnvError *err) {
    (void)src;
    return env_fail(err, ENV_EIO,
                    "this commons was built without SDL2, so it has no window (install "
                    "libsdl2-dev and rebuild)%s%s",
                    o && o->hint ? "; " : "", o && o->hint ? o->hint : "");
}

#else

#include <SDL.h>

int render_viewer_available(void) {
    return 1;
}

static const int SPEEDS[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
#define N_SPEEDS ((int)(sizeof SPEEDS / sizeof SPEEDS[0]))
#define MAX_STEPS_PER_FRAME 200

typedef struct Viewer {
    const RenderSource *src;
    const RenderViewerOptions *o;
    RenderOptions ropt;
    RenderScene scene;
    RenderLayout lay;
    uint8_t *frame; /* (lay.h, lay.w, 3) */
    size_t frame_cap;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tex_w, tex_h;
    int paused, ended, speed_i, dirty, shot, quit, shots;
    const char *keys; /* scripted keys not yet pressed */
    Uint64 t0;        /* counter value when the current run of steps began */
    long steps_run;   /* steps taken since t0 */
} Viewer;

static int sdl_fail(EnvError *err, const char *what) {
    return env_fail(err, ENV_EIO, "%s: %s", what, SDL_GetError());
}

/* the raster frame for the current state and options; the texture follows its size */
static int draw(Viewer *v, EnvError *err) {
    v->src->scene(v->src->ctx, &v->scene, v->ropt.ego_agent);
    render_layout(&v->scene, &v->ropt, &v->lay);
    size_t need = (size_t)v->lay.w * (size_t)v->lay.h * 3;
    if (need > v->frame_cap) {
        uint8_t *f = realloc(v->frame, need);
        if (!f) return env_fail(err, ENV_ENOMEM, "out of memory for a frame");
        v->frame = f, v->frame_cap = need;
    }
    render_frame(&v->scene, &v->ropt, &v->lay, v->frame);
    if (!v->tex || v->tex_w != v->lay.w || v->tex_h != v->lay.h) {
        int grow = v->tex != NULL;
        if (v->tex) SDL_DestroyTexture(v->tex);
        v->tex = SDL_CreateTexture(v->ren, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING,
                                   v->lay.w, v->lay.h);
        if (!v->tex) return sdl_fail(err, "cannot create a texture");
        /* the frame changed size (an egocentric view came or went): keep the scale */
        if (grow) {
            int ww, wh;
            SDL_GetWindowSize(v->win, &ww, &wh);
            int s = ww / v->tex_w < wh / v->tex_h ? ww / v->tex_w : wh / v->tex_h;
            if (s < 1) s = 1;
            SDL_SetWindowSize(v->win, v->lay.w * s, v->lay.h * s);
        }
        v->tex_w = v->lay.w, v->tex_h = v->lay.h;
    }
    if (SDL_UpdateTexture(v->tex, NULL, v->frame, v->lay.w * 3) != 0)
        return sdl_fail(err, "cannot update the texture");
    return 0;
}

/* where the frame goes in the window: the largest integer scale that fits, centred */
static SDL_Rect placement(const Viewer *v) {
    int ow, oh;
    SDL_GetRendererOutputSize(v->ren, &ow, &oh);
    int s = ow / v->lay.w < oh / v->lay.h ? ow / v->lay.w : oh / v->lay.h;
    if (s < 1) s = 1;
    SDL_Rect r = {(ow - v->lay.w * s) / 2, (oh - v->lay.h * s) / 2, v->lay.w * s, v->lay.h * s};
    if (r.x < 0) r.x = 0;
    if (r.y < 0) r.y = 0;
    return r;
}

static void set_title(Viewer *v) {
    char name[128], title[384];
    v->src->name(v->src->ctx, name, sizeof name);
    snprintf(title, sizeof title, "%s | %s | %d steps/s%s%s%s",
             v->o->title ? v->o->title : "commons", name, SPEEDS[v->speed_i],
             v->ended    ? " | episode over"
             : v->paused ? " | paused"
                         : "",
             v->ropt.comm ? "" : " | comm off", v->ropt.ego_agent >= 0 ? " | agent view" : "");
    SDL_SetWindowTitle(v->win, title);
}

/* reads the shown frame back from the window and writes it as a PNG */
static int screenshot(Viewer *v, const SDL_Rect *dst, EnvError *err) {
    int ow, oh;
    SDL_GetRendererOutputSize(v->ren, &ow, &oh);
    SDL_Rect r = *dst;
    if (r.x + r.w > ow) r.w = ow - r.x;
    if (r.y + r.h > oh) r.h = oh - r.y;
    if (r.w <= 0 || r.h <= 0) return 0;
    uint8_t *px = malloc((size_t)r.w * (size_t)r.h * 3);
    if (!px) return env_fail(err, ENV_ENOMEM, "out of memory for a screenshot");
    if (SDL_RenderReadPixels(v->ren, &r, SDL_PIXELFORMAT_RGB24, px, r.w * 3) != 0) {
        free(px);
        return sdl_fail(err, "cannot read the window back");
    }
    char name[128], path[RENDER_PATH_LEN];
    v->src->name(v->src->ctx, name, sizeof name);
    const char *dir = v->o->shot_dir ? v->o->shot_dir : ".";
    struct stat st;
    snprintf(path, sizeof path, "%s/commons-%s.png", dir, name);
    for (int k = 2; stat(path, &st) == 0 && k < 1000; k++)
        snprintf(path, sizeof path, "%s/commons-%s-%d.png", dir, name, k);
    int rc = render_write_png(path, px, r.w, r.h, err);
    free(px);
    if (rc == 0 && v->src->on_screenshot) v->src->on_screenshot(v->src->ctx, path);
    return rc;
}

static int present(Viewer *v, EnvError *err) {
    int rc = draw(v, err);
    if (rc) return rc;
    SDL_SetRenderDrawColor(v->ren, 0, 0, 0, 255);
    SDL_RenderClear(v->ren);
    SDL_Rect dst = placement(v);
    if (SDL_RenderCopy(v->ren, v->tex, NULL, &dst) != 0) return sdl_fail(err, "cannot draw");
    if (v->shot) {
        v->shot = 0;
        if ((rc = screenshot(v, &dst, err))) return rc;
    }
    SDL_RenderPresent(v->ren);
    set_title(v);
    v->dirty = 0;
    return 0;
}

static void restart_clock(Viewer *v) {
    v->t0 = SDL_GetPerformanceCounter();
    v->steps_run = 0;
}

/* starts the next episode or restarts; returns 0 or an error */
static int reset(Viewer *v, int next, EnvError *err) {
    int rc = v->src->reset(v->src->ctx, next, err);
    if (rc < 0) return rc;
    if (rc == 0) v->ended = 0;
    v->dirty = 1;
    restart_clock(v);
    return 0;
}

static void step_once(Viewer *v) {
    if (v->src->step(v->src->ctx)) {
        v->ended = 1;
        v->paused = 1;
    }
    v->dirty = 1;
}

static int on_key(Viewer *v, SDL_Keycode k, EnvError *err) {
    int n_agents = v->scene.view.n_agents;
    switch (k) {
    case SDLK_q:
    case SDLK_ESCAPE:
        v->quit = 1;
        break;
    case SDLK_SPACE:
        if (v->ended) {
            int rc = reset(v, 1, err);
            if (rc) return rc;
            if (!v->ended) v->paused = 0;
        } else {
            v->paused = !v->paused;
            restart_clock(v);
        }
        break;
    case SDLK_PERIOD:
    case SDLK_RIGHT:
        v->paused = 1;
        if (v->ended) return reset(v, 1, err);
        step_once(v);
        break;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS:
    case SDLK_UP:
        if (v->speed_i < N_SPEEDS - 1) v->speed_i++;
        restart_clock(v);
        v->dirty = 1;
        break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
    case SDLK_DOWN:
        if (v->speed_i > 0) v->speed_i--;
        restart_clock(v);
        v->dirty = 1;
        break;
    case SDLK_r: {
        int rc = reset(v, 0, err);
        if (rc) return rc;
        break;
    }
    case SDLK_v:
        v->ropt.ego_agent = v->ropt.ego_agent + 1 < n_agents ? v->ropt.ego_agent + 1 : -1;
        v->dirty = 1;
        break;
    case SDLK_c:
        v->ropt.comm = !v->ropt.comm;
        v->dirty = 1;
        break;
    case SDLK_s:
    case SDLK_F12:
        v->shot = 1;
        v->dirty = 1;
        break;
    case SDLK_h:
        if (v->src->on_help) v->src->on_help(v->src->ctx, RENDER_VIEWER_HELP);
        break;
    default:
        if (k >= SDLK_0 && k <= SDLK_9) {
            int a = (int)(k - SDLK_0);
            if (a < n_agents) v->ropt.ego_agent = v->ropt.ego_agent == a ? -1 : a;
            v->dirty = 1;
        }
        break;
    }
    return 0;
}

/* the keycode a scripted character stands for */
static SDL_Keycode script_key(char ch) {
    switch (ch) {
    case '+':
        return SDLK_PLUS;
    case '-':
        return SDLK_MINUS;
    default:
        return (SDL_Keycode)(unsigned char)ch;
    }
}

/* set and not empty */
static int have_env(const char *name) {
    const char *v = getenv(name);
    return v && *v;
}

/* no usable display: SDL fell back to a driver nobody can see, and nobody asked for it */
static int invisible_driver(void) {
    const char *drv = SDL_GetCurrentVideoDriver();
    if (have_env("SDL_VIDEODRIVER")) return 0;
    return drv && (strcmp(drv, "offscreen") == 0 || strcmp(drv, "dummy") == 0 ||
                   strcmp(drv, "evdev") == 0);
}

static int no_display(const RenderViewerOptions *o, const char *why, EnvError *err) {
    return env_fail(err, ENV_EIO,
                    "cannot open a window: %s; run it under xvfb-run for a virtual display%s%s",
                    why, o->hint ? ", or " : "", o->hint ? o->hint : "");
}

static int open_window(Viewer *v, EnvError *err) {
    v->src->scene(v->src->ctx, &v->scene, v->ropt.ego_agent);
    render_layout(&v->scene, &v->ropt, &v->lay);
    /* the largest integer scale that fits nine tenths of the screen */
    SDL_Rect b = {0, 0, 1024, 768};
    SDL_GetDisplayUsableBounds(0, &b);
    int s = (b.w * 9 / 10) / v->lay.w < (b.h * 9 / 10) / v->lay.h ? (b.w * 9 / 10) / v->lay.w
                                                                  : (b.h * 9 / 10) / v->lay.h;
    if (s < 1) s = 1;
    if (s > 6) s = 6;
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "0");
    v->win =
        SDL_CreateWindow(v->o->title ? v->o->title : "commons", SDL_WINDOWPOS_UNDEFINED,
                         SDL_WINDOWPOS_UNDEFINED, v->lay.w * s, v->lay.h * s, SDL_WINDOW_RESIZABLE);
    if (!v->win) return sdl_fail(err, "cannot open a window");
    v->ren = SDL_CreateRenderer(v->win, -1, 0);
    if (!v->ren) v->ren = SDL_CreateRenderer(v->win, -1, SDL_RENDERER_SOFTWARE);
    if (!v->ren) return sdl_fail(err, "cannot create a renderer");
    return 0;
}

int render_viewer_run(const RenderSource *src, const RenderViewerOptions *o, EnvError *err) {
    /* no display and no driver asked for: say so before SDL probes (and prints) anything */
    if (!have_env("DISPLAY") && !have_env("WAYLAND_DISPLAY") && !have_env("SDL_VIDEODRIVER"))
        return no_display(o, "no display (DISPLAY and WAYLAND_DISPLAY are not set)", err);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        char why[256];
        snprintf(why, sizeof why, "no display (SDL: %s)", SDL_GetError());
        return no_display(o, why, err);
    }
    if (invisible_driver()) {
        char why[128];
        snprintf(why, sizeof why, "no display (SDL found only its '%s' driver)",
                 SDL_GetCurrentVideoDriver());
        SDL_Quit();
        return no_display(o, why, err);
    }
    Viewer v = {.src = src, .o = o, .keys = o->keys};
    render_options_default(&v.ropt);
    v.ropt.cell = o->cell;
    for (v.speed_i = 0; v.speed_i < N_SPEEDS - 1 && SPEEDS[v.speed_i + 1] <= o->speed;
         v.speed_i++) {
    }
    int rc = open_window(&v, err);
    v.dirty = 1;
    restart_clock(&v);
    while (rc == 0 && !v.quit) {
        /* one scripted key per frame, through the event queue like a real one */
        if (v.keys && *v.keys) {
            SDL_Event ev;
            memset(&ev, 0, sizeof ev);
            ev.type = SDL_KEYDOWN;
            ev.key.state = SDL_PRESSED;
            ev.key.keysym.sym = script_key(*v.keys++);
            SDL_PushEvent(&ev);
        }
        SDL_Event ev;
        while (rc == 0 && !v.quit && SDL_PollEvent(&ev)) {
            if (ev.type == SDL_QUIT)
                v.quit = 1;
            else if (ev.type == SDL_KEYDOWN)
                rc = on_key(&v, ev.key.keysym.sym, err);
            else if (ev.type == SDL_WINDOWEVENT)
                v.dirty = 1;
        }
        if (rc || v.quit) break;
        /* the steps due at the current speed since the clock started */
        if (!v.paused && !v.ended) {
            double secs = (double)(SDL_GetPerformanceCounter() - v.t0) /
                          (double)SDL_GetPerformanceFrequency();
            long due = (long)(secs * SPEEDS[v.speed_i]) - v.steps_run;
            if (due > MAX_STEPS_PER_FRAME) {
                due = MAX_STEPS_PER_FRAME;
                restart_clock(&v); /* too slow to keep up: do not build a backlog */
            }
            for (long k = 0; k < due && !v.ended; k++, v.steps_run++) step_once(&v);
        }
        if (v.dirty)
            rc = present(&v, err);
        else
            SDL_Delay(5);
        /* exit_at_end: on to the next episode unpaused, or out when there is none */
        if (rc == 0 && v.ended && o->exit_at_end) {
            rc = reset(&v, 1, err);
            if (rc == 0 && v.ended) v.quit = 1;
            v.paused = 0;
        }
    }
    if (v.tex) SDL_DestroyTexture(v.tex);
    if (v.ren) SDL_DestroyRenderer(v.ren);
    if (v.win) SDL_DestroyWindow(v.win);
    free(v.frame);
    SDL_Quit();
    return rc;
}

#endif
