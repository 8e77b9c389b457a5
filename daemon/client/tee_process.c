// SPDX-License-Identifier: MIT
/*
 * The TEE source for "soft" (tee_source.c): vtee-tee, the built-in TEE in its
 * own process, started once and kept for the VM's life. Each vteed gets a new
 * link connection to it, bound to its VM, and serves the VM with the "link"
 * back-end (docs/tee-link.md); a restarted one resumes the VM.
 */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "spawn_fd3.h"

struct tee_process {
	char *path; /* the program (NULL: "vtee-tee" in PATH) */
	int ctl;    /* the control socket to vtee-tee */
	pid_t pid;
};

static void process_free(struct tee_process *p)
{
	free(p->path);
	free(p);
}

/*
 * vtee-tee --ctl-fd 3 [--options STR]: it holds the sessions, so it outlives
 * every vteed; it ends with its control socket.
 */
static int process_open(const struct vteed_config *cfg, void **state, char *msg, size_t msglen)
{
	struct tee_process *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	const char *prog = cfg->tee_path ? cfg->tee_path : getenv("VTEE_TEE");
	if (prog && !(p->path = strdup(prog))) {
		process_free(p);
		return -ENOMEM;
	}
	int ctl[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0) {
		int err = -errno;
		process_free(p);
		return err;
	}
	const char *args[] = { "--ctl-fd", "3", NULL, NULL, NULL };
	if (cfg->backend_options) {
		args[2] = "--options";
		args[3] = cfg->backend_options;
	}
	int err = vteed_spawn_fd3(p->path ? p->path : "vtee-tee", args, ctl[1], &p->pid);
	close(ctl[1]);
	if (err) {
		close(ctl[0]);
		process_free(p);
		vteed_set_msg(msg, msglen, "spawning vtee-tee failed");
		return err;
	}
	p->ctl = ctl[0];
	*state = p;
	return 0;
}

/*
 * Give vtee-tee one end of a new socketpair, bound to this VM ('B' + vm_id,
 * docs/tee-link.md): a compromised vteed can then attach to no other VM's
 * TEE state. The other end goes to vteed, for its "link" back-end.
 */
static int process_connect(void *state, uint32_t vm_id, uint32_t epoch, struct vteed_tee_endpoint *ep)
{
	struct tee_process *p = state;
	int err = vteed_tee_endpoint_init(ep, "link", epoch ? "resume" : "");
	int sv[2];
	if (!err && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		err = -errno;
	if (err)
		return err;
	uint8_t bind[5] = { 'B', (uint8_t)vm_id, (uint8_t)(vm_id >> 8), (uint8_t)(vm_id >> 16),
			    (uint8_t)(vm_id >> 24) };
	err = vteed_send_fds(p->ctl, bind, sizeof(bind), &sv[1], 1);
	close(sv[1]);
	if (err) {
		close(sv[0]);
		return err;
	}
	return vteed_tee_endpoint_add_fd(ep, "fd", sv[0]);
}

static void process_info(void *state, struct vteed_info *info)
{
	info->tee_pid = ((struct tee_process *)state)->pid;
}

static void process_close(void *state, int wait_ms)
{
	struct tee_process *p = state;
	close(p->ctl); /* the TEE process ends with its supervisor */
	vteed_reap(p->pid, wait_ms);
	process_free(p);
}

const struct vteed_tee_source_ops vteed_tee_process_source = {
	.backend = "soft",
	.open = process_open,
	.connect = process_connect,
	.info = process_info,
	.close = process_close,
};
