/* SPDX-License-Identifier: MIT */
/* Internals of the guest's packages (packages.c) shared with the guest's kernel (kernel.c). */
#ifndef VTEE_BOARD_PACKAGES_INT_H
#define VTEE_BOARD_PACKAGES_INT_H

#include "launch_int.h"

/* What to do when apt does not know a package, for the messages that say so. */
extern const char pkg_hint[];

/* dpkg-deb -x deb into root (complete, or not there at all). 0 or -EIO (said why). */
int unpack_deb(const char *deb, const char *root);
/* A memo file in the cache, if the apt lists are older than it: 0, or -ESTALE, -ENODATA, -errno. */
int memo_read(const char *path, struct lbuf *m);

/* ---- kernel.c ---- */

/* The kernel package to boot (VTEE_KERNEL_PKG, apt's newest generic 6.12, or the cache's). 0 or -ENOENT. */
int kernel_pkg_name(const char *cache, char **out);
/* In an unpacked kernel package: boot/vmlinuz-<kver> and lib/modules/<kver>. 0 or -ENOENT. */
int kernel_from_tree(const char *root, struct guest_pkgs *gp);
/* --kernel FILE: an arm64 Image (maybe gzip-compressed) or a kernel .deb. 0 or -errno (said why). */
int kernel_from_file(const char *cache, const char *file, struct guest_pkgs *gp);

#endif
