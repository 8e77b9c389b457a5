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

#include "log.h"
#include "policy.h"
#include "status.h"
#include "vtee/vtee.h"
#include "vteed_futex.h"
#include "vteed_proto.h"
#include "sandbox.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define SRV_SPIN_NS     20000u /* a server polls req_seq this long after its last request, then sleeps */
#define SRV_SLEEP_MS    100u  /* a sleeping server re-checks for stop this often */
#define HELLO_TIMEOUT_S 10

static char vm_label[VTEED_NAME_MAX + 8] = "?";
static struct vteed_policy policy; /* read-only once the sandbox is on */
static uint64_t start_ns;
static bool opt_echo;
/* The version the VMM's HELLO asked for, once accepted; replies before that carry the newest. */
static uint16_t proto_version = VTEED_VERSION;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vteed_log(VLOG_INFO, "%s", buf);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vteed (--socket PATH | --fd N) [--policy FILE] [--log stderr|syslog]\n"
		"             [--user NAME] [--no-sandbox] [--no-status] [--echo] [--help]\n"
		"\n"
		"Serve one virtual machine's TEE (OP-TEE SMC ABI) for one VMM, out of the VMM's\n"
		"process. The VMM describes the VM in a HELLO message (docs/vteed-protocol.md)\n"
		"and passes the VM's RAM fds and an SMC mailbox memfd; vteed maps only those.\n"
		"\n"
		"  --socket PATH  listen on a Unix stream socket at PATH (created; must not\n"
		"                 exist), accept exactly one VMM connection, then remove PATH\n"
		"  --fd N         use the already-connected Unix stream socket N (how a VMM\n"
		"                 supervisor spawns vteed; see vteed_spawn() in the client library)\n"
		"  --policy FILE  the VM's policy (docs/policy.md): back-end, which TAs it may\n"
		"                 open, quotas (the stricter of the policy and the VMM's HELLO\n"
		"                 wins), time slice, logging. Read once, before the sandbox\n"
		"  --log TARGET   stderr (default) or syslog (/dev/log: journald or rsyslog);\n"
		"                 overrides the policy's [log] target\n"
		"  --no-status    no status socket (by default vteed answers `vtee status` on\n"
		"                 the abstract socket @vtee-status/PID, for its user and root)\n"
		"  --user NAME    run as NAME, or UID:GID (started as root: default \"nobody\"; root is\n"
		"                 refused). Not root: only the current user is accepted\n"
		"  --no-sandbox   UNSAFE, for debugging only: no seccomp filter. By default,\n"
		"                 once its control socket is set up, vteed may use only the\n"
		"                 system calls it needs (no files, no new processes or sockets;\n"
		"                 anything else kills it with SIGSYS; docs/threat-model.md)\n"
		"  --echo         debug/benchmark: answer every SMC with its own registers,\n"
		"                 without a TEE (measures the bare mailbox round trip)\n"
		"  --help         this text\n"
		"\n"
		"vteed exits when its VMM says GOODBYE or disconnects (status 0), on SIGTERM or\n"
		"SIGINT after telling the VMM STOP (status 0), and with status 2 when the handshake\n"
		"fails (the VMM gets an ERROR reply with an errno and a message first) or --user\n"
		"or the sandbox or the policy cannot be set up, 1 on other errors. Every log line\n"
		"carries the VM's name; denied OPEN_SESSIONs are logged (policy [log] denials).\n"
		"A supervisor (vteed_start() in the client library) restarts a vteed that dies;\n"
		"the guest keeps its sessions (docs/recovery.md).\n");
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
	r.hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, proto_version, type, sizeof(r), 0 };
	r.error = err;
	r.version_min = VTEED_VERSION_MIN;
	r.version_max = VTEED_VERSION;
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
	struct vteed_msg_hdr h = { VTEED_MAGIC, proto_version, type, sizeof(h), 0 };
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
	char backend[VTEED_BACKEND_MAX];
	struct vtee_quota quota; /* as asked for (0 = libvtee's default) */
	void *jn;
	size_t jn_size;
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
		/* the tag lets a successor tell whether this SMC's answer reached the guest */
		uint64_t tag = ((uint64_t)(s - d.srv) << 32) | seq;
		if (opt_echo)
			;
		else if (seq == VTEED_LOAD(&sl->lost_seq))
			vtee_vm_smc_replay(d.vm, regs, tag); /* the previous vteed died serving it */
		else
			vtee_vm_smc_tagged(d.vm, regs, tag);
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

