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
 *
 * Hearing (an evaluation-time ablation; the world's own dynamics never change): what the agents
 * hear at step 1 is the channel's sent bits passed through the session's hearing mode:
 *   intact   the bits as sent;
 *   zero     every bit 0 (messages and the GNN's `sent` alike);
 *   shuffle  the sent rows permuted between agents: agent i's slot carries the bits agent p(i)
 *            sent, p a uniform permutation of 0..n-1 (Fisher-Yates from the end, j drawn with
 *            env_rng_below) from the stream env_hash4(world seed, world index, episode,
 *            COMM_STREAM_SHUFFLE << 32 | tick), so the multiset of sent bit rows is kept and the
 *            same (seed, world, episode, step) always gives the same permutation.
 * The heard bits live in their own buffer: observing twice at one step hears the same bits.
 */
#ifndef COMMONS_SESSION_H
#define COMMONS_SESSION_H

#include "comm.h"

/* What agents hear (see the top of this file). */
typedef enum { COMM_HEAR_INTACT = 0, COMM_HEAR_ZERO, COMM_HEAR_SHUFFLE, COMM_HEAR_COUNT } CommHear;
#define COMM_HEAR_CHOICES "intact zero shuffle"
/* the stream purpose of the shuffle permutation (apart from env's 1..5 and agents' 0x11..0x15) */
#define COMM_STREAM_SHUFFLE 0x21

/* Returns the name of a hearing mode ("intact", "zero", "shuffle"), or "?". */
const char *comm_hear_name(CommHear h);
/* Parses a hearing mode name; ENV_EINPUT names the bad value and the choices. */
int comm_hear_parse(const char *name, CommHear *out, EnvError *err);
/* The permutation of the shuffle mode for n agents at one step, into perm (n,). */
void comm_hear_permutation(uint64_t seed, uint64_t world, uint64_t episode, int32_t tick, int n,
                           int32_t *perm);

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
    CommHear hear;                                    /* intact unless an ablation asks */
    uint8_t *heard; /* (n, bits) the bits heard at the last observe (hear applied to sent) */
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
/* Sets what agents hear from the next observe on (intact after init). */
void comm_session_set_hear(CommSession *s, CommHear h);
/* The bits heard now as a channel (its sent is s->heard), for comm_channel_receive. */
CommChannel comm_session_heard(const CommSession *s);
void comm_session_observe(CommSession *s, const EnvWorld *w);
/* bits (n, bits): 0 or 1 */
void comm_session_emit(CommSession *s, const uint8_t *bits);
/* Points a view at the received messages (msg, msg_size, n_bits, msg_scale). */
void comm_session_view(const CommSession *s, EnvView *v);
/* The session's graph and signals as they stand (after comm_session_observe), in compact
 * caller-owned arrays: row (n + 1,) and col (n (n - 1),) the graph's CSR, pos (n, 2) each agent's
 * (row, col) divided by the message scale, sent (n, bits) the bits each agent sent at the
 * previous step, as heard (what its neighbours hear now), as 0/1 floats. */
void comm_session_snapshot(const CommSession *s, int32_t *row, int32_t *col, float *pos,
                           float *sent);
/* Learning rewards r (n,) -> out (n,): own, own + alpha * neighbours', or the global sum; then,
 * with rewards.inequity, minus envy and guilt over the episode's reward traces of r (which this
 * call updates: call it once per step). out must not overlap r. */
void comm_session_rewards(CommSession *s, const float *r, float *out);

#endif
