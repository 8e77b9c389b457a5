// SPDX-License-Identifier: MIT
/*
 * A VM's secure storage on its way to vtee-tee (daemon/common/tee_ctl.h):
 *  - 'S' messages on --ctl-fd: good ones kept (the quota capped by
 *    vtee-tee --policy's [storage]), bad ones refused with a log line and
 *    vtee-tee still serving: vm 0, unknown flags, the wrong number of fds,
 *    a state fd that is no directory or not O_RDONLY, an anchor fd that is
 *    no regular file or not O_RDWR; a message cut short;
 *  - the kept storage given to the back-end when the VM is created (a link
 *    ATTACH), and not to another VM;
 *  - libvteed: vteed_start() with state_dir prepares the state (directory,
 *    host key, anchor) and serves the guest; bad storage configurations are
 *    refused;
 *  - what serving a store does (open, put, get, rename, enumerate, delete,
 *    a full quota) under vtee-tee's seccomp allowlist, in a child: no call
 *    outside it (SIGSYS would end the child).
 *
 * Usage: daemon_tee_storage VTEED VTEE-TEE
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "../log_capture.h"
#include "fdpass.h"
#include "sandbox.h"
#include "vstore.h"
#include <openssl/crypto.h>
#include "guest.h"
#include "tee_ctl.h"
#include "vtee/test_ta.h"
#include "vtee/vteed.h"
#include "vtee/vtee.h"

extern char **environ;

static char tmpdir[64];
static const uint8_t test_ta_uuid[16] = VTEE_TEST_TA_UUID_BYTES;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- vtee-tee with our supervisor socket; its log collected ---- */

struct teeproc {
	pid_t pid;
	int ctl;
	struct log_capture log;
};

static unsigned log_count(struct teeproc *tp, const char *what)
{
	return log_capture_count(&tp->log, what);
}

static bool log_wait(struct teeproc *tp, const char *what, unsigned n)
{
	if (log_capture_wait(&tp->log, what, n, 10000))
		return true;
	fprintf(stderr, "not seen %u times in vtee-tee's log: %s\n", n, what);
	return false;
}

