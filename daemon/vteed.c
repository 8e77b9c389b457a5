// SPDX-License-Identifier: MIT
/*
 * vteed: one mediator process per VM. It receives the VM's RAM fds and an SMC
 * mailbox from its VMM (docs/vteed-protocol.md), maps only those, and serves
 * the VM's TEE calls with libvtee, one server thread per vCPU slot.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "vtee/vtee.h"
#include "vteed_futex.h"
#include "vteed_proto.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define SRV_SPIN_NS     20000u /* a server polls req_seq this long after its last request, then sleeps */
#define SRV_SLEEP_MS    100u  /* a sleeping server re-checks for stop this often */
#define HELLO_TIMEOUT_S 10

static char vm_label[VTEED_NAME_MAX + 8] = "?";
static bool opt_echo;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vteed[%s]: %s\n", vm_label, buf);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vteed (--socket PATH | --fd N) [--echo] [--help]\n"
		"\n"
		"Serve one virtual machine's TEE (OP-TEE SMC ABI) for one VMM, out of the VMM's\n"
		"process. The VMM describes the VM in a HELLO message (docs/vteed-protocol.md)\n"
		"and passes the VM's RAM fds and an SMC mailbox memfd; vteed maps only those.\n"
		"\n"
		"  --socket PATH  listen on a Unix stream socket at PATH (created; must not\n"
		"                 exist), accept exactly one VMM connection, then remove PATH\n"
		"  --fd N         use the already-connected Unix stream socket N (how a VMM\n"
		"                 supervisor spawns vteed; see vteed_spawn() in the client library)\n"
		"  --echo         debug/benchmark: answer every SMC with its own registers,\n"
		"                 without a TEE (measures the bare mailbox round trip)\n"
		"  --help         this text\n"
		"\n"
		"vteed exits when its VMM says GOODBYE or disconnects (status 0), on SIGTERM or\n"
		"SIGINT after telling the VMM STOP (status 0), and with status 2 when the handshake\n"
		"fails (the VMM gets an ERROR reply with an errno and a message first) or 1 on\n"
		"other errors. Logs go to stderr, each line prefixed with the VM's name.\n");
}

/* ---- socket I/O ---------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void send_reply(int sock, uint16_t type, int err, uint32_t nslots, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void send_reply(int sock, uint16_t type, int err, uint32_t nslots, const char *fmt, ...)
{
	struct vteed_reply r;
	memset(&r, 0, sizeof(r));
	r.hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, VTEED_VERSION, type, sizeof(r), 0 };
	r.error = err;
	r.version_min = r.version_max = VTEED_VERSION;
	r.nslots = nslots;
	r.pid = (uint32_t)getpid();
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.message, sizeof(r.message), fmt, ap);
	va_end(ap);
	if (type == VTEED_MSG_ERROR)
		logmsg("handshake refused: %s (%s)", r.message, strerror(err));
	write_all(sock, &r, sizeof(r));
}

static void send_hdr(int sock, uint16_t type)
{
	struct vteed_msg_hdr h = { VTEED_MAGIC, VTEED_VERSION, type, sizeof(h), 0 };
	write_all(sock, &h, sizeof(h));
}

/* ---- the VM -------------------------------------------------------------- */

struct ram {
	int fd;
	void *hva;
	struct vteed_region r;
};

struct server {
	struct vteed_slot *slot;
	uint32_t seen; /* last req_seq served; read before WELCOME, so no request can be missed */
	pthread_t thread;
	bool started;
};

