// SPDX-License-Identifier: MIT
/*
 * libvtee's KVM glue (include/vtee/kvm.h) against the real KVM of an arm64
 * host: it runs in the emulated board's guest (EL2, KVM in VHE mode), in the
 * teedev suite's boot. A four-instruction guest makes one Trusted-OS SMC,
 * stores what x0 came back as, and powers off:
 *
 *   with the filter: KVM_EXIT_HYPERCALL for exactly that function id, the
 *   guest's x1..x7 as it set them, our answer in its x0, the PC past the SMC;
 *   without it: KVM answers SMCCC "not supported" and we never see the call.
 *   Installing twice: -EEXIST; after a vCPU ran: -EBUSY; on something that is
 *   not a VM: -ENXIO. Each with its message.
 *
 * Skips (77) where there is no /dev/kvm. usage: test_kvm_glue
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vtee/kvm.h"

static int passed, failed;
#define CHECK(c)                                                                      \
	do {                                                                          \
		if (c)                                                                \
			passed++;                                                     \
		else {                                                                \
			failed++;                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
		}                                                                     \
	} while (0)

#define RAM_GPA  0x40000000ull
#define RAM_SIZE 0x10000ull
#define OUT_OFF  0x1000 /* where the guest stores x0 */
#define TOS_FID  0xb2000000u /* fast SMC32, owner 50 (Trusted OS), function 0: OP-TEE's CALLS_COUNT */

/* The guest: x0 = TOS_FID, x1..x7 = 0x11..0x77, x8 = where to store. */
static const uint32_t prog[] = {
	0xd4000003, /* smc  #0                      the Trusted-OS call */
	0xf9000100, /* str  x0, [x8]                what it returned */
	0xd2800100, /* movz x0, #0x0008 */
	0xf2b08000, /* movk x0, #0x8400, lsl #16    x0 = PSCI SYSTEM_OFF */
	0xd4000002, /* hvc  #0 */
	0x14000000, /* b    . */
};

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
};

static uint64_t core(unsigned n)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
	       (offsetof(struct kvm_regs, regs.regs[n]) / sizeof(__u32));
}

static uint64_t pc_id(void)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, regs.pc) / sizeof(__u32));
}

static void set(struct vm *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };
	if (ioctl(v->vcpu, KVM_SET_ONE_REG, &r) < 0) {
		perror("KVM_SET_ONE_REG");
		exit(1);
	}
}

static uint64_t get(struct vm *v, uint64_t id)
{
	uint64_t val = 0;
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };
	if (ioctl(v->vcpu, KVM_GET_ONE_REG, &r) < 0) {
		perror("KVM_GET_ONE_REG");
		exit(1);
	}
	return val;
}

/* A VM with one vCPU at the code, RAM at RAM_GPA; the vCPU has not run. */
static void vm_new_fid(struct vm *v, uint32_t fid)
{
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	v->fd = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->fd < 0) {
		perror("KVM_CREATE_VM");
		exit(1);
	}
	v->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->ram == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memcpy(v->ram, prog, sizeof(prog));
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = RAM_GPA, .memory_size = RAM_SIZE,
						 .userspace_addr = (uint64_t)(uintptr_t)v->ram };
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		perror("KVM_SET_USER_MEMORY_REGION");
		exit(1);
	}
	v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0);
	struct kvm_vcpu_init init;
	if (v->vcpu < 0 || ioctl(v->fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		perror("KVM_CREATE_VCPU");
		exit(1);
	}
	memset(init.features, 0, sizeof(init.features));
	init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(v->vcpu, KVM_ARM_VCPU_INIT, &init) < 0) {
		perror("KVM_ARM_VCPU_INIT");
		exit(1);
	}
	long sz = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run_size = sz > 0 ? (size_t)sz : 0;
	v->run = sz > 0 ? mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0) : MAP_FAILED;
	if (v->ram == MAP_FAILED || v->run == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	set(v, pc_id(), RAM_GPA);
	set(v, core(0), fid);
	for (unsigned i = 1; i < 8; i++)
		set(v, core(i), 0x11ull * i);
	set(v, core(8), RAM_GPA + OUT_OFF);
}

static void vm_new(struct vm *v)
{
	vm_new_fid(v, TOS_FID);
}

static void vm_free(struct vm *v)
{
	munmap(v->run, v->run_size);
	close(v->vcpu);
	close(v->fd);
	close(v->kvm);
	munmap(v->ram, RAM_SIZE);
}

static int run(struct vm *v)
{
	while (ioctl(v->vcpu, KVM_RUN, 0) < 0)
		if (errno != EINTR) {
			perror("KVM_RUN");
			exit(1);
		}
	return (int)v->run->exit_reason;
}

static uint64_t seen[8];

static void serve(void *ctx, uint64_t regs[8])
{
	(void)ctx;
	memcpy(seen, regs, sizeof(seen));
	regs[0] = 0x1234; /* what the guest must store */
}