static void tee_spawn(struct teeproc *tp, const char *path, const char *policy)
{
	int ctl[2], logp[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) == 0);
	REQUIRE(pipe2(logp, O_CLOEXEC) == 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ctl[1], 101);
	posix_spawn_file_actions_adddup2(&fa, logp[1], 2);
	/* with a TA directory (and the TA host found), the soft back-end opens each VM's store */
	char tas[128];
	snprintf(tas, sizeof(tas), "%s/tas", tmpdir);
	REQUIRE(mkdir(tas, 0755) == 0 || errno == EEXIST);
	bool with_tas = getenv("VTEE_TA_HOST") != NULL;
	char *argv[] = { (char *)path, "--ctl-fd", "101", "--policy", (char *)policy, with_tas ? "--ta-dir" : NULL,
			 tas, NULL };
	memset(tp, 0, sizeof(*tp));
	REQUIRE(posix_spawn(&tp->pid, path, &fa, NULL, argv, environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(ctl[1]);
	close(logp[1]);
	tp->ctl = ctl[0];
	REQUIRE(log_capture_start(&tp->log, logp[0]) == 0);
}

/* Close the supervisor socket: vtee-tee exits 0 (ASan: nothing leaked, the kept storage freed). */
static void tee_stop(struct teeproc *tp)
{
	close(tp->ctl);
	int st = -1;
	pid_t r;
	for (double end = now_s() + 20; (r = waitpid(tp->pid, &st, WNOHANG)) == 0 && now_s() < end;)
		usleep(20000);
	if (r == 0) {
		kill(tp->pid, SIGKILL);
		waitpid(tp->pid, &st, 0);
	}
	CHECK(r == tp->pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	log_capture_join(&tp->log);
	CHECK_EQ(log_count(tp, "exiting: the supervisor is gone"), 1);
	log_capture_free(&tp->log);
}

/* 'S' with len bytes of body and nfds fds (our copies stay open: the caller closes them). */
static void send_raw(struct teeproc *tp, const uint8_t *body, size_t len, const int *fds, unsigned nfds)
{
	uint8_t m[1 + TEE_CTL_STORAGE_LEN + 8] = { TEE_CTL_STORAGE };
	REQUIRE(len <= sizeof(m) - 1);
	memcpy(m + 1, body, len);
	REQUIRE_EQ(vtee_send_fds(tp->ctl, m, 1 + len, fds, nfds), 0);
}

/* A well-formed body for vm_id, with flags as given (not derived from the fds). */
static void body_for(uint8_t *b, uint32_t vm_id, uint32_t flags, uint32_t max_objects, uint64_t max_bytes)
{
	struct vtee_storage st = { .dir_fd = -1, .anchor_fd = -1, .max_objects = max_objects, .max_bytes = max_bytes };
	memset(st.vm_key, 0x5a, sizeof(st.vm_key));
	memset(st.state_id, 0x11, sizeof(st.state_id));
	tee_ctl_storage_encode(b, vm_id, &st);
	tee_ctl_put32(b + 4, flags);
}

static void send_storage(struct teeproc *tp, uint32_t vm_id, uint32_t flags, const int *fds, unsigned nfds)
{
	uint8_t b[TEE_CTL_STORAGE_LEN];
	body_for(b, vm_id, flags, 100, 1 << 20);
	send_raw(tp, b, sizeof(b), fds, nfds);
}

static int open_in_tmp(const char *name, int flags)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	int fd = open(p, flags | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	return fd;
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

/* Each malformed message refused, by why; vtee-tee goes on. */
static void test_refused(struct teeproc *tp, int dir, int anchor)
{
	int reg = open_in_tmp("plain", O_RDWR | O_CREAT);
	int path_dir = open(tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int ro_anchor = open_in_tmp("anchor", O_RDONLY);
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	REQUIRE(path_dir >= 0);
	static const struct {
		uint32_t vm_id, flags;
		int fd0, fd1;       /* indices into fds below, -1: none */
		unsigned nfds;
		const char *why;
	} bad[] = {
		{ 0, TEE_CTL_STORAGE_ANCHOR, 0, 1, 2, "with vm_id 0" },
		{ 20, 2, 0, -1, 1, "with unknown flags" },
		{ 21, TEE_CTL_STORAGE_ANCHOR, 0, -1, 1, "with the wrong number of fds" },
		{ 22, 0, 0, 1, 2, "with the wrong number of fds" },
		{ 23, 0, -1, -1, 0, "with the wrong number of fds" },
		{ 24, 0, 2, -1, 1, "the state fd is not a directory" },
		{ 25, 0, 4, -1, 1, "the state fd is not a directory" },
		{ 26, 0, 3, -1, 1, "the state fd is not open O_RDONLY" },
		{ 27, TEE_CTL_STORAGE_ANCHOR, 0, 0, 2, "the anchor fd is not a regular file" },
		{ 28, TEE_CTL_STORAGE_ANCHOR, 0, 5, 2, "the anchor fd is not open O_RDWR" },
	};
	int fds[] = { dir, anchor, reg, path_dir, sv[0], ro_anchor };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int give[2] = { bad[i].fd0 >= 0 ? fds[bad[i].fd0] : -1, bad[i].fd1 >= 0 ? fds[bad[i].fd1] : -1 };
		send_storage(tp, bad[i].vm_id, bad[i].flags, give, bad[i].nfds);
		char line[160];
		snprintf(line, sizeof(line), "storage message for vm %u %s: ignored", bad[i].vm_id, bad[i].why);
		CHECK(log_wait(tp, line, 1));
	}
	/* three fds: more than any storage message has */
	int three[3] = { dir, anchor, reg };
	send_storage(tp, 29, TEE_CTL_STORAGE_ANCHOR, three, 3);
	CHECK(log_wait(tp, "storage message for vm 29 with the wrong number of fds: ignored", 1));
	CHECK_EQ(log_count(tp, "storage received"), 0);
	close(reg);
	close(path_dir);
	close(ro_anchor);
	close(sv[0]);
	close(sv[1]);
}

/* A VM made through a link connection bound to vm_id: 0 or the back-end's -errno. */
static int make_vm(struct teeproc *tp, uint32_t vm_id, const char *name, struct vtee_tee **tee, struct vtee_vm **vm)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	uint8_t bind[5] = { 'B', (uint8_t)vm_id, (uint8_t)(vm_id >> 8), (uint8_t)(vm_id >> 16), (uint8_t)(vm_id >> 24) };
	REQUIRE_EQ(vtee_send_fds(tp->ctl, bind, sizeof(bind), &sv[1], 1), 0);
	close(sv[1]);
	char opt[32];
	snprintf(opt, sizeof(opt), "fd=%d", sv[0]);
	REQUIRE_EQ(vtee_tee_open("link", opt, tee), 0);
	return vtee_vm_create(*tee, &(struct vtee_vm_config){ .vm_id = vm_id, .name = name }, vm);
}

/* A reset of vm 5's state from here, as `vtee state reset` would: -EBUSY while vtee-tee keeps it. */
static int reset_real(const char *dir)
{
	char anchors[160], msg[256] = "";
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmpdir);
	return vstore_reset(dir, anchors, "stor5", msg, sizeof(msg));
}

/* vm 5's store opened here, as a preparer would: 0 or vstore_open's -errno (-EBUSY: served). */
static int open_real(const char *dir, struct vstore **vs)
{
	char key[160], anchors[160], msg[256] = "";
	snprintf(key, sizeof(key), "%s/host.key", tmpdir);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmpdir);
	struct vstore_host_key hk;
	REQUIRE_EQ(vstore_host_key_load(key, true, &hk, msg, sizeof(msg)), 0);
	struct vstore_handoff h;
	REQUIRE_EQ(vstore_prepare(dir, anchors, "stor5", &hk, &(struct vstore_quota){ 0 }, &h, msg, sizeof(msg)), 0);
	return vstore_open(&h, NULL, NULL, vs);
}

