// SPDX-License-Identifier: MIT
/*
 * Persistent objects of a VM's TAs (ta_storage.h): the objects some handle
 * has open, shared by every instance of the VM and keyed by (the TA's UUID as
 * this back-end started the instance, object id), with their meta and data
 * held in memory while open; the handles, each owned by one instance, with
 * ids that are not reused while any handle holds them (they wrap after 2^32). Every change commits to the VM's store
 * (vstore_put/rename/delete) before the cached copy changes, so memory and
 * disk never disagree. The sharing rules are OP-TEE's (tee_pobj.c): the
 * object keeps the flags of the handle that opened it first, every later
 * open or OVERWRITE-create is checked against those; WRITE_META is
 * exclusive; create without OVERWRITE of an open object, and rename to an
 * open id, are ACCESS_CONFLICT. Without a store (no vm_storage call), open
 * and create answer ITEM_NOT_FOUND, as OP-TEE without secure storage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ta_storage.h"
#include "vstore.h"

/* ---- the store, and what its errors mean to a TA (vstore.h's table) ---- */

uint32_t ta_st_result(int err)
{
	switch (err) {
	case 0:
		return TEE_SUCCESS;
	case -ENOENT:
		return TEE_ERROR_ITEM_NOT_FOUND;
	case -EEXIST:
		return TEE_ERROR_ACCESS_CONFLICT;
	case -EDQUOT:
	case -ENOSPC:
		return TEE_ERROR_STORAGE_NO_SPACE;
	case -EBADMSG:
		return TEE_ERROR_CORRUPT_OBJECT;
	case -ENOMEM:
		return TEE_ERROR_OUT_OF_MEMORY;
	case -EINVAL:
		return TEE_ERROR_BAD_PARAMETERS;
	default:
		return TEE_ERROR_STORAGE_NOT_AVAILABLE;
	}
}

struct vstore_key ta_st_key(const struct ta_inst *in, uint8_t ns, const void *id, size_t id_len)
{
	struct vstore_key k = { .ns = ns, .id_len = (uint8_t)id_len };
	memcpy(k.uuid, in->uuid.b, sizeof(k.uuid));
	memcpy(k.id, id, id_len);
	return k;
}

static bool same_key(const struct vstore_key *a, const struct vstore_key *b)
{
	return a->ns == b->ns && a->id_len == b->id_len && !memcmp(a->uuid, b->uuid, sizeof(a->uuid)) &&
	       !memcmp(a->id, b->id, a->id_len);
}

static void obj_free(struct st_obj *o)
{
	free(o->meta);
	free(o->data);
	free(o);
}

void ta_st_table_clear(struct ta_st_vm *v)
{
	while (v->handles) {
		struct st_handle *h = v->handles;
		v->handles = h->next;
		free(h);
	}
	while (v->objs) {
		struct st_obj *o = v->objs;
		v->objs = o->next;
		obj_free(o);
	}
}

/* ---- objects and handles (v->lock) ---- */

static struct st_obj *obj_find(struct ta_st_vm *v, const struct vstore_key *k)
{
	for (struct st_obj *o = v->objs; o; o = o->next)
		if (same_key(&o->key, k))
			return o;
	return NULL;
}

