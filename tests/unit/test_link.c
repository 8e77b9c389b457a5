// SPDX-License-Identifier: MIT
/*
 * The "link" back-end against a real vtee-tee process (docs/tee-link.md):
 *  - end to end through the OP-TEE front-end (the guest model): values,
 *    temporary memrefs 1 B..8 MiB, SHORT_BUFFER, registered shm, NULL
 *    memrefs, the REE-time RPC, cancel, concurrent callers;
 *  - recovery: the mediator's socket dies with sessions open and calls in
 *    flight, a new connection resumes, imports some sessions, RESTORED closes
 *    the rest (and an OPEN that finished with nobody to tell is closed);
 *    the same with a mediator process killed with SIGKILL;
 *  - a link broken mid-call; malformed messages to vtee-tee; a misbehaving
 *    TEE against the back-end; vtee-tee's exit when its supervisor goes;
 *  - vtee-tee answers quick calls on its reader thread (no hand-off, no
 *    thread made for them), pipelined and with data around its read
 *    buffer's size, while a slow one runs on a handler thread and is
 *    cancelled;
 *  - the link over a shared-memory channel (fd=N,chan=M): vtee-tee behind
 *    a relay that serves the channel with the TEE side's reader, 64 MiB
 *    memrefs, resume over a new channel, a misbehaving TEE, a TEE end that
 *    dies or a channel the supervisor hangs up with a call in flight.
 *
 * Usage: test-link PATH-TO-VTEE-TEE
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "../log_capture.h"
#include "guest.h"
#include "link.h"
#include "link_proto.h"
#include "vtee/test_ta.h"

extern char **environ;

static const uint8_t test_ta[16] = VTEE_TEST_TA_UUID_BYTES;
static const struct vtee_uuid test_uuid = { VTEE_TEST_TA_UUID_BYTES };

#define WAIT_US (20ull * 1000 * 1000)

/* The link back-end's own instance behind a vtee_tee (its ops are driven directly below). */
static void *link_priv(struct vtee_tee *tee)
{
	return vtee_tee_backend_priv(tee, &vtee_link_backend);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- a vtee-tee child, its supervisor socket and its log ---- */

struct teeproc {
	pid_t pid;
	int ctl;       /* our end of --ctl-fd */
	int first;     /* our end of the --fd connection */
	struct log_capture log;
};

static unsigned log_count(struct teeproc *tp, const char *what)
{
	return log_capture_count(&tp->log, what);
}

/* Wait until `what` appears at least n times in the log. */
static bool log_wait(struct teeproc *tp, const char *what, unsigned n, unsigned timeout_ms)
{
	return log_capture_wait(&tp->log, what, n, timeout_ms);
}

static struct teeproc *tee_spawn(const char *path, const char *options)
{
	int data[2], ctl[2], logp[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) == 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) == 0);
	REQUIRE(pipe2(logp, O_CLOEXEC) == 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	/* fixed numbers no parent fd uses, so dup2 always clears close-on-exec */
	posix_spawn_file_actions_adddup2(&fa, data[1], 100);
	posix_spawn_file_actions_adddup2(&fa, ctl[1], 101);
	posix_spawn_file_actions_adddup2(&fa, logp[1], 2);
	char *argv[] = { (char *)path, "--fd", "100", "--ctl-fd", "101", options ? "--options" : NULL,
			 (char *)options, NULL };
	struct teeproc *tp = calloc(1, sizeof(*tp));
	REQUIRE(tp != NULL);
	REQUIRE(posix_spawn(&tp->pid, path, &fa, NULL, argv, environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(data[1]);
	close(ctl[1]);
	close(logp[1]);
	tp->first = data[0];
	tp->ctl = ctl[0];
	REQUIRE(log_capture_start(&tp->log, logp[0]) == 0);
	return tp;
}

/*
 * A new connection: one end goes to vtee-tee over the supervisor socket, the
 * other is returned. bound_vm != 0: the connection may ATTACH that VM only.
 */
static int tee_connect_bound(struct teeproc *tp, uint32_t bound_vm)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	char byte = bound_vm ? 'B' : 'C';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	REQUIRE(sendmsg(tp->ctl, &m, MSG_NOSIGNAL) == 1);
	if (bound_vm) {
		uint32_t le = tl_le32(bound_vm);
		REQUIRE(send(tp->ctl, &le, sizeof(le), MSG_NOSIGNAL) == sizeof(le));
	}
	close(sv[1]);
	return sv[0];
}

static int tee_connect(struct teeproc *tp)
{
	return tee_connect_bound(tp, 0);
}

static bool tee_alive(struct teeproc *tp)
{
	int st;
	return waitpid(tp->pid, &st, WNOHANG) == 0;
}

/* Close the supervisor socket: vtee-tee must destroy everything and exit 0 (ASan: with no leak). */
static void tee_stop(struct teeproc *tp)
{
	close(tp->ctl);
	int st = -1;
	uint64_t end = now_ms() + 20000;
	pid_t r;
	while ((r = waitpid(tp->pid, &st, WNOHANG)) == 0 && now_ms() < end)
		sleep_ms(20);
	if (r == 0) {
		kill(tp->pid, SIGKILL);
		waitpid(tp->pid, &st, 0);
	}
	CHECK(r == tp->pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	log_capture_join(&tp->log);
	CHECK(log_count(tp, "exiting: the supervisor is gone") == 1);
	if (tp->first >= 0)
		close(tp->first);
	log_capture_free(&tp->log);
	free(tp);
}

static struct vtee_tee *link_open(int fd, bool resume)
{
	char opt[64];
	snprintf(opt, sizeof(opt), "fd=%d%s", fd, resume ? ",resume" : "");
	struct vtee_tee *tee = NULL;
	REQUIRE_EQ(vtee_tee_open("link", opt, &tee), 0);
	return tee;
}

static struct vtee_link_stats stats_of(void *be_vm)
{
	struct vtee_link_stats st = { 99, 99, 99 };
	CHECK_EQ(vtee_link_stats(be_vm, &st), 0);
	return st;
}

/* ---- helpers over the guest model ---- */

static uint32_t fnv1a(const uint8_t *b, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

static void pattern(uint8_t *b, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
}

static uint32_t open_test(struct guest *g)
{
	uint32_t s = 0, origin = 0;
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, &origin), TEE_SUCCESS);
	return s;
}

static void check_memref_size(struct guest *g, uint32_t s, size_t n, bool noncontig, uint32_t seed)
{
	enum guest_buf_layout lay = noncontig ? GUEST_BUF_SCATTER : GUEST_BUF_CONTIG;
	struct guest_buf *in = NULL;
	(void)guest_buf_alloc(g, n, (uint32_t)(seed * 97 % 4096), lay, &in);
	struct guest_buf *out = NULL;
	(void)guest_buf_alloc(g, n + 16, (uint32_t)(seed * 31 % 4096), lay, &out);
	REQUIRE(in && out);
	uint8_t *src = malloc(n), *got = malloc(n + 16), *want = malloc(n);
	REQUIRE(src && got && want);
	pattern(src, n, seed);
	for (size_t i = 0; i < n; i++)
		want[i] = src[n - 1 - i];
	CHECK_EQ(guest_buf_write(g, in, 0, src, n), 0);

	/* IN -> OUT */
	CHECK_EQ(guest_buf_fill(g, out, 0, 0xEE, n + 16), 0);
	struct guest_param p[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, in, 0, n, noncontig),
				    guest_param_tmem(VTEE_PARAM_MEMREF_OUT, out, 0, n, noncontig) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_REVERSE, p, 2, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(p[1].u.memref.size, n);
	CHECK_EQ(guest_buf_read(g, out, 0, got, n + 16), 0);
	CHECK(memcmp(got, want, n) == 0);
	bool tail = true;
	for (size_t i = n; i < n + 16; i++)
		tail &= got[i] == 0xEE;
	CHECK(tail);

	/* INOUT in place */
	struct guest_param q[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, in, 0, n, noncontig) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_REVERSE, q, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(q[0].u.memref.size, n);
	CHECK_EQ(guest_buf_read(g, in, 0, got, n), 0);
	CHECK(memcmp(got, want, n) == 0);

	/* OUT: FILL, nothing past the end written */
	CHECK_EQ(guest_buf_fill(g, out, 0, 0xEE, n + 16), 0);
	struct guest_param f[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, out, 0, n, noncontig),
				    guest_param_value(VTEE_PARAM_VALUE_IN, 0x5A, 0, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_FILL, f, 2, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(guest_buf_read(g, out, 0, got, n + 16), 0);
	size_t bad = 0;
	for (size_t i = 0; i < n + 16; i++)
		bad += got[i] != (i < n ? 0x5A : 0xEE);
	CHECK_EQ(bad, 0);

	/* IN: HASH */
	CHECK_EQ(guest_buf_write(g, in, 0, src, n), 0);
	struct guest_param hsh[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, in, 0, n, noncontig),
				      guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_HASH, hsh, 2, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(hsh[1].u.value.a, fnv1a(src, n));
	CHECK_EQ(hsh[1].u.value.b, n);

	free(src);
	free(got);
	free(want);
	guest_buf_free(g, in);
	guest_buf_free(g, out);
}

struct sleeper {
	struct guest *g;
	uint32_t session, ms, cancel_id;
	uint32_t ret, origin;
	uint64_t took_ms;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *sl = arg;
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, sl->ms, 0, 0) };
	uint64_t t0 = now_ms();
	sl->ret = guest_invoke(sl->g, sl->session, VTEE_TEST_CMD_SLEEP, p, 1, sl->cancel_id, &sl->origin);
	sl->took_ms = now_ms() - t0;
	return NULL;
}

