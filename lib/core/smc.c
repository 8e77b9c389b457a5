// SPDX-License-Identifier: MIT
/*
 * Where a guest SMC enters the core: the registered front-end that owns its
 * function id serves it (front-ends register with VTEE_FRONTEND_REGISTER,
 * include/vtee/frontend.h). Ids nobody owns get SMCCC's NOT_SUPPORTED.
 */
#include "core.h"

/* SMC32 and SMC64 alike: the function id is w0. */
static const struct vtee_frontend_ops *owner_of(uint32_t fid, size_t *index)
{
	const struct vtee_frontend_ops *fe;
	size_t pos = 0;
	for (size_t i = 0; (fe = vtee_frontend_next(&pos)); i++) {
		if (fe->owns_fid(fid)) {
			*index = i;
			return fe;
		}
	}
	return NULL;
}

bool vtee_handles_fid(uint32_t fid)
{
	size_t i;
	return owner_of(fid, &i) != NULL;
}

static void serve(struct vtee_vm *vm, uint64_t regs[8], uint64_t tag, bool replay)
{
	size_t i;
	vtee_count(&vm->st_smc);
	const struct vtee_frontend_ops *fe = owner_of((uint32_t)regs[0], &i);
	if (!fe) {
		regs[0] = VTEE_SMCCC_UNKNOWN_FUNCTION;
		return;
	}
	struct vtee_smc smc = {
		.vm = vm, .regs = regs, .tag = tag, .replay = replay, .fe = fe,
		.state = i < VTEE_MAX_FRONTENDS ? vm->fe_state[i] : NULL,
	};
	fe->smc(&smc);
}

void vtee_vm_smc(struct vtee_vm *vm, uint64_t regs[8])
{
	serve(vm, regs, 0, false);
}

void vtee_vm_smc_tagged(struct vtee_vm *vm, uint64_t regs[8], uint64_t tag)
{
	serve(vm, regs, tag, false);
}

void vtee_vm_smc_replay(struct vtee_vm *vm, uint64_t regs[8], uint64_t tag)
{
	serve(vm, regs, tag, true);
}
