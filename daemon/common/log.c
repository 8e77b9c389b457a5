// SPDX-License-Identifier: MIT
/* vteed's log (log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_FACILITY_DAEMON (3 << 3)

static int log_fd = -1; /* connected datagram socket to /dev/log, or -1: stderr */
static enum vteed_log_prio log_max = VLOG_INFO;
static char log_name[40] = "?";

int vteed_log_open(bool use_syslog, enum vteed_log_prio max_prio)
{
	log_max = max_prio;
	if (!use_syslog)
		return 0;
	/* $VTEED_SYSLOG_SOCKET: another log socket (tests, containers without /dev/log) */
	const char *path = getenv("VTEED_SYSLOG_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path && *path ? path : "/dev/log");
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	log_fd = fd;
	return 0;
}

void vteed_log_set_name(const char *vm_name)
{
	snprintf(log_name, sizeof(log_name), "%s", vm_name);
}

void vteed_log(enum vteed_log_prio prio, const char *fmt, ...)
{
	if (prio > log_max)
		return;
	char msg[512], line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_fd >= 0) {
		/* RFC 3164 without a timestamp: journald and rsyslog add their own */
		int n = snprintf(line, sizeof(line), "<%d>vteed[%d]: [%s] %s", LOG_FACILITY_DAEMON | (int)prio,
				 (int)getpid(), log_name, msg);
		if (n > 0 && send(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
				  MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return;
	}
	fprintf(stderr, "vteed[%s]: %s\n", log_name, msg);
}
