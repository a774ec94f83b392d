/* params.c: every setting of a world as one table of keys, with types, ranges and docs.
 *
 * Contract: env_params_set() is the only way text becomes a parameter. It rejects unknown keys,
 * malformed numbers and out-of-range values with a message that names the key and the allowed
 * range. Probabilities are exact decimals stored as parts per billion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

int env_fail(EnvError *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

typedef enum { T_INT, T_BOOL, T_PROB, T_PROBLIST, T_CHOICE, T_STRING } ParamType;

typedef struct ParamSpec {
    const char *section, *key;
    ParamType type;
    size_t off;
    long long min, max;
    const char *choices; /* space separated, for T_CHOICE: index = value */
    const char *doc;
} ParamSpec;

#define F(field) offsetof(EnvParams, field)

static const ParamSpec SPECS[] = {
    {"env", "game", T_CHOICE, F(game), 0, 0, "gathering harvest cleanup ocean",
     "rules: fixed respawn, density regrowth, pollution-driven regrowth, or ocean plastic"},
    {"env", "map", T_STRING, F(map), 0, 0, NULL, "built-in map name, or a path to a map file"},
    {"env", "agents", T_INT, F(n_agents), 1, ENV_MAX_AGENTS, NULL, "number of agents"},
    {"env", "max_steps", T_INT, F(max_steps), 1, 1000000, NULL, "steps per episode"},
    {"env", "source", T_STRING, F(source), 0, 0, NULL, "where the rules come from (a note)"},
    {"obs", "ahead", T_INT, F(view_ahead), 0, ENV_MAX_VIEW, NULL, "cells seen ahead"},
    {"obs", "behind", T_INT, F(view_behind), 0, ENV_MAX_VIEW, NULL, "cells seen behind"},
    {"obs", "side", T_INT, F(view_side), 0, ENV_MAX_VIEW, NULL, "cells seen to each side"},
    {"obs", "encoding", T_CHOICE, F(encoding), 0, 0, "rgb ids",
     "rgb: uint8 x 3 per cell; ids: one uint8 cell id per cell"},
    {"obs", "palette", T_CHOICE, F(palette), 0, 0, "ssd gallego ocean",
     "colours of the rgb encoding"},
    {"beam", "length", T_INT, F(fire.length), 0, 64, NULL, "fire beam length (0: no beam)"},
    {"beam", "width", T_INT, F(fire.width), 1, 15, NULL, "fire beam width (odd)"},
    {"beam", "side_start", T_INT, F(fire.side_start), 0, 1, NULL,
     "distance where side rays start: 0 beside the agent (SSD), 1 ahead"},
    {"beam", "walls_block", T_BOOL, F(fire.walls_block), 0, 1, NULL, "walls stop a ray"},
    {"beam", "agents_block", T_BOOL, F(fire.agents_block), 0, 1, NULL,
     "the first agent hit stops a ray"},
    {"beam", "cost", T_INT, F(fire.cost), -1000, 1000, NULL, "reward lost by the firer"},
    {"beam", "hit_penalty", T_INT, F(hit_penalty), -1000, 1000, NULL,
     "reward lost by each agent hit"},
    {"beam", "hits_to_tag", T_INT, F(hits_to_tag), 0, 255, NULL,
     "hits that tag an agent out (0: never)"},
    {"beam", "tag_steps", T_INT, F(tag_steps), 1, 255, NULL, "steps a tagged agent stays out"},
    {"clean", "length", T_INT, F(clean.length), 0, 64, NULL, "cleaning beam length (0: none)"},
    {"clean", "width", T_INT, F(clean.width), 1, 15, NULL, "cleaning beam width (odd)"},
    {"clean", "side_start", T_INT, F(clean.side_start), 0, 1, NULL,
     "distance where side rays start"},
    {"clean", "walls_block", T_BOOL, F(clean.walls_block), 0, 1, NULL, "walls stop a ray"},
    {"clean", "agents_block", T_BOOL, F(clean.agents_block), 0, 1, NULL,
     "the first agent stops a ray"},
    {"clean", "cost", T_INT, F(clean.cost), -1000, 1000, NULL, "reward lost by the cleaner"},
    {"clean", "stops_at_waste", T_BOOL, F(clean_stops_at_waste), 0, 1, NULL,
     "a ray clears its first waste cell and stops (SSD); else clears all"},
    {"apples", "reward", T_INT, F(apple_reward), -1000, 1000, NULL, "reward for eating an apple"},
    {"apples", "start", T_BOOL, F(apples_start), 0, 1, NULL, "spawn points start with apples"},
    {"apples", "respawn_steps", T_INT, F(respawn_steps), 1, 1000000, NULL,
     "fixed regrowth: steps until an eaten apple returns"},
    {"regrowth", "probs", T_PROBLIST, F(regrowth_ppb), 0, ENV_MAX_REGROWTH, NULL,
     "density regrowth: p for 0, 1, 2, ... nearby apples; the last applies above"},
    {"regrowth", "shape", T_CHOICE, F(regrowth_shape), 0, 0, "square disc",
     "neighbourhood: square (Chebyshev) or disc (dr^2 + dc^2 <= radius^2)"},
    {"regrowth", "radius", T_INT, F(regrowth_radius), 1, 8, NULL, "neighbourhood radius"},
    {"pollution", "waste_spawn_prob", T_PROB, F(waste_spawn_ppb), 0, ENV_PPB, NULL,
     "per-step waste spawn probability"},
    {"pollution", "waste_mode", T_CHOICE, F(waste_mode), 0, 0, "ssd single",
     "ssd: every clean river cell draws until one spawns; single: one draw a step"},
    {"pollution", "apple_max_prob", T_PROB, F(apple_max_ppb), 0, ENV_PPB, NULL,
     "apple regrowth probability with a clean river"},
    {"pollution", "depletion", T_PROB, F(depletion_ppb), 0, ENV_PPB, NULL,
     "waste density at or above which apples stop growing"},
    {"pollution", "restoration", T_PROB, F(restoration_ppb), 0, ENV_PPB, NULL,
     "waste density at or below which apples grow at the full rate"},
    {"ocean", "currents", T_CHOICE, F(currents), 0, 0, "none uniform gyre",
     "surface currents: none, one direction, or a gyre converging to a patch"},
    {"ocean", "current_dir", T_CHOICE, F(current_dir), 0, 0, "north east south west",
     "direction of uniform currents"},
    {"ocean", "current_prob", T_PROB, F(current_ppb), 0, ENV_PPB, NULL,
     "probability that a cell's plastic drifts one cell in a step"},
    {"ocean", "gyre_inward", T_PROB, F(gyre_inward_ppb), 0, ENV_PPB, NULL,
     "gyre: weight of the inward pull against the circulation"},
    {"ocean", "source_prob", T_PROB, F(source_ppb), 0, ENV_PPB, NULL,
     "probability that a river mouth ('M') emits in a step"},
    {"ocean", "source_units", T_INT, F(source_units), 1, 1000, NULL, "units a river mouth emits"},
    {"ocean", "patch_prob", T_PROB, F(patch_ppb), 0, ENV_PPB, NULL,
     "probability that a patch appears at a random sea cell in a step"},
    {"ocean", "patch_units", T_INT, F(patch_units), 1, 100000, NULL, "units in a patch"},
    {"ocean", "patch_radius", T_INT, F(patch_radius), 0, 8, NULL,
     "a patch covers the sea cells within this Chebyshev radius"},
    {"ocean", "initial_patches", T_INT, F(initial_patches), 0, 1000, NULL,
     "patches placed at the start of an episode"},
    {"ocean", "capacity", T_INT, F(capacity), 1, 100000, NULL,
     "units a vessel collects from its cell in a step"},
    {"ocean", "beaching", T_BOOL, F(beaching), 0, 1, NULL,
     "plastic drifting onto land leaves the sea (beached); else it stays"},
    {"ocean", "level_cap", T_INT, F(level_cap), 1, 100000, NULL,
     "units shown as the top plastic level in observations"},
    {"comm", "topology", T_CHOICE, F(comm_topology), 0, 0, "none full ring star radius knn",
     "who hears whom, rebuilt every step"},
    {"comm", "radius", T_INT, F(comm_radius), 0, 255, NULL,
     "radius topology: agents within this Euclidean distance"},
    {"comm", "k", T_INT, F(comm_k), 1, ENV_MAX_AGENTS - 1, NULL, "knn topology: neighbours heard"},
    {"comm", "signal_bits", T_INT, F(signal_bits), 0, ENV_MAX_SIGNAL_BITS, NULL,
     "signal bits in every agent's action, heard by its neighbours a step later"},
    {"comm", "slots", T_INT, F(comm_slots), 0, 8, NULL,
     "nearest neighbours described (bits and offset) in a received message"},
    {"rewards", "share", T_CHOICE, F(share), 0, 0, "none neighbours global",
     "learning rewards: own; own plus alpha times neighbours'; or the sum of all"},
    {"rewards", "alpha", T_PROB, F(share_alpha_ppb), 0, ENV_PPB, NULL,
     "weight of the neighbours' rewards when share = neighbours"},
};
#define N_SPECS ((int)(sizeof SPECS / sizeof SPECS[0]))

