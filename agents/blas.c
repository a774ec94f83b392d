/* blas.c: which sgemm kernel OpenBLAS runs, the best one this CPU supports, and the switch away
 * from a generic fallback (see nn.h, "BLAS kernel").
 *
 * Contract:
 * - nn_blas_kernel() is openblas_get_corename(): the kernel that every sgemm of this process runs
 *   (a DYNAMIC_ARCH build picks it by CPU when the library loads, or from OPENBLAS_CORETYPE).
 * - nn_blas_best_kernel() reads the CPU (cpuid through __builtin_cpu_supports, which also checks
 *   that the OS saves the AVX registers): SkylakeX with AVX-512, Zen or Haswell with AVX2 and FMA,
 *   Sandybridge with AVX, NULL without AVX (no better kernel than the generic ones).
 * - nn_blas_setup() switches only when OpenBLAS fell back to a kernel without AVX on a CPU that
 *   has it, and OPENBLAS_CORETYPE is unset: a value set by the user or the machine is never
 *   overridden (some machines pin it because a kernel miscomputes or crashes on their CPU).
 * - The switch works inside the running process with Debian's OpenBLAS 0.3.21 DYNAMIC_ARCH
 *   build: it looks up the library's exported gotoblas_dynamic_quit() and gotoblas_dynamic_init()
 *   (dlsym; a build without them is left alone), sets OPENBLAS_CORETYPE for the re-initialisation
 *   only and restores the environment, so child processes see the user's environment. Then it
 *   checks sgemm against the naive product on the layouts the network uses; if the check fails,
 *   it switches back to the kernel OpenBLAS chose. It must run before any other BLAS call and
 *   before any thread uses BLAS: the CLI calls it first thing.
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nn.h"

const char *nn_blas_kernel(void) {
    const char *name = openblas_get_corename();
    return name ? name : "unknown";
}

const char *nn_blas_best_kernel(void) {
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return __builtin_cpu_is("amd") ? "Zen" : "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
    return NULL;
}

/* the kernels of an x86-64 DYNAMIC_ARCH build that use no AVX: the generic fallbacks */
static int is_generic(const char *k) {
    static const char *const names[] = {
        "Prescott",  "Core2",   "Penryn",    "Dunnington",    "Nehalem", "Atom",
        "Nano",      "Opteron", "Barcelona", "Bobcat",        "Katmai",  "Coppermine",
        "Northwood", "Banias",  "Athlon",    "Opteron(SSE3)", "Unknown"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(k, names[i]) == 0) return 1;
    return 0;
}

const char *nn_blas_pick(const char *current, const char *best, const char *coretype_env) {
    if (coretype_env && coretype_env[0]) return NULL; /* set by the user or the machine */
    if (!current || !best || !is_generic(current)) return NULL;
    return best;
}

/* sgemm against the naive product: C = alpha op(A) op(B) + beta C on odd sizes, each layout the
 * network calls (NN, TN, NT); 0 when every element is within a float rounding tolerance */
int nn_blas_check(char *msg, size_t n) {
    enum { M = 67, N = 70, K = 131 };
    static const int trans[3][2] = {{0, 0}, {1, 0}, {0, 1}};
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N),
          *c = malloc(sizeof(float) * M * N), *r = malloc(sizeof(float) * M * N);
    int bad = !a || !b || !c || !r;
    EnvRng rng;
    env_rng_seed(&rng, 0x5EED);
    for (int i = 0; !bad && i < M * K; i++)
        a[i] = (float)(env_rng_u32(&rng) >> 8) * (2.0f / 16777216.0f) - 1.0f;
    for (int i = 0; !bad && i < K * N; i++)
        b[i] = (float)(env_rng_u32(&rng) >> 8) * (2.0f / 16777216.0f) - 1.0f;
    for (int t = 0; t < 3 && !bad; t++) {
        int ta = trans[t][0], tb = trans[t][1];
        for (int i = 0; i < M * N; i++) c[i] = r[i] = 0.25f * (float)(i % 7);
        /* A is (M, K) read as (K, M) when transposed, B likewise */
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    M, N, K, 0.5f, a, ta ? M : K, b, tb ? K : N, 1.0f, c, N);
        for (int i = 0; i < M && !bad; i++)
            for (int j = 0; j < N && !bad; j++) {
                double s = 0, mag = 0;
                for (int k = 0; k < K; k++) {
                    double x = ta ? a[k * M + i] : a[i * K + k],
                           y = tb ? b[j * K + k] : b[k * N + j];
                    s += x * y;
                    mag += fabs(x * y);
                }
                double want = 0.5 * s + r[i * N + j];
                if (!(fabs((double)c[i * N + j] - want) <= 1e-5 * (mag + 1.0))) {
                    snprintf(msg, n,
                             "sgemm (%s%s) differs from the naive product at (%d, %d): %g "
                             "instead of %g",
                             ta ? "T" : "N", tb ? "T" : "N", i, j, (double)c[i * N + j], want);
                    bad = 2;
                }
            }
    }
    if (bad == 1) snprintf(msg, n, "out of memory for the sgemm check");
    free(a), free(b), free(c), free(r);
    return bad ? -1 : 0;
}

typedef void (*VoidFn)(void);

/* a function of the loaded OpenBLAS by name, or NULL */
static VoidFn blas_symbol(const char *name) {
    void *sym = dlsym(RTLD_DEFAULT, name);
    VoidFn fn = NULL;
    if (sym) memcpy(&fn, &sym, sizeof fn);
    return fn;
}

int nn_blas_use(const char *kernel) {
    VoidFn quit = blas_symbol("gotoblas_dynamic_quit"), init = blas_symbol("gotoblas_dynamic_init");
    if (!quit || !init) return -1;
    const char *old = getenv("OPENBLAS_CORETYPE");
    char *keep = old ? strdup(old) : NULL;
    if (old && !keep) return -1;
    /* the library reads the variable when it initialises; the environment is restored after */
    if (kernel)
        setenv("OPENBLAS_CORETYPE", kernel, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
    quit();
    init();
    if (keep)
        setenv("OPENBLAS_CORETYPE", keep, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
    free(keep);
    return 0;
}

int nn_blas_setup(char *note, size_t n) {
    nn_blas_single_thread();
    if (n) note[0] = '\0';
    char chosen[64];
    snprintf(chosen, sizeof chosen, "%s", nn_blas_kernel());
    const char *want = nn_blas_pick(chosen, nn_blas_best_kernel(), getenv("OPENBLAS_CORETYPE"));
    if (!want) return 0;
    if (nn_blas_use(want)) return 0; /* not a DYNAMIC_ARCH OpenBLAS: nothing to switch */
    char why[160] = "the kernel did not change";
    if (nn_blas_check(why, sizeof why) == 0 && strcasecmp(nn_blas_kernel(), chosen) != 0) {
        snprintf(note, n,
                 "OpenBLAS chose its generic %s kernel on this CPU; using %s instead (checked "
                 "against the naive sgemm; set OPENBLAS_CORETYPE to choose)",
                 chosen, nn_blas_kernel());
        return 1;
    }
    /* back to the library's own choice */
    nn_blas_use(NULL);
    snprintf(note, n,
             "OpenBLAS chose its generic %s kernel; %s failed the start-up check (%s), "
             "so %s stays",
             chosen, want, why, nn_blas_kernel());
    return 0;
}
