/* libvtee_ta, the persistent-object calls that end the TA, as OP-TEE's do: libutee's own
 * argument checks, the core's refusals libutee lets through to no TA (a transient object, a
 * handle without the access, invalid flags, an id longer than 64 bytes), and TEE answers a
 * function may not return. Each runs in a forked child (fake_panics). */
#include "tarun_storage_test.h"

#include <errno.h>
#include <stdint.h>

static TEE_ObjectHandle h_ro, h_wo, h_rw, h_trans, h_uninit;

struct call {
	const char *what;
	void (*fn)(void *);
	void *arg;
};

#define PANICS(fn, arg) { #fn "(" #arg ")", fn, (void *)(arg) }

static void open_flags(void *arg)
{
	TEE_ObjectHandle o;

	open_obj("ro", (uint32_t)(uintptr_t)arg, &o);
}

static void open_null_handle(void *arg)
{
	(void)arg;
	TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, "ro", 2, 0, NULL);
}

static void open_long_id(void *arg)
{
	static const char id[65] = { 0 };
	TEE_ObjectHandle o;

	(void)arg;
	TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id, sizeof(id), 0, &o);
}

static void create_with(void *arg)
{
	TEE_ObjectHandle o;
	const char *what = arg;
	uint32_t flags = !strcmp(what, "flags") ? 0x1000 : RW;
	size_t id_len = !strcmp(what, "id") ? 65 : 1;
	const void *data = !strcmp(what, "data") ? NULL : "abcd";
	TEE_ObjectHandle attrs = !strcmp(what, "uninit") ? h_uninit :
				 !strcmp(what, "bogus") ? (TEE_ObjectHandle)&o : TEE_HANDLE_NULL;
	static const char id[65] = "n";

	TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id, id_len, flags, attrs, data, 4, &o);
}

static void create_gp11_no_handle(void *arg)
{
	(void)arg;
	__GP11_TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "n", 1, 0, TEE_HANDLE_NULL, NULL,
					  0, NULL);
}

static void read_from(void *arg)
{
	char buf[4];
	size_t n = 0;

	TEE_ReadObjectData(arg, buf, sizeof(buf), &n);
}

static void read_no_count(void *arg)
{
	char buf[4];

	TEE_ReadObjectData(arg, buf, sizeof(buf), NULL);
}

static void read_into_text(void *arg)
{
	size_t n = 0;

	TEE_ReadObjectData(arg, (void *)"const text, not writable", 4, &n);
}

static void write_to(void *arg)
{
	TEE_WriteObjectData(arg, "x", 1);
}

static void write_null_buffer(void *arg)
{
	TEE_WriteObjectData(arg, NULL, 3);
}

static void truncate_it(void *arg)
{
	TEE_TruncateObjectData(arg, 0);
}

static void seek_whence(void *arg)
{
	TEE_SeekObjectData(h_rw, 0, (TEE_Whence)(uintptr_t)arg);
}

static void seek_in(void *arg)
{
	TEE_SeekObjectData(arg, 0, TEE_DATA_SEEK_SET);
}

static void rename_it(void *arg)
{
	TEE_RenamePersistentObject(arg, "new", 3);
}

static void rename_long(void *arg)
{
	static const char id[65] = "x";

	TEE_RenamePersistentObject(arg, id, sizeof(id));
}

static void delete_it(void *arg)
{
	TEE_CloseAndDeletePersistentObject1(arg);
}

static void close_it(void *arg)
{
	TEE_CloseObject(arg);
}

static void populate_it(void *arg)
{
	TEE_Attribute a;

	TEE_InitRefAttribute(&a, TEE_ATTR_SECRET_VALUE, "0123456789abcdef", 16);
	TEE_PopulateTransientObject(arg, &a, 1);
}

static void reset_it(void *arg)
{
	TEE_ResetTransientObject(arg);
}

static void free_it(void *arg)
{
	TEE_FreeTransientObject(arg);
}

static void generate_in(void *arg)
{
	TEE_GenerateKey(arg, 128, NULL, 0);
}

static void copy_into(void *arg)
{
	TEE_CopyObjectAttributes1(arg, h_trans);
}

/* The TEE answers `force` (or fails with host_error) to the next request of fn. */
static void forced_write(void *arg)
{
	fake_st.force = (TEE_Result)(uintptr_t)arg;
	TEE_WriteObjectData(h_rw, "x", 1);
}

static void forced_open(void *arg)
{
	TEE_ObjectHandle o;

	fake_st.force = (TEE_Result)(uintptr_t)arg;
	open_obj("ro", TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, &o);
}

static void failed_open(void *arg)
{
	TEE_ObjectHandle o;

	fake_st.host_error = (int)(intptr_t)arg;
	open_obj("ro", TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, &o);
}

