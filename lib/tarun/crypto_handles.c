/* The registry of live object, operation and enumerator handles.
 *
 * A handle is a pointer the TA hands back; nothing is read through it before the registry
 * says it is live and of the expected kind. Open addressing on the pointer value, grown when
 * half full; a mutex because TA_FLAG_CONCURRENT instances run entries on several threads. */
#include "crypto_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct slot {
	uintptr_t key;  /* 0: empty; TOMB: deleted */
	uint8_t kind;
};

#define TOMB ((uintptr_t)1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static size_t nslots;   /* a power of two */
static size_t nused;    /* live + tombstones */
static size_t nlive;

static size_t hash_ptr(uintptr_t p)
{
	uint64_t x = (uint64_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

/* The slot holding `key`, or the first free one on its probe path. */
static struct slot *probe(uintptr_t key)
{
	size_t i = hash_ptr(key) & (nslots - 1);
	struct slot *free_slot = NULL;

	for (size_t n = 0; n < nslots; n++, i = (i + 1) & (nslots - 1)) {
		struct slot *s = &slots[i];

		if (s->key == key)
			return s;
		if (s->key == TOMB && !free_slot)
			free_slot = s;
		if (s->key == 0)
			return free_slot ? free_slot : s;
	}
	return free_slot;
}

/* Rebuilds the table without tombstones: twice as large when it is busy, else as large. */
static int grow(void)
{
	size_t old_n = nslots;
	struct slot *old = slots;
	size_t n = !old_n ? 64 : nlive * 4 > old_n ? old_n * 2 : old_n;
	struct slot *fresh = calloc(n, sizeof(*fresh));

	if (!fresh)
		return -ENOMEM;
	slots = fresh;
	nslots = n;
	nused = 0;
	for (size_t i = 0; i < old_n; i++) {
		if (old[i].key > TOMB) {
			*probe(old[i].key) = old[i];
			nused++;
		}
	}
	free(old);
	return 0;
}

int handle_register(const void *h, enum handle_kind kind)
{
	uintptr_t key = (uintptr_t)h;
	int rc = 0;

	pthread_mutex_lock(&lock);
	if ((nused + 1) * 2 > nslots)
		rc = grow();
	if (!rc) {
		struct slot *s = probe(key);

		if (s->key == 0)
			nused++;
		if (s->key != key)
			nlive++;
		s->key = key;
		s->kind = (uint8_t)kind;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void handle_unregister(const void *h)
{
	uintptr_t key = (uintptr_t)h;

	pthread_mutex_lock(&lock);
	if (nslots && key > TOMB) {
		struct slot *s = probe(key);

		if (s && s->key == key) {
			s->key = TOMB;
			nlive--;
		}
	}
	pthread_mutex_unlock(&lock);
}

bool handle_is(const void *h, enum handle_kind kind)
{
	uintptr_t key = (uintptr_t)h;
	bool live = false;

	if (key <= TOMB)
		return false;
	pthread_mutex_lock(&lock);
	if (nslots) {
		struct slot *s = probe(key);

		live = s && s->key == key && s->kind == kind;
	}
	pthread_mutex_unlock(&lock);
	return live;
}

TEE_ObjectHandle obj_checked(TEE_ObjectHandle h)
{
	PANIC_UNLESS(handle_is(h, HANDLE_OBJECT), TEE_ERROR_BAD_STATE);
	return h;
}

TEE_OperationHandle op_checked(TEE_OperationHandle h)
{
	PANIC_UNLESS(handle_is(h, HANDLE_OPERATION), TEE_ERROR_BAD_PARAMETERS);
	return h;
}
