// SPDX-License-Identifier: MIT
/*
 * Guest memory for the host TEE. Zero-copy: a registered guest buffer is a
 * list of guest pages; shm_register maps those pages of the guest-RAM file
 * side by side in a reserved window (shmview.c) and registers that range with
 * TEE_IOC_SHM_REGISTER: the TEE reads and writes guest RAM itself. A
 * temporary memref gets the same for the length of its call. Where that is
 * not possible (the host TEE lacks TEE_GEN_CAP_REG_MEM, guest RAM has no file,
 * a mapping or the registration fails, "zerocopy=0", a budget is spent), each
 * memref is copied through a TEE_IOC_SHM_ALLOC buffer for its call, and
 * counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "teedev_int.h"

_Static_assert(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT == VTEE_PARAM_VALUE_IN &&
		       TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT == VTEE_PARAM_VALUE_INOUT &&
		       TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT == VTEE_PARAM_MEMREF_IN &&
		       TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT == VTEE_PARAM_MEMREF_INOUT,
	       "vtee parameter types are the uapi's");

/* ---- views: guest pages registered in place ---- */

static void get_page(void *ctx, size_t i, struct shmview_page *out)
{
	struct vtee_shm_page pg;
	vtee_shm_page(ctx, i, &pg);
	out->fd = pg.fd;
	out->off = pg.fd_offset;
}

/* The mmap() budgets of a built view: the VM's maxmaps, the host's maps and fds. 0, -E2BIG or -EMFILE. */
static int view_take_budgets(struct teedev_vm *vm, const struct shmview *v)
{
	/* others may have taken the budgets since the view was sized */
	if (teedev_host_take(HOST_MAPS, v->nmaps))
		return -E2BIG;
	if (teedev_host_take(HOST_FDS, 1)) {
		teedev_host_give(HOST_MAPS, v->nmaps);
		return -EMFILE;
	}
	int r = 0;
	pthread_mutex_lock(&vm->lock);
	if (vm->maps_now + v->nmaps > vm->o->max_maps)
		r = -E2BIG;
	else
		vm->maps_now += v->nmaps;
	pthread_mutex_unlock(&vm->lock);
	if (r) {
		teedev_host_give(HOST_MAPS, v->nmaps);
		teedev_host_give(HOST_FDS, 1);
	}
	return r;
}

static void view_warn(struct teedev_vm *vm, int r, size_t npages)
{
	unsigned w = r == -EBADF    ? WARN_NOFILE
		     : r == -EXDEV  ? WARN_LAYOUT
		     : r == -E2BIG  ? WARN_MAPS
		     : r == -EMFILE ? WARN_HOST_FDS
				    : WARN_MMAP;
	if (first_time(vm, w))
		teedev_log(vm->label, "a %zu-page buffer cannot be mapped in place (%s): copying it%s", npages,
			   w == WARN_NOFILE     ? "guest RAM has no file descriptor"
			   : w == WARN_LAYOUT   ? "its pages do not fit the host's page size"
			   : w == WARN_MAPS     ? "maxmaps, or the host's share of vm.max_map_count, reached"
			   : w == WARN_HOST_FDS ? "the host's share of RLIMIT_NOFILE is in use"
						: strerror(-r),
			   " (said once)");
}

/* A view of shm's pages within the budgets: 0, or -errno (logged once per reason). */
static int view_build(struct teedev_vm *vm, struct vtee_shm *shm, struct shmview *v)
{
	pthread_mutex_lock(&vm->lock);
	uint64_t budget = vm->o->max_maps > vm->maps_now ? vm->o->max_maps - vm->maps_now : 0;
	pthread_mutex_unlock(&vm->lock);
	uint64_t host_maps = teedev_host_room(HOST_MAPS);
	if (host_maps < budget)
		budget = host_maps;
	size_t npages = vtee_shm_num_pages(shm);
	int r = budget ? shmview_build(npages, vtee_shm_first_offset(shm), vm->granule, (size_t)budget, get_page,
				       shm, v)
		       : -E2BIG;
	if (!r && (r = view_take_budgets(vm, v)))
		shmview_free(v);
	if (r)
		view_warn(vm, r, npages);
	return r;
}

/* fd -1: the registration failed, only the view and its budgets go. */
static void view_unregister(struct teedev_vm *vm, struct shmview *v, int fd)
{
	if (fd >= 0)
		teedev_close_fd(fd); /* the TEE lets go of the pages first */
	pthread_mutex_lock(&vm->lock);
	vm->maps_now -= v->nmaps;
	pthread_mutex_unlock(&vm->lock);
	teedev_host_give(HOST_MAPS, v->nmaps);
	teedev_host_give(HOST_FDS, 1);
	shmview_free(v);
}

/*
 * Register shm's pages with the TEE in place: a view, then TEE_IOC_SHM_REGISTER
 * of the buffer's bytes in it. 0 with *fd and *id set; -errno (logged once per
 * reason) if it cannot be done, and the caller copies instead.
 */
