/* SPDX-License-Identifier: MIT */
/* A small open-addressing map from 64-bit keys to non-NULL pointers. */
#ifndef VTEE_IDMAP_H
#define VTEE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_slot { uint64_t key; void *val; };

struct idmap {
	struct idmap_slot *slots; /* NULL until the first put: an empty map costs nothing */
	size_t cap;               /* power of two */
	size_t count;             /* live entries */
	size_t used;              /* live + deleted markers */
};

/* 0, -EEXIST (key present), -ENOMEM. */
int idmap_put(struct idmap *m, uint64_t key, void *val);
void *idmap_get(const struct idmap *m, uint64_t key);
/* Remove and return the value, NULL if absent. */
void *idmap_del(struct idmap *m, uint64_t key);
/* Iterate: start with *pos = 0; returns NULL at the end. */
void *idmap_next(const struct idmap *m, size_t *pos, uint64_t *key);
void idmap_free(struct idmap *m);

#endif
