/* The fake TA host's persistent objects (tarun_fake_host.h, the st_* ops): an in-memory table
 * of objects (id, meta blob, data) and open handles, with GP's sharing rules applied simply
 * (each open handle against the new one, as OP-TEE's tee_pobj_check_access) and the access
 * rights OP-TEE's core checks on each operation. fake.storage false: a TEE without storage. */
#include "tarun_fake_host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HANDLE_BASE 0x100u

struct fake_st fake_st;

void fake_st_reset(void)
{
	for (size_t i = 0; i < FAKE_ST_OBJECTS; i++) {
		free(fake_st.objects[i].meta);
		free(fake_st.objects[i].data);
	}
	memset(&fake_st, 0, sizeof(fake_st));
}

struct fake_object *fake_st_find(const void *id, size_t id_len)
{
	for (size_t i = 0; i < FAKE_ST_OBJECTS; i++) {
		struct fake_object *o = &fake_st.objects[i];

		if (o->used && o->id_len == id_len && !memcmp(o->id, id, id_len))
			return o;
	}
	return NULL;
}

size_t fake_st_open_handles(void)
{
	size_t n = 0;

	for (size_t i = 0; i < FAKE_ST_HANDLES; i++)
		n += fake_st.handles[i].object != NULL;
	return n;
}

/* A forced answer (fake_st.force), or the host's failure, for the op about to run: true. */
static bool forced(int *rc, TEE_Result *ret)
{
	fake_st.calls++;
	if (fake_st.host_error) {
		*rc = fake_st.host_error;
		return true;
	}
	*rc = 0;
	if (!fake_st.force)
		return false;
	*ret = fake_st.force;
	fake_st.force = 0;
	return true;
}

static struct fake_st_handle *handle_of(uint32_t obj)
{
	uint32_t i = obj - HANDLE_BASE;

	if (obj < HANDLE_BASE || i >= FAKE_ST_HANDLES || !fake_st.handles[i].object)
		return NULL;
	return &fake_st.handles[i];
}

/* OP-TEE's rule between an open handle's flags and a new one's. */
static bool flags_compatible(uint32_t old, uint32_t new)
{
	if ((old | new) & TEE_DATA_FLAG_ACCESS_WRITE_META)
		return false;
	if (((old | new) & TEE_DATA_FLAG_ACCESS_READ) &&
	    !(old & new & TEE_DATA_FLAG_SHARE_READ))
		return false;
	if ((old ^ new) & TEE_DATA_FLAG_SHARE_READ)
		return false;
	if (((old | new) & TEE_DATA_FLAG_ACCESS_WRITE) &&
	    !(old & new & TEE_DATA_FLAG_SHARE_WRITE))
		return false;
	return !((old ^ new) & TEE_DATA_FLAG_SHARE_WRITE);
}

static bool may_share(const struct fake_object *o, uint32_t flags, bool any_open_conflicts)
{
	for (size_t i = 0; i < FAKE_ST_HANDLES; i++) {
		const struct fake_st_handle *h = &fake_st.handles[i];

		if (h->object == o && (any_open_conflicts || !flags_compatible(h->flags, flags)))
			return false;
	}
	return true;
}

static uint32_t new_handle(struct fake_object *o, uint32_t flags)
{
	for (uint32_t i = 0; i < FAKE_ST_HANDLES; i++) {
		if (!fake_st.handles[i].object) {
			fake_st.handles[i].object = o;
			fake_st.handles[i].flags = flags;
			return HANDLE_BASE + i;
		}
	}
	return 0;
}

/* The blob into meta (*meta_len bytes of room), or SHORT_BUFFER with the size it needs. */
static void copy_meta(const struct fake_object *o, void *meta, size_t *meta_len,
		      TEE_Result *ret)
{
	size_t room = *meta_len;

	*meta_len = o->meta_len;
	if (room < o->meta_len)
		*ret = TEE_ERROR_SHORT_BUFFER;
	else
		memcpy(meta, o->meta, o->meta_len);
}

int fake_st_open(const void *id, size_t id_len, uint32_t flags, uint32_t *obj,
			void *meta, size_t *meta_len, uint64_t *data_size, TEE_Result *ret)
{
	struct fake_object *o;
	int rc;

	*ret = TEE_SUCCESS;
	if (forced(&rc, ret))
		return rc;
	o = fake.storage ? fake_st_find(id, id_len) : NULL;
	if (!o)
		*ret = TEE_ERROR_ITEM_NOT_FOUND;
	else if (!may_share(o, flags, false))
		*ret = TEE_ERROR_ACCESS_CONFLICT;
	else
		copy_meta(o, meta, meta_len, ret);
	if (!*ret && !(*obj = new_handle(o, flags)))
		*ret = TEE_ERROR_OUT_OF_MEMORY;
	if (!*ret)
		*data_size = o->size;
	return 0;
}

