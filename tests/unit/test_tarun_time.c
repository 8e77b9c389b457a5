/* libvtee_ta, time, cancellation and trace: system and REE time, the TA persistent time
 * (not set, wrap in both directions with TEE_ERROR_OVERFLOW and the wrapped value, millis >=
 * 1000 panics, storage errors), TEE_Wait with cancellation masked and unmasked (the TEE's flag,
 * a flag raised during the wait, the call's deadline), mask/unmask and the re-mask at entry end,
 * and trace_printf's lines (OP-TEE's prefixes, the level filter, cut and split lines). */
#include "tarun_fake_host.h"
#include "../check.h"

#include <errno.h>
#include <string.h>

#define MS 1000000ull

static uint64_t elapsed_ms(uint64_t since_ns)
{
	return (fake_now_ns() - since_ns) / MS;
}

static void test_clocks(void)
{
	TEE_Time a, b;

	TEE_GetSystemTime(&a);
	TEE_Wait(15);
	TEE_GetSystemTime(&b);
	CHECK(a.millis < 1000 && b.millis < 1000);
	CHECK_CMP((uint64_t)b.seconds * 1000 + b.millis, >=, (uint64_t)a.seconds * 1000 + a.millis + 15);
	TEE_GetREETime(&a);
	CHECK_EQ(a.seconds, 1234);
	CHECK_EQ(a.millis, 567);
}

static void set_bad_millis(void *arg)
{
	TEE_Time t = { 10, 1000 };

	(void)arg;
	TEE_SetTAPersistentTime(&t);
}

static void store_fails(void *arg)
{
	TEE_Time t = { 10, 0 };

	(void)arg;
	fake.ptime_store_error = -EIO;
	TEE_SetTAPersistentTime(&t);
}

static void test_persistent_time(void)
{
	const TEE_Time wrap = { UINT32_MAX, 999 };
	TEE_Time t = { 5, 5 };
	TEE_Time sys;
	uint32_t code;

	CHECK_EQ(TEE_GetTAPersistentTime(&t), TEE_ERROR_TIME_NOT_SET);
	CHECK(t.seconds == 0 && t.millis == 0);

	t = (TEE_Time){ 100, 500 };
	CHECK_EQ(TEE_SetTAPersistentTime(&t), TEE_SUCCESS);
	CHECK(fake.ptime_set);
	CHECK_EQ(TEE_GetTAPersistentTime(&t), TEE_SUCCESS);
	CHECK_CMP((uint64_t)t.seconds * 1000 + t.millis, >=, 100500);
	CHECK_CMP((uint64_t)t.seconds * 1000 + t.millis, <, 101500);

	/* forward past 2^32 seconds: OVERFLOW with the wrapped time (os_test's check) */
	CHECK_EQ(TEE_SetTAPersistentTime(&wrap), TEE_SUCCESS);
	TEE_Wait(3);
	CHECK_EQ(TEE_GetTAPersistentTime(&t), TEE_ERROR_OVERFLOW);
	TEE_GetSystemTime(&sys);
	CHECK_EQ(t.seconds, 0);
	CHECK(t.seconds <= sys.seconds);
	/* backward below zero: OVERFLOW, wrapped to the top */
	TEE_GetSystemTime(&sys);
	fake.ptime_offset_ms = -((int64_t)sys.seconds * 1000 + sys.millis + 5000);
	CHECK_EQ(TEE_GetTAPersistentTime(&t), TEE_ERROR_OVERFLOW);
	CHECK_CMP(t.seconds, >=, UINT32_MAX - 5);

	CHECK(fake_panics(set_bad_millis, NULL, &code));
	CHECK_EQ(code, TEE_ERROR_BAD_PARAMETERS);
	CHECK(fake_panics(store_fails, NULL, &code));
	fake.ptime_store_error = -ENOSPC;
	CHECK_EQ(TEE_SetTAPersistentTime(&wrap), TEE_ERROR_STORAGE_NO_SPACE);
	fake.ptime_store_error = -ENOMEM;
	CHECK_EQ(TEE_SetTAPersistentTime(&wrap), TEE_ERROR_OUT_OF_MEMORY);
	fake.ptime_store_error = 0;
	fake.ptime_load_error = -ENOMEM;
	CHECK_EQ(TEE_GetTAPersistentTime(&t), TEE_ERROR_OUT_OF_MEMORY);
	fake.ptime_load_error = 0;
}

static void wait_fails(void *arg)
{
	(void)arg;
	fake.wait_error = -EIO;
	TEE_Wait(10);
}

