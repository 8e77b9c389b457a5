// SPDX-License-Identifier: MIT
/*
 * The storage part of libvtee's public API (lib/core/storage.c):
 * vtee_storage_prepare() makes the state, the anchor and the host key and
 * fills the struct; vtee_vm_set_storage() hands it to the VM's back-end (its
 * vm_storage op gets the fds and the key), answers -EOPNOTSUPP for a
 * back-end without one, and releases the fds on every failure;
 * vtee_storage_release() is safe twice; bad arguments are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "../check.h"
#include "vstore_test_util.h"
#include "vtee/vtee.h"

static struct vtee_storage got;
static int got_calls;

static int take_storage(void *vm, struct vtee_storage *st)
{
	(void)vm;
	got = *st;
	got_calls++;
	st->dir_fd = st->anchor_fd = -1;
	return 0;
}

static int fake_open(const char *options, void **tee)
{
	(void)options;
	*tee = &got;
	return 0;
}
static void fake_close(void *tee) { (void)tee; }
static int fake_vm_created(void *tee, uint32_t vm_id, const char *name, void **vm)
{
	(void)vm_id;
	(void)name;
	*vm = tee;
	return 0;
}
static void fake_vm_destroyed(void *vm) { (void)vm; }
static void fake_submit(void *vm, struct vtee_req *req)
{
	(void)vm;
	req->ret = TEE_ERROR_NOT_SUPPORTED;
	vtee_req_done(req);
}
static void fake_cancel(void *vm, struct vtee_req *req) { (void)vm; (void)req; }

static struct vtee_backend_ops fake = {
	.name = "fake-storage", .open = fake_open, .close = fake_close, .vm_created = fake_vm_created,
	.vm_destroyed = fake_vm_destroyed, .submit = fake_submit, .cancel = fake_cancel,
};

static bool fd_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

static struct vtee_vm *make_vm(struct vtee_tee **tee, bool with_op)
{
	fake.vm_storage = with_op ? take_storage : NULL;
	REQUIRE_EQ(vtee_tee_open_ops(&fake, NULL, tee), 0);
	struct vtee_vm *vm;
	REQUIRE_EQ(vtee_vm_create(*tee, &(struct vtee_vm_config){ .vm_id = 3, .name = "api" }, &vm), 0);
	return vm;
}

static void prepare(struct vtee_storage *st)
{
	char sd[300], ad[300], key[300], msg[256] = "";
	int r = vtee_storage_prepare(vt_path(sd, sizeof(sd), "state/api"), vt_path(ad, sizeof(ad), "anchors"), "api",
				     vt_path(key, sizeof(key), "keys/host.key"), 5, 4096, st, msg, sizeof(msg));
	if (r)
		fprintf(stderr, "prepare: %s\n", msg);
	REQUIRE_EQ(r, 0);
}

int main(void)
{
	vt_setup("vtee-storage-api");
	struct vtee_storage st;
	prepare(&st);
	CHECK(fd_open(st.dir_fd) && fd_open(st.anchor_fd));
	CHECK_EQ(st.max_objects, 5);
	CHECK_EQ(st.max_bytes, 4096);
	uint8_t zero[32] = { 0 };
	CHECK(memcmp(st.vm_key, zero, sizeof(zero)) != 0);
	char p[300];
	struct stat sb;
	CHECK(stat(vt_path(p, sizeof(p), "keys/host.key"), &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(stat(vt_path(p, sizeof(p), "state/api"), &sb) == 0 && S_ISDIR(sb.st_mode));

	/* handed to the back-end's op: fds and key as prepared */
	struct vtee_tee *tee;
	struct vtee_vm *vm = make_vm(&tee, true);
	struct vtee_storage copy = st;
	CHECK_EQ(vtee_vm_set_storage(vm, &st), 0);
	CHECK_EQ(got_calls, 1);
	CHECK(got.dir_fd == copy.dir_fd && got.anchor_fd == copy.anchor_fd);
	CHECK(!memcmp(got.vm_key, copy.vm_key, sizeof(got.vm_key)) && !memcmp(got.state_id, copy.state_id, 16));
	vtee_storage_release(&got);
	CHECK(!fd_open(copy.dir_fd) && got.dir_fd == -1 && got.anchor_fd == -1);
	CHECK(!memcmp(got.vm_key, zero, sizeof(zero)));
	vtee_storage_release(&got); /* twice: harmless */
	vtee_vm_destroy(vm);
	vtee_tee_close(tee);

	/* a back-end without storage: -EOPNOTSUPP, and the fds are closed all the same */
	vm = make_vm(&tee, false);
	prepare(&st);
	copy = st;
	CHECK_EQ(vtee_vm_set_storage(vm, &st), -EOPNOTSUPP);
	CHECK(!fd_open(copy.dir_fd) && !fd_open(copy.anchor_fd));
	CHECK(st.dir_fd == -1 && !memcmp(st.vm_key, zero, sizeof(zero)));
	CHECK_EQ(vtee_vm_set_storage(NULL, NULL), -EINVAL);
	prepare(&st);
	copy = st;
	CHECK_EQ(vtee_vm_set_storage(NULL, &st), -EINVAL);
	CHECK(!fd_open(copy.dir_fd));
	vtee_vm_destroy(vm);
	vtee_tee_close(tee);

	/* refused: missing arguments, a host key others may read */
	char msg[256];
	CHECK_EQ(vtee_storage_prepare(NULL, NULL, "api", "/k", 0, 0, &st, msg, sizeof(msg)), -EINVAL);
	CHECK(st.dir_fd == -1 && st.anchor_fd == -1);
	CHECK_EQ(vtee_storage_prepare("/s", NULL, "api", NULL, 0, 0, &st, msg, sizeof(msg)), -EINVAL);
	REQUIRE(chmod(vt_path(p, sizeof(p), "keys/host.key"), 0644) == 0);
	char sd[300];
	CHECK_EQ(vtee_storage_prepare(vt_path(sd, sizeof(sd), "state/api"), NULL, "api", p, 0, 0, &st, msg, sizeof(msg)),
		 -EPERM);
	CHECK(msg[0] != 0);
	CHECK_EQ(vtee_state_reset(NULL, NULL, "api", msg, sizeof(msg)), -EINVAL);
	CHECK_EQ(vtee_state_export(sd, NULL, NULL, NULL, NULL, 1, msg, sizeof(msg)), -EINVAL);
	return check_report();
}
