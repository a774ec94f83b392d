/* dist.c: the processes of a run (see dist.h). The only file that includes mpi.h; built without
 * it (COMMONS_HAVE_MPI unset) every call is the one-process case. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dist.h"

#ifdef COMMONS_HAVE_MPI
#include <mpi.h>
#endif

double sim_dist_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sim_dist_available(void) {
#ifdef COMMONS_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

/* the number of processes a launcher started (0: none; -1: a launcher that does not say) and the
 * variable that told */
static int launched_size(const char **var) {
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(sizes[i]);
        if (v && *v) {
            *var = sizes[i];
            return atoi(v);
        }
    }
    *var = "PMIX_RANK";
    return getenv("PMIX_RANK") ? -1 : 0;
}

static int64_t dealt_to(int rank, int size, int64_t n) {
    return n > rank ? (n - rank + size - 1) / size : 0;
}

int64_t sim_dist_deal(const SimDist *d, int64_t n) {
    return dealt_to(d->rank, d->size, n);
}

int64_t sim_dist_dealt(const SimDist *d, int64_t k) {
    return d->rank + k * d->size;
}

int sim_dist_gather_dealt(SimDist *d, const void *mine, size_t item, int64_t n, void **all,
                          EnvError *err) {
    void *got;
    size_t bytes;
    *all = NULL;
    int rc = sim_dist_gather(d, mine, item * (size_t)sim_dist_deal(d, n), &got, &bytes, err);
    if (rc || d->rank != 0) return rc;
    /* rank q's items come after those of the ranks before it; item i is rank i % size's
     * (i / size)-th */
    char *out = malloc(item * (size_t)(n > 0 ? n : 1));
    if (!out) {
        free(got);
        return env_fail(err, ENV_ENOMEM, "out of memory gathering %lld results", (long long)n);
    }
    const char *src = got;
    for (int q = 0; q < d->size; q++) {
        int64_t k_n = dealt_to(q, d->size, n);
        for (int64_t k = 0; k < k_n; k++, src += item)
            memcpy(out + (size_t)(q + k * d->size) * item, src, item);
    }
    free(got);
    *all = out;
    return 0;
}

int sim_dist_block(const SimDist *d, int total, const char *key, const char *where, int *first,
                   int *count, EnvError *err) {
    if (total % d->size != 0) {
        char fits[256];
        size_t used = 0;
        for (int k = 1; k <= total && used + 16 < sizeof fits; k++)
            if (total % k == 0)
                used +=
                    (size_t)snprintf(fits + used, sizeof fits - used, "%s%d", used ? ", " : "", k);
        return env_fail(err, ENV_EINPUT,
                        "%s: %s = %d does not split over %d processes: every process holds an "
                        "equal block of shards; run %s processes, or set %s to a multiple of %d",
                        where, key, total, d->size, fits, key, d->size);
    }
    *count = total / d->size;
    *first = d->rank * *count;
    return 0;
}

void sim_dist_quiet(SimDist *d) {
    if (d->rank == 0 || d->quiet_fd >= 0) return;
    fflush(stderr);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0) return;
    d->quiet_fd = dup(STDERR_FILENO);
    dup2(null, STDERR_FILENO);
    close(null);
}

void sim_dist_speak(SimDist *d) {
    if (d->quiet_fd < 0) return;
    fflush(stderr);
    dup2(d->quiet_fd, STDERR_FILENO);
    close(d->quiet_fd);
    d->quiet_fd = -1;
}

/* the one-process hook: the tree over the held chunks (all of them) */
static void local_f32(void *ctx, float *const *chunks, int first, int count, int total, size_t n,
                      float *out) {
    (void)ctx, (void)first, (void)total;
    ppo_tree_sum_f32(chunks, count, n, out);
}

static void local_f64(void *ctx, double *const *chunks, int first, int count, int total, size_t n,
                      double *out) {
    (void)ctx, (void)first, (void)total;
    ppo_tree_sum_f64(chunks, count, n, out);
}

