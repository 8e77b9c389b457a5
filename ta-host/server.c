// SPDX-License-Identifier: MIT
/*
 * The fork server (ta_host.h): one per soft back-end, single-threaded, so a
 * fork is safe at any time. For each START it makes the instance's channel
 * (a sealed memfd), its shared memfd (the cancel word and the bulk area)
 * and a socketpair whose hang-up tells each side the other is gone, forks
 * the instance, and hands the back-end its ends (STARTED, SCM_RIGHTS): the
 * back-end, sandboxed, may create none of them itself. It reaps every
 * child and says so (DIED), kills one on request (KILL, by the back-end's
 * id, so a recycled pid is never hit), and when the back-end hangs up it
 * kills them all and exits.
 *
 * Its children were loaded with libvtee_ta and libcrypto already (this
 * program links them), so a TA's undefined GP symbols resolve against them
 * at dlopen, and OpenSSL read its configuration before any sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "fdpass.h"
#include "ta_host.h"

/* Instances one server runs at most (each back-end bounds its VMs further). */
#define MAX_CHILDREN 4096u

struct child {
	uint64_t id;
	pid_t pid;
};

static struct child *kids;
static size_t nkids, capkids;

static int kid_add(uint64_t id, pid_t pid)
{
	if (nkids == capkids) {
		size_t cap = capkids ? capkids * 2 : 16;
		struct child *k = realloc(kids, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		kids = k;
		capkids = cap;
	}
	kids[nkids++] = (struct child){ id, pid };
	return 0;
}

static struct child *kid_by_id(uint64_t id)
{
	for (size_t i = 0; i < nkids; i++)
		if (kids[i].id == id)
			return &kids[i];
	return NULL;
}

static int send_ctl(int ctl, const struct tap_ctl *m, const int *fds, unsigned nfds)
{
	return vtee_send_fds(ctl, m, sizeof(*m), fds, nfds);
}

/* The instance's shared memfd: struct tap_shared, then bulk bytes; sealed so it can never shrink. */
static int make_shared(uint32_t bulk, int *out)
{
	int fd = memfd_create("vtee-ta-shared", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	size_t len = (size_t)TAP_SHARED_HDR + bulk;
	struct tap_shared *h = MAP_FAILED;
	int r = 0;
	if (ftruncate(fd, (off_t)len) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ||
	    (h = mmap(NULL, TAP_SHARED_HDR, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		r = -errno;
	if (r) {
		close(fd);
		return r;
	}
	h->bulk_size = bulk;
	h->magic = TAP_SHARED_MAGIC;
	munmap(h, TAP_SHARED_HDR);
	*out = fd;
	return 0;
}

static void close_all(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* START: make the instance's ends, fork it, hand the back-end its ends. */
static void start(int ctl, int sigfd, const struct host_cfg *cfg, const struct tap_ctl *m)
{
	struct tap_ctl ans = { .type = TAP_CTL_STARTED, .id = m->id };
	int ends[TAP_NFDS] = { -1, -1, -1 }, hup_child = -1;
	int r = m->id && !kid_by_id(m->id) && nkids < MAX_CHILDREN && m->bulk_size >= 4096 &&
			m->bulk_size <= (64u << 20) ? 0 : -EINVAL;
	if (!r)
		r = vtee_chan_create(m->ring_size, &ends[TAP_FD_CHAN]);
	if (!r)
		r = make_shared(m->bulk_size, &ends[TAP_FD_SHARED]);
	int sv[2];
	if (!r && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		r = -errno;
	if (!r) {
		ends[TAP_FD_HUP] = sv[0];
		hup_child = sv[1];
	}
	pid_t server = getpid(), pid = -1;
	if (!r && (pid = fork()) < 0)
		r = -errno;
	if (pid == 0) {
		close(ctl);
		close(sigfd);
		close(sv[0]);
		instance_main(cfg, m, server, ends[TAP_FD_CHAN], ends[TAP_FD_SHARED], hup_child);
	}
	if (!r && kid_add(m->id, pid)) {
		kill(pid, SIGKILL); /* reaped by the SIGCHLD path; nobody will ask for it */
		r = -ENOMEM;
	}
	ans.err = r;
	ans.status = r ? 0 : pid;
	send_ctl(ctl, &ans, r ? NULL : ends, r ? 0 : TAP_NFDS);
	close_all(ends, TAP_NFDS);
	if (hup_child >= 0)
		close(hup_child);
}

/* Reap what ended; tell the back-end. */
static void reap(int ctl, int sigfd)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
	}
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < nkids; i++) {
			if (kids[i].pid != pid)
				continue;
			struct tap_ctl m = { .type = TAP_CTL_DIED, .id = kids[i].id, .status = status };
			kids[i] = kids[--nkids];
			send_ctl(ctl, &m, NULL, 0);
			break;
		}
	}
}

/* The back-end is gone: so is every instance. */
static void stop_all(void)
{
	for (size_t i = 0; i < nkids; i++)
		kill(kids[i].pid, SIGKILL);
	while (nkids) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < nkids; i++)
			if (kids[i].pid == pid)
				kids[i] = kids[--nkids];
	}
	free(kids);
}

/* One control message; false when the back-end has hung up. */
static bool take_ctl(int ctl, int sigfd, const struct host_cfg *cfg)
{
	struct tap_ctl m;
	int fds[VTEE_FDPASS_MAX];
	size_t got;
	unsigned nfds;
	int r = vtee_recv_fds(ctl, &m, sizeof(m), &got, fds, VTEE_FDPASS_MAX, &nfds);
	if (r || got == 0)
		return false;
	close_all(fds, nfds < VTEE_FDPASS_MAX ? nfds : VTEE_FDPASS_MAX); /* the back-end sends none */
	if (got != sizeof(m))
		return true;
	if (m.type == TAP_CTL_START) {
		m.vm_name[sizeof(m.vm_name) - 1] = 0;
		start(ctl, sigfd, cfg, &m);
	} else if (m.type == TAP_CTL_KILL) {
		struct child *k = kid_by_id(m.id);
		if (k)
			kill(k->pid, SIGKILL);
	}
	return true;
}

int server_run(int ctl, const struct host_cfg *cfg)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		fprintf(stderr, "vtee-ta-host: signalfd: %s\n", strerror(errno));
		return 1;
	}
	struct tap_ctl hello = { .type = TAP_CTL_STARTED, .id = 0 };
	if (send_ctl(ctl, &hello, NULL, 0))
		return 1;
	for (;;) {
		struct pollfd p[2] = { { ctl, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			reap(ctl, sigfd);
		if (p[0].revents && !take_ctl(ctl, sigfd, cfg))
			break;
	}
	stop_all();
	close(sigfd);
	return 0;
}
