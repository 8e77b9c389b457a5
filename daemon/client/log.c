// SPDX-License-Identifier: MIT
/* libvteed's log: one callback for the whole library, set by the embedder (vtee/vteed.h). */
#include "client.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static vteed_log_fn sink_fn;
static void *sink_ctx;

void vteed_set_log(vteed_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&sink_lock);
	sink_fn = fn;
	sink_ctx = ctx;
	pthread_mutex_unlock(&sink_lock);
}

void vteed_client_log(int level, const char *fmt, ...)
{
	/* a function and its context are read as a pair; lines are rare, the lock is cheap */
	pthread_mutex_lock(&sink_lock);
	vteed_log_fn fn = sink_fn;
	void *ctx = sink_ctx;
	pthread_mutex_unlock(&sink_lock);
	if (!fn)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(ctx, level, line);
}

void vteed_log_to_fd(void *ctx, int level, const char *line)
{
	(void)level;
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	/* one write: lines from several threads or processes never interleave */
	ssize_t w = write((int)(intptr_t)ctx, buf, (size_t)n);
	(void)w;
}
