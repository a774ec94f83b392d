/* test_rng.c: tuple hashing, stream seeding, bounded draws and probability thresholds. */
#include "helpers.h"

/* a known answer: the stream for one key is fixed forever (golden outputs) */
static void test_known_answer(void **state) {
    (void)state;
    EnvRng r;
    env_rng_seed(&r, env_hash4(1, 2, 3, 4));
    uint32_t first[4];
    for (int i = 0; i < 4; i++) first[i] = env_rng_u32(&r);
    EnvRng again;
    env_rng_seed(&again, env_hash4(1, 2, 3, 4));
    for (int i = 0; i < 4; i++) assert_int_equal(env_rng_u32(&again), first[i]);
    assert_true(env_hash4(1, 2, 3, 4) == 0xfa7771d5ca36580aULL);
    assert_int_equal(first[0], 3660717596u);
}

/* tuples are hashed, not added: permutations and equal sums give different keys */
static void test_tuple_hashing(void **state) {
    (void)state;
    uint64_t a = env_hash4(1, 2, 0, 0), b = env_hash4(2, 1, 0, 0), c = env_hash4(3, 0, 0, 0);
    assert_true(a != b);
    assert_true(a != c);
    assert_true(b != c);
    assert_true(env_hash4(0, 0, 0, 1) != env_hash4(0, 0, 1, 0));
    /* nearby seeds give unrelated streams: about half the bits differ */
    int bits = __builtin_popcountll(env_hash4(7, 0, 0, 1) ^ env_hash4(8, 0, 0, 1));
    assert_in_range(bits, 12, 52);
}

/* env_rng_below stays in range and is uniform (chi-square, 9 degrees of freedom) */
static void test_below_uniform(void **state) {
    (void)state;
    EnvRng r;
    env_rng_seed(&r, 42);
    int counts[10] = {0};
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        uint32_t x = env_rng_below(&r, 10);
        assert_true(x < 10);
        counts[x]++;
    }
    double chi = 0, e = n / 10.0;
    for (int k = 0; k < 10; k++) chi += (counts[k] - e) * (counts[k] - e) / e;
    /* the 99.99th percentile of chi-square with 9 degrees of freedom is 33.7 */
    assert_true(chi < 33.7);
    for (int i = 0; i < 1000; i++) assert_int_equal(env_rng_below(&r, 1), 0);
}

/* thresholds: exact conversion from parts per billion; 0 never, 1 always, 0.25 a quarter */
static void test_chance(void **state) {
    (void)state;
    assert_true(env_ppb_to_thr(500000000) == (1ULL << 31));
    assert_true(env_ppb_to_thr(1000000000) == (1ULL << 32));
    assert_true(env_ppb_to_thr(0) == 0);
    EnvRng r;
    env_rng_seed(&r, 7);
    int hits = 0, never = 0, always = 0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        hits += env_rng_chance(&r, env_ppb_to_thr(250000000));
        never += env_rng_chance(&r, 0);
        always += env_rng_chance(&r, env_ppb_to_thr(1000000000));
    }
    assert_int_equal(never, 0);
    assert_int_equal(always, n);
    /* binomial(1e5, 0.25): sd 137; five sd is 685 */
    assert_in_range(hits, 25000 - 685, 25000 + 685);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_tuple_hashing),
        cmocka_unit_test(test_below_uniform),
        cmocka_unit_test(test_chance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
