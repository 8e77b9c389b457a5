// SPDX-License-Identifier: MIT
/*
 * Conformance: the test TA with every parameter kind (values, contiguous and
 * non-contiguous temporary memrefs, NULL memrefs, registered memrefs whole and
 * partial), REGISTER_SHM of big buffers, WHOAMI identity and per-VM isolation.
 * Runs everything in both call modes.
 */
#include "conf.h"

struct env {
	struct guest *g;
	uint32_t sess;
	uint32_t vm_id;
	bool no_rpc_arg;
};

static uint32_t invoke(struct env *e, uint32_t cmd, struct guest_param *p, unsigned n)
{
	uint32_t origin = 0;
	uint32_t ret = guest_invoke(e->g, e->sess, cmd, p, n, 0, &origin);
	if (ret != TEE_SUCCESS && ret != TEE_ERROR_SHORT_BUFFER && ret != TEE_ERROR_BAD_PARAMETERS) {
		char msg[512];
		guest_error(e->g, msg, sizeof(msg));
		fprintf(stderr, "  invoke cmd %u: ret %#x origin %u (%s)\n", cmd, ret, origin, msg);
	}
	return ret;
}

static void reverse_local(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t = b[i];
		b[i] = b[n - 1 - i];
		b[n - 1 - i] = t;
	}
}

/* HASH [0] (a memref param built by the caller) and compare with local FNV-1a of want. */
static void check_hash(struct env *e, struct guest_param mem, const uint8_t *want, size_t n)
{
	struct guest_param p[2] = { mem, guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	uint32_t ret = invoke(e, VTEE_TEST_CMD_HASH, p, 2);
	CHECK_EQ(ret, TEE_SUCCESS);
	CHECK_EQ(p[1].u.value.a, conf_fnv1a(want, n));
	CHECK_EQ(p[1].u.value.b, (uint32_t)n);
}

/* ---- values -------------------------------------------------------------- */

static void test_values(struct env *e)
{
	struct guest_param p[4] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 0xFFFFFFFEu, 0x1234, 0x5678) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_INC, p, 4), TEE_SUCCESS);
	CHECK_EQ(p[0].u.value.a, 0xFFFFFFFFu);
	CHECK_EQ(p[0].u.value.b, 0x1234);

	/* VALUE_OUT */
	struct guest_param w[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0xdead, 0xbeef, 0) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_WHOAMI, w, 1), TEE_SUCCESS);
	if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "params: WHOAMI reports VM %u's id", e->vm_id))
		CHECK_EQ(w[0].u.value.a, e->vm_id);
	CHECK_EQ(w[0].u.value.b, TEE_LOGIN_PUBLIC);

	/* VALUE_IN: SLEEP 1 ms */
	struct guest_param s[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 1, 0, 0) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_SLEEP, s, 1), TEE_SUCCESS);

	/* Wrong types are refused by the TA. */
	struct guest_param bad[1] = { guest_param_value(VTEE_PARAM_VALUE_IN, 1, 0, 0) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_INC, bad, 1), TEE_ERROR_BAD_PARAMETERS);
}

/* ---- an RPC to the guest kernel: REE time ------------------------------ */

static void test_ree_time(struct env *e)
{
	struct guest_stats g0, g1;
	guest_get_stats(e->g, &g0);
	for (int i = 0; i < 3; i++) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		struct guest_param p[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
		CHECK_EQ(invoke(e, VTEE_TEST_CMD_REE_TIME, p, 1), TEE_SUCCESS);
		CHECK_CMP(p[0].u.value.a, >=, (uint64_t)now.tv_sec);
		CHECK_CMP(p[0].u.value.a, <=, (uint64_t)now.tv_sec + 2);
		CHECK_CMP(p[0].u.value.b, <, 1000000000u);
	}
	guest_get_stats(e->g, &g1);
	if (test_backend_has(TEST_CAP_RPC_TO_MODEL,
			     "params: REE_TIME's RPCs (cmd, alloc, free) counted by the modelled driver")) {
		CHECK_EQ(g1.rpc_cmd - g0.rpc_cmd, 3);
		/* Without an appended RPC arg the TEE borrows a page: ALLOC before, FREE after. */
		CHECK_EQ(g1.rpc_alloc - g0.rpc_alloc, e->no_rpc_arg ? 3 : 0);
		CHECK_EQ(g1.rpc_free - g0.rpc_free, e->no_rpc_arg ? 3 : 0);
	}
	CHECK_EQ(g1.rpc_unknown, g0.rpc_unknown);
	CHECK_EQ(g1.comm_errors, g0.comm_errors);
}

