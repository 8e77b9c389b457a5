// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: boot a Linux Image on arm64 KVM with its OP-TEE served by vtee.
 *
 *   vtee-vmm --kernel Image [--initrd FILE] [--append CMDLINE] [--cpus N] [--mem MIB]
 *            [--tee soft|teedev|vteed|none] [--vteed PATH] [--policy FILE] [--tee-dev PATH]
 *            [--forward os|os,apps] [--no-filter]
 *
 * Exit status: 0 when the guest powered off (PSCI SYSTEM_OFF), 3 when it
 * rebooted, 1 on an error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"
#include "vtee/kvm.h"
#include "vtee/vtee.h"

/* One line, one write(2): lines of vteed and of other threads never land inside ours. */
static void vmm_vlog(const char *fmt, va_list ap)
{
	char line[600];
	int n = snprintf(line, sizeof(line), "vtee-vmm: ");
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + ((size_t)m < sizeof(line) - (size_t)n - 1 ? (size_t)m : sizeof(line) - (size_t)n - 2);
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void vmm_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmm_vlog(fmt, ap);
	va_end(ap);
}

int vmm_err(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmm_vlog(fmt, ap);
	va_end(ap);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtee-vmm --kernel IMAGE [options]\n"
		"Boot an arm64 Linux Image on KVM; its OP-TEE driver is served by vtee.\n"
		"  --kernel IMAGE     an uncompressed arm64 Linux Image\n"
		"  --initrd FILE      an initramfs\n"
		"  --append CMDLINE   the kernel command line [console=ttyS0]\n"
		"  --cpus N           vCPUs, 1..%d [1]\n"
		"  --mem MIB          guest RAM [256]\n"
		"  --tee KIND         soft: libvtee's built-in TEE in this process [default]\n"
		"                     teedev: libvtee in this process on the host's OP-TEE (/dev/tee*)\n"
		"                     vteed: a supervised, sandboxed vteed on the host's OP-TEE\n"
		"                            (/dev/tee*, the teedev back-end)\n"
		"                     none: no TEE and no DT node\n"
		"  --vteed PATH       the vteed executable [$VTEED, else vteed in PATH]\n"
		"  --policy FILE      vteed's policy file (must say [tee] backend = teedev)\n"
		"  --tee-dev PATH     the host's TEE device [the first OP-TEE /dev/teeN]\n"
		"  --forward OWNERS   the SMCCC owners KVM forwards: os (Trusted OS, 50-63) [os],\n"
		"                     or os,apps (also Trusted Apps, 48-49)\n"
		"  --no-filter        keep the OP-TEE node but install no SMCCC filter: KVM answers\n"
		"                     the guest's SMCs itself (not supported), to see the driver fail cleanly\n"
		"Exit status: 0 guest powered off, 3 guest rebooted, 1 error.\n",
		VMM_MAX_CPUS);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --tee KIND: which back-end serves the guest, and where. */
struct tee_kind {
	const char *arg, *backend, *label;
	bool vteed;     /* in a supervised vteed */
	bool takes_dev; /* --tee-dev names its device */
};
static const struct tee_kind tee_kinds[] = {
	{ "soft", "soft", "built-in (in process)", false, false },
	{ "teedev", "teedev", "host OP-TEE (teedev, in process)", false, true },
	{ "vteed", "teedev", "vteed", true, true },
	{ "none", NULL, "none", false, false },
};

static void set_tee(struct vmm_opts *o, const struct tee_kind *k)
{
	o->tee_backend = k->backend;
	o->tee_vteed = k->vteed;
	o->tee_label = k->label;
}

/* --tee-dev for a back-end in this process: its dev= option (vteed's supervisor opens tee_dev itself). */
static int set_tee_options(struct vmm_opts *o, const struct tee_kind *k)
{
	static char opt[300];
	if (!k->takes_dev || !o->tee_dev || o->tee_vteed)
		return 0;
	if (snprintf(opt, sizeof(opt), "dev=%s", o->tee_dev) >= (int)sizeof(opt))
		return vmm_err(-ENAMETOOLONG, "--tee-dev %s: path too long", o->tee_dev);
	o->tee_options = opt;
	return 0;
}

static int parse_tee(const char *s, const struct tee_kind **tee)
{
	for (size_t i = 0; i < sizeof(tee_kinds) / sizeof(tee_kinds[0]); i++)
		if (!strcmp(s, tee_kinds[i].arg)) {
			*tee = &tee_kinds[i];
			return 0;
		}
	return vmm_err(-EINVAL, "--tee %s: expected soft, teedev, vteed or none", s);
}

static int parse_forward(const char *s, unsigned *forward)
{
	if (!strcmp(s, "os"))
		*forward = VTEE_KVM_TRUSTED_OS;
	else if (!strcmp(s, "os,apps") || !strcmp(s, "apps,os"))
		*forward = VTEE_KVM_TRUSTED_OS | VTEE_KVM_TRUSTED_APPS;
	else
		return vmm_err(-EINVAL, "--forward %s: expected os or os,apps", s);
	return 0;
}

