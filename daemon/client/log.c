// SPDX-License-Identifier: MIT
/* libvteed's log: one function for the whole library, set by the embedder (vtee/vteed.h). */
#include "client.h"

#include <stdio.h>

#include "vtee/vtee.h"

/* Set before the library runs (vteed_set_log's contract), read on any thread. */
static _Atomic(vteed_log_fn) sink_fn;
static void *_Atomic sink_ctx;

void vteed_set_log(vteed_log_fn fn, void *ctx)
{
	atomic_store(&sink_ctx, ctx);
	atomic_store(&sink_fn, fn);
}

void vteed_client_log(int level, const char *fmt, ...)
{
	vteed_log_fn fn = atomic_load(&sink_fn);
	if (!fn)
		return; /* nobody listens: the line is not even formatted */
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(atomic_load(&sink_ctx), level, line);
}

void vteed_log_to_fd(void *ctx, int level, const char *line)
{
	/* libvtee's writer: the line and its newline in one write(2) */
	vtee_log_to_fd(ctx, (enum vtee_log_level)level, line);
}
