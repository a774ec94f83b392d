/* learn.c: training configs, checkpoints as policies, and policy lists with checkpoints
 * (see learn.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "params.h"
#include "learn.h"
#include "options.h"
#include "episode.h"

/* where the keys of a training config go */
typedef struct TrainKeys {
    SimParams *p;
    PpoConfig *c;
} TrainKeys;

/* the training sections go to PpoConfig, [env] preset loads a preset, the rest to SimParams */
static int train_key(void *user, const char *section, const char *name, const char *value,
                     int first, EnvError *err) {
    TrainKeys *k = user;
    if (ppo_config_section(section)) return ppo_config_set(k->c, section, name, value, err);
    if (strcmp(section, "env") == 0 && strcmp(name, "preset") == 0) {
        if (!first)
            return env_fail(err, ENV_EINPUT, "env.preset must be the first key of a config file");
        return sim_params_load_preset(k->p, value, err);
    }
    int rc = sim_params_set(k->p, section, name, value, err);
    /* the world knows its own sections; the training ones are added to the list */
    if (rc && strstr(err->msg, "unknown section")) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%.400s; training sections are train, ppo, net", err->msg);
        env_fail(err, ENV_EINPUT, "%s", msg);
    }
    return rc;
}

int cli_train_load_text(SimParams *p, PpoConfig *c, const char *text, const char *origin,
                        EnvError *err) {
    SimParams wp = *p;
    PpoConfig wc = *c;
    TrainKeys keys = {&wp, &wc};
    int rc = sim_ini_parse(text, origin, train_key, &keys, err);
    if (rc) return rc;
    *p = wp;
    *c = wc;
    return 0;
}

int cli_train_load_file(SimParams *p, PpoConfig *c, const char *path, EnvError *err) {
    char *text;
    int rc = sim_ini_read(path, &text, err);
    if (rc) return rc;
    rc = cli_train_load_text(p, c, text, path, err);
    free(text);
    return rc;
}

int cli_train_apply_set(SimParams *p, PpoConfig *c, const char *assignment, EnvError *err) {
    const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');
    if (dot && eq && dot < eq) {
        char section[64];
        size_t n = (size_t)(dot - assignment);
        if (n < sizeof section) {
            memcpy(section, assignment, n);
            section[n] = 0;
            if (ppo_config_section(section)) {
                char key[64];
                size_t k = (size_t)(eq - dot - 1);
                if (k == 0 || k >= sizeof key || !eq[1])
                    return env_fail(err, ENV_EINPUT,
                                    "--set '%s': expected section.key=value, e.g. --set "
                                    "ppo.lr=0.001",
                                    assignment);
                memcpy(key, dot + 1, k);
                key[k] = 0;
                EnvError inner;
                if (ppo_config_set(c, section, key, eq + 1, &inner))
                    return env_fail(err, ENV_EINPUT, "--set '%s': %s", assignment, inner.msg);
                return 0;
            }
        }
    }
    return sim_params_apply_set(p, assignment, err);
}

char *cli_train_config_text(const SimParams *p, const PpoConfig *c) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fprintf(f, "; commons training config\n[env]\npreset = %s\n\n", p->env.preset);
    sim_params_write_ini(p, f);
    ppo_config_write_ini(c, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void cli_checkpoint_file(const char *path, char *out, size_t n) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, n, "%s/checkpoint.ckpt", path);
    else
        snprintf(out, n, "%s", path);
}

int cli_is_checkpoint_path(const char *s) {
    size_t n = strlen(s);
    return strchr(s, '/') != NULL || (n > 5 && strcmp(s + n - 5, ".ckpt") == 0);
}

int cli_learned_load(CliLearned *l, const char *path, EnvError *err) {
    memset(l, 0, sizeof *l);
    cli_checkpoint_file(path, l->file, sizeof l->file);
    PpoCheckpoint ck;
    int rc = ppo_checkpoint_load(&ck, l->file, err);
    if (rc) return rc;
    /* the settings it was trained under, from its own effective config */
    char origin[1100];
    snprintf(origin, sizeof origin, "%s (its config)", l->file);
    sim_params_default(&l->params);
    ppo_config_default(&l->ppo);
    EnvSpec spec;
    NnArch arch;
    if ((rc = cli_train_load_text(&l->params, &l->ppo, ck.config, origin, err)) ||
        (rc = sim_spec(&l->params, &spec, err)) ||
        (rc = ppo_config_check(&l->ppo, &spec, &arch, err))) {
        ppo_checkpoint_close(&ck);
        return rc;
    }
    NnNet net;
    nn_net_init(&net, &arch, NULL);
    if (net.n_params != ck.n_params || ck.n_groups != (l->ppo.independent ? spec.n_agents : 1)) {
        rc = env_fail(err, ENV_EINPUT,
                      "%s: holds %d groups of %zu parameters, but its config builds %d of %zu",
                      l->file, ck.n_groups, ck.n_params, l->ppo.independent ? spec.n_agents : 1,
                      net.n_params);
        ppo_checkpoint_close(&ck);
        return rc;
    }
    rc = ppo_policy_init(&l->policy, &arch, ck.n_groups, ck.params, err);
    l->update = ck.update;
    l->n_updates = ck.n_updates;
    l->env_steps = ck.env_steps;
    ppo_checkpoint_close(&ck);
    return rc;
}

