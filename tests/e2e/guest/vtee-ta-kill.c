// SPDX-License-Identifier: MIT
/*
 * vtee-ta-kill: a client killed with SIGKILL must not leave its sessions
 * behind, and the TA must keep working for the others. The kernel closes a
 * dead client's sessions when its /dev/tee0 file is released; with a call in
 * flight that may only happen once the call has come back from the TEE.
 *
 * Two cases: a child idle with three sessions open, and a child inside
 * SLEEP 3000 ms. The parent opens its own context only after fork(), so the
 * child's /dev/tee0 file is the child's alone.
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

struct msg {
	int stage;            /* 1 = sessions open (and about to SLEEP), -1 = failed */
	long sessions;        /* SESSIONS as the child saw it */
	uint32_t res, origin;
};

static void child_send(int fd, int stage, long sessions, TEEC_Result r, uint32_t o)
{
	struct msg m = { .stage = stage, .sessions = sessions, .res = r, .origin = o };

	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		_exit(3);
}

/* The child: open `nsess` sessions, report, then SLEEP (sleep_ms > 0) or idle. */
static void child_main(int fd, int nsess, uint32_t sleep_ms)
{
	TEEC_Context c;
	TEEC_Session s[4];
	uint32_t o = 0;
	TEEC_Result r = TEEC_InitializeContext(NULL, &c);

	if (r != TEEC_SUCCESS) {
		child_send(fd, -1, -1, r, TEEC_ORIGIN_API);
		_exit(1);
	}
	for (int i = 0; i < nsess; i++) {
		r = open_ta(&c, &s[i], &o);
		if (r != TEEC_SUCCESS) {
			child_send(fd, -1, -1, r, o);
			_exit(1);
		}
	}
	child_send(fd, 1, ta_sessions(&s[0]), TEEC_SUCCESS, 0);
	if (sleep_ms) {
		TEEC_Operation op;

		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].value.a = sleep_ms;
		r = TEEC_InvokeCommand(&s[0], TA_CMD_SLEEP, &op, &o);
		/* Not killed in time: say how the SLEEP ended through the exit status. */
		_exit(r == TEEC_SUCCESS ? 10 : 11);
	}
	for (;;)
		pause();
}

static bool read_msg(int fd, struct msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	return read(fd, m, sizeof(*m)) == (ssize_t)sizeof(*m);
}

/* Wait for the child up to timeout_ms; 0 if reaped, with its status. */
static int reap(pid_t pid, int *status, int timeout_ms)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		if (mono_ns() > end)
			return -1;
		sleep_ms(2);
	}
}

/*
 * Poll SESSIONS on `s` until it reads `want` or timeout_ms pass; returns the
 * last count and sets *at_ns to when it first read `want` (0 if never).
 */
static long wait_sessions(TEEC_Session *s, long want, int timeout_ms, uint64_t *at_ns)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	long n;

	*at_ns = 0;
	for (;;) {
		n = ta_sessions(s);
		if (n == want) {
			*at_ns = mono_ns();
			return n;
		}
		if (mono_ns() > end)
			return n;
		sleep_ms(20);
	}
}

