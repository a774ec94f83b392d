/* test_checkpoint.c: agents/checkpoint.c through the training driver (sim/train.c). Resuming from a
 * checkpoint written mid-episode gives the same parameters, Adam moments and counters, bit for bit,
 * as the uninterrupted run (shared and independent parameters, and a chain of two resumes); files
 * are replaced atomically; a truncated, corrupted, foreign or other-version file is refused with a
 * message saying which; a checkpoint whose worlds do not replay to the saved state, or whose
 * network differs from the config's, is refused.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "io.h"
#include "train.h"

static const char *CONFIG_TEXT = "[train]\nseed = 9\n";

static void setup(PpoConfig *c, SimConfig *env, int independent) {
    SimParams p;
    th_sim_params(&p, "harvest", "obs.encoding=ids", "env.max_steps=30", NULL);
    ppo_config_default(c);
    c->worlds = 4;
    c->shards = 2;
    c->rollout = 12; /* updates end mid-episode */
    c->minibatches = 3;
    c->epochs = 2;
    c->hidden[0] = 16;
    c->n_hidden = 1;
    c->seed = 9;
    c->steps = 4 * 12 * 6;
    c->independent = independent;
    EnvError err;
    if (sim_config_init(env, &p, &err)) fail_msg("%s", err.msg);
}

static void init(SimTrainer *t, const PpoConfig *c, const SimConfig *env) {
    EnvError err;
    if (sim_trainer_init(t, c, env, 0, c->shards, &err)) fail_msg("%s", err.msg);
}

static char *temp_path(const char *name) {
    static char buf[4][256];
    static int k = 0;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "/tmp/commons_ckpt_%d_%s", (int)getpid(), name);
    return p;
}

static void expect_same_state(const SimTrainer *sa, const SimTrainer *sb) {
    const PpoTrainer *a = &sa->ppo, *b = &sb->ppo;
    size_t bytes = sizeof(float) * a->model.n * (size_t)a->model.n_groups;
    assert_memory_equal(a->model.params, b->model.params, bytes);
    assert_memory_equal(a->model.m, b->model.m, bytes);
    assert_memory_equal(a->model.v, b->model.v, bytes);
    assert_int_equal(a->model.adam_steps, b->model.adam_steps);
    assert_int_equal(a->update, b->update);
    assert_int_equal(a->env_steps, b->env_steps);
    assert_int_equal(a->episodes, b->episodes);
    for (int w = 0; w < a->n_worlds; w++)
        assert_true(env_state_hash(&sa->batch.worlds[w]) == env_state_hash(&sb->batch.worlds[w]));
}

/* run 6 updates straight, and the same with a save and restore after each of `cuts` */
static void resume_case(int independent, const int *cuts, int n_cuts) {
    PpoConfig c;
    SimConfig env;
    setup(&c, &env, independent);
    SimTrainer straight, resumed;
    init(&straight, &c, &env);
    for (int u = 0; u < 6; u++) sim_trainer_update(&straight, NULL);

    init(&resumed, &c, &env);
    const char *path = temp_path("resume.ckpt");
    int done = 0;
    for (int k = 0; k < n_cuts; k++) {
        for (; done < cuts[k]; done++) sim_trainer_update(&resumed, NULL);
        /* mid-episode: 12 * cut steps into 30-step episodes */
        assert_true(resumed.batch.worlds[0].tick != 0);
        EnvError err;
        if (sim_trainer_save(&resumed, CONFIG_TEXT, path, &err)) fail_msg("%s", err.msg);
        sim_trainer_close(&resumed);
        PpoCheckpoint ck;
        if (ppo_checkpoint_load(&ck, path, &err)) fail_msg("%s", err.msg);
        assert_string_equal(ck.config, CONFIG_TEXT);
        assert_int_equal(ck.update, cuts[k]);
        init(&resumed, &c, &env);
        if (sim_trainer_restore(&resumed, &ck, &err)) fail_msg("%s", err.msg);
        ppo_checkpoint_close(&ck);
    }
    for (; done < 6; done++) sim_trainer_update(&resumed, NULL);
    expect_same_state(&straight, &resumed);
    unlink(path);
    sim_trainer_close(&straight);
    sim_trainer_close(&resumed);
    sim_config_close(&env);
}

