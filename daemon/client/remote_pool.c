// SPDX-License-Identifier: MIT
/*
 * The vteeds this process supervises with the same remote options share one
 * remote back-end instance, so one pool of connections to the server
 * (docs/remote.md): a reference-counted list.
 */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtee/vtee.h"

struct remote_pool {
	struct remote_pool *next;
	char *options;
	struct vtee_tee *tee;
	unsigned refs;
};
static struct remote_pool *remote_pools;
static pthread_mutex_t remote_pools_lock = PTHREAD_MUTEX_INITIALIZER;

/* remote_pools_lock held: a new pool for options, in the list. */
static int pool_new(const char *options, struct remote_pool **out)
{
	struct remote_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->options = strdup(options);
	int err = p->options ? vtee_tee_open("remote", options, &p->tee) : -ENOMEM;
	if (err) {
		free(p->options);
		free(p);
		return err;
	}
	p->next = remote_pools;
	remote_pools = p;
	*out = p;
	return 0;
}

int vteed_remote_pool_get(const char *options, struct vtee_tee **out)
{
	if (!options)
		return -EINVAL;
	pthread_mutex_lock(&remote_pools_lock);
	struct remote_pool *p = remote_pools;
	while (p && strcmp(p->options, options))
		p = p->next;
	int err = p ? 0 : pool_new(options, &p);
	if (!err) {
		p->refs++;
		*out = p->tee;
	}
	pthread_mutex_unlock(&remote_pools_lock);
	return err;
}

void vteed_remote_pool_put(struct vtee_tee *tee)
{
	pthread_mutex_lock(&remote_pools_lock);
	for (struct remote_pool **pp = &remote_pools; *pp; pp = &(*pp)->next) {
		struct remote_pool *p = *pp;
		if (p->tee != tee)
			continue;
		if (!--p->refs) {
			*pp = p->next;
			vtee_tee_close(p->tee);
			free(p->options);
			free(p);
		}
		break;
	}
	pthread_mutex_unlock(&remote_pools_lock);
}
