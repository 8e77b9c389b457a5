// SPDX-License-Identifier: MIT
/*
 * The link back-end's control exchanges (docs/tee-link.md): a message the
 * caller's thread sends and whose answer it waits for (the receiver,
 * link_rx.c, hands it over). ATTACH and DETACH_DESTROY for the VM, STATS and
 * STORAGE_STATS, and recovery: sessions exported as the TEE's handles, IMPORT, RESTORED.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link_priv.h"

/*
 * Send a control message and wait for its answer of type want (exactly
 * want_len bytes, copied to answer). 0, -ENOTCONN (link down) or -ETIMEDOUT
 * (the link is then broken: a TEE that stops answering is a dead TEE).
 */
static int ctl(struct link_tee *t, uint16_t type, const void *payload, size_t len, uint16_t want,
	       void *answer, uint32_t want_len)
{
	struct pend p = { .kind = PEND_CTL, .want = want, .want_len = want_len };
	pthread_mutex_lock(&t->lock);
	if (t->broken) {
		pthread_mutex_unlock(&t->lock);
		return -ENOTCONN;
	}
	p.tag = ++t->next_tag;
	if (idmap_put(&t->pend, p.tag, &p)) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&t->lock);

	link_send(t, type, p.tag, payload, len, NULL, 0);

	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += LINK_CTL_TIMEOUT_MS / 1000;
	int r = 0;
	pthread_mutex_lock(&t->lock);
	link_reader_wake(t);
	while (!p.answered && !t->broken && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&t->cond, &t->lock, &dl);
	idmap_del(&t->pend, p.tag);
	bool answered = p.answered, timed_out = !answered && !t->broken;
	pthread_mutex_unlock(&t->lock);
	if (timed_out) {
		link_break(t, "no answer to %s in %d s", tl_type_name(type), LINK_CTL_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	if (!answered)
		return -ENOTCONN;
	memcpy(answer, p.answer, want_len);
	return 0;
}

/* ---- VMs ---- */

/* ATTACH's name: printable, non-empty (the TEE checks it); also our log label. */
static void attach_name(struct link_tee *t, struct tl_attach *at, const char *name)
{
	size_t n = 0;
	for (const char *s = name ? name : ""; *s && n < TL_NAME_MAX - 1; s++)
		at->name[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (!n)
		at->name[n++] = '-';
	memcpy(t->label, at->name, n);
	t->label[n] = 0;
}

/* The TEE's ATTACHED: 0 or -errno. */
static int attached(struct link_tee *t, uint32_t vm_id, const struct tl_attached *ans)
{
	int32_t st = (int32_t)tl_h32((uint32_t)ans->status);
	if (st) {
		link_log(t, "TEE refused ATTACH: %s", strerror(st > 0 ? st : EPROTO));
		return st > 0 ? -st : -EPROTO;
	}
	if (t->resume)
		link_log(t, "resumed vm %u: the TEE %s (%u sessions)", vm_id,
			 tl_h32(ans->flags) & TL_ATTACHED_RESUMED ? "kept its state" : "had no state",
			 tl_h32(ans->sessions));
	return 0;
}

int link_vm_created(void *tee, uint32_t vm_id, const char *name, void **out)
{
	struct link_tee *t = tee;
	pthread_mutex_lock(&t->lock);
	bool busy = t->vm != NULL;
	pthread_mutex_unlock(&t->lock);
	if (busy)
		return -EBUSY; /* one VM per connection */
	if (!vm_id)
		return -EINVAL;

	struct link_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->t = t;
	vm->vm_id = vm_id;
	vm->sessions.prev = vm->sessions.next = &vm->sessions;

	struct tl_attach at = { .vm_id = tl_le32(vm_id), .flags = tl_le32(t->resume ? TL_ATTACH_RESUME : 0) };
	attach_name(t, &at, name);
	struct tl_attached ans;
	int r = ctl(t, TL_ATTACH, &at, sizeof(at), TL_ATTACHED, &ans, sizeof(ans));
	if (!r)
		r = attached(t, vm_id, &ans);
	if (r) {
		free(vm);
		return r;
	}
	pthread_mutex_lock(&t->lock);
	t->vm = vm;
	pthread_mutex_unlock(&t->lock);
	*out = vm;
	return 0;
}

void link_vm_destroyed(void *vm_)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	struct tl_detached ans;
	int r = ctl(t, TL_DETACH_DESTROY, NULL, 0, TL_DETACHED, &ans, sizeof(ans));
	if (r && r != -ENOTCONN)
		link_log(t, "DETACH_DESTROY: %s", strerror(-r));
	pthread_mutex_lock(&t->lock);
	while (vm->sessions.next != &vm->sessions) {
		struct link_sess *s = vm->sessions.next;
		link_sess_remove(s);
		free(s);
	}
	t->vm = NULL;
	pthread_mutex_unlock(&t->lock);
	free(vm);
}

void link_sess_add(struct link_vm *vm, struct link_sess *s)
{
	s->next = vm->sessions.next;
	s->prev = &vm->sessions;
	vm->sessions.next->prev = s;
	vm->sessions.next = s;
}

void link_sess_remove(struct link_sess *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->prev = s->next = s;
}

/* ---- recovery ---- */

uint64_t link_session_export(void *vm, void *session)
{
	(void)vm;
	return session ? ((struct link_sess *)session)->handle : 0;
}

void *link_session_import(void *vm_, uint64_t handle)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	if (!handle)
		return NULL;
	struct link_sess *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	struct tl_import im = { .handle = tl_le64(handle) };
	struct tl_imported ans;
	if (ctl(t, TL_IMPORT, &im, sizeof(im), TL_IMPORTED, &ans, sizeof(ans)) || tl_h32(ans.ok) != 1) {
		free(s);
		return NULL;
	}
	s->handle = handle;
	pthread_mutex_lock(&t->lock);
	link_sess_add(vm, s);
	pthread_mutex_unlock(&t->lock);
	return s;
}

