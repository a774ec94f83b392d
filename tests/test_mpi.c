/* test_mpi.c: the commons tool over several processes (sim/dist.h), under `mpirun
 * --oversubscribe` with 2 and 3 ranks: training ends with the checkpoint bytes (weights, Adam
 * moments, counters, every world) and logs of one process; compare, run and eval print the bytes
 * of one process; bench prints each rank's rate, the total and the efficiency; a run written by
 * 3 ranks resumes on 2 to the bits of an uninterrupted run; a rank count that does not divide the
 * shards and a command that runs in one process are refused with their texts; SIGTERM (to a rank,
 * as Slurm signals its tasks, or to mpirun) and SIGINT (one process, run with or without MPI) stop
 * with a checkpoint that resumes to the uninterrupted bits; a rank killed with -9 stops the others
 * within seconds with a message naming it. Without MPI in the build, a launch as several ranks is
 * refused with what is missing, and the rest is skipped with that reason.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[256]; /* a temporary folder for the runs */
static const char *MPIRUN = COMMONS_MPIEXEC;

/* 12 shards of one world each, episodes of 20 steps cut inside rollouts of 16, 8 updates */
static const char *TINY = "[env]\npreset = gathering-small\nmax_steps = 20\n[obs]\nencoding = ids\n"
                          "[train]\nsteps = 1536\nworlds = 12\nrollout = 16\nshards = 12\n"
                          "checkpoint_every = 2\n[ppo]\nepochs = 2\nminibatches = 2\n"
                          "[net]\nconv = 0\nhidden = 16\n";
/* the same without learning-rate annealing, so that the weights after N updates do not depend on
 * train.steps: runs of 2400 updates are stopped after a few and resumed with train.steps = 46080
 * (240 updates, about a second), to the bits of the run of 240 updates */
static const char *LONG =
    "[env]\npreset = gathering-small\nmax_steps = 20\n[obs]\nencoding = ids\n"
    "[train]\nsteps = 460800\nworlds = 12\nrollout = 16\nshards = 12\n"
    "checkpoint_every = 10\n[ppo]\nanneal_lr = 0\nepochs = 2\nminibatches = 2\n"
    "[net]\nconv = 0\nhidden = 16\n";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* the launcher's prefix for R ranks ("" for one process) */
static void launch(int ranks, char *buf, size_t n) {
    if (ranks == 1)
        snprintf(buf, n, "'%s'", COMMONS_BIN);
    else
        snprintf(buf, n, "'%s' --oversubscribe -np %d '%s'", MPIRUN, ranks, COMMONS_BIN);
}

/* runs commons (args) on R ranks in the temporary folder; stdout alone into out when stdout_only */
static int commons(int ranks, const char *args, int stdout_only, char *out, size_t n) {
    char cmd[2048], pre[600];
    launch(ranks, pre, sizeof pre);
    snprintf(cmd, sizeof cmd, "cd '%s' && (%s %s%s)", dir, pre, args,
             stdout_only ? " 2>/dev/null" : "");
    return th_run(cmd, out, n);
}

static char *slurp(const char *name, size_t *n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) fail_msg("cannot read %s", path);
    buf[len] = 0;
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void same_file(const char *a, const char *b) {
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    if (na != nb || memcmp(x, y, na)) fail_msg("%s and %s differ", a, b);
    free(x), free(y);
}

/* progress.csv without its timing columns (seconds, agent_steps_per_s) */
static char *progress_untimed(const char *run) {
    char name[256];
    snprintf(name, sizeof name, "%s/progress.csv", run);
    size_t n;
    char *text = slurp(name, &n), *out = malloc(n + 1), *o = out;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int col = 0;
        for (char *c = line; *c; c++) {
            if (*c == ',') col++;
            if (col != 3 && col != 4) *o++ = *c;
        }
        *o++ = '\n';
    }
    *o = 0;
    free(text);
    return out;
}

static void same_run(const char *a, const char *b) {
    char x[256], y[256];
    snprintf(x, sizeof x, "%s/checkpoint.ckpt", a);
    snprintf(y, sizeof y, "%s/checkpoint.ckpt", b);
    same_file(x, y);
    snprintf(x, sizeof x, "%s/episodes.jsonl", a);
    snprintf(y, sizeof y, "%s/episodes.jsonl", b);
    same_file(x, y);
    char *p = progress_untimed(a), *q = progress_untimed(b);
    assert_string_equal(p, q);
    free(p), free(q);
}

