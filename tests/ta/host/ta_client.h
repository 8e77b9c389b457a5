/* SPDX-License-Identifier: MIT */
/*
 * What the clients of the in-tree test TAs share (built for the guest
 * against the real libteec, and natively against teec_model): running a
 * report command (report_proto.h) and turning its lines into checks, and a
 * thread that keeps asking to cancel an operation until told to stop.
 * Header-only: each client is one compile.
 */
#ifndef VTEE_TA_CLIENT_H
#define VTEE_TA_CLIENT_H

#include <stdatomic.h>
#include <stdlib.h>

#include "report.h"
#include "report_proto.h"

/*
 * Invokes report command cmd on sess ([2] = *extra of type extra_type, written
 * back); every line becomes a check named "<family>: <line>". Returns the
 * TEE result (and origin).
 */
static inline TEEC_Result run_report(TEEC_Session *sess, const char *family, uint32_t cmd,
				     uint32_t extra_type, TEEC_Parameter *extra,
				     uint32_t *origin_out)
{
	static char text[TA_REPORT_MAX + 1];
	unsigned pass = 0, fail = 0;
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 extra ? extra_type : TEEC_NONE, TEEC_NONE);
	op.params[1].tmpref.buffer = text;
	op.params[1].tmpref.size = TA_REPORT_MAX;
	if (extra)
		op.params[2] = *extra;
	res = TEEC_InvokeCommand(sess, cmd, &op, &origin);
	if (origin_out)
		*origin_out = origin;
	if (extra)
		*extra = op.params[2];
	if (!check(res == TEEC_SUCCESS, "%s: the command ran (%s)", family, RES(res, origin)))
		return res;
	text[op.params[1].tmpref.size < TA_REPORT_MAX ? op.params[1].tmpref.size : TA_REPORT_MAX] = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		bool ok = !strncmp(line, "PASS ", 5);

		pass += ok;
		fail += !ok;
		check(ok, "%s: %s", family, line + (strlen(line) > 5 ? 5 : 0));
	}
	check(pass + fail == op.params[0].value.a && fail == op.params[0].value.b &&
	      pass + fail > 0, "%s: %u lines for the %u checks the TA counted (%u failed)",
	      family, pass + fail, op.params[0].value.a, op.params[0].value.b);
	return res;
}

/* Asks to cancel op every 100 ms, from after_ms on, until canceller_stop(). */
struct canceller {
	TEEC_Operation *op;
	unsigned after_ms;
	atomic_bool stop;
	pthread_t thread;
};

static inline void *canceller_main(void *arg)
{
	struct canceller *c = arg;

	sleep_ms(c->after_ms);
	while (!atomic_load(&c->stop)) {
		TEEC_RequestCancellation(c->op);
		sleep_ms(100);
	}
	return NULL;
}

static inline bool canceller_start(struct canceller *c, TEEC_Operation *op, unsigned after_ms)
{
	c->op = op;
	c->after_ms = after_ms;
	atomic_store(&c->stop, false);
	return pthread_create(&c->thread, NULL, canceller_main, c) == 0;
}

static inline void canceller_stop(struct canceller *c)
{
	atomic_store(&c->stop, true);
	pthread_join(c->thread, NULL);
}

static inline uint64_t ms_since(uint64_t start_ns)
{
	return (mono_ns() - start_ns) / 1000000u;
}

#endif
