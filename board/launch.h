/* SPDX-License-Identifier: MIT */
/*
 * `vtee run`: boot a Debian arm64 kernel on the emulated board (QEMU TCG +
 * board/firmware) with its TEE served by vtee, in this process or in a
 * supervised vteed.
 *
 * launch_run() fetches and caches the guest packages (apt-get download),
 * builds the initramfs and the DTB, starts a vtee VM and the board host
 * (board/host.h), runs qemu-system-aarch64 and relays its console until the
 * guest powers off, crashes, times out or the user interrupts. Every exit path
 * kills QEMU and removes the shared RAM file, the socket and the temp dir.
 */
#ifndef VTEE_BOARD_LAUNCH_H
#define VTEE_BOARD_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of launch_run() besides a script's own 0..255. */
#define LAUNCH_EXIT_USAGE    2   /* bad options */
#define LAUNCH_EXIT_TIMEOUT  124 /* --timeout expired */
#define LAUNCH_EXIT_BOARD    125 /* set-up failed, or the guest died without an exit status */
#define LAUNCH_EXIT_SIGNAL   128 /* + signal number (SIGINT -> 130) */
#define LAUNCH_EXIT_UNCLEAN  126 /* --expect-clean: the VM still held TEE state after the script */

struct launch_add {
	const char *host;        /* file or directory on the host */
	const char *guest;       /* absolute path in the guest */
};

struct launch_options {
	const char *kernel;      /* NULL: newest linux-image-6.12.*-arm64-unsigned from backports;
	                            else an arm64 Image or a kernel .deb */
	const char *script;      /* run in the guest after boot, exit with its status; NULL = shell */
	struct launch_add *adds; /* extra files for the initramfs */
	size_t nadds;
	unsigned smp;            /* 1..8 */
	unsigned mem_mib;        /* >= 256, even */
	bool no_virt;            /* virtualization=off (kernel at EL1) */
	bool no_rpc_arg;         /* vtee_vm_config.no_rpc_arg */
	bool quiet;              /* kernel "quiet"; and less chatter from vtee itself */
	unsigned timeout_s;      /* 0 = none */
	const char *append;      /* extra kernel command-line arguments */
	const char *firmware;    /* NULL: $VTEE_FIRMWARE or the one built beside this program */
	const char *cache_dir;   /* NULL: $VTEE_CACHE or ~/.cache/vtee */
	const char *qemu;        /* NULL: $VTEE_QEMU or qemu-system-aarch64 */
	const char *cpu;         /* NULL: "max" */
	bool expect_clean;       /* fail if, after the script, vtee holds sessions, shm or calls for the VM */
	/*
	 * The back-end serving the guest's TEE (NULL: "soft", the built-in TEE)
	 * and its options (NULL: none): vtee_tee_open()'s in this process, else
	 * vteed_config's backend and backend_options.
	 */
	const char *backend;
	const char *backend_options;
	/*
	 * --ta-dir: where the built-in TEE ("soft") loads Trusted Applications
	 * from, each <uuid>.ta run in a process of its own (NULL-terminated,
	 * may be NULL): added to its options as ta_dir=. None: the installed
	 * default directory, if it exists (vtee-tee looks for it itself).
	 */
	const char *const *ta_dirs;
	/*
	 * Serve the TEE from a supervised vteed (for "soft", the built-in TEE in
	 * vtee-tee), restarted if it dies (docs/recovery.md); false: libvtee in
	 * this process.
	 */
	bool vteed;
	const char *vteed_path;  /* NULL: $VTEED, else beside this program, else in PATH */
	const char *tee_path;    /* NULL: $VTEE_TEE, likewise */
	const char *policy;      /* vteed --policy FILE, NULL = none */
	/*
	 * The guest's secure storage (docs/storage.md), for the built-in TEE
	 * only: its state directory (NULL: none, persistent objects answer
	 * ITEM_NOT_FOUND), the rollback anchors' directory and the host key file
	 * (created on first use). Prepared here, handed to the TEE (in process,
	 * or vtee-tee through the supervisor).
	 */
	const char *state_dir;
	const char *anchor_dir;
	const char *host_key;
	uint32_t state_max_objects; /* the VM's quota, 0: the default (the policy's [storage]) */
	uint64_t state_max_bytes;
	/*
	 * Boot nothing: write the guest's kernel (DIR/Image) and the initramfs
	 * this run would boot (DIR/initrd.cpio: /init, --script, --add) into DIR.
	 * What another VMM needs to boot the same guest (vtee-vmm, nested).
	 */
	const char *export_dir;
};

int launch_run(const struct launch_options *o);

#endif
