/* replay.c: replay files and their playback (see replay.h for the layout and the contract). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "replay.h"

#define HEADER_BYTES 24 /* magic, version, flags, payload bytes */
#define CHECKSUM_BYTES 8

uint64_t sim_replay_checksum(const uint8_t *data, size_t n) {
    return env_fnv1a64(ENV_FNV1A64_BASIS, data, n);
}

uint64_t sim_replay_map_hash(const EnvConfig *cfg) {
    uint8_t head[8] = {(uint8_t)cfg->map.h, (uint8_t)(cfg->map.h >> 8), (uint8_t)cfg->map.w,
                       (uint8_t)(cfg->map.w >> 8)};
    uint64_t h = sim_replay_checksum(head, sizeof head);
    return env_fnv1a64(h, cfg->map.cells, (size_t)cfg->map.h * (size_t)cfg->map.w);
}

/* ---- recording ---- */

static char *dup_text(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* the INI text of params, as sim_params_write_ini() writes it */
static char *params_ini(const SimParams *p) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    sim_params_write_ini(p, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int sim_replay_init(SimReplay *rp, const SimConfig *cfg, uint64_t seed, uint64_t world_index,
                    const char *policies, EnvError *err) {
    memset(rp, 0, sizeof *rp);
    const SimParams params = {cfg->env.p, cfg->comm};
    snprintf(rp->preset, sizeof rp->preset, "%s", cfg->env.p.preset);
    rp->seed = seed;
    rp->world_index = world_index;
    rp->map_hash = sim_replay_map_hash(&cfg->env);
    rp->n_agents = cfg->env.p.n_agents;
    rp->hash_every = SIM_REPLAY_HASH_EVERY;
    rp->signal_bits = cfg->comm.signal_bits;
    rp->policies = dup_text(policies);
    rp->ini = params_ini(&params);
    if (!rp->policies || !rp->ini) {
        sim_replay_close(rp);
        return env_fail(err, ENV_ENOMEM, "out of memory for a replay's policies and config");
    }
    return 0;
}

static int n_hashes_for(int steps, int every) {
    return 1 + steps / every + (steps % every != 0);
}

int sim_replay_begin(SimReplay *rp, uint64_t episode, const EnvWorld *w, EnvError *err) {
    if (rp->n_episodes == rp->cap) {
        int cap = rp->cap ? 2 * rp->cap : 4;
        SimReplayEpisode *ep = realloc(rp->ep, (size_t)cap * sizeof *ep);
        if (!ep) return env_fail(err, ENV_ENOMEM, "out of memory for %d replay episodes", cap);
        rp->ep = ep, rp->cap = cap;
    }
    SimReplayEpisode *e = &rp->ep[rp->n_episodes];
    memset(e, 0, sizeof *e);
    e->episode = episode;
    int steps = w->cfg->p.max_steps;
    e->hashes = malloc((size_t)n_hashes_for(steps, rp->hash_every) * sizeof(uint64_t));
    e->actions = malloc((size_t)steps * (size_t)rp->n_agents);
    if (rp->signal_bits > 0)
        e->signals = malloc((size_t)steps * (size_t)rp->n_agents * (size_t)rp->signal_bits);
    if (!e->hashes || !e->actions || (rp->signal_bits > 0 && !e->signals)) {
        free(e->hashes);
        free(e->actions);
        free(e->signals);
        return env_fail(err, ENV_ENOMEM, "out of memory for a replay episode of %d steps", steps);
    }
    e->cap = steps;
    e->hashes[e->n_hashes++] = env_state_hash(w);
    rp->n_episodes++;
    return 0;
}

int sim_replay_step(SimReplay *rp, const int32_t *actions, const uint8_t *bits, const EnvWorld *w,
                    EnvError *err) {
    SimReplayEpisode *e = &rp->ep[rp->n_episodes - 1];
    if (e->steps >= e->cap)
        return env_fail(err, ENV_EINPUT, "replay: more steps than the episode length %d", e->cap);
    uint8_t *row = e->actions + (size_t)e->steps * (size_t)rp->n_agents;
    for (int i = 0; i < rp->n_agents; i++)
        row[i] = (actions[i] >= 0 && actions[i] < SIM_REPLAY_BAD_ACTION) ? (uint8_t)actions[i]
                                                                         : SIM_REPLAY_BAD_ACTION;
    if (rp->signal_bits > 0) {
        size_t nb = (size_t)rp->n_agents * (size_t)rp->signal_bits;
        uint8_t *srow = e->signals + (size_t)e->steps * nb;
        for (size_t k = 0; k < nb; k++) srow[k] = bits ? bits[k] != 0 : 0;
    }
    e->steps++;
    if (e->steps % rp->hash_every == 0) e->hashes[e->n_hashes++] = env_state_hash(w);
    return 0;
}

int sim_replay_end(SimReplay *rp, const EnvWorld *w, EnvError *err) {
    (void)err;
    SimReplayEpisode *e = &rp->ep[rp->n_episodes - 1];
    if (e->steps % rp->hash_every != 0) e->hashes[e->n_hashes++] = env_state_hash(w);
    return 0;
}

void sim_replay_close(SimReplay *rp) {
    for (int i = 0; i < rp->n_episodes; i++) {
        free(rp->ep[i].hashes);
        free(rp->ep[i].actions);
        free(rp->ep[i].signals);
    }
    free(rp->ep);
    free(rp->policies);
    free(rp->ini);
    memset(rp, 0, sizeof *rp);
}

/* ---- encoding ---- */

typedef struct Buf {
    uint8_t *p;
    size_t n, cap;
    int failed;
} Buf;

static void put(Buf *b, const void *data, size_t n) {
    if (b->failed) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_u32(Buf *b, uint32_t v) {
    uint8_t x[4];
    for (int k = 0; k < 4; k++) x[k] = (uint8_t)(v >> (8 * k));
    put(b, x, 4);
}

static void put_u64(Buf *b, uint64_t v) {
    uint8_t x[8];
    for (int k = 0; k < 8; k++) x[k] = (uint8_t)(v >> (8 * k));
    put(b, x, 8);
}

static void put_str(Buf *b, const char *s) {
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

static uint64_t get_u64_at(const uint8_t *p) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)p[k] << (8 * k);
    return v;
}

static uint32_t get_u32_at(const uint8_t *p) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= (uint32_t)p[k] << (8 * k);
    return v;
}

int sim_replay_encode(const SimReplay *rp, uint8_t **data, size_t *n, EnvError *err) {
    Buf b = {0};
    put(&b, SIM_REPLAY_MAGIC, 8);
    put_u32(&b, SIM_REPLAY_VERSION);
    put_u32(&b, 0);
    put_u64(&b, 0); /* payload bytes, filled below */
    put_u64(&b, rp->seed);
    put_u64(&b, rp->world_index);
    put_u64(&b, rp->map_hash);
    put_u32(&b, (uint32_t)rp->n_agents);
    put_u32(&b, (uint32_t)rp->hash_every);
    put_u32(&b, (uint32_t)rp->signal_bits);
    put_u32(&b, (uint32_t)rp->n_episodes);
    put_str(&b, rp->preset);
    put_str(&b, rp->policies);
    put_str(&b, rp->ini);
    for (int i = 0; i < rp->n_episodes; i++) {
        const SimReplayEpisode *e = &rp->ep[i];
        put_u64(&b, e->episode);
        put_u32(&b, (uint32_t)e->steps);
        put_u32(&b, (uint32_t)e->n_hashes);
        for (int k = 0; k < e->n_hashes; k++) put_u64(&b, e->hashes[k]);
        /* two actions per byte, low nibble first */
        size_t count = (size_t)e->steps * (size_t)rp->n_agents;
        for (size_t k = 0; k < count; k += 2) {
            uint8_t byte = e->actions[k] & 15;
            if (k + 1 < count) byte |= (uint8_t)((e->actions[k + 1] & 15) << 4);
            put(&b, &byte, 1);
        }
        /* signal bits, eight per byte, lowest bit first */
        size_t n_sig = count * (size_t)rp->signal_bits;
        for (size_t k = 0; k < n_sig; k += 8) {
            uint8_t byte = 0;
            for (size_t j = 0; j < 8 && k + j < n_sig; j++)
                byte |= (uint8_t)((e->signals[k + j] & 1) << j);
            put(&b, &byte, 1);
        }
    }
    if (!b.failed) {
        uint64_t payload = b.n - HEADER_BYTES;
        for (int k = 0; k < 8; k++) b.p[16 + k] = (uint8_t)(payload >> (8 * k));
        put_u64(&b, sim_replay_checksum(b.p, b.n));
    }
    if (b.failed) {
        free(b.p);
        return env_fail(err, ENV_ENOMEM, "out of memory encoding a replay");
    }
    *data = b.p;
    *n = b.n;
    return 0;
}

/* ---- decoding ---- */

typedef struct Reader {
    const uint8_t *p;
    size_t n, at;
    const char *origin;
    EnvError *err;
    int failed;
} Reader;

static int short_read(Reader *r, const char *what) {
    if (!r->failed)
        env_fail(r->err, ENV_EINPUT, "%s: corrupted replay: %s runs past the end of the data",
                 r->origin, what);
    r->failed = 1;
    return -1;
}

static uint32_t rd_u32(Reader *r, const char *what) {
    if (r->failed || r->n - r->at < 4) return short_read(r, what), 0;
    uint32_t v = get_u32_at(r->p + r->at);
    r->at += 4;
    return v;
}

static uint64_t rd_u64(Reader *r, const char *what) {
    if (r->failed || r->n - r->at < 8) return short_read(r, what), 0;
    uint64_t v = get_u64_at(r->p + r->at);
    r->at += 8;
    return v;
}

static char *rd_str(Reader *r, const char *what, size_t max) {
    uint32_t len = rd_u32(r, what);
    if (r->failed) return NULL;
    if (len > max || r->n - r->at < len) return short_read(r, what), NULL;
    if (memchr(r->p + r->at, 0, len)) {
        env_fail(r->err, ENV_EINPUT, "%s: corrupted replay: %s holds a NUL byte", r->origin, what);
        r->failed = 1;
        return NULL;
    }
    char *s = malloc((size_t)len + 1);
    if (!s) {
        env_fail(r->err, ENV_ENOMEM, "%s: out of memory for %s", r->origin, what);
        r->failed = 1;
        return NULL;
    }
    memcpy(s, r->p + r->at, len);
    s[len] = 0;
    r->at += len;
    return s;
}

static int bad_field(Reader *r, const char *fmt, long long v) {
    char what[160];
    snprintf(what, sizeof what, fmt, v);
    r->failed = 1;
    return env_fail(r->err, ENV_EINPUT, "%s: corrupted replay: %s", r->origin, what);
}

int sim_replay_decode(SimReplay *rp, const uint8_t *data, size_t n, const char *origin,
                      EnvError *err) {
    memset(rp, 0, sizeof *rp);
    /* what the file claims to be, before anything else */
    if (n < 8 || memcmp(data, SIM_REPLAY_MAGIC, 8) != 0)
        return env_fail(err, ENV_EINPUT,
                        "%s: not a commons replay (it does not start with '%s'); replays come "
                        "from 'commons run --replay-out FILE'",
                        origin, SIM_REPLAY_MAGIC);
    if (n < 12)
        return env_fail(err, ENV_EINPUT, "%s: truncated replay: %zu bytes, the header alone is %d",
                        origin, n, HEADER_BYTES + CHECKSUM_BYTES);
    uint32_t version = get_u32_at(data + 8);
    if (version != SIM_REPLAY_VERSION)
        return env_fail(err, ENV_EINPUT,
                        "%s: replay format version %u; this commons reads version %d (record it "
                        "again with this build)",
                        origin, version, SIM_REPLAY_VERSION);
    if (n < HEADER_BYTES + CHECKSUM_BYTES)
        return env_fail(err, ENV_EINPUT, "%s: truncated replay: %zu bytes, the header alone is %d",
                        origin, n, HEADER_BYTES + CHECKSUM_BYTES);
    uint64_t payload = get_u64_at(data + 16);
    uint64_t want = HEADER_BYTES + payload + CHECKSUM_BYTES;
    if (payload > (uint64_t)SIM_REPLAY_MAX_BYTES || want > n)
        return env_fail(err, ENV_EINPUT,
                        "%s: truncated replay: %zu bytes, the header announces %llu", origin, n,
                        (unsigned long long)want);
    if (want < n)
        return env_fail(err, ENV_EINPUT,
                        "%s: corrupted replay: %zu bytes, %llu more than the header announces",
                        origin, n, (unsigned long long)(n - want));
    uint64_t sum = sim_replay_checksum(data, n - CHECKSUM_BYTES);
    if (sum != get_u64_at(data + n - CHECKSUM_BYTES))
        return env_fail(err, ENV_EINPUT,
                        "%s: corrupted replay: the checksum does not match (the file was changed "
                        "or damaged after it was written)",
                        origin);
    if (get_u32_at(data + 12) != 0)
        return env_fail(err, ENV_EINPUT, "%s: replay uses flags this commons does not know",
                        origin);
    /* the fields, each bounds-checked */
    Reader r = {data, n - CHECKSUM_BYTES, HEADER_BYTES, origin, err, 0};
    rp->seed = rd_u64(&r, "the seed");
    rp->world_index = rd_u64(&r, "the world index");
    rp->map_hash = rd_u64(&r, "the map hash");
    uint32_t agents = rd_u32(&r, "the agent count");
    uint32_t every = rd_u32(&r, "the hash interval");
    uint32_t sig_bits = rd_u32(&r, "the signal bit count");
    uint32_t n_ep = rd_u32(&r, "the episode count");
    if (!r.failed && (agents < 1 || agents > ENV_MAX_AGENTS))
        bad_field(&r, "%lld agents", (long long)agents);
    if (!r.failed && (every < 1 || every > 1000000))
        bad_field(&r, "hash interval %lld", (long long)every);
    if (!r.failed && sig_bits > ENV_MAX_SIGNAL_BITS)
        bad_field(&r, "%lld signal bits", (long long)sig_bits);
    if (!r.failed && n_ep > (r.n - r.at) / 16) bad_field(&r, "%lld episodes", (long long)n_ep);
    rp->n_agents = (int)agents;
    rp->hash_every = (int)every;
    rp->signal_bits = (int)sig_bits;
    char *preset = rd_str(&r, "the preset name", ENV_NAME_LEN - 1);
    if (preset) snprintf(rp->preset, sizeof rp->preset, "%s", preset);
    free(preset);
    rp->policies = rd_str(&r, "the policy list", 64 * ENV_MAX_AGENTS);
    rp->ini = rd_str(&r, "the config", 1 << 20);
    if (!r.failed && n_ep > 0) {
        rp->ep = calloc(n_ep, sizeof *rp->ep);
        if (!rp->ep) {
            env_fail(err, ENV_ENOMEM, "%s: out of memory for %u episodes", origin, n_ep);
            r.failed = 1;
        } else {
            rp->cap = (int)n_ep;
        }
    }
    for (uint32_t i = 0; !r.failed && i < n_ep; i++) {
        SimReplayEpisode *e = &rp->ep[i];
        rp->n_episodes = (int)i + 1;
        e->episode = rd_u64(&r, "an episode index");
        uint32_t steps = rd_u32(&r, "an episode length");
        uint32_t nh = rd_u32(&r, "a hash count");
        if (r.failed) break;
        if (steps > 1000000) {
            bad_field(&r, "episode length %lld", (long long)steps);
            break;
        }
        if (nh != (uint32_t)n_hashes_for((int)steps, rp->hash_every)) {
            bad_field(&r, "%lld hashes for the episode length", (long long)nh);
            break;
        }
        size_t count = (size_t)steps * agents, packed = (count + 1) / 2;
        size_t n_sig = count * sig_bits, sig_packed = (n_sig + 7) / 8;
        if ((r.n - r.at) / 8 < nh || r.n - r.at - (size_t)nh * 8 < packed + sig_packed) {
            short_read(&r, "an episode");
            break;
        }
        e->steps = e->cap = (int32_t)steps;
        e->n_hashes = (int32_t)nh;
        e->hashes = malloc((size_t)nh * sizeof(uint64_t));
        e->actions = malloc(count ? count : 1);
        if (sig_bits > 0) e->signals = malloc(n_sig ? n_sig : 1);
        if (!e->hashes || !e->actions || (sig_bits > 0 && !e->signals)) {
            env_fail(err, ENV_ENOMEM, "%s: out of memory for an episode of %u steps", origin,
                     steps);
            r.failed = 1;
            break;
        }
        for (uint32_t k = 0; k < nh; k++) e->hashes[k] = rd_u64(&r, "a hash");
        for (size_t k = 0; k < count; k++)
            e->actions[k] = (uint8_t)((r.p[r.at + k / 2] >> (4 * (k % 2))) & 15);
        r.at += packed;
        for (size_t k = 0; k < n_sig; k++)
            e->signals[k] = (uint8_t)((r.p[r.at + k / 8] >> (k % 8)) & 1);
        r.at += sig_packed;
    }
    if (!r.failed && r.at != r.n)
        bad_field(&r, "%lld bytes after the last episode", (long long)(r.n - r.at));
    if (r.failed) {
        sim_replay_close(rp);
        return err->code;
    }
    return 0;
}

/* ---- files ---- */

int sim_replay_write(const SimReplay *rp, const char *path, EnvError *err) {
    uint8_t *data;
    size_t n;
    int rc = sim_replay_encode(rp, &data, &n, err);
    if (rc) return rc;
    rc = env_write_atomic(path, data, n, err);
    free(data);
    return rc;
}

int sim_replay_read(SimReplay *rp, const char *path, EnvError *err) {
    memset(rp, 0, sizeof *rp);
    const char *kind;
    FILE *f = env_open_regular(path, &kind);
    if (!f && kind) return env_fail(err, ENV_EINPUT, "%s: is %s, not a replay file", path, kind);
    if (!f)
        return env_fail(err, ENV_EINPUT, "%s: cannot open the replay: %s", path, strerror(errno));
    uint8_t *data = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= (size_t)SIM_REPLAY_MAX_BYTES) {
                rc = env_fail(err, ENV_EINPUT, "%s: larger than %lld bytes; not a replay", path,
                              SIM_REPLAY_MAX_BYTES);
                break;
            }
            /* the header first (magic and version), before reading more */
            cap = cap == 0 ? 12 : cap == 12 ? 65536 : 2 * cap;
            uint8_t *p = realloc(data, cap);
            if (!p) {
                rc = env_fail(err, ENV_ENOMEM, "%s: out of memory reading %zu bytes", path, cap);
                break;
            }
            data = p;
        }
        size_t k = fread(data + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f))
                rc = env_fail(err, ENV_EINPUT, "%s: cannot read the replay: %s", path,
                              strerror(errno));
            break;
        }
        if (n == 12 && cap == 12 &&
            (memcmp(data, SIM_REPLAY_MAGIC, 8) != 0 || get_u32_at(data + 8) != SIM_REPLAY_VERSION))
            break; /* not a replay of this version: sim_replay_decode says so */
    }
    fclose(f);
    if (rc == 0) rc = sim_replay_decode(rp, data, n, path, err);
    free(data);
    return rc;
}

