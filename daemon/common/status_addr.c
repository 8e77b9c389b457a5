// SPDX-License-Identifier: MIT
/* Where a vteed's status socket is (status_addr.h). */
#include "status_addr.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vtee/vteed_proto.h"

socklen_t vteed_status_addr(pid_t pid, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] = 0: the abstract namespace; the name is the bytes after it, no NUL */
	int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, VTEED_STATUS_PREFIX "%d", (int)pid);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}
