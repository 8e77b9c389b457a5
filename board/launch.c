// SPDX-License-Identifier: MIT
/*
 * `vtee run`: the emulated board's launcher (see launch.h).
 *
 * Order: fetch packages -> initramfs (memory) -> QEMU's DTB (dumped, patched)
 * -> vtee back-end and VM -> board host (RAM file, boot info, doorbell socket)
 * -> kernel, DTB, initrd copied into guest RAM -> fork/exec QEMU -> console loop.
 *
 * Console: interactive (stdin and stdout are terminals, no --script) QEMU gets
 * the terminal (-serial mon:stdio: Ctrl-A x quits, Ctrl-A h helps); otherwise
 * QEMU's stdout is a pipe that this process echoes and scans for the guest
 * init's markers (VTEE-READY, VTEE-EXIT <rc>) and for "Kernel panic".
 *
 * Guest RAM layout: kernel BOARD_KERNEL_ADDR, DTB BOARD_DTB_ADDR, initrd
 * BOARD_INITRD_ADDR up to the firmware's reserved region VTFW_RESERVED_BASE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vtee/vteed.h"
#include "host.h"
#include "launch_int.h"
#include "mailbox.h"
#include "vtee/vtee.h"

#define KERNEL_ARGS "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init panic=-1"

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

struct run;
static void vteed_tee_smc(void *ctx, unsigned cpu, uint64_t regs[8]);
static int start_vteed(struct run *r);
static int vteed_stats(struct run *r, struct vtee_vm_stats *vs);

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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_board_event(void *ctx, enum board_event ev, unsigned cpu, const char *detail)
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

/* ---- firmware lookup ---- */

static char *find_firmware(const struct launch_options *o)
{
	if (o->firmware)
		return xasprintf("%s", o->firmware);
	const char *e = getenv("VTEE_FIRMWARE");
	if (e && *e)
		return xasprintf("%s", e);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			/* build/tools/vtee -> build/board/firmware/firmware.bin */
			char *p = xasprintf("%s/../board/firmware/firmware.bin", exe);
			if (path_exists(p))
				return p;
			free(p);
		}
	}
#ifdef VTEE_BOARD_FIRMWARE
	if (path_exists(VTEE_BOARD_FIRMWARE))
		return xasprintf("%s", VTEE_BOARD_FIRMWARE);
#endif
	return NULL;
}

/* ---- QEMU command line ---- */

struct argv {
	char *v[64];
	size_t n;
};

