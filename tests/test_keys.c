/* test_keys.c: the key engine (env/keys.c) on its own table and on the three real ones (the
 * world's, comm's, the trainer's): bad values, ranges, choices, lists, exact messages, and INI
 * round trips; the run params (SimParams) that send keys to the world or to comm. */
#define _DEFAULT_SOURCE
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "ppo.h"

/* ---- a table of every type ---- */

typedef struct Demo {
    int i, b, c, mapped, n_probs, n_ints;
    int64_t big, prob, probs[3];
    double x;
    int ints[2];
    char name[8];
} Demo;

static const int MAPPED[] = {7, 3};

#define D(field) offsetof(Demo, field)
static const EnvKeySpec DEMO_KEYS[] = {
    ENV_KEY_ROW_INT("a", "i", D(i), -5, 5, "an int"),
    ENV_KEY_ROW_BOOL("a", "b", D(b), "a bool"),
    ENV_KEY_ROW_INT64("a", "big", D(big), 0, 4611686018427387904.0, "an int64"),
    ENV_KEY_ROW_REAL("a", "x", D(x), 0, 2, 1, "a real, 0 excluded"),
    ENV_KEY_ROW_PROB("b", "prob", D(prob), "a probability"),
    ENV_KEY_ROW_PROBS("b", "probs", D(probs), D(n_probs), 3, "probabilities"),
    ENV_KEY_ROW_INTS("b", "ints", D(ints), D(n_ints), 2, 1, 9, "ints"),
    ENV_KEY_ROW_CHOICE("c", "c", D(c), "red green blue", NULL, "a choice"),
    ENV_KEY_ROW_CHOICE("c", "mapped", D(mapped), "seven three", MAPPED, "a mapped choice"),
    ENV_KEY_ROW_STRING("c", "name", D(name), 7, "a name"),
};
static const EnvKeyTable WORLD = {DEMO_KEYS, (int)(sizeof DEMO_KEYS / sizeof DEMO_KEYS[0]),
                                  ENV_KEY_DIALECT_WORLD, "demo --keys"};
static const EnvKeyTable TRAIN = {DEMO_KEYS, (int)(sizeof DEMO_KEYS / sizeof DEMO_KEYS[0]),
                                  ENV_KEY_DIALECT_TRAIN, "demo --keys"};

/* sets a key that must fail with exactly `msg`, leaving the struct unchanged */
static void expect_fail(const EnvKeyTable *t, const char *sec, const char *key, const char *value,
                        const char *msg) {
    Demo d, before;
    memset(&d, 0, sizeof d);
    before = d;
    EnvError err = {0};
    assert_int_equal(env_keys_set(t, &d, sec, key, value, &err), ENV_EINPUT);
    assert_int_equal(err.code, ENV_EINPUT);
    assert_string_equal(err.msg, msg);
    assert_memory_equal(&d, &before, sizeof d);
}

static void test_values(void **state) {
    (void)state;
    Demo d;
    memset(&d, 0, sizeof d);
    EnvError err;
    char buf[128];
    static const struct {
        const char *sec, *key, *value, *back;
    } ok[] = {
        {"a", "i", "-5", "-5"},
        {"a", "b", "1", "1"},
        {"a", "big", "123456789012345678", "123456789012345678"},
        {"a", "x", "0.1", "0.1"},
        {"a", "x", "2", "2"},
        {"b", "prob", "0.000000001", "0.000000001"},
        {"b", "prob", "1", "1"},
        {"b", "prob", "0.50", "0.5"},
        {"b", "probs", " 0 ,0.25, 1", "0,0.25,1"},
        {"b", "ints", "3,9", "3,9"},
        {"b", "ints", "none", "none"},
        {"c", "c", "blue", "blue"},
        {"c", "mapped", "three", "three"},
        {"c", "name", "seven!!", "seven!!"},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        if (env_keys_set(&WORLD, &d, ok[k].sec, ok[k].key, ok[k].value, &err))
            fail_msg("%s.%s = %s: %s", ok[k].sec, ok[k].key, ok[k].value, err.msg);
        assert_int_equal(env_keys_get(&WORLD, &d, ok[k].sec, ok[k].key, buf, sizeof buf), 0);
        assert_string_equal(buf, ok[k].back);
    }
    assert_int_equal(d.c, 2);
    assert_int_equal(d.mapped, 3); /* the value of "three", not its index */
    assert_true(d.prob == ENV_PPB / 2);
    assert_int_equal(d.n_probs, 3);
    assert_true(d.probs[1] == 250000000);
    assert_int_equal(d.n_ints, 0);
    assert_int_equal(env_keys_get(&WORLD, &d, "a", "nosuch", buf, sizeof buf), ENV_ENOTFOUND);
    /* the trainer's integers allow blanks around them; the world's do not */
    assert_int_equal(env_keys_set(&TRAIN, &d, "a", "i", " 4 ", &err), 0);
    assert_int_equal(d.i, 4);
    assert_int_equal(env_keys_set(&WORLD, &d, "a", "i", "4 ", &err), ENV_EINPUT);
    assert_int_equal(env_keys_set(&WORLD, &d, "a", "i", "+3", &err), 0);
    assert_int_equal(d.i, 3);
    /* the world's integers have at most 18 digits; the trainer's go to the int64 range */
    assert_int_equal(env_keys_set(&WORLD, &d, "a", "big", "4611686018427387904", &err), ENV_EINPUT);
    assert_int_equal(env_keys_set(&TRAIN, &d, "a", "big", "4611686018427387904", &err), 0);
    assert_true(d.big == 4611686018427387904LL);
}