/* ---- contiguous temporary memrefs --------------------------------------- */

static void test_tmem_contig(struct env *e)
{
	struct guest *g = e->g;
	enum { N = 9000, OFF = 123 };
	uint8_t *data = conf_malloc(N), *back = conf_malloc(N);
	conf_pattern(data, N, 1);
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, N, OFF, GUEST_BUF_CONTIG, &b), 0);
	guest_buf_write(g, b, 0, data, N);

	/* in: hash all of it, and a piece in the middle */
	check_hash(e, guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, N, false), data, N);
	check_hash(e, guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 4000, 333, false), data + 4000, 333);

	/* inout: reverse in place across pages */
	struct guest_param p[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, b, 0, N, false) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, p, 1), TEE_SUCCESS);
	CHECK_EQ(p[0].u.memref.size, N);
	guest_buf_read(g, b, 0, back, N);
	reverse_local(data, N);
	CHECK(memcmp(back, data, N) == 0);

	/* in -> out between two contiguous buffers */
	struct guest_buf *o;
	REQUIRE_EQ(guest_buf_alloc(g, N, 7, GUEST_BUF_CONTIG, &o), 0);
	struct guest_param q[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, N, false),
				    guest_param_tmem(VTEE_PARAM_MEMREF_OUT, o, 0, N, false) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, q, 2), TEE_SUCCESS);
	CHECK_EQ(q[1].u.memref.size, N);
	guest_buf_read(g, o, 0, back, N);
	reverse_local(data, N);
	CHECK(memcmp(back, data, N) == 0);

	/* out: FILL a window, bytes around it untouched */
	guest_buf_fill(g, o, 0, 0x11, N);
	struct guest_param f[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, o, 100, 5000, false),
				    guest_param_value(VTEE_PARAM_VALUE_IN, 0x5a, 0, 0) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_FILL, f, 2), TEE_SUCCESS);
	guest_buf_read(g, o, 0, back, N);
	size_t bad = 0;
	for (size_t i = 0; i < N; i++)
		bad += back[i] != ((i >= 100 && i < 5100) ? 0x5a : 0x11);
	CHECK_EQ(bad, 0);

	/* SHORT_BUFFER: output too small, needed size reported, output untouched */
	guest_buf_fill(g, o, 0, 0x22, N);
	struct guest_param s[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, 100, false),
				    guest_param_tmem(VTEE_PARAM_MEMREF_OUT, o, 0, 50, false) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, s, 2), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(s[1].u.memref.size, 100);
	guest_buf_read(g, o, 0, back, 100);
	bad = 0;
	for (size_t i = 0; i < 100; i++)
		bad += back[i] != 0x22;
	CHECK_EQ(bad, 0);

	guest_buf_free(g, o);
	guest_buf_free(g, b);
	free(data);
	free(back);
}

/* ---- non-contiguous temporary memrefs ----------------------------------- */

static void test_tmem_noncontig(struct env *e, size_t pages, uint32_t off, enum guest_buf_layout layout)
{
	struct guest *g = e->g;
	size_t n = pages * GUEST_PAGE_SIZE - off - 17;
	uint8_t *data = conf_malloc(n), *back = conf_malloc(n);
	conf_pattern(data, n, (uint32_t)pages);
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, n, off, layout, &b), 0);
	REQUIRE_EQ(b->npages, pages);
	/* The layout really is scattered. */
	size_t adjacent = 0;
	for (size_t i = 0; i + 1 < b->npages; i++)
		adjacent += b->gpa[i + 1] == b->gpa[i] + GUEST_PAGE_SIZE;
	CHECK_EQ(adjacent, 0);
	guest_buf_write(g, b, 0, data, n);

	check_hash(e, guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, n, true), data, n);
	/* a window starting mid-page, not at the buffer start */
	if (pages >= 8) {
		size_t wo = 3 * GUEST_PAGE_SIZE + 1000, wn = n - wo - 5000;
		check_hash(e, guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, wo, wn, true), data + wo, wn);
	}

	struct guest_param p[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_INOUT, b, 0, n, true) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, p, 1), TEE_SUCCESS);
	CHECK_EQ(p[0].u.memref.size, n);
	guest_buf_read(g, b, 0, back, n);
	reverse_local(data, n);
	CHECK(memcmp(back, data, n) == 0);

	struct guest_param f[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 10, n - 20, true),
				    guest_param_value(VTEE_PARAM_VALUE_IN, 0xc3, 0, 0) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_FILL, f, 2), TEE_SUCCESS);
	guest_buf_read(g, b, 0, back, n);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += back[i] != ((i >= 10 && i < n - 10) ? 0xc3 : data[i]);
	CHECK_EQ(bad, 0);

	guest_buf_free(g, b);
	free(data);
	free(back);
}