void cli_learned_close(CliLearned *l) {
    ppo_policy_close(&l->policy);
}

int cli_learned_check(const CliLearned *l, const EnvSpec *spec, EnvError *err) {
    const NnArch *a = &l->policy.net.arch;
    int ids = spec->encoding == ENV_ENC_IDS;
    if (a->obs_h != spec->obs_h || a->obs_w != spec->obs_w || a->obs_c != spec->obs_c ||
        a->ids != ids || a->heads[0] != spec->n_actions)
        return env_fail(err, ENV_EINPUT,
                        "%s was trained on %dx%dx%d %s observations with %d actions; this world "
                        "gives %dx%dx%d %s with %d actions: run it in its own world (--config "
                        "RUN_DIR/world.ini), or use 'commons eval'",
                        l->file, a->obs_h, a->obs_w, a->obs_c, a->ids ? "ids" : "rgb", a->heads[0],
                        spec->obs_h, spec->obs_w, spec->obs_c, ids ? "ids" : "rgb",
                        spec->n_actions);
    return 0;
}

int cli_policies_parse(const char *spec, int n_agents, CliPolicies *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < ENV_MAX_AGENTS; i++) out->learned[i] = -1;
    /* without checkpoints: the scripted parser, its behaviour and messages unchanged */
    int any = 0;
    for (const char *q = spec;;) {
        char entry[1024];
        size_t len = strcspn(q, ",");
        snprintf(entry, sizeof entry, "%.*s", (int)(len < 1023 ? len : 1023), q);
        any |= cli_is_checkpoint_path(entry);
        if (!q[len]) break;
        q += len + 1;
    }
    if (!any) {
        int rc = cli_parse_policies(spec, n_agents, out->kind);
        for (int i = 0; i < n_agents && !rc; i++)
            snprintf(out->name[i], sizeof out->name[i], "%s", scripted_name(out->kind[i]));
        return rc;
    }
    /* split, loading checkpoints; scripted names go through the usual parser */
    char entries[ENV_MAX_AGENTS][1024];
    int n = 0;
    for (const char *q = spec;; n++) {
        size_t len = strcspn(q, ",");
        if (n == ENV_MAX_AGENTS)
            return cli_input_error("--policy: more than %d entries", ENV_MAX_AGENTS);
        if (len == 0)
            return cli_input_error(
                "--policy: entry %d of '%s' is empty; give random, greedy, coop or a checkpoint",
                n + 1, spec);
        snprintf(entries[n], sizeof entries[n], "%.*s", (int)(len < 1023 ? len : 1023), q);
        if (!q[len]) {
            n++;
            break;
        }
        q += len + 1;
    }
    if (n != 1 && n != n_agents)
        return cli_input_error("--policy: %d policies for %d agents; give one for all agents or "
                               "exactly one per agent",
                               n, n_agents);
    out->loaded = calloc((size_t)n, sizeof *out->loaded);
    if (!out->loaded) return cli_input_error("out of memory");
    for (int i = 0; i < n; i++) {
        if (!cli_is_checkpoint_path(entries[i])) {
            EnvError err;
            if (scripted_parse(entries[i], &out->kind[i], &err)) {
                cli_policies_close(out);
                return cli_input_error("--policy: %s, or a checkpoint (a path with '/' or "
                                       "ending in .ckpt)",
                                       err.msg);
            }
            snprintf(out->name[i], sizeof out->name[i], "%.63s", entries[i]);
            continue;
        }
        int found = -1;
        for (int j = 0; j < i; j++)
            if (out->learned[j] >= 0 && strcmp(entries[j], entries[i]) == 0)
                found = out->learned[j];
        if (found < 0) {
            EnvError err;
            if (cli_learned_load(&out->loaded[out->n_loaded], entries[i], &err)) {
                cli_policies_close(out);
                return cli_fail(&err);
            }
            found = out->n_loaded++;
        }
        out->learned[i] = found;
        out->kind[i] = SCRIPTED_RANDOM;
        snprintf(out->name[i], sizeof out->name[i], "%.63s", entries[i]);
    }
    for (int i = n; i < n_agents; i++) {
        out->kind[i] = out->kind[0];
        out->learned[i] = out->learned[0];
        memcpy(out->name[i], out->name[0], sizeof out->name[0]);
    }
    return 0;
}

void cli_policies_close(CliPolicies *ps) {
    for (int i = 0; i < ps->n_loaded; i++) cli_learned_close(&ps->loaded[i]);
    free(ps->loaded);
    ps->loaded = NULL;
    ps->n_loaded = 0;
}

int cli_policies_attach(const CliPolicies *ps, SimEpisode *r) {
    EnvError err;
    for (int i = 0; i < r->cfg->p.n_agents; i++) {
        if (ps->learned[i] < 0) continue;
        const CliLearned *l = &ps->loaded[ps->learned[i]];
        if (cli_learned_check(l, &r->cfg->spec, &err)) return cli_fail(&err);
        int g = l->policy.n_groups == 1 ? 0 : i;
        if (g >= l->policy.n_groups)
            return cli_input_error("%s holds %d independent policies, one per agent slot; agent "
                                   "%d has none",
                                   l->file, l->policy.n_groups, i);
        if (sim_episode_set_learned(r, i, &l->policy, g, &err)) return cli_fail(&err);
    }
    return 0;
}
