/* Time: the system time (CLOCK_MONOTONIC, arbitrary origin, as OP-TEE's counter), TEE_Wait
 * (cancellable while unmasked), the REE time and the TA persistent time through the host.
 *
 * The persistent time is OP-TEE's: the TEE keeps an offset to the system time per TA (here per
 * VM and TA, in the TEE process, since this one may die); reading adds it to the system time
 * modulo 2^32 seconds, and a result that wrapped comes back with TEE_ERROR_OVERFLOW. Unlike
 * OP-TEE, an offset of exactly zero set from a later time does not read as an overflow. */
#include "tarun_int.h"

#include <errno.h>
#include <time.h>

#define NS_PER_MS 1000000ull
#define MS_PER_S 1000ull
/* 2^32 seconds in milliseconds: where TEE_Time's seconds wrap */
#define MS_WRAP (((uint64_t)UINT32_MAX + 1) * MS_PER_S)

static TEE_Time time_from_ms(uint64_t ms)
{
	return (TEE_Time){ .seconds = (uint32_t)(ms / MS_PER_S), .millis = (uint32_t)(ms % MS_PER_S) };
}

static uint64_t system_ms(void)
{
	return tarun_monotonic_ns() / NS_PER_MS;
}

void TEE_GetSystemTime(TEE_Time *time)
{
	tarun_check_out(time, sizeof(*time));
	*time = time_from_ms(system_ms());
}

/* Sleeps to CLOCK_MONOTONIC `until_ns` whatever signals come (UINT64_MAX: for ever). */
static void sleep_until(uint64_t until_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until_ns / 1000000000u),
		.tv_nsec = (long)(until_ns % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

TEE_Result TEE_Wait(uint32_t timeout)
{
	struct tarun_call *c = tarun_current_call();
	uint64_t now = tarun_monotonic_ns();
	uint64_t until = timeout == TEE_TIMEOUT_INFINITE ? UINT64_MAX :
			 now + (uint64_t)timeout * NS_PER_MS;

	if (!c->active || c->cancel_masked || !tarun_ops) {
		sleep_until(until);
		return TEE_SUCCESS;
	}
	for (;;) {
		uint64_t stop = until < c->cancel_deadline_ns ? until : c->cancel_deadline_ns;
		int r;

		if (tarun_cancel_pending(c, now))
			return TEE_ERROR_CANCEL;
		if (now >= until)
			return TEE_SUCCESS;
		r = tarun_ops->wait_cancel(c->session, stop);
		if (r < 0)
			tarun_panic(TEE_ERROR_GENERIC); /* libutee panics when the wait fails */
		if (r > 0)
			return TEE_ERROR_CANCEL;
		now = tarun_monotonic_ns();
	}
}

void TEE_GetREETime(TEE_Time *time)
{
	tarun_check_out(time, sizeof(*time));
	if (!tarun_ops || tarun_ops->ree_time(time) < 0)
		tarun_panic(TEE_ERROR_GENERIC);
}

TEE_Result TEE_GetTAPersistentTime(TEE_Time *time)
{
	int64_t offset_ms = 0;
	int64_t t;
	int r;

	tarun_check_out(time, sizeof(*time));
	r = tarun_ops ? tarun_ops->ptime_load(&offset_ms) : -ENOENT;
	if (r < 0) {
		*time = (TEE_Time){ 0, 0 };
		if (r == -ENOENT)
			return TEE_ERROR_TIME_NOT_SET;
		if (r == -ENOMEM)
			return TEE_ERROR_OUT_OF_MEMORY;
		tarun_panic(TEE_ERROR_GENERIC);
	}
	/* |offset| < 2^32 s and the monotonic clock < 2^62 ms: no int64 overflow */
	t = (int64_t)system_ms() + offset_ms;
	*time = time_from_ms((uint64_t)(((t % (int64_t)MS_WRAP) + (int64_t)MS_WRAP) % (int64_t)MS_WRAP));
	return t < 0 || (uint64_t)t >= MS_WRAP ? TEE_ERROR_OVERFLOW : TEE_SUCCESS;
}

TEE_Result TEE_SetTAPersistentTime(const TEE_Time *time)
{
	int64_t ta_ms;
	int r;

	tarun_check_in(time, sizeof(*time));
	/* OP-TEE's core refuses a time that is not normalised, and libutee panics on that answer */
	if (time->millis >= MS_PER_S)
		tarun_panic(TEE_ERROR_BAD_PARAMETERS);
	ta_ms = (int64_t)time->seconds * (int64_t)MS_PER_S + time->millis;
	r = tarun_ops ? tarun_ops->ptime_store(ta_ms - (int64_t)system_ms()) : -ENOSYS;
	if (r == -ENOMEM)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (r == -ENOSPC)
		return TEE_ERROR_STORAGE_NO_SPACE;
	if (r < 0)
		tarun_panic(TEE_ERROR_GENERIC);
	return TEE_SUCCESS;
}
