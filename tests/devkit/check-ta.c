// SPDX-License-Identifier: MIT
/*
 * Loads a TA built by the dev kit the way the TA host process does
 * (dlopen, RTLD_NOW) and checks what user_ta_header.c put in it: ta_head,
 * the property table in OP-TEE's order, heap size, trace level, the entry
 * points; then calls them. This program stands in for libvtee_ta: it exports
 * the few GP functions the test TAs call and records how they were called.
 *
 *   devkit-check-ta compat <uuid>.ta        tests/devkit/ta_compat (GP 1.1)
 *   devkit-check-ta full <uuid>.ta <sm>     tests/devkit/ta_full (GP 1.3.1)
 *   devkit-check-ta os <uuid>.ta            tests/devkit/ta_os_style (optee_test's layout)
 *   devkit-check-ta libs <uuid>.ta [<lib>...] tests/devkit/ta_libs, its TA shared libraries
 *                                           found beside it or loaded first
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tee_internal_api.h>
#include <user_ta_header.h>

#include "../check.h"
#include "ta_compat/include/compat_ta.h"
#include "ta_full/include/full_ta.h"
#include "ta_libs/ta/include/libs_ta.h"

/* --- the GP functions the test TAs use, exported to them --- */

static uint32_t last_gp11_malloc_size = UINT32_MAX;
static unsigned int trace_lines;

void trace_printf(const char *func, int line, int level, bool level_ok,
		  const char *fmt, ...)
{
	va_list ap;

	(void)func;
	(void)line;
	(void)level;
	(void)level_ok;
	va_start(ap, fmt);
	va_end(ap);
	trace_lines++;
}

void *__GP11_TEE_Malloc(uint32_t size, uint32_t hint)
{
	(void)hint;
	last_gp11_malloc_size = size;
	return calloc(1, size ? size : 1);
}

void *__GP11_TEE_MemMove(void *dest, const void *src, uint32_t size)
{
	return memmove(dest, src, size);
}

void TEE_Free(void *buffer)
{
	free(buffer);
}

/* --- the TA --- */

struct ta {
	void *dl;
	const struct ta_head *head;
	const struct user_ta_property *props;
	size_t num_props;
	TEE_Result (*create)(void);
	void (*destroy)(void);
	TEE_Result (*open)(uint32_t, TEE_Param *, void **);
	void (*close)(void *);
	TEE_Result (*invoke)(void *, uint32_t, uint32_t, TEE_Param *);
};

/* dlsym() returns data and functions as void *; copy to the function type */
#define LOAD_FN(ta, field, name) \
	do { \
		void *sym_ = dlsym((ta)->dl, name); \
		REQUIRE(sym_ != NULL); \
		memcpy(&(ta)->field, &sym_, sizeof(sym_)); \
	} while (0)

static void load_ta(const char *path, struct ta *ta)
{
	const size_t *num;

	ta->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!ta->dl)
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
	REQUIRE(ta->dl != NULL);
	ta->head = dlsym(ta->dl, "ta_head");
	ta->props = dlsym(ta->dl, "ta_props");
	num = dlsym(ta->dl, "ta_num_props");
	REQUIRE(ta->head && ta->props && num);
	ta->num_props = *num;
	LOAD_FN(ta, create, "TA_CreateEntryPoint");
	LOAD_FN(ta, destroy, "TA_DestroyEntryPoint");
	LOAD_FN(ta, open, "TA_OpenSessionEntryPoint");
	LOAD_FN(ta, close, "TA_CloseSessionEntryPoint");
	LOAD_FN(ta, invoke, "TA_InvokeCommandEntryPoint");
}

static void check_head(const struct ta *ta, const TEE_UUID *uuid,
		       uint32_t flags, uint32_t stack)
{
	CHECK(memcmp(&ta->head->uuid, uuid, sizeof(*uuid)) == 0);
	CHECK_EQ(ta->head->flags, flags);
	CHECK_EQ(ta->head->stack_size, stack + 2048);
	CHECK_EQ(ta->head->depr_entry, UINT64_MAX);
}