static void write_config(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/commons-mpi-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    /* under `make sanitize`: Open MPI keeps allocations from MPI_Init to the exit; only those
     * beneath its libraries are ignored, which needs the slow unwinder to see them */
    setenv("LSAN_OPTIONS",
           "suppressions=" COMMONS_SOURCE_DIR "/tests/lsan-mpi.supp:print_suppressions=0", 0);
    setenv("ASAN_OPTIONS", "fast_unwind_on_malloc=0", 0);
    write_config("tiny.ini", TINY);
    write_config("long.ini", LONG);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300], out[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return th_run(cmd, out, sizeof out);
}

static void need_mpi(void) {
    if (!MPIRUN[0]) {
        print_message("skipped: this build has no MPI (install libopenmpi-dev and openmpi-bin and "
                      "rebuild); the distributed tests need mpirun\n");
        skip();
    }
}

static char out1[1 << 16], out2[1 << 16];

/* the reference run of tiny.ini in one process, once */
static void one_run(void) {
    char path[300];
    snprintf(path, sizeof path, "%s/one/checkpoint.ckpt", dir);
    if (access(path, F_OK))
        assert_int_equal(commons(1, "train tiny.ini --out one", 0, out1, sizeof out1), 0);
}

/* ---- training ---- */

static void test_train_same_bits(void **state) {
    (void)state;
    need_mpi();
    assert_int_equal(commons(1, "train tiny.ini --out one", 0, out1, sizeof out1), 0);
    assert_non_null(strstr(out1, "(one process, one BLAS thread)")); /* the reference of one_run */
    assert_int_equal(commons(2, "train tiny.ini --out two", 0, out1, sizeof out1), 0);
    assert_non_null(strstr(out1, "(2 processes of 6 shards each, one BLAS thread each)"));
    assert_non_null(strstr(out1, "2 processes: "));
    assert_int_equal(commons(3, "train tiny.ini --out three", 0, out1, sizeof out1), 0);
    same_run("one", "two");
    same_run("one", "three");
}

static void test_resume_other_count(void **state) {
    (void)state;
    need_mpi();
    one_run();
    /* 3 ranks stop after 3 updates (with a checkpoint), 2 ranks finish */
    assert_int_equal(commons(3, "train tiny.ini --out moved --stop-after 3", 0, out1, sizeof out1),
                     0);
    assert_int_equal(commons(2, "train --resume moved", 0, out1, sizeof out1), 0);
    assert_non_null(strstr(out1, "resuming at update 3 from moved/checkpoint.ckpt"));
    same_run("one", "moved");
}

static void test_refusals(void **state) {
    (void)state;
    need_mpi();
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s", TINY);
    char *s = strstr(cfg, "shards = 12");
    memcpy(s, "shards = 4 ", 11);
    write_config("four.ini", cfg);
    assert_int_equal(commons(3, "train four.ini --out never", 0, out1, sizeof out1), 2);
    const char *want = "commons: four.ini: train.shards = 4 does not split over 3 processes: every "
                       "process holds an equal block of shards; run 1, 2, 4 processes, or set "
                       "train.shards to a multiple of 3\n";
    const char *at = strstr(out1, want);
    if (!at) fail_msg("no refusal text in:\n%s", out1);
    assert_null(strstr(at + strlen(want), "does not split")); /* said once, by rank 0 */
    char path[300];
    snprintf(path, sizeof path, "%s/never", dir);
    assert_int_equal(access(path, F_OK), -1); /* refused before anything was written */
    /* a resumed run is held to the same rule, located in its checkpoint's config */
    assert_int_equal(commons(1, "train four.ini --out four --stop-after 1", 0, out1, sizeof out1),
                     0);
    assert_int_equal(commons(3, "train --resume four", 0, out1, sizeof out1), 2);
    assert_non_null(strstr(out1, "commons: four/checkpoint.ckpt (its config): train.shards = 4 "
                                 "does not split over 3 processes"));
    /* commands that run in one process */
    assert_int_equal(commons(2, "maps", 0, out1, sizeof out1), 2);
    assert_non_null(strstr(out1, "commons: 'maps' runs in one process, and this launch started 2; "
                                 "run it without mpirun or srun"));
    assert_int_equal(commons(2, "run --record x.gif", 0, out1, sizeof out1), 2);
    assert_non_null(strstr(out1, "--record and --replay-out write one file from one process"));
}

/* ---- rollouts ---- */