static void obj_unref(struct ta_st_vm *v, struct st_obj *o)
{
	if (--o->handles)
		return;
	for (struct st_obj **pp = &v->objs; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	obj_free(o);
}

static bool handle_in_use(const struct ta_st_vm *v, uint32_t id, uint64_t owner, unsigned *owned)
{
	bool used = false;
	*owned = 0;
	for (const struct st_handle *h = v->handles; h; h = h->next) {
		used |= h->id == id;
		*owned += h->owner == owner;
	}
	return used;
}

/*
 * A new handle of the instance on o: its id, or 0 when the VM or the instance may hold no more.
 * Ids count up and wrap, skipping 0 and every id still in the table (there is always a free one:
 * the table holds at most TA_ST_MAX_HANDLES).
 */
static uint32_t handle_add(struct ta_st_vm *v, const struct ta_inst *in, struct st_obj *o, uint32_t flags)
{
	struct st_handle *h;
	unsigned owned = 0;
	uint32_t id = v->next_handle + 1;
	while (!id || handle_in_use(v, id, in->id, &owned))
		id++;
	if (v->nhandles >= TA_ST_MAX_HANDLES || owned >= TA_ST_MAX_INST_HANDLES || !(h = malloc(sizeof(*h))))
		return 0;
	*h = (struct st_handle){ v->handles, id, flags, in->id, o };
	v->next_handle = id;
	v->handles = h;
	v->nhandles++;
	o->handles++;
	return h->id;
}

static void handle_drop(struct ta_st_vm *v, struct st_handle **pp)
{
	struct st_handle *h = *pp;
	*pp = h->next;
	v->nhandles--;
	obj_unref(v, h->obj);
	free(h);
}

/* The handle named id: *out (and its link), or NULL when it does not exist; -EPROTO when another instance owns it. */
static int handle_get(struct ta_st_vm *v, const struct ta_inst *in, uint32_t id, struct st_handle ***out)
{
	struct st_handle **pp = &v->handles;
	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	*out = *pp ? pp : NULL;
	return *pp && (*pp)->owner != in->id ? -EPROTO : 0;
}

void ta_st_owner_release(struct ta_st_vm *v, uint64_t owner)
{
	for (struct st_handle **pp = &v->handles; *pp;) {
		if ((*pp)->owner == owner)
			handle_drop(v, pp);
		else
			pp = &(*pp)->next;
	}
	ta_st_stage_drop_owner(v, owner);
}

/* OP-TEE's tee_pobj_check_access(): may a handle with nflags join an object opened with oflags? */
static bool access_ok(uint32_t oflags, uint32_t nflags)
{
	uint32_t both = oflags | nflags;
	if (both & ST_ACCESS_WRITE_META)
		return false;
	if ((both & ST_ACCESS_READ) && !(oflags & nflags & ST_SHARE_READ))
		return false;
	if ((oflags ^ nflags) & ST_SHARE_READ)
		return false;
	if ((both & ST_ACCESS_WRITE) && !(oflags & nflags & ST_SHARE_WRITE))
		return false;
	return !((oflags ^ nflags) & ST_SHARE_WRITE);
}

#define ST_OPEN_FLAGS (ST_ACCESS_READ | ST_ACCESS_WRITE | ST_ACCESS_WRITE_META | ST_SHARE_READ | ST_SHARE_WRITE)

/* A new st_obj for k with the given content (taken over), or NULL (the content is freed). */
static struct st_obj *obj_new(struct ta_st_vm *v, const struct vstore_key *k, uint32_t flags, void *meta,
			      size_t meta_len, void *data, size_t data_len)
{
	struct st_obj *o = calloc(1, sizeof(*o));
	if (!o) {
		free(meta);
		free(data);
		return NULL;
	}
	*o = (struct st_obj){ v->objs, *k, flags, 0, meta, data, meta_len, data_len };
	v->objs = o;
	return o;
}

/* An object no handle holds (a failed open) goes. */
static void obj_forget_unused(struct ta_st_vm *v, struct st_obj *o)
{
	if (o->handles)
		return;
	o->handles = 1;
	obj_unref(v, o);
}

static void *dup_bytes(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* The object behind k in o (made, with flags, if no handle has it open): 0 or -errno of the store. */
static int obj_load(struct ta_st_vm *v, const struct vstore_key *k, uint32_t flags, struct st_obj **out)
{
	void *meta = NULL, *data = NULL;
	size_t ml = 0, dl = 0;
	int r = vstore_get(v->vs, k, &meta, &ml, &data, &dl);
	if (r == -EBADMSG && !ta_st_state_corrupt(v)) { /* the whole state: nothing to remove, logged once */
		/* as OP-TEE: a corrupt object is removed (the next open finds nothing) */
		struct vtee_uuid ta;
		char u[37];
		memcpy(ta.b, k->uuid, sizeof(ta.b));
		ta_uuid_str(&ta, u);
		vtee_log(VTEE_LOG_WARNING, "storage[%s]: an object of TA %s failed its checks: CORRUPT_OBJECT, %s",
			 v->name, u, vstore_delete(v->vs, k) ? "could not remove it" : "removed");
	}
	if (r) {
		free(meta);
		free(data);
		return r;
	}
	*out = obj_new(v, k, flags, meta, ml, data, dl);
	return *out ? 0 : -ENOMEM;
}

static void st_open(struct ta_st_vm *v, struct ta_inst *in, struct st_req *r, struct st_ans *ans)
{
	struct tap_answer *a = &ans->a;
	struct vstore_key k = ta_st_key(in, VSTORE_NS_TA, r->id, r->q.id_len);
	struct st_obj *o = obj_find(v, &k);
	int err;
	if (r->q.flags & ~ST_OPEN_FLAGS) {
		a->ret = TEE_ERROR_BAD_PARAMETERS;
		return;
	}
	if (o && !access_ok(o->flags, r->q.flags)) {
		a->ret = TEE_ERROR_ACCESS_CONFLICT;
		return;
	}
	if (!o && (err = obj_load(v, &k, r->q.flags, &o))) {
		a->ret = ta_st_result(err);
		return;
	}
	a->p[0].a = o->data_len;
	a->p[1].a = o->meta_len;
	if (o->meta_len > r->q.meta_room) {
		a->ret = TEE_ERROR_SHORT_BUFFER;
	} else if (!(ans->out[0] = dup_bytes(o->meta, o->meta_len)) || !(a->session = handle_add(v, in, o, r->q.flags))) {
		a->ret = TEE_ERROR_OUT_OF_MEMORY;
	} else {
		ans->out_len[0] = o->meta_len;
		a->ret = TEE_SUCCESS;
	}
	obj_forget_unused(v, o);
}

static void st_create(struct ta_st_vm *v, struct ta_inst *in, struct st_req *r, struct st_ans *ans)
{
	struct tap_answer *a = &ans->a;
	struct vstore_key k = ta_st_key(in, VSTORE_NS_TA, r->id, r->q.id_len);
	struct st_obj *o = obj_find(v, &k);
	bool overwrite = r->q.flags & ST_OVERWRITE;
	if (r->q.flags & ~(ST_OPEN_FLAGS | ST_OVERWRITE)) {
		a->ret = TEE_ERROR_BAD_PARAMETERS;
		return;
	}
	if (o && (!overwrite || !access_ok(o->flags, r->q.flags))) {
		a->ret = TEE_ERROR_ACCESS_CONFLICT;
		return;
	}
	if (r->data_len > VSTORE_DATA_MAX) {
		a->ret = TEE_ERROR_STORAGE_NO_SPACE;
		return;
	}
	void *meta = dup_bytes(r->meta, r->q.meta_len);
	int err = meta ? vstore_put(v->vs, &k, r->meta, r->q.meta_len, r->data, (size_t)r->data_len,
				    overwrite ? 0 : VSTORE_PUT_NEW)
		       : -ENOMEM;
	if (err) {
		free(meta);
		a->ret = ta_st_result(err);
		return;
	}
	if (o) { /* replaced under the handles that share it: they see the new object */
		free(o->meta);
		free(o->data);
		o->meta = meta;
		o->meta_len = r->q.meta_len;
		o->data = r->data;
		o->data_len = (size_t)r->data_len;
		r->data = NULL;
	} else if (!(o = obj_new(v, &k, r->q.flags, meta, r->q.meta_len, r->data, (size_t)r->data_len))) {
		r->data = NULL;
		a->ret = TEE_ERROR_OUT_OF_MEMORY; /* created, but no handle: as a failed copy-out in OP-TEE */
		return;
	}
	r->data = NULL;
	a->session = handle_add(v, in, o, r->q.flags);
	a->ret = a->session ? TEE_SUCCESS : TEE_ERROR_OUT_OF_MEMORY;
	obj_forget_unused(v, o);
}

/* New content for o (data taken over), committed first: TEE result. */
static uint32_t obj_commit(struct ta_st_vm *v, struct st_obj *o, uint8_t *data, size_t len)
{
	int err = vstore_put(v->vs, &o->key, o->meta, o->meta_len, data, len, 0);
	if (err) {
		free(data);
		return ta_st_result(err);
	}
	free(o->data);
	o->data = data;
	o->data_len = len;
	return TEE_SUCCESS;
}

static uint32_t st_write(struct ta_st_vm *v, struct st_handle *h, struct st_req *r)
{
	struct st_obj *o = h->obj;
	if (!(h->flags & ST_ACCESS_WRITE))
		return TEE_ERROR_ACCESS_CONFLICT;
	if (r->q.pos > VSTORE_DATA_MAX || r->data_len > VSTORE_DATA_MAX - r->q.pos)
		return TEE_ERROR_STORAGE_NO_SPACE;
	size_t end = (size_t)(r->q.pos + r->data_len);
	size_t len = end > o->data_len ? end : o->data_len;
	uint8_t *nd = malloc(len ? len : 1);
	if (!nd)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (o->data_len)
		memcpy(nd, o->data, o->data_len);
	if (r->q.pos > o->data_len) /* a gap reads as zeros */
		memset(nd + o->data_len, 0, (size_t)r->q.pos - o->data_len);
	if (r->data_len)
		memcpy(nd + r->q.pos, r->data, (size_t)r->data_len);
	return obj_commit(v, o, nd, len);
}

static uint32_t st_truncate(struct ta_st_vm *v, struct st_handle *h, uint64_t size)
{
	struct st_obj *o = h->obj;
	if (!(h->flags & ST_ACCESS_WRITE))
		return TEE_ERROR_ACCESS_CONFLICT;
	if (size > VSTORE_DATA_MAX)
		return TEE_ERROR_STORAGE_NO_SPACE;
	uint8_t *nd = malloc(size ? (size_t)size : 1);
	if (!nd)
		return TEE_ERROR_OUT_OF_MEMORY;
	size_t keep = size < o->data_len ? (size_t)size : o->data_len;
	if (keep)
		memcpy(nd, o->data, keep);
	memset(nd + keep, 0, (size_t)size - keep);
	return obj_commit(v, o, nd, (size_t)size);
}

/*
 * TEE_RestrictObjectUsage1: the usage mask ANDed into the objectUsage word of the stored meta and
 * nothing else changed, so any handle may ask (as OP-TEE, which writes only that word).
 */
static uint32_t st_restrict_usage(struct ta_st_vm *v, struct st_handle *h, uint32_t usage)
{
	struct st_obj *o = h->obj;
	if (o->meta_len < TAP_ST_META_USAGE_AT + 4)
		return TEE_ERROR_CORRUPT_OBJECT; /* no blob the runtime wrote */
	uint8_t *meta = dup_bytes(o->meta, o->meta_len);
	if (!meta)
		return TEE_ERROR_OUT_OF_MEMORY;
	for (int i = 0; i < 4; i++)
		meta[TAP_ST_META_USAGE_AT + i] &= (uint8_t)(usage >> (8 * i));
	int err = memcmp(meta, o->meta, o->meta_len) ?
		  vstore_put(v->vs, &o->key, meta, o->meta_len, o->data, o->data_len, 0) : 0;
	if (err) {
		free(meta);
		return ta_st_result(err);
	}
	free(o->meta);
	o->meta = meta;
	return TEE_SUCCESS;
}

static uint32_t st_rename(struct ta_st_vm *v, struct st_handle *h, struct st_req *r)
{
	struct st_obj *o = h->obj;
	if (!(h->flags & ST_ACCESS_WRITE_META))
		return TEE_ERROR_ACCESS_CONFLICT;
	struct vstore_key to = o->key;
	to.id_len = (uint8_t)r->q.id_len;
	memcpy(to.id, r->id, r->q.id_len);
	if (obj_find(v, &to)) /* open (itself included): the new name is taken */
		return TEE_ERROR_ACCESS_CONFLICT;
	int err = vstore_rename(v->vs, &o->key, r->id, r->q.id_len);
	if (!err)
		o->key = to;
	return ta_st_result(err);
}

static uint32_t st_close(struct ta_st_vm *v, struct st_handle **pp, bool delete_object)
{
	struct st_handle *h = *pp;
	uint32_t ret = TEE_SUCCESS;
	if (delete_object) {
		if (!(h->flags & ST_ACCESS_WRITE_META))
			return TEE_ERROR_ACCESS_CONFLICT; /* the handle stays */
		ret = ta_st_result(vstore_delete(v->vs, &h->obj->key));
	}
	handle_drop(v, pp);
	return ret;
}

static void st_read(struct st_handle *h, struct st_req *r, struct st_ans *ans)
{
	struct st_obj *o = h->obj;
	if (!(h->flags & ST_ACCESS_READ)) {
		ans->a.ret = TEE_ERROR_ACCESS_CONFLICT;
		return;
	}
	size_t got = 0;
	if (r->q.pos < o->data_len)
		got = o->data_len - (size_t)r->q.pos < r->q.read_len ? o->data_len - (size_t)r->q.pos : r->q.read_len;
	if (got && !(ans->out[0] = dup_bytes(o->data + r->q.pos, got))) {
		ans->a.ret = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	ans->out_len[0] = got;
	ans->a.p[0].a = got;
	ans->a.ret = TEE_SUCCESS;
}

/* What NEXT answers for o: a copy of its meta (*meta), its data size; or -errno (-EBADMSG: corrupt). */
static int next_content(struct ta_st_vm *v, const struct vstore_key *k, bool id_only, void **meta, size_t *ml,
			uint64_t *dlen)
{
	struct st_obj *o = obj_find(v, k);
	void *data = NULL;
	size_t dl = 0;
	*meta = NULL;
	*ml = 0;
	if (id_only) /* vstore_next gave the size: no object read, nothing decrypted */
		return 0;
	if (o) {
		*ml = o->meta_len;
		*dlen = o->data_len;
		return (*meta = dup_bytes(o->meta, o->meta_len)) ? 0 : -ENOMEM;
	}
	/* vstore reads meta and data as one: the data is decrypted, then dropped (no meta-only read) */
	int err = vstore_get(v->vs, k, meta, ml, &data, &dl);
	free(data);
	if (err) {
		free(*meta);
		*meta = NULL;
		*ml = 0;
	}
	return err;
}

/* The first object of the TA after r's id: its id, data size and meta; a corrupt one: its id. */
static void st_next(struct ta_st_vm *v, struct ta_inst *in, struct st_req *r, struct st_ans *ans)
{
	struct tap_answer *a = &ans->a;
	struct vstore_key after = ta_st_key(in, VSTORE_NS_TA, r->id, r->q.id_len), next;
	uint64_t dlen = 0;
	bool from_start = r->q.flags & TAP_ST_FROM_START;
	int err = vstore_next(v->vs, after.uuid, VSTORE_NS_TA, from_start ? NULL : &after, &next, &dlen);
	void *meta = NULL;
	size_t ml = 0;
	bool found = !err;
	if (err == -EBADMSG)
		ta_st_state_corrupt(v); /* the whole state: no id to move past, logged once */
	else if (found)
		err = next_content(v, &next, r->q.flags & TAP_ST_ID_ONLY, &meta, &ml, &dlen);
	a->ret = ta_st_result(err);
	if (err && (err != -EBADMSG || !found))
		return;
	if (err) { /* this object: its id goes with CORRUPT_OBJECT, so that the enumerator moves past it */
		dlen = 0;
		a->p[0].b = 1;
	}
	a->p[0].a = dlen;
	a->p[1].a = ml;
	a->p[1].b = next.id_len;
	ans->out[0] = dup_bytes(next.id, next.id_len);
	ans->out_len[0] = next.id_len;
	if (!ans->out[0]) {
		a->ret = TEE_ERROR_OUT_OF_MEMORY;
		a->p[1].b = 0;
		free(meta);
	} else if (ml > r->q.meta_room) {
		a->ret = TEE_ERROR_SHORT_BUFFER;
		free(meta);
	} else {
		ans->out[1] = meta;
		ans->out_len[1] = ml;
	}
}

/* A request naming a handle. */
static int run_on_handle(struct ta_st_vm *v, struct ta_inst *in, struct st_req *r, struct st_ans *ans)
{
	struct st_handle **pp;
	if (handle_get(v, in, r->q.obj, &pp))
		return -EPROTO;
	if (!pp) { /* closed, or never given: the runtime then panics the TA */
		ans->a.ret = TEE_ERROR_ITEM_NOT_FOUND;
		return 0;
	}
	struct st_handle *h = *pp;
	switch (r->type) {
	case TAP_MSG_ST_READ:
		st_read(h, r, ans);
		break;
	case TAP_MSG_ST_WRITE:
		ans->a.ret = st_write(v, h, r);
		break;
	case TAP_MSG_ST_TRUNCATE:
		ans->a.ret = st_truncate(v, h, r->q.pos);
		break;
	case TAP_MSG_ST_SIZE:
		ans->a.p[0].a = h->obj->data_len;
		ans->a.ret = TEE_SUCCESS;
		break;
	case TAP_MSG_ST_RESTRICT_USAGE:
		ans->a.ret = st_restrict_usage(v, h, r->q.flags);
		break;
	case TAP_MSG_ST_RENAME:
		ans->a.ret = st_rename(v, h, r);
		break;
	default: /* CLOSE */
		ans->a.ret = st_close(v, pp, r->q.flags & TAP_ST_DELETE);
		break;
	}
	return 0;
}

int ta_st_run(struct ta_inst *in, struct st_req *r, struct st_ans *ans)
{
	struct ta_st_vm *v = in->pv->stv;
	int rc = 0;
	ans->a.origin = TEE_ORIGIN_TEE;
	ta_st_vm_lock(v);
	if (atomic_load(&in->dead)) {
		/* its handles are being released: it must not gain new ones */
		ans->a.ret = TEE_ERROR_TARGET_DEAD;
	} else if (r->type == TAP_MSG_ST_OPEN || r->type == TAP_MSG_ST_CREATE || r->type == TAP_MSG_ST_NEXT) {
		if (!v->vs)
			ans->a.ret = TEE_ERROR_ITEM_NOT_FOUND; /* no storage: as OP-TEE without it */
		else if (r->type == TAP_MSG_ST_OPEN)
			st_open(v, in, r, ans);
		else if (r->type == TAP_MSG_ST_CREATE)
			st_create(v, in, r, ans);
		else
			st_next(v, in, r, ans);
	} else {
		rc = run_on_handle(v, in, r, ans);
	}
	pthread_mutex_unlock(&v->lock);
	return rc;
}
