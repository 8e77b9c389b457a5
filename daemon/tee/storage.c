// SPDX-License-Identifier: MIT
/*
 * VMs' secure storage as the supervisor hands it over ('S' on --ctl-fd,
 * daemon/common/tee_ctl.h): checked, kept by vm_id, and given to the
 * back-end (its vm_storage op) whenever that VM is created here. A copy is
 * kept for the VM's id, so a VM made anew (an ATTACH without RESUME) gets
 * its storage again: the state directory reopened, the anchor duplicated.
 * While kept, "keeper" in the state directory is flocked shared (lib/store/vstore.h): import
 * and reset refuse (-EBUSY) a state vtee-tee may give a VM again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tee.h"
#include "tee_ctl.h"

struct tstorage {
	uint32_t vm_id;
	struct vtee_storage st;
	int keeper_fd; /* LOCK_SH on the state's "keeper" while kept */
	struct tstorage *next;
};

/* srv.lock */
static struct tstorage *kept;

/* Is fd of the type (S_IFDIR, S_IFREG) and access mode (O_RDONLY, O_RDWR) wanted? NULL, or why not. */
static const char *fd_unfit(int fd, mode_t type, int accmode)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0 || (sb.st_mode & S_IFMT) != type)
		return type == S_IFDIR ? "the state fd is not a directory" : "the anchor fd is not a regular file";
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) != accmode)
		return type == S_IFDIR ? "the state fd is not open O_RDONLY" : "the anchor fd is not open O_RDWR";
	return NULL;
}

/* The policy's [storage] quota caps the supervisor's (vtee-tee --policy). */
static void apply_policy_quota(struct vtee_storage *st)
{
	if (!srv.have_policy)
		return;
	uint32_t po = srv.policy.storage_max_objects;
	uint64_t pb = srv.policy.storage_max_bytes;
	if (po && (!st->max_objects || st->max_objects > po))
		st->max_objects = po;
	if (pb && (!st->max_bytes || st->max_bytes > pb))
		st->max_bytes = pb;
}

/* Why the message cannot be taken (NULL: it can). */
static const char *storage_unfit(uint32_t vm_id, uint32_t flags, const int *fds, unsigned nfds)
{
	if (!vm_id)
		return "with vm_id 0";
	if (flags & ~TEE_CTL_STORAGE_ANCHOR)
		return "with unknown flags";
	if (nfds != ((flags & TEE_CTL_STORAGE_ANCHOR) ? 2u : 1u))
		return "with the wrong number of fds";
	const char *why = fd_unfit(fds[0], S_IFDIR, O_RDONLY);
	if (!why && nfds == 2)
		why = fd_unfit(fds[1], S_IFREG, O_RDWR);
	return why;
}

