// SPDX-License-Identifier: MIT
/*
 * A VM's state as one file: export for another host key and import there (the same objects),
 * export while the VM is served, import with the wrong key, of an altered or truncated file
 * (refused, the target untouched), import and reset refused while the VM is served, reset.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "vstore_test_util.h"

static const uint8_t ta = 0x77;
static struct vstore_host_key hk, hk2, hk3;

static int export_to(const char *state, const struct vstore_host_key *local,
		     const struct vstore_host_key *to, const char *file)
{
	char sp[512], fp[512], msg[256] = "";
	int fd = open(vt_path(fp, sizeof(fp), file), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	int r = vstore_export(vt_path(sp, sizeof(sp), state), NULL, NULL, local, to, fd, msg, sizeof(msg));
	close(fd);
	if (r)
		fprintf(stderr, "export: %s\n", msg);
	return r;
}

static int import_from(const char *state, const char *anchors, const struct vstore_host_key *local,
		       const struct vstore_host_key *from, const char *file, char *msg, size_t msglen)
{
	char sp[512], ap[512], fp[512];
	int fd = open(vt_path(fp, sizeof(fp), file), O_RDONLY);
	REQUIRE(fd >= 0);
	const char *vm = strrchr(state, '/') ? strrchr(state, '/') + 1 : state;
	int r = vstore_import(vt_path(sp, sizeof(sp), state), vt_path(ap, sizeof(ap), anchors), vm,
			      local, from, fd, msg, msglen);
	close(fd);
	return r;
}

/* Opens state with anchors in `anchors` (the other host's). */
static int open_at(const char *state, const char *anchors, const struct vstore_host_key *k,
		   struct vstore **s)
{
	char sp[512], ap[512], msg[256];
	struct vstore_handoff h;
	const char *vm = strrchr(state, '/') ? strrchr(state, '/') + 1 : state;
	int r = vstore_prepare(vt_path(sp, sizeof(sp), state), vt_path(ap, sizeof(ap), anchors), vm,
			       k, NULL, &h, msg, sizeof(msg));
	return r ? r : vstore_open(&h, NULL, NULL, s);
}

static void check_objects(struct vstore *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof(id), "o%u", i);
		struct vstore_key k = vt_key(ta, 0, id);
		CHECK_EQ(vt_check(s, &k, i, i * 1000), 0);
	}
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	CHECK_EQ(st.objects, n);
	CHECK(!st.state_corrupt);
}

static void test_round_trip(void)
{
	struct vstore *s, *t;
	REQUIRE_EQ(vt_open("vm1", "vm1", &hk, NULL, &s), 0);
	for (unsigned i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof(id), "o%u", i);
		struct vstore_key k = vt_key(ta, 0, id);
		CHECK_EQ(vt_put(s, &k, i, i * 1000, 0), 0);
	}
	/* taken while the VM is served */
	CHECK_EQ(export_to("vm1", &hk, &hk2, "vm1.exp"), 0);
	vstore_close(s);
	char msg[256] = "";
	/* the other host imports into a new place with its own anchors */
	CHECK_EQ(import_from("host2/vm1", "host2/anchors", &hk2, &hk2, "vm1.exp", msg, sizeof(msg)), 0);
	REQUIRE_EQ(open_at("host2/vm1", "host2/anchors", &hk2, &t), 0);
	check_objects(t, 20);
	struct vstore_key extra = vt_key(ta, 0, "new");
	CHECK_EQ(vt_put(t, &extra, 99, 10, 0), 0);
	/* import over a served VM is refused, as is a reset */
	CHECK_EQ(import_from("host2/vm1", "host2/anchors", &hk2, &hk2, "vm1.exp", msg, sizeof(msg)), -EBUSY);
	char sp[512], ap[512];
	CHECK_EQ(vstore_reset(vt_path(sp, sizeof(sp), "host2/vm1"), vt_path(ap, sizeof(ap), "host2/anchors"),
			      "vm1", msg, sizeof(msg)), -EBUSY);
	CHECK_EQ(vt_check(t, &extra, 99, 10), 0);
	vstore_close(t);
	/* an import over an existing state replaces it (the extra object goes) */
	CHECK_EQ(import_from("host2/vm1", "host2/anchors", &hk2, &hk2, "vm1.exp", msg, sizeof(msg)), 0);
	REQUIRE_EQ(open_at("host2/vm1", "host2/anchors", &hk2, &t), 0);
	check_objects(t, 20);
	CHECK_EQ(vt_check(t, &extra, 99, 10), -ENOENT);
	vstore_close(t);
	/* the original host's key does not open the imported copy */
	CHECK_EQ(open_at("host2/vm1", "host2/anchors", &hk, &t), -EKEYREJECTED);
	/* an empty state round-trips too */
	REQUIRE_EQ(vt_open("empty", "empty", &hk, NULL, &s), 0);
	vstore_close(s);
	CHECK_EQ(export_to("empty", &hk, &hk2, "empty.exp"), 0);
	CHECK_EQ(import_from("host2/empty", "host2/anchors", &hk2, &hk2, "empty.exp", msg, sizeof(msg)), 0);
	REQUIRE_EQ(open_at("host2/empty", "host2/anchors", &hk2, &t), 0);
	check_objects(t, 0);
	vstore_close(t);
}

/* The target "host2/vm1" must still hold the 20 objects and open cleanly. */
static void check_target_untouched(void)
{
	struct vstore *t;
	REQUIRE_EQ(open_at("host2/vm1", "host2/anchors", &hk2, &t), 0);
	check_objects(t, 20);
	vstore_close(t);
	char p[512];
	CHECK(access(vt_path(p, sizeof(p), "host2/.vm1.import"), F_OK) != 0);
}

