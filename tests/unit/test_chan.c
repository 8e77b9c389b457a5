// SPDX-License-Identifier: MIT
/*
 * The shared-memory channel (lib/util/chan.h):
 *  - set-up: sealed memfds only, each side once, the layout of docs/tee-link.md;
 *  - streams between threads and between processes (fork): small rings
 *    wrapped thousands of times, random read and write sizes, 64 MiB and
 *    more in one message, both directions at once;
 *  - flow control: DONTWAIT, the send timeout, wait_readable's timeout;
 *  - hang-up: by either end's close (data sent before it still arrives), by
 *    the supervisor, by a peer that dies (SIGKILL) with a reader or a writer
 *    blocked;
 *  - a hostile peer writing the shared indices: bad head, bad tail, random
 *    words while a transfer runs: -EPROTO or a clean end, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "chan.h"
#include "spin.h"

/* The documented layout (docs/tee-link.md, "The channel"): offsets into the memfd. */
#define HDR_SIZE       4096u
#define OFF_CLOSED     16u
#define OFF_RING(i)    (64u + 256u * (i))
#define OFF_HEAD(i)    (OFF_RING(i) + 0)
#define OFF_WR_SLEEP(i) (OFF_RING(i) + 64)
#define OFF_RD_BELL(i) (OFF_RING(i) + 68)
#define OFF_TAIL(i)    (OFF_RING(i) + 128)
#define OFF_RD_SLEEP(i) (OFF_RING(i) + 192)

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Byte i of stream `seed`: any slice can be checked without keeping the stream. */
static uint8_t stream_byte(uint32_t seed, uint64_t i)
{
	uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull + seed;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> ((i & 7) * 8));
}

static void stream_fill(uint8_t *b, size_t n, uint32_t seed, uint64_t at)
{
	for (size_t i = 0; i < n; i++)
		b[i] = stream_byte(seed, at + i);
}

static size_t stream_bad(const uint8_t *b, size_t n, uint32_t seed, uint64_t at)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += b[i] != stream_byte(seed, at + i);
	return bad;
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct pair {
	int memfd;
	int sock[2];          /* set-up sockets: [0] A's, [1] B's */
	struct vtee_chan *a, *b;
};

static void pair_open(struct pair *p, size_t ring, const struct vtee_chan_opts *o)
{
	REQUIRE_EQ(vtee_chan_create(ring, &p->memfd), 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->sock) == 0);
	REQUIRE_EQ(vtee_chan_open(p->memfd, VTEE_CHAN_A, p->sock[0], o, &p->a), 0);
	REQUIRE_EQ(vtee_chan_open(p->memfd, VTEE_CHAN_B, p->sock[1], o, &p->b), 0);
}

static void pair_close(struct pair *p)
{
	vtee_chan_close(p->a);
	vtee_chan_close(p->b);
	close(p->memfd);
	close(p->sock[0]);
	close(p->sock[1]);
}

/* Read exactly n bytes in pieces of random size; 0, or the first error / 0 from recv. */
static ssize_t read_n(struct vtee_chan *c, uint8_t *b, size_t n, uint32_t *seed)
{
	size_t done = 0;
	while (done < n) {
		size_t want = 1 + rnd(seed) % (n - done < 100000 ? n - done : 100000);
		ssize_t k = vtee_chan_recv(c, b + done, want, 0);
		if (k <= 0)
			return k ? k : -EPIPE;
		if ((size_t)k > want)
			return -E2BIG;
		done += (size_t)k;
	}
	return 0;
}

/* ---- set-up ---- */

