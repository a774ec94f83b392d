/* schelling.h: a world measured as a game: Schelling diagrams of a cooperator and a defector
 * policy, the social-dilemma conditions with their margins, and the replicator dynamics of the
 * diagram with its fixed points (Schelling 1973; Hughes et al. 2018; Pretorius et al. 2020).
 *
 * Contract:
 * - N agents (2 <= N <= ENV_MAX_AGENTS), two policies: the cooperator C and the defector D, each
 *   a scripted kind or a trained policy (SimPolicies, sim/policy.h; a trained policy with one
 *   parameter set per slot plays slot i with set i), or a pool of such policies (entries
 *   PATH#g name one parameter set), whose members take turns (sim_schelling_entries).
 * - Compositions: for k = 0..N cooperators, on S seeds, one episode each. In episode s of
 *   composition k the cooperators sit in slots (s + j) mod N for j = 0..k-1 and the defectors in
 *   the others (sim_schelling_slots), so the roles rotate round the spawn points; every slot is a
 *   cooperator equally often when N divides S. Episode s of every composition runs with seed
 *   (seed + s) in world 0, episode 0 (the seeds of `commons compare`), the same seeds for every
 *   composition (common random numbers), env.max_steps steps or `steps`.
 * - R_c(l) (a cooperator's return among l = 0..N-1 other cooperators) is the mean over the S
 *   episodes of composition k = l + 1 of the cooperators' mean return in that episode; R_d(l)
 *   the same for the defectors of composition k = l. Intervals: mean +- t(0.975, S - 1) * sd /
 *   sqrt(S), the Student t interval over episodes (agents within an episode are not independent,
 *   so the episode is the sample).
 * - Conditions (Hughes et al. 2018, after Macy and Flache 2002): (1) R_c(N-1) > R_d(0), mutual
 *   cooperation beats mutual defection; (2) R_c(N-1) > R_c(0), mutual cooperation beats being
 *   exploited; (3) fear R_d(0) > R_c(0) (defecting pays among defectors) or greed
 *   R_d(N-1) > R_c(N-1) (defecting pays among cooperators). At N = 2 these are Leibo et al.
 *   2017's R > P, R > S, P > S and T > R. Each margin is a paired difference over the seeds (the
 *   two compositions share episode seeds) with its t interval; a condition holds when its mean
 *   margin is positive, and is significant when its whole interval is.
 * - Replicator dynamics of a population with cooperator share x, groups drawn binomially:
 *   f_C(x) = sum_l C(N-1, l) x^l (1-x)^(N-1-l) R_c(l), f_D likewise with R_d, and
 *   x' = x (1 - x) (f_C(x) - f_D(x)). Fixed points: x = 0, x = 1, and the roots of
 *   g = f_C - f_D in (0, 1), found as sign changes (or exact zeros) on a grid of
 *   SIM_SCHELLING_GRID intervals, each refined by 60 bisections. A root where g touches zero
 *   without changing sign between grid points is missed. Stability from the sign of x' either
 *   side: 0 is stable when g(0) < 0, 1 when g(1) > 0 (when g vanishes at an end, its sign just
 *   inside decides), an interior root when g falls through it.
 * - Everything is deterministic: the same inputs give the same numbers and the same files.
 */
#ifndef COMMONS_SIM_SCHELLING_H
#define COMMONS_SIM_SCHELLING_H

#include <stdint.h>

#include "env.h"
#include "params.h"
#include "policy.h"

#define SIM_SCHELLING_GRID 10000
#define SIM_SCHELLING_MAX_FIXED (ENV_MAX_AGENTS + 2)

/* A mean over samples with its 95% Student t interval [mean - half, mean + half]. */
typedef struct SimStat {
    double mean, sd, half;
    int n;
} SimStat;

/* A fixed point of the replicator dynamics. */
typedef enum {
    SIM_FIXED_UNSTABLE = 0,
    SIM_FIXED_STABLE = 1,
    SIM_FIXED_SEMI = 2 /* x' has the same sign either side (or is zero there) */
} SimFixedKind;

typedef struct SimFixedPoint {
    double x;
    SimFixedKind kind;
} SimFixedPoint;

/* The dilemma conditions, margins as paired statistics over the seeds. */
typedef enum {
    SIM_COND_COOP_OVER_DEFECT = 0, /* R_c(N-1) - R_d(0) */
    SIM_COND_COOP_OVER_EXPLOITED,  /* R_c(N-1) - R_c(0) */
    SIM_COND_FEAR,                 /* R_d(0) - R_c(0) */
    SIM_COND_GREED,                /* R_d(N-1) - R_c(N-1) */
    SIM_COND_COUNT
} SimCondition;

