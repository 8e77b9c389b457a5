// SPDX-License-Identifier: MIT
/* The VMM side of the vteed protocol (docs/vteed-protocol.md). */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vtee/vtee.h"
#ifdef VTEED_CLIENT_REMOTE
#include "core.h" /* the pool's connection count: struct vtee_tee's priv */
#include "remote.h"
#else
/* built without OpenSSL: no remote back-end to hold connections for */
static inline int vtee_remote_channel(struct vtee_tee *tee, int *fd)
{
	(void)tee;
	(void)fd;
	return -ENOTSUP;
}
#endif
#include "status.h"
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
	_Atomic uint64_t fid; /* x0 of the request in flight: the supervisor answers it if vteed dies */
};

struct vteed {
	int sock;
	uint64_t spin_ns;
	unsigned nslots;
	struct vteed_mailbox *mb;
	_Atomic bool dead;
	struct vslot slot[VTEED_MAX_SLOTS];

	/* supervision (vteed_start): what outlives each vteed */
	bool supervised;
	struct vteed_config cfg;      /* strings point into the copies below */
	char name[VTEED_NAME_MAX], backend[VTEED_BACKEND_MAX];
	char *vteed_path, *tee_path, **extra_args;
	struct vteed_ram ram[VTEED_MAX_REGIONS];
	unsigned nram;
	int mb_fd, jn_fd, tee_ctl;
	int teedev_fd;                /* backend "teedev": the VM's TEE context, passed to each vteed */
	struct vtee_tee *remote;      /* backend "remote": the connection pool; each vteed gets a channel */
	pid_t pid, tee_pid;
	pthread_t monitor;
	int stop_pipe[2];
	_Atomic uint32_t restarts, lost;
	_Atomic uint64_t last_recovery_ns;
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

static bool config_ok(const struct vteed_config *cfg, unsigned nram)
{
	return cfg && cfg->name && cfg->nvcpus > 0 && cfg->nvcpus <= VTEED_MAX_SLOTS && nram > 0 &&
	       nram <= VTEED_MAX_REGIONS && strlen(cfg->name) < VTEED_NAME_MAX &&
	       (!cfg->backend || strlen(cfg->backend) < VTEED_BACKEND_MAX);
}

/* A client with its mailbox (kept open in mb_fd for restarts). */
static int client_new(const struct vteed_config *cfg, struct vteed **out)
{
	struct vteed *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->sock = v->mb_fd = v->jn_fd = v->tee_ctl = v->teedev_fd = -1;
	v->stop_pipe[0] = v->stop_pipe[1] = -1;
	v->spin_ns = CLI_SPIN_NS;
	const char *e = getenv("VTEED_SPIN_NS");
	if (e && *e)
		v->spin_ns = strtoull(e, NULL, 10);
	v->nslots = cfg->nvcpus;
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_init(&v->slot[i].lock, NULL);
	int mfd = memfd_create("vteed-mailbox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 || ftruncate(mfd, VTEED_MAILBOX_SIZE) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	v->mb = mmap(NULL, VTEED_MAILBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (v->mb == MAP_FAILED) {
		v->mb = NULL;
		goto fail;
	}
	v->mb_fd = mfd;
	v->mb->magic = VTEED_MB_MAGIC;
	v->mb->version = VTEED_VERSION;
	v->mb->nslots = cfg->nvcpus;
	v->mb->slot_size = sizeof(struct vteed_slot);
	*out = v;
	return 0;
fail:;
	int err = -errno;
	if (mfd >= 0)
		close(mfd);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_destroy(&v->slot[i].lock);
	free(v);
	return err;
}

/*
 * The vteeds this process supervises with the same remote options share one
 * remote back-end instance, so one pool of connections to the server
 * (docs/remote.md): a reference-counted list.
 */
struct remote_pool {
	struct remote_pool *next;
	char *options;
	struct vtee_tee *tee;
	unsigned refs;
};
static struct remote_pool *remote_pools;
static pthread_mutex_t remote_pools_lock = PTHREAD_MUTEX_INITIALIZER;

static int remote_pool_get(const char *options, struct vtee_tee **out)
{
	if (!options)
		return -EINVAL;
	pthread_mutex_lock(&remote_pools_lock);
	struct remote_pool *p = remote_pools;
	while (p && strcmp(p->options, options))
		p = p->next;
	int err = 0;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (p && !(p->options = strdup(options))) {
			free(p);
			p = NULL;
		}
		err = p ? vtee_tee_open("remote", options, &p->tee) : -ENOMEM;
		if (err && p) {
			free(p->options);
			free(p);
			p = NULL;
		} else if (p) {
			p->next = remote_pools;
			remote_pools = p;
		}
	}
	if (p) {
		p->refs++;
		*out = p->tee;
	}
	pthread_mutex_unlock(&remote_pools_lock);
	return err;
}

