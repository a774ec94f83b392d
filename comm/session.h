/* session.h: a world's communication, as the config asks for it (comm.*, rewards.*).
 *
 * Contract: one session per world, sized once from the config; no allocation afterwards. Each
 * step, in this order:
 *   1. comm_session_observe(): rebuild the graph from the agents' positions now (tagged-out
 *      agents take no part) and receive the bits emitted at the previous step into msg;
 *   2. the agents act: a move, plus `bits` signal bits each;
 *   3. env_step(), then comm_session_emit() with this step's bits.
 * So bits emitted at step t reach the neighbours at step t + 1. comm_session_reset() at every
 * episode start clears the channel and the reward traces. Learning rewards may be shared over
 * the same graph (rewards.share), after Pretorius et al. (2020), and made inequity averse
 * (rewards.inequity, Hughes et al. 2018); the social metrics always use the world's own rewards.
 * A world that only shapes rewards (no topology, no signal bits) has a session with no messages
 * (msg_size 0).
 */
#ifndef COMMONS_SESSION_H
#define COMMONS_SESSION_H

#include "comm.h"

typedef struct CommSession {
    CommTopology topology;
    int param; /* radius or k */
    int n, bits, slots;
    int msg_size; /* floats per agent: comm_message_size(bits, slots) */
    float scale;  /* offsets in messages are divided by max(map height, width) */
    CommShare share;
    float alpha;
    int inequity; /* 1: inequity-averse rewards */
    float ia_alpha, ia_beta, ia_decay;
    float trace[ENV_MAX_AGENTS]; /* (n,) smoothed rewards this episode (inequity) */
    CommGraph graph;
    CommChannel channel;
    int32_t row[ENV_MAX_AGENTS], col[ENV_MAX_AGENTS]; /* (n,) positions at the last observe */
    uint8_t active[ENV_MAX_AGENTS];                   /* (n,) not tagged out */
    float *msg;                                       /* (n, msg_size) received messages */
} CommSession;

/* Sizes the session for a world's config (agents, map size) and comm settings. Returns 0, or
 * ENV_ENOMEM. */
int comm_session_init(CommSession *s, const EnvConfig *cfg, const CommParams *p, EnvError *err);
void comm_session_close(CommSession *s);
/* 1 when the settings ask for communication: a topology or signal bits. */
int comm_params_communicates(const CommParams *p);
/* 1 when a world needs a session: it communicates, shares rewards or is inequity averse. */
int comm_session_wanted(const CommParams *p);
void comm_session_reset(CommSession *s);
void comm_session_observe(CommSession *s, const EnvWorld *w);
/* bits (n, bits): 0 or 1 */
void comm_session_emit(CommSession *s, const uint8_t *bits);
/* Points a view at the received messages (msg, msg_size, n_bits, msg_scale). */
void comm_session_view(const CommSession *s, EnvView *v);
/* Learning rewards r (n,) -> out (n,): own, own + alpha * neighbours', or the global sum; then,
 * with rewards.inequity, minus envy and guilt over the episode's reward traces of r (which this
 * call updates: call it once per step). out must not overlap r. */
void comm_session_rewards(CommSession *s, const float *r, float *out);

#endif
