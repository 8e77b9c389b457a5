// SPDX-License-Identifier: MIT
/*
 * Import and reset of a VM's state directory (the export format: vstore_export.c). Both refuse
 * (-EBUSY) while a process serves the VM (its owner lock), and change the state directory only
 * by a rename in its parent: a crash leaves the old state or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vstore_int.h"

/* The state directory's parent (made if missing) and its last component. */
struct place {
	int parent_fd;
	char base[256], stage[272];
	int owner_fd; /* the old state's owner lock, held while we replace it; -1: no old state */
};

/* No process keeps the state for the VM's next incarnation (vtee-tee's LOCK_SH on keeper). */
static int keeper_free(int dfd)
{
	int fd = openat(dfd, VS_NAME_KEEPER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = flock(fd, LOCK_EX | LOCK_NB) ? -errno : 0;
	close(fd);
	return r;
}

static int place_open(const char *state_dir, const char *suffix, struct place *p, char *msg,
		      size_t msglen)
{
	p->parent_fd = p->owner_fd = -1;
	size_t n = state_dir ? strlen(state_dir) : 0;
	while (n > 1 && state_dir[n - 1] == '/')
		n--;
	if (!n || n >= 4096)
		return -EINVAL;
	char path[4096];
	memcpy(path, state_dir, n);
	path[n] = 0;
	char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!vs_valid_vm_name(base) || strlen(base) >= sizeof(p->base)) {
		vs_msg(msg, msglen, "bad state directory %s", state_dir);
		return -EINVAL;
	}
	size_t bl = strlen(base), sl = strlen(suffix);
	if (bl + sl + 3 > sizeof(p->stage))
		return -EINVAL;
	memcpy(p->base, base, bl + 1);
	p->stage[0] = '.';
	memcpy(p->stage + 1, base, bl);
	p->stage[1 + bl] = '.';
	memcpy(p->stage + 2 + bl, suffix, sl + 1);
	if (slash)
		*slash = 0;
	int r = slash == path ? vs_mkdirs_open("/", &p->parent_fd) :
		slash ? vs_mkdirs_open(path, &p->parent_fd) : vs_mkdirs_open(".", &p->parent_fd);
	if (r) {
		vs_msg(msg, msglen, "cannot open the parent of %s: %s", state_dir, strerror(-r));
		return r;
	}
	int dfd;
	r = vs_open_dir_at(p->parent_fd, p->base, &dfd);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	p->owner_fd = openat(dfd, VS_NAME_OWNER, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = p->owner_fd < 0 ? -errno : keeper_free(dfd);
	close(dfd);
	if (r == -EWOULDBLOCK || (!r && flock(p->owner_fd, LOCK_EX | LOCK_NB))) {
		vs_msg(msg, msglen, "the VM's storage %s is in use (a VM is running): stop it first",
		       state_dir);
		return -EBUSY;
	}
	return r;
}

static void place_close(struct place *p)
{
	if (p->owner_fd >= 0)
		close(p->owner_fd);
	if (p->parent_fd >= 0)
		close(p->parent_fd);
}

static int open_anchor_dir(const char *anchor_dir, const char *state_dir, const char *vm_name,
			   char name[VS_ANCHOR_NAME_MAX], int *fd)
{
	int r = vs_anchor_name(state_dir, vm_name, name);
	return r ? r : vs_mkdirs_open(anchor_dir, fd);
}

/* The anchor directory of a VM: its fd (-1: no anchor) and the anchor's name. */
struct anchor_place {
	int dfd;
	char name[VS_ANCHOR_NAME_MAX], side[VS_ANCHOR_NAME_MAX + 8];
};

static int anchor_place_open(const char *anchor_dir, const char *state_dir, const char *vm_name,
			     const char *suffix, struct anchor_place *a)
{
	a->dfd = -1;
	if (!anchor_dir)
		return 0;
	int r = open_anchor_dir(anchor_dir, state_dir, vm_name, a->name, &a->dfd);
	if (!r && snprintf(a->side, sizeof(a->side), "%s%s", a->name, suffix) >= (int)sizeof(a->side))
		r = -ENAMETOOLONG;
	return r;
}

static void anchor_place_close(struct anchor_place *a)
{
	if (a->dfd >= 0)
		close(a->dfd);
}

/* Before the exchange: <anchor>.new names the staged manifest (adopted by prepare after a crash). */
static int stage_anchor(struct anchor_place *a, const struct place *p,
			const struct vs_import_info *info)
{
	uint8_t hash[VS_HASH_BYTES];
	bool present;
	int sfd, r = vs_open_dir_at(p->parent_fd, p->stage, &sfd);
	if (r)
		return r;
	r = vs_manifest_hash_at(sfd, hash, &present);
	close(sfd);
	if (!r)
		r = vs_anchor_put_file(a->dfd, a->name, ".new", info->vm_key, info->state_id,
				       info->version, hash);
	return r;
}

/* The staged state's owner lock, held from before the exchange until the anchor names it. */
static int lock_stage_owner(const struct place *p, int *owner_fd)
{
	int sfd, r = vs_open_dir_at(p->parent_fd, p->stage, &sfd);
	if (r)
		return r;
	*owner_fd = openat(sfd, VS_NAME_OWNER, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = *owner_fd < 0 || flock(*owner_fd, LOCK_EX | LOCK_NB) ? -errno : 0;
	close(sfd);
	return r;
}

/* The staged manifest must decode under the imported key and be the version the header says. */
static int check_staged(int stage_fd, const struct vstore_host_key *local,
			const struct vs_import_info *info)
{
	uint8_t file[VS_VMKEY_FILE_BYTES], mkey[VSTORE_KEY_BYTES], *buf;
	size_t len;
	int r = 0;
	if (info->has_manifest) {
		struct vs_manifest m;
		r = vs_read_file_at(stage_fd, VS_NAME_MANIFEST, VS_MANIFEST_MAX_BYTES, &buf, &len);
		if (!r)
			r = vs_hkdf(info->vm_key, "vtee manifest", NULL, 0, mkey);
		if (!r) {
			r = vs_manifest_decode(mkey, info->state_id, buf, len, &m);
			free(buf);
		}
		if (!r && m.version != info->version)
			r = -EBADMSG;
		if (!r)
			vs_manifest_free(&m);
		vs_wipe(mkey, sizeof(mkey));
	}
	if (!r)
		r = vs_vmkey_wrap(local, info->state_id, info->vm_key, file);
	if (!r)
		r = vs_create_file_at(stage_fd, VS_NAME_VMKEY, file, sizeof(file));
	if (!r && fsync(stage_fd))
		r = -errno;
	return r;
}

static int stage_import(struct place *p, const struct vstore_host_key *local,
			const struct vstore_host_key *from, int in_fd, struct vs_import_info *info,
			char *msg, size_t msglen)
{
	struct vs_reader rd = { .fd = in_fd };
	struct vs_hmac *mac = NULL;
	int r = vs_import_header(&rd, from, info, &mac, msg, msglen);
	if (r)
		return r;
	int stage_fd = -1;
	r = vs_remove_state_dir_at(p->parent_fd, p->stage);
	if (!r && mkdirat(p->parent_fd, p->stage, 0700))
		r = -errno;
	if (!r)
		r = vs_open_dir_at(p->parent_fd, p->stage, &stage_fd);
	if (!r)
		r = vs_import_records(&rd, mac, stage_fd, info, msg, msglen);
	if (!r) {
		r = check_staged(stage_fd, local, info);
		if (r)
			vs_msg(msg, msglen, "the export's manifest fails its checks (%s)", strerror(-r));
	}
	vs_hmac_free(mac);
	if (stage_fd >= 0)
		close(stage_fd);
	return r;
}

/* The commit point: the staged state takes the old one's name. */
static int exchange_state(struct place *p, char *msg, size_t msglen)
{
	int r;
	if (p->owner_fd >= 0)
		r = renameat2(p->parent_fd, p->stage, p->parent_fd, p->base, RENAME_EXCHANGE) ? -errno : 0;
	else
		r = renameat(p->parent_fd, p->stage, p->parent_fd, p->base) ? -errno : 0;
	if (!r && fsync(p->parent_fd))
		r = -errno;
	if (r)
		vs_msg(msg, msglen, "cannot move the imported state into place: %s", strerror(-r));
	return r;
}

/* After the exchange: <anchor>.new over the anchor. */
static int commit_anchor(struct anchor_place *a, char *msg, size_t msglen)
{
	int r = renameat(a->dfd, a->side, a->dfd, a->name) ? -errno : 0;
	if (!r && fsync(a->dfd))
		r = -errno;
	if (r)
		vs_msg(msg, msglen, "imported, but the anchor cannot be set (%s): the next start of the "
				    "VM sets it", strerror(-r));
	return r;
}

/*
 * Order (docs/storage.md, "Crash consistency"): stage the state, write <anchor>.new, lock the
 * staged owner, exchange, rename <anchor>.new over the anchor. A crash leaves the old state with
 * the old anchor or the new state with the new anchor (or its .new, which prepare adopts).
 */
int vstore_import(const char *state_dir, const char *anchor_dir, const char *vm_name,
		  const struct vstore_host_key *local, const struct vstore_host_key *from, int in_fd,
		  char *msg, size_t msglen)
{
	struct place p = { .parent_fd = -1, .owner_fd = -1 };
	struct anchor_place a = { .dfd = -1 };
	struct vs_import_info info;
	memset(&info, 0, sizeof(info));
	int new_owner = -1, exchanged = 0;
	int r = vs_valid_vm_name(vm_name) ? place_open(state_dir, "import", &p, msg, msglen) : -EINVAL;
	if (!r)
		r = stage_import(&p, local, from, in_fd, &info, msg, msglen);
	if (!r)
		r = anchor_place_open(anchor_dir, state_dir, vm_name, ".new", &a);
	if (!r && a.dfd >= 0 && (r = stage_anchor(&a, &p, &info)))
		vs_msg(msg, msglen, "cannot write the new anchor: %s", strerror(-r));
	if (!r)
		r = lock_stage_owner(&p, &new_owner);
	if (!r)
		exchanged = !(r = exchange_state(&p, msg, msglen));
	if (a.dfd >= 0)
		r = exchanged ? commit_anchor(&a, msg, msglen) : (unlinkat(a.dfd, a.side, 0), r);
	if (p.parent_fd >= 0)
		vs_remove_state_dir_at(p.parent_fd, p.stage); /* the old state, or a failed stage */
	if (new_owner >= 0)
		close(new_owner);
	anchor_place_close(&a);
	place_close(&p);
	vs_wipe(&info, sizeof(info));
	return r;
}

/* Moves the state directory away and removes it. */
static int remove_state(struct place *p, const char *state_dir, char *msg, size_t msglen)
{
	int r = vs_remove_state_dir_at(p->parent_fd, p->stage);
	if (!r && renameat(p->parent_fd, p->base, p->parent_fd, p->stage))
		r = -errno;
	if (!r && fsync(p->parent_fd))
		r = -errno;
	/* the state is gone from its place: a file of someone else's left in it is not ours to remove */
	if (!r && vs_remove_state_dir_at(p->parent_fd, p->stage))
		vs_msg(msg, msglen, "reset: the old state, moved to %s beside %s, could not be "
				    "removed entirely", p->stage, state_dir);
	return r;
}

/*
 * Order: the anchor renamed to <anchor>.reset (the intent), the state removed, the .reset
 * removed. A crash in between leaves the .reset, and the next prepare completes the reset
 * before it looks at the state: never a fresh state against the old anchor.
 */
int vstore_reset(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		 size_t msglen)
{
	if (!vs_valid_vm_name(vm_name))
		return -EINVAL;
	struct place p = { .parent_fd = -1, .owner_fd = -1 };
	struct anchor_place a = { .dfd = -1 };
	int r = place_open(state_dir, "reset", &p, msg, msglen);
	if (!r)
		r = anchor_place_open(anchor_dir, state_dir, vm_name, ".reset", &a);
	if (!r && a.dfd >= 0) {
		if (renameat(a.dfd, a.name, a.dfd, a.side) && errno != ENOENT)
			r = -errno;
		if (!r && fsync(a.dfd))
			r = -errno;
	}
	if (!r && p.owner_fd >= 0)
		r = remove_state(&p, state_dir, msg, msglen);
	if (!r && a.dfd >= 0) {
		if (unlinkat(a.dfd, a.side, 0) && errno != ENOENT)
			r = -errno;
		if (!r && fsync(a.dfd))
			r = -errno;
	}
	if (r && r != -EBUSY)
		vs_msg(msg, msglen, "reset of %s failed: %s", state_dir, strerror(-r));
	anchor_place_close(&a);
	place_close(&p);
	return r;
}

int vs_reset_resume(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		    size_t msglen)
{
	struct anchor_place a = { .dfd = -1 };
	int r = anchor_place_open(anchor_dir, state_dir, vm_name, ".reset", &a);
	if (r) {
		vs_msg(msg, msglen, "cannot open the anchor directory %s: %s", anchor_dir, strerror(-r));
		return r;
	}
	bool pending = !faccessat(a.dfd, a.side, F_OK, AT_SYMLINK_NOFOLLOW);
	anchor_place_close(&a);
	return pending ? vstore_reset(state_dir, anchor_dir, vm_name, msg, msglen) : 0;
}
