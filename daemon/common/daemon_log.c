// SPDX-License-Identifier: MIT
/* The daemons' log (daemon_log.h). */
#include "daemon_log.h"

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
static char log_program[24] = "vteed";
static char log_label[40];
static bool have_label;

void vteed_log_init(const char *program, const char *label)
{
	snprintf(log_program, sizeof(log_program), "%s", program);
	vteed_log_set_name(label);
}

void vteed_log_set_name(const char *label)
{
	have_label = label != NULL;
	snprintf(log_label, sizeof(log_label), "%s", label ? label : "");
}

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

static void emit(const char *label, enum vteed_log_prio prio, const char *msg)
{
	char line[640];
	if (log_fd >= 0) {
		/* RFC 3164 without a timestamp: journald and rsyslog add their own */
		int n = label ? snprintf(line, sizeof(line), "<%d>%s[%d]: [%s] %s", LOG_FACILITY_DAEMON | (int)prio,
					 log_program, (int)getpid(), label, msg)
			      : snprintf(line, sizeof(line), "<%d>%s[%d]: %s", LOG_FACILITY_DAEMON | (int)prio,
					 log_program, (int)getpid(), msg);
		if (n > 0 && send(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
				  MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return;
	}
	int n = label ? snprintf(line, sizeof(line), "%s[%s]: %s\n", log_program, label, msg)
		      : snprintf(line, sizeof(line), "%s: %s\n", log_program, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* one write: lines from several threads or processes never interleave */
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

/* label NULL or empty: the VM's name, if one was set */
static void vlog(const char *label, enum vteed_log_prio prio, const char *fmt, va_list ap)
{
	if (prio > log_max)
		return;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(label && label[0] ? label : have_label ? log_label : NULL, prio, msg);
}

void vteed_log(enum vteed_log_prio prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, prio, fmt, ap);
	va_end(ap);
}

void vteed_log_as(const char *label, enum vteed_log_prio prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(label, prio, fmt, ap);
	va_end(ap);
}
