/* SPDX-License-Identifier: MIT */
/*
 * misbehave: a TA that breaks the rules on request, so that its client can
 * check the TEE contains it: the session gets TEE_ERROR_TARGET_DEAD (origin
 * TEE) on that call and every later one; other sessions and TAs are untouched;
 * new sessions still open. Multi-instance: every session is its own instance.
 */
#ifndef MISBEHAVE_TA_H
#define MISBEHAVE_TA_H

/* d7a94c13-8e25-4b6f-a0d1-52f8c3e6b97a */
#define TA_MISBEHAVE_UUID \
	{ 0xd7a94c13, 0x8e25, 0x4b6f, \
		{ 0xa0, 0xd1, 0x52, 0xf8, 0xc3, 0xe6, 0xb9, 0x7a } }

/* Open session: no parameters, or [0] VALUE_INPUT a = 1: TEE_Panic in the open. */
#define TA_MISBEHAVE_OPEN_PANIC		1

/* [0] VALUE_INOUT a += 1: a session that works */
#define TA_MISBEHAVE_CMD_PING		0
/* TEE_Panic(TA_MISBEHAVE_PANIC_CODE) */
#define TA_MISBEHAVE_CMD_PANIC		1
/* a store through a NULL pointer */
#define TA_MISBEHAVE_CMD_SEGV		2
/*
 * TEE_Malloc 16 KiB at a time until refused, then free it all: [0]
 * VALUE_OUTPUT a = KiB obtained. Not fatal: TEE_Malloc must say no within
 * TA_DATA_SIZE (TA_MISBEHAVE_DATA_SIZE).
 */
#define TA_MISBEHAVE_CMD_HOG_TEE_MALLOC	3
/*
 * malloc() 1 MiB at a time, touching every page; when refused, use the
 * NULL anyway (a careless TA). Stops at TA_MISBEHAVE_HOG_CAP_MIB and answers
 * TEE_ERROR_GENERIC with [0] VALUE_OUTPUT a = MiB held: no limit was met.
 */
#define TA_MISBEHAVE_CMD_HOG_MALLOC	4
/* The same with raw anonymous mmap() of 16 MiB. */
#define TA_MISBEHAVE_CMD_HOG_MMAP	5
/* Loop forever; cancellation stays masked, so a cancel request cannot end it. */
#define TA_MISBEHAVE_CMD_LOOP		6
/*
 * A system call the sandbox forbids: [0] VALUE_INPUT a = one of the
 * TA_MISBEHAVE_SYS_*; [1] VALUE_OUTPUT a = errno when the call failed
 * (answer TEE_ERROR_ACCESS_DENIED), or it worked (answer TEE_SUCCESS): both
 * mean the TA was not stopped.
 */
#define TA_MISBEHAVE_CMD_SYSCALL	7

#define TA_MISBEHAVE_SYS_OPEN		0	/* open("/etc/passwd") */
#define TA_MISBEHAVE_SYS_SOCKET		1	/* socket(AF_INET, SOCK_STREAM) */
#define TA_MISBEHAVE_SYS_EXECVE		2	/* execve of a path that does not exist */
#define TA_MISBEHAVE_SYS_FORK		3	/* fork() */

#define TA_MISBEHAVE_PANIC_CODE		0x0badbeef
#define TA_MISBEHAVE_DATA_SIZE		(256 * 1024)
#define TA_MISBEHAVE_HOG_CAP_MIB	1024

#endif