static void test_refused(void)
{
	char msg[256] = "";
	/* wrapped for hk2: hk3 cannot import it */
	CHECK_EQ(import_from("host2/vm1", "host2/anchors", &hk3, &hk3, "vm1.exp", msg, sizeof(msg)), -EKEYREJECTED);
	CHECK(strstr(msg, hk2.id) && strstr(msg, hk3.id));
	check_target_untouched();
	/* one byte altered anywhere: header, key, records, MAC */
	char fp[512], cp[512];
	long size = vt_file_size(vt_path(fp, sizeof(fp), "vm1.exp"));
	REQUIRE(size > 200);
	long offs[] = { 0, 20, 50, 80, 116, 120, 200, size / 2, size - 40, size - 1 };
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		CHECK_EQ(vt_copy(fp, vt_path(cp, sizeof(cp), "bad.exp")), 0);
		vt_flip_byte(cp, offs[i]);
		int r = import_from("host2/vm1", "host2/anchors", &hk2, &hk2, "bad.exp", msg, sizeof(msg));
		CHECK(r == -EBADMSG || (offs[i] >= 16 && offs[i] < 32 && r == -EKEYREJECTED));
	}
	check_target_untouched();
	/* truncated, and with bytes appended */
	srand(5);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_EQ(vt_copy(fp, cp), 0);
		CHECK_EQ(truncate(cp, i ? rand() % size : size - 1), 0);
		CHECK_EQ(import_from("host2/vm1", "host2/anchors", &hk2, &hk2, "bad.exp", msg, sizeof(msg)), -EBADMSG);
	}
	CHECK_EQ(vt_copy(fp, cp), 0);
	CHECK_EQ(truncate(cp, size + 1), 0);
	CHECK_EQ(import_from("host2/vm1", "host2/anchors", &hk2, &hk2, "bad.exp", msg, sizeof(msg)), -EBADMSG);
	check_target_untouched();
	/* an export of a state this host key does not own */
	CHECK_EQ(export_to("vm1", &hk3, &hk2, "x.exp"), -EKEYREJECTED);
}

static void test_reset(void)
{
	char sp[512], ap[512], msg[256] = "";
	CHECK_EQ(vstore_reset(vt_path(sp, sizeof(sp), "host2/vm1"), vt_path(ap, sizeof(ap), "host2/anchors"),
			      "vm1", msg, sizeof(msg)), 0);
	CHECK(access(sp, F_OK) != 0);
	CHECK(vt_anchor(ap, sizeof(ap), "host2/anchors", "vm1")[0] == 0);
	struct vstore *t;
	REQUIRE_EQ(open_at("host2/vm1", "host2/anchors", &hk2, &t), 0);
	CHECK(!vt_is_corrupt(t));
	check_objects(t, 0);
	vstore_close(t);
	/* reset of a VM that has no state is fine */
	CHECK_EQ(vstore_reset(vt_path(sp, sizeof(sp), "none"), vt_path(ap, sizeof(ap), "anchors"), "none",
			      msg, sizeof(msg)), 0);
}

struct writer {
	struct vstore *s;
	_Atomic int stop;
	int bad;
};

static void *keep_writing(void *arg)
{
	struct writer *w = arg;
	for (uint32_t i = 0; !w->stop; i++) {
		char id[16];
		snprintf(id, sizeof(id), "w%u", i % 7);
		struct vstore_key k = vt_key(ta, 0, id);
		w->bad += vt_put(w->s, &k, i, 500 + i % 1000, 0) != 0;
		if (i % 5 == 4)
			w->bad += vstore_delete(w->s, &k) != 0;
	}
	return NULL;
}

/* Exports taken while another thread commits are each a whole version: all objects readable. */
static void test_export_while_writing(void)
{
	struct vstore *s, *t;
	struct writer w = { 0 };
	REQUIRE_EQ(vt_open("busy", "busy", &hk, NULL, &s), 0);
	w.s = s;
	pthread_t th;
	REQUIRE_EQ(pthread_create(&th, NULL, keep_writing, &w), 0);
	char msg[256] = "";
	for (unsigned round = 0; round < 5; round++) {
		CHECK_EQ(export_to("busy", &hk, &hk2, "busy.exp"), 0);
		CHECK_EQ(import_from("host2/busy", "host2/anchors", &hk2, &hk2, "busy.exp", msg, sizeof(msg)), 0);
		REQUIRE_EQ(open_at("host2/busy", "host2/anchors", &hk2, &t), 0);
		CHECK(!vt_is_corrupt(t));
		struct vstore_key k, *after = NULL;
		uint64_t dl;
		unsigned n = 0;
		void *m, *d;
		size_t ml, l;
		uint8_t uuid[16];
		memset(uuid, ta, sizeof(uuid));
		while (vstore_next(t, uuid, 0, after, &k, &dl) == 0) {
			CHECK_EQ(vstore_get(t, &k, &m, &ml, &d, &l), 0);
			free(m);
			free(d);
			after = &k;
			n++;
		}
		struct vstore_stats st;
		vstore_get_stats(t, &st);
		CHECK_EQ(n, st.objects);
		vstore_close(t);
	}
	w.stop = 1;
	pthread_join(th, NULL);
	CHECK_EQ(w.bad, 0);
	vstore_close(s);
}

int main(void)
{
	vt_setup("test-vstore-export");
	vt_host_key("host.key", &hk);
	vt_host_key("host2.key", &hk2);
	vt_host_key("host3.key", &hk3);
	test_round_trip();
	test_refused();
	test_reset();
	test_export_while_writing();
	return check_report();
}
