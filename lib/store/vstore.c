// SPDX-License-Identifier: MIT
/*
 * The open store: vstore_open (owner lock, manifest against anchor, orphan clean-up), reads,
 * enumeration and statistics. Commits (put, rename, delete) are in vstore_commit.c. Only *at()
 * calls on the handed-over fds once open (vtee-tee's seccomp allowlist).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "vstore_int.h"

void vs_log(struct vstore *s, const char *fmt, ...)
{
	if (!s->log)
		return;
	char line[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->log(s->log_arg, line);
}

static int open_lock_file(int dirfd, const char *name, int *out)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	*out = fd;
	return 0;
}

static void mark_corrupt(struct vstore *s, const char *why, unsigned long long a,
			 unsigned long long b)
{
	s->corrupt = true;
	vs_log(s, "vstore: the VM's storage fails its checks (%s; %llu, %llu): every access answers "
		  "CORRUPT_OBJECT until it is reset or a backup is imported", why, a, b);
}

/* The manifest on disk, or an empty one (version 0) when none was committed yet. */
static int load_manifest(struct vstore *s)
{
	uint8_t *buf;
	size_t len;
	int r = vs_read_file_at(s->dir_fd, VS_NAME_MANIFEST, VS_MANIFEST_MAX_BYTES, &buf, &len);
	if (r == -ENOENT) {
		memcpy(s->m.state_id, s->state_id, 16);
		return 0;
	}
	if (r == -EFBIG || r == -EBADMSG) {
		mark_corrupt(s, "manifest is not a regular file of sane size", 0, 0);
		return 0;
	}
	if (r)
		return r;
	r = vs_manifest_decode(s->mkey, s->state_id, buf, len, &s->m);
	if (!r)
		r = vs_sha256(buf, len, s->hash);
	s->manifest_bytes = len;
	free(buf);
	if (r == -EBADMSG) {
		mark_corrupt(s, "manifest fails authentication or parsing", len, 0);
		return 0;
	}
	return r;
}

/* Manifest version == anchor, or anchor + 1 chained to it (a crash between the two). */
static int check_anchor(struct vstore *s)
{
	struct vs_anchor a;
	int r = vs_anchor_read(s->anchor_fd, s->vm_key, s->state_id, &a);
	if (r == -EBADMSG) {
		mark_corrupt(s, "anchor belongs to another state: directory deleted or replaced?", 0, 0);
		return 0;
	}
	if (r)
		return r;
	static const uint8_t zero[VS_HASH_BYTES];
	if (a.empty) {
		if (s->m.version || s->manifest_bytes) {
			mark_corrupt(s, "anchor is empty but the manifest has versions", s->m.version, 0);
			return 0;
		}
		return vs_anchor_write(s->anchor_fd, s->vm_key, s->state_id, 0, zero);
	}
	if (a.version == s->m.version && vs_equal(a.hash, s->hash, VS_HASH_BYTES))
		return 0;
	if (s->m.version == a.version + 1 && vs_equal(a.hash, s->m.prev_hash, VS_HASH_BYTES))
		return vs_anchor_write(s->anchor_fd, s->vm_key, s->state_id, s->m.version, s->hash);
	mark_corrupt(s, "manifest version/hash differ from the anchor's: rolled back or replaced",
		     (unsigned long long)s->m.version, (unsigned long long)a.version);
	return 0;
}

/* Object files the manifest does not name: left by a crash before or after a commit. */
static int remove_orphans(struct vstore *s)
{
	uint64_t *live = malloc((s->m.count ? s->m.count : 1) * sizeof(*live));
	if (!live)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->m.count; i++)
		live[i] = s->m.e[i].fileno;
	qsort(live, s->m.count, sizeof(*live), vs_cmp_u64);
	int dfd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		int r = -errno;
		if (dfd >= 0)
			close(dfd);
		free(live);
		return r;
	}
	struct dirent *e;
	uint64_t f;
	while ((e = readdir(d)))
		if (vs_parse_obj_name(e->d_name, &f) &&
		    !bsearch(&f, live, s->m.count, sizeof(*live), vs_cmp_u64))
			unlinkat(s->dir_fd, e->d_name, 0);
	closedir(d);
	free(live);
	unlinkat(s->dir_fd, VS_NAME_MANIFEST_TMP, 0);
	return 0;
}

