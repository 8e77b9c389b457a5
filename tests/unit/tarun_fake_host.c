/* The fake TA host of the libvtee_ta unit tests (tarun_fake_host.h). */
#include "tarun_fake_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PANIC_EXIT 77

struct fake_host fake = { .callee_origin = TEE_ORIGIN_TRUSTED_APP, .next_session = 1 };
int fake_trace_level = TRACE_INFO;

struct ta_head fake_head = {
	.uuid = { 0x8aaaf200, 0x2450, 0x11e4, { 0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b } },
	.stack_size = 2048 + 2048,
	.flags = TA_FLAG_SINGLE_INSTANCE,
	.depr_entry = UINT64_MAX,
};

static const bool prop_true = true;
static const uint32_t prop_42 = 42;
static const uint64_t prop_u64 = UINT64_MAX;
static const TEE_UUID prop_uuid = { 0x01234567, 0x89ab, 0xcdef,
				    { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef } };
static const TEE_Identity prop_identity = { TEE_LOGIN_TRUSTED_APP,
					    { 0xdeadbeef, 0x1, 0x2, { 1, 2, 3, 4, 5, 6, 7, 8 } } };
static const uint32_t prop_data_size = 32 * 1024;

static const struct user_ta_property props[] = {
	{ "gpd.ta.singleInstance", USER_TA_PROP_TYPE_BOOL, &prop_true },
	{ "gpd.ta.dataSize", USER_TA_PROP_TYPE_U32, &prop_data_size },
	{ "gpd.ta.version", USER_TA_PROP_TYPE_STRING, "1.0" },
	{ "myprop.true", USER_TA_PROP_TYPE_BOOL, &prop_true },
	{ "myprop.42", USER_TA_PROP_TYPE_U32, &prop_42 },
	{ "myprop.u64", USER_TA_PROP_TYPE_U64, &prop_u64 },
	{ "myprop.123", USER_TA_PROP_TYPE_UUID, &prop_uuid },
	{ "myprop.1234", USER_TA_PROP_TYPE_IDENTITY, &prop_identity },
	{ "myprop.hello", USER_TA_PROP_TYPE_STRING,
	  "hello property, larger than 80 characters, so that it checks that it is not truncated "
	  "by anything in the source code which may be wrong" },
	{ "myprop.binaryblock", USER_TA_PROP_TYPE_BINARY_BLOCK, "SGVsbG8gd29ybGQh" },
	{ "myprop.binaryblock.1", USER_TA_PROP_TYPE_BINARY_BLOCK, "" },
	{ "myprop.binaryblock.2", USER_TA_PROP_TYPE_BINARY_BLOCK, "-%@&" },
	{ "myprop.binaryblock.3", USER_TA_PROP_TYPE_BINARY_BLOCK, "====" },
	{ "myprop.binaryblock.4", USER_TA_PROP_TYPE_BINARY_BLOCK, "QQ==QUJD" }, /* stops at '=' */
	{ "myprop.invalid", USER_TA_PROP_TYPE_INVALID, "x" },
};

struct tarun_ta fake_ta = {
	.head = &fake_head,
	.props = props,
	.num_props = sizeof(props) / sizeof(props[0]),
	.heap_size = 32 * 1024,
	.no_share_heap_size = 0,
	.trace_level = &fake_trace_level,
	.tee_device_id = { 0x11223344, 0x5566, 0x7788, { 9, 10, 11, 12, 13, 14, 15, 16 } },
};

static int panic_pipe = -1; /* in a fake_panics child: where the code goes */

uint64_t fake_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fake_panic(uint32_t code)
{
	if (panic_pipe >= 0) {
		if (write(panic_pipe, &code, sizeof(code)) != sizeof(code))
			_exit(1);
		_exit(PANIC_EXIT);
	}
	fprintf(stderr, "unexpected TA panic, code %#x\n", (unsigned int)code);
	abort();
}

static void fake_log_line(const char *line, size_t len)
{
	struct fake_host *f = &fake;

	if (f->nlines == FAKE_LOG_LINES) {
		memmove(f->lines[0], f->lines[1], sizeof(f->lines[0]) * (FAKE_LOG_LINES - 1));
		f->nlines--;
	}
	memcpy(f->lines[f->nlines], line, len);
	f->lines[f->nlines][len] = '\0';
	f->nlines++;
}

static bool fake_cancel_requested(uint32_t session)
{
	(void)session;
	return fake.cancel || (fake.cancel_at_ns && fake_now_ns() >= fake.cancel_at_ns);
}

