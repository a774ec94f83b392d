/* params.c: the communication keys ([comm], [rewards]) as a table on the key engine (env/keys.h),
 * their defaults, and the signal heads they add to a world's spec.
 *
 * Contract: comm_params_set() is the only way text becomes a comm setting; the messages are the
 * world's dialect, so a comm key reads and fails exactly like a world key. The key names, ranges,
 * docs and choices are those the world's table held before comm owned them.
 */
#include <stddef.h>
#include <string.h>

#include "comm.h"
#include "keys.h"

#define F(field) offsetof(CommParams, field)

static const EnvKeySpec KEYS[] = {
    ENV_KEY_ROW_CHOICE("comm", "topology", F(topology), COMM_TOPOLOGY_CHOICES, NULL,
                       "who hears whom, rebuilt every step"),
    ENV_KEY_ROW_INT("comm", "radius", F(radius), 0, 255,
                    "radius topology: agents within this Euclidean distance"),
    ENV_KEY_ROW_INT("comm", "k", F(k), 1, ENV_MAX_AGENTS - 1, "knn topology: neighbours heard"),
    ENV_KEY_ROW_INT("comm", "signal_bits", F(signal_bits), 0, ENV_MAX_SIGNAL_BITS,
                    "signal bits in every agent's action, heard by its neighbours a step later"),
    ENV_KEY_ROW_INT("comm", "slots", F(slots), 0, 8,
                    "nearest neighbours described (bits and offset) in a received message"),
    ENV_KEY_ROW_CHOICE("rewards", "share", F(share), "none neighbours global", NULL,
                       "learning rewards: own; own plus alpha times neighbours'; or the sum of "
                       "all"),
    ENV_KEY_ROW_PROB("rewards", "alpha", F(share_alpha_ppb),
                     "weight of the neighbours' rewards when share = neighbours"),
    ENV_KEY_ROW_CHOICE("rewards", "inequity", F(inequity), "off on", NULL,
                       "inequity-averse learning rewards (Hughes et al. 2018): minus envy and "
                       "guilt over smoothed rewards"),
    ENV_KEY_ROW_REAL("rewards", "inequity_alpha", F(inequity_alpha), 0, 1000, 0,
                     "inequity: weight of disadvantageous inequity (others ahead: envy)"),
    ENV_KEY_ROW_REAL("rewards", "inequity_beta", F(inequity_beta), 0, 1000, 0,
                     "inequity: weight of advantageous inequity (self ahead: guilt)"),
    ENV_KEY_ROW_REAL("rewards", "inequity_decay", F(inequity_decay), 0, 1, 0,
                     "inequity: gamma * lambda, the decay of each agent's reward trace"),
};

static const EnvKeyTable TABLE = {KEYS, (int)(sizeof KEYS / sizeof KEYS[0]), ENV_KEY_DIALECT_WORLD,
                                  "commons maps --keys"};

const EnvKeyTable *comm_params_table(void) {
    return &TABLE;
}

void comm_params_default(CommParams *p) {
    memset(p, 0, sizeof *p);
    p->topology = COMM_NONE;
    p->radius = 8;
    p->k = 1;
    p->signal_bits = 0;
    p->slots = 2;
    p->share = COMM_SHARE_NONE;
    p->share_alpha_ppb = 0;
    /* the SSD reference's defaults (alpha 5, beta 0.05); decay = 0.99 * 0.975 (see README) */
    p->inequity = 0;
    p->inequity_alpha = 5.0;
    p->inequity_beta = 0.05;
    p->inequity_decay = 0.96525;
}

int comm_params_section(const char *section) {
    return env_keys_has_section(&TABLE, section);
}

int comm_params_set(CommParams *p, const char *section, const char *key, const char *value,
                    EnvError *err) {
    return env_keys_set(&TABLE, p, section, key, value, err);
}

int comm_params_get(const CommParams *p, const char *section, const char *key, char *buf,
                    size_t n) {
    return env_keys_get(&TABLE, p, section, key, buf, n);
}

void comm_params_write_ini(const CommParams *p, FILE *f) {
    env_keys_write_ini(&TABLE, p, f);
}

int comm_params_key(int i, const char **section, const char **key, char *range, size_t n,
                    const char **doc) {
    return env_keys_describe(&TABLE, i, section, key, range, n, doc);
}

void comm_spec(const CommParams *p, EnvSpec *spec) {
    spec->n_heads = 1 + p->signal_bits;
    for (int b = 0; b < p->signal_bits; b++) spec->head_size[1 + b] = 2;
}
