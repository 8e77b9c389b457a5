/* SPDX-License-Identifier: MIT */
/*
 * vteed's log: one line per event, the VM's name on each, to stderr or to
 * the system log (syslog/journald through /dev/log). The log socket is
 * connected before the sandbox and never reconnected, because the sandbox
 * forbids socket() and connect(): if the log daemon goes away, lines go to
 * stderr instead.
 */
#ifndef VTEED_LOG_H
#define VTEED_LOG_H

#include <stdbool.h>

enum vteed_log_prio { VLOG_ERR = 3, VLOG_WARNING = 4, VLOG_INFO = 6, VLOG_DEBUG = 7 };

/* Log to syslog (true) or stderr; lines above max_prio are dropped. Returns 0 or -errno. */
int vteed_log_open(bool syslog, enum vteed_log_prio max_prio);
void vteed_log_set_name(const char *vm_name);
void vteed_log(enum vteed_log_prio prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
