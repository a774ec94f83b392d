/* checkpoint.c: writing, reading and restoring training checkpoints (see checkpoint.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "io.h"

#define HEADER_BYTES 64
#define ENDIAN_MARK 0x01020304u

static size_t pad8(size_t n) {
    return (n + 7) & ~(size_t)7;
}

/* a growing write cursor over a buffer sized beforehand (or only measuring when buf is NULL) */
typedef struct Writer {
    uint8_t *buf;
    size_t off;
} Writer;

static void put(Writer *w, const void *p, size_t n) {
    if (w->buf && n) memcpy(w->buf + w->off, p, n);
    if (w->buf && pad8(n) > n) memset(w->buf + w->off + n, 0, pad8(n) - n);
    w->off += pad8(n);
}

static void put_u64(Writer *w, uint64_t x) {
    put(w, &x, 8);
}

/* the payload, written or measured */
static void payload(const PpoTrainer *t, const PpoWorldRecord *worlds, int n_worlds,
                    const char *config, Writer *w) {
    const NnModel *m = &t->model;
    size_t nc = strlen(config) + 1; /* with its terminating NUL */
    put_u64(w, nc);
    put(w, config, nc);
    int64_t counters[6] = {t->cfg.seed,  t->update,   t->n_updates,
                           t->env_steps, t->episodes, m->adam_steps};
    put(w, counters, sizeof counters);
    char blas[32] = {0};
    snprintf(blas, sizeof blas, "%s", nn_blas_kernel());
    put(w, blas, sizeof blas);
    uint32_t gh[2] = {(uint32_t)m->n_groups, (uint32_t)t->n_heads};
    put(w, gh, sizeof gh);
    put_u64(w, m->n);
    size_t nf = m->n * (size_t)m->n_groups * sizeof(float);
    put(w, m->params, nf);
    put(w, m->m, nf);
    put(w, m->v, nf);
    uint32_t wa[2] = {(uint32_t)n_worlds, (uint32_t)t->n_agents};
    put(w, wa, sizeof wa);
    put(w, &t->world_base, 8);
    uint32_t nb[2] = {(uint32_t)t->feed.n_bits, 0};
    size_t B = (size_t)t->feed.n_bits;
    put(w, nb, sizeof nb);
    for (int k = 0; k < n_worlds; k++) {
        const PpoWorldRecord *wr = &worlds[k];
        int32_t tick_pad[2] = {wr->tick, 0};
        put_u64(w, wr->episode);
        put(w, tick_pad, sizeof tick_pad);
        put_u64(w, wr->hash);
        put(w, wr->actions, (size_t)wr->tick * (size_t)t->n_agents * sizeof(int32_t));
        size_t nbits = (size_t)wr->tick * (size_t)t->n_agents * B;
        if (wr->bits) {
            put(w, wr->bits, nbits);
        } else { /* no bits were sent: zeros */
            if (w->buf) memset(w->buf + w->off, 0, pad8(nbits));
            w->off += pad8(nbits);
        }
    }
}

int ppo_checkpoint_save(const PpoTrainer *t, const PpoWorldRecord *worlds, int n_worlds,
                        const char *config, const char *path, EnvError *err) {
    Writer w = {NULL, 0};
    payload(t, worlds, n_worlds, config, &w);
    size_t n = w.off;
    uint8_t *buf = malloc(HEADER_BYTES + n);
    if (!buf) return env_fail(err, ENV_ENOMEM, "out of memory writing checkpoint %s", path);
    memset(buf, 0, HEADER_BYTES);
    w = (Writer){buf + HEADER_BYTES, 0};
    payload(t, worlds, n_worlds, config, &w);
    /* header: magic, version, sizes, checksum, byte-order mark */
    uint32_t version = PPO_CKPT_VERSION, hb = HEADER_BYTES, mark = ENDIAN_MARK;
    uint64_t size = n, sum = env_fnv1a64(ENV_FNV1A64_BASIS, buf + HEADER_BYTES, n);
    memcpy(buf, PPO_CKPT_MAGIC, 8);
    memcpy(buf + 8, &version, 4);
    memcpy(buf + 12, &hb, 4);
    memcpy(buf + 16, &size, 8);
    memcpy(buf + 24, &sum, 8);
    memcpy(buf + 32, &mark, 4);
    /* atomically: a temporary file beside the target, flushed to disk, then renamed */
    int rc = env_write_atomic(path, buf, HEADER_BYTES + n, err), e = errno;
    free(buf);
    if (rc == ENV_EIO)
        return env_fail(err, rc, "%s: cannot write checkpoint: %s", path, strerror(e));
    return rc;
}

