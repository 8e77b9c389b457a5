/* libvtee_ta, memory: tarun_start's checks, TEE_Malloc's hints and the TA_DATA_SIZE budget,
 * TEE_Realloc/Free/MemMove/MemCompare/MemFill, instance data, TEE_CheckMemoryAccessRights
 * (mapping, read-only data, the current call's memrefs with and without ANY_OWNER, secure and
 * non-secure), the annotation panics, cache maintenance and tee_map_zi, and the GP 1.1 twins.
 * Against OP-TEE's libutee behaviour (tee_api.c, tee_api_panic.c). */
#include "tarun_fake_host.h"
#include "../check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_start_checks(void)
{
	struct tarun_host_ops partial = fake_ops;
	struct tarun_ta no_head = fake_ta;

	partial.ta_close = NULL;
	no_head.head = NULL;
	CHECK_EQ(tarun_start(TARUN_HOST_VERSION + 1, &fake_ops, &fake_ta), -EINVAL);
	CHECK_EQ(tarun_start(TARUN_HOST_VERSION, NULL, &fake_ta), -EINVAL);
	CHECK_EQ(tarun_start(TARUN_HOST_VERSION, &partial, &fake_ta), -EINVAL);
	CHECK_EQ(tarun_start(TARUN_HOST_VERSION, &fake_ops, &no_head), -EINVAL);
	fake_start();
	CHECK_EQ(tarun_start(TARUN_HOST_VERSION, &fake_ops, &fake_ta), -EALREADY);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void malloc_no_fill(void *arg)
{
	(void)arg;
	TEE_Malloc(16, TEE_MALLOC_NO_FILL);
}

static void test_malloc_hints(void)
{
	uint32_t code;
	void *p;

	CHECK(TEE_Malloc(0, TEE_MALLOC_FILL_ZERO) == (void *)1);
	CHECK(TEE_Malloc(0, TEE_USER_MEM_HINT_NO_FILL_ZERO) == (void *)1);
	CHECK(TEE_Malloc(0, TEE_MALLOC_NO_SHARE) == (void *)2);
	CHECK(TEE_Malloc(0, TEE_MALLOC_NO_SHARE | TEE_MALLOC_NO_FILL) == (void *)2);
	TEE_Free((void *)1);
	TEE_Free((void *)2);
	TEE_Free(NULL);
	CHECK(fake_panics(malloc_no_fill, NULL, &code));
	CHECK_EQ(code, 0);

	CHECK(TEE_Malloc(16, 0x1234) == NULL);
	CHECK(fake_logged_part("Invalid hint 0x1234"));
	CHECK(fake_logged_part("E/TA:  TEE_Malloc:"));

	p = TEE_Malloc(200, TEE_USER_MEM_HINT_NO_FILL_ZERO);
	REQUIRE(p);
	memset(p, 0xaa, 200);
	TEE_Free(p);
	p = TEE_Malloc(200, TEE_MALLOC_FILL_ZERO);
	REQUIRE(p);
	CHECK(all_zero(p, 200));
	TEE_Free(p);

	/* no TA_NO_SHARE_DATA_SIZE: no no-share heap, as OP-TEE */
	CHECK(TEE_Malloc(16, TEE_MALLOC_NO_SHARE) == NULL);
	fake_ta.no_share_heap_size = 4096;
	p = TEE_Malloc(100, TEE_MALLOC_NO_SHARE);
	REQUIRE(p);
	CHECK(all_zero(p, 100));
	CHECK(TEE_Malloc(5000, TEE_MALLOC_NO_SHARE | TEE_MALLOC_NO_FILL) == NULL);
	CHECK(TEE_Realloc(p, 0) == (void *)2);
	fake_ta.no_share_heap_size = 0;
}

static void test_heap_budget(void)
{
	void *a, *b, *c;
	char *r;

	/* TA_DATA_SIZE 32 KiB: the whole heap in one block does not fit, as on OP-TEE */
	CHECK(TEE_Malloc(32 * 1024, TEE_MALLOC_FILL_ZERO) == NULL);
	a = TEE_Malloc(16 * 1024, TEE_MALLOC_FILL_ZERO);
	REQUIRE(a);
	CHECK(TEE_Malloc(16 * 1024, TEE_MALLOC_FILL_ZERO) == NULL);
	b = TEE_Malloc(8 * 1024, TEE_MALLOC_FILL_ZERO);
	CHECK(b != NULL);
	TEE_Free(a);
	c = TEE_Malloc(16 * 1024, TEE_MALLOC_FILL_ZERO);
	CHECK(c != NULL);
	TEE_Free(c);

	/* growing past the budget fails and keeps the block */
	r = TEE_Realloc(b, 33 * 1024);
	CHECK(r == NULL);
	memset(b, 0x5a, 8 * 1024);
	r = TEE_Realloc(b, 12 * 1024);
	REQUIRE(r);
	CHECK_EQ((unsigned char)r[8 * 1024 - 1], 0x5a);
	CHECK(TEE_Realloc(r, 0) == (void *)1);

	/* a block from malloc() is the TA's libc: TEE_Free takes it, the budget is untouched */
	a = malloc(20 * 1024);
	REQUIRE(a);
	TEE_Free(a);
	a = TEE_Malloc(32 * 1024 - 64, TEE_MALLOC_FILL_ZERO);
	CHECK(a != NULL);
	TEE_Free(a);

	r = TEE_Realloc((void *)1, 64);
	REQUIRE(r);
	CHECK(all_zero(r, 64));
	TEE_Free(r);
	r = TEE_Realloc(NULL, 64);
	CHECK(r != NULL);
	TEE_Free(r);
	CHECK(TEE_Realloc(NULL, 0) == (void *)1);
}

static void test_mem_ops(void)
{
	unsigned char x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const unsigned char a[3] = { 1, 2, 3 }, b[3] = { 1, 2, 4 };
	const unsigned char c[2] = { 2, 0 }, d[2] = { 1, 9 };
	int v = 5;

	CHECK(TEE_MemMove(x + 2, x, 4) == x + 2);
	CHECK(x[2] == 1 && x[5] == 4 && x[6] == 7);
	CHECK(TEE_MemCompare(a, b, 3) < 0);
	CHECK(TEE_MemCompare(b, a, 3) > 0);
	CHECK(TEE_MemCompare(a, a, 3) == 0);
	CHECK(TEE_MemCompare(a, b, 0) == 0);
	CHECK(TEE_MemCompare(c, d, 2) > 0); /* the first difference decides */
	TEE_MemFill(x, 0x1ab, sizeof(x));
	CHECK(x[0] == 0xab && x[7] == 0xab);
	CHECK(TEE_GetInstanceData() == NULL);
	TEE_SetInstanceData(&v);
	CHECK(TEE_GetInstanceData() == &v);

	CHECK(__GP11_TEE_Malloc(0, TEE_MALLOC_FILL_ZERO) == (void *)1);
	void *p = __GP11_TEE_Malloc(10, TEE_MALLOC_FILL_ZERO);
	REQUIRE(p);
	p = __GP11_TEE_Realloc(p, 20);
	REQUIRE(p);
	__GP11_TEE_MemFill(p, 7, 20);
	CHECK(((unsigned char *)p)[19] == 7);
	CHECK(__GP11_TEE_MemCompare(p, p, 20) == 0);
	CHECK(__GP11_TEE_MemMove(p, x, 8) == p);
	TEE_Free(p);
}

static const char rodata_text[] = "read-only";

static void test_access_private(void)
{
	const uint32_t rw = TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_WRITE;
	char stack[64];
	void *heap = TEE_Malloc(64, 0);
	void *libc = malloc(64);
	void *gone = (void *)0x1000; /* below mmap_min_addr: never mapped */

	REQUIRE(heap && libc);
	CHECK_EQ(TEE_CheckMemoryAccessRights(rw, stack, sizeof(stack)), TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(rw, heap, 64), TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(rw | TEE_MEMORY_ACCESS_ANY_OWNER, libc, 64),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, (void *)rodata_text, 4),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(rw, (void *)rodata_text, 4), TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, gone, 1),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, stack, 1 << 30),
		 TEE_ERROR_ACCESS_DENIED); /* runs off the stack's end */
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, NULL, 0), TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, (void *)(UINTPTR_MAX - 10), 100),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_SECURE |
					     TEE_MEMORY_ACCESS_NONSECURE, stack, 8),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_SECURE,
					     stack, 8), TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_NONSECURE,
					     stack, 8), TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(__GP11_TEE_CheckMemoryAccessRights(rw, (void *)rodata_text, 4),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(__GP11_TEE_CheckMemoryAccessRights(rw, stack, 64), TEE_SUCCESS);
	TEE_Free(heap);
	free(libc);
}