struct worker {
	struct guest *g;
	unsigned id;
	_Atomic unsigned *ok;
	_Atomic unsigned *bad;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint32_t s = 0;
	if (guest_open_session(w->g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s, NULL) != TEE_SUCCESS) {
		atomic_fetch_add(w->bad, 1);
		return NULL;
	}
	struct guest_buf *b = NULL;
	(void)guest_buf_alloc(w->g, 5000 + w->id, w->id * 100, GUEST_BUF_SCATTER, &b);
	uint8_t data[6000];
	for (unsigned it = 0; it < 40 && b; it++) {
		struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, w->id * 1000 + it, w->id, 0) };
		bool good = guest_invoke(w->g, s, VTEE_TEST_CMD_INC, p, 1, 0, NULL) == TEE_SUCCESS &&
			    p[0].u.value.a == w->id * 1000 + it + 1 && p[0].u.value.b == w->id;
		size_t n = 5000 + w->id;
		pattern(data, n, w->id * 7919 + it);
		guest_buf_write(w->g, b, 0, data, n);
		struct guest_param h[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, n, true),
					    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		good &= guest_invoke(w->g, s, VTEE_TEST_CMD_HASH, h, 2, 0, NULL) == TEE_SUCCESS &&
			h[1].u.value.a == fnv1a(data, n);
		if (it % 10 == 3) {
			struct guest_param t[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
			good &= guest_invoke(w->g, s, VTEE_TEST_CMD_REE_TIME, t, 1, 0, NULL) == TEE_SUCCESS &&
				t[0].u.value.a > 1600000000u;
		}
		atomic_fetch_add(good ? w->ok : w->bad, 1);
	}
	if (b)
		guest_buf_free(w->g, b);
	else
		atomic_fetch_add(w->bad, 1);
	if (guest_close_session(w->g, s) != TEE_SUCCESS)
		atomic_fetch_add(w->bad, 1);
	return NULL;
}

/*
 * A 20 s call on a new session cancelled with cancel_id (in flight once, back
 * in well under 10 s with CANCEL), then 8 callers at once, all exact. Returns
 * the session, still open.
 */
static uint32_t cancel_then_many_callers(struct guest *g, void *be_vm, uint32_t cancel_id)
{
	uint32_t sc = open_test(g);
	struct sleeper sl = { .g = g, .session = sc, .ms = 20000, .cancel_id = cancel_id };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, sleeper_main, &sl) == 0);
	sleep_ms(300);
	CHECK_EQ(stats_of(be_vm).inflight, 1);
	CHECK_EQ(guest_cancel(g, sc, cancel_id), TEE_SUCCESS);
	pthread_join(th, NULL);
	CHECK_EQ(sl.ret, TEE_ERROR_CANCEL);
	CHECK_CMP(sl.took_ms, <, 10000);

	enum { NW = 8 };
	_Atomic unsigned ok = 0, bad = 0;
	struct worker w[NW];
	pthread_t wt[NW];
	for (unsigned i = 0; i < NW; i++) {
		w[i] = (struct worker){ g, i + 1, &ok, &bad };
		REQUIRE(pthread_create(&wt[i], NULL, worker_main, &w[i]) == 0);
	}
	for (unsigned i = 0; i < NW; i++)
		pthread_join(wt[i], NULL);
	CHECK_EQ(ok, NW * 40);
	CHECK_EQ(bad, 0);
	return sc;
}

/* ---- 1. end to end through the OP-TEE front-end ---- */

static void test_end_to_end(struct teeproc *tp)
{
	struct vtee_tee *tee = link_open(tp->first, false);
	tp->first = -1; /* the back-end owns it now */
	struct guest *g = NULL;
	REQUIRE_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "link1" }, NULL, &g), 0);
	REQUIRE_EQ(guest_probe(g), 0);
	void *be_vm = vtee_vm_backend_priv(guest_vm(g), &vtee_link_backend);
	CHECK(log_wait(tp, "vtee-tee[link1]: conn 1: attached, new vm 1", 1, 5000));
	/* STORAGE_STATS (version 2): this VM has no storage, the core says so too */
	struct vtee_storage_stats ss;
	CHECK_EQ(vtee_link_backend.vm_storage_stats(be_vm, &ss), -ENOENT);
	struct vtee_vm_stats vs;
	vtee_vm_get_stats(guest_vm(g), &vs);
	CHECK_EQ(vs.storage_status, -ENOENT);
	CHECK_EQ(vs.storage.objects, 0);

	/* values */
	uint32_t s = open_test(g);
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 7, 0) };
	uint32_t origin = 0;
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_INC, p, 1, 0, &origin), TEE_SUCCESS);
	CHECK_EQ(origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(p[0].u.value.a, 42);
	CHECK_EQ(p[0].u.value.b, 7);
	CHECK_EQ(guest_invoke(g, s, 0x777, NULL, 0, 0, &origin), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(origin, TEE_ORIGIN_TRUSTED_APP);

	/* identity: the VM id is the one the mediator attached with; login and client UUID travel */
	uint8_t cuuid[16];
	for (int i = 0; i < 16; i++)
		cuuid[i] = (uint8_t)(0xA0 + i);
	uint32_t su = 0;
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_USER, cuuid, NULL, 0, 0, &su, NULL), TEE_SUCCESS);
	struct guest_buf *ub = NULL;
	(void)guest_buf_alloc(g, 16, 8, GUEST_BUF_CONTIG, &ub);
	struct guest_param who[2] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0),
				      guest_param_tmem(VTEE_PARAM_MEMREF_OUT, ub, 0, 16, false) };
	CHECK_EQ(guest_invoke(g, su, VTEE_TEST_CMD_WHOAMI, who, 2, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(who[0].u.value.a, 1);
	CHECK_EQ(who[0].u.value.b, TEE_LOGIN_USER);
	uint8_t got[16] = { 0 };
	guest_buf_read(g, ub, 0, got, 16);
	CHECK(memcmp(got, cuuid, 16) == 0);
	guest_buf_free(g, ub);
	CHECK_EQ(guest_close_session(g, su), TEE_SUCCESS);

	/* temporary memrefs, contiguous and page lists, 1 B .. 8 MiB */
	static const size_t sizes[] = { 1, 7, 4095, 4096, 4097, 65539, 1u << 20, 8u << 20 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_memref_size(g, s, sizes[i], i & 1, i + 1);

	/* SHORT_BUFFER: the size needed comes back, the too-small buffer is untouched */
	struct guest_buf *in = NULL;
	(void)guest_buf_alloc(g, 100, 0, GUEST_BUF_CONTIG, &in);
	struct guest_buf *out = NULL;
	(void)guest_buf_alloc(g, 10, 0, GUEST_BUF_CONTIG, &out);
	guest_buf_fill(g, in, 0, 0x11, 100);
	guest_buf_fill(g, out, 0, 0xEE, 10);
	struct guest_param sb[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, in, 0, 100, false),
				     guest_param_tmem(VTEE_PARAM_MEMREF_OUT, out, 0, 10, false) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_REVERSE, sb, 2, 0, &origin), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(sb[1].u.memref.size, 100);
	uint8_t ob[10];
	guest_buf_read(g, out, 0, ob, 10);
	unsigned touched = 0;
	for (int i = 0; i < 10; i++)
		touched += ob[i] != 0xEE;
	CHECK_EQ(touched, 0);
	guest_buf_free(g, in);
	guest_buf_free(g, out);

	/* registered shared memory, scattered pages, at an offset */
	struct guest_shm *shm = NULL;
	REQUIRE_EQ(guest_shm_alloc(g, 3 * 4096 + 100, GUEST_BUF_SCATTER, &shm), TEE_SUCCESS);
	uint8_t sdata[3 * 4096 + 100], back[9000];
	pattern(sdata, sizeof(sdata), 99);
	guest_buf_write(g, shm->buf, 0, sdata, sizeof(sdata));
	struct guest_param rh[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 5, 5000),
				     guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_HASH, rh, 2, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(rh[1].u.value.a, fnv1a(sdata + 5, 5000));
	struct guest_param rr[1] = { guest_param_rmem(VTEE_PARAM_MEMREF_INOUT, shm, 100, 9000) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_REVERSE, rr, 1, 0, NULL), TEE_SUCCESS);
	guest_buf_read(g, shm->buf, 100, back, 9000);
	unsigned mism = 0;
	for (int i = 0; i < 9000; i++)
		mism += back[i] != sdata[100 + 8999 - i];
	CHECK_EQ(mism, 0);
	CHECK_EQ(guest_shm_unregister(g, shm), TEE_SUCCESS);

	/* NULL memref: only the size travels, and the size needed comes back */
	struct guest_buf *st = NULL;
	(void)guest_buf_alloc(g, 11, 0, GUEST_BUF_CONTIG, &st);
	guest_buf_write(g, st, 0, "hello world", 11);
	struct guest_param sp[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, st, 0, 11, false) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_STORE, sp, 1, 0, NULL), TEE_SUCCESS);
	struct guest_param lp[1] = { guest_param_null(VTEE_PARAM_MEMREF_OUT) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_LOAD, lp, 1, 0, NULL), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(lp[0].u.memref.size, 11);
	guest_buf_fill(g, st, 0, 0, 11);
	struct guest_param lq[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, st, 0, 11, false) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_LOAD, lq, 1, 0, NULL), TEE_SUCCESS);
	char word[12] = { 0 };
	guest_buf_read(g, st, 0, word, 11);
	CHECK(strcmp(word, "hello world") == 0);
	guest_buf_free(g, st);

	/* RPC: the TA asks the guest's clock */
	struct guest_param tp_[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_REE_TIME, tp_, 1, 0, NULL), TEE_SUCCESS);
	time_t now = time(NULL);
	CHECK_CMP(tp_[0].u.value.a + 5, >=, (uint64_t)now);
	CHECK_CMP(tp_[0].u.value.a, <=, (uint64_t)now + 5);
	CHECK_CMP(tp_[0].u.value.b, <, 1000000000u);

	/* cancel a sleeping call, then many callers at once */
	uint32_t sc = cancel_then_many_callers(g, be_vm, 77);

	/* the TEE's view: the sessions we hold, nothing in flight */
	struct vtee_link_stats lst = stats_of(be_vm);
	CHECK_EQ(lst.sessions, 2);
	CHECK_EQ(lst.inflight, 0);
	struct guest_param ns[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_SESSIONS, ns, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(ns[0].u.value.a, 2);
	CHECK_EQ(guest_close_session(g, sc), TEE_SUCCESS);
	CHECK_EQ(stats_of(be_vm).sessions, 1);

	/* the VM goes with a session open: the core closes it, then DETACH_DESTROY finds none left */
	guest_destroy(g);
	CHECK(log_wait(tp, "conn 1: detached: vm 1 destroyed, 0 sessions closed", 1, 5000));
	vtee_tee_close(tee);
	CHECK(log_wait(tp, "conn 1: connection closed by the mediator", 1, 5000));
}

