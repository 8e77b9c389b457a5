// SPDX-License-Identifier: MIT
/*
 * The storage engine (lib/store) as its users see it: the host key file, put/get/rename/delete
 * and enumeration semantics, errors, quotas, persistence across reopen, the owner lock, another
 * host key.
 */
#include <pthread.h>
#include <sys/file.h>
#include <time.h>

#include "vstore_test_util.h"

static const uint8_t ta1 = 0x11, ta2 = 0x22;

static void test_host_key(void)
{
	struct vstore_host_key a, b;
	char p[512], msg[256] = "";
	vt_host_key("keys/host.key", &a);
	vt_host_key("keys/host.key", &b);
	CHECK(!memcmp(a.key, b.key, sizeof(a.key)));
	CHECK(!strcmp(a.id, b.id));
	CHECK_EQ(strlen(a.id), 16);
	struct stat st;
	CHECK(!stat(vt_path(p, sizeof(p), "keys/host.key"), &st) && (st.st_mode & 0777) == 0600);
	CHECK(!stat(vt_path(p, sizeof(p), "keys"), &st) && (st.st_mode & 0777) == 0700);
	CHECK(!chmod(vt_path(p, sizeof(p), "keys/host.key"), 0644));
	CHECK_EQ(vstore_host_key_load(p, false, &b, msg, sizeof(msg)), -EPERM);
	CHECK(strstr(msg, "0600") != NULL);
	CHECK(!chmod(p, 0600));
	CHECK_EQ(vstore_host_key_load(vt_path(p, sizeof(p), "keys/none"), false, &b, msg, sizeof(msg)),
		 -ENOENT);
	/* a file of the wrong size */
	int fd = open(vt_path(p, sizeof(p), "keys/short"), O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "abc", 3) == 3);
	close(fd);
	CHECK_EQ(vstore_host_key_load(p, true, &b, msg, sizeof(msg)), -EINVAL);
}

static void test_semantics(const struct vstore_host_key *hk)
{
	struct vstore *s;
	REQUIRE_EQ(vt_open("sem", "sem", hk, NULL, &s), 0);
	struct vstore_key a = vt_key(ta1, VSTORE_NS_TA, "a"), b = vt_key(ta1, VSTORE_NS_TA, "bb");
	struct vstore_key a2 = vt_key(ta2, VSTORE_NS_TA, "a"), t = vt_key(ta1, VSTORE_NS_TEE, "a");
	void *m, *d;
	size_t ml, dl;
	CHECK_EQ(vstore_get(s, &a, &m, &ml, &d, &dl), -ENOENT);
	CHECK_EQ(vt_put(s, &a, 1, 100, VSTORE_PUT_NEW), 0);
	CHECK_EQ(vt_put(s, &a, 2, 100, VSTORE_PUT_NEW), -EEXIST);
	CHECK_EQ(vt_check(s, &a, 1, 100), 0);
	CHECK_EQ(vt_put(s, &a, 3, 5000, 0), 0); /* replace */
	CHECK_EQ(vt_check(s, &a, 3, 5000), 0);
	/* same id, other TA and other namespace: other objects */
	CHECK_EQ(vt_check(s, &a2, 3, 5000), -ENOENT);
	CHECK_EQ(vt_put(s, &a2, 4, 0, 0), 0);
	CHECK_EQ(vt_put(s, &t, 5, 7, 0), 0);
	CHECK_EQ(vt_check(s, &a2, 4, 0), 0);
	CHECK_EQ(vt_check(s, &t, 5, 7), 0);
	CHECK_EQ(vt_check(s, &a, 3, 5000), 0);
	/* empty meta and data */
	struct vstore_key e = vt_key(ta1, VSTORE_NS_TA, "");
	CHECK_EQ(vstore_put(s, &e, NULL, 0, NULL, 0, 0), 0);
	CHECK_EQ(vstore_get(s, &e, &m, &ml, &d, &dl), 0);
	CHECK(m && d && ml == 0 && dl == 0);
	free(m);
	free(d);
	/* rename */
	CHECK_EQ(vstore_rename(s, &a, (const uint8_t *)"bb", 2), 0);
	CHECK_EQ(vt_check(s, &a, 3, 5000), -ENOENT);
	CHECK_EQ(vt_check(s, &b, 3, 5000), 0);
	CHECK_EQ(vstore_rename(s, &a, (const uint8_t *)"cc", 2), -ENOENT);
	CHECK_EQ(vt_put(s, &a, 6, 10, 0), 0);
	CHECK_EQ(vstore_rename(s, &a, (const uint8_t *)"bb", 2), -EEXIST);
	CHECK_EQ(vt_check(s, &a, 6, 10), 0);
	CHECK_EQ(vt_check(s, &b, 3, 5000), 0);
	/* delete */
	CHECK_EQ(vstore_delete(s, &a), 0);
	CHECK_EQ(vstore_delete(s, &a), -ENOENT);
	CHECK_EQ(vt_check(s, &a, 6, 10), -ENOENT);
	/* bad arguments */
	struct vstore_key bad = a;
	bad.id_len = VSTORE_ID_MAX + 1;
	CHECK_EQ(vstore_get(s, &bad, &m, &ml, &d, &dl), -EINVAL);
	CHECK_EQ(vstore_put(s, &bad, NULL, 0, NULL, 0, 0), -EINVAL);
	bad = a;
	bad.ns = 7;
	CHECK_EQ(vstore_delete(s, &bad), -EINVAL);
	CHECK_EQ(vstore_put(s, &a, "x", VSTORE_META_MAX + 1, NULL, 0, 0), -EINVAL);
	CHECK_EQ(vstore_rename(s, &b, (const uint8_t *)"x", VSTORE_ID_MAX + 1), -EINVAL);
	struct vstore_key longest = a;
	longest.id_len = VSTORE_ID_MAX;
	memset(longest.id, 'z', VSTORE_ID_MAX);
	CHECK_EQ(vt_put(s, &longest, 7, 1, 0), 0);
	CHECK_EQ(vt_check(s, &longest, 7, 1), 0);
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	CHECK_EQ(st.objects, 5); /* ta1: "", bb, z*64; ta2: a; ta1 TEE: a */
	CHECK_EQ(st.bytes, 5000 + 2 + 0 + 2 + 1 + 2 + 7 + 2 + 0 + 0);
	CHECK_CMP(st.bytes_on_disk, >, st.bytes);
	CHECK_EQ(st.version, st.commits);
	CHECK(!st.state_corrupt);
	vstore_close(s);
}