static void scenario(const char *name, int nsess, uint32_t child_sleep_ms, long base)
{
	int p[2], status = 0;
	struct msg m = { 0 };
	pid_t pid;
	TEEC_Context c;
	TEEC_Session s;
	uint32_t o = 0, a = 0, b = 0;
	TEEC_Result r;

	note("--- %s: child with %d session(s)%s", name, nsess,
	     child_sleep_ms ? ", killed inside SLEEP" : ", killed while idle");
	if (pipe(p)) {
		check(false, "%s: pipe: %s", name, strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		check(false, "%s: fork: %s", name, strerror(errno));
		close(p[0]), close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		child_main(p[1], nsess, child_sleep_ms);
		_exit(2);
	}
	close(p[1]);

	/* Opened after fork(): the child does not share this file. */
	r = TEEC_InitializeContext(NULL, &c);
	bool have_ctx = check(r == TEEC_SUCCESS, "%s: parent InitializeContext (%s)", name,
			      RES(r, TEEC_ORIGIN_API));
	bool have_sess = false;
	if (have_ctx) {
		r = open_ta(&c, &s, &o);
		have_sess = check(r == TEEC_SUCCESS, "%s: parent OpenSession (%s)", name, RES(r, o));
	}

	bool got = read_msg(p[0], &m, 20000);
	close(p[0]);
	if (!check(got && m.stage == 1, "%s: child opened %d session(s)%s%s", name, nsess,
		   got && m.stage != 1 ? ": " : (got ? "" : ": no word from the child"),
		   got && m.stage != 1 ? RES(m.res, m.origin) : "")) {
		kill(pid, SIGKILL);
		reap(pid, &status, 20000);
		goto out;
	}
	/* The child counted before or after the parent's session opened. */
	check(m.sessions == base - 1 + nsess || m.sessions == base + nsess,
	      "%s: SESSIONS seen by the child: %ld (want %ld, or %ld with the parent's)",
	      name, m.sessions, base - 1 + nsess, base + nsess);
	if (have_sess) {
		long n = ta_sessions(&s);
		check(n == base + nsess, "%s: SESSIONS with the child alive: %ld (want %ld)",
		      name, n, base + nsess);
	}

	sleep_ms(200);
	uint64_t tk = mono_ns();
	kill(pid, SIGKILL);

	/* The TA must answer others at once, even with the dead client's call in flight. */
	if (have_sess) {
		r = ta_inc(&s, 41, 5, &a, &b, &o);
		double ms = (mono_ns() - tk) / 1e6;
		check(r == TEEC_SUCCESS && a == 42 && b == 5,
		      "%s: INC from the parent right after the SIGKILL (%.1f ms after) (%s)",
		      name, ms, RES(r, o));
	}

	int rc = reap(pid, &status, 15000);
	uint64_t tr = mono_ns();
	if (rc == 0 && WIFEXITED(status))
		check(false, "%s: child was not killed: it exited with %d (%s)", name,
		      WEXITSTATUS(status),
		      WEXITSTATUS(status) == 10 ? "its SLEEP 3000 ms returned SUCCESS within 200 ms" :
		      WEXITSTATUS(status) == 11 ? "its SLEEP failed" : "setup failure");
	else
		check(rc == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "%s: child killed by SIGKILL and reaped %.1f ms after the signal%s", name,
		      (tr - tk) / 1e6, rc ? " (NOT reaped within 15 s)" : "");
	if (rc == 0 && child_sleep_ms)
		note("%s: the kernel let the child die %.0f ms after SIGKILL; its SLEEP had "
		     "%u ms left at the signal (%s)", name, (tr - tk) / 1e6,
		     child_sleep_ms > 200 ? child_sleep_ms - 200 : 0,
		     (tr - tk) / 1e6 > (child_sleep_ms - 200) * 0.8 ?
		     "the in-flight call was waited out" : "the in-flight call did not hold it");

	if (!have_sess)
		goto out;

	/* The dead client's sessions go when its file is released. */
	uint64_t at = 0;
	long n = wait_sessions(&s, base, 5000, &at);
	check(n == base, "%s: SESSIONS back to %ld (only the parent's + others) %s: %ld",
	      name, base, at ? "" : "NOT within 5 s of reaping", n);
	if (at)
		note("%s: sessions gone %.1f ms after SIGKILL, %.1f ms after reaping", name,
		     (at - tk) / 1e6, at > tr ? (at - tr) / 1e6 : 0.0);

	r = ta_inc(&s, 0xfffffffe, 9, &a, &b, &o);
	check(r == TEEC_SUCCESS && a == 0xffffffff && b == 9,
	      "%s: INC after the cleanup (%s)", name, RES(r, o));

	TEEC_Session fresh;
	r = open_ta(&c, &fresh, &o);
	if (check(r == TEEC_SUCCESS, "%s: a new session opens afterwards (%s)", name, RES(r, o))) {
		r = ta_inc(&fresh, 1, 2, &a, &b, &o);
		check(r == TEEC_SUCCESS && a == 2 && b == 2, "%s: INC on the new session (%s)",
		      name, RES(r, o));
		TEEC_CloseSession(&fresh);
	}
out:
	if (have_sess)
		TEEC_CloseSession(&s);
	if (have_ctx)
		TEEC_FinalizeContext(&c);
}

int main(void)
{
	TEEC_Context c;
	TEEC_Session s;
	uint32_t o = 0;
	TEEC_Result r;
	long base;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	/* Baseline, with one session of ours; closed again before any fork(). */
	r = TEEC_InitializeContext(NULL, &c);
	if (!check(r == TEEC_SUCCESS, "InitializeContext (%s)", RES(r, TEEC_ORIGIN_API)))
		return finish();
	r = open_ta(&c, &s, &o);
	if (!check(r == TEEC_SUCCESS, "OpenSession (%s)", RES(r, o))) {
		TEEC_FinalizeContext(&c);
		return finish();
	}
	base = ta_sessions(&s);
	check(base >= 1, "SESSIONS baseline with one session of ours: %ld", base);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&c);
	if (base < 1)
		return finish();

	scenario("idle", 3, 0, base);
	scenario("in-flight", 1, 3000, base);
	return finish();
}
