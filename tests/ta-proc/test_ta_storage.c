// SPDX-License-Identifier: MIT
/*
 * Persistent objects of TAs in processes, end to end below the guest: the
 * soft back-end's ops as the core drives them, the storage test TA
 * (ta_storage.c, TST_CMD_*) in vtee-ta-host with the GP runtime, the VM's
 * store (lib/store) handed over with the backend op vm_storage as a
 * sandboxed TEE process receives it:
 *
 *   - a VM without storage: open and create ITEM_NOT_FOUND; the persistent
 *     time still kept in memory
 *   - create, write (a gap, 1 MiB and 3 MiB: several messages, one change),
 *     read, truncate, rename, enumerate, delete, object info
 *   - OP-TEE's sharing rules between handles of two instances (and of one):
 *     the matrix of access and share flags, create with and without
 *     OVERWRITE over an open object, rename onto an open or existing id
 *   - an instance that dies holding handles releases them
 *   - two VMs with stores of their own, and two TAs in one VM, see nothing
 *     of each other
 *   - objects and the persistent time outlive the VM (same state
 *     directory), and the back-end
 *   - the store's counters (backend op vm_storage_stats): none without a
 *     store, commits after use, the whole state corrupt after its manifest
 *     was altered
 *
 *   - --daemon: the same behind vtee-tee in its sandbox, the storage handed
 *     over as a supervisor does (its 'S' message on --ctl-fd, tee_ctl.h), the
 *     calls through the link back-end: the store works under vtee-tee's
 *     seccomp filter
 *
 * argv: [--daemon VTEE-TEE] vtee-ta-host, then the test TAs' files (the storage TA as UUID ..20
 * and ..21).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "link.h"
#include "ta_proc_test.h"
#include "vstore.h"
#include "vtee/backend.h"
#include "vtee/vtee.h"
#if __has_include("tee_ctl.h")
#include "tee_ctl.h"
#define HAVE_TEE_CTL 1
#else
#define HAVE_TEE_CTL 0 /* a tree without the supervisor's storage message: --daemon is skipped */
#endif

#define WAIT_US (30ull * 1000 * 1000)

/* GP TEE_DATA_FLAG_* and results */
#define RD 0x1u
#define WR 0x2u
#define META 0x4u
#define SHR 0x10u
#define SHW 0x20u
#define OVERWRITE 0x400u
#define CONFLICT 0xFFFF0003u
#define CORRUPT 0xF0100001u
#define NOT_FOUND TEE_ERROR_ITEM_NOT_FOUND
#define HANDLE_PERSISTENT 0x00010000u

enum { TA_ST = 0x20, TA_ST2 = 0x21 };

static const struct vtee_backend_ops *be = &vtee_soft_backend;
static char tmp[64];
static struct vstore_host_key host_key;

static struct vtee_uuid uuid_of(uint8_t last)
{
	struct vtee_uuid u = { { 0x5c, 0xe0, 0xc7, 0xa1, 0x00, 0x01, 0x40, 0x00, 0x80, 0, 0, 0, 0, 0, 0, last } };
	return u;
}

