// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: the guest's device tree (libfdt), written straight into guest RAM.
 * The one node that is about vtee: /firmware/optee with method "smc", so the
 * guest's OP-TEE driver makes SMCs, which KVM's filter hands to us.
 *
 * A function a node: libfdt's sequential-write calls, stopping at the first
 * that fails; fdt_done() says which node and why, and returns -EINVAL.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

#define FDT_MAX      (64u << 10)
#define GIC_PHANDLE  1
#define CLK_PHANDLE  2
#define GIC_SPI      0
#define GIC_PPI      1
#define IRQ_LEVEL_HI 4

/* libfdt's result for node what, as 0 or -EINVAL (said why). */
static int fdt_done(int r, const char *what)
{
	if (r >= 0)
		return 0;
	return vmm_err(-EINVAL, "device tree: %s: %s", what, fdt_strerror(r));
}

static int prop_u64x2(void *f, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };
	return fdt_property(f, name, v, sizeof(v));
}

/* A node's name with its unit address. */
static const char *unit_name(char *buf, size_t n, const char *base, uint64_t addr)
{
	snprintf(buf, n, "%s@%llx", base, (unsigned long long)addr);
	return buf;
}

static int fdt_root(void *f)
{
	int r;
	if ((r = fdt_property_string(f, "compatible", "linux,dummy-virt")) ||
	    (r = fdt_property_string(f, "model", "vtee-vmm")) || (r = fdt_property_cell(f, "#address-cells", 2)) ||
	    (r = fdt_property_cell(f, "#size-cells", 2)) ||
	    (r = fdt_property_cell(f, "interrupt-parent", GIC_PHANDLE)))
		return fdt_done(r, "/");
	return 0;
}

/* /chosen: the command line, the console, the initrd. */
static int fdt_chosen(void *f, const struct vmm *vm)
{
	char con[64];
	int r;
	if ((r = fdt_begin_node(f, "chosen")) ||
	    (r = fdt_property_string(f, "bootargs", vm->o.cmdline ? vm->o.cmdline : "")) ||
	    (r = fdt_property_string(f, "stdout-path", unit_name(con, sizeof(con), "/uart", VMM_UART_BASE))) ||
	    (vm->initrd_size && ((r = fdt_property_u64(f, "linux,initrd-start", vm->initrd_gpa)) ||
				 (r = fdt_property_u64(f, "linux,initrd-end", vm->initrd_gpa + vm->initrd_size)))) ||
	    (r = fdt_end_node(f)))
		return fdt_done(r, "chosen");
	return 0;
}

static int fdt_memory(void *f, const struct vmm *vm)
{
	char name[64];
	int r;
	if ((r = fdt_begin_node(f, unit_name(name, sizeof(name), "memory", VMM_RAM_BASE))) ||
	    (r = fdt_property_string(f, "device_type", "memory")) ||
	    (r = prop_u64x2(f, "reg", VMM_RAM_BASE, vm->ram_size)) || (r = fdt_end_node(f)))
		return fdt_done(r, "memory");
	return 0;
}

/* The vCPUs, brought up by PSCI. */
static int fdt_cpus(void *f, const struct vmm *vm)
{
	int r;
	if ((r = fdt_begin_node(f, "cpus")) || (r = fdt_property_cell(f, "#address-cells", 1)) ||
	    (r = fdt_property_cell(f, "#size-cells", 0)))
		return fdt_done(r, "cpus");
	for (unsigned i = 0; i < vm->o.ncpus; i++) {
		char name[32];
		snprintf(name, sizeof(name), "cpu@%u", i);
		if ((r = fdt_begin_node(f, name)) || (r = fdt_property_string(f, "device_type", "cpu")) ||
		    (r = fdt_property_string(f, "compatible", "arm,armv8")) ||
		    (r = fdt_property_string(f, "enable-method", "psci")) || (r = fdt_property_cell(f, "reg", i)) ||
		    (r = fdt_end_node(f)))
			return fdt_done(r, "cpu");
	}
	return fdt_done(fdt_end_node(f), "cpus");
}

/* PSCI: KVM answers it (KVM_ARM_VCPU_PSCI_0_2). */
static int fdt_psci(void *f)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
	int r;
	if ((r = fdt_begin_node(f, "psci")) || (r = fdt_property(f, "compatible", compat, sizeof(compat))) ||
	    (r = fdt_property_string(f, "method", "hvc")) || (r = fdt_end_node(f)))
		return fdt_done(r, "psci");
	return 0;
}

/* The in-kernel GICv3: distributor, and a redistributor per vCPU. */
static int fdt_gic(void *f, const struct vmm *vm)
{
	char name[64];
	fdt64_t reg[4] = { cpu_to_fdt64(VMM_GICD_BASE), cpu_to_fdt64(VMM_GICD_SIZE), cpu_to_fdt64(VMM_GICR_BASE),
			   cpu_to_fdt64(VMM_GICR_SIZE * vm->o.ncpus) };
	int r;
	if ((r = fdt_begin_node(f, unit_name(name, sizeof(name), "intc", VMM_GICD_BASE))) ||
	    (r = fdt_property_string(f, "compatible", "arm,gic-v3")) ||
	    (r = fdt_property_cell(f, "#interrupt-cells", 3)) ||
	    (r = fdt_property(f, "interrupt-controller", NULL, 0)) ||
	    (r = fdt_property(f, "reg", reg, sizeof(reg))) || (r = fdt_property_cell(f, "phandle", GIC_PHANDLE)) ||
	    (r = fdt_end_node(f)))
		return fdt_done(r, "intc");
	return 0;
}