/* a bounds-checked read cursor */
typedef struct Reader {
    const uint8_t *p;
    size_t n, off;
    int bad;
} Reader;

static const void *take(Reader *r, size_t n) {
    if (r->bad || n > r->n - r->off || pad8(n) > r->n - r->off) {
        r->bad = 1;
        return NULL;
    }
    const void *p = r->p + r->off;
    r->off += pad8(n);
    return p;
}

static uint64_t take_u64(Reader *r) {
    const void *p = take(r, 8);
    uint64_t x = 0;
    if (p) memcpy(&x, p, 8);
    return x;
}

/* the header of an open file: magic, byte order, version, size; the checksum into *sum */
static int read_header(FILE *f, const char *path, uint64_t *size, uint64_t *sum, uint32_t *ver,
                       EnvError *err) {
    uint8_t head[HEADER_BYTES];
    size_t got = fread(head, 1, HEADER_BYTES, f);
    if (got < HEADER_BYTES)
        return env_fail(err, ENV_EINPUT,
                        "%s: not a commons checkpoint (%zu bytes, shorter than the %d-byte header)",
                        path, got, HEADER_BYTES);
    uint32_t version, hb, mark;
    memcpy(&version, head + 8, 4);
    memcpy(&hb, head + 12, 4);
    memcpy(size, head + 16, 8);
    memcpy(sum, head + 24, 8);
    memcpy(&mark, head + 32, 4);
    if (memcmp(head, PPO_CKPT_MAGIC, 8) != 0)
        return env_fail(err, ENV_EINPUT, "%s: not a commons checkpoint (bad magic number)", path);
    if (mark != ENDIAN_MARK)
        return env_fail(err, ENV_EINPUT, "%s: checkpoint written with another byte order", path);
    if (version < 1 || version > PPO_CKPT_VERSION || hb != HEADER_BYTES)
        return env_fail(err, ENV_EINPUT,
                        "%s: checkpoint version %u; this build reads versions 1 to %u", path,
                        version, PPO_CKPT_VERSION);
    *ver = version;
    if (*size > ((uint64_t)1 << 40))
        return env_fail(err, ENV_EINPUT, "%s: corrupted checkpoint (payload size %llu)", path,
                        (unsigned long long)*size);
    return 0;
}

/* the payload: exactly `size` bytes, then the end of the file, with the header's checksum */
static int read_payload(FILE *f, const char *path, uint64_t size, uint64_t sum, uint8_t **data,
                        EnvError *err) {
    if (!(*data = malloc(size ? size : 1)))
        return env_fail(err, ENV_ENOMEM, "%s: out of memory reading the checkpoint", path);
    size_t got = fread(*data, 1, size, f);
    if (got < size)
        return env_fail(err, ENV_EINPUT,
                        "%s: truncated checkpoint: %zu payload bytes, the header says %llu", path,
                        got, (unsigned long long)size);
    if (fgetc(f) != EOF)
        return env_fail(err, ENV_EINPUT,
                        "%s: corrupted checkpoint: bytes after the %llu-byte payload", path,
                        (unsigned long long)size);
    uint64_t have = env_fnv1a64(ENV_FNV1A64_BASIS, *data, size);
    if (have != sum)
        return env_fail(err, ENV_EINPUT,
                        "%s: corrupted checkpoint: checksum %016llx, the header says %016llx", path,
                        (unsigned long long)have, (unsigned long long)sum);
    return 0;
}

