/* policy.c: training configs, checkpoints as policies, and policy lists with checkpoints
 * (see policy.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "params.h"
#include "policy.h"

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

int sim_train_load_text(SimParams *p, PpoConfig *c, const char *text, const char *origin,
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

int sim_train_load_file(SimParams *p, PpoConfig *c, const char *path, EnvError *err) {
    char *text;
    int rc = sim_ini_read(path, &text, err);
    if (rc) return rc;
    rc = sim_train_load_text(p, c, text, path, err);
    free(text);
    return rc;
}

int sim_train_apply_set(SimParams *p, PpoConfig *c, const char *assignment, EnvError *err) {
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

char *sim_train_config_text(const SimParams *p, const PpoConfig *c) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fprintf(f, "%s[env]\npreset = %s\n\n", c ? "; commons training config\n" : "", p->env.preset);
    sim_params_write_ini(p, f);
    if (c) ppo_config_write_ini(c, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void sim_checkpoint_file(const char *path, char *out, size_t n) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, n, "%s/checkpoint.ckpt", path);
    else
        snprintf(out, n, "%s", path);
}

int sim_is_checkpoint_path(const char *entry) {
    char s[1024];
    sim_policy_entry_group(entry, s, sizeof s);
    size_t n = strlen(s);
    return strchr(s, '/') != NULL || (n > 5 && strcmp(s + n - 5, ".ckpt") == 0);
}

void sim_learn_spec(const CommParams *comm, const PpoConfig *c, const EnvSpec *world, EnvSpec *spec,
                    PpoFeed *feed) {
    *spec = *world;
    if (c->gnn_rounds > 0 && c->gnn_mode == 1) spec->n_heads = 1;
    int msg =
        comm_params_communicates(comm) ? comm_message_size(comm->signal_bits, comm->slots) : 0;
    feed->n_float = msg + world->n_features;
    feed->n_bits = comm->signal_bits;
}

int sim_learned_load(SimLearned *l, const char *path, EnvError *err) {
    memset(l, 0, sizeof *l);
    sim_checkpoint_file(path, l->file, sizeof l->file);
    PpoCheckpoint ck;
    int rc = ppo_checkpoint_load(&ck, l->file, err);
    if (rc) return rc;
    /* the settings it was trained under, from its own effective config */
    char origin[1100];
    snprintf(origin, sizeof origin, "%s (its config)", l->file);
    sim_params_default(&l->params);
    ppo_config_default(&l->ppo);
    EnvSpec world, spec;
    NnArch arch;
    if ((rc = sim_train_load_text(&l->params, &l->ppo, ck.config, origin, err)) ||
        (rc = sim_spec(&l->params, &world, err)) ||
        (sim_learn_spec(&l->params.comm, &l->ppo, &world, &spec, &l->feed), 0) ||
        (rc = ppo_config_check(&l->ppo, &spec, &l->feed, &arch, err))) {
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

void sim_learned_close(SimLearned *l) {
    ppo_policy_close(&l->policy);
}

int sim_learned_check(const SimLearned *l, const EnvSpec *spec, EnvError *err) {
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

int sim_scripted_list(const char *opt, const char *spec, ScriptedKind *kinds, int *n,
                      EnvError *err) {
    *n = 0;
    const char *q = spec;
    for (int pos = 1;; pos++) {
        size_t len = strcspn(q, ",");
        char name[32];
        if (len == 0)
            return env_fail(err, ENV_EINPUT,
                            "%s: entry %d of '%s' is empty; give random, greedy, coop or gallego",
                            opt, pos, spec);
        if (*n == ENV_MAX_AGENTS)
            return env_fail(err, ENV_EINPUT, "%s: more than %d entries", opt, ENV_MAX_AGENTS);
        snprintf(name, sizeof name, "%.*s", (int)(len < 31 ? len : 31), q);
        EnvError inner;
        if (scripted_parse(name, &kinds[*n], &inner))
            return env_fail(err, ENV_EINPUT, "%s: %s", opt, inner.msg);
        (*n)++;
        if (q[len] == 0) return 0;
        q += len + 1;
    }
}

int sim_scripted_policies(const char *spec, int n_agents, ScriptedKind *kinds, EnvError *err) {
    int n, rc = sim_scripted_list("--policy", spec, kinds, &n, err);
    if (rc) return rc;
    if (n == 1)
        for (int i = 1; i < n_agents; i++) kinds[i] = kinds[0];
    else if (n != n_agents)
        return env_fail(err, ENV_EINPUT,
                        "--policy: %d policies for %d agents; give one for all agents or exactly "
                        "one per agent",
                        n, n_agents);
    return 0;
}

/* splits a list with checkpoints into entries (at most ENV_MAX_AGENTS) */
static int split_entries(const char *spec, char (*entries)[1024], int *n, EnvError *err) {
    *n = 0;
    for (const char *q = spec;; (*n)++) {
        size_t len = strcspn(q, ",");
        if (*n == ENV_MAX_AGENTS)
            return env_fail(err, ENV_EINPUT, "--policy: more than %d entries", ENV_MAX_AGENTS);
        if (len == 0)
            return env_fail(err, ENV_EINPUT,
                            "--policy: entry %d of '%s' is empty; give random, greedy, coop, "
                            "gallego or a checkpoint",
                            *n + 1, spec);
        snprintf(entries[*n], 1024, "%.*s", (int)(len < 1023 ? len : 1023), q);
        if (!q[len]) {
            (*n)++;
            return 0;
        }
        q += len + 1;
    }
}

int sim_policy_entry_group(const char *entry, char *path, size_t n) {
    const char *h = strrchr(entry, '#');
    size_t digits = h ? strspn(h + 1, "0123456789") : 0;
    if (!h || digits == 0 || h[1 + digits] || digits > 6) {
        snprintf(path, n, "%s", entry);
        return -1;
    }
    snprintf(path, n, "%.*s", (int)(h - entry), entry);
    return atoi(h + 1);
}

/* entry i of the list: a scripted name, or a checkpoint loaded once however often it appears */
static int parse_entry(SimPolicies *out, char (*entries)[1024], int i, EnvError *err) {
    if (!sim_is_checkpoint_path(entries[i])) {
        EnvError inner;
        if (scripted_parse(entries[i], &out->kind[i], &inner))
            return env_fail(err, ENV_EINPUT,
                            "--policy: %s, or a checkpoint (a path with '/' or ending in .ckpt)",
                            inner.msg);
        snprintf(out->name[i], sizeof out->name[i], "%.63s", entries[i]);
        return 0;
    }
    char path[1024], other[1024];
    int g = sim_policy_entry_group(entries[i], path, sizeof path);
    int found = -1;
    for (int j = 0; j < i; j++)
        if (out->learned[j] >= 0 && (sim_policy_entry_group(entries[j], other, sizeof other), 1) &&
            strcmp(other, path) == 0)
            found = out->learned[j];
    if (found < 0) {
        int rc = sim_learned_load(&out->loaded[out->n_loaded], path, err);
        if (rc) return rc;
        found = out->n_loaded++;
    }
    const SimLearned *l = &out->loaded[found];
    if (g >= l->policy.n_groups)
        return env_fail(err, ENV_EINPUT,
                        "--policy: %s asks for parameter set %d; %s holds %d (0..%d), one per "
                        "training slot",
                        entries[i], g, l->file, l->policy.n_groups, l->policy.n_groups - 1);
    out->learned[i] = found;
    out->group[i] = g;
    out->kind[i] = SCRIPTED_RANDOM;
    snprintf(out->name[i], sizeof out->name[i], "%.63s", entries[i]);
    return 0;
}

int sim_policies_parse_pool(const char *spec, SimPolicies *out, EnvError *err) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < ENV_MAX_AGENTS; i++) out->learned[i] = out->group[i] = -1;
    char entries[ENV_MAX_AGENTS][1024];
    int n, rc = split_entries(spec, entries, &n, err);
    if (rc) return rc;
    out->loaded = calloc((size_t)n, sizeof *out->loaded);
    if (!out->loaded) return env_fail(err, ENV_ENOMEM, "out of memory for %d policies", n);
    out->n_entries = n;
    out->pool = 1;
    for (int i = 0; i < n; i++)
        if ((rc = parse_entry(out, entries, i, err))) {
            sim_policies_close(out);
            return rc;
        }
    return 0;
}

