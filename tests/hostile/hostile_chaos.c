// SPDX-License-Identifier: MIT
/*
 * Hostile: one VM, several vCPUs racing each other. Threads open and close
 * sessions from a shared pool of ids, register and unregister the same
 * cookies, use them as memrefs, sleep, cancel each other's calls and resume
 * (steal) each other's suspended threads. Every answer must be one the ABI
 * allows, every successful result exact, and when the dust settles nothing
 * is left: no session, buffer, page or call slot.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hostile.h"

#define VM_ID     9u
#define NTHREADS  4
#define OPS       1500
#define NCOOKIES  6
#define MAX_CALLS 3u
#define MAX_SESS  6u
#define FOREIGN   (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)

static struct guest *g;
static uint64_t lists[NCOOKIES], data[NCOOKIES][2];
static uint32_t want_hash[NCOOKIES];
static _Atomic uint32_t pool[8]; /* session ids some thread opened (0 = empty) */
static atomic_uint max_sess_id;

struct worker {
	int id;
	uint64_t x;           /* xorshift state */
	uint64_t page;        /* this thread's arg page */
	unsigned bad_answers; /* answers the ABI does not allow */
	unsigned wrong;       /* successful results with wrong values */
	unsigned ok_calls;
	unsigned stolen;      /* calls another vCPU finished for us */
};

static uint64_t rnd(struct worker *w)
{
	w->x ^= w->x << 13;
	w->x ^= w->x >> 7;
	w->x ^= w->x << 17;
	return w->x;
}

static uint64_t cookie_of(unsigned k)
{
	return 0xC0DE0000ull + k;
}

/* A yielding call run to its end; ETHREAD_LIMIT retried a while. Returns a0, or UINT32_MAX if stolen. */
static uint32_t run(struct worker *w, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t r[8];
	for (int tries = 0;; tries++) {
		uint64_t in[8] = { a0, a1, a2, a3, 0, 0, 0, 0 };
		memcpy(r, in, sizeof(r));
		guest_smc(g, r);
		if ((uint32_t)r[0] != OPTEE_SMC_RETURN_ETHREAD_LIMIT || tries > 2000)
			break;
		sched_yield();
	}
	while ((uint32_t)r[0] == FOREIGN) {
		uint64_t t = r[3];
		if (rnd(w) % 4 == 0) { /* "take the interrupt": leave the thread suspended a while */
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
		}
		uint64_t in[8] = { OPTEE_SMC_RETURN_FROM_RPC, 0, 0, t, 0, 0, 0, 0 };
		memcpy(r, in, sizeof(r));
		guest_smc(g, r);
		if ((uint32_t)r[0] == OPTEE_SMC_RETURN_ERESUME) {
			/* another vCPU took our call over: it finishes it, and writes the results
			 * into our page whenever it does, so this page is abandoned */
			w->stolen++;
			w->page = h_pages(g, 1);
			return UINT32_MAX;
		}
	}
	uint32_t res = (uint32_t)r[0];
	if (res != OPTEE_SMC_RETURN_OK && res != OPTEE_SMC_RETURN_ETHREAD_LIMIT)
		w->bad_answers++;
	return res;
}

#define RET_SENTINEL 0x5e5e5e5eu

static uint32_t call(struct worker *w)
{
	/*
	 * Thread ids are reused: once a thief finished our call, the id we still hold
	 * may name someone else's call, which we would then drive to its end. vtee
	 * always writes ret when a call ends, so a sentinel left in place means the
	 * call that ended was not ours: treat that as stolen too.
	 */
	struct optee_msg_arg *m = guest_gpa_ptr(g, w->page, GUEST_PAGE_SIZE);
	m->ret = RET_SENTINEL;
	uint32_t a0 = run(w, OPTEE_SMC_CALL_WITH_ARG, w->page >> 32, w->page & 0xFFFFFFFFu, 0);
	if (a0 == OPTEE_SMC_RETURN_OK && m->ret == RET_SENTINEL) {
		w->stolen++;
		w->page = h_pages(g, 1);
		return UINT32_MAX;
	}
	return a0;
}

static uint32_t pick_session(struct worker *w)
{
	for (int i = 0; i < 8; i++) {
		uint32_t s = atomic_load(&pool[rnd(w) % 8]);
		if (s)
			return s;
	}
	return (uint32_t)(rnd(w) % 8);
}

/* A session turned out to be gone: forget it. */
static void forget(uint32_t s)
{
	for (int i = 0; i < 8; i++) {
		uint32_t e = s;
		atomic_compare_exchange_strong(&pool[i], &e, 0);
	}
}

