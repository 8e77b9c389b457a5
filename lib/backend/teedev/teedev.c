// SPDX-License-Identifier: MIT
/*
 * The "teedev" back-end: a VM's requests go to the host's OP-TEE through the
 * Linux TEE uapi (<linux/tee.h>): TEE_IOC_OPEN_SESSION, _INVOKE,
 * _CLOSE_SESSION, _CANCEL, and shared memory with _SHM_REGISTER (guest memory
 * in place) or _SHM_ALLOC (copies). docs/teedev.md has the whole story;
 * teedev_int.h says which file does what.
 *
 * One TEE context per VM: vm_created opens the device, vm_destroyed closes it,
 * and the kernel then closes whatever sessions of the VM are still open in
 * the TEE. Sessions, shared memory ids and cancellation are per context, so
 * two VMs can never name each other's objects through this path.
 *
 * RPCs: the TEE's requests to the normal world (TA loading, secure storage,
 * RPMB, time) are served by the host kernel and the host's tee-supplicant;
 * this back-end never calls vtee_req_rpc().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "teedev_int.h"

static int teedev_open(const char *options, void **out)
{
	struct teedev_tee *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	char err[256];
	int r = teedev_parse_options(options, &t->o, err, sizeof(err));
	if (r) {
		teedev_log(NULL, "options \"%s\": %s", options ? options : "", err);
		free(t);
		return r;
	}
	/* fd=: a sandboxed mediator (vteed) that may open no files: the defaults */
	if (t->o.fd < 0)
		teedev_host_limits_read();
	else
		teedev_host_limits_default();
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

