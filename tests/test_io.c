/* test_io.c: the atomic writer, FNV-1a 64 and the table of error codes (env/io.h).
 *
 * A commit replaces the target with exactly the bytes written; an abort, a write error on the
 * stream, a folder that does not exist or a path that is too long leave the target as it was, with
 * an error naming it; no temporary file is left in the folder and the registry of temporaries is
 * empty afterwards. env_atomic_remove_temps() unlinks every registered temporary, also from a
 * signal handler in a child process, and `commons` removes its temporaries on SIGTERM and dies of
 * the signal. env_fnv1a64() matches the published FNV-1a 64 test vectors; every error code has
 * its name.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

static char dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/commons_io_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* dir/name */
static const char *in_dir(const char *name) {
    static char path[8][256];
    static int next = 0;
    char *p = path[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

/* the whole file as a string ("" when missing, with *exists 0) */
static const char *contents(const char *path, int *exists) {
    static char buf[4096];
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (exists) *exists = f != NULL;
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* files in dir whose name holds ".tmp" */
static int temps_in_dir(void) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    return n;
}

static void test_fnv1a64_vectors(void **state) {
    (void)state;
    assert_true(ENV_FNV1A64_BASIS == 0xcbf29ce484222325ULL);
    assert_true(env_fnv1a64(ENV_FNV1A64_BASIS, "", 0) == 0xcbf29ce484222325ULL);
    assert_true(env_fnv1a64(ENV_FNV1A64_BASIS, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(env_fnv1a64(ENV_FNV1A64_BASIS, "foobar", 6) == 0x85944171f73967e8ULL);
    /* chained over pieces: the hash of the concatenation */
    uint64_t h = env_fnv1a64(ENV_FNV1A64_BASIS, "foo", 3);
    assert_true(env_fnv1a64(h, "bar", 3) == 0x85944171f73967e8ULL);
}

static void test_error_names(void **state) {
    (void)state;
    assert_string_equal(env_error_name(ENV_OK), "ENV_OK");
    assert_string_equal(env_error_name(ENV_EINPUT), "ENV_EINPUT");
    assert_string_equal(env_error_name(ENV_ENOMEM), "ENV_ENOMEM");
    assert_string_equal(env_error_name(ENV_EIO), "ENV_EIO");
    assert_string_equal(env_error_name(ENV_EMISMATCH), "ENV_EMISMATCH");
    assert_string_equal(env_error_name(ENV_ENOTFOUND), "ENV_ENOTFOUND");
    /* the numbers are part of the contract (files and tests compare them) */
    assert_int_equal(ENV_EINPUT, -2);
    assert_int_equal(ENV_ENOMEM, -3);
    assert_int_equal(ENV_EIO, -4);
    assert_int_equal(ENV_EMISMATCH, -5);
    assert_int_equal(ENV_ENOTFOUND, -6);
    assert_string_equal(env_error_name(-1), "unknown error code");
    assert_string_equal(env_error_name(7), "unknown error code");
}

static void test_path_folder(void **state) {
    (void)state;
    char out[64];
    env_path_folder("a/b/c.gif", out, sizeof out);
    assert_string_equal(out, "a/b");
    env_path_folder("c.gif", out, sizeof out);
    assert_string_equal(out, ".");
    env_path_folder("/c.gif", out, sizeof out);
    assert_string_equal(out, "/");
}

static void test_write_and_replace(void **state) {
    (void)state;
    const char *path = in_dir("whole.txt");
    EnvError err = {0};
    assert_int_equal(env_write_atomic(path, "first\n", 6, &err), 0);
    assert_string_equal(contents(path, NULL), "first\n");
    assert_int_equal(env_write_atomic(path, "second, longer\n", 15, &err), 0);
    assert_string_equal(contents(path, NULL), "second, longer\n");
    /* an empty file is a file */
    assert_int_equal(env_write_atomic(path, NULL, 0, &err), 0);
    int exists;
    assert_string_equal(contents(path, &exists), "");
    assert_int_equal(exists, 1);
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(env_atomic_pending(), 0);
}

static void test_stream_commit_and_abort(void **state) {
    (void)state;
    const char *path = in_dir("stream.txt");
    EnvError err = {0};
    assert_int_equal(env_write_atomic(path, "old", 3, &err), 0);
    /* an abort midway leaves the target as it was */
    EnvAtomicFile f;
    assert_int_equal(env_atomic_open(&f, path, &err), 0);
    assert_int_equal(env_atomic_pending(), 1);
    assert_non_null(strstr(f.tmp, ".tmp-"));
    assert_int_equal(strncmp(f.tmp, path, strlen(path)), 0); /* beside the target */
    fputs("half of the new", f.fp);
    fflush(f.fp);
    assert_int_equal(access(f.tmp, F_OK), 0);
    assert_string_equal(contents(path, NULL), "old");
    env_atomic_abort(&f);
    env_atomic_abort(&f); /* twice is harmless */
    assert_string_equal(contents(path, NULL), "old");
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(env_atomic_pending(), 0);
    /* a commit replaces it, piece by piece */
    assert_int_equal(env_atomic_open(&f, path, &err), 0);
    fputs("new ", f.fp);
    fprintf(f.fp, "%d", 42);
    assert_int_equal(env_atomic_commit(&f, &err), 0);
    assert_null(f.fp);
    assert_string_equal(contents(path, NULL), "new 42");
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(env_atomic_pending(), 0);
    env_atomic_abort(&f); /* after a commit: nothing to do, the target stays */
    assert_string_equal(contents(path, NULL), "new 42");
    /* a zeroed file aborts as a no-op */
    EnvAtomicFile z;
    memset(&z, 0, sizeof z);
    env_atomic_abort(&z);
    assert_int_equal(env_atomic_pending(), 0);
}

static void test_write_error_keeps_target(void **state) {
    (void)state;
    const char *path = in_dir("error.txt");
    EnvError err = {0};
    assert_int_equal(env_write_atomic(path, "kept", 4, &err), 0);
    EnvAtomicFile f;
    assert_int_equal(env_atomic_open(&f, path, &err), 0);
    fputs("never seen", f.fp);
    /* reading a write-only stream sets its error indicator, as a failed write would */
    assert_int_equal(fgetc(f.fp), EOF);
    assert_true(ferror(f.fp));
    assert_int_equal(env_atomic_commit(&f, &err), ENV_EIO);
    assert_int_equal(err.code, ENV_EIO);
    char want[300];
    snprintf(want, sizeof want, "%s: cannot write: ", path);
    assert_non_null(strstr(err.msg, want));
    assert_string_equal(contents(path, NULL), "kept");
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(env_atomic_pending(), 0);
}

static void test_bad_places(void **state) {
    (void)state;
    EnvError err = {0};
    /* a folder that does not exist: a located error, no file anywhere */
    char path[300];
    snprintf(path, sizeof path, "%s/missing/out.bin", dir);
    assert_int_equal(env_write_atomic(path, "x", 1, &err), ENV_EIO);
    assert_int_equal(errno, ENOENT);
    char want[400];
    snprintf(want, sizeof want, "%s: cannot create a file beside it: %s", path, strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_int_equal(access(path, F_OK), -1);
    EnvAtomicFile f;
    assert_int_equal(env_atomic_open(&f, path, &err), ENV_EIO);
    assert_int_equal(env_atomic_pending(), 0);
    /* a path too long for the registry, and an empty one: bad input */
    char *long_path = malloc(ENV_PATH_MAX + 16);
    memset(long_path, 'a', ENV_PATH_MAX + 15);
    long_path[ENV_PATH_MAX + 15] = 0;
    assert_int_equal(env_write_atomic(long_path, "x", 1, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "a file path has 1 to 4095 characters, not 4111"));
    free(long_path);
    assert_int_equal(env_write_atomic("", "x", 1, &err), ENV_EINPUT);
    /* the target is a folder: the rename fails, the folder stays, the temporary goes */
    const char *sub = in_dir("a_folder");
    assert_int_equal(mkdir(sub, 0777), 0);
    assert_int_equal(env_write_atomic(sub, "x", 1, &err), ENV_EIO);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    rmdir(sub);
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(env_atomic_pending(), 0);
}

static void test_registry_full(void **state) {
    (void)state;
    EnvError err = {0};
    EnvAtomicFile *f = calloc(ENV_ATOMIC_SLOTS + 1, sizeof *f);
    char name[32];
    for (int i = 0; i < ENV_ATOMIC_SLOTS; i++) {
        snprintf(name, sizeof name, "many%d", i);
        assert_int_equal(env_atomic_open(&f[i], in_dir(name), &err), 0);
    }
    assert_int_equal(env_atomic_pending(), ENV_ATOMIC_SLOTS);
    assert_int_equal(env_atomic_open(&f[ENV_ATOMIC_SLOTS], in_dir("one_more"), &err), ENV_EIO);
    char want[64];
    snprintf(want, sizeof want, "more than %d files are being written at once", ENV_ATOMIC_SLOTS);
    assert_non_null(strstr(err.msg, want));
    assert_int_equal(access(in_dir("one_more"), F_OK), -1);
    for (int i = 0; i < ENV_ATOMIC_SLOTS; i++) env_atomic_abort(&f[i]);
    free(f);
    assert_int_equal(env_atomic_pending(), 0);
    assert_int_equal(temps_in_dir(), 0);
}

static void test_detached_child_writer(void **state) {
    (void)state;
    /* the MP4 path: the name is reserved, another writer fills it by name, commit renames */
    const char *path = in_dir("video.mp4");
    EnvError err = {0};
    EnvAtomicFile f;
    assert_int_equal(env_atomic_open(&f, path, &err), 0);
    env_atomic_detach(&f);
    assert_null(f.fp);
    FILE *other = fopen(f.tmp, "wb");
    assert_non_null(other);
    fputs("frames", other);
    fclose(other);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(env_atomic_commit(&f, &err), 0);
    assert_string_equal(contents(path, NULL), "frames");
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(env_atomic_pending(), 0);
}

static void test_remove_temps(void **state) {
    (void)state;
    const char *a = in_dir("a.bin"), *b = in_dir("b.bin");
    EnvError err = {0};
    assert_int_equal(env_write_atomic(a, "A", 1, &err), 0);
    EnvAtomicFile fa, fb;
    assert_int_equal(env_atomic_open(&fa, a, &err), 0);
    assert_int_equal(env_atomic_open(&fb, b, &err), 0);
    fputs("partial", fa.fp);
    assert_int_equal(temps_in_dir(), 2);
    env_atomic_remove_temps();
    assert_int_equal(temps_in_dir(), 0);
    assert_string_equal(contents(a, NULL), "A");
    assert_int_equal(access(b, F_OK), -1);
    /* the owners still close their files; a commit now fails and changes nothing */
    assert_int_equal(env_atomic_pending(), 2);
    assert_int_equal(env_atomic_commit(&fa, &err), ENV_EIO);
    env_atomic_abort(&fb);
    assert_string_equal(contents(a, NULL), "A");
    assert_int_equal(env_atomic_pending(), 0);
    assert_int_equal(temps_in_dir(), 0);
}

/* the child's handler, as cli/main.c installs it */
static void child_handler(int sig) {
    env_atomic_remove_temps();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void test_remove_temps_in_signal_handler(void **state) {
    (void)state;
    const char *path = in_dir("child.bin");
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGTERM, child_handler);
        EnvAtomicFile f;
        if (env_atomic_open(&f, path, NULL) != 0) _exit(3);
        fputs("being written", f.fp);
        fflush(f.fp);
        if (write(ready[1], "k", 1) != 1) _exit(4);
        for (;;) pause();
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    assert_int_equal(temps_in_dir(), 1);
    kill(pid, SIGTERM);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(access(path, F_OK), -1);
}

/* `commons run --record` stopped by SIGTERM while its GIF is being written */
static void test_cli_sigterm_removes_temps(void **state) {
    (void)state;
    if (access(COMMONS_BIN, X_OK) != 0) skip();
    const char *gif = in_dir("run.gif");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(5);
        execl(COMMONS_BIN, COMMONS_BIN, "run", "--env", "harvest", "--steps", "100000",
              "--episodes", "100", "--record", gif, (char *)NULL);
        _exit(6);
    }
    /* wait (up to 20 s) for the temporary GIF to appear */
    struct timespec nap = {0, 10 * 1000 * 1000};
    int seen = 0;
    for (int i = 0; i < 2000 && !seen; i++) {
        seen = temps_in_dir() > 0;
        if (!seen) nanosleep(&nap, NULL);
    }
    kill(pid, SIGTERM);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(seen);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_int_equal(temps_in_dir(), 0);
    assert_int_equal(access(gif, F_OK), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a64_vectors),
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_path_folder),
        cmocka_unit_test(test_write_and_replace),
        cmocka_unit_test(test_stream_commit_and_abort),
        cmocka_unit_test(test_write_error_keeps_target),
        cmocka_unit_test(test_bad_places),
        cmocka_unit_test(test_registry_full),
        cmocka_unit_test(test_detached_child_writer),
        cmocka_unit_test(test_remove_temps),
        cmocka_unit_test(test_remove_temps_in_signal_handler),
        cmocka_unit_test(test_cli_sigterm_removes_temps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