static void quiet(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	if (level <= VTEE_LOG_WARNING || getenv("TA_STORAGE_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
}

/* ---- requests ---- */

static void run(void *vm, struct vtee_req *r)
{
	vtee_req_arm(r);
	be->submit(vm, r);
	REQUIRE(vtee_req_wait_event(r, WAIT_US) == VTEE_WAIT_DONE);
}

static void *session(void *vm, uint8_t ta)
{
	struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = uuid_of(ta), .client = { .login = TEE_LOGIN_PUBLIC } };
	run(vm, &r);
	REQUIRE(r.ret == TEE_SUCCESS);
	return r.session;
}

static void end_session(void *vm, void *s)
{
	struct vtee_req r = { .op = VTEE_REQ_CLOSE, .session = s };
	run(vm, &r);
}

struct hbuf {
	uint8_t *p;
	size_t len;
	struct vtee_shm *shm;
};

static struct hbuf hbuf_new(size_t size)
{
	struct hbuf h = { NULL, (size + 4095) & ~(size_t)4095, NULL };
	if (!h.len)
		h.len = 4096;
	REQUIRE(posix_memalign((void **)&h.p, 4096, h.len) == 0);
	memset(h.p, 0, h.len);
	REQUIRE(vtee_host_shm_new(h.p, h.len, &h.shm) == 0);
	return h;
}

static void hbuf_free(struct hbuf *h)
{
	vtee_host_shm_free(h->shm);
	free(h->p);
}

/* One TST_CMD_*: [0] a, b in and out; [1] id (NULL: none); [2] data of data_len (out: *data_len). */
struct tcall {
	uint32_t a, b;
	const char *id;
	struct hbuf *data;
	size_t data_len;
	uint32_t data_type;
};

static uint32_t tst(void *vm, void *s, uint32_t cmd, struct tcall *c)
{
	struct vtee_req r = { .op = VTEE_REQ_INVOKE, .session = s, .func = cmd, .num_params = 3 };
	struct hbuf id = { 0 };
	r.params[0].type = VTEE_PARAM_VALUE_INOUT;
	r.params[0].u.value.a = c->a;
	r.params[0].u.value.b = c->b;
	if (c->id) {
		id = hbuf_new(strlen(c->id));
		memcpy(id.p, c->id, strlen(c->id));
		r.params[1].type = VTEE_PARAM_MEMREF_IN;
		r.params[1].u.memref.shm = id.shm;
		r.params[1].u.memref.size = strlen(c->id);
	}
	if (c->data) {
		r.params[2].type = c->data_type ? c->data_type : VTEE_PARAM_MEMREF_IN;
		r.params[2].u.memref.shm = c->data->shm;
		r.params[2].u.memref.size = c->data_len;
	}
	run(vm, &r);
	c->a = (uint32_t)r.params[0].u.value.a;
	c->b = (uint32_t)r.params[0].u.value.b;
	if (c->data)
		c->data_len = r.params[2].u.memref.size;
	if (c->id)
		hbuf_free(&id);
	return r.ret;
}

static uint32_t st_open(void *vm, void *s, uint32_t slot, const char *id, uint32_t flags)
{
	struct tcall c = { .a = slot, .b = flags, .id = id };
	return tst(vm, s, TST_CMD_OPEN, &c);
}

static uint32_t st_create(void *vm, void *s, uint32_t slot, const char *id, uint32_t flags, const char *text)
{
	struct hbuf d = hbuf_new(text ? strlen(text) : 0);
	struct tcall c = { .a = slot, .b = flags, .id = id, .data = text ? &d : NULL, .data_len = text ? strlen(text) : 0 };
	if (text)
		memcpy(d.p, text, strlen(text));
	uint32_t r = tst(vm, s, TST_CMD_CREATE, &c);
	hbuf_free(&d);
	return r;
}

static uint32_t st_simple(void *vm, void *s, uint32_t cmd, uint32_t slot, uint32_t b)
{
	struct tcall c = { .a = slot, .b = b };
	return tst(vm, s, cmd, &c);
}

/* Read up to len bytes at pos of slot into out (NUL-terminated text): the result. */
static uint32_t st_read(void *vm, void *s, uint32_t slot, uint32_t pos, char *out, size_t len)
{
	struct hbuf d = hbuf_new(len);
	struct tcall c = { .a = slot, .b = pos, .data = &d, .data_len = len - 1, .data_type = VTEE_PARAM_MEMREF_OUT };
	uint32_t r = tst(vm, s, TST_CMD_READ, &c);
	size_t n = c.data_len < len - 1 ? c.data_len : len - 1;
	memcpy(out, d.p, n);
	out[n] = 0;
	hbuf_free(&d);
	return r;
}

static uint32_t st_write(void *vm, void *s, uint32_t slot, uint32_t pos, const char *text)
{
	struct hbuf d = hbuf_new(strlen(text));
	memcpy(d.p, text, strlen(text));
	struct tcall c = { .a = slot, .b = pos, .data = &d, .data_len = strlen(text) };
	uint32_t r = tst(vm, s, TST_CMD_WRITE, &c);
	hbuf_free(&d);
	return r;
}

static uint32_t st_rename(void *vm, void *s, uint32_t slot, const char *id)
{
	struct tcall c = { .a = slot, .id = id };
	return tst(vm, s, TST_CMD_RENAME, &c);
}

/* The ids the TA enumerates, as "id,id," in the TEE's order; the count. */
static uint32_t st_enum(void *vm, void *s, char *out, size_t len)
{
	struct hbuf d = hbuf_new(4096);
	struct tcall c = { .data = &d, .data_len = 4096, .data_type = VTEE_PARAM_MEMREF_OUT };
	CHECK_EQ(tst(vm, s, TST_CMD_ENUM, &c), TEE_SUCCESS);
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < c.data_len && o + 66 < len; i += 1 + d.p[i]) {
		memcpy(out + o, d.p + i + 1, d.p[i]);
		o += d.p[i];
		out[o++] = ',';
		out[o] = 0;
	}
	hbuf_free(&d);
	return c.a;
}

