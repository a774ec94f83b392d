/* test_viewer.c: the SDL2 window, for real, under xvfb-run.
 *
 * `commons watch` driven by scripted keys pauses, steps, screenshots, restarts with a new seed
 * and shows an agent's view; the screenshot (read back from the window) is the recorded frame of
 * the same tick scaled by an integer factor, pixel for pixel, and the reported state hash is the
 * one `commons run` reaches. `commons replay` plays in the window the same way. Without a
 * display the tool says so and points to recording. In a build without SDL2 the command says
 * that instead, and the window tests are skipped; they are also skipped, with a message, when
 * xvfb-run is missing.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>

#include "viewer.h"

static char out[1 << 16];
static char dir[64];

/* a 24-bit virtual screen. Under AddressSanitizer the windowed process runs without the leak
 * check: X11, dbus and the display modules SDL loads (and unloads before the check) keep memory
 * at exit that is not ours; memory errors are still checked, and leak checks stay on for every
 * other test, the headless paths of the viewer's callers included. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_LEAK_CHECK "ASAN_OPTIONS=detect_leaks=0 "
#else
#define NO_LEAK_CHECK ""
#endif
#define XVFB NO_LEAK_CHECK "XDG_RUNTIME_DIR=/tmp xvfb-run -a -s '-screen 0 1280x1024x24' "

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/commons_viewer_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* runs a shell command in the test folder with `commons` as $C; returns the exit code */
static int sh(const char *fmt, const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && C='%s' && %s%s", dir, COMMONS_BIN, fmt, args);
    return th_run(cmd, out, sizeof out);
}

static void expect_in(const char *needle) {
    if (!strstr(out, needle)) fail_msg("expected \"%s\" in the output:\n%s", needle, out);
}

static int have_xvfb(void) {
    if (sh("command -v xvfb-run >/dev/null", "") == 0) return 1;
    printf("skipped: xvfb-run is missing (apt-get install xvfb); the window was not tested\n");
    return 0;
}

/* the value after `key` in the output, e.g. the hex of "state hash " */
static void value_after(const char *text, const char *key, char *buf, size_t n) {
    const char *p = strstr(text, key);
    if (!p) fail_msg("no \"%s\" in:\n%s", key, text);
    p += strlen(key);
    size_t len = strcspn(p, " ,)\n");
    snprintf(buf, n, "%.*s", (int)len, p);
}

typedef struct Image {
    int w, h;
    uint8_t *rgb;
} Image;

static Image load(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    Image im = {0};
    int c;
    im.rgb = stbi_load(path, &im.w, &im.h, &c, 3);
    if (!im.rgb) fail_msg("cannot load %s", path);
    return im;
}

/* the screenshot is the frame scaled by an integer factor; returns the factor */
static int expect_scaled(Image shot, Image frame) {
    assert_true(shot.w >= frame.w && shot.w % frame.w == 0);
    int k = shot.w / frame.w;
    assert_int_equal(shot.h, frame.h * k);
    for (int y = 0; y < shot.h; y++)
        for (int x = 0; x < shot.w; x++) {
            const uint8_t *a = shot.rgb + ((size_t)y * shot.w + x) * 3;
            const uint8_t *b = frame.rgb + ((size_t)(y / k) * frame.w + x / k) * 3;
            if (memcmp(a, b, 3) != 0)
                fail_msg("screenshot pixel (%d, %d) is (%d, %d, %d), the frame says (%d, %d, %d)",
                         x, y, a[0], a[1], a[2], b[0], b[1], b[2]);
        }
    return k;
}

/* without SDL2 the command says so; with it, --help and bad options behave */
static void test_build_and_options(void **state) {
    (void)state;
    if (!render_viewer_available()) {
        assert_int_equal(sh("\"$C\" watch --env cleanup", ""), 1);
        expect_in("built without SDL2");
        expect_in("--record out.gif");
        printf("skipped: this build has no SDL2 viewer; the window was not tested\n");
        return;
    }
    assert_int_equal(sh("\"$C\" watch --help", ""), 0);
    expect_in("usage: commons watch");
    expect_in("single step");
    assert_int_equal(sh("\"$C\" watch --cell 3", ""), 2);
    expect_in("--cell: 3 is out of range; allowed 4..64");
    assert_int_equal(sh("\"$C\" watch --shots /nonexistent/shots", ""), 2);
    expect_in("--shots /nonexistent/shots: no such folder");
    assert_int_equal(sh("\"$C\" watch --speed 0", ""), 2);
    assert_int_equal(sh("\"$C\" watch --record x.gif", ""), 2);
    expect_in("unknown option '--record'");
}

/* no display: a clear message that points to recording */
static void test_no_display(void **state) {
    (void)state;
    if (!render_viewer_available()) skip();
    assert_int_equal(sh("env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER \"$C\" watch --env "
                        "cleanup",
                        ""),
                     1);
    expect_in("cannot open a window: no display");
    expect_in("record instead: 'commons run --env cleanup --record out.gif'");
    expect_in("xvfb-run");
    assert_int_equal(sh("\"$C\" run --steps 3 --replay-out r.replay >/dev/null 2>&1 && env -u "
                        "DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER \"$C\" replay r.replay",
                        ""),
                     1);
    expect_in("cannot open a window: no display");
    expect_in("commons replay r.replay --record out.gif");
}

