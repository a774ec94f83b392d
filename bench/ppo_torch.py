#!/usr/bin/python3
"""ppo_torch.py: the network and PPO settings of a commons training config, written with PyTorch,
for a throughput comparison with `commons train` on the same machine.

Usage (Debian's python3-torch; the python3 first on PATH may lack numpy):
    /usr/bin/python3 bench/ppo_torch.py experiments/ppo/harvest.ini [--updates N] [--threads 1]

It reads [env] agents / preset, [obs] view, and the [train], [ppo] and [net] keys it needs from
the INI (the preset's values for anything the file leaves out: see PRESETS below), builds the same
actor-critic (one-hot ids folded into the first layer as an EmbeddingBag, or a convolution; ReLU
or tanh; hidden layers; logits and value from one output layer), and runs the same loop: a
rollout of `rollout` steps in `worlds` worlds with action sampling, GAE, advantage normalisation
per minibatch, the clipped objective with value loss and entropy bonus, `epochs` passes of
`minibatches` minibatches (per shard in commons; the same sample count per minibatch here),
gradient-norm clipping and Adam with linear learning-rate annealing.

The worlds are a stand-in: observations are drawn from a fixed pool of random ids and rewards
are random, so the environment costs close to nothing here while commons steps its real worlds.
The comparison therefore favours PyTorch. Prints agent-steps per second (steps x agents / s),
inference and updates included, over the timed updates (after one warm-up update).
"""
import argparse
import configparser
import time

import torch
import torch.nn as nn

# the preset values this script needs (from presets/*.ini); obs.ahead/behind/side
PRESETS = {
    "harvest": dict(agents=5, ahead=7, behind=7, side=7, n_actions=8),
    "gathering-small": dict(agents=2, ahead=15, behind=0, side=10, n_actions=8),
    "gathering": dict(agents=2, ahead=15, behind=0, side=10, n_actions=8),
    "cleanup": dict(agents=5, ahead=7, behind=7, side=7, n_actions=9),
}
N_IDS = 17  # ENV_ID_COUNT in env/env.h


def settings(path):
    ini = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    ini.read(path)
    g = lambda s, k, d: ini.get(s, k, fallback=str(d))
    preset = g("env", "preset", "harvest")
    base = PRESETS[preset]
    s = dict(
        agents=int(g("env", "agents", base["agents"])),
        ahead=int(g("obs", "ahead", base["ahead"])),
        behind=int(g("obs", "behind", base["behind"])),
        side=int(g("obs", "side", base["side"])),
        encoding=g("obs", "encoding", "rgb"),
        n_actions=base["n_actions"],
        worlds=int(g("train", "worlds", 16)),
        rollout=int(g("train", "rollout", 128)),
        shards=int(g("train", "shards", 4)),
        independent=g("train", "params", "shared") == "independent",
        lr=float(g("ppo", "lr", 2.5e-4)),
        gamma=float(g("ppo", "gamma", 0.99)),
        lam=float(g("ppo", "gae_lambda", 0.95)),
        clip=float(g("ppo", "clip", 0.2)),
        vf_coef=float(g("ppo", "vf_coef", 0.5)),
        ent_coef=float(g("ppo", "ent_coef", 0.01)),
        max_grad_norm=float(g("ppo", "max_grad_norm", 0.5)),
        epochs=int(g("ppo", "epochs", 4)),
        minibatches=int(g("ppo", "minibatches", 4)),
        adam_eps=float(g("ppo", "adam_eps", 1e-5)),
        conv=int(g("net", "conv", 0)),
        kernel=int(g("net", "kernel", 3)),
        stride=int(g("net", "stride", 1)),
        hidden=[int(x) for x in g("net", "hidden", "64,64").split(",") if x.strip() != "none"],
        activation=g("net", "activation", "relu"),
    )
    s["h"] = s["ahead"] + s["behind"] + 1
    s["w"] = 2 * s["side"] + 1
    return s


