/* params.c: the params of a world run (world and comm keys), their INI files, presets and --set
 * overrides, and the config built from them (see params.h).
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "keys.h"
#include "params.h"

/* ---- keys ---- */

void sim_params_default(SimParams *p) {
    env_params_default(&p->env);
    comm_params_default(&p->comm);
}

int sim_params_set(SimParams *p, const char *section, const char *key, const char *value,
                   EnvError *err) {
    const EnvKeyTable *tables[2] = {env_params_table(), comm_params_table()};
    if (env_keys_has_section(tables[1], section))
        return comm_params_set(&p->comm, section, key, value, err);
    if (env_keys_has_section(tables[0], section))
        return env_params_set(&p->env, section, key, value, err);
    return env_keys_unknown(tables, 2, section, key, err);
}

int sim_params_get(const SimParams *p, const char *section, const char *key, char *buf, size_t n) {
    if (comm_params_section(section)) return comm_params_get(&p->comm, section, key, buf, n);
    return env_params_get(&p->env, section, key, buf, n);
}

void sim_params_write_ini(const SimParams *p, FILE *f) {
    env_params_write_ini(&p->env, f);
    comm_params_write_ini(&p->comm, f);
}

int sim_params_key(int i, const char **section, const char **key, char *range, size_t n,
                   const char **doc) {
    int n_env = env_params_table()->n;
    if (i < n_env) return env_params_key(i, section, key, range, n, doc);
    return comm_params_key(i - n_env, section, key, range, n, doc);
}

/* ---- INI text ---- */

/* reads text line by line for inih, knowing which line it hands out */
typedef struct LineReader {
    const char *p;
    int line, next_line;
} LineReader;

static char *read_line(char *str, int num, void *stream) {
    LineReader *r = stream;
    if (!*r->p) return NULL;
    r->line = r->next_line;
    int n = 0;
    while (n < num - 1 && r->p[n] && r->p[n] != '\n') n++;
    if (r->p[n] == '\n' && n < num - 1) {
        n++;
        r->next_line++;
    }
    memcpy(str, r->p, (size_t)n);
    str[n] = 0;
    r->p += n;
    return str;
}

/* a key seen in this parse, and its line */
typedef struct IniSeen {
    uint64_t hash; /* FNV-1a of "section\0key" */
    int line;
} IniSeen;

/* one parse: the caller's key function, the keys seen, and the first failure with its line */
typedef struct IniRun {
    SimKeyFn fn;
    void *user;
    LineReader *reader;
    EnvError err;
    int failed, fail_line, n_keys;
    IniSeen *seen; /* (n_keys,) */
    int cap;
} IniRun;

/* the line where section.name was set before in this parse, 0 when it was not; -1 out of
 * memory. Sections and keys compare exactly, as the key tables do. */
static int seen_before(IniRun *run, const char *section, const char *name) {
    uint64_t h = env_fnv1a64(ENV_FNV1A64_BASIS, section, strlen(section) + 1);
    h = env_fnv1a64(h, name, strlen(name));
    for (int i = 0; i < run->n_keys; i++)
        if (run->seen[i].hash == h) return run->seen[i].line;
    if (run->n_keys == run->cap) {
        int cap = run->cap ? 2 * run->cap : 64;
        IniSeen *p = realloc(run->seen, (size_t)cap * sizeof *p);
        if (!p) return -1;
        run->seen = p, run->cap = cap;
    }
    run->seen[run->n_keys] = (IniSeen){h, run->reader->line};
    return 0;
}

static int on_ini_key(void *user, const char *section, const char *name, const char *value) {
    IniRun *run = user;
    if (run->failed) return 0;
    int before = seen_before(run, section, name);
    int first = run->n_keys++ == 0;
    if (before < 0)
        env_fail(&run->err, ENV_ENOMEM, "out of memory for the keys of a config");
    else if (before > 0)
        env_fail(&run->err, ENV_EINPUT,
                 "duplicate key '%s.%s': it is set at line %d already; keep one of the two",
                 section, name, before);
    else if (section[0] == 0)
        env_fail(&run->err, ENV_EINPUT, "key '%s' is outside any [section]; put it under one",
                 name);
    else if (run->fn(run->user, section, name, value, first, &run->err) == 0)
        return 1;
    run->failed = 1;
    run->fail_line = run->reader->line;
    return 0;
}

int sim_ini_parse(const char *text, const char *origin, SimKeyFn fn, void *user, EnvError *err) {
    LineReader reader = {text, 0, 1};
    IniRun run = {.fn = fn, .user = user, .reader = &reader};
    int rc = ini_parse_stream(read_line, &reader, on_ini_key, &run);
    free(run.seen);
    if (run.failed && run.err.code == ENV_ENOMEM)
        return env_fail(err, ENV_ENOMEM, "%s: out of memory for its keys", origin);
    if (rc == 0 && !run.failed) return 0;
    if (rc < 0) return env_fail(err, ENV_ENOMEM, "%s: out of memory", origin);
    if (run.failed && (rc == 0 || run.fail_line <= rc))
        return env_fail(err, ENV_EINPUT, "%s:%d: %s", origin, run.fail_line, run.err.msg);
    /* a syntax error: quote the line */
    const char *q = text;
    for (int l = 1; l < rc && q; l++) {
        q = strchr(q, '\n');
        if (q) q++;
    }
    char line[80] = "";
    if (q) {
        while (*q == ' ' || *q == '\t') q++;
        size_t n = strcspn(q, "\r\n");
        snprintf(line, sizeof line, "%.*s", (int)(n < 60 ? n : 60), q);
    }
    if (line[0] == '[')
        return env_fail(err, ENV_EINPUT, "%s:%d: malformed section header '%s'; expected [section]",
                        origin, rc, line);
    return env_fail(err, ENV_EINPUT,
                    "%s:%d: malformed line '%s'; expected [section], key = value, or a ; comment",
                    origin, rc, line);
}

