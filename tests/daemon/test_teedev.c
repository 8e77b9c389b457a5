// SPDX-License-Identifier: MIT
/*
 * vteed on the host's TEE (teedev back-end), supervised: the supervisor opens
 * the OP-TEE device and hands the context to a sandboxed, unprivileged vteed,
 * again after each restart, so the VM's sessions and their TA state live
 * through a vteed crash. Needs a real /dev/teeN: it runs in the teedev suite,
 * inside the emulated arm64 guest (whose /dev/tee0 is the Linux OP-TEE driver
 * served by vtee on the host). Anywhere else it skips (77): the suite
 * 'guest-teedev' is not in the default meson test setup.
 *
 * usage: daemon_teedev VTEED
 */
#include <fcntl.h>
#include <linux/tee.h>
#include <signal.h>
#include <sys/ioctl.h>

#include "common.h"

static struct dguest dg;

static bool have_optee(void)
{
	for (int n = 0; n < 32; n++) {
		char p[32];
		snprintf(p, sizeof(p), "/dev/tee%d", n);
		int fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct tee_ioctl_version_data v = { 0 };
		bool ok = ioctl(fd, TEE_IOC_VERSION, &v) == 0 && v.impl_id == TEE_IMPL_ID_OPTEE &&
			  !(v.gen_caps & TEE_GEN_CAP_PRIVILEGED);
		close(fd);
		if (ok)
			return true;
	}
	return false;
}

static uint32_t hash_of(uint32_t s, struct guest_shm *shm, size_t len, uint32_t *out)
{
	struct guest_param p[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 0, len),
				    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	uint32_t r = guest_invoke(dg.g, s, VTEE_TEST_CMD_HASH, p, 2, 0, NULL);
	*out = (uint32_t)p[1].u.value.a;
	return r;
}

static uint32_t load(uint32_t s, char *buf, size_t len)
{
	struct guest_buf *b = NULL;
	(void)guest_buf_alloc(dg.g, len, 0, GUEST_BUF_CONTIG, &b);
	struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 0, len, false);
	uint32_t r = guest_invoke(dg.g, s, VTEE_TEST_CMD_LOAD, &p, 1, 0, NULL);
	guest_buf_read(dg.g, b, 0, buf, len);
	guest_buf_free(dg.g, b);
	return r;
}

