// SPDX-License-Identifier: MIT
/*
 * The supervisor (vteed_start, docs/recovery.md): keep what must outlive each
 * vteed — the TEE source, the journal memfd, the mailbox — and start a new
 * vteed whenever the current one dies.
 */
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
#include <sys/wait.h>
#include <unistd.h>

#include "vteed_futex.h"

/* Spawn a vteed for this epoch and hand it the VM and the TEE endpoint from the source. */
static int start_vteed(struct vteed *v, uint32_t epoch, char *msg, size_t msglen)
{
	struct vteed_tee_endpoint ep;
	int sock;
	pid_t pid;
	int err = vteed_tee_source_connect(&v->tee, v->cfg.vm_id, epoch, &ep);
	if (err) {
		vteed_set_msg(msg, msglen, "cannot reach the TEE");
		return err;
	}
	err = vteed_spawn_raw(v->vteed_path, (const char *const *)v->extra_args, &sock, &pid);
	if (err) {
		vteed_tee_endpoint_close(&ep);
		vteed_set_msg(msg, msglen, "spawning vteed failed");
		return err;
	}
	err = vteed_handshake(v, sock, &v->cfg, v->ram, v->nram, epoch, v->jn_fd, &ep, msg, msglen);
	vteed_tee_endpoint_close(&ep); /* vteed has its own copies now */
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

/* The current vteed is going away: end it, and start the next one (3 tries). 0 or -errno: give up. */
static int restart(struct vteed *v)
{
	uint64_t t0 = vteed_now_ns();
	char buf[64];
	while (recv(v->sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	kill(v->pid, SIGKILL);
	waitpid(v->pid, NULL, 0);
	close(v->sock);
	v->sock = -1;
	mark_lost_calls(v);
	int err = -EAGAIN;
	char why[VTEED_MSG_MAX] = "";
	for (int tries = 0; tries < 3 && err; tries++)
		err = start_vteed(v, atomic_load(&v->restarts) + 1, why, sizeof(why));
	if (err) {
		vteed_client_log(3, "vteed-client[%s]: vteed cannot be restarted: %s%s%s", v->name, strerror(-err),
				 why[0] ? ": " : "", why);
		return err;
	}
	atomic_fetch_add(&v->restarts, 1);
	atomic_store(&v->last_recovery_ns, vteed_now_ns() - t0);
	return 0;
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
		if (restart(v)) {
			atomic_store(&v->dead, true);
			fail_posted_calls(v);
			return NULL;
		}
	}
	return NULL;
}

void vteed_supervisor_stop(struct vteed *v)
{
	char b = 1;
	if (write(v->stop_pipe[1], &b, 1) == 1)
		pthread_join(v->monitor, NULL);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Copy what the supervisor keeps of cfg (it outlives the caller's strings); make the journal. */
static int keep_config(struct vteed *v, const struct vteed_config *cfg, const struct vteed_ram *ram,
		       unsigned nram)
{
	v->supervised = true;
	v->cfg = *cfg;
	snprintf(v->name, sizeof(v->name), "%s", cfg->name);
	v->cfg.name = v->name;
	/* what only the TEE source needs, it takes in vteed_start(); the caller's strings are not kept */
	v->cfg.backend = v->cfg.backend_options = v->cfg.tee_path = v->cfg.tee_dev = v->cfg.remote_options = NULL;
	v->cfg.state_dir = v->cfg.state_anchor_dir = v->cfg.host_key = NULL;
	v->cfg.vteed_path = NULL;
	v->cfg.extra_args = NULL;
	memcpy(v->ram, ram, nram * sizeof(*ram));
	v->nram = nram;
	v->vteed_path = dup_or_null(cfg->vteed_path);
	size_t nextra = 0;
	while (cfg->extra_args && cfg->extra_args[nextra])
		nextra++;
	v->extra_args = calloc(nextra + 1, sizeof(char *));
	if (!v->extra_args || (cfg->vteed_path && !v->vteed_path))
		return -ENOMEM;
	for (size_t i = 0; i < nextra; i++)
		if (!(v->extra_args[i] = strdup(cfg->extra_args[i])))
			return -ENOMEM;
	v->jn_fd = memfd_create("vteed-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (v->jn_fd < 0 || pipe2(v->stop_pipe, O_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int vteed_start(const struct vteed_config *cfg, const struct vteed_ram *ram, unsigned nram, struct vteed **out,
		char *msg, size_t msglen)
{
	vteed_set_msg(msg, msglen, "");
	*out = NULL;
	if (!vteed_config_ok(cfg, nram)) {
		vteed_set_msg(msg, msglen, "bad configuration");
		return -EINVAL;
	}
	if (cfg->state_dir && cfg->backend && strcmp(cfg->backend, "soft")) {
		vteed_set_msg(msg, msglen, "secure storage (state_dir) is the built-in TEE's (\"soft\") only");
		return -EINVAL;
	}
	struct vteed *v;
	int err = vteed_client_new(cfg, &v);
	if (err)
		return err;
	err = keep_config(v, cfg, ram, nram);
	/* the TEE source first: it holds the sessions, so it outlives every vteed */
	if (!err)
		err = vteed_tee_source_open(&v->tee, cfg, msg, msglen);
	if (!err)
		err = start_vteed(v, 0, msg, msglen);
	if (err) {
		vteed_client_free(v);
		return err;
	}
	err = -pthread_create(&v->monitor, NULL, monitor, v);
	if (err) {
		kill(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
		vteed_client_free(v);
		return err;
	}
	*out = v;
	return 0;
}

void vteed_get_info(struct vteed *v, struct vteed_info *info)
{
	memset(info, 0, sizeof(*info));
	info->pid = v->pid;
	info->restarts = atomic_load(&v->restarts);
	info->last_recovery_ns = atomic_load(&v->last_recovery_ns);
	info->lost_calls = atomic_load(&v->lost);
	vteed_tee_source_info(&v->tee, info);
}
