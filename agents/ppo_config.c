/* ppo_config.c: the training settings ([train], [ppo], [net]) as a table on the key engine, their
 * defaults, and their check against a world's spec (see ppo.h).
 *
 * Contract: ppo_config_set() is the only way text becomes a training setting; messages use the
 * trainer's dialect of the engine (keys.h) and name the key, the value and what is allowed.
 */
#include <stddef.h>
#include <string.h>

#include "keys.h"
#include "ppo.h"

#define F(field) offsetof(PpoConfig, field)

/* net.activation stores an NnKind: the value of each choice */
static const int ACTIVATIONS[] = {NN_RELU, NN_TANH};
/* gnn.aggregate stores a CommAgg */
static const int AGGREGATES[] = {COMM_AGG_SUM, COMM_AGG_MEAN, COMM_AGG_MAX};

static const EnvKeySpec KEYS[] = {
    ENV_KEY_ROW_INT64("train", "seed", F(seed), 0, 4611686018427387904.0,
                      "run seed: parameter initialisation, action sampling, minibatches, worlds"),
    ENV_KEY_ROW_INT64("train", "steps", F(steps), 1, 1e12,
                      "environment steps to train for, summed over worlds (agent-steps = steps x "
                      "agents)"),
    ENV_KEY_ROW_INT("train", "worlds", F(worlds), 1, 4096, "worlds stepped together"),
    ENV_KEY_ROW_INT("train", "rollout", F(rollout), 1, 100000, "steps per world between updates"),
    ENV_KEY_ROW_INT("train", "shards", F(shards), 1, 4096,
                    "fixed blocks of worlds (must divide train.worlds): the unit of inference and "
                    "of the gradient sums that a distributed run splits across processes"),
    ENV_KEY_ROW_CHOICE("train", "params", F(independent), "shared independent", NULL,
                       "one parameter set for all agents, or one per agent slot (independent "
                       "learners)"),
    ENV_KEY_ROW_INT("train", "checkpoint_every", F(checkpoint_every), 0, 1000000000,
                    "updates between checkpoints (0: only at the end)"),
    ENV_KEY_ROW_REAL("ppo", "lr", F(lr), 0, 1, 1, "Adam learning rate"),
    ENV_KEY_ROW_BOOL("ppo", "anneal_lr", F(anneal_lr),
                     "1: the learning rate falls linearly to 0 over the run"),
    ENV_KEY_ROW_REAL("ppo", "gamma", F(gamma), 0, 1, 0, "discount"),
    ENV_KEY_ROW_REAL("ppo", "gae_lambda", F(gae_lambda), 0, 1, 0, "GAE lambda"),
    ENV_KEY_ROW_REAL("ppo", "clip", F(clip), 0, 10, 1, "probability ratio clip epsilon"),
    ENV_KEY_ROW_REAL("ppo", "vf_coef", F(vf_coef), 0, 1000, 0, "value loss weight"),
    ENV_KEY_ROW_REAL("ppo", "ent_coef", F(ent_coef), 0, 100, 0, "entropy bonus weight"),
    ENV_KEY_ROW_REAL("ppo", "max_grad_norm", F(max_grad_norm), 0, 1e9, 0,
                     "gradient norm clip per parameter group (0: none)"),
    ENV_KEY_ROW_INT("ppo", "epochs", F(epochs), 1, 1000, "passes over each rollout"),
    ENV_KEY_ROW_INT("ppo", "minibatches", F(minibatches), 1, 65536, "minibatches per epoch"),
    ENV_KEY_ROW_BOOL("ppo", "norm_adv", F(norm_adv), "1: normalise advantages per minibatch"),
    ENV_KEY_ROW_REAL("ppo", "adam_eps", F(adam_eps), 0, 1, 1, "Adam epsilon"),
    ENV_KEY_ROW_REAL("ppo", "adam_beta1", F(adam_beta1), 0, 0.999999, 0, "Adam beta1"),
    ENV_KEY_ROW_REAL("ppo", "adam_beta2", F(adam_beta2), 0, 0.999999999, 0, "Adam beta2"),
    ENV_KEY_ROW_REAL("ppo", "reward_scale", F(reward_scale), 0, 1e6, 1,
                     "rewards are multiplied by this for learning"),
    ENV_KEY_ROW_INT("net", "conv", F(conv), 0, 1024,
                    "channels of the first layer's convolution (0: the first layer covers the "
                    "whole view)"),
    ENV_KEY_ROW_INT("net", "kernel", F(kernel), 1, 64, "square kernel of that convolution"),
    ENV_KEY_ROW_INT("net", "stride", F(stride), 1, 64, "its stride"),
    ENV_KEY_ROW_INTS("net", "hidden", F(hidden), F(n_hidden), NN_MAX_HIDDEN, 1, 16384,
                     "sizes of the linear layers after the encoder, comma separated, or none"),
    ENV_KEY_ROW_CHOICE("net", "activation", F(activation), "relu tanh", ACTIVATIONS,
                       "relu or tanh"),
    ENV_KEY_ROW_INT("gnn", "rounds", F(gnn_rounds), 0, 8,
                    "rounds of the GNN layer over each step's communication graph (0: no GNN)"),
    ENV_KEY_ROW_CHOICE("gnn", "aggregate", F(gnn_agg), "sum mean max", AGGREGATES,
                       "how a round combines the neighbours' messages"),
    ENV_KEY_ROW_CHOICE("gnn", "mode", F(gnn_mode), "signal differentiable", NULL,
                       "signal: the GNN reads the bits neighbours sent at the previous step (bits "
                       "are action heads); differentiable: each round every agent emits bits "
                       "from its state within the step and gradients cross between agents"),
    ENV_KEY_ROW_CHOICE("gnn", "estimator", F(gnn_estimator), "straight sigmoid", NULL,
                       "differentiable mode: the gradient of a hard bit (straight-through, or "
                       "the noisy sigmoid's)"),
    ENV_KEY_ROW_REAL("gnn", "noise", F(gnn_noise), 0, 100, 0,
                     "differentiable mode: scale of the logistic noise added before a bit is "
                     "thresholded during training (0: none)"),
};

