// SPDX-License-Identifier: MIT
/*
 * The host side of the emulated board (board/host.h): owns the guest-RAM file,
 * writes the firmware's boot info, and serves the per-CPU mailbox pages the
 * EL3 firmware fills on every SMC (board/firmware/README.md, mailbox.h).
 *
 * Threads: one server thread owns the doorbell socket (QEMU's secure PL011
 * chardev connects to it) and, on any SMC doorbell byte, kicks the worker of
 * every CPU whose page has seq_req != seq_resp. One worker per CPU serves that
 * CPU's page, so a call that sits in vtee_vm_smc() for a whole time slice on
 * one CPU never delays another CPU's answer.
 *
 * Everything in the mailbox region is guest memory: the firmware writes it,
 * but a guest kernel that maps the no-map region can write it too. Every value
 * read from it is copied once and validated before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "host.h"
#include "mailbox.h"
#include "psci.h"
#include "sync.h"

/* With the connection up, rescan the pages this often even without a doorbell (a doorbell is only a hint). */
#define RESCAN_MS 100

struct worker {
	struct board_host *h;
	unsigned cpu;
	pthread_t thread;
	bool started;
	_Atomic uint32_t kick;   /* futex word: 1 = look at the page */
	pthread_mutex_t lock;    /* held while serving; board_host_reset() takes it to exclude serving */
	bool held;               /* a request we deliberately leave unanswered (SYSTEM_OFF/RESET) */
	uint64_t held_seq;
};

struct board_host {
	char *ram_path;
	char *socket_path;
	uint64_t ram_size;
	unsigned ncpus;
	bool enter_el1;
	struct vtee_vm *vm;
	void (*tee_smc)(void *ctx, unsigned cpu, uint64_t regs[8]);
	void *tee_ctx;
	void (*event)(void *ctx, enum board_event ev, unsigned cpu, const char *detail);
	void *ctx;

	int ram_fd;
	uint8_t *ram;            /* ram_size bytes, guest PA BOARD_RAM_BASE at offset 0 */
	struct vtfw_cpu_page *pages;

	int listen_fd;
	int conn_fd;             /* owned by the server thread while it runs */
	int stop_fd;             /* eventfd: board_host_stop() ends the server's poll */
	_Atomic bool stopping;
	pthread_t server;
	bool server_started;

	pthread_mutex_t psci_lock; /* CPU_ON: check-and-release of a target's pen */
	struct worker workers[VTFW_MAX_CPUS];

	_Atomic uint64_t st_smc, st_tee_smc, st_tee_ns, st_psci;
};

/* ---- mailbox access (another process writes the same memory) ------------ */