/* ---- NULL memrefs -------------------------------------------------------- */

static void test_null(struct env *e)
{
	struct guest *g = e->g;
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, 100, 0, GUEST_BUF_CONTIG, &b), 0);
	uint8_t d[100];
	conf_pattern(d, 100, 5);
	guest_buf_write(g, b, 0, d, 100);

	/* REVERSE into a NULL output: SHORT_BUFFER with the needed size */
	struct guest_param p[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, 100, false),
				    guest_param_null(VTEE_PARAM_MEMREF_OUT) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, p, 2), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(p[1].u.memref.size, 100);

	/* HASH of a NULL empty input: the empty hash */
	check_hash(e, guest_param_null(VTEE_PARAM_MEMREF_IN), d, 0);

	/* A NULL memref that claims a size where the TA must read it */
	struct guest_param h[2] = { guest_param_null(VTEE_PARAM_MEMREF_IN),
				    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	h[0].u.memref.size = 10;
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_HASH, h, 2), TEE_ERROR_BAD_PARAMETERS);

	/* LOAD into NULL after STORE: SHORT_BUFFER + stored size */
	struct guest_param st[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, 37, false) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_STORE, st, 1), TEE_SUCCESS);
	struct guest_param ld[1] = { guest_param_null(VTEE_PARAM_MEMREF_OUT) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_LOAD, ld, 1), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(ld[0].u.memref.size, 37);

	/* WHOAMI client uuid into NULL: SHORT_BUFFER 16 */
	struct guest_param w[2] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0),
				    guest_param_null(VTEE_PARAM_MEMREF_OUT) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_WHOAMI, w, 2), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(w[1].u.memref.size, 16);
	guest_buf_free(g, b);
}

/* ---- registered memrefs -------------------------------------------------- */

static void test_rmem(struct env *e)
{
	struct guest *g = e->g;
	enum { N = 70000, OFF = 0x80 };
	uint8_t *data = conf_malloc(N), *back = conf_malloc(N);
	conf_pattern(data, N, 77);
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, N, OFF, GUEST_BUF_SCATTER, &b), 0);
	guest_buf_write(g, b, 0, data, N);

	struct vtee_vm_stats st0, st1;
	vtee_vm_get_stats(guest_vm(g), &st0);
	struct guest_shm *shm = NULL;
	uint32_t ret = guest_shm_register(g, b, 0, N, &shm);
	REQUIRE_EQ(ret, TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st1);
	CHECK_EQ(st1.shm_buffers, st0.shm_buffers + 1);
	CHECK_EQ(st1.shm_pages, st0.shm_pages + b->npages);

	/* whole */
	check_hash(e, guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 0, N), data, N);
	/* partial, starting inside a page */
	check_hash(e, guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 5000, 20000), data + 5000, 20000);
	check_hash(e, guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, N - 1, 1), data + N - 1, 1);

	/* partial in-place reverse across page boundaries */
	struct guest_param p[1] = { guest_param_rmem(VTEE_PARAM_MEMREF_INOUT, shm, 4090, 9000) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, p, 1), TEE_SUCCESS);
	CHECK_EQ(p[0].u.memref.size, 9000);
	reverse_local(data + 4090, 9000);
	guest_buf_read(g, b, 0, back, N);
	CHECK(memcmp(back, data, N) == 0);

	/* in -> out inside the same registered buffer (disjoint ranges) */
	struct guest_param q[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 100, 3000),
				    guest_param_rmem(VTEE_PARAM_MEMREF_OUT, shm, 40000, 5000) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, q, 2), TEE_SUCCESS);
	CHECK_EQ(q[1].u.memref.size, 3000);
	memcpy(data + 40000, data + 100, 3000);
	reverse_local(data + 40000, 3000);
	guest_buf_read(g, b, 0, back, N);
	CHECK(memcmp(back, data, N) == 0);

	/* out: FILL a partial window */
	struct guest_param f[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_OUT, shm, 60000, 9999),
				    guest_param_value(VTEE_PARAM_VALUE_IN, 0x3c, 0, 0) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_FILL, f, 2), TEE_SUCCESS);
	memset(data + 60000, 0x3c, 9999);
	guest_buf_read(g, b, 0, back, N);
	CHECK(memcmp(back, data, N) == 0);

	/* SHORT_BUFFER with RMEM output */
	struct guest_param s[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 0, 500),
				    guest_param_rmem(VTEE_PARAM_MEMREF_OUT, shm, 1000, 499) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_REVERSE, s, 2), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(s[1].u.memref.size, 500);
	guest_buf_read(g, b, 0, back, N);
	CHECK(memcmp(back, data, N) == 0);

	/* Out of the registered range, or an unknown cookie: refused, nothing written */
	struct guest_param oor[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_OUT, shm, N - 10, 11),
				      guest_param_value(VTEE_PARAM_VALUE_IN, 0xee, 0, 0) };
	uint32_t origin = 0;
	ret = guest_invoke(g, e->sess, VTEE_TEST_CMD_FILL, oor, 2, 0, &origin);
	CHECK(ret != TEE_SUCCESS);
	struct guest_shm fake = *shm;
	fake.cookie = 0x1122334455667788ull;
	struct guest_param unk[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_OUT, &fake, 0, 10),
				      guest_param_value(VTEE_PARAM_VALUE_IN, 0xee, 0, 0) };
	ret = guest_invoke(g, e->sess, VTEE_TEST_CMD_FILL, unk, 2, 0, &origin);
	CHECK(ret != TEE_SUCCESS);
	guest_buf_read(g, b, 0, back, N);
	CHECK(memcmp(back, data, N) == 0);

	uint64_t old_cookie = shm->cookie;
	CHECK_EQ(guest_shm_unregister(g, shm), TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st1);
	CHECK_EQ(st1.shm_buffers, st0.shm_buffers);
	CHECK_EQ(st1.shm_pages, st0.shm_pages);

	/* The cookie is gone: using it now fails. */
	fake.cookie = old_cookie;
	struct guest_param gone[2] = { guest_param_rmem(VTEE_PARAM_MEMREF_IN, &fake, 0, 10),
				       guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	ret = guest_invoke(g, e->sess, VTEE_TEST_CMD_HASH, gone, 2, 0, &origin);
	CHECK(ret != TEE_SUCCESS);

	guest_buf_free(g, b);
	free(data);
	free(back);
}

