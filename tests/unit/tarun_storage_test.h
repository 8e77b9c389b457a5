/* Helpers of the libvtee_ta persistent-object tests (test_tarun_storage*.c), on the fake host's
 * in-memory storage (tarun_fake_storage.c). */
#ifndef TARUN_STORAGE_TEST_H
#define TARUN_STORAGE_TEST_H

#include "tarun_crypto_test.h"

#define RW (TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE)
#define RWM (RW | TEE_DATA_FLAG_ACCESS_WRITE_META)

/* A data-only object `id` with `data` as its stream, open with `flags`. */
static inline TEE_ObjectHandle create_data(const char *id, uint32_t flags, const char *data)
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;

	REQUIRE_EQ(TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id, strlen(id), flags,
					      TEE_HANDLE_NULL, data, strlen(data), &o),
		   TEE_SUCCESS);
	REQUIRE(o != TEE_HANDLE_NULL);
	return o;
}

static inline TEE_Result open_obj(const char *id, uint32_t flags, TEE_ObjectHandle *o)
{
	return TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id, strlen(id), flags, o);
}

/* Does the stored stream of `id` hold exactly len bytes of `want`? */
static inline bool stored_is(const char *id, const void *want, size_t len)
{
	const struct fake_object *o = fake_st_find(id, strlen(id));

	return o && o->size == len && (!len || !memcmp(o->data, want, len));
}

/* A fresh storage, served. */
static inline void storage_on(void)
{
	fake_st_reset();
	fake.storage = true;
}

#endif
