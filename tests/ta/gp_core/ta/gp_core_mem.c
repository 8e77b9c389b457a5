// SPDX-License-Identifier: MIT
/*
 * Memory: TEE_Malloc and its hints, TEE_Realloc, the TA_DATA_SIZE budget,
 * MemMove/MemCompare/MemFill, and TEE_CheckMemoryAccessRights on private
 * memory, read-only data, an unmapped page and a client memref (which needs
 * TEE_MEMORY_ACCESS_ANY_OWNER).
 */
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

#include "gp_core.h"
#include "user_ta_header_defines.h"

#define CHUNK (8 * 1024)
#define MAX_CHUNKS (TA_DATA_SIZE / CHUNK + 1)

static bool all(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void check_malloc(struct ta_report *r)
{
	uint8_t *p = TEE_Malloc(100, TEE_MALLOC_FILL_ZERO);
	void *q;

	report_check(r, p && all(p, 100, 0), "TEE_Malloc(100, FILL_ZERO) is zeroed");
	if (!p)
		return;
	TEE_MemFill(p, 0xa5, 100);
	report_check(r, all(p, 100, 0xa5), "TEE_MemFill sets every byte");
	p = TEE_Realloc(p, 1000);
	report_check(r, p && all(p, 100, 0xa5), "TEE_Realloc to 1000 bytes keeps the 100");
	if (p)
		p = TEE_Realloc(p, 10);
	report_check(r, p && all(p, 10, 0xa5), "TEE_Realloc down to 10 bytes keeps them");
	TEE_Free(p);
	q = TEE_Malloc(0, TEE_MALLOC_FILL_ZERO);
	report_check(r, q != NULL, "TEE_Malloc(0) is not NULL");
	TEE_Free(q);
	q = TEE_Malloc(16, 0x100);
	report_check(r, q == NULL, "TEE_Malloc with an unknown hint is NULL");
	TEE_Free(q);
	q = TEE_Malloc(64, TEE_USER_MEM_HINT_NO_FILL_ZERO);
	report_check(r, q != NULL, "TEE_Malloc with TEE_USER_MEM_HINT_NO_FILL_ZERO");
	TEE_Free(q);
	q = TEE_Realloc(NULL, 32);
	report_check(r, q != NULL, "TEE_Realloc(NULL, 32) allocates");
	TEE_Free(q);
	TEE_Free(NULL);
}

static void check_budget(struct ta_report *r)
{
	void *chunks[MAX_CHUNKS];
	size_t n = 0;
	void *big = TEE_Malloc(TA_DATA_SIZE + 1, 0);

	report_check(r, big == NULL, "TEE_Malloc of more than TA_DATA_SIZE is NULL");
	TEE_Free(big);
	while (n < MAX_CHUNKS && (chunks[n] = TEE_Malloc(CHUNK, 0)) != NULL)
		n++;
	report_check(r, n < MAX_CHUNKS && n * CHUNK >= TA_DATA_SIZE / 2,
		     "TEE_Malloc stops within TA_DATA_SIZE (%zu KiB of %d given)",
		     n * CHUNK / 1024, TA_DATA_SIZE / 1024);
	while (n)
		TEE_Free(chunks[--n]);
	big = TEE_Malloc(TA_DATA_SIZE / 2, 0);
	report_check(r, big != NULL, "after freeing, TA_DATA_SIZE / 2 fits again");
	TEE_Free(big);
}

static void check_mem_ops(struct ta_report *r)
{
	char buf[11] = "0123456789";

	TEE_MemMove(buf + 2, buf, 6);
	report_check(r, !memcmp(buf, "0101234589", 10), "TEE_MemMove with overlap (\"%s\")", buf);
	report_check(r, TEE_MemCompare("abc", "abd", 3) < 0 &&
		     TEE_MemCompare("abd", "abc", 3) > 0 &&
		     TEE_MemCompare("abc", "abc", 3) == 0, "TEE_MemCompare orders");
}

static void check_rights(struct ta_report *r, TEE_Param *client)
{
	static const uint8_t rodata[64] = { 1, 2, 3 };
	const uint32_t rw = TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_WRITE;
	uint8_t stack[64] = { 0 };
	uint8_t *heap = TEE_Malloc(64, TEE_MALLOC_FILL_ZERO);

	report_res(r, TEE_CheckMemoryAccessRights(rw, heap, 64), TEE_SUCCESS,
		   "access rights: the TA's heap is read/write");
	report_res(r, TEE_CheckMemoryAccessRights(rw, stack, sizeof(stack)), TEE_SUCCESS,
		   "access rights: the TA's stack is read/write");
	report_res(r, TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, (void *)rodata,
						  sizeof(rodata)),
		   TEE_SUCCESS, "access rights: read-only data is readable");
	report_res(r, TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_WRITE, (void *)rodata,
						  sizeof(rodata)),
		   TEE_ERROR_ACCESS_DENIED, "access rights: read-only data is not writable");
	report_res(r, TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ, (void *)16, 16),
		   TEE_ERROR_ACCESS_DENIED, "access rights: an unmapped page is denied");
	report_res(r, TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ,
						  client->memref.buffer, client->memref.size),
		   TEE_ERROR_ACCESS_DENIED,
		   "access rights: a client memref without ANY_OWNER is denied");
	report_res(r, TEE_CheckMemoryAccessRights(rw | TEE_MEMORY_ACCESS_ANY_OWNER,
						  client->memref.buffer, client->memref.size),
		   TEE_SUCCESS, "access rights: a client INOUT memref with ANY_OWNER is read/write");
	TEE_Free(heap);
}

void gp_core_memory(struct ta_report *r, uint32_t types, TEE_Param params[4])
{
	check_malloc(r);
	check_budget(r);
	check_mem_ops(r);
	if (TEE_PARAM_TYPE_GET(types, 2) != TEE_PARAM_TYPE_MEMREF_INOUT ||
	    params[2].memref.size < 16) {
		report_check(r, false, "memory: [2] must be a MEMREF_INOUT of 16 bytes or more");
		return;
	}
	check_rights(r, &params[2]);
}
