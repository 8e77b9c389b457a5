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
	close(dfd);
	if (p->owner_fd < 0)
		return -errno;
	if (flock(p->owner_fd, LOCK_EX | LOCK_NB)) {
		vs_msg(msg, msglen, "the VM's storage %s is in use (a VM is running): stop it first",
		       state_dir);
		return -EBUSY;
	}
	return 0;
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

/* The anchor now names the imported manifest. */
static int set_anchor(const char *anchor_dir, const char *state_dir, const char *vm_name,
		      int state_fd, const struct vs_import_info *info)
{
	uint8_t hash[VS_HASH_BYTES] = { 0 }, *buf;
	size_t len;
	char name[VS_ANCHOR_NAME_MAX];
	int dfd, r = 0;
	if (info->has_manifest) {
		r = vs_read_file_at(state_fd, VS_NAME_MANIFEST, VS_MANIFEST_MAX_BYTES, &buf, &len);
		if (r)
			return r;
		r = vs_sha256(buf, len, hash);
		free(buf);
	}
	if (!r)
		r = open_anchor_dir(anchor_dir, state_dir, vm_name, name, &dfd);
	if (r)
		return r;
	int fd = openat(dfd, name, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : vs_anchor_write(fd, info->vm_key, info->state_id, info->version, hash);
	if (fd >= 0)
		close(fd);
	if (!r && fsync(dfd))
		r = -errno;
	close(dfd);
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

int vstore_import(const char *state_dir, const char *anchor_dir, const char *vm_name,
		  const struct vstore_host_key *local, const struct vstore_host_key *from, int in_fd,
		  char *msg, size_t msglen)
{
	struct place p = { .parent_fd = -1, .owner_fd = -1 };
	struct vs_import_info info;
	memset(&info, 0, sizeof(info));
	int r = vs_valid_vm_name(vm_name) ? place_open(state_dir, "import", &p, msg, msglen) : -EINVAL;
	if (!r)
		r = stage_import(&p, local, from, in_fd, &info, msg, msglen);
	if (!r) { /* the commit point: the staged state takes the old one's name */
		if (p.owner_fd >= 0)
			r = renameat2(p.parent_fd, p.stage, p.parent_fd, p.base, RENAME_EXCHANGE) ? -errno : 0;
		else
			r = renameat(p.parent_fd, p.stage, p.parent_fd, p.base) ? -errno : 0;
		if (!r && fsync(p.parent_fd))
			r = -errno;
		if (r)
			vs_msg(msg, msglen, "cannot move the imported state into place: %s", strerror(-r));
	}
	if (p.parent_fd >= 0)
		vs_remove_state_dir_at(p.parent_fd, p.stage); /* the old state, or a failed stage */
	if (!r && anchor_dir) {
		int sfd;
		r = vs_open_dir_at(p.parent_fd, p.base, &sfd);
		if (!r) {
			r = set_anchor(anchor_dir, state_dir, vm_name, sfd, &info);
			close(sfd);
		}
		if (r)
			vs_msg(msg, msglen, "imported, but the anchor cannot be set: %s", strerror(-r));
	}
	place_close(&p);
	vs_wipe(&info, sizeof(info));
	return r;
}

int vstore_reset(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		 size_t msglen)
{
	if (!vs_valid_vm_name(vm_name))
		return -EINVAL;
	struct place p = { .parent_fd = -1, .owner_fd = -1 };
	int r = place_open(state_dir, "reset", &p, msg, msglen);
	if (!r && p.owner_fd >= 0) {
		r = vs_remove_state_dir_at(p.parent_fd, p.stage);
		if (!r && renameat(p.parent_fd, p.base, p.parent_fd, p.stage))
			r = -errno;
		if (!r && fsync(p.parent_fd))
			r = -errno;
		/* the state is gone from its place: a file of someone else's left in it is not ours to remove */
		if (!r && vs_remove_state_dir_at(p.parent_fd, p.stage))
			vs_msg(msg, msglen, "reset: the old state, moved to %s beside %s, could not be "
					    "removed entirely", p.stage, state_dir);
	}
	if (!r && anchor_dir) {
		char name[VS_ANCHOR_NAME_MAX];
		int dfd;
		r = open_anchor_dir(anchor_dir, state_dir, vm_name, name, &dfd);
		if (!r) {
			if (unlinkat(dfd, name, 0) && errno != ENOENT)
				r = -errno;
			if (!r && fsync(dfd))
				r = -errno;
			close(dfd);
		}
	}
	if (r && r != -EBUSY)
		vs_msg(msg, msglen, "reset of %s failed: %s", state_dir, strerror(-r));
	place_close(&p);
	return r;
}
