// SPDX-License-Identifier: MIT
/*
 * A TA instance's life in its own process (ta_host.h), in order:
 *
 *   1. tie our life to the fork server's (PDEATHSIG) and the back-end's
 *      (the channel's set-up socket); map the channel and the shared memfd
 *   2. find <uuid>.ta in the TA directories and check its .ta_head (load.c)
 *   3. limits: RLIMIT_AS (what is mapped now + the TA's TA_DATA_SIZE, file
 *      and stack + a fixed allowance for the runtime and OpenSSL),
 *      RLIMIT_STACK, no core; one malloc arena, so the heap stays in brk
 *   4. the first seccomp filter (SANDBOX_TA_LOAD), then dlopen: the TA's
 *      constructors run already inside it
 *   5. a thread with the TA's stack (ta_head.stack_size + an allowance: a
 *      TA calls OpenSSL on it, which OP-TEE runs in its kernel), which puts
 *      the final filter (SANDBOX_TA) on every thread before any entry point
 *      runs, tells the back-end READY, and serves the calls (serve.c)
 *
 * A TA that cannot be found or loaded is answered READY with the reason,
 * and the process exits.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "chan.h"
#include "sync.h"
#include "sandbox.h"
#include "ta_host.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define TI_ASAN 1 /* its shadow memory takes terabytes of address space: no RLIMIT_AS */
#else
#define TI_ASAN 0
#endif

/* Stack beyond the TA's own for what it calls (OpenSSL, glibc); ASan's frames are bigger. */
#define STACK_ALLOWANCE ((TI_ASAN ? 4u : 1u) * (256u << 10))
/* Address space beyond what is mapped at load, the TA's heap, file and stack. */
#define AS_ALLOWANCE (64ull << 20)

struct ta_instance ti;

static const struct host_cfg *the_cfg;
static const struct tap_ctl *the_start;

/* Bytes mapped now (/proc/self/statm), 0 if unknown. */
static uint64_t mapped_now(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long long pages = 0;
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static size_t stack_bytes(const struct ta_head *head)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (size_t)head->stack_size + STACK_ALLOWANCE;
	n = (n + page - 1) & ~(page - 1);
	return n < (size_t)PTHREAD_STACK_MIN ? (size_t)PTHREAD_STACK_MIN : n;
}

static int set_limits(const struct ta_head *head, uint64_t heap, uint64_t file_size)
{
	struct rlimit none = { 0, 0 };
	size_t stack = stack_bytes(head);
	struct rlimit st = { stack, stack };
	if (setrlimit(RLIMIT_CORE, &none) || setrlimit(RLIMIT_STACK, &st))
		return -errno;
	if (TI_ASAN)
		return 0;
	uint64_t as = mapped_now() + 2 * file_size + 2 * heap + stack + AS_ALLOWANCE;
	struct rlimit lim = { as, as };
	return setrlimit(RLIMIT_AS, &lim) ? -errno : 0;
}

static void ready(uint32_t ret)
{
	struct tap_ready r = { .ret = ret };
	if (ret == TEE_SUCCESS) {
		r.flags = ti.ta.head->flags;
		r.stack_size = ti.ta.head->stack_size;
		r.heap_size = ti.ta.heap_size;
		uuid_to_bytes(&ti.ta.head->uuid, r.uuid);
	}
	if (ti_send(TAP_MSG_READY, &r, sizeof(r), NULL, 0))
		ti_exit(TI_EXIT_CHANNEL);
}

static void *ta_thread(void *arg)
{
	(void)arg;
	char err[256];
	if (!the_cfg->no_sandbox && vteed_sandbox_filter(SANDBOX_TA, err, sizeof(err))) {
		ti_logf("the sandbox: %s", err);
		ready(TEE_ERROR_GENERIC);
		ti_exit(TI_EXIT_SETUP);
	}
	uuid_from_bytes(the_start->device_id, &ti.ta.tee_device_id);
	if (tarun_start(TARUN_HOST_VERSION, &ti_host_ops, &ti.ta)) {
		ti_logf("the runtime refused the TA's header data");
		ready(TEE_ERROR_BAD_FORMAT);
		ti_exit(TI_EXIT_OK);
	}
	ready(TEE_SUCCESS);
	serve_calls();
}

/* The limits and the first filter, before any of the TA runs: 0, or the TEE result why not. */
static uint32_t enter_load_sandbox(const struct ta_file *f)
{
	char err[256];
	if (the_cfg->no_sandbox)
		return TEE_SUCCESS;
	int r = set_limits(&f->head, f->heap_size + f->no_share_heap_size, f->file_size);
	if (r || chdir("/")) {
		ti_logf("limits: %s", strerror(r ? -r : errno));
		return TEE_ERROR_GENERIC;
	}
	if (vteed_sandbox_filter(SANDBOX_TA_LOAD, err, sizeof(err))) {
		ti_logf("the sandbox: %s", err);
		return TEE_ERROR_GENERIC;
	}
	return TEE_SUCCESS;
}

/* Steps 3 to 5 for the checked file; returns only on failure, with the TEE result. */
static uint32_t load_and_serve(const struct ta_file *f)
{
	mallopt(M_ARENA_MAX, 1);
	uint32_t ret = enter_load_sandbox(f);
	if (ret == TEE_SUCCESS)
		ret = ta_file_load(f);
	close(f->fd);
	if (ret != TEE_SUCCESS)
		return ret;
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, stack_bytes(&f->head));
	int e = pthread_create(&t, &attr, ta_thread, NULL);
	pthread_attr_destroy(&attr);
	if (e) {
		ti_logf("the TA's thread: %s", strerror(e));
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	pthread_join(t, NULL);
	ti_exit(TI_EXIT_OK);
}

static int map_ends(int chan_fd, int shared_fd, int hup_fd)
{
	struct vtee_chan_opts o = { .sleep_ms = 100, .yield_ns = VTEE_POLL_YIELD_LATE_NS }; /* as the TEE end */
	int r = vtee_chan_open(chan_fd, VTEE_CHAN_B, hup_fd, &o, &ti.chan);
	close(chan_fd);
	uint32_t bulk = the_start->bulk_size;
	void *p = r ? MAP_FAILED : mmap(NULL, (size_t)TAP_SHARED_HDR + bulk, PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd, 0);
	close(shared_fd);
	if (p == MAP_FAILED)
		return r ? r : -errno;
	ti.shared = p;
	ti.bulk = (uint8_t *)p + TAP_SHARED_HDR;
	ti.bulk_size = bulk;
	return 0;
}

_Noreturn void instance_main(const struct host_cfg *cfg, const struct tap_ctl *start, pid_t server, int chan_fd,
			     int shared_fd, int hup_fd)
{
	the_cfg = cfg;
	the_start = start;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != server)
		_exit(TI_EXIT_SETUP);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char comm[16];
	snprintf(comm, sizeof(comm), "vta-%02x%02x%02x%02x", start->uuid[0], start->uuid[1], start->uuid[2],
		 start->uuid[3]);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	dup2(STDERR_FILENO, STDOUT_FILENO); /* a TA's printf lands in the TEE's stderr, not in a pipe */
	if (map_ends(chan_fd, shared_fd, hup_fd))
		_exit(TI_EXIT_SETUP);
	uuid_from_bytes(start->uuid, &ti.uuid);
	struct ta_file f;
	uint32_t ret = ta_file_open(cfg, &ti.uuid, &f);
	if (ret == TEE_SUCCESS)
		ret = load_and_serve(&f);
	ready(ret);
	ti_exit(TI_EXIT_OK);
}