static void test_setup(void)
{
	int fd;
	CHECK_EQ(vtee_chan_create(5000, &fd), -EINVAL);
	CHECK_EQ(vtee_chan_create(2048, &fd), -EINVAL);
	CHECK_EQ(vtee_chan_create((size_t)VTEE_CHAN_RING_MAX * 2, &fd), -EINVAL);
	REQUIRE_EQ(vtee_chan_create(0, &fd), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_END), HDR_SIZE + 2 * VTEE_CHAN_RING_DEFAULT);
	CHECK(ftruncate(fd, 4096) < 0); /* sealed: a peer cannot make our mapping fault */
	CHECK(ftruncate(fd, 1 << 24) < 0);
	uint8_t magic[4];
	CHECK_EQ(pread(fd, magic, 4, 0), 4);
	CHECK(memcmp(magic, "VTCH", 4) == 0);

	struct vtee_chan *a, *b, *x;
	REQUIRE_EQ(vtee_chan_open(fd, VTEE_CHAN_A, -1, NULL, &a), 0);
	CHECK_EQ(vtee_chan_open(fd, VTEE_CHAN_A, -1, NULL, &x), -EBUSY);
	CHECK_EQ(vtee_chan_open(fd, 2, -1, NULL, &x), -EINVAL);
	REQUIRE_EQ(vtee_chan_open(fd, VTEE_CHAN_B, -1, NULL, &b), 0);
	CHECK_EQ(vtee_chan_open(fd, VTEE_CHAN_B, -1, NULL, &x), -EBUSY);
	CHECK(!vtee_chan_is_closed(a));
	vtee_chan_close(a);
	vtee_chan_close(b);
	close(fd);

	/* not a sealed channel memfd */
	int m = memfd_create("plain", MFD_CLOEXEC);
	REQUIRE(m >= 0);
	REQUIRE(ftruncate(m, HDR_SIZE + 2 * 4096) == 0);
	CHECK_EQ(vtee_chan_open(m, VTEE_CHAN_A, -1, NULL, &x), -EINVAL);
	CHECK_EQ(vtee_chan_hangup(m), -EINVAL);
	close(m);
	int pfd[2];
	REQUIRE(pipe(pfd) == 0);
	CHECK_EQ(vtee_chan_open(pfd[0], VTEE_CHAN_A, -1, NULL, &x), -EINVAL);
	close(pfd[0]);
	close(pfd[1]);

	/* the right size and seals, but no channel header */
	m = memfd_create("fake", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(m >= 0);
	REQUIRE(ftruncate(m, HDR_SIZE + 2 * 8192) == 0);
	REQUIRE(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
	REQUIRE(pwrite(m, "VTCH\x01\0\0\0\0\x20\0\0\0\x10\0\0", 16, 0) == 16);
	CHECK_EQ(vtee_chan_open(m, VTEE_CHAN_A, -1, NULL, &x), -EINVAL); /* seals not sealed: a peer could add some */
	REQUIRE(fcntl(m, F_ADD_SEALS, F_SEAL_SEAL) == 0);
	REQUIRE(pwrite(m, "\0\0\0\0", 4, 0) == 4);
	CHECK_EQ(vtee_chan_open(m, VTEE_CHAN_A, -1, NULL, &x), -EINVAL);
	REQUIRE(pwrite(m, "VTCH\x01\0\0\0\0\x10\0\0\0\x10\0\0", 16, 0) == 16); /* says 4 KiB rings */
	CHECK_EQ(vtee_chan_open(m, VTEE_CHAN_A, -1, NULL, &x), -EINVAL);
	REQUIRE(pwrite(m, "\0\x20", 2, 8) == 2); /* 8 KiB: right */
	REQUIRE_EQ(vtee_chan_open(m, VTEE_CHAN_A, -1, NULL, &x), 0);
	vtee_chan_close(x);
	close(m);
}

/* ---- streams between threads ---- */

struct streamer {
	struct vtee_chan *c;
	uint32_t seed;
	uint64_t total;
	size_t max_piece;
	ssize_t result;
};

static void *writer_main(void *arg)
{
	struct streamer *s = arg;
	uint32_t r = s->seed | 1;
	uint8_t *buf = malloc(s->max_piece * 3);
	uint64_t at = 0;
	s->result = buf ? 0 : -ENOMEM;
	while (!s->result && at < s->total) {
		/* one to three pieces per send, like a header, a structure and data */
		struct iovec iov[3];
		int n = 1 + (int)(rnd(&r) % 3);
		size_t used = 0;
		for (int i = 0; i < n; i++) {
			size_t len = rnd(&r) % (s->max_piece + 1);
			len = len > s->total - at - used ? (size_t)(s->total - at - used) : len;
			stream_fill(buf + used, len, s->seed, at + used);
			iov[i] = (struct iovec){ buf + used, len };
			used += len;
		}
		s->result = vtee_chan_writev_all(s->c, iov, n);
		at += used;
	}
	free(buf);
	return NULL;
}

static void *reader_main(void *arg)
{
	struct streamer *s = arg;
	uint32_t r = s->seed * 7 + 1;
	uint8_t *buf = malloc(s->max_piece);
	uint64_t at = 0;
	s->result = buf ? 0 : -ENOMEM;
	while (!s->result && at < s->total) {
		size_t want = 1 + rnd(&r) % s->max_piece;
		ssize_t k = vtee_chan_recv(s->c, buf, want, 0);
		if (k <= 0 || (size_t)k > want || stream_bad(buf, (size_t)k, s->seed, at))
			s->result = k <= 0 ? (k ? k : -EPIPE) : -EBADMSG;
		else
			at += (uint64_t)k;
	}
	free(buf);
	return NULL;
}

/* total bytes each way at once, pieces up to max_piece, through rings of ring bytes. */
static void stream_both_ways(size_t ring, uint64_t total, size_t max_piece, const struct vtee_chan_opts *o)
{
	struct pair p;
	pair_open(&p, ring, o);
	struct streamer w1 = { p.a, 11, total, max_piece, 0 }, r1 = { p.b, 11, total, max_piece, 0 };
	struct streamer w2 = { p.b, 22, total, max_piece, 0 }, r2 = { p.a, 22, total, max_piece, 0 };
	pthread_t th[4];
	REQUIRE(pthread_create(&th[0], NULL, writer_main, &w1) == 0);
	REQUIRE(pthread_create(&th[1], NULL, reader_main, &r1) == 0);
	REQUIRE(pthread_create(&th[2], NULL, writer_main, &w2) == 0);
	REQUIRE(pthread_create(&th[3], NULL, reader_main, &r2) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(w1.result, 0);
	CHECK_EQ(r1.result, 0);
	CHECK_EQ(w2.result, 0);
	CHECK_EQ(r2.result, 0);
	pair_close(&p);
}

static void test_threads(void)
{
	/* a 4 KiB ring wraps ~2500 times each way; pieces larger than the ring */
	stream_both_ways(4096, 10u << 20, 9000, NULL);
	/* no polling at all: every wait is a futex sleep and a bell */
	stream_both_ways(8192, 2u << 20, 3000, &(struct vtee_chan_opts){ .no_spin = true });
	/* 80 MiB in 8 MiB pieces through 1 MiB rings */
	stream_both_ways(0, 80u << 20, 8u << 20, NULL);
}

/* ---- between processes ---- */

/* The child: echo everything back until the end of the stream. */
static int echo_child(int memfd, int sock)
{
	struct vtee_chan *c;
	if (vtee_chan_open(memfd, VTEE_CHAN_B, sock, NULL, &c))
		return 3;
	uint8_t *buf = malloc(1 << 20);
	ssize_t k;
	int rc = 0;
	while (buf && (k = vtee_chan_recv(c, buf, 1 << 20, 0)) > 0) {
		struct iovec iov = { buf, (size_t)k };
		if (vtee_chan_writev_all(c, &iov, 1)) {
			rc = 4;
			break;
		}
	}
	vtee_chan_close(c);
	free(buf);
	return rc;
}

static pid_t fork_echo(struct pair *p)
{
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(p->sock[0]);
		_exit(echo_child(p->memfd, p->sock[1]));
	}
	close(p->sock[1]);
	p->sock[1] = -1;
	return pid;
}

struct sender {
	struct vtee_chan *c;
	const uint8_t *buf;
	size_t len;
	int result;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct iovec iov = { (void *)s->buf, s->len };
	s->result = vtee_chan_writev_all(s->c, &iov, 1);
	return NULL;
}

static void test_processes(void)
{
	struct pair p = { .sock = { -1, -1 } };
	REQUIRE_EQ(vtee_chan_create(256u << 10, &p.memfd), 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p.sock) == 0);
	pid_t pid = fork_echo(&p);
	REQUIRE_EQ(vtee_chan_open(p.memfd, VTEE_CHAN_A, p.sock[0], NULL, &p.a), 0);

	/* small messages, one at a time (ping-pong) */
	uint32_t seed = 5;
	uint64_t at = 0;
	bool ok = true;
	for (int i = 0; i < 20000 && ok; i++) {
		uint8_t msg[200], back[200];
		size_t n = 1 + rnd(&seed) % sizeof(msg);
		stream_fill(msg, n, 77, at);
		struct iovec iov = { msg, n };
		ok = !vtee_chan_writev_all(p.a, &iov, 1) && read_n(p.a, back, n, &seed) == 0 &&
		     !stream_bad(back, n, 77, at);
		at += n;
	}
	CHECK(ok);

	/* 64 MiB + 4 KiB in one message, the link protocol's largest payload, while it comes back */
	size_t big = (64u << 20) + 4096;
	uint8_t *src = malloc(big), *dst = malloc(big);
	REQUIRE(src && dst);
	stream_fill(src, big, 99, 0);
	struct sender s = { p.a, src, big, -1 };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, sender_main, &s) == 0);
	CHECK_EQ(read_n(p.a, dst, big, &seed), 0);
	pthread_join(th, NULL);
	CHECK_EQ(s.result, 0);
	CHECK_EQ(stream_bad(dst, big, 99, 0), 0);
	free(src);
	free(dst);

	/* our close: the child reads the end of the stream and exits 0 */
	vtee_chan_close(p.a);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p.memfd);
	close(p.sock[0]);
}

