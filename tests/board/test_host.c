// SPDX-License-Identifier: MIT
/*
 * board/host.c without QEMU: this test plays the EL3 firmware's part. It maps
 * the RAM file itself (as QEMU would), connects to the doorbell socket, and
 * for each "SMC" writes x_in, store-releases seq_req, sends the doorbell byte
 * and waits for seq_resp, exactly as board/firmware/vectors.S does.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "host.h"
#include "mailbox.h"
#include "optee_abi.h"
#include "psci.h"
#include "vtee/test_ta.h"

#define NCPUS     4
#define RAM_SIZE  (258ull << 20) /* two vtee regions: below and above the reserved one */
#define NS        (~0ull)        /* SMCCC NOT_SUPPORTED as the caller sees it */

static char dir[64], ram_path[96], sock_path[96];

/* ---- events ----------------------------------------------------------------- */

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cond = PTHREAD_COND_INITIALIZER;
static unsigned ev_count[4], ev_cpu[4];
static char ev_detail[4][160];
static atomic_bool block_events;   /* the callback waits while this is set */

static void on_event(void *ctx, enum board_event ev, unsigned cpu, const char *detail)
{
	(void)ctx;
	pthread_mutex_lock(&ev_lock);
	ev_count[ev]++;
	ev_cpu[ev] = cpu;
	snprintf(ev_detail[ev], sizeof(ev_detail[ev]), "%s", detail ? detail : "(null)");
	pthread_cond_broadcast(&ev_cond);
	pthread_mutex_unlock(&ev_lock);
	/* hold this thread (a worker) hostage, up to 10 s, so the test can show others still run */
	for (int i = 0; i < 10000 && atomic_load(&block_events); i++)
		usleep(1000);
}

static unsigned event_count(enum board_event ev)
{
	pthread_mutex_lock(&ev_lock);
	unsigned n = ev_count[ev];
	pthread_mutex_unlock(&ev_lock);
	return n;
}

/* Wait until event ev has happened at least n times (or 5 s pass). */
static unsigned wait_event(enum board_event ev, unsigned n)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&ev_lock);
	while (ev_count[ev] < n)
		if (pthread_cond_timedwait(&ev_cond, &ev_lock, &dl))
			break;
	unsigned got = ev_count[ev];
	pthread_mutex_unlock(&ev_lock);
	return got;
}

/* ---- the firmware's side ---------------------------------------------------------- */

struct fw {
	uint8_t *ram; /* own mapping of the RAM file, like QEMU's */
	struct vtfw_cpu_page *pages;
	int sock;
};

static struct fw fw;

static void *gpa_ptr(uint64_t gpa)
{
	return fw.ram + (gpa - BOARD_RAM_BASE);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void doorbell(uint8_t b)
{
	ssize_t n = write(fw.sock, &b, 1);
	(void)n;
}

static int fw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(s);
		s = -1;
	}
	return s;
}

/* Publish an SMC on cpu; returns its sequence number. */
static uint64_t fw_post(unsigned cpu, const uint64_t x[8], uint64_t imm, bool ring)
{
	struct vtfw_cpu_page *pg = &fw.pages[cpu];
	for (unsigned i = 0; i < 8; i++)
		__atomic_store_n(&pg->x_in[i], x[i], __ATOMIC_RELAXED);
	__atomic_store_n(&pg->smc_imm, imm, __ATOMIC_RELAXED);
	uint64_t seq = __atomic_load_n(&pg->seq_req, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&pg->seq_req, seq, __ATOMIC_RELEASE);
	if (ring)
		doorbell(VTFW_DOORBELL_SMC(cpu));
	return seq;
}

/* Wait for the answer to seq; false on timeout. */
static bool fw_wait(unsigned cpu, uint64_t seq, unsigned timeout_ms, uint64_t out[8], uint64_t *action)
{
	struct vtfw_cpu_page *pg = &fw.pages[cpu];
	uint64_t end = now_ms() + timeout_ms;
	while (__atomic_load_n(&pg->seq_resp, __ATOMIC_ACQUIRE) != seq) {
		if (now_ms() > end)
			return false;
		usleep(20);
	}
	for (unsigned i = 0; out && i < 8; i++)
		out[i] = __atomic_load_n(&pg->x_out[i], __ATOMIC_RELAXED);
	if (action)
		*action = __atomic_load_n(&pg->action, __ATOMIC_RELAXED);
	return true;
}

