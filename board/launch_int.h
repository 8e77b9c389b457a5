/* SPDX-License-Identifier: MIT */
/* Internals of `vtee run` shared by launch*.c, packages.c, kernel.c, initramfs.c and dtb.c. */
#ifndef VTEE_BOARD_LAUNCH_INT_H
#define VTEE_BOARD_LAUNCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "launch.h"

/* Growable byte buffer. */
struct lbuf {
	uint8_t *p;
	size_t len, cap;
};
int lbuf_append(struct lbuf *b, const void *d, size_t n);
int lbuf_printf(struct lbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lbuf_free(struct lbuf *b);

/*
 * The launcher's one logging helper: a line on stderr, prefixed "vtee run: ",
 * in one write (so it never mixes with vteed's or QEMU's lines).
 */
void lmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool launch_verbose;

/*
 * Run argv[0] (PATH lookup) in dir (NULL = here), wait. stdout goes to *out
 * when out is given, else to /dev/null when quiet_out, else to our stderr.
 * 0 when it ran and exited 0; -EIO when it failed (a non-zero status, killed,
 * or not found: 127); another -errno when it could not be started.
 */
int run_cmd(char *const argv[], const char *dir, struct lbuf *out, bool quiet_out);

int read_file(const char *path, struct lbuf *out);
int write_file(const char *path, const void *d, size_t n);
bool path_exists(const char *path);
int mkdir_p(const char *path);
/* asprintf that cannot fail: out of memory ends the program (LAUNCH_EXIT_BOARD). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- packages.c: the guest's Debian packages ---- */
struct guest_pkgs {
	char *cache;            /* cache dir */
	char *kernel_image;     /* raw arm64 Image file */
	char *kver;             /* kernel release ("6.12.95+deb12-arm64"), NULL if unknown */
	char *modules_dir;      /* .../lib/modules/<kver>, NULL if none */
	char *busybox_root;     /* unpacked busybox-static:arm64 */
	char *userspace[4];     /* unpacked libc6, libgcc-s1, libteec1, tee-supplicant (arm64) */
	size_t nuserspace;
};
int guest_pkgs_fetch(const struct launch_options *o, struct guest_pkgs *gp);
void guest_pkgs_free(struct guest_pkgs *gp);

/* ---- initramfs.c ---- */
#define INITRAMFS_MAX_MODULES 16
struct initramfs_module {
	char name[64];          /* "optee" */
	char *path;             /* .ko, .ko.xz, .ko.gz or .ko.zst on the host */
	struct lbuf data;       /* the decompressed module */
};
void modules_free(struct initramfs_module *mods, size_t nmods);
/* The OP-TEE modules (tee, optee, optee-rng) and their dependencies, load order. */
int modules_resolve(const char *modules_dir, struct initramfs_module *mods, size_t *nmods);
int initramfs_build(const struct launch_options *o, const struct guest_pkgs *gp, struct lbuf *out);

/* ---- dtb.c ---- */
struct dtb_params {
	char *const *dump_argv;  /* QEMU with the run's machine options plus ",dumpdtb=<dump_path>" */
	const char *dump_path;
	const char *bootargs;
	uint64_t initrd_start, initrd_end;
	uint64_t reserved_base, reserved_size;
};
int dtb_build(const struct dtb_params *p, struct lbuf *out);

/* ---- the marker the guest init prints ---- */
#define GUEST_READY_MARK "VTEE-READY"
#define GUEST_EXIT_MARK  "VTEE-EXIT "

#endif
