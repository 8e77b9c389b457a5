// SPDX-License-Identifier: MIT
/*
 * ta-storage: the storage TA through the soft back-end in process (suite
 * 'storage'), on modelled guests whose VMs get their storage through the
 * public API (vtee_storage_prepare + vtee_vm_set_storage) in a fresh
 * temporary directory:
 *   - a VM without storage answers as OP-TEE without one (ITEM_NOT_FOUND);
 *   - every GP semantic the guest client checks (storage_phases.h);
 *   - the persistent set survives closing the TEE and opening a new one on
 *     the same state directory, and another VM (another state) sees nothing;
 *   - nothing of an object's id or data is in clear on disk; a state
 *     directory does not open with another host key; an object file altered
 *     on disk is CORRUPT_OBJECT to the TA, the rest of the store still works;
 *   - quotas: objects and bytes beyond them are STORAGE_NO_SPACE, from
 *     create and from write, and leave what was stored intact.
 * Needs VTEE_TEST_BACKEND_OPTIONS=ta_dir=... and VTEE_TA_HOST (meson sets them).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"
#include "../../../test_backend.h"
#include "storage_phases.h"

/* the temporary directory; short enough that top/<name> always fits PATH_MAX */
static char top[PATH_MAX - 64], key_path[PATH_MAX], anchors[PATH_MAX];

static const char *in_top(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", top, name);
	return buf;
}

/*
 * A modelled guest on tee as VM vm_id called name, with its state in top/state
 * (NULL: no storage) under a quota (0: the default).
 */
static struct guest *vm_up(struct vtee_tee *tee, uint32_t vm_id, const char *name,
			   const char *state, uint32_t max_objects, uint64_t max_bytes)
{
	struct vtee_vm_config vc = { .vm_id = vm_id, .name = name };
	struct vtee_storage st;
	struct guest *g = NULL;
	char dir[PATH_MAX], msg[256] = "";
	int e;

	if (!check(guest_create_vm(tee, &vc, NULL, &g) == 0, "VM %s comes up", name))
		return NULL;
	if (state) {
		e = vtee_storage_prepare(in_top(dir, state), anchors, name, key_path, max_objects,
					 max_bytes, &st, msg, sizeof(msg));
		if (check(e == 0, "vtee_storage_prepare %s for %s: %d %s", state, name, e, msg)) {
			e = vtee_vm_set_storage(guest_vm(g), &st);
			check(e == 0, "vtee_vm_set_storage for %s: %d", name, e);
		}
		if (e) {
			guest_destroy(g);
			return NULL;
		}
	}
	if (!check(guest_probe(g) == 0, "VM %s: the guest driver probes", name)) {
		guest_destroy(g);
		return NULL;
	}
	return g;
}

static void vm_down(struct guest *g)
{
	if (g) {
		guest_shutdown(g);
		guest_destroy(g);
	}
}

static struct vtee_tee *tee_up(void)
{
	struct vtee_tee *tee = NULL;

	check(test_tee_open(&tee) == 0, "the soft back-end opens");
	return tee;
}

static void without_storage(void)
{
	struct vtee_tee *tee = tee_up();
	struct guest *g = tee ? vm_up(tee, 1, "vm-none", NULL, 0, 0) : NULL;
	TEEC_Context ctx;

	if (g) {
		teec_model_context_on(g, &ctx);
		phase_nostorage(&ctx);
	}
	vm_down(g);
	if (tee)
		vtee_tee_close(tee);
}

static void first_run(void)
{
	struct vtee_tee *tee = tee_up();
	struct guest *g = tee ? vm_up(tee, 1, "vm-a", "state-a", 0, 0) : NULL;
	TEEC_Context ctx;

	if (g) {
		teec_model_context_on(g, &ctx);
		phase_semantics(&ctx);
		phase_fill(&ctx);
	}
	vm_down(g);
	if (tee)
		vtee_tee_close(tee);
}

/* Whether needle is in the file (a regular file under the state directory). */
static bool file_has(const char *path, const void *needle, size_t len)
{
	static uint8_t buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 && memmem(buf, (size_t)n, needle, len) != NULL;
}