/* ---- hang-up ---- */

struct blocked {
	struct vtee_chan *c;
	bool write;
	ssize_t result;
	uint64_t ms;
};

/* A read that waits for data, or a write of 1 MiB into a ring with no room left. */
static void *blocked_main(void *arg)
{
	struct blocked *b = arg;
	uint64_t t0 = now_ms();
	static uint8_t buf[1 << 20];
	if (b->write) {
		struct iovec iov = { buf, sizeof(buf) };
		b->result = vtee_chan_writev_all(b->c, &iov, 1);
	} else {
		b->result = vtee_chan_recv(b->c, buf, sizeof(buf), 0);
	}
	b->ms = now_ms() - t0;
	return NULL;
}

static void test_hangup_close(void)
{
	/* data sent before a close still arrives, then the end of the stream */
	struct pair p;
	pair_open(&p, 4096, NULL);
	struct iovec iov = { "bye", 3 };
	REQUIRE_EQ(vtee_chan_writev_all(p.a, &iov, 1), 0);
	vtee_chan_shutdown(p.a);
	char buf[8];
	CHECK_EQ(vtee_chan_recv(p.b, buf, sizeof(buf), 0), 3);
	CHECK_EQ(vtee_chan_recv(p.b, buf, sizeof(buf), 0), 0);
	CHECK_EQ(vtee_chan_recv(p.a, buf, sizeof(buf), 0), 0); /* our own reads end at once */
	iov = (struct iovec){ "x", 1 };
	CHECK_EQ(vtee_chan_writev_all(p.b, &iov, 1), -EPIPE);
	CHECK_EQ(vtee_chan_writev_all(p.a, &iov, 1), -EPIPE);
	CHECK(vtee_chan_is_closed(p.b));
	pair_close(&p);

	/* a blocked reader and a blocked writer wake at once when the other end closes (not by a timeout) */
	const struct vtee_chan_opts slow = { .sleep_ms = 10000 };
	for (int wr = 0; wr < 2; wr++) {
		pair_open(&p, 4096, &slow);
		struct blocked b = { p.b, wr, 99, 0 };
		pthread_t th;
		REQUIRE(pthread_create(&th, NULL, blocked_main, &b) == 0);
		usleep(300 * 1000); /* asleep on its bell by now */
		vtee_chan_shutdown(p.a);
		pthread_join(th, NULL);
		CHECK_EQ(b.result, wr ? -EPIPE : 0);
		CHECK_CMP(b.ms, <, 300 + 3000);
		pair_close(&p);
	}

	/* the supervisor hangs up: both ends */
	pair_open(&p, 4096, &slow);
	struct blocked b = { p.a, false, 99, 0 };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, blocked_main, &b) == 0);
	usleep(200 * 1000);
	CHECK_EQ(vtee_chan_hangup(p.memfd), 0);
	pthread_join(th, NULL);
	CHECK_EQ(b.result, 0);
	CHECK_CMP(b.ms, <, 200 + 3000);
	CHECK_EQ(vtee_chan_writev_all(p.b, &iov, 1), -EPIPE);
	pair_close(&p);
}