static const EnvKeyTable TABLE = {KEYS, (int)(sizeof KEYS / sizeof KEYS[0]), ENV_KEY_DIALECT_TRAIN,
                                  "commons train --keys"};

void ppo_config_default(PpoConfig *c) {
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->steps = 1000000;
    c->worlds = 16;
    c->rollout = 128;
    c->shards = 4;
    c->independent = 0;
    c->checkpoint_every = 50;
    c->lr = 2.5e-4;
    c->anneal_lr = 1;
    c->gamma = 0.99;
    c->gae_lambda = 0.95;
    c->clip = 0.2;
    c->vf_coef = 0.5;
    c->ent_coef = 0.01;
    c->max_grad_norm = 0.5;
    c->epochs = 4;
    c->minibatches = 4;
    c->norm_adv = 1;
    c->adam_eps = 1e-5;
    c->adam_beta1 = 0.9;
    c->adam_beta2 = 0.999;
    c->reward_scale = 1.0;
    c->conv = 0;
    c->kernel = 3;
    c->stride = 1;
    c->hidden[0] = 64;
    c->hidden[1] = 64;
    c->n_hidden = 2;
    c->activation = NN_RELU;
    c->gnn_rounds = 0;
    c->gnn_agg = COMM_AGG_MEAN;
    c->gnn_mode = 0;
    c->gnn_estimator = 0;
    c->gnn_noise = 0;
}

int ppo_config_section(const char *section) {
    return env_keys_has_section(&TABLE, section);
}

int ppo_config_set(PpoConfig *c, const char *section, const char *key, const char *value,
                   EnvError *err) {
    if (env_keys_find(&TABLE, section, key) < 0)
        return env_fail(err, ENV_EINPUT, "unknown key '%s.%s'; '%s' lists the keys", section, key,
                        TABLE.listing);
    return env_keys_set(&TABLE, c, section, key, value, err);
}