/* The architected timer: secure, non-secure physical, virtual, hypervisor PPIs. */
static int fdt_timer(void *f)
{
	static const uint32_t ppi[4] = { 13, 14, 11, 10 };
	fdt32_t irqs[12];
	for (int i = 0; i < 4; i++) {
		irqs[i * 3] = cpu_to_fdt32(GIC_PPI);
		irqs[i * 3 + 1] = cpu_to_fdt32(ppi[i]);
		irqs[i * 3 + 2] = cpu_to_fdt32(IRQ_LEVEL_HI);
	}
	int r;
	if ((r = fdt_begin_node(f, "timer")) || (r = fdt_property_string(f, "compatible", "arm,armv8-timer")) ||
	    (r = fdt_property(f, "interrupts", irqs, sizeof(irqs))) ||
	    (r = fdt_property(f, "always-on", NULL, 0)) || (r = fdt_end_node(f)))
		return fdt_done(r, "timer");
	return 0;
}

/* A 16550 console. */
static int fdt_uart(void *f)
{
	char name[64];
	fdt32_t irq[3] = { cpu_to_fdt32(GIC_SPI), cpu_to_fdt32(VMM_UART_SPI), cpu_to_fdt32(IRQ_LEVEL_HI) };
	int r;
	if ((r = fdt_begin_node(f, unit_name(name, sizeof(name), "uart", VMM_UART_BASE))) ||
	    (r = fdt_property_string(f, "compatible", "ns16550a")) ||
	    (r = prop_u64x2(f, "reg", VMM_UART_BASE, VMM_UART_SIZE)) ||
	    (r = fdt_property_cell(f, "clock-frequency", 1843200)) ||
	    (r = fdt_property(f, "no-loopback-test", NULL, 0)) ||
	    (r = fdt_property(f, "interrupts", irq, sizeof(irq))) || (r = fdt_end_node(f)))
		return fdt_done(r, "uart");
	return 0;
}

/* The PL031 clock, and the bus clock the AMBA driver wants to see. */
static int fdt_rtc(void *f)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	char name[64];
	int r;
	if ((r = fdt_begin_node(f, "apb-pclk")) || (r = fdt_property_string(f, "compatible", "fixed-clock")) ||
	    (r = fdt_property_cell(f, "#clock-cells", 0)) ||
	    (r = fdt_property_cell(f, "clock-frequency", 24000000)) ||
	    (r = fdt_property_cell(f, "phandle", CLK_PHANDLE)) || (r = fdt_end_node(f)) ||
	    (r = fdt_begin_node(f, unit_name(name, sizeof(name), "rtc", VMM_RTC_BASE))) ||
	    (r = fdt_property(f, "compatible", compat, sizeof(compat))) ||
	    (r = prop_u64x2(f, "reg", VMM_RTC_BASE, VMM_RTC_SIZE)) ||
	    (r = fdt_property_cell(f, "clocks", CLK_PHANDLE)) ||
	    (r = fdt_property_string(f, "clock-names", "apb_pclk")) || (r = fdt_end_node(f)))
		return fdt_done(r, "rtc");
	return 0;
}

/* OP-TEE by SMC: what KVM's filter forwards to us. */
static int fdt_optee(void *f)
{
	int r;
	if ((r = fdt_begin_node(f, "firmware")) || (r = fdt_begin_node(f, "optee")) ||
	    (r = fdt_property_string(f, "compatible", "linaro,optee-tz")) ||
	    (r = fdt_property_string(f, "method", "smc")) || (r = fdt_end_node(f)) || (r = fdt_end_node(f)))
		return fdt_done(r, "optee");
	return 0;
}

int fdt_build(struct vmm *vm)
{
	void *f = vm->ram + (vm->dtb_gpa - VMM_RAM_BASE);
	bool optee = vm->o.tee_backend || vm->o.no_filter;
	int r;
	if ((r = fdt_create(f, FDT_MAX)) || (r = fdt_finish_reservemap(f)) || (r = fdt_begin_node(f, "")))
		return fdt_done(r, "create");
	if ((r = fdt_root(f)) || (r = fdt_chosen(f, vm)) || (r = fdt_memory(f, vm)) || (r = fdt_cpus(f, vm)) ||
	    (r = fdt_psci(f)) || (r = fdt_gic(f, vm)) || (r = fdt_timer(f)) || (r = fdt_uart(f)) ||
	    (r = fdt_rtc(f)) || (optee && (r = fdt_optee(f))))
		return r;
	if ((r = fdt_end_node(f)) || (r = fdt_finish(f)))
		return fdt_done(r, "finish");
	return 0;
}
