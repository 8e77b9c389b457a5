// SPDX-License-Identifier: MIT
/*
 * OP-TEE SMC ABI: the fast calls a Linux guest's optee driver probes with, and
 * the yielding calls that carry an optee_msg_arg. Register values are SMC32:
 * only the low 32 bits are read, results are zero-extended.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "optee.h"

/* Reported revision: the OP-TEE OS level whose message ABI vtee follows; the build id spells "vtee". */
#define VTEE_OS_REVISION_MAJOR 4u
#define VTEE_OS_REVISION_MINOR 0u
#define VTEE_OS_BUILD_ID       0x76746565u

/*
 * Functions served, as CALLS_COUNT reports them: CALLS_COUNT, CALLS_UID,
 * CALLS_REVISION, GET_OS_UUID, GET_OS_REVISION, GET_SHM_CONFIG,
 * EXCHANGE_CAPABILITIES, DISABLE_SHM_CACHE, ENABLE_SHM_CACHE, GET_THREAD_COUNT,
 * CALL_WITH_ARG, CALL_WITH_RPC_ARG, CALL_WITH_REGD_ARG, RETURN_FROM_RPC.
 */
#define OPTEE_CALLS_SERVED 14u

static bool optee_owns_fid(uint32_t fid)
{
	uint32_t owner = SMCCC_OWNER(fid);
	/* Trusted-App and Trusted-OS owners, SMC32; ids in them it does not serve get UNKNOWN_FUNCTION from it */
	return !(fid & SMCCC_64BIT) && owner >= SMCCC_OWNER_TRUSTED_APP && owner <= SMCCC_OWNER_TRUSTED_OS_END;
}

static int optee_vm_created(struct vtee_vm *vm, const struct vtee_vm_config *cfg, void **state)
{
	(void)vm;
	struct optee_vm *ov = calloc(1, sizeof(*ov));
	if (!ov)
		return -ENOMEM;
	ov->no_rpc_arg = cfg->no_rpc_arg;
	*state = ov;
	return 0;
}

static void optee_vm_destroyed(struct vtee_vm *vm, void *state)
{
	(void)vm;
	free(state);
}

void optee_set_regs(uint64_t r[8], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
	r[0] = a0;
	r[1] = a1;
	r[2] = a2;
	r[3] = a3;
}

static uint32_t sec_caps(const struct optee_vm *ov)
{
	uint32_t caps = OPTEE_SMC_SEC_CAP_DYNAMIC_SHM | OPTEE_SMC_SEC_CAP_MEMREF_NULL;
	if (!ov->no_rpc_arg)
		caps |= OPTEE_SMC_SEC_CAP_RPC_ARG;
	return caps;
}

static bool fast_call(struct vtee_smc *smc, uint32_t fid)
{
	const struct optee_vm *ov = smc->state;
	uint64_t *r = smc->regs;
	switch (fid) {
	case OPTEE_SMC_CALLS_COUNT:
		optee_set_regs(r, OPTEE_CALLS_SERVED, 0, 0, 0);
		return true;
	case OPTEE_SMC_CALLS_UID:
		optee_set_regs(r, OPTEE_MSG_UID_0, OPTEE_MSG_UID_1, OPTEE_MSG_UID_2, OPTEE_MSG_UID_3);
		return true;
	case OPTEE_SMC_CALLS_REVISION:
		optee_set_regs(r, OPTEE_MSG_REVISION_MAJOR, OPTEE_MSG_REVISION_MINOR, 0, 0);
		return true;
	case OPTEE_SMC_GET_OS_UUID:
		optee_set_regs(r, OPTEE_MSG_OS_UUID_0, OPTEE_MSG_OS_UUID_1, OPTEE_MSG_OS_UUID_2, OPTEE_MSG_OS_UUID_3);
		return true;
	case OPTEE_SMC_GET_OS_REVISION:
		optee_set_regs(r, VTEE_OS_REVISION_MAJOR, VTEE_OS_REVISION_MINOR, VTEE_OS_BUILD_ID, 0);
		return true;
	case OPTEE_SMC_GET_THREAD_COUNT:
		optee_set_regs(r, OPTEE_SMC_RETURN_OK, vtee_vm_max_calls(smc->vm), 0, 0);
		return true;
	case OPTEE_SMC_EXCHANGE_CAPABILITIES:
		/* like OP-TEE: only the uniprocessor hint is understood from the guest */
		if ((uint32_t)r[1] & ~OPTEE_SMC_NSEC_CAP_UNIPROCESSOR) {
			r[0] = OPTEE_SMC_RETURN_ENOTAVAIL;
			return true;
		}
		optee_set_regs(r, OPTEE_SMC_RETURN_OK, sec_caps(ov), 0, ov->no_rpc_arg ? 0 : OPTEE_RPC_MAX_NUM_PARAMS);
		return true;
	case OPTEE_SMC_DISABLE_SHM_CACHE:
		/* vtee never asks the guest for RPC buffers, so there is nothing cached to hand back */
		optee_set_regs(r, OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0);
		return true;
	case OPTEE_SMC_ENABLE_SHM_CACHE:
		optee_set_regs(r, OPTEE_SMC_RETURN_OK, 0, 0, 0);
		return true;
	case OPTEE_SMC_GET_SHM_CONFIG:
		/* no static carve-out: guests use dynamic shared memory */
		optee_set_regs(r, OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0);
		return true;
	case OPTEE_SMC_VM_CREATED:
	case OPTEE_SMC_VM_DESTROYED:
		/* hypervisor-only calls; a guest is never the hypervisor */
		optee_set_regs(r, OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0);
		return true;
	default:
		return false;
	}
}

