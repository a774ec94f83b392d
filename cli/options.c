/* options.c: option parsing and error reporting shared by the commands (see options.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "params.h"
#include "policy.h"

void cli_print_error(const char *text) {
    /* control bytes (an ANSI escape in a config value, say) are shown as \xNN, never sent raw */
    char out[4 * 1024 + 16];
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c && n + 5 < sizeof out; c++) {
        if ((*c < 0x20 && *c != '\n' && *c != '\t') || *c == 0x7f)
            n += (size_t)snprintf(out + n, sizeof out - n, "\\x%02x", *c);
        else
            out[n++] = (char)*c;
    }
    out[n] = 0;
    fprintf(stderr, "commons: %s\n", out);
}

/* print a located input error and return the bad-input exit code */
int cli_input_error(const char *fmt, ...) {
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cli_print_error(text);
    return CLI_EXIT_INPUT;
}

int cli_fail(const EnvError *err) {
    cli_print_error(err->msg);
    return err->code == ENV_EINPUT ? CLI_EXIT_INPUT : 1;
}

int cli_parse_count(const char *opt, const char *v, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*v == 0 || *end != 0 || errno)
        return cli_input_error("%s: '%s' is not an integer; give a value in %lld..%lld", opt, v, lo,
                               hi);
    if (x < lo || x > hi)
        return cli_input_error("%s: %lld is out of range; allowed %lld..%lld", opt, x, lo, hi);
    *out = x;
    return 0;
}

/* parse --opt VALUE and --opt=VALUE forms; `allowed` lists the options of this command */
int cli_parse_options(int argc, char **argv, Options *o, const char *allowed) {
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            o->help = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            return cli_input_error("unexpected argument '%s'; see --help", arg);
        char name[64];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof name) return cli_input_error("unknown option '%s'; see --help", arg);
        memcpy(name, arg, len);
        name[len] = 0;
        char probe[72];
        snprintf(probe, sizeof probe, " %s ", name);
        if (!strstr(allowed, probe))
            return cli_input_error("unknown option '%s'; see --help", name);
        if (strcmp(name, "--json") == 0) {
            if (eq) return cli_input_error("--json takes no value");
            o->json = 1;
            continue;
        }
        if (eq) {
            val = eq + 1;
        } else {
            if (i + 1 >= argc) return cli_input_error("%s needs a value; see --help", name);
            val = argv[++i];
        }
        int rc = 0;
        if (strcmp(name, "--env") == 0)
            o->env = val, o->env_given = 1;
        else if (strcmp(name, "--config") == 0)
            o->config = val;
        else if (strcmp(name, "--policy") == 0 || strcmp(name, "--policies") == 0)
            o->policy = val;
        else if (strcmp(name, "--set") == 0) {
            if (o->n_sets == CLI_MAX_SETS)
                return cli_input_error("at most %d --set options", CLI_MAX_SETS);
            o->sets[o->n_sets++] = val;
        } else if (strcmp(name, "--agents") == 0) {
            long long n;
            if ((rc = cli_parse_count(name, val, 1, ENV_MAX_AGENTS, &n))) return rc;
            snprintf(o->agents_set, sizeof o->agents_set, "env.agents=%lld", n);
        } else if (strcmp(name, "--steps") == 0) {
            if ((rc = cli_parse_count(name, val, 1, 1000000, &o->steps))) return rc;
            snprintf(o->steps_set, sizeof o->steps_set, "env.max_steps=%lld", o->steps);
        } else if (strcmp(name, "--encoding") == 0) {
            if (strcmp(val, "rgb") != 0 && strcmp(val, "ids") != 0)
                return cli_input_error("--encoding: '%s' is not allowed; choose rgb or ids", val);
            snprintf(o->encoding_set, sizeof o->encoding_set, "obs.encoding=%s", val);
        } else if (strcmp(name, "--episodes") == 0)
            rc = cli_parse_count(name, val, 1, 1000000, &o->episodes);
        else if (strcmp(name, "--seed") == 0)
            rc = cli_parse_count(name, val, 0, (1LL << 62), &o->seed);
        else if (strcmp(name, "--batch") == 0)
            rc = cli_parse_count(name, val, 1, 4096, &o->batch);
        else if (strcmp(name, "--repeat") == 0)
            rc = cli_parse_count(name, val, 1, 1000, &o->repeat);
        else {
            /* an option of the command's own: kept for it, by name (static storage of argv) */
            if (o->n_extra == 8) return cli_input_error("too many options");
            const char *in_allowed = strstr(allowed, probe) + 1;
            o->extra_name[o->n_extra] = in_allowed;
            o->extra_value[o->n_extra++] = val;
        }
        if (rc) return rc;
    }
    return 0;
}

const char *cli_extra(const Options *o, const char *name) {
    size_t n = strlen(name);
    const char *found = NULL;
    for (int i = 0; i < o->n_extra; i++)
        if (strncmp(o->extra_name[i], name, n) == 0 && o->extra_name[i][n] == ' ')
            found = o->extra_value[i];
    return found;
}

/* the quick options, then --set in order */
static int apply_overrides(const Options *o, SimParams *p) {
    EnvError err;
    const char *quick[3] = {o->agents_set, o->steps_set, o->encoding_set};
    for (int i = 0; i < 3; i++)
        if (quick[i][0] && sim_params_apply_set(p, quick[i], &err)) return cli_fail(&err);
    for (int i = 0; i < o->n_sets; i++)
        if (sim_params_apply_set(p, o->sets[i], &err)) return cli_fail(&err);
    return 0;
}

/* preset, config file, then --agents/--steps/--encoding and --set in that order */
int cli_build_params(const Options *o, const char *env, SimParams *p) {
    EnvError err;
    if (sim_params_load_preset(p, env, &err)) return cli_fail(&err);
    if (o->config && sim_params_load_file(p, o->config, &err)) return cli_fail(&err);
    return apply_overrides(o, p);
}

int cli_world_params(const Options *o, SimParams *p) {
    char first[1024];
    const char *spec = o->policy ? o->policy : "";
    char entry[1024];
    snprintf(entry, sizeof entry, "%.*s", (int)strcspn(spec, ","), spec);
    sim_policy_entry_group(entry, first, sizeof first); /* PATH#g: the checkpoint PATH */
    if (o->env_given || o->config || !sim_is_checkpoint_path(first))
        return cli_build_params(o, o->env, p);
    /* the trained policy's own world */
    SimLearned *l = malloc(sizeof *l);
    EnvError err;
    if (!l) return cli_input_error("out of memory loading %s", first);
    if (sim_learned_load(l, first, &err)) {
        free(l);
        return cli_fail(&err);
    }
    *p = l->params;
    sim_learned_close(l);
    free(l);
    return apply_overrides(o, p);
}

int cli_split_policies(const char *opt, const char *spec, ScriptedKind *kinds, int *n) {
    EnvError err;
    return sim_scripted_list(opt, spec, kinds, n, &err) ? cli_fail(&err) : 0;
}

int cli_policies_parse(const char *spec, int n_agents, SimPolicies *out) {
    EnvError err;
    return sim_policies_parse(spec, n_agents, out, &err) ? cli_fail(&err) : 0;
}

int cli_policies_attach(const SimPolicies *ps, SimEpisode *e) {
    EnvError err;
    return sim_policies_attach(ps, e, &err) ? cli_fail(&err) : 0;
}