/* The deprecated delete lets no error through, not even STORAGE_NOT_AVAILABLE. */
static void forced_old_delete(void *arg)
{
	TEE_ObjectHandle o = create_data("dm", RWM, "");

	(void)arg;
	fake_st.force = TEE_ERROR_STORAGE_NOT_AVAILABLE;
	TEE_CloseAndDeletePersistentObject(o);
}

/* The TEE no longer knows the handle (the runtime lost track): closing it panics. */
static void close_forgotten(void *arg)
{
	(void)arg;
	memset(fake_st.handles, 0, sizeof(fake_st.handles));
	TEE_CloseObject(h_ro);
}

static void open_handles(void)
{
	const uint32_t sr = TEE_DATA_FLAG_SHARE_READ;

	TEE_CloseObject(create_data("ro", RW | sr | TEE_DATA_FLAG_SHARE_WRITE, "abc"));
	TEE_CloseObject(create_data("wo", RW, "abc"));
	TEE_CloseObject(create_data("rw", RW, "abc"));
	REQUIRE_EQ(open_obj("ro", TEE_DATA_FLAG_ACCESS_READ | sr | TEE_DATA_FLAG_SHARE_WRITE,
			    &h_ro), TEE_SUCCESS);
	REQUIRE_EQ(open_obj("wo", TEE_DATA_FLAG_ACCESS_WRITE, &h_wo), TEE_SUCCESS);
	REQUIRE_EQ(open_obj("rw", RW, &h_rw), TEE_SUCCESS);
	h_trans = key_from_hex(TEE_TYPE_AES, "000102030405060708090a0b0c0d0e0f");
	REQUIRE_EQ(TEE_AllocateTransientObject(TEE_TYPE_AES, 128, &h_uninit), TEE_SUCCESS);
}

/* After open_handles: the handles are in the table. */
static void run_calls(void)
{
	const struct call calls[] = {
		PANICS(open_flags, TEE_DATA_FLAG_OVERWRITE), PANICS(open_flags, 0x8),
		PANICS(open_null_handle, 0), PANICS(open_long_id, 0),
		PANICS(create_with, "flags"), PANICS(create_with, "id"),
		PANICS(create_with, "data"), PANICS(create_with, "uninit"),
		PANICS(create_with, "bogus"), PANICS(create_gp11_no_handle, 0),
		PANICS(read_from, NULL), PANICS(read_from, h_wo), PANICS(read_from, h_trans),
		PANICS(read_no_count, h_ro), PANICS(read_into_text, h_ro),
		PANICS(write_to, NULL), PANICS(write_to, h_ro), PANICS(write_to, h_trans),
		PANICS(write_null_buffer, h_rw),
		PANICS(truncate_it, NULL), PANICS(truncate_it, h_ro), PANICS(truncate_it, h_trans),
		PANICS(seek_whence, 3), PANICS(seek_whence, TEE_WHENCE_ILLEGAL_VALUE),
		PANICS(seek_in, NULL), PANICS(seek_in, h_trans),
		PANICS(rename_it, NULL), PANICS(rename_it, h_rw), PANICS(rename_it, h_trans),
		PANICS(rename_long, h_rw),
		PANICS(delete_it, h_rw), PANICS(delete_it, h_trans),
		PANICS(populate_it, h_rw), PANICS(reset_it, h_rw), PANICS(free_it, h_rw),
		PANICS(generate_in, h_rw), PANICS(copy_into, h_rw),
		PANICS(forced_write, TEE_ERROR_ACCESS_CONFLICT),
		PANICS(forced_write, TEE_ERROR_GENERIC),
		PANICS(forced_open, TEE_ERROR_GENERIC), PANICS(forced_open, TEE_ERROR_BAD_STATE),
		PANICS(failed_open, -EIO), PANICS(forced_old_delete, 0),
		PANICS(close_forgotten, 0), PANICS(close_it, &h_ro),
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		bool panicked = ta_panics(calls[i].fn, calls[i].arg);

		if (!panicked)
			fprintf(stderr, "no panic: %s\n", calls[i].what);
		CHECK(panicked);
	}
}

int main(void)
{
	fake_start();
	storage_on();
	open_handles();
	run_calls();
	/* none of it touched the store or the handles */
	CHECK_EQ(fake_st_open_handles(), 3);
	CHECK(stored_is("rw", "abc", 3) && stored_is("ro", "abc", 3));
	TEE_CloseObject(h_ro);
	TEE_CloseObject(h_wo);
	TEE_CloseObject(h_rw);
	TEE_FreeTransientObject(h_trans);
	TEE_FreeTransientObject(h_uninit);
	fake_st_reset();
	return check_report();
}
