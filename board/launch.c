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
 * QEMU's stdout is a pipe that launch_serve.c echoes and scans.
 *
 * Guest RAM layout: kernel BOARD_KERNEL_ADDR, DTB BOARD_DTB_ADDR, initrd
 * BOARD_INITRD_ADDR up to the firmware's reserved region VTFW_RESERVED_BASE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "vtee/vteed.h"
#include "launch_run.h"
#include "mailbox.h"

#define KERNEL_ARGS "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init panic=-1"

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

/* ---- before the guest: firmware, packages, initramfs, DTB, TEE, board, images ---- */

/* The temp dir of the run and the paths in it: the QEMU socket, the DTB dump, the RAM file. */
static int make_tmpdir(struct run *r)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/vtee-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		int e = -errno;
		lmsg("mkdtemp %s: %s", tmpl, strerror(errno));
		free(tmpl);
		return e;
	}
	r->tmpdir = tmpl;
	r->sock_path = xasprintf("%s/secure-uart.sock", r->tmpdir);
	r->dump_path = xasprintf("%s/qemu.dtb", r->tmpdir);
	r->ram_path = xasprintf("%s/vtee-run-%d-ram", path_exists("/dev/shm") ? "/dev/shm" : r->tmpdir,
				(int)getpid());
	return 0;
}

/* QEMU's own DTB for this machine, with the kernel command line, the initrd and the firmware's region. */
static int make_dtb(struct run *r, const struct lbuf *initrd, struct lbuf *dtb)
{
	const struct launch_options *o = r->o;
	uint64_t initrd_start = BOARD_INITRD_ADDR, initrd_end = BOARD_INITRD_ADDR + initrd->len;
	if (initrd_end > VTFW_RESERVED_BASE) {
		lmsg("the initramfs (%zu MiB) does not fit below the firmware region at %#llx", initrd->len >> 20,
		     (unsigned long long)VTFW_RESERVED_BASE);
		return -E2BIG;
	}
	char *bootargs = xasprintf("%s%s%s%s", KERNEL_ARGS, o->quiet ? " quiet" : "", o->append ? " " : "",
				   o->append ? o->append : "");
	struct argv dump = { 0 };
	qemu_argv(r, true, &dump);
	struct dtb_params dp = {
		.dump_argv = dump.v, .dump_path = r->dump_path, .bootargs = bootargs,
		.initrd_start = initrd_start, .initrd_end = initrd_end,
		.reserved_base = VTFW_RESERVED_BASE, .reserved_size = VTFW_RESERVED_SIZE,
	};
	int e = dtb_build(&dp, dtb);
	argv_free(&dump);
	free(bootargs);
	return e;
}

/* Firmware, guest packages, initramfs, temp dir and DTB. 0, or non-zero (said why) to stop. */
static int prepare(struct run *r, struct guest_pkgs *gp, struct lbuf *initrd, struct lbuf *dtb)
{
	const struct launch_options *o = r->o;
	if (!(r->firmware = find_firmware(o))) {
		lmsg("no board firmware: build it (meson, board/firmware) or pass --firmware");
		return -ENOENT;
	}
	if (!path_exists(r->firmware)) {
		lmsg("firmware %s: no such file", r->firmware);
		return -ENOENT;
	}
	if (guest_pkgs_fetch(o, gp) || run_stop_signal())
		return -EIO;
	if (launch_verbose)
		lmsg("kernel %s%s%s", gp->kernel_image, gp->kver ? ", release " : "", gp->kver ? gp->kver : "");
	if (initramfs_build(o, gp, initrd))
		return -EIO;
	int e = make_tmpdir(r);
	if (!e)
		e = make_dtb(r, initrd, dtb);
	return e ? e : run_stop_signal() ? -EINTR : 0;
}

/* The TEE (here, or vteed after the board host, whose RAM it needs) and the board host. */
static int start_board(struct run *r)
{
	const struct launch_options *o = r->o;
	int e = run_tee_open(r);
	if (e)
		return e;
	struct board_host_config hc = {
		.ram_path = r->ram_path,
		.ram_size = (uint64_t)o->mem_mib << 20,
		.ncpus = o->smp,
		.enter_el1 = false,
		.socket_path = r->sock_path,
		.vm = r->vm,
		.tee_smc = o->vteed ? run_vteed_smc : NULL,
		.tee_ctx = r,
		.event = run_on_board_event,
		.ctx = r,
	};
	if ((e = board_host_start(&hc, &r->host))) {
		r->host = NULL;
		lmsg("board_host_start: %s", strerror(-e));
		return e;
	}
	return o->vteed ? run_vteed_start(r) : 0;
}

