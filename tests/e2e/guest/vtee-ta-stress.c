// SPDX-License-Identifier: MIT
/*
 * vtee-ta-stress: many sessions at once, many threads at once, and
 * cancellation of a long call, through the real libteec and OP-TEE driver.
 */
#include "common.h"

#define N_SESSIONS     64
#define N_CHURN        300
#define N_WORKERS      8
#define N_OPS          200
#define N_SHARED       4
#define N_SHARED_OPS   100
#define N_SLEEPERS     16

static TEEC_Context ctx;

/* ---- many sessions ----------------------------------------------------- */

static void test_many_sessions(void)
{
	static TEEC_Session s[N_SESSIONS];
	TEEC_Session probe;
	uint32_t o = 0;
	TEEC_Result r;
	int opened = 0, answered = 0;
	long base, cnt;

	r = open_ta(&ctx, &probe, &o);
	if (!check(r == TEEC_SUCCESS, "open the probe session (%s)", RES(r, o)))
		return;
	base = ta_sessions(&probe);
	check(base >= 1, "SESSIONS baseline (with the probe session): %ld", base);

	for (int i = 0; i < N_SESSIONS; i++) {
		r = open_ta(&ctx, &s[opened], &o);
		if (r != TEEC_SUCCESS) {
			note("session %d of %d failed to open: %s", i, N_SESSIONS, RES(r, o));
			continue;
		}
		opened++;
	}
	check(opened == N_SESSIONS, "%d sessions open at once (%d opened)", N_SESSIONS, opened);
	cnt = ta_sessions(&probe);
	check(cnt == base + opened, "SESSIONS with them open: %ld (want %ld)", cnt, base + opened);

	for (int i = 0; i < opened; i++) {
		uint32_t a = 0, b = 0;
		if (ta_inc(&s[i], (uint32_t)i * 1000u, (uint32_t)i, &a, &b, NULL) == TEEC_SUCCESS &&
		    a == (uint32_t)i * 1000u + 1 && b == (uint32_t)i)
			answered++;
	}
	check(answered == opened, "every open session answers INC exactly (%d of %d)",
	      answered, opened);

	for (int i = 0; i < opened; i++)
		TEEC_CloseSession(&s[i]);
	cnt = ta_sessions(&probe);
	check(cnt == base, "SESSIONS after closing them all: %ld (want %ld)", cnt, base);

	/* Open/close churn: nothing may leak. */
	int churn_ok = 0;
	uint64_t t0 = mono_ns();
	for (int i = 0; i < N_CHURN; i++) {
		TEEC_Session t;
		if (open_ta(&ctx, &t, NULL) == TEEC_SUCCESS) {
			churn_ok++;
			TEEC_CloseSession(&t);
		}
	}
	uint64_t dt = mono_ns() - t0;
	cnt = ta_sessions(&probe);
	check(churn_ok == N_CHURN && cnt == base,
	      "%d open+close in a row: %d ok, %.1f us per pair, SESSIONS after %ld (want %ld)",
	      N_CHURN, churn_ok, dt / 1e3 / N_CHURN, cnt, base);
	TEEC_CloseSession(&probe);
}

/* ---- threads ----------------------------------------------------------- */

#define W_MAX 70000

struct worker {
	pthread_t th;
	bool running;
	int id;
	bool own_ctx;
	unsigned ops, bad;
	char first_err[200];
};

