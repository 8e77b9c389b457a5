// SPDX-License-Identifier: MIT
/*
 * The guest's device tree for `vtee run`: QEMU's own DTB for the run's exact
 * options (-bios included: with a firmware QEMU changes the machine, see
 * docs/emulated-board.md), dumped with -machine ...,dumpdtb=, then patched
 * with libfdt:
 *
 *   /psci                     arm,psci-1.0 + 0.2, method smc (the board host answers PSCI)
 *   /cpus/cpu@N               enable-method = "psci" (QEMU omits it with a firmware)
 *   /firmware/optee           linaro,optee-tz, method smc
 *   /chosen                   bootargs, linux,initrd-start/end
 *   /reserved-memory/vtee-mailbox@...   no-map: the firmware's mailbox and boot info
 *   memory nodes not "okay"   deleted: secure=on adds /secram@e000000 (secure-only RAM,
 *                             status "disabled"), which Linux before 5.19 used as RAM anyway
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch_int.h"

/* libfdt's result r (0 or an offset: fine) as 0 or -EINVAL; a failure is said once, with libfdt's reason. */
static int fdt_ok(int r)
{
	if (r >= 0)
		return 0;
	lmsg("cannot patch the device tree: %s", fdt_strerror(r));
	return -EINVAL;
}

/* The subnode name of parent, added if it is not there, at *off. */
static int node(void *fdt, int parent, const char *name, int *off)
{
	int o = fdt_subnode_offset(fdt, parent, name);
	if (o == -FDT_ERR_NOTFOUND)
		o = fdt_add_subnode(fdt, parent, name);
	*off = o;
	return fdt_ok(o);
}

static bool is_enabled(const void *fdt, int off)
{
	int len;
	const char *st = fdt_getprop(fdt, off, "status", &len);
	if (!st)
		return true; /* no status: okay */
	return len > 0 && !st[len - 1] && (!strcmp(st, "okay") || !strcmp(st, "ok"));
}

/*
 * The normal world must not be told about memory it cannot use. Linux ignores a disabled
 * memory node only since 5.19 ("of/fdt: Ignore disabled memory nodes"); 5.10 adds the secure
 * RAM to memblock and takes a synchronous external abort on the first write to a page there.
 */
static int drop_disabled_memory(void *fdt)
{
	int off = -1;
	while ((off = fdt_node_offset_by_prop_value(fdt, off, "device_type", "memory", sizeof("memory"))) >= 0) {
		if (is_enabled(fdt, off))
			continue;
		int r = fdt_del_node(fdt, off);
		if (r)
			return fdt_ok(r);
		off = -1; /* deleting moved the nodes after it: search again from the start */
	}
	return fdt_ok(off == -FDT_ERR_NOTFOUND ? 0 : off);
}

/* /psci: PSCI 1.0 by SMC (the board host answers it). */
static int patch_psci(void *fdt)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	int off, r = node(fdt, 0, "psci", &off);
	if (!r)
		r = fdt_ok(fdt_setprop(fdt, off, "compatible", compat, sizeof(compat)));
	return r ? r : fdt_ok(fdt_setprop_string(fdt, off, "method", "smc"));
}

/* enable-method = "psci" on every CPU (QEMU omits it with a firmware). */
static int patch_cpus(void *fdt)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	if (cpus < 0)
		return fdt_ok(cpus);
	int ncpu = 0;
	/* setprop may move nodes: walk by offset afresh after each change */
	for (int off = fdt_first_subnode(fdt, cpus); off >= 0; off = fdt_next_subnode(fdt, off)) {
		const char *dt = fdt_getprop(fdt, off, "device_type", NULL);
		if (!dt || strcmp(dt, "cpu"))
			continue;
		int r = fdt_setprop_string(fdt, off, "enable-method", "psci");
		if (r)
			return fdt_ok(r);
		ncpu++;
	}
	return fdt_ok(ncpu ? 0 : -FDT_ERR_NOTFOUND);
}

