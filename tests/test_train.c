/* test_train.c: `commons train`, `commons eval` and checkpoints as `commons run` policies, end
 * to end. A run writes its directory (config.ini, world.ini, progress.csv with one row per update,
 * episodes.jsonl, checkpoint.ckpt); a run stopped and resumed ends with the same checkpoint
 * weights and episode log as the uninterrupted one; eval and run accept the run; every bad input
 * (config syntax, keys, ranges, a corrupted or truncated checkpoint, a reused run directory, a
 * world the policy was not trained for) exits 2 with a message naming the place.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "io.h"

static char out[65536];
static char dir[128];

static int commons(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s", dir, COMMONS_BIN, args);
    return th_run(cmd, out, sizeof out);
}

static void expect_in(const char *args, const char *needle) {
    if (!strstr(out, needle))
        fail_msg("commons %s: expected \"%s\" in the output:\n%s", args, needle, out);
}

static void expect_exit(const char *args, int code) {
    int rc = commons(args);
    if (rc != code)
        fail_msg("commons %s: exit code %d, expected %d; output:\n%s", args, rc, code, out);
}

static void expect_error(const char *args, const char *const *needles) {
    expect_exit(args, 2);
    for (int i = 0; needles[i]; i++) expect_in(args, needles[i]);
}
#define EXPECT_ERROR(args, ...) expect_error(args, (const char *const[]){__VA_ARGS__, NULL})

static char *slurp(const char *name, size_t *n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(len + 1);
    assert_int_equal(fread(buf, 1, len, f), len);
    buf[len] = 0;
    fclose(f);
    if (n) *n = len;
    return buf;
}

static void put(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* a small run: 6 updates of 4 worlds x 16 steps, episodes of 40 steps */
static const char *TINY = "[env]\npreset = harvest\nmax_steps = 40\n[obs]\nencoding = ids\n"
                          "[train]\nsteps = 384\nworlds = 4\nrollout = 16\nshards = 2\n"
                          "checkpoint_every = 4\n[ppo]\nminibatches = 2\nepochs = 2\n"
                          "[net]\nhidden = 16\n";

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/commons_train_%d", (int)getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
    put("tiny.ini", TINY);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_run_directory(void **state) {
    (void)state;
    expect_exit("train tiny.ini --out a", 0);
    expect_in("train", "6 updates = 384 env steps = 1,920 agent-steps");
    expect_in("train", "agent-steps/s");
    expect_in("train", "commons eval a");
    /* a trained policy runs in its own world when none is given (ids encoding, 40 steps) */
    expect_exit("run --policy a/ --steps 5", 0);
    expect_in("run", "env harvest (game harvest, map harvest 16x38), 5 agents, 5 steps");
    expect_exit("run --policy a/ --set env.agents=3", 0);
    expect_in("run", "3 agents, 40 steps");
    char *progress = slurp("a/progress.csv", NULL);
    assert_int_equal(count_lines(progress), 7); /* header and one row per update */
    assert_true(strncmp(progress, "update,env_steps,agent_steps,seconds,agent_steps_per_s,", 55) ==
                0);
    assert_non_null(strstr(progress, "\n6,384,1920,"));
    char *episodes = slurp("a/episodes.jsonl", NULL);
    /* 4 worlds, 96 steps each: 2 finished episodes per world */
    assert_int_equal(count_lines(episodes), 8);
    assert_non_null(strstr(episodes, "{\"episode\": 7, "));
    assert_non_null(strstr(episodes, "\"efficiency\": "));
    char *config = slurp("a/config.ini", NULL);
    assert_non_null(strstr(config, "[env]\npreset = harvest"));
    assert_non_null(strstr(config, "[train]\nseed = 1\nsteps = 384\n"));
    assert_non_null(strstr(config, "hidden = 16\n"));
    char *world = slurp("a/world.ini", NULL);
    assert_null(strstr(world, "[train]"));
    free(progress), free(episodes), free(config), free(world);

    /* the run's policy: eval and run */
    expect_exit("eval a --episodes 2 --baselines", 0);
    expect_in("eval", "update 6 of 6");
    expect_in("eval", "trained ");
    expect_in("eval", "greedy ");
    expect_in("eval", "coop ");
    expect_exit("eval a/checkpoint.ckpt --episodes 1 --json", 0);
    expect_in("eval", "\"policy\": \"trained\"");
    assert_null(strstr(out, "signalling")); /* harvest without a channel: no measures */
    expect_exit("run --config a/world.ini --policy a/ --episodes 1", 0);
    expect_in("run", "policies: a/ a/ a/ a/ a/");
    expect_exit("run --config a/world.ini --policy a/checkpoint.ckpt,greedy,coop,greedy,random", 0);
    expect_in("run", "policies: a/checkpoint.ckpt greedy coop greedy random");
    /* the same seed gives the same episode */
    expect_exit("run --config a/world.ini --policy a/ --json", 0);
    char first[65536];
    memcpy(first, out, sizeof out);
    expect_exit("run --config a/world.ini --policy a/ --json", 0);
    assert_string_equal(first, out);
}

