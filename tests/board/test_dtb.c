// SPDX-License-Identifier: MIT
/*
 * board/dtb.c without QEMU: the "dump" command copies a device tree shaped like
 * QEMU virt's with secure=on (normal RAM, the secure-only /secram@e000000 marked
 * disabled, a disabled secure UART) and dtb_build must hand the guest one with
 * the secure RAM gone, everything else kept, and the board's nodes added.
 * Linux 5.10 uses a disabled memory node as RAM and dies in clear_page.
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "launch_int.h"

#define MAILBOX_BASE 0x4fff0000ull
#define MAILBOX_SIZE 0x10000ull

static int add_reg(void *fdt, int off, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
	return fdt_setprop(fdt, off, "reg", reg, sizeof(reg));
}

/* A memory node as QEMU writes it; status NULL: no status property. */
static int add_memory(void *fdt, const char *name, uint64_t base, uint64_t size, const char *status)
{
	int off = fdt_add_subnode(fdt, 0, name);
	if (off < 0)
		return off;
	int r = fdt_setprop_string(fdt, off, "device_type", "memory");
	if (!r && status) {
		r = fdt_setprop_string(fdt, off, "status", status);
		if (!r)
			r = fdt_setprop_string(fdt, off, "secure-status", "okay");
	}
	return r ? r : add_reg(fdt, off, base, size);
}

static int build_qemu_like(void *fdt, size_t size)
{
	int r, off;
	if ((r = fdt_create_empty_tree(fdt, (int)size)) ||
	    (r = fdt_setprop_u32(fdt, 0, "#address-cells", 2)) ||
	    (r = fdt_setprop_u32(fdt, 0, "#size-cells", 2)) ||
	    (r = add_memory(fdt, "memory@40000000", 0x40000000, 0x40000000, NULL)) ||
	    (r = add_memory(fdt, "secram@e000000", 0x0e000000, 0x01000000, "disabled")) ||
	    (r = add_memory(fdt, "memory@100000000", 0x100000000ull, 0x10000000, "okay")))
		return r;
	if ((off = fdt_add_subnode(fdt, 0, "pl011@9040000")) < 0)
		return off;
	if ((r = fdt_setprop_string(fdt, off, "status", "disabled")) || (r = add_reg(fdt, off, 0x9040000, 0x1000)))
		return r;
	int cpus = fdt_add_subnode(fdt, 0, "cpus");
	if (cpus < 0)
		return cpus;
	if ((off = fdt_add_subnode(fdt, cpus, "cpu@0")) < 0)
		return off;
	return fdt_setprop_string(fdt, off, "device_type", "cpu");
}

static bool has_node(const void *fdt, const char *path)
{
	return fdt_path_offset(fdt, path) >= 0;
}

static void check_patched(const void *fdt)
{
	CHECK(has_node(fdt, "/memory@40000000"));
	CHECK(has_node(fdt, "/memory@100000000")); /* status "okay": kept */
	CHECK(!has_node(fdt, "/secram@e000000"));
	CHECK(has_node(fdt, "/pl011@9040000")); /* only memory nodes go */
	int memories = 0;
	for (int off = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof("memory"));
	     off >= 0; off = fdt_node_offset_by_prop_value(fdt, off, "device_type", "memory", sizeof("memory"))) {
		memories++;
		const char *st = fdt_getprop(fdt, off, "status", NULL);
		CHECK(!st || !strcmp(st, "okay"));
	}
	CHECK_EQ(memories, 2);

	const char *method = fdt_getprop(fdt, fdt_path_offset(fdt, "/psci"), "method", NULL);
	CHECK(method && !strcmp(method, "smc"));
	const char *em = fdt_getprop(fdt, fdt_path_offset(fdt, "/cpus/cpu@0"), "enable-method", NULL);
	CHECK(em && !strcmp(em, "psci"));
	CHECK(has_node(fdt, "/firmware/optee"));
	const char *args = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", NULL);
	CHECK(args && !strcmp(args, "console=ttyAMA0"));
	char mb[64];
	snprintf(mb, sizeof(mb), "/reserved-memory/vtee-mailbox@%llx", MAILBOX_BASE);
	int off = fdt_path_offset(fdt, mb);
	CHECK(off >= 0 && fdt_getprop(fdt, off, "no-map", NULL));
}

int main(void)
{
	char dir[] = "/tmp/vtee-dtb-XXXXXX";
	REQUIRE(mkdtemp(dir));
	char *src = xasprintf("%s/qemu.dtb", dir), *dump = xasprintf("%s/dump.dtb", dir);
	static char fdt[16384];
	REQUIRE(build_qemu_like(fdt, sizeof(fdt)) == 0);
	REQUIRE(fdt_pack(fdt) == 0);
	REQUIRE(write_file(src, fdt, fdt_totalsize(fdt)) == 0);

	char *argv[] = { "cp", src, dump, NULL };
	struct dtb_params p = {
		.dump_argv = argv, .dump_path = dump, .bootargs = "console=ttyAMA0",
		.initrd_start = 0x48200000, .initrd_end = 0x48300000,
		.reserved_base = MAILBOX_BASE, .reserved_size = MAILBOX_SIZE,
	};
	struct lbuf out = { 0 };
	int r = dtb_build(&p, &out);
	CHECK_EQ(r, 0);
	if (r == 0 && out.p && fdt_check_full(out.p, out.len) == 0)
		check_patched(out.p);
	else
		CHECK(!"dtb_build gave a valid device tree");

	lbuf_free(&out);
	unlink(src);
	unlink(dump);
	rmdir(dir);
	free(src);
	free(dump);
	return check_report();
}