static void w_fail(struct worker *w, const char *what, TEEC_Result r, uint32_t o)
{
	if (!w->bad++)
		snprintf(w->first_err, sizeof(w->first_err), "op %u %s: %s", w->ops, what,
			 RES(r, o));
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	TEEC_Context own, *c = &ctx;
	TEEC_Session s;
	TEEC_SharedMemory shm;
	uint8_t *src = malloc(W_MAX), *out = malloc(W_MAX + 16), *regbase = malloc(8192 + 5);
	uint8_t *reg = regbase ? regbase + 5 : NULL;
	uint32_t seed = 0x9e3779b9u * (uint32_t)(w->id + 1), o = 0;
	TEEC_Result r;

	if (!src || !out || !regbase) {
		w_fail(w, "out of memory", TEEC_ERROR_OUT_OF_MEMORY, TEEC_ORIGIN_API);
		goto out_free;
	}
	if (w->own_ctx) {
		r = TEEC_InitializeContext(NULL, &own);
		if (r != TEEC_SUCCESS) {
			w_fail(w, "InitializeContext", r, TEEC_ORIGIN_API);
			goto out_free;
		}
		c = &own;
	}
	r = open_ta(c, &s, &o);
	if (r != TEEC_SUCCESS) {
		w_fail(w, "OpenSession", r, o);
		goto out_ctx;
	}
	memset(&shm, 0, sizeof(shm));
	shm.buffer = reg;
	shm.size = 8192;
	shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	r = TEEC_RegisterSharedMemory(c, &shm);
	if (r != TEEC_SUCCESS) {
		w_fail(w, "RegisterSharedMemory", r, TEEC_ORIGIN_API);
		goto out_sess;
	}

	for (w->ops = 0; w->ops < N_OPS; w->ops++) {
		TEEC_Operation op;
		uint32_t k = xorshift32(&seed) % 8, v = xorshift32(&seed);
		size_t n;

		memset(&op, 0, sizeof(op));
		o = 0;
		switch (k) {
		case 0: {
			uint32_t a = 0, b = 0;
			r = ta_inc(&s, v, ~v, &a, &b, &o);
			if (r != TEEC_SUCCESS || a != v + 1 || b != ~v)
				w_fail(w, "INC", r, o);
			break;
		}
		case 1:
			n = 1 + xorshift32(&seed) % 20000;
			pattern(src, n, v);
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
							 TEEC_NONE, TEEC_NONE);
			op.params[0].tmpref.buffer = src;
			op.params[0].tmpref.size = n;
			op.params[1].tmpref.buffer = out;
			op.params[1].tmpref.size = n + 16;
			r = TEEC_InvokeCommand(&s, TA_CMD_REVERSE, &op, &o);
			if (r != TEEC_SUCCESS || op.params[1].tmpref.size != n || !is_reverse(out, src, n))
				w_fail(w, "REVERSE IN->OUT", r, o);
			break;
		case 2:
			n = 1 + xorshift32(&seed) % 5000;
			pattern(src, n, v);
			memcpy(out, src, n);
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
			op.params[0].tmpref.buffer = out;
			op.params[0].tmpref.size = n;
			r = TEEC_InvokeCommand(&s, TA_CMD_REVERSE, &op, &o);
			if (r != TEEC_SUCCESS || !is_reverse(out, src, n))
				w_fail(w, "REVERSE INOUT", r, o);
			break;
		case 3:
			n = 1 + xorshift32(&seed) % W_MAX;
			pattern(src, n, v);
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_OUTPUT,
							 TEEC_NONE, TEEC_NONE);
			op.params[0].tmpref.buffer = src;
			op.params[0].tmpref.size = n;
			r = TEEC_InvokeCommand(&s, TA_CMD_HASH, &op, &o);
			if (r != TEEC_SUCCESS || op.params[1].value.a != fnv1a32(src, n) ||
			    op.params[1].value.b != n)
				w_fail(w, "HASH", r, o);
			break;
		case 4:
			n = 1 + xorshift32(&seed) % 9000;
			memset(out, (int)~v & 0xff, n);
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_VALUE_INPUT,
							 TEEC_NONE, TEEC_NONE);
			op.params[0].tmpref.buffer = out;
			op.params[0].tmpref.size = n;
			op.params[1].value.a = v & 0xff;
			r = TEEC_InvokeCommand(&s, TA_CMD_FILL, &op, &o);
			if (r != TEEC_SUCCESS || !all_bytes(out, n, (uint8_t)v))
				w_fail(w, "FILL", r, o);
			break;
		case 5:
			r = TEEC_InvokeCommand(&s, TA_CMD_NULL, NULL, &o);
			if (r != TEEC_SUCCESS)
				w_fail(w, "NULL", r, o);
			break;
		case 6: {
			size_t off = xorshift32(&seed) % 8192;
			n = 1 + xorshift32(&seed) % (8192 - off);
			pattern(reg, 8192, v);
			pattern(src, 8192, v);
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE,
							 TEEC_NONE, TEEC_NONE);
			op.params[0].memref.parent = &shm;
			op.params[0].memref.offset = off;
			op.params[0].memref.size = n;
			r = TEEC_InvokeCommand(&s, TA_CMD_REVERSE, &op, &o);
			if (r != TEEC_SUCCESS || !is_reverse(reg + off, src + off, n) ||
			    memcmp(reg, src, off) || memcmp(reg + off + n, src + off + n, 8192 - off - n))
				w_fail(w, "REVERSE PARTIAL_INOUT", r, o);
			break;
		}
		default:
			op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
			op.params[0].value.b = 0xdeadbeef;
			r = TEEC_InvokeCommand(&s, TA_CMD_WHOAMI, &op, &o);
			if (r != TEEC_SUCCESS || op.params[0].value.b != TEEC_LOGIN_PUBLIC)
				w_fail(w, "WHOAMI", r, o);
			break;
		}
	}
	TEEC_ReleaseSharedMemory(&shm);
