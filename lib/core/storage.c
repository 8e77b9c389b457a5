// SPDX-License-Identifier: MIT
/*
 * A VM's secure storage through the public API: preparing it from the host
 * key's path (lib/store does the work), handing it to the VM's back-end, and
 * the state's export, import and reset by key paths.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "store/vstore.h"

void vtee_storage_release(struct vtee_storage *st)
{
	if (!st)
		return;
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	if (st->anchor_fd >= 0)
		close(st->anchor_fd);
	st->dir_fd = st->anchor_fd = -1;
	explicit_bzero(st->vm_key, sizeof(st->vm_key));
}

int vtee_vm_set_storage(struct vtee_vm *vm, struct vtee_storage *st)
{
	if (!vm || !st) {
		vtee_storage_release(st);
		return -EINVAL;
	}
	const struct vtee_backend_ops *ops = vm->tee->ops;
	if (!ops->vm_storage) {
		vtee_storage_release(st);
		return -EOPNOTSUPP;
	}
	return ops->vm_storage(vm->be, st);
}

/* The host key at path, and the one at other_path (NULL: *other is a copy of *local). */
static int load_keys(const char *path, bool create, const char *other_path, struct vstore_host_key *local,
		     struct vstore_host_key *other, char *msg, size_t msglen)
{
	if (!path)
		return -EINVAL;
	int e = vstore_host_key_load(path, create, local, msg, msglen);
	if (e)
		return e;
	if (!other_path) {
		*other = *local;
		return 0;
	}
	e = vstore_host_key_load(other_path, false, other, msg, msglen);
	if (e)
		explicit_bzero(local, sizeof(*local));
	return e;
}

int vtee_storage_prepare(const char *state_dir, const char *anchor_dir, const char *vm_name,
			 const char *host_key_path, uint32_t max_objects, uint64_t max_bytes,
			 struct vtee_storage *out, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = 0;
	memset(out, 0, sizeof(*out));
	out->dir_fd = out->anchor_fd = -1;
	if (!state_dir || !vm_name || !host_key_path)
		return -EINVAL;
	struct vstore_host_key hk;
	int e = vstore_host_key_load(host_key_path, true, &hk, msg, msglen);
	if (e)
		return e;
	struct vstore_quota q = { .max_objects = max_objects, .max_bytes = max_bytes };
	struct vstore_handoff h;
	e = vstore_prepare(state_dir, anchor_dir, vm_name, &hk, &q, &h, msg, msglen);
	explicit_bzero(&hk, sizeof(hk));
	if (e)
		return e;
	_Static_assert(sizeof(out->vm_key) == sizeof(h.vm_key), "VM key size");
	_Static_assert(sizeof(out->state_id) == sizeof(h.state_id), "state id size");
	out->dir_fd = h.dir_fd;
	out->anchor_fd = h.anchor_fd;
	memcpy(out->vm_key, h.vm_key, sizeof(out->vm_key));
	memcpy(out->state_id, h.state_id, sizeof(out->state_id));
	out->max_objects = h.quota.max_objects;
	out->max_bytes = h.quota.max_bytes;
	explicit_bzero(h.vm_key, sizeof(h.vm_key)); /* the fds are out's now */
	return 0;
}

int vtee_state_export(const char *state_dir, const char *anchor_dir, const char *vm_name,
		      const char *host_key_path, const char *to_key_path, int out_fd, char *msg,
		      size_t msglen)
{
	if (msg && msglen)
		msg[0] = 0;
	struct vstore_host_key local, to;
	int e = load_keys(host_key_path, false, to_key_path, &local, &to, msg, msglen);
	if (e)
		return e;
	e = state_dir && (vm_name || !anchor_dir)
		    ? vstore_export(state_dir, anchor_dir, vm_name, &local, &to, out_fd, msg, msglen)
		    : -EINVAL;
	explicit_bzero(&local, sizeof(local));
	explicit_bzero(&to, sizeof(to));
	return e;
}

int vtee_state_import(const char *state_dir, const char *anchor_dir, const char *vm_name,
		      const char *host_key_path, const char *from_key_path, int in_fd, char *msg,
		      size_t msglen)
{
	if (msg && msglen)
		msg[0] = 0;
	struct vstore_host_key local, from;
	int e = load_keys(host_key_path, true, from_key_path, &local, &from, msg, msglen);
	if (e)
		return e;
	e = state_dir && vm_name ? vstore_import(state_dir, anchor_dir, vm_name, &local, &from, in_fd, msg, msglen)
				 : -EINVAL;
	explicit_bzero(&local, sizeof(local));
	explicit_bzero(&from, sizeof(from));
	return e;
}

int vtee_state_reset(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		     size_t msglen)
{
	if (msg && msglen)
		msg[0] = 0;
	if (!state_dir || !vm_name)
		return -EINVAL;
	return vstore_reset(state_dir, anchor_dir, vm_name, msg, msglen);
}
