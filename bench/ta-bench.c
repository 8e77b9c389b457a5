// SPDX-License-Identifier: MIT
/*
 * Trusted Applications in their own processes (issue 13), against what they
 * are compared with, both sides measured round by round in this run:
 *
 *   ta_proc_null_invoke       a null command of the benchmark TA (bench/ta/,
 *                             built with the dev kit, run by vtee-ta-host) vs
 *   builtin_null_invoke       the built-in test TA's NULL command, same guest model
 *   ta_session_open_close     open + close of a session to the benchmark TA
 *                             (multi-instance: a process started and ended each time)
 *   ta_sha256_1m, ta_aes256gcm_1m   1 MiB hashed / encrypted inside the TA, the
 *                             guest's memrefs copied in and out, vs the same with
 *                             OpenSSL called directly in this process
 *   ta_instance_idle_memory   resident and proportional memory of an idle instance
 *
 * Usage: ta-bench TA_DIR TA_HOST   (the directory holding the benchmark TA's
 * .ta file, and vtee-ta-host)
 */
#include <dirent.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "vtee/backend.h"
#include "vtee/test_ta.h"

#define BENCH_NAME "ta-bench"
#include "bench.h"

#define ROUNDS     9
#define NULL_ITERS 5000
#define OPEN_ITERS 40
#define BIG        (1u << 20)
#define BIG_ITERS  20
#define INSTANCES  8

/* TA_BENCH_UUID (bench/ta/ta_bench/ta/include/ta_bench.h) as the guest sends it */
static const uint8_t bench_uuid[16] = { 0x03, 0x90, 0xfa, 0x8c, 0x35, 0x3f, 0x4c, 0xc3,
					0x99, 0x3b, 0x4a, 0x03, 0xa9, 0xf8, 0x0b, 0xa0 };
enum { CMD_NULL = 0, CMD_SHA256 = 1, CMD_SET_KEY = 2, CMD_AES_GCM_ENC = 3 };

struct tab {
	struct vtee_tee *tee;
	struct guest *g;
	uint32_t builtin, ta;            /* sessions */
	struct guest_buf *in, *out, *tag; /* 1 MiB, 1 MiB, 32 bytes */
	uint8_t key[32];
	uint8_t *plain;                   /* the same 1 MiB, in this process */
};

static uint32_t open_ta(struct guest *g, const uint8_t uuid[16])
{
	uint32_t sess, origin;
	uint32_t r = guest_open_session(g, uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, &origin);
	if (r != TEE_SUCCESS)
		die("open session: 0x%x origin %u", r, origin);
	return sess;
}

static void invoke(struct tab *t, uint32_t sess, uint32_t cmd, struct guest_param *p, unsigned n)
{
	uint32_t origin;
	uint32_t r = guest_invoke(t->g, sess, cmd, p, n, 0, &origin);
	if (r != TEE_SUCCESS)
		die("invoke %u: 0x%x origin %u", cmd, r, origin);
}

static double null_us(struct tab *t, uint32_t sess, uint32_t cmd)
{
	/* untimed first: after the long calls of the round, polls have backed off to sleeping */
	for (int i = 0; i < NULL_ITERS / 5; i++)
		invoke(t, sess, cmd, NULL, 0);
	double t0 = now_us();
	for (int i = 0; i < NULL_ITERS; i++)
		invoke(t, sess, cmd, NULL, 0);
	return (now_us() - t0) / NULL_ITERS;
}

static double open_close_ms(struct tab *t)
{
	double t0 = now_us();
	for (int i = 0; i < OPEN_ITERS; i++)
		if (guest_close_session(t->g, open_ta(t->g, bench_uuid)) != TEE_SUCCESS)
			die("close session");
	return (now_us() - t0) / OPEN_ITERS / 1000.0;
}

/* MiB/s of the TA's SHA-256 (cmd 1) or AES-256-GCM (cmd 3) over the 1 MiB buffer */
static double ta_mib_s(struct tab *t, uint32_t cmd)
{
	double t0 = now_us();
	for (int i = 0; i < BIG_ITERS; i++) {
		struct guest_param p[3] = {
			guest_param_tmem(VTEE_PARAM_MEMREF_IN, t->in, 0, BIG, true),
			guest_param_tmem(VTEE_PARAM_MEMREF_OUT, cmd == CMD_SHA256 ? t->tag : t->out, 0,
					 cmd == CMD_SHA256 ? 32 : BIG, true),
			guest_param_tmem(VTEE_PARAM_MEMREF_OUT, t->tag, 0, 16, true),
		};
		invoke(t, t->ta, cmd, p, cmd == CMD_SHA256 ? 2 : 3);
	}
	return BIG_ITERS / ((now_us() - t0) / 1e6);
}

