// SPDX-License-Identifier: MIT
/*
 * Persistent objects (tarun_host.h st_* ops) as requests to the TEE
 * (ta_proto.h, "Persistent objects"): one TAP_MSG_ST_* message each, its
 * ANSWER read before anything else. A message carries at most
 * TAP_ST_CHUNK(bulk) data bytes: a bigger read is several READs; a bigger
 * write or create sends its leading chunks as STAGE messages first, so the
 * TEE still changes the object once, whole. The TEE is trusted, but what its
 * answers announce is checked against what was asked: anything else ends
 * the instance (TI_EXIT_CHANNEL), as a broken channel does.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "chan.h"
#include "ta_host.h"

static uint64_t chunk(void)
{
	return TAP_ST_CHUNK(ti.bulk_size);
}

/* Send one request: q, then its id, meta and data (lengths in q; the empty ones left out). 0 or -EPIPE. */
static int st_send(uint32_t type, const struct tap_st *q, const void *id, const void *meta, const void *data)
{
	struct tap_hdr h = { type, (uint32_t)(sizeof(*q) + q->id_len + q->meta_len + q->data_len) };
	struct iovec iov[5] = { { &h, sizeof(h) }, { (void *)q, sizeof(*q) } };
	int n = 2;
	if (q->id_len)
		iov[n++] = (struct iovec){ (void *)id, q->id_len };
	if (q->meta_len)
		iov[n++] = (struct iovec){ (void *)meta, q->meta_len };
	if (q->data_len)
		iov[n++] = (struct iovec){ (void *)data, (size_t)q->data_len };
	return vtee_chan_writev_all(ti.chan, iov, n) ? -EPIPE : 0;
}

/* The answer's fixed part, with exactly `extra` bytes after it (read by the caller). */
static void st_answer(struct tap_answer *a, uint64_t (*expect)(const struct tap_answer *a, const void *arg),
		      const void *arg)
{
	uint32_t extra = ti_read_answer(a);
	if (extra != (expect ? expect(a, arg) : 0))
		ti_exit(TI_EXIT_CHANNEL);
}

/* A request without data in the answer: 0 with *ret, or -EPIPE. */
static int st_simple(uint32_t type, const struct tap_st *q, const void *id, const void *meta, const void *data,
		     struct tap_answer *a)
{
	if (st_send(type, q, id, meta, data))
		return -EPIPE;
	st_answer(a, NULL, NULL);
	return 0;
}

/*
 * All of data but its last chunk as STAGE messages: 0 with *staged (bytes sent) and *ret SUCCESS,
 * or 0 with *ret telling why not (nothing to send then), or -EPIPE.
 */
static int stage(const uint8_t *data, size_t len, uint64_t *staged, TEE_Result *ret)
{
	*staged = 0;
	*ret = TEE_SUCCESS;
	if (len <= chunk())
		return 0;
	uint64_t lead = len - chunk();
	if (lead > TAP_ST_STAGE_MAX) {
		*ret = TEE_ERROR_STORAGE_NO_SPACE; /* more than an object may hold */
		return 0;
	}
	while (*staged < lead) {
		uint64_t n = lead - *staged < chunk() ? lead - *staged : chunk();
		struct tap_st q = { .data_len = n };
		struct tap_answer a;
		if (st_simple(TAP_MSG_ST_STAGE, &q, NULL, NULL, data + *staged, &a))
			return -EPIPE;
		if (a.ret != TEE_SUCCESS) {
			*ret = a.ret;
			return 0;
		}
		*staged += n;
	}
	return 0;
}

static uint64_t open_extra(const struct tap_answer *a, const void *room)
{
	if (a->ret != TEE_SUCCESS)
		return 0;
	if (a->p[1].a > *(const size_t *)room || !a->session)
		ti_exit(TI_EXIT_CHANNEL);
	return a->p[1].a;
}

