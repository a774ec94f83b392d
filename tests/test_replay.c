/* test_replay.c: recording never changes a run, and replays reproduce it exactly.
 *
 * `commons run` prints the same bytes with and without --record and --replay-out; `commons
 * replay --check` prints exactly what the run printed (table and JSON, Cleanup, Harvest with
 * random policies, the ocean with signals, several episodes, trained policies); replaying into
 * a GIF gives the run's GIF byte for byte; files round-trip through encode/decode; truncated,
 * corrupted, wrong-version and foreign files are refused (exit 2); a replay that does not
 * reproduce its hashes exits 1 and says where; bad recording options exit 2 with the fix; a
 * missing ffmpeg is said before anything runs.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"

static char out[1 << 17];
static char dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/commons_replay_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* runs `commons ARGS` (stdout only, or with stderr); returns the exit code */
static int commons_out(const char *args, int with_stderr, char *buf, size_t n) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s%s", dir, COMMONS_BIN, args,
             with_stderr ? "" : " 2>/dev/null");
    if (with_stderr) return th_run(cmd, buf, n);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t len = fread(buf, 1, n - 1, f);
    buf[len] = 0;
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_ok(const char *args, char *buf, size_t n) {
    int rc = commons_out(args, 0, buf, n);
    if (rc != 0) {
        commons_out(args, 1, buf, n);
        fail_msg("commons %s: exit code %d, expected 0; output:\n%s", args, rc, buf);
    }
}

/* runs commons ARGS, expects exit code `code` and every needle of a NULL-ended list */
static void expect_fail(int code, const char *args, const char *const *needles) {
    int rc = commons_out(args, 1, out, sizeof out);
    if (rc != code)
        fail_msg("commons %s: exit code %d, expected %d; output:\n%s", args, rc, code, out);
    for (int i = 0; needles[i]; i++)
        if (!strstr(out, needles[i]))
            fail_msg("commons %s: expected \"%s\" in the output:\n%s", args, needles[i], out);
}
#define EXPECT_FAIL(code, args, ...)                                                               \
    expect_fail(code, args, (const char *const[]){__VA_ARGS__, NULL})

static void expect_same(const char *what, const char *a, const char *b) {
    if (strcmp(a, b) != 0) fail_msg("%s differ:\n--- first\n%s\n--- second\n%s", what, a, b);
}

static long file_size(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* no temporary file left anywhere in the folder */
static void expect_no_temp(void) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp-")) fail_msg("temporary file left: %s", e->d_name);
    closedir(d);
}

/* the runs whose replays are checked: presets, policies, episodes, overrides */
static const char *RUNS[] = {
    "--env cleanup --policy coop --steps 150 --seed 3",
    "--env harvest --policy random --steps 120 --seed 5 --episodes 2",
    "--env cleanup-gallego --policy greedy,coop,random,coop,greedy --steps 101 --episodes 3",
    "--env ocean-small --policy coop --steps 200 --seed 2",
    "--env ocean --policy greedy --steps 90 --set comm.topology=radius",
    "--env gathering-small --policy greedy --steps 80 --set env.agents=2 --json",
};

/* recording and replay files change nothing a run prints; the replay prints it again */
static void test_record_and_replay_reproduce(void **state) {
    (void)state;
    static char plain[1 << 16], recorded[1 << 16], replayed[1 << 16];
    for (size_t k = 0; k < sizeof RUNS / sizeof RUNS[0]; k++) {
        char args[512];
        snprintf(args, sizeof args, "run %s", RUNS[k]);
        expect_ok(args, plain, sizeof plain);
        assert_true(strstr(plain, "final") != NULL);
        snprintf(args, sizeof args, "run %s --record r%zu.gif --cell 4 --replay-out r%zu.replay",
                 RUNS[k], k, k);
        expect_ok(args, recorded, sizeof recorded);
        expect_same("run output with and without recording", plain, recorded);
        assert_true(file_size("r0.gif") > 0);
        int json = strstr(RUNS[k], "--json") != NULL;
        snprintf(args, sizeof args, "replay r%zu.replay --check%s", k, json ? " --json" : "");
        expect_ok(args, replayed, sizeof replayed);
        expect_same("run and replay output", plain, replayed);
        int rc = commons_out(args, 1, out, sizeof out);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, "every recorded state hash matched"));
    }
    expect_no_temp();
}

