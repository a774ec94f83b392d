/* keys.c: the table-driven key engine (see keys.h): parse, check, format and list keys.
 *
 * Contract: every message text here is the one the world's or the trainer's own parser printed
 * before the engine replaced them (tests and scripts compare them); the dialect of a table picks
 * which. Nothing is written to a field before its whole value has been checked.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int env_keys_find(const EnvKeyTable *t, const char *section, const char *key) {
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->keys[i].section, section) == 0 && strcmp(t->keys[i].key, key) == 0) return i;
    return -1;
}

int env_keys_has_section(const EnvKeyTable *t, const char *section) {
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->keys[i].section, section) == 0) return 1;
    return 0;
}

int env_keys_unknown(const EnvKeyTable *const *tables, int n, const char *section, const char *key,
                     EnvError *err) {
    for (int k = 0; k < n; k++)
        if (env_keys_has_section(tables[k], section))
            return env_fail(err, ENV_EINPUT, "unknown key '%s.%s'; '%s' lists the keys", section,
                            key, tables[k]->listing);
    /* every section of the tables, in order, once each */
    char list[400] = "";
    size_t used = 0;
    const char *last = "";
    for (int k = 0; k < n; k++)
        for (int i = 0; i < tables[k]->n; i++) {
            const char *s = tables[k]->keys[i].section;
            if (strcmp(s, last) == 0 || used >= sizeof list) continue;
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", s);
            last = s;
        }
    return env_fail(err, ENV_EINPUT, "unknown section '[%s]' (key '%s'); sections are %s", section,
                    key, list);
}

/* ---- reading numbers ---- */

/* the world's integers: a sign, then digits only, nothing around them */
static int parse_strict(const char *s, long long *out) {
    const char *q = s;
    if (*q == '+' || *q == '-') q++;
    if (*q < '0' || *q > '9') return ENV_EINPUT;
    for (; *q; q++)
        if (*q < '0' || *q > '9') return ENV_EINPUT;
    char *end;
    *out = strtoll(s, &end, 10);
    return (*end == 0 && q - s < 19) ? 0 : ENV_EINPUT;
}

/* the trainer's integers: as strtoll reads them, blanks after allowed */
static int parse_loose(const char *v, long long *out) {
    char *end;
    if (!*v) return ENV_EINPUT;
    long long x = strtoll(v, &end, 10);
    while (*end == ' ' || *end == '\t') end++;
    if (*end) return ENV_EINPUT;
    *out = x;
    return 0;
}

int env_keys_parse_ppb(const char *s, int64_t *out) {
    int64_t whole = 0, frac = 0, scale = ENV_PPB;
    const char *q = s;
    int digits = 0;
    for (; *q >= '0' && *q <= '9'; q++, digits++) {
        whole = whole * 10 + (*q - '0');
        if (whole > 1) return ENV_EINPUT;
    }
    if (*q == '.') {
        q++;
        for (int n = 0; *q >= '0' && *q <= '9'; q++, n++, digits++) {
            if (n >= 9) return ENV_EINPUT;
            scale /= 10;
            frac += (*q - '0') * scale;
        }
    }
    if (*q != 0 || digits == 0) return ENV_EINPUT;
    *out = whole * ENV_PPB + frac;
    return *out <= ENV_PPB ? 0 : ENV_EINPUT;
}