/* ---- big registrations --------------------------------------------------- */

static void test_register_big(struct env *e, size_t size, enum guest_buf_layout layout)
{
	struct guest *g = e->g;
	struct vtee_vm_stats st0, st1;
	vtee_vm_get_stats(guest_vm(g), &st0);
	struct guest_shm *shm = NULL;
	uint32_t ret = guest_shm_alloc(g, size, layout, &shm);
	CHECK_EQ(ret, TEE_SUCCESS);
	if (ret != TEE_SUCCESS)
		return;
	vtee_vm_get_stats(guest_vm(g), &st1);
	CHECK_EQ(st1.shm_buffers, st0.shm_buffers + 1);
	CHECK_EQ(st1.shm_pages, st0.shm_pages + size / GUEST_PAGE_SIZE);

	uint8_t *data = conf_malloc(size);
	conf_pattern(data, size, (uint32_t)size);
	guest_buf_write(g, shm->buf, 0, data, size);
	check_hash(e, guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, 0, size), data, size);
	check_hash(e, guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, size - 600000, 500000),
		   data + size - 600000, 500000);
	/* The last byte only: the page-list walk reached the end. */
	check_hash(e, guest_param_rmem(VTEE_PARAM_MEMREF_IN, shm, size - 1, 1), data + size - 1, 1);

	CHECK_EQ(guest_shm_unregister(g, shm), TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st1);
	CHECK_EQ(st1.shm_buffers, st0.shm_buffers);
	CHECK_EQ(st1.shm_pages, st0.shm_pages);
	free(data);
}

/* ---- identity ------------------------------------------------------------ */

