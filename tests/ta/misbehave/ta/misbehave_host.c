// SPDX-License-Identifier: MIT
/*
 * misbehave: what a TA must never get away with on the host: memory taken
 * around TEE_Malloc (libc malloc, raw mmap) and system calls the sandbox
 * forbids. A TA is a native shared object, so nothing but the sandbox stands
 * in the way of these.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <tee_internal_api.h>

#include <misbehave_ta.h>
#include "misbehave.h"

#define MIB (1024u * 1024u)
#define MMAP_CHUNK (16 * MIB)

/* Writes every page, through the pointer as given (NULL included: a careless TA). */
static void touch(char *p, size_t len)
{
	volatile char *volatile q = p;

	for (size_t i = 0; i < len; i += 4096)
		q[i] = 1;
}

TEE_Result misbehave_hog_malloc(TEE_Param params[4])
{
	uint32_t mib = 0;

	while (mib < TA_MISBEHAVE_HOG_CAP_MIB) {
		touch(malloc(MIB), MIB);	/* never freed, never checked */
		mib++;
	}
	params[0].value.a = mib;
	return TEE_ERROR_GENERIC;
}

TEE_Result misbehave_hog_mmap(TEE_Param params[4])
{
	uint32_t mib = 0;

	while (mib < TA_MISBEHAVE_HOG_CAP_MIB) {
		char *p = mmap(NULL, MMAP_CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		touch(p == MAP_FAILED ? NULL : p, MMAP_CHUNK);
		mib += MMAP_CHUNK / MIB;
	}
	params[0].value.a = mib;
	return TEE_ERROR_GENERIC;
}

static int try_execve(void)
{
	static char name[] = "vtee-misbehave";
	char *const argv[] = { name, NULL };
	char *const envp[] = { NULL };

	/* a path that does not exist: without a sandbox it fails with ENOENT */
	return execve("/nonexistent/vtee-misbehave", argv, envp);
}

static int try_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static int try_call(uint32_t which)
{
	int fd;

	switch (which) {
	case TA_MISBEHAVE_SYS_OPEN:
		/*
		 * Without O_CLOEXEC: a sanitizer build lets O_RDONLY|O_CLOEXEC opens
		 * fail with EACCES (its runtime opens /proc/self/maps that way in a
		 * report); every other open is fatal in every build.
		 */
		fd = open("/etc/passwd", O_RDONLY);
		break;
	case TA_MISBEHAVE_SYS_SOCKET:
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	case TA_MISBEHAVE_SYS_EXECVE:
		return try_execve();
	case TA_MISBEHAVE_SYS_FORK:
		return try_fork();
	default:	/* the caller checked which */
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

TEE_Result misbehave_syscall(uint32_t which, TEE_Param params[4])
{
	if (which > TA_MISBEHAVE_SYS_FORK)
		return TEE_ERROR_BAD_PARAMETERS;
	if (try_call(which) == 0) {
		params[1].value.a = 0;
		return TEE_SUCCESS;
	}
	params[1].value.a = (uint32_t)errno;
	return TEE_ERROR_ACCESS_DENIED;
}