#ifndef COMMONS_HAVE_MPI

int sim_dist_init(SimDist *d, int *argc, char ***argv, EnvError *err) {
    (void)argc, (void)argv;
    memset(d, 0, sizeof *d);
    d->size = 1;
    d->quiet_fd = -1;
    const char *var;
    int n = launched_size(&var);
    if (n > 1 || n < 0)
        return env_fail(err, ENV_EINPUT,
                        "this commons was built without MPI, but a launcher started it as one of "
                        "several processes (%s is set): each would do the whole work alone. "
                        "Install libopenmpi-dev and openmpi-bin (scripts/install-deps.sh) and "
                        "rebuild (cmake -DCOMMONS_MPI=ON), or run it without mpirun or srun",
                        var);
    return 0;
}

void sim_dist_close(SimDist *d) {
    sim_dist_speak(d);
}

void sim_dist_abort(SimDist *d, int code) {
    (void)d, (void)code;
}

PpoReduce sim_dist_reduce(SimDist *d) {
    return (PpoReduce){local_f32, local_f64, d};
}

int sim_dist_gather(SimDist *d, const void *mine, size_t n, void **all, size_t *n_all,
                    EnvError *err) {
    (void)d;
    *all = malloc(n ? n : 1);
    if (!*all) return env_fail(err, ENV_ENOMEM, "out of memory gathering %zu bytes", n);
    if (n) memcpy(*all, mine, n);
    *n_all = n;
    return 0;
}

int sim_dist_bcast(SimDist *d, void *buf, size_t n, EnvError *err) {
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int sim_dist_allgather_f64(SimDist *d, double x, double *all, EnvError *err) {
    (void)d, (void)err;
    all[0] = x;
    return 0;
}

int sim_dist_min(SimDist *d, int x) {
    (void)d;
    return x;
}

int sim_dist_max(SimDist *d, int x) {
    (void)d;
    return x;
}

void sim_dist_barrier(SimDist *d) {
    (void)d;
}

#else /* COMMONS_HAVE_MPI */

/* rank's slice of n values: [first, first + count) */
static void share(int rank, int size, int64_t n, int64_t *first, int64_t *count) {
    *first = n * rank / size;
    *count = n * (rank + 1) / size - *first;
}

/* what the MPI side keeps: the peers, and the reduction's buffers (they only grow) */
typedef struct Impl {
    int *pid;        /* (size,) each rank's process id */
    uint64_t *host;  /* (size,) a hash of each rank's host name */
    int *cnt;        /* (4, size) send counts and offsets, receive counts and offsets */
    int *start;      /* (size, PPO_TREE_MAX_NODES) every rank's subtree starts */
    int *nodes;      /* (size,) every rank's subtree count */
    int *all_start;  /* (size * PPO_TREE_MAX_NODES,) the subtrees, in global order */
    size_t *all_off; /* (size * PPO_TREE_MAX_NODES,) byte offset of each in recv */
    int n_all;
    char *send, *recv;
    size_t send_cap, recv_cap;
    float **p32;  /* (ptr_cap,) the tree's chunks */
    double **p64; /* (ptr_cap,) */
    int ptr_cap;
    int crowded; /* 1 when this host runs more ranks than it has cores */
} Impl;

/* a message naming the rank and what failed, then every process ends */
static void fault(SimDist *d, const char *what, const char *why) {
    fflush(stdout);
    fprintf(stderr, "commons: rank %d of %d: %s: %s; stopping every process\n", d->rank, d->size,
            what, why);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    _exit(1); /* MPI_Abort does not return; were it to, this rank could only hang */
}

static void check(SimDist *d, int rc, const char *what) {
    if (rc == MPI_SUCCESS) return;
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, s, &len);
    fault(d, what, s);
}

