// SPDX-License-Identifier: MIT
/* vteed's side of the handshake: HELLO received and checked, WELCOME or ERROR sent. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fdpass.h"
#include "send_all.h"
#include "vteed.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/* A check failed: the reason in why, a negative errno back. */
#define FAIL(e, ...)                                   \
	do {                                           \
		snprintf(why, whylen, __VA_ARGS__);    \
		return -(e);                           \
	} while (0)

/* HELLO's size in a version: v1 and v2 end where v3's TEE descriptor starts. 0: not a version spoken here. */
static size_t hello_size(uint16_t version)
{
	if (version < VTEED_VERSION_MIN || version > VTEED_VERSION)
		return 0;
	return version < 3 ? VTEED_HELLO_V2_SIZE : sizeof(struct vteed_hello);
}

/* An early header tells about a wrong magic or version without waiting for the rest. */
static bool header_hopeless(const struct vteed_msg_hdr *hdr)
{
	return hdr->magic != VTEED_MAGIC || !hello_size(hdr->version) || hdr->size != hello_size(hdr->version);
}

/*
 * Read HELLO's bytes; the fds come with the first of them (any later ones
 * are closed). The shortest HELLO first, then what its header says, never
 * more. *got = bytes read (fewer than HELLO: EOF or a hopeless header).
 * *nfds may exceed VTEED_MAX_FDS: then too many came.
 */
static int read_hello(int sock, struct vteed_hello *h, size_t *got, int *fds, unsigned *nfds)
{
	size_t want = VTEED_HELLO_V2_SIZE;
	*got = 0;
	*nfds = 0;
	while (*got < want) {
		size_t n;
		unsigned k;
		int fdbuf[1];
		bool first = *got == 0;
		int err = vtee_recv_fds(sock, (uint8_t *)h + *got, want - *got, &n, first ? fds : fdbuf,
					 first ? VTEED_MAX_FDS : 0, first ? nfds : &k);
		if (err)
			return err;
		if (n == 0)
			break;
		*got += n;
		if (*got >= sizeof(h->hdr) && header_hopeless(&h->hdr))
			break;
		if (*got >= sizeof(h->hdr))
			want = h->hdr.size;
	}
	return 0;
}

int hello_receive(int sock, struct vteed_hello *h, int *fds, unsigned *nfds, char *why, size_t whylen)
{
	size_t got;
	memset(h, 0, sizeof(*h));
	int err = read_hello(sock, h, &got, fds, nfds);
	if (*nfds > VTEED_MAX_FDS) {
		*nfds = VTEED_MAX_FDS; /* the rest are closed */
		if (!err)
			FAIL(EBADF, "too many fds with HELLO (at most %u)", VTEED_MAX_FDS);
	}
	if (err)
		FAIL(-err, "receiving HELLO: %s", strerror(-err));
	if (got < sizeof(h->hdr))
		FAIL(EPROTO, "truncated HELLO (%zu bytes)", got);
	if (!header_hopeless(&h->hdr) && got < h->hdr.size)
		FAIL(EPROTO, "truncated HELLO (%zu of %u bytes)", got, h->hdr.size);
	return 0;
}

static int check_header(const struct vteed_hello *h, char *why, size_t whylen)
{
	if (h->hdr.magic != VTEED_MAGIC)
		FAIL(EPROTO, "bad magic %#x", h->hdr.magic);
	if (h->hdr.version < VTEED_VERSION_MIN || h->hdr.version > VTEED_VERSION)
		FAIL(EPROTONOSUPPORT, "version %u not supported (this vteed speaks %u..%u)", h->hdr.version,
		     VTEED_VERSION_MIN, VTEED_VERSION);
	if (h->hdr.type != VTEED_MSG_HELLO)
		FAIL(EPROTO, "expected HELLO, got message type %u", h->hdr.type);
	if (h->hdr.size != hello_size(h->hdr.version))
		FAIL(EPROTO, "HELLO size %u, expected %zu", h->hdr.size, hello_size(h->hdr.version));
	if (h->hdr.reserved || h->reserved1 || (h->hdr.version == 1 && h->epoch))
		FAIL(EINVAL, "reserved fields not zero");
	if (h->vm_id == 0)
		FAIL(EINVAL, "vm_id 0");
	uint32_t known_flags = h->hdr.version == 1   ? VTEED_HELLO_FLAGS_V1
			       : h->hdr.version == 2 ? VTEED_HELLO_FLAGS_V2
						     : VTEED_HELLO_FLAGS;
	if (h->flags & ~known_flags)
		FAIL(EINVAL, "unknown flags %#x", h->flags & ~known_flags);
	size_t nl = strnlen(h->name, sizeof(h->name));
	if (nl == 0 || nl == sizeof(h->name))
		FAIL(EINVAL, "name empty or not NUL-terminated within %u bytes", VTEED_NAME_MAX);
	for (size_t i = 0; i < nl; i++)
		if (!isgraph((unsigned char)h->name[i]) && h->name[i] != ' ')
			FAIL(EINVAL, "name has a non-printable byte at %zu", i);
	return 0;
}