/* The keeper lock on the state st names: -EBUSY while an import or reset runs. */
static int keeper_lock(const struct vtee_storage *st, int *out)
{
	int fd = openat(st->dir_fd, "keeper", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_SH | LOCK_NB)) {
		int e = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

static void tstorage_free(struct tstorage *t)
{
	vtee_storage_release(&t->st);
	if (t->keeper_fd >= 0)
		close(t->keeper_fd); /* the lock goes with it */
	free(t);
}

/* Keep st for vm_id (replacing what was kept); -EEXIST when that VM exists already. */
static int storage_keep(uint32_t vm_id, const struct vtee_storage *st)
{
	struct tstorage *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->vm_id = vm_id;
	n->st = *st;
	int r = keeper_lock(st, &n->keeper_fd);
	if (r) {
		free(n);
		return r;
	}
	pthread_mutex_lock(&srv.lock);
	r = vm_find(vm_id) ? -EEXIST : 0;
	struct tstorage *old = NULL;
	for (struct tstorage **pp = &kept; !r && *pp; pp = &(*pp)->next) {
		if ((*pp)->vm_id == vm_id) {
			old = *pp;
			*pp = old->next;
			break;
		}
	}
	if (!r) {
		n->next = kept;
		kept = n;
	}
	pthread_mutex_unlock(&srv.lock);
	if (old)
		tstorage_free(old);
	if (r) {
		close(n->keeper_fd);
		free(n);
	}
	return r;
}

int storage_receive(int ctl, int *fds, unsigned nfds, unsigned kept_fds, bool *eof)
{
	uint8_t buf[TEE_CTL_STORAGE_LEN];
	ssize_t k;
	do
		k = recv(ctl, buf, sizeof(buf), MSG_WAITALL);
	while (k < 0 && errno == EINTR);
	int err = k < 0 ? -errno : 0;
	struct vtee_storage st = { .dir_fd = -1, .anchor_fd = -1 };
	uint32_t vm_id = 0, flags = 0;
	if (!err && k == (ssize_t)sizeof(buf))
		tee_ctl_storage_decode(buf, &vm_id, &flags, &st);
	explicit_bzero(buf, sizeof(buf));
	if (err || k != (ssize_t)sizeof(buf)) {
		for (unsigned i = 0; i < kept_fds; i++)
			close(fds[i]);
		*eof = !err;
		return err;
	}
	const char *why = storage_unfit(vm_id, flags, fds, nfds);
	if (!why) {
		st.dir_fd = fds[0];
		st.anchor_fd = nfds == 2 ? fds[1] : -1;
		apply_policy_quota(&st);
		int r = storage_keep(vm_id, &st);
		if (!r) {
			char objs[24] = "the default", bytes[24] = "the default";
			if (st.max_objects)
				snprintf(objs, sizeof(objs), "%u", st.max_objects);
			if (st.max_bytes)
				snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)st.max_bytes);
			tee_log(NULL, "vm %u: storage received (at most %s objects, %s bytes%s)", vm_id, objs, bytes,
				st.anchor_fd >= 0 ? "" : "; no rollback anchor");
			return 0;
		}
		why = r == -EEXIST ? "for a VM that exists already" :
		      r == -EBUSY ? "while its state is imported or reset" :
		      r == -ENOMEM ? "and no memory to keep it" : "and its keeper lock cannot be taken";
	}
	tee_log(NULL, "supervisor storage message for vm %u %s: ignored", vm_id, why);
	for (unsigned i = 0; i < kept_fds; i++)
		close(fds[i]);
	explicit_bzero(&st, sizeof(st));
	return 0;
}

/* A fresh copy of what is kept for vm_id: 0, -ENOENT (nothing kept), -errno. srv.lock held. */
static int storage_copy(uint32_t vm_id, struct vtee_storage *out)
{
	struct tstorage *t = kept;
	while (t && t->vm_id != vm_id)
		t = t->next;
	if (!t)
		return -ENOENT;
	*out = t->st;
	/* its own open file descriptions: the store reads the directory and locks files through them */
	out->dir_fd = openat(t->st.dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	out->anchor_fd = t->st.anchor_fd >= 0 ? fcntl(t->st.anchor_fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (out->dir_fd < 0 || (t->st.anchor_fd >= 0 && out->anchor_fd < 0)) {
		int err = -errno;
		vtee_storage_release(out);
		return err;
	}
	return 0;
}

int storage_give(uint32_t vm_id, const char *name, void *be)
{
	struct vtee_storage st;
	pthread_mutex_lock(&srv.lock);
	int r = storage_copy(vm_id, &st);
	pthread_mutex_unlock(&srv.lock);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	if (!srv.ops->vm_storage) {
		/* as libvtee's vtee_vm_set_storage(): the VM runs, its objects are not kept */
		vtee_storage_release(&st);
		tee_log(name, "vm %u: back-end \"%s\" keeps no storage: persistent objects are not kept", vm_id,
			srv.ops->name);
		return 0;
	}
	r = srv.ops->vm_storage(be, &st);
	if (!r)
		tee_log(name, "vm %u: storage given to the back-end", vm_id);
	return r;
}

void storage_free_all(void)
{
	pthread_mutex_lock(&srv.lock);
	struct tstorage *all = kept;
	kept = NULL;
	pthread_mutex_unlock(&srv.lock);
	while (all) {
		struct tstorage *t = all;
		all = t->next;
		tstorage_free(t);
	}
}
