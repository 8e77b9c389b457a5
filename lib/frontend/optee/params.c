// SPDX-License-Identifier: MIT
/*
 * OPTEE_MSG parameters <-> back-end parameters. Memrefs become vtee_shm
 * objects: temporary ones (TMEM, by guest-physical address or page list) live
 * for the call, registered ones (RMEM) are looked up by the guest's cookie and
 * referenced for the call. Every address, size and offset is guest input.
 */
#include <errno.h>
#include <string.h>

#include "optee.h"

#define PAGELIST_ENTRIES 511u /* per 4 KiB list page; entry 511 links to the next page */

int optee_pagelist_to_shm(struct vtee_vm *vm, uint64_t buf_ptr, uint64_t size, struct vtee_shm **out)
{
	uint64_t list = buf_ptr & ~(uint64_t)(VTEE_PAGE_SIZE - 1);
	uint32_t first_off = (uint32_t)(buf_ptr & (VTEE_PAGE_SIZE - 1));
	uint64_t entries[PAGELIST_ENTRIES + 1];
	struct vtee_shm *shm;

	int r = vtee_shm_new(vm, size, first_off, &shm);
	if (r)
		return r;
	/* The walk is bounded by the page count, already within quota: a list that loops just repeats pages. */
	for (size_t i = 0; i < vtee_shm_num_pages(shm);) {
		if ((list & (VTEE_PAGE_SIZE - 1)) || vtee_guest_read(vm, list, entries, sizeof(entries)))
			goto bad;
		for (size_t j = 0; j < PAGELIST_ENTRIES && i < vtee_shm_num_pages(shm); j++, i++)
			if (vtee_shm_set_page(shm, i, entries[j]))
				goto bad;
		list = entries[PAGELIST_ENTRIES];
	}
	*out = shm;
	return 0;
bad:
	vtee_shm_free(shm);
	return -EINVAL;
}

static int contig_to_shm(struct vtee_vm *vm, uint64_t pa, uint64_t size, struct vtee_shm **out)
{
	struct vtee_shm *shm;
	if (size > UINT64_MAX - pa)
		return -EINVAL;
	int r = vtee_shm_new(vm, size, (uint32_t)(pa & (VTEE_PAGE_SIZE - 1)), &shm);
	if (r)
		return r;
	uint64_t base = pa & ~(uint64_t)(VTEE_PAGE_SIZE - 1);
	for (size_t i = 0; i < vtee_shm_num_pages(shm); i++) {
		if (vtee_shm_set_page(shm, i, base + ((uint64_t)i << VTEE_PAGE_SHIFT))) {
			vtee_shm_free(shm);
			return -EINVAL;
		}
	}
	*out = shm;
	return 0;
}

/* A memref the call holds until it is released; a full call (never, by the params bound) drops it. */
static int hold(struct optee_call *oc, struct vtee_shm *shm, struct vtee_param *p)
{
	int r = vtee_call_hold_shm(&oc->core, shm);
	if (r) {
		vtee_shm_put(shm);
		return r;
	}
	p->u.memref.shm = shm;
	return 0;
}

static int memref_in(struct vtee_vm *vm, struct optee_call *oc, const struct optee_msg_param *mp, bool tmem,
		     struct vtee_param *p)
{
	uint64_t addr = mp->u.tmem.buf_ptr, size = mp->u.tmem.size, ref = mp->u.tmem.shm_ref;
	struct vtee_shm *shm;
	int r;

	p->u.memref.size = size;
	p->u.memref.offs = 0;
	p->u.memref.shm = NULL;
	if (!tmem) {
		if (vtee_shm_get(vm, ref, &shm))
			return -EINVAL;
		r = hold(oc, shm, p);
		if (r)
			return r;
		if (addr > vtee_shm_size(shm) || size > vtee_shm_size(shm) - addr)
			return -EINVAL;
		p->u.memref.offs = addr;
		return 0;
	}
	if (!addr || !size)
		return 0; /* NULL memref (MEMREF_NULL) or an empty buffer */
	if (mp->attr & OPTEE_MSG_ATTR_NONCONTIG)
		r = optee_pagelist_to_shm(vm, addr, size, &shm);
	else
		r = contig_to_shm(vm, addr, size, &shm);
	return r ? r : hold(oc, shm, p);
}

int optee_params_in(struct vtee_vm *vm, struct optee_call *oc, const struct optee_msg_param *mp, uint32_t n)
{
	struct vtee_req *req = &oc->core.req;
	const uint64_t known = OPTEE_MSG_ATTR_TYPE_MASK | OPTEE_MSG_ATTR_NONCONTIG;

	if (n > VTEE_MAX_PARAMS)
		return -EINVAL;
	req->num_params = n;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t attr = mp[i].attr;
		uint32_t type = (uint32_t)(attr & OPTEE_MSG_ATTR_TYPE_MASK);
		struct vtee_param *p = &req->params[i];
		int r = 0;

		/* cache attribute bits other than "predefined" (0) and any unknown bit: refuse */
		if (attr & ~known)
			return -EINVAL;
		if ((attr & OPTEE_MSG_ATTR_NONCONTIG) &&
		    !(type >= OPTEE_MSG_ATTR_TYPE_TMEM_INPUT && type <= OPTEE_MSG_ATTR_TYPE_TMEM_INOUT))
			return -EINVAL;
		switch (type) {
		case OPTEE_MSG_ATTR_TYPE_NONE:
			p->type = VTEE_PARAM_NONE;
			break;
		case OPTEE_MSG_ATTR_TYPE_VALUE_INPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			p->type = type;
			p->u.value.a = mp[i].u.value.a;
			p->u.value.b = mp[i].u.value.b;
			p->u.value.c = mp[i].u.value.c;
			break;
		case OPTEE_MSG_ATTR_TYPE_RMEM_INPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			p->type = type;
			r = memref_in(vm, oc, &mp[i], false, p);
			break;
		case OPTEE_MSG_ATTR_TYPE_TMEM_INPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
			p->type = type - 4; /* TMEM_x and RMEM_x differ by 4; both are MEMREF_x */
			r = memref_in(vm, oc, &mp[i], true, p);
			break;
		default:
			return -EINVAL;
		}
		if (r)
			return r;
	}
	return 0;
}

void optee_params_out(struct vtee_vm *vm, struct optee_call *oc)
{
	const struct vtee_req *req = &oc->core.req;
	for (uint32_t i = 0; i < req->num_params; i++) {
		const struct vtee_param *p = &req->params[i];
		uint32_t base = OPTEE_MSG_OFF_PARAM(oc->first_param + i);
		if (!vtee_param_is_output(p->type))
			continue;
		if (vtee_param_is_value(p->type)) {
			const uint64_t v[3] = { p->u.value.a, p->u.value.b, p->u.value.c };
			optee_msg_write(vm, oc->loc, base + OPTEE_MSG_PARAM_OFF_A, v, sizeof(v));
		} else {
			optee_msg_write(vm, oc->loc, base + OPTEE_MSG_PARAM_OFF_B, &p->u.memref.size,
					sizeof(p->u.memref.size));
		}
	}
}
