/* cmd_replay.c: `commons replay FILE`: plays a replay file back in the window, into a recording
 * (GIF, MP4, PNG frames), or just checks it.
 *
 * Contract: the recorded actions are applied to a world built from the recorded config and seed,
 * and the state hash is compared with the recorded one at tick 0, every SIM_REPLAY_HASH_EVERY
 * steps and at the end. Without a window, stdout is exactly what `commons run` printed when the
 * replay was recorded (table or --json), so the two can be compared byte for byte; notes go to
 * stderr. A replay that diverges exits 1 and says at which tick; a file that is not a valid
 * replay exits 2.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "commands.h"
#include "params.h"
#include "report.h"

static const char *REPLAY_HELP =
    "usage: commons replay FILE [options]\n"
    "\n"
    "Plays a replay written by 'commons run --replay-out FILE' and checks that it reproduces the\n"
    "recorded trajectory: the state hash at tick 0, every 100 steps and at the end. Without a\n"
    "window it prints what 'commons run' printed (metrics, returns, final state hash).\n"
    "\n"
    "  (no option)           play in a window\n"
    "  --record TARGET       write FILE.gif, FILE.mp4 or DIR/ (PNG frames) instead of a window\n"
    "  --check               no window and no recording: replay and check only\n"
    "  --episode N           only the N-th recorded episode (0 is the first)\n"
    "  --cell N, --fps N     frame look, as for 'commons run --record'\n"
    "  --speed N, --keys KEYS, --shots DIR   window options, as for 'commons watch'\n"
    "  --json                print the summary as JSON (with --record or --check)\n"
    "\n"
    "A file that is not a replay, is truncated or corrupted, or has another format version is\n"
    "refused (exit 2); a replay that does not reproduce its hashes exits 1.\n";

typedef struct Replay {
    const char *path;
    SimReplay rp;
    SimParams p;
    SimConfig sim;
    SimEpisode e; /* the recorded world, stepped with the recorded actions */
    SimReplayCursor cur;
    int first, last, ep_i; /* the episodes to play, and the current one */
    int diverged;
    uint8_t *obs; /* (n_agents, obs_size) for the window's egocentric view */
} Replay;

/* the policies of the recording, one per agent, separated by sep */
static void print_policies(const Replay *r, const char *sep, int quoted) {
    const char *q = r->rp.policies;
    for (int i = 0; *q; i++) {
        size_t len = strcspn(q, ",");
        printf("%s%s%.*s%s", i ? sep : "", quoted ? "\"" : "", (int)len, q, quoted ? "\"" : "");
        q += len + (q[len] == ',');
    }
}

/* the header `commons run` printed */
static void print_header(const Replay *r, int json) {
    const EnvParams *p = &r->p.env;
    if (json) {
        printf(
            "{\"env\": \"%s\", \"game\": \"%s\", \"map\": \"%s\", \"agents\": %d, \"steps\": %d, "
            "\"seed\": %llu, \"policies\": [",
            p->preset, env_game_name(p->game), r->sim.env.map.name, p->n_agents, p->max_steps,
            (unsigned long long)r->rp.seed);
        print_policies(r, ", ", 1);
        printf("],\n \"episodes\": [\n");
    } else {
        printf("env %s (game %s, map %s %dx%d), %d agents, %d steps, seed %llu\n", p->preset,
               env_game_name(p->game), r->sim.env.map.name, r->sim.env.map.h, r->sim.env.map.w,
               p->n_agents, p->max_steps, (unsigned long long)r->rp.seed);
        printf("policies: ");
        print_policies(r, " ", 0);
        printf("\n");
        cli_print_table_header();
    }
}

/* loads the file and builds the world it was recorded in; returns an exit code */
static int load(Replay *r, const char *path) {
    EnvError err;
    r->path = path;
    if (sim_replay_read(&r->rp, path, &err)) return cli_fail(&err);
    int rc = sim_replay_params(&r->rp, path, &r->p, &err);
    if (!rc) rc = sim_config_init(&r->sim, &r->p, &err);
    if (rc) {
        sim_replay_close(&r->rp);
        return cli_fail(&err);
    }
    if (sim_replay_check_config(&r->rp, path, &r->sim.env, &err) ||
        sim_episode_init(&r->e, &r->sim, NULL, r->rp.seed, r->rp.world_index, &err)) {
        sim_config_close(&r->sim);
        sim_replay_close(&r->rp);
        return cli_fail(&err);
    }
    return 0;
}