/* a replay into a GIF draws what the run drew: the same file, byte for byte */
static void test_replay_gif_matches_run_gif(void **state) {
    (void)state;
    expect_ok("run --env cleanup --policy coop --steps 60 --episodes 2 --record run.gif "
              "--fps 20 --replay-out g.replay",
              out, sizeof out);
    expect_ok("replay g.replay --record replay.gif --fps 20", out, sizeof out);
    char cmd[256], buf[256];
    snprintf(cmd, sizeof cmd, "cmp '%s/run.gif' '%s/replay.gif'", dir, dir);
    assert_int_equal(th_run(cmd, buf, sizeof buf), 0);
    /* the ocean, with its comm layers drawn from the recorded signals */
    expect_ok("run --env ocean-small --policy coop --steps 40 --record o1.gif --replay-out "
              "o.replay",
              out, sizeof out);
    expect_ok("replay o.replay --record o2.gif", out, sizeof out);
    snprintf(cmd, sizeof cmd, "cmp '%s/o1.gif' '%s/o2.gif'", dir, dir);
    assert_int_equal(th_run(cmd, buf, sizeof buf), 0);
    /* one episode of several */
    static char all[1 << 16];
    expect_ok("run --env cleanup --policy coop --steps 60 --episodes 2 --json", all, sizeof all);
    expect_ok("replay g.replay --check --episode 1 --json", out, sizeof out);
    const char *h1 = strstr(strstr(all, "\"episode\": 1"), "\"hash\"");
    assert_non_null(h1);
    assert_non_null(strstr(out, "\"episode\": 1"));
    assert_null(strstr(out, "\"episode\": 0"));
    assert_memory_equal(strstr(out, "\"hash\""), h1, 28);
}

