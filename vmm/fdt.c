// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: the guest's device tree (libfdt), written straight into guest RAM.
 * The one line that is about vtee: /firmware/optee with method "smc", so the
 * guest's OP-TEE driver makes SMCs, which KVM's filter hands to us.
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

#define FDT_MAX      (64u << 10)
#define GIC_PHANDLE  1
#define CLK_PHANDLE  2
#define GIC_SPI      0
#define GIC_PPI      1
#define IRQ_LEVEL_HI 4

static void check(int r, const char *what)
{
	if (r < 0)
		vmm_die("device tree: %s: %s", what, fdt_strerror(r));
}

static void prop_u64x2(void *f, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };
	check(fdt_property(f, name, v, sizeof(v)), name);
}

void fdt_build(struct vmm *vm)
{
	void *f = vm->ram + (vm->dtb_gpa - VMM_RAM_BASE);
	char name[64];
	check(fdt_create(f, FDT_MAX), "create");
	check(fdt_finish_reservemap(f), "reservemap");
	check(fdt_begin_node(f, ""), "/");
	check(fdt_property_string(f, "compatible", "linux,dummy-virt"), "compatible");
	check(fdt_property_string(f, "model", "vtee-vmm"), "model");
	check(fdt_property_cell(f, "#address-cells", 2), "#address-cells");
	check(fdt_property_cell(f, "#size-cells", 2), "#size-cells");
	check(fdt_property_cell(f, "interrupt-parent", GIC_PHANDLE), "interrupt-parent");

	check(fdt_begin_node(f, "chosen"), "chosen");
	check(fdt_property_string(f, "bootargs", vm->o.cmdline ? vm->o.cmdline : ""), "bootargs");
	snprintf(name, sizeof(name), "/uart@%llx", (unsigned long long)VMM_UART_BASE);
	check(fdt_property_string(f, "stdout-path", name), "stdout-path");
	if (vm->initrd_size) {
		check(fdt_property_u64(f, "linux,initrd-start", vm->initrd_gpa), "initrd-start");
		check(fdt_property_u64(f, "linux,initrd-end", vm->initrd_gpa + vm->initrd_size), "initrd-end");
	}
	check(fdt_end_node(f), "chosen");

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)VMM_RAM_BASE);
	check(fdt_begin_node(f, name), "memory");
	check(fdt_property_string(f, "device_type", "memory"), "device_type");
	prop_u64x2(f, "reg", VMM_RAM_BASE, vm->ram_size);
	check(fdt_end_node(f), "memory");

	check(fdt_begin_node(f, "cpus"), "cpus");
	check(fdt_property_cell(f, "#address-cells", 1), "cpus #address-cells");
	check(fdt_property_cell(f, "#size-cells", 0), "cpus #size-cells");
	for (unsigned i = 0; i < vm->o.ncpus; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		check(fdt_begin_node(f, name), "cpu");
		check(fdt_property_string(f, "device_type", "cpu"), "device_type");
		check(fdt_property_string(f, "compatible", "arm,armv8"), "cpu compatible");
		check(fdt_property_string(f, "enable-method", "psci"), "enable-method");
		check(fdt_property_cell(f, "reg", i), "cpu reg");
		check(fdt_end_node(f), "cpu");
	}
	check(fdt_end_node(f), "cpus");

	/* PSCI: KVM answers it (KVM_ARM_VCPU_PSCI_0_2) */
	check(fdt_begin_node(f, "psci"), "psci");
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
	check(fdt_property(f, "compatible", psci_compat, sizeof(psci_compat)), "psci compatible");
	check(fdt_property_string(f, "method", "hvc"), "psci method");
	check(fdt_end_node(f), "psci");

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)VMM_GICD_BASE);
	check(fdt_begin_node(f, name), "intc");
	check(fdt_property_string(f, "compatible", "arm,gic-v3"), "gic compatible");
	check(fdt_property_cell(f, "#interrupt-cells", 3), "#interrupt-cells");
	check(fdt_property(f, "interrupt-controller", NULL, 0), "interrupt-controller");
	fdt64_t gic_reg[4] = { cpu_to_fdt64(VMM_GICD_BASE), cpu_to_fdt64(VMM_GICD_SIZE),
			       cpu_to_fdt64(VMM_GICR_BASE), cpu_to_fdt64(VMM_GICR_SIZE * vm->o.ncpus) };
	check(fdt_property(f, "reg", gic_reg, sizeof(gic_reg)), "gic reg");
	check(fdt_property_cell(f, "phandle", GIC_PHANDLE), "gic phandle");
	check(fdt_end_node(f), "intc");

	/* the architected timer: secure, non-secure physical, virtual, hypervisor PPIs */
	check(fdt_begin_node(f, "timer"), "timer");
	check(fdt_property_string(f, "compatible", "arm,armv8-timer"), "timer compatible");
	fdt32_t irqs[12];
	static const uint32_t ppi[4] = { 13, 14, 11, 10 };
	for (int i = 0; i < 4; i++) {
		irqs[i * 3] = cpu_to_fdt32(GIC_PPI);
		irqs[i * 3 + 1] = cpu_to_fdt32(ppi[i]);
		irqs[i * 3 + 2] = cpu_to_fdt32(IRQ_LEVEL_HI);
	}
	check(fdt_property(f, "interrupts", irqs, sizeof(irqs)), "timer interrupts");
	check(fdt_property(f, "always-on", NULL, 0), "always-on");
	check(fdt_end_node(f), "timer");

	/* a 16550 console */
	snprintf(name, sizeof(name), "uart@%llx", (unsigned long long)VMM_UART_BASE);
	check(fdt_begin_node(f, name), "uart");
	check(fdt_property_string(f, "compatible", "ns16550a"), "uart compatible");
	prop_u64x2(f, "reg", VMM_UART_BASE, VMM_UART_SIZE);
	check(fdt_property_cell(f, "clock-frequency", 1843200), "clock-frequency");
	check(fdt_property(f, "no-loopback-test", NULL, 0), "no-loopback-test");
	fdt32_t uirq[3] = { cpu_to_fdt32(GIC_SPI), cpu_to_fdt32(VMM_UART_SPI), cpu_to_fdt32(IRQ_LEVEL_HI) };
	check(fdt_property(f, "interrupts", uirq, sizeof(uirq)), "uart interrupts");
	check(fdt_end_node(f), "uart");

	/* the PL031 clock, and the bus clock the AMBA driver wants to see */
	check(fdt_begin_node(f, "apb-pclk"), "apb-pclk");
	check(fdt_property_string(f, "compatible", "fixed-clock"), "clock compatible");
	check(fdt_property_cell(f, "#clock-cells", 0), "#clock-cells");
	check(fdt_property_cell(f, "clock-frequency", 24000000), "clock-frequency");
	check(fdt_property_cell(f, "phandle", CLK_PHANDLE), "clock phandle");
	check(fdt_end_node(f), "apb-pclk");
	snprintf(name, sizeof(name), "rtc@%llx", (unsigned long long)VMM_RTC_BASE);
	check(fdt_begin_node(f, name), "rtc");
	static const char rtc_compat[] = "arm,pl031\0arm,primecell";
	check(fdt_property(f, "compatible", rtc_compat, sizeof(rtc_compat)), "rtc compatible");
	prop_u64x2(f, "reg", VMM_RTC_BASE, VMM_RTC_SIZE);
	check(fdt_property_cell(f, "clocks", CLK_PHANDLE), "rtc clocks");
	check(fdt_property_string(f, "clock-names", "apb_pclk"), "rtc clock-names");
	check(fdt_end_node(f), "rtc");

	if (vm->o.tee_backend || vm->o.no_filter) {
		check(fdt_begin_node(f, "firmware"), "firmware");
		check(fdt_begin_node(f, "optee"), "optee");
		check(fdt_property_string(f, "compatible", "linaro,optee-tz"), "optee compatible");
		check(fdt_property_string(f, "method", "smc"), "optee method");
		check(fdt_end_node(f), "optee");
		check(fdt_end_node(f), "firmware");
	}

	check(fdt_end_node(f), "/");
	check(fdt_finish(f), "finish");
}