static void test_access_params(void)
{
	const uint32_t r = TEE_MEMORY_ACCESS_READ, w = TEE_MEMORY_ACCESS_WRITE;
	const uint32_t any = TEE_MEMORY_ACCESS_ANY_OWNER;
	char *in = malloc(64), *out = malloc(64);
	TEE_Param p[4] = { 0 };
	uint32_t types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
					 TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_NONE);

	REQUIRE(in && out);
	p[0].memref.buffer = in;
	p[0].memref.size = 64;
	p[1].memref.buffer = out;
	p[1].memref.size = 64;
	fake_entry(TEE_LOGIN_USER, types, p, UINT64_MAX);
	/* client memory is not private: ANY_OWNER is needed, and only the access granted */
	CHECK_EQ(TEE_CheckMemoryAccessRights(r, in, 64), TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(TEE_CheckMemoryAccessRights(r | any, in, 64), TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(r | w | any, in, 64), TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(TEE_CheckMemoryAccessRights(r | w | any, out + 8, 8), TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(r, in + 60, 8), TEE_ERROR_ACCESS_DENIED);
	/* a REE client's memory is non-secure */
	CHECK_EQ(TEE_CheckMemoryAccessRights(r | any | TEE_MEMORY_ACCESS_NONSECURE, in, 64),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(r | any | TEE_MEMORY_ACCESS_SECURE, in, 64),
		 TEE_ERROR_ACCESS_DENIED);
	tarun_entry_end();
	CHECK_EQ(TEE_CheckMemoryAccessRights(r, in, 64), TEE_SUCCESS); /* the call is over */

	fake_entry(TEE_LOGIN_TRUSTED_APP, types, p, UINT64_MAX);
	CHECK_EQ(TEE_CheckMemoryAccessRights(r | any | TEE_MEMORY_ACCESS_SECURE, in, 64),
		 TEE_SUCCESS);
	CHECK_EQ(TEE_CheckMemoryAccessRights(r | any | TEE_MEMORY_ACCESS_NONSECURE, in, 64),
		 TEE_ERROR_ACCESS_DENIED);
	tarun_entry_end();
	free(in);
	free(out);
}

static void prop_null_len(void *arg)
{
	char v[8];

	(void)arg;
	TEE_GetPropertyAsString(TEE_PROPSET_CURRENT_TA, "myprop.42", v, NULL);
}

static void prop_into_rodata(void *arg)
{
	(void)arg;
	TEE_GetPropertyAsU32(TEE_PROPSET_CURRENT_TA, "myprop.42", (uint32_t *)(void *)rodata_text);
}

static void test_annotation_panics(void)
{
	uint32_t code;

	CHECK(fake_panics(prop_null_len, NULL, &code));
	CHECK_EQ(code, 0);
	CHECK(fake_panics(prop_into_rodata, NULL, &code));
	CHECK_EQ(code, 0);
}

static void test_extensions(void)
{
	char *buf = malloc(32);
	char priv[32];
	TEE_Param p[4] = { 0 };
	TEE_UUID u = { 0 };
	unsigned char *z;

	REQUIRE(buf);
	CHECK_EQ(TEE_CacheFlush(priv, sizeof(priv)), TEE_ERROR_NOT_SUPPORTED);
	fake_head.flags |= TA_FLAG_CACHE_MAINTENANCE;
	p[0].memref.buffer = buf;
	p[0].memref.size = 32;
	fake_entry(TEE_LOGIN_PUBLIC, TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INOUT, 0, 0, 0), p,
		   UINT64_MAX);
	CHECK_EQ(TEE_CacheClean(buf, 32), TEE_SUCCESS);
	CHECK_EQ(TEE_CacheInvalidate(buf + 4, 8), TEE_SUCCESS);
	CHECK_EQ(TEE_CacheFlush(priv, sizeof(priv)), TEE_ERROR_ACCESS_DENIED);
	tarun_entry_end();
	fake_head.flags &= ~(uint32_t)TA_FLAG_CACHE_MAINTENANCE;

	CHECK_EQ(tee_uuid_from_str(&u, "8aaaf200-2450-11e4-ABE2-0002a5d5c51b"), TEE_SUCCESS);
	CHECK(!memcmp(&u, &fake_head.uuid, sizeof(u)));
	CHECK_EQ(tee_uuid_from_str(&u, "8aaaf200-2450-11e4-abe2-0002a5d5c51"), TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(tee_uuid_from_str(&u, "8aaaf200x2450-11e4-abe2-0002a5d5c51b"),
		 TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(tee_uuid_from_str(&u, "8aaaf200-2450-11e4-abe2-0002a5d5c5zz"),
		 TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(tee_uuid_from_str(&u, NULL), TEE_ERROR_BAD_FORMAT);

	z = tee_map_zi(10000, TEE_MEMORY_ACCESS_ANY_OWNER);
	REQUIRE(z);
	CHECK(all_zero(z, 10000));
	CHECK_EQ(tee_unmap(z, 10000), TEE_SUCCESS);
	CHECK(tee_map_zi(16, TEE_MEMORY_ACCESS_WRITE) == NULL);
	z = tee_map_zi(4096, 0);
	REQUIRE(z);
	CHECK(tee_map_zi_va((vaddr_t)z, 4096, 0) == NULL); /* taken: never replaced */
	CHECK_EQ(tee_unmap(z, 4096), TEE_SUCCESS);
	CHECK(tee_map_zi_va((vaddr_t)z, 4096, 0) == z);
	CHECK_EQ(tee_unmap(z, 4096), TEE_SUCCESS);
	CHECK(tee_map_zi(0, 0) == NULL);
	free(buf);
}

int main(void)
{
	test_start_checks();
	test_malloc_hints();
	test_heap_budget();
	test_mem_ops();
	test_access_private();
	test_access_params();
	test_annotation_panics();
	test_extensions();
	return check_report();
}
