// SPDX-License-Identifier: MIT
/*
 * A misbehaving test TA for the process model (ta_proc_test.h): each
 * command does one thing a TA must not get away with. Every one of them
 * must end this TA's instance (TARGET_DEAD) and nothing else.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>

#include <tee_internal_api.h>

#include "ta_proc_test.h"

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t types, TEE_Param params[4], void **ctx)
{
	(void)types;
	(void)params;
	*ctx = NULL;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *ctx)
{
	(void)ctx;
}

static volatile int sink;

/* Deeper until the stack ends (the condition only keeps the compiler from calling it infinite). */
static int recurse(int depth)
{
	volatile char frame[4096];
	frame[0] = (char)depth;
	if (depth == -1)
		return 0;
	return recurse(depth + 1) + frame[0];
}

/* Blocks of 1 MiB, written to, until malloc says no: how many MiB the limits let it have. */
static uint32_t hog(void)
{
	uint32_t mib = 0;
	for (;;) {
		char *p = malloc(1u << 20);
		if (!p || mib >= 65536)
			return mib;
		memset(p, 0x5a, 1u << 20);
		mib++;
	}
}

static void *nothing(void *arg)
{
	return arg;
}

TEE_Result TA_InvokeCommandEntryPoint(void *ctx, uint32_t cmd, uint32_t types, TEE_Param p[4])
{
	(void)ctx;
	(void)types;
	switch (cmd) {
	case TPT_CMD_PANIC:
		TEE_Panic(0xbad);
		break;
	case TPT_CMD_SEGV:
		*(volatile int *)(uintptr_t)sink = 1;
		break;
	case TPT_CMD_STACK:
		sink = recurse(0);
		break;
	case TPT_CMD_HOG:
		p[0].value.a = hog();
		return TEE_SUCCESS;
	case TPT_CMD_LOOP:
		for (;;)
			sink++;
	case TPT_CMD_OPEN:
		sink = open("/etc/passwd", O_RDONLY);
		break;
	case TPT_CMD_SOCKET:
		sink = socket(AF_INET, SOCK_STREAM, 0);
		break;
	case TPT_CMD_EXEC: {
		char *argv[] = { (char *)"true", NULL };
		sink = execve("/bin/true", argv, NULL);
		break;
	}
	case TPT_CMD_FORK:
		sink = fork();
		break;
	case TPT_CMD_THREAD: {
		pthread_t t;
		sink = pthread_create(&t, NULL, nothing, NULL);
		break;
	}
	case TPT_CMD_EXECMEM:
		sink = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED;
		break;
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
	/* still here: the call was let through; the test sees this and fails */
	p[0].value.a = 0xdeadbeefu;
	return TEE_ERROR_GENERIC;
}
