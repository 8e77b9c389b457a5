// SPDX-License-Identifier: MIT
/*
 * inline=auto: an INVOKE's ioctl runs on the caller's thread, with no hand-off
 * to the pool, once that (session, command) came back within half of
 * inline_us the last N times it ran. N starts at TEEDEV_INLINE_NEED and
 * doubles, up to TEEDEV_INLINE_MAXNEED, each time an inline call kept its
 * caller longer than inline_us (teedev.h has the options).
 */
#include "teedev_int.h"

static struct inline_hint *hint_slot(struct teedev_vm *vm, uint32_t session, uint32_t func)
{
	uint32_t h = (session * 0x9e3779b1u) ^ (func * 0x85ebca6bu);
	return &vm->hints[(h >> 16) % TEEDEV_HINTS];
}

bool teedev_want_inline(struct teedev_vm *vm, uint32_t session, uint32_t func)
{
	if (vm->o->inline_mode != TEEDEV_INLINE_AUTO)
		return vm->o->inline_mode == TEEDEV_INLINE_ON;
	const struct inline_hint *h = hint_slot(vm, session, func);
	return h->need && h->session == session && h->func == func && h->streak >= h->need;
}

void teedev_hint_record(struct teedev_vm *vm, uint32_t session, uint32_t func, uint64_t ns, bool ran_inline)
{
	struct inline_hint *h = hint_slot(vm, session, func);
	if (!h->need || h->session != session || h->func != func)
		*h = (struct inline_hint){ .session = session, .func = func, .need = TEEDEV_INLINE_NEED };
	uint64_t limit = (uint64_t)vm->o->inline_us * 1000;
	if (ns <= limit / 2) {
		if (h->streak < UINT16_MAX)
			h->streak++;
		return;
	}
	/* within the limit: an inline caller waited no longer than the pool would have let it */
	if (ns <= limit && h->streak >= h->need)
		return;
	h->streak = 0;
	if (ran_inline && ns > limit) {
		/* it stalled its caller: make the command earn it back, for longer each time */
		count(&vm->st_inline_overruns, 1);
		if (h->need < TEEDEV_INLINE_MAXNEED)
			h->need *= 2;
	}
}

void teedev_hint_forget(struct teedev_vm *vm, uint32_t session)
{
	for (unsigned i = 0; i < TEEDEV_HINTS; i++)
		if (vm->hints[i].session == session)
			vm->hints[i].need = 0;
}
