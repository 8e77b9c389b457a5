/* TEE_CheckMemoryAccessRights as OP-TEE answers it, for a TA that is a native process.
 *
 * OP-TEE's core checks the TA's page tables: the range must be mapped with the rights asked,
 * and, without TEE_MEMORY_ACCESS_ANY_OWNER, lie in TA-private memory. libutee then checks the
 * rights the current call's memref parameters grant. Here:
 *  - "mapped" is asked of the kernel (mincore(2), no side effect);
 *  - "writable" fails on the read-only parts of loaded ELF modules (PT_LOAD without PF_W and
 *    PT_GNU_RELRO, from dl_iterate_phdr, cached until a module is loaded or unloaded); the rest
 *    of a mapped range is the TA's heap, stacks, data or mappings, all read/write;
 *  - "private" is everything but the memref parameters of the current call: those are the
 *    host's copies of the client's memory, i.e. what OP-TEE maps as shared memory;
 *  - SECURE/NONSECURE: parameters of a REE client are non-secure, everything else is secure.
 * Not seen: PROT_NONE pages (stack guards) count as mapped, and the heap rule of libutee (a range
 * that starts in an allocation must end in it) is not applied. */
#include "tarun_int.h"

#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define RIGHTS_MASK (TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_WRITE | TEE_MEMORY_ACCESS_ANY_OWNER)

struct range {
	uintptr_t start, end;
};

/* The read-only ranges of the loaded modules, rebuilt when the module list changes. */
static struct {
	pthread_mutex_t lock;
	bool valid;
	unsigned long long adds, subs;
	struct range *r;
	size_t n, cap;
	int err;
} ro = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uintptr_t page_size(void)
{
	static uintptr_t ps;

	if (!ps)
		ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	return ps;
}

static bool intersects(uintptr_t a, uintptr_t a_end, uintptr_t b, uintptr_t b_end)
{
	return a < b_end && b < a_end;
}

static void ro_add(uintptr_t start, uintptr_t end)
{
	if (start >= end || ro.err)
		return;
	if (ro.n == ro.cap) {
		size_t cap = ro.cap ? ro.cap * 2 : 32;
		struct range *r = realloc(ro.r, cap * sizeof(*r));

		if (!r) {
			ro.err = 1;
			return;
		}
		ro.r = r;
		ro.cap = cap;
	}
	ro.r[ro.n++] = (struct range){ start, end };
}

static int collect_ro(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t ps = page_size();

	(void)size;
	(void)arg;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		uintptr_t end = start + ph->p_memsz;

		if (ph->p_type == PT_LOAD && !(ph->p_flags & PF_W))
			ro_add(start & ~(ps - 1), (end + ps - 1) & ~(ps - 1));
		else if (ph->p_type == PT_GNU_RELRO) /* the loader protects whole pages only */
			ro_add(start & ~(ps - 1), end & ~(ps - 1));
	}
	return 0;
}

static int module_counts(struct dl_phdr_info *info, size_t size, void *arg)
{
	unsigned long long *counts = arg;

	(void)size;
	counts[0] = info->dlpi_adds;
	counts[1] = info->dlpi_subs;
	return 1; /* the first module carries the counters */
}

/* Does [a, end) touch a read-only part of a loaded module? Fails closed (true) without memory. */
static bool touches_read_only(uintptr_t a, uintptr_t end)
{
	unsigned long long counts[2] = { 0, 0 };
	bool hit = false;

	pthread_mutex_lock(&ro.lock);
	dl_iterate_phdr(module_counts, counts);
	if (!ro.valid || ro.err || counts[0] != ro.adds || counts[1] != ro.subs) {
		ro.n = 0;
		ro.err = 0;
		dl_iterate_phdr(collect_ro, NULL);
		ro.adds = counts[0];
		ro.subs = counts[1];
		ro.valid = true;
	}
	hit = ro.err != 0;
	for (size_t i = 0; i < ro.n && !hit; i++)
		hit = intersects(a, end, ro.r[i].start, ro.r[i].end);
	pthread_mutex_unlock(&ro.lock);
	return hit;
}

/* Is every page of [a, end) mapped? mincore fails with ENOMEM on a hole. */
static bool is_mapped(uintptr_t a, uintptr_t end)
{
	uintptr_t ps = page_size();
	unsigned char vec[256];

	for (uintptr_t p = a & ~(ps - 1); p < end;) {
		uintptr_t chunk = (uintptr_t)sizeof(vec) * ps;
		uintptr_t len = end - p < chunk ? end - p : chunk;

		if (mincore((void *)p, len, vec))
			return false;
		p += (len + ps - 1) & ~(ps - 1);
	}
	return true;
}

