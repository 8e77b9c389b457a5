// SPDX-License-Identifier: MIT
/*
 * Where TAs in processes come from (ta_proc.h): the soft back-end's ta_*
 * options, and vtee-ta-host, the fork server that starts every instance.
 *
 * The fork server is started at soft_open(), before vtee-tee enters its
 * sandbox, with the TA directories on its command line: only files in them
 * are ever loaded, by name <uuid>.ta, so a guest can name a TA but never
 * supply one. It is started through an intermediate process that exits at
 * once, so it is not our child: a sandboxed vtee-tee may not wait for a
 * child. It ends when its control socket does (ours closed, or this process
 * gone), and takes every instance with it.
 *
 * The control socket's reader (the monitor thread) takes the server's
 * answers: STARTED for a spawn waiting in ta_store_spawn(), DIED for an
 * instance, which it marks dead and whose channel it shuts, so that a call
 * waiting on it wakes at once. Writes (START, KILL) use sendmsg, which
 * vtee-tee's allowlist has (send() is sendto, which it has not).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "sync.h"
#include "fdpass.h"
#include "log.h"
#include "ta_proc.h"
#include "ta_storage.h"

#ifndef VTEE_TA_HOST_INSTALLED
#define VTEE_TA_HOST_INSTALLED "/usr/local/bin/vtee-ta-host"
#endif

/* How long soft_open() waits for the fork server's greeting. */
#define HOST_HELLO_MS 10000

/* ---- options ---- */

static char *dup_value(const char *s, size_t len)
{
	char *v = malloc(len + 1);
	if (v) {
		memcpy(v, s, len);
		v[len] = 0;
	}
	return v;
}