/* ---- direct back-end requests (recovery parts) ---- */

static void run(const struct vtee_backend_ops *ops, void *vm, struct vtee_req *r)
{
	vtee_req_arm(r);
	ops->submit(vm, r);
	CHECK(vtee_req_wait(r, WAIT_US));
}

static void *open_direct(const struct vtee_backend_ops *ops, void *vm)
{
	struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = test_uuid, .client = { .login = TEE_LOGIN_PUBLIC } };
	run(ops, vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	return r.ret == TEE_SUCCESS ? r.session : NULL;
}

static uint32_t invoke_value(const struct vtee_backend_ops *ops, void *vm, void *sess, uint32_t func,
			     uint32_t type, uint64_t a, uint64_t *out_a)
{
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = sess, .func = func, .num_params = 1 };
	r.params[0].type = type;
	r.params[0].u.value.a = a;
	run(ops, vm, &r);
	if (out_a)
		*out_a = r.params[0].u.value.a;
	return r.ret;
}

/* STORE/LOAD through a host buffer: the link back-end only uses the shm accessors. */
static uint32_t store_load(const struct vtee_backend_ops *ops, void *vm, void *sess, bool store, char *text,
			   size_t cap, uint64_t *size)
{
	void *buf = aligned_alloc(4096, 4096);
	REQUIRE(buf != NULL);
	memset(buf, 0, 4096);
	if (store)
		memcpy(buf, text, cap);
	struct vtee_shm *shm = NULL;
	REQUIRE(vtee_host_shm_new(buf, cap, &shm) == 0);
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = sess, .num_params = 1,
			      .func = store ? VTEE_TEST_CMD_STORE : VTEE_TEST_CMD_LOAD };
	r.params[0].type = store ? VTEE_PARAM_MEMREF_IN : VTEE_PARAM_MEMREF_OUT;
	r.params[0].u.memref.shm = shm;
	r.params[0].u.memref.size = cap;
	run(ops, vm, &r);
	if (!store)
		memcpy(text, buf, cap);
	if (size)
		*size = r.params[0].u.memref.size;
	vtee_host_shm_free(shm);
	free(buf);
	return r.ret;
}

static void close_direct(const struct vtee_backend_ops *ops, void *vm, void *sess)
{
	struct vtee_req r = { .op = VTEE_REQ_CLOSE, .session = sess };
	run(ops, vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
}

/* Poll STATS until nothing runs on the VM in the TEE (old connections' requests included). */
static bool wait_vm_idle(void *be_vm, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	for (;;) {
		struct vtee_link_stats st;
		if (vtee_link_stats(be_vm, &st) == 0 && st.vm_inflight == 0)
			return true;
		if (now_ms() > end)
			return false;
		sleep_ms(20);
	}
}

/* ---- 2. recovery after the mediator's socket died ---- */

static void test_recovery(struct teeproc *tp)
{
	/* this vtee-tee runs one TEE thread per VM: an OPEN queues behind a SLEEP */
	struct vtee_tee *tee = link_open(tp->first, false);
	int fd_old = tp->first;
	tp->first = -1;
	const struct vtee_backend_ops *ops = &vtee_link_backend;
	void *vm = NULL;
	REQUIRE_EQ(ops->vm_created(link_priv(tee), 7, "rec", &vm), 0);

	void *A = open_direct(ops, vm), *B = open_direct(ops, vm), *C = open_direct(ops, vm);
	REQUIRE(A && B && C);
	char text[8] = "persist";
	CHECK_EQ(store_load(ops, vm, A, true, text, 8, NULL), TEE_SUCCESS);
	uint64_t hA = ops->session_export(vm, A), hB = ops->session_export(vm, B), hC = ops->session_export(vm, C);
	CHECK(hA && hB && hC && hA != hB && hB != hC && hA != hC);
	CHECK_EQ(stats_of(vm).sessions, 3);

	/* in flight: a SLEEP on the only TEE thread, and an OPEN queued behind it */
	struct vtee_req sleep_req = { .op = VTEE_REQ_INVOKE, .session = B, .func = VTEE_TEST_CMD_SLEEP, .num_params = 1 };
	sleep_req.params[0].type = VTEE_PARAM_VALUE_IN;
	sleep_req.params[0].u.value.a = 1500;
	struct vtee_req open_req = { .op = VTEE_REQ_OPEN, .ta = test_uuid };
	vtee_req_arm(&sleep_req);
	ops->submit(vm, &sleep_req);
	sleep_ms(200); /* the SLEEP holds the TEE thread before the OPEN comes */
	vtee_req_arm(&open_req);
	ops->submit(vm, &open_req);
	sleep_ms(100);
	struct vtee_link_stats st = stats_of(vm);
	CHECK_EQ(st.inflight, 2);
	CHECK(!vtee_req_wait(&sleep_req, 0));

	/* the mediator dies: its socket is gone (both ends see it, as after kill -9) */
	uint64_t t0 = now_ms();
	shutdown(fd_old, SHUT_RDWR);
	CHECK(vtee_req_wait(&sleep_req, 3000000));
	CHECK(vtee_req_wait(&open_req, 3000000));
	CHECK_CMP(now_ms() - t0, <, 1000);
	CHECK_EQ(sleep_req.ret, TEE_ERROR_COMMUNICATION);
	CHECK_EQ(sleep_req.ret_origin, TEE_ORIGIN_COMMS);
	CHECK_EQ(open_req.ret, TEE_ERROR_COMMUNICATION);
	CHECK_EQ(open_req.ret_origin, TEE_ORIGIN_COMMS);
	/* later requests fail at once, and control operations do not hang */
	uint64_t dummy;
	t0 = now_ms();
	CHECK_EQ(invoke_value(ops, vm, A, VTEE_TEST_CMD_INC, VTEE_PARAM_VALUE_INOUT, 1, &dummy), TEE_ERROR_COMMUNICATION);
	struct vtee_link_stats dead;
	CHECK_EQ(vtee_link_stats(vm, &dead), -ENOTCONN);
	CHECK_CMP(now_ms() - t0, <, 1000);
	/* what is left of the dead mediator goes without touching the TEE */
	ops->vm_destroyed(vm);
	vtee_tee_close(tee);

	/* the restarted mediator: a new connection from the supervisor, RESUME */
	struct vtee_tee *tee2 = link_open(tee_connect(tp), true);
	void *vm2 = NULL;
	REQUIRE_EQ(ops->vm_created(link_priv(tee2), 7, "rec", &vm2), 0);
	CHECK(log_wait(tp, "resumed vm 7: 3 sessions kept until RESTORED", 1, 5000));
	/* the old connection's SLEEP runs out, then its OPEN: nobody to tell, so it is closed at once */
	CHECK(wait_vm_idle(vm2, 10000));
	CHECK(log_wait(tp, "OPEN finished after its mediator left: orphan session closed", 1, 5000));
	CHECK_EQ(stats_of(vm2).sessions, 3);

	void *A2 = ops->session_import(vm2, hA), *B2 = ops->session_import(vm2, hB);
	CHECK(A2 != NULL);
	CHECK(B2 != NULL);
	CHECK(ops->session_import(vm2, 0xdeadbeef) == NULL);
	CHECK_EQ(ops->session_export(vm2, A2), hA);
	ops->vm_restored(vm2);
	CHECK(log_wait(tp, "restored: 2 sessions imported, 1 orphans closed, 2 open", 1, 5000));
	CHECK_EQ(stats_of(vm2).sessions, 2);
	CHECK(ops->session_import(vm2, hC) == NULL); /* C is gone */

	/* A and B work, with the TA state they had */
	char back[8] = { 0 };
	uint64_t size = 0;
	CHECK_EQ(store_load(ops, vm2, A2, false, back, 8, &size), TEE_SUCCESS);
	CHECK_EQ(size, 8);
	CHECK(memcmp(back, "persist", 8) == 0);
	uint64_t a = 0;
	CHECK_EQ(invoke_value(ops, vm2, B2, VTEE_TEST_CMD_INC, VTEE_PARAM_VALUE_INOUT, 41, &a), TEE_SUCCESS);
	CHECK_EQ(a, 42);
	/* the TA itself counts 2 sessions: C and the orphan OPEN were really closed */
	CHECK_EQ(invoke_value(ops, vm2, A2, VTEE_TEST_CMD_SESSIONS, VTEE_PARAM_VALUE_OUT, 0, &a), TEE_SUCCESS);
	CHECK_EQ(a, 2);

	close_direct(ops, vm2, B2);
	CHECK_EQ(stats_of(vm2).sessions, 1);
	ops->vm_destroyed(vm2); /* DETACH_DESTROY: A closes in the TEE */
	CHECK(log_wait(tp, "detached: vm 7 destroyed, 1 sessions closed", 1, 5000));
	vtee_tee_close(tee2);
}

/* ---- 3. a mediator process killed with SIGKILL mid-call ---- */

/* Child mode: open sessions on fd, print their handles, start a long call, wait to be killed. */
static int child_mediator(int fd)
{
	struct vtee_tee *tee = link_open(fd, false);
	const struct vtee_backend_ops *ops = &vtee_link_backend;
	void *vm = NULL;
	if (ops->vm_created(link_priv(tee), 9, "victim", &vm))
		return 1;
	void *A = open_direct(ops, vm), *B = open_direct(ops, vm);
	char text[8] = "killed!";
	if (!A || !B || store_load(ops, vm, A, true, text, 8, NULL) != TEE_SUCCESS)
		return 1;
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = B, .func = VTEE_TEST_CMD_SLEEP, .num_params = 1 };
	r.params[0].type = VTEE_PARAM_VALUE_IN;
	r.params[0].u.value.a = 1000;
	vtee_req_arm(&r);
	ops->submit(vm, &r);
	printf("%llu %llu\n", (unsigned long long)ops->session_export(vm, A),
	       (unsigned long long)ops->session_export(vm, B));
	fflush(stdout);
	for (;;)
		pause();
}

