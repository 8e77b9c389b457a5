// SPDX-License-Identifier: MIT
/*
 * Protocol errors: every malformed HELLO gets an ERROR reply with the right
 * errno, and vteed exits with status 2 (not a signal). A correct HELLO then
 * GOODBYE gets WELCOME, BYE and status 0.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "common.h"
#include "vtee/vteed.h"

static const char *vteed;
static const char *const *vteed_args; /* extra arguments for the next vteeds (a --policy) */

struct hello_set {
	struct vteed_hello h;
	int fds[VTEED_MAX_REGIONS + 8];
	unsigned nfds;
	size_t send_len;   /* bytes of h to send (default all) */
};

static int make_ram(uint64_t size)
{
	int fd = memfd_create("test-ram", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int make_mailbox(unsigned nslots, bool seal)
{
	int fd = memfd_create("test-mb", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, VTEED_MAILBOX_SIZE) < 0)
		return -1;
	struct vteed_mailbox *mb = mmap(NULL, VTEED_MAILBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mb == MAP_FAILED)
		return -1;
	mb->magic = VTEED_MB_MAGIC;
	mb->version = VTEED_VERSION;
	mb->nslots = nslots;
	mb->slot_size = sizeof(struct vteed_slot);
	munmap(mb, VTEED_MAILBOX_SIZE);
	if (seal)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	return fd;
}

/* A valid HELLO: one 1 MiB region, 2 slots. */
static void valid(struct hello_set *s)
{
	memset(s, 0, sizeof(*s));
	s->h.hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_HELLO, sizeof(s->h), 0 };
	s->h.vm_id = 5;
	s->h.nslots = 2;
	s->h.nregions = 1;
	snprintf(s->h.name, sizeof(s->h.name), "proto-vm");
	s->h.regions[0] = (struct vteed_region){ 0x40000000, 1u << 20, 0 };
	s->fds[0] = make_ram(1u << 20);
	s->fds[1] = make_mailbox(2, true);
	s->nfds = 2;
	s->send_len = sizeof(s->h);
}

/* An older version's HELLO (v1, v2: without the TEE descriptor; v3), its mailbox saying the same version. */
static void set_version(struct hello_set *s, uint16_t version)
{
	s->h.hdr.version = version;
	s->h.hdr.size = version < 3 ? VTEED_HELLO_V2_SIZE : sizeof(s->h);
	s->send_len = s->h.hdr.size;
	struct vteed_mailbox *mb = mmap(NULL, VTEED_MAILBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->fds[1], 0);
	if (mb != MAP_FAILED) {
		mb->version = version;
		munmap(mb, VTEED_MAILBOX_SIZE);
	}
}

/* A v3 HELLO passing fd to the back-end as key (one more fd). */
static void add_tee_fd(struct hello_set *s, const char *key, int fd)
{
	unsigned i = s->h.tee.nfds++;
	snprintf(s->h.tee.fd_keys[i], sizeof(s->h.tee.fd_keys[i]), "%s", key);
	s->fds[s->nfds++] = fd;
}

/* One end of a socketpair whose other end is closed: an fd to hand over. */
static int a_socket(void)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	close(sp[1]);
	return sp[0];
}

