// SPDX-License-Identifier: MIT
/* The VMM side of the vteed protocol (docs/vteed-protocol.md). */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vteed_futex.h"
#include "vteed_proto.h"

/*
 * A vCPU polls rsp_seq this long before it sleeps on the futex. Short: on a
 * small host the vCPU, vteed's server thread and the TEE's own thread compete
 * for cores, and a long spin steals the core the answer is computed on.
 * $VTEED_SPIN_NS overrides it (tuning and benchmarks).
 */
#define CLI_SPIN_NS      5000u
#define CLI_SLEEP_MS     50u    /* a sleeping vCPU checks that vteed lives this often */
#define HANDSHAKE_MS     10000
#define CLOSE_MS         5000

struct vslot {
	pthread_mutex_t lock;
	uint32_t seq;
};

struct vteed {
	int sock;
	uint64_t spin_ns;
	unsigned nslots;
	struct vteed_mailbox *mb;
	_Atomic bool dead;
	struct vslot slot[VTEED_MAX_SLOTS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void set_msg(char *errmsg, const char *m)
{
	if (errmsg)
		snprintf(errmsg, VTEED_MSG_MAX, "%s", m);
}

static int read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int r = poll(&pf, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = recv(fd, p + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

int vteed_connect_fd(int sock, const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram,
		     struct vteed **out, char *errmsg)
{
	set_msg(errmsg, "");
	*out = NULL;
	if (!cfg || !cfg->name || cfg->nvcpus == 0 || cfg->nvcpus > VTEED_MAX_SLOTS || nram == 0 ||
	    nram > VTEED_MAX_REGIONS || strlen(cfg->name) >= VTEED_NAME_MAX ||
	    (cfg->backend && strlen(cfg->backend) >= VTEED_BACKEND_MAX)) {
		set_msg(errmsg, "bad configuration");
		close(sock);
		return -EINVAL;
	}
	struct vteed *v = calloc(1, sizeof(*v));
	if (!v) {
		close(sock);
		return -ENOMEM;
	}
	v->sock = sock;
	v->spin_ns = CLI_SPIN_NS;
	const char *e = getenv("VTEED_SPIN_NS");
	if (e && *e)
		v->spin_ns = strtoull(e, NULL, 10);
	v->nslots = cfg->nvcpus;
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_init(&v->slot[i].lock, NULL);
	int err = 0;
	int mfd = memfd_create("vteed-mailbox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 || ftruncate(mfd, VTEED_MAILBOX_SIZE) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		err = -errno;
		goto fail;
	}
	v->mb = mmap(NULL, VTEED_MAILBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (v->mb == MAP_FAILED) {
		v->mb = NULL;
		err = -errno;
		goto fail;
	}
	v->mb->magic = VTEED_MB_MAGIC;
	v->mb->version = VTEED_VERSION;
	v->mb->nslots = cfg->nvcpus;
	v->mb->slot_size = sizeof(struct vteed_slot);

	struct vteed_hello h;
	memset(&h, 0, sizeof(h));
	h.hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_HELLO, sizeof(h), 0 };
	h.vm_id = cfg->vm_id;
	h.flags = cfg->no_rpc_arg ? VTEED_HELLO_NO_RPC_ARG : 0;
	h.slice_us = cfg->slice_us;
	h.nslots = cfg->nvcpus;
	h.nregions = nram;
	h.max_calls = cfg->max_calls;
	h.max_sessions = cfg->max_sessions;
	h.max_shm = cfg->max_shm;
	h.max_shm_pages = cfg->max_shm_pages;
	snprintf(h.name, sizeof(h.name), "%s", cfg->name);
	snprintf(h.backend, sizeof(h.backend), "%s", cfg->backend ? cfg->backend : "");
	int fds[VTEED_MAX_REGIONS + 1];
	for (unsigned i = 0; i < nram; i++) {
		h.regions[i] = (struct vteed_region){ ram[i].gpa, ram[i].size, ram[i].fd_offset };
		fds[i] = ram[i].fd;
	}
	fds[nram] = mfd;
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = CMSG_SPACE(sizeof(int) * (nram + 1)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (nram + 1));
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (nram + 1));
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h)) {
		err = n < 0 ? -errno : -EIO;
		set_msg(errmsg, "sending HELLO failed");
		goto fail;
	}
	close(mfd);
	mfd = -1;
	struct vteed_reply r;
	err = read_full(sock, &r, sizeof(r), HANDSHAKE_MS);
	if (err) {
		set_msg(errmsg, "no reply to HELLO");
		goto fail;
	}
	r.message[sizeof(r.message) - 1] = 0;
	set_msg(errmsg, r.message);
	if (r.hdr.magic != VTEED_MAGIC || r.hdr.size != sizeof(r)) {
		err = -EPROTO;
		goto fail;
	}
	if (r.hdr.type == VTEED_MSG_ERROR) {
		err = r.error > 0 ? -r.error : -EPROTO;
		goto fail;
	}
	if (r.hdr.type != VTEED_MSG_WELCOME || r.hdr.version != VTEED_VERSION || r.nslots != cfg->nvcpus) {
		err = -EPROTO;
		goto fail;
	}
	*out = v;
	return 0;
fail:
	if (mfd >= 0)
		close(mfd);
	if (v->mb)
		munmap(v->mb, VTEED_MAILBOX_SIZE);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_destroy(&v->slot[i].lock);
	close(sock);
	free(v);
	return err;
}

int vteed_connect(const char *socket_path, const struct vteed_config *cfg, const struct vteed_ram *ram,
		  unsigned nram, struct vteed **out, char *errmsg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, socket_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(s);
		return e;
	}
	return vteed_connect_fd(s, cfg, ram, nram, out, errmsg);
}

