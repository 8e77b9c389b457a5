// SPDX-License-Identifier: MIT
/*
 * The shared-memory channel (lib/util/chan.h) against what it replaces.
 * Every figure is a median over ROUNDS rounds; the paths of one comparison
 * take turns round by round in this run, so noise hits them alike.
 *
 *   chan_pingpong      32 bytes there and back between two processes over a channel
 *   socket_pingpong    the same over a Unix socketpair (the link's transport before)
 *   mailbox_pingpong   the same through a model of the VMM <-> vteed SMC mailbox
 *                      (one slot: sequence words, spin then futex, like daemon/client.c
 *                      and vteed.c; the real one is daemon-bench's oop_pingpong)
 *   link_null_invoke_socket, link_null_invoke_chan   the test TA's NULL command
 *                      through the link back-end to a TEE in another process
 *                      (bench_tee.c: the soft back-end, answered on its reader)
 *                      over a socket, and over a channel
 *   soft_null_invoke   the same call into the soft back-end in this process
 *
 * RATIO link_chan_vs_pingpong_plus_inproc compares the channel link's call
 * with a channel ping-pong plus the in-process call: issue 12's 1.25x rule
 * for an out-of-process hop, at this hop.
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_tee.h"
#include "chan.h"
#include "link.h"
#include "sync.h"
#include "vtee/backend.h"

#define BENCH_NAME "chan-bench"
#include "bench.h"

#define ROUNDS      15
#define PING_ITERS  20000
#define CALL_ITERS  5000
#define MSG         32

/* ---- ping-pong peers (child processes) ---- */

static void chan_echo(int memfd, int setup)
{
	struct vtee_chan *c;
	uint8_t buf[MSG];
	if (vtee_chan_open(memfd, VTEE_CHAN_B, setup, NULL, &c))
		_exit(1);
	for (;;) {
		struct iovec iov = { buf, 0 };
		ssize_t k = vtee_chan_recv(c, buf, sizeof(buf), 0);
		iov.iov_len = k > 0 ? (size_t)k : 0;
		if (k <= 0 || vtee_chan_writev_all(c, &iov, 1))
			_exit(0);
	}
}

static void socket_echo(int fd)
{
	uint8_t buf[MSG];
	ssize_t k;
	while ((k = recv(fd, buf, sizeof(buf), 0)) > 0)
		if (send(fd, buf, (size_t)k, MSG_NOSIGNAL) != k)
			break;
	_exit(0);
}

/* The mailbox model: one slot; the client bumps req, the server answers with rsp = req. */
struct mbox {
	uint32_t req, srv_sleeps, rsp, cli_sleeps;
	uint64_t regs[8];
};

#define MB_CLI_SPIN_NS 5000u  /* as daemon/client.c */
#define MB_SRV_SPIN_NS 20000u /* as daemon/vteed.c */

/* Wait until *w != seen: poll spin_ns, then sleep on the word with *sleeps set. */
static uint32_t mb_wait(uint32_t *w, uint32_t seen, uint32_t *sleeps, uint64_t spin_ns)
{
	uint64_t t0 = vtee_now_ns();
	uint32_t v;
	while ((v = __atomic_load_n(w, __ATOMIC_SEQ_CST)) == seen && vtee_now_ns() - t0 < spin_ns)
		vtee_cpu_relax();
	while (v == seen) {
		__atomic_store_n(sleeps, 1, __ATOMIC_SEQ_CST);
		if ((v = __atomic_load_n(w, __ATOMIC_SEQ_CST)) == seen)
			syscall(SYS_futex, w, FUTEX_WAIT, seen, NULL, NULL, 0);
		__atomic_store_n(sleeps, 0, __ATOMIC_SEQ_CST);
		v = __atomic_load_n(w, __ATOMIC_SEQ_CST);
	}
	return v;
}

