// SPDX-License-Identifier: MIT
/*
 * The storage engine against someone with the host's files in hand: an object file altered,
 * replaced by an older version of itself, or deleted (that object, and only it, answers
 * -EBADMSG); the manifest or the whole directory replaced by an older copy, the directory
 * deleted while its anchor stays, the anchor deleted (the whole state is corrupt); every file
 * truncated at random offsets (detected, never a crash, never wrong data).
 */
#include "vstore_test_util.h"

static const uint8_t ta = 0x5a;
static struct vstore_host_key hk;

/* A fresh state with objects "a" (1, 300 bytes) and "b" (2, 40 bytes). */
static void make_state(const char *state)
{
	struct vstore *s;
	REQUIRE_EQ(vt_open(state, state, &hk, NULL, &s), 0);
	struct vstore_key a = vt_key(ta, 0, "a"), b = vt_key(ta, 0, "b");
	CHECK_EQ(vt_put(s, &a, 1, 300, 0), 0);
	CHECK_EQ(vt_put(s, &b, 2, 40, 0), 0);
	vstore_close(s);
}

static void test_object_files(void)
{
	make_state("obj");
	struct vstore *s;
	struct vstore_key a = vt_key(ta, 0, "a"), b = vt_key(ta, 0, "b");
	char fb[600], old[600], p[512];
	vt_newest_obj("obj", fb, sizeof(fb)); /* b's file */
	/* altered: one byte of the ciphertext */
	vt_flip_byte(fb, 50);
	REQUIRE_EQ(vt_open("obj", "obj", &hk, NULL, &s), 0);
	CHECK(!vt_is_corrupt(s));
	int lines = vt_log_lines;
	CHECK_EQ(vt_check(s, &b, 2, 40), -EBADMSG);
	CHECK_EQ(vt_check(s, &b, 2, 40), -EBADMSG);
	CHECK_EQ(vt_log_lines, lines + 1); /* logged once */
	CHECK(strstr(vt_log_last, "fails its checks") != NULL);
	CHECK_EQ(vt_check(s, &a, 1, 300), 0);
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	CHECK_EQ(st.corrupt_objects, 2);
	/* a corrupt object can be replaced or deleted */
	CHECK_EQ(vt_put(s, &b, 3, 40, 0), 0);
	CHECK_EQ(vt_check(s, &b, 3, 40), 0);
	/* an older version of the same object */
	vt_newest_obj("obj", fb, sizeof(fb));
	CHECK_EQ(vt_copy(fb, vt_path(old, sizeof(old), "b.old")), 0);
	CHECK_EQ(vt_put(s, &b, 4, 40, 0), 0);
	vt_newest_obj("obj", fb, sizeof(fb));
	CHECK_EQ(rename(old, fb), 0);
	CHECK_EQ(vt_check(s, &b, 4, 40), -EBADMSG);
	CHECK_EQ(vt_check(s, &b, 3, 40), -EBADMSG);
	/* an object file moved under another object's name */
	CHECK_EQ(vt_put(s, &b, 5, 300, 0), 0);
	vt_newest_obj("obj", fb, sizeof(fb));
	CHECK_EQ(vstore_delete(s, &a), 0);
	CHECK_EQ(vt_put(s, &a, 1, 300, 0), 0);
	vt_newest_obj("obj", old, sizeof(old));
	CHECK_EQ(vt_copy(fb, old), 0);
	CHECK_EQ(vt_check(s, &a, 1, 300), -EBADMSG);
	CHECK_EQ(vt_check(s, &b, 5, 300), 0);
	/* deleted */
	CHECK_EQ(unlink(fb), 0);
	CHECK_EQ(vt_check(s, &b, 5, 300), -EBADMSG);
	vstore_close(s);
	/* and after a reopen, still (nothing "repaired" the state) */
	REQUIRE_EQ(vt_open("obj", "obj", &hk, NULL, &s), 0);
	CHECK(!vt_is_corrupt(s));
	CHECK_EQ(vt_check(s, &b, 5, 300), -EBADMSG);
	/* a symlink in place of an object is not followed, even to the object's own bytes */
	vt_newest_obj("obj", old, sizeof(old)); /* a's file */
	CHECK_EQ(vt_check(s, &a, 1, 300), -EBADMSG); /* it holds b's bytes (above) */
	CHECK_EQ(vt_put(s, &a, 1, 300, 0), 0);
	REQUIRE_EQ(vt_check(s, &a, 1, 300), 0);
	vt_newest_obj("obj", old, sizeof(old));
	CHECK_EQ(rename(old, vt_path(p, sizeof(p), "a.real")), 0);
	CHECK_EQ(symlink(p, old), 0);
	CHECK_EQ(vt_check(s, &a, 1, 300), -EBADMSG);
	/* nor is a FIFO waited on */
	CHECK_EQ(unlink(old), 0);
	CHECK_EQ(mkfifo(old, 0600), 0);
	CHECK_EQ(vt_check(s, &a, 1, 300), -EBADMSG);
	vstore_close(s);
	/* a FIFO in place of the manifest: the state is corrupt, the open returns */
	CHECK_EQ(unlink(vt_path(p, sizeof(p), "obj/manifest")), 0);
	CHECK_EQ(mkfifo(p, 0600), 0);
	REQUIRE_EQ(vt_open("obj", "obj", &hk, NULL, &s), 0);
	CHECK(vt_is_corrupt(s));
	vstore_close(s);
}