static void check_data(const struct ta *ta, size_t heap, size_t no_share,
		       int level)
{
	const size_t *heap_size = dlsym(ta->dl, "ta_heap_size");
	const size_t *no_share_size = dlsym(ta->dl, "__ta_no_share_heap_size");
	const int *trace_level = dlsym(ta->dl, "trace_level");
	const char *prefix = dlsym(ta->dl, "trace_ext_prefix");

	REQUIRE(heap_size && no_share_size && trace_level && prefix);
	CHECK_EQ(*heap_size, heap);
	CHECK_EQ(*no_share_size, no_share);
	CHECK_EQ(*trace_level, level);
	CHECK(strcmp(prefix, "TA") == 0);
}

/* one expected property: the value as the type says */
struct prop {
	const char *name;
	enum user_ta_prop_type type;
	uint64_t num;		/* BOOL, U32, U64 */
	const char *str;	/* STRING, BINARY_BLOCK, INVALID */
	const void *bin;	/* UUID, IDENTITY */
	size_t bin_len;
};

#define P_NUM(n, t, v)	{ .name = (n), .type = USER_TA_PROP_TYPE_##t, .num = (v) }
#define P_STR(n, t, v)	{ .name = (n), .type = USER_TA_PROP_TYPE_##t, .str = (v) }
#define P_BIN(n, t, v)	{ .name = (n), .type = USER_TA_PROP_TYPE_##t, .bin = (v), \
			  .bin_len = sizeof(*(v)) }

static void check_props(const struct ta *ta, const struct prop *want, size_t n)
{
	CHECK_EQ(ta->num_props, n);
	for (size_t i = 0; i < n && i < ta->num_props; i++) {
		const struct user_ta_property *p = &ta->props[i];

		CHECK(strcmp(p->name, want[i].name) == 0);
		CHECK_EQ(p->type, want[i].type);
		if (p->type != want[i].type)
			continue;
		switch (p->type) {
		case USER_TA_PROP_TYPE_BOOL:
			CHECK_EQ(*(const bool *)p->value, want[i].num);
			break;
		case USER_TA_PROP_TYPE_U32:
			CHECK_EQ(*(const uint32_t *)p->value, want[i].num);
			break;
		case USER_TA_PROP_TYPE_U64:
			CHECK_EQ(*(const uint64_t *)p->value, want[i].num);
			break;
		case USER_TA_PROP_TYPE_UUID:
		case USER_TA_PROP_TYPE_IDENTITY:
			CHECK(memcmp(p->value, want[i].bin, want[i].bin_len) == 0);
			break;
		default:
			CHECK(strcmp(p->value, want[i].str) == 0);
			break;
		}
	}
}

#define STD_PROPS(single, multi, alive, data, stack, version, desc, noclose) \
	P_NUM("gpd.ta.singleInstance", BOOL, single), \
	P_NUM("gpd.ta.multiSession", BOOL, multi), \
	P_NUM("gpd.ta.instanceKeepAlive", BOOL, alive), \
	P_NUM("optee.ta.instanceKeepCrashed", BOOL, 0), \
	P_NUM("gpd.ta.dataSize", U32, data), \
	P_NUM("gpd.ta.stackSize", U32, stack), \
	P_STR("gpd.ta.version", STRING, version), \
	P_STR("gpd.ta.description", STRING, desc), \
	P_NUM("gpd.ta.endian", U32, 0), \
	P_NUM("gpd.ta.doesNotCloseHandleOnCorruptObject", BOOL, noclose)

static void *open_session(const struct ta *ta)
{
	TEE_Param params[TEE_NUM_PARAMS] = { 0 };
	void *sess = NULL;

	CHECK_EQ(ta->create(), TEE_SUCCESS);
	CHECK_EQ(ta->open(0, params, &sess), TEE_SUCCESS);
	return sess;
}

static void close_session(const struct ta *ta, void *sess)
{
	ta->close(sess);
	ta->destroy();
}

/* the GP 1.1 TA sees memref sizes as uint32_t, and its sizes come back */
static void check_compat_sizes(const struct ta *ta, void *sess, size_t sent,
			       uint32_t seen)
{
	TEE_Param p[TEE_NUM_PARAMS] = { 0 };
	uint32_t types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INOUT,
					 TEE_PARAM_TYPE_VALUE_OUTPUT,
					 TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE);
	char buf[64] = { 10 };

	p[0].memref.buffer = buf;
	p[0].memref.size = sent;
	p[2].value.a = 0xdead;	/* NONE: the wrapper must leave it alone */
	CHECK_EQ(ta->invoke(sess, COMPAT_CMD_SIZES, types, p), TEE_SUCCESS);
	CHECK_EQ(p[1].value.a, sizeof(uint32_t));
	CHECK_EQ(p[1].value.b, seen);
	CHECK_EQ(last_gp11_malloc_size, seen);
	CHECK(p[0].memref.buffer == buf);
	CHECK_EQ(p[0].memref.size, seen / 2);
	CHECK_EQ(buf[0], 11);
	CHECK_EQ(p[2].value.a, 0xdead);
}

