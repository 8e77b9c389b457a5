/* SPDX-License-Identifier: MIT */
/*
 * The recovery journal: a VM's session and shared-memory tables, kept in
 * memory that outlives the mediator process (a memfd its supervisor holds),
 * so a restarted mediator can take the VM over (docs/recovery.md).
 *
 * It is a set of fixed-size tables, not a log: every change is one entry
 * written in place and published by a single aligned store, so a process
 * killed at any instant leaves each entry either whole or absent. Entries
 * carry the tag of the SMC that made them; a restart rolls back the ones
 * whose answer never reached the guest.
 *
 * All functions run under vm->lock. A VM without a journal has vm->jn NULL
 * and every call here is a no-op.
 */
#ifndef VTEE_JOURNAL_H
#define VTEE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vtee_vm;
struct vtee_session;
struct vtee_shm;

struct vtee_journal;
struct vtee_quota;

/* ---- the format in the shared memory (see journal.c for the layout) ---- */

#define JN_MAGIC   0x4C4A5456u /* "VTJL" */
#define JN_VERSION 1u
#define JN_GPAS    31u

#include <stdatomic.h>

struct jn_hdr {
	uint32_t magic, version;
	uint32_t vm_id, restores;
	uint32_t max_sessions, max_shm;
	uint64_t max_shm_pages;
	uint32_t nblocks, next_session_id;
	uint64_t size;
	uint8_t pad[16];
};

struct jn_session {
	_Atomic uint32_t id; /* guest session id; written last, cleared first */
	uint32_t pad;
	uint64_t handle;     /* back-end's session_export() name */
	uint64_t tag;        /* SMC that created it; 0 = known delivered */
};

struct jn_shm {
	_Atomic uint32_t valid; /* written last, cleared first */
	uint32_t first_off;
	uint64_t cookie, size, npages, tag;
	uint32_t first_block;   /* index + 1 */
	uint32_t pad;
};

struct jn_block {
	uint64_t gpa[JN_GPAS];
	uint32_t next; /* index + 1, 0 = end */
	uint32_t pad;
};

_Static_assert(sizeof(struct jn_hdr) == 64, "journal header");
_Static_assert(sizeof(struct jn_session) == 24, "journal session");
_Static_assert(sizeof(struct jn_shm) == 48, "journal shm");
_Static_assert(sizeof(struct jn_block) == 256, "journal block");


/* Offsets of the tables for these (effective) quotas, and the whole size. */
void vtee_journal_layout(const struct vtee_quota *q, uint64_t *o_sess, uint64_t *o_shm, uint64_t *o_blk,
			 uint64_t *total);


/* At vtee_vm_create: format an empty journal, or note one to restore. */
int vtee_journal_attach(struct vtee_vm *vm, void *mem, size_t size);
void vtee_journal_detach(struct vtee_vm *vm);

/* Table changes. 0, or -ENOSPC (journal full) / -EINVAL (no handle): the caller refuses the change. */
/* tag: the SMC whose answer makes the change known to the guest (0: known already). */
int vtee_journal_session_add(struct vtee_vm *vm, struct vtee_session *s, uint64_t tag);
void vtee_journal_session_del(struct vtee_vm *vm, struct vtee_session *s);
int vtee_journal_shm_add(struct vtee_vm *vm, struct vtee_shm *shm, uint64_t tag);
void vtee_journal_shm_del(struct vtee_vm *vm, struct vtee_shm *shm);
void vtee_journal_next_session_id(struct vtee_vm *vm);

/* vtee_vm_restore(): rebuild the tables, roll back what the guest never saw. */
int vtee_journal_restore(struct vtee_vm *vm, bool (*delivered)(void *ctx, uint64_t tag), void *ctx);

#endif
