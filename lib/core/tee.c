// SPDX-License-Identifier: MIT
/* TEE back-end instances, looked up by name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "link.h"
#include "teedev.h"
#ifdef VTEE_HAVE_REMOTE
#include "remote.h"
#endif

static const struct vtee_backend_ops *const backends[] = {
	&vtee_soft_backend,
	&vtee_link_backend,
	&vtee_teedev_backend,
#ifdef VTEE_HAVE_REMOTE
	&vtee_remote_backend,
#endif
};

static const char *const backend_names[] = { "soft", "link", "teedev",
#ifdef VTEE_HAVE_REMOTE
					     "remote",
#endif
					     NULL };

const char *const *vtee_backend_names(void)
{
	return backend_names;
}

int vtee_tee_open(const char *name, const char *options, struct vtee_tee **out)
{
	const struct vtee_backend_ops *ops = NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (name && !strcmp(backends[i]->name, name))
			ops = backends[i];
	if (!ops)
		return -ENOENT;
	return vtee_tee_open_ops(ops, options, out);
}

int vtee_tee_open_ops(const struct vtee_backend_ops *ops, const char *options, struct vtee_tee **out)
{
	if (!ops || !ops->open || !ops->close || !ops->vm_created || !ops->vm_destroyed || !ops->submit ||
	    !ops->cancel || !out)
		return -EINVAL;

	struct vtee_tee *tee = calloc(1, sizeof(*tee));
	if (!tee)
		return -ENOMEM;
	tee->ops = ops;
	pthread_mutex_init(&tee->lock, NULL);
	int r = ops->open(options, &tee->priv);
	if (r) {
		pthread_mutex_destroy(&tee->lock);
		free(tee);
		return r < 0 ? r : -EIO;
	}
	*out = tee;
	return 0;
}

void vtee_tee_close(struct vtee_tee *tee)
{
	if (!tee)
		return;
	tee->ops->close(tee->priv);
	idmap_free(&tee->vm_ids);
	pthread_mutex_destroy(&tee->lock);
	free(tee);
}