static void release(struct hello_set *s)
{
	for (unsigned i = 0; i < s->nfds; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
}

/* Send s to a fresh vteed; return the reply type (0 if none), *err, *status (exit code, -1 signal). */
static int exchange(struct hello_set *s, bool goodbye, int *err, int *status, char *msg)
{
	int sock;
	pid_t pid;
	*err = 0;
	*status = -1;
	msg[0] = 0;
	if (vteed_spawn_raw(vteed, vteed_args, &sock, &pid))
		return -1;
	union {
		char buf[CMSG_SPACE(sizeof(int) * (VTEED_MAX_REGIONS + 8))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { &s->h, s->send_len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (s->nfds) {
		m.msg_control = cm.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * s->nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * s->nfds);
		memcpy(CMSG_DATA(c), s->fds, sizeof(int) * s->nfds);
	}
	if (s->send_len)
		sendmsg(sock, &m, MSG_NOSIGNAL);
	if (s->send_len < s->h.hdr.size) /* a truncated HELLO: then nothing more */
		shutdown(sock, SHUT_WR);
	struct vteed_reply r;
	memset(&r, 0, sizeof(r));
	size_t got = 0;
	while (got < sizeof(r)) {
		struct pollfd pf = { sock, POLLIN, 0 };
		if (poll(&pf, 1, 15000) <= 0)
			break;
		ssize_t n = recv(sock, (uint8_t *)&r + got, sizeof(r) - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	int type = got == sizeof(r) && r.hdr.magic == VTEED_MAGIC ? r.hdr.type : 0;
	*err = r.error;
	r.message[sizeof(r.message) - 1] = 0;
	snprintf(msg, 96, "%s", r.message);
	if (goodbye && type == VTEED_MSG_WELCOME) {
		struct vteed_msg_hdr h = { VTEED_MAGIC, s->h.hdr.version, VTEED_MSG_GOODBYE, sizeof(h), 0 };
		send(sock, &h, sizeof(h), MSG_NOSIGNAL);
		struct vteed_msg_hdr bye;
		memset(&bye, 0, sizeof(bye));
		if (recv(sock, &bye, sizeof(bye), MSG_WAITALL) != (ssize_t)sizeof(bye) || bye.type != VTEED_MSG_BYE)
			type = -2;
	}
	close(sock);
	int st;
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		*status = WEXITSTATUS(st);
	return type;
}

#define EXPECT_ERROR(s, errno_, what)                                                          \
	do {                                                                                   \
		int e_, st_;                                                                   \
		char m_[96];                                                                   \
		int t_ = exchange((s), false, &e_, &st_, m_);                                  \
		printf("%-28s -> type %d errno %d status %d: %s\n", what, t_, e_, st_, m_);    \
		CHECK_EQ(t_, VTEED_MSG_ERROR);                                                 \
		CHECK_EQ(e_, (errno_));                                                        \
		CHECK_EQ(st_, 2);                                                              \
		CHECK(m_[0] != 0);                                                             \
		release(s);                                                                    \
	} while (0)

int main(int argc, char **argv)
{
	vteed = vteed_path_arg(argc, argv);
	struct hello_set s;
	int e, st;
	char m[96];

	/* positive control */
	valid(&s);
	CHECK_EQ(exchange(&s, true, &e, &st, m), VTEED_MSG_WELCOME);
	CHECK_EQ(e, 0);
	CHECK_EQ(st, 0);
	release(&s);

	valid(&s);
	s.h.hdr.magic = 0x12345678;
	EXPECT_ERROR(&s, EPROTO, "bad magic");

	valid(&s);
	s.h.hdr.version = VTEED_VERSION + 1;
	EXPECT_ERROR(&s, EPROTONOSUPPORT, "version from the future");

	valid(&s);
	s.h.hdr.version = 0;
	EXPECT_ERROR(&s, EPROTONOSUPPORT, "version 0");

	/* older versions are still served (v3: a libvteed from before the status grew storage fields) */
	for (uint16_t v = VTEED_VERSION_MIN; v < VTEED_VERSION; v++) {
		valid(&s);
		set_version(&s, v);
		CHECK_EQ(exchange(&s, true, &e, &st, m), VTEED_MSG_WELCOME);
		CHECK_EQ(e, 0);
		CHECK_EQ(st, 0);
		printf("v%u HELLO (%u bytes) -> WELCOME: %s\n", v, s.h.hdr.size, m);
		release(&s);
	}

	valid(&s);
	set_version(&s, 2);
	s.h.hdr.size = sizeof(s.h);
	s.send_len = sizeof(s.h);
	EXPECT_ERROR(&s, EPROTO, "v2 HELLO of v3's size");

	valid(&s);
	set_version(&s, 1);
	s.h.epoch = 3;
	EXPECT_ERROR(&s, EINVAL, "v1 HELLO with an epoch");

	valid(&s);
	set_version(&s, 1);
	s.h.flags = VTEED_HELLO_JOURNAL;
	EXPECT_ERROR(&s, EINVAL, "v1 HELLO with a v2 flag");

	valid(&s);
	s.h.flags = VTEED_HELLO_JOURNAL;
	EXPECT_ERROR(&s, EBADF, "journal flag without the journal fd");

	valid(&s);
	s.h.flags = VTEED_HELLO_JOURNAL;
	s.fds[2] = open(argv[0], O_RDONLY | O_CLOEXEC);
	s.nfds = 3;
	EXPECT_ERROR(&s, EBADF, "journal fd not a memfd");

	valid(&s);
	set_version(&s, 2);
	s.h.flags = VTEED_HELLO_TEE_FD;
	snprintf(s.h.backend, sizeof(s.h.backend), "soft");
	s.fds[s.nfds++] = a_socket();
	EXPECT_ERROR(&s, EINVAL, "v2: TEE socket for a back-end other than link");

	valid(&s);
	set_version(&s, 2);
	snprintf(s.h.backend, sizeof(s.h.backend), "teedev");
	EXPECT_ERROR(&s, EINVAL, "v2: teedev without its context");

	/* v3: the TEE descriptor */
	valid(&s);
	s.h.flags = VTEED_HELLO_TEE_FD;
	s.fds[s.nfds++] = a_socket();
	EXPECT_ERROR(&s, EINVAL, "v3 HELLO with v2's TEE_FD flag");

	valid(&s);
	s.h.tee.nfds = 1;
	snprintf(s.h.tee.fd_keys[0], sizeof(s.h.tee.fd_keys[0]), "fd");
	EXPECT_ERROR(&s, EBADF, "TEE fd announced, not sent");

	valid(&s);
	add_tee_fd(&s, "fd", a_socket());
	EXPECT_ERROR(&s, EINVAL, "an fd the back-end takes no key for"); /* soft: no fd= option */

	valid(&s);
	snprintf(s.h.tee.options, sizeof(s.h.tee.options), "threads=0");
	EXPECT_ERROR(&s, EINVAL, "options the back-end refuses");

	valid(&s);
	snprintf(s.h.tee.options, sizeof(s.h.tee.options), "threads=2,inline=0");
	CHECK_EQ(exchange(&s, true, &e, &st, m), VTEED_MSG_WELCOME);
	CHECK_EQ(e, 0);
	release(&s);

	valid(&s);
	add_tee_fd(&s, "fd=3", a_socket());
	EXPECT_ERROR(&s, EINVAL, "an fd key that is not a key");

	valid(&s);
	add_tee_fd(&s, "fd", a_socket());
	add_tee_fd(&s, "fd", a_socket());
	EXPECT_ERROR(&s, EINVAL, "an fd key given twice");

	valid(&s);
	s.h.tee.fd_keys[2][0] = 'x';
	EXPECT_ERROR(&s, EINVAL, "unused fd key not zero");

	valid(&s);
	s.h.tee.nfds = VTEED_MAX_TEE_FDS + 1;
	EXPECT_ERROR(&s, EINVAL, "too many TEE fds");

	valid(&s);
	s.h.tee.reserved = 1;
	EXPECT_ERROR(&s, EINVAL, "TEE descriptor reserved field");

	valid(&s);
	snprintf(s.h.tee.options, sizeof(s.h.tee.options), "threads=2, inline=0");
	EXPECT_ERROR(&s, EINVAL, "options with a blank");

	valid(&s);
	s.h.tee.options[200] = 'x';
	EXPECT_ERROR(&s, EINVAL, "options not zero after the NUL");

	valid(&s);
	memset(s.h.tee.options, 'x', sizeof(s.h.tee.options));
	EXPECT_ERROR(&s, EINVAL, "options not terminated");

	valid(&s);
	s.h.hdr.type = VTEED_MSG_GOODBYE;
	EXPECT_ERROR(&s, EPROTO, "not a HELLO");

	valid(&s);
	s.send_len = 100;
	EXPECT_ERROR(&s, EPROTO, "truncated HELLO");

	valid(&s);
	s.send_len = 10;
	EXPECT_ERROR(&s, EPROTO, "truncated header");

	valid(&s);
	s.h.nregions = 2;
	s.h.regions[1] = (struct vteed_region){ 0x40080000, 1u << 20, 0 };
	s.fds[2] = s.fds[1];
	s.fds[1] = make_ram(1u << 20);
	s.nfds = 3;
	EXPECT_ERROR(&s, EINVAL, "overlapping regions");

	valid(&s);
	close(s.fds[0]);
	s.fds[0] = open(argv[0], O_RDONLY | O_CLOEXEC); /* a regular file on a disk file system */
	EXPECT_ERROR(&s, EBADF, "RAM fd not shared memory");

	valid(&s);
	int pp[2];
	pipe(pp);
	close(s.fds[0]);
	s.fds[0] = pp[0];
	close(pp[1]);
	EXPECT_ERROR(&s, EBADF, "RAM fd is a pipe");

	valid(&s);
	close(s.fds[1]);
	s.fds[1] = make_ram(VTEED_MAILBOX_SIZE); /* memfd without seals */
	EXPECT_ERROR(&s, EPERM, "mailbox not sealed");

	valid(&s);
	s.h.nregions = VTEED_MAX_REGIONS + 1;
	EXPECT_ERROR(&s, E2BIG, "too many regions");

	valid(&s);
	for (unsigned i = 2; i < VTEED_MAX_FDS + 1; i++)
		s.fds[i] = make_ram(4096);
	s.nfds = VTEED_MAX_FDS + 1;
	EXPECT_ERROR(&s, EBADF, "too many fds");

	valid(&s);
	close(s.fds[1]);
	s.nfds = 1;
	EXPECT_ERROR(&s, EBADF, "missing mailbox fd");

	valid(&s);
	s.h.nslots = 0;
	EXPECT_ERROR(&s, EINVAL, "no slots");

	valid(&s);
	s.h.nslots = VTEED_MAX_SLOTS + 1;
	EXPECT_ERROR(&s, EINVAL, "too many slots");

	valid(&s);
	s.h.nslots = 3; /* mailbox header says 2 */
	EXPECT_ERROR(&s, EINVAL, "mailbox header mismatch");

	valid(&s);
	s.h.regions[0].fd_offset = 512;
	EXPECT_ERROR(&s, EINVAL, "unaligned fd_offset");

	valid(&s);
	s.h.regions[0].size = 2u << 20;
	EXPECT_ERROR(&s, EINVAL, "region beyond file end");

	valid(&s);
	s.h.regions[0].gpa = UINT64_MAX - 4095;
	EXPECT_ERROR(&s, EINVAL, "region wraps");

	valid(&s);
	memset(s.h.name, 'x', sizeof(s.h.name));
	EXPECT_ERROR(&s, EINVAL, "name not terminated");

	valid(&s);
	s.h.vm_id = 0;
	EXPECT_ERROR(&s, EINVAL, "vm_id 0");

	valid(&s);
	s.h.flags = 0x80;
	EXPECT_ERROR(&s, EINVAL, "unknown flag");

	valid(&s);
	snprintf(s.h.backend, sizeof(s.h.backend), "nosuch");
	EXPECT_ERROR(&s, ENOENT, "unknown back-end");

	/* the client library reports the daemon's refusal */
	int ram = make_ram(1u << 20);
	struct vteed_ram r = { .gpa = 0x40000000, .size = 1u << 20, .fd = ram, .fd_offset = 4096 };
	struct vteed *v = NULL;
	pid_t pid = 0;
	char msg[96];
	CHECK_EQ(vteed_spawn(&(struct vteed_config){ .vm_id = 3, .name = "cli", .nvcpus = 1, .vteed_path = vteed },
			     &r, 1, &v, &pid, msg, sizeof(msg)), -EINVAL);
	CHECK(v == NULL);
	CHECK(strstr(msg, "region 0") != NULL);
	printf("client refusal: %s\n", msg);

	/* and a good handshake through it, SMCs, then SIGTERM: STOP, the client sees vteed gone */
	r.fd_offset = 0;
	CHECK_EQ(vteed_spawn(&(struct vteed_config){ .vm_id = 3, .name = "cli", .nvcpus = 1, .vteed_path = vteed },
			     &r, 1, &v, &pid, msg, sizeof(msg)), 0);
	if (v) {
		uint64_t regs[8] = { 0xBF00FF01u }; /* CALLS_UID */
		CHECK_EQ(vteed_smc(v, 0, regs), 0);
		CHECK_EQ(regs[0], 0x384fb3e0u);
		kill(pid, SIGTERM);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		regs[0] = 0xBF00FF01u;
		CHECK_EQ(vteed_smc(v, 0, regs), -EPIPE);
		CHECK(vteed_dead(v));
		vteed_close(v);
	}
	close(ram);

	/* the host's policy: it names the back-end, and its options come after HELLO's */
	char policy[] = "/tmp/vtee-proto-policy-XXXXXX";
	int pfd = mkstemp(policy);
	static const char text[] = "[tee]\nbackend = soft\noptions = threads=0\n";
	CHECK(pfd >= 0 && write(pfd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(pfd);
	const char *const args[] = { "--policy", policy, NULL };
	vteed_args = args;
	valid(&s);
	snprintf(s.h.tee.options, sizeof(s.h.tee.options), "threads=2");
	EXPECT_ERROR(&s, EINVAL, "the policy's options last");
	valid(&s);
	snprintf(s.h.backend, sizeof(s.h.backend), "teedev");
	add_tee_fd(&s, "fd", a_socket());
	EXPECT_ERROR(&s, EPERM, "a back-end the policy does not name");
	vteed_args = NULL;
	unlink(policy);

	/* a VMM that hangs up before saying anything */
	valid(&s);
	s.send_len = 0;
	s.nfds = 0;
	CHECK_EQ(exchange(&s, false, &e, &st, m), VTEED_MSG_ERROR);
	CHECK_EQ(e, EPROTO);
	CHECK_EQ(st, 2);
	s.nfds = 2;
	release(&s);
	return check_report();
}