static struct fake_object *free_object(void)
{
	for (size_t i = 0; i < FAKE_ST_OBJECTS; i++)
		if (!fake_st.objects[i].used)
			return &fake_st.objects[i];
	return NULL;
}

static bool over_quota(size_t size)
{
	return fake_st.quota && size > fake_st.quota;
}

/* The object's content replaced by copies of meta and data: false when out of memory. */
static bool fill_object(struct fake_object *o, const void *meta, size_t meta_len,
			const void *data, size_t data_len)
{
	uint8_t *m = malloc(meta_len ? meta_len : 1), *d = malloc(data_len ? data_len : 1);

	if (!m || !d) {
		free(m);
		free(d);
		return false;
	}
	memcpy(m, meta, meta_len);
	if (data_len)
		memcpy(d, data, data_len);
	free(o->meta);
	free(o->data);
	o->meta = m;
	o->meta_len = meta_len;
	o->data = d;
	o->size = data_len;
	return true;
}

int fake_st_create(const void *id, size_t id_len, uint32_t flags, const void *meta,
			  size_t meta_len, const void *data, size_t data_len, uint32_t *obj,
			  TEE_Result *ret)
{
	struct fake_object *o;
	int rc;

	*ret = TEE_SUCCESS;
	if (forced(&rc, ret))
		return rc;
	if (!fake.storage) {
		*ret = TEE_ERROR_ITEM_NOT_FOUND;
		return 0;
	}
	o = fake_st_find(id, id_len);
	if (o && (!(flags & TEE_DATA_FLAG_OVERWRITE) || !may_share(o, flags, true)))
		*ret = TEE_ERROR_ACCESS_CONFLICT;
	else if (over_quota(data_len) || (!o && !(o = free_object())))
		*ret = TEE_ERROR_STORAGE_NO_SPACE;
	else if (!fill_object(o, meta, meta_len, data, data_len))
		*ret = TEE_ERROR_OUT_OF_MEMORY;
	else if (!(*obj = new_handle(o, flags)))
		*ret = TEE_ERROR_OUT_OF_MEMORY;
	if (!*ret) {
		o->used = true;
		memcpy(o->id, id, id_len);
		o->id_len = id_len;
	}
	return 0;
}

/* The handle, open with `access`: else ACCESS_CONFLICT in *ret; -ENOENT when unknown. */
static int handle_with(uint32_t obj, uint32_t access, struct fake_st_handle **h,
		       TEE_Result *ret)
{
	int rc;

	*ret = TEE_SUCCESS;
	if (forced(&rc, ret))
		return rc ? rc : 1;
	*h = handle_of(obj);
	if (!*h)
		return -ENOENT;
	if (((*h)->flags & access) != access) {
		*ret = TEE_ERROR_ACCESS_CONFLICT;
		return 1;
	}
	return 0;
}

int fake_st_read(uint32_t obj, uint64_t pos, void *buf, size_t len, size_t *got,
			TEE_Result *ret)
{
	struct fake_st_handle *h = NULL;
	int rc = handle_with(obj, TEE_DATA_FLAG_ACCESS_READ, &h, ret);
	const struct fake_object *o;

	if (rc)
		return rc < 0 ? rc : 0;
	o = h->object;
	*got = pos >= o->size ? 0 : o->size - pos < len ? o->size - pos : len;
	if (*got)
		memcpy(buf, o->data + pos, *got);
	return 0;
}

/* The stream grown (zero-filled) or cut to `size`. */
static TEE_Result resize(struct fake_object *o, uint64_t size)
{
	uint8_t *d;

	if (over_quota(size))
		return TEE_ERROR_STORAGE_NO_SPACE;
	d = realloc(o->data, size ? size : 1);
	if (!d)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (size > o->size)
		memset(d + o->size, 0, size - o->size);
	o->data = d;
	o->size = size;
	return TEE_SUCCESS;
}

int fake_st_write(uint32_t obj, uint64_t pos, const void *buf, size_t len,
			 TEE_Result *ret)
{
	struct fake_st_handle *h = NULL;
	int rc = handle_with(obj, TEE_DATA_FLAG_ACCESS_WRITE, &h, ret);
	struct fake_object *o;

	if (rc)
		return rc < 0 ? rc : 0;
	o = h->object;
	if (pos + len > o->size)
		*ret = resize(o, pos + len);
	if (!*ret && len)
		memcpy(o->data + pos, buf, len);
	return 0;
}