/* Option opt (its argument in optarg) into o and *tee. 0, or -EINVAL (said why). */
static int parse_option(int opt, struct vmm_opts *o, const struct tee_kind **tee)
{
	char *end;
	switch (opt) {
	case 'k': o->kernel = optarg; return 0;
	case 'i': o->initrd = optarg; return 0;
	case 'a': o->cmdline = optarg; return 0;
	case 'c':
		o->ncpus = (unsigned)strtoul(optarg, &end, 10);
		if (*end || !o->ncpus || o->ncpus > VMM_MAX_CPUS)
			return vmm_err(-EINVAL, "--cpus %s: expected 1..%d", optarg, VMM_MAX_CPUS);
		return 0;
	case 'm':
		o->ram_mib = strtoull(optarg, &end, 10);
		if (*end || o->ram_mib < 64 || o->ram_mib > 65536)
			return vmm_err(-EINVAL, "--mem %s: expected 64..65536 (MiB)", optarg);
		return 0;
	case 't': return parse_tee(optarg, tee);
	case 'v': o->vteed = optarg; return 0;
	case 'p': o->policy = optarg; return 0;
	case 'd': o->tee_dev = optarg; return 0;
	case 'n': o->no_filter = true; return 0;
	case 'F': return parse_forward(optarg, &o->forward);
	default: usage(stderr); return -EINVAL;
	}
}

/* The command line into o: 0 to run, 1 for --help (shown), or -EINVAL (said why). */
static int parse_args(int argc, char **argv, struct vmm_opts *o)
{
	static const struct option lo[] = {
		{ "kernel", required_argument, NULL, 'k' }, { "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' }, { "cpus", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },    { "tee", required_argument, NULL, 't' },
		{ "vteed", required_argument, NULL, 'v' },  { "policy", required_argument, NULL, 'p' },
		{ "tee-dev", required_argument, NULL, 'd' }, { "no-filter", no_argument, NULL, 'n' },
		{ "forward", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	*o = (struct vmm_opts){ .ncpus = 1, .ram_mib = 256, .cmdline = "console=ttyS0",
				.forward = VTEE_KVM_TRUSTED_OS };
	const struct tee_kind *tee = &tee_kinds[0];
	int opt, r = 0;
	while (!r && (opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 1;
		}
		r = parse_option(opt, o, &tee);
	}
	if (r)
		return r;
	if (!o->kernel || optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	set_tee(o, tee);
	if ((r = set_tee_options(o, tee)))
		return r;
	if (o->no_filter && o->tee_vteed)
		return vmm_err(-EINVAL, "--no-filter with --tee vteed: nothing would reach vteed");
	return 0;
}

/* The VM, the guest's images and device tree, the vCPUs, the GIC and the TEE, before any vCPU runs. */
static int set_up(struct vmm *vm)
{
	int r = kvm_create_vm(vm);
	if (!r)
		r = boot_load(vm);
	if (!r)
		r = fdt_build(vm);
	if (!r)
		r = kvm_create_vcpus(vm);
	if (!r)
		r = kvm_create_gic(vm);
	if (!r)
		r = tee_setup(vm); /* the filter goes in before any vCPU runs */
	if (r)
		return r;
	vmm_log("%u vCPU%s, %llu MiB, TEE %s%s", vm->o.ncpus, vm->o.ncpus > 1 ? "s" : "",
		(unsigned long long)vm->o.ram_mib, vm->o.tee_label, vm->o.no_filter ? ", no SMCCC filter" : "");
	for (unsigned i = 0; i < vm->o.ncpus; i++)
		vm->cpu[i].smc_us = calloc(VMM_SMC_SAMPLES, sizeof(uint32_t)); /* NULL: no median, no harm */
	return 0;
}

/* The TEE SMCs the vCPUs served: how many, the time in them, the median of the first samples. */
struct smc_summary {
	uint64_t smcs, ns;
	uint32_t median_us;
};

static void smc_summary(struct vmm *vm, struct smc_summary *s)
{
	size_t n = 0;
	uint32_t *all = calloc(VMM_SMC_SAMPLES * vm->o.ncpus, sizeof(*all));
	*s = (struct smc_summary){ 0 };
	for (unsigned i = 0; i < vm->o.ncpus; i++) {
		struct vmm_vcpu *c = &vm->cpu[i];
		s->smcs += c->smc_count;
		s->ns += c->smc_ns;
		size_t k = c->smc_count < VMM_SMC_SAMPLES ? (size_t)c->smc_count : VMM_SMC_SAMPLES;
		if (all && c->smc_us)
			memcpy(all + n, c->smc_us, k * sizeof(*all));
		n += all && c->smc_us ? k : 0;
		free(c->smc_us);
		c->smc_us = NULL;
	}
	if (n) {
		qsort(all, n, sizeof(*all), cmp_u32);
		s->median_us = all[n / 2];
	}
	free(all);
}

int main(int argc, char **argv)
{
	vtee_set_log(vtee_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* libvtee's lines on stderr */
	static struct vmm vm = { .uart_lock = PTHREAD_MUTEX_INITIALIZER };
	int r = parse_args(argc, argv, &vm.o);
	if (r)
		return r > 0 ? 0 : 1;

	/* a console reader that goes away loses the console, not the guest (uart.c) */
	signal(SIGPIPE, SIG_IGN);
	double t0 = now_s();
	if (set_up(&vm)) {
		tee_teardown(&vm); /* a TEE set up before a later step failed */
		return 1;
	}
	if (vcpu_start_all(&vm)) {
		tee_teardown(&vm);
		return 1;
	}
	vcpu_join_all(&vm);
	struct smc_summary sum;
	smc_summary(&vm, &sum);
	tee_teardown(&vm);
	vmm_log("guest %s after %.1f s; %llu TEE SMCs forwarded by KVM, %.1f ms serving them (median %u us)",
		vm.stop == VMM_STOP_SHUTDOWN ? "powered off" : vm.stop == VMM_STOP_RESET ? "rebooted" : "failed",
		now_s() - t0, (unsigned long long)sum.smcs, (double)sum.ns / 1e6, sum.median_us);
	return vm.stop == VMM_STOP_SHUTDOWN ? 0 : vm.stop == VMM_STOP_RESET ? 3 : 1;
}