static void test_next(const struct vstore_host_key *hk)
{
	struct vstore *s;
	REQUIRE_EQ(vt_open("next", "next", hk, NULL, &s), 0);
	const char *ids[] = { "b", "a", "ab", "zz", "aaa", "" };
	for (unsigned i = 0; i < 6; i++) {
		struct vstore_key k = vt_key(ta1, VSTORE_NS_TA, ids[i]);
		CHECK_EQ(vt_put(s, &k, i, i, 0), 0);
	}
	struct vstore_key other = vt_key(ta2, VSTORE_NS_TA, "a"), tee = vt_key(ta1, VSTORE_NS_TEE, "a");
	struct vstore_key low = vt_key(0x01, VSTORE_NS_TA, "q");
	CHECK_EQ(vt_put(s, &other, 9, 1, 0), 0);
	CHECK_EQ(vt_put(s, &tee, 9, 1, 0), 0);
	CHECK_EQ(vt_put(s, &low, 9, 1, 0), 0);
	/* by (id_len, id) */
	const char *want[] = { "", "a", "b", "ab", "zz", "aaa" };
	struct vstore_key cur, *after = NULL;
	uint8_t uuid[16];
	memset(uuid, ta1, sizeof(uuid));
	unsigned n = 0;
	uint64_t dl;
	while (vstore_next(s, uuid, VSTORE_NS_TA, after, &cur, &dl) == 0) {
		CHECK(n < 6 && cur.id_len == strlen(want[n]) && !memcmp(cur.id, want[n], cur.id_len));
		CHECK(!memcmp(cur.uuid, uuid, 16) && cur.ns == VSTORE_NS_TA);
		n++;
		after = &cur;
		if (n > 10)
			break;
	}
	CHECK_EQ(n, 6);
	/* from an id that is not there */
	struct vstore_key gap = vt_key(ta1, VSTORE_NS_TA, "c");
	CHECK_EQ(vstore_next(s, uuid, VSTORE_NS_TA, &gap, &cur, &dl), 0);
	CHECK(cur.id_len == 2 && !memcmp(cur.id, "ab", 2));
	memset(uuid, 0x33, sizeof(uuid));
	CHECK_EQ(vstore_next(s, uuid, VSTORE_NS_TA, NULL, &cur, &dl), -ENOENT);
	memset(uuid, ta1, sizeof(uuid));
	CHECK_EQ(vstore_next(s, uuid, VSTORE_NS_TEE, NULL, &cur, &dl), 0);
	CHECK(cur.ns == VSTORE_NS_TEE && cur.id_len == 1 && dl == 1);
	CHECK_EQ(vstore_next(s, uuid, VSTORE_NS_TEE, &cur, &cur, &dl), -ENOENT);
	vstore_close(s);
}