class ActorCritic(nn.Module):
    """The commons network: encoder, hidden layers, one output layer (logits, then value)."""

    def __init__(self, s):
        super().__init__()
        self.s = s
        act = nn.ReLU if s["activation"] == "relu" else nn.Tanh
        h, w = s["h"], s["w"]
        self.ids = s["encoding"] == "ids"
        hidden = list(s["hidden"])
        if s["conv"] > 0:
            k, st = s["kernel"], s["stride"]
            oh, ow = (h - k) // st + 1, (w - k) // st + 1
            cin = N_IDS if self.ids else 3
            self.conv = nn.Conv2d(cin, s["conv"], k, st)
            feat = oh * ow * s["conv"]
        else:
            first = hidden.pop(0)
            if self.ids:
                # one-hot over every cell, folded into the first layer: a sum of weight rows
                self.bag = nn.EmbeddingBag(h * w * N_IDS, first, mode="sum")
                self.bag_bias = nn.Parameter(torch.zeros(first))
                self.register_buffer("offsets", torch.arange(h * w) * N_IDS)
            else:
                self.first = nn.Linear(h * w * 3, first)
            feat = first
        self.act0 = act()
        layers = []
        for n in hidden:
            layers += [nn.Linear(feat, n), act()]
            feat = n
        self.trunk = nn.Sequential(*layers)
        self.out = nn.Linear(feat, s["n_actions"] + 1)

    def forward(self, obs):  # obs: (n, h, w) uint8 ids or (n, h, w, 3) uint8 rgb
        n = obs.shape[0]
        if self.s["conv"] > 0:
            if self.ids:
                x = nn.functional.one_hot(obs.long(), N_IDS).permute(0, 3, 1, 2).float()
            else:
                x = obs.permute(0, 3, 1, 2).float() / 255.0
            x = self.conv(x).flatten(1)
        elif self.ids:
            idx = obs.reshape(n, -1).long() + self.offsets
            x = self.bag(idx) + self.bag_bias
        else:
            x = self.first(obs.reshape(n, -1).float() / 255.0)
        x = self.trunk(self.act0(x))
        o = self.out(x)
        return o[:, :-1], o[:, -1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--updates", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    s = settings(a.config)
    W, T, A = s["worlds"], s["rollout"], s["agents"]
    groups = A if s["independent"] else 1
    nets = [ActorCritic(s) for _ in range(groups)]
    opts = [torch.optim.Adam(n.parameters(), lr=s["lr"], eps=s["adam_eps"]) for n in nets]
    shape = (s["h"], s["w"]) if s["encoding"] == "ids" else (s["h"], s["w"], 3)
    high = 6 if s["encoding"] == "ids" else 256
    pool = torch.randint(0, high, (4096,) + shape, dtype=torch.uint8)
    n_updates = a.updates + 1

    # rollout buffers: (T, W, A, ...)
    obs_buf = torch.zeros((T + 1, W, A) + shape, dtype=torch.uint8)
    act_buf = torch.zeros((T, W, A), dtype=torch.long)
    logp_buf = torch.zeros((T, W, A))
    val_buf = torch.zeros((T + 1, W, A))
    rew_buf = torch.zeros((T, W, A))
    done_buf = torch.zeros((T, W))
    rng = torch.Generator().manual_seed(2)

    def policy(obs_flat, g):  # obs_flat: (n, ...) for group g
        logits, value = nets[g](obs_flat)
        return torch.distributions.Categorical(logits=logits), value

    timed_start = None
    for u in range(n_updates):
        if u == 1:
            timed_start = time.perf_counter()
        lr = s["lr"] * (1.0 - u / n_updates)
        for o in opts:
            o.param_groups[0]["lr"] = lr
        obs_buf[0] = obs_buf[T]
        with torch.no_grad():
            for t in range(T + 1):
                for g in range(groups):
                    o = obs_buf[t].reshape((W * A,) + shape) if groups == 1 else obs_buf[t][:, g]
                    dist, value = policy(o, g)
                    if groups == 1:
                        val_buf[t] = value.reshape(W, A)
                    else:
                        val_buf[t][:, g] = value
                    if t == T:
                        continue
                    action = dist.sample()
                    lp = dist.log_prob(action)
                    if groups == 1:
                        act_buf[t] = action.reshape(W, A)
                        logp_buf[t] = lp.reshape(W, A)
                    else:
                        act_buf[t][:, g] = action
                        logp_buf[t][:, g] = lp
                if t == T:
                    break
                # the stand-in worlds
                obs_buf[t + 1] = pool[torch.randint(0, pool.shape[0], (W * A,), generator=rng)].reshape(
                    (W, A) + shape
                )
                rew_buf[t] = (torch.rand((W, A), generator=rng) < 0.1).float()
                done_buf[t] = 0.0
            # GAE
            adv = torch.zeros((T, W, A))
            last = torch.zeros((W, A))
            for t in reversed(range(T)):
                live = 1.0 - done_buf[t].unsqueeze(1)
                delta = rew_buf[t] + s["gamma"] * val_buf[t + 1] * live - val_buf[t]
                last = delta + s["gamma"] * s["lam"] * live * last
                adv[t] = last
            ret = adv + val_buf[:T]
        # epochs of minibatches, per group
        for g in range(groups):
            if groups == 1:
                b_obs = obs_buf[:T].reshape((-1,) + shape)
                b_act, b_logp = act_buf.reshape(-1), logp_buf.reshape(-1)
                b_adv, b_ret = adv.reshape(-1), ret.reshape(-1)
            else:
                b_obs = obs_buf[:T, :, g].reshape((-1,) + shape)
                b_act, b_logp = act_buf[:, :, g].reshape(-1), logp_buf[:, :, g].reshape(-1)
                b_adv, b_ret = adv[:, :, g].reshape(-1), ret[:, :, g].reshape(-1)
            n = b_obs.shape[0]
            mb = n // s["minibatches"]
            for _ in range(s["epochs"]):
                perm = torch.randperm(n)
                for m in range(s["minibatches"]):
                    i = perm[m * mb : (m + 1) * mb]
                    dist, value = policy(b_obs[i], g)
                    new_logp = dist.log_prob(b_act[i])
                    ratio = (new_logp - b_logp[i]).exp()
                    ma = b_adv[i]
                    ma = (ma - ma.mean()) / (ma.std() + 1e-8)
                    pg = torch.max(-ma * ratio, -ma * ratio.clamp(1 - s["clip"], 1 + s["clip"])).mean()
                    vloss = 0.5 * ((value - b_ret[i]) ** 2).mean()
                    loss = pg + s["vf_coef"] * vloss - s["ent_coef"] * dist.entropy().mean()
                    opts[g].zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(nets[g].parameters(), s["max_grad_norm"])
                    opts[g].step()
    dt = time.perf_counter() - timed_start
    agent_steps = a.updates * W * T * A
    params = sum(p.numel() for p in nets[0].parameters())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): {agent_steps} agent-steps "
        f"in {dt:.2f} s = {agent_steps / dt:.0f} agent-steps/s ({params} parameters per group, "
        f"{groups} group(s), {a.updates} timed updates)"
    )


if __name__ == "__main__":
    main()
