/* SPDX-License-Identifier: MIT */
/*
 * The daemons' log (vteed, vtee-tee, vtee-served): one line per event, each
 * sent in one write, to stderr or to the system log (syslog/journald through
 * /dev/log). A line carries the program's name and a label (vteed: its VM's
 * name; vtee-tee: the VM a line is about):
 *
 *   stderr:  "PROGRAM[LABEL]: message"      or "PROGRAM: message" without a label
 *   syslog:  "<PRI>PROGRAM[PID]: [LABEL] message"
 *
 * The log socket is connected before the sandbox and never reconnected,
 * because the sandbox forbids socket() and connect(): if the log daemon goes
 * away, lines go to stderr instead.
 */
#ifndef VTEED_DAEMON_LOG_H
#define VTEED_DAEMON_LOG_H

#include <stdbool.h>

enum vteed_log_prio { VLOG_ERR = 3, VLOG_WARNING = 4, VLOG_INFO = 6, VLOG_DEBUG = 7 };

/* The program's name, and the label of every line until vteed_log_set_name() (NULL: none). */
void vteed_log_init(const char *program, const char *label);
/* Log to syslog (true) or stderr; lines above max_prio are dropped. 0 or -errno (then: stderr). */
int vteed_log_open(bool syslog, enum vteed_log_prio max_prio);
/* The label from now on (vteed: its VM's name, once HELLO named it). Before any other thread logs. */
void vteed_log_set_name(const char *label);
void vteed_log(enum vteed_log_prio prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line with its own label (NULL or "": the default one). */
void vteed_log_as(const char *label, enum vteed_log_prio prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