static void remote_pool_put(struct vtee_tee *tee)
{
	pthread_mutex_lock(&remote_pools_lock);
	for (struct remote_pool **pp = &remote_pools; *pp; pp = &(*pp)->next) {
		struct remote_pool *p = *pp;
		if (p->tee != tee)
			continue;
		if (!--p->refs) {
			*pp = p->next;
			vtee_tee_close(p->tee);
			free(p->options);
			free(p);
		}
		break;
	}
	pthread_mutex_unlock(&remote_pools_lock);
}

static void client_free(struct vteed *v)
{
	if (v->sock >= 0)
		close(v->sock);
	if (v->mb)
		munmap(v->mb, VTEED_MAILBOX_SIZE);
	if (v->mb_fd >= 0)
		close(v->mb_fd);
	if (v->jn_fd >= 0)
		close(v->jn_fd);
	if (v->tee_ctl >= 0)
		close(v->tee_ctl);
	if (v->teedev_fd >= 0)
		close(v->teedev_fd);
	if (v->remote)
		remote_pool_put(v->remote);
	for (int i = 0; i < 2; i++)
		if (v->stop_pipe[i] >= 0)
			close(v->stop_pipe[i]);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_destroy(&v->slot[i].lock);
	free(v->vteed_path);
	free(v->tee_path);
	for (size_t i = 0; v->extra_args && v->extra_args[i]; i++)
		free(v->extra_args[i]);
	free(v->extra_args);
	free(v);
}

/*
 * HELLO on sock with the RAM fds, the mailbox and, when given, the journal
 * and the TEE socket; then the reply. sock is not closed here.
 */
static int handshake(struct vteed *v, int sock, const struct vteed_config *cfg, const struct vteed_ram *ram,
		     unsigned nram, uint32_t epoch, int jn_fd, int tee_fd, char *errmsg)
{
	struct vteed_hello h;
	memset(&h, 0, sizeof(h));
	h.hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_HELLO, sizeof(h), 0 };
	h.vm_id = cfg->vm_id;
	h.flags = (cfg->no_rpc_arg ? VTEED_HELLO_NO_RPC_ARG : 0) | (jn_fd >= 0 ? VTEED_HELLO_JOURNAL : 0) |
		  (tee_fd >= 0 ? VTEED_HELLO_TEE_FD : 0);
	h.epoch = epoch;
	h.slice_us = cfg->slice_us;
	h.nslots = cfg->nvcpus;
	h.nregions = nram;
	h.max_calls = cfg->max_calls;
	h.max_sessions = cfg->max_sessions;
	h.max_shm = cfg->max_shm;
	h.max_shm_pages = cfg->max_shm_pages;
	snprintf(h.name, sizeof(h.name), "%s", cfg->name);
	/* with a TEE fd: the supervisor's back-end (teedev's context, or link to vtee-tee) */
	snprintf(h.backend, sizeof(h.backend), "%s",
		 tee_fd >= 0 ? (v->teedev_fd >= 0 ? "teedev" : "link") : cfg->backend ? cfg->backend : "");
	int fds[VTEED_MAX_FDS];
	unsigned nfds = 0;
	for (unsigned i = 0; i < nram; i++) {
		h.regions[i] = (struct vteed_region){ ram[i].gpa, ram[i].size, ram[i].fd_offset };
		fds[nfds++] = ram[i].fd;
	}
	fds[nfds++] = v->mb_fd;
	if (jn_fd >= 0)
		fds[nfds++] = jn_fd;
	if (tee_fd >= 0)
		fds[nfds++] = tee_fd;
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = CMSG_SPACE(sizeof(int) * nfds) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h)) {
		set_msg(errmsg, "sending HELLO failed");
		return n < 0 ? -errno : -EIO;
	}
	struct vteed_reply r;
	int err = read_full(sock, &r, sizeof(r), HANDSHAKE_MS);
	if (err) {
		set_msg(errmsg, "no reply to HELLO");
		return err;
	}
	r.message[sizeof(r.message) - 1] = 0;
	set_msg(errmsg, r.message);
	if (r.hdr.magic != VTEED_MAGIC || r.hdr.size != sizeof(r))
		return -EPROTO;
	if (r.hdr.type == VTEED_MSG_ERROR)
		return r.error > 0 ? -r.error : -EPROTO;
	if (r.hdr.type != VTEED_MSG_WELCOME || r.hdr.version != VTEED_VERSION || r.nslots != cfg->nvcpus)
		return -EPROTO;
	return 0;
}