void env_params_default(EnvParams *p) {
    memset(p, 0, sizeof *p);
    snprintf(p->preset, sizeof p->preset, "%s", "custom");
    p->game = ENV_GAME_GATHERING;
    snprintf(p->map, sizeof p->map, "%s", "gathering-small");
    p->n_agents = 2;
    p->max_steps = 1000;
    p->view_ahead = p->view_behind = p->view_side = 7;
    p->encoding = ENV_ENC_RGB;
    p->palette = ENV_PALETTE_SSD;
    p->fire = (EnvBeam){
        .length = 5, .width = 3, .side_start = 0, .walls_block = 1, .agents_block = 1, .cost = 0};
    p->clean = p->fire;
    p->clean.length = 0;
    p->hit_penalty = 0;
    p->hits_to_tag = 2;
    p->tag_steps = 25;
    p->apple_reward = 1;
    p->apples_start = 1;
    p->respawn_steps = 25;
    p->n_regrowth = 4;
    p->regrowth_ppb[1] = 5000000;
    p->regrowth_ppb[2] = 20000000;
    p->regrowth_ppb[3] = 50000000;
    p->regrowth_shape = ENV_SHAPE_SQUARE;
    p->regrowth_radius = 1;
    p->waste_spawn_ppb = 500000000;
    p->waste_mode = ENV_WASTE_SSD;
    p->apple_max_ppb = 50000000;
    p->depletion_ppb = 400000000;
    p->restoration_ppb = 0;
    p->currents = ENV_CURRENTS_NONE;
    p->current_dir = ENV_EAST;
    p->current_ppb = 200000000;
    p->gyre_inward_ppb = 200000000;
    p->source_ppb = 0;
    p->source_units = 1;
    p->patch_ppb = 0;
    p->patch_units = 20;
    p->patch_radius = 1;
    p->initial_patches = 0;
    p->capacity = 1;
    p->beaching = 1;
    p->level_cap = 8;
    p->comm_topology = 0;
    p->comm_radius = 8;
    p->comm_k = 1;
    p->signal_bits = 0;
    p->comm_slots = 2;
    p->share = ENV_SHARE_NONE;
    p->share_alpha_ppb = 0;
}

