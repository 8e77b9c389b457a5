// SPDX-License-Identifier: MIT
/* The VMM side of the vteed protocol (docs/vteed-protocol.md): handshake, mailbox, close. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "fullio.h"
#include "spawn_fd3.h"
#include "vteed_futex.h"

/*
 * A vCPU polls rsp_seq this long before it sleeps on the futex. Short: on a
 * small host the vCPU, vteed's server thread and the TEE's own thread compete
 * for cores, and a long spin steals the core the answer is computed on.
 * $VTEED_SPIN_NS overrides it (tuning and benchmarks).
 */
#define CLI_SPIN_NS      5000u
#define CLI_SLEEP_MS     50u    /* a sleeping vCPU checks that vteed lives this often */
#define HANDSHAKE_MS     10000

uint64_t vteed_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vteed_set_msg(char *msg, size_t msglen, const char *text)
{
	if (msg && msglen)
		snprintf(msg, msglen, "%s", text);
}

bool vteed_config_ok(const struct vteed_config *cfg, unsigned nram)
{
	return cfg && cfg->name && cfg->nvcpus > 0 && cfg->nvcpus <= VTEED_MAX_SLOTS && nram > 0 &&
	       nram <= VTEED_MAX_REGIONS && strlen(cfg->name) < VTEED_NAME_MAX &&
	       (!cfg->backend || strlen(cfg->backend) < VTEED_BACKEND_MAX) &&
	       (!cfg->backend_options || strlen(cfg->backend_options) < VTEED_TEE_OPTIONS_MAX);
}

