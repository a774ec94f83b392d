/* report.h: the per-episode lines that `commons run` and `commons replay` print, as a table or
 * as JSON, so that a replay's output can be compared with its run's byte for byte. */
#ifndef COMMONS_REPORT_H
#define COMMONS_REPORT_H

#include "episode.h"

/* The social metrics as JSON members (no braces). */
void cli_print_social_json(const EnvSocial *s);
/* One episode: a table row (and a plastic line in the ocean), or a JSON object followed by ","
 * unless it is the last. */
void cli_print_episode(const SimResult *ep, int n_agents, int ocean, int json, int last);
/* Adds an episode's metrics to a running mean over `count` episodes. */
void cli_mean_add(EnvSocial *mean, const EnvSocial *s, long long count);
/* The closing lines: the mean row and the final state hash (JSON: "mean" and "final_hash"). */
void cli_print_mean(const EnvSocial *mean, uint64_t final_hash, int json);

#endif
