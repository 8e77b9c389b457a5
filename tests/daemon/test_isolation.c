// SPDX-License-Identifier: MIT
/*
 * Two VMs in two vteeds (A spawned with --fd, B listening with --socket):
 * each sees only its own memory and sessions, and each daemon holds only its
 * own VM's RAM fd.
 */
#include <fcntl.h>
#include <signal.h>

#include <dirent.h>

#include "common.h"

#define VM_A 21u
#define VM_B 22u

static bool holds_inode(pid_t pid, const struct stat *want)
{
	char dpath[64];
	snprintf(dpath, sizeof(dpath), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(dpath);
	if (!dir)
		return false;
	bool found = false;
	struct dirent *de;
	while ((de = readdir(dir))) {
		char p[384];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dpath, de->d_name);
		if (stat(p, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino)
			found = true;
	}
	closedir(dir);
	return found;
}

static bool maps_inode(pid_t pid, const struct stat *want)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long ino = 0;
		if (sscanf(line, "%*s %*s %*s %*s %llu", &ino) == 1 && ino == (unsigned long long)want->st_ino &&
		    strstr(line, "memfd:guest-ram"))
			found = true;
	}
	fclose(f);
	return found;
}

static uint32_t hash_at(struct guest *g, uint32_t sess, struct guest_buf *b, size_t n, uint32_t *h)
{
	struct guest_param p[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, n, false),
				    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	uint32_t r = guest_invoke(g, sess, VTEE_TEST_CMD_HASH, p, 2, 0, NULL);
	*h = (uint32_t)p[1].u.value.a;
	return r;
}