/* parse a whole decimal integer; no trailing characters */
static int parse_ll(const char *s, long long *out) {
    const char *q = s;
    if (*q == '+' || *q == '-') q++;
    if (*q < '0' || *q > '9') return -1;
    for (; *q; q++)
        if (*q < '0' || *q > '9') return -1;
    char *end;
    *out = strtoll(s, &end, 10);
    return (*end == 0 && q - s < 19) ? 0 : -1;
}

/* parse an exact decimal in [0, 1] with up to 9 fraction digits, as parts per billion */
static int parse_ppb(const char *s, int64_t *out) {
    int64_t whole = 0, frac = 0, scale = ENV_PPB;
    const char *q = s;
    int digits = 0;
    for (; *q >= '0' && *q <= '9'; q++, digits++) {
        whole = whole * 10 + (*q - '0');
        if (whole > 1) return -1;
    }
    if (*q == '.') {
        q++;
        for (int n = 0; *q >= '0' && *q <= '9'; q++, n++, digits++) {
            if (n >= 9) return -1;
            scale /= 10;
            frac += (*q - '0') * scale;
        }
    }
    if (*q != 0 || digits == 0) return -1;
    *out = whole * ENV_PPB + frac;
    return *out <= ENV_PPB ? 0 : -1;
}

static const ParamSpec *find_spec(const char *section, const char *key) {
    for (int i = 0; i < N_SPECS; i++)
        if (strcmp(SPECS[i].section, section) == 0 && strcmp(SPECS[i].key, key) == 0)
            return &SPECS[i];
    return NULL;
}

