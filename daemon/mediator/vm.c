// SPDX-License-Identifier: MIT
/* The VM vteed serves: what a checked HELLO brings mapped, the TEE opened, the VM created; and torn down. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vteed.h"

#define FAIL(e, ...)                                   \
	do {                                           \
		snprintf(why, whylen, __VA_ARGS__);    \
		return -(e);                           \
	} while (0)

struct mediator med;

uint64_t mediator_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Map the mailbox and every RAM region (their fds stay open: the back-end may need them). */
static int map_memory(const struct vteed_hello *h, const int *fds, char *why, size_t whylen)
{
	void *mb = mmap(NULL, VTEED_MAILBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[h->nregions], 0);
	if (mb == MAP_FAILED)
		FAIL(errno, "mmap mailbox: %s", strerror(errno));
	med.mb = mb;
	if (med.mb->magic != VTEED_MB_MAGIC || med.mb->version != h->hdr.version || med.mb->nslots != h->nslots ||
	    med.mb->slot_size != sizeof(struct vteed_slot))
		FAIL(EINVAL, "mailbox header does not match HELLO");
	for (unsigned i = 0; i < h->nregions; i++) {
		struct mediator_ram *m = &med.ram[i];
		m->r = h->regions[i];
		m->fd = fds[i];
		m->hva = mmap(NULL, (size_t)m->r.size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
			      (off_t)m->r.fd_offset);
		if (m->hva == MAP_FAILED) {
			m->hva = NULL;
			FAIL(errno, "mmap region %u: %s", i, strerror(errno));
		}
		med.nram = i + 1;
	}
	return 0;
}

/* 0 means "default" on both sides. */
static uint64_t stricter(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* The VM as HELLO asks for it; the host's policy and the VMM's HELLO: the stricter limit wins. */
static void vm_config(const struct vteed_hello *h, struct vtee_vm_config *vc)
{
	const struct vteed_policy *p = &med.policy;
	*vc = (struct vtee_vm_config){
		.vm_id = h->vm_id, .name = h->name, .slice_us = h->slice_us,
		.no_rpc_arg = (h->flags & VTEED_HELLO_NO_RPC_ARG) != 0,
		.quota = { .max_calls = h->max_calls, .max_sessions = h->max_sessions, .max_shm = h->max_shm,
			   .max_shm_pages = h->max_shm_pages },
		.epoch = h->epoch,
		.ta_allowed = vteed_policy_ta_allowed,
		.policy_ctx = &med.policy,
	};
	vc->quota.max_calls = (uint32_t)stricter(vc->quota.max_calls, p->quota.max_calls);
	vc->quota.max_sessions = (uint32_t)stricter(vc->quota.max_sessions, p->quota.max_sessions);
	vc->quota.max_shm = (uint32_t)stricter(vc->quota.max_shm, p->quota.max_shm);
	vc->quota.max_shm_pages = stricter(vc->quota.max_shm_pages, p->quota.max_shm_pages);
	vc->slice_us = (uint32_t)stricter(vc->slice_us, p->slice_us);
}

/*
 * Open the back-end HELLO describes, handing it the TEE fds (taken: set to
 * -1, the back-end owns them now, even on failure).
 */
static int open_tee(const struct mediator_tee *t, int *tee_fds, char *why, size_t whylen)
{
	char options[VTEED_TEE_OPTIONS_MAX + VTEED_MAX_TEE_FDS * (VTEED_TEE_KEY_MAX + 16) +
		     sizeof(med.policy.backend_options)];
	int err = tee_desc_options(t, tee_fds, options, sizeof(options));
	if (err)
		FAIL(-err, "the back-end's options are too long");
	/* TAs in processes are started by the back-end, which would need a fork in vteed's sandbox */
	if (!strcmp(t->backend, "soft") && (!strncmp(options, "ta_dir=", 7) || strstr(options, ",ta_dir=")))
		FAIL(EPERM, "ta_dir: TAs in processes need the built-in TEE in vtee-tee (vteed_start), not in vteed");
	err = vtee_tee_open(t->backend, options[0] ? options : NULL, &med.tee);
	for (unsigned i = 0; i < t->desc.nfds; i++)
		tee_fds[i] = -1;
	if (err)
		FAIL(-err, "vtee_tee_open(%s): %s", t->backend, strerror(-err));
	snprintf(med.backend, sizeof(med.backend), "%s", t->backend);
	return 0;
}

static int create_vm(const struct vtee_vm_config *vc, char *why, size_t whylen)
{
	med.quota = vc->quota;
	int err = vtee_vm_create(med.tee, vc, &med.vm);
	if (err)
		FAIL(-err, "vtee_vm_create: %s", strerror(-err));
	for (unsigned i = 0; i < med.nram; i++) {
		const struct mediator_ram *m = &med.ram[i];
		err = vtee_vm_add_ram(med.vm, m->r.gpa, m->r.size, m->hva, m->fd, m->r.fd_offset);
		if (err)
			FAIL(-err, "vtee_vm_add_ram(region %u): %s", i, strerror(-err));
	}
	return 0;
}

int mediator_setup(const struct vteed_hello *h, int *fds, unsigned nfds, char *why, size_t whylen)
{
	struct mediator_tee tee;
	int err = hello_check(h, fds, nfds, &tee, why, whylen);
	if (!err)
		err = map_memory(h, fds, why, whylen);
	if (err)
		return err;
	struct vtee_vm_config vc;
	vm_config(h, &vc);
	/* after the RAM fds and the mailbox: the journal (flag JOURNAL), then the TEE fds */
	unsigned next_fd = h->nregions + 1;
	bool has_journal = h->flags & VTEED_HELLO_JOURNAL;
	if (has_journal && (err = journal_map(fds[next_fd++], &vc, why, whylen)))
		return err;
	err = open_tee(&tee, &fds[next_fd], why, whylen);
	if (!err)
		err = create_vm(&vc, why, whylen);
	if (!err && has_journal)
		err = journal_restore(why, whylen);
	if (!err)
		err = servers_start(why, whylen);
	return err;
}

void mediator_teardown(void)
{
	servers_stop();
	if (med.vm) {
		struct vtee_vm_stats st;
		vtee_vm_get_stats(med.vm, &st);
		vteed_log(VLOG_INFO, "VM %u done: %llu SMCs, %u sessions and %u shm buffers left open", med.hello.vm_id,
			  (unsigned long long)st.smc_count, st.sessions, st.shm_buffers);
		vtee_vm_destroy(med.vm);
		med.vm = NULL;
	}
	if (med.tee) {
		vtee_tee_close(med.tee);
		med.tee = NULL;
	}
	for (unsigned i = 0; i < med.nram; i++)
		munmap(med.ram[i].hva, (size_t)med.ram[i].r.size);
	med.nram = 0;
	if (med.mb)
		munmap(med.mb, VTEED_MAILBOX_SIZE);
	med.mb = NULL;
	if (med.jn)
		munmap(med.jn, med.jn_size);
	med.jn = NULL;
}