/* ---- the VM's store ---- */

static void *tee_open(const char *ta_dir, const char *host)
{
	char opts[512];
	snprintf(opts, sizeof(opts), "ta_dir=%s,ta_host=%s", ta_dir, host);
	void *tee = NULL;
	REQUIRE(be->open(opts, &tee) == 0);
	return tee;
}

/* The VM's store in state/<name>, prepared as the supervisor does, as vtee_storage. */
static void prepare(const char *name, struct vtee_storage *st)
{
	char state[128], anchors[128], msg[256];
	snprintf(state, sizeof(state), "%s/state/%s", tmp, name);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmp);
	struct vstore_handoff h;
	int r = vstore_prepare(state, anchors, name, &host_key, NULL, &h, msg, sizeof(msg));
	if (r)
		fprintf(stderr, "vstore_prepare: %s\n", msg);
	REQUIRE(r == 0);
	*st = (struct vtee_storage){ .dir_fd = h.dir_fd, .anchor_fd = h.anchor_fd };
	memcpy(st->vm_key, h.vm_key, sizeof(st->vm_key));
	memcpy(st->state_id, h.state_id, sizeof(st->state_id));
	explicit_bzero(&h, sizeof(h));
}

/* A VM, with its store when with_store. */
static void *vm_new(void *tee, uint32_t id, const char *name, bool with_store)
{
	void *vm = NULL;
	REQUIRE(be->vm_created(tee, id, name, &vm) == 0);
	if (!with_store)
		return vm;
	struct vtee_storage st;
	prepare(name, &st);
	CHECK_EQ(be->vm_storage(vm, &st), 0);
	static const uint8_t zero[32];
	CHECK(!memcmp(st.vm_key, zero, sizeof(zero))); /* the op wipes the key it was given */
	return vm;
}

static void vm_gone(void *vm)
{
	be->vm_destroyed(vm);
}

/* ---- cases ---- */

static void no_storage(void *tee)
{
	void *vm = vm_new(tee, 1, "nostore", false);
	void *s = session(vm, TA_ST);
	CHECK_EQ(st_create(vm, s, 0, "a", RD | WR, "x"), NOT_FOUND);
	CHECK_EQ(st_open(vm, s, 0, "a", RD), NOT_FOUND);
	/* the persistent time is still kept, in memory */
	CHECK_EQ(st_simple(vm, s, TST_CMD_PTIME_SET, 1000, 0), TEE_SUCCESS);
	struct tcall c = { 0 };
	CHECK_EQ(tst(vm, s, TST_CMD_PTIME_GET, &c), TEE_SUCCESS);
	CHECK(c.a >= 1000 && c.a < 1100);
	end_session(vm, s);
	struct vtee_storage_stats ss;
	CHECK_EQ(be->vm_storage_stats(vm, &ss), -ENOENT);
	vm_gone(vm);
}

/* The counters after basics(): every object deleted again, the commits counted, nothing corrupt. */
static void counters_after_basics(void *vm)
{
	struct vtee_storage_stats ss;
	memset(&ss, 0xff, sizeof(ss));
	CHECK_EQ(be->vm_storage_stats(vm, &ss), 0);
	CHECK_EQ(ss.objects, 0);
	CHECK_EQ(ss.bytes, 0);
	CHECK(ss.bytes_on_disk > 0); /* the manifest */
	CHECK(ss.commits >= 5 && ss.version >= ss.commits);
	CHECK_EQ(ss.corrupt_objects, 0);
	CHECK_EQ(ss.flags, 0);
}