/* index of word in a space-separated list, or -1 */
static int choice_index(const char *choices, const char *word) {
    size_t n = strlen(word);
    int idx = 0;
    for (const char *c = choices; *c;) {
        const char *e = strchr(c, ' ');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if (len == n && strncmp(c, word, n) == 0) return idx;
        idx++;
        if (!e) break;
        c = e + 1;
    }
    return -1;
}

static int set_problist(EnvParams *p, const ParamSpec *s, const char *value, EnvError *err) {
    int64_t vals[ENV_MAX_REGROWTH];
    int n = 0;
    char buf[256];
    if (strlen(value) >= sizeof buf)
        return env_fail(err, ENV_EINPUT, "%s.%s: value too long", s->section, s->key);
    snprintf(buf, sizeof buf, "%s", value);
    for (char *tok = buf; tok && *tok;) {
        char *comma = strchr(tok, ',');
        if (comma) *comma = 0;
        while (*tok == ' ') tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ') *--end = 0;
        if (n == ENV_MAX_REGROWTH)
            return env_fail(err, ENV_EINPUT, "%s.%s: at most %d probabilities, got more",
                            s->section, s->key, ENV_MAX_REGROWTH);
        if (parse_ppb(tok, &vals[n]) != 0)
            return env_fail(err, ENV_EINPUT,
                            "%s.%s: '%s' is not a probability; use comma-separated decimals "
                            "in [0, 1], e.g. 0,0.005,0.02,0.05",
                            s->section, s->key, tok);
        n++;
        tok = comma ? comma + 1 : NULL;
    }
    if (n == 0)
        return env_fail(err, ENV_EINPUT, "%s.%s: empty list; give 1 to %d probabilities",
                        s->section, s->key, ENV_MAX_REGROWTH);
    memset(p->regrowth_ppb, 0, sizeof p->regrowth_ppb);
    memcpy(p->regrowth_ppb, vals, (size_t)n * sizeof vals[0]);
    p->n_regrowth = n;
    return 0;
}

int env_params_set(EnvParams *p, const char *section, const char *key, const char *value,
                   EnvError *err) {
    const ParamSpec *s = find_spec(section, key);
    if (!s) {
        for (int i = 0; i < N_SPECS; i++)
            if (strcmp(SPECS[i].section, section) == 0)
                return env_fail(err, ENV_EINPUT,
                                "unknown key '%s.%s'; 'commons maps --keys' lists the keys",
                                section, key);
        return env_fail(err, ENV_EINPUT,
                        "unknown section '[%s]' (key '%s'); sections are env, obs, beam, clean, "
                        "apples, regrowth, pollution, ocean, comm, rewards",
                        section, key);
    }
    char *field = (char *)p + s->off;
    long long v;
    int64_t ppb;
    int idx;
    switch (s->type) {
    case T_INT:
    case T_BOOL:
        if (parse_ll(value, &v) != 0)
            return env_fail(err, ENV_EINPUT, "%s.%s: '%s' is not an integer; allowed %lld..%lld",
                            section, key, value, s->min, s->max);
        if (v < s->min || v > s->max)
            return env_fail(err, ENV_EINPUT, "%s.%s = %lld is out of range; allowed %lld..%lld",
                            section, key, v, s->min, s->max);
        *(int *)field = (int)v;
        return 0;
    case T_PROB:
        if (parse_ppb(value, &ppb) != 0)
            return env_fail(err, ENV_EINPUT,
                            "%s.%s: '%s' is not a probability; allowed a decimal in [0, 1] "
                            "with at most 9 digits after the point",
                            section, key, value);
        *(int64_t *)field = ppb;
        return 0;
    case T_PROBLIST:
        return set_problist(p, s, value, err);
    case T_CHOICE:
        idx = choice_index(s->choices, value);
        if (idx < 0)
            return env_fail(err, ENV_EINPUT, "%s.%s: '%s' is not allowed; choose one of: %s",
                            section, key, value, s->choices);
        *(int *)field = idx;
        return 0;
    case T_STRING:
        if (strlen(value) >= ENV_NAME_LEN)
            return env_fail(err, ENV_EINPUT, "%s.%s: value longer than %d characters", section, key,
                            ENV_NAME_LEN - 1);
        snprintf(field, ENV_NAME_LEN, "%s", value);
        return 0;
    }
    return env_fail(err, ENV_EINPUT, "%s.%s: unsupported type", section, key);
}