/* ---- configs ---- */

typedef struct IniBack {
    SimParams *p;
    EnvError err;
    int failed;
} IniBack;

static int ini_back(void *user, const char *section, const char *key, const char *value) {
    IniBack *b = user;
    if (b->failed) return 0;
    if (sim_params_set(b->p, section, key, value, &b->err) != 0) {
        b->failed = 1;
        return 0;
    }
    return 1;
}

int sim_replay_params(const SimReplay *rp, const char *origin, SimParams *p, EnvError *err) {
    sim_params_default(p);
    IniBack b = {.p = p};
    int rc = ini_parse_string(rp->ini, ini_back, &b);
    if (b.failed)
        return env_fail(err, ENV_EINPUT, "%s: the recorded config is not valid in this build: %s",
                        origin, b.err.msg);
    if (rc != 0)
        return env_fail(err, ENV_EINPUT, "%s: the recorded config is malformed (line %d)", origin,
                        rc);
    snprintf(p->env.preset, sizeof p->env.preset, "%s", rp->preset);
    if (p->env.n_agents != rp->n_agents || p->comm.signal_bits != rp->signal_bits)
        return env_fail(err, ENV_EINPUT,
                        "%s: corrupted replay: the config has %d agents and %d signal bits, the "
                        "replay %d and %d",
                        origin, p->env.n_agents, p->comm.signal_bits, rp->n_agents,
                        rp->signal_bits);
    /* the config must read back to exactly what was recorded */
    char *again = params_ini(p);
    if (!again) return env_fail(err, ENV_ENOMEM, "%s: out of memory for the config text", origin);
    int same = strcmp(again, rp->ini) == 0;
    free(again);
    if (!same)
        return env_fail(err, ENV_EINPUT,
                        "%s: the recorded config does not read back identically in this build "
                        "(it was written by a different version of commons)",
                        origin);
    return 0;
}