static void test_rollouts_same_bytes(void **state) {
    (void)state;
    need_mpi();
    const char *cmds[] = {
        "compare --episodes 7 --policies random,greedy,coop --steps 60",
        "compare --episodes 5 --json --env cleanup --steps 40",
        "run --episodes 5 --steps 40",
        "run --episodes 3 --steps 40 --json --env ocean-small",
        "eval one --episodes 5 --set env.max_steps=30 --baselines",
    };
    one_run();
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *args = cmds[i];
        assert_int_equal(commons(1, args, 1, out1, sizeof out1), 0);
        assert_true(strlen(out1) > 100);
        for (int R = 2; R <= 3; R++) {
            assert_int_equal(commons(R, args, 1, out2, sizeof out2), 0);
            if (strcmp(out1, out2))
                fail_msg("'%s' on %d ranks prints\n%s\none process\n%s", args, R, out2, out1);
        }
    }
}

static void test_bench_spread(void **state) {
    (void)state;
    need_mpi();
    const char *args = "bench --env gathering-small,cleanup --steps 40 --repeat 1 --batch 2";
    assert_int_equal(commons(2, args, 1, out1, sizeof out1), 0);
    /* each preset's row (rank 0 alone), then the ranks at once */
    const char *g = strstr(out1, "gathering-small"), *c = strstr(out1, "\ncleanup");
    assert_true(g && c && g < c);
    const char *spread = strstr(g, "  2 ranks at once: rank 0 ");
    assert_true(spread && spread < c);
    assert_non_null(strstr(spread, ", rank 1 "));
    assert_non_null(strstr(spread, " agent-steps/s; weak-scaling efficiency "));
    assert_non_null(strstr(c, "  2 ranks at once: rank 0 "));
}

/* ---- signals and faults ---- */

/* starts sh -c cmd in the temporary folder, stdout and stderr to files; returns its pid */
static pid_t spawn(const char *cmd, const char *out_name) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", dir, out_name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1), dup2(fd, 2);
        if (chdir(dir)) _exit(127);
        signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* waits until the run's progress.csv has `rows` rows (header aside), at most 60 s */
static void wait_rows(const char *run, int rows) {
    char path[300];
    snprintf(path, sizeof path, "%s/%s/progress.csv", dir, run);
    for (double t0 = now(); now() - t0 < 60;) {
        FILE *f = fopen(path, "r");
        int n = -1, c;
        if (f) {
            while ((c = fgetc(f)) != EOF) n += c == '\n';
            fclose(f);
        }
        if (n >= rows) return;
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    }
    fail_msg("%s never reached %d rows", path, rows);
}

/* waits for pid, at most `limit` seconds; returns its status, or fails */
static int wait_exit(pid_t pid, double limit, double *took) {
    double t0 = now();
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now() - t0 > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("process %d still running after %.0f s", (int)pid, limit);
        }
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    if (took) *took = now() - t0;
    return status;
}

/* the pid of the child of parent that is MPI rank `rank` */
static pid_t rank_pid(pid_t parent, int rank) {
    char want[64];
    snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t found = 0;
    while (d && (e = readdir(d)) && !found) {
        char path[300], buf[8192];
        int pid = atoi(e->d_name), ppid = 0;
        if (pid <= 0) continue;
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        const char *p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1 || ppid != parent) continue;
        snprintf(path, sizeof path, "/proc/%d/environ", pid);
        if (!(f = fopen(path, "r"))) continue;
        len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
            if (strcmp(buf + i, want) == 0) found = pid;
    }
    if (d) closedir(d);
    return found;
}

/* the uninterrupted reference run of long.ini, in one process */
static void whole_run(void) {
    char path[300];
    snprintf(path, sizeof path, "%s/whole/checkpoint.ckpt", dir);
    if (access(path, F_OK))
        assert_int_equal(
            commons(1, "train long.ini --out whole --set train.steps=46080", 0, out1, sizeof out1),
            0);
}

/* the update a stopped run says it stopped after, checked to lie inside the 240 */
static void stopped_early(const char *text, const char *sig) {
    char want[64];
    snprintf(want, sizeof want, "stopped by %s after update ", sig);
    const char *at = strstr(text, want);
    if (!at) fail_msg("no stop message in:\n%s", text);
    int update = atoi(at + strlen(want));
    if (update < 1 || update >= 240) fail_msg("stopped after update %d, not inside 1..239", update);
}

/* a scheduler's SIGTERM (Slurm signals every task; here one rank alone is signalled): every rank
 * stops after the same update with a checkpoint and exits 0; resumed on 3 ranks, the run ends
 * with the uninterrupted bits. A SIGTERM to mpirun reaches the ranks too (later, through mpirun) */
