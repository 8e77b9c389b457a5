// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: where the guest's Trusted-OS SMCs go. KVM's SMCCC filter forwards
 * them (include/vtee/kvm.h); each one is served by libvtee in this process or
 * by a supervised vteed (a sandboxed process, which maps the guest's RAM by
 * its memfd), on the back-end --tee chose (main.c). KVM knows nothing of
 * OP-TEE.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vtee/vteed.h"
#include "vmm.h"
#include "vtee/kvm.h"
#include "vtee/vtee.h"

struct tee {
	struct vtee_tee *soft;
	struct vtee_vm *vm;
	struct vteed *vteed;
};

static void serve_soft(void *ctx, uint64_t regs[8])
{
	struct vmm_vcpu *c = ctx;
	vtee_vm_smc(((struct tee *)c->vm->tee)->vm, regs);
}

static void serve_vteed(void *ctx, uint64_t regs[8])
{
	struct vmm_vcpu *c = ctx;
	/* -EPIPE (vteed gone for good) leaves x0 = SMCCC "not supported": the guest's driver copes */
	vteed_smc(((struct tee *)c->vm->tee)->vteed, c->id, regs);
}

/* libvtee in this process, on the back-end the options name. */
static int open_in_process(struct vmm *vm, struct tee *t)
{
	const char *b = vm->o.tee_backend;
	int r = vtee_tee_open(b, vm->o.tee_options, &t->soft);
	if (!r)
		r = vtee_vm_create(t->soft, &(struct vtee_vm_config){ .vm_id = 1, .name = "vtee-vmm" }, &t->vm);
	if (!r)
		r = vtee_vm_add_ram(t->vm, VMM_RAM_BASE, vm->ram_size, vm->ram, vm->ram_fd, 0);
	return r ? vmm_err(r, "libvtee (%s): %s", b, strerror(-r)) : 0;
}

/* A supervised vteed on that back-end (vteed_start() holds the TEE), mapping the guest's RAM by its memfd. */
static int start_vteed(struct vmm *vm, struct tee *t)
{
	const char *args[8];
	unsigned n = 0;
	if (vm->o.policy) {
		args[n++] = "--policy";
		args[n++] = vm->o.policy;
	}
	if (geteuid() == 0) { /* vteed refuses root: an unprivileged uid, no user database needed */
		args[n++] = "--user";
		args[n++] = "65534:65534";
	}
	args[n] = NULL;
	struct vteed_config vc = { .vm_id = 1, .name = "vtee-vmm", .backend = vm->o.tee_backend,
				   .nvcpus = vm->o.ncpus, .vteed_path = vm->o.vteed, .extra_args = args,
				   .tee_dev = vm->o.tee_dev };
	struct vteed_ram ram = { .gpa = VMM_RAM_BASE, .size = vm->ram_size, .fd = vm->ram_fd };
	char msg[VTEED_MSG_MAX];
	vteed_set_log(vteed_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* the supervisor's lines on stderr */
	int r = vteed_start(&vc, &ram, 1, &t->vteed, msg, sizeof(msg));
	if (r)
		return vmm_err(r, "vteed: %s (%s)", msg, strerror(-r));
	struct vteed_info info;
	vteed_get_info(t->vteed, &info);
	vmm_log("TEE: vteed pid %d on back-end %s, guest RAM shared by memfd", (int)info.pid, vm->o.tee_backend);
	return 0;
}

int tee_setup(struct vmm *vm)
{
	char err[160];
	if (!vm->o.no_filter && vm->o.tee_backend) {
		int r = vtee_kvm_forward_smccc(vm->vm_fd, vm->o.forward, err, sizeof(err));
		if (r)
			return vmm_err(r, "KVM SMCCC filter: %s", err);
	}
	struct tee *t = calloc(1, sizeof(*t));
	if (!t)
		return vmm_err(-ENOMEM, "out of memory");
	vm->tee = t;
	if (vm->o.tee_backend && vm->o.tee_vteed)
		return start_vteed(vm, t);
	if (vm->o.tee_backend)
		return open_in_process(vm, t);
	return 0;
}

int tee_smc(struct vmm_vcpu *c)
{
	struct tee *t = c->vm->tee;
	c->smc_count++;
	if (!t->vteed && !t->vm) { /* no TEE here (a filter someone else installed): "not supported" */
		uint64_t none = UINT64_MAX;
		return kvm_set_reg(c, KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE, none);
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int r = vtee_kvm_hypercall(c->fd, c->run, t->vteed ? serve_vteed : serve_soft, c);
	clock_gettime(CLOCK_MONOTONIC, &b);
	uint64_t ns = (uint64_t)((b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	if (c->smc_us && c->smc_count <= VMM_SMC_SAMPLES)
		c->smc_us[c->smc_count - 1] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX : ns / 1000);
	c->smc_ns += ns;
	if (r)
		return vmm_err(r, "vCPU %u: reading or writing the SMC's registers: %s", c->id, strerror(-r));
	return 0;
}

void tee_teardown(struct vmm *vm)
{
	struct tee *t = vm->tee;
	if (!t)
		return;
	if (t->vteed)
		vteed_close(t->vteed);
	if (t->vm)
		vtee_vm_destroy(t->vm);
	if (t->soft)
		vtee_tee_close(t->soft);
	free(t);
	vm->tee = NULL;
}