/* a real window: pause, five single steps, a screenshot; restart with a new seed; an agent's
 * view; faster and slower; quit */
static void test_watch_window(void **state) {
    (void)state;
    if (!render_viewer_available() || !have_xvfb()) skip();
    int rc = sh(XVFB "\"$C\" watch --env cleanup --policy coop --steps 5 --seed 3 --cell 8 "
                     "--shots . --keys ' .....srs+-1sq'",
                "");
    if (rc != 0) fail_msg("watch under xvfb-run: exit code %d; output:\n%s", rc, out);
    static char watch[1 << 16];
    snprintf(watch, sizeof watch, "%s", out);
    expect_in("episode 0 (seed 3) ended at tick 5");
    expect_in("screenshot ./commons-cleanup-s3-e0-t000005.png");
    expect_in("restart: seed 4, episode 0");
    expect_in("screenshot ./commons-cleanup-s4-e0-t000000.png");
    expect_in("screenshot ./commons-cleanup-s4-e0-t000000-2.png");
    expect_in("quit at seed 4, episode 0, tick 0");
    /* the hash after five steps is the one `commons run` reaches */
    char got[32], want[32];
    value_after(strstr(watch, "commons-cleanup-s3-e0-t000005.png"), "state hash ", got, sizeof got);
    assert_int_equal(sh("\"$C\" run --env cleanup --policy coop --steps 5 --seed 3 --cell 8 "
                        "--record run3/",
                        ""),
                     0);
    value_after(out, "final state hash ", want, sizeof want);
    assert_string_equal(got, want);
    /* the window shows the recorded frame, scaled */
    Image shot = load("commons-cleanup-s3-e0-t000005.png"), frame = load("run3/frame_000005.png");
    int k = expect_scaled(shot, frame);
    assert_true(k >= 1);
    /* the restart is seed 4 at tick 0, exactly as recorded */
    assert_int_equal(sh("\"$C\" run --env cleanup --policy coop --steps 5 --seed 4 --cell 8 "
                        "--record run4/",
                        ""),
                     0);
    Image shot2 = load("commons-cleanup-s4-e0-t000000.png"), frame2 = load("run4/frame_000000.png");
    assert_int_equal(expect_scaled(shot2, frame2), k);
    /* agent 1's view beside the map: a wider frame, the same scale */
    Image shot3 = load("commons-cleanup-s4-e0-t000000-2.png");
    int obs_w = 15, map_w = 18;
    assert_int_equal(shot3.w, (map_w + 1 + obs_w) * 8 * k);
    assert_int_equal(shot3.h % k, 0);
    stbi_image_free(shot.rgb);
    stbi_image_free(frame.rgb);
    stbi_image_free(shot2.rgb);
    stbi_image_free(frame2.rgb);
    stbi_image_free(shot3.rgb);
}

/* --episodes N: the episodes play one after the other, then the window closes by itself */
static void test_watch_exits_at_end(void **state) {
    (void)state;
    if (!render_viewer_available() || !have_xvfb()) skip();
    int rc = sh(XVFB "timeout 60 \"$C\" watch --env cleanup --steps 5 --seed 3 --speed 1000 "
                     "--episodes 2",
                "");
    if (rc != 0) fail_msg("watch --episodes 2: exit code %d; output:\n%s", rc, out);
    expect_in("episode 0 (seed 3) ended at tick 5");
    expect_in("next episode: seed 3, episode 1");
    expect_in("episode 1 (seed 3) ended at tick 5");
    expect_in("quit at seed 3, episode 1, tick 5");
    assert_null(strstr(out, "episode 2"));
}

/* a replay in the window: the same frame, and the hashes checked */
static void test_replay_window(void **state) {
    (void)state;
    if (!render_viewer_available() || !have_xvfb()) skip();
    assert_int_equal(sh("\"$C\" run --env ocean-small --policy coop --steps 6 --seed 2 --cell 8 "
                        "--record oc/ --replay-out oc.replay",
                        ""),
                     0);
    int rc = sh(XVFB "\"$C\" replay oc.replay --cell 8 --shots . --keys ' ......sc.sq'", "");
    if (rc != 0) fail_msg("replay under xvfb-run: exit code %d; output:\n%s", rc, out);
    expect_in("episode 0 ended at tick 6");
    expect_in("matches the recording");
    expect_in("screenshot ./commons-replay-ocean-small-s2-e0-t000006.png");
    Image shot = load("commons-replay-ocean-small-s2-e0-t000006.png"),
          frame = load("oc/frame_000006.png");
    expect_scaled(shot, frame);
    /* at the end '.' has no next episode: it stays; 'c' turned the comm overlay off */
    expect_in("screenshot ./commons-replay-ocean-small-s2-e0-t000006-2.png");
    Image off = load("commons-replay-ocean-small-s2-e0-t000006-2.png");
    assert_int_equal(off.w, shot.w);
    assert_memory_not_equal(off.rgb, shot.rgb, (size_t)shot.w * shot.h * 3);
    stbi_image_free(shot.rgb);
    stbi_image_free(frame.rgb);
    stbi_image_free(off.rgb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_options), cmocka_unit_test(test_no_display),
        cmocka_unit_test(test_watch_window),      cmocka_unit_test(test_watch_exits_at_end),
        cmocka_unit_test(test_replay_window),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
