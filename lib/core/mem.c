// SPDX-License-Identifier: MIT
/*
 * Guest physical memory. Every guest address goes through here: a range is
 * usable only if it lies entirely inside one RAM region the VMM declared.
 */
#include <errno.h>
#include <string.h>

#include "core.h"

void *vtee_gpa_to_hva(const struct vtee_vm *vm, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < vm->nram; i++) {
		const struct vtee_ram *r = &vm->ram[i];
		/* written so that no sum can overflow */
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int vtee_guest_read(const struct vtee_vm *vm, uint64_t gpa, void *dst, size_t len)
{
	const void *p = vtee_gpa_to_hva(vm, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int vtee_guest_write(const struct vtee_vm *vm, uint64_t gpa, const void *src, size_t len)
{
	void *p = vtee_gpa_to_hva(vm, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

const struct vtee_ram *vtee_ram_of_hva(const struct vtee_vm *vm, const void *hva)
{
	const uint8_t *p = hva;
	for (unsigned i = 0; i < vm->nram; i++) {
		const struct vtee_ram *r = &vm->ram[i];
		if (p >= r->hva && (uint64_t)(p - r->hva) < r->size)
			return r;
	}
	return NULL;
}