static void test_sigterm(void **state) {
    (void)state;
    need_mpi();
    whole_run();
    char cmd[1024], pre[600];
    launch(2, pre, sizeof pre);
    snprintf(cmd, sizeof cmd, "exec %s train long.ini --out termed", pre);
    pid_t pid = spawn(cmd, "termed.txt");
    wait_rows("termed", 3);
    pid_t rank1 = rank_pid(pid, 1);
    assert_true(rank1 > 0);
    kill(rank1, SIGTERM);
    int status = wait_exit(pid, 30, NULL);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t n;
    char *text = slurp("termed.txt", &n);
    stopped_early(text, "SIGTERM");
    free(text);
    assert_int_equal(
        commons(3, "train --resume termed --set train.steps=46080", 0, out1, sizeof out1), 0);
    same_run("whole", "termed");
    /* through mpirun */
    snprintf(cmd, sizeof cmd, "exec %s train long.ini --out termed2", pre);
    pid = spawn(cmd, "termed2.txt");
    wait_rows("termed2", 3);
    kill(pid, SIGTERM);
    wait_exit(pid, 30, NULL);
    text = slurp("termed2.txt", &n);
    if (!strstr(text, "stopped by SIGTERM after update ")) fail_msg("no stop in:\n%s", text);
    free(text);
}

/* Ctrl-C in one process: a checkpoint, exit 0, and the resumed run ends with the same bits */
static void test_sigint(void **state) {
    (void)state;
    whole_run();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "exec '%s' train long.ini --out inted", COMMONS_BIN);
    pid_t pid = spawn(cmd, "inted.txt");
    wait_rows("inted", 3);
    kill(pid, SIGINT);
    int status = wait_exit(pid, 30, NULL);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t n;
    char *text = slurp("inted.txt", &n);
    stopped_early(text, "SIGINT");
    if (!strstr(text, "commons: stopping after this update with a checkpoint"))
        fail_msg("no notice in:\n%s", text);
    free(text);
    assert_int_equal(commons(MPIRUN[0] ? 2 : 1, "train --resume inted --set train.steps=46080", 0,
                             out1, sizeof out1),
                     0);
    same_run("whole", "inted");
}

static void test_kill_rank(void **state) {
    (void)state;
    need_mpi();
    whole_run();
    char cmd[1024], pre[600];
    launch(2, pre, sizeof pre);
    snprintf(cmd, sizeof cmd, "exec %s train long.ini --out killed", pre);
    pid_t pid = spawn(cmd, "killed.txt");
    wait_rows("killed", 13); /* past the checkpoint of update 10 */
    pid_t victim = rank_pid(pid, 1);
    assert_true(victim > 0);
    kill(victim, SIGKILL);
    double took;
    int status = wait_exit(pid, 20, &took);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(took < 10);
    size_t n;
    char *text = slurp("killed.txt", &n);
    if (!strstr(text, "rank 1")) fail_msg("the dead rank is not named in:\n%s", text);
    free(text);
    /* the last checkpoint resumes to the uninterrupted bits */
    assert_int_equal(
        commons(2, "train --resume killed --set train.steps=46080", 0, out1, sizeof out1), 0);
    same_run("whole", "killed");
}

/* ---- without MPI ---- */

static void test_without_mpi(void **state) {
    (void)state;
    if (MPIRUN[0]) {
        print_message(
            "this build has MPI: the refusal of a launch without it is checked by a build "
            "with -DCOMMONS_MPI=OFF\n");
        skip();
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cd '%s' && OMPI_COMM_WORLD_SIZE=2 '%s' compare", dir, COMMONS_BIN);
    assert_int_equal(th_run(cmd, out1, sizeof out1), 2);
    assert_non_null(strstr(out1, "this commons was built without MPI, but a launcher started it "
                                 "as one of several processes (OMPI_COMM_WORLD_SIZE is set)"));
    /* without a launcher, one process as always */
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' compare --episodes 2 --steps 20", dir, COMMONS_BIN);
    assert_int_equal(th_run(cmd, out1, sizeof out1), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_same_bits), cmocka_unit_test(test_resume_other_count),
        cmocka_unit_test(test_refusals),        cmocka_unit_test(test_rollouts_same_bytes),
        cmocka_unit_test(test_bench_spread),    cmocka_unit_test(test_sigterm),
        cmocka_unit_test(test_sigint),          cmocka_unit_test(test_kill_rank),
        cmocka_unit_test(test_without_mpi),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
