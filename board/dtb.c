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

static int node(void *fdt, int parent, const char *name)
{
	int off = fdt_subnode_offset(fdt, parent, name);
	if (off == -FDT_ERR_NOTFOUND)
		off = fdt_add_subnode(fdt, parent, name);
	return off;
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
			return r;
		off = -1; /* deleting moved the nodes after it: search again from the start */
	}
	return off == -FDT_ERR_NOTFOUND ? 0 : off;
}

static int patch(void *fdt, const struct dtb_params *p)
{
	int r, off;
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
	if ((r = drop_disabled_memory(fdt)))
		return r;
	if ((off = node(fdt, 0, "psci")) < 0)
		return off;
	if ((r = fdt_setprop(fdt, off, "compatible", psci_compat, sizeof(psci_compat))) ||
	    (r = fdt_setprop_string(fdt, off, "method", "smc")))
		return r;

	int cpus = fdt_path_offset(fdt, "/cpus");
	if (cpus < 0)
		return cpus;
	int ncpu = 0;
	/* setprop may move nodes: walk by offset afresh after each change */
	for (off = fdt_first_subnode(fdt, cpus); off >= 0; off = fdt_next_subnode(fdt, off)) {
		const char *dt = fdt_getprop(fdt, off, "device_type", NULL);
		if (!dt || strcmp(dt, "cpu"))
			continue;
		if ((r = fdt_setprop_string(fdt, off, "enable-method", "psci")))
			return r;
		ncpu++;
	}
	if (!ncpu)
		return -FDT_ERR_NOTFOUND;

	int fw = node(fdt, 0, "firmware");
	if (fw < 0)
		return fw;
	if ((off = node(fdt, fw, "optee")) < 0)
		return off;
	if ((r = fdt_setprop_string(fdt, off, "compatible", "linaro,optee-tz")) ||
	    (r = fdt_setprop_string(fdt, off, "method", "smc")))
		return r;

	if ((off = node(fdt, 0, "chosen")) < 0)
		return off;
	if ((r = fdt_setprop_string(fdt, off, "bootargs", p->bootargs)))
		return r;
	if (p->initrd_end > p->initrd_start &&
	    ((r = fdt_setprop_u64(fdt, off, "linux,initrd-start", p->initrd_start)) ||
	     (r = fdt_setprop_u64(fdt, off, "linux,initrd-end", p->initrd_end))))
		return r;

	/* /reserved-memory uses the root's cells, which are 2/2 on QEMU virt */
	int rm = fdt_subnode_offset(fdt, 0, "reserved-memory");
	if (rm == -FDT_ERR_NOTFOUND) {
		if ((rm = fdt_add_subnode(fdt, 0, "reserved-memory")) < 0)
			return rm;
		if ((r = fdt_setprop_u32(fdt, rm, "#address-cells", 2)) ||
		    (r = fdt_setprop_u32(fdt, rm, "#size-cells", 2)) ||
		    (r = fdt_setprop(fdt, rm, "ranges", NULL, 0)))
			return r;
	} else if (rm < 0) {
		return rm;
	}
	char name[64];
	snprintf(name, sizeof(name), "vtee-mailbox@%llx", (unsigned long long)p->reserved_base);
	if ((off = node(fdt, rm, name)) < 0)
		return off;
	fdt64_t reg[2] = { cpu_to_fdt64(p->reserved_base), cpu_to_fdt64(p->reserved_size) };
	if ((r = fdt_setprop(fdt, off, "reg", reg, sizeof(reg))) ||
	    (r = fdt_setprop(fdt, off, "no-map", NULL, 0)))
		return r;
	return fdt_pack(fdt);
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
	r = fdt_open_into(raw.p, fdt, (int)size);
	lbuf_free(&raw);
	if (!r)
		r = patch(fdt, p);
	if (r) {
		lmsg("cannot patch the device tree: %s", fdt_strerror(r));
		free(fdt);
		return -EINVAL;
	}
	r = lbuf_append(out, fdt, fdt_totalsize(fdt));
	free(fdt);
	return r;
}