static void test_kill9(struct teeproc *tp, const char *self)
{
	int fd = tee_connect(tp);
	int out[2];
	REQUIRE(pipe2(out, O_CLOEXEC) == 0);
	char fdarg[16];
	snprintf(fdarg, sizeof(fdarg), "%d", 102);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 102);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	char *argv[] = { (char *)self, "--child-mediator", fdarg, NULL };
	pid_t pid;
	REQUIRE(posix_spawn(&pid, self, &fa, NULL, argv, environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	close(out[1]);
	char line[128] = { 0 };
	size_t got = 0;
	struct pollfd pfd = { out[0], POLLIN, 0 };
	while (got < sizeof(line) - 1 && !strchr(line, '\n') && poll(&pfd, 1, 10000) > 0) {
		ssize_t n = read(out[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(out[0]);
	unsigned long long hA = 0, hB = 0;
	CHECK_EQ(sscanf(line, "%llu %llu", &hA, &hB), 2);
	sleep_ms(100); /* the SLEEP reaches the TEE */
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK(log_wait(tp, "vtee-tee[victim]: conn", 1, 1000));
	CHECK(log_wait(tp, "connection closed by the mediator; vm 9 kept (1 requests still running)", 1, 5000));

	/* the restarted mediator knows only A */
	struct vtee_tee *tee = link_open(tee_connect(tp), true);
	const struct vtee_backend_ops *ops = &vtee_link_backend;
	void *vm = NULL;
	REQUIRE_EQ(ops->vm_created(link_priv(tee), 9, "victim", &vm), 0);
	CHECK_EQ(stats_of(vm).sessions, 2);
	void *A = ops->session_import(vm, hA);
	CHECK(A != NULL);
	ops->vm_restored(vm); /* B goes, even with the dead mediator's SLEEP still running on it */
	CHECK_EQ(stats_of(vm).sessions, 1);
	char back[8] = { 0 };
	CHECK_EQ(store_load(ops, vm, A, false, back, 8, NULL), TEE_SUCCESS);
	CHECK(memcmp(back, "killed!", 8) == 0);
	CHECK(wait_vm_idle(vm, 10000));
	uint64_t n = 0;
	CHECK_EQ(invoke_value(ops, vm, A, VTEE_TEST_CMD_SESSIONS, VTEE_PARAM_VALUE_OUT, 0, &n), TEE_SUCCESS);
	CHECK_EQ(n, 1);
	ops->vm_destroyed(vm);
	vtee_tee_close(tee);
}

/* ---- 4. a link broken mid-call, through the front-end ---- */

static void test_broken_mid_call(struct teeproc *tp)
{
	int fd = tee_connect(tp);
	struct vtee_tee *tee = link_open(fd, false);
	struct guest *g = NULL;
	struct guest_config gc = { .quiet = true };
	REQUIRE_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 3, .name = "broken" }, &gc, &g), 0);
	REQUIRE_EQ(guest_probe(g), 0);
	uint32_t s = open_test(g);
	struct sleeper sl = { .g = g, .session = s, .ms = 4000 };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, sleeper_main, &sl) == 0);
	sleep_ms(300);
	shutdown(fd, SHUT_RDWR);
	pthread_join(th, NULL);
	CHECK_EQ(sl.ret, TEE_ERROR_COMMUNICATION);
	CHECK_EQ(sl.origin, TEE_ORIGIN_COMMS);
	CHECK_CMP(sl.took_ms, <, 2500);
	uint64_t t0 = now_ms();
	uint32_t origin = 0;
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 1, 0, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_INC, p, 1, 0, &origin), TEE_ERROR_COMMUNICATION);
	CHECK_EQ(origin, TEE_ORIGIN_COMMS);
	uint32_t s2 = 0;
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s2, &origin),
		 TEE_ERROR_COMMUNICATION);
	guest_destroy(g); /* closes fail, DETACH cannot go: nothing hangs */
	vtee_tee_close(tee);
	CHECK_CMP(now_ms() - t0, <, 2000);

	/* vtee-tee kept vm 3; a NEW VM with that id (no resume) replaces it */
	CHECK(log_wait(tp, "vm 3 kept", 1, 5000));
	tee = link_open(tee_connect(tp), false);
	void *vm = NULL;
	REQUIRE_EQ(vtee_link_backend.vm_created(link_priv(tee), 3, "broken", &vm), 0);
	CHECK(log_wait(tp, "new VM 3: the TEE still had state for this id: destroyed (1 sessions closed)", 1, 8000));
	CHECK_EQ(stats_of(vm).sessions, 0);
	vtee_link_backend.vm_destroyed(vm);
	vtee_tee_close(tee);
}

/* ---- 5. malformed messages to vtee-tee ---- */

static void send_raw(int fd, uint16_t version, uint16_t type, uint64_t tag, const void *p, uint32_t len,
		     uint32_t claimed)
{
	struct tl_hdr h = tl_hdr_make(version, type, claimed, tag);
	if (tl_write_all(fd, &h, sizeof(h)) == 0 && len)
		tl_write_all(fd, p, len);
}

/* Read one message (payload up to cap); false on EOF/timeout. */
static bool read_msg(int fd, struct tl_hdr *h, void *buf, size_t cap, unsigned timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	if (poll(&pfd, 1, (int)timeout_ms) <= 0)
		return false;
	if (tl_read_full(fd, h, sizeof(*h), NULL))
		return false;
	tl_hdr_host(h);
	if (h->length > cap)
		return false;
	return tl_read_full(fd, buf, h->length, NULL) == 0;
}

/* A connection that said HELLO {lo..hi} and was WELCOMEd with version want (0: none in common). */
static int raw_hello_versions(struct teeproc *tp, uint16_t lo, uint16_t hi, uint16_t want)
{
	int fd = tee_connect(tp);
	struct tl_hello hello = { .version_min = tl_le16(lo), .version_max = tl_le16(hi) };
	send_raw(fd, TL_VERSION_BASE, TL_HELLO, 0, &hello, sizeof(hello), sizeof(hello));
	struct tl_hdr h;
	struct tl_welcome w;
	CHECK(read_msg(fd, &h, &w, sizeof(w), 5000));
	CHECK_EQ(h.type, TL_WELCOME);
	CHECK_EQ(tl_h16(w.version), want);
	CHECK_EQ(tl_h32(w.max_inflight), TL_MAX_INFLIGHT);
	return fd;
}

static int raw_hello(struct teeproc *tp)
{
	return raw_hello_versions(tp, 1, 1, 1);
}

static void raw_attach(int fd, uint32_t vm_id)
{
	struct tl_attach at = { .vm_id = tl_le32(vm_id) };
	strcpy(at.name, "raw");
	send_raw(fd, 1, TL_ATTACH, 5, &at, sizeof(at), sizeof(at));
	struct tl_hdr h;
	struct tl_attached ans;
	CHECK(read_msg(fd, &h, &ans, sizeof(ans), 5000));
	CHECK_EQ(h.type, TL_ATTACHED);
	CHECK_EQ(h.tag, 5);
	CHECK_EQ(tl_h32((uint32_t)ans.status), 0);
}

/* The connection must be dropped: EOF within the timeout (an ERROR message may come first). */
static bool dropped(int fd, uint32_t *error_code)
{
	uint64_t end = now_ms() + 5000;
	uint8_t buf[512];
	while (now_ms() < end) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		struct tl_hdr h;
		size_t got = 0;
		int r = tl_read_full(fd, &h, sizeof(h), &got);
		if (r)
			return got == 0;
		tl_hdr_host(&h);
		if (h.length > sizeof(buf) || tl_read_full(fd, buf, h.length, NULL))
			return false;
		if (h.type == TL_ERROR && error_code && h.length >= sizeof(struct tl_error))
			*error_code = tl_h32(((struct tl_error *)buf)->code);
	}
	return false;
}

static struct tl_req valid_req(uint32_t op)
{
	struct tl_req r;
	memset(&r, 0, sizeof(r));
	r.op = tl_le32(op);
	memcpy(r.ta_uuid, test_ta, 16);
	return r;
}