/* /firmware/optee: OP-TEE by SMC, which is what vtee serves. */
static int patch_optee(void *fdt)
{
	int fw, off, r = node(fdt, 0, "firmware", &fw);
	if (!r)
		r = node(fdt, fw, "optee", &off);
	if (!r)
		r = fdt_ok(fdt_setprop_string(fdt, off, "compatible", "linaro,optee-tz"));
	return r ? r : fdt_ok(fdt_setprop_string(fdt, off, "method", "smc"));
}

/* /chosen: the kernel command line and the initrd. */
static int patch_chosen(void *fdt, const struct dtb_params *p)
{
	int off, r = node(fdt, 0, "chosen", &off);
	if (!r)
		r = fdt_ok(fdt_setprop_string(fdt, off, "bootargs", p->bootargs));
	if (r || p->initrd_end <= p->initrd_start)
		return r;
	r = fdt_ok(fdt_setprop_u64(fdt, off, "linux,initrd-start", p->initrd_start));
	return r ? r : fdt_ok(fdt_setprop_u64(fdt, off, "linux,initrd-end", p->initrd_end));
}

/* /reserved-memory, made with the root's cells (2/2 on QEMU virt) if QEMU did not write one. */
static int reserved_memory_node(void *fdt, int *rm)
{
	*rm = fdt_subnode_offset(fdt, 0, "reserved-memory");
	if (*rm != -FDT_ERR_NOTFOUND)
		return fdt_ok(*rm);
	int r = node(fdt, 0, "reserved-memory", rm);
	if (!r)
		r = fdt_ok(fdt_setprop_u32(fdt, *rm, "#address-cells", 2));
	if (!r)
		r = fdt_ok(fdt_setprop_u32(fdt, *rm, "#size-cells", 2));
	return r ? r : fdt_ok(fdt_setprop(fdt, *rm, "ranges", NULL, 0));
}

/* The firmware's mailbox and boot info: reserved, no-map. */
static int patch_reserved(void *fdt, const struct dtb_params *p)
{
	int rm, off, r = reserved_memory_node(fdt, &rm);
	if (r)
		return r;
	char name[64];
	snprintf(name, sizeof(name), "vtee-mailbox@%llx", (unsigned long long)p->reserved_base);
	if ((r = node(fdt, rm, name, &off)))
		return r;
	fdt64_t reg[2] = { cpu_to_fdt64(p->reserved_base), cpu_to_fdt64(p->reserved_size) };
	r = fdt_ok(fdt_setprop(fdt, off, "reg", reg, sizeof(reg)));
	return r ? r : fdt_ok(fdt_setprop(fdt, off, "no-map", NULL, 0));
}

static int patch(void *fdt, const struct dtb_params *p)
{
	int r = drop_disabled_memory(fdt);
	if (!r)
		r = patch_psci(fdt);
	if (!r)
		r = patch_cpus(fdt);
	if (!r)
		r = patch_optee(fdt);
	if (!r)
		r = patch_chosen(fdt, p);
	if (!r)
		r = patch_reserved(fdt, p);
	return r ? r : fdt_ok(fdt_pack(fdt));
}

int dtb_build(const struct dtb_params *p, struct lbuf *out)
{
	unlink(p->dump_path);
	if (run_cmd(p->dump_argv, NULL, NULL, false) != 0 || !path_exists(p->dump_path)) {
		lmsg("QEMU could not dump its device tree (%s ...dumpdtb=)", p->dump_argv[0]);
		return -EIO;
	}
	struct lbuf raw = { 0 };
	int r = read_file(p->dump_path, &raw);
	unlink(p->dump_path);
	if (r)
		return r;
	if (!raw.p || fdt_check_full(raw.p, raw.len)) {
		lmsg("QEMU's device tree dump is not a DTB");
		lbuf_free(&raw);
		return -EINVAL;
	}
	size_t size = raw.len + 16384;
	void *fdt = calloc(1, size);
	if (!fdt) {
		lbuf_free(&raw);
		return -ENOMEM;
	}
	r = fdt_ok(fdt_open_into(raw.p, fdt, (int)size));
	lbuf_free(&raw);
	if (!r)
		r = patch(fdt, p);
	if (r) {
		free(fdt);
		return r;
	}
	r = lbuf_append(out, fdt, fdt_totalsize(fdt));
	free(fdt);
	return r;
}
