// SPDX-License-Identifier: MIT
/*
 * The teedev back-end's figures, run inside the emulated arm64 guest (TCG),
 * whose /dev/tee0 is the real Linux OP-TEE driver (bench/board-bench starts it):
 *
 *   teedev_null_invoke   a modelled VM's NULL invoke of the test TA through
 *                        libvtee + teedev + /dev/tee0
 *   direct_null_invoke   the same call made directly on /dev/tee0 with the
 *                        TEE ioctls by this program (no vtee)
 *   RATIO teedev_null_invoke_vs_direct   target <= 1.3
 *   teedev_null_invoke_pool  the same through teedev with inline=off (each call
 *                        handed to a pool thread), and its ratio
 *   teedev_register_64m  REGISTER_SHM + UNREGISTER_SHM of a scattered 64 MiB
 *                        guest buffer, and the copies it took (target 0)
 */
#include <fcntl.h>
#include <linux/tee.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest.h"
#include "teedev.h"
#include "vtee/test_ta.h"

#define BENCH_NAME "teedev-bench"
#include "bench.h"

#define ITERS  2000
#define ROUNDS 7


static uint32_t direct_open(int fd)
{
	struct tee_ioctl_open_session_arg a;
	memset(&a, 0, sizeof(a));
	memcpy(a.uuid, test_uuid, 16);
	a.clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	struct tee_ioctl_buf_data d = { (uint64_t)(uintptr_t)&a, sizeof(a) };
	if (ioctl(fd, TEE_IOC_OPEN_SESSION, &d) || a.ret)
		die("direct OPEN_SESSION");
	return a.session;
}

static void direct_null(int fd, uint32_t session)
{
	struct tee_ioctl_invoke_arg a;
	memset(&a, 0, sizeof(a));
	a.func = VTEE_TEST_CMD_NULL;
	a.session = session;
	struct tee_ioctl_buf_data d = { (uint64_t)(uintptr_t)&a, sizeof(a) };
	if (ioctl(fd, TEE_IOC_INVOKE, &d) || a.ret)
		die("direct INVOKE");
}

/* A modelled VM on teedev (its options), with a session to the test TA. */
struct teedev_vm {
	struct vtee_tee *tee;
	struct guest *g;
	uint32_t sess;
};

static void teedev_vm_up(struct teedev_vm *v, const char *options, uint32_t vm_id, const char *name,
			 uint64_t ram_size)
{
	if (vtee_tee_open("teedev", options, &v->tee) ||
	    guest_create_vm(v->tee, &(struct vtee_vm_config){ .vm_id = vm_id, .name = name },
			    &(struct guest_config){ .ram_size = ram_size }, &v->g) ||
	    guest_probe(v->g) ||
	    guest_open_session(v->g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &v->sess, NULL) != TEE_SUCCESS)
		die("a modelled VM on teedev (%s)", options);
}

static void teedev_vm_down(struct teedev_vm *v)
{
	guest_close_session(v->g, v->sess);
	guest_shutdown(v->g);
	guest_destroy(v->g);
	vtee_tee_close(v->tee);
}

static void teedev_stats(struct teedev_vm *v, struct vtee_teedev_stats *st)
{
	vtee_teedev_stats(vtee_vm_backend_priv(guest_vm(v->g), &vtee_teedev_backend), st);
}

static double null_us(struct teedev_vm *v, int n, const char *what)
{
	double t0 = now_us();
	for (int i = 0; i < n; i++)
		if (guest_invoke(v->g, v->sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
			die("NULL through teedev%s", what);
	return (now_us() - t0) / n;
}

static double direct_us(int fd, uint32_t dsess)
{
	double t0 = now_us();
	for (int i = 0; i < ITERS; i++)
		direct_null(fd, dsess);
	return (now_us() - t0) / ITERS;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(double), cmp_double);
	return v[ROUNDS / 2];
}

/* NULL through teedev (inline, and handed to the pool) and directly on /dev/tee0, round by round. */
static void bench_null(struct teedev_vm *v, struct teedev_vm *pool, int fd, uint32_t dsess)
{
	struct vtee_teedev_stats st0, st1;
	teedev_stats(v, &st0);
	double ratio[ROUNDS], tv[ROUNDS], dv[ROUNDS], pv[ROUNDS], pratio[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		tv[r] = null_us(v, ITERS, "");
		pv[r] = null_us(pool, ITERS / 4, ", inline=off");
		dv[r] = direct_us(fd, dsess);
		ratio[r] = tv[r] / dv[r];
		pratio[r] = pv[r] / dv[r];
	}
	double mpv = median(pv), mpratio = median(pratio);
	printf("BENCH teedev_null_invoke %.2f us\n", median(tv));
	printf("BENCH direct_null_invoke %.2f us\n", median(dv));
	printf("RATIO teedev_null_invoke_vs_direct %.3f (target <= 1.3)\n", median(ratio));
	printf("BENCH teedev_null_invoke_pool %.2f us (inline=off: every call handed to a pool thread)\n", mpv);
	printf("RATIO teedev_null_invoke_pool_vs_direct %.3f\n", mpratio);
	teedev_stats(v, &st1);
	printf("BENCH teedev_null_invoke_inline %llu of %u calls on the caller's thread, %llu overran\n",
	       (unsigned long long)(st1.inline_calls - st0.inline_calls), ROUNDS * ITERS,
	       (unsigned long long)(st1.inline_overruns - st0.inline_overruns));
}

/* REGISTER_SHM + UNREGISTER_SHM of a scattered 64 MiB buffer: in place, or copied. */
static void bench_register(struct teedev_vm *v)
{
	struct vtee_teedev_stats before, after;
	teedev_stats(v, &before);
	double t0 = now_us();
	struct guest_shm *shm;
	if (guest_shm_alloc(v->g, 64u << 20, GUEST_BUF_SCATTER, &shm) != TEE_SUCCESS)
		die("REGISTER_SHM of 64 MiB");
	if (guest_shm_unregister(v->g, shm) != TEE_SUCCESS)
		die("UNREGISTER_SHM of 64 MiB");
	double reg_ms = (now_us() - t0) / 1000.0;
	teedev_stats(v, &after);
	printf("BENCH teedev_register_64m %.1f ms: %llu registered in place, %llu fell back, %llu copies, "
	       "%llu bytes copied (target: in place, 0 copies)\n",
	       reg_ms, (unsigned long long)(after.views - before.views),
	       (unsigned long long)(after.view_fallbacks - before.view_fallbacks),
	       (unsigned long long)(after.copies - before.copies),
	       (unsigned long long)(after.copy_bytes - before.copy_bytes));
}

int main(void)
{
	int fd = open("/dev/tee0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/tee0 (run inside the emulated guest)");
	uint32_t dsess = direct_open(fd);
	struct teedev_vm v, pool;
	/* a scattered 64 MiB buffer takes one mmap per page: room for it beside the defaults */
	teedev_vm_up(&v, "maxmaps=32768", 1, "bench", 192ull << 20);
	/* the same with every call handed to a pool thread (inline=off): what inline=auto saves */
	teedev_vm_up(&pool, "inline=off", 2, "bench-pool", 16ull << 20);
	bench_null(&v, &pool, fd, dsess);
	bench_register(&v);
	teedev_vm_down(&pool);
	teedev_vm_down(&v);
	close(fd);
	return 0;
}