/* the library round trip keeps every field, out-of-range actions and signals included */
static void test_encode_decode(void **state) {
    (void)state;
    SimParams p;
    SimConfig sim;
    EnvWorld w;
    EnvError err;
    th_sim_params(&p, "ocean-small", "env.max_steps=30", (const char *)NULL);
    assert_int_equal(sim_config_init(&sim, &p, &err), 0);
    const EnvConfig *cfg = &sim.env;
    assert_int_equal(env_world_init(&w, cfg, 11, 4, &err), 0);
    SimReplay rp, back;
    assert_int_equal(sim_replay_init(&rp, &sim, 11, 4, "coop,greedy", &err), 0);
    for (int e = 0; e < 2; e++) {
        env_reset(&w, (uint64_t)e + 7);
        assert_int_equal(sim_replay_begin(&rp, (uint64_t)e + 7, &w, &err), 0);
        for (int t = 0; t < 30 - e; t++) {
            int32_t act[2] = {t % 5, t % 3 == 0 ? 99 : (t % 2 == 0 ? -4 : t % 5)};
            uint8_t bits[2] = {(uint8_t)(t & 1), (uint8_t)((t >> 1) & 1)};
            env_step(&w, act, NULL);
            assert_int_equal(sim_replay_step(&rp, act, bits, &w, &err), 0);
        }
        assert_int_equal(sim_replay_end(&rp, &w, &err), 0);
    }
    uint8_t *data;
    size_t n;
    assert_int_equal(sim_replay_encode(&rp, &data, &n, &err), 0);
    assert_int_equal(sim_replay_decode(&back, data, n, "mem", &err), 0);
    assert_int_equal(back.seed, 11);
    assert_int_equal(back.world_index, 4);
    assert_int_equal(back.n_agents, 2);
    assert_int_equal(back.signal_bits, 1);
    assert_string_equal(back.policies, "coop,greedy");
    assert_string_equal(back.ini, rp.ini);
    assert_string_equal(back.preset, "ocean-small");
    assert_int_equal(back.map_hash, sim_replay_map_hash(cfg));
    assert_int_equal(back.n_episodes, 2);
    for (int e = 0; e < 2; e++) {
        assert_int_equal(back.ep[e].episode, rp.ep[e].episode);
        assert_int_equal(back.ep[e].steps, 30 - e);
        assert_int_equal(back.ep[e].n_hashes, 2);
        assert_memory_equal(back.ep[e].hashes, rp.ep[e].hashes, 2 * sizeof(uint64_t));
        assert_memory_equal(back.ep[e].actions, rp.ep[e].actions, (size_t)(30 - e) * 2);
        assert_memory_equal(back.ep[e].signals, rp.ep[e].signals, (size_t)(30 - e) * 2);
    }
    /* an out-of-range action is kept as "out of range" */
    assert_int_equal(back.ep[0].actions[1], SIM_REPLAY_BAD_ACTION);
    assert_int_equal(back.ep[0].actions[2 * 2 + 1], SIM_REPLAY_BAD_ACTION);
    /* it replays to the recorded hashes, bad actions included */
    SimParams p2;
    assert_int_equal(sim_replay_params(&back, "mem", &p2, &err), 0);
    SimReplayCursor c;
    SimEpisode played;
    assert_int_equal(sim_episode_init(&played, &sim, NULL, back.seed, back.world_index, &err), 0);
    for (int e = 0; e < 2; e++) {
        sim_replay_cursor_start(&c, &back, e, &played);
        while (!sim_replay_cursor_step(&c)) {
        }
        assert_int_equal(sim_replay_cursor_mismatch(&c, "mem", &err), 0);
        assert_int_equal(env_state_hash(&played.world), rp.ep[e].hashes[1]);
    }
    sim_episode_close(&played);
    /* every single-byte change is caught by the checksum or a check */
    for (size_t i = 0; i < n; i += 7) {
        data[i] ^= 0x10;
        SimReplay bad;
        assert_int_equal(sim_replay_decode(&bad, data, n, "mem", &err), ENV_EINPUT);
        data[i] ^= 0x10;
    }
    /* every truncation too */
    for (size_t len = 0; len < n; len += 5) {
        SimReplay bad;
        assert_int_equal(sim_replay_decode(&bad, data, len, "mem", &err), ENV_EINPUT);
    }
    free(data);
    sim_replay_close(&rp);
    sim_replay_close(&back);
    env_world_close(&w);
    sim_config_close(&sim);
}

/* reads a file from the test folder */
static uint8_t *slurp(const char *name, size_t *n) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *data = malloc(1 << 20);
    *n = fread(data, 1, 1 << 20, f);
    fclose(f);
    return data;
}

static void spit(const char *name, const uint8_t *data, size_t n) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* truncated, corrupted, wrong-version and foreign files are refused with exit 2 */
static void test_bad_files(void **state) {
    (void)state;
    expect_ok("run --env cleanup --policy coop --steps 50 --replay-out good.replay", out,
              sizeof out);
    size_t n;
    uint8_t *data = slurp("good.replay", &n);
    assert_true(n > 100);
    spit("truncated.replay", data, n / 2);
    data[n / 2] ^= 1;
    spit("corrupted.replay", data, n);
    data[n / 2] ^= 1;
    uint8_t *longer = malloc(n + 3);
    memcpy(longer, data, n);
    memcpy(longer + n, "abc", 3);
    spit("trailing.replay", longer, n + 3);
    free(longer);
    data[8] = 2; /* version 2 */
    spit("v2.replay", data, n);
    data[8] = 1;
    spit("empty.replay", data, 0);
    spit("foreign.replay", (const uint8_t *)"GIF89a and more bytes than a header", 35);
    EXPECT_FAIL(2, "replay truncated.replay --check", "truncated.replay: truncated replay",
                "the header announces");
    EXPECT_FAIL(2, "replay corrupted.replay --check", "corrupted.replay: corrupted replay",
                "checksum does not match");
    EXPECT_FAIL(2, "replay trailing.replay --check", "trailing.replay: corrupted replay",
                "3 more than the header announces");
    EXPECT_FAIL(2, "replay v2.replay --check", "v2.replay: replay format version 2",
                "this commons reads version 1");
    EXPECT_FAIL(2, "replay empty.replay --check", "empty.replay: not a commons replay",
                "commons run --replay-out FILE");
    EXPECT_FAIL(2, "replay foreign.replay --check", "foreign.replay: not a commons replay");
    EXPECT_FAIL(2, "replay missing.replay --check", "missing.replay: cannot open the replay");
    /* the window path refuses them the same way, before opening anything */
    EXPECT_FAIL(2, "replay corrupted.replay", "checksum does not match");
    free(data);
}