static void start_episode(Replay *r, int i) {
    sim_replay_cursor_start(&r->cur, &r->rp, i, &r->e);
}

static void unload(Replay *r) {
    sim_episode_close(&r->e);
    sim_config_close(&r->sim);
    sim_replay_close(&r->rp);
    free(r->obs);
}

/* reports a divergence of the current episode on stderr; returns 1 when there was one */
static int report_mismatch(Replay *r) {
    EnvError err;
    if (!sim_replay_cursor_mismatch(&r->cur, r->path, &err)) return 0;
    cli_print_error(err.msg);
    r->diverged = 1;
    return 1;
}

/* ---- without a window ---- */

/* draws the replayed world into the recording, which opens with the first frame (its scene fixes
 * the layout) */
static int replay_frame(Replay *r, CliFrames *f, int *open, const char *target, int cell, int fps,
                        EnvError *err) {
    RenderScene s;
    sim_episode_scene(&r->e, &s);
    if (!*open) {
        int rc = cli_frames_open(f, target, &s, cell, fps, err);
        if (rc) return rc;
        *open = 1;
    }
    return cli_frames_add(f, &s, err);
}

static int play_headless(Replay *r, const char *target, int cell, int fps, int json) {
    EnvError err;
    CliFrames frames;
    int has_frames = 0;
    print_header(r, json);
    int count = r->last - r->first + 1, rc = 0;
    EnvSocial mean = {0};
    uint64_t final_hash = 0;
    for (int i = r->first; i <= r->last && rc == 0; i++) {
        start_episode(r, i);
        if (target) rc = replay_frame(r, &frames, &has_frames, target, cell, fps, &err);
        int done = r->cur.ep->steps == 0;
        while (!done && rc == 0) {
            done = sim_replay_cursor_step(&r->cur);
            if (target) rc = replay_frame(r, &frames, &has_frames, target, cell, fps, &err);
        }
        if (rc) break;
        report_mismatch(r);
        SimResult ep;
        sim_episode_result(&r->e, &ep);
        cli_mean_add(&mean, &ep.social, count);
        final_hash = ep.hash;
        cli_print_episode(&ep, r->p.env.n_agents, r->p.env.game == ENV_GAME_OCEAN, json,
                          i == r->last);
    }
    if (rc) {
        if (has_frames) cli_frames_abort(&frames);
        return cli_fail(&err);
    }
    cli_print_mean(&mean, final_hash, json);
    fflush(stdout);
    if (has_frames) {
        long n_frames = frames.rec.frames;
        int fw = frames.lay.w, fh = frames.lay.h;
        if (cli_frames_close(&frames, &err)) return cli_fail(&err);
        fprintf(stderr, "recorded %ld frames of %dx%d pixels to %s\n", n_frames, fw, fh, target);
    }
    if (r->diverged) return 1;
    fprintf(stderr, "replay %s: %d episode%s, every recorded state hash matched\n", r->path, count,
            count == 1 ? "" : "s");
    return 0;
}

/* ---- in the window ---- */

static int replay_reset(void *ctx, int next, EnvError *err) {
    (void)err;
    Replay *r = ctx;
    if (next) {
        if (r->ep_i >= r->last) return 1;
        r->ep_i++;
    }
    start_episode(r, r->ep_i);
    printf("%s: episode %llu\n", next ? "next" : "restart", (unsigned long long)r->cur.ep->episode);
    fflush(stdout);
    return 0;
}

static int replay_step(void *ctx) {
    Replay *r = ctx;
    if (r->e.t >= r->cur.ep->steps) return 1;
    int done = sim_replay_cursor_step(&r->cur);
    if (done) {
        int bad = report_mismatch(r);
        printf("episode %llu ended at tick %d: state hash %016llx (%s)\n",
               (unsigned long long)r->cur.ep->episode, r->e.t,
               (unsigned long long)env_state_hash(&r->e.world),
               bad ? "DIVERGED from the recording" : "matches the recording");
        fflush(stdout);
    }
    return done;
}

static void replay_scene(void *ctx, RenderScene *s, int ego) {
    Replay *r = ctx;
    sim_episode_scene(&r->e, s);
    if (ego >= 0 && r->obs) {
        env_observe(&r->e.world, r->obs);
        s->ego_obs = r->obs + (size_t)ego * r->sim.env.spec.obs_size;
    }
}