#define MAX_CONFIG_BYTES (1 << 20)

int sim_ini_read(const char *path, char **text, EnvError *err) {
    *text = NULL;
    const char *kind;
    FILE *f = env_open_regular(path, &kind);
    if (!f && kind)
        return env_fail(err, ENV_EINPUT, "%s: is %s, not a config file; give an INI file", path,
                        kind);
    if (!f)
        return env_fail(err, ENV_EINPUT, "%s: cannot %s config file: %s", path,
                        errno == EISDIR ? "read" : "open", strerror(errno));
    char *buf = malloc(MAX_CONFIG_BYTES + 1);
    if (!buf) {
        fclose(f);
        return env_fail(err, ENV_ENOMEM, "%s: out of memory", path);
    }
    size_t len = fread(buf, 1, MAX_CONFIG_BYTES, f);
    int read_error = ferror(f), saved = errno, too_big = !read_error && !feof(f);
    fclose(f);
    int rc = 0;
    if (read_error)
        rc = env_fail(err, ENV_EINPUT, "%s: cannot read config file: %s", path, strerror(saved));
    else if (too_big)
        rc = env_fail(err, ENV_EINPUT, "%s: config file larger than %d bytes", path,
                      MAX_CONFIG_BYTES);
    else if (memchr(buf, 0, len))
        rc = env_fail(err, ENV_EINPUT, "%s: the config file holds a NUL byte; is it text?", path);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[len] = 0;
    *text = buf;
    return 0;
}

/* ---- presets, files and overrides ---- */

/* the run's keys; allow_preset: a file may start from a preset, a preset may not */
typedef struct SimKeys {
    SimParams *p;
    int allow_preset;
} SimKeys;

static int sim_key(void *user, const char *section, const char *name, const char *value, int first,
                   EnvError *err) {
    SimKeys *k = user;
    if (strcmp(section, "env") == 0 && strcmp(name, "preset") == 0) {
        if (!k->allow_preset || !first)
            return env_fail(err, ENV_EINPUT,
                            "env.preset must be the first key of a config file, and presets "
                            "cannot name another preset");
        return sim_params_load_preset(k->p, value, err);
    }
    return sim_params_set(k->p, section, name, value, err);
}

int sim_params_load_preset(SimParams *p, const char *name, EnvError *err) {
    const char *text = env_builtin_preset(name);
    if (!text) {
        char list[512];
        env_builtin_list(1, list, sizeof list);
        return env_fail(err, ENV_EINPUT, "unknown preset '%s'; presets are %s ('commons maps')",
                        name, list);
    }
    SimParams fresh;
    sim_params_default(&fresh);
    char origin[ENV_NAME_LEN + 32];
    snprintf(origin, sizeof origin, "preset '%s'", name);
    SimKeys keys = {&fresh, 0};
    int rc = sim_ini_parse(text, origin, sim_key, &keys, err);
    if (rc) return rc;
    snprintf(fresh.env.preset, sizeof fresh.env.preset, "%s", name);
    *p = fresh;
    return 0;
}

int sim_params_load_file(SimParams *p, const char *path, EnvError *err) {
    char *text;
    int rc = sim_ini_read(path, &text, err);
    if (rc) return rc;
    SimParams work = *p;
    SimKeys keys = {&work, 1};
    rc = sim_ini_parse(text, path, sim_key, &keys, err);
    if (rc == 0) *p = work;
    free(text);
    return rc;
}

int sim_params_apply_set(SimParams *p, const char *assignment, EnvError *err) {
    const char *eq = strchr(assignment, '=');
    const char *dot = strchr(assignment, '.');
    if (!eq || !dot || dot > eq || dot == assignment || dot + 1 == eq)
        return env_fail(err, ENV_EINPUT,
                        "--set '%s': expected section.key=value, e.g. --set beam.length=5",
                        assignment);
    char section[64], key[64];
    size_t ls = (size_t)(dot - assignment), lk = (size_t)(eq - dot - 1);
    if (ls >= sizeof section || lk >= sizeof key)
        return env_fail(err, ENV_EINPUT, "--set '%s': section or key too long", assignment);
    memcpy(section, assignment, ls);
    section[ls] = 0;
    memcpy(key, dot + 1, lk);
    key[lk] = 0;
    if (eq[1] == 0)
        return env_fail(err, ENV_EINPUT, "--set '%s': empty value; give section.key=value",
                        assignment);
    if (strcmp(section, "env") == 0 && strcmp(key, "preset") == 0)
        return env_fail(err, ENV_EINPUT, "--set '%s': choose the preset with --env instead",
                        assignment);
    EnvError inner;
    if (sim_params_set(p, section, key, eq + 1, &inner) != 0)
        return env_fail(err, ENV_EINPUT, "--set '%s': %s", assignment, inner.msg);
    return 0;
}

/* ---- the config ---- */

int sim_spec(const SimParams *p, EnvSpec *spec, EnvError *err) {
    int rc = env_spec(&p->env, spec, err);
    if (rc == 0) comm_spec(&p->comm, spec);
    return rc;
}

int sim_config_init(SimConfig *c, const SimParams *p, EnvError *err) {
    memset(c, 0, sizeof *c);
    int rc = env_config_init(&c->env, &p->env, err);
    if (rc) return rc;
    c->comm = p->comm;
    c->spec = c->env.spec;
    comm_spec(&c->comm, &c->spec);
    return 0;
}

void sim_config_close(SimConfig *c) {
    env_config_close(&c->env);
}
