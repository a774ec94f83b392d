/* map.c: ASCII maps, built-in or from a file.
 *
 * Characters: '@' wall, ' ' or '.' empty floor, 'P' agent spawn point (floor), 'A' apple spawn
 * point (floor), 'H' river holding waste at the start, 'R' clean river, 'S' stream (never holds
 * waste), 'M' river mouth (ocean: a sea cell that emits plastic). Rivers and streams are
 * walkable. Every row has the same width; a trailing '\r' is ignored. Lines starting with ';'
 * before the first row are comments; blank lines before the first row and after the last are
 * ignored (a blank line between rows is an error). Maps are ASCII: another byte is named as
 * such, with its line and column.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "io.h"

#define MAP_CHARS "@ .PAHRSM"
/* a map file: 255 rows of 255 cells with CRLF line ends, and room for comments */
#define MAP_MAX_BYTES (1 << 20)

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

/* the length of the line at q without its '\n' and a trailing '\r'; *next is the line after it,
 * or NULL at the end of the text */
static size_t line_len(const char *q, const char **next) {
    const char *nl = strchr(q, '\n');
    size_t len = nl ? (size_t)(nl - q) : strlen(q);
    *next = nl ? nl + 1 : NULL;
    if (len > 0 && q[len - 1] == '\r') len--;
    return len;
}

/* the first byte of a line that is not ASCII, or -1 */
static int non_ascii_at(const char *q, size_t len) {
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)q[i] >= 0x80) return (int)i;
    return -1;
}

int env_map_parse(EnvMap *m, const char *text, const char *origin, EnvError *err) {
    memset(m, 0, sizeof *m);
    const char *s = text, *next;
    int line = 1;
    /* skip leading comment lines and blank lines */
    while (*s == ';' || (*s && line_len(s, &next) == 0)) {
        line_len(s, &next);
        if (!next) {
            s += strlen(s);
            break;
        }
        s = next;
        line++;
    }
    int first_line = line;
    /* measure rows: they end at the first blank line, after which only blank lines may follow */
    int h = 0, w = -1;
    for (const char *q = s; q && *q; q = next) {
        size_t len = line_len(q, &next);
        int bad = non_ascii_at(q, len);
        if (bad >= 0)
            return env_fail(err, ENV_EINPUT,
                            "%s:%d:%d: non-ASCII byte 0x%02x; maps are ASCII: '@' wall, ' ' or '.' "
                            "floor, 'P' spawn, 'A' apple, 'H' waste, 'R' river, 'S' stream, 'M' "
                            "river mouth",
                            origin, line + h, bad + 1, (unsigned char)q[bad]);
        if (len == 0) {
            /* the end of the rows: the rest must be blank */
            int blank = line + h, l = blank + 1;
            for (const char *t = next; t && *t; t = next, l++)
                if (line_len(t, &next) != 0)
                    return env_fail(err, ENV_EINPUT,
                                    "%s:%d: ragged row: 0 cells where the first row has %d (a "
                                    "blank line inside the map; rows go on at line %d); pad every "
                                    "row to the same width with '@' or ' '",
                                    origin, blank, w, l);
            break;
        }
        if (w < 0) {
            /* a first row with a byte no map has is not quoted: the file may be any file */
            for (size_t i = 0; i < len; i++)
                if (q[i] == 0 || strchr(MAP_CHARS, q[i]) == NULL)
                    return env_fail(err, ENV_EINPUT,
                                    "%s:%d:%zu: not a map: the first row holds a character that is "
                                    "no map cell; allowed: '@' wall, ' ' or '.' floor, 'P' spawn, "
                                    "'A' apple, 'H' waste, 'R' river, 'S' stream, 'M' river mouth",
                                    origin, line, i + 1);
            w = (int)len;
        }
        if ((int)len != w)
            return env_fail(err, ENV_EINPUT,
                            "%s:%d: ragged row: %zu cells where the first row has %d; pad every "
                            "row to the same width with '@' or ' '",
                            origin, line + h, len, w);
        h++;
        if (h > ENV_MAX_MAP_SIDE) break;
    }
    if (h == 0 || w <= 0)
        return env_fail(err, ENV_EINPUT, "%s:%d: the map is empty; give rows of cells (%s)", origin,
                        first_line, "'@' wall, ' ' floor, 'P' spawn, 'A' apple");
    if (h > ENV_MAX_MAP_SIDE || w > ENV_MAX_MAP_SIDE)
        return env_fail(err, ENV_EINPUT,
                        "%s: the map is %s%dx%d; at most %dx%d cells is supported (a side is "
                        "stored in 8 bits)",
                        origin, h > ENV_MAX_MAP_SIDE ? "more than " : "", h, w, ENV_MAX_MAP_SIDE,
                        ENV_MAX_MAP_SIDE);
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
    const char *kind;
    FILE *f = env_open_regular(name, &kind);
    if (!f && kind)
        return env_fail(err, ENV_EINPUT,
                        "env.map: '%s' is %s, not a map file; give a built-in map name or the "
                        "path of a map file",
                        name, kind);
    if (!f)
        return env_fail(err, ENV_EINPUT, "env.map: cannot %s map file '%s': %s",
                        errno == EISDIR ? "read" : "open", name, strerror(errno));
    size_t cap = MAP_MAX_BYTES, len = 0;
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
        return env_fail(err, ENV_EINPUT,
                        "%s: map file larger than %zu bytes; a map is at most %dx%d cells", name,
                        cap, ENV_MAX_MAP_SIDE, ENV_MAX_MAP_SIDE);
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
