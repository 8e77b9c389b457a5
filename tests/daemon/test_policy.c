// SPDX-License-Identifier: MIT
/*
 * vteed's per-VM policy file (daemon/policy.c): the parser (every key, every
 * error class with its line number, bounds, rounding), the TA filter, and end
 * to end through libvtee and the modelled guest: a refused OPEN_SESSION never
 * reaches the back-end, and the policy's quotas are the VM's.
 *
 * argv[1]: examples/vteed-policy.ini.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "guest.h"
#include "policy.h"
#include "vtee/test_ta.h"

#define TEST_TA_STR   VTEE_TEST_TA_UUID_STR
#define RNG_TA_STR    "ab7a617c-b8e7-4d8f-8301-d09b61036b64"
#define DEVICE_PTA_STR "7011a688-ddde-4053-a5a9-7b3c4ddf13b8"
#define HELLO_TA_STR  "8aaaf200-2450-11e4-abe2-0002a5d5c51b"

static const uint8_t test_ta[16] = VTEE_TEST_TA_UUID_BYTES;
static const uint8_t rng_ta[16] = { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
				    0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 };

static char tmpdir[64];
static char err[512];

static struct vtee_uuid U(const char *s)
{
	struct vtee_uuid u = { { 0 } };
	REQUIRE_EQ(vteed_uuid_parse(s, &u), 0);
	return u;
}

/* Write len bytes to a fresh file; its path (static buffer). */
static const char *write_bytes(const char *text, size_t len)
{
	static char path[128];
	static unsigned n;
	snprintf(path, sizeof(path), "%s/p%u.ini", tmpdir, n++);
	FILE *f = fopen(path, "w");
	REQUIRE(f != NULL);
	REQUIRE_EQ(fwrite(text, 1, len, f), len);
	REQUIRE_EQ(fclose(f), 0);
	return path;
}

static const char *write_file(const char *text)
{
	return write_bytes(text, strlen(text));
}

/* Load text on top of a fresh policy. */
static int load_text(struct vteed_policy *p, const char *text)
{
	vteed_policy_init(p);
	return vteed_policy_load(p, write_file(text), err, sizeof(err));
}

/* The text must be refused with -EINVAL at this line, the message naming what. */
#define EXPECT_ERROR(text, line, what)                                                          \
	do {                                                                                    \
		struct vteed_policy p_;                                                         \
		vteed_policy_init(&p_);                                                         \
		const char *path_ = write_file(text);                                           \
		int r_ = vteed_policy_load(&p_, path_, err, sizeof(err));                       \
		CHECK_EQ(r_, -EINVAL);                                                          \
		char pre_[160];                                                                 \
		snprintf(pre_, sizeof(pre_), "%s:%d: ", path_, line);                           \
		if (strncmp(err, pre_, strlen(pre_)) || !strstr(err, what)) {                   \
			CHECK(!"error message");                                                \
			fprintf(stderr, "  expected \"%s...%s\", got \"%s\"\n", pre_, what, err); \
		} else {                                                                        \
			CHECK(1);                                                               \
		}                                                                               \
	} while (0)

