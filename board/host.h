/* SPDX-License-Identifier: MIT */
/*
 * The host side of the emulated board: serves the EL3 firmware's mailbox
 * (board/firmware/README.md). Every SMC a guest CPU makes arrives here: PSCI
 * is answered by the board, Trusted-OS / Trusted-App calls go to a vtee VM,
 * everything else gets SMCCC NOT_SUPPORTED.
 *
 * Life cycle: board_host_start() creates the guest-RAM file, writes the boot
 * info, adds the VM's RAM to vtee (minus the firmware's reserved region) and
 * listens on the doorbell socket; then the caller starts QEMU; events
 * (power-off, reset, a CPU's fatal exception) come back through the callback;
 * board_host_stop() stops serving and unmaps, without destroying the VM.
 */
#ifndef VTEE_BOARD_HOST_H
#define VTEE_BOARD_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "vtee/vtee.h"

#define BOARD_RAM_BASE     0x40000000ull
#define BOARD_KERNEL_ADDR  0x40200000ull
#define BOARD_DTB_ADDR     0x48000000ull
#define BOARD_INITRD_ADDR  0x48200000ull

enum board_event {
	BOARD_EVENT_SYSTEM_OFF,   /* PSCI SYSTEM_OFF: the guest powered off */
	BOARD_EVENT_SYSTEM_RESET, /* PSCI SYSTEM_RESET */
	BOARD_EVENT_FATAL,        /* a CPU took an unexpected exception at EL3; detail says which */
	BOARD_EVENT_BAD_BOOT,     /* the firmware refused the boot info */
};

struct board_host_config {
	const char *ram_path;     /* file to create (e.g. /dev/shm/vtee-<pid>); QEMU maps it too */
	uint64_t ram_size;        /* bytes at BOARD_RAM_BASE, multiple of 2 MiB, >= 256 MiB */
	unsigned ncpus;           /* 1..8, = -smp */
	bool enter_el1;           /* boot info flag: enter the kernel at EL1 although EL2 exists */
	const char *socket_path;  /* unix socket the secure UART's chardev connects to */
	struct vtee_vm *vm;       /* where TEE calls go; RAM regions are added by board_host_start() */
	/*
	 * Or, with vm NULL: TEE calls go to tee_smc (e.g. vteed_smc() of a vteed
	 * out of process), called on CPU cpu's worker thread. Its RAM regions are
	 * board_host_tee_ram()'s.
	 */
	void (*tee_smc)(void *ctx, unsigned cpu, uint64_t regs[8]);
	void *tee_ctx;
	/*
	 * Called from the host's own threads (the CPU's worker for SYSTEM_OFF/RESET,
	 * the doorbell thread for FATAL/BAD_BOOT); detail is valid during the call
	 * only. It must not call board_host_stop() (that joins those threads)
	 * nor board_host_reset() (it runs with the CPU's worker lock held).
	 */
	void (*event)(void *ctx, enum board_event ev, unsigned cpu, const char *detail);
	void *ctx;
};

struct board_host_stats {
	uint64_t smc;             /* SMCs served, all kinds */
	uint64_t tee_smc;         /* of which went to vtee */
	uint64_t tee_ns;          /* time spent inside vtee_vm_smc() */
	uint64_t psci;            /* PSCI calls */
};

struct board_host;

/*
 * 0 or a negative errno. Refuses (-EEXIST) if ram_path or socket_path exists.
 * If it fails after adding RAM to the VM, the VM keeps regions that point at
 * unmapped memory: destroy it.
 */
int board_host_start(const struct board_host_config *cfg, struct board_host **out);
/*
 * The RAM a TEE mediator may see (all but the firmware's reserved region), as
 * (gpa, size, fd, fd_offset) regions of the guest-RAM file. Returns the count (<= 2).
 */
struct board_tee_ram { uint64_t gpa, size; int fd; uint64_t fd_offset; };
unsigned board_host_tee_ram(struct board_host *h, struct board_tee_ram out[2]);
/* Host pointer to guest-physical gpa (for loading images into RAM), NULL if outside. */
void *board_host_ram(struct board_host *h, uint64_t gpa, uint64_t len);
void board_host_get_stats(struct board_host *h, struct board_host_stats *st);
/*
 * Stop serving, close and unlink the socket, unmap and unlink the RAM file.
 * The VM keeps RAM regions that point at the unmapped memory: make no more
 * vtee_vm_smc() calls on it; vtee_vm_destroy() it (QEMU must be gone).
 */
void board_host_stop(struct board_host *h);
/*
 * For SYSTEM_RESET: with QEMU stopped, zero the mailbox region again and
 * rewrite the boot info, so the next QEMU (which connects to the same socket)
 * starts from the clean state the firmware needs. Guest RAM is left as it is.
 */
int board_host_reset(struct board_host *h);

#endif
