/* report.h: the per-episode lines that `commons run` and `commons replay` print, as a table or
 * as JSON, so that a replay's output can be compared with its run's byte for byte. */
#ifndef COMMONS_REPORT_H
#define COMMONS_REPORT_H

#include <stddef.h>

#include "episode.h"

/* A restraint as text: "0.2500", or "n/a" (JSON: null) in a game without a wait action. */
void cli_restraint_text(double r, int json, char *buf, size_t n);
/* The social metrics as JSON members (no braces); restraint null in a game without waiting. */
void cli_print_social_json(const EnvSocial *s);
/* The table's column names (run and replay). */
void cli_print_table_header(void);
/* One episode: a table row (and a line of each agent's restraint in a game with a wait action, a
 * plastic line in the ocean), or a JSON object ("restraints" per agent where there is a wait
 * action) followed by "," unless it is the last. */
void cli_print_episode(const SimResult *ep, int n_agents, int ocean, int json, int last);
/* Adds an episode's metrics to a running mean over `count` episodes. */
void cli_mean_add(EnvSocial *mean, const EnvSocial *s, long long count);
/* The closing lines: the mean row and the final state hash (JSON: "mean" and "final_hash"). */
void cli_print_mean(const EnvSocial *mean, uint64_t final_hash, int json);

#endif
