/* map.c: ASCII maps, built-in or from a file.
 *
 * Characters: '@' wall, ' ' or '.' empty floor, 'P' agent spawn point (floor), 'A' apple spawn
 * point (floor), 'H' river holding waste at the start, 'R' clean river, 'S' stream (never holds
 * waste), 'M' river mouth (ocean: a sea cell that emits plastic). Rivers and streams are
 * walkable. Every row has the same width; a trailing '\r' is
 * ignored, as is one final newline. Lines starting with ';' before the first row are comments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

#define MAP_CHARS "@ .PAHRSM"

/* built-in maps and presets, generated from maps/ and presets/ at build time */
typedef struct EnvBuiltin {
    const char *name;
    const char *text;
} EnvBuiltin;
extern const EnvBuiltin env_builtin_maps[];
extern const EnvBuiltin env_builtin_presets[];

static const char *builtin_find(const EnvBuiltin *table, const char *name) {
    for (int i = 0; table[i].name; i++)
        if (strcmp(table[i].name, name) == 0) return table[i].text;
    return NULL;
}

const char *env_builtin_map(const char *name) {
    return builtin_find(env_builtin_maps, name);
}
const char *env_builtin_preset(const char *name) {
    return builtin_find(env_builtin_presets, name);
}

static const char *builtin_name(const EnvBuiltin *table, int i) {
    for (int k = 0; table[k].name; k++)
        if (k == i) return table[k].name;
    return NULL;
}

const char *env_builtin_map_name(int i) {
    return builtin_name(env_builtin_maps, i);
}
const char *env_builtin_preset_name(int i) {
    return builtin_name(env_builtin_presets, i);
}

void env_builtin_list(int presets, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = 0;
    const EnvBuiltin *table = presets ? env_builtin_presets : env_builtin_maps;
    for (int i = 0; table[i].name && used + 1 < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", table[i].name);
}

int env_map_parse(EnvMap *m, const char *text, const char *origin, EnvError *err) {
    memset(m, 0, sizeof *m);
    const char *s = text;
    int line = 1;
    /* skip leading comment lines */
    while (*s == ';') {
        const char *nl = strchr(s, '\n');
        if (!nl) break;
        s = nl + 1;
        line++;
    }
    int first_line = line;
    /* measure rows */
    int h = 0, w = -1;
    for (const char *q = s; *q;) {
        const char *nl = strchr(q, '\n');
        size_t len = nl ? (size_t)(nl - q) : strlen(q);
        if (len > 0 && q[len - 1] == '\r') len--;
        if (len == 0 && (!nl || nl[1] == 0)) break; /* final empty line */
        if (w < 0) w = (int)len;
        if ((int)len != w)
            return env_fail(err, ENV_EINPUT,
                            "%s:%d: ragged row: %zu cells where the first row has %d; pad every "
                            "row to the same width with '@' or ' '",
                            origin, line + h, len, w);
        h++;
        if (!nl) break;
        q = nl + 1;
    }
    if (h == 0 || w <= 0)
        return env_fail(err, ENV_EINPUT, "%s:%d: the map is empty; give rows of cells (%s)", origin,
                        first_line, "'@' wall, ' ' floor, 'P' spawn, 'A' apple");
    if (h > ENV_MAX_MAP_SIDE || w > ENV_MAX_MAP_SIDE)
        return env_fail(err, ENV_EINPUT, "%s: the map is %dx%d; at most %dx%d is supported", origin,
                        h, w, ENV_MAX_MAP_SIDE, ENV_MAX_MAP_SIDE);
    char *cells = malloc((size_t)h * (size_t)w);
    if (!cells) return env_fail(err, ENV_ENOMEM, "%s: out of memory for %dx%d cells", origin, h, w);
    int n_spawn = 0;
    const char *q = s;
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            char ch = q[c];
            if (ch == 0 || strchr(MAP_CHARS, ch) == NULL) {
                free(cells);
                if ((unsigned char)ch < 32 || (unsigned char)ch > 126)
                    return env_fail(err, ENV_EINPUT,
                                    "%s:%d:%d: unknown map character (byte 0x%02x); allowed: '@' "
                                    "wall, ' ' or '.' floor, 'P' spawn, 'A' apple, 'H' waste, "
                                    "'R' river, 'S' stream, 'M' river mouth",
                                    origin, line + r, c + 1, (unsigned char)ch);
                return env_fail(err, ENV_EINPUT,
                                "%s:%d:%d: unknown map character '%c'; allowed: '@' wall, ' ' or "
                                "'.' floor, 'P' spawn, 'A' apple, 'H' waste, 'R' river, 'S' "
                                "stream, 'M' river mouth",
                                origin, line + r, c + 1, ch);
            }
            cells[r * w + c] = ch == '.' ? ' ' : ch;
            n_spawn += ch == 'P';
        }
        q = strchr(q, '\n');
        q = q ? q + 1 : "";
    }
    if (n_spawn == 0) {
        free(cells);
        return env_fail(err, ENV_EINPUT,
                        "%s: no spawn point; mark at least one floor cell with 'P' per agent",
                        origin);
    }
    snprintf(m->name, sizeof m->name, "%s", origin);
    m->h = h;
    m->w = w;
    m->cells = cells;
    return 0;
}

static int is_path(const char *name) {
    size_t n = strlen(name);
    return strchr(name, '/') != NULL || (n > 4 && strcmp(name + n - 4, ".txt") == 0);
}

int env_map_load(EnvMap *m, const char *name, EnvError *err) {
    if (!is_path(name)) {
        const char *text = env_builtin_map(name);
        if (!text) {
            char list[512];
            env_builtin_list(0, list, sizeof list);
            return env_fail(err, ENV_EINPUT,
                            "env.map: unknown map '%s'; built-in maps are %s, or give a path to "
                            "a map file",
                            name, list);
        }
        char origin[ENV_NAME_LEN + 32];
        snprintf(origin, sizeof origin, "built-in map '%s'", name);
        int rc = env_map_parse(m, text, origin, err);
        if (rc == 0) snprintf(m->name, sizeof m->name, "%s", name);
        return rc;
    }
    FILE *f = fopen(name, "rb");
    if (!f)
        return env_fail(err, ENV_EINPUT, "env.map: cannot open map file '%s': %s", name,
                        strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap + 1);
    if (!text) {
        fclose(f);
        return env_fail(err, ENV_ENOMEM, "%s: out of memory reading the map file", name);
    }
    len = fread(text, 1, cap, f);
    int read_error = ferror(f), saved = errno, too_big = !read_error && !feof(f);
    fclose(f);
    if (read_error) {
        free(text);
        return env_fail(err, ENV_EINPUT, "env.map: cannot read map file '%s': %s", name,
                        strerror(saved));
    }
    if (too_big) {
        free(text);
        return env_fail(err, ENV_EINPUT, "%s: map file larger than %zu bytes", name, cap);
    }
    text[len] = 0;
    if (strlen(text) != len) {
        free(text);
        return env_fail(err, ENV_EINPUT, "%s: the map file holds a NUL byte; is it text?", name);
    }
    int rc = env_map_parse(m, text, name, err);
    free(text);
    return rc;
}

void env_map_close(EnvMap *m) {
    free(m->cells);
    m->cells = NULL;
}
