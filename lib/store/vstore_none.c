// SPDX-License-Identifier: MIT
/*
 * The storage engine in a build without OpenSSL's libcrypto (the arm64 cross build): every
 * entry point of vstore.h answers -EOPNOTSUPP, so its callers need no #ifdef and a VM simply
 * has no storage configured (persistent objects answer as OP-TEE without storage).
 */
#include <errno.h>
#include <string.h>

#include "vstore.h"

static int unsupported(char *msg, size_t msglen)
{
	if (msg && msglen)
		strncpy(msg, "this build of vtee has no secure storage (no OpenSSL libcrypto)", msglen - 1);
	if (msg && msglen)
		msg[msglen - 1] = 0;
	return -EOPNOTSUPP;
}

int vstore_host_key_load(const char *path, bool create, struct vstore_host_key *out, char *msg,
			 size_t msglen)
{
	(void)path;
	(void)create;
	memset(out, 0, sizeof(*out));
	return unsupported(msg, msglen);
}

int vstore_prepare(const char *state_dir, const char *anchor_dir, const char *vm_name,
		   const struct vstore_host_key *hk, const struct vstore_quota *quota,
		   struct vstore_handoff *out, char *msg, size_t msglen)
{
	(void)state_dir, (void)anchor_dir, (void)vm_name, (void)hk, (void)quota;
	memset(out, 0, sizeof(*out));
	out->dir_fd = out->anchor_fd = -1;
	return unsupported(msg, msglen);
}

int vstore_open(struct vstore_handoff *h, vstore_log_fn *log, void *log_arg, struct vstore **out)
{
	(void)log, (void)log_arg;
	vstore_handoff_close(h);
	*out = NULL;
	return -EOPNOTSUPP;
}

void vstore_close(struct vstore *s)
{
	(void)s;
}

int vstore_get(struct vstore *s, const struct vstore_key *k, void **meta, size_t *meta_len,
	       void **data, size_t *data_len)
{
	(void)s, (void)k;
	*meta = *data = NULL;
	*meta_len = *data_len = 0;
	return -EOPNOTSUPP;
}

int vstore_put(struct vstore *s, const struct vstore_key *k, const void *meta, size_t meta_len,
	       const void *data, size_t data_len, unsigned int flags)
{
	(void)s, (void)k, (void)meta, (void)meta_len, (void)data, (void)data_len, (void)flags;
	return -EOPNOTSUPP;
}

int vstore_rename(struct vstore *s, const struct vstore_key *from, const uint8_t *new_id,
		  size_t new_id_len)
{
	(void)s, (void)from, (void)new_id, (void)new_id_len;
	return -EOPNOTSUPP;
}

int vstore_delete(struct vstore *s, const struct vstore_key *k)
{
	(void)s, (void)k;
	return -EOPNOTSUPP;
}

int vstore_next(struct vstore *s, const uint8_t uuid[16], uint8_t ns,
		const struct vstore_key *after, struct vstore_key *next, uint64_t *data_len)
{
	(void)s, (void)uuid, (void)ns, (void)after, (void)next, (void)data_len;
	return -EOPNOTSUPP;
}

void vstore_get_stats(struct vstore *s, struct vstore_stats *out)
{
	(void)s;
	memset(out, 0, sizeof(*out));
}

int vstore_export(const char *state_dir, const char *anchor_dir, const char *vm_name,
		  const struct vstore_host_key *local, const struct vstore_host_key *to, int out_fd,
		  char *msg, size_t msglen)
{
	(void)state_dir, (void)anchor_dir, (void)vm_name, (void)local, (void)to, (void)out_fd;
	return unsupported(msg, msglen);
}

int vstore_import(const char *state_dir, const char *anchor_dir, const char *vm_name,
		  const struct vstore_host_key *local, const struct vstore_host_key *from, int in_fd,
		  char *msg, size_t msglen)
{
	(void)state_dir, (void)anchor_dir, (void)vm_name, (void)local, (void)from, (void)in_fd;
	return unsupported(msg, msglen);
}

int vstore_reset(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		 size_t msglen)
{
	(void)state_dir, (void)anchor_dir, (void)vm_name;
	return unsupported(msg, msglen);
}
