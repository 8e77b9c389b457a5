// SPDX-License-Identifier: MIT
/*
 * vtee-vmm: one thread per vCPU, each in KVM_RUN. The exits it serves: the
 * console's MMIO, the TEE's SMCs (KVM_EXIT_HYPERCALL, from the SMCCC filter)
 * and PSCI's SYSTEM_OFF/RESET (KVM_EXIT_SYSTEM_EVENT). Everything else is in
 * the kernel: GIC, timer, PSCI CPU_ON.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

#define SIG_KICK SIGUSR1

static void on_kick(int sig)
{
	(void)sig; /* only to make KVM_RUN return EINTR */
}

static void mmio(struct vmm_vcpu *c)
{
	struct kvm_run *r = c->run;
	uint64_t a = r->mmio.phys_addr;
	if (a >= VMM_UART_BASE && a - VMM_UART_BASE < VMM_UART_SIZE) {
		uart_mmio(c->vm, a - VMM_UART_BASE, r->mmio.data, r->mmio.len, r->mmio.is_write);
		return;
	}
	if (a >= VMM_RTC_BASE && a - VMM_RTC_BASE < VMM_RTC_SIZE) {
		rtc_mmio(c->vm, a - VMM_RTC_BASE, r->mmio.data, r->mmio.len, r->mmio.is_write);
		return;
	}
	/* nothing else is there: reads are 0, writes vanish (as on an empty bus) */
	if (!r->mmio.is_write)
		memset(r->mmio.data, 0, sizeof(r->mmio.data));
}

static void *vcpu_main(void *arg)
{
	struct vmm_vcpu *c = arg;
	struct vmm *vm = c->vm;
	while (!vm->stop) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vmm_log("vCPU %u: KVM_RUN: %s", c->id, strerror(errno));
			vcpu_stop_all(vm, VMM_STOP_ERROR);
			break;
		}
		switch (c->run->exit_reason) {
		case KVM_EXIT_MMIO:
			mmio(c);
			break;
		case KVM_EXIT_HYPERCALL:
			if (tee_smc(c))
				vcpu_stop_all(vm, VMM_STOP_ERROR);
			break;
		case KVM_EXIT_SYSTEM_EVENT: {
			uint32_t t = c->run->system_event.type;
			if (t != KVM_SYSTEM_EVENT_SHUTDOWN && t != KVM_SYSTEM_EVENT_RESET)
				vmm_log("vCPU %u: system event %u (a crash, or one this VMM does not serve)", c->id, t);
			vcpu_stop_all(vm, t == KVM_SYSTEM_EVENT_SHUTDOWN ? VMM_STOP_SHUTDOWN
					  : t == KVM_SYSTEM_EVENT_RESET  ? VMM_STOP_RESET
									 : VMM_STOP_ERROR);
			break;
		}
		case KVM_EXIT_INTR:
			break;
		default:
			vmm_log("vCPU %u: unexpected exit %u", c->id, c->run->exit_reason);
			vcpu_stop_all(vm, VMM_STOP_ERROR);
			break;
		}
	}
	return NULL;
}

int vcpu_start_all(struct vmm *vm)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick; /* no SA_RESTART: KVM_RUN returns */
	sigaction(SIG_KICK, &sa, NULL);
	for (unsigned i = 0; i < vm->o.ncpus; i++) {
		int r = pthread_create(&vm->cpu[i].thread, NULL, vcpu_main, &vm->cpu[i]);
		if (r) {
			/* the ones already running stop before they are gone for good */
			vcpu_stop_all(vm, VMM_STOP_ERROR);
			for (unsigned k = 0; k < i; k++)
				pthread_join(vm->cpu[k].thread, NULL);
			return vmm_err(-r, "cannot start vCPU thread %u", i);
		}
	}
	return 0;
}

void vcpu_stop_all(struct vmm *vm, int how)
{
	if (!__sync_bool_compare_and_swap(&vm->stop, 0, how))
		return;
	/*
	 * A thread not started yet (its id still 0) gets no signal: immediate_exit
	 * makes its first KVM_RUN return at once.
	 */
	for (unsigned i = 0; i < vm->o.ncpus; i++) {
		vm->cpu[i].run->immediate_exit = 1; /* a vCPU about to enter KVM_RUN leaves at once */
		if (vm->cpu[i].thread && !pthread_equal(vm->cpu[i].thread, pthread_self()))
			pthread_kill(vm->cpu[i].thread, SIG_KICK);
	}
}

void vcpu_join_all(struct vmm *vm)
{
	for (unsigned i = 0; i < vm->o.ncpus; i++)
		pthread_join(vm->cpu[i].thread, NULL);
}
