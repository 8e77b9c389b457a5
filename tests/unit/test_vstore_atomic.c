// SPDX-License-Identifier: MIT
/*
 * Crash points of import, reset and the first anchor write, made by hand (the files as a crash
 * at that point leaves them): the next prepare + open must find the old state with its anchor or
 * the new one with its anchor, never a state flagged corrupt.
 */
#include "vstore_test_util.h"

static const uint8_t ta = 0x55;
static struct vstore_host_key hk;

static void put_objects(const char *state, unsigned n, uint32_t seed)
{
	struct vstore *s;
	REQUIRE_EQ(vt_open(state, state, &hk, NULL, &s), 0);
	for (unsigned i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof(id), "o%u", i);
		struct vstore_key k = vt_key(ta, 0, id);
		REQUIRE_EQ(vt_put(s, &k, seed + i, 100 + i, 0), 0);
	}
	vstore_close(s);
}

/* 0 if the store opens sane with objects o0..o<n-1> of content seed+i, else 1. */
static int state_holds(const char *state, unsigned n, uint32_t seed)
{
	struct vstore *s;
	if (vt_open(state, state, &hk, NULL, &s))
		return 1;
	int bad = vt_is_corrupt(s);
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	bad |= st.objects != n;
	for (unsigned i = 0; i < n && !bad; i++) {
		char id[16];
		snprintf(id, sizeof(id), "o%u", i);
		struct vstore_key k = vt_key(ta, 0, id);
		bad |= vt_check(s, &k, seed + i, 100 + i) != 0;
	}
	vstore_close(s);
	return bad;
}

static int import_file(const char *state, const char *file)
{
	char sp[512], ap[512], fp[512], msg[256] = "";
	int fd = open(vt_path(fp, sizeof(fp), file), O_RDONLY);
	REQUIRE(fd >= 0);
	int r = vstore_import(vt_path(sp, sizeof(sp), state), vt_path(ap, sizeof(ap), "anchors"), state,
			      &hk, &hk, fd, msg, sizeof(msg));
	close(fd);
	if (r)
		fprintf(stderr, "import: %s\n", msg);
	return r;
}