static void test_whoami(struct env *e)
{
	struct guest *g = e->g;
	static const uint8_t cu[16] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0x5c, 0xde,
					0x8f, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd };
	static const struct { uint32_t login; const uint8_t *uuid; } logins[] = {
		{ TEE_LOGIN_PUBLIC, NULL }, { TEE_LOGIN_USER, cu }, { TEE_LOGIN_GROUP, cu },
		{ TEE_LOGIN_REE_KERNEL, NULL },
	};
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, 16, 4000, GUEST_BUF_SCATTER, &b), 0);
	for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
		uint32_t s = 0, origin = 0;
		uint32_t ret = guest_open_session(g, conf_test_ta, logins[i].login, logins[i].uuid, NULL, 0, 0,
						  &s, &origin);
		CHECK_EQ(ret, TEE_SUCCESS);
		if (ret != TEE_SUCCESS)
			continue;
		guest_buf_fill(g, b, 0, 0xff, 16);
		/* a 16-byte output that straddles two scattered pages */
		struct guest_param p[2] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0),
					    guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 0, 16, true) };
		ret = guest_invoke(g, s, VTEE_TEST_CMD_WHOAMI, p, 2, 0, &origin);
		CHECK_EQ(ret, TEE_SUCCESS);
		if (test_backend_has(TEST_CAP_PER_VM_IDENTITY, "params: WHOAMI (login %#x) reports VM %u's id",
				     logins[i].login, e->vm_id))
			CHECK_EQ(p[0].u.value.a, e->vm_id);
		/* PUBLIC with no client UUID reaches the TA as it is on any back-end */
		bool as_given = logins[i].login == TEE_LOGIN_PUBLIC ||
				test_backend_has(TEST_CAP_LOGINS_PASSED,
						 "params: WHOAMI reports login %#x and its client UUID", logins[i].login);
		if (as_given)
			CHECK_EQ(p[0].u.value.b, logins[i].login);
		CHECK_EQ(p[1].u.memref.size, 16);
		uint8_t got[16], zero[16] = { 0 };
		guest_buf_read(g, b, 0, got, 16);
		if (as_given)
			CHECK(memcmp(got, logins[i].uuid ? logins[i].uuid : zero, 16) == 0);
		CHECK_EQ(guest_close_session(g, s), TEE_SUCCESS);
	}
	guest_buf_free(g, b);
}

/* ---- sessions ------------------------------------------------------------ */

static void test_sessions(struct env *e)
{
	struct guest *g = e->g;
	uint32_t s[3], origin = 0;
	/* OPEN_SESSION carrying TA parameters */
	struct guest_param op[2] = { guest_param_value(VTEE_PARAM_VALUE_IN, 1, 2, 3),
				     guest_param_null(VTEE_PARAM_MEMREF_IN) };
	for (int i = 0; i < 3; i++)
		CHECK_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, op, 2, 0, &s[i], &origin),
			 TEE_SUCCESS);
	CHECK(s[0] != s[1] && s[1] != s[2] && s[0] != s[2]);
	struct guest_param c[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_SESSIONS, c, 1), TEE_SUCCESS);
	CHECK_EQ(c[0].u.value.a, 4); /* e->sess + 3 */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(guest_close_session(g, s[i]), TEE_SUCCESS);
	CHECK_EQ(invoke(e, VTEE_TEST_CMD_SESSIONS, c, 1), TEE_SUCCESS);
	CHECK_EQ(c[0].u.value.a, 1);

	/* A closed session is gone */
	uint32_t ret = guest_invoke(g, s[1], VTEE_TEST_CMD_NULL, NULL, 0, 0, &origin);
	CHECK(ret != TEE_SUCCESS);
	/* An unknown TA */
	static const uint8_t nota[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	uint32_t sx = 0;
	ret = guest_open_session(g, nota, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sx, &origin);
	CHECK_EQ(ret, TEE_ERROR_ITEM_NOT_FOUND);
	CHECK(origin != TEE_ORIGIN_TRUSTED_APP);
}

/* ---- two VMs ------------------------------------------------------------- */

static uint32_t store(struct guest *g, uint32_t sess, const char *s)
{
	size_t n = strlen(s);
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, n, 0, GUEST_BUF_CONTIG, &b), 0);
	guest_buf_write(g, b, 0, s, n);
	struct guest_param p[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, b, 0, n, false) };
	uint32_t ret = guest_invoke(g, sess, VTEE_TEST_CMD_STORE, p, 1, 0, NULL);
	guest_buf_free(g, b);
	return ret;
}

static uint32_t load(struct guest *g, uint32_t sess, char *out, size_t *n)
{
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, VTEE_TEST_STORE_MAX, 0, GUEST_BUF_CONTIG, &b), 0);
	struct guest_param p[1] = { guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 0, VTEE_TEST_STORE_MAX, false) };
	uint32_t ret = guest_invoke(g, sess, VTEE_TEST_CMD_LOAD, p, 1, 0, NULL);
	*n = (size_t)p[0].u.memref.size;
	if (ret == TEE_SUCCESS && *n <= VTEE_TEST_STORE_MAX)
		guest_buf_read(g, b, 0, out, *n);
	guest_buf_free(g, b);
	return ret;
}

