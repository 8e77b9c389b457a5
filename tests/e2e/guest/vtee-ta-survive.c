// SPDX-License-Identifier: MIT
/*
 * vtee-ta-survive: a libteec client that keeps going while the host kills the
 * VM's vteed under it (tests/e2e/vteed-kill). It opens a session, STOREs a
 * value and registers a buffer, then for SECONDS (argument, default 20) runs
 * mixed calls in two threads: INC, HASH over a temporary memref, REVERSE in a
 * registered buffer, and open/INC/close of a second session. A call may fail
 * with TEEC_ERROR_COMMUNICATION when vteed dies under it; any other failure,
 * or a wrong result, fails the test. At the end the first session, its
 * registered buffer and the stored value must still work, and the calls after
 * the last communication error must all have succeeded.
 */
#include "common.h"

#define THREADS 2

static TEEC_Context ctx;
static TEEC_Session keep;
static uint64_t deadline_ns;
static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long n_ok, n_comm, n_wrong;

static bool count(const char *what, TEEC_Result r, uint32_t o, bool exact)
{
	pthread_mutex_lock(&stat_lock);
	if (r == TEEC_SUCCESS && exact)
		n_ok++;
	else if (r == TEEC_ERROR_COMMUNICATION)
		n_comm++;
	else
		n_wrong++;
	pthread_mutex_unlock(&stat_lock);
	if (r != TEEC_SUCCESS && r != TEEC_ERROR_COMMUNICATION)
		check(false, "%s: %s", what, RES(r, o));
	else if (r == TEEC_SUCCESS && !exact)
		check(false, "%s: wrong result", what);
	return r == TEEC_SUCCESS && exact;
}

static void one_round(uint32_t *seed, TEEC_SharedMemory *shm)
{
	uint32_t o = 0;
	TEEC_Operation op;
	TEEC_Result r;

	/* INC on the long-lived session */
	uint32_t a = xorshift32(seed) & 0xffffff, oa = 0, ob = 0;
	r = ta_inc(&keep, a, 5, &oa, &ob, &o);
	count("INC", r, o, r == TEEC_SUCCESS && oa == a + 1 && ob == 5);

	/* HASH of a temporary memref */
	size_t len = 1 + xorshift32(seed) % 16384;
	uint8_t *buf = malloc(len);
	pattern(buf, len, *seed);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = buf;
	op.params[0].tmpref.size = len;
	r = TEEC_InvokeCommand(&keep, TA_CMD_HASH, &op, &o);
	count("HASH tmem", r, o, r == TEEC_SUCCESS && op.params[1].value.a == fnv1a32(buf, len));
	free(buf);

	/* REVERSE in the registered buffer, twice: back to the pattern (if both land) */
	if (shm) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = shm;
		op.params[0].memref.offset = 0;
		op.params[0].memref.size = shm->size;
		uint8_t *before = malloc(shm->size);
		memcpy(before, shm->buffer, shm->size);
		r = TEEC_InvokeCommand(&keep, TA_CMD_REVERSE, &op, &o);
		count("REVERSE rmem", r, o, r == TEEC_SUCCESS && is_reverse(shm->buffer, before, shm->size));
		if (r != TEEC_SUCCESS)
			memcpy(shm->buffer, before, shm->size); /* a lost call may or may not have run */
		free(before);
	}

	/* a short-lived session */
	TEEC_Session s;
	r = open_ta(&ctx, &s, &o);
	if (count("open", r, o, true)) {
		uint32_t v = 0;
		r = ta_inc(&s, 41, 0, &v, NULL, &o);
		count("INC (new session)", r, o, r == TEEC_SUCCESS && v == 42);
		TEEC_CloseSession(&s);
	}
}

static void *worker(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg;
	TEEC_SharedMemory shm = { .size = 4096 + 123, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	bool have_shm = TEEC_AllocateSharedMemory(&ctx, &shm) == TEEC_SUCCESS;
	if (have_shm)
		pattern(shm.buffer, shm.size, seed);
	while (mono_ns() < deadline_ns)
		one_round(&seed, have_shm ? &shm : NULL);
	if (have_shm)
		TEEC_ReleaseSharedMemory(&shm);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 20;
	uint32_t o = 0;
	TEEC_Result r = TEEC_InitializeContext(NULL, &ctx);
	if (!check(r == TEEC_SUCCESS, "InitializeContext (%s)", RES(r, TEEC_ORIGIN_API)))
		return finish();
	r = open_ta(&ctx, &keep, &o);
	if (!check(r == TEEC_SUCCESS, "open the long-lived session (%s)", RES(r, o)))
		return finish();
	static const char stored[] = "stored before vteed was killed";
	TEEC_Operation op;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)stored;
	op.params[0].tmpref.size = sizeof(stored);
	r = TEEC_InvokeCommand(&keep, TA_CMD_STORE, &op, &o);
	check(r == TEEC_SUCCESS, "STORE (%s)", RES(r, o));
	TEEC_SharedMemory reg = { .size = 3 * 4096, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	r = TEEC_AllocateSharedMemory(&ctx, &reg);
	check(r == TEEC_SUCCESS, "register a 12 KiB buffer (%s)", RES(r, TEEC_ORIGIN_API));
	memset(reg.buffer, 0x5a, reg.size);

	note("running mixed calls for %u s; the host kills vteed meanwhile", seconds);
	printf("SURVIVE-START\n");
	fflush(stdout);
	deadline_ns = mono_ns() + (uint64_t)seconds * 1000000000ull;
	pthread_t th[THREADS];
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	note("%lu exact results, %lu calls lost with vteed (COMMUNICATION), %lu wrong", n_ok, n_comm, n_wrong);
	check(n_wrong == 0, "no wrong results and no error but COMMUNICATION");
	check(n_ok > 100, "calls kept succeeding (%lu)", n_ok);

	/* what existed before the kills */
	uint32_t v = 0;
	r = ta_inc(&keep, 99, 0, &v, NULL, &o);
	check(r == TEEC_SUCCESS && v == 100, "the long-lived session still works (%s)", RES(r, o));
	char back[TA_STORE_MAX] = "";
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = back;
	op.params[0].tmpref.size = sizeof(back);
	r = TEEC_InvokeCommand(&keep, TA_CMD_LOAD, &op, &o);
	check(r == TEEC_SUCCESS && op.params[0].tmpref.size == sizeof(stored) && !memcmp(back, stored, sizeof(stored)),
	      "LOAD gives the value stored before the kills (%s)", RES(r, o));
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &reg;
	op.params[0].memref.size = reg.size;
	r = TEEC_InvokeCommand(&keep, TA_CMD_HASH, &op, &o);
	uint8_t expect[3 * 4096];
	memset(expect, 0x5a, sizeof(expect));
	check(r == TEEC_SUCCESS && op.params[1].value.a == fnv1a32(expect, sizeof(expect)),
	      "the buffer registered before the kills still works (%s)", RES(r, o));
	long n = ta_sessions(&keep);
	check(n == 1, "the TEE holds exactly this client's one session (%ld)", n);
	TEEC_ReleaseSharedMemory(&reg);
	TEEC_CloseSession(&keep);
	TEEC_FinalizeContext(&ctx);
	return finish();
}
