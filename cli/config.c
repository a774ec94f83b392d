/* config.c: presets, INI files and --set overrides (see config.h). */
#include <errno.h>
#include <ini.h>
#include <string.h>

#include "config.h"

typedef struct IniCtx {
    EnvParams *p;
    EnvError err;
    int failed;
    int n_keys;
    int allow_preset;
} IniCtx;

static int on_ini_key(void *user, const char *section, const char *name, const char *value) {
    IniCtx *ctx = user;
    if (ctx->failed) return 0;
    if (strcmp(section, "env") == 0 && strcmp(name, "preset") == 0) {
        if (!ctx->allow_preset || ctx->n_keys > 0) {
            env_fail(&ctx->err, ENV_EINPUT,
                     "env.preset must be the first key of a config file, and presets cannot "
                     "name another preset");
            ctx->failed = 1;
            return 0;
        }
        if (cli_load_preset(ctx->p, value, &ctx->err) != 0) {
            ctx->failed = 1;
            return 0;
        }
        ctx->n_keys++;
        return 1;
    }
    if (section[0] == 0) {
        env_fail(&ctx->err, ENV_EINPUT, "key '%s' is outside any [section]; put it under one",
                 name);
        ctx->failed = 1;
        return 0;
    }
    if (env_params_set(ctx->p, section, name, value, &ctx->err) != 0) {
        ctx->failed = 1;
        return 0;
    }
    ctx->n_keys++;
    return 1;
}

/* run inih over a string or file and turn its result into a located message */
static int finish(IniCtx *ctx, int rc, const char *origin, EnvError *err) {
    if (rc == 0 && !ctx->failed) return 0;
    if (rc == -1)
        return env_fail(err, ENV_EINPUT, "%s: cannot open config file: %s", origin,
                        strerror(errno));
    if (rc == -2) return env_fail(err, ENV_ENOMEM, "%s: out of memory", origin);
    if (ctx->failed) return env_fail(err, ENV_EINPUT, "%s:%d: %s", origin, rc, ctx->err.msg);
    return env_fail(err, ENV_EINPUT,
                    "%s:%d: malformed line; expected [section], key = value, or a ; comment",
                    origin, rc);
}

int cli_load_preset(EnvParams *p, const char *name, EnvError *err) {
    const char *text = env_builtin_preset(name);
    if (!text) {
        char list[512] = "";
        size_t used = 0;
        for (int i = 0; env_builtin_preset_name(i) && used < sizeof list - 40; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     env_builtin_preset_name(i));
        return env_fail(err, ENV_EINPUT, "unknown preset '%s'; presets are %s ('commons maps')",
                        name, list);
    }
    EnvParams fresh;
    env_params_default(&fresh);
    IniCtx ctx = {.p = &fresh, .allow_preset = 0};
    char origin[ENV_NAME_LEN + 32];
    snprintf(origin, sizeof origin, "preset '%s'", name);
    int rc = finish(&ctx, ini_parse_string(text, on_ini_key, &ctx), origin, err);
    if (rc) return rc;
    snprintf(fresh.preset, sizeof fresh.preset, "%s", name);
    *p = fresh;
    return 0;
}

int cli_load_file(EnvParams *p, const char *path, EnvError *err) {
    EnvParams work = *p;
    IniCtx ctx = {.p = &work, .allow_preset = 1};
    int rc = finish(&ctx, ini_parse(path, on_ini_key, &ctx), path, err);
    if (rc) return rc;
    *p = work;
    return 0;
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