static void test_malformed(struct teeproc *tp)
{
	unsigned drops0 = log_count(tp, "dropped: protocol error");
	uint32_t code;

	/* bad magic, before anything */
	int fd = tee_connect(tp);
	struct tl_hdr h = tl_hdr_make(1, TL_HELLO, 8, 0);
	h.magic = 0x12345678;
	tl_write_all(fd, &h, sizeof(h));
	code = 0;
	CHECK(dropped(fd, &code));
	CHECK_EQ(code, EBADMSG);
	close(fd);
	CHECK(log_wait(tp, "bad magic 0x12345678", 1, 3000));

	/* no common version: WELCOME says 0, then the connection goes */
	fd = raw_hello_versions(tp, 7, 9, 0);
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "no common protocol version", 1, 3000));

	/* STORAGE_STATS: not in version 1; in version 2 without a VM: ENOENT; with a payload: dropped */
	fd = raw_hello(tp);
	send_raw(fd, 1, TL_STORAGE_STATS, 1, NULL, 0, 0);
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "STORAGE_STATS in protocol version 1", 1, 3000));
	fd = raw_hello_versions(tp, 1, 2, 2);
	send_raw(fd, 2, TL_STORAGE_STATS, 3, NULL, 0, 0);
	struct tl_storage_stats sst;
	CHECK(read_msg(fd, &h, &sst, sizeof(sst), 5000));
	CHECK(h.type == TL_STORAGE_STATS_ANSWER && h.tag == 3);
	CHECK_EQ(tl_h32((uint32_t)sst.status), ENOENT);
	uint64_t junk = 0;
	send_raw(fd, 2, TL_STORAGE_STATS, 4, &junk, sizeof(junk), sizeof(junk));
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "malformed STORAGE_STATS", 1, 3000));

	/* a message before HELLO */
	fd = tee_connect(tp);
	send_raw(fd, 1, TL_STATS, 1, NULL, 0, 0);
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "STATS before HELLO", 1, 3000));

	/* oversized payload */
	fd = raw_hello(tp);
	send_raw(fd, 1, TL_REQ, 1, NULL, 0, (uint32_t)TL_MAX_PAYLOAD + 1);
	code = 0;
	CHECK(dropped(fd, &code));
	CHECK_EQ(code, E2BIG);
	close(fd);
	CHECK(log_wait(tp, "more than 67112960", 1, 3000));

	/* unknown type, type the TEE sends itself, wrong version */
	fd = raw_hello(tp);
	send_raw(fd, 1, 99, 1, NULL, 0, 0);
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "unknown message type 99", 1, 3000));
	fd = raw_hello(tp);
	send_raw(fd, 1, TL_RESP, 1, NULL, 0, 0);
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "unexpected message type 8 (RESP)", 1, 3000));
	fd = raw_hello(tp);
	send_raw(fd, 2, TL_STATS, 1, NULL, 0, 0);
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "message version 2, negotiated 1", 1, 3000));

	/* requests: before ATTACH, too many params, length not matching the data, oversized memref */
	fd = raw_hello(tp);
	struct tl_req r = valid_req(TL_OP_OPEN);
	send_raw(fd, 1, TL_REQ, 1, &r, sizeof(r), sizeof(r));
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "REQ before ATTACH", 1, 3000));

	fd = raw_hello(tp);
	raw_attach(fd, 50);
	r = valid_req(TL_OP_OPEN);
	r.num_params = tl_le32(5);
	send_raw(fd, 1, TL_REQ, 1, &r, sizeof(r), sizeof(r));
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "bad REQ (op 0, 5 params", 1, 3000));

	fd = raw_hello(tp);
	raw_attach(fd, 50);
	r = valid_req(TL_OP_OPEN);
	r.num_params = tl_le32(1);
	r.params[0].type = tl_le32(VTEE_PARAM_MEMREF_IN);
	r.params[0].a = tl_le64(100);
	uint8_t msg[sizeof(r) + 50];
	memcpy(msg, &r, sizeof(r));
	memset(msg + sizeof(r), 0x42, 50);
	send_raw(fd, 1, TL_REQ, 1, msg, sizeof(msg), sizeof(msg));
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "REQ length 234, its memrefs need 284", 1, 3000));

	fd = raw_hello(tp);
	raw_attach(fd, 50);
	r = valid_req(TL_OP_OPEN);
	r.num_params = tl_le32(1);
	r.params[0].type = tl_le32(VTEE_PARAM_MEMREF_OUT);
	r.params[0].a = tl_le64(TL_MAX_MEMREF + 1);
	send_raw(fd, 1, TL_REQ, 1, &r, sizeof(r), sizeof(r));
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "bad REQ parameter 0", 1, 3000));

	/* an answer to an RPC nobody asked */
	fd = raw_hello(tp);
	raw_attach(fd, 50);
	struct tl_rpc ans;
	memset(&ans, 0, sizeof(ans));
	send_raw(fd, 1, TL_RPC_ANSWER, 12345, &ans, sizeof(ans), sizeof(ans));
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "RPC_ANSWER for tag 12345, which asked nothing", 1, 3000));

	/* a name that is not printable */
	fd = raw_hello(tp);
	struct tl_attach at = { .vm_id = tl_le32(51) };
	strcpy(at.name, "bad\nname");
	send_raw(fd, 1, TL_ATTACH, 5, &at, sizeof(at), sizeof(at));
	CHECK(dropped(fd, NULL));
	close(fd);
	CHECK(log_wait(tp, "bad ATTACH (vm_id 51", 1, 3000));

	/* a connection the supervisor bound to vm 61 cannot take vm 62 (a compromised mediator) */
	fd = tee_connect_bound(tp, 61);
	struct tl_hello hl = { .version_min = tl_le16(1), .version_max = tl_le16(1) };
	send_raw(fd, TL_VERSION_BASE, TL_HELLO, 0, &hl, sizeof(hl), sizeof(hl));
	struct tl_welcome w;
	CHECK(read_msg(fd, &h, &w, sizeof(w), 5000));
	at = (struct tl_attach){ .vm_id = tl_le32(62) };
	strcpy(at.name, "thief");
	send_raw(fd, 1, TL_ATTACH, 5, &at, sizeof(at), sizeof(at));
	code = 0;
	CHECK(dropped(fd, &code));
	CHECK_EQ(code, EACCES);
	close(fd);
	CHECK(log_wait(tp, "ATTACH of vm 62 on a connection the supervisor bound to vm 61", 1, 3000));
	struct vtee_tee *btee = link_open(tee_connect_bound(tp, 61), false);
	void *bvm = NULL;
	CHECK_EQ(vtee_link_backend.vm_created(link_priv(btee), 61, "bound", &bvm), 0);
	if (bvm)
		vtee_link_backend.vm_destroyed(bvm);
	vtee_tee_close(btee);

	/* a truncated header, then EOF: just gone */
	fd = raw_hello(tp);
	tl_write_all(fd, "VTL", 3);
	close(fd);
	CHECK(log_wait(tp, "EOF inside a message header", 1, 3000));

	/* a well-formed session of the same raw kind works: the process is fine */
	fd = raw_hello(tp);
	raw_attach(fd, 50);
	r = valid_req(TL_OP_OPEN);
	send_raw(fd, 1, TL_REQ, 77, &r, sizeof(r), sizeof(r));
	struct tl_resp resp;
	CHECK(read_msg(fd, &h, &resp, sizeof(resp), 5000));
	CHECK_EQ(h.type, TL_RESP);
	CHECK_EQ(h.tag, 77);
	CHECK_EQ(tl_h32(resp.ret), TEE_SUCCESS);
	CHECK(tl_h64(resp.session) != 0);
	/* a second request with the same tag while... the first is done: fine; a bogus session is refused */
	struct tl_req inv = valid_req(TL_OP_INVOKE);
	inv.session = tl_le64(999999);
	send_raw(fd, 1, TL_REQ, 78, &inv, sizeof(inv), sizeof(inv));
	CHECK(read_msg(fd, &h, &resp, sizeof(resp), 5000));
	CHECK_EQ(h.tag, 78);
	CHECK_EQ(tl_h32(resp.ret), TEE_ERROR_BAD_PARAMETERS);
	send_raw(fd, 1, TL_DETACH_DESTROY, 79, NULL, 0, 0);
	struct tl_detached det;
	CHECK(read_msg(fd, &h, &det, sizeof(det), 5000));
	CHECK_EQ(h.type, TL_DETACHED);
	CHECK_EQ(tl_h32(det.closed), 1);
	close(fd);

	CHECK_EQ(log_count(tp, "dropped: protocol error") - drops0, 16); /* two of them STORAGE_STATS */
	CHECK(tee_alive(tp));
}

/* ---- 6. a misbehaving TEE against the back-end ---- */

struct fake {
	int fd;
	int mode; /* 0: WELCOME v0; 1: bad RESP; 2: RPC for an unknown tag */
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct tl_hdr h;
	uint8_t buf[1024];
	if (!read_msg(f->fd, &h, buf, sizeof(buf), 5000) || h.type != TL_HELLO)
		return NULL;
	struct tl_welcome w = { .version = tl_le16(f->mode == 0 ? 0 : 1) };
	send_raw(f->fd, 1, TL_WELCOME, 0, &w, sizeof(w), sizeof(w));
	if (f->mode == 0)
		return NULL;
	if (!read_msg(f->fd, &h, buf, sizeof(buf), 5000) || h.type != TL_ATTACH)
		return NULL;
	struct tl_attached at = { 0 };
	send_raw(f->fd, 1, TL_ATTACHED, h.tag, &at, sizeof(at), sizeof(at));
	if (!read_msg(f->fd, &h, buf, sizeof(buf), 5000) || h.type != TL_REQ)
		return NULL;
	if (f->mode == 1) {
		/* DATA on an input-only memref, with data the mediator never asked for */
		struct tl_resp r;
		memset(&r, 0, sizeof(r));
		r.num_params = tl_le32(1);
		r.params[0].type = tl_le32(VTEE_PARAM_MEMREF_IN);
		r.params[0].flags = tl_le32(TL_PARAM_DATA);
		r.params[0].a = tl_le64(4);
		uint8_t m[sizeof(r) + 4];
		memcpy(m, &r, sizeof(r));
		memcpy(m + sizeof(r), "evil", 4);
		send_raw(f->fd, 1, TL_RESP, h.tag, m, sizeof(m), sizeof(m));
	} else {
		struct tl_rpc rpc;
		memset(&rpc, 0, sizeof(rpc));
		rpc.cmd = tl_le32(VTEE_RPC_REE_TIME);
		send_raw(f->fd, 1, TL_RPC, h.tag + 1000, &rpc, sizeof(rpc), sizeof(rpc));
	}
	/* then hold the connection open: the mediator must drop it by itself */
	struct pollfd pfd = { f->fd, POLLIN, 0 };
	while (poll(&pfd, 1, 5000) > 0 && read(f->fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

static void test_fake_tee(void)
{
	/* no common version */
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	struct fake f = { sv[1], 0 };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, fake_main, &f) == 0);
	char opt[32];
	snprintf(opt, sizeof(opt), "fd=%d", sv[0]);
	struct vtee_tee *tee = NULL;
	CHECK_EQ(vtee_tee_open("link", opt, &tee), -EPROTONOSUPPORT);
	pthread_join(th, NULL);
	close(sv[0]);
	close(sv[1]);

	/* options */
	CHECK_EQ(vtee_tee_open("link", NULL, &tee), -EINVAL);
	CHECK_EQ(vtee_tee_open("link", "fd=", &tee), -EINVAL);
	CHECK_EQ(vtee_tee_open("link", "fd=3x", &tee), -EINVAL);
	CHECK_EQ(vtee_tee_open("link", "resume", &tee), -EINVAL);
	CHECK_EQ(vtee_tee_open("link", "fd=0,bogus", &tee), -EINVAL);
	int pfd[2];
	REQUIRE(pipe(pfd) == 0);
	snprintf(opt, sizeof(opt), "fd=%d", pfd[0]);
	CHECK_EQ(vtee_tee_open("link", opt, &tee), -EINVAL); /* not a stream socket */
	close(pfd[0]);
	close(pfd[1]);

	/* a malformed RESP, then an RPC for nothing: the request fails with COMMUNICATION, the link goes */
	for (int mode = 1; mode <= 2; mode++) {
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
		f = (struct fake){ sv[1], mode };
		REQUIRE(pthread_create(&th, NULL, fake_main, &f) == 0);
		tee = link_open(sv[0], false);
		void *vm = NULL;
		REQUIRE_EQ(vtee_link_backend.vm_created(link_priv(tee), 1, "fake", &vm), 0);
		/* a TEE of protocol version 1 is not asked for storage counters (it would drop the link) */
		struct vtee_storage_stats ss;
		CHECK_EQ(vtee_link_backend.vm_storage_stats(vm, &ss), -EOPNOTSUPP);
		void *buf = aligned_alloc(4096, 4096);
		memset(buf, 0x33, 4096);
		struct vtee_shm *shm = NULL;
		REQUIRE(vtee_host_shm_new(buf, 4, &shm) == 0);
		struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = test_uuid, .num_params = 1 };
		r.params[0].type = VTEE_PARAM_MEMREF_IN;
		r.params[0].u.memref.shm = shm;
		r.params[0].u.memref.size = 4;
		uint64_t t0 = now_ms();
		run(&vtee_link_backend, vm, &r);
		CHECK_EQ(r.ret, TEE_ERROR_COMMUNICATION);
		CHECK_EQ(r.ret_origin, TEE_ORIGIN_COMMS);
		CHECK(r.session == NULL);
		CHECK(memcmp(buf, "\x33\x33\x33\x33", 4) == 0); /* nothing written into an input */
		CHECK_CMP(now_ms() - t0, <, 3000);
		struct vtee_req r2 = { .op = VTEE_REQ_OPEN, .ta = test_uuid };
		run(&vtee_link_backend, vm, &r2);
		CHECK_EQ(r2.ret, TEE_ERROR_COMMUNICATION);
		vtee_link_backend.vm_destroyed(vm);
		vtee_tee_close(tee);
		pthread_join(th, NULL);
		close(sv[1]);
		vtee_host_shm_free(shm);
		free(buf);
	}
}