static struct {
	struct vteed_hello hello;
	struct ram ram[VTEED_MAX_REGIONS];
	unsigned nram;
	int mb_fd;
	struct vteed_mailbox *mb;
	struct vtee_tee *tee;
	struct vtee_vm *vm;
	struct server srv[VTEED_MAX_SLOTS];
	_Atomic bool stop;
} d = { .mb_fd = -1 };

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *serve_slot(void *arg)
{
	struct server *s = arg;
	struct vteed_slot *sl = s->slot;
	uint32_t seen = s->seen;
	while (!atomic_load(&d.stop)) {
		uint32_t seq = VTEED_LOAD(&sl->req_seq);
		if (seq == seen) {
			uint64_t t0 = now_ns();
			for (unsigned i = 1; seq == seen; i++) {
				vteed_cpu_relax();
				seq = VTEED_LOAD(&sl->req_seq);
				if (!(i & 31) && now_ns() - t0 > SRV_SPIN_NS)
					break;
			}
		}
		if (seq == seen) {
			VTEED_STORE(&sl->srv_waiting, 1u);
			if (VTEED_LOAD(&sl->req_seq) == seen && !atomic_load(&d.stop))
				vteed_futex_wait(&sl->req_seq, seen, SRV_SLEEP_MS);
			VTEED_STORE(&sl->srv_waiting, 0u);
			continue;
		}
		seen = seq;
		uint64_t regs[8];
		for (unsigned i = 0; i < 8; i++)
			regs[i] = __atomic_load_n(&sl->regs[i], __ATOMIC_RELAXED);
		if (!opt_echo)
			vtee_vm_smc(d.vm, regs);
		for (unsigned i = 0; i < 8; i++)
			__atomic_store_n(&sl->regs[i], regs[i], __ATOMIC_RELAXED);
		VTEED_STORE(&sl->rsp_seq, seq);
		if (VTEED_LOAD(&sl->cli_waiting))
			vteed_futex_wake(&sl->rsp_seq);
	}
	return NULL;
}

static bool aligned(uint64_t v)
{
	return (v % VTEED_PAGE) == 0;
}

/* memfd or tmpfs file (shmem: F_GET_SEALS works) or hugetlbfs file. */
static bool is_shared_memory_fd(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))
		return false;
	if (fcntl(fd, F_GET_SEALS) >= 0)
		return true;
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && (unsigned long)sf.f_type == (unsigned long)HUGETLBFS_MAGIC;
}