/* the records, once the checksum held; sizes are checked against what is left. Returns 0,
 * ENV_EINPUT for a record that does not fit, or ENV_ENOMEM. */
static int parse_records(PpoCheckpoint *ck, uint64_t size, uint32_t version) {
    Reader r = {ck->data, size, 0, 0};
    uint64_t nc = take_u64(&r);
    const char *config = nc < size ? take(&r, nc) : NULL;
    const int64_t *counters = take(&r, 6 * 8);
    const char *blas = version >= 2 ? take(&r, 32) : "";
    if (!blas || memchr(blas, 0, 32) == NULL) return ENV_EINPUT;
    snprintf(ck->blas, sizeof ck->blas, "%s", blas);
    const uint32_t *gh = take(&r, 8);
    uint64_t np = take_u64(&r);
    if (r.bad || !config || nc < 1 || config[nc - 1] != 0 || memchr(config, 0, nc - 1) ||
        !counters || !gh || gh[0] < 1 || gh[0] > ENV_MAX_AGENTS || np > size)
        return ENV_EINPUT;
    ck->seed = counters[0];
    ck->update = counters[1];
    ck->n_updates = counters[2];
    ck->env_steps = counters[3];
    ck->episodes = counters[4];
    ck->adam_steps = counters[5];
    ck->n_groups = (int)gh[0];
    ck->n_heads = (int)gh[1];
    ck->n_params = (size_t)np;
    size_t nf = ck->n_params * (size_t)ck->n_groups * sizeof(float);
    ck->params = take(&r, nf);
    ck->m = take(&r, nf);
    ck->v = take(&r, nf);
    const uint32_t *wa = take(&r, 8);
    const int64_t *base = take(&r, 8);
    if (r.bad || !wa || wa[0] > 65536 || wa[1] < 1 || wa[1] > ENV_MAX_AGENTS) return ENV_EINPUT;
    ck->n_worlds = (int)wa[0];
    ck->n_agents = (int)wa[1];
    ck->world_base = *base;
    const uint32_t *nb = version >= 2 ? take(&r, 8) : NULL;
    if (version >= 2 && (!nb || nb[0] > ENV_MAX_SIGNAL_BITS)) return ENV_EINPUT;
    ck->n_bits = nb ? (int)nb[0] : 0;
    if ((uint64_t)ck->n_worlds * 24 > size - r.off)
        return ENV_EINPUT; /* 24 bytes a world at least */
    if (!(ck->world = calloc(ck->n_worlds ? (size_t)ck->n_worlds : 1, sizeof *ck->world)))
        return ENV_ENOMEM;
    for (int k = 0; k < ck->n_worlds && !r.bad; k++) {
        PpoWorldRecord *wr = &ck->world[k];
        wr->episode = take_u64(&r);
        const int32_t *tick = take(&r, 8);
        wr->hash = take_u64(&r);
        if (!tick || tick[0] < 0 || (uint64_t)tick[0] > size) return ENV_EINPUT;
        wr->tick = tick[0];
        wr->actions = take(&r, (size_t)wr->tick * (size_t)ck->n_agents * sizeof(int32_t));
        size_t nbits = (size_t)wr->tick * (size_t)ck->n_agents * (size_t)ck->n_bits;
        wr->bits = nbits ? take(&r, nbits) : NULL;
    }
    if (r.bad || r.off != size) return ENV_EINPUT;
    ck->config = config;
    return 0;
}

