// SPDX-License-Identifier: MIT
/*
 * A VM's storage as a whole (ta_storage.h): its store, the TA persistent
 * time, the instances' stages, and the instances that have gone. An
 * instance's end never waits for v->lock (ta_st_inst_gone runs under the
 * process-wide st->lock on the monitor thread, and v->lock may be held for a
 * whole commit: disk writes, fsyncs, the state's flock an export may hold):
 * its handles go at once when no commit runs, else at the VM's next storage
 * call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VTEE_HAVE_STORE
#include <openssl/crypto.h>
#endif

#include "log.h"
#include "ta_storage.h"
#include "vstore.h"

static const char ptime_id[] = "ptime";

void ta_st_process_init(void)
{
#ifdef VTEE_HAVE_STORE
	/* libcrypto reads its configuration file at first use: now, before a sandbox forbids open */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
#endif
}

int ta_st_vm_new(struct ta_st_vm **out)
{
	struct ta_st_vm *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->gone_lock, NULL);
	*out = v;
	return 0;
}

void ta_st_vm_free(struct ta_st_vm *v)
{
	if (!v)
		return;
	ta_st_table_clear(v);
	while (v->stages) {
		struct st_stage *s = v->stages;
		v->stages = s->next;
		free(s->buf);
		free(s);
	}
	if (v->corrupt_unlogged)
		vtee_log(VTEE_LOG_INFO, "storage[%s]: %llu more CORRUPT_OBJECT answers of the corrupt state were not logged",
			 v->name, (unsigned long long)v->corrupt_unlogged);
	if (v->vs)
		vstore_close(v->vs);
	free(v->gone);
	pthread_mutex_destroy(&v->gone_lock);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static void store_log(void *arg, const char *line)
{
	struct ta_st_vm *v = arg;
	vtee_log(VTEE_LOG_WARNING, "storage[%s]: %s", v->name, line);
}

int ta_st_attach(struct ta_proc_vm *pv, struct vtee_storage *st)
{
	struct vstore_handoff h = { .dir_fd = st->dir_fd, .anchor_fd = st->anchor_fd,
				    .quota = { .max_objects = st->max_objects, .max_bytes = st->max_bytes } };
	memcpy(h.vm_key, st->vm_key, sizeof(h.vm_key));
	memcpy(h.state_id, st->state_id, sizeof(h.state_id));
	explicit_bzero(st->vm_key, sizeof(st->vm_key));
	st->dir_fd = st->anchor_fd = -1;
	if (!pv) { /* no TA can run here: nothing would ever use the store */
		vstore_handoff_close(&h);
		return 0;
	}
	struct ta_st_vm *v = pv->stv;
	pthread_mutex_lock(&v->lock);
	int r = -EALREADY;
	if (v->vs) {
		vstore_handoff_close(&h);
	} else {
		snprintf(v->name, sizeof(v->name), "%s", pv->name);
		struct vstore *vs = NULL;
		r = vstore_open(&h, store_log, v, &vs);
		__atomic_store_n(&v->vs, vs, __ATOMIC_RELEASE); /* ta_st_stats reads it without v->lock */
		explicit_bzero(h.vm_key, sizeof(h.vm_key));
	}
	pthread_mutex_unlock(&v->lock);
	if (r)
		vtee_log(VTEE_LOG_ERR, "storage[%s]: cannot serve the VM's state: %s", pv->name, strerror(-r));
	return r;
}

int ta_st_stats(struct ta_proc_vm *pv, struct vtee_storage_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!pv)
		return -ENOENT;
	struct ta_st_vm *v = pv->stv;
	struct vstore_stats vs = { 0 };
	/* not under v->lock, which a commit holds: a status query must not wait for the disk */
	struct vstore *store = __atomic_load_n(&v->vs, __ATOMIC_ACQUIRE);
	if (store)
		vstore_get_stats(store, &vs);
	else
		return -ENOENT;
	*out = (struct vtee_storage_stats){ .objects = vs.objects, .bytes = vs.bytes,
		.bytes_on_disk = vs.bytes_on_disk, .version = vs.version, .commits = vs.commits,
		.corrupt_objects = vs.corrupt_objects, .flags = vs.state_corrupt ? VTEE_STORAGE_STATE_CORRUPT : 0 };
	return 0;
}

/* ---- the TA persistent time ---- */

int ta_st_ptime_load(struct ta_inst *in, int64_t *offset_ms)
{
	struct ta_st_vm *v = in->pv->stv;
	ta_st_vm_lock(v);
	if (!v->vs) {
		pthread_mutex_unlock(&v->lock);
		return ta_proc_ptime_get(in, offset_ms) ? 0 : -ENOENT;
	}
	struct vstore_key k = ta_st_key(in, VSTORE_NS_TEE, ptime_id, sizeof(ptime_id) - 1);
	void *meta = NULL, *data = NULL;
	size_t ml = 0, dl = 0;
	int r = vstore_get(v->vs, &k, &meta, &ml, &data, &dl);
	bool whole_state = r == -EBADMSG && ta_st_state_corrupt(v); /* logged once by ta_st_state_corrupt */
	pthread_mutex_unlock(&v->lock);
	if (!r && dl == sizeof(uint64_t)) {
		uint64_t x = 0;
		for (int i = 0; i < 8; i++)
			x |= (uint64_t)((uint8_t *)data)[i] << (8 * i);
		*offset_ms = (int64_t)x;
	} else if (!r || r == -EBADMSG) {
		/* a time that fails its checks is no time: the TA sets it again (GP: TIME_NOT_SET) */
		if (!whole_state)
			vtee_log(VTEE_LOG_WARNING, "storage[%s]: the TA persistent time is damaged: not set", in->pv->name);
		r = -ENOENT;
	}
	free(meta);
	free(data);
	return r;
}