int sim_policies_parse(const char *spec, int n_agents, SimPolicies *out, EnvError *err) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < ENV_MAX_AGENTS; i++) out->learned[i] = out->group[i] = -1;
    out->n_entries = n_agents;
    /* without checkpoints: the scripted parser, its behaviour and messages unchanged */
    int any = 0;
    for (const char *q = spec;;) {
        char entry[1024];
        size_t len = strcspn(q, ",");
        snprintf(entry, sizeof entry, "%.*s", (int)(len < 1023 ? len : 1023), q);
        any |= sim_is_checkpoint_path(entry);
        if (!q[len]) break;
        q += len + 1;
    }
    if (!any) {
        int rc = sim_scripted_policies(spec, n_agents, out->kind, err);
        for (int i = 0; i < n_agents && !rc; i++)
            snprintf(out->name[i], sizeof out->name[i], "%s", scripted_name(out->kind[i]));
        return rc;
    }
    /* split, loading checkpoints; scripted names go through the usual parser */
    char entries[ENV_MAX_AGENTS][1024];
    int n, rc = split_entries(spec, entries, &n, err);
    if (rc) return rc;
    if (n != 1 && n != n_agents)
        return env_fail(err, ENV_EINPUT,
                        "--policy: %d policies for %d agents; give one for all agents or exactly "
                        "one per agent",
                        n, n_agents);
    out->loaded = calloc((size_t)n, sizeof *out->loaded);
    if (!out->loaded) return env_fail(err, ENV_ENOMEM, "out of memory for %d policies", n);
    for (int i = 0; i < n; i++)
        if ((rc = parse_entry(out, entries, i, err))) {
            sim_policies_close(out);
            return rc;
        }
    for (int i = n; i < n_agents; i++) {
        out->kind[i] = out->kind[0];
        out->learned[i] = out->learned[0];
        out->group[i] = out->group[0];
        memcpy(out->name[i], out->name[0], sizeof out->name[0]);
    }
    return 0;
}