static int open_state(struct vstore *s)
{
	int r = open_lock_file(s->dir_fd, VS_NAME_OWNER, &s->owner_fd);
	if (r)
		return r;
	if (flock(s->owner_fd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	r = open_lock_file(s->dir_fd, VS_NAME_LOCK, &s->lock_fd);
	if (!r)
		r = vs_hkdf(s->vm_key, "vtee manifest", NULL, 0, s->mkey);
	if (!r)
		r = load_manifest(s);
	if (!r && !s->corrupt && s->anchor_fd >= 0)
		r = check_anchor(s);
	if (!r && !s->corrupt)
		r = remove_orphans(s);
	return r;
}

int vstore_open(struct vstore_handoff *h, vstore_log_fn *log, void *log_arg, struct vstore **out)
{
	*out = NULL;
	struct vstore *s = calloc(1, sizeof(*s));
	if (!s) {
		vstore_handoff_close(h);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->stats_mu, NULL);
	s->dir_fd = h->dir_fd;
	s->anchor_fd = h->anchor_fd;
	s->lock_fd = s->owner_fd = -1;
	memcpy(s->vm_key, h->vm_key, sizeof(s->vm_key));
	memcpy(s->state_id, h->state_id, sizeof(s->state_id));
	s->quota = h->quota;
	if (!s->quota.max_objects)
		s->quota.max_objects = VSTORE_DEFAULT_MAX_OBJECTS;
	if (!s->quota.max_bytes)
		s->quota.max_bytes = VSTORE_DEFAULT_MAX_BYTES;
	if (s->quota.max_objects > VS_MANIFEST_MAX_OBJECTS) /* what the manifest parser accepts */
		s->quota.max_objects = VS_MANIFEST_MAX_OBJECTS;
	s->log = log;
	s->log_arg = log_arg;
	h->dir_fd = h->anchor_fd = -1;
	vs_wipe(h->vm_key, sizeof(h->vm_key));
	int r = s->dir_fd >= 0 ? open_state(s) : -EBADF;
	if (r) {
		vstore_close(s);
		return r;
	}
	vs_publish_stats(s);
	*out = s;
	return 0;
}

void vstore_close(struct vstore *s)
{
	if (!s)
		return;
	int fds[] = { s->dir_fd, s->anchor_fd, s->lock_fd, s->owner_fd };
	for (unsigned i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]); /* the owner lock goes with its fd */
	vs_manifest_free(&s->m);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->stats_mu);
	vs_wipe(s, sizeof(*s));
	free(s);
}

static int get_locked(struct vstore *s, const struct vstore_key *k, void **meta, void **data,
		      struct vs_entry **entry)
{
	uint32_t pos;
	if (s->corrupt)
		return -EBADMSG;
	if (!vs_manifest_find(&s->m, k, &pos))
		return -ENOENT;
	struct vs_entry *e = &s->m.e[pos];
	*entry = e;
	char name[VS_OBJ_NAME_LEN];
	vs_obj_name(e->fileno, name);
	uint8_t *buf, okey[VSTORE_KEY_BYTES];
	size_t len;
	int r = vs_read_file_at(s->dir_fd, name, vs_obj_file_size(e->meta_len, e->data_len), &buf, &len);
	if (r == -ENOENT || r == -EFBIG)
		r = -EBADMSG;
	if (r)
		return r;
	r = vs_obj_key(s->vm_key, k->uuid, okey);
	if (!r)
		r = vs_obj_decode(okey, s->state_id, e, buf, len, meta, data);
	vs_wipe(okey, sizeof(okey));
	free(buf);
	return r;
}

/* For vstore_rename: the object's content, checked. */
int vs_get_locked(struct vstore *s, const struct vstore_key *k, void **meta, void **data)
{
	struct vs_entry *e = NULL;
	int r = get_locked(s, k, meta, data, &e);
	if (r == -EBADMSG && e) {
		s->corrupt_objects++;
		vs_publish_stats(s);
		if (!e->reported)
			vs_log(s, "vstore: object file %016llx fails its checks (missing, altered or "
				  "older than the manifest)", (unsigned long long)e->fileno);
		e->reported = true;
	}
	return r;
}

int vstore_get(struct vstore *s, const struct vstore_key *k, void **meta, size_t *meta_len,
	       void **data, size_t *data_len)
{
	*meta = *data = NULL;
	*meta_len = *data_len = 0;
	if (!vs_key_valid(k))
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	int r = vs_get_locked(s, k, meta, data);
	if (!r) {
		uint32_t pos;
		vs_manifest_find(&s->m, k, &pos);
		*meta_len = s->m.e[pos].meta_len;
		*data_len = (size_t)s->m.e[pos].data_len;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int vstore_next(struct vstore *s, const uint8_t uuid[16], uint8_t ns,
		const struct vstore_key *after, struct vstore_key *next, uint64_t *data_len)
{
	struct vstore_key from = { .ns = ns };
	memcpy(from.uuid, uuid, 16);
	if (after) {
		if (after->id_len > VSTORE_ID_MAX)
			return -EINVAL;
		from.id_len = after->id_len;
		memcpy(from.id, after->id, after->id_len);
	}
	pthread_mutex_lock(&s->mu);
	int r = -EBADMSG;
	if (!s->corrupt) {
		uint32_t pos;
		if (vs_manifest_find(&s->m, &from, &pos) && after)
			pos++;
		r = -ENOENT;
		if (pos < s->m.count && !memcmp(s->m.e[pos].key.uuid, uuid, 16) &&
		    s->m.e[pos].key.ns == ns) {
			*next = s->m.e[pos].key;
			*data_len = s->m.e[pos].data_len;
			r = 0;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

void vs_publish_stats(struct vstore *s)
{
	struct vstore_stats st = {
		.objects = s->m.count,
		.bytes = s->m.bytes,
		.bytes_on_disk = s->manifest_bytes,
		.version = s->m.version,
		.commits = s->commits,
		.corrupt_objects = s->corrupt_objects,
		.state_corrupt = s->corrupt,
	};
	for (uint32_t i = 0; i < s->m.count; i++)
		st.bytes_on_disk += vs_obj_file_size(s->m.e[i].meta_len, s->m.e[i].data_len);
	pthread_mutex_lock(&s->stats_mu);
	s->pub = st;
	pthread_mutex_unlock(&s->stats_mu);
}

void vstore_get_stats(struct vstore *s, struct vstore_stats *out)
{
	pthread_mutex_lock(&s->stats_mu);
	*out = s->pub;
	pthread_mutex_unlock(&s->stats_mu);
}
