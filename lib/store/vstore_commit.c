// SPDX-License-Identifier: MIT
/*
 * Commits: put, rename and delete, each one manifest version. The order (vstore.h): the new
 * object file written and fsynced; the manifest written to manifest.tmp, fsynced, renamed over
 * manifest, the directory fsynced; the anchor written and fsynced; the replaced object file
 * unlinked. A crash anywhere leaves the old or the new manifest, each with its files; files no
 * manifest names are removed at the next open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "vstore_int.h"

/* The manifest rename is the commit point: after it the new version stands, whatever follows. */
static int write_manifest(struct vstore *s, size_t *len_out)
{
	uint8_t *buf, hash[VS_HASH_BYTES];
	size_t len;
	int r = vs_manifest_encode(&s->m, s->mkey, &buf, &len);
	if (!r)
		r = vs_sha256(buf, len, hash);
	if (!r) {
		unlinkat(s->dir_fd, VS_NAME_MANIFEST_TMP, 0);
		r = vs_create_file_at(s->dir_fd, VS_NAME_MANIFEST_TMP, buf, len);
	}
	free(buf);
	if (r)
		return r;
	if (renameat(s->dir_fd, VS_NAME_MANIFEST_TMP, s->dir_fd, VS_NAME_MANIFEST)) {
		r = -errno;
		unlinkat(s->dir_fd, VS_NAME_MANIFEST_TMP, 0);
		return r;
	}
	memcpy(s->hash, hash, VS_HASH_BYTES);
	*len_out = len;
	/* not durable yet: the anchor must not name it before it is (retried at the next commit) */
	if (fsync(s->dir_fd)) {
		vs_log(s, "vstore: fsync of the state directory failed: %s", strerror(errno));
		s->anchor_stale = true;
	}
	return 0;
}

int vs_commit(struct vstore *s)
{
	int r;
	if (s->anchor_stale) {
		if (fsync(s->dir_fd))
			return -errno;
		r = s->anchor_fd < 0 ? 0 :
			vs_anchor_write(s->anchor_fd, s->vm_key, s->state_id, s->m.version, s->hash);
		if (r)
			return r;
		s->anchor_stale = false;
	}
	uint8_t prev[VS_HASH_BYTES];
	memcpy(prev, s->m.prev_hash, sizeof(prev));
	memcpy(s->m.prev_hash, s->hash, VS_HASH_BYTES);
	s->m.version++;
	flock(s->lock_fd, LOCK_EX); /* an export sees a whole version */
	size_t len = 0;
	r = write_manifest(s, &len);
	if (!r && s->anchor_fd >= 0 && !s->anchor_stale &&
	    vs_anchor_write(s->anchor_fd, s->vm_key, s->state_id, s->m.version, s->hash)) {
		s->anchor_stale = true;
		vs_log(s, "vstore: cannot write the anchor; retried at the next commit");
	}
	flock(s->lock_fd, LOCK_UN);
	if (r) {
		s->m.version--;
		memcpy(s->m.prev_hash, prev, sizeof(prev));
		return r;
	}
	s->manifest_bytes = len;
	s->commits++;
	vs_publish_stats(s);
	return 0;
}

static void unlink_object(struct vstore *s, uint64_t fileno)
{
	char name[VS_OBJ_NAME_LEN];
	vs_obj_name(fileno, name);
	unlinkat(s->dir_fd, name, 0);
}

/* A new object file for e (e->fileno assigned here); fills e->file_hash. */
static int write_object(struct vstore *s, struct vs_entry *e, const void *meta, const void *data)
{
	uint8_t okey[VSTORE_KEY_BYTES], *buf;
	size_t len;
	e->fileno = s->m.next_fileno++;
	int r = vs_obj_key(s->vm_key, e->key.uuid, okey);
	if (!r)
		r = vs_obj_encode(okey, s->state_id, e, meta, data, &buf, &len);
	vs_wipe(okey, sizeof(okey));
	if (r)
		return r;
	r = vs_sha256(buf, len, e->file_hash);
	char name[VS_OBJ_NAME_LEN];
	vs_obj_name(e->fileno, name);
	if (!r) {
		unlinkat(s->dir_fd, name, 0);
		r = vs_create_file_at(s->dir_fd, name, buf, len);
	}
	free(buf);
	return r;
}

static int check_quota(struct vstore *s, uint32_t count, uint64_t bytes)
{
	if (count > s->quota.max_objects || bytes > s->quota.max_bytes)
		return -EDQUOT;
	return 0;
}