/* One SMC, answered or not within 5 s. */
static bool smc(unsigned cpu, const uint64_t x[8], uint64_t out[8], uint64_t *action)
{
	return fw_wait(cpu, fw_post(cpu, x, 0, true), 5000, out, action);
}

/* x0 of a call with x1..x3 given and x4..x7 = markers that must come back unchanged. */
static uint64_t call4(unsigned cpu, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, int line)
{
	uint64_t x[8] = { x0, x1, x2, x3, 0x4444000000000004ull, 0x5555000000000005ull,
			  0x6666000000000006ull, 0x7777000000000007ull };
	uint64_t out[8], action = 99;
	if (!smc(cpu, x, out, &action)) {
		fprintf(stderr, "line %d: cpu %u fid %#" PRIx64 " not answered\n", line, cpu, x0);
		CHECK(!"answered");
		return 0xBADBADull;
	}
	CHECK_EQ(action, VTFW_ACTION_RETURN);
	for (unsigned i = 4; i < 8; i++)
		if (out[i] != x[i]) {
			fprintf(stderr, "line %d: x%u %#" PRIx64 " != %#" PRIx64 "\n", line, i, out[i], x[i]);
			CHECK_EQ(out[i], x[i]);
		}
	return out[0];
}
#define CALL(cpu, x0, x1, x2, x3) call4((cpu), (x0), (x1), (x2), (x3), __LINE__)

/* ---- OP-TEE messages in guest RAM -------------------------------------------------- */

static struct optee_msg_arg *msg_at(uint64_t gpa, uint32_t cmd, uint32_t nparams)
{
	struct optee_msg_arg *a = gpa_ptr(gpa);
	memset(a, 0, OPTEE_MSG_GET_ARG_SIZE(nparams));
	a->cmd = cmd;
	a->num_params = nparams;
	return a;
}

/* CALL_WITH_ARG at gpa on cpu, resuming foreign-interrupt RPCs; returns the final a0. */
static uint64_t std_call(unsigned cpu, uint64_t gpa)
{
	uint64_t x[8] = { OPTEE_SMC_CALL_WITH_ARG, gpa >> 32, gpa & 0xFFFFFFFFu, 0, 0, 0, 0, 0 };
	uint64_t out[8];
	for (int i = 0; i < 10000; i++) {
		if (!smc(cpu, x, out, NULL))
			return 0xBADBADull;
		uint32_t a0 = (uint32_t)out[0];
		if (!OPTEE_SMC_RETURN_IS_RPC(a0))
			return out[0];
		if ((a0 & 0xFFFFu) != OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)
			return 0xBADBAD2ull; /* the test TA's NULL/INC need no other RPC */
		uint64_t r[8] = { OPTEE_SMC_RETURN_FROM_RPC, out[1], out[2], out[3], 0, 0, 0, 0 };
		memcpy(x, r, sizeof(x));
	}
	return 0xBADBAD3ull;
}