static void arg(struct argv *a, char *s)
{
	if (a->n + 1 < sizeof(a->v) / sizeof(a->v[0]))
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* dump: the same machine, with dumpdtb= and no chardevs (nothing listens yet). */
static void qemu_argv(const struct run *r, bool dump, struct argv *a)
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

/* ---- loading images into guest RAM ---- */

static int load_file(struct run *r, const char *path, uint64_t gpa, uint64_t limit, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		lmsg("cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	uint64_t n = (uint64_t)st.st_size;
	uint8_t *dst = n <= limit - gpa ? board_host_ram(r->host, gpa, n) : NULL;
	if (!dst) {
		lmsg("%s (%llu bytes) does not fit at %#llx", path, (unsigned long long)n, (unsigned long long)gpa);
		close(fd);
		return -E2BIG;
	}
	uint64_t done = 0;
	while (done < n) {
		ssize_t k = read(fd, dst + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			lmsg("cannot read %s", path);
			close(fd);
			return -EIO;
		}
		done += (uint64_t)k;
	}
	close(fd);
	*size = n;
	return 0;
}

static int load_buf(struct run *r, const struct lbuf *b, uint64_t gpa, uint64_t limit, const char *what)
{
	void *dst = b->len <= limit - gpa ? board_host_ram(r->host, gpa, b->len) : NULL;
	if (!dst) {
		lmsg("the %s (%zu bytes) does not fit at %#llx", what, b->len, (unsigned long long)gpa);
		return -E2BIG;
	}
	memcpy(dst, b->p, b->len);
	return 0;
}

/* ---- QEMU ---- */

static int start_qemu(struct run *r)
{
	struct argv a = { 0 };
	qemu_argv(r, false, &a);
	if (launch_verbose && getenv("VTEE_RUN_DEBUG")) {
		fprintf(stderr, "vtee run:");
		for (size_t i = 0; i < a.n; i++)
			fprintf(stderr, " %s", a.v[i]);
		fprintf(stderr, "\n");
	}
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
		return e;
	}
	if (pid == 0) {
		/* die with vtee, whatever kills it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (!r->interactive) {
			/* Ctrl-C reaches vtee only; vtee stops QEMU */
			setpgid(0, 0);
			dup2(pfd[1], 1);
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
		execvp(a.v[0], a.v);
		fprintf(stderr, "vtee run: cannot run %s: %s\n", a.v[0], strerror(errno));
		_exit(127);
	}
	argv_free(&a);
	r->qemu = pid;
	if (!r->interactive) {
		close(pfd[1]);
		r->con_fd = pfd[0];
		fcntl(r->con_fd, F_SETFL, O_NONBLOCK);
	}
	return 0;
}

static bool reap_qemu(struct run *r, bool block)
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

static void stop_qemu(struct run *r)
{
	if (r->qemu <= 0 || reap_qemu(r, false))
		return;
	kill(r->qemu, SIGTERM);
	for (int i = 0; i < 300; i++) { /* 3 s */
		if (reap_qemu(r, false))
			return;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(r->qemu, SIGKILL);
	reap_qemu(r, true);
}

/* ---- console ---- */

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

static enum stop_reason serve(struct run *r)
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
		if (reap_qemu(r, false))
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

/* ---- run ---- */

static void restore_tty(struct run *r)
{
	if (r->tio_saved)
		tcsetattr(0, TCSANOW, &r->tio);
}

static void cleanup(struct run *r)
{
	stop_qemu(r);
	restore_tty(r);
	if (r->con_fd >= 0) {
		/* what QEMU wrote before it went */
		fcntl(r->con_fd, F_SETFL, 0);
		console_read(r);
		if (r->line_len) {
			r->line[r->line_len] = 0;
			scan_line(r, r->line);
			r->line_len = 0;
		}
		close(r->con_fd);
		r->con_fd = -1;
	}
	/* the host's CPU workers first: one may still wait in vteed_smc() for an answer */
	if (r->host)
		board_host_stop(r->host);
	if (r->vteed) {
		vteed_close(r->vteed);
		r->vteed = NULL;
	}
	if (r->vm)
		vtee_vm_destroy(r->vm);
	if (r->tee)
		vtee_tee_close(r->tee);
	/* the RAM file and the socket are board_host's: it removes what it created, and only that */
	if (r->dump_path)
		unlink(r->dump_path);
	if (r->tmpdir)
		rmdir(r->tmpdir);
	free(r->tmpdir);
	free(r->ram_path);
	free(r->sock_path);
	free(r->dump_path);
	free(r->firmware);
}

static int check_options(const struct launch_options *o)
{
	if (o->smp < 1 || o->smp > VTFW_MAX_CPUS) {
		lmsg("--smp must be 1..%d", VTFW_MAX_CPUS);
		return -EINVAL;
	}
	if (o->mem_mib < 256 || o->mem_mib % 2 || o->mem_mib > 65536) {
		lmsg("--mem must be an even number of MiB, 256..65536");
		return -EINVAL;
	}
	for (size_t i = 0; i < o->nadds; i++)
		if (!o->adds[i].guest || o->adds[i].guest[0] != '/' || !path_exists(o->adds[i].host)) {
			lmsg("--add %s: no such host file, or the guest path is not absolute", o->adds[i].host);
			return -EINVAL;
		}
	if (o->script && !path_exists(o->script)) {
		lmsg("--script %s: no such file", o->script);
		return -EINVAL;
	}
	return 0;
}

/* --export DIR: the guest's kernel and initramfs, for another VMM. 0 or LAUNCH_EXIT_BOARD. */
static int export_guest(const struct launch_options *o, struct guest_pkgs *gp, struct lbuf *initrd)
{
	if (guest_pkgs_fetch(o, gp) || initramfs_build(o, gp, initrd))
		return LAUNCH_EXIT_BOARD;
	struct lbuf k = { 0 };
	char *kpath = xasprintf("%s/Image", o->export_dir), *ipath = xasprintf("%s/initrd.cpio", o->export_dir);
	int e = mkdir(o->export_dir, 0755) && errno != EEXIST ? -errno : 0;
	if (!e)
		e = read_file(gp->kernel_image, &k);
	if (!e)
		e = write_file(kpath, k.p, k.len);
	if (!e)
		e = write_file(ipath, initrd->p, initrd->len);
	if (e)
		lmsg("--export %s: %s", o->export_dir, strerror(-e));
	else if (launch_verbose)
		lmsg("exported %s (%zu MiB) and %s (%zu MiB)", kpath, k.len >> 20, ipath, initrd->len >> 20);
	lbuf_free(&k);
	free(kpath);
	free(ipath);
	return e ? LAUNCH_EXIT_BOARD : 0;
}

int launch_run(const struct launch_options *o)
{
	struct run r = { .o = o, .con_fd = -1, .exit_rc = -1, .t_start = now_s() };
	struct guest_pkgs gp = { 0 };
	struct lbuf initrd = { 0 }, dtb = { 0 };
	char *bootargs = NULL;
	int status = LAUNCH_EXIT_BOARD;
	launch_verbose = !o->quiet;

	if (check_options(o))
		return LAUNCH_EXIT_USAGE;
	r.interactive = !o->script && isatty(0) && isatty(1);

	/* signals first: everything from here on is cleaned up */
	if (pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK))
		return LAUNCH_EXIT_BOARD;
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };
	struct sigaction old[5];
	for (size_t i = 0; i < 5; i++)
		sigaction(sigs[i], &sa, &old[i]);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigaction(SIGPIPE, &ign, &old_pipe);

	if (o->export_dir) {
		status = export_guest(o, &gp, &initrd);
		goto out;
	}
	if (!(r.firmware = find_firmware(o))) {
		lmsg("no board firmware: build it (meson, board/firmware) or pass --firmware");
		goto out;
	}
	if (!path_exists(r.firmware)) {
		lmsg("firmware %s: no such file", r.firmware);
		goto out;
	}

	if (guest_pkgs_fetch(o, &gp))
		goto out;
	if (got_signal)
		goto out;
	if (launch_verbose)
		lmsg("kernel %s%s%s", gp.kernel_image, gp.kver ? ", release " : "", gp.kver ? gp.kver : "");

	if (initramfs_build(o, &gp, &initrd))
		goto out;

	const char *tmp = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/vtee-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		lmsg("mkdtemp %s: %s", tmpl, strerror(errno));
		free(tmpl);
		goto out;
	}
	r.tmpdir = tmpl;
	r.sock_path = xasprintf("%s/secure-uart.sock", r.tmpdir);
	r.dump_path = xasprintf("%s/qemu.dtb", r.tmpdir);
	r.ram_path = xasprintf("%s/vtee-run-%d-ram", path_exists("/dev/shm") ? "/dev/shm" : r.tmpdir,
			       (int)getpid());

	uint64_t initrd_start = BOARD_INITRD_ADDR, initrd_end = BOARD_INITRD_ADDR + initrd.len;
	if (initrd_end > VTFW_RESERVED_BASE) {
		lmsg("the initramfs (%zu MiB) does not fit below the firmware region at %#llx", initrd.len >> 20,
		     (unsigned long long)VTFW_RESERVED_BASE);
		goto out;
	}
	bootargs = xasprintf("%s%s%s%s", KERNEL_ARGS, o->quiet ? " quiet" : "", o->append ? " " : "",
			     o->append ? o->append : "");
	struct argv dump = { 0 };
	qemu_argv(&r, true, &dump);
	struct dtb_params dp = {
		.dump_argv = dump.v, .dump_path = r.dump_path, .bootargs = bootargs,
		.initrd_start = initrd_start, .initrd_end = initrd_end,
		.reserved_base = VTFW_RESERVED_BASE, .reserved_size = VTFW_RESERVED_SIZE,
	};
	int e = dtb_build(&dp, &dtb);
	argv_free(&dump);
	if (e || got_signal)
		goto out;

	if (!o->vteed) {
		if ((e = vtee_tee_open("soft", NULL, &r.tee))) {
			lmsg("vtee_tee_open(soft): %s", strerror(-e));
			goto out;
		}
		struct vtee_vm_config vc = { .vm_id = 1, .name = "board", .no_rpc_arg = o->no_rpc_arg };
		if ((e = vtee_vm_create(r.tee, &vc, &r.vm))) {
			lmsg("vtee_vm_create: %s", strerror(-e));
			goto out;
		}
	}
	struct board_host_config hc = {
		.ram_path = r.ram_path,
		.ram_size = (uint64_t)o->mem_mib << 20,
		.ncpus = o->smp,
		.enter_el1 = false,
		.socket_path = r.sock_path,
		.vm = r.vm,
		.tee_smc = o->vteed ? vteed_tee_smc : NULL,
		.tee_ctx = &r,
		.event = on_board_event,
		.ctx = &r,
	};
	if ((e = board_host_start(&hc, &r.host))) {
		r.host = NULL;
		lmsg("board_host_start: %s", strerror(-e));
		goto out;
	}
	if (o->vteed && (e = start_vteed(&r)))
		goto out;

	uint64_t ksize = 0;
	if (load_file(&r, gp.kernel_image, BOARD_KERNEL_ADDR, BOARD_DTB_ADDR, &ksize) ||
	    load_buf(&r, &dtb, BOARD_DTB_ADDR, BOARD_INITRD_ADDR, "device tree") ||
	    load_buf(&r, &initrd, BOARD_INITRD_ADDR, VTFW_RESERVED_BASE, "initramfs"))
		goto out;
	/* the Image header's image_size (with bss) must fit below the DTB too */
	const uint8_t *kh = board_host_ram(r.host, BOARD_KERNEL_ADDR, 64);
	uint64_t image_size = 0;
	memcpy(&image_size, kh + 16, sizeof(image_size));
	if (image_size > BOARD_DTB_ADDR - BOARD_KERNEL_ADDR) {
		lmsg("the kernel needs %llu MiB, more than the %llu MiB below the DTB",
		     (unsigned long long)(image_size >> 20),
		     (unsigned long long)((BOARD_DTB_ADDR - BOARD_KERNEL_ADDR) >> 20));
		goto out;
	}
	if (launch_verbose)
		lmsg("%u CPU%s, %u MiB, %s; kernel %llu MiB, initramfs %zu KiB; %s",
		     o->smp, o->smp > 1 ? "s" : "", o->mem_mib, o->no_virt ? "EL1 (no EL2)" : "EL2",
		     (unsigned long long)(ksize >> 20), initrd.len >> 10,
		     r.interactive ? "Ctrl-A x quits QEMU" : "console follows");

	if (r.interactive && tcgetattr(0, &r.tio) == 0)
		r.tio_saved = true;
	if (got_signal)
		goto out;
	r.t_qemu = now_s();
	if ((e = start_qemu(&r))) {
		lmsg("cannot start QEMU: %s", strerror(-e));
		goto out;
	}

	enum stop_reason why = serve(&r);
	stop_qemu(&r);
	restore_tty(&r);
	if (r.con_fd >= 0) {
		fcntl(r.con_fd, F_SETFL, 0);
		console_read(&r); /* the rest, up to QEMU's exit */
		close(r.con_fd);
		r.con_fd = -1;
	}
	if (r.line_len) {
		r.line[r.line_len] = 0;
		scan_line(&r, r.line);
		r.line_len = 0;
	}

	double t_end = now_s();
	if (launch_verbose && r.ready)
		lmsg("guest ready %.2f s after QEMU started (%.2f s after vtee run started)", r.t_ready - r.t_qemu,
		     r.t_ready - r.t_start);
	if (launch_verbose && r.host) {
		struct board_host_stats st;
		board_host_get_stats(r.host, &st);
		lmsg("%llu SMCs served (%llu TEE, %.1f ms in vtee; %llu PSCI) in %.2f s",
		     (unsigned long long)st.smc, (unsigned long long)st.tee_smc, (double)st.tee_ns / 1e6,
		     (unsigned long long)st.psci, t_end - r.t_qemu);
	}
	switch (why) {
	case STOP_SIGNAL:
		lmsg("stopped by signal %d", (int)got_signal);
		status = LAUNCH_EXIT_SIGNAL + got_signal;
		break;
	case STOP_TIMEOUT:
		lmsg("timed out after %u s", o->timeout_s);
		status = LAUNCH_EXIT_TIMEOUT;
		break;
	case STOP_FATAL:
		lmsg("the firmware reported a fatal exception on CPU %u: %s", atomic_load(&r.event_cpu),
		     r.event_detail);
		status = LAUNCH_EXIT_BOARD;
		break;
	case STOP_PANIC:
	case STOP_RESET:
		lmsg("the guest %s", why == STOP_RESET ? "reset (a kernel panic, with panic=-1)" : "panicked");
		status = LAUNCH_EXIT_BOARD;
		break;
	case STOP_QEMU_EXIT:
		if (!r.interactive || !WIFEXITED(r.qemu_status) || WEXITSTATUS(r.qemu_status)) {
			if (WIFEXITED(r.qemu_status))
				lmsg("QEMU exited with status %d", WEXITSTATUS(r.qemu_status));
			else if (WIFSIGNALED(r.qemu_status))
				lmsg("QEMU was killed by signal %d", WTERMSIG(r.qemu_status));
		}
		status = r.interactive && WIFEXITED(r.qemu_status) && !WEXITSTATUS(r.qemu_status) ? 0
											: LAUNCH_EXIT_BOARD;
		break;
	case STOP_POWER_OFF:
	case STOP_NONE:
		status = 0;
		break;
	}
	if (o->script && why != STOP_SIGNAL && why != STOP_TIMEOUT) {
		if (r.exit_rc >= 0) {
			status = r.exit_rc;
		} else {
			if (status == 0)
				lmsg("the guest powered off without reporting the script's status");
			status = LAUNCH_EXIT_BOARD;
		}
	}
	if (r.panic && status == 0 && !o->script)
		status = LAUNCH_EXIT_BOARD;
	if (r.vm || r.vteed) {
		/* what the guest left in vtee: with the driver unloaded, nothing */
		struct vtee_vm_stats vs;
		if (r.vm)
			vtee_vm_get_stats(r.vm, &vs);
		else if (vteed_stats(&r, &vs))
			status = status ? status : LAUNCH_EXIT_BOARD;
		if (launch_verbose || o->expect_clean)
			lmsg("VM state at exit: %u sessions, %u shm buffers (%llu pages), %u calls in flight",
			     vs.sessions, vs.shm_buffers, (unsigned long long)vs.shm_pages, vs.calls);
		if (o->expect_clean && status == 0 && (vs.sessions || vs.shm_buffers || vs.shm_pages || vs.calls)) {
			lmsg("--expect-clean: the VM still holds TEE state");
			status = LAUNCH_EXIT_UNCLEAN;
		}
	}
