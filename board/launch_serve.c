// SPDX-License-Identifier: MIT
/*
 * `vtee run` while the guest runs: the signals that stop it, the board's
 * power-off / reset / fatal reports, and the console. Each of them writes a
 * byte into the wake-up pipe; run_serve() waits on that pipe and the console,
 * echoes the console, scans it for the guest init's markers (VTEE-READY,
 * VTEE-EXIT <rc>) and "Kernel panic", and returns why the run ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch_run.h"

static int wake_fd[2] = { -1, -1 };
static volatile sig_atomic_t got_signal;

static void wake(void)
{
	int e = errno;
	char c = 0;
	if (wake_fd[1] >= 0 && write(wake_fd[1], &c, 1) < 0) {
		/* full pipe: a wake-up is pending anyway */
	}
	errno = e;
}

static void on_signal(int sig)
{
	if (sig != SIGCHLD)
		got_signal = sig;
	wake();
}

static const int run_signal_list[RUN_SIGNALS] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };

int run_signals_install(struct run_signals *s)
{
	if (pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < RUN_SIGNALS; i++)
		sigaction(run_signal_list[i], &sa, &s->old[i]);
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(SIGPIPE, &ign, &s->old_pipe);
	return 0;
}

void run_signals_restore(const struct run_signals *s)
{
	for (size_t i = 0; i < RUN_SIGNALS; i++)
		sigaction(run_signal_list[i], &s->old[i], NULL);
	sigaction(SIGPIPE, &s->old_pipe, NULL);
	close(wake_fd[0]);
	close(wake_fd[1]);
	wake_fd[0] = wake_fd[1] = -1;
}

int run_stop_signal(void)
{
	return got_signal;
}

void run_on_board_event(void *ctx, enum board_event ev, unsigned cpu, const char *detail)
{
	struct run *r = ctx;
	/* the first event wins: a fatal report after power-off does not change the outcome;
	 * only the winner writes the details, and publishes them with the event */
	if (atomic_exchange(&r->event_claimed, true))
		return;
	if (ev == BOARD_EVENT_FATAL || ev == BOARD_EVENT_BAD_BOOT)
		snprintf(r->event_detail, sizeof(r->event_detail), "%s", detail ? detail : "");
	atomic_store(&r->event_cpu, cpu);
	atomic_store_explicit(&r->event, (int)ev + 1, memory_order_release);
	wake();
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			poll(&pf, 1, 100);
			continue;
		}
		if (w <= 0)
			return; /* stdout gone: keep running, stop echoing */
		p += w;
		n -= (size_t)w;
	}
}

static void scan_line(struct run *r, char *l)
{
	char *m = strstr(l, GUEST_EXIT_MARK);
	if (m && r->exit_rc < 0) {
		char *end;
		long rc = strtol(m + strlen(GUEST_EXIT_MARK), &end, 10);
		if (end != m + strlen(GUEST_EXIT_MARK) && (*end == 0 || *end == ' ') && rc >= 0 && rc <= 255)
			r->exit_rc = (int)rc;
	}
	if (!r->ready && strstr(l, GUEST_READY_MARK)) {
		r->ready = true;
		r->t_ready = now_s();
	}
	if (!r->panic && strstr(l, "Kernel panic - not syncing"))
		r->panic = true;
}

static void console_bytes(struct run *r, const char *p, size_t n)
{
	write_all(1, p, n);
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\n' || r->line_len + 1 >= sizeof(r->line)) {
			r->line[r->line_len] = 0;
			scan_line(r, r->line);
			r->line_len = 0;
			if (c == '\n')
				continue;
		}
		if (c != '\r')
			r->line[r->line_len++] = c;
	}
}

/* Read what is there; false at EOF. */
static bool console_read(struct run *r)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(r->con_fd, buf, sizeof(buf));
		if (n > 0) {
			console_bytes(r, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		return false;
	}
}

enum stop_reason run_serve(struct run *r)
{
	const struct launch_options *o = r->o;
	/* from QEMU's start: a cold package cache must not eat the guest's time */
	double deadline = o->timeout_s ? r->t_qemu + o->timeout_s : 0;
	double panic_grace = 0;
	for (;;) {
		struct pollfd pf[2] = { { .fd = wake_fd[0], .events = POLLIN }, { .fd = r->con_fd, .events = POLLIN } };
		int wait_ms = -1;
		double t = now_s();
		double until = deadline;
		if (panic_grace && (!until || panic_grace < until))
			until = panic_grace;
		if (until)
			wait_ms = until > t ? (int)((until - t) * 1000) + 1 : 0;
		int n = poll(pf, r->con_fd >= 0 ? 2 : 1, wait_ms);
		if (n < 0 && errno != EINTR)
			return STOP_QEMU_EXIT;
		if (pf[0].revents & POLLIN) {
			char drain[64];
			while (read(wake_fd[0], drain, sizeof(drain)) > 0) {
			}
		}
		if (r->con_fd >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && !console_read(r)) {
			close(r->con_fd);
			r->con_fd = -1;
		}
		if (got_signal)
			return STOP_SIGNAL;
		int ev = atomic_load(&r->event);
		if (ev == BOARD_EVENT_SYSTEM_OFF + 1)
			return STOP_POWER_OFF;
		if (ev == BOARD_EVENT_SYSTEM_RESET + 1)
			return STOP_RESET;
		if (ev)
			return STOP_FATAL;
		if (qemu_reap(r, false))
			return STOP_QEMU_EXIT;
		/* a script that has reported its status is done, even if power-off is slow */
		if (o->script && r->exit_rc >= 0 && !panic_grace)
			panic_grace = now_s() + 5;
		if (r->panic && !panic_grace)
			panic_grace = now_s() + 2; /* let the trace through; panic=-1 resets soon */
		t = now_s();
		if (panic_grace && t >= panic_grace)
			return r->exit_rc >= 0 ? STOP_POWER_OFF : STOP_PANIC;
		if (deadline && t >= deadline)
			return STOP_TIMEOUT;
	}
}

void run_console_drain(struct run *r)
{
	if (r->con_fd >= 0) {
		fcntl(r->con_fd, F_SETFL, 0);
		console_read(r);
		close(r->con_fd);
		r->con_fd = -1;
	}
	if (r->line_len) {
		r->line[r->line_len] = 0;
		scan_line(r, r->line);
		r->line_len = 0;
	}
}