static void basics(void *vm)
{
	void *s = session(vm, TA_ST);
	char buf[256], list[512];
	CHECK_EQ(st_create(vm, s, 0, "obj", RD | WR | META, "hello"), TEE_SUCCESS);
	CHECK_EQ(st_read(vm, s, 0, 0, buf, sizeof(buf)), TEE_SUCCESS);
	CHECK(!strcmp(buf, "hello"));
	CHECK_EQ(st_write(vm, s, 0, 8, "world"), TEE_SUCCESS); /* 3 bytes of gap: zeros */
	struct tcall c = { .a = 0 };
	CHECK_EQ(tst(vm, s, TST_CMD_INFO, &c), TEE_SUCCESS);
	CHECK_EQ(c.a, 13);
	CHECK_EQ(c.b & (RD | WR | META | HANDLE_PERSISTENT), RD | WR | META | HANDLE_PERSISTENT);
	CHECK_EQ(st_read(vm, s, 0, 5, buf, sizeof(buf)), TEE_SUCCESS);
	CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && !strcmp(buf + 3, "world"));
	CHECK_EQ(st_simple(vm, s, TST_CMD_TRUNCATE, 0, 4), TEE_SUCCESS);
	CHECK_EQ(st_read(vm, s, 0, 0, buf, sizeof(buf)), TEE_SUCCESS);
	CHECK(!strcmp(buf, "hell"));
	CHECK_EQ(st_read(vm, s, 0, 100, buf, sizeof(buf)), TEE_SUCCESS); /* past the end: nothing */
	CHECK(!buf[0]);
	CHECK_EQ(st_rename(vm, s, 0, "renamed"), TEE_SUCCESS);
	CHECK_EQ(st_simple(vm, s, TST_CMD_CLOSE, 0, 0), TEE_SUCCESS);
	CHECK_EQ(st_open(vm, s, 1, "obj", RD), NOT_FOUND);
	CHECK_EQ(st_create(vm, s, TST_NO_SLOT, "second", RD, "2"), TEE_SUCCESS); /* no handle kept */
	CHECK_EQ(st_enum(vm, s, list, sizeof(list)), 2);
	CHECK(!strcmp(list, "second,renamed,")); /* shorter ids first */
	CHECK_EQ(st_open(vm, s, 1, "renamed", RD | META), TEE_SUCCESS);
	CHECK_EQ(st_read(vm, s, 1, 0, buf, sizeof(buf)), TEE_SUCCESS);
	CHECK(!strcmp(buf, "hell"));
	CHECK_EQ(st_simple(vm, s, TST_CMD_CLOSE, 1, 1), TEE_SUCCESS); /* and delete */
	CHECK_EQ(st_open(vm, s, 1, "renamed", RD), NOT_FOUND);
	CHECK_EQ(st_open(vm, s, 1, "second", RD | META), TEE_SUCCESS);
	CHECK_EQ(st_simple(vm, s, TST_CMD_CLOSE, 1, 1), TEE_SUCCESS);
	CHECK_EQ(st_enum(vm, s, list, sizeof(list)), 0);
	end_session(vm, s);
}

/* TEE_WriteObjectData of len bytes in one call (several messages: one change), read back whole. */
static void big(void *vm, size_t len)
{
	void *s = session(vm, TA_ST);
	struct hbuf d = hbuf_new(len), back = hbuf_new(len);
	for (size_t i = 0; i < len; i++)
		d.p[i] = (uint8_t)(i * 31 + (i >> 12));
	CHECK_EQ(st_create(vm, s, 0, "big", RD | WR | META, NULL), TEE_SUCCESS);
	struct tcall w = { .a = 0, .b = 0, .data = &d, .data_len = len };
	CHECK_EQ(tst(vm, s, TST_CMD_WRITE, &w), TEE_SUCCESS);
	struct tcall c = { .a = 0 };
	CHECK_EQ(tst(vm, s, TST_CMD_INFO, &c), TEE_SUCCESS);
	CHECK_EQ(c.a, len);
	CHECK_EQ(st_simple(vm, s, TST_CMD_CLOSE, 0, 0), TEE_SUCCESS);
	CHECK_EQ(st_open(vm, s, 0, "big", RD | META), TEE_SUCCESS); /* read back from the store */
	struct tcall r = { .a = 0, .b = 0, .data = &back, .data_len = len, .data_type = VTEE_PARAM_MEMREF_OUT };
	CHECK_EQ(tst(vm, s, TST_CMD_READ, &r), TEE_SUCCESS);
	CHECK_EQ(r.data_len, len);
	CHECK(!memcmp(d.p, back.p, len));
	CHECK_EQ(st_simple(vm, s, TST_CMD_CLOSE, 0, 1), TEE_SUCCESS);
	hbuf_free(&d);
	hbuf_free(&back);
	end_session(vm, s);
}

