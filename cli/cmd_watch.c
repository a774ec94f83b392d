/* cmd_watch.c: `commons watch`: a live episode with scripted policies in the SDL2 window.
 *
 * The episode is the one `commons run` runs with the same options (the same stepper steps it):
 * pausing, stepping and changing speed only change when steps are taken, never which. Episode
 * ends, restarts and screenshots are reported on stdout with the tick and the state hash.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "commands.h"
#include "viewer.h"

static const char *WATCH_HELP =
    "usage: commons watch [options]\n"
    "\n"
    "Opens a window and plays episodes live with scripted policies. Episode ends, restarts and\n"
    "screenshots are reported with the tick and the state hash. Without a display, record\n"
    "instead: 'commons run --record out.gif' (or out.mp4, or DIR/ for PNG frames).\n"
    "\n"
    "  --env, --agents, --steps, --seed, --config, --set   as for 'commons run'\n"
    "  --policy P[,P...]     random, greedy, coop, gallego (Gallego 2026's Cleanup policy),\n"
    "                        or a trained policy (a run directory given with a '/', or a\n"
    "                        .ckpt file): one for all agents, or one per agent (default greedy)\n"
    "  --cell N              pixels per map cell before the window's integer scaling\n"
    "                        (default 8; 4..64)\n"
    "  --speed N             steps per second at the start (default 10; 1..1000)\n"
    "  --keys KEYS           keys pressed at the start, one per frame, as if typed: e.g.\n"
    "                        ' ...s' pauses, takes three steps and saves a screenshot\n"
    "  --shots DIR           folder for screenshots (default: the current folder)\n"
    "  --episodes N          play N episodes one after the other without pausing, then close\n"
    "                        the window and exit (default: pause at each end until you quit)\n"
    "\n";

/* the live episode the window shows */
typedef struct Watch {
    const SimConfig *sim;
    const EnvConfig *cfg; /* &sim->env */
    SimPolicies pols;     /* scripted kinds and trained checkpoints */
    SimEpisode r;
    int runner_open;
    uint64_t seed, episode;
    long long episodes; /* episodes to play before the window closes, or 0 for no limit */
    uint8_t *obs;       /* (n_agents, obs_size) observations, when an agent's view is shown */
} Watch;

static void report_episode(Watch *w) {
    SimResult ep;
    sim_episode_result(&w->r, &ep);
    printf("episode %llu (seed %llu) ended at tick %d: efficiency %.3f, equality %.3f, "
           "sustainability %.1f, peace %.3f; returns",
           (unsigned long long)w->episode, (unsigned long long)w->seed, ep.steps,
           ep.social.efficiency, ep.social.equality, ep.social.sustainability, ep.social.peace);
    for (int i = 0; i < w->cfg->p.n_agents; i++) printf(" %lld", (long long)ep.ret[i]);
    printf("; state hash %016llx\n", (unsigned long long)ep.hash);
    fflush(stdout);
}

static int watch_reset(void *ctx, int next, EnvError *err) {
    Watch *w = ctx;
    if (next) {
        if (w->episodes > 0 && (long long)w->episode + 1 >= w->episodes) return 1;
        w->episode++;
    } else {
        /* a restart with a new seed: the next seed, so that it can be run again by number */
        w->seed++;
        w->episode = 0;
        sim_episode_close(&w->r);
        w->runner_open = 0;
        int rc = sim_episode_init(&w->r, w->sim, w->pols.kind, w->seed, 0, err);
        if (rc) return rc;
        w->runner_open = 1;
        if (cli_policies_attach(&w->pols, &w->r))
            return env_fail(err, ENV_EIO, "cannot give the agents their trained policies again");
    }
    sim_episode_start(&w->r, w->episode, 0);
    printf("%s: seed %llu, episode %llu\n", next ? "next episode" : "restart",
           (unsigned long long)w->seed, (unsigned long long)w->episode);
    fflush(stdout);
    return 0;
}

static int watch_step(void *ctx) {
    Watch *w = ctx;
    int done = sim_episode_step(&w->r, NULL, NULL);
    if (done) report_episode(w);
    return done;
}