static void test_uuid(void)
{
	struct vtee_uuid u;
	CHECK_EQ(vteed_uuid_parse(TEST_TA_STR, &u), 0);
	CHECK(!memcmp(u.b, test_ta, 16));
	CHECK_EQ(vteed_uuid_parse("5CE0C432-0AB0-40E5-A056-782CA0E6ABA2", &u), 0);
	CHECK(!memcmp(u.b, test_ta, 16));
	char s[VTEED_UUID_STRLEN];
	vteed_uuid_format(&u, s);
	CHECK(!strcmp(s, TEST_TA_STR));
	CHECK_EQ(vteed_uuid_parse("00000000-0000-0000-0000-000000000000", &u), 0);
	CHECK_EQ(vteed_uuid_parse("ffffffff-ffff-ffff-ffff-ffffffffffff", &u), 0);
	CHECK_EQ(u.b[0], 0xff);
	CHECK_EQ(u.b[15], 0xff);

	memset(&u, 0x5a, sizeof(u));
	static const char *const bad[] = {
		"",
		"5ce0c432-0ab0-40e5-a056-782ca0e6aba",     /* short */
		"5ce0c432-0ab0-40e5-a056-782ca0e6aba22",   /* long */
		"5ce0c4320ab0-40e5-a056-782ca0e6aba2-",    /* dash misplaced */
		"5ce0c432-0ab0-40e5-a056_782ca0e6aba2",
		"5ce0c432-0ab0-40e5-a056-782ca0e6abg2",    /* not hex */
		"{5ce0c432-0ab0-40e5-a056-782ca0e6ab}",
		" 5ce0c432-0ab0-40e5-a056-782ca0e6aba",
		"+ce0c432-0ab0-40e5-a056-782ca0e6aba2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(vteed_uuid_parse(bad[i], &u), -EINVAL);
	CHECK_EQ(u.b[0], 0x5a); /* untouched on failure */
}

static void test_defaults(void)
{
	struct vteed_policy p;
	memset(&p, 0xa5, sizeof(p));
	vteed_policy_init(&p);
	CHECK(!strcmp(p.backend, "soft"));
	CHECK(p.default_allow);
	CHECK_EQ(p.n_allow, 0);
	CHECK_EQ(p.n_deny, 0);
	CHECK_EQ(p.quota.max_sessions, 0);
	CHECK_EQ(p.quota.max_calls, 0);
	CHECK_EQ(p.quota.max_shm, 0);
	CHECK_EQ(p.quota.max_shm_pages, 0);
	CHECK_EQ(p.slice_us, 0);
	CHECK(!strcmp(p.storage_dir, ""));
	CHECK_EQ(p.storage_max_objects, 0);
	CHECK_EQ(p.storage_max_bytes, 0);
	CHECK_EQ(p.log_target, VTEED_LOG_STDERR);
	CHECK_EQ(p.log_level, VTEED_LOG_INFO);
	CHECK(p.log_denials);
	CHECK(p.on_denied == NULL);

	/* an empty file, and one of comments only, change nothing */
	CHECK_EQ(load_text(&p, ""), 0);
	CHECK(p.default_allow && !strcmp(p.backend, "soft") && p.quota.max_sessions == 0);
	CHECK_EQ(load_text(&p, "; nothing\n# here\n\n   ; indented comment\n[ta]\n[log]\n"), 0);
	CHECK(p.default_allow && p.log_denials && p.n_allow == 0);

	struct vtee_uuid any = U(HELLO_TA_STR);
	CHECK(vteed_policy_ta_allowed(&p, &any));
}

static void test_example(const char *path)
{
	struct vteed_policy p;
	vteed_policy_init(&p);
	int r = vteed_policy_load(&p, path, err, sizeof(err));
	if (r)
		fprintf(stderr, "example: %s\n", err);
	REQUIRE_EQ(r, 0);
	CHECK(!strcmp(p.backend, "soft"));
	CHECK(!p.default_allow);
	CHECK_EQ(p.n_allow, 3);
	CHECK_EQ(p.n_deny, 1);
	struct vtee_uuid t = U(TEST_TA_STR), rng = U(RNG_TA_STR), dev = U(DEVICE_PTA_STR), hello = U(HELLO_TA_STR);
	CHECK(!memcmp(&p.allow[0], &dev, 16));
	CHECK(!memcmp(&p.allow[1], &rng, 16));
	CHECK(!memcmp(&p.allow[2], &t, 16));
	CHECK(!memcmp(&p.deny[0], &hello, 16));
	CHECK_EQ(p.quota.max_sessions, 64);
	CHECK_EQ(p.quota.max_calls, 8);
	CHECK_EQ(p.quota.max_shm, 256);
	CHECK_EQ(p.quota.max_shm_pages, (64u << 20) / 4096);
	CHECK_EQ(p.slice_us, 1000);
	CHECK(!strcmp(p.storage_dir, "/var/lib/vtee/state"));
	CHECK_EQ(p.storage_max_objects, 4096);
	CHECK_EQ(p.storage_max_bytes, 64ull << 20);
	CHECK_EQ(p.log_target, VTEED_LOG_STDERR);
	CHECK_EQ(p.log_level, VTEED_LOG_INFO);
	CHECK(p.log_denials);
	CHECK(vteed_policy_ta_allowed(&p, &t));
	CHECK(!vteed_policy_ta_allowed(&p, &hello));
	struct vtee_uuid other = U("00000000-0000-0000-0000-000000000001");
	CHECK(!vteed_policy_ta_allowed(&p, &other));
	vteed_policy_free(&p);
	CHECK_EQ(p.n_allow, 0);
}

/* Every key with a value other than its default; names and keywords in any case. */
static void test_every_key(void)
{
	struct vteed_policy p;
	int r = load_text(&p,
			  "[tee]\n"
			  "backend = soft ; inline comment\n"
			  "[TA]\n"
			  "Default = Deny\n"
			  "allow = " TEST_TA_STR "," RNG_TA_STR "\n"
			  "allow =\n"
			  "allow=" DEVICE_PTA_STR "  " TEST_TA_STR "\n"
			  "deny = " HELLO_TA_STR ",\t, " HELLO_TA_STR "\n"
			  "[quota]\n"
			  "sessions = 7\n"
			  "calls = 3\n"
			  "shm_buffers = 5\n"
			  "shm_bytes = 10K\n"
			  "[call]\n"
			  "time_slice_us = 250\n"
			  "[log]\n"
			  "target = syslog\n"
			  "level = DEBUG\n"
			  "denials = no\n");
	if (r)
		fprintf(stderr, "every key: %s\n", err);
	CHECK_EQ(r, 0);
	CHECK(!p.default_allow);
	CHECK_EQ(p.n_allow, 3); /* a repeated UUID counts once */
	CHECK_EQ(p.n_deny, 1);
	CHECK_EQ(p.quota.max_sessions, 7);
	CHECK_EQ(p.quota.max_calls, 3);
	CHECK_EQ(p.quota.max_shm, 5);
	CHECK_EQ(p.quota.max_shm_pages, 3);
	CHECK_EQ(p.slice_us, 250);
	CHECK_EQ(p.log_target, VTEED_LOG_SYSLOG);
	CHECK_EQ(p.log_level, VTEED_LOG_DEBUG);
	CHECK(!p.log_denials);

	/* each level and boolean spelling */
	static const struct { const char *v; int level; } levels[] = {
		{ "error", VTEED_LOG_ERROR }, { "warning", VTEED_LOG_WARNING },
		{ "info", VTEED_LOG_INFO }, { "debug", VTEED_LOG_DEBUG },
	};
	for (size_t i = 0; i < 4; i++) {
		char text[64];
		snprintf(text, sizeof(text), "[log]\nlevel = %s\ntarget = stderr\n", levels[i].v);
		CHECK_EQ(load_text(&p, text), 0);
		CHECK_EQ(p.log_level, levels[i].level);
		CHECK_EQ(p.log_target, VTEED_LOG_STDERR);
	}
	static const struct { const char *v; bool on; } bools[] = {
		{ "yes", true }, { "no", false }, { "true", true }, { "false", false }, { "1", true }, { "0", false },
	};
	for (size_t i = 0; i < 6; i++) {
		char text[64];
		snprintf(text, sizeof(text), "[log]\ndenials = %s\n", bools[i].v);
		CHECK_EQ(load_text(&p, text), 0);
		CHECK_EQ(p.log_denials, bools[i].on);
	}
	CHECK_EQ(load_text(&p, "[ta]\ndefault = allow\n"), 0);
	CHECK(p.default_allow);
	/* every built-in back-end by its name */
	unsigned nbe = 0;
	for (const char *const *n = vtee_backend_names(); *n; n++, nbe++) {
		char text[96];
		snprintf(text, sizeof(text), "[tee]\nbackend = %s\n", *n);
		CHECK_EQ(load_text(&p, text), 0);
		CHECK(!strcmp(p.backend, *n));
	}
	CHECK_CMP(nbe, >=, 1);
	/* CRLF line ends and a UTF-8 byte-order mark */
	CHECK_EQ(load_text(&p, "\xEF\xBB\xBF[quota]\r\nsessions = 9\r\n"), 0);
	CHECK_EQ(p.quota.max_sessions, 9);
}

static void test_errors(void)
{
	/* the file */
	struct vteed_policy p;
	vteed_policy_init(&p);
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/no-such-file.ini", tmpdir);
	CHECK_EQ(vteed_policy_load(&p, missing, err, sizeof(err)), -ENOENT);
	CHECK(!strncmp(err, missing, strlen(missing)));
	CHECK(strstr(err, "No such file") != NULL);
	CHECK_EQ(vteed_policy_load(&p, tmpdir, err, sizeof(err)), -EISDIR);
	CHECK(strstr(err, tmpdir) != NULL);
	CHECK_EQ(vteed_policy_load(&p, missing, NULL, 0), -ENOENT);

	/* structure */
	EXPECT_ERROR("[ta]\ndefault = allow\n[foo]\n", 3, "unknown section [foo]");
	EXPECT_ERROR("[ta]\n\n[quota]\n[Call]\n[tee ]\n", 5, "unknown section [tee ]");
	EXPECT_ERROR("sessions = 3\n", 1, "outside a section");
	EXPECT_ERROR("[ta]\nsessions = 3\n", 2, "unknown key 'sessions' in [ta]");
	EXPECT_ERROR("[quota]\nsessions = 3\nthreads = 2\n", 3, "unknown key 'threads'");
	EXPECT_ERROR("[quota]\nsessions = 3\n; again:\nsessions = 4\n", 4, "duplicate key 'sessions'");
	EXPECT_ERROR("[quota]\nsessions = 3\n[ta]\n[quota]\nsessions = 3\n", 5, "duplicate key");
	EXPECT_ERROR("[tee]\nbackend = soft\nbackend = soft\n", 3, "duplicate key 'backend'");
	EXPECT_ERROR("[log]\ndenials = yes\n\ndenials = no\n", 4, "duplicate key 'denials'");
	EXPECT_ERROR("[ta]\ndefault = allow\ndefault = deny\n", 3, "duplicate key 'default'");
	EXPECT_ERROR("[ta\nallow = " TEST_TA_STR "\n", 1, "syntax error");
	EXPECT_ERROR("[ta]\n\njust words\n", 3, "syntax error");
	EXPECT_ERROR("[quota]\nsessions = 3\n  calls = 2\n", 3, "indented");
	EXPECT_ERROR("[ta]\nallow = " TEST_TA_STR "\n\t" RNG_TA_STR "\n", 3, "indented");
	EXPECT_ERROR("[ta]\ndefault = allow\n[log]\ntarget\n", 4, "syntax error");
	static const char nul[] = "[ta]\nallow = a\0b\n";
	CHECK_EQ(vteed_policy_load(&p, write_bytes(nul, sizeof(nul) - 1), err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":2: NUL byte") != NULL);
	char longline[400];
	snprintf(longline, sizeof(longline), "[ta]\nallow = %s, %s, %s, %s, %s, %s\n", TEST_TA_STR, RNG_TA_STR,
		 DEVICE_PTA_STR, HELLO_TA_STR, TEST_TA_STR, RNG_TA_STR);
	EXPECT_ERROR(longline, 2, "line longer than");
	/* the first error wins, whoever finds it */
	EXPECT_ERROR("[ta]\nbroken\n[quota]\nbogus = 1\n", 2, "syntax error");
	EXPECT_ERROR("[ta]\nbogus = 1\n[quota]\nbroken\n", 2, "unknown key 'bogus'");
	EXPECT_ERROR("[ta]\n[bogus]\nbroken\n", 2, "unknown section");

	/* values */
	char names[200] = "not a built-in back-end (";
	for (const char *const *n = vtee_backend_names(); *n; n++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 n == vtee_backend_names() ? "" : ", ", *n);
	strcat(names, ")");
	EXPECT_ERROR("[tee]\nbackend = no-such-tee\n", 2, names);
	EXPECT_ERROR("[tee]\nbackend = SOFT\n", 2, "backend = 'SOFT'");
	EXPECT_ERROR("[tee]\nbackend =\n", 2, "missing value");
	EXPECT_ERROR("[ta]\ndefault = maybe\n", 2, "expected one of deny, allow");
	EXPECT_ERROR("[ta]\nallow = " TEST_TA_STR ", 5ce0c432-0ab0-40e5-a056-782ca0e6aba\n", 2,
		     "'5ce0c432-0ab0-40e5-a056-782ca0e6aba' is not a UUID");
	EXPECT_ERROR("[ta]\nallow = " TEST_TA_STR "\n\ndeny = " TEST_TA_STR ";" RNG_TA_STR "\n", 4,
		     "not a UUID");
	EXPECT_ERROR("[ta]\ndeny = hello-world\n", 2, "deny: 'hello-world' is not a UUID");
	EXPECT_ERROR("[log]\ntarget = file\n", 2, "expected one of stderr, syslog");
	EXPECT_ERROR("[log]\nlevel = verbose\n", 2, "expected one of error, warning, info, debug");
	EXPECT_ERROR("[log]\ndenials = sometimes\n", 2, "denials = 'sometimes'");
	EXPECT_ERROR("[call]\ntime_slice_us = 0\n", 2, "out of range (1..1000000)");
	EXPECT_ERROR("[call]\ntime_slice_us = 1000001\n", 2, "out of range");
	EXPECT_ERROR("[quota]\ncalls = -1\n", 2, "not a number");
	EXPECT_ERROR("[quota]\ncalls = 0x10\n", 2, "not a number");
	EXPECT_ERROR("[quota]\ncalls = 12 threads\n", 2, "not a number");
	EXPECT_ERROR("[quota]\nsessions = 99999999999999999999999\n", 2, "not a number");
	EXPECT_ERROR("[quota]\nshm_bytes = 1KB\n", 2, "not a size");
	EXPECT_ERROR("[quota]\nshm_bytes = 1P\n", 2, "not a size");
	EXPECT_ERROR("[quota]\nshm_bytes = G\n", 2, "not a size");

	/* more than VTEED_POLICY_MAX_UUIDS distinct UUIDs: refused at the line of the one too many */
	size_t cap = 300 * 64;
	char *big = malloc(cap), *at = big;
	at += sprintf(at, "[ta]\n");
	for (unsigned i = 0; i <= VTEED_POLICY_MAX_UUIDS; i++)
		at += sprintf(at, "allow = %08x-0000-0000-0000-000000000000\n", i);
	EXPECT_ERROR(big, VTEED_POLICY_MAX_UUIDS + 2, "more than 256 UUIDs");
	at -= strlen("allow = 00000100-0000-0000-0000-000000000000\n");
	*at = '\0';
	CHECK_EQ(load_text(&p, big), 0); /* exactly 256 fit */
	CHECK_EQ(p.n_allow, VTEED_POLICY_MAX_UUIDS);
	free(big);

	/* a failed load leaves the policy as it was */
	vteed_policy_init(&p);
	CHECK_EQ(vteed_policy_load(&p, write_file("[quota]\nsessions = 5\n"), err, sizeof(err)), 0);
	CHECK_EQ(vteed_policy_load(&p, write_file("[quota]\ncalls = 4\n[ta]\ndefault = deny\nallow = "
						  TEST_TA_STR "\nbogus = 1\n"),
				   err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(p.quota.max_sessions, 5);
	CHECK_EQ(p.quota.max_calls, 0);
	CHECK(p.default_allow);
	CHECK_EQ(p.n_allow, 0);
	/* a tiny error buffer is still a terminated string */
	char small[8];
	CHECK_EQ(vteed_policy_load(&p, write_file("[x]\n"), small, sizeof(small)), -EINVAL);
	CHECK_EQ(strlen(small), sizeof(small) - 1);
}

static void test_bounds(void)
{
	struct vteed_policy p;
	char text[160];
	static const struct { const char *key; uint64_t max; } q[] = {
		{ "sessions", VTEE_LIMIT_MAX_SESSIONS },
		{ "calls", VTEE_LIMIT_MAX_CALLS },
		{ "shm_buffers", VTEE_LIMIT_MAX_SHM },
	};
	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "[quota]\n%s = 1\n", q[i].key);
		CHECK_EQ(load_text(&p, text), 0);
		snprintf(text, sizeof(text), "[quota]\n%s = %llu\n", q[i].key, (unsigned long long)q[i].max);
		CHECK_EQ(load_text(&p, text), 0);
		uint32_t got = i == 0 ? p.quota.max_sessions : i == 1 ? p.quota.max_calls : p.quota.max_shm;
		CHECK_EQ(got, q[i].max);
		snprintf(text, sizeof(text), "[quota]\n%s = 0\n", q[i].key);
		EXPECT_ERROR(text, 2, "out of range");
		snprintf(text, sizeof(text), "[quota]\n%s = %llu\n", q[i].key, (unsigned long long)q[i].max + 1);
		EXPECT_ERROR(text, 2, "out of range");
		snprintf(text, sizeof(text), "[quota]\n%s = 4294967297\n", q[i].key); /* 2^32 + 1: no wrap */
		EXPECT_ERROR(text, 2, "out of range");
	}
	CHECK_EQ(load_text(&p, "[call]\ntime_slice_us = 1\n"), 0);
	CHECK_EQ(p.slice_us, 1);
	CHECK_EQ(load_text(&p, "[call]\ntime_slice_us = 1000000\n"), 0);
	CHECK_EQ(p.slice_us, 1000000);

	/* shm_bytes: rounded up to 4 KiB pages, 1 byte .. VTEE_LIMIT_MAX_SHM_PAGES pages */
	static const struct { const char *v; uint64_t pages; } sz[] = {
		{ "1", 1 }, { "4095", 1 }, { "4096", 1 }, { "4097", 2 }, { "8192", 2 }, { "1K", 1 },
		{ "4k", 1 }, { "5K", 2 }, { "1M", 256 }, { "1m", 256 }, { "1G", 262144 }, { "1g", 262144 },
		{ "256G", VTEE_LIMIT_MAX_SHM_PAGES }, { "274877906944", VTEE_LIMIT_MAX_SHM_PAGES },
	};
	for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		snprintf(text, sizeof(text), "[quota]\nshm_bytes = %s\n", sz[i].v);
		int r = load_text(&p, text);
		CHECK_EQ(r, 0);
		if (p.quota.max_shm_pages != sz[i].pages)
			fprintf(stderr, "shm_bytes = %s\n", sz[i].v);
		CHECK_EQ(p.quota.max_shm_pages, sz[i].pages);
	}
	EXPECT_ERROR("[quota]\nshm_bytes = 0\n", 2, "out of range");
	EXPECT_ERROR("[quota]\nshm_bytes = 0G\n", 2, "out of range");
	EXPECT_ERROR("[quota]\nshm_bytes = 274877906945\n", 2, "out of range"); /* one byte over 256 GiB */
	EXPECT_ERROR("[quota]\nshm_bytes = 257G\n", 2, "out of range");
	EXPECT_ERROR("[quota]\nshm_bytes = 1T\n", 2, "out of range");
	EXPECT_ERROR("[quota]\nshm_bytes = 16777216T\n", 2, "out of range"); /* 2^64: would wrap */
}