/* Kernel, DTB and initramfs into guest RAM, each below the next. */
static int load_images(struct run *r, const struct guest_pkgs *gp, const struct lbuf *dtb,
		       const struct lbuf *initrd)
{
	const struct launch_options *o = r->o;
	uint64_t ksize = 0;
	int e = load_file(r, gp->kernel_image, BOARD_KERNEL_ADDR, BOARD_DTB_ADDR, &ksize);
	if (!e)
		e = load_buf(r, dtb, BOARD_DTB_ADDR, BOARD_INITRD_ADDR, "device tree");
	if (!e)
		e = load_buf(r, initrd, BOARD_INITRD_ADDR, VTFW_RESERVED_BASE, "initramfs");
	if (e)
		return e;
	/* the Image header's image_size (with bss) must fit below the DTB too */
	const uint8_t *kh = board_host_ram(r->host, BOARD_KERNEL_ADDR, 64);
	uint64_t image_size = 0;
	memcpy(&image_size, kh + 16, sizeof(image_size));
	if (image_size > BOARD_DTB_ADDR - BOARD_KERNEL_ADDR) {
		lmsg("the kernel needs %llu MiB, more than the %llu MiB below the DTB",
		     (unsigned long long)(image_size >> 20),
		     (unsigned long long)((BOARD_DTB_ADDR - BOARD_KERNEL_ADDR) >> 20));
		return -E2BIG;
	}
	if (launch_verbose)
		lmsg("%u CPU%s, %u MiB, %s; kernel %llu MiB, initramfs %zu KiB; %s",
		     o->smp, o->smp > 1 ? "s" : "", o->mem_mib, o->no_virt ? "EL1 (no EL2)" : "EL2",
		     (unsigned long long)(ksize >> 20), initrd->len >> 10,
		     r->interactive ? "Ctrl-A x quits QEMU" : "console follows");
	return 0;
}

/* ---- the guest runs ---- */

static void restore_tty(struct run *r)
{
	if (r->tio_saved)
		tcsetattr(0, TCSANOW, &r->tio);
}

/* QEMU started, served until the run ends, stopped; its console read to the end. */
static int boot(struct run *r, enum stop_reason *why)
{
	if (r->interactive && tcgetattr(0, &r->tio) == 0)
		r->tio_saved = true;
	if (run_stop_signal())
		return -EINTR;
	r->t_qemu = now_s();
	int e = qemu_start(r);
	if (e) {
		lmsg("cannot start QEMU: %s", strerror(-e));
		return e;
	}
	*why = run_serve(r);
	qemu_stop(r);
	restore_tty(r);
	run_console_drain(r);
	return 0;
}

/* ---- after the guest: what happened, and the exit status ---- */

static void report_timing(const struct run *r)
{
	double t_end = now_s();
	if (launch_verbose && r->ready)
		lmsg("guest ready %.2f s after QEMU started (%.2f s after vtee run started)", r->t_ready - r->t_qemu,
		     r->t_ready - r->t_start);
	if (launch_verbose && r->host) {
		struct board_host_stats st;
		board_host_get_stats(r->host, &st);
		lmsg("%llu SMCs served (%llu TEE, %.1f ms in vtee; %llu PSCI) in %.2f s",
		     (unsigned long long)st.smc, (unsigned long long)st.tee_smc, (double)st.tee_ns / 1e6,
		     (unsigned long long)st.psci, t_end - r->t_qemu);
	}
}