/* OP-TEE's tee_pobj_check_access() on a first handle's flags and a second's, as a table. */
static const struct {
	uint32_t first, second, want;
} matrix[] = {
	{ RD | SHR, RD | SHR, TEE_SUCCESS },
	{ RD, RD | SHR, CONFLICT },
	{ RD | SHR, RD, CONFLICT },
	{ SHR, RD | SHR, TEE_SUCCESS },
	{ RD | SHR, SHR, TEE_SUCCESS },
	{ WR | SHW, WR | SHW, TEE_SUCCESS },
	{ WR | SHW, WR, CONFLICT },
	{ RD | SHR | SHW, WR | SHR | SHW, TEE_SUCCESS },
	{ RD | SHR | SHW, RD | SHR, CONFLICT },  /* SHARE_WRITE differs */
	{ WR | SHR | SHW, RD | SHR, CONFLICT },
	{ RD | WR | SHR | SHW, RD | WR | SHR | SHW, TEE_SUCCESS },
	{ META, RD | SHR, CONFLICT },            /* WRITE_META is exclusive */
	{ RD | SHR | SHW, META | SHR | SHW, CONFLICT },
	{ 0, 0, TEE_SUCCESS },                    /* OP-TEE lets two flagless handles share */
	{ 0, RD, CONFLICT },
	{ 0, SHR, CONFLICT },
};

/* The matrix with the two handles in two instances (two sessions of a multi-instance TA), or in one. */
static void sharing(void *vm, bool one_instance)
{
	void *a = session(vm, TA_ST), *b = one_instance ? a : session(vm, TA_ST);
	uint32_t bslot = one_instance ? 1 : 0;
	CHECK_EQ(st_create(vm, a, TST_NO_SLOT, "shared", RD, "data"), TEE_SUCCESS);
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		CHECK_EQ(st_open(vm, a, 0, "shared", matrix[i].first), TEE_SUCCESS);
		uint32_t r = st_open(vm, b, bslot, "shared", matrix[i].second);
		if (r != matrix[i].want)
			fprintf(stderr, "sharing case %zu (%#x then %#x): %#x\n", i, matrix[i].first, matrix[i].second, r);
		CHECK_EQ(r, matrix[i].want);
		if (r == TEE_SUCCESS)
			CHECK_EQ(st_simple(vm, b, TST_CMD_CLOSE, bslot, 0), TEE_SUCCESS);
		CHECK_EQ(st_simple(vm, a, TST_CMD_CLOSE, 0, 0), TEE_SUCCESS);
	}
	/* a third handle is checked against the first's flags */
	CHECK_EQ(st_open(vm, a, 0, "shared", SHR), TEE_SUCCESS);
	CHECK_EQ(st_open(vm, b, bslot, "shared", RD | SHR), TEE_SUCCESS);
	CHECK_EQ(st_open(vm, a, 2, "shared", SHR), TEE_SUCCESS);
	CHECK_EQ(st_simple(vm, a, TST_CMD_CLOSE, 2, 0), TEE_SUCCESS);
	CHECK_EQ(st_simple(vm, b, TST_CMD_CLOSE, bslot, 0), TEE_SUCCESS);
	/* create over an open object: without OVERWRITE a conflict; with it, the share rules, and
	   the other handle sees the new object */
	CHECK_EQ(st_create(vm, b, bslot, "shared", WR | SHR | SHW, "new"), CONFLICT);
	CHECK_EQ(st_simple(vm, a, TST_CMD_CLOSE, 0, 0), TEE_SUCCESS);
	CHECK_EQ(st_open(vm, a, 0, "shared", RD | SHR | SHW), TEE_SUCCESS);
	CHECK_EQ(st_create(vm, b, bslot, "shared", OVERWRITE | WR | SHR, "no"), CONFLICT);
	CHECK_EQ(st_create(vm, b, bslot, "shared", OVERWRITE | WR | SHR | SHW, "fresh"), TEE_SUCCESS);
	char buf[64];
	CHECK_EQ(st_read(vm, a, 0, 0, buf, sizeof(buf)), TEE_SUCCESS);
	CHECK(!strcmp(buf, "fresh"));
	CHECK_EQ(st_simple(vm, b, TST_CMD_CLOSE, bslot, 0), TEE_SUCCESS);
	/* rename onto an id some handle has open, or onto an existing one: a conflict */
	CHECK_EQ(st_create(vm, b, bslot, "mover", RD | META, "m"), TEE_SUCCESS);
	CHECK_EQ(st_rename(vm, b, bslot, "shared"), CONFLICT);
	CHECK_EQ(st_simple(vm, a, TST_CMD_CLOSE, 0, 0), TEE_SUCCESS);
	CHECK_EQ(st_rename(vm, b, bslot, "shared"), CONFLICT);
	CHECK_EQ(st_rename(vm, b, bslot, "mover"), CONFLICT); /* its own id: taken by itself */
	CHECK_EQ(st_simple(vm, b, TST_CMD_CLOSE, bslot, 1), TEE_SUCCESS);
	CHECK_EQ(st_open(vm, a, 0, "shared", RD | META), TEE_SUCCESS);
	CHECK_EQ(st_simple(vm, a, TST_CMD_CLOSE, 0, 1), TEE_SUCCESS);
	if (!one_instance)
		end_session(vm, b);
	end_session(vm, a);
}

