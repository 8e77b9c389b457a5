// SPDX-License-Identifier: MIT
/* TEE back-end instances, opened by name from the registry (registry.c) or from an embedder's ops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int vtee_tee_open(const char *name, const char *options, struct vtee_tee **out)
{
	const struct vtee_backend_ops *ops = vtee_backend_find(name);
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

void *vtee_tee_backend_priv(const struct vtee_tee *tee, const struct vtee_backend_ops *ops)
{
	return tee && ops && tee->ops == ops ? tee->priv : NULL;
}

void *vtee_vm_backend_priv(const struct vtee_vm *vm, const struct vtee_backend_ops *ops)
{
	return vm && ops && vm->tee->ops == ops ? vm->be : NULL;
}