static void test_two_vms(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct vtee_vm_config va = { .vm_id = 101, .name = "vm-a", .no_rpc_arg = no_rpc_arg };
	struct vtee_vm_config vb = { .vm_id = 102, .name = "vm-b", .no_rpc_arg = no_rpc_arg };
	struct guest *a = conf_guest(tee, &va, NULL, false);
	struct guest *b = conf_guest(tee, &vb, NULL, false);
	uint32_t sa = 0, sb = 0;
	REQUIRE_EQ(guest_open_session(a, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sa, NULL), TEE_SUCCESS);
	REQUIRE_EQ(guest_open_session(b, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sb, NULL), TEE_SUCCESS);

	char buf[VTEE_TEST_STORE_MAX];
	size_t n = 99;
	CHECK_EQ(store(a, sa, "secret of vm a"), TEE_SUCCESS);
	bool per_vm = test_backend_has(TEST_CAP_PER_VM_IDENTITY,
				       "params: two VMs: LOAD sees only the VM's own STORE, SESSIONS and WHOAMI are per VM");
	CHECK_EQ(load(b, sb, buf, &n), TEE_SUCCESS);
	if (per_vm)
		CHECK_EQ(n, 0); /* B sees nothing */
	CHECK_EQ(store(b, sb, "bbb"), TEE_SUCCESS);
	CHECK_EQ(load(a, sa, buf, &n), TEE_SUCCESS);
	if (per_vm) {
		CHECK_EQ(n, strlen("secret of vm a"));
		CHECK(n == strlen("secret of vm a") && memcmp(buf, "secret of vm a", n) == 0);
	}
	CHECK_EQ(load(b, sb, buf, &n), TEE_SUCCESS);
	CHECK(n == 3 && memcmp(buf, "bbb", 3) == 0);

	/* Session counts are per VM too, and WHOAMI tells each its own id. */
	uint32_t sa2 = 0;
	CHECK_EQ(guest_open_session(a, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sa2, NULL), TEE_SUCCESS);
	struct guest_param c[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(b, sb, VTEE_TEST_CMD_SESSIONS, c, 1, 0, NULL), TEE_SUCCESS);
	if (per_vm)
		CHECK_EQ(c[0].u.value.a, 1);
	CHECK_EQ(guest_invoke(a, sa, VTEE_TEST_CMD_SESSIONS, c, 1, 0, NULL), TEE_SUCCESS);
	if (per_vm)
		CHECK_EQ(c[0].u.value.a, 2);
	struct guest_param w[1] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	CHECK_EQ(guest_invoke(b, sb, VTEE_TEST_CMD_WHOAMI, w, 1, 0, NULL), TEE_SUCCESS);
	if (per_vm)
		CHECK_EQ(w[0].u.value.a, 102);

	/* A's session id used from B: not B's session (or B has the same number for its own). */
	if (sa2 != sb) {
		uint32_t ret = guest_invoke(b, sa2, VTEE_TEST_CMD_NULL, NULL, 0, 0, NULL);
		CHECK(ret != TEE_SUCCESS);
	}

	CHECK_EQ(guest_close_session(a, sa2), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(a, sa), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(b, sb), TEE_SUCCESS);
	guest_shutdown(a);
	guest_shutdown(b);
	guest_destroy(a);
	guest_destroy(b);
}

/* ---- quotas -------------------------------------------------------------- */

