// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the channel's rings (lib/util/chan.c) against a hostile
 * peer. One input = one channel's life: end A is the end under test, end B
 * an honest peer, and the input also writes the shared memory directly, as
 * a compromised peer process could (indices, bells, sleep flags, the
 * closed word, header fields, ring bytes). Every call is non-blocking. A
 * crash, a read outside the mapping, a recv() returning more than asked, a
 * broken ring that does not stay closed, a closed channel whose recv()
 * would block, or, while the input has not touched the memory yet, a byte
 * that arrives other than it was sent, fails the run.
 *
 * Input format (reads past the end give 0): op byte, then by op % 8:
 *   0 POKE      u16 word index into the header page (4-byte words), u32 value
 *   1 SCRIBBLE  u8 ring (0/1), u16 offset, u8 len, len bytes into that ring's data
 *   2 A_RECV    u16 len: recv on A (also through a struct tl_rbuf, by the len's low bit)
 *   3 A_SEND    u16 len: send on A (one to three pieces)
 *   4 B_SEND    u16 len: send on B
 *   5 B_RECV    u16 len: recv on B
 *   6 LOOK      vtee_chan_ready(), is_closed() on A
 *   7 CLOSE     u8 who: 0 A shuts down, 1 B shuts down, 2 the supervisor hangs up
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chan.h"
#include "link_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RING     4096u
#define HDR      4096u
#define MAX_OPS  256
#define BUF      (3 * RING)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct input *in, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		uint8_t b = in->n ? *in->p++ : 0;
		if (in->n)
			in->n--;
		v |= (uint32_t)b << (8 * i);
	}
	return v;
}

struct world {
	int memfd;
	uint8_t *map;           /* the hostile view: header and both rings */
	struct vtee_chan *a, *b;
	struct tl_rbuf *rb;     /* A read through the link protocol's buffered reader */
	bool clean;             /* nothing written into the shared memory behind the ends' backs */
	uint64_t sent[2], got[2]; /* stream bytes sent by A, B; received by B, A */
	uint8_t buf[BUF];
};

static uint8_t stream_byte(int from, uint64_t i)
{
	return (uint8_t)(i * 131 + 7 + (unsigned)from * 59);
}

/* Bytes n received from `from`'s stream: while the memory is clean, exactly what was sent, in order. */
static void received(struct world *w, int from, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n && w->clean; i++)
		if (b[i] != stream_byte(from, w->got[from] + i))
			abort();
	w->got[from] += n;
	if (w->clean && w->got[from] > w->sent[from])
		abort();
}

/* A's recv: never more than asked; once it reports a broken ring, the channel stays closed. */
static void a_recv(struct world *w, size_t len)
{
	len = len % BUF + 1;
	ssize_t k;
	if (len & 1) {
		k = vtee_chan_recv(w->a, w->buf, len, VTEE_CHAN_DONTWAIT);
		if (k > (ssize_t)len)
			abort();
	} else {
		k = tl_rb_fill(w->rb, MSG_DONTWAIT);
		if (k > (ssize_t)TL_RBUF_SIZE)
			abort();
		if (k > 0) {
			k = (ssize_t)tl_rb_avail(w->rb);
			tl_rb_take(w->rb, w->buf, (size_t)k);
		}
	}
	if (k > 0)
		received(w, 1, w->buf, (size_t)k);
	if (k == -EPROTO && !vtee_chan_is_closed(w->a))
		abort();
}

static void send_on(struct world *w, int from, size_t len)
{
	struct vtee_chan *c = from ? w->b : w->a;
	len %= BUF;
	for (size_t i = 0; i < len; i++)
		w->buf[i] = stream_byte(from, w->sent[from] + i);
	uint8_t *b = w->buf;
	struct iovec iov[3] = { { b, len / 3 }, { b + len / 3, len / 3 }, { b + 2 * (len / 3), len - 2 * (len / 3) } };
	ssize_t k = vtee_chan_send(c, iov, 3, VTEE_CHAN_DONTWAIT);
	if (k > (ssize_t)len)
		abort();
	if (k > 0)
		w->sent[from] += (uint64_t)k;
}

static void run_op(struct world *w, struct input *in)
{
	switch (take(in, 1) % 8) {
	case 0: {
		uint32_t word = take(in, 2) % (HDR / 4), v = take(in, 4);
		__atomic_store_n((uint32_t *)w->map + word, v, __ATOMIC_SEQ_CST);
		w->clean = false;
		break;
	}
	case 1: {
		uint32_t ring = take(in, 1) & 1, off = take(in, 2) % RING, len = take(in, 1);
		for (uint32_t i = 0; i < len; i++)
			w->map[HDR + ring * RING + (off + i) % RING] = (uint8_t)take(in, 1);
		w->clean = w->clean && !len;
		break;
	}
	case 2:
		a_recv(w, take(in, 2));
		break;
	case 3:
		send_on(w, 0, take(in, 2));
		break;
	case 4:
		send_on(w, 1, take(in, 2));
		break;
	case 5: {
		size_t len = take(in, 2) % BUF + 1;
		ssize_t k = vtee_chan_recv(w->b, w->buf, len, VTEE_CHAN_DONTWAIT);
		if (k > (ssize_t)len)
			abort();
		if (k > 0)
			received(w, 0, w->buf, (size_t)k);
		break;
	}
	case 6:
		/* a closed channel never blocks a reader */
		if (vtee_chan_is_closed(w->a) && !vtee_chan_ready(w->a))
			abort();
		break;
	default: {
		uint32_t who = take(in, 1) % 3;
		if (who == 0)
			vtee_chan_shutdown(w->a);
		else if (who == 1)
			vtee_chan_shutdown(w->b);
		else
			vtee_chan_hangup(w->memfd);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	struct input in = { data, size };
	const struct vtee_chan_opts o = { .no_spin = true };
	if (vtee_chan_create(RING, &w.memfd))
		abort();
	w.map = mmap(NULL, HDR + 2 * RING, PROT_READ | PROT_WRITE, MAP_SHARED, w.memfd, 0);
	w.rb = calloc(1, sizeof(*w.rb));
	if (w.map == MAP_FAILED || !w.rb || vtee_chan_open(w.memfd, VTEE_CHAN_A, -1, &o, &w.a) ||
	    vtee_chan_open(w.memfd, VTEE_CHAN_B, -1, &o, &w.b))
		abort();
	w.rb->fd = -1;
	w.rb->chan = w.a;
	w.clean = true;
	memset(w.sent, 0, sizeof(w.sent));
	memset(w.got, 0, sizeof(w.got));
	for (int i = 0; i < MAX_OPS && in.n; i++)
		run_op(&w, &in);
	vtee_chan_close(w.a);
	vtee_chan_close(w.b);
	free(w.rb);
	munmap(w.map, HDR + 2 * RING);
	close(w.memfd);
	return 0;
}