static int put_locked(struct vstore *s, const struct vstore_key *k, const void *meta,
		      size_t meta_len, const void *data, size_t data_len, unsigned int flags)
{
	uint32_t pos;
	bool found = vs_manifest_find(&s->m, k, &pos);
	if (found && (flags & VSTORE_PUT_NEW))
		return -EEXIST;
	struct vs_entry old = found ? s->m.e[pos] : (struct vs_entry){ 0 };
	uint64_t bytes = s->m.bytes - (found ? old.meta_len + old.data_len : 0) + meta_len + data_len;
	int r = check_quota(s, s->m.count + !found, bytes);
	if (r)
		return r;
	struct vs_entry e = { .key = *k, .meta_len = (uint32_t)meta_len, .data_len = data_len };
	r = write_object(s, &e, meta, data);
	if (!r && found) {
		s->m.bytes += e.meta_len + e.data_len - (old.meta_len + old.data_len);
		s->m.e[pos] = e;
	} else if (!r) {
		r = vs_manifest_insert(&s->m, pos, &e);
	}
	if (!r) {
		r = vs_commit(s);
		if (r && found) {
			s->m.bytes -= e.meta_len + e.data_len - (old.meta_len + old.data_len);
			s->m.e[pos] = old;
		} else if (r) {
			vs_manifest_remove(&s->m, pos);
		}
	}
	if (r)
		unlink_object(s, e.fileno);
	else if (found)
		unlink_object(s, old.fileno);
	return r;
}

int vstore_put(struct vstore *s, const struct vstore_key *k, const void *meta, size_t meta_len,
	       const void *data, size_t data_len, unsigned int flags)
{
	if (!vs_key_valid(k) || meta_len > VSTORE_META_MAX || data_len > VSTORE_DATA_MAX ||
	    (meta_len && !meta) || (data_len && !data))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	int r = s->corrupt ? -EBADMSG : put_locked(s, k, meta, meta_len, data, data_len, flags);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* The object under its new id is a new file: its id is in the file's authenticated data. */
static int rename_locked(struct vstore *s, const struct vstore_key *from, const uint8_t *new_id,
			 size_t new_id_len)
{
	uint32_t pos, npos;
	if (!vs_manifest_find(&s->m, from, &pos))
		return -ENOENT;
	struct vstore_key to = *from;
	to.id_len = (uint8_t)new_id_len;
	memcpy(to.id, new_id, new_id_len);
	if (vs_manifest_find(&s->m, &to, &npos))
		return -EEXIST;
	void *meta, *data;
	int r = vs_get_locked(s, from, &meta, &data);
	if (r)
		return r;
	struct vs_entry old = s->m.e[pos];
	struct vs_entry e = { .key = to, .meta_len = old.meta_len, .data_len = old.data_len };
	r = write_object(s, &e, meta, data);
	vs_wipe(data, (size_t)old.data_len);
	free(meta);
	free(data);
	if (r) {
		unlink_object(s, e.fileno);
		return r;
	}
	vs_manifest_remove(&s->m, pos);
	vs_manifest_find(&s->m, &to, &npos);
	r = vs_manifest_insert(&s->m, npos, &e);
	if (!r) {
		r = vs_commit(s);
		if (r)
			vs_manifest_remove(&s->m, npos);
	}
	if (r) {
		vs_manifest_find(&s->m, from, &pos);
		vs_manifest_insert(&s->m, pos, &old); /* room was there a moment ago */
		unlink_object(s, e.fileno);
		return r;
	}
	unlink_object(s, old.fileno);
	return 0;
}

int vstore_rename(struct vstore *s, const struct vstore_key *from, const uint8_t *new_id,
		  size_t new_id_len)
{
	if (!vs_key_valid(from) || new_id_len > VSTORE_ID_MAX || (new_id_len && !new_id))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	int r = s->corrupt ? -EBADMSG : rename_locked(s, from, new_id, new_id_len);
	pthread_mutex_unlock(&s->mu);
	return r;
}

static int delete_locked(struct vstore *s, const struct vstore_key *k)
{
	uint32_t pos;
	if (!vs_manifest_find(&s->m, k, &pos))
		return -ENOENT;
	struct vs_entry old = s->m.e[pos];
	vs_manifest_remove(&s->m, pos);
	int r = vs_commit(s);
	if (r) {
		vs_manifest_insert(&s->m, pos, &old);
		return r;
	}
	unlink_object(s, old.fileno);
	return 0;
}

int vstore_delete(struct vstore *s, const struct vstore_key *k)
{
	if (!vs_key_valid(k))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	int r = s->corrupt ? -EBADMSG : delete_locked(s, k);
	pthread_mutex_unlock(&s->mu);
	return r;
}