out:
	cleanup(&r);
	guest_pkgs_free(&gp);
	lbuf_free(&initrd);
	lbuf_free(&dtb);
	free(bootargs);
	for (size_t i = 0; i < 5; i++)
		sigaction(sigs[i], &old[i], NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	close(wake_fd[0]);
	close(wake_fd[1]);
	wake_fd[0] = wake_fd[1] = -1;
	if (got_signal && status == LAUNCH_EXIT_BOARD)
		status = LAUNCH_EXIT_SIGNAL + got_signal;
	return status;
}

/* ---- --vteed: the TEE out of process ------------------------------------- */

static void vteed_tee_smc(void *ctx, unsigned cpu, uint64_t regs[8])
{
	struct run *r = ctx;
	vteed_smc(r->vteed, cpu, regs);
}

/* A helper program: the option, the environment, beside this program, this build tree, PATH. */
static char *helper_path(const char *given, const char *env, const char *name)
{
	if (given)
		return strdup(given);
	const char *e = getenv(env);
	if (e && *e)
		return strdup(e);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			char *p = NULL;
			if (asprintf(&p, "%s/%s", self, name) > 0 && access(p, X_OK) == 0)
				return p;
			free(p);
			p = NULL;
			/* build tree: tools/vtee next to daemon/ */
			if (asprintf(&p, "%s/../daemon/%s", self, name) > 0 && access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return strdup(name);
}

static int start_vteed(struct run *r)
{
	const struct launch_options *o = r->o;
	struct board_tee_ram tr[2];
	unsigned n = board_host_tee_ram(r->host, tr);
	struct vteed_ram ram[2];
	for (unsigned i = 0; i < n; i++)
		ram[i] = (struct vteed_ram){ tr[i].gpa, tr[i].size, tr[i].fd, tr[i].fd_offset };
	char *vp = helper_path(o->vteed_path, "VTEED", "vteed");
	char *tp = helper_path(o->tee_path, "VTEE_TEE", "vtee-tee");
	const char *extra[3] = { NULL };
	if (o->policy) {
		extra[0] = "--policy";
		extra[1] = o->policy;
	}
	struct vteed_config vc = { .vm_id = 1, .name = "board", .nvcpus = o->smp, .no_rpc_arg = o->no_rpc_arg,
				   .vteed_path = vp, .tee_path = tp, .extra_args = extra };
	char msg[VTEED_MSG_MAX];
	vteed_set_log(vteed_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* the supervisor's lines on stderr */
	int e = vteed_start(&vc, ram, n, &r->vteed, msg, sizeof(msg));
	if (e)
		lmsg("starting vteed (%s, %s): %s (%s)", vp, tp, strerror(-e), msg);
	else if (launch_verbose) {
		struct vteed_info info;
		vteed_get_info(r->vteed, &info);
		lmsg("TEE served by vteed (pid %d) and vtee-tee (pid %d)", (int)info.pid, (int)info.tee_pid);
	}
	free(vp);
	free(tp);
	return e;
}

static int vteed_stats(struct run *r, struct vtee_vm_stats *vs)
{
	struct vteed_status st;
	memset(vs, 0, sizeof(*vs));
	int e = vteed_status(r->vteed, &st);
	if (e) {
		lmsg("vteed status: %s", strerror(-e));
		return e;
	}
	vs->sessions = st.sessions;
	vs->shm_buffers = st.shm_buffers;
	vs->shm_pages = st.shm_pages;
	vs->calls = st.calls;
	vs->tee_sessions = st.tee_sessions;
	struct vteed_info info;
	vteed_get_info(r->vteed, &info);
	if (info.restarts || launch_verbose)
		lmsg("vteed was restarted %u times (last recovery %.1f ms, %u calls lost)", info.restarts,
		     (double)info.last_recovery_ns / 1e6, info.lost_calls);
	return 0;
}
