/* SPDX-License-Identifier: MIT */
/*
 * vtee-vmm: a reference arm64 KVM VMM, as small as it can be, that shows how
 * a VMM plugs in vtee: guest RAM in a memfd (so vteed can map it), N vCPUs,
 * in-kernel GICv3 and timer, PSCI in KVM, a 16550 console, a DTB with the
 * OP-TEE node, and the guest's Trusted-OS SMCs forwarded by KVM's SMCCC
 * filter to libvtee (in-process) or to a vteed. docs/integrating-a-vmm.md.
 *
 * One file per part, as in kvmtool: main.c (options, start, stop), kvm.c (VM,
 * memory, GIC), boot.c (kernel, initrd), fdt.c (device tree), vcpu.c (run
 * loop), uart.c (console), rtc.c (clock), tee.c (where TEE calls go).
 */
#ifndef VTEE_VMM_H
#define VTEE_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <linux/kvm.h>
#include <pthread.h>

#define VMM_MAX_CPUS 8

/* guest-physical layout (like QEMU's virt board) */
#define VMM_GICD_BASE  0x08000000ull
#define VMM_GICD_SIZE  0x10000ull
#define VMM_GICR_BASE  0x080a0000ull
#define VMM_GICR_SIZE  0x20000ull /* per vCPU */
#define VMM_UART_BASE  0x09000000ull
#define VMM_UART_SIZE  0x1000ull
#define VMM_UART_SPI   1          /* the console's interrupt: GIC INTID 33 */
#define VMM_RTC_BASE   0x09010000ull
#define VMM_RTC_SIZE   0x1000ull
#define VMM_RAM_BASE   0x40000000ull

struct vmm_opts {
	const char *kernel, *initrd, *cmdline;
	unsigned ncpus;
	uint64_t ram_mib;
	/* The guest's TEE (--tee): the libvtee back-end serving it; NULL: none (no TEE, no DT node). */
	const char *tee_backend;
	const char *tee_options;               /* its options, in this process ("dev=PATH" from --tee-dev) */
	bool tee_vteed;                        /* served by a supervised vteed instead of in this process */
	const char *tee_label;                 /* what the start-up line calls it */
	const char *vteed, *policy, *tee_dev; /* vteed: the program, its policy, the device its supervisor opens */
	bool no_filter;                        /* leave KVM's default (calls refused): a negative test */
	unsigned forward;                      /* VTEE_KVM_TRUSTED_OS / _APPS: the owners forwarded */
};

struct vmm;

struct vmm_vcpu {
	struct vmm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	uint64_t smc_count;
	uint64_t smc_ns; /* in vtee_kvm_hypercall: registers, and vtee or vteed serving the call */
	uint32_t *smc_us; /* the first VMM_SMC_SAMPLES of them, in us, for the median */
};
#define VMM_SMC_SAMPLES 65536

struct vmm {
	struct vmm_opts o;
	int kvm_fd, vm_fd, gic_fd;
	size_t run_size;
	int ram_fd;
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t entry, dtb_gpa, initrd_gpa, initrd_size;
	struct vmm_vcpu cpu[VMM_MAX_CPUS];
	void *tee;                    /* tee.c's */
	volatile int stop;            /* 0 running; else how it ended (below) */
	int exit_code;
	pthread_mutex_t uart_lock;
};

/* how the guest ended */
enum { VMM_STOP_SHUTDOWN = 1, VMM_STOP_RESET, VMM_STOP_ERROR };

/*
 * The VMM's one logging helper: "vtee-vmm: ..." on stderr, a line in one
 * write. vmm_err() also returns err (a -errno), for "say why, then fail".
 */
void vmm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vmm_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The set-up steps below return 0, or a negative errno once they have said why. */

/* kvm.c */
int kvm_create_vm(struct vmm *vm);
int kvm_create_vcpus(struct vmm *vm);
int kvm_create_gic(struct vmm *vm);
int kvm_set_reg(struct vmm_vcpu *c, uint64_t id, uint64_t val);

/* boot.c */
int boot_load(struct vmm *vm);

/* fdt.c: builds the DTB into guest RAM at vm->dtb_gpa */
int fdt_build(struct vmm *vm);

/* vcpu.c */
int vcpu_start_all(struct vmm *vm);
void vcpu_stop_all(struct vmm *vm, int how);
void vcpu_join_all(struct vmm *vm);

/* uart.c: an MMIO access inside VMM_UART_BASE..+SIZE */
void uart_mmio(struct vmm *vm, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

/* rtc.c: an MMIO access inside VMM_RTC_BASE..+SIZE */
void rtc_mmio(struct vmm *vm, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

/* tee.c */
int tee_setup(struct vmm *vm);       /* before the vCPUs run: filter + the TEE; 0 or -errno (said) */
int tee_smc(struct vmm_vcpu *c);      /* a KVM_EXIT_HYPERCALL; 0 or -errno (said) */
void tee_teardown(struct vmm *vm);

#endif
