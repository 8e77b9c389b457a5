// SPDX-License-Identifier: MIT
/*
 * The shared-memory channel (chan.h; layout and rules in docs/tee-link.md,
 * "The channel").
 *
 * Each ring has four cache lines: head (the producer's position), the
 * producer's flags (wr_sleep, rd_bell), tail (the consumer's position) and
 * the consumer's flags (rd_sleep, wr_bell); the positions change with
 * every message, the flags only around sleeps, so polling a flag never
 * pulls a position's line away from its writer. head and tail count bytes
 * ever written and read (mod 2^32); the ring is a power of two, so a
 * position's offset is pos & (size - 1) and head - tail is what waits to be
 * read. An end keeps its own position privately and only publishes it: what
 * it reads back from the shared page is the peer's position, loaded once
 * per operation and checked (0 <= head - tail <= size). The writer keeps
 * the last tail it checked and looks again only when that leaves too
 * little room. Data is copied out of the ring before anyone parses it.
 *
 * Doorbell: a waiting reader polls head for a few microseconds while the
 * peer is awake (its own reader is not asleep), then says so (rd_sleep = 1),
 * looks once more and sleeps on rd_bell; a writer that published and sees
 * rd_sleep rings rd_bell (rd_sleep = 0: woken; bump; FUTEX_WAKE). rd_sleep
 * and head are stored and loaded sequentially consistent on both sides, so
 * either the reader
 * sees the new head or the writer sees rd_sleep. Waiting for room is the
 * mirror image (wr_sleep, wr_bell, tail). A close rings every bell, so a
 * sleeper can miss neither data nor a close; sleeps are bounded anyway, and
 * at each timeout the end looks at its set-up socket for the peer's death.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chan.h"
#include "iov.h"
#include "spin.h"
#include "sync.h"

#define CHAN_MAGIC       0x48435456u /* "VTCH" as little-endian bytes */
#define CHAN_VERSION     1u
#define CHAN_HDR_SIZE    4096u
#define CHAN_SPIN_NS     20000u      /* default poll before sleeping */
#define CHAN_SLEEP_MS    100u        /* default: a sleeper looks at the set-up socket this often */
#define CHAN_SEND_SLICE  4u          /* a send publishes at least every ring/4 bytes */

/* closed bits */
#define CHAN_CLOSED_A    0x1u
#define CHAN_CLOSED_B    0x2u
#define CHAN_CLOSED_SUP  0x4u        /* the supervisor (vtee_chan_hangup) */
#define CHAN_BROKEN      0x8u        /* an end found the rings corrupt */
#define CHAN_PEER_GONE   0x10u       /* an end saw the peer's set-up socket hang up */

struct chan_ring_ctl {
	uint32_t head;     /* the producer's: bytes written */
	uint8_t pad0[60];
	uint32_t wr_sleep; /* the producer's: 1 while it sleeps on wr_bell for room */
	uint32_t rd_bell;  /* the consumer sleeps on it; rung by the producer and by closers */
	uint8_t pad1[56];
	uint32_t tail;     /* the consumer's: bytes read */
	uint8_t pad2[60];
	uint32_t rd_sleep; /* the consumer's: 1 while it sleeps on rd_bell for data */
	uint32_t wr_bell;  /* the producer sleeps on it; rung by the consumer and by closers */
	uint8_t pad3[56];
};

struct chan_hdr {
	uint32_t magic;      /* CHAN_MAGIC, written by the creator */
	uint32_t version;    /* CHAN_VERSION */
	uint32_t ring_size;  /* bytes per ring */
	uint32_t hdr_size;   /* CHAN_HDR_SIZE: the rings follow */
	uint32_t closed;     /* CHAN_CLOSED_* | CHAN_BROKEN | CHAN_PEER_GONE; only ever set */
	uint32_t opened;     /* bit per side: each side maps it once */
	uint8_t pad[40];
	struct chan_ring_ctl ring[2]; /* [0]: A -> B, [1]: B -> A */
};

_Static_assert(sizeof(struct chan_ring_ctl) == 256, "chan_ring_ctl");
_Static_assert(offsetof(struct chan_ring_ctl, tail) == 128, "chan_ring_ctl.tail");
_Static_assert(offsetof(struct chan_hdr, ring) == 64, "chan_hdr.ring");
_Static_assert(sizeof(struct chan_hdr) <= CHAN_HDR_SIZE, "chan_hdr");