int main(int argc, char **argv)
{
	const char *vteed = vteed_path_arg(argc, argv);
	struct dguest a, b;

	/* an fd the VMM forgot to mark close-on-exec: neither vteed may keep it */
	int leak0 = memfd_create("leaked", 0);
	int leak = fcntl(leak0, F_DUPFD, 50); /* high, so no dup2 onto fd 3 replaces it */
	close(leak0);
	struct stat lst;
	CHECK_EQ(fstat(leak, &lst), 0);

	/* B: vteed --socket PATH, then vteed_connect() */
	char sock[108];
	snprintf(sock, sizeof(sock), "/tmp/vteed-test-%d.sock", (int)getpid());
	unlink(sock);
	pid_t pid_b = fork();
	if (pid_b == 0) {
		execl(vteed, vteed, "--socket", sock, (char *)NULL);
		_exit(127);
	}
	CHECK(pid_b > 0);
	struct stat sst;
	for (int i = 0; i < 500 && stat(sock, &sst) != 0; i++)
		usleep(10000);
	CHECK_EQ(dguest_start(vteed, NULL, VM_A, "vm-a", 2, 8u << 20, NULL, &a), 0);
	CHECK_EQ(dguest_start(vteed, sock, VM_B, "vm-b", 2, 8u << 20, NULL, &b), 0);
	if (!a.v || !b.v) {
		kill(pid_b, SIGKILL);
		return check_report();
	}
	b.pid = pid_b;
	CHECK(access(sock, F_OK) != 0); /* removed once connected */
	cur_vcpu = 0;
	CHECK_EQ(guest_probe(a.g), 0);
	CHECK_EQ(guest_probe(b.g), 0);

	/* sessions: A opens three, B one; B cannot use A's ids */
	uint32_t sa[3] = { 0 }, sb = 0;
	for (int i = 0; i < 3; i++)
		CHECK_EQ(guest_open_session(a.g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sa[i], NULL),
			 TEE_SUCCESS);
	CHECK_EQ(guest_open_session(b.g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sb, NULL), TEE_SUCCESS);
	for (int i = 0; i < 3; i++) {
		if (sa[i] == sb)
			continue;
		struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 1, 0, 0) };
		uint32_t r = guest_invoke(b.g, sa[i], VTEE_TEST_CMD_INC, p, 1, 0, NULL);
		CHECK(r != TEE_SUCCESS);
		CHECK_EQ(p[0].u.value.a, 1);
		CHECK(guest_close_session(b.g, sa[i]) != TEE_SUCCESS || sa[i] == sb);
	}
	/* A's sessions still work, and each VM is who it says */
	struct guest_param pw[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(a.g, sa[2], VTEE_TEST_CMD_WHOAMI, pw, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(pw[0].u.value.a, VM_A);
	CHECK_EQ(guest_invoke(b.g, sb, VTEE_TEST_CMD_WHOAMI, pw, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(pw[0].u.value.a, VM_B);
	struct guest_param ps[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(b.g, sb, VTEE_TEST_CMD_SESSIONS, ps, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(ps[0].u.value.a, 1);
	CHECK_EQ(guest_invoke(a.g, sa[0], VTEE_TEST_CMD_SESSIONS, ps, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(ps[0].u.value.a, 3);

	/* a secret STOREd by A is not what B LOADs */
	struct guest_buf *ka = NULL;
	(void)guest_buf_alloc(a.g, 32, 0, GUEST_BUF_CONTIG, &ka);
	struct guest_buf *kb = NULL;
	(void)guest_buf_alloc(b.g, 32, 0, GUEST_BUF_CONTIG, &kb);
	CHECK(ka && kb);
	if (ka && kb) {
		guest_buf_write(a.g, ka, 0, "secret of vm-a, 32 bytes long!!", 32);
		struct guest_param p[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, ka, 0, 32, false) };
		CHECK_EQ(guest_invoke(a.g, sa[0], VTEE_TEST_CMD_STORE, p, 1, 0, NULL), TEE_SUCCESS);
		struct guest_param q[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, kb, 0, 32, false) };
		CHECK_EQ(guest_invoke(b.g, sb, VTEE_TEST_CMD_LOAD, q, 1, 0, NULL), TEE_SUCCESS);
		CHECK_EQ(q[0].u.memref.size, 0);

		/* same guest-physical address, different memory: each daemon reads its own VM's RAM */
		CHECK_EQ(guest_buf_gpa(ka, 0), guest_buf_gpa(kb, 0));
		uint8_t zero[32] = { 0 };
		uint32_t ha = 0, hb = 0;
		CHECK_EQ(hash_at(a.g, sa[0], ka, 32, &ha), TEE_SUCCESS);
		CHECK_EQ(hash_at(b.g, sb, kb, 32, &hb), TEE_SUCCESS);
		CHECK_EQ(ha, fnv1a((const uint8_t *)"secret of vm-a, 32 bytes long!!", 32));
		CHECK_EQ(hb, fnv1a(zero, 32));
		guest_buf_free(a.g, ka);
		guest_buf_free(b.g, kb);
	}

	/* each daemon holds and maps only its own VM's RAM */
	struct stat ra, rb;
	CHECK_EQ(fstat(a.ram_fd, &ra), 0);
	CHECK_EQ(fstat(b.ram_fd, &rb), 0);
	CHECK(ra.st_ino != rb.st_ino);
	CHECK(holds_inode(a.pid, &ra));
	CHECK(!holds_inode(a.pid, &rb));
	CHECK(holds_inode(b.pid, &rb));
	CHECK(!holds_inode(b.pid, &ra));
	CHECK(maps_inode(a.pid, &ra));
	CHECK(!maps_inode(a.pid, &rb));
	CHECK(maps_inode(b.pid, &rb));
	CHECK(!maps_inode(b.pid, &ra));
	CHECK(!holds_inode(a.pid, &lst));
	CHECK(!holds_inode(b.pid, &lst));
	close(leak);

	for (int i = 0; i < 3; i++)
		CHECK_EQ(guest_close_session(a.g, sa[i]), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(b.g, sb), TEE_SUCCESS);
	guest_shutdown(a.g);
	guest_shutdown(b.g);
	CHECK_EQ(dguest_stop(&a), 0);
	CHECK_EQ(dguest_stop(&b), 0);
	return check_report();
}