static void test_resume_same_weights(void **state) {
    (void)state;
    expect_exit("train tiny.ini --out straight", 0);
    /* stopped after 3 updates (checkpoint written), killed-run leftovers appended, resumed */
    expect_exit("train tiny.ini --out cut --stop-after 3", 0);
    expect_in("train", "update 3/6");
    size_t n;
    char *before = slurp("cut/progress.csv", &n);
    assert_int_equal(count_lines(before), 4);
    char *extra = malloc(n + 64);
    snprintf(extra, n + 64, "%s4,999,999,0,0,0,0,,,,,,0,0,0,0,0,0,0,0\n", before);
    put("cut/progress.csv", extra);
    free(extra);
    free(before);
    expect_exit("train --resume cut", 0);
    expect_in("resume", "resuming at update 3");

    PpoCheckpoint a, b;
    EnvError err;
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/straight/checkpoint.ckpt", dir);
    snprintf(pb, sizeof pb, "%s/cut/checkpoint.ckpt", dir);
    if (ppo_checkpoint_load(&a, pa, &err) || ppo_checkpoint_load(&b, pb, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(a.update, 6);
    assert_int_equal(b.update, 6);
    size_t bytes = sizeof(float) * a.n_params * (size_t)a.n_groups;
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, bytes);
    assert_memory_equal(a.m, b.m, bytes);
    assert_memory_equal(a.v, b.v, bytes);
    ppo_checkpoint_close(&a);
    ppo_checkpoint_close(&b);
    /* the logs: the leftover row is gone, the episodes are the same lines */
    char *pa_log = slurp("straight/progress.csv", NULL), *pb_log = slurp("cut/progress.csv", NULL);
    assert_int_equal(count_lines(pb_log), 7);
    assert_null(strstr(pb_log, ",999,999,"));
    char *ea = slurp("straight/episodes.jsonl", NULL), *eb = slurp("cut/episodes.jsonl", NULL);
    assert_string_equal(ea, eb);
    free(pa_log), free(pb_log), free(ea), free(eb);

    /* a finished run says so; resumed runs keep their config */
    expect_exit("train --resume cut", 0);
    expect_in("resume", "the run has done its 6 updates");
    EXPECT_ERROR("train --resume cut --set ppo.lr=0.1",
                 "--set 'ppo.lr=0.1': a resumed run keeps its config");
}

/* a resume on another BLAS kernel than the checkpoint's warns (the kernel field of a checkpoint
 * rewritten, its checksum recomputed) */
static void test_resume_other_kernel(void **state) {
    (void)state;
    expect_exit("train tiny.ini --out kern --stop-after 1", 0);
    char path[512];
    snprintf(path, sizeof path, "%s/kern/checkpoint.ckpt", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 64 && n < sizeof buf);
    /* payload: u64 config bytes, the config padded to 8, 6 i64 counters, then the kernel */
    uint64_t nc;
    memcpy(&nc, buf + 64, 8);
    size_t off = 64 + 8 + ((nc + 7) & ~(uint64_t)7) + 48;
    memset(buf + off, 0, 32);
    memcpy(buf + off, "Elsewhere", 9);
    uint64_t sum = env_fnv1a64(ENV_FNV1A64_BASIS, buf + 64, n - 64);
    memcpy(buf + 24, &sum, 8);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    expect_exit("train --resume kern", 0);
    expect_in("resume", "warning: the checkpoint was trained with the BLAS kernel Elsewhere");
}

static void test_bad_input(void **state) {
    (void)state;
    /* config errors: file:line, the key and the allowed range */
    put("bad1.ini", "[env]\npreset = harvest\n[ppo]\nlr = 2\n");
    EXPECT_ERROR("train bad1.ini", "bad1.ini:4: ppo.lr = 2 is out of range; allowed a number in "
                                   "(0, 1]");
    put("bad2.ini", "[env]\npreset = harvest\n[train]\nwrolds = 4\n");
    EXPECT_ERROR("train bad2.ini", "bad2.ini:4: unknown key 'train.wrolds'",
                 "'commons train --keys' lists the keys");
    put("bad3.ini", "[env]\npreset = harvest\n[tarin]\nworlds = 4\n");
    EXPECT_ERROR("train bad3.ini", "bad3.ini:4: unknown section '[tarin]'",
                 "training sections are train, ppo, net");
    put("bad4.ini", "[env]\npreset = harvest\n[train\n");
    EXPECT_ERROR("train bad4.ini", "bad4.ini:3: malformed section header '[train'");
    put("bad5.ini", "[env]\npreset = harvest\n[train]\nworlds = 6\nshards = 4\n");
    EXPECT_ERROR("train bad5.ini",
                 "train.shards = 4 does not divide train.worlds = 6; choose a divisor");
    put("bad6.ini", "[env]\npreset = harvest\n[net]\nconv = 8\nkernel = 20\n");
    EXPECT_ERROR("train bad6.ini", "net.kernel = 20 with net.stride = 1 does not fit the 15x15 "
                                   "view");
    EXPECT_ERROR("train missing.ini", "missing.ini: cannot open config file");
    EXPECT_ERROR("train", "train needs a config file");
    EXPECT_ERROR("train tiny.ini --set ppo.epochs=0",
                 "--set 'ppo.epochs=0': ppo.epochs = 0 is out of range; allowed 1..1000");
    EXPECT_ERROR("train tiny.ini --bogus 1", "unknown option '--bogus'");
    EXPECT_ERROR("train tiny.ini --set gnn.rounds=1",
                 "gnn.rounds = 1 needs signal bits to carry: set comm.signal_bits");
    expect_exit("train --keys", 0);
    expect_in("--keys", "ppo.clip");
    expect_in("--keys", "train.params");

    /* a run directory is not reused */
    expect_exit("train tiny.ini --out reuse --stop-after 1", 0);
    EXPECT_ERROR("train tiny.ini --out reuse", "reuse already holds a run", "--resume reuse");
    /* ... unless it has no checkpoint (stopped before its first save): then it starts afresh */
    expect_exit("train tiny.ini --out nockpt --stop-after 1", 0);
    char gone[600];
    snprintf(gone, sizeof gone, "%s/nockpt/checkpoint.ckpt", dir);
    assert_int_equal(unlink(gone), 0);
    expect_exit("train tiny.ini --out nockpt --stop-after 1", 0);
    size_t n_log;
    char *log = slurp("nockpt/progress.csv", &n_log);
    assert_non_null(log);
    assert_int_equal(strstr(log + 1, "update,") == NULL, 1); /* one header: a fresh log */
    free(log);
    EXPECT_ERROR("train tiny.ini --out ''", "--out: empty path; give a run directory");

    /* bad checkpoints: eval, run and resume refuse them */
    put("empty.ckpt", "");
    EXPECT_ERROR("eval empty.ckpt", "empty.ckpt: not a commons checkpoint");
    size_t n;
    char *good = slurp("reuse/checkpoint.ckpt", &n);
    char path[512];
    snprintf(path, sizeof path, "%s/trunc.ckpt", dir);
    FILE *f = fopen(path, "wb");
    fwrite(good, 1, n - 100, f);
    fclose(f);
    EXPECT_ERROR("eval trunc.ckpt", "trunc.ckpt: truncated checkpoint");
    good[n - 7] ^= 1;
    snprintf(path, sizeof path, "%s/flip.ckpt", dir);
    f = fopen(path, "wb");
    fwrite(good, 1, n, f);
    fclose(f);
    free(good);
    EXPECT_ERROR("eval flip.ckpt", "flip.ckpt: corrupted checkpoint: checksum");
    EXPECT_ERROR("run --env harvest --policy ./flip.ckpt", "corrupted checkpoint");
    EXPECT_ERROR("train --resume flip.ckpt", "corrupted checkpoint");
    EXPECT_ERROR("eval nowhere/", "nowhere/: cannot open checkpoint");
    EXPECT_ERROR("eval", "eval needs a run directory");
    /* a policy in a world it was not trained for */
    EXPECT_ERROR("run --env harvest --policy reuse/",
                 "was trained on 15x15x1 ids observations with 8 actions; this world gives "
                 "15x15x3 rgb",
                 "--config RUN_DIR/world.ini");
    EXPECT_ERROR("run --config reuse/world.ini --policy reuse/,greedy", "2 policies for 5 agents");
    /* scripted policies are unchanged */
    EXPECT_ERROR("run --env harvest --policy greedy,", "entry 2 of 'greedy,' is empty");
}

/* the ablation row of channel mode `mode` in eval's JSON, from its name to the fraction */
static void ablation_row(const char *mode, char *row, size_t n) {
    char key[64];
    snprintf(key, sizeof key, "{\"channel\": \"%s\", \"mean\": ", mode);
    const char *a = strstr(out, key), *b = a ? strstr(a, ", \"diff\"") : NULL;
    if (!a || !b) fail_msg("no ablation row for %s in:\n%s", mode, out);
    snprintf(row, n, "%.*s", (int)(b - a), a);
}

/* a tiny signalling run with a GNN on ocean-patchy: eval prints the signalling measures, the
 * listening divergence and the ablation; the measured episodes are the unmeasured ones (the intact
 * row is the same whether it is measured, under --channel intact, or not, under --channel zero) */
static void test_eval_signalling(void **state) {
    (void)state;
    put("sig.ini", "[env]\npreset = ocean-patchy\nmax_steps = 30\n[train]\nsteps = 240\n"
                   "worlds = 2\nrollout = 30\nshards = 1\ncheckpoint_every = 0\n[ppo]\n"
                   "minibatches = 1\nepochs = 1\n[net]\nconv = 0\nhidden = 8\n[gnn]\n"
                   "rounds = 1\nmode = signal\n");
    expect_exit("train sig.ini --out s", 0);
    expect_exit("eval s --episodes 2", 0);
    expect_in("eval", "signalling (trained agents, channel intact, 360 agent-steps;");
    expect_in("eval", "  bit 0: I(bit; plastic in view) ");
    expect_in("eval", "P(bit=1 | none) ");
    expect_in("eval", "listening: ");
    expect_in("eval", " nats KL between the move distributions");
    expect_in("eval", "ablation (trained policy, same seeds): plastic collected per episode");
    expect_in("eval", "\n  intact   ");
    expect_in("eval", "\n  zero     ");
    expect_in("eval", "\n  shuffle  ");
    char measured[256], unmeasured[256];
    expect_exit("eval s --episodes 2 --json", 0);
    expect_in("eval", "\"channel\": \"intact\", \"signalling\": {\"resource\": \"plastic\"");
    expect_in("eval", "\"listening\": {\"js_bits\": ");
    ablation_row("intact", measured, sizeof measured);
    expect_exit("eval s --episodes 2 --json --channel zero", 0);
    expect_in("eval", "\"channel\": \"zero\", \"signalling\"");
    ablation_row("intact", unmeasured, sizeof unmeasured);
    assert_string_equal(measured, unmeasured);
    /* a recording and a replay of the trained signalling team, headless: its bits replay */
    expect_exit("run --policy s/ --steps 12 --record s.gif --replay-out s.replay", 0);
    expect_in("run", "recorded 13 frames");
    expect_in("run", "signals sent ");
    expect_exit("replay s.replay --record s2.gif", 0);
    expect_in("replay", "every recorded state hash matched");
    EXPECT_ERROR("eval s --channel off", "unknown channel mode 'off': use one of intact zero "
                                         "shuffle");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_directory),       cmocka_unit_test(test_eval_signalling),
        cmocka_unit_test(test_resume_same_weights), cmocka_unit_test(test_resume_other_kernel),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
