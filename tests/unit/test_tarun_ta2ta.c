/* libvtee_ta, TA-to-TA sessions with OP-TEE's memref rules: private buffers reach the callee
 * as copies (OUTPUT ones zeroed) and come back up to the size the callee returned; the callee's
 * size comes back whatever it is; the current call's client buffers are forwarded as they are,
 * only with the access the client granted (else the caller panics); the results an invoke may
 * return; session handles; the GP 1.1 twins. The callee is the fake host's (tarun_fake_host.c). */
#include "tarun_fake_host.h"
#include "../check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const TEE_UUID dest = { 1, 2, 3, { 4, 5, 6, 7, 8, 9, 10, 11 } };

#define IN TEE_PARAM_TYPE_MEMREF_INPUT
#define OUT TEE_PARAM_TYPE_MEMREF_OUTPUT
#define INOUT TEE_PARAM_TYPE_MEMREF_INOUT
#define VIO TEE_PARAM_TYPE_VALUE_INOUT

static void reset_callee(void)
{
	fake.callee_res = TEE_SUCCESS;
	fake.callee_origin = TEE_ORIGIN_TRUSTED_APP;
	fake.callee_host_error = 0;
	fake.callee_out_size = 5;
	fake.callee_fill = 'w';
}

static void test_private_copies(void)
{
	char in[8] = "hello";
	struct { char buf[16]; char guard[8]; } out;
	TEE_Param p[4] = { 0 };
	TEE_TASessionHandle s = TEE_HANDLE_NULL, s2;
	uint32_t origin = 0;

	reset_callee();
	memset(&out, 'g', sizeof(out));
	p[0].memref.buffer = in;
	p[0].memref.size = 5;
	p[1].memref.buffer = out.buf;
	p[1].memref.size = sizeof(out.buf);
	p[2].value.a = 41;
	CHECK_EQ(TEE_OpenTASession(&dest, TEE_TIMEOUT_INFINITE, TEE_PARAM_TYPES(IN, OUT, VIO, 0), p,
				   &s, &origin), TEE_SUCCESS);
	CHECK(s != TEE_HANDLE_NULL);
	CHECK_EQ(origin, TEE_ORIGIN_TRUSTED_APP);
	/* the callee saw copies, never the caller's memory; OUTPUT arrived zeroed */
	CHECK(fake.last.params[0].memref.buffer != in);
	CHECK(!memcmp(fake.last.in_copy[0], "hello", 5));
	CHECK(fake.last.params[1].memref.buffer != out.buf);
	CHECK_EQ(fake.last.params[1].memref.size, 16);
	CHECK_EQ(fake.last.in_copy[1][0], 0);
	/* and the results came back */
	CHECK_EQ(p[1].memref.size, 5);
	CHECK(!memcmp(out.buf, "wwwwwggg", 8));
	CHECK_EQ(p[2].value.a, 42);

	/* a callee asking for more than the buffer: the size comes back, the copy stops at it */
	TEE_Param q[4] = { 0 };

	fake.callee_out_size = 100;
	fake.callee_res = TEE_ERROR_SHORT_BUFFER;
	q[0].memref.buffer = out.buf;
	q[0].memref.size = sizeof(out.buf);
	CHECK_EQ(TEE_InvokeTACommand(s, 0, 9, TEE_PARAM_TYPES(OUT, 0, 0, 0), q, &origin),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(fake.last.cmd, 9);
	CHECK_EQ(q[0].memref.size, 100);
	CHECK(!memcmp(out.guard, "gggggggg", 8));

	/* NULL memrefs pass as NULL, of size 0 only (OP-TEE's core refuses others) */
	reset_callee();
	p[0].memref.buffer = NULL;
	p[0].memref.size = 0;
	CHECK_EQ(TEE_InvokeTACommand(s, 0, 1, TEE_PARAM_TYPES(IN, 0, 0, 0), p, NULL), TEE_SUCCESS);
	CHECK(fake.last.params[0].memref.buffer == NULL);
	p[0].memref.size = 8;
	CHECK_EQ(TEE_OpenTASession(&dest, 0, TEE_PARAM_TYPES(IN, 0, 0, 0), p, &s2, &origin),
		 TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	TEE_CloseTASession(s);
	TEE_CloseTASession(TEE_HANDLE_NULL);
}

static char *client_in, *client_io;

static void forward_input_as_output(void *arg)
{
	TEE_Param p[4] = { 0 };

	p[0].memref.buffer = client_in;
	p[0].memref.size = 16;
	TEE_InvokeTACommand((TEE_TASessionHandle)arg, 0, 1, TEE_PARAM_TYPES(OUT, 0, 0, 0), p,
			    NULL);
}

static void forward_unmapped(void *arg)
{
	TEE_Param p[4] = { 0 };

	p[0].memref.buffer = (void *)16; /* never mapped */
	p[0].memref.size = 16;
	TEE_InvokeTACommand((TEE_TASessionHandle)arg, 0, 1, TEE_PARAM_TYPES(IN, 0, 0, 0), p, NULL);
}

static void close_unknown(void *arg)
{
	(void)arg;
	TEE_CloseTASession((TEE_TASessionHandle)(uintptr_t)12345);
}

static void invoke_tee_error(void *arg)
{
	fake.callee_res = TEE_ERROR_BAD_PARAMETERS;
	fake.callee_origin = TEE_ORIGIN_TEE;
	TEE_InvokeTACommand((TEE_TASessionHandle)arg, 0, 1, 0, NULL, NULL);
}

static void test_forwarding(void)
{
	TEE_Param cp[4] = { 0 }, p[4] = { 0 };
	TEE_TASessionHandle s;
	uint32_t origin, code;

	reset_callee();
	client_in = malloc(64);
	client_io = malloc(64);
	REQUIRE(client_in && client_io);
	memset(client_in, 'c', 64);
	cp[0].memref.buffer = client_in;
	cp[0].memref.size = 64;
	cp[1].memref.buffer = client_io;
	cp[1].memref.size = 64;
	fake_entry(TEE_LOGIN_USER, TEE_PARAM_TYPES(IN, INOUT, 0, 0), cp, UINT64_MAX);
	REQUIRE(TEE_OpenTASession(&dest, 0, 0, NULL, &s, &origin) == TEE_SUCCESS);

	/* the client's buffers go on as they are, with the access the client gave */
	p[0].memref.buffer = client_in + 8;
	p[0].memref.size = 16;
	p[1].memref.buffer = client_io;
	p[1].memref.size = 32;
	CHECK_EQ(TEE_InvokeTACommand(s, 0, 2, TEE_PARAM_TYPES(IN, OUT, 0, 0), p, &origin),
		 TEE_SUCCESS);
	CHECK(fake.last.params[0].memref.buffer == client_in + 8);
	CHECK(fake.last.params[1].memref.buffer == client_io);
	CHECK_EQ(client_io[0], 'w');
	CHECK_EQ(p[1].memref.size, 5);

	CHECK(fake_panics(forward_input_as_output, s, &code));
	CHECK_EQ(code, 0);
	CHECK(fake_panics(forward_unmapped, s, &code));
	CHECK_EQ(code, TEE_ERROR_ACCESS_DENIED);
	/* an open is not an invoke: the refusal comes back */
	p[0].memref.buffer = (void *)16;
	p[0].memref.size = 16;
	TEE_TASessionHandle s2 = (TEE_TASessionHandle)(uintptr_t)99;
	CHECK_EQ(TEE_OpenTASession(&dest, 0, TEE_PARAM_TYPES(IN, 0, 0, 0), p, &s2, &origin),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	CHECK(s2 == TEE_HANDLE_NULL);
	tarun_entry_end();

	/* results: the callee's own pass, the TEE's only OOM and TARGET_DEAD */
	fake.callee_res = TEE_ERROR_BAD_PARAMETERS;
	CHECK_EQ(TEE_InvokeTACommand(s, 0, 1, 0, NULL, &origin), TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(origin, TEE_ORIGIN_TRUSTED_APP);
	fake.callee_res = TEE_ERROR_TARGET_DEAD;
	fake.callee_origin = TEE_ORIGIN_TEE;
	CHECK_EQ(TEE_InvokeTACommand(s, 0, 1, 0, NULL, &origin), TEE_ERROR_TARGET_DEAD);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	reset_callee();
	CHECK(fake_panics(invoke_tee_error, s, &code));
	CHECK_EQ(code, TEE_ERROR_BAD_PARAMETERS);
	fake.callee_host_error = -ENOMEM;
	CHECK_EQ(TEE_InvokeTACommand(s, 0, 1, 0, NULL, &origin), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(origin, TEE_ORIGIN_COMMS);
	reset_callee();
	/* a type nibble GP does not define */
	CHECK_EQ(TEE_OpenTASession(&dest, 0, TEE_PARAM_TYPES(4, 0, 0, 0), p, &s2, &origin),
		 TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	/* a failed open leaves no session */
	fake.callee_res = TEE_ERROR_ITEM_NOT_FOUND;
	fake.callee_origin = TEE_ORIGIN_TEE;
	s2 = (TEE_TASessionHandle)(uintptr_t)99;
	CHECK_EQ(TEE_OpenTASession(&dest, 0, 0, NULL, &s2, NULL), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK(s2 == TEE_HANDLE_NULL);
	reset_callee();

	CHECK(fake_panics(close_unknown, NULL, &code));
	CHECK_EQ(code, TEE_ERROR_BAD_PARAMETERS);
	TEE_CloseTASession(s);
	free(client_in);
	free(client_io);
}

static void test_gp11(void)
{
	char buf[16] = "abc";
	__GP11_TEE_Param p[4] = { 0 };
	TEE_TASessionHandle s;
	uint32_t origin;

	reset_callee();
	p[0].memref.buffer = buf;
	p[0].memref.size = sizeof(buf);
	p[1].value.a = 1;
	p[1].value.b = 2;
	CHECK_EQ(__GP11_TEE_OpenTASession(&dest, 0, TEE_PARAM_TYPES(INOUT, VIO, 0, 0), p, &s,
					  &origin), TEE_SUCCESS);
	CHECK(!memcmp(fake.last.in_copy[0], "abc", 3));
	CHECK_EQ(p[0].memref.size, 5);
	CHECK(!memcmp(buf, "wwwww", 5));
	CHECK_EQ(p[1].value.a, 2);
	CHECK_EQ(p[1].value.b, 3);
	fake.callee_out_size = 3;
	p[0].memref.size = sizeof(buf);
	CHECK_EQ(__GP11_TEE_InvokeTACommand(s, 0, 4, TEE_PARAM_TYPES(OUT, 0, 0, 0), p, &origin),
		 TEE_SUCCESS);
	CHECK_EQ(fake.last.cmd, 4);
	CHECK_EQ(p[0].memref.size, 3);
	TEE_CloseTASession(s);
}

/* A GP 1.1 TA's entry points behind libutee's __ta_open_sess / __ta_invoke_cmd. */
static TEE_Result gp11_open(uint32_t pt, __GP11_TEE_Param p[4], void **ctx)
{
	*ctx = (void *)0x5e55;
	if (pt != TEE_PARAM_TYPES(OUT, VIO, 0, 0) || p[0].memref.size != 16 || p[1].value.a != 7)
		return TEE_ERROR_BAD_PARAMETERS;
	p[0].memref.size = 3;
	p[1].value.a = 8;
	return TEE_SUCCESS;
}

static TEE_Result gp11_invoke(void *ctx, uint32_t cmd, uint32_t pt, __GP11_TEE_Param p[4])
{
	if (ctx != (void *)0x5e55 || cmd != 6 || pt != TEE_PARAM_TYPES(IN, 0, 0, 0))
		return TEE_ERROR_BAD_PARAMETERS;
	p[0].memref.size = 1; /* an INPUT size does not travel back */
	return TEE_ERROR_SHORT_BUFFER;
}

static void test_gp11_entries(void)
{
	char buf[16];
	TEE_Param p[4] = { 0 };
	void *ctx = NULL;

	p[0].memref.buffer = buf;
	p[0].memref.size = sizeof(buf);
	p[1].value.a = 7;
	CHECK_EQ(__ta_open_sess(TEE_PARAM_TYPES(OUT, VIO, 0, 0), p, &ctx, gp11_open), TEE_SUCCESS);
	CHECK(ctx == (void *)0x5e55);
	CHECK_EQ(p[0].memref.size, 3);
	CHECK_EQ(p[1].value.a, 8);
	CHECK_EQ(__ta_invoke_cmd(ctx, 6, TEE_PARAM_TYPES(IN, 0, 0, 0), p, gp11_invoke),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(p[0].memref.size, 3);
}

int main(void)
{
	fake_start();
	test_private_copies();
	test_forwarding();
	test_gp11();
	test_gp11_entries();
	return check_report();
}