static unsigned denied_calls;
static struct vtee_uuid denied_last;
static void *denied_ctx;

static void on_denied(void *ctx, const struct vtee_uuid *ta)
{
	denied_calls++;
	denied_last = *ta;
	denied_ctx = ctx;
}

static void test_filter(void)
{
	struct vteed_policy p;
	struct vtee_uuid t = U(TEST_TA_STR), rng = U(RNG_TA_STR), dev = U(DEVICE_PTA_STR), hello = U(HELLO_TA_STR);
	int marker;

	/* deny wins over allow, whichever comes first */
	CHECK_EQ(load_text(&p, "[ta]\ndeny = " TEST_TA_STR "\nallow = " TEST_TA_STR ", " RNG_TA_STR "\n"), 0);
	p.on_denied = on_denied;
	p.log_ctx = &marker;
	denied_calls = 0;
	CHECK(!vteed_policy_ta_allowed(&p, &t));
	CHECK(vteed_policy_ta_allowed(&p, &rng));
	CHECK(vteed_policy_ta_allowed(&p, &hello)); /* default allow */
	CHECK_EQ(denied_calls, 1);
	CHECK(!memcmp(&denied_last, &t, 16));
	CHECK(denied_ctx == &marker);

	/* default deny: only the allow list gets through */
	CHECK_EQ(load_text(&p, "[ta]\nallow = " RNG_TA_STR "\ndefault = deny\n"), 0);
	p.on_denied = on_denied;
	denied_calls = 0;
	CHECK(vteed_policy_ta_allowed(&p, &rng));
	CHECK(!vteed_policy_ta_allowed(&p, &t));
	CHECK(!vteed_policy_ta_allowed(&p, &dev));
	CHECK_EQ(denied_calls, 2);
	CHECK(!memcmp(&denied_last, &dev, 16));

	/* denials = no: refused all the same, not reported */
	CHECK_EQ(load_text(&p, "[ta]\ndefault = deny\n[log]\ndenials = no\n"), 0);
	p.on_denied = on_denied;
	denied_calls = 0;
	CHECK(!vteed_policy_ta_allowed(&p, &t));
	CHECK_EQ(denied_calls, 0);

	/* apply: quota, slice and filter; the rest of the config untouched */
	CHECK_EQ(load_text(&p, "[quota]\nsessions = 2\nshm_bytes = 8K\n[call]\ntime_slice_us = 500\n"), 0);
	struct vtee_vm_config cfg = { .vm_id = 9, .name = "x", .no_rpc_arg = true };
	vteed_policy_apply(&p, &cfg);
	CHECK_EQ(cfg.vm_id, 9);
	CHECK(cfg.no_rpc_arg);
	CHECK_EQ(cfg.quota.max_sessions, 2);
	CHECK_EQ(cfg.quota.max_calls, 0);
	CHECK_EQ(cfg.quota.max_shm_pages, 2);
	CHECK_EQ(cfg.slice_us, 500);
	CHECK(cfg.ta_allowed == vteed_policy_ta_allowed);
	CHECK(cfg.policy_ctx == &p);
}