void sim_policies_close(SimPolicies *ps) {
    for (int i = 0; i < ps->n_loaded; i++) sim_learned_close(&ps->loaded[i]);
    free(ps->loaded);
    ps->loaded = NULL;
    ps->n_loaded = 0;
}

int sim_policies_attach_entry(const SimPolicies *ps, SimEpisode *e, int slot, int j,
                              EnvError *err) {
    if (ps->learned[j] < 0) return 0;
    const SimLearned *l = &ps->loaded[ps->learned[j]];
    int rc = sim_learned_check(l, &e->sim->spec, err);
    if (rc) return rc;
    int g = ps->group[j] >= 0 ? ps->group[j] : l->policy.n_groups == 1 ? 0 : slot;
    if (g >= l->policy.n_groups)
        return env_fail(err, ENV_EINPUT,
                        "%s holds %d independent policies, one per agent slot; agent %d has none",
                        l->file, l->policy.n_groups, slot);
    return sim_episode_set_learned(e, slot, &l->policy, g, err);
}

int sim_policies_attach_slot(const SimPolicies *ps, SimEpisode *e, int i, EnvError *err) {
    return sim_policies_attach_entry(ps, e, i, i, err);
}

int sim_policies_attach(const SimPolicies *ps, SimEpisode *e, EnvError *err) {
    for (int i = 0; i < e->cfg->p.n_agents; i++) {
        int rc = sim_policies_attach_slot(ps, e, i, err);
        if (rc) return rc;
    }
    return 0;
}