static const struct vstore_key obj_key = { .ns = VSTORE_NS_TA, .id_len = 3, .id = "obj" };

/*
 * A real state for vm 5 with an object in it, so that vtee-tee's back-end
 * opens a manifest under its sandbox (decrypting it: OpenSSL's first use
 * there). *st: its storage as the supervisor sends it.
 */
static void real_state(const char *dir, struct vtee_storage *st)
{
	struct vstore *vs;
	REQUIRE_EQ(open_real(dir, &vs), 0);
	CHECK_EQ(vstore_put(vs, &obj_key, "m", 1, "data", 4, 0), 0);
	vstore_close(vs);
	char key[160], anchors[160], msg[256] = "";
	snprintf(key, sizeof(key), "%s/host.key", tmpdir);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmpdir);
	REQUIRE_EQ(vtee_storage_prepare(dir, anchors, "stor5", key, 0, 0, st, msg, sizeof(msg)), 0);
}

/* The object is there (the state survived being served). */
static void check_real(const char *dir)
{
	struct vstore *vs;
	REQUIRE_EQ(open_real(dir, &vs), 0);
	void *m = NULL, *d = NULL;
	size_t ml = 0, dl = 0;
	CHECK_EQ(vstore_get(vs, &obj_key, &m, &ml, &d, &dl), 0);
	CHECK(dl == 4 && d && !memcmp(d, "data", 4));
	free(m);
	free(d);
	vstore_close(vs);
}