static void one_op(struct worker *w)
{
	unsigned k = (unsigned)(rnd(w) % NCOOKIES);
	struct optee_msg_arg *m;
	uint32_t a0, s;

	switch (rnd(w) % 9) {
	case 0: /* open */
		m = h_msg(g, w->page, OPTEE_MSG_CMD_OPEN_SESSION, 0, 2);
		h_param(m, 0, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, 0);
		memcpy(m->params[0].u.octets, h_test_ta_uuid, 16);
		h_param(m, 1, OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, TEE_LOGIN_PUBLIC);
		if (call(w) != OPTEE_SMC_RETURN_OK)
			break;
		if (m->ret == TEE_SUCCESS) {
			uint32_t id = m->session, prev = atomic_load(&max_sess_id);
			while (id > prev && !atomic_compare_exchange_weak(&max_sess_id, &prev, id))
				;
			unsigned at = (unsigned)(rnd(w) % 8);
			for (int i = 0; i < 8; i++) /* an empty slot if there is one */
				if (!atomic_load(&pool[(at + (unsigned)i) % 8])) {
					at = (at + (unsigned)i) % 8;
					break;
				}
			atomic_store(&pool[at], id);
		} else if (m->ret != TEE_ERROR_OUT_OF_MEMORY && m->ret != TEE_ERROR_CANCEL) {
			w->bad_answers++;
		}
		break;
	case 1: /* close: one from the pool, or any id ever given out */
		s = rnd(w) & 1 ? pick_session(w) : 1 + (uint32_t)(rnd(w) % (atomic_load(&max_sess_id) + 1));
		m = h_msg(g, w->page, OPTEE_MSG_CMD_CLOSE_SESSION, s, 0);
		if (call(w) != OPTEE_SMC_RETURN_OK)
			break;
		if (m->ret == TEE_SUCCESS || m->ret == TEE_ERROR_ITEM_NOT_FOUND)
			forget(s);
		else
			w->bad_answers++;
		break;
	case 2: /* register a shared cookie */
		m = h_msg(g, w->page, OPTEE_MSG_CMD_REGISTER_SHM, 0, 1);
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG, lists[k], 2 * GUEST_PAGE_SIZE,
			cookie_of(k));
		if (call(w) == OPTEE_SMC_RETURN_OK && m->ret != TEE_SUCCESS && m->ret != TEE_ERROR_BAD_PARAMETERS &&
		    m->ret != TEE_ERROR_OUT_OF_MEMORY)
			w->bad_answers++;
		break;
	case 3: /* unregister it */
		m = h_msg(g, w->page, OPTEE_MSG_CMD_UNREGISTER_SHM, 0, 1);
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 0, cookie_of(k));
		if (call(w) == OPTEE_SMC_RETURN_OK && m->ret != TEE_SUCCESS && m->ret != TEE_ERROR_ITEM_NOT_FOUND &&
		    m->ret != TEE_ERROR_BUSY)
			w->bad_answers++;
		break;
	case 4: /* HASH through it */
		s = pick_session(w);
		m = h_msg(g, w->page, OPTEE_MSG_CMD_INVOKE_COMMAND, s, 2);
		m->func = VTEE_TEST_CMD_HASH;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 2 * GUEST_PAGE_SIZE, cookie_of(k));
		h_param(m, 1, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
		if (call(w) != OPTEE_SMC_RETURN_OK)
			break;
		if (m->ret == TEE_SUCCESS) {
			w->ok_calls++;
			if (m->params[1].u.value.a != want_hash[k] || m->params[1].u.value.b != 2 * GUEST_PAGE_SIZE)
				w->wrong++;
		} else if (m->ret != TEE_ERROR_BAD_PARAMETERS && m->ret != TEE_ERROR_CANCEL) {
			w->bad_answers++;
		}
		break;
	case 5: /* INC */
		s = pick_session(w);
		m = h_msg(g, w->page, OPTEE_MSG_CMD_INVOKE_COMMAND, s, 1);
		m->func = VTEE_TEST_CMD_INC;
		uint32_t v = (uint32_t)rnd(w) >> 1;
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, v, 3, 0);
		if (call(w) != OPTEE_SMC_RETURN_OK)
			break;
		if (m->ret == TEE_SUCCESS) {
			w->ok_calls++;
			if (m->params[0].u.value.a != (uint64_t)v + 1 || m->params[0].u.value.b != 3)
				w->wrong++;
		} else if (m->ret != TEE_ERROR_BAD_PARAMETERS && m->ret != TEE_ERROR_CANCEL) {
			w->bad_answers++;
		}
		break;
	case 6: /* SLEEP, cancellable by the others */
		s = pick_session(w);
		m = h_msg(g, w->page, OPTEE_MSG_CMD_INVOKE_COMMAND, s, 1);
		m->func = VTEE_TEST_CMD_SLEEP;
		m->cancel_id = (uint32_t)(rnd(w) % 4);
		h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 1 + rnd(w) % 3, 0, 0);
		a0 = call(w);
		if (a0 == OPTEE_SMC_RETURN_OK && m->ret != TEE_SUCCESS && m->ret != TEE_ERROR_CANCEL &&
		    m->ret != TEE_ERROR_BAD_PARAMETERS)
			w->bad_answers++;
		break;
	case 7: /* CANCEL someone */
		m = h_msg(g, w->page, OPTEE_MSG_CMD_CANCEL, pick_session(w), 0);
		m->cancel_id = (uint32_t)(rnd(w) % 4);
		if (call(w) == OPTEE_SMC_RETURN_OK && m->ret != TEE_SUCCESS)
			w->bad_answers++;
		break;
	default: { /* steal a thread: resume whatever it is, and drive it to its end if it was suspended */
		uint64_t r[8] = { OPTEE_SMC_RETURN_FROM_RPC, 0, 0, rnd(w) % (MAX_CALLS + 1), 0, 0, 0, 0 };
		guest_smc(g, r);
		while ((uint32_t)r[0] == FOREIGN) {
			uint64_t in[8] = { OPTEE_SMC_RETURN_FROM_RPC, 0, 0, r[3], 0, 0, 0, 0 };
			memcpy(r, in, sizeof(r));
			guest_smc(g, r);
		}
		if ((uint32_t)r[0] != OPTEE_SMC_RETURN_OK && (uint32_t)r[0] != OPTEE_SMC_RETURN_ERESUME)
			w->bad_answers++;
		break;
	}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < OPS; i++)
		one_op(w);
	return NULL;
}