/* 1 when process pid of this host has ended (gone, or a zombie not yet reaped) */
static int peer_gone(int pid) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    const char *p = got ? strrchr(line, ')') : NULL;
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* waits for a request: tests it again and again (each test moves the transfer on; a sleep would
 * stall large transfers, which move a fragment per test), and when this host runs more ranks than
 * it has cores, yields the core between tests after the first 0.2 ms so that the others get it;
 * every second it looks for a dead peer on this host, and past the timeout it gives up */
static void wait_for(SimDist *d, MPI_Request *req, const char *what) {
    const Impl *m = d->impl;
    double start = sim_dist_now(), next = start + 1.0;
    for (;;) {
        int done = 0;
        check(d, MPI_Test(req, &done, MPI_STATUS_IGNORE), what);
        if (done) return;
        double now = sim_dist_now();
        if (m->crowded && now - start >= 2e-4) sched_yield();
        if (now < next) continue;
        next = now + 1.0;
        char why[160];
        for (int q = 0; q < d->size; q++)
            if (q != d->rank && m->host[q] == m->host[d->rank] && peer_gone(m->pid[q])) {
                snprintf(why, sizeof why, "rank %d (pid %d on this host) has died", q, m->pid[q]);
                fault(d, what, why);
            }
        if (now - start > d->timeout) {
            snprintf(why, sizeof why,
                     "waited %.0f s for the other ranks (COMMONS_DIST_TIMEOUT); one has died or "
                     "hangs",
                     now - start);
            fault(d, what, why);
        }
    }
}

/* the peers' process ids and hosts, for the watchdog */
static int meet_peers(SimDist *d, EnvError *err) {
    Impl *m = d->impl;
    int S = d->size;
    m->pid = malloc(sizeof(int) * (size_t)S);
    m->host = malloc(sizeof(uint64_t) * (size_t)S);
    m->cnt = malloc(sizeof(int) * 4 * (size_t)S);
    m->nodes = malloc(sizeof(int) * (size_t)S);
    m->start = malloc(sizeof(int) * PPO_TREE_MAX_NODES * (size_t)S);
    m->all_start = malloc(sizeof(int) * PPO_TREE_MAX_NODES * (size_t)S);
    m->all_off = malloc(sizeof(size_t) * PPO_TREE_MAX_NODES * (size_t)S);
    if (!m->pid || !m->host || !m->cnt || !m->nodes || !m->start || !m->all_start || !m->all_off)
        return env_fail(err, ENV_ENOMEM, "out of memory for %d processes", S);
    char name[256] = {0};
    gethostname(name, sizeof name - 1);
    int pid = (int)getpid();
    uint64_t host = env_fnv1a64(ENV_FNV1A64_BASIS, name, strlen(name));
    check(d, MPI_Allgather(&pid, 1, MPI_INT, m->pid, 1, MPI_INT, MPI_COMM_WORLD), "start");
    check(d, MPI_Allgather(&host, 1, MPI_UINT64_T, m->host, 1, MPI_UINT64_T, MPI_COMM_WORLD),
          "start");
    long local = 0, cores = sysconf(_SC_NPROCESSORS_ONLN);
    for (int q = 0; q < S; q++) local += m->host[q] == host;
    m->crowded = cores > 0 && local > cores;
    return 0;
}

int sim_dist_init(SimDist *d, int *argc, char ***argv, EnvError *err) {
    memset(d, 0, sizeof *d);
    d->size = 1;
    d->quiet_fd = -1;
    const char *t = getenv("COMMONS_DIST_TIMEOUT");
    d->timeout = t && atof(t) > 0 ? atof(t) : 300.0;
    const char *var;
    if (launched_size(&var) == 0) return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return env_fail(err, ENV_EIO, "MPI_Init failed (started by a launcher: %s is set)", var);
    d->mpi = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    if (!(d->impl = calloc(1, sizeof(Impl))))
        return env_fail(err, ENV_ENOMEM, "out of memory for the processes");
    return meet_peers(d, err);
}

