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

int main(void)
{
	int fd = open("/dev/tee0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/tee0 (run inside the emulated guest)");
	uint32_t dsess = direct_open(fd);

	struct vtee_tee *tee;
	struct guest *g;
	/* a scattered 64 MiB buffer takes one mmap per page: room for it beside the defaults */
	if (vtee_tee_open("teedev", "maxmaps=32768", &tee) ||
	    guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "bench" },
			    &(struct guest_config){ .ram_size = 192ull << 20 }, &g) ||
	    guest_probe(g))
		die("a modelled VM on teedev");
	uint32_t sess;
	if (guest_open_session(g, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL) != TEE_SUCCESS)
		die("OPEN through teedev");
	/* the same with every call handed to a pool thread (inline=off): what inline=auto saves */
	struct vtee_tee *tee_off;
	struct guest *g_off;
	uint32_t sess_off;
	if (vtee_tee_open("teedev", "inline=off", &tee_off) ||
	    guest_create_vm(tee_off, &(struct vtee_vm_config){ .vm_id = 2, .name = "bench-pool" },
			    &(struct guest_config){ .ram_size = 16ull << 20 }, &g_off) ||
	    guest_probe(g_off) ||
	    guest_open_session(g_off, test_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess_off, NULL) != TEE_SUCCESS)
		die("a modelled VM on teedev with inline=off");

	struct vtee_teedev_stats st0, st1;
	vtee_teedev_stats(vtee_vm_backend_priv(guest_vm(g), &vtee_teedev_backend), &st0);
	double ratio[ROUNDS], tv[ROUNDS], dv[ROUNDS], pv[ROUNDS], pratio[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();
		for (int i = 0; i < ITERS; i++)
			if (guest_invoke(g, sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
				die("NULL through teedev");
		tv[r] = (now_us() - t0) / ITERS;
		t0 = now_us();
		for (int i = 0; i < ITERS / 4; i++)
			if (guest_invoke(g_off, sess_off, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL) != TEE_SUCCESS)
				die("NULL through teedev, inline=off");
		pv[r] = (now_us() - t0) / (ITERS / 4);
		t0 = now_us();
		for (int i = 0; i < ITERS; i++)
			direct_null(fd, dsess);
		dv[r] = (now_us() - t0) / ITERS;
		ratio[r] = tv[r] / dv[r];
		pratio[r] = pv[r] / dv[r];
	}
	qsort(pv, ROUNDS, sizeof(double), cmp_double);
	qsort(pratio, ROUNDS, sizeof(double), cmp_double);
	qsort(tv, ROUNDS, sizeof(double), cmp_double);
	qsort(dv, ROUNDS, sizeof(double), cmp_double);
	qsort(ratio, ROUNDS, sizeof(double), cmp_double);
	printf("BENCH teedev_null_invoke %.2f us\n", tv[ROUNDS / 2]);
	printf("BENCH direct_null_invoke %.2f us\n", dv[ROUNDS / 2]);
	printf("RATIO teedev_null_invoke_vs_direct %.3f (target <= 1.3)\n", ratio[ROUNDS / 2]);
	printf("BENCH teedev_null_invoke_pool %.2f us (inline=off: every call handed to a pool thread)\n",
	       pv[ROUNDS / 2]);
	printf("RATIO teedev_null_invoke_pool_vs_direct %.3f\n", pratio[ROUNDS / 2]);
	vtee_teedev_stats(vtee_vm_backend_priv(guest_vm(g), &vtee_teedev_backend), &st1);
	printf("BENCH teedev_null_invoke_inline %llu of %u calls on the caller's thread, %llu overran\n",
	       (unsigned long long)(st1.inline_calls - st0.inline_calls), ROUNDS * ITERS,
	       (unsigned long long)(st1.inline_overruns - st0.inline_overruns));

	struct vtee_teedev_stats before, after;
	vtee_teedev_stats(vtee_vm_backend_priv(guest_vm(g), &vtee_teedev_backend), &before);
	double t0 = now_us();
	struct guest_shm *shm;
	if (guest_shm_alloc(g, 64u << 20, GUEST_BUF_SCATTER, &shm) != TEE_SUCCESS)
		die("REGISTER_SHM of 64 MiB");
	if (guest_shm_unregister(g, shm) != TEE_SUCCESS)
		die("UNREGISTER_SHM of 64 MiB");
	double reg_ms = (now_us() - t0) / 1000.0;
	vtee_teedev_stats(vtee_vm_backend_priv(guest_vm(g), &vtee_teedev_backend), &after);
	printf("BENCH teedev_register_64m %.1f ms: %llu registered in place, %llu fell back, %llu copies, "
	       "%llu bytes copied (target: in place, 0 copies)\n",
	       reg_ms, (unsigned long long)(after.views - before.views),
	       (unsigned long long)(after.view_fallbacks - before.view_fallbacks),
	       (unsigned long long)(after.copies - before.copies),
	       (unsigned long long)(after.copy_bytes - before.copy_bytes));

	guest_close_session(g_off, sess_off);
	guest_shutdown(g_off);
	guest_destroy(g_off);
	vtee_tee_close(tee_off);
	guest_close_session(g, sess);
	guest_shutdown(g);
	guest_destroy(g);
	vtee_tee_close(tee);
	close(fd);
	return 0;
}