static void test_ctl(const char *tee_path)
{
	char policy[128];
	snprintf(policy, sizeof(policy), "%s/tee-policy.ini", tmpdir);
	FILE *f = fopen(policy, "w");
	REQUIRE(f != NULL);
	fputs("[storage]\nmax_objects = 10\nmax_bytes = 8K\n", f);
	fclose(f);
	struct teeproc tp;
	tee_spawn(&tp, tee_path, policy);
	/* the state directory is vtee-tee's user's (started by root, it runs as nobody) */
	char sdir[128];
	snprintf(sdir, sizeof(sdir), "%s/ctl-state", tmpdir);
	struct vtee_storage real;
	real_state(sdir, &real);
	struct passwd *nobody = getpwnam("nobody");
	if (geteuid() == 0) {
		REQUIRE(nobody != NULL);
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "chown -R %u:%u '%s'", (unsigned)nobody->pw_uid, (unsigned)nobody->pw_gid, sdir);
		REQUIRE(system(cmd) == 0);
	}
	int dir = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int anchor = open_in_tmp("anchor", O_RDWR | O_CREAT);
	REQUIRE(dir >= 0);

	test_refused(&tp, dir, anchor);

	/* good: capped by the policy (10 objects, 8 KiB) whatever the supervisor asked */
	int both[2] = { dir, anchor };
	send_storage(&tp, 5, TEE_CTL_STORAGE_ANCHOR, both, 2);
	CHECK(log_wait(&tp, "vm 5: storage received (at most 10 objects, 8192 bytes)", 1));
	uint8_t b[TEE_CTL_STORAGE_LEN];
	body_for(b, 6, 0, 3, 0);
	send_raw(&tp, b, sizeof(b), &dir, 1);
	CHECK(log_wait(&tp, "vm 6: storage received (at most 3 objects, 8192 bytes; no rollback anchor)", 1));
	/* again for vm 5, the real one: the newer replaces the older */
	uint8_t rb[TEE_CTL_STORAGE_LEN];
	tee_ctl_storage_encode(rb, 5, &real);
	int rfds[2] = { real.dir_fd, real.anchor_fd };
	send_raw(&tp, rb, sizeof(rb), rfds, 2);
	vtee_storage_release(&real);
	CHECK(log_wait(&tp, "vm 5: storage received", 2));
	/* kept for a VM to come (no owner yet): its keeper lock keeps import and reset out */
	CHECK_EQ(reset_real(sdir), -EBUSY);

	/* vm 5 is made: its storage goes to the back-end; vm 8 has none */
	bool soft_keeps = vtee_backend_find("soft")->vm_storage != NULL;
	const char *given = soft_keeps ? "vm 5: storage given to the back-end" :
			    "vm 5: back-end \"soft\" keeps no storage";
	struct vtee_tee *t5, *t8;
	struct vtee_vm *v5 = NULL, *v8 = NULL;
	CHECK_EQ(make_vm(&tp, 5, "stor5", &t5, &v5), 0);
	CHECK(log_wait(&tp, given, 1));
	if (getenv("VTEE_TA_HOST")) {
		/* vtee-tee's back-end serves the store now (its owner lock), in its sandbox */
		struct vstore *vs = NULL;
		CHECK_EQ(open_real(sdir, &vs), -EBUSY);
	}
	CHECK_EQ(make_vm(&tp, 8, "stor8", &t8, &v8), 0);
	CHECK(log_wait(&tp, "conn 2: attached, new vm 8", 1));
	CHECK_EQ(log_count(&tp, "vm 8: storage"), 0);
	CHECK_EQ(log_count(&tp, "vm 8: back-end"), 0);
	/* storage for a VM that exists already: refused (it is given once, before the first call) */
	send_storage(&tp, 8, TEE_CTL_STORAGE_ANCHOR, both, 2);
	CHECK(log_wait(&tp, "storage message for vm 8 for a VM that exists already: ignored", 1));
	vtee_vm_destroy(v5);
	vtee_vm_destroy(v8);
	vtee_tee_close(t5);
	vtee_tee_close(t8);
	CHECK(log_wait(&tp, "detached: vm 5 destroyed", 1));
	CHECK_EQ(reset_real(sdir), -EBUSY); /* between incarnations */
	check_real(sdir);

	/* cut short: the supervisor's last word, then its end */
	send_raw(&tp, b, 10, both, 2);
	close_fds(both, 2);
	tee_stop(&tp);
}

/* ---- libvteed: storage configured for a supervised VM ---- */

static struct vteed *vteed_of_guest;

static void vteed_guest_smc(void *ctx, uint64_t regs[8])
{
	(void)ctx;
	vteed_smc(vteed_of_guest, 0, regs);
}

/*
 * Root hands the state directory to vtee-tee's user, who owns it after the first run: a hard link
 * planted there by that user to a file of root's must not make root give that file away.
 */