/* a replay that does not reproduce its hashes exits 1 and says where */
static void test_divergence(void **state) {
    (void)state;
    expect_ok("run --env cleanup --policy coop --steps 250 --replay-out d.replay", out, sizeof out);
    char path[256];
    snprintf(path, sizeof path, "%s/d.replay", dir);
    EnvError err;
    SimReplay rp;
    assert_int_equal(sim_replay_read(&rp, path, &err), 0);
    assert_int_equal(rp.ep[0].n_hashes, 4); /* ticks 0, 100, 200, 250 */
    /* a changed action at step 130: the hash at tick 200 differs, tick 100 still matched */
    uint8_t *a = &rp.ep[0].actions[130 * rp.n_agents + 2];
    *a = (uint8_t)(*a == ENV_ACT_STAY ? ENV_ACT_TURN_L : ENV_ACT_STAY);
    assert_int_equal(sim_replay_write(&rp, path, &err), 0);
    EXPECT_FAIL(1, "replay d.replay --check", "the replay diverged in episode 0: at tick 200",
                "tick 100 matched", "different build");
    /* the output still ends with the state reached, for the record */
    assert_non_null(strstr(out, "final state hash"));
    sim_replay_close(&rp);
    /* a recorded map that is not the map any more */
    const char *map = th_write_temp("@@@@@@@\n@P A  @\n@HRS  @\n@@@@@@@\n", ".txt");
    char args[512];
    snprintf(args, sizeof args,
             "run --env cleanup --agents 1 --steps 20 --set env.map=%s --replay-out m.replay", map);
    expect_ok(args, out, sizeof out);
    FILE *f = fopen(map, "w");
    fputs("@@@@@@@\n@P AA @\n@HRS  @\n@@@@@@@\n", f);
    fclose(f);
    EXPECT_FAIL(2, "replay m.replay --check", "is not the map the replay was recorded on",
                "restore that map file");
}

/* trained policies (a tiny PPO run) are recorded and replayed like scripted ones */
static void test_trained_policies(void **state) {
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/tiny.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[env]\npreset = harvest\nmax_steps = 40\n[obs]\nencoding = ids\n[train]\nsteps = "
          "384\nworlds = 4\nrollout = 16\nshards = 2\ncheckpoint_every = 4\n[ppo]\nminibatches "
          "= 2\nepochs = 2\n[net]\nhidden = 16\n",
          f);
    fclose(f);
    expect_ok("train tiny.ini --out tiny", out, sizeof out);
    static char plain[1 << 14], recorded[1 << 14], replayed[1 << 14];
    const char *args = "run --config tiny/world.ini --policy tiny/,greedy,tiny/,coop,random "
                       "--episodes 2";
    expect_ok(args, plain, sizeof plain);
    assert_non_null(strstr(plain, "policies: tiny/ greedy tiny/ coop random"));
    char more[512];
    snprintf(more, sizeof more, "%s --record t.gif --replay-out t.replay", args);
    expect_ok(more, recorded, sizeof recorded);
    expect_same("run output with and without recording", plain, recorded);
    /* the replay needs no checkpoint: the actions are in the file */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/tiny'", dir);
    assert_int_equal(system(cmd), 0);
    expect_ok("replay t.replay --check", replayed, sizeof replayed);
    expect_same("run and replay output", plain, replayed);
}

