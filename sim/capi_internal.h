/* capi_internal.h: helpers shared by the files of the C API (capi.c, capi_env.c,
 * capi_policy.c); not installed, not part of the API. */
#ifndef COMMONS_CAPI_INTERNAL_H
#define COMMONS_CAPI_INTERNAL_H

#include "commons.h"
#include "env.h"
#include "episode.h"
#include "params.h"

/* The params behind a handle. */
const SimParams *capi_params(const CommonsParams *p);
/* Copies err's message into out (when not NULL) with code rc; returns rc. */
int capi_fail(CommonsError *out, const EnvError *err, int rc);
/* A message of our own with code; returns code. */
int capi_error(CommonsError *out, int code, const char *msg);
/* The API's spec from a world's spec, its comm settings (or NULL) and message size. */
void capi_spec(const EnvSpec *s, const CommParams *comm, int msg_size, int game, CommonsSpec *out);
/* Checks actions (n,) of act_bytes (4 or 8) each against 0..n_actions-1, copying them into act
 * (n,) int32, and bits (nb,) (NULL: none) against 0/1; n_agents names rows in messages. */
int capi_check_actions(const void *actions, int act_bytes, size_t n, int n_actions, int32_t *act,
                       const uint8_t *bits, size_t nb, int n_agents, CommonsError *err);
/* A result from an episode's metrics (returns, social metrics, steps); the rest zero. */
void capi_result_from_metrics(const EnvMetrics *m, int64_t episode, CommonsResult *out);
/* A result from the episode stepper's. */
void capi_result_from_sim(const SimResult *r, CommonsResult *out);

#endif
