// SPDX-License-Identifier: MIT
/*
 * The TEE source for "remote" (tee_source.c): the VM's TEE on another
 * machine, behind vtee-served (docs/remote.md). This process holds the TLS
 * connections (vteed may open no socket); the vteeds it supervises with the
 * same remote options share one remote back-end instance, so one pool of
 * connections (a reference-counted list). Each vteed gets a new channel on
 * the pool: a raw link stream for its "link" back-end.
 */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtee/vtee.h"
#ifdef VTEED_CLIENT_REMOTE
#include "vtee/remote.h"
#else
/* built without OpenSSL: there is no remote back-end (opening it fails), so none of these is reached */
static int vtee_remote_channel(struct vtee_tee *tee, int *fd)
{
	(void)tee;
	(void)fd;
	return -ENOTSUP;
}
static int vtee_remote_pool_connections(struct vtee_tee *tee, unsigned *n)
{
	(void)tee;
	(void)n;
	return -ENOTSUP;
}
#endif

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

/* The pool for options, shared (a reference taken). */
static int pool_get(const char *options, struct remote_pool **out)
{
	pthread_mutex_lock(&remote_pools_lock);
	struct remote_pool *p = remote_pools;
	while (p && strcmp(p->options, options))
		p = p->next;
	int err = p ? 0 : pool_new(options, &p);
	if (!err) {
		p->refs++;
		*out = p;
	}
	pthread_mutex_unlock(&remote_pools_lock);
	return err;
}

static void pool_put(struct remote_pool *pool)
{
	pthread_mutex_lock(&remote_pools_lock);
	for (struct remote_pool **pp = &remote_pools; *pp; pp = &(*pp)->next) {
		struct remote_pool *p = *pp;
		if (p != pool)
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

/* The pool's options: backend_options, or remote_options, their older name (one of them). */
static int remote_open(const struct vteed_config *cfg, void **state, char *msg, size_t msglen)
{
	const char *options = cfg->backend_options ? cfg->backend_options : cfg->remote_options;
	if (!options || (cfg->backend_options && cfg->remote_options)) {
		vteed_set_msg(msg, msglen, "the remote back-end's options (docs/remote.md): give them once");
		return -EINVAL;
	}
	int err = pool_get(options, (struct remote_pool **)state);
	if (err)
		vteed_set_msg(msg, msglen, "the remote back-end's options (docs/remote.md)");
	return err;
}

/* A new channel, so a new link stream: a restarted vteed resumes its VM on it. */
static int remote_connect(void *state, uint32_t vm_id, uint32_t epoch, struct vteed_tee_endpoint *ep)
{
	struct remote_pool *p = state;
	(void)vm_id;
	int fd, err = vteed_tee_endpoint_init(ep, "link", epoch ? "resume" : "");
	if (!err)
		err = vtee_remote_channel(p->tee, &fd);
	return err ? err : vteed_tee_endpoint_add_fd(ep, "fd", fd);
}

static void remote_info(void *state, struct vteed_info *info)
{
	unsigned n = 0;
	if (vtee_remote_pool_connections(((struct remote_pool *)state)->tee, &n) == 0)
		info->remote_connections = n;
}

static void remote_close(void *state, int wait_ms)
{
	(void)wait_ms;
	pool_put(state);
}

const struct vteed_tee_source_ops vteed_tee_remote_source = {
	.backend = "remote",
	.open = remote_open,
	.connect = remote_connect,
	.info = remote_info,
	.close = remote_close,
};