int ta_st_ptime_store(struct ta_inst *in, int64_t offset_ms)
{
	struct ta_st_vm *v = in->pv->stv;
	ta_st_vm_lock(v);
	if (!v->vs) {
		pthread_mutex_unlock(&v->lock);
		ta_proc_ptime_set(in, offset_ms);
		return 0;
	}
	uint8_t le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)((uint64_t)offset_ms >> (8 * i));
	struct vstore_key k = ta_st_key(in, VSTORE_NS_TEE, ptime_id, sizeof(ptime_id) - 1);
	int r = vstore_put(v->vs, &k, NULL, 0, le, sizeof(le), 0);
	pthread_mutex_unlock(&v->lock);
	return r;
}

/* ---- instances' stages (bytes of a CREATE or WRITE larger than a message) ---- */

static struct st_stage **stage_find(struct ta_st_vm *v, uint64_t owner)
{
	struct st_stage **pp = &v->stages;
	while (*pp && (*pp)->owner != owner)
		pp = &(*pp)->next;
	return pp;
}

static void stage_drop(struct ta_st_vm *v, struct st_stage **pp)
{
	struct st_stage *s = *pp;
	if (!s)
		return;
	*pp = s->next;
	v->staged -= s->len;
	free(s->buf);
	free(s);
}

void ta_st_stage_take(struct ta_inst *in, uint8_t **buf, uint64_t *len)
{
	struct ta_st_vm *v = in->pv->stv;
	ta_st_vm_lock(v);
	struct st_stage **pp = stage_find(v, in->id), *s = *pp;
	*buf = NULL;
	*len = 0;
	if (s) {
		*buf = s->buf;
		*len = s->len;
		s->buf = NULL;
		stage_drop(v, pp);
	}
	pthread_mutex_unlock(&v->lock);
}

int ta_st_stage_add(struct ta_inst *in, const uint8_t *data, uint64_t len)
{
	struct ta_st_vm *v = in->pv->stv;
	ta_st_vm_lock(v);
	struct st_stage **pp = stage_find(v, in->id), *s = *pp;
	int r = 0;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->owner = in->id;
		s->next = v->stages;
		v->stages = s;
		pp = &v->stages;
	}
	if (!s) {
		r = -ENOMEM;
	} else if (s->len + len > TAP_ST_STAGE_MAX) {
		r = -EPROTO;
	} else if (v->staged + len > TA_ST_VM_STAGE_MAX) {
		r = -ENOMEM;
	} else if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 1u << 20;
		while (cap < s->len + len)
			cap *= 2;
		uint8_t *nb = realloc(s->buf, cap);
		if (nb) {
			s->buf = nb;
			s->cap = cap;
		} else {
			r = -ENOMEM;
		}
	}
	if (!r && len) {
		memcpy(s->buf + s->len, data, (size_t)len);
		s->len += (size_t)len;
		v->staged += len;
	} else if (r) {
		stage_drop(v, pp);
	}
	pthread_mutex_unlock(&v->lock);
	return r;
}

void ta_st_stage_drop_owner(struct ta_st_vm *v, uint64_t owner)
{
	stage_drop(v, stage_find(v, owner));
}

/* ---- the state as a whole ---- */

bool ta_st_state_corrupt(struct ta_st_vm *v)
{
	struct vstore_stats vs;
	vstore_get_stats(v->vs, &vs);
	if (!vs.state_corrupt)
		return false;
	if (v->corrupt_logged) {
		v->corrupt_unlogged++;
	} else {
		v->corrupt_logged = true;
		vtee_log(VTEE_LOG_WARNING, "storage[%s]: the VM's whole state failed its checks: every object is "
			 "CORRUPT_OBJECT until it is reset or imported (not logged again)", v->name);
	}
	return true;
}

/* ---- instances gone ---- */

/* v->lock held: the handles of the instances queued as gone go. */
static void reap_gone(struct ta_st_vm *v)
{
	pthread_mutex_lock(&v->gone_lock);
	uint64_t *gone = v->gone;
	size_t n = v->ngone;
	v->gone = NULL;
	v->ngone = v->gone_cap = 0;
	pthread_mutex_unlock(&v->gone_lock);
	for (size_t i = 0; i < n; i++)
		ta_st_owner_release(v, gone[i]);
	free(gone);
}

void ta_st_inst_gone(struct ta_inst *in)
{
	struct ta_st_vm *v = in->pv ? in->pv->stv : NULL;
	if (!v)
		return;
	if (!pthread_mutex_trylock(&v->lock)) { /* no commit running: released now */
		reap_gone(v);
		ta_st_owner_release(v, in->id);
		pthread_mutex_unlock(&v->lock);
		return;
	}
	pthread_mutex_lock(&v->gone_lock);
	bool queued = false;
	for (size_t i = 0; i < v->ngone && !queued; i++)
		queued = v->gone[i] == in->id;
	if (!queued && v->ngone == v->gone_cap) {
		size_t cap = v->gone_cap ? 2 * v->gone_cap : 8;
		uint64_t *g = realloc(v->gone, cap * sizeof(*g));
		if (g) {
			v->gone = g;
			v->gone_cap = cap;
		}
	}
	/* no room: its handles stay until the VM goes; it is dead, so they are unused (only held) */
	if (!queued && v->ngone < v->gone_cap)
		v->gone[v->ngone++] = in->id;
	pthread_mutex_unlock(&v->gone_lock);
}

void ta_st_vm_lock(struct ta_st_vm *v)
{
	pthread_mutex_lock(&v->lock);
	reap_gone(v);
}