static int view_register(struct teedev_vm *vm, struct vtee_shm *shm, struct shmview *v, int *fd, int32_t *id)
{
	if (!vm->zerocopy)
		return -EOPNOTSUPP;
	int r = view_build(vm, shm, v);
	if (r)
		return r;
	struct tee_ioctl_shm_register_data d = { .addr = (uint64_t)(uintptr_t)v->data, .length = vtee_shm_size(shm) };
	int f = teedev_ioctl(vm->fd, TEE_IOC_SHM_REGISTER, &d);
	if (f < 0) {
		int e = errno ? errno : EIO;
		if (first_time(vm, WARN_REGISTER))
			teedev_log(vm->label, "TEE_IOC_SHM_REGISTER of %zu pages: %s: copying instead (said once)",
				   vtee_shm_num_pages(shm), strerror(e));
		view_unregister(vm, v, -1);
		return -e;
	}
	count(&vm->st_view_maps, v->nmaps);
	*fd = f;
	*id = d.id;
	return 0;
}

int teedev_shm_register(void *vmp, struct vtee_shm *shm)
{
	struct teedev_vm *vm = vmp;
	struct teedev_shm *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->id = -1;
	if (!view_register(vm, shm, &h->view, &h->fd, &h->id))
		count(&vm->st_views, 1);
	else if (vm->zerocopy)
		count(&vm->st_fallbacks, 1);
	vtee_shm_set_priv(shm, h);
	return 0;
}

void teedev_shm_unregister(void *vmp, struct vtee_shm *shm)
{
	struct teedev_vm *vm = vmp;
	struct teedev_shm *h = vtee_shm_get_priv(shm);
	if (!h)
		return;
	if (h->fd >= 0)
		view_unregister(vm, &h->view, h->fd);
	vtee_shm_set_priv(shm, NULL);
	free(h);
}

/* ---- copies through TEE_IOC_SHM_ALLOC ---- */

/* len bytes of the VM's and the host's copy budgets, and an fd: 0, or -ENOMEM (nothing taken). */
static int copy_take_budgets(struct teedev_vm *vm, uint64_t len)
{
	pthread_mutex_lock(&vm->lock);
	bool fits = len <= TEEDEV_BOUNCE_MAX - vm->bounce_now;
	if (fits)
		vm->bounce_now += len;
	pthread_mutex_unlock(&vm->lock);
	if (!fits)
		return -ENOMEM;
	if (!teedev_host_take(HOST_COPY, len)) {
		if (!teedev_host_take(HOST_FDS, 1))
			return 0;
		teedev_host_give(HOST_COPY, len);
	}
	pthread_mutex_lock(&vm->lock);
	vm->bounce_now -= len;
	pthread_mutex_unlock(&vm->lock);
	return -ENOMEM;
}

static void copy_give_budgets(struct teedev_vm *vm, uint64_t len)
{
	pthread_mutex_lock(&vm->lock);
	vm->bounce_now -= len;
	pthread_mutex_unlock(&vm->lock);
	teedev_host_give(HOST_COPY, len);
	teedev_host_give(HOST_FDS, 1);
}

/* A TEE_IOC_SHM_ALLOC buffer of len bytes, mapped: 0 with c's fd, id and copy set, or -errno. */
static int copy_alloc(struct teedev_vm *vm, uint64_t len, struct callref *c)
{
	int r = copy_take_budgets(vm, len);
	if (r)
		return r;
	struct tee_ioctl_shm_alloc_data d = { .size = len };
	int f = teedev_ioctl(vm->fd, TEE_IOC_SHM_ALLOC, &d);
	void *m = MAP_FAILED;
	if (f < 0)
		r = errno ? -errno : -EIO;
	else if ((m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0)) == MAP_FAILED)
		r = -ENOMEM;
	if (r) {
		if (f >= 0)
			teedev_close_fd(f);
		copy_give_budgets(vm, len);
		return r;
	}
	c->fd = f;
	c->id = d.id;
	c->copy = m;
	c->copy_len = (size_t)len;
	return 0;
}

/* Copy a memref through a TEE_IOC_SHM_ALLOC buffer: 0, or -errno. */
static int copy_in(struct teedev_vm *vm, const struct vtee_param *vp, struct callref *c)
{
	uint64_t size = vp->u.memref.size, len = size ? size : 1;
	if (len > TEEDEV_BOUNCE_MAX)
		return -ENOMEM;
	int r = copy_alloc(vm, len, c);
	if (r)
		return r;
	count(&vm->st_copies, 1);
	/* output-only: whatever the allocator had there is not the TA's to see */
	if (!vtee_param_is_input(vp->type) || !size) {
		memset(c->copy, 0, (size_t)len);
		return 0;
	}
	if (vtee_shm_read(vp->u.memref.shm, vp->u.memref.offs, c->copy, (size_t)size))
		return -EFAULT;
	count(&vm->st_copy_bytes, size);
	return 0;
}