static void mb_post(uint32_t *w, uint32_t v, uint32_t *sleeps)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(sleeps, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void mailbox_echo(struct mbox *m)
{
	for (uint32_t seen = 0;;) {
		seen = mb_wait(&m->req, seen, &m->srv_sleeps, MB_SRV_SPIN_NS);
		if (seen == UINT32_MAX)
			_exit(0);
		m->regs[0] += 1;
		mb_post(&m->rsp, seen, &m->cli_sleeps);
	}
}

/* ---- ping-pong clients ---- */

struct peers {
	struct vtee_chan *chan;
	int sock;
	struct mbox *mb;
	uint32_t mb_seq;
};

static void chan_round_trip(void *ctx)
{
	struct peers *p = ctx;
	uint8_t buf[MSG] = { 1 };
	struct iovec iov = { buf, sizeof(buf) };
	if (vtee_chan_writev_all(p->chan, &iov, 1))
		die("channel write");
	for (size_t got = 0; got < sizeof(buf);) {
		ssize_t k = vtee_chan_recv(p->chan, buf + got, sizeof(buf) - got, 0);
		if (k <= 0)
			die("channel read");
		got += (size_t)k;
	}
}

static void socket_round_trip(void *ctx)
{
	struct peers *p = ctx;
	uint8_t buf[MSG] = { 1 };
	if (send(p->sock, buf, sizeof(buf), MSG_NOSIGNAL) != sizeof(buf) ||
	    recv(p->sock, buf, sizeof(buf), MSG_WAITALL) != sizeof(buf))
		die("socket round trip");
}

static void mailbox_round_trip(void *ctx)
{
	struct peers *p = ctx;
	uint32_t seq = ++p->mb_seq;
	mb_post(&p->mb->req, seq, &p->mb->srv_sleeps);
	mb_wait(&p->mb->rsp, seq - 1, &p->mb->cli_sleeps, MB_CLI_SPIN_NS);
}

/* ---- timing ---- */

typedef void (*trip_fn)(void *ctx);

/* Median per-call time of each path, taking turns round by round; ratio[i] = median of round ratios path 0 / path i. */
static void time_paths(int n, const trip_fn fn[], void *const ctx[], unsigned iters, double med[], double ratio[])
{
	double t[4][ROUNDS], rr[4][ROUNDS];
	for (int i = 0; i < n; i++)
		for (unsigned k = 0; k < iters / 10; k++)
			fn[i](ctx[i]);
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < n; i++) {
			double t0 = now_us();
			for (unsigned k = 0; k < iters; k++)
				fn[i](ctx[i]);
			t[i][r] = (now_us() - t0) / iters;
		}
		for (int i = 0; i < n; i++)
			rr[i][r] = t[0][r] / t[i][r];
	}
	for (int i = 0; i < n; i++) {
		qsort(t[i], ROUNDS, sizeof(double), cmp_double);
		qsort(rr[i], ROUNDS, sizeof(double), cmp_double);
		med[i] = t[i][ROUNDS / 2];
		ratio[i] = rr[i][ROUNDS / 2];
	}
}

/* ---- link null invoke ---- */

struct linkcall {
	const struct vtee_backend_ops *ops;
	void *tee, *vm, *session;
};

static void call_submit(struct linkcall *c, struct vtee_req *req)
{
	vtee_req_arm(req);
	c->ops->submit(c->vm, req);
	vtee_req_wait(req, UINT64_MAX);
}

static void null_invoke(void *ctx)
{
	struct linkcall *c = ctx;
	struct vtee_req req = { .op = VTEE_REQ_INVOKE, .func = VTEE_TEST_CMD_NULL, .session = c->session };
	call_submit(c, &req);
	if (req.ret != TEE_SUCCESS)
		die("null invoke failed");
}

/* Open the back-end (ops with options), its VM and a session to the test TA. */
static void call_setup(struct linkcall *c, const struct vtee_backend_ops *ops, const char *options)
{
	c->ops = ops;
	if (ops->open(options, &c->tee) || ops->vm_created(c->tee, 1, "bench", &c->vm))
		die("back-end set-up failed");
	struct vtee_req open = { .op = VTEE_REQ_OPEN };
	memcpy(open.ta.b, test_uuid, 16);
	call_submit(c, &open);
	if (open.ret != TEE_SUCCESS)
		die("open session failed");
	c->session = open.session;
}

static void call_teardown(struct linkcall *c)
{
	struct vtee_req close_req = { .op = VTEE_REQ_CLOSE, .session = c->session };
	call_submit(c, &close_req);
	c->ops->vm_destroyed(c->vm);
	c->ops->close(c->tee);
}

/* ---- set-up: the peers are forked before this process has threads ---- */

struct children {
	pid_t pid[5];
	int n;
	struct peers pp;
	char link_sock_opt[32], link_chan_opt[48];
};

/* In a child: close every fd but keep_a and keep_b, so each peer sees the end of its own stream only. */
static void keep_only(int keep_a, int keep_b)
{
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep_a && fd != keep_b)
			close(fd);
}

static pid_t fork_child(struct children *ch)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid)
		ch->pid[ch->n++] = pid;
	return pid;
}

