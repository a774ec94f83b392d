/* config.c: presets, INI files and --set overrides (see config.h). */
#include <errno.h>
#include <ini.h>
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

typedef struct IniCtx {
    EnvParams *p;
    LineReader *reader;
    EnvError err;
    int failed, fail_line;
    int n_keys;
    int allow_preset;
} IniCtx;

static int handler_fail(IniCtx *ctx) {
    ctx->failed = 1;
    ctx->fail_line = ctx->reader->line;
    return 0;
}

static int on_ini_key(void *user, const char *section, const char *name, const char *value) {
    IniCtx *ctx = user;
    if (ctx->failed) return 0;
    if (strcmp(section, "env") == 0 && strcmp(name, "preset") == 0) {
        if (!ctx->allow_preset || ctx->n_keys > 0) {
            env_fail(&ctx->err, ENV_EINPUT,
                     "env.preset must be the first key of a config file, and presets cannot "
                     "name another preset");
            return handler_fail(ctx);
        }
        if (cli_load_preset(ctx->p, value, &ctx->err) != 0) return handler_fail(ctx);
        ctx->n_keys++;
        return 1;
    }
    if (section[0] == 0) {
        env_fail(&ctx->err, ENV_EINPUT, "key '%s' is outside any [section]; put it under one",
                 name);
        return handler_fail(ctx);
    }
    if (env_params_set(ctx->p, section, name, value, &ctx->err) != 0) return handler_fail(ctx);
    ctx->n_keys++;
    return 1;
}

/* parse INI text onto params; the first error, syntax or value, is reported with its line */
static int parse_ini(EnvParams *p, const char *text, const char *origin, int allow_preset,
                     EnvError *err) {
    LineReader reader = {text, 0, 1};
    IniCtx ctx = {.p = p, .reader = &reader, .allow_preset = allow_preset};
    int rc = ini_parse_stream(read_line, &reader, on_ini_key, &ctx);
    if (rc == 0 && !ctx.failed) return 0;
    if (rc < 0) return env_fail(err, ENV_ENOMEM, "%s: out of memory", origin);
    if (ctx.failed && (rc == 0 || ctx.fail_line <= rc))
        return env_fail(err, ENV_EINPUT, "%s:%d: %s", origin, ctx.fail_line, ctx.err.msg);
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
    int rc = parse_ini(&fresh, text, origin, 0, err);
    if (rc) return rc;
    snprintf(fresh.preset, sizeof fresh.preset, "%s", name);
    *p = fresh;
    return 0;
}

#define MAX_CONFIG_BYTES (1 << 20)

int cli_load_file(EnvParams *p, const char *path, EnvError *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return env_fail(err, ENV_EINPUT, "%s: cannot open config file: %s", path, strerror(errno));
    char *text = malloc(MAX_CONFIG_BYTES + 1);
    if (!text) {
        fclose(f);
        return env_fail(err, ENV_ENOMEM, "%s: out of memory", path);
    }
    size_t len = fread(text, 1, MAX_CONFIG_BYTES, f);
    int read_error = ferror(f), saved = errno, too_big = !read_error && !feof(f);
    fclose(f);
    int rc = 0;
    if (read_error)
        rc = env_fail(err, ENV_EINPUT, "%s: cannot read config file: %s", path, strerror(saved));
    else if (too_big)
        rc = env_fail(err, ENV_EINPUT, "%s: config file larger than %d bytes", path,
                      MAX_CONFIG_BYTES);
    else if (memchr(text, 0, len))
        rc = env_fail(err, ENV_EINPUT, "%s: the config file holds a NUL byte; is it text?", path);
    if (rc == 0) {
        text[len] = 0;
        EnvParams work = *p;
        rc = parse_ini(&work, text, path, 1, err);
        if (rc == 0) *p = work;
    }
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