/* The mailbox: a sealed memfd of VTEED_MAILBOX_SIZE, mapped, its header written. */
static int mailbox_new(unsigned nslots, int *fd, struct vteed_mailbox **mb)
{
	int mfd = memfd_create("vteed-mailbox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	void *p = MAP_FAILED;
	if (ftruncate(mfd, VTEED_MAILBOX_SIZE) == 0 &&
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		p = mmap(NULL, VTEED_MAILBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;
		close(mfd);
		return err;
	}
	*mb = p;
	(*mb)->magic = VTEED_MB_MAGIC;
	(*mb)->version = VTEED_VERSION;
	(*mb)->nslots = nslots;
	(*mb)->slot_size = sizeof(struct vteed_slot);
	*fd = mfd;
	return 0;
}

int vteed_client_new(const struct vteed_config *cfg, struct vteed **out)
{
	struct vteed *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->sock = v->mb_fd = v->jn_fd = -1;
	v->stop_pipe[0] = v->stop_pipe[1] = -1;
	v->spin_ns = CLI_SPIN_NS;
	const char *e = getenv("VTEED_SPIN_NS");
	if (e && *e)
		v->spin_ns = strtoull(e, NULL, 10);
	v->nslots = cfg->nvcpus;
	int err = mailbox_new(cfg->nvcpus, &v->mb_fd, &v->mb);
	if (err) {
		free(v);
		return err;
	}
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_init(&v->slot[i].lock, NULL);
	*out = v;
	return 0;
}

void vteed_client_free(struct vteed *v)
{
	if (v->sock >= 0)
		close(v->sock);
	if (v->mb)
		munmap(v->mb, VTEED_MAILBOX_SIZE);
	if (v->mb_fd >= 0)
		close(v->mb_fd);
	if (v->jn_fd >= 0)
		close(v->jn_fd);
	vteed_tee_source_close(&v->tee, VTEED_CLOSE_MS);
	for (int i = 0; i < 2; i++)
		if (v->stop_pipe[i] >= 0)
			close(v->stop_pipe[i]);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		pthread_mutex_destroy(&v->slot[i].lock);
	free(v->vteed_path);
	for (size_t i = 0; v->extra_args && v->extra_args[i]; i++)
		free(v->extra_args[i]);
	free(v->extra_args);
	free(v);
}

/* HELLO from the configuration; the TEE as ep describes it. */
static void hello_fill(struct vteed_hello *h, const struct vteed_config *cfg, unsigned nram, uint32_t epoch,
		       uint32_t flags, const struct vteed_tee_endpoint *ep)
{
	memset(h, 0, sizeof(*h));
	h->hdr = (struct vteed_msg_hdr){ VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_HELLO, sizeof(*h), 0 };
	h->vm_id = cfg->vm_id;
	h->flags = (cfg->no_rpc_arg ? VTEED_HELLO_NO_RPC_ARG : 0) | flags;
	h->epoch = epoch;
	h->slice_us = cfg->slice_us;
	h->nslots = cfg->nvcpus;
	h->nregions = nram;
	h->max_calls = cfg->max_calls;
	h->max_sessions = cfg->max_sessions;
	h->max_shm = cfg->max_shm;
	h->max_shm_pages = cfg->max_shm_pages;
	snprintf(h->name, sizeof(h->name), "%s", cfg->name);
	snprintf(h->backend, sizeof(h->backend), "%s", ep->backend);
	h->tee = ep->desc;
}

/* WELCOME (vteed's pid in v->pid, for its status), or the daemon's ERROR (its message in msg). */
static int read_reply(struct vteed *v, int sock, const struct vteed_config *cfg, char *msg, size_t msglen)
{
	struct vteed_reply r;
	int err = vteed_read_full(sock, &r, sizeof(r), HANDSHAKE_MS);
	if (err) {
		vteed_set_msg(msg, msglen, "no reply to HELLO");
		return err;
	}
	r.message[sizeof(r.message) - 1] = 0;
	vteed_set_msg(msg, msglen, r.message);
	if (r.hdr.magic != VTEED_MAGIC || r.hdr.size != sizeof(r))
		return -EPROTO;
	if (r.hdr.type == VTEED_MSG_ERROR)
		return r.error > 0 ? -r.error : -EPROTO;
	if (r.hdr.type != VTEED_MSG_WELCOME || r.hdr.version != VTEED_VERSION || r.nslots != cfg->nvcpus)
		return -EPROTO;
	v->pid = (pid_t)r.pid;
	return 0;
}

int vteed_handshake(struct vteed *v, int sock, const struct vteed_config *cfg, const struct vteed_ram *ram,
		    unsigned nram, uint32_t epoch, int jn_fd, const struct vteed_tee_endpoint *ep, char *msg,
		    size_t msglen)
{
	struct vteed_tee_endpoint own;
	if (!ep) { /* vteed opens the back-end itself ("" is "soft") */
		vteed_tee_endpoint_init(&own, cfg->backend ? cfg->backend : "",
					cfg->backend_options ? cfg->backend_options : "");
		ep = &own;
	}
	struct vteed_hello h;
	hello_fill(&h, cfg, nram, epoch, jn_fd >= 0 ? VTEED_HELLO_JOURNAL : 0, ep);
	int fds[VTEED_MAX_FDS];
	unsigned nfds = 0;
	for (unsigned i = 0; i < nram; i++) {
		h.regions[i] = (struct vteed_region){ ram[i].gpa, ram[i].size, ram[i].fd_offset };
		fds[nfds++] = ram[i].fd;
	}
	fds[nfds++] = v->mb_fd;
	if (jn_fd >= 0)
		fds[nfds++] = jn_fd;
	for (unsigned i = 0; i < ep->desc.nfds; i++)
		fds[nfds++] = ep->fds[i];
	int err = vtee_send_fds(sock, &h, sizeof(h), fds, nfds);
	if (err) {
		vteed_set_msg(msg, msglen, "sending HELLO failed");
		return err;
	}
	return read_reply(v, sock, cfg, msg, msglen);
}

int vteed_connect_fd(int sock, const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram,
		     struct vteed **out, char *msg, size_t msglen)
{
	vteed_set_msg(msg, msglen, "");
	*out = NULL;
	if (!vteed_config_ok(cfg, nram)) {
		vteed_set_msg(msg, msglen, "bad configuration");
		close(sock);
		return -EINVAL;
	}
	struct vteed *v;
	int err = vteed_client_new(cfg, &v);
	if (err) {
		close(sock);
		return err;
	}
	v->sock = sock;
	err = vteed_handshake(v, sock, cfg, ram, nram, 0, -1, NULL, msg, msglen);
	if (err) {
		vteed_client_free(v);
		return err;
	}
	/* an unsupervised vteed cannot be restarted: nothing needs the mailbox fd any more */
	close(v->mb_fd);
	v->mb_fd = -1;
	*out = v;
	return 0;
}

int vteed_connect(const char *socket_path, const struct vteed_config *cfg, const struct vteed_ram *ram,
		  unsigned nram, struct vteed **out, char *msg, size_t msglen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	*out = NULL;
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
	return vteed_connect_fd(s, cfg, ram, nram, out, msg, msglen);
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
	const char **args = calloc(nextra + 3, sizeof(*args));
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
	int err = vteed_spawn_fd3(path, args, sv[1], pid);
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
		pid_t *pid, char *msg, size_t msglen)
{
	int s;
	pid_t p;
	*out = NULL;
	int err = vteed_spawn_raw(cfg ? cfg->vteed_path : NULL, cfg ? cfg->extra_args : NULL, &s, &p);
	if (err) {
		vteed_set_msg(msg, msglen, "spawning vteed failed");
		return err;
	}
	err = vteed_connect_fd(s, cfg, ram, nram, out, msg, msglen);
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

/* Spin on rsp_seq for up to spin_ns, then sleep on it; -EPIPE if vteed died meanwhile. */
static int wait_answer(struct vteed *v, struct vteed_slot *sl, uint32_t seq)
{
	uint32_t r = VTEED_LOAD(&sl->rsp_seq);
	if (r != seq && v->spin_ns) {
		uint64_t t0 = vteed_now_ns();
		for (unsigned i = 1; r != seq; i++) {
			vtee_poll_pause(i, t0, VTEE_POLL_YIELD_NS);
			r = VTEED_LOAD(&sl->rsp_seq);
			if (!(i & 31) && vteed_now_ns() - t0 > v->spin_ns)
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
		if (r != seq && w == -ETIMEDOUT && check_dead(v))
			return -EPIPE;
	}
	return 0;
}

int vteed_smc(struct vteed *v, unsigned vcpu, uint64_t regs[8])
{
	if (vcpu >= v->nslots) {
		regs[0] = 0xFFFFFFFFull;
		return -EINVAL;
	}
	struct vteed_vslot *vs = &v->slot[vcpu];
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
	if (wait_answer(v, sl, seq)) {
		pthread_mutex_unlock(&vs->lock);
		regs[0] = 0xFFFFFFFFull;
		return -EPIPE;
	}
	for (unsigned i = 0; i < 8; i++)
		regs[i] = __atomic_load_n(&sl->regs[i], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vs->lock);
	return 0;
}

void vteed_reap(pid_t pid, int ms)
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
	if (v->supervised)
		vteed_supervisor_stop(v); /* first: the GOODBYE below ends this vteed for good */
	if (v->sock >= 0) {
		struct vteed_msg_hdr h = { VTEED_MAGIC, VTEED_VERSION, VTEED_MSG_GOODBYE, sizeof(h), 0 };
		if (send(v->sock, &h, sizeof(h), MSG_NOSIGNAL) == (ssize_t)sizeof(h)) {
			/* wait for BYE (or STOP, or the hang-up) */
			struct vteed_msg_hdr r;
			while (vteed_read_full(v->sock, &r, sizeof(r), VTEED_CLOSE_MS) == 0 && r.type != VTEED_MSG_BYE)
				;
		}
	}
	if (v->supervised && v->pid > 0)
		vteed_reap(v->pid, VTEED_CLOSE_MS);
	vteed_client_free(v); /* the TEE process ends with its supervisor */
}
