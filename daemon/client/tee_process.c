// SPDX-License-Identifier: MIT
/*
 * The TEE source for "soft" (tee_source.c): vtee-tee, the built-in TEE in its
 * own process, started once and kept for the VM's life. Each vteed gets a new
 * link connection to it, bound to its VM, and serves the VM with the "link"
 * back-end (docs/tee-link.md) over a shared-memory channel (lib/util/chan.h)
 * set up beside the connection's socket; a restarted one resumes the VM.
 */
#include "client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan.h"
#include "fdpass.h"
#include "spawn_fd3.h"
#include "tee_ctl.h"
#include "vtee/vtee.h"

struct tee_process {
	char *path; /* the program (NULL: "vtee-tee" in PATH) */
	int ctl;    /* the control socket to vtee-tee */
	int chan;   /* the memfd of the current vteed's channel (-1: none), to hang it up */
	pid_t pid;
};

static void process_free(struct tee_process *p)
{
	free(p->path);
	free(p);
}

/*
 * vtee-tee started by root runs as "nobody" (it takes no --user from us), and
 * opens, creates and renames files relative to the state directory's fd as
 * that user: the directory and what is in it become that user's. Not the
 * anchor, which it only writes through the fd it is given, and never the
 * host key. 0 or -errno.
 */
/*
 * One entry of the state directory, which the unprivileged user already owns: we are root, so
 * only a regular file with no other link is given (through its own fd, never by name), or an
 * `ln /etc/shadow state/x` by that user would hand it /etc/shadow. Anything else is left as it
 * is; the engine refuses what it cannot use.
 */
static int grant_file(int dir_fd, const char *name, uid_t uid, gid_t gid)
{
	struct stat before, st;
	if (fstatat(dir_fd, name, &before, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(before.st_mode) || before.st_nlink != 1)
		return 0;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int err = 0;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_ino == before.st_ino &&
		 st.st_dev == before.st_dev && fchown(fd, uid, gid) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int grant_to_tee_user(int dir_fd)
{
	if (geteuid() != 0)
		return 0; /* vtee-tee runs as we do */
	char buf[1024];
	struct passwd pw, *found = NULL;
	if (getpwnam_r("nobody", &pw, buf, sizeof(buf), &found) || !found)
		return -ENOENT;
	if (fchown(dir_fd, pw.pw_uid, pw.pw_gid) < 0)
		return -errno;
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	int err = 0;
	for (struct dirent *e; !err && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			err = grant_file(dir_fd, e->d_name, pw.pw_uid, pw.pw_gid);
	closedir(d);
	return err;
}

/*
 * The VM's storage, prepared here (this process may read the host key) and
 * handed to vtee-tee before any vteed exists: 'S' + vm_id + the struct, the
 * directory and anchor fds attached (tee_ctl.h). Nothing to do without
 * cfg->state_dir.
 */
static int send_storage(int ctl, const struct vteed_config *cfg, char *msg, size_t msglen)
{
	if (!cfg->state_dir)
		return 0;
	if (!cfg->host_key) {
		vteed_set_msg(msg, msglen, "state_dir without host_key");
		return -EINVAL;
	}
	struct vtee_storage st;
	int err = vtee_storage_prepare(cfg->state_dir, cfg->state_anchor_dir, cfg->name, cfg->host_key,
				       cfg->state_max_objects, cfg->state_max_bytes, &st, msg, msglen);
	if (!err && (err = grant_to_tee_user(st.dir_fd)))
		vteed_set_msg(msg, msglen, "cannot give the state directory to vtee-tee's user");
	if (err) {
		vtee_storage_release(&st);
		return err;
	}
	uint8_t m[1 + TEE_CTL_STORAGE_LEN] = { TEE_CTL_STORAGE };
	tee_ctl_storage_encode(m + 1, cfg->vm_id, &st);
	int give[2] = { st.dir_fd, st.anchor_fd };
	err = vtee_send_fds(ctl, m, sizeof(m), give, st.anchor_fd >= 0 ? 2 : 1);
	explicit_bzero(m, sizeof(m));
	vtee_storage_release(&st); /* vtee-tee has its own copies */
	if (err)
		vteed_set_msg(msg, msglen, "handing the storage to vtee-tee failed");
	return err;
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
	p->chan = -1;
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
	err = send_storage(p->ctl, cfg, msg, msglen);
	if (err) {
		close(p->ctl); /* vtee-tee exits on its EOF */
		vteed_reap(p->pid, 1000);
		process_free(p);
		return err;
	}
	*state = p;
	return 0;
}

/* The channel of the vteed being replaced (if any) is closed now, not when its end notices. */
static void hang_up_old(struct tee_process *p)
{
	if (p->chan < 0)
		return;
	vtee_chan_hangup(p->chan); /* best effort: vtee-tee also sees the dead vteed's socket close */
	close(p->chan);
	p->chan = -1;
}

/*
 * Give vtee-tee one end of a new socketpair and the memfd of a new channel,
 * bound to this VM ('B' + vm_id, docs/tee-link.md): a compromised vteed can
 * then attach to no other VM's TEE state. The other end and a copy of the
 * memfd go to vteed, for its "link" back-end (fd=N,chan=M).
 */
static int process_connect(void *state, uint32_t vm_id, uint32_t epoch, struct vteed_tee_endpoint *ep)
{
	struct tee_process *p = state;
	hang_up_old(p);
	int err = vteed_tee_endpoint_init(ep, "link", epoch ? "resume" : "");
	int sv[2], memfd = -1;
	if (!err && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		err = -errno;
	if (err)
		return err;
	err = vtee_chan_create(0, &memfd);
	if (err) {
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	uint8_t bind[5] = { 'B', (uint8_t)vm_id, (uint8_t)(vm_id >> 8), (uint8_t)(vm_id >> 16),
			    (uint8_t)(vm_id >> 24) };
	int give[2] = { sv[1], memfd };
	err = vtee_send_fds(p->ctl, bind, sizeof(bind), give, 2);
	close(sv[1]);
	int copy = err ? -1 : fcntl(memfd, F_DUPFD_CLOEXEC, 0);
	if (!err && copy < 0)
		err = -errno;
	if (err) {
		close(sv[0]);
		vtee_chan_hangup(memfd); /* vtee-tee may hold it already */
		close(memfd);
		return err;
	}
	p->chan = memfd;
	err = vteed_tee_endpoint_add_fd(ep, "fd", sv[0]);
	if (err) {
		close(copy);
		return err;
	}
	return vteed_tee_endpoint_add_fd(ep, "chan", copy);
}

static void process_info(void *state, struct vteed_info *info)
{
	info->tee_pid = ((struct tee_process *)state)->pid;
}

static void process_close(void *state, int wait_ms)
{
	struct tee_process *p = state;
	hang_up_old(p);
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