/* An instance that dies holding handles: they are released, the object opens again. */
static void dead_holder(void *vm)
{
	void *a = session(vm, TA_ST), *b = session(vm, TA_ST);
	CHECK_EQ(st_create(vm, a, 0, "held", RD | WR | META, "x"), TEE_SUCCESS);
	CHECK_EQ(st_open(vm, b, 0, "held", RD | SHR), CONFLICT);
	CHECK_EQ(st_simple(vm, a, TST_CMD_PANIC, 0, 0), TEE_ERROR_TARGET_DEAD);
	CHECK_EQ(st_open(vm, b, 0, "held", RD | META), TEE_SUCCESS);
	CHECK_EQ(st_simple(vm, b, TST_CMD_CLOSE, 0, 1), TEE_SUCCESS);
	end_session(vm, a);
	end_session(vm, b);
}

/* Two VMs, each with its store, and two TAs of one VM: nobody sees another's objects. */
static void apart(void *vm1, void *vm2)
{
	void *s1 = session(vm1, TA_ST), *s2 = session(vm2, TA_ST), *o1 = session(vm1, TA_ST2);
	char list[256];
	CHECK_EQ(st_create(vm1, s1, TST_NO_SLOT, "secret", RD, "vm1"), TEE_SUCCESS);
	CHECK_EQ(st_open(vm2, s2, 0, "secret", RD), NOT_FOUND);
	CHECK_EQ(st_enum(vm2, s2, list, sizeof(list)), 0);
	CHECK_EQ(st_open(vm1, o1, 0, "secret", RD), NOT_FOUND);
	CHECK_EQ(st_enum(vm1, o1, list, sizeof(list)), 0);
	CHECK_EQ(st_create(vm2, s2, TST_NO_SLOT, "secret", RD, "vm2"), TEE_SUCCESS); /* a name of its own */
	char buf[16];
	CHECK_EQ(st_open(vm1, s1, 0, "secret", RD), TEE_SUCCESS);
	CHECK_EQ(st_read(vm1, s1, 0, 0, buf, sizeof(buf)), TEE_SUCCESS);
	CHECK(!strcmp(buf, "vm1"));
	CHECK_EQ(st_simple(vm1, s1, TST_CMD_CLOSE, 0, 0), TEE_SUCCESS);
	CHECK_EQ(st_simple(vm1, s1, TST_CMD_PTIME_SET, 5000, 0), TEE_SUCCESS);
	end_session(vm1, s1);
	end_session(vm2, s2);
	end_session(vm1, o1);
}

/* What a VM stored is there when it comes back with the same state directory. */
static void survives(void *tee)
{
	void *vm = vm_new(tee, 11, "vm1", true);
	void *s = session(vm, TA_ST);
	char buf[16];
	CHECK_EQ(st_open(vm, s, 0, "secret", RD), TEE_SUCCESS);
	CHECK_EQ(st_read(vm, s, 0, 0, buf, sizeof(buf)), TEE_SUCCESS);
	CHECK(!strcmp(buf, "vm1"));
	struct tcall c = { 0 };
	CHECK_EQ(tst(vm, s, TST_CMD_PTIME_GET, &c), TEE_SUCCESS);
	CHECK(c.a >= 5000 && c.a < 5100);
	end_session(vm, s);
	vm_gone(vm);
}

