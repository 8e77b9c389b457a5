// SPDX-License-Identifier: MIT
/*
 * The spawner: a process vtee-served forks at start-up, before it loads its
 * key, starts a thread or gives up its privileges. It keeps those privileges
 * (vtee-tee must start as they were: it reads its tenant's policy file and
 * then switches to its own --user), holds nothing but stdio and one socket to
 * vtee-served, and does one thing: asked for tenant i (a u32 index, nothing
 * else is read), it starts that tenant's vtee-tee with the arguments fixed at
 * start-up and sends back its control socket (SCM_RIGHTS) and pid. At most
 * one vtee-tee per tenant is alive: before starting another, the previous
 * one (vtee-served saw its control socket hang up) is waited for, then
 * killed. EOF on the socket (vtee-served is gone) ends the spawner; each
 * vtee-tee ends with its control socket.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "fullio.h"
#include "send_all.h"
#include "served.h"
#include "spawn_fd3.h"

struct spawn_reply {
	int32_t err; /* 0, or a negative errno; with 0, the control socket comes attached */
	int32_t pid;
};

static pid_t tee_pid[MAX_TENANTS]; /* the spawner's: each tenant's vtee-tee, 0 none */

/* Reap the vtee-tees that ended. */
static void reap(void)
{
	pid_t p;
	while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
		for (unsigned i = 0; i < MAX_TENANTS; i++)
			if (tee_pid[i] == p)
				tee_pid[i] = 0;
}

/* The previous vtee-tee of tenant i is gone or going: wait for it (1 s), then kill it. */
static void end_previous(unsigned i)
{
	for (int ms = 0; tee_pid[i] && ms < 1000; ms += 10) {
		reap();
		if (tee_pid[i])
			usleep(10000);
	}
	if (tee_pid[i]) {
		kill(tee_pid[i], SIGKILL);
		waitpid(tee_pid[i], NULL, 0);
		tee_pid[i] = 0;
	}
}

static int spawn_tee(unsigned i, int *ctl, pid_t *pid)
{
	const struct tenant *t = &srv.tenants[i];
	const char *args[12] = { "--ctl-fd", "3", "--ephemeral" };
	int n = 3;
	if (srv.tee_backend) {
		args[n++] = "--backend";
		args[n++] = srv.tee_backend;
	}
	if (srv.tee_options) {
		args[n++] = "--options";
		args[n++] = srv.tee_options;
	}
	if (t->policy[0]) {
		args[n++] = "--policy";
		args[n++] = t->policy;
	}
	args[n] = NULL;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	int err = vteed_spawn_fd3(srv.tee_path, args, sv[1], pid);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return err;
	}
	*ctl = sv[0];
	tee_pid[i] = *pid;
	return 0;
}

static void serve(int sock)
{
	for (;;) {
		struct pollfd pf = { sock, POLLIN, 0 };
		int n = poll(&pf, 1, 1000);
		reap();
		if (n < 0 && errno != EINTR)
			return;
		if (n <= 0)
			continue;
		uint32_t i;
		if (vteed_read_full(sock, &i, sizeof(i), -1))
			return; /* vtee-served is gone */
		struct spawn_reply r = { .err = -EINVAL };
		int ctl = -1;
		pid_t pid = 0;
		if (i < srv.ntenants) {
			end_previous(i);
			r.err = spawn_tee(i, &ctl, &pid);
			r.pid = (int32_t)pid;
		}
		vtee_send_fds(sock, &r, sizeof(r), &ctl, r.err ? 0 : 1);
		if (ctl >= 0)
			close(ctl);
	}
}

static pthread_mutex_t spawner_lock = PTHREAD_MUTEX_INITIALIZER;

int spawner_start(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t p = fork();
	if (p < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (p == 0) {
		/* the spawner: only stdio and its socket */
		dup2(sv[1], 3);
		close_range(4, ~0u, 0);
		signal(SIGCHLD, SIG_DFL);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		serve(3);
		_exit(0);
	}
	close(sv[1]);
	srv.spawner = sv[0];
	return 0;
}

int spawner_spawn(const struct tenant *t, int *ctl, pid_t *pid)
{
	uint32_t i = (uint32_t)(t - srv.tenants);
	struct spawn_reply r;
	size_t got = 0;
	unsigned nfds = 0;
	int fd = -1;
	pthread_mutex_lock(&spawner_lock);
	int err = vtee_send_all(srv.spawner, &i, sizeof(i));
	if (!err)
		err = vtee_recv_fds(srv.spawner, &r, sizeof(r), &got, &fd, 1, &nfds);
	pthread_mutex_unlock(&spawner_lock);
	if (!err && got != sizeof(r))
		err = -EPIPE; /* the spawner is gone */
	if (!err && r.err)
		err = r.err < 0 ? r.err : -EIO;
	if (!err && nfds != 1)
		err = -EPROTO;
	if (err) {
		if (nfds >= 1)
			close(fd);
		return err;
	}
	*ctl = fd;
	*pid = (pid_t)r.pid;
	return 0;
}
