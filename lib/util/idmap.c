// SPDX-License-Identifier: MIT
#include "idmap.h"

#include <errno.h>
#include <stdlib.h>

/* A deleted entry keeps its slot so probe chains stay intact. */
static char tombstone;
#define DELETED ((void *)&tombstone)

static size_t hash(uint64_t k)
{
	/* splitmix64 finaliser: guest-chosen keys still spread well */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return (size_t)k;
}

static struct idmap_slot *find(const struct idmap *m, uint64_t key)
{
	if (!m->slots)
		return NULL;
	for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct idmap_slot *s = &m->slots[i];
		if (!s->val)
			return NULL;
		if (s->val != DELETED && s->key == key)
			return s;
	}
}

static int grow(struct idmap *m)
{
	size_t cap = m->cap ? m->cap : 8;
	if (m->count * 2 >= cap)
		cap *= 2;
	struct idmap_slot *n = calloc(cap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct idmap_slot *s = &m->slots[i];
		if (!s->val || s->val == DELETED)
			continue;
		size_t j = hash(s->key) & (cap - 1);
		while (n[j].val)
			j = (j + 1) & (cap - 1);
		n[j] = *s;
	}
	free(m->slots);
	m->slots = n;
	m->cap = cap;
	m->used = m->count;
	return 0;
}

int idmap_put(struct idmap *m, uint64_t key, void *val)
{
	if (find(m, key))
		return -EEXIST;
	/* keep at most 3/4 of the slots in use (live + deleted) */
	if (!m->slots || (m->used + 1) * 4 > m->cap * 3) {
		int r = grow(m);
		if (r)
			return r;
	}
	size_t i = hash(key) & (m->cap - 1);
	while (m->slots[i].val && m->slots[i].val != DELETED)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].val)
		m->used++;
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->count++;
	return 0;
}

void *idmap_get(const struct idmap *m, uint64_t key)
{
	struct idmap_slot *s = find(m, key);
	return s ? s->val : NULL;
}

void *idmap_del(struct idmap *m, uint64_t key)
{
	struct idmap_slot *s = find(m, key);
	if (!s)
		return NULL;
	void *v = s->val;
	s->val = DELETED;
	m->count--;
	if (!m->count) {
		/* an emptied map returns to zero cost */
		idmap_free(m);
	}
	return v;
}

void *idmap_next(const struct idmap *m, size_t *pos, uint64_t *key)
{
	for (; *pos < m->cap; (*pos)++) {
		struct idmap_slot *s = &m->slots[*pos];
		if (s->val && s->val != DELETED) {
			(*pos)++;
			if (key)
				*key = s->key;
			return s->val;
		}
	}
	return NULL;
}

void idmap_free(struct idmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = m->used = 0;
}