/* ---- vtee-tee's own limits: BUSY beyond TL_MAX_INFLIGHT ---- */

static void test_busy(struct teeproc *tp)
{
	int fd = raw_hello(tp);
	raw_attach(fd, 60);
	struct tl_req r = valid_req(TL_OP_OPEN);
	send_raw(fd, 1, TL_REQ, 1, &r, sizeof(r), sizeof(r));
	struct tl_hdr h;
	struct tl_resp resp;
	REQUIRE(read_msg(fd, &h, &resp, sizeof(resp), 5000));
	uint64_t sess = tl_h64(resp.session);
	/* TL_MAX_INFLIGHT sleeps fill the connection; one more is BUSY at once */
	struct tl_req s = valid_req(TL_OP_INVOKE);
	s.session = tl_le64(sess);
	s.func = tl_le32(VTEE_TEST_CMD_SLEEP);
	s.num_params = tl_le32(1);
	s.params[0].type = tl_le32(VTEE_PARAM_VALUE_IN);
	s.params[0].a = tl_le64(1500);
	memset(s.ta_uuid, 0, 16);
	for (unsigned i = 0; i <= TL_MAX_INFLIGHT; i++)
		send_raw(fd, 1, TL_REQ, 100 + i, &s, sizeof(s), sizeof(s));
	CHECK(read_msg(fd, &h, &resp, sizeof(resp), 1000));
	CHECK_EQ(h.tag, 100 + TL_MAX_INFLIGHT);
	CHECK_EQ(tl_h32(resp.ret), TEE_ERROR_BUSY);
	/* CANCEL them all: every one ends with CANCEL, and quickly */
	uint64_t t0 = now_ms();
	for (unsigned i = 0; i < TL_MAX_INFLIGHT; i++)
		send_raw(fd, 1, TL_CANCEL, 100 + i, NULL, 0, 0);
	unsigned cancelled = 0;
	for (unsigned i = 0; i < TL_MAX_INFLIGHT; i++)
		if (read_msg(fd, &h, &resp, sizeof(resp), 5000) && h.type == TL_RESP &&
		    tl_h32(resp.ret) == TEE_ERROR_CANCEL)
			cancelled++;
	CHECK_EQ(cancelled, TL_MAX_INFLIGHT);
	CHECK_CMP(now_ms() - t0, <, 1400);
	send_raw(fd, 1, TL_DETACH_DESTROY, 2, NULL, 0, 0);
	struct tl_detached det;
	CHECK(read_msg(fd, &h, &det, sizeof(det), 5000));
	CHECK_EQ(h.type, TL_DETACHED);
	close(fd);
}

/* ---- 7. quick calls answered by vtee-tee's reader; a slow one beside them ---- */

static unsigned threads_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	unsigned n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* The next message must be the RESP for tag (no data). */
static bool read_resp(int fd, uint64_t tag, struct tl_resp *resp, unsigned timeout_ms)
{
	struct tl_hdr h;
	return read_msg(fd, &h, resp, sizeof(*resp), timeout_ms) && h.type == TL_RESP && h.tag == tag &&
	       h.length == sizeof(*resp);
}

static struct tl_req raw_value_req(uint64_t sess, uint32_t func, uint32_t type, uint64_t a)
{
	struct tl_req r = valid_req(TL_OP_INVOKE);
	memset(r.ta_uuid, 0, 16);
	r.session = tl_le64(sess);
	r.func = tl_le32(func);
	r.num_params = tl_le32(1);
	r.params[0].type = tl_le32(type);
	r.params[0].a = tl_le64(a);
	return r;
}

/* INC a -> a + 1, answered within timeout_ms as the very next message. */
static bool raw_inc(int fd, uint64_t sess, uint64_t tag, uint64_t a, unsigned timeout_ms)
{
	struct tl_req r = raw_value_req(sess, VTEE_TEST_CMD_INC, VTEE_PARAM_VALUE_INOUT, a);
	send_raw(fd, 1, TL_REQ, tag, &r, sizeof(r), sizeof(r));
	struct tl_resp resp;
	return read_resp(fd, tag, &resp, timeout_ms) && tl_h32(resp.ret) == TEE_SUCCESS &&
	       tl_h64(resp.params[0].a) == a + 1;
}

/* HASH of n bytes of input data: the REQ carries them after its structure. */
static bool raw_hash(int fd, uint64_t sess, uint64_t tag, size_t n, uint32_t seed)
{
	struct tl_req r = valid_req(TL_OP_INVOKE);
	memset(r.ta_uuid, 0, 16);
	r.session = tl_le64(sess);
	r.func = tl_le32(VTEE_TEST_CMD_HASH);
	r.num_params = tl_le32(2);
	r.params[0].type = tl_le32(VTEE_PARAM_MEMREF_IN);
	r.params[0].a = tl_le64(n);
	r.params[1].type = tl_le32(VTEE_PARAM_VALUE_OUT);
	uint8_t *msg = malloc(sizeof(r) + n);
	REQUIRE(msg != NULL);
	memcpy(msg, &r, sizeof(r));
	pattern(msg + sizeof(r), n, seed);
	send_raw(fd, 1, TL_REQ, tag, msg, (uint32_t)(sizeof(r) + n), (uint32_t)(sizeof(r) + n));
	struct tl_resp resp;
	bool ok = read_resp(fd, tag, &resp, 10000) && tl_h32(resp.ret) == TEE_SUCCESS &&
		  tl_h64(resp.params[0].a) == n && tl_h64(resp.params[1].a) == fnv1a(msg + sizeof(r), n) &&
		  tl_h64(resp.params[1].b) == n;
	free(msg);
	return ok;
}

static struct tl_stats raw_stats(int fd, uint64_t tag)
{
	struct tl_stats st;
	memset(&st, 0xff, sizeof(st));
	send_raw(fd, 1, TL_STATS, tag, NULL, 0, 0);
	struct tl_hdr h;
	CHECK(read_msg(fd, &h, &st, sizeof(st), 5000));
	CHECK_EQ(h.type, TL_STATS_ANSWER);
	CHECK_EQ(h.tag, tag);
	return st;
}