void env_keys_format_ppb(int64_t ppb, char *buf, size_t n) {
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

/* the shortest decimal that reads back to the same double */
static void format_real(double x, char *buf, size_t n) {
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* ---- choices ---- */

/* index of word in a space-separated list, or -1 */
static int choice_index(const char *choices, const char *word) {
    size_t n = strlen(word);
    int idx = 0;
    for (const char *c = choices; *c;) {
        size_t len = strcspn(c, " ");
        if (len == n && strncmp(c, word, n) == 0) return idx;
        idx++;
        c += len;
        while (*c == ' ') c++;
    }
    return -1;
}

/* the number of words in a space-separated list */
static int choice_count(const char *choices) {
    int n = 0;
    for (const char *c = choices; *c; n++) {
        c += strcspn(c, " ");
        while (*c == ' ') c++;
    }
    return n;
}

/* the word at index idx of a space-separated list, or "" */
static void choice_word(const char *choices, int idx, char *buf, size_t n) {
    const char *c = choices;
    for (int i = 0; i < idx && *c; i++) {
        c += strcspn(c, " ");
        while (*c == ' ') c++;
    }
    snprintf(buf, n, "%.*s", idx < 0 ? 0 : (int)strcspn(c, " "), c);
}

/* ---- describing the allowed values ---- */

static void range_text(const EnvKeySpec *s, char *buf, size_t n) {
    switch (s->type) {
    case ENV_KEY_INT:
    case ENV_KEY_INT64:
        snprintf(buf, n, "%.0f..%.0f", s->min, s->max);
        break;
    case ENV_KEY_BOOL:
        snprintf(buf, n, "0 or 1");
        break;
    case ENV_KEY_REAL:
        snprintf(buf, n, "a number in %s%g, %g]", s->open_min ? "(" : "[", s->min, s->max);
        break;
    case ENV_KEY_PROB:
        snprintf(buf, n, "decimal in [0, 1]");
        break;
    case ENV_KEY_PROBS:
        snprintf(buf, n, "1..%d decimals in [0, 1]", s->max_items);
        break;
    case ENV_KEY_INTS:
        snprintf(buf, n, "none, or up to %d sizes in %.0f..%.0f", s->max_items, s->min, s->max);
        break;
    case ENV_KEY_CHOICE:
        snprintf(buf, n, "%s", s->choices);
        break;
    case ENV_KEY_STRING:
        snprintf(buf, n, "text");
        break;
    }
}

int env_keys_describe(const EnvKeyTable *t, int i, const char **section, const char **key,
                      char *range, size_t n, const char **doc) {
    if (i < 0 || i >= t->n) return ENV_ENOTFOUND;
    const EnvKeySpec *s = &t->keys[i];
    range_text(s, range, n);
    *section = s->section;
    *key = s->key;
    *doc = s->doc;
    return 0;
}

/* ---- setting one key ---- */

static int set_integer(const EnvKeyTable *t, const EnvKeySpec *s, char *field, const char *value,
                       EnvError *err) {
    long long v;
    char range[96];
    int world = t->dialect == ENV_KEY_DIALECT_WORLD;
    if (world)
        snprintf(range, sizeof range, "%.0f..%.0f", s->min, s->max);
    else
        range_text(s, range, sizeof range);
    if ((world ? parse_strict(value, &v) : parse_loose(value, &v)) != 0)
        return env_fail(err, ENV_EINPUT, "%s.%s%s'%s' is not an integer; allowed %s", s->section,
                        s->key, world ? ": " : " = ", value, range);
    if ((double)v < s->min || (double)v > s->max)
        return env_fail(err, ENV_EINPUT, "%s.%s = %lld is out of range; allowed %s", s->section,
                        s->key, v, range);
    if (s->type == ENV_KEY_INT64)
        *(int64_t *)field = (int64_t)v;
    else
        *(int *)field = (int)v;
    return 0;
}

static int set_real(const EnvKeySpec *s, char *field, const char *value, EnvError *err) {
    char range[96];
    range_text(s, range, sizeof range);
    char *end;
    double x = strtod(value, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (!*value || *end || !isfinite(x))
        return env_fail(err, ENV_EINPUT, "%s.%s = '%s' is not a number; allowed %s", s->section,
                        s->key, value, range);
    if (x < s->min || x > s->max || (s->open_min && x == s->min))
        return env_fail(err, ENV_EINPUT, "%s.%s = %s is out of range; allowed %s", s->section,
                        s->key, value, range);
    *(double *)field = x;
    return 0;
}

/* comma-separated probabilities; blanks around each are ignored */
static int set_probs(const EnvKeySpec *s, char *obj, const char *value, EnvError *err) {
    int64_t vals[64];
    int n = 0, cap = s->max_items < 64 ? s->max_items : 64;
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
        if (n == cap)
            return env_fail(err, ENV_EINPUT, "%s.%s: at most %d probabilities, got more",
                            s->section, s->key, cap);
        if (env_keys_parse_ppb(tok, &vals[n]) != 0)
            return env_fail(err, ENV_EINPUT,
                            "%s.%s: '%s' is not a probability; use comma-separated decimals "
                            "in [0, 1], e.g. 0,0.005,0.02,0.05",
                            s->section, s->key, tok);
        n++;
        tok = comma ? comma + 1 : NULL;
    }
    if (n == 0)
        return env_fail(err, ENV_EINPUT, "%s.%s: empty list; give 1 to %d probabilities",
                        s->section, s->key, cap);
    int64_t *items = (int64_t *)(obj + s->off);
    memset(items, 0, (size_t)s->max_items * sizeof *items);
    memcpy(items, vals, (size_t)n * sizeof vals[0]);
    *(int *)(obj + s->count_off) = n;
    return 0;
}

/* comma-separated integers in [min, max], or "none" */
static int set_ints(const EnvKeySpec *s, char *obj, const char *value, EnvError *err) {
    int vals[64], n = 0, cap = s->max_items < 64 ? s->max_items : 64;
    if (strcmp(value, "none") != 0) {
        char range[96];
        range_text(s, range, sizeof range);
        const char *p = value;
        for (;;) {
            char item[32];
            size_t len = strcspn(p, ",");
            long long x;
            snprintf(item, sizeof item, "%.*s", (int)(len < 31 ? len : 31), p);
            if (n == cap || parse_loose(item, &x) || x < s->min || x > s->max)
                return env_fail(err, ENV_EINPUT, "%s.%s = '%s' is not allowed; give %s", s->section,
                                s->key, value, range);
            vals[n++] = (int)x;
            if (!p[len]) break;
            p += len + 1;
        }
    }
    memcpy(obj + s->off, vals, sizeof(int) * (size_t)n);
    *(int *)(obj + s->count_off) = n;
    return 0;
}

static int set_choice(const EnvKeyTable *t, const EnvKeySpec *s, char *field, const char *value,
                      EnvError *err) {
    int idx = choice_index(s->choices, value);
    if (idx < 0) {
        if (t->dialect == ENV_KEY_DIALECT_WORLD)
            return env_fail(err, ENV_EINPUT, "%s.%s: '%s' is not allowed; choose one of: %s",
                            s->section, s->key, value, s->choices);
        return env_fail(err, ENV_EINPUT, "%s.%s = '%s' is not allowed; choose %s", s->section,
                        s->key, value, s->choices);
    }
    *(int *)field = s->values ? s->values[idx] : idx;
    return 0;
}

int env_keys_set(const EnvKeyTable *t, void *obj, const char *section, const char *key,
                 const char *value, EnvError *err) {
    int i = env_keys_find(t, section, key);
    if (i < 0) return env_keys_unknown(&t, 1, section, key, err);
    const EnvKeySpec *s = &t->keys[i];
    char *field = (char *)obj + s->off;
    int64_t ppb;
    switch (s->type) {
    case ENV_KEY_INT:
    case ENV_KEY_INT64:
    case ENV_KEY_BOOL:
        return set_integer(t, s, field, value, err);
    case ENV_KEY_REAL:
        return set_real(s, field, value, err);
    case ENV_KEY_PROB:
        if (env_keys_parse_ppb(value, &ppb) != 0)
            return env_fail(err, ENV_EINPUT,
                            "%s.%s: '%s' is not a probability; allowed a decimal in [0, 1] "
                            "with at most 9 digits after the point",
                            section, key, value);
        *(int64_t *)field = ppb;
        return 0;
    case ENV_KEY_PROBS:
        return set_probs(s, obj, value, err);
    case ENV_KEY_INTS:
        return set_ints(s, obj, value, err);
    case ENV_KEY_CHOICE:
        return set_choice(t, s, field, value, err);
    case ENV_KEY_STRING:
        if (strlen(value) > (size_t)s->max)
            return env_fail(err, ENV_EINPUT, "%s.%s: value longer than %.0f characters", section,
                            key, s->max);
        snprintf(field, (size_t)s->max + 1, "%s", value);
        return 0;
    }
    return env_fail(err, ENV_EINPUT, "%s.%s: unsupported type", section, key);
}

/* ---- formatting ---- */

static void format_key(const EnvKeySpec *s, const void *obj, char *buf, size_t n) {
    const char *field = (const char *)obj + s->off;
    int count = 0;
    size_t used = 0;
    buf[0] = 0;
    switch (s->type) {
    case ENV_KEY_INT:
    case ENV_KEY_BOOL:
        snprintf(buf, n, "%d", *(const int *)field);
        break;
    case ENV_KEY_INT64:
        snprintf(buf, n, "%lld", (long long)*(const int64_t *)field);
        break;
    case ENV_KEY_REAL:
        format_real(*(const double *)field, buf, n);
        break;
    case ENV_KEY_PROB:
        env_keys_format_ppb(*(const int64_t *)field, buf, n);
        break;
    case ENV_KEY_PROBS:
        count = *(const int *)((const char *)obj + s->count_off);
        for (int i = 0; i < count && used + 16 < n; i++) {
            char one[24];
            env_keys_format_ppb(((const int64_t *)field)[i], one, sizeof one);
            used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? "," : "", one);
        }
        break;
    case ENV_KEY_INTS:
        count = *(const int *)((const char *)obj + s->count_off);
        if (count == 0) snprintf(buf, n, "none");
        for (int i = 0; i < count && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, "%s%d", i ? "," : "",
                                     ((const int *)field)[i]);
        break;
    case ENV_KEY_CHOICE: {
        int v = *(const int *)field, idx = v;
        if (s->values) {
            idx = -1;
            for (int i = 0; idx < 0 && i < choice_count(s->choices); i++)
                if (s->values[i] == v) idx = i;
        }
        choice_word(s->choices, idx, buf, n);
        break;
    }
    case ENV_KEY_STRING:
        snprintf(buf, n, "%s", field);
        break;
    }
}

int env_keys_get(const EnvKeyTable *t, const void *obj, const char *section, const char *key,
                 char *buf, size_t n) {
    int i = env_keys_find(t, section, key);
    if (i < 0) return ENV_ENOTFOUND;
    format_key(&t->keys[i], obj, buf, n);
    return 0;
}

void env_keys_write_ini(const EnvKeyTable *t, const void *obj, FILE *f) {
    const char *section = "";
    for (int i = 0; i < t->n; i++) {
        char buf[512];
        if (strcmp(section, t->keys[i].section) != 0) {
            section = t->keys[i].section;
            fprintf(f, "\n[%s]\n", section);
        }
        format_key(&t->keys[i], obj, buf, sizeof buf);
        fprintf(f, "%s = %s\n", t->keys[i].key, buf);
    }
}
