/* SPDX-License-Identifier: MIT */
/* Starting a helper process with one socket as its fd 3: vteed, vtee-tee. */
#ifndef VTEED_SPAWN_FD3_H
#define VTEED_SPAWN_FD3_H

#include <sys/types.h>

/*
 * Start `path args...` (args NULL-terminated, may be NULL) with fd as its fd 3,
 * and no other fd of this process but stdin, stdout and stderr. path with a
 * '/' is that file, else it is searched in PATH. *pid = the child (reap it).
 * 0 or -errno (-ENOENT: no such program).
 */
int vteed_spawn_fd3(const char *path, const char *const *args, int fd, pid_t *pid);

#endif