static void test_rollback(void)
{
	make_state("rb");
	char m[512], saved[512], dir[512], dsaved[512];
	CHECK_EQ(vt_copy(vt_path(m, sizeof(m), "rb/manifest"), vt_path(saved, sizeof(saved), "rb.manifest")), 0);
	CHECK_EQ(vt_copy(vt_path(dir, sizeof(dir), "rb"), vt_path(dsaved, sizeof(dsaved), "rb.dir")), 0);
	struct vstore *s;
	struct vstore_key a = vt_key(ta, 0, "a"), c = vt_key(ta, 0, "c");
	REQUIRE_EQ(vt_open("rb", "rb", &hk, NULL, &s), 0);
	CHECK_EQ(vt_put(s, &c, 9, 10, 0), 0);
	vstore_close(s);
	/* the manifest alone rolled back */
	CHECK_EQ(vt_copy(saved, m), 0);
	int lines = vt_log_lines;
	REQUIRE_EQ(vt_open("rb", "rb", &hk, NULL, &s), 0);
	CHECK(vt_is_corrupt(s));
	CHECK_EQ(vt_log_lines, lines + 1);
	CHECK(strstr(vt_log_last, "rolled back") != NULL);
	CHECK_EQ(vt_check(s, &a, 1, 300), -EBADMSG);
	CHECK_EQ(vt_put(s, &c, 9, 10, 0), -EBADMSG);
	CHECK_EQ(vstore_delete(s, &a), -EBADMSG);
	CHECK_EQ(vstore_rename(s, &a, (const uint8_t *)"x", 1), -EBADMSG);
	struct vstore_key nk;
	uint64_t dl;
	CHECK_EQ(vstore_next(s, a.uuid, 0, NULL, &nk, &dl), -EBADMSG);
	vstore_close(s);
	/* the whole directory rolled back */
	vt_rmtree(dir);
	CHECK_EQ(vt_copy(dsaved, dir), 0);
	REQUIRE_EQ(vt_open("rb", "rb", &hk, NULL, &s), 0);
	CHECK(vt_is_corrupt(s));
	CHECK_EQ(vt_check(s, &a, 1, 300), -EBADMSG);
	vstore_close(s);
	/* the directory deleted, its anchor kept: a new empty state must not pass for the VM's */
	vt_rmtree(dir);
	REQUIRE_EQ(vt_open("rb", "rb", &hk, NULL, &s), 0);
	CHECK(vt_is_corrupt(s));
	vstore_close(s);
	/* the operator resets: a new state */
	char msg[256], ap[512];
	CHECK_EQ(vstore_reset(dir, vt_path(ap, sizeof(ap), "anchors"), "rb", msg, sizeof(msg)), 0);
	REQUIRE_EQ(vt_open("rb", "rb", &hk, NULL, &s), 0);
	CHECK(!vt_is_corrupt(s));
	CHECK_EQ(vt_check(s, &a, 1, 300), -ENOENT);
	vstore_close(s);
	/* the anchor deleted while the state has commits */
	make_state("an");
	CHECK_EQ(unlink(vt_anchor(ap, sizeof(ap), "anchors", "an")), 0);
	REQUIRE_EQ(vt_open("an", "an", &hk, NULL, &s), 0);
	CHECK(vt_is_corrupt(s));
	vstore_close(s);
	/* the anchor of another VM copied over this one's */
	make_state("an2");
	char ap2[512];
	CHECK_EQ(vt_copy(vt_anchor(ap2, sizeof(ap2), "anchors", "obj"),
			 vt_anchor(ap, sizeof(ap), "anchors", "an2")), 0);
	REQUIRE_EQ(vt_open("an2", "an2", &hk, NULL, &s), 0);
	CHECK(vt_is_corrupt(s));
	vstore_close(s);
}