static int check_limits(const struct vteed_hello *h, const struct mediator_tee *tee, unsigned nfds, char *why,
			size_t whylen)
{
	if (h->nslots == 0 || h->nslots > VTEED_MAX_SLOTS)
		FAIL(EINVAL, "nslots %u not in 1..%u", h->nslots, VTEED_MAX_SLOTS);
	if (h->nregions == 0 || h->nregions > VTEED_MAX_REGIONS)
		FAIL(E2BIG, "nregions %u not in 1..%u", h->nregions, VTEED_MAX_REGIONS);
	if (h->max_calls > VTEE_LIMIT_MAX_CALLS || h->max_sessions > VTEE_LIMIT_MAX_SESSIONS ||
	    h->max_shm > VTEE_LIMIT_MAX_SHM || h->max_shm_pages > VTEE_LIMIT_MAX_SHM_PAGES)
		FAIL(EINVAL, "quota above vtee's hard limits");
	if (h->slice_us > 1000000u)
		FAIL(EINVAL, "slice_us %u above 1 s", h->slice_us);
	bool has_journal = h->flags & VTEED_HELLO_JOURNAL;
	unsigned want_fds = h->nregions + 1 + has_journal + tee->desc.nfds;
	if (nfds != want_fds)
		FAIL(EBADF, "got %u fds, expected %u (RAM regions + mailbox%s%s)", nfds, want_fds,
		     has_journal ? " + journal" : "", tee->desc.nfds ? " + TEE fds" : "");
	return 0;
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

/* Region i: aligned, no wrap-around, no overlap with the ones before, its fd shared memory big enough. */
static int check_region(const struct vteed_hello *h, unsigned i, int fd, char *why, size_t whylen)
{
	const struct vteed_region *r = &h->regions[i];
	if (!r->size || !aligned(r->gpa) || !aligned(r->size) || !aligned(r->fd_offset))
		FAIL(EINVAL, "region %u: gpa/size/fd_offset not 4 KiB aligned or size 0", i);
	if (r->gpa + r->size < r->gpa || r->fd_offset + r->size < r->fd_offset ||
	    r->fd_offset + r->size > (uint64_t)INT64_MAX || r->size > SIZE_MAX)
		FAIL(EINVAL, "region %u wraps around", i);
	for (unsigned j = 0; j < i; j++) {
		const struct vteed_region *o = &h->regions[j];
		if (r->gpa < o->gpa + o->size && o->gpa < r->gpa + r->size)
			FAIL(EINVAL, "region %u [%#llx, +%#llx) overlaps region %u", i, (unsigned long long)r->gpa,
			     (unsigned long long)r->size, j);
	}
	struct stat st;
	if (!is_shared_memory_fd(fd, &st))
		FAIL(EBADF, "region %u: fd is not a memfd, tmpfs or hugetlbfs file", i);
	if ((uint64_t)st.st_size < r->fd_offset + r->size)
		FAIL(EINVAL, "region %u: file is %lld bytes, region needs %llu", i, (long long)st.st_size,
		     (unsigned long long)(r->fd_offset + r->size));
	return 0;
}

static int check_regions(const struct vteed_hello *h, const int *fds, char *why, size_t whylen)
{
	for (unsigned i = h->nregions; i < VTEED_MAX_REGIONS; i++) {
		const struct vteed_region *r = &h->regions[i];
		if (r->gpa || r->size || r->fd_offset)
			FAIL(EINVAL, "unused region %u not zero", i);
	}
	for (unsigned i = 0; i < h->nregions; i++) {
		int err = check_region(h, i, fds[i], why, whylen);
		if (err)
			return err;
	}
	return 0;
}

/* A memfd sealed against shrinking (the VMM cannot make vteed fault by truncating it), big enough. */
static int check_mailbox_fd(int mfd, char *why, size_t whylen)
{
	struct stat st;
	if (fstat(mfd, &st) < 0 || !S_ISREG(st.st_mode))
		FAIL(EBADF, "mailbox fd is not a regular file");
	int seals = fcntl(mfd, F_GET_SEALS);
	if (seals < 0)
		FAIL(EBADF, "mailbox fd is not a memfd");
	if (!(seals & F_SEAL_SHRINK))
		FAIL(EPERM, "mailbox memfd not sealed against shrinking (F_SEAL_SHRINK)");
	if ((uint64_t)st.st_size < VTEED_MAILBOX_SIZE)
		FAIL(EINVAL, "mailbox is %lld bytes, needs %u", (long long)st.st_size, VTEED_MAILBOX_SIZE);
	return 0;
}

int hello_check(const struct vteed_hello *h, const int *fds, unsigned nfds, struct mediator_tee *tee, char *why,
		size_t whylen)
{
	int err = check_header(h, why, whylen);
	if (err)
		return err;
	vteed_log_set_name(h->name); /* from here on, every line names the VM */
	err = tee_desc_from_hello(h, tee, why, whylen);
	if (!err)
		err = check_limits(h, tee, nfds, why, whylen);
	if (!err)
		err = check_regions(h, fds, why, whylen);
	if (!err)
		err = check_mailbox_fd(fds[h->nregions], why, whylen);
	return err;
}

void reply_send(int sock, uint16_t type, int err, uint32_t nslots, const char *fmt, ...)
{
	struct vteed_reply r;
	memset(&r, 0, sizeof(r));
	r.hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, med.proto_version, type, sizeof(r), 0 };
	r.error = -err; /* on the wire: a positive errno */
	r.version_min = VTEED_VERSION_MIN;
	r.version_max = VTEED_VERSION;
	r.nslots = nslots;
	r.pid = (uint32_t)getpid();
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.message, sizeof(r.message), fmt, ap);
	va_end(ap);
	if (type == VTEED_MSG_ERROR)
		vteed_log(VLOG_INFO, "handshake refused: %s (%s)", r.message, strerror(-err));
	vtee_send_all(sock, &r, sizeof(r));
}

void reply_hdr(int sock, uint16_t type)
{
	struct vteed_msg_hdr h = { VTEED_MAGIC, med.proto_version, type, sizeof(h), 0 };
	vtee_send_all(sock, &h, sizeof(h));
}