static void test_quota(const struct vstore_host_key *hk)
{
	struct vstore *s;
	struct vstore_quota q = { .max_objects = 3, .max_bytes = 1000 };
	REQUIRE_EQ(vt_open("quota", "quota", hk, &q, &s), 0);
	struct vstore_key k[4] = { vt_key(ta1, 0, "0"), vt_key(ta1, 0, "1"), vt_key(ta1, 0, "2"),
				   vt_key(ta1, 0, "3") };
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(vt_put(s, &k[i], i, 100, 0), 0);
	CHECK_EQ(vt_put(s, &k[3], 3, 1, 0), -EDQUOT);
	CHECK_EQ(vt_check(s, &k[3], 3, 1), -ENOENT);
	CHECK_EQ(vt_put(s, &k[0], 5, 200, 0), 0); /* a replacement adds no object */
	CHECK_EQ(vt_put(s, &k[1], 6, 1000, 0), -EDQUOT); /* bytes: 200 + 1000 + 100 + metas */
	CHECK_EQ(vt_check(s, &k[1], 1, 100), 0);
	CHECK_EQ(vstore_delete(s, &k[2]), 0);
	CHECK_EQ(vt_put(s, &k[3], 3, 1, 0), 0);
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	CHECK_EQ(st.objects, 3);
	CHECK_CMP(st.bytes, <=, 1000);
	vstore_close(s);
}

static void test_persistence(const struct vstore_host_key *hk, const struct vstore_host_key *hk2)
{
	struct vstore *s, *s2;
	REQUIRE_EQ(vt_open("pers", "pers", hk, NULL, &s), 0);
	struct vstore_key k = vt_key(ta1, 0, "keep"), gone = vt_key(ta1, 0, "gone");
	struct vstore_key r = vt_key(ta2, 0, "renamed");
	CHECK_EQ(vt_put(s, &k, 1, 3000, 0), 0);
	CHECK_EQ(vt_put(s, &gone, 2, 10, 0), 0);
	CHECK_EQ(vt_put(s, &r, 3, 10, 0), 0);
	CHECK_EQ(vstore_rename(s, &r, (const uint8_t *)"r2", 2), 0);
	CHECK_EQ(vstore_delete(s, &gone), 0);
	/* a second server of the same VM is refused */
	CHECK_EQ(vt_open("pers", "pers", hk, NULL, &s2), -EBUSY);
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	uint64_t version = st.version;
	vstore_close(s);
	REQUIRE_EQ(vt_open("pers", "pers", hk, NULL, &s), 0);
	vstore_get_stats(s, &st);
	CHECK_EQ(st.version, version);
	CHECK_EQ(st.objects, 2);
	CHECK(!st.state_corrupt);
	CHECK_EQ(vt_check(s, &k, 1, 3000), 0);
	CHECK_EQ(vt_check(s, &gone, 2, 10), -ENOENT);
	r = vt_key(ta2, 0, "r2");
	CHECK_EQ(vt_check(s, &r, 3, 10), 0);
	/* no leftover files: vm.key, manifest, lock, owner and the two objects */
	char p[512];
	DIR *d = opendir(vt_path(p, sizeof(p), "pers"));
	unsigned files = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		files += e->d_name[0] != '.';
	if (d)
		closedir(d);
	CHECK_EQ(files, 6);
	vstore_close(s);
	/* the state is bound to its host key */
	char sp[512], ap[512], msg[256] = "";
	struct vstore_handoff h;
	CHECK_EQ(vstore_prepare(vt_path(sp, sizeof(sp), "pers"), vt_path(ap, sizeof(ap), "anchors"),
				"pers", hk2, NULL, &h, msg, sizeof(msg)), -EKEYREJECTED);
	CHECK(strstr(msg, hk2->id) != NULL);
	CHECK_EQ(h.dir_fd, -1);
	/* a bad VM name */
	CHECK_EQ(vstore_prepare(sp, ap, "../x", hk, NULL, &h, msg, sizeof(msg)), -EINVAL);
}

/* Without an anchor directory: no rollback anchor, the rest the same. */
static void test_no_anchor(const struct vstore_host_key *hk)
{
	char sp[512], msg[256] = "";
	struct vstore_handoff h;
	struct vstore *s;
	struct vstore_key k = vt_key(ta1, 0, "k");
	for (unsigned round = 0; round < 2; round++) {
		REQUIRE_EQ(vstore_prepare(vt_path(sp, sizeof(sp), "noanchor"), NULL, "noanchor", hk, NULL,
					  &h, msg, sizeof(msg)), 0);
		CHECK_EQ(h.anchor_fd, -1);
		REQUIRE_EQ(vstore_open(&h, NULL, NULL, &s), 0);
		CHECK_EQ(vt_check(s, &k, 1, 10), round ? 0 : -ENOENT);
		CHECK_EQ(vt_put(s, &k, 1, 10, 0), 0);
		vstore_close(s);
	}
}