/* The peer process opens its side, lets us block, and dies by SIGKILL: we notice by its set-up socket. */
static void test_hangup_death(void)
{
	for (int wr = 0; wr < 2; wr++) {
		struct pair p = { .sock = { -1, -1 } };
		REQUIRE_EQ(vtee_chan_create(4096, &p.memfd), 0);
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p.sock) == 0);
		int ready[2];
		REQUIRE(pipe(ready) == 0);
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			struct vtee_chan *c;
			if (vtee_chan_open(p.memfd, VTEE_CHAN_B, p.sock[1], NULL, &c) || write(ready[1], "r", 1) != 1)
				_exit(3);
			pause(); /* never closes: killed */
			_exit(4);
		}
		close(p.sock[1]);
		close(ready[1]);
		char x;
		REQUIRE(read(ready[0], &x, 1) == 1);
		close(ready[0]);
		REQUIRE_EQ(vtee_chan_open(p.memfd, VTEE_CHAN_A, p.sock[0], NULL, &p.a), 0);
		struct blocked b = { p.a, wr, 99, 0 };
		pthread_t th;
		REQUIRE(pthread_create(&th, NULL, blocked_main, &b) == 0);
		usleep(300 * 1000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pthread_join(th, NULL);
		CHECK_EQ(b.result, wr ? -EPIPE : 0);
		CHECK_CMP(b.ms, <, 300 + 3000); /* the next timeout (100 ms) looks at the socket */
		CHECK(vtee_chan_is_closed(p.a));
		vtee_chan_close(p.a);
		close(p.memfd);
		close(p.sock[0]);
	}
}