/* format a ppb value as the shortest exact decimal */
static void fmt_ppb(int64_t ppb, char *buf, size_t n) {
    if (ppb == ENV_PPB) {
        snprintf(buf, n, "1");
        return;
    }
    char frac[16];
    snprintf(frac, sizeof frac, "%09lld", (long long)ppb);
    int len = 9;
    while (len > 1 && frac[len - 1] == '0') len--;
    frac[len] = 0;
    if (ppb == 0)
        snprintf(buf, n, "0");
    else
        snprintf(buf, n, "0.%s", frac);
}

static void format_spec(const EnvParams *p, const ParamSpec *s, char *buf, size_t n) {
    const char *field = (const char *)p + s->off;
    switch (s->type) {
    case T_INT:
    case T_BOOL:
        snprintf(buf, n, "%d", *(const int *)field);
        break;
    case T_PROB:
        fmt_ppb(*(const int64_t *)field, buf, n);
        break;
    case T_PROBLIST: {
        size_t used = 0;
        buf[0] = 0;
        for (int i = 0; i < p->n_regrowth && used + 16 < n; i++) {
            char one[24];
            fmt_ppb(p->regrowth_ppb[i], one, sizeof one);
            used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? "," : "", one);
        }
        break;
    }
    case T_CHOICE: {
        int want = *(const int *)field, idx = 0;
        buf[0] = 0;
        for (const char *c = s->choices; *c; idx++) {
            const char *e = strchr(c, ' ');
            size_t len = e ? (size_t)(e - c) : strlen(c);
            if (idx == want) {
                snprintf(buf, n, "%.*s", (int)len, c);
                break;
            }
            if (!e) break;
            c = e + 1;
        }
        break;
    }
    case T_STRING:
        snprintf(buf, n, "%s", field);
        break;
    }
}

int env_params_get(const EnvParams *p, const char *section, const char *key, char *buf, size_t n) {
    const ParamSpec *s = find_spec(section, key);
    if (!s) return -1;
    format_spec(p, s, buf, n);
    return 0;
}

void env_params_write_ini(const EnvParams *p, FILE *f) {
    const char *section = "";
    fprintf(f, "; effective config (preset '%s')\n", p->preset);
    for (int i = 0; i < N_SPECS; i++) {
        char buf[512];
        if (strcmp(section, SPECS[i].section) != 0) {
            section = SPECS[i].section;
            fprintf(f, "\n[%s]\n", section);
        }
        format_spec(p, &SPECS[i], buf, sizeof buf);
        fprintf(f, "%s = %s\n", SPECS[i].key, buf);
    }
}

int env_params_key(int i, const char **section, const char **key, char *range, size_t n,
                   const char **doc) {
    if (i < 0 || i >= N_SPECS) return -1;
    const ParamSpec *s = &SPECS[i];
    switch (s->type) {
    case T_INT:
        snprintf(range, n, "%lld..%lld", s->min, s->max);
        break;
    case T_BOOL:
        snprintf(range, n, "0 or 1");
        break;
    case T_PROB:
        snprintf(range, n, "decimal in [0, 1]");
        break;
    case T_PROBLIST:
        snprintf(range, n, "1..%d decimals in [0, 1]", ENV_MAX_REGROWTH);
        break;
    case T_CHOICE:
        snprintf(range, n, "%s", s->choices);
        break;
    case T_STRING:
        snprintf(range, n, "text");
        break;
    }
    *section = s->section;
    *key = s->key;
    *doc = s->doc;
    return 0;
}

const char *env_game_name(EnvGame g) {
    static const char *names[] = {"gathering", "harvest", "cleanup", "ocean"};
    return (g >= 0 && g < ENV_GAME_COUNT) ? names[g] : "?";
}

int env_game_n_actions(EnvGame g) {
    if (g == ENV_GAME_OCEAN) return 5;
    return g == ENV_GAME_CLEANUP ? 9 : 8;
}

const char *env_action_name(int a) {
    static const char *names[] = {"forward",    "backward", "left", "right", "turn_left",
                                  "turn_right", "stay",     "fire", "clean"};
    return (a >= 0 && a < ENV_ACT_COUNT) ? names[a] : "?";
}
