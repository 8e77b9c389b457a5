// SPDX-License-Identifier: MIT
/*
 * The recovery journal (lib/core/journal.c): a restarted mediator rebuilds a
 * VM's registered shared memory from it, rolls back what an undelivered SMC
 * made, and trusts nothing in it: a journal written by a compromised
 * predecessor (bad block indices, cycles, addresses outside the VM's RAM,
 * inconsistent sizes, duplicate cookies, garbage) loses the bad entries and
 * never crashes or reaches outside the VM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "guest.h"
#include "journal.h"

#define RAM (16ull << 20)

static size_t jsize;
static uint64_t o_sess, o_shm, o_blk;

static struct jn_shm *shm_entry(uint8_t *j, uint32_t i)
{
	return (struct jn_shm *)(j + o_shm) + i;
}

static struct jn_block *block(uint8_t *j, uint32_t i)
{
	return (struct jn_block *)(j + o_blk) + i;
}

/* A second VM with the same RAM restores from journal j; returns what restore said, *bufs the buffers. */
static int restore_into(struct guest *g, uint8_t *j, bool (*delivered)(void *, uint64_t), uint32_t vm_id,
			uint32_t *bufs, uint64_t *pages)
{
	struct vtee_tee *tee;
	struct vtee_vm *vm;
	CHECK_EQ(vtee_tee_open("soft", NULL, &tee), 0);
	int r = vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = vm_id, .name = "restored", .journal = j,
							      .journal_size = jsize, .epoch = 1 }, &vm);
	CHECK_EQ(r, 0);
	CHECK_EQ(vtee_vm_add_ram(vm, GUEST_RAM0_GPA, RAM, guest_gpa_ptr(g, GUEST_RAM0_GPA, RAM), -1, 0), 0);
	r = vtee_vm_restore(vm, delivered, NULL);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(vm, &st);
	*bufs = st.shm_buffers;
	*pages = st.shm_pages;
	vtee_vm_destroy(vm);
	vtee_tee_close(tee);
	return r;
}

static uint64_t rolled_back_tag;
static bool delivered_but_one(void *ctx, uint64_t tag)
{
	(void)ctx;
	return tag != rolled_back_tag;
}

