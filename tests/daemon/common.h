/* SPDX-License-Identifier: MIT */
/* Shared helpers for the vteed tests: checks, the vteed path, a guest model routed through vteed. */
#ifndef VTEE_TESTS_DAEMON_COMMON_H
#define VTEE_TESTS_DAEMON_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vtee/vteed.h"
#include "guest.h"
#include "vtee/test_ta.h"

static int check_passed, check_failed;

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (cond) {                                                                    \
			check_passed++;                                                        \
		} else {                                                                       \
			check_failed++;                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                                         \
	do {                                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);                            \
		if (a_ == b_) {                                                                \
			check_passed++;                                                        \
		} else {                                                                       \
			check_failed++;                                                        \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld (%#llx), %s = %lld (%#llx)\n", \
				__FILE__, __LINE__, #a, a_, (unsigned long long)a_, #b, b_,    \
				(unsigned long long)b_);                                       \
		}                                                                              \
	} while (0)

static inline int check_report(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

static inline const char *vteed_path_arg(int argc, char **argv)
{
	const char *p = argc > 1 ? argv[1] : getenv("VTEED");
	if (!p) {
		fprintf(stderr, "usage: %s PATH-TO-VTEED (or set VTEED)\n", argv[0]);
		exit(2);
	}
	return p;
}

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The vCPU index of the calling thread: the guest model's smc_fn has no vCPU argument. */
static __thread unsigned cur_vcpu;

struct dguest {
	struct guest *g;
	struct vteed *v;
	pid_t pid;
	int ram_fd;        /* the guest model's memfd (owned by the model) */
	uint64_t ram_size;
};

static inline void dguest_smc(void *ctx, uint64_t regs[8])
{
	struct dguest *d = ctx;
	vteed_smc(d->v, cur_vcpu, regs);
}

/* A guest model whose SMCs go through a vteed (spawned, or connected at sock_path). */
static inline int dguest_start(const char *vteed, const char *sock_path, uint32_t vm_id, const char *name,
			       unsigned nvcpus, uint64_t ram_size, const char *const *extra, struct dguest *d)
{
	memset(d, 0, sizeof(*d));
	d->ram_size = ram_size;
	struct guest_config gc = { .ram_size = ram_size, .smc_fn = dguest_smc, .smc_ctx = d };
	int err = guest_create(NULL, &gc, &d->g);
	if (err)
		return err;
	d->ram_fd = guest_ram_fd(d->g);
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = ram_size, .fd = d->ram_fd, .fd_offset = 0 };
	struct vteed_config vc = { .vm_id = vm_id, .name = name, .nvcpus = nvcpus, .vteed_path = vteed,
				   .extra_args = extra };
	char msg[96];
	if (sock_path) {
		d->pid = -1;
		err = vteed_connect(sock_path, &vc, &ram, 1, &d->v, msg, sizeof(msg));
	} else {
		err = vteed_spawn(&vc, &ram, 1, &d->v, &d->pid, msg, sizeof(msg));
	}
	if (err)
		fprintf(stderr, "vteed handshake for %s: %d (%s)\n", name, err, msg);
	return err;
}

/* Close the guest's vteed; returns its exit status (-1 if it did not exit normally). */
static inline int dguest_stop(struct dguest *d)
{
	vteed_close(d->v);
	d->v = NULL;
	int st = 0, rc = -1;
	if (d->pid > 0 && waitpid(d->pid, &st, 0) == d->pid && WIFEXITED(st))
		rc = WEXITSTATUS(st);
	guest_destroy(d->g);
	d->g = NULL;
	return rc;
}

static inline uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x01000193u;
	}
	return h;
}

static const uint8_t test_ta_uuid[16] = VTEE_TEST_TA_UUID_BYTES;

#endif