static void test_inline(const char *path)
{
	struct teeproc *tp = tee_spawn(path, NULL);
	int fd = raw_hello(tp);
	raw_attach(fd, 80);
	/* main, the supervisor's --fd connection's reader, ours: nothing else until a call needs it */
	unsigned n0 = threads_of(tp->pid);

	/* OPEN and quick calls (the test TA's INC, HASH up to 64 KiB): the reader answers them itself */
	struct tl_req r = valid_req(TL_OP_OPEN);
	send_raw(fd, 1, TL_REQ, 1, &r, sizeof(r), sizeof(r));
	struct tl_resp resp;
	REQUIRE(read_resp(fd, 1, &resp, 5000));
	REQUIRE(tl_h32(resp.ret) == TEE_SUCCESS);
	uint64_t sess = tl_h64(resp.session);
	CHECK(sess != 0);

	/* pipelined: 32 INCs in one write, parsed out of few reads; answered in order */
	enum { NQ = 32 };
	static uint8_t batch[NQ * (sizeof(struct tl_hdr) + sizeof(struct tl_req))];
	size_t off = 0;
	for (unsigned i = 0; i < NQ; i++) {
		struct tl_req q = raw_value_req(sess, VTEE_TEST_CMD_INC, VTEE_PARAM_VALUE_INOUT, 1000 + i);
		struct tl_hdr hh = tl_hdr_make(1, TL_REQ, sizeof(q), 10 + i);
		memcpy(batch + off, &hh, sizeof(hh));
		memcpy(batch + off + sizeof(hh), &q, sizeof(q));
		off += sizeof(hh) + sizeof(q);
	}
	REQUIRE(tl_write_all(fd, batch, off) == 0);
	unsigned good = 0;
	for (unsigned i = 0; i < NQ; i++)
		good += read_resp(fd, 10 + i, &resp, 5000) && tl_h32(resp.ret) == TEE_SUCCESS &&
			tl_h64(resp.params[0].a) == 1001 + i;
	CHECK_EQ(good, NQ);
	/* input data below, at and around the reader's buffer size (buffered, then read straight into place) */
	static const size_t sizes[] = { 1, 100, TL_RBUF_SIZE - 300, TL_RBUF_SIZE, TL_RBUF_SIZE + 1, 30000, 65536 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		CHECK(raw_hash(fd, sess, 100 + i, sizes[i], i + 5));
	/* all of it without a hand-off: no handler thread, no TEE thread was made */
	CHECK_EQ(threads_of(tp->pid), n0);

	/* a slow call: SLEEP goes, submitted, to a handler thread (and runs on a TEE thread) */
	struct tl_req sl = raw_value_req(sess, VTEE_TEST_CMD_SLEEP, VTEE_PARAM_VALUE_IN, 20000);
	uint64_t t0 = now_ms();
	send_raw(fd, 1, TL_REQ, 500, &sl, sizeof(sl), sizeof(sl));
	/* quick calls keep flowing past it, each answered before anything about the SLEEP */
	good = 0;
	for (unsigned i = 0; i < 50; i++)
		good += raw_inc(fd, sess, 600 + i, 7 * i, 5000);
	CHECK_EQ(good, 50);
	CHECK(raw_hash(fd, sess, 700, 20000, 77));
	struct tl_stats st = raw_stats(fd, 2);
	CHECK_EQ(tl_h32(st.inflight), 1);
	CHECK_EQ(tl_h32(st.sessions), 1);
	unsigned n1 = threads_of(tp->pid);
	CHECK_CMP(n1, >, n0);
	for (unsigned i = 0; i < 20; i++)
		good += raw_inc(fd, sess, 800 + i, i, 5000);
	CHECK_EQ(good, 70);
	CHECK_EQ(threads_of(tp->pid), n1); /* the quick ones still need no thread */

	/* CANCEL the SLEEP: its RESP comes at once, with TEE_ERROR_CANCEL */
	send_raw(fd, 1, TL_CANCEL, 500, NULL, 0, 0);
	CHECK(read_resp(fd, 500, &resp, 5000));
	CHECK_EQ(tl_h32(resp.ret), TEE_ERROR_CANCEL);
	CHECK_CMP(now_ms() - t0, <, 10000);
	/* a CANCEL that crossed a quick call's answer names nothing: ignored */
	send_raw(fd, 1, TL_CANCEL, 801, NULL, 0, 0);
	CHECK(raw_inc(fd, sess, 900, 41, 5000));
	/* a call too big to be quick goes to a handler thread, and works the same */
	CHECK(raw_hash(fd, sess, 901, 100000, 99));
	/* (a handler ends its request just after sending the answer) */
	uint64_t end = now_ms() + 5000;
	while (tl_h32((st = raw_stats(fd, 3)).inflight) && now_ms() < end)
		sleep_ms(5);
	CHECK_EQ(tl_h32(st.inflight), 0);

	/* CLOSE is quick too; then the VM goes with nothing left */
	struct tl_req cl = valid_req(TL_OP_CLOSE);
	memset(cl.ta_uuid, 0, 16);
	cl.session = tl_le64(sess);
	send_raw(fd, 1, TL_REQ, 902, &cl, sizeof(cl), sizeof(cl));
	CHECK(read_resp(fd, 902, &resp, 5000));
	CHECK_EQ(tl_h32(resp.ret), TEE_SUCCESS);
	CHECK_EQ(tl_h32(raw_stats(fd, 4).sessions), 0);
	send_raw(fd, 1, TL_DETACH_DESTROY, 5, NULL, 0, 0);
	struct tl_hdr h;
	struct tl_detached det;
	CHECK(read_msg(fd, &h, &det, sizeof(det), 5000));
	CHECK_EQ(h.type, TL_DETACHED);
	CHECK_EQ(tl_h32(det.closed), 0);
	close(fd);
	CHECK_EQ(log_count(tp, "dropped: protocol error"), 0);
	tee_stop(tp);
}

/* ---- 8. the link over a shared-memory channel (lib/util/chan.h) ---- */

/*
 * A relay, message by message, from a link end that reads through struct
 * tl_rbuf (.chan or .fd) to one that writes with tl_sendv_all(): what a TEE
 * process serving a channel does with its bytes. Two of them put a channel
 * in front of vtee-tee's socket.
 */
struct relay {
	struct tl_rbuf from;
	int to_fd;                 /* -1 when to_chan */
	struct vtee_chan *to_chan;
	pthread_t th;
	_Atomic unsigned messages;
	uint8_t *payload;
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	for (;;) {
		struct tl_hdr wire, h;
		if (tl_rb_read(&r->from, &wire, sizeof(wire), NULL))
			break;
		h = wire;
		tl_hdr_host(&h);
		if (h.length > TL_MAX_PAYLOAD || tl_rb_read(&r->from, r->payload, h.length, NULL))
			break;
		struct iovec iov[2] = { { &wire, sizeof(wire) }, { r->payload, h.length } };
		if (tl_sendv_all(r->to_fd, r->to_chan, iov, 2))
			break;
		atomic_fetch_add(&r->messages, 1);
	}
	/* one direction ended: end the other side's stream too */
	if (r->to_chan)
		vtee_chan_shutdown(r->to_chan);
	else
		shutdown(r->to_fd, SHUT_WR);
	return NULL;
}

static void relay_start(struct relay *r, int from_fd, struct vtee_chan *from_chan, int to_fd,
			struct vtee_chan *to_chan)
{
	memset(r, 0, sizeof(*r));
	r->from.fd = from_fd;
	r->from.chan = from_chan;
	r->to_fd = to_fd;
	r->to_chan = to_chan;
	r->payload = malloc(TL_MAX_PAYLOAD);
	REQUIRE(r->payload != NULL);
	REQUIRE(pthread_create(&r->th, NULL, relay_main, r) == 0);
}

/* A channel for one link: the mediator's end goes to the back-end, our TEE end relays to a socket. */
struct chan_link {
	int memfd;
	int setup[2];           /* set-up sockets: [0] the mediator's (fd=), [1] our TEE end's */
	struct vtee_chan *tee_end;
	int sock;               /* to the TEE behind */
	struct relay down, up;  /* channel -> sock, sock -> channel */
};

/* Put a channel in front of sock (a link connection to a TEE); returns the link back-end over it. */
static struct vtee_tee *chan_link_open(struct chan_link *cl, int sock, bool resume)
{
	REQUIRE_EQ(vtee_chan_create(0, &cl->memfd), 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cl->setup) == 0);
	REQUIRE_EQ(vtee_chan_open(cl->memfd, VTEE_CHAN_B, cl->setup[1], NULL, &cl->tee_end), 0);
	cl->sock = sock;
	relay_start(&cl->down, -1, cl->tee_end, sock, NULL);
	relay_start(&cl->up, sock, NULL, -1, cl->tee_end);
	char opt[64];
	snprintf(opt, sizeof(opt), "fd=%d,chan=%d%s", cl->setup[0], cl->memfd, resume ? ",resume" : "");
	struct vtee_tee *tee = NULL;
	REQUIRE_EQ(vtee_tee_open("link", opt, &tee), 0); /* owns setup[0] and memfd now */
	return tee;
}

/* After the back-end closed: the relays end by themselves (the TEE sees EOF). */
static void chan_link_finish(struct chan_link *cl)
{
	pthread_join(cl->down.th, NULL);
	pthread_join(cl->up.th, NULL);
	/* nothing but the channel carried the protocol: the set-up socket stayed empty */
	char x;
	CHECK_CMP(recv(cl->setup[1], &x, 1, MSG_DONTWAIT), <=, 0);
	vtee_chan_close(cl->tee_end);
	close(cl->setup[1]);
	close(cl->sock);
	free(cl->down.payload);
	free(cl->up.payload);
}

/* 64 MiB, the most one request may carry, in and out through direct back-end requests. */
static void chan_check_64m(void *vm, void *sess)
{
	size_t n = TL_MAX_MEMREF;
	uint8_t *buf = aligned_alloc(4096, n);
	REQUIRE(buf != NULL);
	pattern(buf, n, 64);
	uint32_t want = fnv1a(buf, n);
	struct vtee_shm *shm = NULL;
	REQUIRE(vtee_host_shm_new(buf, n, &shm) == 0);
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = sess, .func = VTEE_TEST_CMD_HASH, .num_params = 2 };
	r.params[0].type = VTEE_PARAM_MEMREF_IN;
	r.params[0].u.memref.shm = shm;
	r.params[0].u.memref.size = n;
	r.params[1].type = VTEE_PARAM_VALUE_OUT;
	run(&vtee_link_backend, vm, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.value.a, want);
	/* INOUT: 64 MiB out, reversed, 64 MiB back */
	uint8_t first = buf[0], last = buf[n - 1];
	struct vtee_req q = { .op = VTEE_REQ_INVOKE, .session = sess, .func = VTEE_TEST_CMD_REVERSE, .num_params = 1 };
	q.params[0].type = VTEE_PARAM_MEMREF_INOUT;
	q.params[0].u.memref.shm = shm;
	q.params[0].u.memref.size = n;
	run(&vtee_link_backend, vm, &q);
	CHECK_EQ(q.ret, TEE_SUCCESS);
	CHECK_EQ(q.params[0].u.memref.size, n);
	CHECK(buf[0] == last && buf[n - 1] == first);
	vtee_host_shm_free(shm);
	free(buf);
}