int main(int argc, char **argv)
{
	const char *vteed = vteed_path_arg(argc, argv);
	if (!have_optee()) {
		printf("skip: no OP-TEE client device here (this test runs in the teedev suite's arm64 guest)\n");
		return 77;
	}
	uint64_t ram_size = 32ull << 20;
	struct guest_config gc = { .ram_size = ram_size, .smc_fn = dguest_smc, .smc_ctx = &dg, .quiet = true };
	dg.ram_size = ram_size;
	CHECK_EQ(guest_create(NULL, &gc, &dg.g), 0);
	dg.ram_fd = guest_ram_fd(dg.g);
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = ram_size, .fd = dg.ram_fd };
	/* the host's policy names the TEE: this VM is served by the host's OP-TEE */
	char policy[] = "/tmp/vtee-teedev-policy-XXXXXX";
	int pfd = mkstemp(policy);
	static const char pol[] = "[tee]\nbackend = teedev\noptions = inline=auto\n";
	CHECK(pfd >= 0 && write(pfd, pol, sizeof(pol) - 1) == (ssize_t)sizeof(pol) - 1);
	if (pfd >= 0)
		close(pfd);
	/* as root (the guest), vteed drops to an unprivileged uid; no user database needed */
	const char *const extra_root[] = { "--policy", policy, "--user", "65534:65534", NULL };
	const char *const extra[] = { "--policy", policy, NULL };
	struct vteed_config vc = { .vm_id = 9, .name = "on-teedev", .backend = "teedev", .nvcpus = 2,
				   .vteed_path = vteed, .extra_args = geteuid() == 0 ? extra_root : extra };
	char msg[VTEED_MSG_MAX];
	int err = vteed_start(&vc, &ram, 1, &dg.v, msg, sizeof(msg));
	CHECK_EQ(err, 0);
	if (err) {
		fprintf(stderr, "vteed_start: %d (%s)\n", err, msg);
		return check_report();
	}
	CHECK_EQ(guest_probe(dg.g), 0);

	struct vteed_status st;
	CHECK_EQ(vteed_status(dg.v, &st), 0);
	CHECK(!strcmp(st.backend, "teedev"));
	struct vteed_info info;
	vteed_get_info(dg.v, &info);
	CHECK_EQ(info.tee_pid, 0); /* no TEE process: the host's TEE is the TEE */

	/* a session with state in the TA, a value call, a registered scattered buffer */
	uint32_t s = 0;
	CHECK_EQ(guest_open_session(dg.g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL), TEE_SUCCESS);
	struct guest_param inc = guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 0, 0);
	CHECK_EQ(guest_invoke(dg.g, s, VTEE_TEST_CMD_INC, &inc, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(inc.u.value.a, 42);
	static const char stored[] = "kept in the TA while vteed dies";
	struct guest_buf *sb = NULL;
	(void)guest_buf_alloc(dg.g, sizeof(stored), 0, GUEST_BUF_CONTIG, &sb);
	guest_buf_write(dg.g, sb, 0, stored, sizeof(stored));
	struct guest_param sp = guest_param_tmem(VTEE_PARAM_MEMREF_IN, sb, 0, sizeof(stored), false);
	CHECK_EQ(guest_invoke(dg.g, s, VTEE_TEST_CMD_STORE, &sp, 1, 0, NULL), TEE_SUCCESS);
	guest_buf_free(dg.g, sb);
	CHECK_EQ(vteed_status(dg.v, &st), 0);
	uint32_t shm0 = st.shm_buffers; /* the driver model's own (it keeps its message buffers registered) */
	const size_t shm_len = 5 * 4096 + 77;
	struct guest_shm *shm = NULL;
	CHECK_EQ(guest_shm_alloc(dg.g, shm_len, GUEST_BUF_SCATTER, &shm), TEE_SUCCESS);
	guest_buf_fill(dg.g, shm->buf, shm->offs, 0x5a, shm_len);
	uint8_t *expect = malloc(shm_len);
	memset(expect, 0x5a, shm_len);
	uint32_t h = 0;
	CHECK_EQ(hash_of(s, shm, shm_len, &h), TEE_SUCCESS);
	CHECK_EQ(h, fnv1a(expect, shm_len));

	CHECK_EQ(vteed_status(dg.v, &st), 0);
	CHECK_EQ(st.sessions, 1);
	CHECK_EQ(st.shm_buffers, shm0 + 1);

	/* vteed dies; the supervisor starts another on the same TEE context */
	pid_t old = info.pid;
	CHECK_EQ(kill(old, SIGKILL), 0);
	for (int i = 0; i < 500; i++) {
		vteed_get_info(dg.v, &info);
		if (info.restarts >= 1)
			break;
		usleep(10000);
	}
	CHECK_EQ(info.restarts, 1);
	CHECK(info.pid != old);
	/* the same session, its TA state, and the registered buffer */
	char back[sizeof(stored)] = "";
	CHECK_EQ(load(s, back, sizeof(back)), TEE_SUCCESS);
	CHECK(!memcmp(back, stored, sizeof(stored)));
	inc = guest_param_value(VTEE_PARAM_VALUE_INOUT, 7, 0, 0);
	CHECK_EQ(guest_invoke(dg.g, s, VTEE_TEST_CMD_INC, &inc, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(inc.u.value.a, 8);
	guest_buf_fill(dg.g, shm->buf, shm->offs, 0xa5, shm_len);
	memset(expect, 0xa5, shm_len);
	CHECK_EQ(hash_of(s, shm, shm_len, &h), TEE_SUCCESS);
	CHECK_EQ(h, fnv1a(expect, shm_len));
	CHECK_EQ(vteed_status(dg.v, &st), 0);
	CHECK_EQ(st.epoch, 1);
	CHECK_EQ(st.sessions, 1);
	CHECK_EQ(st.shm_buffers, shm0 + 1);

	/* a TA the TEE does not have: its own error, through the host driver */
	static const uint8_t nobody[16] = { 0xde, 0xad };
	uint32_t s2 = 0;
	CHECK(guest_open_session(dg.g, nobody, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s2, NULL) != TEE_SUCCESS);

	CHECK_EQ(guest_shm_unregister(dg.g, shm), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(dg.g, s), TEE_SUCCESS);
	CHECK_EQ(vteed_status(dg.v, &st), 0);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.shm_buffers, shm0);
	free(expect);
	vteed_close(dg.v);
	guest_destroy(dg.g);
	unlink(policy);
	return check_report();
}
