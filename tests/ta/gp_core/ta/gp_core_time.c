// SPDX-License-Identifier: MIT
/*
 * Time: system time never goes back, TEE_Wait lasts what it is asked, REE
 * time agrees with the client's clock, and the TA persistent time: not set
 * in a fresh VM, set/get, and OVERFLOW (with the wrapped value) once it
 * passes 2^32 seconds.
 */
#include <string.h>
#include <tee_internal_api.h>

#include "gp_core.h"

static bool before_or_same(const TEE_Time *a, const TEE_Time *b)
{
	return a->seconds < b->seconds ||
	       (a->seconds == b->seconds && a->millis <= b->millis);
}

static void check_system_time(struct ta_report *r)
{
	TEE_Time prev, now, after;
	bool monotonic = true;
	TEE_Result res;
	uint32_t ms;

	TEE_GetSystemTime(&prev);
	for (int i = 0; i < 1000; i++) {
		TEE_GetSystemTime(&now);
		monotonic = monotonic && before_or_same(&prev, &now) && now.millis < 1000;
		prev = now;
	}
	report_check(r, monotonic, "TEE_GetSystemTime never goes back (1000 reads)");
	res = TEE_Wait(100);
	TEE_GetSystemTime(&after);
	ms = gp_core_ms_between(&now, &after);
	report_check(r, res == TEE_SUCCESS && ms >= 100 && ms < 5000,
		     "TEE_Wait(100) lasts 100 ms or more (%" PRIu32 " ms, %s)", ms,
		     report_res_name(res));
}

static void check_ree_time(struct ta_report *r, uint32_t client_seconds)
{
	TEE_Time t = { 0, 0 };
	int64_t diff;

	TEE_GetREETime(&t);
	diff = (int64_t)t.seconds - (int64_t)client_seconds;
	report_check(r, diff > -30 && diff < 30 && t.millis < 1000,
		     "TEE_GetREETime agrees with the client's clock (%" PRIu32 " vs %" PRIu32 ")",
		     t.seconds, client_seconds);
}

static void check_persistent_time(struct ta_report *r, bool fresh)
{
	const TEE_Time start = { 1000, 500 }, near_wrap = { 0xffffffff, 0 };
	const TEE_Time later = { 1002, 500 };
	TEE_Time t = { 0, 0 };
	TEE_Result res = TEE_GetTAPersistentTime(&t);

	/* A VM that keeps its TEE state (docs/storage.md) still has the time its last run left:
	 * this check always leaves start, so anything else but TIME_NOT_SET is a fault. */
	if (fresh && res != TEE_ERROR_TIME_NOT_SET)
		report_check(r, res == TEE_SUCCESS && before_or_same(&start, &t),
			     "TA persistent time in a VM that kept its state: what a previous run "
			     "left (%" PRIu32 ".%03" PRIu32 ", %s)", t.seconds, t.millis,
			     report_res_name(res));
	else if (fresh)
		report_res(r, res, TEE_ERROR_TIME_NOT_SET,
			   "TA persistent time in a fresh VM: TIME_NOT_SET");
	res = TEE_SetTAPersistentTime(&start);
	report_res(r, res, TEE_SUCCESS, "TEE_SetTAPersistentTime(1000.500)");
	res = TEE_GetTAPersistentTime(&t);
	report_check(r, res == TEE_SUCCESS && before_or_same(&start, &t) &&
		     before_or_same(&t, &later),
		     "TA persistent time runs from what was set (%" PRIu32 ".%03" PRIu32 ", %s)",
		     t.seconds, t.millis, report_res_name(res));
	res = TEE_SetTAPersistentTime(&near_wrap);
	report_res(r, res, TEE_SUCCESS, "TEE_SetTAPersistentTime(2^32 - 1)");
	TEE_Wait(1100);
	res = TEE_GetTAPersistentTime(&t);
	report_check(r, res == TEE_ERROR_OVERFLOW && t.seconds < 10,
		     "past 2^32 seconds: OVERFLOW with the wrapped value (%" PRIu32 ", %s)",
		     t.seconds, report_res_name(res));
	/* leave a time that does not overflow for whoever asks next */
	TEE_SetTAPersistentTime(&start);
}

void gp_core_time(struct ta_report *r, uint32_t types, TEE_Param params[4])
{
	if (TEE_PARAM_TYPE_GET(types, 2) != TEE_PARAM_TYPE_VALUE_INPUT) {
		report_check(r, false, "time: [2] must be VALUE_INPUT (the client's clock)");
		return;
	}
	check_system_time(r);
	check_ree_time(r, params[2].value.a);
	check_persistent_time(r, params[2].value.b == 1);
}
