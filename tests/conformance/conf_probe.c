// SPDX-License-Identifier: MIT
/*
 * Conformance: fast-call answers, the Linux probe in both call modes
 * (RPC_ARG -> CALL_WITH_REGD_ARG, no_rpc_arg -> CALL_WITH_ARG), TEE-bus device
 * enumeration and the optee-rng driver's flow.
 */
#include "conf.h"

/* ---- a transport that records the function ids the guest used ---------- */

#define FID_LOG_MAX 64
struct fid_log {
	struct vtee_vm *vm;
	_Atomic uint64_t with_arg, with_rpc_arg, with_regd_arg, from_rpc;
	uint32_t first[FID_LOG_MAX];
	_Atomic unsigned nfirst;
};

static void logging_smc(void *ctx, uint64_t regs[8])
{
	struct fid_log *l = ctx;
	uint32_t fid = (uint32_t)regs[0];
	unsigned i = atomic_fetch_add(&l->nfirst, 1);
	if (i < FID_LOG_MAX)
		l->first[i] = fid;
	switch (fid) {
	case OPTEE_SMC_CALL_WITH_ARG: atomic_fetch_add(&l->with_arg, 1); break;
	case OPTEE_SMC_CALL_WITH_RPC_ARG: atomic_fetch_add(&l->with_rpc_arg, 1); break;
	case OPTEE_SMC_CALL_WITH_REGD_ARG: atomic_fetch_add(&l->with_regd_arg, 1); break;
	case OPTEE_SMC_RETURN_FROM_RPC: atomic_fetch_add(&l->from_rpc, 1); break;
	default: break;
	}
	vtee_vm_smc(l->vm, regs);
}

/* ---- fast calls ---------------------------------------------------------- */

static void smc(struct vtee_vm *vm, uint64_t r[8], uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	memset(r, 0, 8 * sizeof(uint64_t));
	r[0] = a0;
	r[1] = a1;
	r[2] = a2;
	r[3] = a3;
	vtee_vm_smc(vm, r);
}

