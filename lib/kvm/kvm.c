// SPDX-License-Identifier: MIT
/*
 * KVM glue (include/vtee/kvm.h): the SMCCC filter that sends a guest's
 * Trusted-OS calls to the VMM, and the register shuffle of one such exit.
 * Nothing here knows about OP-TEE: the caller's serve() does.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vtee/kvm.h"

/*
 * Linux 6.4's uapi (arch/arm64/include/uapi/asm/kvm.h). Older installed
 * headers (Debian 12's arm64 cross headers are 6.1) lack them; the numbers
 * are ABI, so a VMM built there still runs on a newer kernel.
 */
#ifndef KVM_ARM_VM_SMCCC_CTRL
#define KVM_ARM_VM_SMCCC_CTRL   0
#define KVM_ARM_VM_SMCCC_FILTER 0
struct kvm_smccc_filter {
	__u32 base;
	__u32 nr_functions;
	__u8 action;
	__u8 pad[15];
};
#define KVM_SMCCC_FILTER_FWD_TO_USER 2
#endif

_Static_assert(sizeof(struct kvm_smccc_filter) == 24, "kvm_smccc_filter layout");

#define SMCCC_SVE_HINT (1u << 16)

/*
 * SMCCC function ids: bit 31 fast, bit 30 SMC64, bits 29:24 owner, 23:16
 * zero but for bit 16 (SMCCC 1.3's "no live SVE state" hint), 15:0 function.
 * One range per (fast/yielding, 32/64) covers a run of owners whole: from the
 * first owner's 0x000000 to the last owner's 0xFFFFFF.
 */
static uint32_t fid(unsigned fast, unsigned smc64, unsigned owner, unsigned fn)
{
	return (fast << 31) | (smc64 << 30) | (owner << 24) | fn;
}

#define FAIL(e, ...)                                          \
	do {                                                  \
		if (err && errlen)                            \
			snprintf(err, errlen, __VA_ARGS__);   \
		return -(e);                                  \
	} while (0)

int vtee_kvm_forward_smccc(int vm_fd, unsigned owners, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = 0;
	if (!owners || (owners & ~(VTEE_KVM_TRUSTED_APPS | VTEE_KVM_TRUSTED_OS)))
		FAIL(EINVAL, "unknown SMCCC owners %#x", owners);

	struct kvm_device_attr probe = { .group = KVM_ARM_VM_SMCCC_CTRL, .attr = KVM_ARM_VM_SMCCC_FILTER };
	if (ioctl(vm_fd, KVM_HAS_DEVICE_ATTR, &probe) < 0)
		FAIL(ENXIO, "this kernel has no KVM_ARM_VM_SMCCC_FILTER (it needs Linux 6.4 or later on arm64): %s",
		     strerror(errno));

	/* TA and TOS owners are adjacent (48-49, 50-63): one range each way covers both */
	unsigned first = owners & VTEE_KVM_TRUSTED_APPS ? 48 : 50;
	unsigned last = owners & VTEE_KVM_TRUSTED_OS ? 63 : 49;
	for (unsigned fast = 0; fast < 2; fast++)
		for (unsigned smc64 = 0; smc64 < 2; smc64++) {
			uint32_t lo = fid(fast, smc64, first, 0), hi = fid(fast, smc64, last, 0) | 0x00FFFFFFu;
			struct kvm_smccc_filter f = { .base = lo, .nr_functions = hi - lo + 1,
						      .action = KVM_SMCCC_FILTER_FWD_TO_USER };
			struct kvm_device_attr a = { .group = KVM_ARM_VM_SMCCC_CTRL,
						     .attr = KVM_ARM_VM_SMCCC_FILTER,
						     .addr = (uint64_t)(uintptr_t)&f };
			if (ioctl(vm_fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
				int e = errno;
				FAIL(e, "SMCCC range %#x-%#x: %s", lo, hi,
				     e == EEXIST ? "taken already (another filter on it)"
				     : e == EBUSY ? "too late, a vCPU has run already"
						  : strerror(e));
			}
		}
	return 0;
}

/* arm64 core register n (x0..x30) for KVM_GET/SET_ONE_REG */
static uint64_t xreg(unsigned n)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
	       (offsetof(struct kvm_regs, regs.regs[n]) / sizeof(__u32));
}

int vtee_kvm_hypercall(int vcpu_fd, const struct kvm_run *run, void (*serve)(void *ctx, uint64_t regs[8]),
		       void *ctx)
{
	if (run->exit_reason != KVM_EXIT_HYPERCALL)
		return -EINVAL;
	uint64_t x[8];
	for (unsigned i = 0; i < 8; i++) {
		struct kvm_one_reg r = { .id = xreg(i), .addr = (uint64_t)(uintptr_t)&x[i] };
		if (ioctl(vcpu_fd, KVM_GET_ONE_REG, &r) < 0)
			return -errno;
	}
	/* the SVE hint asks nothing of the callee; the TEE front-end sees the plain id */
	x[0] &= ~(uint64_t)SMCCC_SVE_HINT;
	serve(ctx, x);
	for (unsigned i = 0; i < 8; i++) {
		struct kvm_one_reg r = { .id = xreg(i), .addr = (uint64_t)(uintptr_t)&x[i] };
		if (ioctl(vcpu_fd, KVM_SET_ONE_REG, &r) < 0)
			return -errno;
	}
	return 0;
}