/* A soft back-end without TAs in processes serves no store: no counters. */
static void counters_without_tas(void)
{
	void *tee = NULL, *vm = NULL;
	REQUIRE(be->open(NULL, &tee) == 0);
	REQUIRE(be->vm_created(tee, 30, "plain", &vm) == 0);
	struct vtee_storage_stats ss;
	CHECK_EQ(be->vm_storage_stats(vm, &ss), -ENOENT);
	be->vm_destroyed(vm);
	be->close(tee);
}

/* The VM's manifest altered while it was away: the state is corrupt as a whole, and says so. */
static void state_corrupt(void *tee)
{
	void *vm = vm_new(tee, 12, "vmbad", true);
	void *s = session(vm, TA_ST);
	CHECK_EQ(st_create(vm, s, TST_NO_SLOT, "x", RD | WR, "x"), TEE_SUCCESS);
	end_session(vm, s);
	vm_gone(vm);
	char path[160];
	snprintf(path, sizeof(path), "%s/state/vmbad/manifest", tmp);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct stat sb;
	uint8_t b = 0;
	REQUIRE(fd >= 0 && fstat(fd, &sb) == 0 && pread(fd, &b, 1, sb.st_size / 2) == 1);
	b ^= 0x5a;
	REQUIRE(pwrite(fd, &b, 1, sb.st_size / 2) == 1);
	close(fd);

	vm = vm_new(tee, 12, "vmbad", true);
	struct vtee_storage_stats ss;
	CHECK_EQ(be->vm_storage_stats(vm, &ss), 0);
	CHECK(ss.flags & VTEE_STORAGE_STATE_CORRUPT);
	s = session(vm, TA_ST);
	CHECK_EQ(st_open(vm, s, 0, "x", RD), CORRUPT);
	end_session(vm, s);
	vm_gone(vm);
}

/* ---- behind vtee-tee ---- */

#if HAVE_TEE_CTL
/* vtee-tee with a supervisor socket (*ctl), its TA directory and host; its pid. */
static pid_t daemon_start(const char *tee_path, const char *host, const char *ta_dir, int *ctl)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	char opts[256], policy[128];
	snprintf(opts, sizeof(opts), "ta_host=%s", host);
	snprintf(policy, sizeof(policy), "%s/policy.ini", tmp);
	FILE *f = fopen(policy, "w");
	REQUIRE(f && fprintf(f, "[ta]\ndirs = %s\n", ta_dir) > 0 && fclose(f) == 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 101);
	char *argv[] = { (char *)tee_path, "--ctl-fd", "101", "--options", opts, "--policy", policy, NULL };
	extern char **environ;
	pid_t pid;
	REQUIRE(posix_spawn(&pid, tee_path, &fa, NULL, argv, environ) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	*ctl = sv[0];
	return pid;
}