static void test_world_messages(void **state) {
    (void)state;
    expect_fail(&WORLD, "a", "i", "6", "a.i = 6 is out of range; allowed -5..5");
    expect_fail(&WORLD, "a", "i", "x", "a.i: 'x' is not an integer; allowed -5..5");
    expect_fail(&WORLD, "a", "i", "", "a.i: '' is not an integer; allowed -5..5");
    expect_fail(&WORLD, "a", "b", "2", "a.b = 2 is out of range; allowed 0..1");
    expect_fail(&WORLD, "b", "prob", "1.5",
                "b.prob: '1.5' is not a probability; allowed a decimal in [0, 1] with at most 9 "
                "digits after the point");
    expect_fail(&WORLD, "b", "prob", "0.1234567891",
                "b.prob: '0.1234567891' is not a probability; allowed a decimal in [0, 1] with "
                "at most 9 digits after the point");
    expect_fail(&WORLD, "b", "probs", "0,0.5,x",
                "b.probs: 'x' is not a probability; use comma-separated decimals in [0, 1], e.g. "
                "0,0.005,0.02,0.05");
    expect_fail(&WORLD, "b", "probs", "0,0,0,0", "b.probs: at most 3 probabilities, got more");
    expect_fail(&WORLD, "b", "probs", "", "b.probs: empty list; give 1 to 3 probabilities");
    expect_fail(&WORLD, "c", "c", "pink",
                "c.c: 'pink' is not allowed; choose one of: red green blue");
    expect_fail(&WORLD, "c", "name", "eight!!!", "c.name: value longer than 7 characters");
    expect_fail(&WORLD, "c", "nokey", "1", "unknown key 'c.nokey'; 'demo --keys' lists the keys");
    expect_fail(&WORLD, "d", "k", "1", "unknown section '[d]' (key 'k'); sections are a, b, c");
}

static void test_train_messages(void **state) {
    (void)state;
    expect_fail(&TRAIN, "a", "i", "2.5", "a.i = '2.5' is not an integer; allowed -5..5");
    expect_fail(&TRAIN, "a", "b", "2", "a.b = 2 is out of range; allowed 0 or 1");
    expect_fail(&TRAIN, "a", "x", "0", "a.x = 0 is out of range; allowed a number in (0, 2]");
    expect_fail(&TRAIN, "a", "x", "nan", "a.x = 'nan' is not a number; allowed a number in (0, 2]");
    expect_fail(&TRAIN, "a", "big", "-1",
                "a.big = -1 is out of range; allowed 0..4611686018427387904");
    expect_fail(&TRAIN, "b", "ints", "1,2,3",
                "b.ints = '1,2,3' is not allowed; give none, or up to 2 sizes in 1..9");
    expect_fail(&TRAIN, "b", "ints", "0",
                "b.ints = '0' is not allowed; give none, or up to 2 sizes in 1..9");
    expect_fail(&TRAIN, "c", "c", "pink", "c.c = 'pink' is not allowed; choose red green blue");
}

