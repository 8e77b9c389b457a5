// SPDX-License-Identifier: MIT
/*
 * vstore_handoff_close: the one part of vstore.h every build has (with or without libcrypto),
 * since whoever received a handoff closes it the same way.
 */
#include <string.h>
#include <unistd.h>

#include "vstore.h"

void vstore_handoff_close(struct vstore_handoff *h)
{
	if (h->dir_fd >= 0)
		close(h->dir_fd);
	if (h->anchor_fd >= 0)
		close(h->anchor_fd);
	h->dir_fd = h->anchor_fd = -1;
	explicit_bzero(h->vm_key, sizeof(h->vm_key));
}