static int export_file(const char *state, const char *file)
{
	char sp[512], ap[512], fp[512], msg[256] = "";
	int fd = open(vt_path(fp, sizeof(fp), file), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	int r = vstore_export(vt_path(sp, sizeof(sp), state), vt_path(ap, sizeof(ap), "anchors"), state,
			      &hk, &hk, fd, msg, sizeof(msg));
	close(fd);
	if (r)
		fprintf(stderr, "export: %s\n", msg);
	return r;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE_EQ(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static size_t read_file(const char *path, uint8_t *buf, size_t max)
{
	int fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	ssize_t n = read(fd, buf, max);
	close(fd);
	REQUIRE(n >= 0);
	return (size_t)n;
}

/* A crash after the exchange, before the anchor moved: the new state, the old anchor, its .new. */
static void test_import_crash_after_exchange(void)
{
	char ap[512], np[600];
	uint8_t old_anchor[512], new_anchor[512];
	put_objects("src", 3, 100);
	REQUIRE_EQ(export_file("src", "src.exp"), 0);
	put_objects("dst", 5, 200);
	size_t ol = read_file(vt_anchor(ap, sizeof(ap), "anchors", "dst"), old_anchor, sizeof(old_anchor));
	REQUIRE_EQ(import_file("dst", "src.exp"), 0);
	CHECK_EQ(state_holds("dst", 3, 100), 0);
	size_t nl = read_file(ap, new_anchor, sizeof(new_anchor));
	snprintf(np, sizeof(np), "%s.new", ap);
	write_file(np, new_anchor, nl);
	write_file(ap, old_anchor, ol);
	CHECK_EQ(state_holds("dst", 3, 100), 0);
	CHECK(access(np, F_OK) != 0);
	/* a crash after the truncate of the old code: an empty anchor and the .new */
	write_file(np, new_anchor, nl);
	write_file(ap, "", 0);
	CHECK_EQ(state_holds("dst", 3, 100), 0);
}

/* A crash before the exchange: the old state, its anchor, a .new made for the staged state. */
static void test_import_crash_before_exchange(void)
{
	char ap[512], np[600];
	uint8_t buf[512];
	put_objects("b", 2, 300);
	vt_anchor(ap, sizeof(ap), "anchors", "dst");
	size_t l = read_file(ap, buf, sizeof(buf)); /* dst's anchor: another state's for b */
	vt_anchor(ap, sizeof(ap), "anchors", "b");
	snprintf(np, sizeof(np), "%s.new", ap);
	write_file(np, buf, l);
	CHECK_EQ(state_holds("b", 2, 300), 0);
	CHECK(access(np, F_OK) != 0);
}

/* A crash in the middle of a reset: the anchor renamed to .reset, the state still there. */
static void test_reset_crash(void)
{
	char ap[512], rp[600];
	put_objects("r", 4, 400);
	vt_anchor(ap, sizeof(ap), "anchors", "r");
	snprintf(rp, sizeof(rp), "%s.reset", ap);
	REQUIRE_EQ(rename(ap, rp), 0);
	CHECK_EQ(state_holds("r", 0, 0), 0);
	CHECK(access(rp, F_OK) != 0);
	/* and after the state was moved away: a fresh state, the .reset gone */
	put_objects("r", 1, 500);
	vt_anchor(ap, sizeof(ap), "anchors", "r");
	REQUIRE_EQ(rename(ap, rp), 0);
	vt_rmtree(vt_path(ap, sizeof(ap), "r"));
	CHECK_EQ(state_holds("r", 0, 0), 0);
	CHECK(access(rp, F_OK) != 0);
}

/* prepare makes a new state's anchor whole: a torn first write cannot leave a foreign-looking one */
static void test_first_anchor(void)
{
	char sp[512], ap[512], msg[256] = "";
	struct vstore_handoff h;
	REQUIRE_EQ(vstore_prepare(vt_path(sp, sizeof(sp), "fresh"), vt_path(ap, sizeof(ap), "anchors"),
				  "fresh", &hk, NULL, &h, msg, sizeof(msg)), 0);
	CHECK_EQ(vt_file_size(vt_anchor(ap, sizeof(ap), "anchors", "fresh")), 256);
	vstore_handoff_close(&h);
	/* a torn write of version 1 into its slot: version 0 stands, the store opens sane */
	struct vstore *s;
	REQUIRE_EQ(vt_open("fresh", "fresh", &hk, NULL, &s), 0);
	struct vstore_key k = vt_key(ta, 0, "x");
	REQUIRE_EQ(vt_put(s, &k, 1, 10, 0), 0);
	vstore_close(s);
	int fd = open(ap, O_WRONLY);
	REQUIRE(fd >= 0);
	REQUIRE_EQ(pwrite(fd, "VTEEANC1torn", 12, 128), 12);
	close(fd);
	REQUIRE_EQ(vt_open("fresh", "fresh", &hk, NULL, &s), 0);
	CHECK(!vt_is_corrupt(s));
	CHECK_EQ(vt_check(s, &k, 1, 10), 0);
	vstore_close(s);
}

/* An export refuses a rolled-back state directory (the anchor has moved on). */
static void test_export_rollback(void)
{
	char sp[512], cp[512], fp[512], msg[256] = "";
	put_objects("e", 2, 600);
	CHECK_EQ(export_file("e", "e1.exp"), 0);
	REQUIRE_EQ(vt_copy(vt_path(sp, sizeof(sp), "e"), vt_path(cp, sizeof(cp), "e-old")), 0);
	put_objects("e", 3, 700);
	vt_rmtree(sp);
	REQUIRE_EQ(rename(cp, sp), 0);
	int fd = open(vt_path(fp, sizeof(fp), "e2.exp"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	CHECK_EQ(vstore_export(sp, vt_path(cp, sizeof(cp), "anchors"), "e", &hk, &hk, fd, msg,
			       sizeof(msg)), -EBADMSG);
	CHECK(strstr(msg, "anchor") != NULL);
	/* without an anchor directory there is nothing to check against */
	CHECK_EQ(vstore_export(sp, NULL, NULL, &hk, &hk, fd, msg, sizeof(msg)), 0);
	close(fd);
	/* a state one commit ahead of its anchor (a crash before the anchor write) exports */
	char ap[512];
	uint8_t anchor[512];
	put_objects("f", 1, 800);
	size_t l = read_file(vt_anchor(ap, sizeof(ap), "anchors", "f"), anchor, sizeof(anchor));
	put_objects("f", 1, 900);
	write_file(ap, anchor, l);
	CHECK_EQ(export_file("f", "f.exp"), 0);
}

int main(void)
{
	vt_setup("test-vstore-atomic");
	vt_host_key("host.key", &hk);
	test_import_crash_after_exchange();
	test_import_crash_before_exchange();
	test_reset_crash();
	test_first_anchor();
	test_export_rollback();
	return check_report();
}