/*
 * Restore: an entry made by an SMC whose answer never reached the guest is
 * rolled back: the request the previous vteed died serving (the VMM marked
 * it lost_seq; it is replayed) or one still pending in the mailbox.
 */
static bool delivered(void *ctx, uint64_t tag)
{
	struct vteed_mailbox *mb = ctx;
	uint32_t slot = (uint32_t)(tag >> 32), seq = (uint32_t)tag;
	if (slot >= d.hello.nslots)
		return false; /* not a tag this protocol makes: do not trust the entry */
	struct vteed_slot *sl = &mb->slot[slot];
	uint32_t lost = VTEED_LOAD(&sl->lost_seq), req = VTEED_LOAD(&sl->req_seq);
	if (lost && seq == lost)
		return false;
	return !(req != VTEED_LOAD(&sl->rsp_seq) && seq == req);
}

/* 0 means "default" on both sides. */
static uint64_t stricter(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static void log_denied(void *ctx, const struct vtee_uuid *ta)
{
	(void)ctx;
	char u[VTEED_UUID_STRLEN];
	vteed_uuid_format(ta, u);
	vteed_log(VLOG_WARNING, "policy: OPEN_SESSION of TA %s denied (TEE_ERROR_ACCESS_DENIED)", u);
}

static void fill_status(struct vteed_status *st)
{
	memset(st, 0, sizeof(*st));
	st->hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_STATUS_REPLY, sizeof(*st), 0 };
	st->vm_id = d.hello.vm_id;
	st->pid = (uint32_t)getpid();
	st->epoch = d.hello.epoch;
	st->nslots = d.hello.nslots;
	snprintf(st->name, sizeof(st->name), "%s", d.hello.name);
	snprintf(st->backend, sizeof(st->backend), "%s", d.backend);
	st->tee_sessions = -1;
	st->uptime_ms = (now_ns() - start_ns) / 1000000u;
	if (!d.vm)
		return;
	struct vtee_vm_stats vs;
	vtee_vm_get_stats(d.vm, &vs);
	st->sessions = vs.sessions;
	st->shm_buffers = vs.shm_buffers;
	st->shm_pages = vs.shm_pages;
	st->calls = vs.calls;
	st->tee_sessions = vs.tee_sessions < 0 || vs.tee_sessions > INT32_MAX ? -1 : (int32_t)vs.tee_sessions;
	st->smc_count = vs.smc_count;
	st->quota_denials = vs.quota_denials;
	st->access_denials = vs.access_denials;
	st->bad_requests = vs.bad_requests;
	st->foreign_intr = vs.foreign_intr;
	st->max_calls = d.quota.max_calls ? d.quota.max_calls : VTEE_DEFAULT_MAX_CALLS;
	st->max_sessions = d.quota.max_sessions ? d.quota.max_sessions : VTEE_DEFAULT_MAX_SESSIONS;
	st->max_shm = d.quota.max_shm ? d.quota.max_shm : VTEE_DEFAULT_MAX_SHM;
	st->max_shm_pages = d.quota.max_shm_pages ? d.quota.max_shm_pages : VTEE_DEFAULT_MAX_SHM_PAGES;
}