/* [ta] dirs: absolute directories, the key repeats, at most VTEED_POLICY_MAX_TA_DIRS. */
static void test_ta_dirs(void)
{
	struct vteed_policy p;
	CHECK_EQ(load_text(&p, "[ta]\ndirs = /opt/tas, /usr/lib/vtee/ta\ndirs = /srv/ta\n"), 0);
	CHECK_EQ(p.n_ta_dirs, 3);
	CHECK(!strcmp(p.ta_dirs[0], "/opt/tas") && !strcmp(p.ta_dirs[1], "/usr/lib/vtee/ta") &&
	      !strcmp(p.ta_dirs[2], "/srv/ta"));
	CHECK_EQ(load_text(&p, "[ta]\n"), 0);
	CHECK_EQ(p.n_ta_dirs, 0);
	EXPECT_ERROR("[ta]\ndirs = relative/dir\n", 2, "not an absolute directory");
	EXPECT_ERROR("[ta]\ndirs = /a /b /c /d /e /f /g /h /i\n", 2, "more than 8 directories");
	EXPECT_ERROR("[ta]\ndirs = /a,b\n", 2, "'b' is not an absolute directory"); /* a comma separates */
}

/* [storage]: the state root and the VM's quota, each bound checked. */
static void test_storage(void)
{
	struct vteed_policy p;
	CHECK_EQ(load_text(&p, "[Storage]\ndir = /srv/vtee state\nmax_objects = 1\nmax_bytes = 4K\n"), 0);
	CHECK(!strcmp(p.storage_dir, "/srv/vtee state"));
	CHECK_EQ(p.storage_max_objects, 1);
	CHECK_EQ(p.storage_max_bytes, 4096);
	CHECK_EQ(load_text(&p, "[storage]\nmax_objects = 1048576\nmax_bytes = 1T\n"), 0);
	CHECK_EQ(p.storage_max_objects, 1u << 20);
	CHECK_EQ(p.storage_max_bytes, 1ull << 40);
	CHECK_EQ(load_text(&p, "[storage]\nmax_bytes = 123456789\n"), 0);
	CHECK_EQ(p.storage_max_bytes, 123456789);
	CHECK(!strcmp(p.storage_dir, ""));
	EXPECT_ERROR("[storage]\ndir = var/lib/vtee\n", 2, "not an absolute directory");
	EXPECT_ERROR("[storage]\nmax_objects = 0\n", 2, "out of range (1..1048576)");
	EXPECT_ERROR("[storage]\nmax_objects = 1048577\n", 2, "out of range");
	EXPECT_ERROR("[storage]\nmax_objects = many\n", 2, "not a number");
	EXPECT_ERROR("[storage]\nmax_bytes = 4095\n", 2, "out of range (4K..1T)");
	EXPECT_ERROR("[storage]\nmax_bytes = 1025G\n", 2, "out of range");
	EXPECT_ERROR("[storage]\nmax_bytes = 99999999999999999999T\n", 2, "not a size");
	EXPECT_ERROR("[storage]\nmax_bytes = 16777216T\n", 2, "out of range"); /* 2^64: overflows */
	EXPECT_ERROR("[storage]\nmax_bytes = 1MB\n", 2, "not a size");
	EXPECT_ERROR("[storage]\nquota = 1\n", 2, "unknown key 'quota' in [storage]");
	EXPECT_ERROR("[storage]\nmax_objects = 1\nmax_objects = 2\n", 3, "duplicate key");
	/* a long directory: as long as a line may be */
	char longdir[300] = "[storage]\ndir = /";
	memset(longdir + strlen(longdir), 'd', 180);
	strcat(longdir, "\n");
	CHECK_EQ(load_text(&p, longdir), 0);
	CHECK_EQ(strlen(p.storage_dir), 181);
}

