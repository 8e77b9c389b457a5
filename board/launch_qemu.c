// SPDX-License-Identifier: MIT
/*
 * QEMU for `vtee run`: the emulated board's command line (virt, secure,
 * GICv3, EL2 unless --no-virt, guest RAM in a shared file the board host maps
 * too, the firmware as -bios, the secure UART on a socket) and its process:
 * started with vtee's signals unblocked and, unless interactive, in its own
 * process group with its console on a pipe; stopped with SIGTERM, then
 * SIGKILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch_run.h"

static void arg(struct argv *a, char *s)
{
	if (a->n + 1 < sizeof(a->v) / sizeof(a->v[0]))
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

void qemu_argv(const struct run *r, bool dump, struct argv *a)
{
	const struct launch_options *o = r->o;
	arg(a, xasprintf("%s", o->qemu ? o->qemu : getenv("VTEE_QEMU") ? getenv("VTEE_QEMU")
									: "qemu-system-aarch64"));
	arg(a, xasprintf("-machine"));
	arg(a, xasprintf("virt,secure=on,gic-version=3,virtualization=%s,memory-backend=mem%s%s",
			 o->no_virt ? "off" : "on", dump ? ",dumpdtb=" : "", dump ? r->dump_path : ""));
	arg(a, xasprintf("-cpu"));
	arg(a, xasprintf("%s", o->cpu ? o->cpu : "max"));
	arg(a, xasprintf("-smp"));
	arg(a, xasprintf("%u", o->smp));
	arg(a, xasprintf("-m"));
	arg(a, xasprintf("%u", o->mem_mib));
	arg(a, xasprintf("-object"));
	if (dump)
		arg(a, xasprintf("memory-backend-ram,id=mem,size=%uM", o->mem_mib));
	else
		arg(a, xasprintf("memory-backend-file,id=mem,size=%uM,mem-path=%s,share=on", o->mem_mib,
				 r->ram_path));
	arg(a, xasprintf("-bios"));
	arg(a, xasprintf("%s", r->firmware));
	arg(a, xasprintf("-display"));
	arg(a, xasprintf("none"));
	arg(a, xasprintf("-monitor"));
	arg(a, xasprintf("none"));
	arg(a, xasprintf("-nodefaults"));
	if (dump) {
		arg(a, xasprintf("-serial"));
		arg(a, xasprintf("null"));
		arg(a, xasprintf("-serial"));
		arg(a, xasprintf("null"));
	} else {
		arg(a, xasprintf("-serial"));
		arg(a, xasprintf("%s", r->interactive ? "mon:stdio" : "stdio"));
		arg(a, xasprintf("-chardev"));
		arg(a, xasprintf("socket,id=sec,path=%s", r->sock_path));
		arg(a, xasprintf("-serial"));
		arg(a, xasprintf("chardev:sec"));
	}
}

/* VTEE_RUN_DEBUG: QEMU's command line, one line. */
static void log_argv(const struct argv *a)
{
	struct lbuf line = { 0 };
	int e = 0;
	for (size_t i = 0; i < a->n && !e; i++)
		e = lbuf_printf(&line, "%s%s", i ? " " : "", a->v[i]);
	if (!e)
		lmsg("%s", (char *)line.p);
	lbuf_free(&line);
}

/* In the child: QEMU dies with vtee, has our signals unblocked and, unless interactive, its own group. */
static _Noreturn void qemu_child(const struct run *r, char *const argv[], int con_fd, bool stdin_null)
{
	/* die with vtee, whatever kills it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!r->interactive) {
		/* Ctrl-C reaches vtee only; vtee stops QEMU */
		setpgid(0, 0);
		dup2(con_fd, 1);
		if (stdin_null) {
			int fd = open("/dev/null", O_RDONLY);
			if (fd >= 0 && fd != 0) {
				dup2(fd, 0);
				close(fd);
			}
		}
	}
	if (getppid() == 1)
		_exit(127);
	execvp(argv[0], argv);
	lmsg("cannot run %s: %s", argv[0], strerror(errno));
	_exit(127);
}

int qemu_start(struct run *r)
{
	struct argv a = { 0 };
	qemu_argv(r, false, &a);
	if (launch_verbose && getenv("VTEE_RUN_DEBUG"))
		log_argv(&a);
	int pfd[2] = { -1, -1 };
	if (!r->interactive && pipe2(pfd, O_CLOEXEC)) {
		argv_free(&a);
		return -errno;
	}
	bool stdin_null = !r->interactive && (r->o->script || isatty(0));
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		argv_free(&a);
		if (!r->interactive) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return e;
	}
	if (pid == 0)
		qemu_child(r, a.v, pfd[1], stdin_null);
	argv_free(&a);
	r->qemu = pid;
	if (!r->interactive) {
		close(pfd[1]);
		r->con_fd = pfd[0];
		fcntl(r->con_fd, F_SETFL, O_NONBLOCK);
	}
	return 0;
}

bool qemu_reap(struct run *r, bool block)
{
	if (r->qemu <= 0 || r->qemu_reaped)
		return true;
	int st;
	pid_t p;
	do
		p = waitpid(r->qemu, &st, block ? 0 : WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p == r->qemu || (p < 0 && errno == ECHILD)) {
		r->qemu_reaped = true;
		r->qemu_status = p == r->qemu ? st : 0;
		return true;
	}
	return false;
}

void qemu_stop(struct run *r)
{
	if (r->qemu <= 0 || qemu_reap(r, false))
		return;
	kill(r->qemu, SIGTERM);
	for (int i = 0; i < 300; i++) { /* 3 s */
		if (qemu_reap(r, false))
			return;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(r->qemu, SIGKILL);
	qemu_reap(r, true);
}