/* Validate HELLO and its fds, then build the VM. Returns 0 or a positive errno with *why set. */
static int setup(const struct vteed_hello *h, const int *fds, unsigned nfds, char *why, size_t whylen)
{
#define FAIL(e, ...) do { snprintf(why, whylen, __VA_ARGS__); return (e); } while (0)
	if (h->hdr.magic != VTEED_MAGIC)
		FAIL(EPROTO, "bad magic %#x", h->hdr.magic);
	if (h->hdr.version != VTEED_VERSION)
		FAIL(EPROTONOSUPPORT, "version %u not supported (this vteed speaks %u..%u)", h->hdr.version,
		     VTEED_VERSION, VTEED_VERSION);
	if (h->hdr.type != VTEED_MSG_HELLO)
		FAIL(EPROTO, "expected HELLO, got message type %u", h->hdr.type);
	if (h->hdr.size != sizeof(*h))
		FAIL(EPROTO, "HELLO size %u, expected %zu", h->hdr.size, sizeof(*h));
	if (h->hdr.reserved || h->reserved0 || h->reserved1)
		FAIL(EINVAL, "reserved fields not zero");
	if (h->vm_id == 0)
		FAIL(EINVAL, "vm_id 0");
	if (h->flags & ~VTEED_HELLO_FLAGS)
		FAIL(EINVAL, "unknown flags %#x", h->flags & ~VTEED_HELLO_FLAGS);
	size_t nl = strnlen(h->name, sizeof(h->name));
	if (nl == 0 || nl == sizeof(h->name))
		FAIL(EINVAL, "name empty or not NUL-terminated within %u bytes", VTEED_NAME_MAX);
	for (size_t i = 0; i < nl; i++)
		if (!isgraph((unsigned char)h->name[i]) && h->name[i] != ' ')
			FAIL(EINVAL, "name has a non-printable byte at %zu", i);
	snprintf(vm_label, sizeof(vm_label), "%s", h->name);
	size_t bl = strnlen(h->backend, sizeof(h->backend));
	if (bl == sizeof(h->backend))
		FAIL(EINVAL, "backend name not NUL-terminated");
	const char *backend = bl ? h->backend : "soft";
	bool known = false;
	for (const char *const *n = vtee_backend_names(); *n; n++)
		known |= strcmp(*n, backend) == 0;
	if (!known)
		FAIL(ENOENT, "unknown back-end \"%s\"", backend);
	if (h->nslots == 0 || h->nslots > VTEED_MAX_SLOTS)
		FAIL(EINVAL, "nslots %u not in 1..%u", h->nslots, VTEED_MAX_SLOTS);
	if (h->nregions == 0 || h->nregions > VTEED_MAX_REGIONS)
		FAIL(E2BIG, "nregions %u not in 1..%u", h->nregions, VTEED_MAX_REGIONS);
	if (h->max_calls > VTEE_LIMIT_MAX_CALLS || h->max_sessions > VTEE_LIMIT_MAX_SESSIONS ||
	    h->max_shm > VTEE_LIMIT_MAX_SHM || h->max_shm_pages > VTEE_LIMIT_MAX_SHM_PAGES)
		FAIL(EINVAL, "quota above vtee's hard limits");
	if (h->slice_us > 1000000u)
		FAIL(EINVAL, "slice_us %u above 1 s", h->slice_us);
	if (nfds != h->nregions + 1)
		FAIL(EBADF, "got %u fds, expected %u (RAM regions + mailbox)", nfds, h->nregions + 1);
	for (unsigned i = h->nregions; i < VTEED_MAX_REGIONS; i++) {
		const struct vteed_region *r = &h->regions[i];
		if (r->gpa || r->size || r->fd_offset)
			FAIL(EINVAL, "unused region %u not zero", i);
	}
	for (unsigned i = 0; i < h->nregions; i++) {
		const struct vteed_region *r = &h->regions[i];
		if (!r->size || !aligned(r->gpa) || !aligned(r->size) || !aligned(r->fd_offset))
			FAIL(EINVAL, "region %u: gpa/size/fd_offset not 4 KiB aligned or size 0", i);
		if (r->gpa + r->size < r->gpa || r->fd_offset + r->size < r->fd_offset ||
		    r->fd_offset + r->size > (uint64_t)INT64_MAX || r->size > SIZE_MAX)
			FAIL(EINVAL, "region %u wraps around", i);
		for (unsigned j = 0; j < i; j++) {
			const struct vteed_region *o = &h->regions[j];
			if (r->gpa < o->gpa + o->size && o->gpa < r->gpa + r->size)
				FAIL(EINVAL, "region %u [%#llx, +%#llx) overlaps region %u", i,
				     (unsigned long long)r->gpa, (unsigned long long)r->size, j);
		}
		struct stat st;
		if (!is_shared_memory_fd(fds[i], &st))
			FAIL(EBADF, "region %u: fd is not a memfd, tmpfs or hugetlbfs file", i);
		if ((uint64_t)st.st_size < r->fd_offset + r->size)
			FAIL(EINVAL, "region %u: file is %lld bytes, region needs %llu", i, (long long)st.st_size,
			     (unsigned long long)(r->fd_offset + r->size));
	}
	struct stat st;
	int mfd = fds[h->nregions];
	if (fstat(mfd, &st) < 0 || !S_ISREG(st.st_mode))
		FAIL(EBADF, "mailbox fd is not a regular file");
	int seals = fcntl(mfd, F_GET_SEALS);
	if (seals < 0)
		FAIL(EBADF, "mailbox fd is not a memfd");
	if (!(seals & F_SEAL_SHRINK))
		FAIL(EPERM, "mailbox memfd not sealed against shrinking (F_SEAL_SHRINK)");
	if ((uint64_t)st.st_size < VTEED_MAILBOX_SIZE)
		FAIL(EINVAL, "mailbox is %lld bytes, needs %u", (long long)st.st_size, VTEED_MAILBOX_SIZE);

	/* map */
	d.mb = mmap(NULL, VTEED_MAILBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (d.mb == MAP_FAILED) {
		d.mb = NULL;
		FAIL(errno, "mmap mailbox: %s", strerror(errno));
	}
	d.mb_fd = mfd;
	if (d.mb->magic != VTEED_MB_MAGIC || d.mb->version != VTEED_VERSION || d.mb->nslots != h->nslots ||
	    d.mb->slot_size != sizeof(struct vteed_slot))
		FAIL(EINVAL, "mailbox header does not match HELLO");
	for (unsigned i = 0; i < h->nregions; i++) {
		struct ram *m = &d.ram[i];
		m->r = h->regions[i];
		m->fd = fds[i];
		m->hva = mmap(NULL, (size_t)m->r.size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
			      (off_t)m->r.fd_offset);
		if (m->hva == MAP_FAILED) {
			m->hva = NULL;
			FAIL(errno, "mmap region %u: %s", i, strerror(errno));
		}
		d.nram = i + 1;
	}

	/* TEE + VM */
	int err = vtee_tee_open(backend, NULL, &d.tee);
	if (err)
		FAIL(-err, "vtee_tee_open(%s): %s", backend, strerror(-err));
	struct vtee_vm_config vc = {
		.vm_id = h->vm_id, .name = h->name, .slice_us = h->slice_us,
		.no_rpc_arg = (h->flags & VTEED_HELLO_NO_RPC_ARG) != 0,
		.quota = { .max_calls = h->max_calls, .max_sessions = h->max_sessions, .max_shm = h->max_shm,
			   .max_shm_pages = h->max_shm_pages },
	};
	err = vtee_vm_create(d.tee, &vc, &d.vm);
	if (err)
		FAIL(-err, "vtee_vm_create: %s", strerror(-err));
	for (unsigned i = 0; i < d.nram; i++) {
		err = vtee_vm_add_ram(d.vm, d.ram[i].r.gpa, d.ram[i].r.size, d.ram[i].hva, d.ram[i].fd,
				      d.ram[i].r.fd_offset);
		if (err)
			FAIL(-err, "vtee_vm_add_ram(region %u): %s", i, strerror(-err));
	}
	for (unsigned i = 0; i < h->nslots; i++) {
		d.srv[i].slot = &d.mb->slot[i];
		d.srv[i].seen = VTEED_LOAD(&d.mb->slot[i].req_seq);
		err = pthread_create(&d.srv[i].thread, NULL, serve_slot, &d.srv[i]);
		if (err)
			FAIL(err, "pthread_create: %s", strerror(err));
		d.srv[i].started = true;
	}
	return 0;
#undef FAIL
}

static void teardown(void)
{
	atomic_store(&d.stop, true);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		if (d.srv[i].started)
			vteed_futex_wake(&d.srv[i].slot->req_seq);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		if (d.srv[i].started) {
			pthread_join(d.srv[i].thread, NULL);
			d.srv[i].started = false;
		}
	if (d.vm) {
		struct vtee_vm_stats st;
		vtee_vm_get_stats(d.vm, &st);
		logmsg("VM %u done: %llu SMCs, %u sessions and %u shm buffers left open", d.hello.vm_id,
		       (unsigned long long)st.smc_count, st.sessions, st.shm_buffers);
		vtee_vm_destroy(d.vm);
		d.vm = NULL;
	}
	if (d.tee) {
		vtee_tee_close(d.tee);
		d.tee = NULL;
	}
	for (unsigned i = 0; i < d.nram; i++)
		munmap(d.ram[i].hva, (size_t)d.ram[i].r.size);
	d.nram = 0;
	if (d.mb)
		munmap(d.mb, VTEED_MAILBOX_SIZE);
	d.mb = NULL;
}

/* Receive HELLO (and its fds). Returns bytes received (< sizeof = truncated) or -errno. */
static ssize_t recv_hello(int sock, struct vteed_hello *h, int *fds, unsigned *nfds, bool *ctrunc)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (VTEED_MAX_REGIONS + 1))];
		struct cmsghdr align;
	} cm;
	size_t got = 0;
	*nfds = 0;
	*ctrunc = false;
	while (got < sizeof(*h)) {
		struct iovec iov = { (uint8_t *)h + got, sizeof(*h) - got };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (got == 0) {
			msg.msg_control = cm.buf;
			msg.msg_controllen = sizeof(cm.buf);
		}
		ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0) {
			if (msg.msg_flags & MSG_CTRUNC)
				*ctrunc = true;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
					continue;
				unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				/* the kernel may fit more fds than asked for into the aligned space: keep the
				 * first VTEED_MAX_REGIONS + 1, close the rest, and fail the handshake */
				for (unsigned i = 0; i < k; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					if (*nfds < VTEED_MAX_REGIONS + 1) {
						fds[(*nfds)++] = fd;
					} else {
						close(fd);
						*ctrunc = true;
					}
				}
			}
		}
		if (n == 0)
			break;
		got += (size_t)n;
		/* An early header tells us about a wrong magic or version without waiting for the rest. */
		if (got >= sizeof(h->hdr) && (h->hdr.magic != VTEED_MAGIC || h->hdr.version != VTEED_VERSION ||
					      h->hdr.size != sizeof(*h)))
			return (ssize_t)got;
	}
	return (ssize_t)got;
}