static void test_fast_calls(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct vtee_vm *vm;
	struct vtee_vm_config vc = { .vm_id = no_rpc_arg ? 11 : 10, .name = "fast",
				     .quota = { .max_calls = 7 }, .no_rpc_arg = no_rpc_arg };
	REQUIRE_EQ(vtee_vm_create(tee, &vc, &vm), 0);
	uint64_t r[8];

	smc(vm, r, OPTEE_SMC_CALLS_UID, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_MSG_UID_0);
	CHECK_EQ(r[1], OPTEE_MSG_UID_1);
	CHECK_EQ(r[2], OPTEE_MSG_UID_2);
	CHECK_EQ(r[3], OPTEE_MSG_UID_3);

	smc(vm, r, OPTEE_SMC_CALLS_REVISION, 0, 0, 0);
	CHECK_EQ(r[0], 2);
	CHECK_EQ(r[1], 0);

	smc(vm, r, OPTEE_SMC_GET_OS_UUID, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_MSG_OS_UUID_0);
	CHECK_EQ(r[1], OPTEE_MSG_OS_UUID_1);
	CHECK_EQ(r[2], OPTEE_MSG_OS_UUID_2);
	CHECK_EQ(r[3], OPTEE_MSG_OS_UUID_3);

	smc(vm, r, OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
	CHECK_EQ(r[1], 7);

	uint64_t want_caps = OPTEE_SMC_SEC_CAP_DYNAMIC_SHM | OPTEE_SMC_SEC_CAP_MEMREF_NULL |
			     (no_rpc_arg ? 0 : OPTEE_SMC_SEC_CAP_RPC_ARG);
	smc(vm, r, OPTEE_SMC_EXCHANGE_CAPABILITIES, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
	CHECK_EQ(r[1], want_caps);
	if (!no_rpc_arg)
		CHECK_EQ(r[3] & 0xFF, OPTEE_RPC_MAX_NUM_PARAMS);
	smc(vm, r, OPTEE_SMC_EXCHANGE_CAPABILITIES, OPTEE_SMC_NSEC_CAP_UNIPROCESSOR, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
	CHECK_EQ(r[1], want_caps);
	smc(vm, r, OPTEE_SMC_EXCHANGE_CAPABILITIES, 1u << 1, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	smc(vm, r, OPTEE_SMC_EXCHANGE_CAPABILITIES, 1u << 31, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ENOTAVAIL);

	/* Calls a guest may not make or that have nothing to serve. */
	smc(vm, r, OPTEE_SMC_VM_CREATED, 42, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	smc(vm, r, OPTEE_SMC_VM_DESTROYED, vc.vm_id, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	smc(vm, r, OPTEE_SMC_GET_SHM_CONFIG, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ENOTAVAIL);

	/* The shm cache: empty (ENOTAVAIL) and enabling always works (else Linux hangs). */
	smc(vm, r, OPTEE_SMC_DISABLE_SHM_CACHE, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	smc(vm, r, OPTEE_SMC_ENABLE_SHM_CACHE, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
	smc(vm, r, OPTEE_SMC_DISABLE_SHM_CACHE, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ENOTAVAIL);

	/* Unknown function numbers in the served owner ranges. */
	static const uint32_t unknown[] = {
		0xB2000005u, 0xB2000006u, 0xB2000015u, 0xB20000FFu, 0xB200FFFFu,
		0x32000000u, 0x32000005u, 0x32000006u, 0x32000014u, 0x3200FFFFu,
		0xBF00FF02u, 0xBF000000u, 0xBC000000u, 0xB3000000u,
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		smc(vm, r, unknown[i], 0, 0, 0);
		if (r[0] != SMCCC_RET_UNKNOWN_FUNCTION)
			fprintf(stderr, "unknown fid %#x answered %#llx\n", unknown[i], (unsigned long long)r[0]);
		CHECK_EQ(r[0], SMCCC_RET_UNKNOWN_FUNCTION);
		CHECK(vtee_handles_fid(unknown[i]));
	}
	/* SMC64 variants of real calls. */
	static const uint32_t smc64[] = {
		OPTEE_SMC_CALLS_UID | SMCCC_64BIT, OPTEE_SMC_CALLS_REVISION | SMCCC_64BIT,
		OPTEE_SMC_GET_OS_REVISION | SMCCC_64BIT, OPTEE_SMC_EXCHANGE_CAPABILITIES | SMCCC_64BIT,
		OPTEE_SMC_GET_THREAD_COUNT | SMCCC_64BIT, OPTEE_SMC_CALL_WITH_ARG | SMCCC_64BIT,
		OPTEE_SMC_CALL_WITH_REGD_ARG | SMCCC_64BIT, OPTEE_SMC_RETURN_FROM_RPC | SMCCC_64BIT,
	};
	for (size_t i = 0; i < sizeof(smc64) / sizeof(smc64[0]); i++) {
		smc(vm, r, smc64[i], 0, 0, 0);
		if (r[0] != SMCCC_RET_UNKNOWN_FUNCTION)
			fprintf(stderr, "SMC64 fid %#x answered %#llx\n", smc64[i], (unsigned long long)r[0]);
		CHECK_EQ(r[0], SMCCC_RET_UNKNOWN_FUNCTION);
		CHECK(!vtee_handles_fid(smc64[i]));
	}
	/* Which fids a VMM should route to vtee. */
	CHECK(vtee_handles_fid(OPTEE_SMC_CALLS_UID));
	CHECK(vtee_handles_fid(OPTEE_SMC_CALL_WITH_ARG));
	CHECK(vtee_handles_fid(OPTEE_SMC_EXCHANGE_CAPABILITIES));
	CHECK(!vtee_handles_fid(0x84000000u)); /* PSCI_VERSION, owner 4 */
	CHECK(!vtee_handles_fid(0x80000000u)); /* SMCCC_VERSION, owner 0 */
	CHECK(vtee_handles_fid(0xB0000000u));  /* trusted application owner 48: vtee answers */
	CHECK(!vtee_handles_fid(0xAF000000u)); /* owner 47, reserved */

	/* SMC32: the upper halves of the registers do not count. */
	smc(vm, r, 0xFFFFFFFF00000000ull | OPTEE_SMC_CALLS_REVISION, 0, 0, 0);
	CHECK_EQ(r[0], 2);
	CHECK_EQ(r[1], 0);

	/* RETURN_FROM_RPC with nothing suspended. */
	smc(vm, r, OPTEE_SMC_RETURN_FROM_RPC, 0, 0, 0x1234);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ERESUME);

	struct vtee_vm_stats st;
	vtee_vm_get_stats(vm, &st);
	CHECK_CMP(st.smc_count, >=, 30);
	CHECK_EQ(st.calls, 0);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(vtee_vm_id(vm), vc.vm_id);
	CHECK(strcmp(vtee_vm_name(vm), "fast") == 0);
	vtee_vm_destroy(vm);

	/* Default thread count. */
	vc.vm_id = 12;
	vc.quota.max_calls = 0;
	REQUIRE_EQ(vtee_vm_create(tee, &vc, &vm), 0);
	smc(vm, r, OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
	CHECK_EQ(r[1], VTEE_DEFAULT_MAX_CALLS);
	vtee_vm_destroy(vm);
}

/* ---- probe + calls in one mode ------------------------------------------ */

static void test_probe_mode(struct vtee_tee *tee, bool no_rpc_arg, bool up, bool two_regions)
{
	static struct fid_log log;
	memset(&log, 0, sizeof(log));
	struct vtee_vm_config vc = { .vm_id = 20 + (no_rpc_arg ? 1 : 0) + (up ? 2 : 0), .name = "probe",
				     .quota = { .max_calls = 5 }, .no_rpc_arg = no_rpc_arg };
	struct guest_config gc = { .uniprocessor = up, .smc_fn = logging_smc, .smc_ctx = &log,
				   .ram2_size = two_regions ? 16u << 20 : 0 };
	struct guest *g = conf_guest(tee, &vc, &gc, true);
	log.vm = guest_vm(g);

	int r = guest_probe(g);
	char msg[512];
	if (r) {
		guest_error(g, msg, sizeof(msg));
		fprintf(stderr, "probe failed: %s\n", msg);
	}
	REQUIRE_EQ(r, 0);
	const struct guest_probe_info *pi = guest_probe_info(g);
	CHECK_EQ(pi->api_major, 2);
	CHECK_EQ(pi->api_minor, 0);
	CHECK_EQ(pi->thread_count, 5);
	CHECK_EQ(pi->sec_caps, OPTEE_SMC_SEC_CAP_DYNAMIC_SHM | OPTEE_SMC_SEC_CAP_MEMREF_NULL |
				       (no_rpc_arg ? 0 : OPTEE_SMC_SEC_CAP_RPC_ARG));
	CHECK_EQ(pi->rpc_param_count, no_rpc_arg ? 0 : OPTEE_RPC_MAX_NUM_PARAMS);
	CHECK_EQ(pi->mode, no_rpc_arg ? GUEST_MODE_CALL_WITH_ARG : GUEST_MODE_REGD_ARG);
	CHECK_EQ(pi->shm_cache_enabled, no_rpc_arg);
	if (!no_rpc_arg)
		CHECK_EQ(pi->slot_size, OPTEE_MSG_GET_ARG_SIZE(6) + OPTEE_MSG_GET_ARG_SIZE(4));

	/* The probe's SMCs, in Linux's order. */
	static const uint32_t order[] = { OPTEE_SMC_CALLS_UID, OPTEE_SMC_GET_OS_REVISION,
					  OPTEE_SMC_CALLS_REVISION, OPTEE_SMC_GET_THREAD_COUNT,
					  OPTEE_SMC_EXCHANGE_CAPABILITIES, OPTEE_SMC_DISABLE_SHM_CACHE };
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(log.first[i], order[i]);
	unsigned n = atomic_load(&log.nfirst);
	CHECK_EQ(n, no_rpc_arg ? 7u : 6u);
	if (no_rpc_arg)
		CHECK_EQ(log.first[6], OPTEE_SMC_ENABLE_SHM_CACHE);

	/* Yielding calls in the negotiated mode. */
	uint32_t sess = 0, origin = 0;
	uint32_t ret = guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, &origin);
	CHECK_EQ(ret, TEE_SUCCESS);
	struct guest_param p[4] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 77, 0) };
	ret = guest_invoke(g, sess, VTEE_TEST_CMD_INC, p, 4, 0, &origin);
	CHECK_EQ(ret, TEE_SUCCESS);
	CHECK_EQ(p[0].u.value.a, 42);
	CHECK_EQ(p[0].u.value.b, 77);
	ret = guest_invoke(g, sess, VTEE_TEST_CMD_NULL, NULL, 0, 0, &origin);
	CHECK_EQ(ret, TEE_SUCCESS);
	ret = guest_invoke(g, sess, 0x7777, NULL, 0, 0, &origin);
	CHECK_EQ(ret, TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);

	if (no_rpc_arg) {
		CHECK_CMP(log.with_arg, >=, 4);
		CHECK_EQ(log.with_rpc_arg, 0);
		CHECK_EQ(log.with_regd_arg, 0);
	} else {
		CHECK_EQ(log.with_arg, 0);
		CHECK_CMP(log.with_rpc_arg, >=, 1); /* registering the arg page */
		CHECK_CMP(log.with_regd_arg, >=, 4);
	}

	/* Enumeration, exactly Linux's flow. */
	struct vtee_uuid *devs = NULL;
	size_t ndev = 0;
	r = guest_enumerate_devices(g, GUEST_PTA_CMD_GET_DEVICES, &devs, &ndev);
	if (r) {
		guest_error(g, msg, sizeof(msg));
		fprintf(stderr, "enumeration: %s\n", msg);
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(ndev, 1);
	if (ndev >= 1)
		CHECK(memcmp(devs[0].b, conf_rng_ta, 16) == 0);
	free(devs);
	/* stage 2/3 lists (supplicant, RPMB): nothing to list, not an error */
	for (uint32_t cmd = 1; cmd <= 2; cmd++) {
		devs = NULL;
		ndev = 99;
		CHECK_EQ(guest_enumerate_devices(g, cmd, &devs, &ndev), 0);
		CHECK_EQ(ndev, 0);
		free(devs);
	}
	/* the PTA's own checks: output too small, wrong types */
	{
		static const uint8_t pta[16] = GUEST_PTA_DEVICE_UUID;
		uint32_t ps = 0;
		REQUIRE_EQ(guest_open_session(g, pta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &ps, NULL), TEE_SUCCESS);
		struct guest_buf *b;
		REQUIRE_EQ(guest_buf_alloc(g, 8, 0, GUEST_BUF_CONTIG, &b), 0);
		struct guest_param q[4] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 0, 8, false) };
		CHECK_EQ(guest_invoke(g, ps, GUEST_PTA_CMD_GET_DEVICES, q, 4, 0, NULL), TEE_ERROR_SHORT_BUFFER);
		CHECK_EQ(q[0].u.memref.size, 16);
		struct guest_param v[4] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		CHECK_EQ(guest_invoke(g, ps, GUEST_PTA_CMD_GET_DEVICES, v, 4, 0, NULL), TEE_ERROR_BAD_PARAMETERS);
		guest_buf_free(g, b);
		CHECK_EQ(guest_close_session(g, ps), TEE_SUCCESS);
	}

	struct guest_stats gs;
	guest_get_stats(g, &gs);
	CHECK_EQ(gs.comm_errors, 0);
	CHECK_EQ(gs.rpc_unknown, 0);
	CHECK_EQ(gs.ethread_limit_alone, 0);

	guest_shutdown(g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	guest_get_stats(g, &gs);
	CHECK_EQ(st.smc_count, gs.smc); /* every SMC the guest made was counted, nothing else */
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	CHECK_EQ(st.calls, 0);
	guest_destroy(g);
}

/* ---- optee-rng ----------------------------------------------------------- */

static void test_rng(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct vtee_vm_config vc = { .vm_id = 30 + (no_rpc_arg ? 1 : 0), .name = "rng", .no_rpc_arg = no_rpc_arg };
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	uint32_t sess = 0, origin = 0;
	uint32_t ret = guest_open_session(g, conf_rng_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, &origin);
	REQUIRE_EQ(ret, TEE_SUCCESS);

	struct guest_param p[4] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	ret = guest_invoke(g, sess, CONF_RNG_CMD_GET_RNG_INFO, p, 4, 0, &origin);
	CHECK_EQ(ret, TEE_SUCCESS);
	CHECK_CMP(p[0].u.value.a, >, 0);     /* data rate */
	CHECK_CMP(p[0].u.value.b, >, 0);     /* quality */
	CHECK_CMP(p[0].u.value.b, <=, 1024); /* per 1024 bits */

	struct guest_shm *shm = NULL;
	ret = guest_shm_alloc(g, 4096, GUEST_BUF_CONTIG, &shm);
	REQUIRE_EQ(ret, TEE_SUCCESS);
	uint8_t a[64], b[64], zero[64] = { 0 };
	for (int round = 0; round < 2; round++) {
		guest_buf_fill(g, shm->buf, 0, 0, 4096);
		struct guest_param q[4] = { guest_param_rmem(VTEE_PARAM_MEMREF_INOUT, shm, 0, 64) };
		ret = guest_invoke(g, sess, CONF_RNG_CMD_GET_ENTROPY, q, 4, 0, &origin);
		CHECK_EQ(ret, TEE_SUCCESS);
		CHECK_EQ(q[0].u.memref.size, 64);
		guest_buf_read(g, shm->buf, 0, round ? b : a, 64);
		/* Nothing beyond the requested size was written. */
		uint8_t tail[64];
		guest_buf_read(g, shm->buf, 64, tail, 64);
		CHECK(memcmp(tail, zero, 64) == 0);
	}
	CHECK(memcmp(a, zero, 64) != 0);
	CHECK(memcmp(b, zero, 64) != 0);
	CHECK(memcmp(a, b, 64) != 0);

	/* Wrong parameter types are refused. */
	struct guest_param bad[4] = { guest_param_value(VTEE_PARAM_VALUE_IN, 0, 0, 0) };
	ret = guest_invoke(g, sess, CONF_RNG_CMD_GET_ENTROPY, bad, 4, 0, &origin);
	CHECK_EQ(ret, TEE_ERROR_BAD_PARAMETERS);

	CHECK_EQ(guest_shm_unregister(g, shm), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	guest_shutdown(g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	guest_destroy(g);
}

/* ---- the yielding-call ABI seen raw ------------------------------------- */

static uint64_t arg_page(struct guest *g, uint32_t cmd, uint32_t func, uint32_t session, uint32_t nparams,
			 struct optee_msg_arg **out)
{
	uint64_t pa = 0;
	REQUIRE_EQ(guest_pages_alloc(g, 1, &pa), 0);
	struct optee_msg_arg *a = guest_gpa_ptr(g, pa, GUEST_PAGE_SIZE);
	a->cmd = cmd;
	a->func = func;
	a->session = session;
	a->num_params = nparams;
	*out = a;
	return pa;
}

static void yielding(struct guest *g, uint64_t r[8], uint32_t fid, uint64_t pa)
{
	memset(r, 0, 8 * sizeof(uint64_t));
	r[0] = fid;
	r[1] = pa >> 32;
	r[2] = pa & 0xFFFFFFFFu;
	guest_smc(g, r);
}

static void test_raw_yielding(struct vtee_tee *tee)
{
	struct vtee_vm_config vc = { .vm_id = 40, .name = "raw", .quota = { .max_calls = 1 } };
	struct guest_config gc = { .ram2_size = 1u << 20 };
	struct guest *g = conf_guest(tee, &vc, &gc, false);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);
	uint64_t r[8];

	/* A 200 ms call: the vCPU comes back with FOREIGN_INTR, a3 names the thread. */
	struct optee_msg_arg *slow, *quick;
	uint64_t pa_slow = arg_page(g, OPTEE_MSG_CMD_INVOKE_COMMAND, VTEE_TEST_CMD_SLEEP, sess, 1, &slow);
	slow->params[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	slow->params[0].u.value.a = 200;
	slow->ret = 0x5555;
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, pa_slow);
	CHECK_EQ(r[0], OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR);
	uint64_t tid = r[3], resume[3] = { r[1], r[2], r[3] };

	/* max_calls = 1: another call meets ETHREAD_LIMIT with its registers preserved */
	uint64_t pa_quick = arg_page(g, OPTEE_MSG_CMD_INVOKE_COMMAND, VTEE_TEST_CMD_NULL, sess, 0, &quick);
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, pa_quick);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	CHECK_EQ(r[1], pa_quick >> 32);
	CHECK_EQ(r[2], pa_quick & 0xFFFFFFFFu);

	/* Resuming a thread that is not suspended */
	memset(r, 0, sizeof(r));
	r[0] = OPTEE_SMC_RETURN_FROM_RPC;
	r[3] = tid + 1;
	guest_smc(g, r);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ERESUME);

	/* Resume properly until done; count the round trips. */
	unsigned trips = 0;
	for (;;) {
		memset(r, 0, sizeof(r));
		r[0] = OPTEE_SMC_RETURN_FROM_RPC;
		r[1] = resume[0];
		r[2] = resume[1];
		r[3] = resume[2];
		guest_smc(g, r);
		if (r[0] != (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR))
			break;
		CHECK_EQ(r[3], tid);
		resume[0] = r[1];
		resume[1] = r[2];
		resume[2] = r[3];
		if (++trips > 100000)
			break;
	}
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
	CHECK_EQ(slow->ret, TEE_SUCCESS);
	CHECK_CMP(trips, >=, 20);
	/* Resuming it again: it is finished */
	memset(r, 0, sizeof(r));
	r[0] = OPTEE_SMC_RETURN_FROM_RPC;
	r[3] = tid;
	guest_smc(g, r);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_ERESUME);

	/*
	 * Now the quick one goes through. Quick for the TEE, but a busy host or a
	 * remote TEE may take longer than a slice: then it yields like any call,
	 * and a guest must resume it to the end, as Linux does (until then it
	 * holds the VM's one thread: everything after would meet ETHREAD_LIMIT).
	 */
	quick->ret = 0x5555;
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, pa_quick);
	for (unsigned i = 0; r[0] == (OPTEE_SMC_RPC_PREFIX | OPTEE_SMC_RPC_FUNC_FOREIGN_INTR) && i < 100000; i++) {
		r[0] = OPTEE_SMC_RETURN_FROM_RPC;
		guest_smc(g, r);
	}
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_OK);
	CHECK_EQ(quick->ret, TEE_SUCCESS);

	/* Validation per optee-abi.md 2.8 / 3.4 */
	struct vtee_vm_stats st0, st1;
	vtee_vm_get_stats(guest_vm(g), &st0);
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, 0x1000); /* not RAM */
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_EBADADDR);
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, GUEST_RAM0_GPA + (64ull << 20)); /* the hole */
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_EBADADDR);
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, pa_quick + 8); /* not page aligned */
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_EBADADDR);
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, GUEST_RAM1_GPA + (1u << 20) - 4096); /* last page of region 1 */
	CHECK(r[0] != OPTEE_SMC_RETURN_EBADADDR); /* valid address: a zeroed page = OPEN_SESSION w/o params */
	quick->num_params = 128;
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, pa_quick);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_EBADADDR);
	quick->num_params = 0;
	quick->cmd = 99;
	yielding(g, r, OPTEE_SMC_CALL_WITH_ARG, pa_quick);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_EBADCMD);
	memset(r, 0, sizeof(r));
	r[0] = OPTEE_SMC_CALL_WITH_REGD_ARG;
	r[1] = 0x12345678;
	r[2] = 0x9abcdef0;
	guest_smc(g, r);
	CHECK_EQ(r[0], OPTEE_SMC_RETURN_EBADADDR);
	vtee_vm_get_stats(guest_vm(g), &st1);
	CHECK_CMP(st1.bad_requests, >, st0.bad_requests);
	CHECK_EQ(st1.calls, 0);

	guest_pages_free(g, pa_slow, 1);
	guest_pages_free(g, pa_quick, 1);
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	guest_shutdown(g);
	guest_destroy(g);
}

int main(int argc, char **argv)
{
	conf_args(argc, argv);
	struct vtee_tee *tee = conf_tee();
	test_fast_calls(tee, false);
	test_fast_calls(tee, true);
	test_probe_mode(tee, false, false, false);
	test_probe_mode(tee, true, false, false);
	test_probe_mode(tee, false, true, true);
	test_probe_mode(tee, true, true, true);
	test_rng(tee, false);
	test_rng(tee, true);
	test_raw_yielding(tee);
	vtee_tee_close(tee);
	return check_report();
}