/* The guest model through the link over a channel: values, memrefs to 8 MiB, RPC, cancel, many callers. */
static void chan_guest_calls(struct guest *g, void *be_vm)
{
	uint32_t s = open_test(g);
	struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 7, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_INC, p, 1, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(p[0].u.value.a, 42);
	static const size_t sizes[] = { 1, 4097, 65539, 1u << 20, 8u << 20 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_memref_size(g, s, sizes[i], i & 1, i + 11);
	struct guest_param t[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(g, s, VTEE_TEST_CMD_REE_TIME, t, 1, 0, NULL), TEE_SUCCESS);
	CHECK_CMP(t[0].u.value.a, >, 1600000000u);

	uint32_t sc = cancel_then_many_callers(g, be_vm, 78);
	CHECK_EQ(guest_close_session(g, sc), TEE_SUCCESS);
	CHECK_EQ(stats_of(be_vm).sessions, 1);
}

/* vtee-tee behind a channel: the guest's calls, 64 MiB, then a mediator that resumes over a new channel. */
static void test_chan_end_to_end(struct teeproc *tp)
{
	struct chan_link cl;
	struct vtee_tee *tee = chan_link_open(&cl, tee_connect(tp), false);
	struct guest *g = NULL;
	struct guest_config gc = { .ram_size = 64u << 20, .quiet = true };
	REQUIRE_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 21, .name = "chan" }, &gc, &g), 0);
	REQUIRE_EQ(guest_probe(g), 0);
	chan_guest_calls(g, vtee_vm_backend_priv(guest_vm(g), &vtee_link_backend));
	guest_destroy(g);
	CHECK(log_wait(tp, "detached: vm 21 destroyed, 0 sessions closed", 1, 5000));

	/* direct requests: 64 MiB each way; then the mediator goes with a session open */
	void *vm = NULL;
	REQUIRE_EQ(vtee_link_backend.vm_created(link_priv(tee), 22, "chan64", &vm), 0);
	void *sess = open_direct(&vtee_link_backend, vm);
	chan_check_64m(vm, sess);
	uint64_t handle = vtee_link_backend.session_export(vm, sess);
	CHECK_CMP(atomic_load(&cl.down.messages), >=, 5);
	/* the channel is cut under the mediator: DETACH cannot go, vm 22 and its session stay in vtee-tee */
	vtee_chan_shutdown(cl.tee_end);
	vtee_link_backend.vm_destroyed(vm);
	vtee_tee_close(tee);
	chan_link_finish(&cl);
	CHECK(log_wait(tp, "vm 22 kept", 1, 5000));

	/* a restarted mediator resumes over a new channel */
	tee = chan_link_open(&cl, tee_connect(tp), true);
	REQUIRE_EQ(vtee_link_backend.vm_created(link_priv(tee), 22, "chan64", &vm), 0);
	void *again = vtee_link_backend.session_import(vm, handle);
	CHECK(again != NULL);
	vtee_link_backend.vm_restored(vm);
	uint64_t a = 0;
	CHECK_EQ(invoke_value(&vtee_link_backend, vm, again, VTEE_TEST_CMD_INC, VTEE_PARAM_VALUE_INOUT, 5, &a), TEE_SUCCESS);
	CHECK_EQ(a, 6);
	close_direct(&vtee_link_backend, vm, again);
	vtee_link_backend.vm_destroyed(vm);
	vtee_tee_close(tee);
	chan_link_finish(&cl);
}

/* The misbehaving TEE of test_fake_tee() behind a channel: the back-end drops the link all the same. */
static void test_chan_fake_tee(void)
{
	for (int mode = 1; mode <= 2; mode++) {
		int sv[2];
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
		struct fake f = { sv[1], mode };
		pthread_t th;
		REQUIRE(pthread_create(&th, NULL, fake_main, &f) == 0);
		struct chan_link cl;
		struct vtee_tee *tee = chan_link_open(&cl, sv[0], false);
		void *vm = NULL;
		REQUIRE_EQ(vtee_link_backend.vm_created(link_priv(tee), 1, "fake", &vm), 0);
		struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = test_uuid };
		uint64_t t0 = now_ms();
		run(&vtee_link_backend, vm, &r);
		CHECK_EQ(r.ret, TEE_ERROR_COMMUNICATION);
		CHECK_EQ(r.ret_origin, TEE_ORIGIN_COMMS);
		CHECK_CMP(now_ms() - t0, <, 3000);
		vtee_link_backend.vm_destroyed(vm);
		vtee_tee_close(tee);
		pthread_join(th, NULL);
		close(sv[1]); /* the fake is gone: the relay from its socket ends */
		chan_link_finish(&cl);
	}
}

/*
 * Child mode: a TEE end on a channel (memfd, set-up socket) that answers
 * the handshake and ATTACH, takes one REQ, and then says nothing until it
 * is killed.
 */
static int child_chan_tee(int memfd, int setup)
{
	struct tl_rbuf *rb = calloc(1, sizeof(*rb));
	if (!rb || vtee_chan_open(memfd, VTEE_CHAN_B, setup, NULL, &rb->chan))
		return 1;
	static uint8_t payload[4096];
	struct tl_hdr h;
	for (;;) {
		if (tl_rb_read(rb, &h, sizeof(h), NULL))
			return 2;
		tl_hdr_host(&h);
		if (h.length > sizeof(payload) || tl_rb_read(rb, payload, h.length, NULL))
			return 3;
		struct tl_welcome w = { .version = tl_le16(1) };
		struct tl_attached at = { 0 };
		struct tl_hdr out = tl_hdr_make(1, h.type == TL_HELLO ? TL_WELCOME : TL_ATTACHED,
						h.type == TL_HELLO ? sizeof(w) : sizeof(at), h.tag);
		struct iovec iov[2] = { { &out, sizeof(out) }, { h.type == TL_HELLO ? (void *)&w : (void *)&at,
							      tl_h32(out.length) } };
		if (h.type == TL_REQ)
			break;
		if (tl_sendv_all(-1, rb->chan, iov, 2))
			return 4;
	}
	printf("req\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* A TEE end (child_chan_tee) in a child process on a new channel; *sup: the supervisor's copy of the memfd. */
static pid_t chan_child_spawn(const char *self, int *setup0, int *memfd, int *sup, int *out_rd)
{
	int setup[2], out[2];
	REQUIRE_EQ(vtee_chan_create(64u << 10, memfd), 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, setup) == 0);
	REQUIRE(pipe2(out, O_CLOEXEC) == 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, *memfd, 103);
	posix_spawn_file_actions_adddup2(&fa, setup[1], 104);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	char *argv[] = { (char *)self, "--child-chan-tee", "103", "104", NULL };
	pid_t pid;
	REQUIRE(posix_spawn(&pid, self, &fa, NULL, argv, environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(setup[1]);
	close(out[1]);
	*setup0 = setup[0];
	*sup = dup(*memfd);
	*out_rd = out[0];
	return pid;
}

static _Atomic unsigned link_downs;

static void count_link_down(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	if (strstr(line, "vtee-link[gone]: link down"))
		atomic_fetch_add(&link_downs, 1);
}

/*
 * The TEE end of a channel dies without a word (SIGKILL) with a call in
 * flight, or the supervisor hangs the channel up: the call fails at once
 * with COMMUNICATION, the next ones without waiting, and nothing hangs.
 * Mode 2: it dies while nothing is outstanding; the receiver's look once a
 * second idle notices it all the same.
 */
static void test_chan_peer_gone(const char *self)
{
	vtee_set_log(count_link_down, NULL);
	for (int mode = 0; mode < 3; mode++) {
		int setup0, memfd, sup, out;
		pid_t pid = chan_child_spawn(self, &setup0, &memfd, &sup, &out);
		char opt[48];
		snprintf(opt, sizeof(opt), "fd=%d,chan=%d", setup0, memfd);
		struct vtee_tee *tee = NULL;
		REQUIRE_EQ(vtee_tee_open("link", opt, &tee), 0);
		void *vm = NULL;
		REQUIRE_EQ(vtee_link_backend.vm_created(link_priv(tee), 30, "gone", &vm), 0);
		unsigned downs = atomic_load(&link_downs);
		struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = test_uuid };
		uint64_t t0 = now_ms();
		if (mode == 2) {
			sleep_ms(200);
			kill(pid, SIGKILL);
			while (atomic_load(&link_downs) == downs && now_ms() - t0 < 5000)
				sleep_ms(10);
			CHECK_EQ(atomic_load(&link_downs), downs + 1);
			CHECK_CMP(now_ms() - t0, <, 3000);
		} else {
			vtee_req_arm(&r);
			vtee_link_backend.submit(vm, &r);
			char line[8] = { 0 };
			struct pollfd pfd = { out, POLLIN, 0 };
			CHECK(poll(&pfd, 1, 10000) == 1 && read(out, line, sizeof(line) - 1) > 0);
			CHECK(strcmp(line, "req\n") == 0);
			sleep_ms(200); /* the receiver is asleep on the channel by now */
			t0 = now_ms();
			if (mode == 1)
				CHECK_EQ(vtee_chan_hangup(sup), 0);
			else
				kill(pid, SIGKILL);
			CHECK(vtee_req_wait(&r, WAIT_US));
			CHECK_EQ(r.ret, TEE_ERROR_COMMUNICATION);
			CHECK_CMP(now_ms() - t0, <, 2000); /* the next look at the set-up socket, or at once */
		}
		struct vtee_req r2 = { .op = VTEE_REQ_OPEN, .ta = test_uuid };
		run(&vtee_link_backend, vm, &r2);
		CHECK_EQ(r2.ret, TEE_ERROR_COMMUNICATION);
		vtee_link_backend.vm_destroyed(vm);
		vtee_tee_close(tee);
		CHECK_CMP(now_ms() - t0, <, 3000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(out);
		close(sup);
	}
	vtee_set_log(NULL, NULL);
}

static void test_chan(const char *path, const char *self)
{
	struct teeproc *tp = tee_spawn(path, NULL);
	test_chan_end_to_end(tp);
	tee_stop(tp);
	test_chan_fake_tee();
	test_chan_peer_gone(self);
	/* options: a channel needs its set-up socket, and a memfd that is a channel */
	struct vtee_tee *tee = NULL;
	CHECK_EQ(vtee_tee_open("link", "chan=3", &tee), -EINVAL);
	CHECK_EQ(vtee_tee_open("link", "fd=3,chan=", &tee), -EINVAL);
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	char opt[48];
	snprintf(opt, sizeof(opt), "fd=%d,chan=%d", sv[0], sv[1]);
	CHECK_EQ(vtee_tee_open("link", opt, &tee), -EINVAL);
	close(sv[0]);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--child-chan-tee"))
		return child_chan_tee(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "--child-mediator"))
		return child_mediator(atoi(argv[2]));
	const char *path = argc > 1 ? argv[1] : getenv("VTEE_TEE");
	if (!path) {
		fprintf(stderr, "usage: %s PATH-TO-VTEE-TEE\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0);
	self[n] = 0;

	struct teeproc *tp = tee_spawn(path, NULL);
	test_end_to_end(tp);
	test_broken_mid_call(tp);
	test_malformed(tp);
	test_busy(tp);
	test_fake_tee();
	tee_stop(tp);

	test_inline(path);

	/* one TEE thread per VM: in-flight work queues, which the recovery test relies on */
	tp = tee_spawn(path, "threads=1");
	test_recovery(tp);
	test_kill9(tp, self);
	tee_stop(tp);

	test_chan(path, self);
	return check_report();
}