static int listen_accept(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		logmsg("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		logmsg("bind/listen %s: %s", path, strerror(errno));
		close(ls);
		return -1;
	}
	int s;
	do
		s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	while (s < 0 && errno == EINTR);
	if (s < 0)
		logmsg("accept: %s", strerror(errno));
	close(ls);
	unlink(path);
	return s;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "echo", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int sock = -1, c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'f': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > INT_MAX) {
				fprintf(stderr, "vteed: bad --fd %s\n", optarg);
				return 1;
			}
			sock = (int)v;
			break;
		}
		case 'e':
			opt_echo = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc || (path != NULL) == (sock >= 0)) {
		usage(stderr);
		return 1;
	}
	if (sock >= 0) {
		int type;
		socklen_t tl = sizeof(type);
		if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM) {
			logmsg("--fd %d is not a stream socket", sock);
			return 1;
		}
		fcntl(sock, F_SETFD, FD_CLOEXEC);
	} else {
		sock = listen_accept(path);
		if (sock < 0)
			return 1;
	}

	/* Hold nothing the spawner leaked: only stdio and the control socket (then what HELLO brings). */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);

	/* SIGTERM/SIGINT through a signalfd, so the main loop can tell the VMM STOP. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC);

	struct timeval tv = { .tv_sec = HELLO_TIMEOUT_S };
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int fds[VTEED_MAX_REGIONS + 1];
	unsigned nfds = 0;
	bool ctrunc = false;
	memset(&d.hello, 0, sizeof(d.hello));
	ssize_t got = recv_hello(sock, &d.hello, fds, &nfds, &ctrunc);
	char why[VTEED_MSG_MAX];
	int err;
	if (got < 0) {
		err = (int)-got;
		snprintf(why, sizeof(why), "receiving HELLO: %s", strerror(err));
	} else if (ctrunc) {
		err = EBADF;
		snprintf(why, sizeof(why), "too many fds with HELLO (at most %u)", VTEED_MAX_REGIONS + 1);
	} else if ((size_t)got < sizeof(d.hello.hdr)) {
		err = EPROTO;
		snprintf(why, sizeof(why), "truncated HELLO (%zd bytes)", got);
	} else if ((size_t)got < sizeof(d.hello) && d.hello.hdr.magic == VTEED_MAGIC &&
		   d.hello.hdr.version == VTEED_VERSION && d.hello.hdr.size == sizeof(d.hello)) {
		err = EPROTO;
		snprintf(why, sizeof(why), "truncated HELLO (%zd of %zu bytes)", got, sizeof(d.hello));
	} else {
		err = setup(&d.hello, fds, nfds, why, sizeof(why));
	}
	if (err) {
		send_reply(sock, VTEED_MSG_ERROR, err, 0, "%s", why);
		teardown();
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		close(sock);
		return 2;
	}
	tv.tv_sec = 0;
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	send_reply(sock, VTEED_MSG_WELCOME, 0, d.hello.nslots, "vteed %u serving VM %u", VTEED_VERSION,
		   d.hello.vm_id);
	logmsg("serving VM %u: %u vCPU slots, %u RAM regions%s", d.hello.vm_id, d.hello.nslots, d.nram,
	       opt_echo ? " (echo mode)" : "");

	/* Control loop: GOODBYE, EOF, or a signal ends it. */
	int rc = 0;
	bool goodbye = false, stop_sig = false;
	for (;;) {
		struct pollfd pf[2] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(pf, sfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (sfd >= 0 && (pf[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				logmsg("signal %u: stopping", si.ssi_signo);
			stop_sig = true;
			break;
		}
		if (!pf[0].revents)
			continue;
		struct vteed_msg_hdr mh;
		ssize_t n = recv(sock, &mh, sizeof(mh), MSG_WAITALL);
		if (n == 0) {
			logmsg("VMM disconnected");
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(mh)) {
			logmsg("control socket: %s", n < 0 ? strerror(errno) : "truncated message");
			rc = 1;
			break;
		}
		if (mh.magic != VTEED_MAGIC || mh.version != VTEED_VERSION || mh.size != sizeof(mh)) {
			logmsg("bad control message (magic %#x version %u size %u): disconnecting", mh.magic,
			       mh.version, mh.size);
			rc = 1;
			break;
		}
		if (mh.type == VTEED_MSG_GOODBYE) {
			logmsg("GOODBYE");
			goodbye = true;
			break;
		}
		logmsg("unknown control message type %u ignored", mh.type);
	}
	if (stop_sig)
		send_hdr(sock, VTEED_MSG_STOP);
	teardown();
	if (goodbye)
		send_hdr(sock, VTEED_MSG_BYE);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	close(sock);
	if (sfd >= 0)
		close(sfd);
	logmsg("exit %d", rc);
	return rc;
}