/* The exit status the way the run ended says, before the script's own status. */
static int stop_status(const struct run *r, enum stop_reason why)
{
	switch (why) {
	case STOP_SIGNAL:
		lmsg("stopped by signal %d", run_stop_signal());
		return LAUNCH_EXIT_SIGNAL + run_stop_signal();
	case STOP_TIMEOUT:
		lmsg("timed out after %u s", r->o->timeout_s);
		return LAUNCH_EXIT_TIMEOUT;
	case STOP_FATAL:
		lmsg("the firmware reported a fatal exception on CPU %u: %s", atomic_load(&r->event_cpu),
		     r->event_detail);
		return LAUNCH_EXIT_BOARD;
	case STOP_PANIC:
	case STOP_RESET:
		lmsg("the guest %s", why == STOP_RESET ? "reset (a kernel panic, with panic=-1)" : "panicked");
		return LAUNCH_EXIT_BOARD;
	case STOP_QEMU_EXIT:
		if (!r->interactive || !WIFEXITED(r->qemu_status) || WEXITSTATUS(r->qemu_status)) {
			if (WIFEXITED(r->qemu_status))
				lmsg("QEMU exited with status %d", WEXITSTATUS(r->qemu_status));
			else if (WIFSIGNALED(r->qemu_status))
				lmsg("QEMU was killed by signal %d", WTERMSIG(r->qemu_status));
		}
		return r->interactive && WIFEXITED(r->qemu_status) && !WEXITSTATUS(r->qemu_status) ? 0
											  : LAUNCH_EXIT_BOARD;
	case STOP_POWER_OFF:
	case STOP_NONE:
		break;
	}
	return 0;
}

/* What the guest left in vtee: with the driver unloaded, nothing (--expect-clean insists). */
static int vm_state_status(struct run *r, int status)
{
	const struct launch_options *o = r->o;
	if (!r->vm && !r->vteed)
		return status;
	struct vtee_vm_stats vs;
	if (r->vm)
		vtee_vm_get_stats(r->vm, &vs);
	else if (run_vteed_stats(r, &vs))
		status = status ? status : LAUNCH_EXIT_BOARD;
	if (launch_verbose || o->expect_clean)
		lmsg("VM state at exit: %u sessions, %u shm buffers (%llu pages), %u calls in flight",
		     vs.sessions, vs.shm_buffers, (unsigned long long)vs.shm_pages, vs.calls);
	if (o->expect_clean && status == 0 && (vs.sessions || vs.shm_buffers || vs.shm_pages || vs.calls)) {
		lmsg("--expect-clean: the VM still holds TEE state");
		status = LAUNCH_EXIT_UNCLEAN;
	}
	return status;
}

static int exit_status(struct run *r, enum stop_reason why)
{
	const struct launch_options *o = r->o;
	report_timing(r);
	int status = stop_status(r, why);
	if (o->script && why != STOP_SIGNAL && why != STOP_TIMEOUT) {
		if (r->exit_rc >= 0) {
			status = r->exit_rc;
		} else {
			if (status == 0)
				lmsg("the guest powered off without reporting the script's status");
			status = LAUNCH_EXIT_BOARD;
		}
	}
	if (r->panic && status == 0 && !o->script)
		status = LAUNCH_EXIT_BOARD;
	return vm_state_status(r, status);
}

static void cleanup(struct run *r)
{
	qemu_stop(r);
	restore_tty(r);
	run_console_drain(r); /* what QEMU wrote before it went */
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
	struct run_signals sigs;
	int status = LAUNCH_EXIT_BOARD;
	launch_verbose = !o->quiet;

	if (check_options(o))
		return LAUNCH_EXIT_USAGE;
	r.interactive = !o->script && isatty(0) && isatty(1);

	/* signals first: everything from here on is cleaned up */
	if (run_signals_install(&sigs))
		return LAUNCH_EXIT_BOARD;
	enum stop_reason why = STOP_NONE;
	if (o->export_dir)
		status = export_guest(o, &gp, &initrd);
	else if (!prepare(&r, &gp, &initrd, &dtb) && !start_board(&r) && !load_images(&r, &gp, &dtb, &initrd) &&
		 !boot(&r, &why))
		status = exit_status(&r, why);

	cleanup(&r);
	guest_pkgs_free(&gp);
	lbuf_free(&initrd);
	lbuf_free(&dtb);
	run_signals_restore(&sigs);
	int sig = run_stop_signal();
	if (sig && status == LAUNCH_EXIT_BOARD)
		status = LAUNCH_EXIT_SIGNAL + sig;
	return status;
}