int ppo_config_get(const PpoConfig *c, const char *section, const char *key, char *buf, size_t n) {
    return env_keys_get(&TABLE, c, section, key, buf, n);
}

void ppo_config_write_ini(const PpoConfig *c, FILE *f) {
    env_keys_write_ini(&TABLE, c, f);
}

int ppo_config_key(int i, const char **section, const char **key, char *range, size_t n,
                   const char **doc) {
    return env_keys_describe(&TABLE, i, section, key, range, n, doc);
}

int ppo_config_check(const PpoConfig *c, const EnvSpec *spec, const PpoFeed *feed, NnArch *arch,
                     EnvError *err) {
    PpoFeed none = {0, 0};
    if (!feed) feed = &none;
    if (c->worlds % c->shards)
        return env_fail(err, ENV_EINPUT,
                        "train.shards = %d does not divide train.worlds = %d; choose a divisor",
                        c->shards, c->worlds);
    if (c->gnn_rounds > 0 && feed->n_bits < 1)
        return env_fail(err, ENV_EINPUT,
                        "gnn.rounds = %d needs signal bits to carry: set comm.signal_bits (1..%d) "
                        "and a comm.topology, or gnn.rounds = 0",
                        c->gnn_rounds, ENV_MAX_SIGNAL_BITS);
    if (c->gnn_rounds > 0 && c->independent)
        return env_fail(err, ENV_EINPUT,
                        "gnn.rounds = %d trains whole worlds together and needs train.params = "
                        "shared",
                        c->gnn_rounds);
    int group_agents = c->independent ? 1 : spec->n_agents;
    long long shard_samples =
        (long long)c->rollout * (c->worlds / c->shards) * (long long)group_agents;
    if (shard_samples < c->minibatches)
        return env_fail(err, ENV_EINPUT,
                        "ppo.minibatches = %d is more than the %lld samples of a shard and "
                        "parameter group (train.rollout x train.worlds / train.shards%s); "
                        "lower it",
                        c->minibatches, shard_samples, c->independent ? "" : " x agents");
    if (spec->n_heads < 1 || spec->n_heads > NN_MAX_HEADS)
        return env_fail(err, ENV_EINPUT, "the world has %d action heads; allowed 1..%d",
                        spec->n_heads, NN_MAX_HEADS);
    memset(arch, 0, sizeof *arch);
    arch->obs_h = spec->obs_h;
    arch->obs_w = spec->obs_w;
    arch->obs_c = spec->obs_c;
    arch->ids = spec->encoding == ENV_ENC_IDS;
    arch->n_ids = ENV_ID_COUNT;
    arch->conv = c->conv;
    arch->kernel = c->kernel;
    arch->stride = c->stride;
    memcpy(arch->hidden, c->hidden, sizeof arch->hidden);
    arch->n_hidden = c->n_hidden;
    arch->activation = c->activation;
    arch->n_heads = spec->n_heads;
    for (int h = 0; h < spec->n_heads; h++) {
        if (spec->head_size[h] > 256)
            return env_fail(err, ENV_EINPUT, "action head %d has %d choices; at most 256", h,
                            spec->head_size[h]);
        arch->heads[h] = spec->head_size[h];
    }
    arch->n_float = feed->n_float;
    if (c->gnn_rounds > 0) {
        arch->gnn_rounds = c->gnn_rounds;
        arch->gnn_bits = feed->n_bits;
        arch->gnn_agg = c->gnn_agg;
        arch->gnn_mode = c->gnn_mode;
        arch->gnn_estimator = c->gnn_estimator;
        arch->gnn_agents = spec->n_agents;
    }
    NnNet net;
    return nn_net_init(&net, arch, err);
}

double ppo_lr(const PpoConfig *c, int64_t u, int64_t n_updates) {
    if (!c->anneal_lr || n_updates <= 0) return c->lr;
    return c->lr * (1.0 - (double)u / (double)n_updates);
}
