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
#include <stdint.h>

struct vtee_vm;
struct vtee_session;
struct vtee_shm;

struct vtee_journal;

/* At vtee_vm_create: format an empty journal, or note one to restore. */
int vtee_journal_attach(struct vtee_vm *vm, void *mem, size_t size);
void vtee_journal_detach(struct vtee_vm *vm);

/* Table changes. Failures to record (journal full) return false: the caller refuses the change. */
bool vtee_journal_session_add(struct vtee_vm *vm, struct vtee_session *s);
void vtee_journal_session_del(struct vtee_vm *vm, struct vtee_session *s);
bool vtee_journal_shm_add(struct vtee_vm *vm, struct vtee_shm *shm);
void vtee_journal_shm_del(struct vtee_vm *vm, struct vtee_shm *shm);
void vtee_journal_next_session_id(struct vtee_vm *vm);

/* vtee_vm_restore(): rebuild the tables, roll back what the guest never saw. */
int vtee_journal_restore(struct vtee_vm *vm, bool (*delivered)(void *ctx, uint64_t tag), void *ctx);

/* The tag of the SMC the calling thread is serving (0 outside a tagged SMC). */
void vtee_journal_set_tag(uint64_t tag);

#endif