/* Fetch the guest's message once, into private memory: 0, or -EFAULT (the guest gets EBADADDR). */
static int fetch_by_addr(struct vtee_vm *vm, uint64_t gpa, bool rpc_arg, struct optee_msg *m)
{
	/* no static SHM: the argument must be a whole page of guest RAM, like OP-TEE's dynamic SHM rule */
	if (gpa & (VTEE_PAGE_SIZE - 1))
		return -EFAULT;
	const uint8_t *page = vtee_gpa_to_hva(vm, gpa, VTEE_PAGE_SIZE);
	if (!page)
		return -EFAULT;
	memcpy(&m->hdr, page, sizeof(m->hdr));
	uint32_t n = m->hdr.num_params;
	size_t need = OPTEE_MSG_GET_ARG_SIZE(n);
	if (rpc_arg)
		need += OPTEE_MSG_GET_ARG_SIZE(OPTEE_RPC_MAX_NUM_PARAMS);
	if (n > OPTEE_MSG_MAX_NUM_PARAMS || need > VTEE_PAGE_SIZE)
		return -EFAULT;
	if (n > OPTEE_MAX_PARSED_PARAMS)
		n = OPTEE_MAX_PARSED_PARAMS; /* more is refused by every command vtee serves */
	memcpy(m->params, page + sizeof(m->hdr), n * sizeof(m->params[0]));
	return 0;
}

static int fetch_by_cookie(struct vtee_shm *shm, uint64_t offs, struct optee_msg *m)
{
	if ((offs & 7) || vtee_shm_read(shm, offs, &m->hdr, sizeof(m->hdr)))
		return -EFAULT;
	uint32_t n = m->hdr.num_params;
	uint64_t need = OPTEE_MSG_GET_ARG_SIZE(n) + OPTEE_MSG_GET_ARG_SIZE(OPTEE_RPC_MAX_NUM_PARAMS);
	if (n > OPTEE_MSG_MAX_NUM_PARAMS || offs > vtee_shm_size(shm) || need > vtee_shm_size(shm) - offs)
		return -EFAULT;
	if (n > OPTEE_MAX_PARSED_PARAMS)
		n = OPTEE_MAX_PARSED_PARAMS;
	if (vtee_shm_read(shm, offs + sizeof(m->hdr), m->params, n * sizeof(m->params[0])))
		return -EFAULT;
	return 0;
}

void optee_answer(uint64_t r[8], enum vtee_call_status st, uint32_t thread)
{
	switch (st) {
	case VTEE_CALL_DONE:
		optee_set_regs(r, OPTEE_SMC_RETURN_OK, 0, 0, 0);
		break;
	case VTEE_CALL_YIELD:
		/* let the guest take its interrupts and reschedule; it resumes with RETURN_FROM_RPC */
		optee_set_regs(r, OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR, 0, 0, thread);
		break;
	case VTEE_CALL_RPC:
		break; /* rpc.c filled the registers */
	case VTEE_CALL_BAD:
		optee_set_regs(r, OPTEE_SMC_RETURN_ERESUME, 0, 0, 0);
		break;
	}
}

static void std_call(struct vtee_smc *smc, uint32_t fid)
{
	struct vtee_vm *vm = smc->vm;
	uint64_t *r = smc->regs;
	struct optee_msg m;
	struct optee_msg_loc loc = { 0 };
	int err;
	uint64_t a12 = ((uint64_t)(uint32_t)r[1] << 32) | (uint32_t)r[2];

	if (fid == OPTEE_SMC_CALL_WITH_REGD_ARG) {
		loc.addr = (uint32_t)r[3];
		err = vtee_shm_get(vm, a12, &loc.shm);
		if (!err)
			err = fetch_by_cookie(loc.shm, loc.addr, &m);
	} else {
		loc.addr = a12;
		err = fetch_by_addr(vm, a12, fid == OPTEE_SMC_CALL_WITH_RPC_ARG, &m);
	}
	if (err) {
		vtee_vm_count_bad(vm);
		if (loc.shm)
			vtee_shm_put(loc.shm);
		optee_set_regs(r, OPTEE_SMC_RETURN_EBADADDR, 0, 0, 0);
		return;
	}
	optee_msg_handle(smc, &m, loc, fid != OPTEE_SMC_CALL_WITH_ARG);
}

static void optee_smc(struct vtee_smc *smc)
{
	uint64_t *r = smc->regs;
	uint32_t fid = (uint32_t)r[0]; /* SMC32: the id is w0 */

	if (fast_call(smc, fid))
		return;
	switch (fid) {
	case OPTEE_SMC_CALL_WITH_ARG:
	case OPTEE_SMC_CALL_WITH_RPC_ARG:
	case OPTEE_SMC_CALL_WITH_REGD_ARG:
		std_call(smc, fid);
		return;
	case OPTEE_SMC_RETURN_FROM_RPC: {
		uint32_t thread = (uint32_t)r[3];
		enum vtee_call_status st = vtee_call_resume(smc, thread);
		if (st == VTEE_CALL_BAD)
			vtee_vm_count_bad(smc->vm);
		optee_answer(r, st, thread);
		return;
	}
	default:
		r[0] = SMCCC_RET_UNKNOWN_FUNCTION;
		return;
	}
}

static const struct vtee_frontend_ops optee_frontend = {
	.name = "optee-smc",
	.owns_fid = optee_owns_fid,
	.call_size = sizeof(struct optee_call),
	.vm_created = optee_vm_created,
	.vm_destroyed = optee_vm_destroyed,
	.smc = optee_smc,
	.finish = optee_msg_finish,
	.rpc_start = optee_rpc_start,
	.rpc_resume = optee_rpc_resume,
};
VTEE_FRONTEND_REGISTER(optee_frontend);
