// SPDX-License-Identifier: MIT
/*
 * The registries of back-ends and front-ends. Each registers itself with a
 * macro beside its ops (VTEE_BACKEND_REGISTER, VTEE_FRONTEND_REGISTER): a
 * pointer in a named section, gathered by the linker. The bounds are the
 * linker's __start_/__stop_ symbols, hidden so that inside libvtee.so they
 * always mean libvtee's own sections, never a program's of the same name.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "core.h"

#define DECLARE_SECTION(sec, type)                                                           \
	extern type *const __start_##sec[] __attribute__((visibility("hidden")));      \
	extern type *const __stop_##sec[] __attribute__((visibility("hidden")))

DECLARE_SECTION(vtee_backends, const struct vtee_backend_ops);
DECLARE_SECTION(vtee_frontends, const struct vtee_frontend_ops);

const struct vtee_backend_ops *vtee_backend_next(size_t *pos)
{
	size_t n = (size_t)(__stop_vtee_backends - __start_vtee_backends);
	if (!pos || *pos >= n)
		return NULL;
	return __start_vtee_backends[(*pos)++];
}

const struct vtee_backend_ops *vtee_backend_find(const char *name)
{
	const struct vtee_backend_ops *ops;
	size_t pos = 0;
	while (name && (ops = vtee_backend_next(&pos)))
		if (ops->name && !strcmp(ops->name, name))
			return ops;
	return NULL;
}

/* Enough for every back-end there will be; more are listed nowhere but still found by name. */
#define NAMES_MAX 32
static const char *backend_names[NAMES_MAX + 1];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_build(void)
{
	const struct vtee_backend_ops *ops;
	size_t pos = 0, n = 0;
	while (n < NAMES_MAX && (ops = vtee_backend_next(&pos)))
		if (ops->name)
			backend_names[n++] = ops->name;
	backend_names[n] = NULL;
}

const char *const *vtee_backend_names(void)
{
	pthread_once(&names_once, names_build);
	return backend_names;
}

const struct vtee_frontend_ops *vtee_frontend_next(size_t *pos)
{
	size_t n = (size_t)(__stop_vtee_frontends - __start_vtee_frontends);
	if (!pos || *pos >= n)
		return NULL;
	return __start_vtee_frontends[(*pos)++];
}
