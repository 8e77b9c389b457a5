/* SPDX-License-Identifier: MIT */
/* The vtee command's subcommands (one file each) and what they share. */
#ifndef VTEE_CMD_H
#define VTEE_CMD_H

#include <stdbool.h>
#include <stdio.h>

/* Each gets the whole command line (argv[1] is its name) and returns the exit status. */
int demo_main(int argc, char **argv);   /* demo.c */
int run_main(int argc, char **argv);    /* run.c */
int status_main(int argc, char **argv); /* status.c */
int state_main(int argc, char **argv);  /* state.c */

/*
 * Where a VM's storage is (state.c): the paths given (NULL: the default,
 * under $XDG_CACHE_HOME/vtee or ~/.cache/vtee: state/<vm>, anchors/, and
 * the host key $CREDENTIALS_DIRECTORY/vtee-host-key or host.key).
 */
struct state_paths {
	const char *state_dir, *anchor_dir, *host_key;
	char *own_state, *own_anchor, *own_key; /* what fill allocated */
};
int state_paths_fill(struct state_paths *p, const char *vm); /* 0 or -ENOMEM */
void state_paths_free(struct state_paths *p);
bool state_vm_name_ok(const char *vm);

/* The usage text of every subcommand. */
void vtee_usage(FILE *f);

/*
 * The command's one logging helper: "<who>: <message>" on stderr, in one
 * write (who: "vtee", "vtee status"). `vtee run`'s own lines are the board
 * launcher's (board/launch_int.h: lmsg).
 */
void cmd_log(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