/* A Schelling sweep: its settings, every episode's returns and what is derived from them. */
typedef struct SimSchelling {
    int n;         /* agents N */
    int seeds;     /* S */
    uint64_t seed; /* episode s runs with seed + s */
    int steps;     /* steps per episode (0: env.max_steps) */
    /* raw, row k = cooperators in the composition (0..N), column s = seed index */
    double *coop;   /* (N + 1, S) the cooperators' mean return; 0 where k = 0 */
    double *defect; /* (N + 1, S) the defectors' mean return; 0 where k = N */
    double *group;  /* (N + 1, S) every agent's mean return */
    /* derived by sim_schelling_analyse() */
    SimStat rc[ENV_MAX_AGENTS];         /* (N,) R_c(l) */
    SimStat rd[ENV_MAX_AGENTS];         /* (N,) R_d(l) */
    SimStat temptation[ENV_MAX_AGENTS]; /* (N,) R_d(l) - R_c(l), paired */
    SimStat grp[ENV_MAX_AGENTS + 1];    /* (N + 1,) the group's mean return by composition k */
    SimStat cond[SIM_COND_COUNT];
    int holds[SIM_COND_COUNT];                    /* 1: the mean margin is positive */
    int significant[SIM_COND_COUNT];              /* 1: its whole interval is positive */
    int dilemma;                                  /* (1) and (2) and ((3) fear or greed) hold */
    SimFixedPoint fixed[SIM_SCHELLING_MAX_FIXED]; /* ascending x */
    int n_fixed;
    int degenerate; /* 1: g vanishes on most of the grid (C and D pay alike): no interior roots */
} SimSchelling;

/* Sizes a sweep of n agents and `seeds` seeds (2..1000000). Returns 0, ENV_EINPUT with the range,
 * or ENV_ENOMEM. */
int sim_schelling_init(SimSchelling *r, int n, int seeds, uint64_t seed, int steps, EnvError *err);
void sim_schelling_close(SimSchelling *r);

/* The composition of episode s with k cooperators among n: coop (n,) gets 1 for the slots of
 * the cooperators ((s + j) mod n, j < k), 0 for the defectors. */
void sim_schelling_slots(int n, int k, int s, uint8_t *coop);

/* Which entry of each side plays each slot in episode s of composition k: entry (n,). A side
 * with pool P > 0 (a pool of policies: sim_policies_parse_pool) gives its j-th member of the
 * episode (cooperators j = 0..k-1 in slots (s + j) mod n, defectors j = 0..n-k-1 in slots
 * (s + k + j) mod n) its entry (s * members + j) mod P, so the members cycle through the pool
 * over the seeds; a side with P = 0 (a policy per slot) plays entry = slot. */
void sim_schelling_entries(int n, int k, int s, int pool_c, int pool_d, int *entry);

/* Plays every composition on every seed in world cfg (its n_agents must be r->n) and analyses
 * the result. The policies were parsed for r->n agents; cooperators play coop's entry for their
 * slot, defectors defect's. Errors: a trained policy that does not fit the world (ENV_EINPUT), or
 * memory. */
int sim_schelling_run(SimSchelling *r, const SimConfig *cfg, const SimPolicies *coop,
                      const SimPolicies *defect, EnvError *err);

/* Derives the statistics, conditions and fixed points from the raw tables (called by
 * sim_schelling_run(); tests fill the tables by hand). */
void sim_schelling_analyse(SimSchelling *r);

/* 95% two-sided Student t quantile t(0.975, df) for df >= 1 (exact table to 30, then a
 * Cornish-Fisher expansion, within 1e-4). */
double sim_t975(int df);

/* g(x) = f_C(x) - f_D(x) for n agents and payoffs rc (n,), rd (n,) over l. */
double sim_schelling_gain(int n, const double *rc, const double *rd, double x);

/* The fixed points of x' = x (1 - x) g(x) in [0, 1], ascending, into out (cap >= n + 1); returns
 * their number. *degenerate (may be NULL) is set when g vanishes on most of the grid. */
int sim_schelling_fixed_points(int n, const double *rc, const double *rd, SimFixedPoint *out,
                               int cap, int *degenerate);

/* Names for printing: "R_c(N-1) > R_d(0)" ..., "stable" ... */
const char *sim_condition_name(SimCondition c);
const char *sim_fixed_kind_name(SimFixedKind k);

/* Writes the sweep's CSV files into the existing folder dir, each atomically:
 *   schelling.csv     l, rc, rc_lo, rc_hi, rd, rd_lo, rd_hi, td, td_lo, td_hi (td = R_d - R_c)
 *   groups.csv        cooperators, group, group_lo, group_hi
 *   conditions.csv    condition, margin, lo, hi, holds, significant
 *   replicator.csv    x, f_c, f_d, xdot (101 points)
 *   fixed_points.csv  x, stability
 *   episodes.csv      cooperators, seed, slots (C/D per slot), coop, defect, group */
int sim_schelling_write_csv(const SimSchelling *r, const char *dir, EnvError *err);

/* Draws the diagram (R_c and R_d with their intervals against l) beside the replicator dynamics
 * (x' against x, stable fixed points filled, unstable open) into a PNG file at path. */
int sim_schelling_plot(const SimSchelling *r, const char *title, const char *path, EnvError *err);

#endif