void link_vm_restored(void *vm_)
{
	struct link_vm *vm = vm_;
	struct link_tee *t = vm->t;
	struct tl_restored_ack ans;
	int r = ctl(t, TL_RESTORED, NULL, 0, TL_RESTORED_ACK, &ans, sizeof(ans));
	if (r)
		link_log(t, "RESTORED: %s", strerror(-r));
	else if (tl_h32(ans.closed))
		link_log(t, "restored: the TEE closed %u sessions nobody imported, %u remain",
			 tl_h32(ans.closed), tl_h32(ans.sessions));
}

/* ---- status ---- */

int vtee_link_stats(void *vm_, struct vtee_link_stats *st)
{
	struct link_vm *vm = vm_;
	if (!vm || !st)
		return -EINVAL;
	struct tl_stats ans;
	int r = ctl(vm->t, TL_STATS, NULL, 0, TL_STATS_ANSWER, &ans, sizeof(ans));
	if (r)
		return r;
	st->sessions = tl_h32(ans.sessions);
	st->inflight = tl_h32(ans.inflight);
	st->vm_inflight = tl_h32(ans.vm_inflight);
	return 0;
}

/* The VM's storage counters (STORAGE_STATS, protocol version 2; -EOPNOTSUPP over version 1). */
int link_vm_storage_stats(void *vm_, struct vtee_storage_stats *out)
{
	struct link_vm *vm = vm_;
	memset(out, 0, sizeof(*out));
	if (vm->t->version < TL_VERSION_STORAGE)
		return -EOPNOTSUPP;
	struct tl_storage_stats ans;
	int r = ctl(vm->t, TL_STORAGE_STATS, NULL, 0, TL_STORAGE_STATS_ANSWER, &ans, sizeof(ans));
	if (r)
		return r;
	int32_t st = (int32_t)tl_h32((uint32_t)ans.status);
	if (st)
		return st > 0 && st < 4096 ? -st : -EPROTO;
	*out = (struct vtee_storage_stats){ .objects = tl_h64(ans.objects), .bytes = tl_h64(ans.bytes),
		.bytes_on_disk = tl_h64(ans.bytes_on_disk), .version = tl_h64(ans.version),
		.commits = tl_h64(ans.commits), .corrupt_objects = tl_h64(ans.corrupt_objects),
		.flags = tl_h32(ans.flags) & TL_STORAGE_STATE_CORRUPT ? VTEE_STORAGE_STATE_CORRUPT : 0 };
	return 0;
}

/* Sessions the TEE holds for the VM (STATS): status and leak checks. */
long link_vm_session_count(void *vm)
{
	struct vtee_link_stats st;
	int r = vtee_link_stats(vm, &st);
	return r ? r : (long)st.sessions;
}