/* Open a session to the test TA, INVOKE NULL and INC, close: all with the message at gpa. */
static void test_ta_roundtrip(unsigned cpu, uint64_t gpa)
{
	static const uint8_t uuid[16] = VTEE_TEST_TA_UUID_BYTES;
	struct optee_msg_arg *a = msg_at(gpa, OPTEE_MSG_CMD_OPEN_SESSION, 2);
	a->params[0].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	memcpy(a->params[0].u.octets, uuid, 16);
	a->params[1].attr = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	a->params[1].u.value.c = 0; /* TEE_LOGIN_PUBLIC */
	CHECK_EQ(std_call(cpu, gpa), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(a->ret, 0);
	uint32_t session = a->session;
	CHECK(session != 0);

	a = msg_at(gpa, OPTEE_MSG_CMD_INVOKE_COMMAND, 0);
	a->func = VTEE_TEST_CMD_NULL;
	a->session = session;
	CHECK_EQ(std_call(cpu, gpa), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(a->ret, 0);

	/* INC writes its result back into the message: proves vtee sees this very page */
	a = msg_at(gpa, OPTEE_MSG_CMD_INVOKE_COMMAND, 1);
	a->func = VTEE_TEST_CMD_INC;
	a->session = session;
	a->params[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	a->params[0].u.value.a = 41;
	a->params[0].u.value.b = 7;
	CHECK_EQ(std_call(cpu, gpa), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(a->ret, 0);
	CHECK_EQ(a->params[0].u.value.a, 42);
	CHECK_EQ(a->params[0].u.value.b, 7);

	a = msg_at(gpa, OPTEE_MSG_CMD_CLOSE_SESSION, 0);
	a->session = session;
	CHECK_EQ(std_call(cpu, gpa), OPTEE_SMC_RETURN_OK);
	CHECK_EQ(a->ret, 0);
}

/* A well-formed INVOKE at gpa that must be refused for its address alone. */
static void refused_arg(unsigned cpu, uint64_t gpa, struct vtfw_cpu_page *save)
{
	if (save) {
		/* the page is a mailbox page: keep its firmware fields intact around the test */
		memcpy(save, gpa_ptr(gpa), sizeof(*save));
	}
	struct optee_msg_arg *a = msg_at(gpa, OPTEE_MSG_CMD_INVOKE_COMMAND, 0);
	a->func = VTEE_TEST_CMD_NULL;
	a->session = 1;
	uint64_t x[8] = { OPTEE_SMC_CALL_WITH_ARG, gpa >> 32, gpa & 0xFFFFFFFFu, 0, 0, 0, 0, 0 };
	uint64_t out[8];
	CHECK(smc(cpu, x, out, NULL));
	CHECK_EQ(out[0], OPTEE_SMC_RETURN_EBADADDR);
	if (save)
		memcpy(gpa_ptr(gpa), save, sizeof(*save));
}

/* ---- concurrency -------------------------------------------------------------------- */

struct hammer {
	unsigned cpu;
	unsigned iters;
	unsigned bad;
};

static void *hammer_main(void *arg)
{
	struct hammer *hm = arg;
	for (unsigned i = 0; i < hm->iters; i++) {
		bool uid = i % 3 == 0;
		uint64_t x[8] = { uid ? OPTEE_SMC_CALLS_UID : PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0,
				  hm->cpu, i, ~(uint64_t)i, 0xC0DE0000ull | hm->cpu };
		uint64_t out[8];
		if (!smc(hm->cpu, x, out, NULL)) {
			hm->bad++;
			fprintf(stderr, "hammer cpu %u iter %u: not answered\n", hm->cpu, i);
			return NULL;
		}
		bool ok = uid ? out[0] == OPTEE_MSG_UID_0 && out[1] == OPTEE_MSG_UID_1 &&
				out[2] == OPTEE_MSG_UID_2 && out[3] == OPTEE_MSG_UID_3
			      : out[0] == PSCI_VERSION_1_0 && out[1] == 0 && out[2] == 0 && out[3] == 0;
		ok = ok && !memcmp(&out[4], &x[4], 4 * sizeof(uint64_t));
		if (!ok) {
			hm->bad++;
			fprintf(stderr, "hammer cpu %u iter %u: wrong answer x0=%#" PRIx64 " x4=%#" PRIx64
				" x5=%#" PRIx64 "\n", hm->cpu, i, out[0], out[4], out[5]);
		}
	}
	return NULL;
}

/* ---- the test ------------------------------------------------------------------------- */

static bool exists(const char *p)
{
	struct stat sb;
	return lstat(p, &sb) == 0;
}

static void test_start_refusals(struct vtee_vm *vm)
{
	struct board_host *h = NULL;
	struct board_host_config c = { .ram_path = ram_path, .ram_size = RAM_SIZE, .ncpus = NCPUS,
				       .socket_path = sock_path, .vm = vm };
	struct board_host_config b;

	b = c; b.ncpus = 0;
	CHECK_EQ(board_host_start(&b, &h), -EINVAL);
	b = c; b.ncpus = VTFW_MAX_CPUS + 1;
	CHECK_EQ(board_host_start(&b, &h), -EINVAL);
	b = c; b.ram_size = RAM_SIZE + 4096;
	CHECK_EQ(board_host_start(&b, &h), -EINVAL);
	b = c; b.ram_size = 254ull << 20; /* does not reach the reserved region */
	CHECK_EQ(board_host_start(&b, &h), -EINVAL);
	b = c; b.vm = NULL;
	CHECK_EQ(board_host_start(&b, &h), -EINVAL);

	/* an existing RAM file or socket path is never reused or removed */
	int fd = open(ram_path, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(board_host_start(&c, &h), -EEXIST);
	CHECK(exists(ram_path));
	CHECK(!exists(sock_path));
	unlink(ram_path);
	fd = open(sock_path, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(board_host_start(&c, &h), -EEXIST);
	CHECK(exists(sock_path));
	CHECK(!exists(ram_path));
	unlink(sock_path);
	CHECK(h == NULL);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vtee-board-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(ram_path, sizeof(ram_path), "%s/ram", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/sec.sock", dir);

	struct vtee_tee *tee = NULL;
	struct vtee_vm *vm = NULL;
	CHECK_EQ(vtee_tee_open("soft", NULL, &tee), 0);
	CHECK_EQ(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "board" }, &vm), 0);
	if (!vm)
		return check_report();

	test_start_refusals(vm);

	struct board_host *h = NULL;
	struct board_host_config cfg = { .ram_path = ram_path, .ram_size = RAM_SIZE, .ncpus = NCPUS,
					 .enter_el1 = true, .socket_path = sock_path, .vm = vm,
					 .event = on_event, .ctx = NULL };
	int r = board_host_start(&cfg, &h);
	CHECK_EQ(r, 0);
	if (r)
		return check_report();
	CHECK(exists(sock_path));

	/* a second host cannot add the same RAM to the VM again, and leaves nothing behind */
	{
		char p2[128], s2[128];
		snprintf(p2, sizeof(p2), "%s/ram2", dir);
		snprintf(s2, sizeof(s2), "%s/sock2", dir);
		struct board_host_config c2 = cfg;
		struct board_host *h2 = NULL;
		c2.ram_path = p2;
		c2.socket_path = s2;
		CHECK_EQ(board_host_start(&c2, &h2), -EEXIST);
		CHECK(!exists(p2));
		CHECK(!exists(s2));
	}

	/* ---- the RAM file, as QEMU sees it */
	int fd = open(ram_path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	struct stat sb;
	CHECK_EQ(fstat(fd, &sb), 0);
	CHECK_EQ(sb.st_size, RAM_SIZE);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	fw.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(fw.ram != MAP_FAILED);
	close(fd);
	if (fw.ram == MAP_FAILED)
		return check_report();
	fw.pages = gpa_ptr(VTFW_MAILBOX_DEFAULT);

	const struct vtfw_bootinfo *bi = gpa_ptr(VTFW_BOOTINFO_ADDR);
	CHECK_EQ(bi->magic, VTFW_BOOTINFO_MAGIC);
	CHECK_EQ(bi->kernel_entry, BOARD_KERNEL_ADDR);
	CHECK_EQ(bi->dtb, BOARD_DTB_ADDR);
	CHECK_EQ(bi->mailbox, VTFW_MAILBOX_DEFAULT);
	CHECK_EQ(bi->ncpus, NCPUS);
	CHECK_EQ(bi->flags, VTFW_BI_FLAG_EL1);

	/* ---- board_host_ram */
	uint8_t *p = board_host_ram(h, BOARD_KERNEL_ADDR, 4096);
	CHECK(p != NULL);
	if (p) {
		p[0] = 0xA5;
		CHECK_EQ(*(uint8_t *)gpa_ptr(BOARD_KERNEL_ADDR), 0xA5);
	}
	CHECK(board_host_ram(h, BOARD_RAM_BASE, RAM_SIZE) != NULL);
	CHECK(board_host_ram(h, BOARD_RAM_BASE - 1, 1) == NULL);
	CHECK(board_host_ram(h, BOARD_RAM_BASE + RAM_SIZE - 1, 1) != NULL);
	CHECK(board_host_ram(h, BOARD_RAM_BASE + RAM_SIZE - 1, 2) == NULL);
	CHECK(board_host_ram(h, BOARD_RAM_BASE + RAM_SIZE, 1) == NULL);
	CHECK(board_host_ram(h, BOARD_RAM_BASE + 4096, UINT64_MAX) == NULL);
	CHECK(board_host_ram(h, UINT64_MAX, 2) == NULL);

	fw.sock = fw_connect();
	CHECK(fw.sock >= 0);
	if (fw.sock < 0)
		return check_report();

	/* the firmware's view of the pens: 0 boot CPU, 1 in its pen, 2 not there yet, 3 dead */
	__atomic_store_n(&fw.pages[0].pen_state, VTFW_PEN_RUNNING, __ATOMIC_RELEASE);
	__atomic_store_n(&fw.pages[1].pen_state, VTFW_PEN_WAITING, __ATOMIC_RELEASE);
	__atomic_store_n(&fw.pages[3].pen_state, VTFW_PEN_DEAD, __ATOMIC_RELEASE);

	/* ---- PSCI / SMCCC */
	CHECK_EQ(CALL(0, PSCI_0_2_FN_PSCI_VERSION, 1, 2, 3), PSCI_VERSION_1_0);
	CHECK_EQ(CALL(0, PSCI_0_2_FN_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
	CHECK_EQ(CALL(0, SMCCC_FN_VERSION, 0, 0, 0), 0x10001);
	CHECK_EQ(CALL(0, SMCCC_FN_ARCH_FEATURES, 0x80008000u, 0, 0), NS);
	CHECK_EQ(CALL(0, SMCCC_FN_ARCH_FEATURES, SMCCC_FN_VERSION, 0, 0), NS);
	static const uint32_t offered[] = {
		PSCI_0_2_FN_PSCI_VERSION, PSCI_0_2_FN_CPU_ON, PSCI_0_2_FN64_CPU_ON, PSCI_0_2_FN_CPU_OFF,
		PSCI_0_2_FN_AFFINITY_INFO, PSCI_0_2_FN64_AFFINITY_INFO, PSCI_0_2_FN_MIGRATE_INFO_TYPE,
		PSCI_0_2_FN_SYSTEM_OFF, PSCI_0_2_FN_SYSTEM_RESET, PSCI_1_0_FN_PSCI_FEATURES, SMCCC_FN_VERSION,
	};
	for (unsigned i = 0; i < sizeof(offered) / sizeof(offered[0]); i++) {
		uint64_t v = CALL(1, PSCI_1_0_FN_PSCI_FEATURES, offered[i], 0, 0);
		if (v != 0)
			fprintf(stderr, "FEATURES(%#x)\n", offered[i]);
		CHECK_EQ(v, 0);
	}
	static const uint32_t not_offered[] = {
		PSCI_0_2_FN_CPU_SUSPEND, PSCI_0_2_FN64_CPU_SUSPEND, PSCI_0_2_FN_MIGRATE, 0x84000012u,
		SMCCC_FN_ARCH_FEATURES, OPTEE_SMC_CALLS_UID, 0x12345678u,
	};
	for (unsigned i = 0; i < sizeof(not_offered) / sizeof(not_offered[0]); i++)
		CHECK_EQ(CALL(1, PSCI_1_0_FN_PSCI_FEATURES, not_offered[i], 0, 0), NS);
	/* FEATURES reads w1 only */
	CHECK_EQ(CALL(1, PSCI_1_0_FN_PSCI_FEATURES, 0xFFFFFFFF00000000ull | PSCI_0_2_FN_CPU_OFF, 0, 0), 0);

	/* unknown ids: other PSCI/standard-service numbers, SiP, hypervisor, SMC64 Trusted OS, yielding owner 0 */
	static const uint64_t unknown[] = {
		PSCI_0_2_FN_CPU_SUSPEND, PSCI_0_2_FN_MIGRATE, 0x84000050u /* TRNG_VERSION */, 0xC40000FFu,
		0x82000000u, 0xC2000001u, 0x86000000u, 0x8600FF01u, 0xF2000000u, 0xFF00FF01u, 0x00000000u,
		0x81000000u,
	};
	for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		uint64_t v = CALL(2, unknown[i], 1, 2, 3);
		if (v != NS)
			fprintf(stderr, "fid %#" PRIx64 "\n", unknown[i]);
		CHECK_EQ(v, NS);
	}
	/* Trusted-App ids go to vtee, which serves none: SMC32 unknown function */
	CHECK_EQ(CALL(2, 0xB1000000u, 1, 2, 3), 0xFFFFFFFFu);
	/* a known id behind a non-zero SMC immediate */
	{
		uint64_t x[8] = { PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 4, 5, 6, 7 }, out[8];
		CHECK(fw_wait(0, fw_post(0, x, 1, true), 5000, out, NULL));
		CHECK_EQ(out[0], NS);
		CHECK_EQ(out[7], 7);
	}

	/* ---- CPU_ON and AFFINITY_INFO */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 0x100, 0x40280000, 1), (uint64_t)-2);        /* Aff1 */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 0x100000000ull, 0x40280000, 1), (uint64_t)-2); /* Aff3 */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, NCPUS, 0x40280000, 1), (uint64_t)-2);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 0xFF, 0x40280000, 1), (uint64_t)-2);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 0x80000000ull, 0x40280000, 1), (uint64_t)-2); /* MPIDR bit 31 */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 0, 0x40280000, 1), (uint64_t)-4);             /* self */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 3, 0x40280000, 1), (uint64_t)-6);             /* dead */
	for (unsigned c = 0; c < NCPUS; c++)
		CHECK_EQ(__atomic_load_n(&fw.pages[c].pen_go, __ATOMIC_ACQUIRE), 0);

	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0), 1); /* WAITING: off */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 2, 0, 0), 1); /* NONE: off */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 0, 0, 0), 0);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 3, 0, 0), 0); /* DEAD is not off */
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, NCPUS, 0, 0), (uint64_t)-2);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 1, 1, 0), (uint64_t)-2);

	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 1, 0x40281234, 0xC0FFEE0012345678ull), 0);
	CHECK_EQ(fw.pages[1].pen_go, 1);
	CHECK_EQ(fw.pages[1].pen_entry, 0x40281234);
	CHECK_EQ(fw.pages[1].pen_context, 0xC0FFEE0012345678ull);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 1, 0x40289999, 0), (uint64_t)-5); /* pending */
	CHECK_EQ(fw.pages[1].pen_entry, 0x40281234);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0), 2);              /* ON_PENDING */
	/* the firmware takes go and runs the OS on CPU 1 */
	__atomic_store_n(&fw.pages[1].pen_go, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fw.pages[1].pen_state, VTFW_PEN_RUNNING, __ATOMIC_RELEASE);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0), 0);
	CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 1, 0x40281234, 0), (uint64_t)-4);

	/* SMC32 CPU_ON on a CPU that has not reached its pen: w registers only */
	CHECK_EQ(CALL(1, PSCI_0_2_FN_CPU_ON, 0xDEADBEEF00000002ull, 0xFFFFFFFF40300000ull, 0xAAAAAAAA00000077ull), 0);
	CHECK_EQ(fw.pages[2].pen_go, 1);
	CHECK_EQ(fw.pages[2].pen_entry, 0x40300000);
	CHECK_EQ(fw.pages[2].pen_context, 0x77);
	CHECK_EQ(CALL(1, PSCI_0_2_FN_AFFINITY_INFO, 0xFFFFFFFF00000002ull, 0, 0), 2);
	__atomic_store_n(&fw.pages[2].pen_go, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fw.pages[2].pen_state, VTFW_PEN_RUNNING, __ATOMIC_RELEASE);

	/* ---- CPU_OFF: PARK, and AFFINITY_INFO reads ON until the CPU is back in its pen */
	{
		uint64_t x[8] = { PSCI_0_2_FN_CPU_OFF, 0, 0, 0, 0, 0, 0, 0 }, action = 99;
		CHECK(smc(1, x, NULL, &action));
		CHECK_EQ(action, VTFW_ACTION_PARK);
		CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0), 0);
		__atomic_store_n(&fw.pages[1].pen_state, VTFW_PEN_WAITING, __ATOMIC_RELEASE);
		CHECK_EQ(CALL(0, PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0), 1);
		/* and it can be turned on again */
		CHECK_EQ(CALL(0, PSCI_0_2_FN64_CPU_ON, 1, 0x40282000, 5), 0);
		__atomic_store_n(&fw.pages[1].pen_go, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&fw.pages[1].pen_state, VTFW_PEN_RUNNING, __ATOMIC_RELEASE);
		/* the next answer on CPU 1 is RETURN again */
		CHECK_EQ(CALL(1, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), PSCI_VERSION_1_0);
	}

	/* ---- OP-TEE through vtee */
	struct board_host_stats st0, st1;
	board_host_get_stats(h, &st0);
	{
		uint64_t x[8] = { OPTEE_SMC_CALLS_UID, 1, 2, 3, 0x4444, 0x5555, 0x6666, 0x7777 }, out[8];
		CHECK(smc(0, x, out, NULL));
		CHECK_EQ(out[0], OPTEE_MSG_UID_0);
		CHECK_EQ(out[1], OPTEE_MSG_UID_1);
		CHECK_EQ(out[2], OPTEE_MSG_UID_2);
		CHECK_EQ(out[3], OPTEE_MSG_UID_3);
		CHECK_EQ(out[4], 0x4444);
		CHECK_EQ(out[5], 0x5555);
		CHECK_EQ(out[6], 0x6666);
		CHECK_EQ(out[7], 0x7777);
		/* SMC32: only w0 names the function */
		x[0] = 0xFFFFFFFF00000000ull | OPTEE_SMC_CALLS_REVISION;
		CHECK(smc(0, x, out, NULL));
		CHECK_EQ(out[0], OPTEE_MSG_REVISION_MAJOR);
	}
	board_host_get_stats(h, &st1);
	CHECK_EQ(st1.tee_smc - st0.tee_smc, 2);
	CHECK_EQ(st1.smc - st0.smc, 2);
	CHECK(st1.tee_ns > st0.tee_ns);
	CHECK(st1.psci > 40);

	test_ta_roundtrip(0, 0x48000000);                          /* below the reserved region */
	test_ta_roundtrip(1, VTFW_RESERVED_BASE - VTFW_PAGE_SIZE);  /* its last page before it */
	test_ta_roundtrip(2, VTFW_RESERVED_BASE + VTFW_RESERVED_SIZE); /* the second region: file offset 256 MiB */
	test_ta_roundtrip(3, BOARD_RAM_BASE + RAM_SIZE - VTFW_PAGE_SIZE); /* the last page of RAM */

	/* the mailbox region is not vtee's: the guest cannot make it read or write there */
	{
		struct vtfw_cpu_page save;
		refused_arg(0, VTFW_RESERVED_BASE + 8 * VTFW_PAGE_SIZE, NULL); /* unused page in the region */
		refused_arg(0, VTFW_RESERVED_BASE + 3 * VTFW_PAGE_SIZE, &save); /* CPU 3's mailbox */
		refused_arg(0, VTFW_RESERVED_BASE, NULL); /* CPU 0's own page: left as it is */
		CHECK_EQ(bi->magic, VTFW_BOOTINFO_MAGIC);
		uint64_t x[8] = { OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t)VTFW_BOOTINFO_ADDR, 0, 0, 0, 0, 0 }, out[8];
		CHECK(smc(1, x, out, NULL));
		CHECK_EQ(out[0], OPTEE_SMC_RETURN_EBADADDR);
		CHECK_EQ(bi->magic, VTFW_BOOTINFO_MAGIC);
		/* outside RAM altogether */
		x[1] = 1;
		x[2] = 0;
		CHECK(smc(1, x, out, NULL));
		CHECK_EQ(out[0], OPTEE_SMC_RETURN_EBADADDR);
	}

	/* ---- concurrent requests on two CPUs */
	{
		struct hammer hm[2] = { { .cpu = 0, .iters = 600 }, { .cpu = 1, .iters = 600 } };
		pthread_t t[2];
		for (unsigned i = 0; i < 2; i++)
			CHECK_EQ(pthread_create(&t[i], NULL, hammer_main, &hm[i]), 0);
		for (unsigned i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		CHECK_EQ(hm[0].bad, 0);
		CHECK_EQ(hm[1].bad, 0);
	}

	/*
	 * ---- the doorbell itself wakes the host: 100 calls in well under the time
	 * a host that only rescanned (every 100 ms) would need
	 */
	{
		uint64_t t0 = now_ms();
		for (unsigned i = 0; i < 100; i++)
			CHECK_EQ(CALL(3, PSCI_0_2_FN_PSCI_VERSION, i, 0, 0), PSCI_VERSION_1_0);
		uint64_t ms = now_ms() - t0;
		if (ms >= 2000)
			fprintf(stderr, "100 calls took %" PRIu64 " ms\n", ms);
		CHECK(ms < 2000);
	}

	/* ---- a lost doorbell: the request is still picked up (periodic rescan) */
	{
		uint64_t x[8] = { PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0 }, out[8];
		CHECK(fw_wait(2, fw_post(2, x, 0, false), 3000, out, NULL));
		CHECK_EQ(out[0], PSCI_VERSION_1_0);
	}

	/* ---- SYSTEM_OFF: an event, no answer; another CPU is served meanwhile */
	{
		atomic_store(&block_events, true);
		uint64_t x[8] = { PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0, 0, 0, 0, 0 };
		uint64_t seq = fw_post(2, x, 0, true);
		CHECK_EQ(wait_event(BOARD_EVENT_SYSTEM_OFF, 1), 1);
		CHECK_EQ(ev_cpu[BOARD_EVENT_SYSTEM_OFF], 2);
		/* CPU 2's worker is stuck in the callback: CPU 0 and 3 must still get answers */
		CHECK_EQ(CALL(0, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), PSCI_VERSION_1_0);
		CHECK_EQ(CALL(3, OPTEE_SMC_CALLS_REVISION, 0, 0, 0), OPTEE_MSG_REVISION_MAJOR);
		atomic_store(&block_events, false);
		/* never answered, and raised once although doorbells and rescans keep coming */
		doorbell(VTFW_DOORBELL_SMC(2));
		doorbell(VTFW_DOORBELL_SMC(0));
		CHECK(!fw_wait(2, seq, 400, NULL, NULL));
		CHECK_EQ(event_count(BOARD_EVENT_SYSTEM_OFF), 1);
		CHECK_EQ(event_count(BOARD_EVENT_SYSTEM_RESET), 0);
	}

	/* ---- board_host_reset(): a clean mailbox for the next QEMU; then SYSTEM_RESET */
	{
		__atomic_store_n(&fw.pages[1].pen_go, 1, __ATOMIC_RELAXED);
		CHECK_EQ(board_host_reset(h), 0);
		for (unsigned c = 0; c < NCPUS; c++) {
			CHECK_EQ(fw.pages[c].seq_req, 0);
			CHECK_EQ(fw.pages[c].seq_resp, 0);
			CHECK_EQ(fw.pages[c].pen_go, 0);
			CHECK_EQ(fw.pages[c].pen_state, 0);
		}
		CHECK_EQ(bi->magic, VTFW_BOOTINFO_MAGIC);
		CHECK_EQ(bi->ncpus, NCPUS);
		/* seq 1 on CPU 2 again: served although a SYSTEM_OFF with seq 1 was held before */
		CHECK_EQ(CALL(2, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), PSCI_VERSION_1_0);
		uint64_t x[8] = { PSCI_0_2_FN_SYSTEM_RESET, 0, 0, 0, 0, 0, 0, 0 };
		uint64_t seq = fw_post(3, x, 0, true);
		CHECK_EQ(wait_event(BOARD_EVENT_SYSTEM_RESET, 1), 1);
		CHECK_EQ(ev_cpu[BOARD_EVENT_SYSTEM_RESET], 3);
		CHECK(!fw_wait(3, seq, 200, NULL, NULL));
		CHECK_EQ(board_host_reset(h), 0);
	}

	/* ---- fatal reports and bad boot */
	{
		struct vtfw_cpu_page *pg = &fw.pages[3];
		pg->err_vector = 0x200;
		pg->err_esr = 0x96000010;
		pg->err_elr = 0x40201234;
		pg->err_far = 0xDEAD0000;
		pg->err_spsr = 0x3C9;
		__atomic_store_n(&pg->pen_state, VTFW_PEN_DEAD, __ATOMIC_RELEASE);
		doorbell(VTFW_DOORBELL_FATAL(3));
		CHECK_EQ(wait_event(BOARD_EVENT_FATAL, 1), 1);
		CHECK_EQ(ev_cpu[BOARD_EVENT_FATAL], 3);
		pthread_mutex_lock(&ev_lock);
		const char *want = "cpu 3 vector 0x200 esr 0x96000010 elr 0x40201234 far 0xdead0000";
		if (strcmp(ev_detail[BOARD_EVENT_FATAL], want))
			fprintf(stderr, "detail \"%s\"\n", ev_detail[BOARD_EVENT_FATAL]);
		CHECK(!strcmp(ev_detail[BOARD_EVENT_FATAL], want));
		pthread_mutex_unlock(&ev_lock);

		doorbell(VTFW_DOORBELL_BADBOOT);
		CHECK_EQ(wait_event(BOARD_EVENT_BAD_BOOT, 1), 1);

		/* a fatal doorbell for a CPU the board does not have is ignored */
		doorbell(VTFW_DOORBELL_FATAL(NCPUS));
		doorbell(0x80 | 0x7F);
		CHECK_EQ(CALL(0, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), PSCI_VERSION_1_0); /* after those bytes */
		CHECK_EQ(event_count(BOARD_EVENT_FATAL), 1);
	}

	/* ---- QEMU restarts: a new connection replaces the old one */
	{
		int old = fw.sock;
		fw.sock = fw_connect();
		CHECK(fw.sock >= 0);
		CHECK_EQ(CALL(1, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), PSCI_VERSION_1_0);
		close(old);
		CHECK_EQ(CALL(1, PSCI_0_2_FN_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
	}

	board_host_get_stats(h, &st1);
	printf("stats: smc %" PRIu64 " tee_smc %" PRIu64 " tee_ns %" PRIu64 " psci %" PRIu64 "\n",
	       st1.smc, st1.tee_smc, st1.tee_ns, st1.psci);

	/* ---- stop: nothing left behind; the VM is still ours to destroy */
	board_host_stop(h);
	CHECK(!exists(ram_path));
	CHECK(!exists(sock_path));
	close(fw.sock);
	munmap(fw.ram, RAM_SIZE);
	vtee_vm_destroy(vm);
	vtee_tee_close(tee);
	CHECK_EQ(rmdir(dir), 0);
	return check_report();
}
