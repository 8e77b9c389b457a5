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

/* Read path into guest RAM at gpa; its size. Nothing past the end of RAM. */
static uint64_t load_file(struct vmm *vm, const char *path, uint64_t gpa, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		vmm_die("%s %s: %s", what, path, strerror(errno));
	uint64_t off = gpa - VMM_RAM_BASE, size = (uint64_t)st.st_size;
	if (off > vm->ram_size || size > vm->ram_size - off)
		vmm_die("%s %s (%llu bytes) does not fit in guest RAM at %#llx: give more --mem", what, path,
			(unsigned long long)size, (unsigned long long)gpa);
	for (uint64_t done = 0; done < size;) {
		ssize_t n = read(fd, vm->ram + off + done, size - done);
		if (n <= 0)
			vmm_die("reading %s %s: %s", what, path, n ? strerror(errno) : "short file");
		done += (uint64_t)n;
	}
	close(fd);
	return size;
}

void boot_load(struct vmm *vm)
{
	uint8_t hdr[64];
	int fd = open(vm->o.kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		vmm_die("kernel %s: %s", vm->o.kernel, fd < 0 ? strerror(errno) : "too short for an arm64 Image");
	close(fd);
	uint32_t magic;
	uint64_t text_offset, image_size;
	memcpy(&magic, hdr + 56, 4);
	memcpy(&text_offset, hdr + 8, 8);
	memcpy(&image_size, hdr + 16, 8);
	if (magic != IMAGE_MAGIC)
		vmm_die("kernel %s is not an uncompressed arm64 Image (no ARM\\x64 magic; gunzip an Image.gz first)",
			vm->o.kernel);
	if (!image_size) /* before Linux 3.17: the header's sizes are not filled in */
		text_offset = 0x80000;

	/* DTB in the last 2 MiB of RAM; the kernel (with what it zeroes past its file) below it */
	vm->dtb_gpa = VMM_RAM_BASE + vm->ram_size - 2 * MIB;
	if (text_offset >= vm->ram_size || image_size > vm->ram_size - text_offset)
		vmm_die("kernel %s: text_offset %#llx + image_size %#llx do not fit in %llu MiB: give more --mem",
			vm->o.kernel, (unsigned long long)text_offset, (unsigned long long)image_size,
			(unsigned long long)vm->o.ram_mib);
	vm->entry = VMM_RAM_BASE + text_offset;
	uint64_t ksize = load_file(vm, vm->o.kernel, vm->entry, "kernel");
	uint64_t kend = vm->entry + (image_size > ksize ? image_size : ksize);
	if (kend > vm->dtb_gpa)
		vmm_die("kernel %s reaches into the DTB's place (the last 2 MiB of RAM): give more --mem", vm->o.kernel);

	/* the initrd 2 MiB past the kernel's end */
	if (vm->o.initrd) {
		vm->initrd_gpa = (kend + 2 * MIB + MIB - 1) & ~(MIB - 1);
		if (vm->initrd_gpa >= vm->dtb_gpa)
			vmm_die("no room for the initrd past the kernel: give more --mem");
		vm->initrd_size = load_file(vm, vm->o.initrd, vm->initrd_gpa, "initrd");
		if (vm->initrd_gpa + vm->initrd_size > vm->dtb_gpa)
			vmm_die("initrd %s overlaps the DTB: give more --mem", vm->o.initrd);
	}
}
