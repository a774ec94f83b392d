/* commands.h: the commands of the commons tool; main.c dispatches to them. */
#ifndef COMMONS_COMMANDS_H
#define COMMONS_COMMANDS_H

int cli_cmd_run(int argc, char **argv);
int cli_cmd_compare(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);
int cli_cmd_maps(int argc, char **argv);
int cli_cmd_train(int argc, char **argv);
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_watch(int argc, char **argv);
int cli_cmd_replay(int argc, char **argv);

#endif