int main(void)
{
	struct vtee_quota q = { .max_sessions = VTEE_DEFAULT_MAX_SESSIONS, .max_shm = VTEE_DEFAULT_MAX_SHM,
				.max_shm_pages = VTEE_DEFAULT_MAX_SHM_PAGES };
	uint64_t total;
	vtee_journal_layout(&q, &o_sess, &o_shm, &o_blk, &total);
	jsize = vtee_journal_size(NULL);
	CHECK_EQ(jsize, total);
	uint8_t *j = aligned_alloc(4096, jsize), *snap = aligned_alloc(4096, jsize), *work = aligned_alloc(4096, jsize);
	memset(j, 0, jsize);

	/* a guest registers three buffers; each REGISTER SMC gets its own tag */
	struct vtee_tee *tee;
	CHECK_EQ(vtee_tee_open("soft", NULL, &tee), 0);
	struct guest *g;
	CHECK_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "first", .journal = j,
								 .journal_size = jsize },
				 &(struct guest_config){ .ram_size = RAM, .quiet = true }, &g), 0);
	CHECK_EQ(guest_probe(g), 0);
	struct guest_shm *s[3];
	static const size_t sizes[3] = { 100, 5 * 4096 + 7, 40 * 4096 };
	for (int i = 0; i < 3; i++)
		CHECK_EQ(guest_shm_alloc(g, sizes[i], GUEST_BUF_SCATTER, &s[i]), TEE_SUCCESS);
	struct vtee_vm_stats st1;
	vtee_vm_get_stats(guest_vm(g), &st1);
	CHECK(st1.shm_buffers >= 3);
	memcpy(snap, j, jsize);

	/* the journal holds exactly the registered buffers */
	uint32_t valid = 0, ours = 0;
	for (uint32_t i = 0; i < q.max_shm; i++) {
		struct jn_shm *e = shm_entry(snap, i);
		if (!e->valid)
			continue;
		valid++;
		for (int k = 0; k < 3; k++)
			ours += e->cookie == s[k]->cookie && e->size == sizes[k];
	}
	CHECK_EQ(valid, st1.shm_buffers);
	CHECK_EQ(ours, 3);

	uint32_t bufs;
	uint64_t pages;
	/* a faithful restore: the same buffers and pages */
	memcpy(work, snap, jsize);
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)st1.shm_buffers);
	CHECK_EQ(bufs, st1.shm_buffers);
	CHECK_EQ(pages, st1.shm_pages);

	/* not this VM's journal, or another geometry: refused whole */
	memcpy(work, snap, jsize);
	CHECK_EQ(restore_into(g, work, NULL, 2, &bufs, &pages), -EBADMSG);
	CHECK_EQ(bufs, 0);
	memcpy(work, snap, jsize);
	((struct jn_hdr *)work)->max_shm = 17;
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), -EBADMSG);

	/* find the entry of the 40-page buffer: the one to damage */
	uint32_t big = UINT32_MAX;
	for (uint32_t i = 0; i < q.max_shm; i++)
		if (shm_entry(snap, i)->valid && shm_entry(snap, i)->cookie == s[2]->cookie)
			big = i;
	CHECK(big != UINT32_MAX);
	if (big == UINT32_MAX)
		return check_report();
	const uint32_t want = st1.shm_buffers - 1;

	/* its answer never reached the guest: rolled back */
	memcpy(work, snap, jsize);
	rolled_back_tag = shm_entry(work, big)->tag = 0x123456789ull;
	CHECK_EQ(restore_into(g, work, delivered_but_one, 1, &bufs, &pages), (int)want);
	CHECK_EQ(bufs, want);
	CHECK_EQ(pages, st1.shm_pages - 40);

	/* damaged entries are dropped, the rest restored */
	memcpy(work, snap, jsize);
	shm_entry(work, big)->first_block = UINT32_MAX; /* past the table */
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	memcpy(work, snap, jsize);
	block(work, shm_entry(work, big)->first_block - 1)->next = shm_entry(work, big)->first_block; /* a cycle */
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	memcpy(work, snap, jsize);
	block(work, shm_entry(work, big)->first_block - 1)->gpa[3] = GUEST_RAM0_GPA + RAM; /* outside RAM */
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	memcpy(work, snap, jsize);
	block(work, shm_entry(work, big)->first_block - 1)->gpa[0] |= 1; /* not page aligned */
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	memcpy(work, snap, jsize);
	shm_entry(work, big)->npages = 41; /* does not match size */
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	memcpy(work, snap, jsize);
	shm_entry(work, big)->size = UINT64_MAX; /* absurd size */
	shm_entry(work, big)->npages = 0;
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	memcpy(work, snap, jsize);
	shm_entry(work, big)->first_off = 4096; /* offset past the page */
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	/* two entries claiming one cookie: one of them goes */
	memcpy(work, snap, jsize);
	for (uint32_t i = 0; i < q.max_shm; i++)
		if (i != big && shm_entry(work, i)->valid && shm_entry(work, i)->cookie == s[1]->cookie)
			shm_entry(work, i)->cookie = s[2]->cookie;
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), (int)want);
	/* two entries sharing blocks: the second to claim them is dropped */
	memcpy(work, snap, jsize);
	for (uint32_t i = 0; i < q.max_shm; i++)
		if (i != big && shm_entry(work, i)->valid && shm_entry(work, i)->cookie == s[1]->cookie)
			shm_entry(work, i)->first_block = shm_entry(work, big)->first_block;
	int r = restore_into(g, work, NULL, 1, &bufs, &pages);
	CHECK(r == (int)want || r == (int)want - 1);
	CHECK_EQ(bufs, (uint32_t)r);

	/* garbage everywhere (a seeded storm): never a crash, never more than there was */
	unsigned seed = 7;
	for (int round = 0; round < 20; round++) {
		memcpy(work, snap, jsize);
		for (int k = 0; k < 2000; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t off = o_shm + (seed >> 4) % (size_t)(o_blk + 64 * 256 - o_shm);
			work[off] = (uint8_t)(seed >> 24);
		}
		r = restore_into(g, work, NULL, 1, &bufs, &pages);
		CHECK(r >= 0 && r <= (int)st1.shm_buffers);
		CHECK_EQ(bufs, (uint32_t)r);
		CHECK(pages <= st1.shm_pages);
	}

	/* the live journal follows unregistration: after it, nothing is left to restore */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(guest_shm_unregister(g, s[i]), TEE_SUCCESS);
	guest_shutdown(g);
	vtee_vm_get_stats(guest_vm(g), &st1);
	CHECK_EQ(st1.shm_buffers, 0);
	memcpy(work, j, jsize);
	CHECK_EQ(restore_into(g, work, NULL, 1, &bufs, &pages), 0);
	CHECK_EQ(bufs, 0);

	guest_destroy(g);
	vtee_tee_close(tee);
	free(j);
	free(snap);
	free(work);
	return check_report();
}