static void spawn_pingpong_peers(struct children *ch)
{
	int memfd, setup[2], sv[2];
	if (vtee_chan_create(0, &memfd) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, setup) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("ping-pong set-up");
	ch->pp.mb = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ch->pp.mb == MAP_FAILED)
		die("mmap");
	if (!fork_child(ch)) {
		keep_only(memfd, setup[1]);
		chan_echo(memfd, setup[1]);
	}
	if (!fork_child(ch)) {
		keep_only(sv[1], -1);
		socket_echo(sv[1]);
	}
	if (!fork_child(ch)) {
		keep_only(-1, -1);
		mailbox_echo(ch->pp.mb);
	}
	close(setup[1]);
	close(sv[1]);
	if (vtee_chan_open(memfd, VTEE_CHAN_A, setup[0], NULL, &ch->pp.chan))
		die("channel open");
	close(memfd);
	ch->pp.sock = sv[0];
}

static void spawn_link_tees(struct children *ch)
{
	int sv[2], memfd, setup[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) || vtee_chan_create(0, &memfd) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, setup))
		die("link set-up");
	if (!fork_child(ch)) {
		keep_only(sv[1], -1);
		_exit(bench_tee_serve(sv[1], NULL) ? 1 : 0);
	}
	if (!fork_child(ch)) {
		struct vtee_chan *c;
		keep_only(memfd, setup[1]);
		if (vtee_chan_open(memfd, VTEE_CHAN_B, setup[1], NULL, &c))
			_exit(1);
		_exit(bench_tee_serve(-1, c) ? 1 : 0);
	}
	close(sv[1]);
	close(setup[1]);
	snprintf(ch->link_sock_opt, sizeof(ch->link_sock_opt), "fd=%d", sv[0]);
	snprintf(ch->link_chan_opt, sizeof(ch->link_chan_opt), "fd=%d,chan=%d", setup[0], memfd);
}

static double bench_pingpong(struct children *ch)
{
	const trip_fn fn[3] = { chan_round_trip, socket_round_trip, mailbox_round_trip };
	void *const ctx[3] = { &ch->pp, &ch->pp, &ch->pp };
	double med[3], ratio[3];
	time_paths(3, fn, ctx, PING_ITERS, med, ratio);
	printf("BENCH chan_pingpong %.3f us\n", med[0]);
	printf("BENCH socket_pingpong %.3f us\n", med[1]);
	printf("BENCH mailbox_pingpong %.3f us\n", med[2]);
	printf("RATIO chan_vs_socket_pingpong %.3f\n", ratio[1]);
	printf("RATIO chan_vs_mailbox_pingpong %.3f\n", ratio[2]);
	return med[0];
}

static void bench_link(struct children *ch, double chan_pingpong)
{
	struct linkcall sock, chan, soft;
	call_setup(&sock, &vtee_link_backend, ch->link_sock_opt);
	call_setup(&chan, &vtee_link_backend, ch->link_chan_opt);
	call_setup(&soft, &vtee_soft_backend, NULL);
	const trip_fn fn[3] = { null_invoke, null_invoke, null_invoke };
	void *const ctx[3] = { &chan, &sock, &soft };
	double med[3], ratio[3];
	time_paths(3, fn, ctx, CALL_ITERS, med, ratio);
	printf("BENCH link_null_invoke_chan %.3f us\n", med[0]);
	printf("BENCH link_null_invoke_socket %.3f us\n", med[1]);
	printf("BENCH soft_null_invoke %.3f us\n", med[2]);
	printf("RATIO link_null_invoke_chan_vs_socket %.3f\n", ratio[1]);
	printf("RATIO link_chan_vs_pingpong_plus_inproc %.3f\n", med[0] / (chan_pingpong + med[2]));
	call_teardown(&chan);
	call_teardown(&sock);
	call_teardown(&soft);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	struct children ch = { .n = 0 };
	spawn_pingpong_peers(&ch);
	spawn_link_tees(&ch);
	printf("# chan-bench: %d rounds, median per round trip; the paths of a RATIO take turns in this run\n",
	       ROUNDS);
	double pp = bench_pingpong(&ch);
	bench_link(&ch, pp);

	vtee_chan_close(ch.pp.chan);
	close(ch.pp.sock);
	__atomic_store_n(&ch.pp.mb->req, UINT32_MAX, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &ch.pp.mb->req, FUTEX_WAKE, 1, NULL, NULL, 0);
	int bad = 0;
	for (int i = 0; i < ch.n; i++) {
		int st;
		if (waitpid(ch.pid[i], &st, 0) != ch.pid[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	if (bad)
		die("a peer process failed");
	return 0;
}
