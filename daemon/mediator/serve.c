// SPDX-License-Identifier: MIT
/* The SMC mailbox (docs/vteed-protocol.md): one server thread per vCPU slot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vteed.h"
#include "vteed_futex.h"

#define SRV_SPIN_NS  20000u /* a server polls req_seq this long after its last request, then sleeps */
#define SRV_SLEEP_MS 100u   /* a sleeping server re-checks for stop this often */

/* The next request on the slot after `seen`: spin a little, then sleep; returns seen again on stop. */
static uint32_t wait_request(struct vteed_slot *sl, uint32_t seen)
{
	while (!atomic_load(&med.stop)) {
		uint32_t seq = VTEED_LOAD(&sl->req_seq);
		if (seq == seen) {
			uint64_t t0 = mediator_now_ns();
			for (unsigned i = 1; seq == seen; i++) {
				vtee_poll_pause(i, t0, VTEE_POLL_YIELD_NS);
				seq = VTEED_LOAD(&sl->req_seq);
				if (!(i & 31) && mediator_now_ns() - t0 > SRV_SPIN_NS)
					break;
			}
		}
		if (seq != seen)
			return seq;
		VTEED_STORE(&sl->srv_waiting, 1u);
		if (VTEED_LOAD(&sl->req_seq) == seen && !atomic_load(&med.stop))
			vteed_futex_wait(&sl->req_seq, seen, SRV_SLEEP_MS);
		VTEED_STORE(&sl->srv_waiting, 0u);
	}
	return seen;
}

static void *serve_slot(void *arg)
{
	struct slot_server *s = arg;
	struct vteed_slot *sl = s->slot;
	uint32_t seen = s->seen;
	for (;;) {
		uint32_t seq = wait_request(sl, seen);
		if (seq == seen)
			break; /* stop */
		seen = seq;
		uint64_t regs[8];
		for (unsigned i = 0; i < 8; i++)
			regs[i] = __atomic_load_n(&sl->regs[i], __ATOMIC_RELAXED);
		/* the tag lets a successor tell whether this SMC's answer reached the guest */
		uint64_t tag = ((uint64_t)(s - med.srv) << 32) | seq;
		if (med.echo)
			;
		else if (seq == VTEED_LOAD(&sl->lost_seq))
			vtee_vm_smc_replay(med.vm, regs, tag); /* the previous vteed died serving it */
		else
			vtee_vm_smc_tagged(med.vm, regs, tag);
		for (unsigned i = 0; i < 8; i++)
			__atomic_store_n(&sl->regs[i], regs[i], __ATOMIC_RELAXED);
		VTEED_STORE(&sl->rsp_seq, seq);
		if (VTEED_LOAD(&sl->cli_waiting))
			vteed_futex_wake(&sl->rsp_seq);
	}
	return NULL;
}

int servers_start(char *why, size_t whylen)
{
	for (unsigned i = 0; i < med.hello.nslots; i++) {
		struct slot_server *s = &med.srv[i];
		s->slot = &med.mb->slot[i];
		/* from rsp_seq: a request the previous vteed never answered is served now */
		s->seen = VTEED_LOAD(&s->slot->rsp_seq);
		int err = pthread_create(&s->thread, NULL, serve_slot, s);
		if (err) {
			snprintf(why, whylen, "pthread_create: %s", strerror(err));
			return -err;
		}
		s->started = true;
	}
	return 0;
}

void servers_stop(void)
{
	atomic_store(&med.stop, true);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		if (med.srv[i].started)
			vteed_futex_wake(&med.srv[i].slot->req_seq);
	for (unsigned i = 0; i < VTEED_MAX_SLOTS; i++)
		if (med.srv[i].started) {
			pthread_join(med.srv[i].thread, NULL);
			med.srv[i].started = false;
		}
}