int fake_st_truncate(uint32_t obj, uint64_t size, TEE_Result *ret)
{
	struct fake_st_handle *h = NULL;
	int rc = handle_with(obj, TEE_DATA_FLAG_ACCESS_WRITE, &h, ret);

	if (rc)
		return rc < 0 ? rc : 0;
	*ret = resize(h->object, size);
	return 0;
}

int fake_st_size(uint32_t obj, uint64_t *data_size, TEE_Result *ret)
{
	struct fake_st_handle *h = NULL;
	int rc = handle_with(obj, 0, &h, ret);

	if (rc)
		return rc < 0 ? rc : 0;
	*data_size = h->object->size;
	return 0;
}

/* As the TEE: the usage word of the stored blob ANDed, nothing else touched. */
int fake_st_restrict_usage(uint32_t obj, uint32_t usage, TEE_Result *ret)
{
	struct fake_st_handle *h = NULL;
	int rc = handle_with(obj, 0, &h, ret);
	uint8_t *u;

	if (rc)
		return rc < 0 ? rc : 0;
	if (h->object->meta_len < TARUN_ST_META_USAGE_AT + 4) {
		*ret = TEE_ERROR_CORRUPT_OBJECT;
		return 0;
	}
	u = h->object->meta + TARUN_ST_META_USAGE_AT;
	for (int i = 0; i < 4; i++)
		u[i] &= (uint8_t)(usage >> (8 * i));
	return 0;
}

int fake_st_rename(uint32_t obj, const void *id, size_t id_len, TEE_Result *ret)
{
	struct fake_st_handle *h = NULL;
	int rc = handle_with(obj, TEE_DATA_FLAG_ACCESS_WRITE_META, &h, ret);

	if (rc)
		return rc < 0 ? rc : 0;
	if (fake_st_find(id, id_len)) { /* never overwrites, not even itself */
		*ret = TEE_ERROR_ACCESS_CONFLICT;
		return 0;
	}
	memcpy(h->object->id, id, id_len);
	h->object->id_len = id_len;
	return 0;
}

int fake_st_close(uint32_t obj, bool delete_object, TEE_Result *ret)
{
	struct fake_st_handle *h = handle_of(obj);
	struct fake_object *o;
	int rc;

	*ret = TEE_SUCCESS;
	if (!h)
		return -ENOENT;
	if (forced(&rc, ret) && rc)
		return rc;
	o = h->object;
	if (delete_object && !(h->flags & TEE_DATA_FLAG_ACCESS_WRITE_META)) {
		*ret = TEE_ERROR_ACCESS_CONFLICT;
		return 0;
	}
	h->object = NULL;
	if (delete_object) {
		free(o->meta);
		free(o->data);
		memset(o, 0, sizeof(*o));
	}
	fake_st.closed++;
	return 0;
}

/* Ids in the order of their bytes, a prefix first. */
static int id_cmp(const struct fake_object *o, const void *id, size_t id_len)
{
	size_t n = o->id_len < id_len ? o->id_len : id_len;
	int c = memcmp(o->id, id, n);

	return c ? c : (o->id_len > id_len) - (o->id_len < id_len);
}

int fake_st_next(const void *after, size_t after_len, void *id, size_t *id_len,
			void *meta, size_t *meta_len, uint64_t *data_size, TEE_Result *ret)
{
	const struct fake_object *best = NULL;
	int rc;

	*ret = TEE_SUCCESS;
	if (forced(&rc, ret))
		return rc;
	for (size_t i = 0; fake.storage && i < FAKE_ST_OBJECTS; i++) {
		const struct fake_object *o = &fake_st.objects[i];

		if (!o->used || (after && id_cmp(o, after, after_len) <= 0))
			continue;
		if (!best || id_cmp(o, best->id, best->id_len) < 0)
			best = o;
	}
	if (!best) {
		*ret = TEE_ERROR_ITEM_NOT_FOUND;
		return 0;
	}
	memcpy(id, best->id, best->id_len);
	*id_len = best->id_len;
	*data_size = best->size;
	if (meta && best->corrupt)
		*ret = TEE_ERROR_CORRUPT_OBJECT; /* its id given: the enumeration moves past it */
	else if (meta)
		copy_meta(best, meta, meta_len, ret);
	else
		*meta_len = 0; /* the id only */
	return 0;
}