/* The journal memfd: sized by vteed on first use (the VMM does not know the layout), then mapped. */
static int map_journal(int fd, struct vtee_vm_config *vc, char *why, size_t whylen)
{
	struct stat st;
	size_t need = vtee_journal_size(&vc->quota);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_GET_SEALS) < 0) {
		snprintf(why, whylen, "journal fd is not a memfd");
		return EBADF;
	}
	if (st.st_size == 0 && ftruncate(fd, (off_t)need) < 0) {
		snprintf(why, whylen, "sizing the journal: %s", strerror(errno));
		return errno;
	}
	if (st.st_size != 0 && (uint64_t)st.st_size < need) {
		snprintf(why, whylen, "journal is %lld bytes, these quotas need %zu", (long long)st.st_size, need);
		return EINVAL;
	}
	void *p = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(why, whylen, "mmap journal: %s", strerror(errno));
		return errno;
	}
	d.jn = p;
	d.jn_size = need;
	vc->journal = p;
	vc->journal_size = need;
	return 0;
}

/* Validate HELLO and its fds, then build the VM. Returns 0 or a positive errno with *why set. */
static int setup(const struct vteed_hello *h, int *fds, unsigned nfds, char *why, size_t whylen)
{
#define FAIL(e, ...) do { snprintf(why, whylen, __VA_ARGS__); return (e); } while (0)
	if (h->hdr.magic != VTEED_MAGIC)
		FAIL(EPROTO, "bad magic %#x", h->hdr.magic);
	if (h->hdr.version < VTEED_VERSION_MIN || h->hdr.version > VTEED_VERSION)
		FAIL(EPROTONOSUPPORT, "version %u not supported (this vteed speaks %u..%u)", h->hdr.version,
		     VTEED_VERSION_MIN, VTEED_VERSION);
	if (h->hdr.type != VTEED_MSG_HELLO)
		FAIL(EPROTO, "expected HELLO, got message type %u", h->hdr.type);
	if (h->hdr.size != sizeof(*h))
		FAIL(EPROTO, "HELLO size %u, expected %zu", h->hdr.size, sizeof(*h));
	if (h->hdr.reserved || h->reserved1 || (h->hdr.version == 1 && h->epoch))
		FAIL(EINVAL, "reserved fields not zero");
	if (h->vm_id == 0)
		FAIL(EINVAL, "vm_id 0");
	uint32_t known_flags = h->hdr.version == 1 ? VTEED_HELLO_FLAGS_V1 : VTEED_HELLO_FLAGS;
	if (h->flags & ~known_flags)
		FAIL(EINVAL, "unknown flags %#x", h->flags & ~known_flags);
	bool has_journal = h->flags & VTEED_HELLO_JOURNAL, has_tee = h->flags & VTEED_HELLO_TEE_FD;
	size_t nl = strnlen(h->name, sizeof(h->name));
	if (nl == 0 || nl == sizeof(h->name))
		FAIL(EINVAL, "name empty or not NUL-terminated within %u bytes", VTEED_NAME_MAX);
	for (size_t i = 0; i < nl; i++)
		if (!isgraph((unsigned char)h->name[i]) && h->name[i] != ' ')
			FAIL(EINVAL, "name has a non-printable byte at %zu", i);
	snprintf(vm_label, sizeof(vm_label), "%s", h->name);
	vteed_log_set_name(h->name);
	size_t bl = strnlen(h->backend, sizeof(h->backend));
	if (bl == sizeof(h->backend))
		FAIL(EINVAL, "backend name not NUL-terminated");
	const char *backend = bl ? h->backend : has_tee ? "link" : "soft";
	/* the TEE fd: a socket to the TEE process (link), or an open /dev/teeN context (teedev) */
	bool tee_is_dev = !strcmp(backend, "teedev");
	if (has_tee && strcmp(backend, "link") && !tee_is_dev)
		FAIL(EINVAL, "a TEE fd was passed, but back-end %s is not link or teedev", backend);
	if (tee_is_dev && !has_tee)
		FAIL(EINVAL, "back-end teedev: HELLO must bring the TEE context (an open /dev/teeN)");
	bool known = false;
	for (const char *const *n = vtee_backend_names(); *n; n++)
		known |= strcmp(*n, backend) == 0;
	if (!known)
		FAIL(ENOENT, "unknown back-end \"%s\"", backend);
	/* the policy names the TEE; "soft" is also the built-in TEE in its own process, through "link" */
	if (strcmp(policy.backend, backend) && !(!strcmp(policy.backend, "soft") && !strcmp(backend, "link")))
		FAIL(EPERM, "the policy allows back-end \"%s\" only, not \"%s\"", policy.backend, backend);
	if (h->nslots == 0 || h->nslots > VTEED_MAX_SLOTS)
		FAIL(EINVAL, "nslots %u not in 1..%u", h->nslots, VTEED_MAX_SLOTS);
	if (h->nregions == 0 || h->nregions > VTEED_MAX_REGIONS)
		FAIL(E2BIG, "nregions %u not in 1..%u", h->nregions, VTEED_MAX_REGIONS);
	if (h->max_calls > VTEE_LIMIT_MAX_CALLS || h->max_sessions > VTEE_LIMIT_MAX_SESSIONS ||
	    h->max_shm > VTEE_LIMIT_MAX_SHM || h->max_shm_pages > VTEE_LIMIT_MAX_SHM_PAGES)
		FAIL(EINVAL, "quota above vtee's hard limits");
	if (h->slice_us > 1000000u)
		FAIL(EINVAL, "slice_us %u above 1 s", h->slice_us);
	unsigned want_fds = h->nregions + 1 + has_journal + has_tee;
	if (nfds != want_fds)
		FAIL(EBADF, "got %u fds, expected %u (RAM regions + mailbox%s%s)", nfds, want_fds,
		     has_journal ? " + journal" : "", has_tee ? " + TEE fd" : "");
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
	if (d.mb->magic != VTEED_MB_MAGIC || d.mb->version != h->hdr.version || d.mb->nslots != h->nslots ||
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

	struct vtee_vm_config vc = {
		.vm_id = h->vm_id, .name = h->name, .slice_us = h->slice_us,
		.no_rpc_arg = (h->flags & VTEED_HELLO_NO_RPC_ARG) != 0,
		.quota = { .max_calls = h->max_calls, .max_sessions = h->max_sessions, .max_shm = h->max_shm,
			   .max_shm_pages = h->max_shm_pages },
		.epoch = h->epoch,
		.ta_allowed = vteed_policy_ta_allowed,
		.policy_ctx = &policy,
	};
	/* the host's policy and the VMM's HELLO: the stricter limit wins */
	vc.quota.max_calls = stricter(vc.quota.max_calls, policy.quota.max_calls);
	vc.quota.max_sessions = stricter(vc.quota.max_sessions, policy.quota.max_sessions);
	vc.quota.max_shm = stricter(vc.quota.max_shm, policy.quota.max_shm);
	vc.quota.max_shm_pages = stricter(vc.quota.max_shm_pages, policy.quota.max_shm_pages);
	vc.slice_us = (uint32_t)stricter(vc.slice_us, policy.slice_us);
	unsigned next_fd = h->nregions + 1;
	if (has_journal) {
		int err = map_journal(fds[next_fd++], &vc, why, whylen);
		if (err)
			return err;
	}

	/* TEE + VM */
	char options[sizeof(policy.backend_options) + 64] = "";
	if (has_tee && tee_is_dev) {
		struct stat ts;
		int tfd = fds[next_fd];
		if (fstat(tfd, &ts) < 0 || !S_ISCHR(ts.st_mode))
			FAIL(EBADF, "the TEE fd is not a character device (an open /dev/teeN)");
		snprintf(options, sizeof(options), "fd=%d%s%s", tfd, policy.backend_options[0] ? "," : "",
			 policy.backend_options);
		next_fd++;
	} else if (has_tee) {
		snprintf(options, sizeof(options), "fd=%d%s", fds[next_fd++], h->epoch ? ",resume" : "");
	} else if (policy.backend_options[0]) {
		snprintf(options, sizeof(options), "%s", policy.backend_options);
	}
	int err = vtee_tee_open(backend, options[0] ? options : NULL, &d.tee);
	if (has_tee)
		fds[next_fd - 1] = -1; /* the back-end owns it now, even on failure */
	if (err)
		FAIL(-err, "vtee_tee_open(%s): %s", backend, strerror(-err));
	snprintf(d.backend, sizeof(d.backend), "%s", backend);
	d.quota = vc.quota;
	err = vtee_vm_create(d.tee, &vc, &d.vm);
	if (err)
		FAIL(-err, "vtee_vm_create: %s", strerror(-err));
	for (unsigned i = 0; i < d.nram; i++) {
		err = vtee_vm_add_ram(d.vm, d.ram[i].r.gpa, d.ram[i].r.size, d.ram[i].hva, d.ram[i].fd,
				      d.ram[i].r.fd_offset);
		if (err)
			FAIL(-err, "vtee_vm_add_ram(region %u): %s", i, strerror(-err));
	}
	if (has_journal) {
		int n = vtee_vm_restore(d.vm, delivered, d.mb);
		if (n < 0)
			FAIL(-n, "restoring from the journal: %s", strerror(-n));
		if (h->epoch)
			logmsg("restart %u: took over %d sessions and shared buffers", h->epoch, n);
	}
	for (unsigned i = 0; i < h->nslots; i++) {
		d.srv[i].slot = &d.mb->slot[i];
		/* from rsp_seq: a request the previous vteed never answered is served now */
		d.srv[i].seen = VTEED_LOAD(&d.mb->slot[i].rsp_seq);
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
	if (d.jn)
		munmap(d.jn, d.jn_size);
	d.jn = NULL;
}

/* Receive HELLO (and its fds). Returns bytes received (< sizeof = truncated) or -errno. */
static ssize_t recv_hello(int sock, struct vteed_hello *h, int *fds, unsigned *nfds, bool *ctrunc)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VTEED_MAX_FDS)];
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
				 * first VTEED_MAX_FDS, close the rest, and fail the handshake */
				for (unsigned i = 0; i < k; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					if (*nfds < VTEED_MAX_FDS) {
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
		if (got >= sizeof(h->hdr) && (h->hdr.magic != VTEED_MAGIC || h->hdr.version < VTEED_VERSION_MIN ||
					      h->hdr.version > VTEED_VERSION || h->hdr.size != sizeof(*h)))
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

/* libvtee's lines (back-end warnings) join vteed's own, with the VM's name */
static void log_from_lib(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	vteed_log((enum vteed_log_prio)level, "%s", line);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "echo", no_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "policy", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "no-status", no_argument, NULL, 'S' },
		{ "no-sandbox", no_argument, NULL, 'N' },
		{ "sandbox-probe", required_argument, NULL, 'P' }, /* hidden: tests/daemon/test_sandbox.c */
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *opt_user = NULL, *opt_probe = NULL, *opt_policy = NULL, *opt_log = NULL;
	bool opt_no_sandbox = false, opt_no_status = false;
	start_ns = now_ns();
	vteed_policy_init(&policy);
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
		case 'u':
			opt_user = optarg;
			break;
		case 'p':
			opt_policy = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "stderr") && strcmp(optarg, "syslog")) {
				fprintf(stderr, "vteed: --log must be stderr or syslog\n");
				return 1;
			}
			opt_log = optarg;
			break;
		case 'S':
			opt_no_status = true;
			break;
		case 'N':
			opt_no_sandbox = true;
			break;
		case 'P':
			if (!vteed_sandbox_probe_known(optarg)) {
				fprintf(stderr, "vteed: unknown --sandbox-probe %s\n", optarg);
				return 1;
			}
			opt_probe = optarg;
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

	/* Everything that needs the file system or new sockets happens before the sandbox. */
	if (opt_policy) {
		char perr[256];
		int pr = vteed_policy_load(&policy, opt_policy, perr, sizeof(perr));
		if (pr) {
			logmsg("policy: %s", perr);
			close(sock);
			return 2;
		}
	}
	policy.on_denied = log_denied;
	bool to_syslog = opt_log ? !strcmp(opt_log, "syslog") : policy.log_target == VTEED_LOG_SYSLOG;
	static const enum vteed_log_prio prio_of[] = { [VTEED_LOG_ERROR] = VLOG_ERR,
		[VTEED_LOG_WARNING] = VLOG_WARNING, [VTEED_LOG_INFO] = VLOG_INFO, [VTEED_LOG_DEBUG] = VLOG_DEBUG };
	int lr = vteed_log_open(to_syslog, prio_of[policy.log_level]);
	vtee_set_log(log_from_lib, NULL);
	if (lr)
		logmsg("syslog: %s; logging to stderr", strerror(-lr));
	int status_fd = -1;
	if (!opt_no_status) {
		status_fd = vteed_status_listen();
		if (status_fd < 0)
			logmsg("status socket: %s; `vtee status` will not see this VM", strerror(-status_fd));
	}

	/* Least privilege from here on (sandbox.h, docs/threat-model.md): not root, no filesystem. */
	char sberr[256];
	int sbr = vteed_drop_privileges(opt_user ? opt_user : geteuid() == 0 ? "nobody" : NULL, sberr, sizeof(sberr));
	if (!sbr) {
		vteed_status_set_uid(geteuid()); /* its user, besides root, may ask for status */
		if (!opt_no_sandbox)
			sbr = vteed_sandbox_enter(sberr, sizeof(sberr));
	}
	if (sbr) {
		logmsg("%s", sberr);
		close(sock);
		return 2;
	}
	if (opt_no_sandbox)
		logmsg("--no-sandbox: no seccomp filter (unsafe, for debugging only)");
	if (opt_probe) {
		vteed_sandbox_probe(opt_probe); /* the filter kills vteed here unless it allows the call */
		exit(0);
	}

	struct timeval tv = { .tv_sec = HELLO_TIMEOUT_S };
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int fds[VTEED_MAX_FDS];
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
		snprintf(why, sizeof(why), "too many fds with HELLO (at most %u)", VTEED_MAX_FDS);
	} else if ((size_t)got < sizeof(d.hello.hdr)) {
		err = EPROTO;
		snprintf(why, sizeof(why), "truncated HELLO (%zd bytes)", got);
	} else if ((size_t)got < sizeof(d.hello) && d.hello.hdr.magic == VTEED_MAGIC &&
		   d.hello.hdr.size == sizeof(d.hello)) {
		err = EPROTO;
		snprintf(why, sizeof(why), "truncated HELLO (%zd of %zu bytes)", got, sizeof(d.hello));
	} else {
		err = setup(&d.hello, fds, nfds, why, sizeof(why));
	}
	if (err) {
		send_reply(sock, VTEED_MSG_ERROR, err, 0, "%s", why);
		teardown();
		for (unsigned i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		close(sock);
		return 2;
	}
	tv.tv_sec = 0;
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	proto_version = d.hello.hdr.version;
	send_reply(sock, VTEED_MSG_WELCOME, 0, d.hello.nslots, "vteed %u serving VM %u", proto_version,
		   d.hello.vm_id);
	logmsg("serving VM %u: %u vCPU slots, %u RAM regions%s", d.hello.vm_id, d.hello.nslots, d.nram,
	       opt_echo ? " (echo mode)" : "");

	/* Control loop: GOODBYE, EOF, or a signal ends it. */
	int rc = 0;
	bool goodbye = false, stop_sig = false;
	for (;;) {
		/* poll skips negative fds: no signalfd or no status socket is fine */
		struct pollfd pf[3] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 }, { status_fd, POLLIN, 0 } };
		if (poll(pf, 3, -1) < 0) {
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
		if (pf[2].revents & POLLIN) {
			struct vteed_status st;
			fill_status(&st);
			vteed_status_serve(status_fd, &st);
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
		if (mh.magic != VTEED_MAGIC || mh.version != proto_version || mh.size != sizeof(mh)) {
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
		if (fds[i] >= 0)
			close(fds[i]);
	close(sock);
	if (sfd >= 0)
		close(sfd);
	logmsg("exit %d", rc);
	return rc;
}
