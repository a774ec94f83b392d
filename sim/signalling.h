/* signalling.h: does a learned protocol mean something? Measures of positive signalling and
 * positive listening over the states trained agents visit in an episode (SimEpisode), after
 * Lowe et al. (2019), "On the pitfalls of measuring emergent communication".
 *
 * Definitions (README, "Measuring a learned protocol"):
 * - resource in view: the vessel's observation window (view_ahead, view_side, view_behind, as
 *   env_observe_naive maps it to world cells, the agent's own cell included) holds a cell with
 *   plastic units > 0 (ocean); in the apple games, a cell whose id is an apple (ENV_ID_APPLE).
 * - positive signalling, per signal bit b: the plug-in mutual information in bits
 *   I(B; V) = sum_{v,b} p(v,b) log2(p(v,b) / (p(v) p(b))) of the pooled contingency table of
 *   (resource in view at step t, bit b emitted at step t) over every step, trained agent and
 *   episode; with P(b = 1 | V = 1) and P(b = 1 | V = 0).
 * - positive listening: at every visited state of a trained agent i that hears at least one
 *   neighbour, the divergence between its head-0 (move) distribution pi(. | real input) and
 *   pi(. | intervened input), where the intervention flips the bits every agent was heard to send
 *   (the GNN's `sent`, and the message floats, recomputed by comm_channel_receive over the same
 *   graph and positions from the flipped bits; the world's own features are left alone). For a
 *   GNN policy the whole world is recomputed with every heard bit flipped, so an agent's hidden
 *   state also feels its neighbours' flipped inputs over the rounds; in differentiable mode the
 *   bits the GNN makes within the step are not intervened on (only the channel's). Reported as the
 *   mean Jensen-Shannon divergence in bits (symmetric, in [0, 1]) and the mean
 *   KL(pi_real || pi_flipped) in nats, over those states.
 *
 * Contract: the pure functions allocate nothing; SimSignalling allocates once at init. Everything
 * is deterministic: measuring draws no random number and leaves the episode's streams alone, so an
 * episode measured steps exactly as one not measured.
 */
#ifndef COMMONS_SIM_SIGNALLING_H
#define COMMONS_SIM_SIGNALLING_H

#include "episode.h"

/* Plug-in mutual information in bits of a contingency table count (nx, ny), row-major; 0 for an
 * empty table. */
double sim_mutual_information(const int64_t *count, int nx, int ny);

/* KL(p || q) in nats of two distributions over n values (terms with p = 0 count 0; q = 0 where
 * p > 0 gives +inf). */
double sim_kl(const double *p, const double *q, int n);

/* Jensen-Shannon divergence in bits: (KL(p || m) + KL(q || m)) / 2 / ln 2, m = (p + q) / 2. */
double sim_js(const double *p, const double *q, int n);

/* 1 when agent i of world w sees a resource (see the top of this file). */
int sim_resource_in_view(const EnvWorld *w, int agent);

/* The intervention of positive listening: heard (n, bits) bits as heard now -> flipped (n, bits)
 * with every bit flipped, and msg (n, comm_message_size(bits, slots)) the messages every agent
 * would have received from them over the session's graph at its positions now. */
void sim_flip_heard(const CommSession *s, uint8_t *flipped, float *msg);

/* What the measures pool: sums over steps, trained agents and episodes (add them up over
 * episodes with sim_signal_stats_add). */
typedef struct SimSignalStats {
    int64_t count[ENV_MAX_SIGNAL_BITS][2][2]; /* [bit][resource in view][bit emitted] */
    double js_sum, kl_sum;                    /* over listening states */
    int64_t n_listen;                         /* trained agent-steps with a neighbour */
    int64_t n_steps;                          /* trained agent-steps */
} SimSignalStats;

void sim_signal_stats_add(SimSignalStats *to, const SimSignalStats *from);

/* A measurer's buffers for one episode's world. */
typedef struct SimSignalling {
    int n_bits, msg_size, n_float;
    uint8_t *flipped; /* (A, B) */
    float *msg;       /* (A, msg_size) the flipped messages */
    float *x;         /* (A, n_float) the intervened float input */
    float *sent;      /* (A, B) the flipped bits as floats */
    double *real;     /* (A, head 0 size) the real head-0 distributions */
    double *flip;     /* (A, head 0 size) the intervened ones (in real's allocation) */
} SimSignalling;

/* Sizes the buffers for an episode whose trained policies are set (sim_episode_set_learned). */
int sim_signalling_init(SimSignalling *m, const SimEpisode *e, EnvError *err);
void sim_signalling_close(SimSignalling *m);

/* Measures the state now, after sim_episode_act() chose e->actions and e->bits and before
 * sim_episode_step() takes them: adds into st. Uses the trained policies' inference buffers
 * (the episode recomputes them at its next act). A world without communication adds only
 * n_steps and the signalling counts of its bits (none). */
void sim_signalling_measure(SimSignalling *m, SimEpisode *e, SimSignalStats *st);

#endif
