/* SPDX-License-Identifier: MIT */
/*
 * One `vtee run` in progress, shared by the files that run it: launch.c (the
 * order of things, the exit status), launch_qemu.c (QEMU's command line and
 * process), launch_serve.c (signals, board events, the console, the loop that
 * waits for the end) and launch_tee.c (the TEE: libvtee here, or a vteed).
 */
#ifndef VTEE_BOARD_LAUNCH_RUN_H
#define VTEE_BOARD_LAUNCH_RUN_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>

#include "host.h"
#include "launch_int.h"
#include "vtee/vtee.h"

enum stop_reason {
	STOP_NONE,
	STOP_POWER_OFF,  /* PSCI SYSTEM_OFF */
	STOP_RESET,      /* PSCI SYSTEM_RESET (panic=-1 gets here too) */
	STOP_FATAL,      /* firmware reported an exception or bad boot info */
	STOP_PANIC,      /* "Kernel panic" on the console and no reset soon after */
	STOP_QEMU_EXIT,  /* QEMU went away by itself */
	STOP_TIMEOUT,
	STOP_SIGNAL,
};

struct run {
	const struct launch_options *o;
	char *tmpdir, *ram_path, *sock_path, *dump_path, *firmware;
	struct vtee_tee *tee;
	struct vtee_vm *vm;
	struct vteed *vteed;     /* --vteed: the supervised mediator, instead of tee/vm */
	struct board_host *host;
	pid_t qemu;
	int qemu_status;         /* waitpid status once reaped */
	bool qemu_reaped;
	int con_fd;              /* console pipe, -1 when QEMU owns the terminal */
	bool interactive;
	struct termios tio;
	bool tio_saved;
	/* from the board host's thread */
	_Atomic int event;       /* enum board_event + 1, 0 = none */
	atomic_bool event_claimed;
	_Atomic unsigned event_cpu;
	char event_detail[256];
	/* console scan */
	char line[1024];
	size_t line_len;
	int exit_rc;             /* from VTEE-EXIT, -1 until seen */
	bool ready, panic;
	double t_start, t_qemu, t_ready;
};

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- launch_serve.c ---- */

/* The signals a run takes over (and SIGPIPE, ignored), with what they were before. */
#define RUN_SIGNALS 5
struct run_signals {
	struct sigaction old[RUN_SIGNALS], old_pipe;
};
/* The wake-up pipe and the handlers: 0, or -errno (nothing installed). */
int run_signals_install(struct run_signals *s);
/* The old handlers back, the pipe closed. */
void run_signals_restore(const struct run_signals *s);
/* The signal that asked the run to stop, 0 if none. */
int run_stop_signal(void);
/* board_host_config.event: the board's power-off, reset or fatal report (first one wins). */
void run_on_board_event(void *ctx, enum board_event ev, unsigned cpu, const char *detail);
/* Echo and scan the console until the guest, QEMU, a signal or the timeout ends the run. */
enum stop_reason run_serve(struct run *r);
/* The rest of the console, up to QEMU's exit, then the pipe closed; the last partial line scanned. */
void run_console_drain(struct run *r);

/* ---- launch_qemu.c ---- */

struct argv {
	char *v[64];
	size_t n;
};
/* QEMU's command line; dump: the same machine, with dumpdtb= and no chardevs (nothing listens yet). */
void qemu_argv(const struct run *r, bool dump, struct argv *a);
void argv_free(struct argv *a);
/* fork + exec QEMU; its console becomes r->con_fd unless interactive. 0 or -errno. */
int qemu_start(struct run *r);
/* Whether QEMU is gone (reaped now or before); block: wait for it. */
bool qemu_reap(struct run *r, bool block);
/* SIGTERM, 3 s, SIGKILL: QEMU gone whatever it does. */
void qemu_stop(struct run *r);

/* ---- launch_tee.c ---- */

/* The TEE in this process (libvtee, on o->backend), unless --vteed: r->tee, r->vm. 0 or -errno. */
int run_tee_open(struct run *r);
/* board_host_config.tee_smc with --vteed: the SMC goes to the supervised vteed. */
void run_vteed_smc(void *ctx, unsigned cpu, uint64_t regs[8]);
/* --vteed: start vteed (and vtee-tee) on the board host's RAM. 0 or -errno (said why). */
int run_vteed_start(struct run *r);
/* What the guest left in the TEE, asked of vteed. 0 or -errno (said why). */
int run_vteed_stats(struct run *r, struct vtee_vm_stats *vs);

#endif