void sim_dist_close(SimDist *d) {
    sim_dist_speak(d);
    Impl *m = d->impl;
    if (m) {
        free(m->pid), free(m->host), free(m->cnt), free(m->nodes), free(m->start);
        free(m->all_start), free(m->all_off), free(m->send), free(m->recv), free(m->p32);
        free(m->p64);
        free(m);
    }
    if (d->mpi) MPI_Finalize();
    d->impl = NULL;
    d->mpi = 0;
}

void sim_dist_abort(SimDist *d, int code) {
    fflush(stdout);
    fflush(stderr);
    if (d->mpi && d->size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

/* grows a buffer that only grows; 1 when out of memory */
static int grow(void **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    void *p = realloc(*buf, need);
    if (!p) return 1;
    *buf = p;
    *cap = need;
    return 0;
}

static void out_of_memory(SimDist *d, size_t bytes) {
    char why[96];
    snprintf(why, sizeof why, "out of memory for %zu bytes", bytes);
    fault(d, "the sum over shards", why);
}

/* Exchanges this rank's subtree sums (node[j], n values of es bytes) so that this rank can finish
 * the tree on values [lo, lo + len): every rank's subtrees' values there land in m->recv, listed
 * in m->all_start / m->all_off (m->n_all of them). Returns 1 when sliced (the caller gathers the
 * finished slices), 0 when every rank received the whole vectors. */
static int exchange(SimDist *d, const void *const *node, int nodes, size_t n, size_t es,
                    MPI_Datatype type, int total, size_t *lo, size_t *len) {
    Impl *m = d->impl;
    int S = d->size, block = total / S, sliced = n >= 4096 && n >= (size_t)S;
    int *sc = m->cnt, *sd = sc + S, *rc = sd + S, *rd = rc + S, size[PPO_TREE_MAX_NODES];
    for (int q = 0; q < S; q++)
        m->nodes[q] =
            ppo_tree_cover(q * block, block, total, m->start + q * PPO_TREE_MAX_NODES, size);
    int64_t my_lo = 0, my_len = (int64_t)n;
    if (sliced) share(d->rank, S, (int64_t)n, &my_lo, &my_len);
    /* what goes where: to rank q, slice q of each subtree sum (or all of each) */
    size_t send_n = 0, recv_n = 0;
    for (int q = 0; q < S; q++) {
        int64_t qlo = 0, qlen = (int64_t)n;
        if (sliced) share(q, S, (int64_t)n, &qlo, &qlen);
        sc[q] = nodes * (int)qlen, sd[q] = (int)send_n, send_n += (size_t)sc[q];
        if (q != d->rank) d->sum_bytes += (int64_t)sc[q] * (int64_t)es;
        rc[q] = m->nodes[q] * (int)my_len, rd[q] = (int)recv_n, recv_n += (size_t)rc[q];
    }
    if (grow((void **)&m->send, &m->send_cap, send_n * es + 1)) out_of_memory(d, send_n * es);
    if (grow((void **)&m->recv, &m->recv_cap, recv_n * es + 1)) out_of_memory(d, recv_n * es);
    for (int q = 0; q < S && sliced; q++)
        for (int j = 0; j < nodes; j++)
            memcpy(m->send + ((size_t)sd[q] + (size_t)j * (size_t)(sc[q] / nodes)) * es,
                   (const char *)node[j] + (size_t)(n * (size_t)q / (size_t)S) * es,
                   (size_t)(sc[q] / nodes) * es);
    for (int j = 0; j < nodes && !sliced; j++)
        memcpy(m->send + (size_t)j * n * es, node[j], n * es);
    MPI_Request req;
    if (sliced)
        check(d, MPI_Ialltoallv(m->send, sc, sd, type, m->recv, rc, rd, type, MPI_COMM_WORLD, &req),
              "the sum over shards");
    else
        check(d, MPI_Iallgatherv(m->send, sc[0], type, m->recv, rc, rd, type, MPI_COMM_WORLD, &req),
              "the sum over shards");
    wait_for(d, &req, "the sum over shards");
    /* every subtree of every rank, with where its values landed */
    m->n_all = 0;
    for (int q = 0; q < S; q++)
        for (int j = 0; j < m->nodes[q]; j++, m->n_all++) {
            m->all_start[m->n_all] = m->start[q * PPO_TREE_MAX_NODES + j];
            m->all_off[m->n_all] = ((size_t)rd[q] + (size_t)j * (size_t)my_len) * es;
        }
    *lo = (size_t)my_lo;
    *len = (size_t)my_len;
    return sliced;
}

/* after a sliced sum: every rank's finished slice of out to every rank */
static void gather_slices(SimDist *d, void *out, size_t n, size_t es, MPI_Datatype type) {
    Impl *m = d->impl;
    int S = d->size, *cnt = m->cnt, *off = cnt + S;
    for (int q = 0; q < S; q++) {
        int64_t lo, len;
        share(q, S, (int64_t)n, &lo, &len);
        cnt[q] = (int)len, off[q] = (int)lo;
    }
    d->sum_bytes += (int64_t)cnt[d->rank] * (S - 1) * (int64_t)es;
    MPI_Request req;
    check(d, MPI_Iallgatherv(MPI_IN_PLACE, 0, type, out, cnt, off, type, MPI_COMM_WORLD, &req),
          "the sum over shards");
    wait_for(d, &req, "the sum over shards");
}

static void ptrs_fit(SimDist *d, int total) {
    Impl *m = d->impl;
    if (total <= m->ptr_cap) return;
    free(m->p32), free(m->p64);
    m->p32 = malloc(sizeof(float *) * (size_t)total);
    m->p64 = malloc(sizeof(double *) * (size_t)total);
    if (!m->p32 || !m->p64) out_of_memory(d, sizeof(double *) * (size_t)total);
    m->ptr_cap = total;
}

/* the hook, for floats (gradients) and doubles (statistics): the same steps on the two types */
static void mpi_f32(void *ctx, float *const *chunks, int first, int count, int total, size_t n,
                    float *out) {
    SimDist *d = ctx;
    if (d->size == 1) {
        ppo_tree_sum_f32(chunks, count, n, out);
        return;
    }
    Impl *m = d->impl;
    double t0 = sim_dist_now();
    int start[PPO_TREE_MAX_NODES];
    int nodes = ppo_tree_presum_f32(chunks, first, count, total, n, start);
    const void *node[PPO_TREE_MAX_NODES];
    for (int j = 0; j < nodes; j++) node[j] = chunks[start[j] - first];
    size_t lo, len;
    int sliced = exchange(d, node, nodes, n, sizeof(float), MPI_FLOAT, total, &lo, &len);
    ptrs_fit(d, total);
    memset(m->p32, 0, sizeof(float *) * (size_t)total);
    for (int k = 0; k < m->n_all; k++) m->p32[m->all_start[k]] = (float *)(m->recv + m->all_off[k]);
    ppo_tree_sum_f32(m->p32, total, len, out + lo);
    if (sliced) gather_slices(d, out, n, sizeof(float), MPI_FLOAT);
    d->sum_calls++;
    d->sum_seconds += sim_dist_now() - t0;
}

static void mpi_f64(void *ctx, double *const *chunks, int first, int count, int total, size_t n,
                    double *out) {
    SimDist *d = ctx;
    if (d->size == 1) {
        ppo_tree_sum_f64(chunks, count, n, out);
        return;
    }
    Impl *m = d->impl;
    double t0 = sim_dist_now();
    int start[PPO_TREE_MAX_NODES];
    int nodes = ppo_tree_presum_f64(chunks, first, count, total, n, start);
    const void *node[PPO_TREE_MAX_NODES];
    for (int j = 0; j < nodes; j++) node[j] = chunks[start[j] - first];
    size_t lo, len;
    int sliced = exchange(d, node, nodes, n, sizeof(double), MPI_DOUBLE, total, &lo, &len);
    ptrs_fit(d, total);
    memset(m->p64, 0, sizeof(double *) * (size_t)total);
    for (int k = 0; k < m->n_all; k++)
        m->p64[m->all_start[k]] = (double *)(m->recv + m->all_off[k]);
    ppo_tree_sum_f64(m->p64, total, len, out + lo);
    if (sliced) gather_slices(d, out, n, sizeof(double), MPI_DOUBLE);
    d->sum_calls++;
    d->sum_seconds += sim_dist_now() - t0;
}

PpoReduce sim_dist_reduce(SimDist *d) {
    if (!d->mpi) return (PpoReduce){local_f32, local_f64, d};
    return (PpoReduce){mpi_f32, mpi_f64, d};
}

int sim_dist_gather(SimDist *d, const void *mine, size_t n, void **all, size_t *n_all,
                    EnvError *err) {
    *all = NULL;
    *n_all = 0;
    if (!d->mpi) {
        if (!(*all = malloc(n ? n : 1)))
            return env_fail(err, ENV_ENOMEM, "out of memory gathering %zu bytes", n);
        if (n) memcpy(*all, mine, n);
        *n_all = n;
        return 0;
    }
    Impl *m = d->impl;
    int S = d->size, *cnt = m->cnt, *off = cnt + S, mine_n = (int)n;
    MPI_Request req;
    check(d, MPI_Igather(&mine_n, 1, MPI_INT, cnt, 1, MPI_INT, 0, MPI_COMM_WORLD, &req), "gather");
    wait_for(d, &req, "gather");
    size_t total = 0;
    for (int q = 0; q < S && d->rank == 0; q++) off[q] = (int)total, total += (size_t)cnt[q];
    int ok = 1;
    if (d->rank == 0 && !(*all = malloc(total ? total : 1))) ok = 0;
    check(d,
          MPI_Igatherv(mine, mine_n, MPI_BYTE, ok ? *all : NULL, cnt, off, MPI_BYTE, 0,
                       MPI_COMM_WORLD, &req),
          "gather");
    if (!ok) out_of_memory(d, total);
    wait_for(d, &req, "gather");
    *n_all = total;
    (void)err;
    return 0;
}

int sim_dist_bcast(SimDist *d, void *buf, size_t n, EnvError *err) {
    (void)err;
    if (!d->mpi) return 0;
    MPI_Request req;
    check(d, MPI_Ibcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD, &req), "broadcast");
    wait_for(d, &req, "broadcast");
    return 0;
}

int sim_dist_allgather_f64(SimDist *d, double x, double *all, EnvError *err) {
    (void)err;
    if (!d->mpi) {
        all[0] = x;
        return 0;
    }
    MPI_Request req;
    check(d, MPI_Iallgather(&x, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, MPI_COMM_WORLD, &req), "gather");
    wait_for(d, &req, "gather");
    return 0;
}

static int reduce_int(SimDist *d, int x, MPI_Op op) {
    if (!d->mpi) return x;
    int r = x;
    MPI_Request req;
    check(d, MPI_Iallreduce(&x, &r, 1, MPI_INT, op, MPI_COMM_WORLD, &req), "agreement");
    wait_for(d, &req, "agreement");
    return r;
}

int sim_dist_min(SimDist *d, int x) {
    return reduce_int(d, x, MPI_MIN);
}

int sim_dist_max(SimDist *d, int x) {
    return reduce_int(d, x, MPI_MAX);
}

void sim_dist_barrier(SimDist *d) {
    if (!d->mpi) return;
    MPI_Request req;
    check(d, MPI_Ibarrier(MPI_COMM_WORLD, &req), "barrier");
    wait_for(d, &req, "barrier");
}

#endif