static void sleep_to(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int fake_wait_cancel(uint32_t session, uint64_t until_ns)
{
	if (fake.wait_error)
		return fake.wait_error;
	if (fake_cancel_requested(session))
		return 1;
	if (fake.cancel_at_ns && fake.cancel_at_ns < until_ns) {
		sleep_to(fake.cancel_at_ns);
		return 1;
	}
	sleep_to(until_ns);
	return 0;
}

static int fake_ree_time(TEE_Time *t)
{
	*t = (TEE_Time){ 1234, 567 };
	return 0;
}

static int fake_ptime_load(int64_t *offset_ms)
{
	if (fake.ptime_load_error)
		return fake.ptime_load_error;
	if (!fake.ptime_set)
		return -ENOENT;
	*offset_ms = fake.ptime_offset_ms;
	return 0;
}

static int fake_ptime_store(int64_t offset_ms)
{
	if (fake.ptime_store_error)
		return fake.ptime_store_error;
	fake.ptime_set = true;
	fake.ptime_offset_ms = offset_ms;
	return 0;
}

/* The callee: records what it got, writes callee_fill into output memrefs, sets their size to
 * callee_out_size and output values to input + 1. */
static int fake_callee(uint32_t cmd, uint32_t types, TEE_Param params[4], TEE_Result *ret,
		       uint32_t *origin)
{
	if (fake.callee_host_error)
		return fake.callee_host_error;
	memset(&fake.last, 0, sizeof(fake.last));
	fake.last.cmd = cmd;
	fake.last.types = types;
	for (size_t n = 0; n < 4; n++) {
		uint32_t t = TEE_PARAM_TYPE_GET(types, n);

		fake.last.params[n] = params[n];
		if (t >= TEE_PARAM_TYPE_MEMREF_INPUT && params[n].memref.buffer)
			memcpy(fake.last.in_copy[n], params[n].memref.buffer,
			       params[n].memref.size < 64 ? params[n].memref.size : 64);
		if (t == TEE_PARAM_TYPE_MEMREF_OUTPUT || t == TEE_PARAM_TYPE_MEMREF_INOUT) {
			size_t s = params[n].memref.size;
			size_t w = fake.callee_out_size < s ? fake.callee_out_size : s;

			if (params[n].memref.buffer)
				memset(params[n].memref.buffer, fake.callee_fill, w);
			params[n].memref.size = fake.callee_out_size;
		}
		if (t == TEE_PARAM_TYPE_VALUE_OUTPUT || t == TEE_PARAM_TYPE_VALUE_INOUT) {
			params[n].value.a = fake.last.params[n].value.a + 1;
			params[n].value.b = fake.last.params[n].value.b + 1;
		}
	}
	*ret = fake.callee_res;
	*origin = fake.callee_origin;
	return 0;
}

static int fake_ta_open(const TEE_UUID *dest, uint32_t cancel_timeout, uint32_t types,
			TEE_Param params[4], uint32_t *session, TEE_Result *ret, uint32_t *origin)
{
	int r;

	(void)dest;
	(void)cancel_timeout;
	r = fake_callee(0, types, params, ret, origin);
	if (!r && *ret == TEE_SUCCESS) {
		*session = fake.next_session++;
		for (size_t i = 0; i < FAKE_MAX_SESSIONS; i++) {
			if (!fake.sessions[i]) {
				fake.sessions[i] = *session;
				break;
			}
		}
	}
	return r;
}

static int fake_ta_invoke(uint32_t session, uint32_t cancel_timeout, uint32_t cmd,
			  uint32_t types, TEE_Param params[4], TEE_Result *ret, uint32_t *origin)
{
	(void)session;
	(void)cancel_timeout;
	return fake_callee(cmd, types, params, ret, origin);
}

static int fake_ta_close(uint32_t session)
{
	for (size_t i = 0; i < FAKE_MAX_SESSIONS; i++) {
		if (session && fake.sessions[i] == session) {
			fake.sessions[i] = 0;
			return 0;
		}
	}
	return -ENOENT;
}

const struct tarun_host_ops fake_ops = {
	.panic = fake_panic,
	.log_line = fake_log_line,
	.cancel_requested = fake_cancel_requested,
	.wait_cancel = fake_wait_cancel,
	.ree_time = fake_ree_time,
	.ptime_load = fake_ptime_load,
	.ptime_store = fake_ptime_store,
	.ta_open = fake_ta_open,
	.ta_invoke = fake_ta_invoke,
	.ta_close = fake_ta_close,
	.st_open = fake_st_open,
	.st_create = fake_st_create,
	.st_read = fake_st_read,
	.st_write = fake_st_write,
	.st_truncate = fake_st_truncate,
	.st_size = fake_st_size,
	.st_restrict_usage = fake_st_restrict_usage,
	.st_rename = fake_st_rename,
	.st_close = fake_st_close,
	.st_next = fake_st_next,
};

void fake_start(void)
{
	if (tarun_start(TARUN_HOST_VERSION, &fake_ops, &fake_ta)) {
		fprintf(stderr, "tarun_start failed\n");
		exit(1);
	}
}

void fake_entry(uint32_t login, uint32_t types, TEE_Param *params, uint64_t deadline_ns)
{
	TEE_Identity id = { login, { 0xa1a2a3a4, 0xb1b2, 0xc1c2, { 1, 2, 3, 4, 5, 6, 7, 8 } } };
	struct tarun_entry e = {
		.session = 7,
		.client = &id,
		.param_types = types,
		.params = params,
		.cancel_deadline_ns = deadline_ns,
	};

	tarun_entry_begin(&e);
}

bool fake_panics(void (*fn)(void *), void *arg, uint32_t *code)
{
	int fds[2];
	int status = 0;
	pid_t pid;

	*code = 0xdeadbeef;
	if (pipe(fds))
		return false;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		panic_pipe = fds[1];
		fn(arg);
		_exit(0); /* returned: no panic */
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], code, sizeof(*code)) != sizeof(*code))
		*code = 0xdeadbeef;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == PANIC_EXIT;
}

bool fake_logged(const char *s)
{
	for (size_t i = 0; i < fake.nlines; i++)
		if (!strcmp(fake.lines[i], s))
			return true;
	return false;
}

bool fake_logged_part(const char *s)
{
	for (size_t i = 0; i < fake.nlines; i++)
		if (strstr(fake.lines[i], s))
			return true;
	return false;
}