static void check_compat(const char *path)
{
	static const TEE_UUID uuid = COMPAT_TA_UUID;
	static const struct prop props[] = {
		STD_PROPS(1, 1, 1, 32 * 1024, 2 * 1024, "Undefined version",
			  "Undefined description", 0),
		P_STR("gp.ta.description", STRING, "Compat TA"),
		P_NUM("gp.ta.version", U32, 0x10),
	};
	TEE_Param p[TEE_NUM_PARAMS] = { 0 };
	struct ta ta;
	void *sess;

	load_ta(path, &ta);
	check_head(&ta, &uuid, TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION |
		   TA_FLAG_INSTANCE_KEEP_ALIVE, 2 * 1024);
	check_data(&ta, 32 * 1024, 0, 4);
	check_props(&ta, props, sizeof(props) / sizeof(props[0]));
	CHECK(dlsym(ta.dl, "__GP11_TA_InvokeCommandEntryPoint") != NULL);
	CHECK(dlsym(ta.dl, "__GP11_TA_OpenSessionEntryPoint") != NULL);

	sess = open_session(&ta);
	CHECK_EQ(ta.open(TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, 0, 0, 0),
			 p, &sess), TEE_ERROR_BAD_PARAMETERS);
	p[0].value.a = 41;
	CHECK_EQ(ta.invoke(sess, COMPAT_CMD_INC,
			   TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT, 0, 0, 0), p),
		 TEE_SUCCESS);
	CHECK_EQ(p[0].value.a, 42);
	check_compat_sizes(&ta, sess, 10, 10);
	/* a size beyond 32 bits reaches a GP 1.1 TA truncated, as on OP-TEE */
	if (sizeof(size_t) > sizeof(uint32_t))
		check_compat_sizes(&ta, sess, (size_t)((1ULL << 32) + 5), 5);
	CHECK_EQ(ta.invoke(sess, 99, 0, p), TEE_ERROR_BAD_PARAMETERS);
	close_session(&ta, sess);
	CHECK_CMP(trace_lines, >, 0);
	dlclose(ta.dl);
}

static void check_full(const char *path, const char *sm)
{
	static const TEE_UUID uuid = FULL_TA_UUID;
	static const struct prop props[] = {
		STD_PROPS(0, 0, 0, 64 * 1024, 4 * 1024, "1.2.3",
			  "vtee dev kit full tree", 1),
		P_NUM("org.vtee.full.u64", U64, 0x1122334455667788ULL),
		P_NUM("org.vtee.full.bool", BOOL, 1),
		P_STR("org.vtee.full.block", BINARY_BLOCK, "AQID"),
	};
	uint32_t types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT,
					 TEE_PARAM_TYPE_MEMREF_OUTPUT,
					 TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE);
	TEE_Param p[TEE_NUM_PARAMS] = { 0 };
	char buf[32] = "";
	struct ta ta;
	void *sess;

	load_ta(path, &ta);
	check_head(&ta, &uuid, TA_FLAG_DONT_CLOSE_HANDLE_ON_CORRUPT_OBJECT,
		   4 * 1024);
	check_data(&ta, 64 * 1024, 8 * 1024, 3);
	check_props(&ta, props, sizeof(props) / sizeof(props[0]));
	CHECK(dlsym(ta.dl, "__GP11_TA_InvokeCommandEntryPoint") == NULL);

	sess = open_session(&ta);
	/* too small a buffer: SHORT_BUFFER with the size needed */
	p[1].memref.buffer = buf;
	p[1].memref.size = 1;
	CHECK_EQ(ta.invoke(sess, FULL_CMD_PROBE, types, p), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(p[1].memref.size, strlen(sm) + 1);
	p[1].memref.size = sizeof(buf);
	CHECK_EQ(ta.invoke(sess, FULL_CMD_PROBE, types, p), TEE_SUCCESS);
	CHECK_EQ(p[0].value.a, FULL_PROBE_SUM);
	CHECK_EQ(p[0].value.b, 42);
	CHECK(strcmp(buf, sm) == 0);
	CHECK_EQ(ta.invoke(sess, FULL_CMD_CXX, TEE_PARAM_TYPES(
			   TEE_PARAM_TYPE_VALUE_OUTPUT, 0, 0, 0), p), TEE_SUCCESS);
	CHECK_EQ(p[0].value.a, FULL_CXX_OK);
	close_session(&ta, sess);
	dlclose(ta.dl);
}