static void replay_name(void *ctx, char *buf, size_t n) {
    Replay *r = ctx;
    snprintf(buf, n, "replay-%s-s%llu-e%llu-t%06d", r->p.env.preset, (unsigned long long)r->rp.seed,
             (unsigned long long)r->cur.ep->episode, r->e.world.tick);
}

static void replay_shot(void *ctx, const char *path) {
    Replay *r = ctx;
    printf("screenshot %s (episode %llu, tick %d, state hash %016llx)\n", path,
           (unsigned long long)r->cur.ep->episode, r->e.world.tick,
           (unsigned long long)env_state_hash(&r->e.world));
    fflush(stdout);
}

static void replay_help(void *ctx, const char *text) {
    (void)ctx;
    fputs(text, stdout);
    fflush(stdout);
}

static int play_window(Replay *r, RenderViewerOptions *vo) {
    EnvError err;
    r->obs = malloc((size_t)r->p.env.n_agents * r->sim.env.spec.obs_size);
    if (!r->obs) {
        fprintf(stderr, "commons: out of memory\n");
        return 1;
    }
    r->ep_i = r->first;
    start_episode(r, r->ep_i);
    RenderSource src = {.ctx = r,
                        .reset = replay_reset,
                        .step = replay_step,
                        .scene = replay_scene,
                        .name = replay_name,
                        .on_screenshot = replay_shot,
                        .on_help = replay_help};
    if (render_viewer_run(&src, vo, &err)) return cli_fail(&err);
    return r->diverged ? 1 : 0;
}

int cli_cmd_replay(int argc, char **argv) {
    /* FILE comes first; --check is a flag of this command alone */
    const char *path = NULL;
    int check = 0, help = 0, n = 0;
    char **rest = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!rest) return 1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else if (i == 0 && strncmp(argv[i], "--", 2) != 0 && strcmp(argv[i], "-h") != 0)
            path = argv[i];
        else
            rest[n++] = argv[i];
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) help = 1;
    }
    Options o = {.seed = 1};
    int rc = cli_parse_options(n, rest, &o,
                               " --record --episode --cell --fps --speed --keys --shots --json ");
    free(rest);
    if (rc) return rc;
    if (help || o.help) {
        fputs(REPLAY_HELP, stdout);
        return 0;
    }
    if (!path)
        return cli_input_error("replay: give the replay file first: commons replay FILE "
                               "[options]; see --help");
    const char *target = cli_extra(&o, "--record");
    if (check && target)
        return cli_input_error("--check and --record: choose one (--record also checks)");
    int windowed = !check && !target, cell = CLI_DEFAULT_CELL, fps = CLI_DEFAULT_FPS;
    RenderViewerOptions vo;
    if (windowed) {
        if (cli_extra(&o, "--fps"))
            return cli_input_error("--fps sets a recording's frame rate; in the window use "
                                   "--speed");
        if (o.json) return cli_input_error("--json needs --check or --record");
        if ((rc = cli_viewer_options(&o, &vo))) return rc;
    } else if ((rc = cli_parse_record_options(&o, target, &cell, &fps))) {
        return rc;
    } else if (cli_extra(&o, "--speed") || cli_extra(&o, "--keys") || cli_extra(&o, "--shots")) {
        return cli_input_error("--speed, --keys and --shots are window options; drop --check "
                               "and --record to open the window");
    }
    Replay *r = calloc(1, sizeof *r);
    if (!r) return 1;
    if ((rc = load(r, path))) {
        free(r);
        return rc;
    }
    r->first = 0;
    r->last = r->rp.n_episodes - 1;
    const char *ep_s = cli_extra(&o, "--episode");
    if (r->rp.n_episodes == 0) {
        rc = cli_input_error("%s: the replay holds no episode", path);
    } else if (ep_s) {
        long long e;
        char opt[64];
        snprintf(opt, sizeof opt, "--episode (the replay holds %d)", r->rp.n_episodes);
        if ((rc = cli_parse_count(opt, ep_s, 0, r->rp.n_episodes - 1, &e)) == 0)
            r->first = r->last = (int)e;
    }
    if (rc == 0 && windowed) {
        char hint[1400];
        snprintf(hint, sizeof hint,
                 "record instead: 'commons replay %s --record out.gif' (or out.mp4, or DIR/ for "
                 "PNG frames)",
                 path);
        vo.title = "commons replay";
        vo.hint = hint;
        rc = play_window(r, &vo);
    } else if (rc == 0) {
        rc = play_headless(r, target, cell, fps, o.json);
    }
    unload(r);
    free(r);
    return rc;
}