static inline uint64_t ld_acq(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void st_rel(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void raise_event(struct board_host *h, enum board_event ev, unsigned cpu, const char *detail)
{
	if (h->event)
		h->event(h->ctx, ev, cpu, detail);
}

/* ---- PSCI / SMCCC (the board answers these itself) ------------------------ */

/* MPIDR -> CPU index; -EINVAL if it names no CPU of this board (only Aff0 may be set). */
static int mpidr_to_cpu(const struct board_host *h, uint64_t mpidr, unsigned *cpu)
{
	if (mpidr & ~(uint64_t)0xFF)
		return -EINVAL;
	if (mpidr >= h->ncpus)
		return -EINVAL;
	*cpu = (unsigned)mpidr;
	return 0;
}

static int64_t psci_features(uint32_t fid)
{
	switch (fid) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case SMCCC_FN_VERSION:
		return 0;
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}

static int64_t psci_cpu_on(struct board_host *h, uint64_t target, uint64_t entry, uint64_t context)
{
	unsigned t;
	if (mpidr_to_cpu(h, target, &t))
		return PSCI_RET_INVALID_PARAMS;
	struct vtfw_cpu_page *pg = &h->pages[t];
	int64_t r = PSCI_RET_SUCCESS;

	/* two CPUs may turn the same target on at once: check and release under one lock */
	pthread_mutex_lock(&h->psci_lock);
	uint64_t state = ld_acq(&pg->pen_state);
	if (state == VTFW_PEN_RUNNING) {
		r = PSCI_RET_ALREADY_ON;
	} else if (ld_acq(&pg->pen_go) == 1) {
		r = PSCI_RET_ON_PENDING;
	} else if (state == VTFW_PEN_DEAD) {
		r = PSCI_RET_INTERNAL_FAILURE;
	} else {
		/* NONE or WAITING (or garbage): the CPU takes go when it is (or gets) in its pen */
		st(&pg->pen_entry, entry);
		st(&pg->pen_context, context);
		st_rel(&pg->pen_go, 1);
	}
	pthread_mutex_unlock(&h->psci_lock);
	return r;
}

static int64_t psci_affinity_info(struct board_host *h, uint64_t target, uint64_t level)
{
	unsigned t;
	if (mpidr_to_cpu(h, target, &t) || level != 0)
		return PSCI_RET_INVALID_PARAMS;
	const struct vtfw_cpu_page *pg = &h->pages[t];
	uint64_t state = ld_acq(&pg->pen_state);
	if (state != VTFW_PEN_WAITING && state != VTFW_PEN_NONE)
		return PSCI_AFFINITY_ON;
	/* released by CPU_ON but not yet out of the pen */
	return ld_acq(&pg->pen_go) == 1 ? PSCI_AFFINITY_ON_PENDING : PSCI_AFFINITY_OFF;
}

/*
 * Serve one PSCI (owner 4) or Arm-architecture (owner 0) fast call. x[] is the
 * caller's x0..x7 and already copied into out[]. Returns false if the call
 * must not be answered (the CPU spins until the VMM stops or restarts QEMU).
 */
static bool psci_call(struct board_host *h, unsigned cpu, const uint64_t x[8], uint64_t out[8],
		      uint64_t *action)
{
	uint32_t fid = (uint32_t)x[0];
	bool smc64 = fid & SMCCC_64BIT_FLAG;
	/* SMC32 callers pass their arguments in w registers */
	uint64_t a1 = smc64 ? x[1] : (uint32_t)x[1];
	uint64_t a2 = smc64 ? x[2] : (uint32_t)x[2];
	uint64_t a3 = smc64 ? x[3] : (uint32_t)x[3];
	int64_t r;
	char detail[32];

	if (SMCCC_OWNER_OF(fid) == SMCCC_OWNER_PSCI_STD && (fid & 0xFFFFu) <= PSCI_FN_LAST)
		atomic_fetch_add_explicit(&h->st_psci, 1, memory_order_relaxed);

	switch (fid) {
	case SMCCC_FN_VERSION:
		r = SMCCC_VERSION_1_1;
		break;
	case PSCI_0_2_FN_PSCI_VERSION:
		r = PSCI_VERSION_1_0;
		break;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		r = PSCI_TOS_NOT_PRESENT_MP;
		break;
	case PSCI_1_0_FN_PSCI_FEATURES:
		r = psci_features((uint32_t)x[1]);
		break;
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		r = psci_cpu_on(h, a1, a2, a3);
		break;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		r = psci_affinity_info(h, a1, a2);
		break;
	case PSCI_0_2_FN_CPU_OFF:
		/* x_out is ignored: the firmware sends the CPU to its pen */
		*action = VTFW_ACTION_PARK;
		return true;
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
		snprintf(detail, sizeof(detail), "cpu %u", cpu);
		raise_event(h, fid == PSCI_0_2_FN_SYSTEM_OFF ? BOARD_EVENT_SYSTEM_OFF : BOARD_EVENT_SYSTEM_RESET,
			    cpu, detail);
		return false;
	default:
		/* SMCCC_ARCH_FEATURES, CPU_SUSPEND, TRNG, ...: not offered */
		r = PSCI_RET_NOT_SUPPORTED;
		break;
	}
	out[0] = (uint64_t)r; /* sign-extended: NOT_SUPPORTED is 0xFFFF_FFFF_FFFF_FFFF */
	return true;
}

/* Route one SMC. Returns false if it must stay unanswered. */
static bool dispatch(struct board_host *h, unsigned cpu, const uint64_t x[8], uint64_t imm, uint64_t out[8],
		     uint64_t *action)
{
	uint32_t fid = (uint32_t)x[0];

	atomic_fetch_add_explicit(&h->st_smc, 1, memory_order_relaxed);
	if (imm != 0) {
		/* SMCCC calls use SMC #0; other immediates are not ours to interpret */
		out[0] = (uint64_t)PSCI_RET_NOT_SUPPORTED;
		return true;
	}
	if (vtee_handles_fid(fid) && !(fid & SMCCC_64BIT_FLAG)) {
		uint64_t t0 = vtee_now_ns();
		if (h->vm)
			vtee_vm_smc(h->vm, out);
		else
			h->tee_smc(h->tee_ctx, cpu, out);
		atomic_fetch_add_explicit(&h->st_tee_ns, vtee_now_ns() - t0, memory_order_relaxed);
		atomic_fetch_add_explicit(&h->st_tee_smc, 1, memory_order_relaxed);
		return true;
	}
	if ((fid & SMCCC_FAST_FLAG) &&
	    (SMCCC_OWNER_OF(fid) == SMCCC_OWNER_ARCH || SMCCC_OWNER_OF(fid) == SMCCC_OWNER_PSCI_STD))
		return psci_call(h, cpu, x, out, action);
	out[0] = (uint64_t)PSCI_RET_NOT_SUPPORTED; /* SMCCC NOT_SUPPORTED, as a 64-bit -1 */
	return true;
}

/* ---- per-CPU workers ----------------------------------------------------- */

static void serve_page(struct board_host *h, struct worker *w)
{
	struct vtfw_cpu_page *pg = &h->pages[w->cpu];
	uint64_t seq = ld_acq(&pg->seq_req);
	if (seq == ld(&pg->seq_resp) || (w->held && seq == w->held_seq))
		return;

	uint64_t x[8], out[8], action = VTFW_ACTION_RETURN;
	for (unsigned i = 0; i < 8; i++)
		x[i] = ld(&pg->x_in[i]);
	uint64_t imm = ld(&pg->smc_imm);
	memcpy(out, x, sizeof(out)); /* registers a call does not return in come back unchanged */

	if (!dispatch(h, w->cpu, x, imm, out, &action)) {
		w->held = true;
		w->held_seq = seq;
		return;
	}
	w->held = false;
	for (unsigned i = 0; i < 8; i++)
		st(&pg->x_out[i], out[i]);
	st(&pg->action, action);
	st_rel(&pg->seq_resp, seq);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct board_host *h = w->h;

	while (!atomic_load(&h->stopping)) {
		if (atomic_exchange(&w->kick, 0)) {
			pthread_mutex_lock(&w->lock);
			serve_page(h, w);
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		vtee_futex(&w->kick, FUTEX_WAIT_PRIVATE, 0, NULL);
	}
	return NULL;
}

static void kick(struct worker *w)
{
	if (!atomic_exchange(&w->kick, 1))
		vtee_futex_wake(&w->kick);
}

/* Kick every CPU with a request outstanding. */
static void scan(struct board_host *h)
{
	for (unsigned c = 0; c < h->ncpus; c++) {
		const struct vtfw_cpu_page *pg = &h->pages[c];
		if (ld_acq(&pg->seq_req) != ld(&pg->seq_resp))
			kick(&h->workers[c]);
	}
}

/* ---- doorbell server ------------------------------------------------------ */

static void fatal_report(struct board_host *h, unsigned cpu)
{
	const struct vtfw_cpu_page *pg = &h->pages[cpu];
	char detail[160];
	snprintf(detail, sizeof(detail), "cpu %u vector 0x%" PRIx64 " esr 0x%" PRIx64 " elr 0x%" PRIx64
		 " far 0x%" PRIx64, cpu, ld_acq(&pg->err_vector), ld(&pg->err_esr), ld(&pg->err_elr),
		 ld(&pg->err_far));
	raise_event(h, BOARD_EVENT_FATAL, cpu, detail);
}

static void doorbells(struct board_host *h, const uint8_t *b, size_t n)
{
	bool smc = false;
	for (size_t i = 0; i < n; i++) {
		if (b[i] == VTFW_DOORBELL_BADBOOT)
			raise_event(h, BOARD_EVENT_BAD_BOOT, 0, "firmware refused the boot info or a CPU");
		else if (b[i] & 0x80) {
			unsigned cpu = b[i] & 0x7Fu;
			if (cpu < h->ncpus)
				fatal_report(h, cpu);
		} else {
			smc = true; /* any SMC byte: look at every page */
		}
	}
	if (smc)
		scan(h);
}

static void *server_main(void *arg)
{
	struct board_host *h = arg;
	uint8_t buf[256];

	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = h->stop_fd, .events = POLLIN },
			{ .fd = h->listen_fd, .events = POLLIN },
			{ .fd = h->conn_fd, .events = POLLIN },
		};
		int r = poll(pf, h->conn_fd >= 0 ? 3 : 2, h->conn_fd >= 0 ? RESCAN_MS : -1);
		if (r < 0 && errno != EINTR)
			break;
		if (pf[0].revents || atomic_load(&h->stopping))
			break;
		if (r == 0) {
			scan(h);
			continue;
		}
		if (h->conn_fd >= 0 && pf[2].revents) {
			ssize_t n = read(h->conn_fd, buf, sizeof(buf));
			if (n > 0) {
				doorbells(h, buf, (size_t)n);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				/* QEMU went away; a restarted one connects again */
				close(h->conn_fd);
				h->conn_fd = -1;
			}
		}
		if (pf[1].revents & POLLIN) {
			int c = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (c >= 0) {
				/* the newest connection is the live QEMU */
				if (h->conn_fd >= 0)
					close(h->conn_fd);
				h->conn_fd = c;
				scan(h);
			} else if (errno != EAGAIN && errno != EINTR) {
				/* e.g. out of fds: back off rather than spin on a ready listener */
				poll(NULL, 0, RESCAN_MS);
			}
		}
	}
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------ */

static void write_bootinfo(struct board_host *h)
{
	memset(h->ram + (VTFW_RESERVED_BASE - BOARD_RAM_BASE), 0, VTFW_RESERVED_SIZE);
	struct vtfw_bootinfo bi = {
		.magic = VTFW_BOOTINFO_MAGIC,
		.kernel_entry = BOARD_KERNEL_ADDR,
		.dtb = BOARD_DTB_ADDR,
		.mailbox = VTFW_MAILBOX_DEFAULT,
		.ncpus = h->ncpus,
		.flags = h->enter_el1 ? VTFW_BI_FLAG_EL1 : 0,
	};
	memcpy(h->ram + (VTFW_BOOTINFO_ADDR - BOARD_RAM_BASE), &bi, sizeof(bi));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int listen_on(const char *path, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (lstat(path, &sb) == 0)
		return -EEXIST; /* never unlink what we did not create */
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (listen(fd, 4) < 0) {
		int e = -errno;
		close(fd);
		unlink(path);
		return e;
	}
	*out = fd;
	return 0;
}

static void stop_threads(struct board_host *h)
{
	atomic_store(&h->stopping, true);
	if (h->stop_fd >= 0) {
		uint64_t one = 1;
		ssize_t n = write(h->stop_fd, &one, sizeof(one));
		(void)n;
	}
	if (h->server_started)
		pthread_join(h->server, NULL);
	h->server_started = false;
	for (unsigned c = 0; c < h->ncpus; c++) {
		struct worker *w = &h->workers[c];
		if (!w->started)
			continue;
		atomic_store(&w->kick, 1);
		vtee_futex_wake(&w->kick);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
}

/* Tear down whatever start got to. */
static void destroy(struct board_host *h)
{
	stop_threads(h);
	if (h->conn_fd >= 0)
		close(h->conn_fd);
	if (h->listen_fd >= 0) {
		close(h->listen_fd);
		unlink(h->socket_path);
	}
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	if (h->ram)
		munmap(h->ram, h->ram_size);
	if (h->ram_fd >= 0) {
		close(h->ram_fd);
		unlink(h->ram_path);
	}
	for (unsigned c = 0; c < VTFW_MAX_CPUS; c++)
		pthread_mutex_destroy(&h->workers[c].lock);
	pthread_mutex_destroy(&h->psci_lock);
	free(h->ram_path);
	free(h->socket_path);
	free(h);
}

static int check_config(const struct board_host_config *cfg)
{
	if (!cfg->ram_path || !cfg->socket_path || !cfg->vm == !cfg->tee_smc)
		return -EINVAL;
	if (cfg->ncpus < 1 || cfg->ncpus > VTFW_MAX_CPUS)
		return -EINVAL;
	/* the reserved region sits at the top of the first 256 MiB */
	if (cfg->ram_size % (2u << 20) || cfg->ram_size < VTFW_RESERVED_BASE + VTFW_RESERVED_SIZE - BOARD_RAM_BASE ||
	    cfg->ram_size > (uint64_t)SIZE_MAX / 2)
		return -EINVAL;
	return 0;
}

/* The host's state from the configuration, nothing created yet. */
static int host_new(const struct board_host_config *cfg, struct board_host **out)
{
	struct board_host *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->ram_fd = h->listen_fd = h->conn_fd = h->stop_fd = -1;
	h->ram_size = cfg->ram_size;
	h->ncpus = cfg->ncpus;
	h->enter_el1 = cfg->enter_el1;
	h->vm = cfg->vm;
	h->tee_smc = cfg->tee_smc;
	h->tee_ctx = cfg->tee_ctx;
	h->event = cfg->event;
	h->ctx = cfg->ctx;
	pthread_mutex_init(&h->psci_lock, NULL);
	for (unsigned c = 0; c < VTFW_MAX_CPUS; c++) {
		h->workers[c].h = h;
		h->workers[c].cpu = c;
		pthread_mutex_init(&h->workers[c].lock, NULL);
	}
	h->ram_path = strdup(cfg->ram_path);
	h->socket_path = strdup(cfg->socket_path);
	if (!h->ram_path || !h->socket_path) {
		destroy(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

/* The guest-RAM file (QEMU maps it too), mapped here, with the boot info written. */
static int ram_create(struct board_host *h)
{
	h->ram_fd = open(h->ram_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (h->ram_fd < 0)
		return -errno;
	if (ftruncate(h->ram_fd, (off_t)h->ram_size) < 0)
		return -errno;
	void *m = mmap(NULL, h->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, h->ram_fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	h->ram = m;
	h->pages = (struct vtfw_cpu_page *)(h->ram + (VTFW_MAILBOX_DEFAULT - BOARD_RAM_BASE));
	write_bootinfo(h);
	return 0;
}

/* All of RAM but the mailbox/boot-info region into the VM: vtee must never read or write the mailboxes. */
static int ram_to_vm(struct board_host *h)
{
	struct board_tee_ram tr[2];
	unsigned ntr = board_host_tee_ram(h, tr);
	int r = 0;
	for (unsigned i = 0; i < ntr && h->vm && !r; i++)
		r = vtee_vm_add_ram(h->vm, tr[i].gpa, tr[i].size, h->ram + (tr[i].gpa - BOARD_RAM_BASE), tr[i].fd,
				    tr[i].fd_offset);
	return r;
}

/* A worker per CPU, then the doorbell server. */
static int threads_start(struct board_host *h)
{
	for (unsigned c = 0; c < h->ncpus; c++) {
		struct worker *w = &h->workers[c];
		int r = -pthread_create(&w->thread, NULL, worker_main, w);
		if (r)
			return r;
		w->started = true;
	}
	int r = -pthread_create(&h->server, NULL, server_main, h);
	if (r)
		return r;
	h->server_started = true;
	return 0;
}

int board_host_start(const struct board_host_config *cfg, struct board_host **out)
{
	if (!cfg || !out)
		return -EINVAL;
	struct board_host *h;
	int r = check_config(cfg);
	if (r || (r = host_new(cfg, &h)))
		return r;
	r = ram_create(h);
	if (!r && (h->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		r = -errno;
	if (!r)
		r = listen_on(cfg->socket_path, &h->listen_fd);
	if (!r)
		r = ram_to_vm(h);
	if (!r)
		r = threads_start(h);
	if (r) {
		destroy(h);
		return r;
	}
	*out = h;
	return 0;
}

unsigned board_host_tee_ram(struct board_host *h, struct board_tee_ram out[2])
{
	const uint64_t lo_size = VTFW_RESERVED_BASE - BOARD_RAM_BASE;
	const uint64_t hi_off = lo_size + VTFW_RESERVED_SIZE;
	unsigned n = 0;
	out[n++] = (struct board_tee_ram){ BOARD_RAM_BASE, lo_size, h->ram_fd, 0 };
	if (h->ram_size > hi_off)
		out[n++] = (struct board_tee_ram){ BOARD_RAM_BASE + hi_off, h->ram_size - hi_off, h->ram_fd, hi_off };
	return n;
}

int board_host_reset(struct board_host *h)
{
	if (!h)
		return -EINVAL;
	for (unsigned c = 0; c < h->ncpus; c++)
		pthread_mutex_lock(&h->workers[c].lock);
	write_bootinfo(h);
	for (unsigned c = 0; c < h->ncpus; c++) {
		h->workers[c].held = false;
		h->workers[c].held_seq = 0;
	}
	for (unsigned c = h->ncpus; c-- > 0;)
		pthread_mutex_unlock(&h->workers[c].lock);
	return 0;
}

void *board_host_ram(struct board_host *h, uint64_t gpa, uint64_t len)
{
	if (!h || gpa < BOARD_RAM_BASE)
		return NULL;
	uint64_t off = gpa - BOARD_RAM_BASE;
	if (off >= h->ram_size || len > h->ram_size - off)
		return NULL;
	return h->ram + off;
}

void board_host_get_stats(struct board_host *h, struct board_host_stats *st)
{
	st->smc = atomic_load_explicit(&h->st_smc, memory_order_relaxed);
	st->tee_smc = atomic_load_explicit(&h->st_tee_smc, memory_order_relaxed);
	st->tee_ns = atomic_load_explicit(&h->st_tee_ns, memory_order_relaxed);
	st->psci = atomic_load_explicit(&h->st_psci, memory_order_relaxed);
}

void board_host_stop(struct board_host *h)
{
	if (h)
		destroy(h);
}