static void teedev_close(void *tee)
{
	struct teedev_tee *t = tee;
	if (t->o.fd >= 0 && !t->fd_taken)
		teedev_close_fd(t->o.fd); /* given with fd=, and no VM took it */
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* ---- VMs ---- */

static void vm_free(struct teedev_vm *vm)
{
	free(vm->cq);
	free(vm);
}

/* The VM's name for the log, printable. */
static void set_label(struct teedev_vm *vm, const char *name)
{
	size_t n = 0;
	for (const char *s = name && *name ? name : "vm"; *s && n < sizeof(vm->label) - 1; s++)
		vm->label[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	vm->label[n] = 0;
}

/* What the device can do, said once if it falls short. */
static void read_caps(struct teedev_vm *vm)
{
	vm->reg_mem = vm->ver.gen_caps & TEE_GEN_CAP_REG_MEM;
	vm->memref_null = vm->ver.gen_caps & TEE_GEN_CAP_MEMREF_NULL;
	vm->zerocopy = vm->o->zerocopy && vm->reg_mem;
	long pg = sysconf(_SC_PAGESIZE);
	vm->granule = pg >= (long)SHMVIEW_PAGE ? (size_t)pg : SHMVIEW_PAGE;
	if (!vm->reg_mem)
		teedev_log(vm->label,
			   "%s cannot register user memory (no TEE_GEN_CAP_REG_MEM): every memref is copied "
			   "through TEE_IOC_SHM_ALLOC",
			   vm->path);
	if (!vm->memref_null)
		teedev_log(vm->label, "%s has no TEE_GEN_CAP_MEMREF_NULL: NULL memrefs are refused", vm->path);
}

static void init_sync(struct teedev_vm *vm)
{
	pthread_mutex_init(&vm->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the canceller's deadlines */
	pthread_cond_init(&vm->cq_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&vm->inline_idle, NULL);
	vm->jobs.prev = vm->jobs.next = &vm->jobs;
	vm->sessions.prev = vm->sessions.next = &vm->sessions;
}

static int teedev_vm_created(void *tee, uint32_t vm_id, const char *name, void **out)
{
	struct teedev_tee *t = tee;
	struct teedev_vm *vm = calloc(1, sizeof(*vm));
	struct cancel_ask *cq = vm ? calloc(t->o.threads, sizeof(*cq)) : NULL;
	if (!cq) {
		free(vm);
		return -ENOMEM;
	}
	vm->cq = cq;
	vm->o = &t->o;
	vm->vm_id = vm_id;
	vm->max_threads = t->o.threads;
	vm->fd = -1;
	set_label(vm, name);
	int r = teedev_device_open(t, vm);
	if (r) {
		vm_free(vm);
		return r;
	}
	read_caps(vm);
	init_sync(vm);
	teedev_jobs_init(vm);
	*out = vm;
	return 0;
}

static void teedev_vm_destroyed(void *vmp)
{
	struct teedev_vm *vm = vmp;
	pthread_mutex_lock(&vm->lock);
	vm->stopping = true; /* the threads finish what is queued, then leave */
	pthread_cond_broadcast(&vm->cq_cond);
	while (vm->inline_running) /* the core's callers, in their own ioctls */
		pthread_cond_wait(&vm->inline_idle, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	vtee_pool_stop(&vm->pool);
	if (vm->canceller_started)
		pthread_join(vm->canceller, NULL);

	/* Whatever is still open in the TEE ends with the context. */
	if (vm->nsessions)
		teedev_log(vm->label, "%u session(s) still open: closing the TEE context ends them", vm->nsessions);
	while (vm->sessions.next != &vm->sessions) {
		struct teedev_sess *s = vm->sessions.next;
		s->prev->next = s->next;
		s->next->prev = s->prev;
		free(s);
	}
	teedev_close_fd(vm->fd);
	pthread_cond_destroy(&vm->cq_cond);
	pthread_cond_destroy(&vm->inline_idle);
	pthread_mutex_destroy(&vm->lock);
	vm_free(vm);
}

/* ---- sessions across a restart ---- */

/*
 * A restarted mediator (vteed) takes over the sessions of the context it was
 * handed again (fd=): the handle is the host's session id + 1, as always.
 * The kernel has no call to ask whether the context still holds a session,
 * so an import is taken on trust; an INVOKE on a session the TEE no longer
 * has fails there, cleanly.
 */
static uint64_t teedev_session_export(void *vmp, void *session)
{
	(void)vmp;
	return (uint64_t)(uintptr_t)session;
}

static void *teedev_session_import(void *vmp, uint64_t handle)
{
	struct teedev_vm *vm = vmp;
	if (!handle || handle > (uint64_t)UINT32_MAX + 1)
		return NULL;
	uint32_t id = (uint32_t)(handle - 1);
	struct teedev_sess *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	pthread_mutex_lock(&vm->lock);
	for (struct teedev_sess *o = vm->sessions.next; o != &vm->sessions; o = o->next)
		if (o->id == id) { /* twice: the journal's validation should have caught it */
			pthread_mutex_unlock(&vm->lock);
			free(s);
			return NULL;
		}
	teedev_session_add(vm, s);
	pthread_mutex_unlock(&vm->lock);
	return sess_handle(id);
}

static long teedev_vm_session_count(void *vmp)
{
	struct teedev_vm *vm = vmp;
	pthread_mutex_lock(&vm->lock);
	long n = vm->nsessions;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

/* ---- tests, statistics ---- */

void teedev_test_set_cancel_id(void *vmp, uint32_t last)
{
	struct teedev_vm *vm = vmp;
	pthread_mutex_lock(&vm->lock);
	vm->next_cancel_id = last;
	pthread_mutex_unlock(&vm->lock);
}

int vtee_teedev_stats(void *vmp, struct vtee_teedev_stats *st)
{
	struct teedev_vm *vm = vmp;
	if (!vm || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->impl_id = vm->ver.impl_id;
	st->impl_caps = vm->ver.impl_caps;
	st->gen_caps = vm->ver.gen_caps;
	st->reg_mem = vm->reg_mem;
	st->memref_null = vm->memref_null;
	pthread_mutex_lock(&vm->lock);
	st->sessions = vm->nsessions;
	st->maps_now = vm->maps_now;
	pthread_mutex_unlock(&vm->lock);
	st->views = atomic_load(&vm->st_views);
	st->tmp_views = atomic_load(&vm->st_tmp_views);
	st->view_maps = atomic_load(&vm->st_view_maps);
	st->view_fallbacks = atomic_load(&vm->st_fallbacks);
	st->copies = atomic_load(&vm->st_copies);
	st->copy_bytes = atomic_load(&vm->st_copy_bytes);
	st->cancels = atomic_load(&vm->st_cancels);
	st->logins_mapped = atomic_load(&vm->st_logins_mapped);
	st->logins_denied = atomic_load(&vm->st_logins_denied);
	st->inline_calls = atomic_load(&vm->st_inline);
	st->inline_overruns = atomic_load(&vm->st_inline_overruns);
	uint64_t host[HOST_N];
	teedev_host_usage(host);
	st->host_fds = host[HOST_FDS];
	st->host_maps = host[HOST_MAPS];
	st->host_copy_bytes = host[HOST_COPY];
	return 0;
}

const struct vtee_backend_ops vtee_teedev_backend = {
	.name = "teedev",
	.description = "the host's OP-TEE through its /dev/teeN (dev=PATH or fd=N, login= mapping)",
	.open = teedev_open,
	.close = teedev_close,
	.vm_created = teedev_vm_created,
	.vm_destroyed = teedev_vm_destroyed,
	.submit = teedev_submit,
	.cancel = teedev_cancel,
	.shm_register = teedev_shm_register,
	.shm_unregister = teedev_shm_unregister,
	.vm_session_count = teedev_vm_session_count,
	.session_export = teedev_session_export,
	.session_import = teedev_session_import,
};
VTEE_BACKEND_REGISTER(vtee_teedev_backend);