int vteed_connect_fd(int sock, const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram,
		     struct vteed **out, char *errmsg)
{
	set_msg(errmsg, "");
	*out = NULL;
	if (!config_ok(cfg, nram)) {
		set_msg(errmsg, "bad configuration");
		close(sock);
		return -EINVAL;
	}
	struct vteed *v;
	int err = client_new(cfg, &v);
	if (err) {
		close(sock);
		return err;
	}
	v->sock = sock;
	err = handshake(v, sock, cfg, ram, nram, 0, -1, -1, errmsg);
	if (err) {
		client_free(v);
		return err;
	}
	/* an unsupervised vteed cannot be restarted: nothing needs the mailbox fd any more */
	close(v->mb_fd);
	v->mb_fd = -1;
	*out = v;
	return 0;
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

/* fork + exec `path args...` with fd as fd 3 (and nothing else but stdio). */
static int spawn_fd3(const char *path, const char *const *args, size_t nargs, int fd, pid_t *pid)
{
	const char **argv = calloc(nargs + 2, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[0] = path;
	for (size_t i = 0; i < nargs; i++)
		argv[1 + i] = args[i];
	pid_t p = fork();
	if (p < 0) {
		int e = -errno;
		free(argv);
		return e;
	}
	if (p == 0) {
		/* child: only async-signal-safe calls */
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
	free(argv);
	*pid = p;
	return 0;
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
	const char **args = calloc(nextra + 2, sizeof(*args));
	if (!args)
		return -ENOMEM;
	args[0] = "--fd";
	args[1] = "3";
	for (size_t i = 0; i < nextra; i++)
		args[2 + i] = extra_args[i];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(args);
		return -errno;
	}
	int err = spawn_fd3(path, args, nextra + 2, sv[1], pid);
	free(args);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return err;
	}
	*sock = sv[0];
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
	if (v->supervised)
		return false; /* the monitor restarts it; only it declares death */
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
	atomic_store_explicit(&vs->fid, regs[0], memory_order_relaxed); /* published by the req_seq store */
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

/* ---- supervision ---------------------------------------------------------- */

/*
 * Give the TEE process one end of a new socketpair, bound to this VM ('B' +
 * vm_id, docs/tee-link.md): a compromised vteed can then attach to no other
 * VM's TEE state. The other end is ours.
 */
static int tee_connection(struct vteed *v, int *mine)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	uint8_t bind[5] = { 'B', (uint8_t)v->cfg.vm_id, (uint8_t)(v->cfg.vm_id >> 8), (uint8_t)(v->cfg.vm_id >> 16),
			    (uint8_t)(v->cfg.vm_id >> 24) };
	struct iovec iov = { bind, sizeof(bind) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
	ssize_t n;
	do
		n = sendmsg(v->tee_ctl, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	int err = n == (ssize_t)sizeof(bind) ? 0 : n < 0 ? -errno : -EIO;
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return err;
	}
	*mine = sv[0];
	return 0;
}

/* Spawn a vteed for this epoch and hand it the VM. */
static int start_vteed(struct vteed *v, uint32_t epoch, char *errmsg)
{
	int tee = -1, sock;
	pid_t pid;
	/* teedev: the same context every time, so the VM's sessions outlive each vteed */
	int err = v->teedev_fd >= 0 ? ((tee = fcntl(v->teedev_fd, F_DUPFD_CLOEXEC, 3)) < 0 ? -errno : 0)
		  : v->remote      ? vtee_remote_channel(v->remote, &tee) /* a new channel: a new link stream */
				   : tee_connection(v, &tee);
	if (err) {
		set_msg(errmsg, "cannot reach the TEE process");
		return err;
	}
	err = vteed_spawn_raw(v->vteed_path, (const char *const *)v->extra_args, &sock, &pid);
	if (err) {
		close(tee);
		set_msg(errmsg, "spawning vteed failed");
		return err;
	}
	err = handshake(v, sock, &v->cfg, v->ram, v->nram, epoch, v->jn_fd, tee, errmsg);
	close(tee); /* vteed has its own copy now */
	if (err) {
		close(sock);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	v->sock = sock;
	v->pid = pid;
	return 0;
}

/*
 * vteed died. A request it left unanswered stays posted for the next vteed:
 * a fast call (SMCCC bit 31) is simply served again; a yielding call is
 * marked lost, so the next vteed rolls back what it did and replays it
 * (vtee_vm_smc_replay: closes and unregisters happen, the rest fail cleanly).
 */
static void mark_lost_calls(struct vteed *v)
{
	for (unsigned i = 0; i < v->nslots; i++) {
		struct vteed_slot *sl = &v->mb->slot[i];
		uint32_t req = VTEED_LOAD(&sl->req_seq);
		if (req == VTEED_LOAD(&sl->rsp_seq) || (atomic_load(&v->slot[i].fid) & 0x80000000u))
			continue;
		VTEED_STORE(&sl->lost_seq, req);
		atomic_fetch_add(&v->lost, 1);
	}
}

/* No vteed any more: fail whatever is posted (SMCCC "unknown function"). */
static void fail_posted_calls(struct vteed *v)
{
	for (unsigned i = 0; i < v->nslots; i++) {
		struct vteed_slot *sl = &v->mb->slot[i];
		uint32_t req = VTEED_LOAD(&sl->req_seq);
		if (req == VTEED_LOAD(&sl->rsp_seq))
			continue;
		__atomic_store_n(&sl->regs[0], 0xFFFFFFFFull, __ATOMIC_RELAXED);
		for (unsigned k = 1; k < 4; k++)
			__atomic_store_n(&sl->regs[k], 0, __ATOMIC_RELAXED);
		VTEED_STORE(&sl->rsp_seq, req);
		vteed_futex_wake(&sl->rsp_seq);
	}
}

static void *monitor(void *arg)
{
	struct vteed *v = arg;
	for (;;) {
		struct pollfd pf[2] = { { v->sock, POLLIN | POLLRDHUP, 0 }, { v->stop_pipe[0], POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			return NULL;
		if (!pf[0].revents)
			continue;
		/* anything from vteed now (STOP or a hang-up) means it is going away */
		uint64_t t0 = now_ns();
		char buf[64];
		while (recv(v->sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		kill(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
		close(v->sock);
		v->sock = -1;
		mark_lost_calls(v);
		int err = -1;
		for (int tries = 0; tries < 3 && err; tries++)
			err = start_vteed(v, atomic_load(&v->restarts) + 1, NULL);
		if (err) {
			fprintf(stderr, "vteed-client[%s]: vteed cannot be restarted: %s\n", v->name, strerror(-err));
			atomic_store(&v->dead, true);
			fail_posted_calls(v);
			return NULL;
		}
		atomic_fetch_add(&v->restarts, 1);
		atomic_store(&v->last_recovery_ns, now_ns() - t0);
	}
	return NULL;
}

/*
 * The host's OP-TEE client device: path, or the first /dev/teeN whose
 * TEE_IOC_VERSION says OP-TEE and not the supplicant's. Read-write, as any
 * libteec client opens it: the device's permissions decide.
 */
static int open_tee_device(const char *path, int *out, char *errmsg)
{
	char p[32];
	for (int n = 0; n < 32; n++) {
		if (!path)
			snprintf(p, sizeof(p), "/dev/tee%d", n);
		int fd = open(path ? path : p, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			if (path || e != ENOENT || n == 31) {
				set_msg(errmsg, path ? "cannot open the TEE device given" : "no OP-TEE device (/dev/teeN)");
				return -e;
			}
			continue;
		}
		struct tee_ioctl_version_data ver;
		memset(&ver, 0, sizeof(ver));
		if (ioctl(fd, TEE_IOC_VERSION, &ver) == 0 && ver.impl_id == TEE_IMPL_ID_OPTEE &&
		    !(ver.gen_caps & TEE_GEN_CAP_PRIVILEGED)) {
			*out = fd;
			return 0;
		}
		close(fd);
		if (path) {
			set_msg(errmsg, "the TEE device given is not an OP-TEE client device");
			return -ENODEV;
		}
	}
	set_msg(errmsg, "no OP-TEE device (/dev/teeN)");
	return -ENOENT;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int vteed_start(const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram, struct vteed **out,
		char *errmsg)
{
	set_msg(errmsg, "");
	*out = NULL;
	bool teedev = cfg && cfg->backend && !strcmp(cfg->backend, "teedev");
	bool remote = cfg && cfg->backend && !strcmp(cfg->backend, "remote");
	if (!config_ok(cfg, nram) || (cfg->backend && strcmp(cfg->backend, "soft") && !teedev && !remote)) {
		set_msg(errmsg, cfg && cfg->backend ? "vteed_start supervises the built-in TEE (soft), teedev and remote"
						    : "bad configuration");
		return -EINVAL;
	}
	struct vteed *v;
	int err = client_new(cfg, &v);
	if (err)
		return err;
	v->supervised = true;
	v->cfg = *cfg;
	snprintf(v->name, sizeof(v->name), "%s", cfg->name);
	v->cfg.name = v->name;
	v->cfg.backend = NULL;
	memcpy(v->ram, ram, nram * sizeof(*ram));
	v->nram = nram;
	v->vteed_path = dup_or_null(cfg->vteed_path);
	v->tee_path = dup_or_null(cfg->tee_path ? cfg->tee_path : getenv("VTEE_TEE"));
	size_t nextra = 0;
	while (cfg->extra_args && cfg->extra_args[nextra])
		nextra++;
	v->extra_args = calloc(nextra + 1, sizeof(char *));
	for (size_t i = 0; v->extra_args && i < nextra; i++)
		v->extra_args[i] = strdup(cfg->extra_args[i]);
	v->jn_fd = memfd_create("vteed-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (!v->extra_args || v->jn_fd < 0 || pipe2(v->stop_pipe, O_CLOEXEC) < 0) {
		err = -errno;
		goto fail;
	}

	if (remote) {
		/* the TLS connections live here; vteed speaks the link protocol on its channel */
		err = remote_pool_get(cfg->remote_options, &v->remote);
		if (err) {
			set_msg(errmsg, "the remote back-end's options (docs/remote.md)");
			goto fail;
		}
		err = start_vteed(v, 0, errmsg);
		if (err)
			goto fail;
		goto monitor;
	}
	if (teedev) {
		/* the host TEE: this process opens the context (its access rights), vteed cannot */
		err = open_tee_device(cfg->tee_dev, &v->teedev_fd, errmsg);
		if (err)
			goto fail;
		err = start_vteed(v, 0, errmsg);
		if (err)
			goto fail;
		goto monitor;
	}

	/* the TEE process: it holds the sessions, so it outlives every vteed */
	int ctl[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0) {
		err = -errno;
		goto fail;
	}
	const char *tee_args[] = { "--ctl-fd", "3" };
	err = spawn_fd3(v->tee_path ? v->tee_path : "vtee-tee", tee_args, 2, ctl[1], &v->tee_pid);
	close(ctl[1]);
	if (err) {
		close(ctl[0]);
		set_msg(errmsg, "spawning vtee-tee failed");
		goto fail;
	}
	v->tee_ctl = ctl[0];

	err = start_vteed(v, 0, errmsg);
	if (err)
		goto fail;
monitor:
	err = -pthread_create(&v->monitor, NULL, monitor, v);
	if (err) {
		kill(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
		goto fail;
	}
	*out = v;
	return 0;
fail:
	if (v->tee_pid > 0) {
		close(v->tee_ctl);
		v->tee_ctl = -1;
		waitpid(v->tee_pid, NULL, 0);
	}
	client_free(v);
	return err ? err : -ENOMEM;
}

void vteed_get_info(struct vteed *v, struct vteed_info *info)
{
	memset(info, 0, sizeof(*info));
	info->pid = v->pid;
	info->tee_pid = v->tee_pid;
	info->restarts = atomic_load(&v->restarts);
	info->last_recovery_ns = atomic_load(&v->last_recovery_ns);
	info->lost_calls = atomic_load(&v->lost);
#ifdef VTEED_CLIENT_REMOTE
	if (v->remote)
		info->remote_connections = vtee_remote_connections(v->remote->priv);
#endif
}

/* waitpid with a deadline, then SIGKILL. */
static void reap(pid_t pid, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void vteed_close(struct vteed *v)
{
	if (!v)
		return;
	if (v->supervised) {
		/* stop restarting first: the GOODBYE below ends this vteed for good */
		char b = 1;
		if (write(v->stop_pipe[1], &b, 1) == 1)
			pthread_join(v->monitor, NULL);
	}
	if (v->sock >= 0) {
		struct vteed_msg_hdr h = { VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_GOODBYE, sizeof(h), 0 };
		if (send(v->sock, &h, sizeof(h), MSG_NOSIGNAL) == (ssize_t)sizeof(h)) {
			/* wait for BYE (or STOP, or the hang-up) */
			struct vteed_msg_hdr r;
			while (read_full(v->sock, &r, sizeof(r), CLOSE_MS) == 0 && r.type != VTEED_MSG_BYE)
				;
		}
	}
	if (v->supervised) {
		if (v->pid > 0)
			reap(v->pid, CLOSE_MS);
		if (v->tee_ctl >= 0) {
			close(v->tee_ctl); /* the TEE process ends with its supervisor */
			v->tee_ctl = -1;
		}
		if (v->tee_pid > 0)
			reap(v->tee_pid, CLOSE_MS);
	}
	client_free(v);
}

/* ---- status ---------------------------------------------------------------- */

int vteed_status_query(pid_t pid, struct vteed_status *out)
{
	struct sockaddr_un sa;
	socklen_t len = vteed_status_addr(pid, &sa);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int err = 0;
	struct vteed_msg_hdr h = { VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_STATUS, sizeof(h), 0 };
	if (connect(s, (struct sockaddr *)&sa, len) < 0 || send(s, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		err = -errno;
	if (!err)
		err = read_full(s, out, sizeof(*out), 1000);
	close(s);
	if (!err && (out->hdr.magic != VTEED_MAGIC || out->hdr.type != VTEED_MSG_STATUS_REPLY ||
		     out->hdr.size != sizeof(*out)))
		err = -EPROTO;
	if (!err) {
		out->name[sizeof(out->name) - 1] = 0;
		out->backend[sizeof(out->backend) - 1] = 0;
	}
	return err;
}

int vteed_status(struct vteed *v, struct vteed_status *out)
{
	return vteed_status_query(v->pid, out);
}