struct worker {
	struct vstore *s;
	unsigned n;
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (unsigned i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof(id), "t%u-%u", w->n, i % 5);
		struct vstore_key k = vt_key(ta1, 0, id);
		w->bad += vt_put(w->s, &k, w->n * 100 + i, 64 + i, 0) != 0;
		w->bad += vt_check(w->s, &k, w->n * 100 + i, 64 + i) != 0;
		if (i % 3 == 0)
			w->bad += vstore_delete(w->s, &k) != 0;
	}
	return NULL;
}

/* One store, four threads (calls are serialised inside). */
static void test_threads(const struct vstore_host_key *hk)
{
	struct vstore *s;
	REQUIRE_EQ(vt_open("threads", "threads", hk, NULL, &s), 0);
	pthread_t t[4];
	struct worker w[4];
	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct worker){ .s = s, .n = i };
		REQUIRE_EQ(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(w[i].bad, 0);
	}
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	CHECK_EQ(st.commits, 4 * (20 + 7));
	vstore_close(s);
}

/* One VM name, two state directories (vtee run --state A, then --state B): two anchors, and each
 * directory keeps its objects. */
static void test_two_dirs_one_name(const struct vstore_host_key *hk)
{
	struct vstore *s;
	struct vstore_key k = vt_key(7, VSTORE_NS_TA, "kept");
	REQUIRE_EQ(vt_open("dirA", "same", hk, NULL, &s), 0);
	CHECK_EQ(vt_put(s, &k, 1, 100, 0), 0);
	vstore_close(s);
	REQUIRE_EQ(vt_open("dirB", "same", hk, NULL, &s), 0);
	CHECK(!vt_is_corrupt(s));
	CHECK_EQ(vt_check(s, &k, 1, 100), -ENOENT);
	CHECK_EQ(vt_put(s, &k, 2, 50, 0), 0);
	vstore_close(s);
	REQUIRE_EQ(vt_open("dirA", "same", hk, NULL, &s), 0);
	CHECK(!vt_is_corrupt(s));
	CHECK_EQ(vt_check(s, &k, 1, 100), 0);
	vstore_close(s);
}

struct stalled_put {
	struct vstore *s;
	int r;
};

static void *put_thread(void *arg)
{
	struct stalled_put *p = arg;
	struct vstore_key k = vt_key(9, VSTORE_NS_TA, "stalled");
	p->r = vt_put(p->s, &k, 3, 10, 0);
	return NULL;
}

static void *stats_thread(void *arg)
{
	struct vstore_stats st;
	vstore_get_stats(arg, &st);
	return NULL;
}

/* A status query never waits for a commit: here one stalled by an export's shared lock. */
static void test_stats_during_commit(const struct vstore_host_key *hk)
{
	struct vstore *s;
	REQUIRE_EQ(vt_open("stall", "stall", hk, NULL, &s), 0);
	char lp[512];
	int lfd = open(vt_path(lp, sizeof(lp), "stall/lock"), O_RDWR | O_CLOEXEC);
	REQUIRE(lfd >= 0);
	REQUIRE_EQ(flock(lfd, LOCK_SH), 0);
	struct stalled_put p = { .s = s };
	pthread_t put, stats;
	REQUIRE_EQ(pthread_create(&put, NULL, put_thread, &p), 0);
	usleep(200 * 1000); /* the put is now in its commit, waiting for the lock */
	REQUIRE_EQ(pthread_create(&stats, NULL, stats_thread, s), 0);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	int joined = pthread_timedjoin_np(stats, NULL, &until);
	CHECK_EQ(joined, 0);
	flock(lfd, LOCK_UN);
	close(lfd);
	pthread_join(put, NULL);
	if (joined)
		pthread_join(stats, NULL);
	CHECK_EQ(p.r, 0);
	vstore_close(s);
}

int main(void)
{
	vt_setup("test-vstore");
	struct vstore_host_key hk, hk2;
	test_host_key();
	vt_host_key("host.key", &hk);
	vt_host_key("other.key", &hk2);
	CHECK(strcmp(hk.id, hk2.id) != 0);
	test_semantics(&hk);
	test_next(&hk);
	test_quota(&hk);
	test_persistence(&hk, &hk2);
	test_no_anchor(&hk);
	test_threads(&hk);
	test_two_dirs_one_name(&hk);
	test_stats_during_commit(&hk);
	return check_report();
}