static void test_listing(void **state) {
    (void)state;
    static const char *ranges[] = {"-5..5",
                                   "0 or 1",
                                   "0..4611686018427387904",
                                   "a number in (0, 2]",
                                   "decimal in [0, 1]",
                                   "1..3 decimals in [0, 1]",
                                   "none, or up to 2 sizes in 1..9",
                                   "red green blue",
                                   "seven three",
                                   "text"};
    const char *sec, *key, *doc;
    char range[96];
    int n = 0;
    for (; env_keys_describe(&WORLD, n, &sec, &key, range, sizeof range, &doc) == 0; n++)
        assert_string_equal(range, ranges[n]);
    assert_int_equal(n, WORLD.n);
    Demo d;
    memset(&d, 0, sizeof d);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    env_keys_write_ini(&WORLD, &d, f);
    fclose(f);
    assert_string_equal(text, "\n[a]\ni = 0\nb = 0\nbig = 0\nx = 0\n\n[b]\nprob = 0\nprobs = \n"
                              "ints = none\n\n[c]\nc = red\nmapped = \nname = \n");
    free(text);
}

/* ---- the real tables ---- */

/* writes with write_ini, reads every "key = value" back with set, compares every key with get */
typedef void (*WriteFn)(const void *obj, FILE *f);
typedef int (*SetFn)(void *obj, const char *sec, const char *key, const char *value, EnvError *e);
typedef int (*GetFn)(const void *obj, const char *sec, const char *key, char *buf, size_t n);
typedef int (*KeyFn)(int i, const char **sec, const char **key, char *range, size_t n,
                     const char **doc);

static void round_trip(const void *a, void *b, WriteFn write, SetFn set, GetFn get, KeyFn keys) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    write(a, f);
    fclose(f);
    char section[64] = "";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == ';') continue;
        if (line[0] == '[') {
            snprintf(section, sizeof section, "%.*s", (int)strcspn(line + 1, "]"), line + 1);
            continue;
        }
        char *eq = strstr(line, " = ");
        assert_non_null(eq);
        *eq = 0;
        EnvError err;
        if (set(b, section, line, eq + 3, &err)) fail_msg("%s.%s: %s", section, line, err.msg);
    }
    free(text);
    const char *sec, *key, *doc;
    char range[96], va[512], vb[512];
    int n = 0;
    for (; keys(n, &sec, &key, range, sizeof range, &doc) == 0; n++) {
        assert_int_equal(get(a, sec, key, va, sizeof va), 0);
        assert_int_equal(get(b, sec, key, vb, sizeof vb), 0);
        if (strcmp(va, vb)) fail_msg("%s.%s: '%s' read back as '%s'", sec, key, va, vb);
    }
    assert_true(n > 0);
}

static void env_write(const void *o, FILE *f) {
    env_params_write_ini(o, f);
}
static int env_set(void *o, const char *s, const char *k, const char *v, EnvError *e) {
    return env_params_set(o, s, k, v, e);
}
static int env_get(const void *o, const char *s, const char *k, char *b, size_t n) {
    return env_params_get(o, s, k, b, n);
}
static void comm_write(const void *o, FILE *f) {
    comm_params_write_ini(o, f);
}
static int comm_set(void *o, const char *s, const char *k, const char *v, EnvError *e) {
    return comm_params_set(o, s, k, v, e);
}
static int comm_get(const void *o, const char *s, const char *k, char *b, size_t n) {
    return comm_params_get(o, s, k, b, n);
}
static void ppo_write(const void *o, FILE *f) {
    ppo_config_write_ini(o, f);
}
static int ppo_set(void *o, const char *s, const char *k, const char *v, EnvError *e) {
    return ppo_config_set(o, s, k, v, e);
}
static int ppo_get(const void *o, const char *s, const char *k, char *b, size_t n) {
    return ppo_config_get(o, s, k, b, n);
}

static void test_round_trips(void **state) {
    (void)state;
    SimParams a, b;
    th_sim_params(&a, "ocean-patchy", "regrowth.probs=0,0.001,1", "env.source=a note",
                  "rewards.share=neighbours", "rewards.alpha=0.125", "comm.topology=knn",
                  "comm.k=3", (const char *)NULL);
    sim_params_default(&b);
    round_trip(&a.env, &b.env, env_write, env_set, env_get, env_params_key);
    round_trip(&a.comm, &b.comm, comm_write, comm_set, comm_get, comm_params_key);
    assert_memory_equal(&a.comm, &b.comm, sizeof a.comm);
    PpoConfig c, d;
    EnvError err;
    ppo_config_default(&c);
    ppo_config_default(&d);
    assert_int_equal(ppo_config_set(&c, "net", "activation", "tanh", &err), 0);
    assert_int_equal(ppo_config_set(&c, "net", "hidden", "5,6,7", &err), 0);
    assert_int_equal(ppo_config_set(&c, "ppo", "lr", "0.000123456789", &err), 0);
    assert_int_equal(ppo_config_set(&c, "train", "seed", "4611686018427387904", &err), 0);
    round_trip(&c, &d, ppo_write, ppo_set, ppo_get, ppo_config_key);
    assert_memory_equal(&c, &d, sizeof c);
    assert_int_equal(d.activation, NN_TANH);
}