static void watch_scene(void *ctx, RenderScene *s, int ego) {
    Watch *w = ctx;
    sim_episode_scene(&w->r, s);
    if (ego >= 0 && w->obs) {
        env_observe(&w->r.world, w->obs);
        s->ego_obs = w->obs + (size_t)ego * w->cfg->spec.obs_size;
    }
}

static void watch_name(void *ctx, char *buf, size_t n) {
    Watch *w = ctx;
    snprintf(buf, n, "%s-s%llu-e%llu-t%06d", w->cfg->p.preset, (unsigned long long)w->seed,
             (unsigned long long)w->episode, w->r.world.tick);
}

static void watch_shot(void *ctx, const char *path) {
    Watch *w = ctx;
    printf("screenshot %s (seed %llu, episode %llu, tick %d, state hash %016llx)\n", path,
           (unsigned long long)w->seed, (unsigned long long)w->episode, w->r.world.tick,
           (unsigned long long)env_state_hash(&w->r.world));
    fflush(stdout);
}

static void watch_help(void *ctx, const char *text) {
    (void)ctx;
    fputs(text, stdout);
    fflush(stdout);
}

int cli_cmd_watch(int argc, char **argv) {
    Options o = {.env = "harvest", .policy = "greedy", .episodes = 0, .seed = 1};
    int rc = cli_parse_options(argc, argv, &o,
                               " --env --agents --steps --seed --policy --config --set --cell "
                               "--speed --keys --shots --episodes ");
    if (rc) return rc;
    if (o.help) {
        fputs(WATCH_HELP, stdout);
        fputs(RENDER_VIEWER_HELP, stdout);
        return 0;
    }
    RenderViewerOptions vo;
    if ((rc = cli_viewer_options(&o, &vo))) return rc;
    char hint[512];
    snprintf(hint, sizeof hint,
             "record instead: 'commons run --env %s --record out.gif' (or out.mp4, or DIR/ for "
             "PNG frames)",
             o.env);
    vo.title = "commons watch";
    vo.exit_at_end = o.episodes > 0;
    vo.hint = hint;
    EnvError err;
    if (!render_viewer_available()) {
        render_viewer_run(NULL, &vo, &err);
        return cli_fail(&err);
    }
    SimParams sp;
    if ((rc = cli_world_params(&o, &sp))) return rc;
    const EnvParams p = sp.env;
    Watch *w = calloc(1, sizeof *w);
    if (!w) return 1;
    w->seed = (uint64_t)o.seed;
    w->episodes = o.episodes;
    if ((rc = cli_policies_parse(o.policy, p.n_agents, &w->pols))) {
        free(w);
        return rc;
    }
    SimConfig sim;
    rc = 1;
    if (sim_config_init(&sim, &sp, &err)) {
        rc = cli_fail(&err);
        goto done_pols;
    }
    w->sim = &sim;
    w->cfg = &sim.env;
    w->obs = malloc((size_t)p.n_agents * sim.env.spec.obs_size);
    if (!w->obs) {
        fprintf(stderr, "commons: out of memory for observations\n");
        goto done_cfg;
    }
    if (sim_episode_init(&w->r, &sim, w->pols.kind, w->seed, 0, &err)) {
        rc = cli_fail(&err);
        goto done_cfg;
    }
    w->runner_open = 1;
    if ((rc = cli_policies_attach(&w->pols, &w->r))) goto done_runner;
    sim_episode_start(&w->r, 0, 0);
    RenderSource src = {.ctx = w,
                        .reset = watch_reset,
                        .step = watch_step,
                        .scene = watch_scene,
                        .name = watch_name,
                        .on_screenshot = watch_shot,
                        .on_help = watch_help};
    rc = render_viewer_run(&src, &vo, &err) ? cli_fail(&err) : 0;
    if (rc == 0)
        printf("quit at seed %llu, episode %llu, tick %d, state hash %016llx\n",
               (unsigned long long)w->seed, (unsigned long long)w->episode, w->r.world.tick,
               (unsigned long long)env_state_hash(&w->r.world));
done_runner:
    if (w->runner_open) sim_episode_close(&w->r);
done_cfg:
    free(w->obs);
    sim_config_close(&sim);
done_pols:
    sim_policies_close(&w->pols);
    free(w);
    return rc;
}
