/* SPDX-License-Identifier: MIT */
/* The vtee command's subcommands (one file each) and what they share. */
#ifndef VTEE_CMD_H
#define VTEE_CMD_H

#include <stdio.h>

/* Each gets the whole command line (argv[1] is its name) and returns the exit status. */
int demo_main(int argc, char **argv);   /* demo.c */
int run_main(int argc, char **argv);    /* run.c */
int status_main(int argc, char **argv); /* status.c */

/* The usage text of every subcommand. */
void vtee_usage(FILE *f);

/*
 * The command's one logging helper: "<who>: <message>" on stderr, in one
 * write (who: "vtee", "vtee status"). `vtee run`'s own lines are the board
 * launcher's (board/launch_int.h: lmsg).
 */
void cmd_log(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