/* ---- end to end: libvtee + the guest model ---- */

/* The soft back-end, counting the OPENs it is asked for. */
static struct vtee_backend_ops counting_ops;
static _Atomic unsigned be_opens;

static void counting_submit(void *vm, struct vtee_req *req)
{
	if (req->op == VTEE_REQ_OPEN)
		atomic_fetch_add(&be_opens, 1);
	vtee_soft_backend.submit(vm, req);
}

static struct guest *policy_guest(struct vtee_tee *tee, uint32_t id, const struct vteed_policy *p,
				  const struct guest_config *gc)
{
	struct vtee_vm_config cfg = { .vm_id = id, .name = "policy", .no_rpc_arg = true };
	vteed_policy_apply(p, &cfg);
	struct guest *g = NULL;
	REQUIRE_EQ(guest_create_vm(tee, &cfg, gc, &g), 0);
	int r = guest_probe(g);
	if (r) {
		char msg[512];
		guest_error(g, msg, sizeof(msg));
		fprintf(stderr, "probe: %s\n", msg);
	}
	REQUIRE_EQ(r, 0);
	return g;
}

static struct vtee_vm_stats stats(struct guest *g)
{
	struct vtee_vm_stats st;
	vtee_vm_get_stats(guest_vm(g), &st);
	return st;
}