/* The same work with OpenSSL in this process. */
static double openssl_mib_s(struct tab *t, bool gcm)
{
	static uint8_t out[BIG + 16];
	static const uint8_t nonce[12];
	uint8_t md[32], tag[16];
	unsigned mdlen;
	int len;
	double t0 = now_us();
	for (int i = 0; i < BIG_ITERS; i++) {
		if (!gcm) {
			if (!EVP_Digest(t->plain, BIG, md, &mdlen, EVP_sha256(), NULL))
				die("EVP_Digest");
			continue;
		}
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		if (!c || !EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, t->key, nonce) ||
		    !EVP_EncryptUpdate(c, out, &len, t->plain, BIG) || !EVP_EncryptFinal_ex(c, out + len, &len) ||
		    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag))
			die("AES-GCM");
		EVP_CIPHER_CTX_free(c);
	}
	return BIG_ITERS / ((now_us() - t0) / 1e6);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

/* The TA's answers are right: its SHA-256 of the buffer is OpenSSL's. */
static void check_sha(struct tab *t)
{
	uint8_t want[32], got[32];
	unsigned n;
	ta_mib_s(t, CMD_SHA256);
	if (!EVP_Digest(t->plain, BIG, want, &n, EVP_sha256(), NULL) || guest_buf_read(t->g, t->tag, 0, got, 32) ||
	    memcmp(want, got, 32))
		die("the TA's SHA-256 differs from OpenSSL's");
}

/* One process's memory in KiB: the "Rss:" and "Pss:" lines of smaps_rollup. */
static void proc_mem(long pid, long *rss, long *pss)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", pid);
	FILE *f = fopen(path, "r");
	long v;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %ld kB", &v) == 1)
			*rss += v;
		else if (sscanf(line, "Pss: %ld kB", &v) == 1)
			*pss += v;
	}
	if (f)
		fclose(f);
}

static long parent_of(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *close_paren = strrchr(buf, ')');
	long ppid = -1;
	if (!close_paren || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return ppid;
}

/* Whether pid's command line names ta_dir (the fork server's does, and its forks inherit it). */
static bool names_dir(long pid, const char *ta_dir)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
		buf[n] = 0;
		if (!strcmp(buf + i, ta_dir))
			return true;
	}
	return false;
}

/*
 * Memory of this run's TA instances: the processes whose command line names
 * our TA directory and whose parent does too (the fork server's children;
 * the fork server itself is detached from us).
 */
static int instances_mem(const char *ta_dir, long *rss, long *pss)
{
	long pids[1024];
	int np = 0, n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) && np < 1024) {
		long pid = strtol(e->d_name, NULL, 10);
		if (pid > 0 && names_dir(pid, ta_dir))
			pids[np++] = pid;
	}
	if (d)
		closedir(d);
	for (int i = 0; i < np; i++) {
		long parent = parent_of(pids[i]);
		for (int j = 0; j < np; j++)
			if (pids[j] == parent) {
				proc_mem(pids[i], rss, pss);
				n++;
				break;
			}
	}
	return n;
}

static void bench_idle_memory(struct tab *t, const char *ta_dir)
{
	uint32_t s[INSTANCES];
	for (int i = 0; i < INSTANCES; i++)
		s[i] = open_ta(t->g, bench_uuid);
	usleep(200 * 1000);
	long rss = 0, pss = 0;
	int n = instances_mem(ta_dir, &rss, &pss);
	if (n != INSTANCES + 1) /* and the session the rounds used */
		die("found %d instance processes for %d sessions", n, INSTANCES);
	printf("BENCH ta_instance_idle_rss %ld KiB (per instance, %d instances; libraries counted in full)\n",
	       rss / n, n);
	printf("BENCH ta_instance_idle_pss %ld KiB (per instance: shared pages split between their users)\n",
	       pss / n);
	for (int i = 0; i < INSTANCES; i++)
		guest_close_session(t->g, s[i]);
}