bool tarun_memref_rights(uint32_t types, size_t n, uint32_t *rights)
{
	switch (TEE_PARAM_TYPE_GET(types, n)) {
	case TEE_PARAM_TYPE_MEMREF_INPUT:
		*rights = TEE_MEMORY_ACCESS_ANY_OWNER | TEE_MEMORY_ACCESS_READ;
		return true;
	case TEE_PARAM_TYPE_MEMREF_OUTPUT:
	case TEE_PARAM_TYPE_MEMREF_INOUT:
		*rights = TEE_MEMORY_ACCESS_ANY_OWNER | TEE_MEMORY_ACCESS_READ |
			  TEE_MEMORY_ACCESS_WRITE;
		return true;
	default:
		return false;
	}
}

/* Calls fn for each non-empty memref parameter of the current call; stops when it returns false. */
static bool each_param(bool (*fn)(uintptr_t, uintptr_t, uint32_t, void *), void *arg)
{
	const struct tarun_call *c = tarun_current_call();

	if (!c->active || !c->params)
		return true;
	for (size_t n = 0; n < TEE_NUM_PARAMS; n++) {
		uint32_t rights;
		uintptr_t b = (uintptr_t)c->params[n].memref.buffer;
		size_t s = c->params[n].memref.size;

		if (!tarun_memref_rights(c->param_types, n, &rights) || !b || !s || b + s < b)
			continue;
		if (!fn(b, b + s, rights, arg))
			return false;
	}
	return true;
}

struct range_query {
	uintptr_t a, end;
	uint32_t flags;
	bool hit;
};

static bool grants(uintptr_t b, uintptr_t e, uint32_t rights, void *arg)
{
	struct range_query *q = arg;

	return !intersects(q->a, q->end, b, e) || (q->flags & rights) == q->flags;
}

static bool misses(uintptr_t b, uintptr_t e, uint32_t rights, void *arg)
{
	struct range_query *q = arg;

	(void)rights;
	q->hit = intersects(q->a, q->end, b, e);
	return !q->hit;
}

static bool outside(uintptr_t b, uintptr_t e, uint32_t rights, void *arg)
{
	struct range_query *q = arg;

	(void)rights;
	q->hit = q->a >= b && q->end <= e;
	return !q->hit;
}

bool tarun_params_allow(uint32_t flags, const void *buf, size_t len)
{
	struct range_query q = { (uintptr_t)buf, (uintptr_t)buf + len, flags, false };

	return !len || each_param(grants, &q);
}

static bool overlaps_param(uintptr_t a, uintptr_t end)
{
	struct range_query q = { a, end, 0, false };

	each_param(misses, &q);
	return q.hit;
}

bool tarun_inside_param(const void *buf, size_t len)
{
	struct range_query q = { (uintptr_t)buf, (uintptr_t)buf + len, 0, false };

	if (!len || q.end < q.a)
		return false;
	each_param(outside, &q);
	return q.hit;
}

/* OP-TEE's core check: mapped with the rights, private unless ANY_OWNER, secure or not. */
static bool mapping_allows(uint32_t flags, uintptr_t a, uintptr_t end)
{
	bool shared = overlaps_param(a, end);
	bool ree_client = tarun_current_call()->client.login != TEE_LOGIN_TRUSTED_APP;

	if ((flags & TEE_MEMORY_ACCESS_NONSECURE) && (flags & TEE_MEMORY_ACCESS_SECURE))
		return false;
	if (!(flags & TEE_MEMORY_ACCESS_ANY_OWNER) && shared)
		return false;
	if ((flags & TEE_MEMORY_ACCESS_NONSECURE) &&
	    !(ree_client && tarun_inside_param((void *)a, end - a)))
		return false;
	if ((flags & TEE_MEMORY_ACCESS_SECURE) && shared && ree_client)
		return false;
	if (!is_mapped(a, end))
		return false;
	if ((flags & TEE_MEMORY_ACCESS_WRITE) && touches_read_only(a, end))
		return false;
	return true;
}

TEE_Result TEE_CheckMemoryAccessRights(uint32_t accessFlags, void *buffer, size_t size)
{
	uintptr_t a = (uintptr_t)buffer;

	if (!size)
		return TEE_SUCCESS;
	if (a + size < a || !mapping_allows(accessFlags, a, a + size))
		return TEE_ERROR_ACCESS_DENIED;
	if (!tarun_params_allow(accessFlags & RIGHTS_MASK, buffer, size))
		return TEE_ERROR_ACCESS_DENIED;
	return TEE_SUCCESS;
}