struct vtee_chan {
	struct chan_hdr *hdr;
	size_t map_size;
	uint32_t size, mask;         /* ring bytes, size - 1 */
	struct chan_ring_ctl *out, *in;
	uint8_t *out_data, *in_data;
	uint32_t out_head;           /* ours: what we wrote (published to out->head) */
	uint32_t out_tail;           /* the peer's tail as last loaded and checked */
	uint32_t in_tail;            /* ours: what we read (published to in->tail) */
	uint32_t my_closed_bit;
	int hup_fd;
	uint64_t spin_ns;            /* the most a wait polls */
	uint64_t yield_ns;           /* when a poll starts yielding the core */
	struct vtee_spin rd_spin;    /* the reader's polls (one reader at a time) */
	struct vtee_spin wr_spin;    /* the writer's */
	uint64_t send_timeout_ns;
	unsigned sleep_ms;
	_Atomic bool shut;           /* we closed it: our reads end at once */
	_Atomic bool broken;         /* we found it corrupt: -EPROTO */
};

static uint64_t spin_default = CHAN_SPIN_NS;

/* At load: sysconf() reads /sys, which a sandboxed process may not open later. */
__attribute__((constructor)) static void chan_spin_init(void)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) == 1)
		spin_default = 0; /* the peer cannot run while we poll */
}

#define LOAD(p)          __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define LOAD_ACQ(p)      __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)      __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

/* Cross-process futex on the shared mapping (no FUTEX_PRIVATE_FLAG). */
static int futex_wait_ms(uint32_t *w, uint32_t val, uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
	if (syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0) < 0 && errno == ETIMEDOUT)
		return -ETIMEDOUT;
	return 0; /* woken, changed (EAGAIN) or interrupted: look again */
}

/*
 * Wake whoever sleeps on bell. Clearing its sleep flag first says "woken":
 * the peer counts as awake from now on, so we poll for its answer instead
 * of going to sleep ourselves while it is only getting up.
 */