/* No file of the state holds an id or a recognisable piece of data in clear. */
static void check_nothing_in_clear(void)
{
	static const char *const clear[] = { "persist-small", "persist-big", "persist-key",
					     TA_STORAGE_KEY_DATA, "persist-id64" };
	uint8_t big[64];
	char dir[PATH_MAX], path[PATH_MAX + 256];
	unsigned files = 0, leaks = 0;
	struct dirent *e;
	DIR *d = opendir(in_top(dir, "state-a"));

	st_pattern(big, sizeof(big), 3);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		files++;
		for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++)
			leaks += file_has(path, clear[i], strlen(clear[i]));
		leaks += file_has(path, big, sizeof(big));
	}
	if (d)
		closedir(d);
	check(files > 0 && leaks == 0, "the state's %u files hold no id or data in clear "
	      "(%u found)", files, leaks);
}

/* A new TEE on the same state: the set is there; another VM's state is empty. */
static void second_run(void)
{
	struct vtee_tee *tee = tee_up();
	struct guest *a = tee ? vm_up(tee, 1, "vm-a", "state-a", 0, 0) : NULL;
	struct guest *b = tee ? vm_up(tee, 2, "vm-b", "state-b", 0, 0) : NULL;
	TEEC_Context ca, cb;

	if (a && b) {
		teec_model_context_on(a, &ca);
		teec_model_context_on(b, &cb);
		phase_verify(&ca);
		phase_empty(&cb);
		phase_clean(&ca);
		phase_empty(&ca);
	}
	vm_down(b);
	vm_down(a);
	if (tee)
		vtee_tee_close(tee);
}

/* The state is bound to its host key. */
static void check_other_key(void)
{
	char dir[PATH_MAX], other[PATH_MAX], msg[256] = "";
	struct vtee_storage st;
	int e = vtee_storage_prepare(in_top(dir, "state-a"), anchors, "vm-a",
				     in_top(other, "other.key"), 0, 0, &st, msg, sizeof(msg));

	check(e == -EKEYREJECTED, "state-a with another host key: -EKEYREJECTED (%d %s)", e, msg);
	if (e == 0)
		vtee_storage_release(&st);
}