static void test_resume_bit_exact(void **state) {
    (void)state;
    int one[1] = {2};
    resume_case(0, one, 1);
    int two[2] = {1, 4};
    resume_case(1, two, 2);
}

static void test_resume_differs_without_state(void **state) {
    (void)state;
    /* the check has teeth: restoring parameters alone (fresh Adam moments) changes the result */
    PpoConfig c;
    SimConfig env;
    setup(&c, &env, 0);
    SimTrainer a, b;
    init(&a, &c, &env);
    init(&b, &c, &env);
    for (int u = 0; u < 2; u++) sim_trainer_update(&a, NULL), sim_trainer_update(&b, NULL);
    memset(b.ppo.model.m, 0, sizeof(float) * b.ppo.model.n);
    sim_trainer_update(&a, NULL);
    sim_trainer_update(&b, NULL);
    assert_true(memcmp(a.ppo.model.params, b.ppo.model.params, sizeof(float) * a.ppo.model.n) != 0);
    sim_trainer_close(&a);
    sim_trainer_close(&b);
    sim_config_close(&env);
}

static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(*n);
    assert_int_equal(fread(buf, 1, *n, f), *n);
    fclose(f);
    return buf;
}

static void write_all(const char *path, const uint8_t *buf, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

/* files in the target's folder whose name starts with the target's and ".tmp" */
static int temps_beside(const char *target) {
    const char *slash = strrchr(target, '/');
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s.tmp", slash + 1);
    DIR *d = opendir("/tmp");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void expect_refused(const char *path, const char *needle) {
    PpoCheckpoint ck;
    EnvError err;
    assert_int_equal(ppo_checkpoint_load(&ck, path, &err), ENV_EINPUT);
    if (!strstr(err.msg, needle)) fail_msg("expected \"%s\" in \"%s\"", needle, err.msg);
    if (!strstr(err.msg, path)) fail_msg("expected the path in \"%s\"", err.msg);
}

static uint64_t fnv(const uint8_t *p, size_t n) {
    uint64_t h = 0xCBF29CE484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ULL;
    return h;
}

static void test_bad_files(void **state) {
    (void)state;
    PpoConfig c;
    SimConfig env;
    setup(&c, &env, 0);
    SimTrainer t;
    init(&t, &c, &env);
    sim_trainer_update(&t, NULL);
    const char *good = temp_path("good.ckpt"), *bad = temp_path("bad.ckpt");
    EnvError err;
    assert_int_equal(sim_trainer_save(&t, CONFIG_TEXT, good, &err), 0);
    /* written atomically: no temporary file left behind; a second save replaces the first */
    assert_int_equal(temps_beside(good), 0);
    assert_int_equal(env_atomic_pending(), 0);
    sim_trainer_update(&t, NULL);
    assert_int_equal(sim_trainer_save(&t, CONFIG_TEXT, good, &err), 0);
    PpoCheckpoint ck;
    assert_int_equal(ppo_checkpoint_load(&ck, good, &err), 0);
    assert_int_equal(ck.update, 2);
    ppo_checkpoint_close(&ck);

    size_t n;
    uint8_t *buf = read_all(good, &n);
    uint8_t *copy = malloc(n);

    /* truncated: every cut is refused (a few positions, including inside the header) */
    size_t cuts[] = {0, 10, 63, 64, 200, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_all(bad, buf, cuts[i]);
        expect_refused(bad,
                       cuts[i] < 64 ? "shorter than the 64-byte header" : "truncated checkpoint");
    }
    /* one flipped bit in the payload */
    memcpy(copy, buf, n);
    copy[n / 2] ^= 0x10;
    write_all(bad, copy, n);
    expect_refused(bad, "corrupted checkpoint: checksum");
    /* bytes appended */
    uint8_t *longer = malloc(n + 8);
    memcpy(longer, buf, n);
    memset(longer + n, 0, 8);
    write_all(bad, longer, n + 8);
    expect_refused(bad, "bytes after the");
    free(longer);
    /* not a checkpoint at all; another version */
    memcpy(copy, buf, n);
    memcpy(copy, "GIF89a..", 8);
    write_all(bad, copy, n);
    expect_refused(bad, "not a commons checkpoint (bad magic number)");
    memcpy(copy, buf, n);
    copy[8] = 7;
    write_all(bad, copy, n);
    expect_refused(bad, "checkpoint version 7; this build reads versions 1 to 2");
    expect_refused("/nonexistent/x.ckpt", "cannot open checkpoint");

    /* a valid checksum over a tampered action: the replay does not reach the saved state */
    memcpy(copy, buf, n);
    PpoCheckpoint probe;
    assert_int_equal(ppo_checkpoint_load(&probe, good, &err), 0);
    size_t at = (size_t)((const uint8_t *)probe.world[0].actions - probe.data) + 64;
    assert_true(probe.world[0].tick > 0);
    ppo_checkpoint_close(&probe);
    copy[at] = (uint8_t)((copy[at] + 1) % 8);
    uint64_t sum = fnv(copy + 64, n - 64);
    memcpy(copy + 24, &sum, 8);
    write_all(bad, copy, n);
    assert_int_equal(ppo_checkpoint_load(&ck, bad, &err), 0);
    SimTrainer fresh;
    init(&fresh, &c, &env);
    assert_int_equal(sim_trainer_restore(&fresh, &ck, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "replaying the checkpoint's"));
    sim_trainer_close(&fresh);
    ppo_checkpoint_close(&ck);

    /* NaN or infinite weights under a valid checksum: refused, the weight named */
    assert_int_equal(ppo_checkpoint_load(&probe, good, &err), 0);
    size_t params_at = (size_t)((const uint8_t *)probe.params - probe.data) + 64;
    size_t v_at = (size_t)((const uint8_t *)probe.v - probe.data) + 64;
    ppo_checkpoint_close(&probe);
    const float bad_values[2] = {NAN, -INFINITY};
    const size_t bad_at[2] = {params_at + 3 * sizeof(float), v_at};
    const char *bad_msg[2] = {"parameter 3 of group 0 is NaN", "Adam second moment 0 of group 0 is "
                                                               "infinite"};
    for (int k = 0; k < 2; k++) {
        memcpy(copy, buf, n);
        memcpy(copy + bad_at[k], &bad_values[k], sizeof(float));
        sum = fnv(copy + 64, n - 64);
        memcpy(copy + 24, &sum, 8);
        write_all(bad, copy, n);
        expect_refused(bad, bad_msg[k]);
    }
    /* a FIFO is refused at once, not waited on */
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s.fifo", bad);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_refused(fifo, "is a FIFO, not a checkpoint");
    unlink(fifo);

    /* a network that differs from the config's */
    assert_int_equal(ppo_checkpoint_load(&ck, good, &err), 0);
    PpoConfig other = c;
    other.hidden[0] = 17;
    init(&fresh, &other, &env);
    assert_int_equal(sim_trainer_restore(&fresh, &ck, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "parameter groups"));
    sim_trainer_close(&fresh);
    ppo_checkpoint_close(&ck);

    free(buf);
    free(copy);
    unlink(good);
    unlink(bad);
    sim_trainer_close(&t);
    sim_config_close(&env);
}

int main(void) {
    nn_blas_single_thread();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_bit_exact),
        cmocka_unit_test(test_resume_differs_without_state),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