int host_st_open(const void *id, size_t id_len, uint32_t flags, uint32_t *obj, void *meta, size_t *meta_len,
		 uint64_t *data_size, TEE_Result *ret)
{
	size_t room = *meta_len < TAP_ST_META_MAX ? *meta_len : TAP_ST_META_MAX;
	struct tap_st q = { .flags = flags, .id_len = (uint32_t)id_len, .meta_room = (uint32_t)room };
	struct tap_answer a;
	if (id_len > TAP_ST_ID_MAX)
		return -EINVAL;
	if (st_send(TAP_MSG_ST_OPEN, &q, id, NULL, NULL))
		return -EPIPE;
	st_answer(&a, open_extra, &room);
	*ret = a.ret;
	if (a.ret == TEE_SUCCESS) {
		if (a.p[1].a)
			ti_recv(meta, (size_t)a.p[1].a);
		*obj = a.session;
		*data_size = a.p[0].a;
	}
	if (a.ret == TEE_SUCCESS || a.ret == TEE_ERROR_SHORT_BUFFER)
		*meta_len = (size_t)a.p[1].a;
	return 0;
}

int host_st_create(const void *id, size_t id_len, uint32_t flags, const void *meta, size_t meta_len,
		   const void *data, size_t data_len, uint32_t *obj, TEE_Result *ret)
{
	struct tap_st q = { .flags = flags, .id_len = (uint32_t)id_len, .meta_len = (uint32_t)meta_len };
	struct tap_answer a;
	if (id_len > TAP_ST_ID_MAX || meta_len > TAP_ST_META_MAX)
		return -EINVAL;
	if (stage(data, data_len, &q.staged, ret))
		return -EPIPE;
	if (*ret != TEE_SUCCESS)
		return 0;
	q.data_len = data_len - q.staged;
	if (st_simple(TAP_MSG_ST_CREATE, &q, id, meta, (const uint8_t *)data + q.staged, &a))
		return -EPIPE;
	if (a.ret == TEE_SUCCESS && !a.session)
		ti_exit(TI_EXIT_CHANNEL);
	*ret = a.ret;
	*obj = a.session;
	return 0;
}

static uint64_t read_extra(const struct tap_answer *a, const void *asked)
{
	if (a->ret != TEE_SUCCESS)
		return 0;
	if (a->p[0].a > *(const uint64_t *)asked)
		ti_exit(TI_EXIT_CHANNEL);
	return a->p[0].a;
}

int host_st_read(uint32_t obj, uint64_t pos, void *buf, size_t len, size_t *got, TEE_Result *ret)
{
	*got = 0;
	*ret = TEE_SUCCESS;
	do {
		uint64_t n = len - *got < chunk() ? len - *got : chunk();
		struct tap_st q = { .obj = obj, .pos = pos + *got, .read_len = (uint32_t)n };
		struct tap_answer a;
		if (st_send(TAP_MSG_ST_READ, &q, NULL, NULL, NULL))
			return -EPIPE;
		st_answer(&a, read_extra, &n);
		*ret = a.ret;
		if (a.ret != TEE_SUCCESS)
			return 0;
		if (a.p[0].a)
			ti_recv((uint8_t *)buf + *got, (size_t)a.p[0].a);
		*got += (size_t)a.p[0].a;
		if (a.p[0].a < n)
			break; /* the end of the data */
	} while (*got < len);
	return 0;
}

int host_st_write(uint32_t obj, uint64_t pos, const void *buf, size_t len, TEE_Result *ret)
{
	struct tap_st q = { .obj = obj, .pos = pos };
	struct tap_answer a;
	if (stage(buf, len, &q.staged, ret))
		return -EPIPE;
	if (*ret != TEE_SUCCESS)
		return 0;
	q.data_len = len - q.staged;
	if (st_simple(TAP_MSG_ST_WRITE, &q, NULL, NULL, (const uint8_t *)buf + q.staged, &a))
		return -EPIPE;
	*ret = a.ret;
	return 0;
}

int host_st_truncate(uint32_t obj, uint64_t size, TEE_Result *ret)
{
	struct tap_st q = { .obj = obj, .pos = size };
	struct tap_answer a;
	if (st_simple(TAP_MSG_ST_TRUNCATE, &q, NULL, NULL, NULL, &a))
		return -EPIPE;
	*ret = a.ret;
	return 0;
}

