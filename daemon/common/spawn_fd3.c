// SPDX-License-Identifier: MIT
/* Starting a helper process with one socket as its fd 3 (spawn_fd3.h). */
#include "spawn_fd3.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>

extern char **environ;

int vteed_spawn_fd3(const char *path, const char *const *args, int fd, pid_t *pid)
{
	size_t n = 0;
	while (args && args[n])
		n++;
	const char **argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[0] = path;
	for (size_t i = 0; i < n; i++)
		argv[1 + i] = args[i];
	posix_spawn_file_actions_t fa;
	int e = posix_spawn_file_actions_init(&fa);
	if (e) {
		free(argv);
		return -e;
	}
	/* dup2(fd, 3) clears close-on-exec even when fd is 3 already; then nothing else is inherited */
	e = posix_spawn_file_actions_adddup2(&fa, fd, 3);
	if (!e)
		e = posix_spawn_file_actions_addclosefrom_np(&fa, 4);
	/* posix_spawnp reports a program that cannot be run (the exec failed) as an error here */
	if (!e)
		e = posix_spawnp(pid, path, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	return -e;
}
