/* commands.h: the commands of the commons tool; main.c dispatches to them. Those that take a
 * SimDist spread their work over the processes of an MPI launch (one process without one) and
 * print what one process prints, from rank 0. */
#ifndef COMMONS_COMMANDS_H
#define COMMONS_COMMANDS_H

#include "dist.h"

int cli_cmd_run(SimDist *d, int argc, char **argv);
int cli_cmd_compare(SimDist *d, int argc, char **argv);
int cli_cmd_bench(SimDist *d, int argc, char **argv);
int cli_cmd_maps(int argc, char **argv);
int cli_cmd_train(SimDist *d, int argc, char **argv);
int cli_cmd_eval(SimDist *d, int argc, char **argv);
int cli_cmd_watch(int argc, char **argv);
int cli_cmd_replay(int argc, char **argv);
int cli_cmd_schelling(int argc, char **argv);

#endif