static void check_no_chown_through_links(const struct vteed_config *vc, const struct vteed_ram *ram,
					 struct vteed **v, const char *state)
{
	char victim[160], planted[200], msg[VTEED_MSG_MAX];
	snprintf(victim, sizeof(victim), "%s/root-only", tmpdir);
	snprintf(planted, sizeof(planted), "%s/planted", state);
	int fd = open(victim, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE_EQ(link(victim, planted), 0);
	int err = vteed_start(vc, ram, 1, v, msg, sizeof(msg));
	CHECK_EQ(err, 0);
	if (!err)
		vteed_close(*v);
	struct stat sb;
	CHECK(stat(victim, &sb) == 0 && sb.st_uid == 0 && sb.st_gid == 0);
	unlink(planted);
	unlink(victim);
}

static void test_vteed(const char *vteed, const char *tee)
{
	char state[128], anchors[128], key[128], msg[VTEED_MSG_MAX];
	snprintf(state, sizeof(state), "%s/vteed-state/vm9", tmpdir);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmpdir);
	snprintf(key, sizeof(key), "%s/keys/host.key", tmpdir);
	struct {
		struct guest *g;
		struct vteed *v;
	} d = { 0 };
	uint64_t ram_size = 16ull << 20;
	struct guest_config gc = { .ram_size = ram_size, .smc_fn = vteed_guest_smc, .quiet = true };
	REQUIRE_EQ(guest_create(NULL, &gc, &d.g), 0);
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = ram_size, .fd = guest_ram_fd(d.g) };
	struct vteed_config vc = { .vm_id = 9, .name = "stor9", .nvcpus = 1, .vteed_path = vteed, .tee_path = tee,
				   .state_dir = state, .state_anchor_dir = anchors };
	/* no host key named: refused before anything starts */
	CHECK_EQ(vteed_start(&vc, &ram, 1, &d.v, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "host_key") != NULL);
	vc.host_key = key;
	vc.backend = "teedev";
	CHECK_EQ(vteed_start(&vc, &ram, 1, &d.v, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "soft") != NULL);
	struct stat sb;
	CHECK(stat(state, &sb) < 0 && errno == ENOENT);

	vc.backend = NULL;
	int err = vteed_start(&vc, &ram, 1, &d.v, msg, sizeof(msg));
	CHECK_EQ(err, 0);
	if (err) {
		fprintf(stderr, "vteed_start: %d (%s)\n", err, msg);
		guest_destroy(d.g);
		return;
	}
	vteed_of_guest = d.v;
	/* prepared by this process: the state directory, the host key (0600) */
	CHECK(stat(state, &sb) == 0 && S_ISDIR(sb.st_mode));
	CHECK(stat(key, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == 0600 && sb.st_size == 32);
	/* and the guest is served */
	CHECK_EQ(guest_probe(d.g), 0);
	uint32_t s = 0;
	CHECK_EQ(guest_open_session(d.g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(d.g, s), TEE_SUCCESS);
	vteed_close(d.v);
	if (geteuid() == 0)
		check_no_chown_through_links(&vc, &ram, &d.v, state);
	guest_destroy(d.g);
}

/* ---- the engine's serving calls under vtee-tee's allowlist ---- */

/* In the child: 0 when every operation behaved, else the step that did not. */
static int serve_sandboxed(struct vstore_handoff *h)
{
	char err[256];
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1) /* as vtee-tee does before its filter */
		return 1;
	if (vteed_sandbox_enter_as(SANDBOX_VTEE_TEE, err, sizeof(err)))
		return 2;
	struct vstore *vs;
	if (vstore_open(h, NULL, NULL, &vs))
		return 3;
	struct vstore_key a = obj_key, b = obj_key, next;
	a.id[0] = 'a';
	if (vstore_put(vs, &a, "m", 1, "0123456789", 10, VSTORE_PUT_NEW) ||
	    vstore_put(vs, &a, "m2", 2, "abc", 3, 0))
		return 4;
	void *m = NULL, *d = NULL;
	size_t ml, dl;
	int r = vstore_get(vs, &a, &m, &ml, &d, &dl);
	bool same = !r && dl == 3 && !memcmp(d, "abc", 3);
	free(m);
	free(d);
	if (!same)
		return 5;
	if (vstore_rename(vs, &a, (const uint8_t *)"bbb", 3))
		return 6;
	memcpy(b.id, "bbb", 3);
	uint64_t len;
	if (vstore_next(vs, b.uuid, VSTORE_NS_TA, NULL, &next, &len))
		return 7;
	if (vstore_delete(vs, &b) || vstore_get(vs, &b, &m, &ml, &d, &dl) != -ENOENT)
		return 8;
	/* over the quota (3 objects): refused, not a crash */
	int over = 0;
	for (int i = 0; i < 5 && !over; i++) {
		struct vstore_key k = obj_key;
		k.id[0] = (uint8_t)('0' + i);
		over = vstore_put(vs, &k, "m", 1, "x", 1, 0);
	}
	if (over != -EDQUOT)
		return 9;
	vstore_close(vs);
	return 0;
}

static void test_sandboxed_engine(void)
{
	char dir[128], key[160], anchors[160], msg[256] = "";
	snprintf(dir, sizeof(dir), "%s/sandboxed", tmpdir);
	snprintf(key, sizeof(key), "%s/host.key", tmpdir);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmpdir);
	struct vstore_host_key hk;
	REQUIRE_EQ(vstore_host_key_load(key, true, &hk, msg, sizeof(msg)), 0);
	struct vstore_handoff h;
	REQUIRE_EQ(vstore_prepare(dir, anchors, "sandboxed", &hk, &(struct vstore_quota){ .max_objects = 3 }, &h, msg,
				  sizeof(msg)), 0);
	fflush(NULL);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		_exit(serve_sandboxed(&h));
	vstore_handoff_close(&h);
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "the engine under vtee-tee's filter: wait status %#x (SIGSYS is %d)\n", st, SIGSYS);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s VTEED VTEE-TEE\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vtee-tee-storage-XXXXXX");
	REQUIRE(mkdtemp(tmpdir) != NULL);
	test_ctl(argv[2]);
	test_vteed(argv[1], argv[2]);
	test_sandboxed_engine();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_report();
}