/* One byte on the supervisor socket, its body and fds (SCM_RIGHTS). */
static void ctl_send(int ctl, const uint8_t *msg, size_t len, const int *fds, unsigned nfds)
{
	struct iovec iov = { (void *)msg, len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(nfds * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	REQUIRE(sendmsg(ctl, &m, MSG_NOSIGNAL) == (ssize_t)len);
}

/* A VM served by vtee-tee, its store handed over first ('S'), then its link ('B'). */
static void *daemon_vm(int ctl, void **tee, uint32_t vm_id, const char *name)
{
	struct vtee_storage st;
	prepare(name, &st);
	/* vtee-tee started as root serves as nobody: the state is that user's, as an operator sets it up */
	char cmdline[256];
	snprintf(cmdline, sizeof(cmdline), "chown -R nobody %s/state %s/anchors", tmp, tmp);
	REQUIRE(geteuid() != 0 || system(cmdline) == 0);
	uint8_t s[1 + TEE_CTL_STORAGE_LEN] = { TEE_CTL_STORAGE };
	tee_ctl_storage_encode(s + 1, vm_id, &st);
	int fds[2] = { st.dir_fd, st.anchor_fd };
	ctl_send(ctl, s, sizeof(s), fds, 2);
	explicit_bzero(s, sizeof(s));
	close(st.dir_fd);
	close(st.anchor_fd);
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	uint8_t bind[5] = { 'B', (uint8_t)vm_id, (uint8_t)(vm_id >> 8), (uint8_t)(vm_id >> 16), (uint8_t)(vm_id >> 24) };
	ctl_send(ctl, bind, sizeof(bind), &sv[1], 1);
	close(sv[1]);
	char opt[32];
	snprintf(opt, sizeof(opt), "fd=%d", sv[0]);
	REQUIRE(be->open(opt, tee) == 0);
	void *vm = NULL;
	REQUIRE(be->vm_created(*tee, vm_id, name, &vm) == 0);
	return vm;
}

static int daemon_cases(const char *tee_path, const char *host, const char *ta_dir)
{
	int ctl;
	pid_t pid = daemon_start(tee_path, host, ta_dir, &ctl);
	be = &vtee_link_backend;
	void *t3, *t4;
	void *vm3 = daemon_vm(ctl, &t3, 3, "linked3"), *vm4 = daemon_vm(ctl, &t4, 4, "linked4");
	basics(vm3);
	counters_after_basics(vm3); /* over the link: STORAGE_STATS */
	big(vm3, 3u << 20);
	sharing(vm3, false);
	dead_holder(vm3);
	apart(vm3, vm4);
	be->vm_destroyed(vm3);
	be->vm_destroyed(vm4);
	be->close(t3);
	be->close(t4);
	close(ctl); /* the supervisor is gone: vtee-tee ends */
	int st = -1;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
#else
static int daemon_cases(const char *tee_path, const char *host, const char *ta_dir)
{
	(void)tee_path;
	(void)host;
	(void)ta_dir;
	return 77;
}
#endif

int main(int argc, char **argv)
{
	const char *daemon = NULL;
	if (argc >= 3 && !strcmp(argv[1], "--daemon")) {
		daemon = argv[2];
		argv += 2;
		argc -= 2;
	}
	REQUIRE(argc >= 2);
	snprintf(tmp, sizeof(tmp), "/tmp/vtee-ta-storage-XXXXXX");
	REQUIRE(mkdtemp(tmp));
	chmod(tmp, 0755);
	char ta_dir[128], key[128], msg[256], cmdline[256];
	snprintf(ta_dir, sizeof(ta_dir), "%s/tas", tmp);
	REQUIRE(mkdir(ta_dir, 0755) == 0);
	for (int i = 2; i < argc; i++) {
		const char *base = strrchr(argv[i], '/');
		snprintf(cmdline, sizeof(cmdline), "cp '%s' '%s/%s'", argv[i], ta_dir, base ? base + 1 : argv[i]);
		REQUIRE(system(cmdline) == 0);
	}
	snprintf(key, sizeof(key), "%s/host.key", tmp);
	REQUIRE(vstore_host_key_load(key, true, &host_key, msg, sizeof(msg)) == 0);
	vtee_set_log(quiet, NULL);

	if (daemon) {
		int r = daemon_cases(daemon, argv[1], ta_dir);
		snprintf(cmdline, sizeof(cmdline), "rm -rf %s", tmp);
		if (system(cmdline) != 0)
			fprintf(stderr, "could not remove %s\n", tmp);
		return r ? r : check_report();
	}
	void *tee = tee_open(ta_dir, argv[1]);
	no_storage(tee);
	void *vm1 = vm_new(tee, 1, "vm1", true), *vm2 = vm_new(tee, 2, "vm2", true);
	basics(vm1);
	counters_after_basics(vm1);
	big(vm1, 1u << 20);
	big(vm1, 3u << 20);
	sharing(vm1, false);
	sharing(vm1, true);
	dead_holder(vm1);
	apart(vm1, vm2);
	vm_gone(vm1);
	vm_gone(vm2);
	survives(tee);
	be->close(tee);
	tee = tee_open(ta_dir, argv[1]); /* and a new back-end (a restarted TEE process) */
	survives(tee);
	state_corrupt(tee);
	be->close(tee);
	counters_without_tas();

	snprintf(cmdline, sizeof(cmdline), "rm -rf %s", tmp);
	if (system(cmdline) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return check_report();
}