/* optee_test's os_test layout and properties of every type */
static void check_os_style(const char *path)
{
	static const TEE_UUID uuid = { 0x2c4e6a80, 0x1b3d, 0x4f5e,
		{ 0x8a, 0x7b, 0x9c, 0x0d, 0x1e, 0x2f, 0x3a, 0x4b } };
	static const TEE_UUID prop_uuid = { 1, 2, 3, { 4, 5, 6, 7, 8, 9, 10, 11 } };
	static const TEE_Identity prop_id = {
		1, { 2, 3, 4, { 5, 6, 7, 8, 9, 10, 11, 12 } } };
	static const struct prop props[] = {
		STD_PROPS(1, 1, 0, 900 * 1024, 32 * 1024, "Undefined version",
			  "Undefined description", 0),
		P_NUM("myprop.true", BOOL, 1),
		P_NUM("myprop.42", U32, 42),
		P_BIN("myprop.123", UUID, &prop_uuid),
		P_BIN("myprop.1234", IDENTITY, &prop_id),
		P_STR("myprop.hello", STRING, "hello property"),
		P_STR("myprop.binaryblock", BINARY_BLOCK, "SGVsbG8gd29ybGQh"),
		P_STR("myprop.invalid", INVALID, "-%@&"),
	};
	TEE_Param p[TEE_NUM_PARAMS] = { 0 };
	struct ta ta;
	void *sess;

	load_ta(path, &ta);
	check_head(&ta, &uuid, TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION,
		   32 * 1024);
	check_data(&ta, 900 * 1024, 0, 1);
	check_props(&ta, props, sizeof(props) / sizeof(props[0]));
	sess = open_session(&ta);
	CHECK_EQ(ta.invoke(sess, 0, 0, p), TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(p[0].value.a, strlen("os-style"));	/* from its C++ part */
	CHECK_EQ(p[0].value.b, 1);
	CHECK_EQ(ta.invoke(sess, 1, 0, p), TEE_SUCCESS);	/* longjmp */
	close_session(&ta, sess);
}

/*
 * A TA linked against TA shared libraries needs them as <uuid>.ta: beside it
 * ($ORIGIN) or already loaded.
 */
static void check_libs(const char *path, char **libs, int nlibs)
{
	static const TEE_UUID uuid = LIBS_TA_UUID;
	TEE_Param p[TEE_NUM_PARAMS] = { 0 };
	struct ta ta;
	void *sess;

	for (int i = 0; i < nlibs; i++) {
		void *lib = dlopen(libs[i], RTLD_NOW | RTLD_GLOBAL);

		if (!lib)
			fprintf(stderr, "dlopen %s: %s\n", libs[i], dlerror());
		REQUIRE(lib != NULL);
	}
	load_ta(path, &ta);
	check_head(&ta, &uuid, TA_FLAG_MULTI_SESSION, 2 * 1024);
	sess = open_session(&ta);
	CHECK_EQ(ta.invoke(sess, LIBS_CMD_SUM, TEE_PARAM_TYPES(
			   TEE_PARAM_TYPE_VALUE_OUTPUT, 0, 0, 0), p), TEE_SUCCESS);
	CHECK_EQ(p[0].value.a, LIBS_SUM);
	close_session(&ta, sess);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "compat") == 0) {
		check_compat(argv[2]);
	} else if (argc == 4 && strcmp(argv[1], "full") == 0) {
		check_full(argv[2], argv[3]);
	} else if (argc == 3 && strcmp(argv[1], "os") == 0) {
		check_os_style(argv[2]);
	} else if (argc >= 3 && strcmp(argv[1], "libs") == 0) {
		check_libs(argv[2], argv + 3, argc - 3);
	} else {
		fprintf(stderr, "usage: %s compat TA | full TA SM | os TA | libs TA LIB...\n",
			argv[0]);
		return 2;
	}
	return check_report();
}