static void test_cancel(void)
{
	uint64_t t0;
	uint32_t code;

	/* masked at entry: the flag is invisible and TEE_Wait sleeps its time */
	fake_entry(TEE_LOGIN_PUBLIC, 0, NULL, UINT64_MAX);
	fake.cancel = true;
	CHECK(!TEE_GetCancellationFlag());
	t0 = fake_now_ns();
	CHECK_EQ(TEE_Wait(30), TEE_SUCCESS);
	CHECK_CMP(elapsed_ms(t0), >=, 30);
	/* unmasked: visible, and TEE_Wait returns at once */
	CHECK(TEE_UnmaskCancellation());
	CHECK(TEE_GetCancellationFlag());
	t0 = fake_now_ns();
	CHECK_EQ(TEE_Wait(10000), TEE_ERROR_CANCEL);
	CHECK_CMP(elapsed_ms(t0), <, 1000);
	CHECK(!TEE_MaskCancellation());
	CHECK(TEE_MaskCancellation());
	CHECK(!TEE_GetCancellationFlag());
	fake.cancel = false;
	/* entry end re-masks */
	TEE_UnmaskCancellation();
	tarun_entry_end();
	fake_entry(TEE_LOGIN_PUBLIC, 0, NULL, UINT64_MAX);
	CHECK(TEE_UnmaskCancellation());
	/* a request that arrives during the wait, also for an infinite one */
	fake.cancel_at_ns = fake_now_ns() + 40 * MS;
	t0 = fake_now_ns();
	CHECK_EQ(TEE_Wait(TEE_TIMEOUT_INFINITE), TEE_ERROR_CANCEL);
	CHECK_CMP(elapsed_ms(t0), >=, 39);
	CHECK_CMP(elapsed_ms(t0), <, 2000);
	fake.cancel_at_ns = 0;
	CHECK(!TEE_GetCancellationFlag());
	CHECK_EQ(TEE_Wait(5), TEE_SUCCESS);
	CHECK(fake_panics(wait_fails, NULL, &code)); /* unmasked, nothing pending: the host waits */
	CHECK_EQ(code, TEE_ERROR_GENERIC);
	tarun_entry_end();

	/* the call's deadline (a caller's cancellationRequestTimeout) */
	fake_entry(TEE_LOGIN_TRUSTED_APP, 0, NULL, fake_now_ns() + 50 * MS);
	TEE_UnmaskCancellation();
	CHECK(!TEE_GetCancellationFlag());
	t0 = fake_now_ns();
	CHECK_EQ(TEE_Wait(5000), TEE_ERROR_CANCEL);
	CHECK_CMP(elapsed_ms(t0), >=, 45);
	CHECK_CMP(elapsed_ms(t0), <, 2000);
	CHECK(TEE_GetCancellationFlag());
	tarun_entry_end();
	CHECK(!TEE_GetCancellationFlag()); /* no call: nothing to cancel */
}

static void test_trace(void)
{
	char big[400];

	fake.nlines = 0;
	trace_printf("hello_fn", 42, TRACE_INFO, true, "Hello World! %d\n", 7);
	CHECK(fake_logged("I/TA: Hello World! 7"));
	trace_printf("err_fn", 12, TRACE_ERROR, true, "bad 0x%x", 0x10u);
	CHECK(fake_logged("E/TA:  err_fn:12 bad 0x10"));
	trace_printf("dbg_fn", 3, TRACE_DEBUG, true, "filtered");
	CHECK(!fake_logged_part("filtered"));
	trace_printf("raw", 1, TRACE_FLOW, false, "always");
	CHECK(fake_logged("M/TA: always"));

	trace_set_level(TRACE_DEBUG);
	CHECK_EQ(fake_trace_level, TRACE_DEBUG);
	CHECK_EQ(trace_get_level(), TRACE_DEBUG);
	trace_printf("dbg_fn", 3, TRACE_DEBUG, true, "shown");
	CHECK(fake_logged("D/TA:  dbg_fn:3 shown"));
	trace_set_level(99);
	CHECK_EQ(trace_get_level(), TRACE_MAX);
	trace_set_level(TRACE_INFO);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fake.nlines = 0;
	trace_printf("f", 1, TRACE_INFO, true, "%s", big);
	REQUIRE(fake.nlines == 1);
	CHECK_EQ(strlen(fake.lines[0]), 254);
	fake.nlines = 0;
	trace_printf("f", 1, TRACE_INFO, true, "one\ntwo");
	CHECK_EQ(fake.nlines, 2);
	CHECK(fake_logged("I/TA: one"));
	CHECK(fake_logged("two"));
	fake.nlines = 0;
	dhex_dump("dump", 5, TRACE_INFO, big, 20);
	CHECK_EQ(fake.nlines, 2);
	CHECK(fake_logged_part("78 78 78 78 78 78 78 78  78 78"));
}

int main(void)
{
	fake_start();
	test_clocks();
	test_persistent_time();
	test_cancel();
	test_trace();
	return check_report();
}
