/* view.c: the policies' snapshot of a world in a read-only mapping (see view.h). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "view.h"

#define ALIGN 16

/* a bump allocator over the mapping: with mem NULL it only measures */
typedef struct Carver {
    uint8_t *mem;
    size_t off;
} Carver;

/* reserves cap bytes (aligned) and copies the first n of them from src when both are there;
 * NULL src gives NULL */
static void *reserve(Carver *c, const void *src, size_t n, size_t cap) {
    c->off = (c->off + ALIGN - 1) / ALIGN * ALIGN;
    void *at = c->mem ? c->mem + c->off : NULL;
    c->off += cap;
    if (!src) return NULL;
    if (at && n) memcpy(at, src, n);
    return at;
}

static void *carve(Carver *c, const void *src, size_t n) {
    return reserve(c, src, n, n);
}

#define CARVE(c, ptr, count) carve((c), (ptr), (size_t)(count) * sizeof *(ptr))

/* The deep copy of a config: the struct, then every array it points to. Every pointer member of
 * EnvConfig must be copied here, so that no pointer of the copy leads back to the original. */
static EnvConfig *copy_config(Carver *c, const EnvConfig *cfg) {
    EnvConfig *out = carve(c, cfg, sizeof *cfg), k = *cfg;
    size_t ncell = (size_t)cfg->hp * (size_t)cfg->wp;
    k.map.cells = CARVE(c, cfg->map.cells, (size_t)cfg->map.h * (size_t)cfg->map.w);
    k.spawn = CARVE(c, cfg->spawn, cfg->n_spawn);
    k.open = CARVE(c, cfg->open, cfg->n_open ? cfg->n_open : 1);
    k.apple = CARVE(c, cfg->apple, cfg->n_apple ? cfg->n_apple : 1);
    k.river = CARVE(c, cfg->river, cfg->n_river ? cfg->n_river : 1);
    k.base = CARVE(c, cfg->base, ncell);
    k.apple_slot = CARVE(c, cfg->apple_slot, ncell);
    k.rot_index = CARVE(c, cfg->rot_index, ncell * 4);
    k.river_slot = CARVE(c, cfg->river_slot, ncell);
    k.source = CARVE(c, cfg->source, cfg->n_source);
    k.sea = CARVE(c, cfg->sea, cfg->n_sea);
    k.drift_dir = CARVE(c, cfg->drift_dir, ncell * 2);
    k.drift_thr = CARVE(c, cfg->drift_thr, ncell * 2);
    k.geo = CARVE(c, cfg->geo, (size_t)cfg->p.n_regrowth * ENV_GEO_SPAN);
    if (out) *out = k;
    return out;
}

/* the state part: what the live view points at, copied; out gets the same view over the copy */
static void copy_state(Carver *c, const SimView *sv, const EnvView *live, EnvView *out) {
    size_t ncell = (size_t)live->hp * (size_t)live->wp;
    int n_beam = live->n_beam < sv->beam_cap ? live->n_beam : sv->beam_cap;
    size_t n_msg = live->msg ? (size_t)live->n_agents * (size_t)live->msg_size : 0;
    if (n_msg > sv->msg_floats) n_msg = sv->msg_floats;
    *out = *live;
    out->cfg = sv->cfg;
    out->cell = CARVE(c, live->cell, ncell);
    out->occ = CARVE(c, live->occ, ncell);
    out->agent = CARVE(c, live->agent, live->n_agents);
    out->reward = CARVE(c, live->reward, live->n_agents);
    out->metrics = CARVE(c, live->metrics, 1);
    out->beam = reserve(c, live->beam, (size_t)n_beam * sizeof *live->beam,
                        (size_t)sv->beam_cap * sizeof *live->beam);
    out->beam_id = reserve(c, live->beam_id, (size_t)n_beam, (size_t)sv->beam_cap);
    out->n_beam = n_beam;
    out->plastic = sv->has_plastic ? CARVE(c, live->plastic, ncell) : NULL;
    out->msg = carve(c, live->msg, n_msg * sizeof(float));
}

static size_t page_round(size_t n) {
    long page = sysconf(_SC_PAGESIZE);
    size_t p = page > 0 ? (size_t)page : 4096;
    return (n + p - 1) / p * p;
}

int sim_view_init(SimView *sv, const EnvWorld *w, size_t msg_floats, EnvError *err) {
    memset(sv, 0, sizeof *sv);
    const EnvConfig *cfg = w->cfg;
    sv->beam_cap = w->beam_cap;
    sv->has_plastic = w->plastic != NULL;
    sv->msg_floats = msg_floats;
    /* measure the config copy and the largest state part */
    Carver c = {NULL, 0};
    copy_config(&c, cfg);
    sv->cfg_size = page_round(c.off);
    EnvView live, out;
    env_view(w, &live);
    live.msg = NULL;
    live.n_beam = sv->beam_cap;
    c.off = 0;
    copy_state(&c, sv, &live, &out);
    sv->state_size = c.off + msg_floats * sizeof(float) + ALIGN;
    for (int k = 0; k < SIM_VIEW_SLOTS; k++)
        if (!(sv->state[k] = aligned_alloc(ALIGN, (sv->state_size + ALIGN - 1) / ALIGN * ALIGN))) {
            sim_view_close(sv);
            return env_fail(err, ENV_ENOMEM, "out of memory for the policies' view of the world");
        }
    /* the config copy, sealed read-only for good */
    void *mem =
        mmap(NULL, sv->cfg_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        int e = errno;
        sim_view_close(sv);
        return env_fail(err, e == ENOMEM ? ENV_ENOMEM : ENV_EIO,
                        "cannot map %zu bytes for the policies' copy of the config: %s",
                        sv->cfg_size, strerror(e));
    }
    sv->cfg_mem = mem;
    c = (Carver){sv->cfg_mem, 0};
    sv->cfg = copy_config(&c, cfg);
    if (mprotect(sv->cfg_mem, sv->cfg_size, PROT_READ) != 0) {
        int e = errno;
        sim_view_close(sv);
        return env_fail(err, ENV_EIO, "cannot make the policies' copy of the config read-only: %s",
                        strerror(e));
    }
    return 0;
}

void sim_view_close(SimView *sv) {
    if (sv->cfg_mem) munmap(sv->cfg_mem, sv->cfg_size);
    for (int k = 0; k < SIM_VIEW_SLOTS; k++) free(sv->state[k]);
    memset(sv, 0, sizeof *sv);
}

void sim_view_take(SimView *sv, int slot, const EnvView *live, EnvView *out) {
    Carver c = {sv->state[slot], 0};
    copy_state(&c, sv, live, out);
}

int sim_view_holds(const SimView *sv, const void *p, size_t n) {
    uintptr_t b = (uintptr_t)p;
    const uint8_t *parts[1 + SIM_VIEW_SLOTS] = {sv->cfg_mem, sv->state[0], sv->state[1]};
    size_t sizes[1 + SIM_VIEW_SLOTS] = {sv->cfg_size, sv->state_size, sv->state_size};
    for (int k = 0; k < 1 + SIM_VIEW_SLOTS; k++) {
        uintptr_t m = (uintptr_t)parts[k];
        if (parts[k] && b >= m && n <= sizes[k] && b - m <= sizes[k] - n) return 1;
    }
    return 0;
}