out_sess:
	TEEC_CloseSession(&s);
out_ctx:
	if (w->own_ctx)
		TEEC_FinalizeContext(&own);
out_free:
	free(src), free(out), free(regbase);
	return NULL;
}

static void test_threads(bool own_ctx)
{
	struct worker w[N_WORKERS];
	const char *how = own_ctx ? "one context each" : "one shared context";
	uint64_t t0 = mono_ns();

	for (int i = 0; i < N_WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i + (own_ctx ? 100 : 0);
		w[i].own_ctx = own_ctx;
		w[i].running = pthread_create(&w[i].th, NULL, worker_main, &w[i]) == 0;
		if (!w[i].running) {
			w[i].bad = 1;
			snprintf(w[i].first_err, sizeof(w[i].first_err), "pthread_create failed");
		}
	}
	for (int i = 0; i < N_WORKERS; i++)
		if (w[i].running)
			pthread_join(w[i].th, NULL);
	double ms = (mono_ns() - t0) / 1e6;
	for (int i = 0; i < N_WORKERS; i++)
		check(w[i].bad == 0 && w[i].ops == N_OPS,
		      "thread %d (%s): %u of %d mixed invokes, %u wrong%s%s", i, how, w[i].ops,
		      N_OPS, w[i].bad, w[i].bad ? "; first: " : "", w[i].first_err);
	note("%d threads x %d invokes (%s) took %.1f ms", N_WORKERS, N_OPS, how, ms);
}

/* Several threads on one session. */
struct shared_arg {
	pthread_t th;
	bool running;
	TEEC_Session *s;
	int id;
	unsigned bad;
	char first_err[160];
};

static void *shared_main(void *arg)
{
	struct shared_arg *a = arg;

	for (int i = 0; i < N_SHARED_OPS; i++) {
		uint32_t v = (uint32_t)(a->id << 20) + (uint32_t)i, x = 0, y = 0, o = 0;
		TEEC_Result r = ta_inc(a->s, v, v ^ 0x5555, &x, &y, &o);

		if (r != TEEC_SUCCESS || x != v + 1 || y != (v ^ 0x5555)) {
			if (!a->bad++)
				snprintf(a->first_err, sizeof(a->first_err), "op %d: %s", i, RES(r, o));
		}
	}
	return NULL;
}