/* ---- flow control ---- */

static void test_flow(void)
{
	struct pair p;
	pair_open(&p, 4096, &(struct vtee_chan_opts){ .send_timeout_ms = 200 });
	char buf[8192];
	CHECK_EQ(vtee_chan_recv(p.b, buf, sizeof(buf), VTEE_CHAN_DONTWAIT), -EAGAIN);
	uint64_t t0 = now_ms();
	CHECK_EQ(vtee_chan_wait_readable(p.b, 150), 0);
	CHECK_CMP(now_ms() - t0, >=, 149);

	/* DONTWAIT takes what fits, a slice (a quarter of the ring) per call at most */
	memset(buf, 0x42, sizeof(buf));
	struct iovec iov = { buf, 6000 };
	ssize_t k, sent = 0;
	while ((k = vtee_chan_send(p.a, &iov, 1, VTEE_CHAN_DONTWAIT)) > 0) {
		CHECK_CMP(k, <=, 1024);
		sent += k;
	}
	CHECK_EQ(k, -EAGAIN);
	CHECK_EQ(sent, 4096);
	CHECK_EQ(vtee_chan_wait_readable(p.b, 0), 1);
	/* full, nobody reads: the send times out */
	t0 = now_ms();
	iov = (struct iovec){ buf, 1 };
	CHECK_EQ(vtee_chan_send(p.a, &iov, 1, 0), -ETIMEDOUT);
	CHECK_CMP(now_ms() - t0, >=, 199);
	CHECK_CMP(now_ms() - t0, <, 2000);
	CHECK_EQ(vtee_chan_recv(p.b, buf, 100, 0), 100);
	/* room for 100, less than a slice: DONTWAIT takes the 100, a blocking send waits for more room */
	iov = (struct iovec){ buf, 4096 };
	CHECK_EQ(vtee_chan_send(p.a, &iov, 1, VTEE_CHAN_DONTWAIT), 100);
	CHECK_EQ(vtee_chan_recv(p.b, buf, 500, 0), 500);
	t0 = now_ms();
	CHECK_EQ(vtee_chan_send(p.a, &iov, 1, 0), -ETIMEDOUT);
	CHECK_CMP(now_ms() - t0, >=, 199);
	CHECK_EQ(vtee_chan_recv(p.b, buf, sizeof(buf), 0), 4096 - 500);
	CHECK_EQ(vtee_chan_send(p.a, &iov, 1, 0), 1024);
	pair_close(&p);
}