/* comm owns its keys: names in enum order, its ranges, the world's messages */
static void test_comm_keys(void **state) {
    (void)state;
    CommParams p;
    EnvError err;
    char buf[32];
    comm_params_default(&p);
    for (int t = 0; t < COMM_TOPOLOGY_COUNT; t++) {
        assert_int_equal(comm_params_set(&p, "comm", "topology", comm_topology_name(t), &err), 0);
        assert_int_equal(p.topology, t);
        assert_int_equal(comm_params_get(&p, "comm", "topology", buf, sizeof buf), 0);
        assert_string_equal(buf, comm_topology_name(t));
    }
    assert_int_equal(comm_params_set(&p, "rewards", "share", "global", &err), 0);
    assert_int_equal(p.share, COMM_SHARE_GLOBAL);
    assert_int_equal(comm_params_set(&p, "comm", "k", "32", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "comm.k = 32 is out of range; allowed 1..31");
    assert_int_equal(comm_params_set(&p, "comm", "signal_bits", "5", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "comm.signal_bits = 5 is out of range; allowed 0..4");
    assert_int_equal(comm_params_set(&p, "comm", "topology", "mesh", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "comm.topology: 'mesh' is not allowed; choose one of: none full "
                                 "ring star radius knn");
    assert_int_equal(comm_params_set(&p, "comm", "nokey", "1", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "unknown key 'comm.nokey'; 'commons maps --keys' lists the keys");
    assert_true(comm_params_section("rewards") && !comm_params_section("env"));
    /* the signal heads it adds to a world's spec */
    EnvSpec spec = {.n_actions = 5, .n_heads = 1, .head_size = {5}};
    p.signal_bits = 2;
    comm_spec(&p, &spec);
    assert_int_equal(spec.n_heads, 3);
    assert_int_equal(spec.head_size[0], 5);
    assert_int_equal(spec.head_size[1], 2);
    assert_int_equal(spec.head_size[2], 2);
}

/* the run params: sections go to their table; one listing of every key, world first */
static void test_sim_params(void **state) {
    (void)state;
    SimParams p;
    EnvError err;
    sim_params_default(&p);
    assert_int_equal(sim_params_set(&p, "comm", "slots", "3", &err), 0);
    assert_int_equal(sim_params_set(&p, "beam", "length", "2", &err), 0);
    assert_int_equal(p.comm.slots, 3);
    assert_int_equal(p.env.fire.length, 2);
    assert_int_equal(sim_params_set(&p, "ppo", "lr", "1", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "unknown section '[ppo]' (key 'lr'); sections are env, obs, beam, "
                                 "clean, apples, regrowth, pollution, ocean, tragedy, comm, "
                                 "rewards");
    assert_int_equal(sim_params_set(&p, "env", "bogus", "1", &err), ENV_EINPUT);
    assert_string_equal(err.msg, "unknown key 'env.bogus'; 'commons maps --keys' lists the keys");
    const char *sec, *key, *doc;
    char range[96];
    int n = 0, n_env = 0;
    while (env_params_key(n_env, &sec, &key, range, sizeof range, &doc) == 0) n_env++;
    for (; sim_params_key(n, &sec, &key, range, sizeof range, &doc) == 0; n++)
        if (n == n_env) assert_string_equal(key, "topology");
    assert_int_equal(n, n_env + 11);
    assert_string_equal(sec, "rewards");
    /* the config: the world's spec plus the signal heads */
    SimConfig cfg;
    th_sim_params(&p, "harvest", "comm.signal_bits=2", (const char *)NULL);
    assert_int_equal(sim_config_init(&cfg, &p, &err), 0);
    assert_int_equal(cfg.env.spec.n_heads, 1);
    assert_int_equal(cfg.spec.n_heads, 3);
    assert_int_equal(cfg.spec.head_size[0], cfg.env.spec.n_actions);
    EnvSpec spec;
    assert_int_equal(sim_spec(&p, &spec, &err), 0);
    assert_int_equal(spec.n_heads, 3);
    assert_memory_equal(spec.head_size, cfg.spec.head_size, sizeof spec.head_size);
    sim_config_close(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),         cmocka_unit_test(test_world_messages),
        cmocka_unit_test(test_train_messages), cmocka_unit_test(test_listing),
        cmocka_unit_test(test_round_trips),    cmocka_unit_test(test_comm_keys),
        cmocka_unit_test(test_sim_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