/* Truncates `rel` (in state "tr") at off, opens, checks, restores the pristine copy. */
static void truncate_case(const char *rel, long off, bool is_object, bool is_anchor)
{
	char p[512], cmd[4096];
	CHECK_EQ(truncate(vt_path(p, sizeof(p), rel), off), 0);
	struct vstore *s;
	struct vstore_key a = vt_key(ta, 0, "a"), b = vt_key(ta, 0, "b");
	int r = vt_open("tr", "tr", &hk, NULL, &s);
	if (!strcmp(rel, "tr/vm.key")) {
		CHECK_EQ(r, -EBADMSG);
	} else if (r == 0) {
		int ra = vt_check(s, &a, 1, 300), rb = vt_check(s, &b, 2, 40);
		if (is_object) { /* b's file: b is corrupt, a is intact */
			CHECK(!vt_is_corrupt(s));
			CHECK_EQ(rb, -EBADMSG);
			CHECK_EQ(ra, 0);
		} else if (is_anchor && !vt_is_corrupt(s)) { /* the older slot survived: rolled forward */
			CHECK(ra == 0 && rb == 0);
		} else {
			CHECK(vt_is_corrupt(s));
			CHECK(ra == -EBADMSG && rb == -EBADMSG);
		}
		vstore_close(s);
	} else {
		CHECK_EQ(r, 0);
	}
	char anchor[512];
	REQUIRE(vt_anchor(anchor, sizeof(anchor), "anchors", "tr")[0]);
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s/tr' && cp -a '%s/tr.pristine' '%s/tr' && cp -a '%s/tr.anchor' '%s'",
		 vt_root, vt_root, vt_root, vt_root, anchor);
	CHECK_EQ(system(cmd), 0);
}

static void test_truncation(void)
{
	make_state("tr");
	char p[512], q[512], fb[600];
	CHECK_EQ(vt_copy(vt_path(p, sizeof(p), "tr"), vt_path(q, sizeof(q), "tr.pristine")), 0);
	char anchor_rel[256];
	REQUIRE(vt_anchor(p, sizeof(p), "anchors", "tr")[0]);
	snprintf(anchor_rel, sizeof(anchor_rel), "anchors/%s", strrchr(p, '/') + 1);
	CHECK_EQ(vt_copy(p, vt_path(q, sizeof(q), "tr.anchor")), 0);
	vt_newest_obj("tr", fb, sizeof(fb));
	const char *obj = strrchr(fb, '/') + 1;
	char objrel[64];
	snprintf(objrel, sizeof(objrel), "tr/%s", obj);
	const char *files[] = { "tr/manifest", objrel, "tr/vm.key", anchor_rel };
	srand(14);
	for (unsigned f = 0; f < 4; f++) {
		long size = vt_file_size(vt_path(p, sizeof(p), files[f]));
		REQUIRE(size > 0);
		long offs[12] = { 0, 1, size - 1, size / 2 };
		for (unsigned i = 4; i < 12; i++)
			offs[i] = rand() % size;
		for (unsigned i = 0; i < 12; i++)
			truncate_case(files[f], offs[i], f == 1, f == 3);
	}
}

int main(void)
{
	vt_setup("test-vstore-tamper");
	vt_host_key("host.key", &hk);
	test_object_files();
	test_rollback();
	test_truncation();
	return check_report();
}