static void test_shared_session(void)
{
	struct shared_arg a[N_SHARED];
	TEEC_Session s;
	uint32_t o = 0;
	TEEC_Result r = open_ta(&ctx, &s, &o);
	unsigned bad = 0;
	const char *first = "";

	if (!check(r == TEEC_SUCCESS, "open a session to share between threads (%s)", RES(r, o)))
		return;
	for (int i = 0; i < N_SHARED; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].s = &s;
		a[i].id = i;
		a[i].running = pthread_create(&a[i].th, NULL, shared_main, &a[i]) == 0;
		if (!a[i].running) {
			a[i].bad = N_SHARED_OPS;
			snprintf(a[i].first_err, sizeof(a[i].first_err), "pthread_create failed");
		}
	}
	for (int i = 0; i < N_SHARED; i++) {
		if (a[i].running)
			pthread_join(a[i].th, NULL);
		if (a[i].bad && !bad)
			first = a[i].first_err;
		bad += a[i].bad;
	}
	check(bad == 0, "%d threads x %d INC on one session: %u wrong%s%s", N_SHARED,
	      N_SHARED_OPS, bad, bad ? "; first: " : "", first);
	TEEC_CloseSession(&s);
}

/* ---- sleeping and cancelling ------------------------------------------ */

struct sleeper {
	pthread_t th;
	TEEC_Session *s;
	TEEC_Operation op;
	uint32_t ms, origin;
	TEEC_Result r;
	uint64_t t0, t1;
	int done;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *sl = arg;