static void test_quotas(struct vtee_tee *tee, bool no_rpc_arg)
{
	uint32_t own = no_rpc_arg ? 0 : 1; /* the driver's registered arg page */
	struct vtee_vm_config vc = { .vm_id = no_rpc_arg ? 62 : 61, .name = "quota", .no_rpc_arg = no_rpc_arg,
				     .quota = { .max_sessions = 2, .max_shm = 1 + own, .max_shm_pages = 16 + own } };
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	struct vtee_vm_stats st0, st;
	uint32_t s[3] = { 0 };
	CHECK_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[0], NULL), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[1], NULL), TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st0);
	uint32_t ret = guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[2], NULL);
	CHECK(ret != TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 2);
	CHECK_CMP(st.quota_denials, >, st0.quota_denials);
	CHECK_EQ(guest_close_session(g, s[1]), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[2], NULL), TEE_SUCCESS);

	/* shm: one buffer of at most 16 pages */
	struct guest_shm *a = NULL, *b = NULL;
	CHECK_EQ(guest_shm_alloc(g, 16 * 4096, GUEST_BUF_SCATTER, &a), TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st0);
	ret = guest_shm_alloc(g, 4096, GUEST_BUF_CONTIG, &b);
	CHECK(ret != TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_CMP(st.quota_denials, >, st0.quota_denials);
	CHECK_EQ(st.shm_buffers, 1 + own);
	CHECK_EQ(st.shm_pages, 16 + own);

	/* temporary memrefs count against the page quota while the call runs */
	struct guest_buf *t;
	REQUIRE_EQ(guest_buf_alloc(g, 100, 0, GUEST_BUF_CONTIG, &t), 0);
	struct guest_param h[2] = { guest_param_tmem(VTEE_PARAM_MEMREF_IN, t, 0, 100, false),
				    guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0) };
	vtee_vm_get_stats(guest_vm(g), &st0);
	ret = guest_invoke(g, s[0], VTEE_TEST_CMD_HASH, h, 2, 0, NULL);
	CHECK(ret != TEE_SUCCESS);
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_CMP(st.quota_denials, >, st0.quota_denials);
	CHECK_EQ(guest_shm_unregister(g, a), TEE_SUCCESS);
	CHECK_EQ(guest_invoke(g, s[0], VTEE_TEST_CMD_HASH, h, 2, 0, NULL), TEE_SUCCESS);

	/* 17 pages never fit */
	ret = guest_shm_alloc(g, 17 * 4096, GUEST_BUF_SCATTER, &b);
	CHECK(ret != TEE_SUCCESS);
	if (ret == TEE_SUCCESS)
		guest_shm_unregister(g, b);
	CHECK_EQ(guest_shm_alloc(g, 16 * 4096 - 5, GUEST_BUF_SCATTER, &b), TEE_SUCCESS);
	CHECK_EQ(guest_shm_unregister(g, b), TEE_SUCCESS);

	guest_buf_free(g, t);
	CHECK_EQ(guest_close_session(g, s[0]), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(g, s[2]), TEE_SUCCESS);
	guest_shutdown(g);
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	guest_destroy(g);
}

/* ---- the VM's login policy (vtee_vm_config.logins), decided by the core ---- */

/* OPEN with login (and a client UUID), then WHOAMI: the login and UUID the TA saw. */
static uint32_t open_whoami(struct guest *g, uint32_t login, uint32_t *seen, uint8_t uuid_seen[16])
{
	static const uint8_t cu[16] = { 0xc1, 0x1e, 0x47, 0x00, 0x5e, 0x5e, 0x4a, 0x4a,
					0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	uint32_t s = 0;
	uint32_t ret = guest_open_session(g, conf_test_ta, login, login == TEE_LOGIN_PUBLIC ? NULL : cu, NULL, 0, 0,
					  &s, NULL);
	if (ret != TEE_SUCCESS)
		return ret;
	struct guest_buf *b;
	REQUIRE_EQ(guest_buf_alloc(g, 16, 0, GUEST_BUF_CONTIG, &b), 0);
	struct guest_param p[2] = { guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0),
				    guest_param_tmem(VTEE_PARAM_MEMREF_OUT, b, 0, 16, false) };
	ret = guest_invoke(g, s, VTEE_TEST_CMD_WHOAMI, p, 2, 0, NULL);
	*seen = (uint32_t)p[0].u.value.b;
	guest_buf_read(g, b, 0, uuid_seen, 16);
	guest_buf_free(g, b);
	CHECK_EQ(guest_close_session(g, s), TEE_SUCCESS);
	return ret;
}