int main(void)
{
	if (access("/dev/kvm", R_OK | W_OK)) {
		printf("skip: no /dev/kvm here (this test runs in the emulated guest, at EL2)\n");
		return 77;
	}
	char err[200];
	struct vm v;

	/* with the filter */
	vm_new(&v);
	CHECK(vtee_kvm_forward_smccc(v.fd, VTEE_KVM_TRUSTED_OS, err, sizeof(err)) == 0);
	int r = vtee_kvm_forward_smccc(v.fd, VTEE_KVM_TRUSTED_OS, err, sizeof(err));
	CHECK(r == -EEXIST);
	CHECK(strstr(err, "taken already") != NULL);
	printf("twice: %d (%s)\n", r, err);
	CHECK(vtee_kvm_forward_smccc(v.fd, 0, err, sizeof(err)) == -EINVAL);
	CHECK(run(&v) == KVM_EXIT_HYPERCALL);
	CHECK(v.run->hypercall.nr == TOS_FID);
	CHECK(vtee_kvm_hypercall(v.vcpu, v.run, serve, NULL) == 0);
	CHECK(seen[0] == TOS_FID);
	for (unsigned i = 1; i < 8; i++)
		CHECK(seen[i] == 0x11ull * i);
	CHECK(get(&v, pc_id()) == RAM_GPA + 4); /* KVM stepped past the SMC */
	CHECK(run(&v) == KVM_EXIT_SYSTEM_EVENT);
	CHECK(v.run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN);
	uint64_t stored;
	memcpy(&stored, v.ram + OUT_OFF, 8);
	CHECK(stored == 0x1234);
	r = vtee_kvm_forward_smccc(v.fd, VTEE_KVM_TRUSTED_APPS, err, sizeof(err));
	CHECK(r == -EBUSY);
	CHECK(strstr(err, "has run already") != NULL);
	printf("after a run: %d (%s)\n", r, err);
	vm_free(&v);

	/* the edges of the ranges: which ids reach the VMM, with which owners forwarded */
	static const struct {
		uint32_t fid;
		bool os, os_apps; /* forwarded with TRUSTED_OS; with TRUSTED_OS | TRUSTED_APPS */
	} edge[] = {
		{ 0xb2000000, true, true },   /* fast SMC32, owner 50, the first Trusted-OS id */
		{ 0xbf00ff01, true, true },   /* OP-TEE's CALLS_UID, owner 63 */
		{ 0xbf01ff01, true, true },   /* the same with SMCCC 1.3's SVE hint (bit 16) */
		{ 0xbfffffff, true, true },   /* the very last id of owner 63 */
		{ 0x32000004, true, true },   /* yielding SMC32: OP-TEE's CALL_WITH_ARG */
		{ 0xf2000000, true, true },   /* fast SMC64 */
		{ 0x7f00ffff, true, true },   /* yielding SMC64, owner 63 */
		{ 0xb1ffffff, false, true },  /* owner 49 (Trusted Apps), its last id */
		{ 0xb0000000, false, true },  /* owner 48 (Trusted Apps), the first */
		{ 0x30000000, false, true },  /* yielding, owner 48 */
		{ 0x84000000, false, false }, /* PSCI_VERSION: KVM's own, never forwarded */
		{ 0x80000000, false, false }, /* SMCCC_VERSION */
	};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		for (int both = 0; both < 2; both++) {
			vm_new_fid(&v, edge[i].fid);
			unsigned owners = VTEE_KVM_TRUSTED_OS | (both ? VTEE_KVM_TRUSTED_APPS : 0);
			CHECK(vtee_kvm_forward_smccc(v.fd, owners, err, sizeof(err)) == 0);
			bool want = both ? edge[i].os_apps : edge[i].os;
			int e = run(&v);
			bool fwd = e == KVM_EXIT_HYPERCALL;
			if (fwd != want)
				fprintf(stderr, "fid %#x with owners %#x: %s, expected %s\n", edge[i].fid, owners,
					fwd ? "forwarded" : "not forwarded", want ? "forwarded" : "not");
			CHECK(fwd == want);
			if (fwd) {
				CHECK(vtee_kvm_hypercall(v.vcpu, v.run, serve, NULL) == 0);
				CHECK(seen[0] == (edge[i].fid & ~0x10000u)); /* the hint is cleared */
			}
			vm_free(&v);
		}

	/* without it: KVM answers, the VMM never sees the call */
	vm_new(&v);
	CHECK(run(&v) == KVM_EXIT_SYSTEM_EVENT);
	memcpy(&stored, v.ram + OUT_OFF, 8);
	CHECK(stored == 0xffffffffffffffffull); /* SMCCC_RET_NOT_SUPPORTED */
	vm_free(&v);

	/* not a VM (as on a kernel without the filter: the attribute is unknown) */
	int nul = open("/dev/null", O_RDWR);
	r = vtee_kvm_forward_smccc(nul, VTEE_KVM_TRUSTED_OS, err, sizeof(err));
	CHECK(r == -ENXIO);
	CHECK(strstr(err, "Linux 6.4") != NULL);
	printf("no filter: %d (%s)\n", r, err);
	close(nul);

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