	sl->t0 = mono_ns();
	sl->r = TEEC_InvokeCommand(sl->s, TA_CMD_SLEEP, &sl->op, &sl->origin);
	sl->t1 = mono_ns();
	__atomic_store_n(&sl->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool sleeper_start(struct sleeper *sl, TEEC_Session *s, uint32_t ms)
{
	memset(sl, 0, sizeof(*sl));
	sl->s = s;
	sl->ms = ms;
	sl->r = TEEC_ERROR_GENERIC;
	/* GP: started must be 0 for the operation to be cancellable. */
	sl->op.started = 0;
	sl->op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	sl->op.params[0].value.a = ms;
	sl->t0 = mono_ns();
	return pthread_create(&sl->th, NULL, sleeper_main, sl) == 0;
}

static bool sleeper_done(struct sleeper *sl)
{
	return __atomic_load_n(&sl->done, __ATOMIC_ACQUIRE);
}

static double sleeper_ms(const struct sleeper *sl)
{
	return (sl->t1 - sl->t0) / 1e6;
}

static void test_cancel(void)
{
	TEEC_Session s, s2;
	struct sleeper sl;
	uint32_t o = 0;
	TEEC_Result r = open_ta(&ctx, &s, &o);

	if (!check(r == TEEC_SUCCESS, "open a session for SLEEP (%s)", RES(r, o)))
		return;

	/* A plain SLEEP first: it must really sleep. */
	if (sleeper_start(&sl, &s, 200)) {
		pthread_join(sl.th, NULL);
		check(sl.r == TEEC_SUCCESS && sleeper_ms(&sl) >= 190 && sleeper_ms(&sl) < 3000,
		      "SLEEP 200 ms uncancelled: %.1f ms (%s)", sleeper_ms(&sl), RES(sl.r, sl.origin));
	}

	/* SLEEP 10000 ms, cancelled from this thread after 100 ms. */
	if (!check(sleeper_start(&sl, &s, 10000), "start SLEEP 10000 ms in a thread")) {
		TEEC_CloseSession(&s);
		return;
	}
	sleep_ms(100);
	uint64_t tc = mono_ns(), next = tc + 1000000000ull;
	unsigned requests = 1;
	TEEC_RequestCancellation(&sl.op);
	/* If the first request is lost, ask again (so the test cannot hang for 10 s). */
	while (!sleeper_done(&sl) && mono_ns() - tc < 15000000000ull) {
		sleep_ms(5);
		if (!sleeper_done(&sl) && mono_ns() >= next) {
			TEEC_RequestCancellation(&sl.op);
			requests++;
			next = mono_ns() + 500000000ull;
		}
	}
	pthread_join(sl.th, NULL);
	double total = sleeper_ms(&sl), after = (sl.t1 - tc) / 1e6;
	check(sl.r == TEEC_ERROR_CANCEL && total < 2000,
	      "SLEEP 10000 ms cancelled after 100 ms: returned after %.1f ms (%.1f ms after the "
	      "first request) (%s)", total, after, RES(sl.r, sl.origin));
	check(requests == 1, "the first cancellation request was enough (%u requests made)",
	      requests);

	uint32_t a = 0, b = 0;
	r = ta_inc(&s, 99, 7, &a, &b, &o);
	check(r == TEEC_SUCCESS && a == 100 && b == 7,
	      "the session works after the cancelled call (%s)", RES(r, o));

	/* Cancellation goes to one session only. */
	r = open_ta(&ctx, &s2, &o);
	if (check(r == TEEC_SUCCESS, "open a second session for SLEEP (%s)", RES(r, o))) {
		struct sleeper x, y;
		bool sx = sleeper_start(&x, &s, 1500), sy = sleeper_start(&y, &s2, 1500);

		sleep_ms(100);
		if (sx)
			TEEC_RequestCancellation(&x.op);
		if (sx)
			pthread_join(x.th, NULL);
		if (sy)
			pthread_join(y.th, NULL);
		check(sx && x.r == TEEC_ERROR_CANCEL && sleeper_ms(&x) < 1000,
		      "cancelled SLEEP 1500 on session A: %.1f ms (%s)", sleeper_ms(&x),
		      RES(x.r, x.origin));
		check(sy && y.r == TEEC_SUCCESS && sleeper_ms(&y) >= 1450,
		      "SLEEP 1500 on session B is not cancelled with it: %.1f ms (%s)",
		      sleeper_ms(&y), RES(y.r, y.origin));
		TEEC_CloseSession(&s2);
	}
	TEEC_CloseSession(&s);
}

/* More calls in flight than the TEE may have threads for: all must complete. */
static void test_many_sleepers(void)
{
	static TEEC_Session s[N_SLEEPERS];
	static struct sleeper sl[N_SLEEPERS];
	bool started[N_SLEEPERS] = { false }, opened[N_SLEEPERS] = { false };
	int ok = 0, nopen = 0;
	double max = 0;
	uint64_t t0 = mono_ns();

	for (int i = 0; i < N_SLEEPERS; i++)
		if (open_ta(&ctx, &s[i], NULL) == TEEC_SUCCESS)
			opened[i] = true, nopen++;
	for (int i = 0; i < N_SLEEPERS; i++)
		if (opened[i])
			started[i] = sleeper_start(&sl[i], &s[i], 300);
	for (int i = 0; i < N_SLEEPERS; i++) {
		if (!started[i])
			continue;
		pthread_join(sl[i].th, NULL);
		if (sl[i].r == TEEC_SUCCESS && sleeper_ms(&sl[i]) >= 290)
			ok++;
		else
			note("sleeper %d: %.1f ms %s", i, sleeper_ms(&sl[i]), RES(sl[i].r, sl[i].origin));
		if (sleeper_ms(&sl[i]) > max)
			max = sleeper_ms(&sl[i]);
	}
	check(ok == N_SLEEPERS, "%d concurrent SLEEP 300 ms on %d sessions: %d ok, slowest %.1f ms, "
	      "all done in %.1f ms", N_SLEEPERS, nopen, ok, max, (mono_ns() - t0) / 1e6);
	for (int i = 0; i < N_SLEEPERS; i++)
		if (opened[i])
			TEEC_CloseSession(&s[i]);
}

int main(void)
{
	TEEC_Result r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = TEEC_InitializeContext(NULL, &ctx);
	if (!check(r == TEEC_SUCCESS, "InitializeContext (%s)", RES(r, TEEC_ORIGIN_API)))
		return finish();

	test_many_sessions();
	test_threads(false);
	test_threads(true);
	test_shared_session();
	test_cancel();
	test_many_sleepers();

	TEEC_FinalizeContext(&ctx);
	return finish();
}