int sim_replay_check_config(const SimReplay *rp, const char *origin, const EnvConfig *cfg,
                            EnvError *err) {
    if (sim_replay_map_hash(cfg) != rp->map_hash)
        return env_fail(err, ENV_EINPUT,
                        "%s: map '%s' is not the map the replay was recorded on (its cells "
                        "differ); restore that map file to play it",
                        origin, cfg->p.map);
    for (int i = 0; i < rp->n_episodes; i++)
        if (rp->ep[i].steps > cfg->p.max_steps)
            return env_fail(err, ENV_EINPUT,
                            "%s: corrupted replay: episode %d has %d steps, more than "
                            "env.max_steps = %d",
                            origin, i, rp->ep[i].steps, cfg->p.max_steps);
    return 0;
}

/* ---- playback ---- */

static void check_hash(SimReplayCursor *c) {
    const SimReplayEpisode *e = c->ep;
    int t = c->e->t;
    int due = c->next_hash < e->n_hashes && (t % c->rp->hash_every == 0 || t == e->steps) &&
              !(t == 0 && c->next_hash > 0);
    if (!due) return;
    uint64_t h = env_state_hash(&c->e->world), want = e->hashes[c->next_hash++];
    if (h == want) {
        if (c->mismatch_tick < 0) c->last_match_tick = t;
    } else if (c->mismatch_tick < 0) {
        c->mismatch_tick = t;
        c->got = h;
        c->wanted = want;
    }
}