static void test_e2e_denied(struct vtee_tee *tee)
{
	struct vteed_policy p;
	REQUIRE_EQ(load_text(&p, "[ta]\ndeny = " TEST_TA_STR "\n"), 0);
	int marker;
	p.on_denied = on_denied;
	p.log_ctx = &marker;
	denied_calls = 0;
	memset(&denied_last, 0, sizeof(denied_last));
	struct guest *g = policy_guest(tee, 1, &p, NULL);
	struct vtee_vm_stats before = stats(g);
	unsigned opens = atomic_load(&be_opens);

	uint32_t sess = 0xdead, origin = 0;
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, &origin),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	struct vtee_vm_stats st = stats(g);
	CHECK_EQ(atomic_load(&be_opens), opens); /* the back-end saw nothing */
	CHECK_EQ(st.sessions, 0);
	CHECK_EQ(st.calls, 0);
	CHECK_EQ(st.access_denials, before.access_denials + 1);
	CHECK_EQ(st.quota_denials, before.quota_denials);
	CHECK_EQ(st.bad_requests, before.bad_requests); /* a refusal, not a malformed request */
	CHECK_EQ(denied_calls, 1);
	CHECK(!memcmp(denied_last.b, test_ta, 16));
	CHECK(denied_ctx == &marker);

	/* other TAs work, and the refused one keeps being refused */
	CHECK_EQ(guest_open_session(g, rng_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, &origin), TEE_SUCCESS);
	CHECK_EQ(atomic_load(&be_opens), opens + 1);
	CHECK_EQ(stats(g).sessions, 1);
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_USER, NULL, NULL, 0, 0, &sess, &origin),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(stats(g).access_denials, before.access_denials + 2);
	CHECK_EQ(denied_calls, 2);
	CHECK_EQ(stats(g).sessions, 0);
	guest_shutdown(g);
	guest_destroy(g);

	/* default deny with the test TA allowed: it works, everything else is refused */
	REQUIRE_EQ(load_text(&p, "[ta]\ndefault = deny\nallow = " TEST_TA_STR "\n[log]\ndenials = no\n"), 0);
	p.on_denied = on_denied;
	denied_calls = 0;
	g = policy_guest(tee, 2, &p, NULL);
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, &origin), TEE_SUCCESS);
	struct guest_param prm[4] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 0, 0) };
	CHECK_EQ(guest_invoke(g, sess, VTEE_TEST_CMD_INC, prm, 4, 0, NULL), TEE_SUCCESS);
	CHECK_EQ(prm[0].u.value.a, 42);
	CHECK_EQ(guest_open_session(g, rng_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, NULL, &origin),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	/* the kernel's device enumeration reads a refused PTA as "no devices" */
	struct vtee_uuid *uuids = NULL;
	size_t count = 99;
	CHECK_EQ(guest_enumerate_devices(g, GUEST_PTA_CMD_GET_DEVICES, &uuids, &count), 0);
	CHECK_EQ(count, 0);
	free(uuids);
	CHECK_EQ(stats(g).access_denials, 2);
	CHECK_EQ(stats(g).sessions, 1);
	CHECK_EQ(denied_calls, 0); /* denials = no */
	CHECK_EQ(guest_close_session(g, sess), TEE_SUCCESS);
	guest_shutdown(g);
	guest_destroy(g);
}

