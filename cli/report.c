/* report.c: per-episode output shared by run and replay (see report.h). */
#include <stdio.h>

#include "report.h"

void cli_restraint_text(double r, int json, char *buf, size_t n) {
    if (r < 0)
        snprintf(buf, n, "%s", json ? "null" : "n/a");
    else
        snprintf(buf, n, "%.4f", r);
}

void cli_print_social_json(const EnvSocial *s) {
    char r[32];
    cli_restraint_text(s->restraint, 1, r, sizeof r);
    printf("\"efficiency\": %.6f, \"equality\": %.6f, \"sustainability\": %.4f, \"peace\": %.4f, "
           "\"restraint\": %s, \"beams\": %.4f",
           s->efficiency, s->equality, s->sustainability, s->peace, r, s->beams);
}

void cli_print_table_header(void) {
    printf("%7s %10s %9s %14s %8s %9s  %s\n", "episode", "efficiency", "equality", "sustainability",
           "peace", "restraint", "returns");
}

void cli_print_episode(const SimResult *ep, int n_agents, int ocean, int json, int last) {
    if (json) {
        printf("  {\"episode\": %d, ", ep->episode);
        cli_print_social_json(&ep->social);
        printf(", \"returns\": [");
        for (int i = 0; i < n_agents; i++) printf("%s%lld", i ? ", " : "", (long long)ep->ret[i]);
        if (ep->restraint[0] >= 0) {
            printf("], \"restraints\": [");
            for (int i = 0; i < n_agents; i++) printf("%s%.4f", i ? ", " : "", ep->restraint[i]);
        }
        if (ocean)
            printf("], \"plastic\": {\"spawned\": %lld, \"collected\": %lld, \"beached\": "
                   "%lld, \"afloat\": %lld}, \"signals\": %lld",
                   (long long)ep->spawned, (long long)ep->collected, (long long)ep->beached,
                   (long long)ep->afloat, (long long)ep->signals);
        else
            printf("]");
        printf(", \"hash\": \"%016llx\"}%s\n", (unsigned long long)ep->hash, last ? "" : ",");
        return;
    }
    char r[32];
    cli_restraint_text(ep->social.restraint, 0, r, sizeof r);
    printf("%7d %10.3f %9.3f %14.1f %8.3f %9s ", ep->episode, ep->social.efficiency,
           ep->social.equality, ep->social.sustainability, ep->social.peace, r);
    for (int i = 0; i < n_agents; i++) printf(" %lld", (long long)ep->ret[i]);
    printf("\n");
    if (ep->restraint[0] >= 0) {
        printf("%7s restraint per agent:", "");
        for (int i = 0; i < n_agents; i++) printf(" %.3f", ep->restraint[i]);
        printf("; %d steps\n", ep->steps);
    }
    if (ocean)
        printf("%7s plastic: spawned %lld, collected %lld, beached %lld, afloat %lld; signals "
               "sent %lld\n",
               "", (long long)ep->spawned, (long long)ep->collected, (long long)ep->beached,
               (long long)ep->afloat, (long long)ep->signals);
}

void cli_mean_add(EnvSocial *mean, const EnvSocial *s, long long count) {
    mean->efficiency += s->efficiency / (double)count;
    mean->equality += s->equality / (double)count;
    mean->sustainability += s->sustainability / (double)count;
    mean->peace += s->peace / (double)count;
    mean->restraint += s->restraint / (double)count;
    mean->beams += s->beams / (double)count;
}

void cli_print_mean(const EnvSocial *mean, uint64_t final_hash, int json) {
    if (json) {
        printf(" ],\n \"mean\": {");
        cli_print_social_json(mean);
        printf("},\n \"final_hash\": \"%016llx\"}\n", (unsigned long long)final_hash);
    } else {
        char r[32];
        cli_restraint_text(mean->restraint, 0, r, sizeof r);
        printf("%7s %10.3f %9.3f %14.1f %8.3f %9s\n", "mean", mean->efficiency, mean->equality,
               mean->sustainability, mean->peace, r);
        printf("final state hash %016llx\n", (unsigned long long)final_hash);
    }
}