static int parse_u32(const char *s, size_t len, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!len || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* A value that becomes a string: non-empty, no NUL (the caller cut at ','), bounded. */
static int set_string(char **dst, const char *v, size_t len, bool absolute)
{
	if (!len || len >= PATH_MAX || (absolute && v[0] != '/'))
		return -EINVAL;
	char *s = dup_value(v, len);
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int ta_store_option(struct ta_store_cfg *cfg, const char *s, size_t len)
{
	static const struct { const char *key; size_t n; } keys[] = {
		{ "ta_dir=", 7 }, { "ta_host=", 8 }, { "ta_user=", 8 },
		{ "ta_cancel_grace_ms=", 19 }, { "ta_memref_max=", 14 },
	};
	size_t k = 0;
	while (k < sizeof(keys) / sizeof(keys[0]) && (len < keys[k].n || strncmp(s, keys[k].key, keys[k].n)))
		k++;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return -ENOENT;
	const char *v = s + keys[k].n;
	size_t vlen = len - keys[k].n;
	switch (k) {
	case 0:
		if (cfg->ndirs == TA_STORE_MAX_DIRS)
			return -EINVAL;
		cfg->dirs[cfg->ndirs] = NULL;
		int r = set_string(&cfg->dirs[cfg->ndirs], v, vlen, true);
		if (!r)
			cfg->ndirs++;
		return r;
	case 1:
		return set_string(&cfg->host_path, v, vlen, false);
	case 2:
		return set_string(&cfg->user, v, vlen, false);
	case 3:
		return parse_u32(v, vlen, 1, 600000, &cfg->grace_ms);
	default:
		return parse_u32(v, vlen, 4096, TA_MAX_BULK, &cfg->bulk_size);
	}
}

void ta_store_cfg_free(struct ta_store_cfg *cfg)
{
	for (unsigned i = 0; i < cfg->ndirs; i++)
		free(cfg->dirs[i]);
	free(cfg->host_path);
	free(cfg->user);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- starting the fork server ---- */

/* ta_host=, $VTEE_TA_HOST, vtee-ta-host beside this program, the installed one. Malloc'd. */
static char *host_program(const struct ta_store_cfg *cfg)
{
	if (cfg->host_path)
		return strdup(cfg->host_path);
	const char *e = getenv("VTEE_TA_HOST");
	if (e && *e)
		return strdup(e);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		char *p = NULL;
		if (slash && (*slash = 0, asprintf(&p, "%s/vtee-ta-host", self) > 0) && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return strdup(VTEE_TA_HOST_INSTALLED);
}

/* In the forked child (async-signal-safe calls only): fd 3 = ctl, stdin /dev/null, exec. */
static _Noreturn void exec_server(int ctl, const char *path, char *const argv[])
{
	if (ctl == 3)
		fcntl(3, F_SETFD, 0);
	else if (dup2(ctl, 3) < 0)
		_exit(127);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0 && null != 0)
		dup2(null, 0);
	if (syscall(SYS_close_range, 4u, ~0u, 0u) < 0)
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(path, argv);
	_exit(127);
}

/* Fork an intermediate that forks the server and exits: the server is nobody's child here. */
static int spawn_detached(int ctl, const char *path, char *const argv[])
{
	pid_t mid = fork();
	if (mid < 0)
		return -errno;
	if (mid == 0) {
		pid_t p = fork();
		if (p == 0)
			exec_server(ctl, path, argv);
		_exit(p < 0 ? 1 : 0);
	}
	int status;
	while (waitpid(mid, &status, 0) < 0) {
		if (errno == ECHILD)
			return 0; /* SIGCHLD ignored here: reaped already; the server's greeting tells */
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static char **server_argv(const struct ta_store_cfg *cfg, const char *path)
{
	size_t n = 0;
	char **argv = calloc(8 + 2 * (size_t)cfg->ndirs, sizeof(*argv));
	if (!argv)
		return NULL;
	argv[n++] = (char *)path; /* its control socket is fd 3 */
	if (cfg->user) {
		argv[n++] = (char *)"--user";
		argv[n++] = cfg->user;
	}
	for (unsigned i = 0; i < cfg->ndirs; i++) {
		argv[n++] = (char *)"--ta-dir";
		argv[n++] = cfg->dirs[i];
	}
	return argv;
}

/* ---- the control socket ---- */

static int ctl_send(struct ta_store *st, const struct tap_ctl *m)
{
	pthread_mutex_lock(&st->send_lock);
	int r = vtee_send_fds(st->ctl, m, sizeof(*m), NULL, 0);
	pthread_mutex_unlock(&st->send_lock);
	return r;
}

/* One message and the fds that came with it (at most TAP_NFDS, the rest closed). >0, 0 at EOF, -errno. */
static ssize_t ctl_recv(int ctl, struct tap_ctl *m, int fds[TAP_NFDS], unsigned *nfds)
{
	size_t got;
	int r = vtee_recv_fds(ctl, m, sizeof(*m), &got, fds, TAP_NFDS, nfds);
	if (*nfds > TAP_NFDS)
		*nfds = TAP_NFDS; /* the rest were closed */
	return r ? r : (ssize_t)got;
}

static struct ta_inst *live_find(struct ta_store *st, uint64_t id)
{
	for (struct ta_inst *in = st->live; in; in = in->st_next)
		if (in->id == id)
			return in;
	return NULL;
}

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * The instance has ended (st->lock held): every wait on it ends now, once it
 * has read what the instance sent before it went (a PANIC, a READY).
 */
static void inst_died(struct ta_inst *in, int status)
{
	atomic_store(&in->exit_status, status);
	atomic_store(&in->dead, true);
	ta_st_inst_gone(in);
	if (in->chan_fd >= 0)
		vtee_chan_hangup(in->chan_fd);
	bool expected = atomic_load(&in->kill_sent) || atomic_load(&in->destroy_sent) || atomic_load(&in->panicked);
	if (WIFSIGNALED(status))
		vtee_log(expected ? VTEE_LOG_DEBUG : VTEE_LOG_WARNING, "ta[%s]: instance %d killed by signal %d (%s)",
			 in->pv ? in->pv->name : "-", in->pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		vtee_log(expected ? VTEE_LOG_DEBUG : VTEE_LOG_WARNING, "ta[%s]: instance %d exited with status %d",
			 in->pv ? in->pv->name : "-", in->pid, WEXITSTATUS(status));
}

static void take_message(struct ta_store *st, const struct tap_ctl *m, int *fds, unsigned nfds)
{
	pthread_mutex_lock(&st->lock);
	struct ta_inst *in = live_find(st, m->id);
	if (m->type == TAP_CTL_STARTED && in && !in->started) {
		in->started = true;
		in->start_err = m->err ? m->err : nfds == TAP_NFDS ? 0 : -EPROTO;
		in->pid = m->status;
		for (unsigned i = 0; i < nfds; i++) {
			in->start_fds[i] = fds[i];
			fds[i] = -1;
		}
		pthread_cond_broadcast(&st->cond);
	} else if (m->type == TAP_CTL_DIED && in) {
		inst_died(in, m->status);
		pthread_cond_broadcast(&st->cond); /* ta_store_forget() may be waiting for it */
	}
	pthread_mutex_unlock(&st->lock);
	close_fds(fds, nfds);
}

static void *monitor(void *arg)
{
	struct ta_store *st = arg;
	for (;;) {
		struct tap_ctl m;
		int fds[TAP_NFDS];
		unsigned nfds;
		ssize_t n = ctl_recv(st->ctl, &m, fds, &nfds);
		if (n <= 0)
			break;
		if (n == (ssize_t)sizeof(m))
			take_message(st, &m, fds, nfds);
		else
			close_fds(fds, nfds);
	}
	/* the server is gone, and every instance with it (they die with their parent) */
	pthread_mutex_lock(&st->lock);
	st->server_gone = true;
	for (struct ta_inst *in = st->live; in; in = in->st_next)
		if (!atomic_load(&in->dead))
			inst_died(in, SIGKILL);
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* The server's first words: STARTED for id 0. 0, or -ENOENT when it never came up. */
static int await_hello(int ctl)
{
	struct pollfd p = { ctl, POLLIN, 0 };
	if (poll(&p, 1, HOST_HELLO_MS) != 1)
		return -ETIMEDOUT;
	struct tap_ctl m;
	int fds[TAP_NFDS];
	unsigned nfds;
	ssize_t n = ctl_recv(ctl, &m, fds, &nfds);
	close_fds(fds, nfds);
	if (n != (ssize_t)sizeof(m) || m.type != TAP_CTL_STARTED || m.id != 0)
		return -ENOENT;
	return m.err;
}

int ta_store_open(struct ta_store_cfg *cfg, struct ta_store **out)
{
	struct ta_store *st = calloc(1, sizeof(*st));
	char *path = host_program(cfg);
	ta_st_process_init(); /* TAs in processes may use persistent objects */
	char **argv = path ? server_argv(cfg, path) : NULL;
	int sv[2] = { -1, -1 };
	int r = st && argv ? 0 : -ENOMEM;
	if (!r && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		r = -errno;
	if (!r)
		r = spawn_detached(sv[1], path, argv);
	if (sv[1] >= 0)
		close(sv[1]);
	if (!r && (r = await_hello(sv[0])))
		vtee_log(VTEE_LOG_ERR, "soft: the TA host %s did not start: %s", path, strerror(-r));
	free(argv);
	free(path);
	if (!r) {
		st->cfg = *cfg;
		memset(cfg, 0, sizeof(*cfg));
		if (!st->cfg.grace_ms)
			st->cfg.grace_ms = TA_DEFAULT_GRACE_MS;
		st->ctl = sv[0];
		st->next_id = 1;
		pthread_mutex_init(&st->lock, NULL);
		pthread_mutex_init(&st->send_lock, NULL);
		pthread_cond_init(&st->cond, NULL);
		r = -pthread_create(&st->monitor, NULL, monitor, st);
		if (!r) {
			*out = st;
			return 0;
		}
		*cfg = st->cfg;
	}
	if (sv[0] >= 0)
		close(sv[0]);
	free(st);
	return r;
}

void ta_store_close(struct ta_store *st)
{
	if (!st)
		return;
	shutdown(st->ctl, SHUT_RDWR); /* the monitor's recvmsg returns; the server sees EOF */
	pthread_join(st->monitor, NULL);
	close(st->ctl);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->send_lock);
	pthread_cond_destroy(&st->cond);
	ta_store_cfg_free(&st->cfg);
	free(st);
}

/* ---- instances ---- */

/* The shared memfd of an instance: sealed against shrinking, exactly the size asked for, mapped. */
static int map_shared(struct ta_inst *in, int fd, uint32_t bulk)
{
	struct stat sb;
	int seals = fcntl(fd, F_GET_SEALS);
	size_t len = (size_t)TAP_SHARED_HDR + bulk;
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) != (F_SEAL_SHRINK | F_SEAL_SEAL) ||
	    fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != len)
		return -EPROTO;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	in->shared = p;
	in->shared_len = len;
	in->bulk = (uint8_t *)p + TAP_SHARED_HDR;
	in->bulk_size = bulk;
	return 0;
}

static int take_fds(struct ta_store *st, struct ta_inst *in, uint32_t bulk)
{
	/* the vCPU and the TA are the only busy threads on a call: poll a while before yielding */
	struct vtee_chan_opts o = { .sleep_ms = 20, .yield_ns = VTEE_POLL_YIELD_LATE_NS };
	int r = map_shared(in, in->start_fds[TAP_FD_SHARED], bulk);
	if (!r)
		r = vtee_chan_open(in->start_fds[TAP_FD_CHAN], VTEE_CHAN_A, in->start_fds[TAP_FD_HUP], &o, &in->chan);
	pthread_mutex_lock(&st->lock);
	in->chan_fd = in->start_fds[TAP_FD_CHAN]; /* kept: a death notice closes the channel with it */
	if (atomic_load(&in->exit_status) != -1)
		vtee_chan_hangup(in->chan_fd); /* it died before we had the channel */
	pthread_mutex_unlock(&st->lock);
	close(in->start_fds[TAP_FD_SHARED]);
	in->hup_fd = in->start_fds[TAP_FD_HUP];
	for (unsigned i = 0; i < TAP_NFDS; i++)
		in->start_fds[i] = -1;
	return r;
}

int ta_store_spawn(struct ta_store *st, struct ta_inst *in, uint32_t vm_id, const char *vm_name,
		   const struct vtee_uuid *uuid)
{
	uint32_t bulk = st->cfg.bulk_size ? st->cfg.bulk_size : TA_DEFAULT_BULK;
	struct tap_ctl m = { .type = TAP_CTL_START, .vm_id = vm_id, .ring_size = TA_RING_SIZE, .bulk_size = bulk };
	memcpy(m.uuid, uuid->b, sizeof(m.uuid));
	/* gpd.tee.deviceID: one per VM of this TEE */
	static const uint8_t ns[12] = { 0x76, 0x74, 0x65, 0x65, 0x2d, 0x64, 0x65, 0x76, 0x40, 0x00, 0x80, 0x00 };
	memcpy(m.device_id, ns, sizeof(ns));
	memcpy(m.device_id + 12, &vm_id, 4);
	snprintf(m.vm_name, sizeof(m.vm_name), "%s", vm_name);
	in->hup_fd = in->chan_fd = -1;
	for (unsigned i = 0; i < TAP_NFDS; i++)
		in->start_fds[i] = -1;
	atomic_store(&in->exit_status, -1);

	pthread_mutex_lock(&st->lock);
	int r = st->server_gone ? -EPIPE : 0;
	if (!r) {
		in->id = m.id = st->next_id++;
		in->st_next = st->live;
		in->st_prev = NULL;
		if (st->live)
			st->live->st_prev = in;
		st->live = in;
		in->in_live = true;
	}
	pthread_mutex_unlock(&st->lock);
	if (!r)
		r = ctl_send(st, &m);
	pthread_mutex_lock(&st->lock);
	while (!r && !in->started && !st->server_gone)
		pthread_cond_wait(&st->cond, &st->lock);
	if (!r)
		r = in->started ? in->start_err : -EPIPE;
	pthread_mutex_unlock(&st->lock);
	if (!r && (r = take_fds(st, in, bulk)))
		ta_store_kill(st, in); /* started, but not usable: it must not live on */
	return r;
}

void ta_store_kill(struct ta_store *st, struct ta_inst *in)
{
	if (atomic_exchange(&in->kill_sent, true) || atomic_load(&in->exit_status) != -1)
		return;
	struct tap_ctl m = { .type = TAP_CTL_KILL, .id = in->id };
	ctl_send(st, &m); /* if the server is gone, so is the instance */
}

/* How long forgetting an instance waits for the fork server to have reaped it. */
#define REAP_WAIT_MS 2000

void ta_store_forget(struct ta_store *st, struct ta_inst *in)
{
	if (in->started && !in->start_err)
		ta_store_kill(st, in); /* a no-op for one that has ended, or is ending, on its own */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += REAP_WAIT_MS / 1000;
	pthread_mutex_lock(&st->lock);
	/* gone for good before we forget it: no process outlives its VM, and its end is logged */
	while (in->in_live && in->started && !in->start_err && atomic_load(&in->exit_status) == -1 && !st->server_gone)
		if (pthread_cond_timedwait(&st->cond, &st->lock, &until) == ETIMEDOUT)
			break;
	if (in->in_live) {
		if (in->st_prev)
			in->st_prev->st_next = in->st_next;
		else
			st->live = in->st_next;
		if (in->st_next)
			in->st_next->st_prev = in->st_prev;
		in->in_live = false;
	}
	pthread_mutex_unlock(&st->lock);
	/* a start the server answered after we gave up: its fds are ours to close */
	close_fds(in->start_fds, TAP_NFDS);
	if (in->chan)
		vtee_chan_close(in->chan);
	if (in->shared)
		munmap(in->shared, in->shared_len);
	if (in->hup_fd >= 0)
		close(in->hup_fd);
	if (in->chan_fd >= 0)
		close(in->chan_fd);
	in->chan_fd = -1;
	in->chan = NULL;
	in->shared = NULL;
	in->hup_fd = -1;
}
