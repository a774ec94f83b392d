/* config.c: presets, INI files and --set overrides (see config.h). */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

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

/* one parse: the caller's key function, and the first failure with its line */
typedef struct IniRun {
    CliKeyFn fn;
    void *user;
    LineReader *reader;
    EnvError err;
    int failed, fail_line, n_keys;
} IniRun;

static int on_ini_key(void *user, const char *section, const char *name, const char *value) {
    IniRun *run = user;
    if (run->failed) return 0;
    int first = run->n_keys++ == 0;
    if (section[0] == 0)
        env_fail(&run->err, ENV_EINPUT, "key '%s' is outside any [section]; put it under one",
                 name);
    else if (run->fn(run->user, section, name, value, first, &run->err) == 0)
        return 1;
    run->failed = 1;
    run->fail_line = run->reader->line;
    return 0;
}

int cli_ini_parse(const char *text, const char *origin, CliKeyFn fn, void *user, EnvError *err) {
    LineReader reader = {text, 0, 1};
    IniRun run = {.fn = fn, .user = user, .reader = &reader};
    int rc = ini_parse_stream(read_line, &reader, on_ini_key, &run);
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

int cli_ini_read(const char *path, char **text, EnvError *err) {
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return env_fail(err, ENV_EINPUT, "%s: cannot open config file: %s", path, strerror(errno));
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

/* the world's keys; allow_preset: a file may start from a preset, a preset may not */
typedef struct EnvKeys {
    EnvParams *p;
    int allow_preset;
} EnvKeys;

static int env_key(void *user, const char *section, const char *name, const char *value, int first,
                   EnvError *err) {
    EnvKeys *k = user;
    if (strcmp(section, "env") == 0 && strcmp(name, "preset") == 0) {
        if (!k->allow_preset || !first)
            return env_fail(err, ENV_EINPUT,
                            "env.preset must be the first key of a config file, and presets "
                            "cannot name another preset");
        return cli_load_preset(k->p, value, err);
    }
    return env_params_set(k->p, section, name, value, err);
}

int cli_load_preset(EnvParams *p, const char *name, EnvError *err) {
    const char *text = env_builtin_preset(name);
    if (!text) {
        char list[512];
        env_builtin_list(1, list, sizeof list);
        return env_fail(err, ENV_EINPUT, "unknown preset '%s'; presets are %s ('commons maps')",
                        name, list);
    }
    EnvParams fresh;
    env_params_default(&fresh);
    char origin[ENV_NAME_LEN + 32];
    snprintf(origin, sizeof origin, "preset '%s'", name);
    EnvKeys keys = {&fresh, 0};
    int rc = cli_ini_parse(text, origin, env_key, &keys, err);
    if (rc) return rc;
    snprintf(fresh.preset, sizeof fresh.preset, "%s", name);
    *p = fresh;
    return 0;
}

int cli_load_file(EnvParams *p, const char *path, EnvError *err) {
    char *text;
    int rc = cli_ini_read(path, &text, err);
    if (rc) return rc;
    EnvParams work = *p;
    EnvKeys keys = {&work, 1};
    rc = cli_ini_parse(text, path, env_key, &keys, err);
    if (rc == 0) *p = work;
    free(text);
    return rc;
}

int cli_apply_set(EnvParams *p, const char *assignment, EnvError *err) {
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
    if (env_params_set(p, section, key, eq + 1, &inner) != 0)
        return env_fail(err, ENV_EINPUT, "--set '%s': %s", assignment, inner.msg);
    return 0;
}