void sim_replay_cursor_start(SimReplayCursor *c, const SimReplay *rp, int ep_index, SimEpisode *e) {
    memset(c, 0, sizeof *c);
    c->rp = rp;
    c->ep = &rp->ep[ep_index];
    c->e = e;
    c->mismatch_tick = -1;
    c->last_match_tick = -1;
    sim_episode_start(e, c->ep->episode, c->ep->steps);
    check_hash(c);
}

int sim_replay_cursor_step(SimReplayCursor *c) {
    const SimReplayEpisode *e = c->ep;
    int t = c->e->t;
    if (t >= e->steps) return 1;
    int32_t actions[ENV_MAX_AGENTS];
    const uint8_t *row = e->actions + (size_t)t * (size_t)c->rp->n_agents;
    for (int i = 0; i < c->rp->n_agents; i++) actions[i] = row[i];
    size_t nb = (size_t)c->rp->n_agents * (size_t)c->rp->signal_bits;
    sim_episode_step(c->e, actions, e->signals ? e->signals + (size_t)t * nb : NULL);
    check_hash(c);
    return c->e->t >= e->steps;
}

int sim_replay_cursor_mismatch(const SimReplayCursor *c, const char *origin, EnvError *err) {
    if (c->mismatch_tick < 0) return 0;
    char last[64] = "nothing matched, not even the start";
    if (c->last_match_tick >= 0) snprintf(last, sizeof last, "tick %d matched", c->last_match_tick);
    return env_fail(
        err, ENV_EMISMATCH,
        "%s: the replay diverged in episode %llu: at tick %d the state hash is %016llx, "
        "the recording says %016llx (%s); was it recorded by a different build?",
        origin, (unsigned long long)c->ep->episode, c->mismatch_tick, (unsigned long long)c->got,
        (unsigned long long)c->wanted, last);
}