static void test_login_policy(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct vtee_vm_config vc = { .vm_id = no_rpc_arg ? 64 : 63, .name = "logins", .no_rpc_arg = no_rpc_arg };
	vc.logins[VTEE_LOGIN_CLASS_USER] = VTEE_LOGIN_AS_PUBLIC;
	vc.logins[VTEE_LOGIN_CLASS_GROUP] = VTEE_LOGIN_DENY;
	vc.logins[VTEE_LOGIN_CLASS_APPLICATION] = VTEE_LOGIN_DENY;
	vc.logins[VTEE_LOGIN_CLASS_REE_KERNEL] = VTEE_LOGIN_AS_PUBLIC;
	struct guest *g = conf_guest(tee, &vc, NULL, false);
	struct vtee_vm_stats st0, st;
	uint32_t seen = 0;
	uint8_t uuid[16], zero[16] = { 0 };

	/* made PUBLIC with the nil client UUID before the back-end sees them */
	static const uint32_t as_public[] = { TEE_LOGIN_PUBLIC, TEE_LOGIN_USER, TEE_LOGIN_REE_KERNEL };
	for (size_t i = 0; i < sizeof(as_public) / sizeof(as_public[0]); i++) {
		memset(uuid, 0xee, sizeof(uuid));
		CHECK_EQ(open_whoami(g, as_public[i], &seen, uuid), TEE_SUCCESS);
		CHECK_EQ(seen, TEE_LOGIN_PUBLIC);
		CHECK(memcmp(uuid, zero, 16) == 0);
	}
	/* refused by the policy: ACCESS_DENIED, counted as denials, not as bad requests */
	vtee_vm_get_stats(guest_vm(g), &st0);
	static const uint32_t denied[] = { TEE_LOGIN_GROUP, TEE_LOGIN_APPLICATION, TEE_LOGIN_APPLICATION_GROUP };
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		CHECK_EQ(open_whoami(g, denied[i], &seen, uuid), TEE_ERROR_ACCESS_DENIED);
	vtee_vm_get_stats(guest_vm(g), &st);
	CHECK_EQ(st.access_denials - st0.access_denials, 3);
	CHECK_EQ(st.bad_requests, st0.bad_requests);
	CHECK_EQ(st.sessions, 0);
	/* not a normal-world login at all: refused whatever the policy, a bad request */
	CHECK_EQ(open_whoami(g, 0xF0000000u /* TRUSTED_APP */, &seen, uuid), TEE_ERROR_ACCESS_DENIED);
	vtee_vm_get_stats(guest_vm(g), &st0);
	CHECK_EQ(st0.bad_requests, st.bad_requests + 1);
	CHECK_EQ(st0.access_denials, st.access_denials);
	guest_shutdown(g);
	guest_destroy(g);
}

static void run_mode(struct vtee_tee *tee, bool no_rpc_arg)
{
	struct env e = { .vm_id = no_rpc_arg ? 52 : 51, .no_rpc_arg = no_rpc_arg };
	struct vtee_vm_config vc = { .vm_id = e.vm_id, .name = "params", .no_rpc_arg = no_rpc_arg };
	struct guest_config gc = { .ram_size = 128u << 20, .ram2_size = 48u << 20 };
	e.g = conf_guest(tee, &vc, &gc, false);
	REQUIRE_EQ(guest_open_session(e.g, conf_test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &e.sess, NULL),
		   TEE_SUCCESS);
	size_t free0 = guest_pages_free_count(e.g);

	test_values(&e);
	test_ree_time(&e);
	test_tmem_contig(&e);
	test_tmem_noncontig(&e, 3, 0x321, GUEST_BUF_SCATTER);
	test_tmem_noncontig(&e, 600, 0x321, GUEST_BUF_SCATTER);          /* 2 list pages */
	test_tmem_noncontig(&e, 1100, 1, GUEST_BUF_SCATTER_REGIONS);     /* 3 list pages, 2 regions */
	test_tmem_noncontig(&e, 511, 0, GUEST_BUF_SCATTER);              /* exactly one full list page */
	test_tmem_noncontig(&e, 512, 4095, GUEST_BUF_SCATTER);           /* one entry on the 2nd page */
	test_null(&e);
	test_rmem(&e);
	test_register_big(&e, 1u << 20, GUEST_BUF_SCATTER);
	test_register_big(&e, 8u << 20, GUEST_BUF_SCATTER_REGIONS);
	test_register_big(&e, 8u << 20, GUEST_BUF_CONTIG);
	test_whoami(&e);
	test_sessions(&e);

	/* The model gave back every page it used for temporary lists and buffers. */
	CHECK_EQ(guest_pages_free_count(e.g), free0);
	CHECK_EQ(guest_close_session(e.g, e.sess), TEE_SUCCESS);
	struct guest_stats gs;
	guest_get_stats(e.g, &gs);
	CHECK_EQ(gs.rpc_unknown, 0);
	CHECK_EQ(gs.ethread_limit_alone, 0);
	guest_shutdown(e.g);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(e.g), &st);
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.shm_buffers, 0);
	CHECK_EQ(st.shm_pages, 0);
	CHECK_EQ(st.calls, 0);
	guest_destroy(e.g);

	test_two_vms(tee, no_rpc_arg);
	test_quotas(tee, no_rpc_arg);
	test_login_policy(tee, no_rpc_arg);
}

int main(int argc, char **argv)
{
	conf_args(argc, argv);
	struct vtee_tee *tee = conf_tee();
	run_mode(tee, false);
	run_mode(tee, true);
	vtee_tee_close(tee);
	return check_report();
}
