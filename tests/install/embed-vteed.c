// SPDX-License-Identifier: MIT
/*
 * The smallest VMM that hands its VM's TEE to vteed through the installed
 * libvteed: guest RAM in a memfd, vteed_spawn() of the installed vteed, one
 * SMC through the mailbox (OP-TEE's CALLS_UID), vteed's status, close. Uses
 * only the installed public headers.
 * Build: cc embed-vteed.c $(pkg-config --cflags --libs libvteed)
 * Usage: embed-vteed PATH-TO-VTEED
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vtee/vteed.h>

#define RAM_GPA        0x40000000ull
#define RAM_SIZE       (1ull << 20)
#define CALLS_UID      0xBF00FF01u
#define OPTEE_UID_WORD 0x384fb3e0u

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: embed-vteed PATH-TO-VTEED\n");
		return 2;
	}
	vteed_set_log(vteed_log_to_fd, (void *)(intptr_t)STDERR_FILENO);
	int ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (ram_fd < 0 || ftruncate(ram_fd, RAM_SIZE) < 0) {
		perror("guest RAM");
		return 1;
	}
	struct vteed_ram ram = { .gpa = RAM_GPA, .size = RAM_SIZE, .fd = ram_fd, .fd_offset = 0 };
	struct vteed_config cfg = { .vm_id = 7, .name = "embed", .nvcpus = 1, .vteed_path = argv[1] };
	struct vteed *v;
	pid_t pid;
	char msg[128];
	int err = vteed_spawn(&cfg, &ram, 1, &v, &pid, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "vteed_spawn: %s (%s)\n", strerror(-err), msg);
		return 1;
	}
	uint64_t regs[8] = { CALLS_UID };
	int fails = 0;
	err = vteed_smc(v, 0, regs);
	if (err || regs[0] != OPTEE_UID_WORD) {
		fprintf(stderr, "CALLS_UID through vteed: %d, x0 = %#llx\n", err, (unsigned long long)regs[0]);
		fails++;
	}
	struct vteed_status st = { 0 };
	err = vteed_status(v, &st);
	if (err || st.vm_id != 7 || strcmp(st.name, "embed") || st.smc_count != 1) {
		fprintf(stderr, "vteed_status: %d, vm %u, name %s, %llu SMCs\n", err, st.vm_id, st.name,
			(unsigned long long)st.smc_count);
		fails++;
	}
	vteed_close(v);
	int ws;
	if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		fprintf(stderr, "vteed did not exit 0 (wait status %#x)\n", ws);
		fails++;
	}
	close(ram_fd);
	printf("embed-vteed: %s\n", fails ? "FAILED" : "ok");
	return fails ? 1 : 0;
}
