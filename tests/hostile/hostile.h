/* SPDX-License-Identifier: MIT */
/*
 * Shared scaffolding of the hostile test programs: checks that count and
 * report, raw OPTEE_MSG messages written straight into an attacker guest's
 * RAM, raw call loops, leak checks on vtee_vm_get_stats, and a bystander VM
 * that runs correct test-TA traffic on its own thread while the attack runs.
 */
#ifndef VTEE_TESTS_HOSTILE_H
#define VTEE_TESTS_HOSTILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest.h"
#include "optee_abi.h"
#include "../test_backend.h"
#include "vtee/backend.h"
#include "vtee/test_ta.h"
#include "vtee/vtee.h"

/* ---- checks ---- */

extern atomic_uint h_passed, h_failed;

void h_check_eq(const char *file, int line, const char *what, uint64_t actual, uint64_t expected);
void h_check(const char *file, int line, const char *what, bool ok);
void h_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK_EQ(actual, expected) \
	h_check_eq(__FILE__, __LINE__, #actual, (uint64_t)(actual), (uint64_t)(expected))
#define CHECK(cond) h_check(__FILE__, __LINE__, #cond, (cond))

/* Print "N passed, N failed" and give the exit status. */
int h_finish(void);

/* ---- the TEE and the VMs ---- */

extern const uint8_t h_test_ta_uuid[16];

struct vtee_tee *h_tee_open(void);

struct h_vm_opts {
	uint32_t vm_id;
	struct vtee_quota quota;
	uint32_t slice_us;
	bool no_rpc_arg;
	uint64_t ram0, ram1; /* sizes; ram1 0 = one region */
	bool probe;          /* run guest_probe() so the guest model's client calls work */
};

/* An attacker VM driven through the guest model (raw SMCs + model calls). Exits on failure. */
struct guest *h_guest(struct vtee_tee *tee, const struct h_vm_opts *o);

/* ---- leak checks ---- */

struct vtee_vm_stats h_stats(struct guest *g);
void h_check_same(const char *file, int line, const struct vtee_vm_stats *before, struct guest *g);
/* sessions, shm buffers, shm pages and calls are back where they were */
#define CHECK_NO_LEAK(before, g) h_check_same(__FILE__, __LINE__, (before), (g))

/* ---- raw SMCs and messages ---- */

/* One SMC with the given registers; returns w0 of the answer, regs out in r (may be NULL). */
uint32_t h_smc(struct guest *g, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t r[8]);
/*
 * A yielding SMC run to the end: every FOREIGN_INTR is answered with
 * RETURN_FROM_RPC (a3 = thread, as Linux does). Returns the final a0.
 */
uint32_t h_yield(struct guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t r[8]);
/*
 * Start a yielding call that must still be running after one slice (a SLEEP
 * of some ms): one SMC, repeated while it finishes at once (which happens
 * only when this vCPU thread was preempted for longer than the sleep). The
 * message must stay valid to send again. Returns the a0 of the last try.
 */
uint32_t h_smc_suspend(struct guest *g, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t r[8]);
uint32_t h_call_arg(struct guest *g, uint64_t gpa);                    /* CALL_WITH_ARG */
uint32_t h_call_rpc_arg(struct guest *g, uint64_t gpa);                /* CALL_WITH_RPC_ARG */
uint32_t h_call_regd(struct guest *g, uint64_t cookie, uint64_t offs); /* CALL_WITH_REGD_ARG */

/* n zeroed contiguous pages (exits on failure); the host view of guest RAM at gpa. */
uint64_t h_pages(struct guest *g, size_t n);
void h_pages_free(struct guest *g, uint64_t gpa, size_t n);
void *h_ptr(struct guest *g, uint64_t gpa, size_t len);
/* Get exactly the page at gpa from the model's allocator; false if it is taken. */
bool h_page_at(struct guest *g, uint64_t gpa);

#define H_SENTINEL 0xDEADBEEFu

/* optee_msg_arg's header without the flexible array, to build messages on the stack */
struct h_hdr {
	uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
};
_Static_assert(sizeof(struct h_hdr) == sizeof(struct optee_msg_arg), "header layout");

/* Zero the message at gpa and set its header; ret/ret_origin get H_SENTINEL. */
struct optee_msg_arg *h_msg(struct guest *g, uint64_t gpa, uint32_t cmd, uint32_t session, uint32_t nparams);
void h_param(struct optee_msg_arg *m, uint32_t i, uint64_t attr, uint64_t a, uint64_t b, uint64_t c);

/* OPEN_SESSION on the test TA from raw messages: returns ret, *sess the session. */
uint32_t h_open(struct guest *g, uint64_t page, uint32_t login, uint32_t *sess);
uint32_t h_close(struct guest *g, uint64_t page, uint32_t sess);
/* INC through a raw message: returns ret, *a the incremented value. */
uint32_t h_inc(struct guest *g, uint64_t page, uint32_t sess, uint32_t v, uint32_t *out);
/* REGISTER_SHM of a page list / UNREGISTER_SHM, raw; returns ret (a0 must be OK). */
uint32_t h_register(struct guest *g, uint64_t page, uint64_t buf_ptr, uint64_t size, uint64_t cookie);
uint32_t h_unregister(struct guest *g, uint64_t page, uint64_t cookie);
/* One list page at list_gpa describing n (<= 511) data pages, entry 511 = next. */
void h_list(struct guest *g, uint64_t list_gpa, const uint64_t *pages, size_t n, uint64_t next);

/* FNV-1a 32 like the test TA's HASH. */
uint32_t h_fnv(const uint8_t *b, size_t n);

/* ---- bystander ---- */

struct h_bystander;
/* A second VM on its own thread: INC, REVERSE (tmem, noncontig, rmem), HASH, all checked exactly. */
struct h_bystander *h_bystander_start(struct vtee_tee *tee, uint32_t vm_id);
/* Stop it and check it ran and saw no wrong result; destroys its VM (leak-checked). */
void h_bystander_stop(struct h_bystander *b);

uint64_t h_now_us(void);

#endif