void teedev_callref_release(struct teedev_vm *vm, struct callref *c)
{
	if (c->copy) {
		munmap(c->copy, c->copy_len);
		teedev_close_fd(c->fd);
		copy_give_budgets(vm, c->copy_len);
	} else if (c->fd >= 0) {
		view_unregister(vm, &c->view, c->fd);
	}
	c->fd = -1;
	c->copy = NULL;
}

/* ---- a call's parameters ---- */

/* A memref parameter: registered in place, a temporary view, a copy, or a NULL memref. */
static int memref_in(struct teedev_vm *vm, const struct vtee_param *vp, struct tee_ioctl_param *p,
		     struct callref *ref)
{
	p->attr = vp->type;
	struct vtee_shm *shm = vp->u.memref.shm;
	uint64_t offs = vp->u.memref.offs, size = vp->u.memref.size;
	if (!shm) {
		/* GP null memref: a size without a buffer */
		if (!vm->memref_null) {
			if (first_time(vm, WARN_NULL))
				teedev_log(vm->label, "a NULL memref, but %s has no TEE_GEN_CAP_MEMREF_NULL: refused (said once)",
					   vm->path);
			return -EOPNOTSUPP;
		}
		p->b = size;
		p->c = TEE_MEMREF_NULL;
		return 0;
	}
	uint64_t total = vtee_shm_size(shm);
	if (offs > total || size > total - offs)
		return -EINVAL;
	const struct teedev_shm *h = vtee_shm_get_priv(shm);
	p->a = offs;
	p->b = size;
	if (h && h->fd >= 0) {
		p->c = (uint64_t)h->id; /* registered, in place */
		return 0;
	}
	if (!h && !view_register(vm, shm, &ref->view, &ref->fd, &ref->id)) {
		count(&vm->st_tmp_views, 1); /* temporary memref, in place for this call */
		p->c = (uint64_t)ref->id;
		return 0;
	}
	if (!h && vm->zerocopy)
		count(&vm->st_fallbacks, 1);
	int r = copy_in(vm, vp, ref);
	p->a = 0;
	p->c = (uint64_t)ref->id;
	return r;
}

int teedev_params_in(struct teedev_vm *vm, const struct vtee_req *req, struct tee_ioctl_param *ip,
		     struct callref *refs)
{
	for (uint32_t i = 0; i < VTEE_MAX_PARAMS; i++)
		refs[i] = (struct callref){ .fd = -1, .id = -1 };
	if (req->num_params > VTEE_MAX_PARAMS)
		return -EINVAL;
	for (uint32_t i = 0; i < req->num_params; i++) {
		const struct vtee_param *vp = &req->params[i];
		struct tee_ioctl_param *p = &ip[i];
		memset(p, 0, sizeof(*p));
		switch (vp->type) {
		case VTEE_PARAM_NONE:
			p->attr = TEE_IOCTL_PARAM_ATTR_TYPE_NONE;
			break;
		case VTEE_PARAM_VALUE_IN:
		case VTEE_PARAM_VALUE_INOUT:
			p->a = vp->u.value.a;
			p->b = vp->u.value.b;
			p->c = vp->u.value.c;
			/* fallthrough */
		case VTEE_PARAM_VALUE_OUT:
			p->attr = vp->type;
			break;
		case VTEE_PARAM_MEMREF_IN:
		case VTEE_PARAM_MEMREF_OUT:
		case VTEE_PARAM_MEMREF_INOUT: {
			int r = memref_in(vm, vp, p, &refs[i]);
			if (r)
				return r;
			break;
		}
		default:
			return -EINVAL;
		}
	}
	return 0;
}

void teedev_params_out(struct teedev_vm *vm, struct vtee_req *req, const struct tee_ioctl_param *ip,
		       const struct callref *refs)
{
	for (uint32_t i = 0; i < req->num_params; i++) {
		struct vtee_param *vp = &req->params[i];
		const struct tee_ioctl_param *p = &ip[i];
		if (!vtee_param_is_output(vp->type))
			continue;
		if (vtee_param_is_value(vp->type)) {
			vp->u.value.a = p->a;
			vp->u.value.b = p->b;
			vp->u.value.c = p->c;
			continue;
		}
		/* the size the TA reports; data only where it fits what the guest gave (else SHORT_BUFFER) */
		uint64_t n = p->b;
		if (refs[i].copy && n && n <= vp->u.memref.size && n <= refs[i].copy_len &&
		    !vtee_shm_write(vp->u.memref.shm, vp->u.memref.offs, refs[i].copy, (size_t)n))
			count(&vm->st_copy_bytes, n);
		vp->u.memref.size = n;
	}
}
