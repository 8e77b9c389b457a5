// SPDX-License-Identifier: MIT
/* vtee-vmm: the VM, its RAM (a memfd), its vCPUs and the in-kernel GICv3. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

/* /dev/kvm and the VM, with the largest guest-physical size the host allows. */
static int kvm_open_vm(struct vmm *vm)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return vmm_err(-errno, "/dev/kvm: %s (is this an arm64 host with KVM, and may this user use it?)",
			       strerror(errno));
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return vmm_err(-EPROTO, "unexpected KVM API version");
	/* as KVM asks of VMMs (type 0 means 40 bits) */
	int ipa = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, ipa > 0 ? KVM_VM_TYPE_ARM_IPA_SIZE(ipa) : 0);
	if (vm->vm_fd < 0)
		return vmm_err(-errno, "KVM_CREATE_VM: %s", strerror(errno));
	long rs = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (rs <= 0)
		return vmm_err(rs < 0 ? -errno : -EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)rs;
	return 0;
}

/* RAM is a memfd: vteed maps the same pages by this fd, never through us. */
static int ram_create(struct vmm *vm)
{
	vm->ram_size = vm->o.ram_mib << 20;
	vm->ram_fd = memfd_create("vtee-vmm-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (vm->ram_fd < 0 || ftruncate(vm->ram_fd, (off_t)vm->ram_size) < 0)
		return vmm_err(-errno, "guest RAM memfd of %llu MiB: %s", (unsigned long long)vm->o.ram_mib,
			       strerror(errno));
	/* vteed gets this fd: it must not be able to shrink RAM under KVM (SIGBUS, EFAULT) */
	if (fcntl(vm->ram_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return vmm_err(-errno, "sealing the guest RAM memfd: %s", strerror(errno));
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->ram_fd, 0);
	if (vm->ram == MAP_FAILED)
		return vmm_err(-errno, "mmap guest RAM: %s", strerror(errno));
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = VMM_RAM_BASE,
						 .memory_size = vm->ram_size,
						 .userspace_addr = (uint64_t)(uintptr_t)vm->ram };
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return vmm_err(-errno, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	return 0;
}

int kvm_create_vm(struct vmm *vm)
{
	int r = kvm_open_vm(vm);
	return r ? r : ram_create(vm);
}

int kvm_set_reg(struct vmm_vcpu *c, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };
	if (ioctl(c->fd, KVM_SET_ONE_REG, &r) < 0)
		return vmm_err(-errno, "vCPU %u: KVM_SET_ONE_REG %#llx: %s", c->id, (unsigned long long)id,
			       strerror(errno));
	return 0;
}

#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, x) / sizeof(__u32)))

/* vCPU i, its kvm_run mapped; PSCI in KVM, secondaries powered off until PSCI CPU_ON. */
static int vcpu_create(struct vmm *vm, unsigned i, const struct kvm_vcpu_init *init)
{
	struct vmm_vcpu *c = &vm->cpu[i];
	c->vm = vm;
	c->id = i;
	c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
	if (c->fd < 0)
		return vmm_err(-errno, "KVM_CREATE_VCPU %u: %s", i, strerror(errno));
	c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED)
		return vmm_err(-errno, "mmap kvm_run: %s", strerror(errno));
	struct kvm_vcpu_init vi = *init;
	memset(vi.features, 0, sizeof(vi.features));
	vi.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2; /* PSCI in KVM: CPU_ON, SYSTEM_OFF, ... */
	if (i)
		vi.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* secondaries wait for PSCI CPU_ON */
	if (ioctl(c->fd, KVM_ARM_VCPU_INIT, &vi) < 0)
		return vmm_err(-errno, "KVM_ARM_VCPU_INIT %u: %s", i, strerror(errno));
	return 0;
}

int kvm_create_vcpus(struct vmm *vm)
{
	struct kvm_vcpu_init init;
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return vmm_err(-errno, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	int r = 0;
	for (unsigned i = 0; i < vm->o.ncpus && !r; i++)
		r = vcpu_create(vm, i, &init);
	/* the boot CPU enters the kernel with x0 = DTB, PSTATE as KVM set it (EL1h, DAIF masked) */
	if (!r)
		r = kvm_set_reg(&vm->cpu[0], CORE_REG(regs.pc), vm->entry);
	if (!r)
		r = kvm_set_reg(&vm->cpu[0], CORE_REG(regs.regs[0]), vm->dtb_gpa);
	for (unsigned n = 1; n < 4 && !r; n++)
		r = kvm_set_reg(&vm->cpu[0], CORE_REG(regs.regs[n]), 0);
	return r;
}

static int gic_attr(struct vmm *vm, uint32_t group, uint64_t attr, void *addr, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr };
	if (ioctl(vm->gic_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return vmm_err(-errno, "GICv3 %s: %s", what, strerror(errno));
	return 0;
}

/* After the vCPUs exist: the redistributors are per vCPU. */
int kvm_create_gic(struct vmm *vm)
{
	struct kvm_create_device d = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &d) < 0)
		return vmm_err(-errno, "in-kernel GICv3: %s (the host needs a GICv3 with virtualization support)",
			       strerror(errno));
	vm->gic_fd = (int)d.fd;
	uint64_t dist = VMM_GICD_BASE, redist = VMM_GICR_BASE;
	uint32_t nirqs = 128; /* 96 SPIs: plenty (the console uses SPI VMM_UART_SPI) */
	int r = gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist, "distributor address");
	if (!r)
		r = gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
			     "redistributor address");
	if (!r)
		r = gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nirqs, "interrupt count");
	return r ? r : gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "init");
}