int host_st_size(uint32_t obj, uint64_t *data_size, TEE_Result *ret)
{
	struct tap_st q = { .obj = obj };
	struct tap_answer a;
	if (st_simple(TAP_MSG_ST_SIZE, &q, NULL, NULL, NULL, &a))
		return -EPIPE;
	*ret = a.ret;
	if (a.ret == TEE_SUCCESS)
		*data_size = a.p[0].a;
	return 0;
}

int host_st_restrict_usage(uint32_t obj, uint32_t usage, TEE_Result *ret)
{
	struct tap_st q = { .obj = obj, .flags = usage };
	struct tap_answer a;
	if (st_simple(TAP_MSG_ST_RESTRICT_USAGE, &q, NULL, NULL, NULL, &a))
		return -EPIPE;
	*ret = a.ret;
	return 0;
}

int host_st_rename(uint32_t obj, const void *id, size_t id_len, TEE_Result *ret)
{
	struct tap_st q = { .obj = obj, .id_len = (uint32_t)id_len };
	struct tap_answer a;
	if (id_len > TAP_ST_ID_MAX)
		return -EINVAL;
	if (st_simple(TAP_MSG_ST_RENAME, &q, id, NULL, NULL, &a))
		return -EPIPE;
	*ret = a.ret;
	return 0;
}

int host_st_close(uint32_t obj, bool delete_object, TEE_Result *ret)
{
	struct tap_st q = { .obj = obj, .flags = delete_object ? TAP_ST_DELETE : 0 };
	struct tap_answer a;
	if (st_simple(TAP_MSG_ST_CLOSE, &q, NULL, NULL, NULL, &a))
		return -EPIPE;
	if (a.ret == TEE_ERROR_ITEM_NOT_FOUND && !delete_object)
		return -ENOENT; /* no such handle */
	*ret = a.ret;
	return 0;
}

/* Has a NEXT answer an id: SUCCESS, SHORT_BUFFER, or CORRUPT_OBJECT naming the object (p[0].b). */
static bool next_has_id(const struct tap_answer *a)
{
	return a->ret == TEE_SUCCESS || a->ret == TEE_ERROR_SHORT_BUFFER ||
	       (a->ret == TEE_ERROR_CORRUPT_OBJECT && a->p[0].b == 1);
}

static uint64_t next_extra(const struct tap_answer *a, const void *room)
{
	if (!next_has_id(a))
		return 0;
	if (a->p[1].b > TAP_ST_ID_MAX || (a->ret == TEE_SUCCESS && a->p[1].a > *(const size_t *)room))
		ti_exit(TI_EXIT_CHANNEL);
	return a->p[1].b + (a->ret == TEE_SUCCESS ? a->p[1].a : 0);
}

int host_st_next(const void *after, size_t after_len, void *id, size_t *id_len, void *meta, size_t *meta_len,
		 uint64_t *data_size, TEE_Result *ret)
{
	size_t room = !meta ? 0 : *meta_len < TAP_ST_META_MAX ? *meta_len : TAP_ST_META_MAX;
	struct tap_st q = { .flags = (after ? 0 : TAP_ST_FROM_START) | (meta ? 0 : TAP_ST_ID_ONLY),
			    .id_len = after ? (uint32_t)after_len : 0, .meta_room = (uint32_t)room };
	struct tap_answer a;
	if (after_len > TAP_ST_ID_MAX)
		return -EINVAL;
	if (st_send(TAP_MSG_ST_NEXT, &q, after, NULL, NULL))
		return -EPIPE;
	st_answer(&a, next_extra, &room);
	*ret = a.ret;
	if (!next_has_id(&a))
		return 0;
	if (a.p[1].b)
		ti_recv(id, (size_t)a.p[1].b);
	*id_len = (size_t)a.p[1].b;
	if (a.ret == TEE_ERROR_CORRUPT_OBJECT)
		return 0;
	*meta_len = (size_t)a.p[1].a;
	*data_size = a.p[0].a;
	if (a.ret == TEE_SUCCESS && a.p[1].a)
		ti_recv(meta, (size_t)a.p[1].a);
	return 0;
}
