// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: load a Linux arm64 Image and an initrd into guest RAM, as
 * Documentation/arch/arm64/booting.rst asks: the Image at a 2 MiB aligned
 * base + text_offset, the DTB 8-byte aligned, at most 2 MiB, the initrd
 * anywhere in RAM the kernel does not cover.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */
#define MIB         (1ull << 20)

/* Read path into guest RAM at gpa, *size its size. Nothing past the end of RAM. */
static int load_file(struct vmm *vm, const char *path, uint64_t gpa, const char *what, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = vmm_err(-errno, "%s %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return e;
	}
	uint64_t off = gpa - VMM_RAM_BASE, n = (uint64_t)st.st_size;
	int r = 0;
	if (off > vm->ram_size || n > vm->ram_size - off)
		r = vmm_err(-EFBIG, "%s %s (%llu bytes) does not fit in guest RAM at %#llx: give more --mem", what, path,
			    (unsigned long long)n, (unsigned long long)gpa);
	for (uint64_t done = 0; !r && done < n;) {
		ssize_t k = read(fd, vm->ram + off + done, n - done);
		if (k <= 0)
			r = vmm_err(k ? -errno : -EIO, "reading %s %s: %s", what, path, k ? strerror(errno) : "short file");
		done += k > 0 ? (uint64_t)k : 0;
	}
	close(fd);
	*size = n;
	return r;
}

/* The Image header's text_offset and image_size. */
static int read_image_header(const char *kernel, uint64_t *text_offset, uint64_t *image_size)
{
	uint8_t hdr[64];
	int fd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_err(-errno, "kernel %s: %s", kernel, strerror(errno));
	ssize_t n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr))
		return vmm_err(-ENOEXEC, "kernel %s: %s", kernel, "too short for an arm64 Image");
	uint32_t magic;
	memcpy(&magic, hdr + 56, 4);
	memcpy(text_offset, hdr + 8, 8);
	memcpy(image_size, hdr + 16, 8);
	if (magic != IMAGE_MAGIC)
		return vmm_err(-ENOEXEC,
			       "kernel %s is not an uncompressed arm64 Image (no ARM\\x64 magic; gunzip an Image.gz first)",
			       kernel);
	if (!*image_size) /* before Linux 3.17: the header's sizes are not filled in */
		*text_offset = 0x80000;
	return 0;
}

/* The initrd 2 MiB past the kernel's end, below the DTB. */
static int load_initrd(struct vmm *vm, uint64_t kend)
{
	vm->initrd_gpa = (kend + 2 * MIB + MIB - 1) & ~(MIB - 1);
	if (vm->initrd_gpa >= vm->dtb_gpa)
		return vmm_err(-EFBIG, "no room for the initrd past the kernel: give more --mem");
	int r = load_file(vm, vm->o.initrd, vm->initrd_gpa, "initrd", &vm->initrd_size);
	if (!r && vm->initrd_gpa + vm->initrd_size > vm->dtb_gpa)
		r = vmm_err(-EFBIG, "initrd %s overlaps the DTB: give more --mem", vm->o.initrd);
	return r;
}

int boot_load(struct vmm *vm)
{
	uint64_t text_offset = 0, image_size = 0, ksize = 0;
	int r = read_image_header(vm->o.kernel, &text_offset, &image_size);
	if (r)
		return r;
	/* DTB in the last 2 MiB of RAM; the kernel (with what it zeroes past its file) below it */
	vm->dtb_gpa = VMM_RAM_BASE + vm->ram_size - 2 * MIB;
	if (text_offset >= vm->ram_size || image_size > vm->ram_size - text_offset)
		return vmm_err(-EFBIG, "kernel %s: text_offset %#llx + image_size %#llx do not fit in %llu MiB: "
				       "give more --mem", vm->o.kernel, (unsigned long long)text_offset,
			       (unsigned long long)image_size, (unsigned long long)vm->o.ram_mib);
	vm->entry = VMM_RAM_BASE + text_offset;
	if ((r = load_file(vm, vm->o.kernel, vm->entry, "kernel", &ksize)))
		return r;
	uint64_t kend = vm->entry + (image_size > ksize ? image_size : ksize);
	if (kend > vm->dtb_gpa)
		return vmm_err(-EFBIG, "kernel %s reaches into the DTB's place (the last 2 MiB of RAM): give more --mem",
			       vm->o.kernel);
	return vm->o.initrd ? load_initrd(vm, kend) : 0;
}