/* the first weight (of params, m, v) that is NaN or infinite: returns 0 when all are finite */
static int check_finite(const PpoCheckpoint *ck, const char *path, EnvError *err) {
    const void *arrays[3] = {ck->params, ck->m, ck->v};
    const char *names[3] = {"parameter", "Adam first moment", "Adam second moment"};
    size_t n = ck->n_params * (size_t)ck->n_groups;
    for (int a = 0; a < 3; a++)
        for (size_t i = 0; i < n; i++) {
            float x;
            memcpy(&x, (const uint8_t *)arrays[a] + i * sizeof x, sizeof x);
            if (!isfinite(x))
                return env_fail(err, ENV_EINPUT,
                                "%s: corrupted checkpoint: %s %zu of group %zu is %s; a "
                                "checkpoint holds finite weights only (was the training "
                                "diverging?)",
                                path, names[a], i % ck->n_params, i / ck->n_params,
                                isnan(x) ? "NaN" : "infinite");
        }
    return 0;
}

int ppo_checkpoint_load(PpoCheckpoint *ck, const char *path, EnvError *err) {
    memset(ck, 0, sizeof *ck);
    const char *kind;
    FILE *f = env_open_regular(path, &kind);
    if (!f && kind) return env_fail(err, ENV_EINPUT, "%s: is %s, not a checkpoint", path, kind);
    if (!f)
        return env_fail(err, ENV_EINPUT, "%s: cannot open checkpoint: %s", path, strerror(errno));
    uint64_t size = 0, sum = 0;
    uint32_t version = 0;
    int rc = read_header(f, path, &size, &sum, &version, err);
    if (!rc) rc = read_payload(f, path, size, sum, &ck->data, err);
    fclose(f);
    int parsed = rc ? 0 : parse_records(ck, size, version);
    if (parsed == ENV_ENOMEM)
        rc =
            env_fail(err, ENV_ENOMEM, "%s: out of memory for %d world records", path, ck->n_worlds);
    else if (parsed)
        rc = env_fail(err, ENV_EINPUT, "%s: corrupted checkpoint: bad record sizes", path);
    if (!rc) rc = check_finite(ck, path, err);
    if (rc) ppo_checkpoint_close(ck);
    return rc;
}

void ppo_checkpoint_close(PpoCheckpoint *ck) {
    free(ck->world);
    free(ck->data);
    ck->world = NULL;
    ck->data = NULL;
}

int ppo_trainer_restore(PpoTrainer *t, const PpoCheckpoint *ck, int n_worlds, EnvError *err) {
    NnModel *m = &t->model;
    if ((size_t)ck->n_groups != (size_t)m->n_groups || ck->n_params != m->n)
        return env_fail(err, ENV_EINPUT,
                        "the checkpoint holds %d parameter groups of %zu; this config builds "
                        "%d of %zu",
                        ck->n_groups, ck->n_params, m->n_groups, m->n);
    if (ck->n_worlds != n_worlds || ck->n_agents != t->n_agents || ck->world_base != t->world_base)
        return env_fail(err, ENV_EINPUT,
                        "the checkpoint holds %d worlds of %d agents from world %lld; this "
                        "trainer has %d of %d from world %lld",
                        ck->n_worlds, ck->n_agents, (long long)ck->world_base, n_worlds,
                        t->n_agents, (long long)t->world_base);
    if (ck->n_bits != t->feed.n_bits)
        return env_fail(err, ENV_EINPUT,
                        "the checkpoint's worlds send %d signal bits per agent; this config's %d",
                        ck->n_bits, t->feed.n_bits);
    if (ck->seed != t->cfg.seed)
        return env_fail(err, ENV_EINPUT, "the checkpoint's seed is %lld, the config's %lld",
                        (long long)ck->seed, (long long)t->cfg.seed);
    size_t nf = m->n * (size_t)m->n_groups * sizeof(float);
    memcpy(m->params, ck->params, nf);
    nn_work_params_changed(&t->work);
    memcpy(m->m, ck->m, nf);
    memcpy(m->v, ck->v, nf);
    m->adam_steps = ck->adam_steps;
    t->update = ck->update;
    t->env_steps = ck->env_steps;
    t->episodes = ck->episodes;
    t->n_ep = 0;
    return 0;
}
