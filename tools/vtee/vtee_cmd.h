/* SPDX-License-Identifier: MIT */
/* Subcommands of the vtee tool that live in their own files. */
#ifndef VTEE_CMD_H
#define VTEE_CMD_H

int status_main(int argc, char **argv);

#endif
