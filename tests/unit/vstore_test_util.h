/* SPDX-License-Identifier: MIT */
/*
 * What the storage engine's tests share (test_vstore*.c): a scratch directory per test program,
 * host keys, a store opened the way vtee-tee opens one (prepare, then open from the handoff),
 * object keys and content made from small numbers, and file helpers for the tamper cases.
 */
#ifndef VTEE_VSTORE_TEST_UTIL_H
#define VTEE_VSTORE_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "vstore.h"

static char vt_root[256];

static int vt_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static inline void vt_rmtree(const char *path)
{
	nftw(path, vt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void vt_cleanup(void)
{
	if (vt_root[0])
		vt_rmtree(vt_root);
}

/* A scratch directory removed at exit. */
static inline void vt_setup(const char *name)
{
	const char *t = getenv("TMPDIR");
	snprintf(vt_root, sizeof(vt_root), "%s/%s-XXXXXX", t && *t ? t : "/tmp", name);
	REQUIRE(mkdtemp(vt_root) != NULL);
	atexit(vt_cleanup);
}

static inline const char *vt_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", vt_root, rel);
	return buf;
}

/* The anchor of VM `vm` in the anchor directory `anchors` (relative): "<vm>-<hash>.anchor".
 * The path, or "" when there is none (or more than one). */
static inline const char *vt_anchor(char *buf, size_t len, const char *anchors, const char *vm)
{
	char pat[600];
	glob_t g;
	snprintf(pat, sizeof(pat), "%s/%s/%s-????????????????.anchor", vt_root, anchors, vm);
	buf[0] = 0;
	if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc == 1)
		snprintf(buf, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return buf;
}

static inline void vt_host_key(const char *rel, struct vstore_host_key *hk)
{
	char p[512], msg[256] = "";
	int r = vstore_host_key_load(vt_path(p, sizeof(p), rel), true, hk, msg, sizeof(msg));
	if (r)
		fprintf(stderr, "host key: %s\n", msg);
	REQUIRE_EQ(r, 0);
}

/* What the store logged (vt_open): the count of lines and the last one. */
static int vt_log_lines;
static char vt_log_last[320];

static void vt_log(void *arg, const char *line)
{
	(void)arg;
	vt_log_lines++;
	snprintf(vt_log_last, sizeof(vt_log_last), "%s", line);
}

/* Prepare and open the store of VM `vm` in <root>/<state>, anchors in <root>/anchors. */
static inline int vt_open(const char *state, const char *vm, const struct vstore_host_key *hk,
			  const struct vstore_quota *q, struct vstore **out)
{
	char sp[512], ap[512], msg[256] = "";
	struct vstore_handoff h;
	*out = NULL;
	int r = vstore_prepare(vt_path(sp, sizeof(sp), state), vt_path(ap, sizeof(ap), "anchors"), vm,
			       hk, q, &h, msg, sizeof(msg));
	if (r)
		return r;
	return vstore_open(&h, vt_log, NULL, out);
}

static inline struct vstore_key vt_key(uint8_t ta, uint8_t ns, const char *id)
{
	struct vstore_key k = { .ns = ns, .id_len = (uint8_t)strlen(id) };
	memset(k.uuid, ta, sizeof(k.uuid));
	memcpy(k.id, id, k.id_len);
	return k;
}

/* Content n: data_len bytes of a pattern seeded by n, meta "m<n>". */
static inline void vt_fill(uint32_t n, uint8_t *buf, size_t len)
{
	uint32_t x = n * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

static inline int vt_put(struct vstore *s, const struct vstore_key *k, uint32_t n, size_t len,
			 unsigned flags)
{
	uint8_t *d = malloc(len ? len : 1);
	char meta[16];
	int ml = snprintf(meta, sizeof(meta), "m%u", n);
	vt_fill(n, d, len);
	int r = vstore_put(s, k, meta, (size_t)ml, d, len, flags);
	free(d);
	return r;
}

/* 0 if the object holds content n of len bytes, 1 if it differs, else the get's error. */
static inline int vt_check(struct vstore *s, const struct vstore_key *k, uint32_t n, size_t len)
{
	void *m, *d;
	size_t ml, dl;
	int r = vstore_get(s, k, &m, &ml, &d, &dl);
	if (r)
		return r;
	char meta[16];
	int el = snprintf(meta, sizeof(meta), "m%u", n);
	uint8_t *want = malloc(len ? len : 1);
	vt_fill(n, want, len);
	int bad = ml != (size_t)el || memcmp(m, meta, ml) || dl != len || memcmp(d, want, len);
	free(want);
	free(m);
	free(d);
	return bad;
}

static inline bool vt_is_corrupt(struct vstore *s)
{
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	return st.state_corrupt;
}

/* The object file with the highest file number (the one written last). */
static inline void vt_newest_obj(const char *state, char *out, size_t len)
{
	char p[512], best[256] = "";
	DIR *d = opendir(vt_path(p, sizeof(p), state));
	REQUIRE(d != NULL);
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "obj-", 4) && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	closedir(d);
	REQUIRE(best[0] != 0);
	snprintf(out, len, "%s/%s/%s", vt_root, state, best);
}

static inline long vt_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -1 : (long)st.st_size;
}

static inline int vt_copy(const char *from, const char *to)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", from, to);
	return system(cmd);
}

static inline void vt_flip_byte(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	REQUIRE(fd >= 0);
	uint8_t b;
	REQUIRE(pread(fd, &b, 1, off) == 1);
	b ^= 0x40;
	REQUIRE(pwrite(fd, &b, 1, off) == 1);
	close(fd);
}

#endif