/* Flips one byte in the middle of every object file of state (the TEE closed). */
static unsigned tamper_objects(const char *state)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	unsigned n = 0;
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(in_top(dir, state));
	uint8_t b;

	while (d && (e = readdir(d))) {
		int fd;

		if (strncmp(e->d_name, "obj-", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = open(path, O_RDWR);
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 &&
		    pread(fd, &b, 1, st.st_size / 2) == 1) {
			b ^= 0x40;
			n += pwrite(fd, &b, 1, st.st_size / 2) == 1;
		}
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	return n;
}

/* An object file altered while the TEE was down: CORRUPT_OBJECT, as OP-TEE answers it. */
static void tampered(void)
{
	struct vtee_tee *tee = tee_up();
	struct guest *g = tee ? vm_up(tee, 5, "vm-t", "state-t", 0, 0) : NULL;
	uint8_t buf[64] = "the victim's data";
	TEEC_Context ctx;
	TEEC_Session s;
	uint32_t size = 0;
	size_t n = 0;
	TEEC_Result res;

	if (g) {
		teec_model_context_on(g, &ctx);
		if (st_open(&ctx, &s)) {
			check(st_put(&s, "victim", buf, sizeof(buf), ST_PRIVATE, false) ==
			      TEEC_SUCCESS, "store victim");
			TEEC_CloseSession(&s);
		}
	}
	vm_down(g);
	if (tee)
		vtee_tee_close(tee);
	check(tamper_objects("state-t") == 1, "one object file altered on disk");
	tee = tee_up();
	g = tee ? vm_up(tee, 5, "vm-t", "state-t", 0, 0) : NULL;
	if (g) {
		teec_model_context_on(g, &ctx);
		if (st_open(&ctx, &s)) {
			res = st_get(&s, "victim", buf, sizeof(buf), ST_PRIVATE, &n, &size);
			check(res == ST_ERROR_CORRUPT_OBJECT, "the altered object: CORRUPT_OBJECT (%s)",
			      RES(res, 0));
			res = st_put(&s, "after", buf, 8, ST_PRIVATE, false);
			check(res == TEEC_SUCCESS, "the rest of the store still works (%s)",
			      RES(res, 0));
			TEEC_CloseSession(&s);
		}
	}
	vm_down(g);
	if (tee)
		vtee_tee_close(tee);
}

#define QUOTA_OBJECTS 8u
#define QUOTA_BYTES (64u * 1024)

static void quota_objects(TEEC_Session *s)
{
	uint32_t made = 0, objects = 0, bytes = 0;
	TEEC_Result res = st_fill(s, 20, 16, 0, &made);

	check(res == ST_ERROR_STORAGE_NO_SPACE && made == QUOTA_OBJECTS,
	      "quota of %u objects: the next create is STORAGE_NO_SPACE after %u (%s)",
	      QUOTA_OBJECTS, (unsigned)made, RES(res, 0));
	res = st_count(s, ST_PRIVATE, &objects, &bytes);
	check(res == TEEC_SUCCESS && objects == QUOTA_OBJECTS && bytes == 16 * QUOTA_OBJECTS,
	      "the %u objects are whole (%u, %u bytes)", QUOTA_OBJECTS, (unsigned)objects,
	      (unsigned)bytes);
	res = st_delete(s, "obj-0", ST_PRIVATE);
	if (check(res == TEEC_SUCCESS, "delete one (%s)", RES(res, 0))) {
		res = st_put(s, "after-delete", "x", 1, ST_PRIVATE, true);
		check(res == TEEC_SUCCESS, "then a create fits again (%s)", RES(res, 0));
	}
}

static void quota_bytes(TEEC_Session *s)
{
	static uint8_t data[100 * 1024], got[100 * 1024];
	uint32_t made = 1, size = 0;
	size_t n = 0;
	TEEC_Result res;

	st_pattern(data, sizeof(data), 9);
	res = st_put(s, "q", data, 16 * 1024, ST_PRIVATE, false);
	check(res == TEEC_SUCCESS, "quota of %u bytes: 16 KiB fit (%s)", QUOTA_BYTES, RES(res, 0));
	res = st_put(s, "q", data, sizeof(data), ST_PRIVATE, false);
	check(res == ST_ERROR_STORAGE_NO_SPACE, "100 KiB over it: STORAGE_NO_SPACE (%s)",
	      RES(res, 0));
	res = st_get(s, "q", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_SUCCESS && n == 16 * 1024 && !memcmp(got, data, n),
	      "the refused overwrite left the 16 KiB as they were (%zu) (%s)", n, RES(res, 0));
	res = st_fill(s, 1, 60 * 1024, 100, &made);
	check(res == ST_ERROR_STORAGE_NO_SPACE && made == 0,
	      "a 60 KiB TEE_WriteObjectData beyond it: STORAGE_NO_SPACE (%s)", RES(res, 0));
	res = st_get(s, "obj-100", got, sizeof(got), ST_PRIVATE, &n, &size);
	check(res == TEEC_SUCCESS && size == 0,
	      "the object whose write was refused is as created, empty (%u) (%s)",
	      (unsigned)size, RES(res, 0));
	st_delete(s, "q", ST_PRIVATE);
	res = st_fill(s, 1, 60 * 1024, 101, &made);
	check(res == TEEC_SUCCESS && made == 1, "with q deleted, the 60 KiB fit (%s)",
	      RES(res, 0));
}

static void quotas(void)
{
	struct vtee_tee *tee = tee_up();
	struct guest *a = tee ? vm_up(tee, 3, "vm-qo", "state-qo", QUOTA_OBJECTS, 0) : NULL;
	struct guest *b = tee ? vm_up(tee, 4, "vm-qb", "state-qb", 0, QUOTA_BYTES) : NULL;
	TEEC_Context ca, cb;
	TEEC_Session sa, sb;

	if (a && b) {
		teec_model_context_on(a, &ca);
		teec_model_context_on(b, &cb);
		if (st_open(&ca, &sa)) {
			quota_objects(&sa);
			TEEC_CloseSession(&sa);
		}
		if (st_open(&cb, &sb)) {
			quota_bytes(&sb);
			TEEC_CloseSession(&sb);
		}
	}
	vm_down(b);
	vm_down(a);
	if (tee)
		vtee_tee_close(tee);
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* A second host key (other.key), made by preparing a state of its own with it. */
static void make_other_key(void)
{
	char dir[PATH_MAX], other[PATH_MAX], msg[256] = "";
	struct vtee_storage st;
	int e = vtee_storage_prepare(in_top(dir, "state-other"), anchors, "vm-other",
				     in_top(other, "other.key"), 0, 0, &st, msg, sizeof(msg));

	if (check(e == 0, "a second host key is made on first use (%d %s)", e, msg))
		vtee_storage_release(&st);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(top, sizeof(top), "%s/vtee-ta-storage-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 1;
	}
	in_top(key_path, "host.key");
	in_top(anchors, "anchors");
	make_other_key();
	without_storage();
	first_run();
	check_nothing_in_clear();
	second_run();
	check_other_key();
	tampered();
	quotas();
	nftw(top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return finish();
}