static void ring_bell(uint32_t *bell, uint32_t *sleep)
{
	STORE(sleep, 0u);
	__atomic_fetch_add(bell, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, bell, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- create, open, close ---- */

static bool ring_size_ok(uint64_t n)
{
	return n >= VTEE_CHAN_RING_MIN && n <= VTEE_CHAN_RING_MAX && !(n & (n - 1));
}

int vtee_chan_create(size_t ring_size, int *memfd)
{
	if (!ring_size)
		ring_size = VTEE_CHAN_RING_DEFAULT;
	if (!ring_size_ok(ring_size) || !memfd)
		return -EINVAL;
	int fd = memfd_create("vtee-chan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	off_t total = (off_t)CHAN_HDR_SIZE + 2 * (off_t)ring_size;
	struct chan_hdr *h = MAP_FAILED;
	int r = 0;
	if (ftruncate(fd, total) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ||
	    (h = mmap(NULL, CHAN_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		r = -errno;
	if (r) {
		close(fd);
		return r;
	}
	h->ring_size = (uint32_t)ring_size;
	h->hdr_size = CHAN_HDR_SIZE;
	h->version = CHAN_VERSION;
	STORE(&h->magic, CHAN_MAGIC);
	munmap(h, CHAN_HDR_SIZE);
	*memfd = fd;
	return 0;
}

/* The ring size a sealed channel memfd of this size holds, or 0. */
static uint32_t memfd_ring_size(int memfd, size_t *total)
{
	struct stat st;
	int seals = fcntl(memfd, F_GET_SEALS);
	/* a peer that could shrink the file could make our accesses fault; sealed seals: nobody adds more */
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) != (F_SEAL_SHRINK | F_SEAL_SEAL) || fstat(memfd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= (off_t)CHAN_HDR_SIZE)
		return 0;
	uint64_t ring = ((uint64_t)st.st_size - CHAN_HDR_SIZE) / 2;
	if (!ring_size_ok(ring) || (uint64_t)st.st_size != CHAN_HDR_SIZE + 2 * ring)
		return 0;
	*total = (size_t)st.st_size;
	return (uint32_t)ring;
}

static void set_options(struct vtee_chan *c, const struct vtee_chan_opts *o)
{
	c->spin_ns = spin_default;
	if (o && o->spin_ns)
		c->spin_ns = o->spin_ns;
	if (o && o->no_spin)
		c->spin_ns = 0;
	c->yield_ns = o && o->yield_ns ? o->yield_ns : VTEE_POLL_YIELD_NS;
	c->send_timeout_ns = o ? (uint64_t)o->send_timeout_ms * 1000000ull : 0;
	c->sleep_ms = o && o->sleep_ms ? o->sleep_ms : CHAN_SLEEP_MS;
	vtee_spin_init(&c->rd_spin, c->spin_ns);
	vtee_spin_init(&c->wr_spin, c->spin_ns);
}

int vtee_chan_open(int memfd, enum vtee_chan_side side, int hup_fd, const struct vtee_chan_opts *opts,
		   struct vtee_chan **out)
{
	size_t total = 0;
	uint32_t ring = memfd_ring_size(memfd, &total);
	if (!ring || (side != VTEE_CHAN_A && side != VTEE_CHAN_B) || !out)
		return -EINVAL;
	struct chan_hdr *h = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (h == MAP_FAILED)
		return -errno;
	/* the header's own fields, once: the file's size is what we go by */
	if (LOAD(&h->magic) != CHAN_MAGIC || LOAD(&h->version) != CHAN_VERSION || LOAD(&h->ring_size) != ring ||
	    LOAD(&h->hdr_size) != CHAN_HDR_SIZE) {
		munmap(h, total);
		return -EINVAL;
	}
	uint32_t bit = 1u << side;
	struct vtee_chan *c = calloc(1, sizeof(*c));
	if (!c || (__atomic_fetch_or(&h->opened, bit, __ATOMIC_SEQ_CST) & bit)) {
		munmap(h, total);
		free(c);
		return c ? -EBUSY : -ENOMEM;
	}
	uint8_t *base = (uint8_t *)h + CHAN_HDR_SIZE;
	*c = (struct vtee_chan){ .hdr = h, .map_size = total, .size = ring, .mask = ring - 1,
				 .out = &h->ring[side], .in = &h->ring[!side],
				 .out_data = base + (size_t)side * ring, .in_data = base + (size_t)!side * ring,
				 .my_closed_bit = side == VTEE_CHAN_A ? CHAN_CLOSED_A : CHAN_CLOSED_B,
				 .hup_fd = hup_fd };
	set_options(c, opts);
	*out = c;
	return 0;
}

static void wake_all(struct chan_hdr *h)
{
	for (int i = 0; i < 2; i++) {
		ring_bell(&h->ring[i].rd_bell, &h->ring[i].rd_sleep);
		ring_bell(&h->ring[i].wr_bell, &h->ring[i].wr_sleep);
	}
}

static void mark_closed(struct vtee_chan *c, uint32_t bits)
{
	__atomic_fetch_or(&c->hdr->closed, bits, __ATOMIC_SEQ_CST);
	wake_all(c->hdr);
}

void vtee_chan_shutdown(struct vtee_chan *c)
{
	if (!atomic_exchange(&c->shut, true))
		mark_closed(c, c->my_closed_bit);
}

void vtee_chan_close(struct vtee_chan *c)
{
	if (!c)
		return;
	vtee_chan_shutdown(c);
	munmap(c->hdr, c->map_size);
	free(c);
}

int vtee_chan_hangup(int memfd)
{
	size_t total;
	if (!memfd_ring_size(memfd, &total))
		return -EINVAL;
	struct chan_hdr *h = mmap(NULL, CHAN_HDR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (h == MAP_FAILED)
		return -errno;
	__atomic_fetch_or(&h->closed, CHAN_CLOSED_SUP, __ATOMIC_SEQ_CST);
	wake_all(h);
	munmap(h, CHAN_HDR_SIZE);
	return 0;
}

bool vtee_chan_is_closed(const struct vtee_chan *c)
{
	return atomic_load(&c->shut) || atomic_load(&c->broken) || LOAD(&c->hdr->closed);
}

/* The rings break the rules: close the channel for both ends. */
static int chan_corrupt(struct vtee_chan *c)
{
	if (!atomic_exchange(&c->broken, true))
		mark_closed(c, CHAN_BROKEN | c->my_closed_bit);
	return -EPROTO;
}

/* ---- waiting ---- */

/* The peer's reader is not asleep: it is working, or polling for our data. */
static bool peer_awake(const struct vtee_chan *c)
{
	return !LOAD(&c->out->rd_sleep);
}

/* The set-up socket says the peer is gone (died, or closed its end). */
static bool peer_hung_up(struct vtee_chan *c)
{
	if (c->hup_fd < 0)
		return false;
	struct pollfd p = { .fd = c->hup_fd, .events = POLLRDHUP };
	if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)))
		return false;
	mark_closed(c, CHAN_PEER_GONE);
	return true;
}

/* Poll *watch for a change from seen while the peer is awake, for as long as the budget s says. */
static bool spin_for(struct vtee_chan *c, struct vtee_spin *s, const uint32_t *watch, uint32_t seen)
{
	uint64_t budget = vtee_spin_budget(s);
	if (!budget || !peer_awake(c))
		return false;
	uint64_t t0 = vtee_now_ns();
	unsigned n = 0;
	do {
		for (int i = 0; i < 64; i++) {
			if (LOAD_ACQ(watch) != seen || LOAD(&c->hdr->closed)) {
				vtee_spin_result(s, true);
				return true;
			}
			vtee_poll_pause(++n, t0, c->yield_ns);
		}
	} while (peer_awake(c) && vtee_now_ns() - t0 < budget);
	if (vtee_now_ns() - t0 >= budget)
		vtee_spin_result(s, false); /* ran out (a peer that went to sleep is no verdict) */
	return false;
}

/*
 * Wait until *watch is no longer seen, or the channel closed: poll, then
 * announce (*sleep = 1) and sleep on *bell. deadline_ns: 0 for none.
 * 0 (look again), -ETIMEDOUT.
 */
static int wait_change(struct vtee_chan *c, struct vtee_spin *s, const uint32_t *watch, uint32_t seen,
		       uint32_t *sleep, uint32_t *bell, uint64_t deadline_ns)
{
	if (spin_for(c, s, watch, seen))
		return 0;
	for (;;) {
		uint32_t ring = LOAD(bell);
		STORE(sleep, 1u);
		bool idle = LOAD(watch) == seen && !vtee_chan_is_closed(c);
		int w = 0;
		if (idle) {
			uint64_t ms = c->sleep_ms;
			if (deadline_ns) {
				uint64_t now = vtee_now_ns();
				uint64_t left = deadline_ns > now ? (deadline_ns - now + 999999) / 1000000 : 0;
				ms = left < ms ? left : ms;
			}
			w = ms ? futex_wait_ms(bell, ring, ms) : -ETIMEDOUT;
		}
		STORE(sleep, 0u);
		if (!idle || LOAD(watch) != seen || vtee_chan_is_closed(c))
			return 0;
		if (w == -ETIMEDOUT && peer_hung_up(c))
			return 0;
		if (deadline_ns && vtee_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
	}
}

/* ---- reading ---- */

/* Bytes waiting in the in-ring: 0..size, or -EPROTO. */
static int64_t readable(struct vtee_chan *c)
{
	uint32_t used = LOAD_ACQ(&c->in->head) - c->in_tail;
	if (used > c->size)
		return chan_corrupt(c);
	return used;
}

static void copy_out(struct vtee_chan *c, uint8_t *dst, uint32_t n)
{
	uint32_t off = c->in_tail & c->mask, first = c->size - off < n ? c->size - off : n;
	memcpy(dst, c->in_data + off, first);
	memcpy(dst + first, c->in_data, n - first);
	c->in_tail += n;
	STORE(&c->in->tail, c->in_tail);
	if (LOAD(&c->in->wr_sleep))
		ring_bell(&c->in->wr_bell, &c->in->wr_sleep);
}

ssize_t vtee_chan_recv(struct vtee_chan *c, void *buf, size_t len, int flags)
{
	if (!len)
		return 0;
	for (;;) {
		if (atomic_load(&c->broken))
			return -EPROTO;
		if (atomic_load(&c->shut))
			return 0;
		/* closed first: if it is, head then shows everything published before the close */
		bool closed = LOAD(&c->hdr->closed) != 0;
		int64_t avail = readable(c);
		if (avail < 0)
			return (ssize_t)avail;
		if (avail) {
			uint32_t n = len < (uint64_t)avail ? (uint32_t)len : (uint32_t)avail;
			copy_out(c, buf, n);
			return n;
		}
		if (closed)
			return 0; /* everything sent before the close is read */
		if (flags & VTEE_CHAN_DONTWAIT)
			return -EAGAIN;
		wait_change(c, &c->rd_spin, &c->in->head, c->in_tail, &c->in->rd_sleep, &c->in->rd_bell, 0);
	}
}

bool vtee_chan_ready(struct vtee_chan *c)
{
	return readable(c) != 0 || vtee_chan_is_closed(c);
}

uint64_t vtee_chan_spin_ns(const struct vtee_chan *c)
{
	return c->spin_ns;
}

int vtee_chan_wait_readable(struct vtee_chan *c, int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : vtee_now_ns() + (uint64_t)timeout_ms * 1000000ull + 1;
	for (;;) {
		int64_t avail = readable(c);
		if (avail || vtee_chan_is_closed(c))
			return 1; /* a recv() now returns data, 0 or an error without blocking */
		if (wait_change(c, &c->rd_spin, &c->in->head, c->in_tail, &c->in->rd_sleep, &c->in->rd_bell,
				deadline))
			return 0;
	}
}

/* ---- writing ---- */

/* Free bytes in the out-ring, at least want if there are (loading the peer's tail only if need be): 0..size, or -EPROTO. */
static int64_t writable(struct vtee_chan *c, uint32_t want)
{
	uint32_t room = c->size - (c->out_head - c->out_tail);
	if (room >= want)
		return room;
	uint32_t tail = LOAD_ACQ(&c->out->tail), used = c->out_head - tail;
	if (used > c->size)
		return chan_corrupt(c);
	c->out_tail = tail;
	return c->size - used;
}

/* Copy up to room bytes of iov into the ring at out_head and publish them; the count. */
static uint32_t copy_in(struct vtee_chan *c, const struct iovec *iov, int n, uint32_t room)
{
	uint32_t done = 0;
	for (int i = 0; i < n && done < room; i++) {
		size_t len = iov[i].iov_len;
		uint32_t k = len < room - done ? (uint32_t)len : room - done;
		uint32_t off = (c->out_head + done) & c->mask, first = c->size - off < k ? c->size - off : k;
		memcpy(c->out_data + off, iov[i].iov_base, first);
		memcpy(c->out_data, (const uint8_t *)iov[i].iov_base + first, k - first);
		done += k;
	}
	c->out_head += done;
	STORE(&c->out->head, c->out_head);
	if (LOAD(&c->out->rd_sleep))
		ring_bell(&c->out->rd_bell, &c->out->rd_sleep);
	return done;
}

ssize_t vtee_chan_send(struct vtee_chan *c, const struct iovec *iov, int n, int flags)
{
	uint64_t want = 0;
	for (int i = 0; i < n; i++)
		want += iov[i].iov_len;
	if (!want)
		return 0;
	/*
	 * A big message goes in slices, so the reader starts on it while we copy
	 * the rest; and waits for a slice's room rather than trickling.
	 */
	uint32_t slice = c->size / CHAN_SEND_SLICE;
	uint32_t goal = want < slice ? (uint32_t)want : slice;
	uint64_t deadline = 0;
	for (;;) {
		if (atomic_load(&c->broken))
			return -EPROTO;
		if (vtee_chan_is_closed(c))
			return -EPIPE;
		int64_t room = writable(c, goal);
		if (room < 0)
			return (ssize_t)room;
		if (room >= goal || (room && (flags & VTEE_CHAN_DONTWAIT)))
			return copy_in(c, iov, n, room < goal ? (uint32_t)room : goal);
		if (flags & VTEE_CHAN_DONTWAIT)
			return -EAGAIN;
		if (!deadline && c->send_timeout_ns)
			deadline = vtee_now_ns() + c->send_timeout_ns; /* the clock only once we wait */
		uint32_t tail_seen = c->out_tail;
		int r = wait_change(c, &c->wr_spin, &c->out->tail, tail_seen, &c->out->wr_sleep, &c->out->wr_bell,
				    deadline);
		if (r)
			return r;
	}
}

int vtee_chan_writev_all(struct vtee_chan *c, struct iovec *iov, int n)
{
	vtee_iov_advance(&iov, &n, 0);
	while (n > 0) {
		ssize_t k = vtee_chan_send(c, iov, n, 0);
		if (k < 0)
			return (int)k;
		vtee_iov_advance(&iov, &n, (size_t)k);
	}
	return 0;
}
