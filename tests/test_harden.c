/* test_harden.c: the defects a new user's run found (issue 9), each reproduced through the
 * commons tool: bad input exits 2 with a located message and never hangs or crashes.
 *
 * The binary is COMMONS_BIN, or $COMMONS_TEST_BIN when set (to show a defect on an older build).
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char out[65536];

/* runs `commons ARGS` (at most 20 s) through the shell; output in out, returns the exit code */
static int commons(const char *args) {
    const char *bin = getenv("COMMONS_TEST_BIN") ? getenv("COMMONS_TEST_BIN") : COMMONS_BIN;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "timeout 20 '%s' %s", bin, args);
    return th_run(cmd, out, sizeof out);
}

static void expect_in(const char *args, const char *needle) {
    if (!strstr(out, needle))
        fail_msg("commons %s: expected \"%s\" in the output:\n%s", args, needle, out);
}

/* commons ARGS exits with code and prints every needle of a NULL-ended list */
static void expect_exit(int code, const char *args, const char *const *needles) {
    int rc = commons(args);
    if (rc != code)
        fail_msg("commons %s: exit code %d, expected %d; output:\n%s", args, rc, code, out);
    for (int i = 0; needles[i]; i++) expect_in(args, needles[i]);
}
#define EXPECT_EXIT(code, args, ...)                                                               \
    expect_exit(code, args, (const char *const[]){__VA_ARGS__, NULL})

/* a fresh temporary path (no file) with the suffix */
static const char *temp_name(const char *suffix) {
    static char names[8][256];
    static int k;
    char *p = names[k++ % 8];
    snprintf(p, 256, "%s", th_write_temp("", suffix));
    unlink(p);
    return p;
}

/* FIFOs, devices: refused at once, never waited on; a non-map file is not quoted */
static void test_only_regular_files(void **state) {
    (void)state;
    char args[1024];
    const char *fifo = temp_name(".txt");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(args, sizeof args, "run --set env.map=%s", fifo);
    EXPECT_EXIT(2, args, "is a FIFO, not a map file");
    snprintf(args, sizeof args, "run --config %s", fifo);
    EXPECT_EXIT(2, args, "is a FIFO, not a config file");
    snprintf(args, sizeof args, "replay %s --check", fifo);
    EXPECT_EXIT(2, args, "is a FIFO, not a replay file");
    unlink(fifo);
    EXPECT_EXIT(2, "replay /dev/zero --check", "/dev/zero: is a device, not a replay file");
    /* a file that is no map: its bytes are not echoed */
    const char *secret = th_write_temp("hunter2 is the password\n", ".txt");
    snprintf(args, sizeof args, "run --set env.map=%s", secret);
    EXPECT_EXIT(2, args, ":1:1: not a map: the first row holds a character that is no map cell");
    assert_null(strstr(out, "'h'"));
    assert_null(strstr(out, "hunter2"));
}