int main(void)
{
	struct vtee_tee *tee = h_tee_open();
	struct h_bystander *by = h_bystander_start(tee, 900);
	g = h_guest(tee, &(struct h_vm_opts){ .vm_id = VM_ID, .ram0 = 4u << 20, .slice_us = 300,
					      .quota = { .max_calls = MAX_CALLS, .max_sessions = MAX_SESS,
							 .max_shm = 4, .max_shm_pages = 6 } });
	struct vtee_vm_stats empty = h_stats(g);
	for (unsigned k = 0; k < NCOOKIES; k++) {
		lists[k] = h_pages(g, 1);
		data[k][0] = h_pages(g, 1);
		data[k][1] = h_pages(g, 1);
		uint8_t buf[2 * GUEST_PAGE_SIZE];
		for (unsigned i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * (k + 3) + k);
		memcpy(h_ptr(g, data[k][0], GUEST_PAGE_SIZE), buf, GUEST_PAGE_SIZE);
		memcpy(h_ptr(g, data[k][1], GUEST_PAGE_SIZE), buf + GUEST_PAGE_SIZE, GUEST_PAGE_SIZE);
		want_hash[k] = h_fnv(buf, sizeof(buf));
		h_list(g, lists[k], data[k], 2, 0);
	}
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .id = i, .x = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1), .page = h_pages(g, 1) };
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	unsigned bad = 0, wrong = 0, ok = 0, stolen = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		bad += w[i].bad_answers;
		wrong += w[i].wrong;
		ok += w[i].ok_calls;
		stolen += w[i].stolen;
	}
	h_note("chaos: %u successful TA calls checked, %u wrong, %u answers out of the ABI, %u calls stolen", ok,
	       wrong, bad, stolen);
	CHECK(ok > 50);
	CHECK_EQ(wrong, 0);
	CHECK_EQ(bad, 0);

	/* settle: nothing may be in flight (every suspended call had a driver) */
	struct vtee_vm_stats st = h_stats(g);
	CHECK_EQ(st.calls, 0);
	uint64_t page = w[0].page;
	for (uint32_t id = 1; id <= atomic_load(&max_sess_id); id++) {
		uint32_t r = h_close(g, page, id);
		CHECK(r == TEE_SUCCESS || r == TEE_ERROR_ITEM_NOT_FOUND);
	}
	for (unsigned k = 0; k < NCOOKIES; k++) {
		uint32_t r = h_unregister(g, page, cookie_of(k));
		CHECK(r == TEE_SUCCESS || r == TEE_ERROR_ITEM_NOT_FOUND);
	}
	CHECK_NO_LEAK(&empty, g);
	/* the TA agrees: no session of this VM is left */
	uint32_t s = 0;
	CHECK_EQ(h_open(g, page, TEE_LOGIN_PUBLIC, &s), TEE_SUCCESS);
	struct optee_msg_arg *m = h_msg(g, page, OPTEE_MSG_CMD_INVOKE_COMMAND, s, 1);
	m->func = VTEE_TEST_CMD_SESSIONS;
	h_param(m, 0, OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	CHECK_EQ(h_call_arg(g, page), OPTEE_SMC_RETURN_OK);
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "chaos: SESSIONS counts only this VM's one session"))
		CHECK_EQ(m->params[0].u.value.a, 1);
	CHECK_EQ(h_close(g, page, s), TEE_SUCCESS);
	CHECK_NO_LEAK(&empty, g);
	guest_destroy(g);
	h_bystander_stop(by);
	vtee_tee_close(tee);
	return h_finish();
}