struct sleeper {
	struct guest *g;
	uint32_t sess;
	uint32_t ret;
};

static void *sleep_call(void *arg)
{
	struct sleeper *s = arg;
	struct guest_param prm[4] = { guest_param_value(VTEE_PARAM_VALUE_IN, 150, 0, 0) };
	s->ret = guest_invoke(s->g, s->sess, VTEE_TEST_CMD_SLEEP, prm, 4, 0, NULL);
	return NULL;
}

static void test_e2e_quotas(struct vtee_tee *tee)
{
	struct vteed_policy p;
	uint32_t s[4], origin = 0;

	/* sessions = 2: the third open fails as the core's session quota answers */
	REQUIRE_EQ(load_text(&p, "[quota]\nsessions = 2\n"), 0);
	struct guest *g = policy_guest(tee, 3, &p, &(struct guest_config){ .quiet = true });
	unsigned opens = atomic_load(&be_opens);
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[0], NULL), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[1], NULL), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[2], &origin),
		 TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	CHECK_EQ(atomic_load(&be_opens), opens + 2);
	struct vtee_vm_stats st = stats(g);
	CHECK_EQ(st.sessions, 2);
	CHECK_EQ(st.quota_denials, 1);
	CHECK_EQ(st.access_denials, 0);
	CHECK_EQ(guest_close_session(g, s[1]), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, rng_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[1], NULL), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(g, s[0]), TEE_SUCCESS);
	CHECK_EQ(guest_close_session(g, s[1]), TEE_SUCCESS);
	guest_shutdown(g);
	guest_destroy(g);

	/* the policy comes before the session quota: with the quota full, a refused TA is still refused */
	REQUIRE_EQ(load_text(&p, "[quota]\nsessions = 1\n[ta]\ndeny = " TEST_TA_STR "\n"), 0);
	g = policy_guest(tee, 6, &p, &(struct guest_config){ .quiet = true });
	CHECK_EQ(guest_open_session(g, rng_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &s[0], NULL), TEE_SUCCESS);
	CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, NULL, &origin),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(guest_open_session(g, rng_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, NULL, &origin),
		 TEE_ERROR_OUT_OF_MEMORY);
	st = stats(g);
	CHECK_EQ(st.access_denials, 1);
	CHECK_EQ(st.quota_denials, 1);
	CHECK_EQ(st.sessions, 1);
	CHECK_EQ(guest_close_session(g, s[0]), TEE_SUCCESS);
	guest_shutdown(g);
	guest_destroy(g);

	/* shm_buffers = 2, shm_bytes = 9000 (3 pages) */
	REQUIRE_EQ(load_text(&p, "[quota]\nshm_buffers = 2\nshm_bytes = 9000\n"), 0);
	g = policy_guest(tee, 4, &p, &(struct guest_config){ .quiet = true });
	REQUIRE_EQ(stats(g).shm_buffers, 0); /* CALL_WITH_ARG: the driver registers nothing itself */
	struct guest_shm *a = NULL, *b = NULL, *c = NULL;
	CHECK_EQ(guest_shm_alloc(g, 4 * GUEST_PAGE_SIZE, GUEST_BUF_CONTIG, &c), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(stats(g).quota_denials, 1); /* 4 pages > 3 */
	CHECK_EQ(guest_shm_alloc(g, GUEST_PAGE_SIZE, GUEST_BUF_CONTIG, &a), TEE_SUCCESS);
	CHECK_EQ(guest_shm_alloc(g, GUEST_PAGE_SIZE, GUEST_BUF_CONTIG, &b), TEE_SUCCESS);
	CHECK_EQ(guest_shm_alloc(g, GUEST_PAGE_SIZE, GUEST_BUF_CONTIG, &c), TEE_ERROR_OUT_OF_MEMORY);
	st = stats(g);
	CHECK_EQ(st.shm_buffers, 2);
	CHECK_EQ(st.quota_denials, 2);
	if (a)
		CHECK_EQ(guest_shm_unregister(g, a), TEE_SUCCESS);
	a = NULL;
	CHECK_EQ(guest_shm_alloc(g, 2 * GUEST_PAGE_SIZE, GUEST_BUF_CONTIG, &a), TEE_SUCCESS); /* 3 pages exactly */
	CHECK_EQ(stats(g).shm_pages, 3);
	if (a)
		CHECK_EQ(guest_shm_unregister(g, a), TEE_SUCCESS);
	if (b)
		CHECK_EQ(guest_shm_unregister(g, b), TEE_SUCCESS);
	guest_shutdown(g);
	guest_destroy(g);

	/* calls = 2: the guest is told 2 threads; a third call in flight gets ETHREAD_LIMIT */
	REQUIRE_EQ(load_text(&p, "[quota]\ncalls = 2\n"), 0);
	g = policy_guest(tee, 5, &p, &(struct guest_config){ .ignore_thread_count = true, .quiet = true });
	CHECK_EQ(guest_probe_info(g)->thread_count, 2);
	struct sleeper sl[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		sl[i] = (struct sleeper){ .g = g, .ret = 0xdead };
		CHECK_EQ(guest_open_session(g, test_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sl[i].sess, NULL),
			 TEE_SUCCESS);
	}
	for (int i = 0; i < 3; i++)
		REQUIRE_EQ(pthread_create(&th[i], NULL, sleep_call, &sl[i]), 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(sl[i].ret, TEE_SUCCESS);
		CHECK_EQ(guest_close_session(g, sl[i].sess), TEE_SUCCESS);
	}
	struct guest_stats gs;
	guest_get_stats(g, &gs);
	CHECK_CMP(gs.ethread_limit, >=, 1);
	CHECK_EQ(gs.ethread_limit_alone, 0);
	guest_shutdown(g);
	guest_destroy(g);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO/examples/vteed-policy.ini\n", argv[0]);
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vteed-policy-XXXXXX");
	REQUIRE(mkdtemp(tmpdir) != NULL);

	test_uuid();
	test_defaults();
	test_example(argv[1]);
	test_every_key();
	test_errors();
	test_bounds();
	test_filter();
	test_ta_dirs();
	test_storage();

	counting_ops = vtee_soft_backend;
	counting_ops.submit = counting_submit;
	struct vtee_tee *tee = NULL;
	REQUIRE_EQ(vtee_tee_open_ops(&counting_ops, NULL, &tee), 0);
	test_e2e_denied(tee);
	test_e2e_quotas(tee);
	vtee_tee_close(tee);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_report();
}