/* a large non-replay file is refused from its header, without reading it whole */
static void test_replay_header_first(void **state) {
    (void)state;
    const char *big = temp_name(".replay");
    FILE *f = fopen(big, "wb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 200L << 20, SEEK_SET), 0); /* 200 MB, sparse */
    fputc(0, f);
    fclose(f);
    char args[512];
    snprintf(args, sizeof args, "replay %s --check", big);
    EXPECT_EXIT(2, args, "not a commons replay");
    unlink(big);
}

/* control bytes in what an error quotes are escaped, never sent to the terminal */
static void test_control_bytes_escaped(void **state) {
    (void)state;
    EXPECT_EXIT(2, "run --set \"env.map=$(printf 'x\\033[31mred')\"", "x\\x1b[31mred");
    assert_null(strchr(out, '\033'));
    const char *ini = th_write_temp("[env]\nagents = \033]0;title\007\n", ".ini");
    char args[512];
    snprintf(args, sizeof args, "run --config %s", ini);
    EXPECT_EXIT(2, args, "\\x1b]0;title\\x07");
    assert_null(strchr(out, '\033'));
    assert_null(strchr(out, '\007'));
}

/* a key set twice in one INI file: refused, both lines named */
static void test_duplicate_keys(void **state) {
    (void)state;
    const char *ini =
        th_write_temp("[env]\nagents = 2\n; c\n[beam]\nlength = 3\n[env]\nagents = 3\n", ".ini");
    char args[512];
    snprintf(args, sizeof args, "run --steps 3 --config %s", ini);
    EXPECT_EXIT(2, args, ":7: duplicate key 'env.agents': it is set at line 2 already");
}

/* recording targets are checked before any episode runs; --fps 0 says so once */
static void test_targets_first(void **state) {
    (void)state;
    EXPECT_EXIT(2, "run --episodes 3 --replay-out /proc/x.replay",
                "--replay-out /proc/x.replay: cannot write there");
    assert_null(strstr(out, "episode efficiency")); /* nothing ran */
    EXPECT_EXIT(2, "run --record x.gif --fps 0", "--fps: 0 is out of range; allowed 1..50");
    assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
    EXPECT_EXIT(2, "run --record x.gif --fps 60", "more than a GIF can show");
    assert_null(strchr(strchr(out, '\n') + 1, '\n'));
}

/* a built-in map whose name is also a preset's prints alone, as a map file that loads */
static void test_maps_by_kind(void **state) {
    (void)state;
    EXPECT_EXIT(0, "maps --map harvest", "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n");
    assert_null(strstr(out, "[env]"));
    const char *path = th_write_temp(out, ".txt");
    char args[512];
    snprintf(args, sizeof args, "run --steps 3 --set env.map=%s", path);
    EXPECT_EXIT(0, args, "16x38), 5 agents, 3 steps");
    EXPECT_EXIT(0, "maps --preset harvest", "[env]");
    assert_null(strstr(out, "@@@@"));
    EXPECT_EXIT(2, "maps --map nope", "no built-in map named 'nope'");
    EXPECT_EXIT(2, "maps --map", "--map needs a name");
}

/* install-deps.sh as a user without root and without sudo: the missing packages and the fix */
static void test_install_deps_without_sudo(void **state) {
    (void)state;
    const char *bin = temp_name(".d");
    char cmd[2048];
    /* a PATH holding only a dpkg that knows no package and an id that is not root */
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && printf '#!/bin/sh\nexit 1\n' > %s/dpkg && "
             "printf '#!/bin/sh\necho 1000\n' > %s/id && chmod +x %s/dpkg %s/id && "
             "PATH=%s /bin/bash %s/scripts/install-deps.sh",
             bin, bin, bin, bin, bin, bin, COMMONS_SOURCE_DIR);
    int rc = th_run(cmd, out, sizeof out);
    assert_int_equal(rc, 1);
    if (!strstr(out, "these Debian packages are missing: gcc make cmake") ||
        !strstr(out, "not root and there is no sudo") ||
        !strstr(out, "apt-get update && apt-get install -y gcc") || strstr(out, "not found"))
        fail_msg("install-deps.sh said:\n%s", out);
}

/* a recording stopped by SIGTERM: no temporary left; the PNG frames so far are said */
static void test_stopped_recordings(void **state) {
    (void)state;
    const char *bin = getenv("COMMONS_TEST_BIN") ? getenv("COMMONS_TEST_BIN") : COMMONS_BIN;
    const char *targets[3] = {"s.gif", "s.mp4", "frames/"};
    for (int k = 0; k < 3; k++) {
        if (k == 1 && system("command -v ffmpeg >/dev/null") != 0) continue;
        const char *d = temp_name(".d");
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "mkdir -p %s && cd %s && { '%s' run --env cleanup --episodes 500 --record %s "
                 ">/dev/null 2>err.txt & pid=$!; sleep 1.5; kill -TERM $pid; wait $pid; "
                 "echo \"exit $?\"; sleep 0.5; cat err.txt; ls -A; }",
                 d, d, bin, targets[k]);
        th_run(cmd, out, sizeof out);
        if (!strstr(out, "exit 143")) fail_msg("%s: not stopped by SIGTERM:\n%s", targets[k], out);
        if (strstr(out, ".tmp-")) fail_msg("%s: a temporary is left:\n%s", targets[k], out);
        if (k < 2 && strstr(out, targets[k])) fail_msg("%s: a file is left:\n%s", targets[k], out);
        if (k == 1 && strstr(out, "rror")) fail_msg("ffmpeg went on after the stop:\n%s", out);
        if (k == 2 && !strstr(out, "commons: stopped: frames/ holds the "))
            fail_msg("the stop does not say what the PNG recording left:\n%s", out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_regular_files),
        cmocka_unit_test(test_replay_header_first),
        cmocka_unit_test(test_control_bytes_escaped),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_targets_first),
        cmocka_unit_test(test_maps_by_kind),
        cmocka_unit_test(test_install_deps_without_sudo),
        cmocka_unit_test(test_stopped_recordings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
