// SPDX-License-Identifier: MIT
/*
 * The smallest embedding of libvtee: what a VMM does, minus the VMM. Guest RAM
 * is a memfd; one "vCPU" issues the SMCs a guest's OP-TEE driver would for a
 * probe and one INVOKE of the built-in test TA. Uses only the installed
 * public headers. Build: cc embed.c $(pkg-config --cflags --libs libvtee)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vtee/test_ta.h>
#include <vtee/vtee.h>

#define RAM_GPA  0x40000000ull
#define RAM_SIZE (1ull << 20)

/* One SMC as a vCPU makes it, resumed until it is done; returns its a0 (OP-TEE's return code). */
static uint32_t smc(struct vtee_vm *vm, uint64_t r[8])
{
	vtee_vm_smc(vm, r);
	/* 0xFFFF0004 = OP-TEE "foreign interrupt": the call is still running, resume it */
	while ((uint32_t)r[0] == 0xFFFF0004u) {
		r[0] = 0x32000003u; /* RETURN_FROM_RPC, a1..a3 as received */
		vtee_vm_smc(vm, r);
	}
	return (uint32_t)r[0];
}

int main(void)
{
	struct vtee_tee *tee;
	struct vtee_vm *vm;
	int fd = memfd_create("guest-ram", 0);
	if (fd < 0 || ftruncate(fd, RAM_SIZE))
		return 1;
	uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED || vtee_tee_open("soft", NULL, &tee))
		return 1;
	if (vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 7, .name = "embed" }, &vm) ||
	    vtee_vm_add_ram(vm, RAM_GPA, RAM_SIZE, ram, fd, 0))
		return 1;

	uint64_t r[8] = { 0xBF00FF01u }; /* CALLS_UID */
	smc(vm, r);
	printf("API UID %08x-%08x-%08x-%08x\n", (unsigned)r[0], (unsigned)r[1], (unsigned)r[2], (unsigned)r[3]);

	/* OPEN_SESSION to the test TA: an optee_msg_arg at the start of guest RAM */
	static const uint8_t uuid[16] = VTEE_TEST_TA_UUID_BYTES;
	uint32_t *arg = (uint32_t *)ram;
	memset(ram, 0, 4096);
	arg[0] = 0;              /* cmd OPEN_SESSION */
	arg[7] = 2;              /* num_params: the two meta params */
	uint64_t *p = (uint64_t *)(ram + 32);
	p[0] = 0x101;            /* META | VALUE_INPUT */
	memcpy(&p[1], uuid, 16); /* TA UUID */
	p[4] = 0x101;            /* client UUID (nil) + login (value.c) = PUBLIC */
	uint64_t o[8] = { 0x32000004u, RAM_GPA >> 32, (uint32_t)RAM_GPA }; /* CALL_WITH_ARG */
	if (smc(vm, o) || arg[5]) {
		fprintf(stderr, "open failed: a0 %#x ret %#x\n", (unsigned)o[0], arg[5]);
		return 1;
	}
	uint32_t session = arg[2];

	/* INVOKE INC with one VALUE_INOUT */
	memset(ram, 0, 4096);
	arg[0] = 1;
	arg[1] = VTEE_TEST_CMD_INC;
	arg[2] = session;
	arg[7] = 1;
	p[0] = 3;
	p[1] = 41;
	uint64_t i[8] = { 0x32000004u, RAM_GPA >> 32, (uint32_t)RAM_GPA };
	if (smc(vm, i) || arg[5] || p[1] != 42) {
		fprintf(stderr, "invoke failed\n");
		return 1;
	}
	printf("INC 41 -> %llu in session %u\n", (unsigned long long)p[1], session);

	struct vtee_vm_stats st;
	vtee_vm_get_stats(vm, &st);
	printf("VM %s: %u session(s) open, %llu SMCs\n", vtee_vm_name(vm), st.sessions,
	       (unsigned long long)st.smc_count);
	vtee_vm_destroy(vm); /* closes the session we left open */
	vtee_tee_close(tee);
	return st.sessions == 1 ? 0 : 1;
}