/* ---- a hostile peer ---- */

static uint32_t *word(uint8_t *map, size_t off)
{
	return (uint32_t *)(map + off);
}

static void test_corrupt_indices(void)
{
	struct pair p;
	pair_open(&p, 4096, NULL);
	uint8_t *evil = mmap(NULL, HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p.memfd, 0);
	REQUIRE(evil != MAP_FAILED);
	char buf[64];
	/* B claims to have written more than the ring holds: A's read fails, the channel closes */
	__atomic_store_n(word(evil, OFF_HEAD(1)), 4097u, __ATOMIC_SEQ_CST);
	CHECK_EQ(vtee_chan_recv(p.a, buf, sizeof(buf), 0), -EPROTO);
	CHECK(vtee_chan_is_closed(p.a));
	CHECK(vtee_chan_is_closed(p.b));
	CHECK_EQ(vtee_chan_recv(p.a, buf, sizeof(buf), 0), -EPROTO);
	struct iovec iov = { "x", 1 };
	CHECK_EQ(vtee_chan_writev_all(p.b, &iov, 1), -EPIPE);
	munmap(evil, HDR_SIZE);
	pair_close(&p);

	/* B's tail runs ahead of what A wrote: A's send fails once it needs to look at the tail */
	pair_open(&p, 4096, NULL);
	evil = mmap(NULL, HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p.memfd, 0);
	REQUIRE(evil != MAP_FAILED);
	static char full[4096];
	struct iovec all = { full, sizeof(full) };
	CHECK_EQ(vtee_chan_writev_all(p.a, &all, 1), 0); /* the ring is full: the next send must look */
	__atomic_store_n(word(evil, OFF_TAIL(0)), 4096u + 10u, __ATOMIC_SEQ_CST);
	CHECK_EQ(vtee_chan_writev_all(p.a, &iov, 1), -EPROTO);
	CHECK(vtee_chan_is_closed(p.b));
	munmap(evil, HDR_SIZE);
	pair_close(&p);

	/* a head that wraps 2^32 but stays within the ring is fine; the header's fields are not read again */
	pair_open(&p, 4096, NULL);
	evil = mmap(NULL, HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p.memfd, 0);
	REQUIRE(evil != MAP_FAILED);
	memset(evil, 0xff, 16); /* magic, version, ring size, header size */
	iov = (struct iovec){ "hello", 5 };
	CHECK_EQ(vtee_chan_writev_all(p.b, &iov, 1), 0);
	CHECK_EQ(vtee_chan_recv(p.a, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	__atomic_store_n(word(evil, OFF_HEAD(1)), 5u + 4096u, __ATOMIC_SEQ_CST); /* = a full ring */
	CHECK_EQ(vtee_chan_recv(p.a, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	munmap(evil, HDR_SIZE);
	pair_close(&p);
}

struct vandal {
	uint8_t *map;
	_Atomic bool stop;
	uint32_t seed;
};

/* Scribble random values on the shared indices and bells while the ends work. */
static void *vandal_main(void *arg)
{
	struct vandal *v = arg;
	static const size_t offs[] = { OFF_HEAD(0), OFF_HEAD(1), OFF_TAIL(0), OFF_TAIL(1), OFF_RD_BELL(0),
				       OFF_RD_BELL(1), OFF_WR_SLEEP(0), OFF_RD_SLEEP(1), OFF_CLOSED };
	while (!atomic_load(&v->stop)) {
		uint32_t r = rnd(&v->seed);
		size_t off = offs[r % (sizeof(offs) / sizeof(offs[0]))];
		if (off == OFF_CLOSED && (r & 0xff00))
			continue; /* now and then only: a close ends the test early */
		__atomic_store_n(word(v->map, off), rnd(&v->seed) >> (r % 32), __ATOMIC_SEQ_CST);
		usleep(r % 200);
	}
	return NULL;
}

static void test_vandal(void)
{
	for (uint32_t round = 0; round < 6; round++) {
		struct pair p;
		pair_open(&p, 4096, NULL);
		struct vandal v = { .seed = round * 31 + 7 };
		v.map = mmap(NULL, HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p.memfd, 0);
		REQUIRE(v.map != MAP_FAILED);
		struct streamer w = { p.a, 3, 4u << 20, 5000, 0 }, r = { p.b, 3, 4u << 20, 5000, 0 };
		pthread_t th[3];
		REQUIRE(pthread_create(&th[0], NULL, vandal_main, &v) == 0);
		REQUIRE(pthread_create(&th[1], NULL, writer_main, &w) == 0);
		REQUIRE(pthread_create(&th[2], NULL, reader_main, &r) == 0);
		pthread_join(th[2], NULL);
		/* the reader ended (finished or failed): let a blocked writer go too */
		vtee_chan_shutdown(p.b);
		pthread_join(th[1], NULL);
		atomic_store(&v.stop, true);
		pthread_join(th[0], NULL);
		/* a clean end, a detected corruption, or garbage data (-EBADMSG): never a crash */
		CHECK(r.result == 0 || r.result == -EPROTO || r.result == -EPIPE || r.result == -EBADMSG);
		CHECK(w.result == 0 || w.result == -EPROTO || w.result == -EPIPE);
		munmap(v.map, HDR_SIZE);
		pair_close(&p);
	}
}

/* The adaptive polling budget (spin.h): halves on a miss, back to the full budget on a hit, probes when off. */
static void test_spin_budget(void)
{
	struct vtee_spin s;
	vtee_spin_init(&s, 20000);
	CHECK_EQ(vtee_spin_budget(&s), 20000);
	vtee_spin_result(&s, false);
	CHECK_EQ(vtee_spin_budget(&s), 10000);
	vtee_spin_result(&s, true);
	CHECK_EQ(vtee_spin_budget(&s), 20000);  /* a hit: the full budget again */
	for (int i = 0; i < 5; i++)
		vtee_spin_result(&s, false);
	CHECK_EQ(s.cur_ns, 625);                /* 20000 / 32: below a microsecond, so... */
	unsigned polls = 0;
	for (int i = 0; i < 32; i++)
		polls += vtee_spin_budget(&s) == 20000;
	CHECK_EQ(polls, 2);                     /* ...only a full probe every 16 waits, else none */
	CHECK_EQ(vtee_spin_budget(&s), 0);
	vtee_spin_result(&s, true);             /* a probe that hit: polling is back */
	CHECK_EQ(vtee_spin_budget(&s), 20000);
	vtee_spin_init(&s, 0);
	polls = 0;
	for (int i = 0; i < 64; i++)
		polls += vtee_spin_budget(&s) != 0;
	CHECK_EQ(polls, 0);                     /* one CPU: never */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_spin_budget();
	test_setup();
	test_threads();
	test_processes();
	test_hangup_close();
	test_hangup_death();
	test_flow();
	test_corrupt_indices();
	test_vandal();
	return check_report();
}
