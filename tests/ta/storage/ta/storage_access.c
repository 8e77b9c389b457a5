// SPDX-License-Identifier: MIT
/*
 * storage, report ACCESS: the GP sharing rules between two handles of one
 * object in one instance (OP-TEE's tee_pobj_check_access, xtest 6010's
 * access conflicts): WRITE_META is exclusive; where either handle reads
 * (writes), both must share reads (writes); the share bits must agree. And
 * two handles that share see each other's writes. The same rules across
 * instances are the driver's and the guest client's (HOLD, TRY_OPEN).
 */
#include <string.h>

#include "storage.h"

#define R   TEE_DATA_FLAG_ACCESS_READ
#define W   TEE_DATA_FLAG_ACCESS_WRITE
#define WM  TEE_DATA_FLAG_ACCESS_WRITE_META
#define SR  TEE_DATA_FLAG_SHARE_READ
#define SW  TEE_DATA_FLAG_SHARE_WRITE

struct pair {
	uint32_t first, second;
	TEE_Result want;
	const char *what;
};

static const struct pair pairs[] = {
	{ R, R, TEE_ERROR_ACCESS_CONFLICT, "READ then READ, no sharing" },
	{ 0, 0, TEE_SUCCESS, "two opens without any flag" },
	{ R | SR, R | SR, TEE_SUCCESS, "READ|SHARE_READ twice" },
	{ R | SR, R, TEE_ERROR_ACCESS_CONFLICT, "READ|SHARE_READ then READ" },
	{ R | SR, SR, TEE_SUCCESS, "READ|SHARE_READ then SHARE_READ alone" },
	{ R | SR, W | SR | SW, TEE_ERROR_ACCESS_CONFLICT,
	  "READ|SHARE_READ then WRITE (the first does not share writes)" },
	{ R | W | SR | SW, R | W | SR | SW, TEE_SUCCESS, "READ|WRITE sharing both, twice" },
	{ R | W | SR | SW, R | SR | SW, TEE_SUCCESS, "read-write then read, sharing both" },
	{ R | W | SR | SW, R | SR, TEE_ERROR_ACCESS_CONFLICT,
	  "read-write sharing both, then read sharing reads only" },
	{ W | SW, W | SW, TEE_SUCCESS, "WRITE|SHARE_WRITE twice" },
	{ R | SR | SW, WM, TEE_ERROR_ACCESS_CONFLICT, "WRITE_META after a sharing handle" },
	{ WM | SR | SW, R | SR | SW, TEE_ERROR_ACCESS_CONFLICT,
	  "any open after a WRITE_META handle" },
	{ WM | SR | SW, WM | SR | SW, TEE_ERROR_ACCESS_CONFLICT, "WRITE_META twice" },
};

static void check_pair(struct ta_report *r, uint32_t storage, const struct pair *p)
{
	TEE_ObjectHandle a = TEE_HANDLE_NULL, b = TEE_HANDLE_NULL;
	TEE_Result res;

	res = TEE_OpenPersistentObject(storage, "share", 5, p->first, &a);
	if (!report_res(r, res, TEE_SUCCESS, p->what))
		return;
	res = TEE_OpenPersistentObject(storage, "share", 5, p->second, &b);
	report_res(r, res, p->want, p->what);
	TEE_CloseObject(b);
	TEE_CloseObject(a);
}

/* Two sharing handles: a write through one is read through the other. */
static void check_shared_view(struct ta_report *r, uint32_t storage)
{
	static const uint8_t news[4] = { 'n', 'e', 'w', 's' };
	TEE_ObjectHandle a = TEE_HANDLE_NULL, b = TEE_HANDLE_NULL;
	uint32_t flags = R | W | SR | SW;

	if (TEE_OpenPersistentObject(storage, "share", 5, flags, &a) != TEE_SUCCESS ||
	    TEE_OpenPersistentObject(storage, "share", 5, flags, &b) != TEE_SUCCESS) {
		report_check(r, false, "open share twice for reading and writing");
		goto out;
	}
	TEE_SeekObjectData(a, 0, TEE_DATA_SEEK_END);
	report_res(r, TEE_WriteObjectData(a, news, sizeof(news)), TEE_SUCCESS,
		   "append through one handle");
	storage_expect_size(r, b, 12, 0, "the other handle: the new size, its own position");
	storage_expect_at(r, b, 8, news, sizeof(news), "and reads the appended bytes");
out:
	TEE_CloseObject(b);
	TEE_CloseObject(a);
}

/* Creating over an object another handle has open, and deleting while shared. */
static void check_create_conflicts(struct ta_report *r, uint32_t storage)
{
	TEE_ObjectHandle a = TEE_HANDLE_NULL, b = TEE_HANDLE_NULL;
	TEE_Result res;

	if (TEE_OpenPersistentObject(storage, "share", 5, R, &a) != TEE_SUCCESS) {
		report_check(r, false, "open share for reading");
		return;
	}
	res = TEE_CreatePersistentObject(storage, "share", 5, R | W | WM, TEE_HANDLE_NULL,
					 NULL, 0, &b);
	report_res(r, res, TEE_ERROR_ACCESS_CONFLICT,
		   "create without OVERWRITE over an object open elsewhere");
	TEE_CloseObject(b);
	TEE_CloseObject(a);
	res = TEE_OpenPersistentObject(storage, "share", 5, WM, &a);
	report_res(r, res, TEE_SUCCESS, "WRITE_META once the other handles are closed");
	TEE_CloseObject(a);
}

void storage_access(struct ta_report *r, uint32_t storage)
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;

	if (!report_res(r, storage_make(storage, "share", "abcdefgh", 8, &h), TEE_SUCCESS,
			"create share with 8 bytes"))
		return;
	TEE_CloseObject(h);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		check_pair(r, storage, &pairs[i]);
	check_shared_view(r, storage);
	check_create_conflicts(r, storage);
	storage_remove(storage, "share");
}