static void set_up(struct tab *t, const char *ta_dir, const char *ta_host)
{
	char opts[2 * PATH_MAX + 32];
	snprintf(opts, sizeof(opts), "ta_dir=%s,ta_host=%s", ta_dir, ta_host);
	int err = vtee_tee_open("soft", opts, &t->tee);
	if (err)
		die("vtee_tee_open soft %s: %d", opts, err);
	if (guest_create_vm(t->tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "ta-bench" },
			    &(struct guest_config){ .ram_size = 16u << 20 }, &t->g))
		die("guest_create_vm");
	if (guest_probe(t->g))
		die("guest_probe");
	t->builtin = open_ta(t->g, test_uuid);
	t->ta = open_ta(t->g, bench_uuid);
	if (guest_buf_alloc(t->g, BIG, 0, GUEST_BUF_SCATTER, &t->in) ||
	    guest_buf_alloc(t->g, BIG, 0, GUEST_BUF_SCATTER, &t->out) ||
	    guest_buf_alloc(t->g, 32, 0, GUEST_BUF_CONTIG, &t->tag))
		die("guest_buf_alloc");
	if (!(t->plain = malloc(BIG)))
		die("malloc");
	for (unsigned i = 0; i < BIG; i++)
		t->plain[i] = (uint8_t)(i * 2654435761u >> 24);
	for (unsigned i = 0; i < sizeof(t->key); i++)
		t->key[i] = (uint8_t)i;
	if (guest_buf_write(t->g, t->in, 0, t->plain, BIG))
		die("guest_buf_write");
	struct guest_buf *k;
	if (guest_buf_alloc(t->g, sizeof(t->key), 0, GUEST_BUF_CONTIG, &k) ||
	    guest_buf_write(t->g, k, 0, t->key, sizeof(t->key)))
		die("key buffer");
	struct guest_param p = guest_param_tmem(VTEE_PARAM_MEMREF_IN, k, 0, sizeof(t->key), false);
	invoke(t, t->ta, CMD_SET_KEY, &p, 1);
	guest_buf_free(t->g, k);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		die("usage: ta-bench TA_DIR TA_HOST");
	char ta_dir[PATH_MAX], ta_host[PATH_MAX];
	if (!realpath(argv[1], ta_dir) || !realpath(argv[2], ta_host))
		die("%s or %s: not found", argv[1], argv[2]);
	struct tab t = { 0 };
	set_up(&t, ta_dir, ta_host);
	check_sha(&t);
	double bn[ROUNDS], tn[ROUNDS], oc[ROUNDS], ts[ROUNDS], os[ROUNDS], tg[ROUNDS], og[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		bn[r] = null_us(&t, t.builtin, VTEE_TEST_CMD_NULL);
		tn[r] = null_us(&t, t.ta, CMD_NULL);
		oc[r] = open_close_ms(&t);
		ts[r] = ta_mib_s(&t, CMD_SHA256);
		os[r] = openssl_mib_s(&t, false);
		tg[r] = ta_mib_s(&t, CMD_AES_GCM_ENC);
		og[r] = openssl_mib_s(&t, true);
	}
	printf("# ta-bench: %d rounds, medians; both sides of a RATIO measured round by round in this run\n", ROUNDS);
	double mb = median(bn, ROUNDS), mt = median(tn, ROUNDS);
	printf("BENCH builtin_null_invoke %.3f us\n", mb);
	printf("BENCH ta_proc_null_invoke %.3f us\n", mt);
	printf("RATIO ta_proc_vs_builtin_null_invoke %.3f (target <= 2)\n", mt / mb);
	printf("BENCH ta_session_open_close %.3f ms (a multi-instance TA: one process started and ended)\n",
	       median(oc, ROUNDS));
	double a = median(ts, ROUNDS), b = median(os, ROUNDS), c = median(tg, ROUNDS), d = median(og, ROUNDS);
	printf("BENCH ta_sha256_1m %.0f MiB/s (openssl in process: %.0f MiB/s)\n", a, b);
	printf("RATIO ta_sha256_vs_openssl %.3f (target >= 0.8)\n", a / b);
	printf("BENCH ta_aes256gcm_1m %.0f MiB/s (openssl in process: %.0f MiB/s)\n", c, d);
	printf("RATIO ta_aes256gcm_vs_openssl %.3f (target >= 0.8)\n", c / d);
	bench_idle_memory(&t, ta_dir);
	guest_close_session(t.g, t.ta);
	guest_close_session(t.g, t.builtin);
	guest_shutdown(t.g);
	guest_destroy(t.g);
	vtee_tee_close(t.tee);
	free(t.plain);
	return 0;
}
