/* SPDX-License-Identifier: MIT */
/*
 * KVM glue (arm64 hosts only): KVM stays TEE-agnostic and only forwards a
 * guest's Trusted-OS SMCs to the VMM (Linux 6.4+: KVM_ARM_VM_SMCCC_FILTER
 * with KVM_SMCCC_FILTER_FWD_TO_USER, then KVM_EXIT_HYPERCALL). These two
 * calls are all a VMM needs to route them to libvtee or to a vteed:
 *
 *   after creating the vCPUs, before the first KVM_RUN:
 *       vtee_kvm_forward_smccc(vm_fd, VTEE_KVM_TRUSTED_OS, err, sizeof(err));
 *   in the vCPU loop, on run->exit_reason == KVM_EXIT_HYPERCALL:
 *       vtee_kvm_hypercall(vcpu_fd, run, serve, ctx);   serve(ctx, x[8]) = vtee_vm_smc or vteed_smc
 *
 * docs/integrating-a-vmm.md has the whole story.
 */
#ifndef VTEE_KVM_H
#define VTEE_KVM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is the library's public ABI (libvtee is built with hidden visibility). */
#pragma GCC visibility push(default)

struct kvm_run;

/* SMCCC owners whose calls go to the VMM. Each covers fast and yielding, SMC32 and SMC64. */
#define VTEE_KVM_TRUSTED_APPS 0x1u /* owners 48-49 */
#define VTEE_KVM_TRUSTED_OS   0x2u /* owners 50-63: OP-TEE's calls */

/*
 * Install the filter ranges for the owners in `owners` on the VM: for each
 * owner, every function id it can encode (bits 23:0), fast and yielding,
 * SMC32 and SMC64. (SMCCC also sets aside yielding ids outside the owner
 * encoding for Trusted OSes; OP-TEE uses none of them, and they stay with KVM.)
 * Must come before any vCPU runs. KVM cannot take a range back, so after a
 * failure part of the filter may be in place: make a new VM to try again.
 * 0, or a negative errno with the reason in err:
 *   -ENXIO   the kernel has no SMCCC filter (older than 6.4, or not arm64)
 *   -EEXIST  a range is taken already (another filter, or a call again)
 *   -EBUSY   a vCPU has run already
 */
int vtee_kvm_forward_smccc(int vm_fd, unsigned owners, char *err, size_t errlen);

/*
 * Serve a KVM_EXIT_HYPERCALL: read x0..x7 (KVM_GET_ONE_REG), clear the
 * SMCCC 1.3 SVE hint (bit 16) in the function id, call serve, write x0..x7
 * back. KVM has already stepped the PC past the SMC or HVC.
 * 0 or a negative errno from the register ioctls.
 */
int vtee_kvm_hypercall(int vcpu_fd, const struct kvm_run *run, void (*serve)(void *ctx, uint64_t regs[8]),
		       void *ctx);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
