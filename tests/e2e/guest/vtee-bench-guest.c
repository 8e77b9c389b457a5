// SPDX-License-Identifier: MIT
/*
 * vtee-bench-guest: round trips as the guest sees them. A NULL invoke through
 * libteec and the OP-TEE driver (one SMC exit to the VMM and back), beside the
 * floor of an ioctl on /dev/tee0 that makes no SMC (TEE_IOC_VERSION).
 *
 * Usage: vtee-bench-guest [N]   (N timed calls of each kind, default 2000)
 *
 * Prints "BENCH <name> <median> us" lines and
 * "RATIO guest_null_invoke_vs_ioctl <x>" (median over median).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/tee.h>

#include "common.h"

struct stats {
	double median, mean, min, p99, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct stats summarize(double *us, size_t n)
{
	struct stats s = { 0 };
	double sum = 0;

	if (!n)
		return s;
	for (size_t i = 0; i < n; i++)
		sum += us[i];
	qsort(us, n, sizeof(us[0]), cmp_double);
	s.mean = sum / (double)n;
	s.median = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
	s.min = us[0];
	s.max = us[n - 1];
	s.p99 = us[(size_t)((double)(n - 1) * 0.99)];
	return s;
}

static void report(const char *name, const struct stats *s, size_t n)
{
	printf("BENCH %s %.2f us\n", name, s->median);
	note("%s: n=%zu median %.2f mean %.2f min %.2f p99 %.2f max %.2f us", name, n,
	     s->median, s->mean, s->min, s->p99, s->max);
}

int main(int argc, char **argv)
{
	size_t n = 2000, warm = 200;
	TEEC_Context ctx;
	TEEC_Session sess;
	uint32_t o = 0;
	TEEC_Result r;
	double *us;
	unsigned bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		long v = strtol(argv[1], NULL, 0);
		if (v < 10 || v > 10000000) {
			fprintf(stderr, "usage: %s [N >= 10]\n", argv[0]);
			return 2;
		}
		n = (size_t)v;
	}
	us = calloc(n, sizeof(*us));
	if (!us)
		return 2;

	r = TEEC_InitializeContext(NULL, &ctx);
	if (!check(r == TEEC_SUCCESS, "InitializeContext (%s)", RES(r, TEEC_ORIGIN_API)))
		return finish();
	r = open_ta(&ctx, &sess, &o);
	if (!check(r == TEEC_SUCCESS, "OpenSession (%s)", RES(r, o))) {
		TEEC_FinalizeContext(&ctx);
		return finish();
	}

	/* NULL invokes. */
	bad = 0;
	for (size_t i = 0; i < warm; i++)
		if (TEEC_InvokeCommand(&sess, TA_CMD_NULL, NULL, &o) != TEEC_SUCCESS)
			bad++;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = mono_ns();
		r = TEEC_InvokeCommand(&sess, TA_CMD_NULL, NULL, &o);
		us[i] = (mono_ns() - t0) / 1e3;
		if (r != TEEC_SUCCESS)
			bad++;
	}
	struct stats sn = summarize(us, n);
	check(bad == 0, "%zu NULL invokes (+%zu warm-up): %u failed", n, warm, bad);

	/* The floor: an ioctl on /dev/tee0 that does not leave the guest. */
	struct stats sf = { 0 };
	int fd = open("/dev/tee0", O_RDWR);
	if (check(fd >= 0, "open /dev/tee0 for the ioctl floor%s%s", fd < 0 ? ": " : "",
		  fd < 0 ? strerror(errno) : "")) {
		struct tee_ioctl_version_data v;

		bad = 0;
		for (size_t i = 0; i < warm; i++)
			if (ioctl(fd, TEE_IOC_VERSION, &v))
				bad++;
		for (size_t i = 0; i < n; i++) {
			uint64_t t0 = mono_ns();
			int rc = ioctl(fd, TEE_IOC_VERSION, &v);
			us[i] = (mono_ns() - t0) / 1e3;
			if (rc)
				bad++;
		}
		sf = summarize(us, n);
		check(bad == 0, "%zu TEE_IOC_VERSION ioctls: %u failed (impl_id %u gen_caps 0x%x)",
		      n, bad, v.impl_id, v.gen_caps);
		close(fd);
	}

	/* Beside them: a 4 KiB temporary memref, and opening+closing a session. */
	uint8_t *buf = malloc(4096);
	struct stats sm = { 0 }, ss = { 0 };
	size_t nm = n, ns = n / 10 ? n / 10 : 1;
	if (buf) {
		TEEC_Operation op;

		pattern(buf, 4096, 4096);
		bad = 0;
		for (size_t i = 0; i < nm; i++) {
			memset(&op, 0, sizeof(op));
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_NONE,
							 TEEC_NONE, TEEC_NONE);
			op.params[0].tmpref.buffer = buf;
			op.params[0].tmpref.size = 4096;
			uint64_t t0 = mono_ns();
			r = TEEC_InvokeCommand(&sess, TA_CMD_REVERSE, &op, &o);
			us[i] = (mono_ns() - t0) / 1e3;
			if (r != TEEC_SUCCESS)
				bad++;
		}
		sm = summarize(us, nm);
		check(bad == 0, "%zu REVERSE 4 KiB tmpref invokes: %u failed", nm, bad);
		free(buf);
	}
	bad = 0;
	for (size_t i = 0; i < ns; i++) {
		TEEC_Session t;
		uint64_t t0 = mono_ns();
		r = open_ta(&ctx, &t, &o);
		if (r == TEEC_SUCCESS)
			TEEC_CloseSession(&t);
		us[i] = (mono_ns() - t0) / 1e3;
		if (r != TEEC_SUCCESS)
			bad++;
	}
	ss = summarize(us, ns);
	check(bad == 0, "%zu session open+close: %u failed", ns, bad);

	report("guest_null_invoke", &sn, n);
	if (sf.median > 0)
		report("guest_ioctl_floor", &sf, n);
	if (sm.median > 0)
		report("guest_invoke_tmpref_4k", &sm, nm);
	report("guest_session_open_close", &ss, ns);
	if (sf.median > 0)
		printf("RATIO guest_null_invoke_vs_ioctl %.2f\n", sn.median / sf.median);

	TEEC_CloseSession(&sess);
	TEEC_FinalizeContext(&ctx);
	free(us);
	return finish();
}