/* bad recording options exit 2 with the fix; a missing ffmpeg exits 1 before anything runs */
static void test_option_errors(void **state) {
    (void)state;
    EXPECT_FAIL(2, "run --record out.avi", "'out.avi' is not a recording target",
                "FILE.gif, FILE.mp4, or DIR/");
    EXPECT_FAIL(2, "run --record /nonexistent/x/out.gif", "folder '/nonexistent/x' does not exist");
    EXPECT_FAIL(2, "run --record out.gif --fps 0", "--fps: 0 is out of range; allowed 1..50");
    EXPECT_FAIL(2, "run --record out.gif --fps 60", "more than a GIF can show", "MP4");
    EXPECT_FAIL(2, "run --record out.gif --cell 3", "--cell: 3 is out of range; allowed 4..64");
    EXPECT_FAIL(2, "run --cell 8", "--cell sets how a recording looks", "--record");
    EXPECT_FAIL(2, "run --fps 8", "--fps sets how a recording looks");
    EXPECT_FAIL(2, "run --replay-out /nonexistent/x/r.replay",
                "folder '/nonexistent/x' does not exist");
    EXPECT_FAIL(2, "run --replay-out .", "that is a folder; give a file name");
    EXPECT_FAIL(2, "replay", "give the replay file first");
    EXPECT_FAIL(2, "replay --check", "give the replay file first");
    expect_ok("run --env cleanup --steps 5 --replay-out o.replay", out, sizeof out);
    EXPECT_FAIL(2, "replay o.replay --check --record x.gif", "choose one");
    EXPECT_FAIL(2, "replay o.replay --check --episode 1", "--episode (the replay holds 1)",
                "allowed 0..0");
    EXPECT_FAIL(2, "replay o.replay --check --keys abc", "window options");
    EXPECT_FAIL(2, "replay o.replay --fps 5", "in the window use --speed");
    EXPECT_FAIL(2, "replay o.replay --bogus 1", "unknown option '--bogus'");
    assert_int_equal(commons_out("replay --help", 0, out, sizeof out), 0);
    assert_non_null(strstr(out, "usage: commons replay FILE"));
    assert_int_equal(commons_out("run --help", 0, out, sizeof out), 0);
    assert_non_null(strstr(out, "--replay-out FILE"));
    /* no ffmpeg: said before the run, nothing written */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && PATH=/nonexistent '%s' run --steps 5 --record w.mp4 --replay-out w.replay",
             dir, COMMONS_BIN);
    assert_int_equal(th_run(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "recording MP4 needs ffmpeg, which is not on PATH"));
    assert_non_null(strstr(out, "apt-get install ffmpeg"));
    assert_non_null(strstr(out, "FILE.gif"));
    assert_null(strstr(out, "final state hash"));
    assert_int_equal(file_size("w.mp4"), -1);
    assert_int_equal(file_size("w.replay"), -1);
    /* with ffmpeg, the same command makes the video */
    snprintf(cmd, sizeof cmd, "command -v ffmpeg >/dev/null");
    if (th_run(cmd, out, sizeof out) == 0) {
        expect_ok("run --steps 5 --record v.mp4", out, sizeof out);
        assert_true(file_size("v.mp4") > 0);
    } else {
        printf("ffmpeg is not on PATH: the MP4 recording itself was not tried\n");
    }
    expect_no_temp();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_replay_reproduce),
        cmocka_unit_test(test_replay_gif_matches_run_gif),
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_divergence),
        cmocka_unit_test(test_trained_policies),
        cmocka_unit_test(test_option_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
