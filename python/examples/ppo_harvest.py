#!/usr/bin/python3
"""PPO in PyTorch on the Python binding: 16 Harvest worlds (commons.VecEnv), 5 agents sharing one
actor-critic, the settings of experiments/ppo/demo.ini (ids observations folded into the first
layer, hidden 64 and 64, 128-step rollouts, 4 epochs of 4 minibatches, lr 0.001 annealed, entropy
0.01). Episodes cut by the time limit are truncations: bootstrapped from the value of the last
observation (VecEnv.final_obs).

    PYTHONPATH=python /usr/bin/python3 python/examples/ppo_harvest.py [--steps 250000] [--seed 1]
        [--csv curve.csv]

Prints one line per finished round of episodes: environment steps, mean efficiency (the social
metric: apples per step over all agents) and mean return of the episodes that ended.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn

import commons

N_IDS = 17  # cell ids of the `ids` encoding


class ActorCritic(nn.Module):
    def __init__(self, h, w, n_actions, hidden=64):
        super().__init__()
        # one-hot ids over every cell, folded into the first layer: a sum of weight rows
        self.bag = nn.EmbeddingBag(h * w * N_IDS, hidden, mode="sum")
        self.register_buffer("offsets", torch.arange(h * w) * N_IDS)
        # initialised as the linear layer over the one-hot would be (not nn.Embedding's N(0, 1),
        # whose sums over 225 cells saturate the first policy)
        bound = (h * w * N_IDS) ** -0.5
        nn.init.uniform_(self.bag.weight, -bound, bound)
        self.trunk = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, n_actions + 1)  # logits, then the value
        with torch.no_grad():
            self.out.weight[:-1] *= 0.01  # a near-uniform first policy

    def forward(self, obs):  # obs (n, h, w, 1) uint8 ids
        x = self.bag(obs.reshape(obs.shape[0], -1).long() + self.offsets)
        o = self.out(self.trunk(x))
        return o[:, :-1], o[:, -1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=250_000, help="environment steps (all worlds)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--csv", help="write the learning curve here")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    W, T, epochs, mbs = 16, 128, 4, 4
    gamma, lam, clip, lr0 = 0.99, 0.95, 0.2, 1e-3
    env = commons.VecEnv("harvest", W, a.seed, encoding="ids")
    A, shape, n_act = env.num_agents, env.obs.shape[2:], env.spec["n_actions"]
    N = W * A
    net = ActorCritic(shape[0], shape[1], n_act)
    opt = torch.optim.Adam(net.parameters(), lr=lr0, eps=1e-5)
    obs_b = torch.zeros((T, N) + shape, dtype=torch.uint8)
    act_b, logp_b = torch.zeros((T, N), dtype=torch.long), torch.zeros((T, N))
    val_b, rew_b = torch.zeros((T, N)), torch.zeros((T, N))
    end_b, boot_b = torch.zeros((T, N)), torch.zeros((T, N))  # episode ended; bootstrap value
    obs, _ = env.reset()
    n_updates, curve, steps, t0 = a.steps // (W * T), [], 0, time.perf_counter()
    for u in range(n_updates):
        opt.param_groups[0]["lr"] = lr0 * (1 - u / n_updates)
        finished = []
        with torch.no_grad():
            for t in range(T):
                o = torch.from_numpy(obs.reshape((N,) + shape))
                obs_b[t] = o
                logits, v = net(o)
                dist = torch.distributions.Categorical(logits=logits)
                act = dist.sample()
                act_b[t], logp_b[t], val_b[t] = act, dist.log_prob(act), v
                obs, rew, term, trunc, infos = env.step(act.numpy().reshape(W, A))
                rew_b[t] = torch.from_numpy(rew.reshape(N))
                ended = np.repeat(term | trunc, A)
                end_b[t] = torch.from_numpy(ended.astype(np.float32))
                boot_b[t] = 0
                if trunc.any():  # a time limit: the last observation's value goes on
                    _, vf = net(torch.from_numpy(env.final_obs.reshape((N,) + shape)))
                    boot_b[t] = vf * torch.from_numpy(np.repeat(trunc, A).astype(np.float32))
                finished += infos.get("episodes", [])
            _, v_next = net(torch.from_numpy(obs.reshape((N,) + shape)))
            adv, last = torch.zeros((T, N)), torch.zeros(N)
            for t in reversed(range(T)):
                nxt = v_next if t == T - 1 else val_b[t + 1]
                nxt = nxt * (1 - end_b[t]) + boot_b[t]
                delta = rew_b[t] + gamma * nxt - val_b[t]
                last = delta + gamma * lam * (1 - end_b[t]) * last
                adv[t] = last
            ret = adv + val_b
        b_obs, b_act, b_logp = obs_b.reshape((T * N,) + shape), act_b.reshape(-1), logp_b.reshape(-1)
        b_adv, b_ret = adv.reshape(-1), ret.reshape(-1)
        for _ in range(epochs):
            for idx in torch.randperm(T * N).chunk(mbs):
                logits, v = net(b_obs[idx])
                dist = torch.distributions.Categorical(logits=logits)
                ratio = (dist.log_prob(b_act[idx]) - b_logp[idx]).exp()
                ad = b_adv[idx]
                ad = (ad - ad.mean()) / (ad.std() + 1e-8)
                pg = -torch.min(ratio * ad, ratio.clamp(1 - clip, 1 + clip) * ad).mean()
                loss = pg + 0.5 * ((v - b_ret[idx]) ** 2).mean() - 0.01 * dist.entropy().mean()
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 0.5)
                opt.step()
        steps += W * T
        if finished:
            eff = float(np.mean([e["efficiency"] for e in finished]))
            rtn = float(np.mean([e["returns"].mean() for e in finished]))
            curve.append((steps, eff, rtn))
            print("steps %7d  efficiency %6.3f  return %8.2f  (%d episodes, %.0f s)"
                  % (steps, eff, rtn, len(finished), time.perf_counter() - t0), flush=True)
    dt = time.perf_counter() - t0
    print("done: %d environment steps, %d agent-steps in %.0f s (%.0f agent-steps/s)"
          % (steps, steps * A, dt, steps * A / dt))
    if curve:
        print("efficiency: first round %.3f, last round %.3f" % (curve[0][1], curve[-1][1]))
    if a.csv:
        with open(a.csv, "w") as f:
            f.write("steps,efficiency,return\n")
            f.writelines("%d,%.4f,%.3f\n" % row for row in curve)


if __name__ == "__main__":
    main()
