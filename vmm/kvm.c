// SPDX-License-Identifier: MIT
/* vtee-vmm: the VM, its RAM (a memfd), its vCPUs and the in-kernel GICv3. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

void kvm_create_vm(struct vmm *vm)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		vmm_die("/dev/kvm: %s (is this an arm64 host with KVM, and may this user use it?)", strerror(errno));
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		vmm_die("unexpected KVM API version");
	/* the largest guest-physical size the host allows, as KVM asks of VMMs (type 0 means 40 bits) */
	int ipa = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, ipa > 0 ? KVM_VM_TYPE_ARM_IPA_SIZE(ipa) : 0);
	if (vm->vm_fd < 0)
		vmm_die("KVM_CREATE_VM: %s", strerror(errno));
	long rs = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (rs <= 0)
		vmm_die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)rs;

	/* RAM is a memfd: vteed maps the same pages by this fd, never through us */
	vm->ram_size = vm->o.ram_mib << 20;
	vm->ram_fd = memfd_create("vtee-vmm-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (vm->ram_fd < 0 || ftruncate(vm->ram_fd, (off_t)vm->ram_size) < 0)
		vmm_die("guest RAM memfd of %llu MiB: %s", (unsigned long long)vm->o.ram_mib, strerror(errno));
	/* vteed gets this fd: it must not be able to shrink RAM under KVM (SIGBUS, EFAULT) */
	if (fcntl(vm->ram_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		vmm_die("sealing the guest RAM memfd: %s", strerror(errno));
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->ram_fd, 0);
	if (vm->ram == MAP_FAILED)
		vmm_die("mmap guest RAM: %s", strerror(errno));
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = VMM_RAM_BASE,
						 .memory_size = vm->ram_size,
						 .userspace_addr = (uint64_t)(uintptr_t)vm->ram };
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		vmm_die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
}

void kvm_set_reg(struct vmm_vcpu *c, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };
	if (ioctl(c->fd, KVM_SET_ONE_REG, &r) < 0)
		vmm_die("vCPU %u: KVM_SET_ONE_REG %#llx: %s", c->id, (unsigned long long)id, strerror(errno));
}

#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, x) / sizeof(__u32)))

void kvm_create_vcpus(struct vmm *vm)
{
	struct kvm_vcpu_init init;
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		vmm_die("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	for (unsigned i = 0; i < vm->o.ncpus; i++) {
		struct vmm_vcpu *c = &vm->cpu[i];
		c->vm = vm;
		c->id = i;
		c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0)
			vmm_die("KVM_CREATE_VCPU %u: %s", i, strerror(errno));
		c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED)
			vmm_die("mmap kvm_run: %s", strerror(errno));
		struct kvm_vcpu_init vi = init;
		memset(vi.features, 0, sizeof(vi.features));
		vi.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2; /* PSCI in KVM: CPU_ON, SYSTEM_OFF, ... */
		if (i)
			vi.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* secondaries wait for PSCI CPU_ON */
		if (ioctl(c->fd, KVM_ARM_VCPU_INIT, &vi) < 0)
			vmm_die("KVM_ARM_VCPU_INIT %u: %s", i, strerror(errno));
	}
	/* the boot CPU enters the kernel with x0 = DTB, PSTATE as KVM set it (EL1h, DAIF masked) */
	kvm_set_reg(&vm->cpu[0], CORE_REG(regs.pc), vm->entry);
	kvm_set_reg(&vm->cpu[0], CORE_REG(regs.regs[0]), vm->dtb_gpa);
	for (unsigned n = 1; n < 4; n++)
		kvm_set_reg(&vm->cpu[0], CORE_REG(regs.regs[n]), 0);
}

static void gic_attr(struct vmm *vm, uint32_t group, uint64_t attr, void *addr, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr };
	if (ioctl(vm->gic_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		vmm_die("GICv3 %s: %s", what, strerror(errno));
}

/* After the vCPUs exist: the redistributors are per vCPU. */
void kvm_create_gic(struct vmm *vm)
{
	struct kvm_create_device d = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &d) < 0)
		vmm_die("in-kernel GICv3: %s (the host needs a GICv3 with virtualization support)", strerror(errno));
	vm->gic_fd = (int)d.fd;
	uint64_t dist = VMM_GICD_BASE, redist = VMM_GICR_BASE;
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist, "distributor address");
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist, "redistributor address");
	uint32_t nirqs = 128; /* 96 SPIs: plenty (the console uses SPI VMM_UART_SPI) */
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nirqs, "interrupt count");
	gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "init");
}