int vteed_spawn_raw(const char *path, const char *const *extra_args, int *sock, pid_t *pid)
{
	if (!path)
		path = getenv("VTEED");
	if (!path)
		path = "vteed";
	size_t nextra = 0;
	while (extra_args && extra_args[nextra])
		nextra++;
	const char **argv = calloc(nextra + 4, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[0] = path;
	argv[1] = "--fd";
	argv[2] = "3";
	for (size_t i = 0; i < nextra; i++)
		argv[3 + i] = extra_args[i];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(argv);
		return -errno;
	}
	pid_t p = fork();
	if (p < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		free(argv);
		return e;
	}
	if (p == 0) {
		/* child: only async-signal-safe calls */
		int fd = sv[1];
		if (fd == 3) {
			fcntl(3, F_SETFD, 0);
		} else if (dup2(fd, 3) < 0) {
			_exit(127);
		}
		if (strchr(path, '/'))
			execv(path, (char *const *)argv);
		else
			execvp(path, (char *const *)argv);
		_exit(127);
	}
	close(sv[1]);
	free(argv);
	*sock = sv[0];
	*pid = p;
	return 0;
}

int vteed_spawn(const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram, struct vteed **out,
		pid_t *pid, char *errmsg)
{
	int s;
	pid_t p;
	*out = NULL;
	int err = vteed_spawn_raw(cfg ? cfg->vteed_path : NULL, cfg ? cfg->extra_args : NULL, &s, &p);
	if (err) {
		set_msg(errmsg, "spawning vteed failed");
		return err;
	}
	err = vteed_connect_fd(s, cfg, ram, nram, out, errmsg);
	if (err) {
		/* vteed exits by itself once its socket closes; reap it so no zombie is left */
		int st;
		if (waitpid(p, &st, 0) < 0)
			kill(p, SIGKILL);
		return err;
	}
	*pid = p;
	return 0;
}

/* vteed gone? The control socket hangs up (or says STOP) when it exits. */
static bool check_dead(struct vteed *v)
{
	if (atomic_load(&v->dead))
		return true;
	struct pollfd pf = { v->sock, POLLRDHUP, 0 };
	if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		atomic_store(&v->dead, true);
	return atomic_load(&v->dead);
}

bool vteed_dead(struct vteed *v)
{
	return check_dead(v);
}

int vteed_smc(struct vteed *v, unsigned vcpu, uint64_t regs[8])
{
	if (vcpu >= v->nslots) {
		regs[0] = 0xFFFFFFFFull;
		return -EINVAL;
	}
	struct vslot *vs = &v->slot[vcpu];
	struct vteed_slot *sl = &v->mb->slot[vcpu];
	pthread_mutex_lock(&vs->lock);
	if (atomic_load(&v->dead)) {
		pthread_mutex_unlock(&vs->lock);
		regs[0] = 0xFFFFFFFFull;
		return -EPIPE;
	}
	for (unsigned i = 0; i < 8; i++)
		__atomic_store_n(&sl->regs[i], regs[i], __ATOMIC_RELAXED);
	uint32_t seq = ++vs->seq;
	VTEED_STORE(&sl->req_seq, seq);
	if (VTEED_LOAD(&sl->srv_waiting))
		vteed_futex_wake(&sl->req_seq);
	uint32_t r = VTEED_LOAD(&sl->rsp_seq);
	if (r != seq && v->spin_ns) {
		uint64_t t0 = now_ns();
		for (unsigned i = 1; r != seq; i++) {
			vteed_cpu_relax();
			r = VTEED_LOAD(&sl->rsp_seq);
			if (!(i & 31) && now_ns() - t0 > v->spin_ns)
				break;
		}
	}
	while (r != seq) {
		VTEED_STORE(&sl->cli_waiting, 1u);
		r = VTEED_LOAD(&sl->rsp_seq);
		int w = 0;
		if (r != seq)
			w = vteed_futex_wait(&sl->rsp_seq, r, CLI_SLEEP_MS);
		VTEED_STORE(&sl->cli_waiting, 0u);
		r = VTEED_LOAD(&sl->rsp_seq);
		if (r != seq && w == -ETIMEDOUT && check_dead(v)) {
			pthread_mutex_unlock(&vs->lock);
			regs[0] = 0xFFFFFFFFull;
			return -EPIPE;
		}
	}
	for (unsigned i = 0; i < 8; i++)
		regs[i] = __atomic_load_n(&sl->regs[i], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vs->lock);
	return 0;
}

void vteed_close(struct vteed *v)
{
	if (!v)
		return;
	struct vteed_msg_hdr h = { VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_GOODBYE, sizeof(h), 0 };
	if (send(v->sock, &h, sizeof(h), MSG_NOSIGNAL) == (ssize_t)sizeof(h)) {
		/* wait for BYE (or STOP, or the hang-up) */
		struct vteed_msg_hdr r;
		while (read_full(v->sock, &r, sizeof(r), CLOSE_MS) == 0 && r.type != VTEED_MSG_BYE)
			;
	}
	close(v->sock);
	munmap(v->mb, VTEED_MAILBOX_SIZE);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_destroy(&v->slot[i].lock);
	free(v);
}
