// SPDX-License-Identifier: MIT
/*
 * The "teedev" back-end without a TEE device:
 *   - its options and the guest-login policy;
 *   - the contiguous-view builder (shmview.c) on real memfds: scattered guest
 *     pages read back in order, writes reach the file, runs coalesce, larger
 *     host pages, the map budget, and every error path leaves no mapping;
 *   - clean failure when there is no OP-TEE device (real system calls);
 *   - the whole request path against a mock device (teedev_set_sys) that
 *     checks what the kernel's uapi checks and runs a few fake TA commands
 *     on the memory it is handed: registered guest buffers in place
 *     (zero-copy), temporary memrefs, the ALLOC + copy fallback, NULL
 *     memrefs, values, SHORT_BUFFER, logins, cancellation with our own
 *     cancel ids, ioctl errors and teardown.
 * What needs a real /dev/tee (the kernel pinning guest pages, OP-TEE reading
 * them) runs in the emulated arm64 guest (tests/teedev).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vtee/frontend.h"
#include "vtee_test.h"
#include "shmview.h"
#include "teedev.h"
#include "vtee/vtee.h"

#include "../check.h"

#define PG 4096u
#define WAIT_US (10ull * 1000 * 1000)

/* ---- helpers ---- */

/*
 * What views hold now: windows reserved (shmview's count) and mappings of
 * the test files (lines of /proc/self/maps naming them; a sanitizer runtime
 * maps memory of its own at any time, so the other lines prove nothing).
 */
static long maps_count(void)
{
	static char buf[1 << 20];
	static const char name[] = "memfd:teedev-test";
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	long maps = 0;
	for (const char *p = buf; (p = strstr(p, name)); p += sizeof(name) - 1)
		maps++;
	return maps * 1000 + shmview_windows();
}

static bool mapped(const void *p, size_t len)
{
	return msync((void *)((uintptr_t)p & ~(uintptr_t)(PG - 1)), len, MS_ASYNC) == 0;
}

/* The byte at offset x of the test files: differs from page to page and file to file. */
static uint8_t pattern(unsigned file, uint64_t x)
{
	return (uint8_t)(x * 7u + (x >> 12) * 13u + file * 101u);
}

static int make_file(unsigned file, size_t pages)
{
	int fd = memfd_create("teedev-test", MFD_CLOEXEC);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, (off_t)pages * PG) == 0);
	uint8_t *m = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(m != MAP_FAILED);
	for (size_t x = 0; x < pages * PG; x++)
		m[x] = pattern(file, x);
	munmap(m, pages * PG);
	return fd;
}

/* Does the view hold, byte for byte, the given pages of files fds[]? */
static bool view_matches(const struct shmview *v, const struct shmview_page *pages, size_t n, uint32_t first_off,
			 const int *fds, size_t nfds)
{
	const uint8_t *d = v->data;
	for (size_t i = 0; i < n; i++) {
		unsigned file = 0;
		while (file < nfds && fds[file] != pages[i].fd)
			file++;
		for (size_t b = (i ? 0 : first_off); b < PG; b++) {
			size_t at = i * PG + b - first_off;
			if (d[at] != pattern(file, pages[i].off + b))
				return false;
		}
	}
	return true;
}

/* ---- options and logins ---- */

static void test_options(void)
{
	struct teedev_opts o;
	char err[256];
	CHECK_EQ(teedev_parse_options(NULL, &o, err, sizeof(err)), 0);
	CHECK(!o.dev[0]);
	CHECK_EQ(o.threads, TEEDEV_DEFAULT_THREADS);
	CHECK(o.zerocopy);
	CHECK_EQ(o.max_maps, TEEDEV_DEFAULT_MAXMAPS);
	CHECK_EQ(o.inline_mode, TEEDEV_INLINE_AUTO);
	CHECK_EQ(o.inline_us, TEEDEV_DEFAULT_INLINE_US);
	CHECK(!o.gid_set);
	for (int c = 0; c < TEEDEV_CLASSES; c++)
		CHECK_EQ(o.login[c], TEEDEV_LOGIN_PUBLIC);
	CHECK_EQ(teedev_parse_options("", &o, err, sizeof(err)), 0);

	CHECK_EQ(teedev_parse_options("dev=/dev/tee3,threads=4,zerocopy=0,maxmaps=99,gid=1234,,", &o, err,
				      sizeof(err)), 0);
	CHECK(!strcmp(o.dev, "/dev/tee3"));
	CHECK_EQ(o.threads, 4);
	CHECK(!o.zerocopy);
	CHECK_EQ(o.max_maps, 99);
	CHECK(o.gid_set && o.gid == 1234);
	CHECK_EQ(teedev_parse_options("inline=off,inline_us=7", &o, err, sizeof(err)), 0);
	CHECK_EQ(o.inline_mode, TEEDEV_INLINE_OFF);
	CHECK_EQ(o.inline_us, 7);
	CHECK_EQ(teedev_parse_options("inline=on", &o, err, sizeof(err)), 0);
	CHECK_EQ(o.inline_mode, TEEDEV_INLINE_ON);

	/* login= is the default for every class without its own login.CLASS=, in any order */
	CHECK_EQ(teedev_parse_options("login.kernel=deny,login=user,login.group=group", &o, err, sizeof(err)), 0);
	CHECK_EQ(o.login[TEEDEV_CLASS_PUBLIC], TEEDEV_LOGIN_USER);
	CHECK_EQ(o.login[TEEDEV_CLASS_USER], TEEDEV_LOGIN_USER);
	CHECK_EQ(o.login[TEEDEV_CLASS_GROUP], TEEDEV_LOGIN_GROUP);
	CHECK_EQ(o.login[TEEDEV_CLASS_APP], TEEDEV_LOGIN_USER);
	CHECK_EQ(o.login[TEEDEV_CLASS_KERNEL], TEEDEV_LOGIN_DENY);
	CHECK_EQ(teedev_parse_options("login.public=public,login.user=deny,login.app=group", &o, err, sizeof(err)), 0);
	CHECK_EQ(o.login[TEEDEV_CLASS_USER], TEEDEV_LOGIN_DENY);
	CHECK_EQ(o.login[TEEDEV_CLASS_APP], TEEDEV_LOGIN_GROUP);
	CHECK_EQ(o.login[TEEDEV_CLASS_KERNEL], TEEDEV_LOGIN_PUBLIC);

	static const struct { const char *opt, *says; } bad[] = {
		{ "bogus=1", "unknown option 'bogus'" },
		{ "dev", "expected KEY=VALUE" },
		{ "dev=", "absolute path" },
		{ "dev=tee0", "absolute path" },
		{ "threads=0", "threads=0" },
		{ "threads=1025", "1..1024" },
		{ "threads=-1", "threads=-1" },
		{ "threads=4x", "threads=4x" },
		{ "threads=", "threads=" },
		{ "zerocopy=2", "expected 0 or 1" },
		{ "zerocopy=", "expected 0 or 1" },
		{ "maxmaps=0", "maxmaps=0" },
		{ "inline=1", "expected off, auto or on" },
		{ "inline=", "expected off, auto or on" },
		{ "inline_us=3", "4..1000000" },
		{ "inline_us=1000001", "4..1000000" },
		{ "inline=on,inline=off", "given twice" },
		{ "fd=-1", "expected a file descriptor" },
		{ "fd=x", "expected a file descriptor" },
		{ "dev=/dev/tee0,fd=3", "give one" },
		{ "gid=4294967295", "group id" },
		{ "gid=-5", "group id" },
		{ "login=kernel", "expected public, user, group or deny" },
		{ "login=PUBLIC", "expected public" },
		{ "login.bogus=public", "unknown login class" },
		{ "login.=public", "unknown option" },
		{ "threads=2,threads=2", "given twice" },
		{ "login=user,login=public", "given twice" },
		{ "login.user=deny,login.user=deny", "given twice" },
		{ "login.user=deny,login.group=deny,login.user=public", "given twice" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_EQ(teedev_parse_options(bad[i].opt, &o, err, sizeof(err)), (unsigned long long)-EINVAL);
		bool says = strstr(err, bad[i].says) != NULL;
		if (!says)
			fprintf(stderr, "option \"%s\": error \"%.200s\"\n", bad[i].opt, err);
		CHECK(says);
	}
	char longdev[TEEDEV_PATH_MAX + 16] = "dev=/";
	memset(longdev + 5, 'x', TEEDEV_PATH_MAX);
	longdev[TEEDEV_PATH_MAX + 5] = 0;
	CHECK_EQ(teedev_parse_options(longdev, &o, err, sizeof(err)), (unsigned long long)-EINVAL);
	/* no err buffer is fine */
	CHECK_EQ(teedev_parse_options("bogus", &o, NULL, 0), (unsigned long long)-EINVAL);

	/* through vtee_tee_open: bad options fail the back-end's open */
	struct vtee_tee *tee = NULL;
	CHECK_EQ(vtee_tee_open("teedev", "threads=0", &tee), (unsigned long long)-EINVAL);
	CHECK(tee == NULL);
	CHECK_EQ(vtee_tee_open("teedev", "login.kernel=deny", &tee), 0);
	vtee_tee_close(tee);
	bool listed = false;
	for (const char *const *n = vtee_backend_names(); *n; n++)
		listed |= !strcmp(*n, "teedev");
	CHECK(listed);
}

static void test_logins(void)
{
	struct teedev_opts o;
	uint8_t uuid[16];
	uint32_t host = 0xdead;
	static const uint8_t zero[16];

	CHECK_EQ(teedev_login_class(TEE_LOGIN_PUBLIC), TEEDEV_CLASS_PUBLIC);
	CHECK_EQ(teedev_login_class(TEE_LOGIN_USER), TEEDEV_CLASS_USER);
	CHECK_EQ(teedev_login_class(TEE_LOGIN_GROUP), TEEDEV_CLASS_GROUP);
	CHECK_EQ(teedev_login_class(TEE_LOGIN_APPLICATION), TEEDEV_CLASS_APP);
	CHECK_EQ(teedev_login_class(TEE_LOGIN_APPLICATION_USER), TEEDEV_CLASS_APP);
	CHECK_EQ(teedev_login_class(TEE_LOGIN_APPLICATION_GROUP), TEEDEV_CLASS_APP);
	CHECK_EQ(teedev_login_class(TEE_LOGIN_REE_KERNEL), TEEDEV_CLASS_KERNEL);
	CHECK_EQ(teedev_login_class(0x80000001u), TEEDEV_CLASS_KERNEL);
	CHECK_EQ(teedev_login_class(0xBFFFFFFFu), TEEDEV_CLASS_KERNEL);
	CHECK_EQ(teedev_login_class(0xC0000000u), TEEDEV_CLASSES);
	CHECK_EQ(teedev_login_class(3), TEEDEV_CLASSES);
	CHECK_EQ(teedev_login_class(7), TEEDEV_CLASSES);

	/* default: everything PUBLIC, the guest's client UUID dropped, never a kernel-range login */
	teedev_parse_options(NULL, &o, NULL, 0);
	static const uint32_t all[] = { TEE_LOGIN_PUBLIC, TEE_LOGIN_USER, TEE_LOGIN_GROUP, TEE_LOGIN_APPLICATION,
					TEE_LOGIN_APPLICATION_USER, TEE_LOGIN_APPLICATION_GROUP, TEE_LOGIN_REE_KERNEL,
					0x80001234u };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		memset(uuid, 0xaa, sizeof(uuid));
		CHECK_EQ(teedev_map_login(&o, all[i], &host, uuid), 0);
		CHECK_EQ(host, TEE_IOCTL_LOGIN_PUBLIC);
		CHECK(!memcmp(uuid, zero, 16));
	}
	CHECK_EQ(teedev_map_login(&o, 0xC0000000u, &host, uuid), (unsigned long long)-EACCES);
	CHECK_EQ(teedev_map_login(&o, 3, &host, uuid), (unsigned long long)-EACCES);

	CHECK_EQ(teedev_parse_options("login=user,login.kernel=deny,login.group=group,gid=4321", &o, NULL, 0), 0);
	CHECK_EQ(teedev_map_login(&o, TEE_LOGIN_PUBLIC, &host, uuid), 0);
	CHECK_EQ(host, TEE_IOCTL_LOGIN_USER);
	CHECK_EQ(teedev_map_login(&o, TEE_LOGIN_REE_KERNEL, &host, uuid), (unsigned long long)-EACCES);
	CHECK_EQ(teedev_map_login(&o, TEE_LOGIN_GROUP, &host, uuid), 0);
	CHECK_EQ(host, TEE_IOCTL_LOGIN_GROUP);
	gid_t g;
	memcpy(&g, uuid, sizeof(g));
	CHECK_EQ(g, 4321);
	CHECK(!memcmp(uuid + sizeof(g), zero, 16 - sizeof(g)));
	/* group without gid=: the mediator's own */
	CHECK_EQ(teedev_parse_options("login=group", &o, NULL, 0), 0);
	CHECK_EQ(teedev_map_login(&o, TEE_LOGIN_APPLICATION, &host, uuid), 0);
	memcpy(&g, uuid, sizeof(g));
	CHECK_EQ(host, TEE_IOCTL_LOGIN_GROUP);
	CHECK_EQ(g, getegid());
}

/* ---- the view builder ---- */

static void test_view(void)
{
	int fa = make_file(0, 64), fb = make_file(1, 16);
	int fds[2] = { fa, fb };
	struct shmview v;
	long before = maps_count();

	/* scattered across two files: 5 runs, read back in order */
	struct shmview_page sc[] = {
		{ fa, 7 * PG }, { fa, 3 * PG }, { fa, 4 * PG }, { fa, 5 * PG }, { fb, 6 * PG },
		{ fb, 7 * PG }, { fa, 8 * PG }, { fa, 0 }, { fa, 0 },
	};
	size_t n = sizeof(sc) / sizeof(sc[0]);
	REQUIRE_EQ(shmview_build_array(sc, n, 123, PG, 0, &v), 0);
	CHECK(v.base != NULL);
	CHECK_EQ(v.span, n * PG);
	CHECK_EQ(v.npages, n);
	CHECK_EQ(v.nmaps, 6); /* [7] [3 4 5] [b6 b7] [8] [0] [0]: a repeated page is no run */
	CHECK(v.data == (uint8_t *)v.base + 123);
	CHECK(view_matches(&v, sc, n, 123, fds, 2));
	/*
	 * the same pages: a write through the view is in the file, and in the
	 * other view of it (volatile: the compiler cannot know two addresses alias)
	 */
	volatile uint8_t *d = v.data;
	size_t last0 = 7 * PG - 123; /* the first of the two views of page 0 of fa */
	d[last0 + 17] = 0x5a;
	CHECK_EQ(d[last0 + PG + 17], 0x5a);
	uint8_t got = 0;
	CHECK_EQ(pread(fa, &got, 1, 17), 1);
	CHECK_EQ(got, 0x5a);
	d[last0 + 17] = pattern(0, 17);
	void *base = v.base;
	size_t span = v.span;
	shmview_free(&v);
	CHECK(v.base == NULL && v.data == NULL && v.nmaps == 0);
	CHECK(!mapped(base, span));
	shmview_free(&v); /* twice: harmless */
	CHECK_EQ(maps_count(), before);

	/* contiguous: one mmap however long */
	struct shmview_page co[32];
	for (size_t i = 0; i < 32; i++)
		co[i] = (struct shmview_page){ fa, (20 + i) * PG };
	REQUIRE_EQ(shmview_build_array(co, 32, 0, PG, 0, &v), 0);
	CHECK_EQ(v.nmaps, 1);
	CHECK(view_matches(&v, co, 32, 0, fds, 2));
	shmview_free(&v);
	/* one page, the buffer at its last byte */
	REQUIRE_EQ(shmview_build_array(co, 1, PG - 1, PG, 0, &v), 0);
	CHECK_EQ(*(uint8_t *)v.data, pattern(0, 21 * PG - 1));
	shmview_free(&v);
	/* granule 0: the host's page size */
	REQUIRE_EQ(shmview_build_array(co, 4, 0, 0, 0, &v), 0);
	CHECK(view_matches(&v, co, 4, 0, fds, 2));
	shmview_free(&v);
	CHECK_EQ(maps_count(), before);

	/* errors: nothing stays mapped, the view is zeroed */
	struct shmview_page bad[3] = { { fa, 0 }, { fa, PG }, { -1, 0 } };
	CHECK_EQ(shmview_build_array(bad, 3, 0, PG, 0, &v), (unsigned long long)-EBADF);
	CHECK(v.base == NULL && v.nmaps == 0);
	bad[0].fd = -1;
	CHECK_EQ(shmview_build_array(bad, 3, 0, PG, 0, &v), (unsigned long long)-EBADF); /* page 0: no mmap at all */
	int closed = dup(fa);
	close(closed);
	struct shmview_page stale[2] = { { fa, 0 }, { closed, 0 } };
	CHECK_EQ(shmview_build_array(stale, 2, 0, PG, 0, &v), (unsigned long long)-EBADF);
	struct shmview_page unal[2] = { { fa, 0 }, { fa, PG + 512 } };
	CHECK_EQ(shmview_build_array(unal, 2, 0, PG, 0, &v), (unsigned long long)-EINVAL);
	unal[0].off = 100;
	CHECK_EQ(shmview_build_array(unal, 2, 0, PG, 0, &v), (unsigned long long)-EINVAL);
	CHECK_EQ(shmview_build_array(co, 0, 0, PG, 0, &v), (unsigned long long)-EINVAL);
	CHECK_EQ(shmview_build_array(co, 1, PG, PG, 0, &v), (unsigned long long)-EINVAL);
	CHECK_EQ(shmview_build_array(co, 1, 0, 2048, 0, &v), (unsigned long long)-EINVAL);
	CHECK_EQ(shmview_build_array(co, 1, 0, 3 * PG, 0, &v), (unsigned long long)-EINVAL);
	CHECK_EQ(shmview_build_array(NULL, 1, 0, PG, 0, &v), (unsigned long long)-EINVAL);
	CHECK_EQ(shmview_build_array(co, SIZE_MAX / 2, 0, PG, 0, &v), (unsigned long long)-EINVAL);
	/* a page past the end of the file maps (MAP_SHARED beyond EOF is allowed), a read-only file does not */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fa);
	int ro = open(path, O_RDONLY | O_CLOEXEC);
	REQUIRE(ro >= 0);
	struct shmview_page rop[2] = { { fa, 0 }, { ro, 9 * PG } };
	CHECK_EQ(shmview_build_array(rop, 2, 0, PG, 0, &v), (unsigned long long)-EACCES);
	close(ro);
	/* the map budget */
	CHECK_EQ(shmview_build_array(sc, n, 0, PG, 5, &v), (unsigned long long)-E2BIG);
	REQUIRE_EQ(shmview_build_array(sc, n, 0, PG, 6, &v), 0);
	shmview_free(&v);
	CHECK_EQ(maps_count(), before);

	/* host pages of 16 KiB (arm64 16K kernels): runs must sit in host pages as in the file */
	const size_t G = 4 * PG;
	struct shmview_page h1[6] = {
		/* page 0 at 1 page into a host page: the window starts there too */
		{ fa, 5 * PG }, { fa, 6 * PG }, { fa, 7 * PG },
		/* the next run starts on a host-page boundary of the view and of the file */
		{ fa, 16 * PG }, { fa, 17 * PG }, { fa, 18 * PG },
	};
	REQUIRE_EQ(shmview_build_array(h1, 6, 40, G, 0, &v), 0);
	CHECK_EQ(v.nmaps, 2);
	CHECK_EQ(((uintptr_t)v.base) % G, 0);
	CHECK(v.data == (uint8_t *)v.base + PG + 40);
	CHECK_EQ(v.span, 8 * PG);
	CHECK(view_matches(&v, h1, 6, 40, fds, 2));
	shmview_free(&v);
	/* a run that ends inside a host page of the view: cannot be laid out */
	struct shmview_page h2[3] = { { fa, 4 * PG }, { fa, 5 * PG }, { fa, 12 * PG } };
	CHECK_EQ(shmview_build_array(h2, 3, 0, G, 0, &v), (unsigned long long)-EXDEV);
	/* a run that starts at a host-page boundary of the view but not of the file */
	struct shmview_page h3[5] = { { fa, 0 }, { fa, PG }, { fa, 2 * PG }, { fa, 3 * PG }, { fa, 9 * PG } };
	CHECK_EQ(shmview_build_array(h3, 5, 0, G, 0, &v), (unsigned long long)-EXDEV);
	h3[4].off = 8 * PG; /* aligned in both: fine */
	REQUIRE_EQ(shmview_build_array(h3, 5, 0, G, 0, &v), 0);
	CHECK_EQ(v.nmaps, 2);
	CHECK(view_matches(&v, h3, 5, 0, fds, 2));
	shmview_free(&v);
	CHECK_EQ(maps_count(), before);

	close(fa);
	close(fb);
}

/* ---- no device: real system calls ---- */

static char tmpdir[64];

static void touch(const char *name)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	close(fd);
}


static int vm_create(struct vtee_tee *tee, uint32_t id, struct vtee_vm **vm)
{
	return vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = id, .name = "tvm" }, vm);
}

/* Open a teedev back-end with options and try to create a VM: its vtee_vm_create result. */
static int try_vm(const char *options)
{
	struct vtee_tee *tee = NULL;
	struct vtee_vm *vm = NULL;
	REQUIRE_EQ(vtee_tee_open("teedev", options, &tee), 0);
	int r = vm_create(tee, 1, &vm);
	if (!r)
		vtee_vm_destroy(vm);
	vtee_tee_close(tee);
	return r;
}

static void test_no_device(void)
{
	char opt[160];

	/* this machine's /dev, when it has no TEE at all (the usual x86 host) */
	teedev_set_sys(NULL);
	DIR *d = opendir("/dev");
	bool any = false;
	struct dirent *de;
	while (d && (de = readdir(d)))
		any |= !strncmp(de->d_name, "tee", 3);
	if (d)
		closedir(d);
	if (!any) {
		fprintf(stderr, "(expected next: no /dev/tee* at all)\n");
		CHECK_EQ(try_vm(NULL), (unsigned long long)-ENOENT);
	}
	/* explicit paths: missing, not a TEE device (real ioctl on /dev/null: ENOTTY) */
	snprintf(opt, sizeof(opt), "dev=%s/tee0", tmpdir);
	CHECK_EQ(try_vm(opt), (unsigned long long)-ENOENT);
	CHECK_EQ(try_vm("dev=/dev/null"), (unsigned long long)-ENODEV);

	/* auto, real system calls in a directory: empty, then a "tee0" that is no device */
	teedev_set_sys(&(struct teedev_sys){ .dev_dir = tmpdir });
	CHECK_EQ(try_vm(NULL), (unsigned long long)-ENOENT);
	touch("tee0");
	touch("teepriv0");
	CHECK_EQ(try_vm(NULL), (unsigned long long)-ENOENT);
	char missing[96];
	snprintf(missing, sizeof(missing), "%s/nowhere", tmpdir);
	teedev_set_sys(&(struct teedev_sys){ .dev_dir = missing });
	CHECK_EQ(try_vm(NULL), (unsigned long long)-ENOENT);
	teedev_set_sys(NULL);
}

/* ---- a mock device: what the kernel's uapi checks, plus a few fake TA commands ---- */

enum { F_REVERSE = 1, F_VALUES, F_OUT, F_NULL, F_WAIT, F_EINVAL, F_SUM, F_SLEEP };
enum { K_NONE, K_AMD, K_SUPP, K_OPTEE };
#define MOCK_SHMS 256
#define MOCK_SESS 256
#define MOCK_WAIT 32

static const struct vtee_uuid ta_ok = { { 0x12, 0x34 } };
static const struct vtee_uuid ta_missing = { { 0xee } };

struct mshm {
	bool used, alloc;
	int fd;
	int32_t id;
	uint8_t *addr;
	uint64_t len;
};

static struct mock {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t caps;                          /* gen_caps of the OP-TEE device */
	struct { int fd, kind; } dev[16];
	unsigned ndev;
	struct mshm shm[MOCK_SHMS];
	int32_t next_id;
	struct { uint32_t id; int dev; } sess[MOCK_SESS];
	uint32_t next_sess;
	uint32_t open_login, open_cancel_id;
	uint8_t open_clnt[16];
	unsigned opens, invokes, closes, registers, allocs, eperm, ctx_closed_sessions, bad_fd;
	uint32_t ids[8192];                     /* cancel ids of OPENs and INVOKEs */
	unsigned nids;
	struct { bool used, cancelled; uint32_t cancel_id, session; } wait[MOCK_WAIT];
	unsigned waiting;
	struct { uint32_t cancel_id, session; } cancels[64];
	unsigned ncancels;
	bool lose_sessions;
	bool cancel_blocks;                     /* TEE_IOC_CANCEL waits (all OP-TEE threads busy) */
	pthread_t invoke_thread;                /* the thread of the last INVOKE */
	unsigned lose_cancels;                  /* this many TEE_IOC_CANCELs arrive before their call */
} M = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void mock_reset(uint32_t caps)
{
	pthread_mutex_lock(&M.lock);
	REQUIRE(M.ndev == 0);
	pthread_mutex_t l = M.lock;
	pthread_cond_t c = M.cond;
	memset(&M, 0, sizeof(M));
	M.lock = l;
	M.cond = c;
	M.caps = caps;
	M.next_id = 100;
	M.next_sess = 1000;
	pthread_mutex_unlock(&M.lock);
}

static unsigned mock_live_shms(void)
{
	unsigned n = 0;
	pthread_mutex_lock(&M.lock);
	for (int i = 0; i < MOCK_SHMS; i++)
		n += M.shm[i].used;
	pthread_mutex_unlock(&M.lock);
	return n;
}

static struct mshm *mock_shm_by_id(int64_t id)
{
	for (int i = 0; i < MOCK_SHMS; i++)
		if (M.shm[i].used && M.shm[i].id == id)
			return &M.shm[i];
	return NULL;
}

static struct mshm *mock_shm_new(void)
{
	for (int i = 0; i < MOCK_SHMS; i++)
		if (!M.shm[i].used) {
			M.shm[i] = (struct mshm){ .used = true, .id = M.next_id++ };
			return &M.shm[i];
		}
	return NULL;
}

static int mock_open(const char *path, int flags)
{
	if ((flags & O_ACCMODE) != O_RDWR || !(flags & O_CLOEXEC)) {
		errno = EINVAL; /* the back-end must ask for read-write, close-on-exec */
		return -1;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	pthread_mutex_lock(&M.lock);
	REQUIRE(M.ndev < 16);
	M.dev[M.ndev].fd = fd;
	M.dev[M.ndev].kind = !strcmp(base, "tee0") ? K_AMD : !strcmp(base, "tee1") ? K_SUPP
			     : !strcmp(base, "tee2") ? K_OPTEE : K_NONE;
	M.ndev++;
	pthread_mutex_unlock(&M.lock);
	return fd;
}

static int mock_close(int fd)
{
	pthread_mutex_lock(&M.lock);
	for (unsigned i = 0; i < M.ndev; i++) {
		if (M.dev[i].fd != fd)
			continue;
		/* the context goes: so do its sessions */
		for (int s = 0; s < MOCK_SESS; s++)
			if (M.sess[s].id && M.sess[s].dev == fd) {
				M.sess[s].id = 0;
				M.ctx_closed_sessions++;
			}
		M.dev[i] = M.dev[--M.ndev];
		pthread_mutex_unlock(&M.lock);
		return close(fd);
	}
	for (int i = 0; i < MOCK_SHMS; i++) {
		struct mshm *m = &M.shm[i];
		if (!m->used || m->fd != fd)
			continue;
		if (m->alloc)
			munmap(m->addr, m->len);
		m->used = false;
		pthread_mutex_unlock(&M.lock);
		return close(fd);
	}
	M.bad_fd++;
	pthread_mutex_unlock(&M.lock);
	return close(fd);
}

struct rparam {
	uint8_t *buf;
	uint64_t size;
	bool null;
};

/* params_from_user(): M.lock held. 0 or -errno. */
static int mock_params(struct tee_ioctl_param *p, uint32_t n, struct rparam *r)
{
	for (uint32_t i = 0; i < n; i++) {
		r[i] = (struct rparam){ 0 };
		if (p[i].attr & ~(uint64_t)TEE_IOCTL_PARAM_ATTR_MASK)
			return -EINVAL;
		switch (p[i].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_NONE:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			if (p[i].c == TEE_MEMREF_NULL) {
				if (!(M.caps & TEE_GEN_CAP_MEMREF_NULL))
					return -EINVAL;
				r[i].null = true;
				r[i].size = p[i].b;
				break;
			} else {
				struct mshm *m = mock_shm_by_id((int64_t)p[i].c);
				if (!m || p[i].a + p[i].b < p[i].a || p[i].a + p[i].b > m->len)
					return -EINVAL;
				r[i].buf = m->addr + p[i].a;
				r[i].size = p[i].b;
			}
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

static uint32_t ptype(const struct tee_ioctl_param *p)
{
	return (uint32_t)(p->attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK);
}

/* The fake TA. M.lock held; F_WAIT waits on M.cond. */
static uint32_t mock_ta(uint32_t func, uint32_t session, uint32_t cancel_id, struct tee_ioctl_param *p,
			uint32_t n, struct rparam *r)
{
	switch (func) {
	case F_REVERSE:
		if (n < 1 || ptype(&p[0]) != TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT || r[0].null)
			return TEE_ERROR_BAD_PARAMETERS;
		for (uint64_t i = 0, j = r[0].size; i + 1 < j; i++, j--) {
			uint8_t t = r[0].buf[i];
			r[0].buf[i] = r[0].buf[j - 1];
			r[0].buf[j - 1] = t;
		}
		return TEE_SUCCESS;
	case F_VALUES:
		if (n != 4 || ptype(&p[0]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT ||
		    ptype(&p[1]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT ||
		    ptype(&p[2]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT || ptype(&p[3]) != 0 || p[2].a != 0x77)
			return TEE_ERROR_BAD_PARAMETERS;
		p[0].a += 1;
		p[0].b += 2;
		p[0].c += 3;
		p[1].a = 0x11;
		p[1].b = 0x22;
		p[1].c = 0x33;
		return TEE_SUCCESS;
	case F_OUT:
		if (n < 1 || ptype(&p[0]) != TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT)
			return TEE_ERROR_BAD_PARAMETERS;
		if (r[0].null || r[0].size < 8) {
			p[0].b = 8;
			return TEE_ERROR_SHORT_BUFFER;
		}
		memcpy(r[0].buf, "MOCKDATA", 8);
		p[0].b = 8;
		return TEE_SUCCESS;
	case F_NULL:
		if (n < 2 || ptype(&p[1]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT)
			return TEE_ERROR_BAD_PARAMETERS;
		p[1].a = r[0].null;
		p[1].b = r[0].size;
		return TEE_SUCCESS;
	case F_SUM: {
		if (n < 2 || ptype(&p[0]) != TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT || r[0].null)
			return TEE_ERROR_BAD_PARAMETERS;
		uint64_t sum = 0;
		for (uint64_t i = 0; i < r[0].size; i++)
			sum += r[0].buf[i];
		p[1].a = sum;
		p[1].b = r[0].size;
		return TEE_SUCCESS;
	}
	case F_WAIT: {
		int slot = -1;
		for (int i = 0; i < MOCK_WAIT && slot < 0; i++)
			if (!M.wait[i].used)
				slot = i;
		if (slot < 0)
			return TEE_ERROR_BUSY;
		M.wait[slot].used = true;
		M.wait[slot].cancelled = false;
		M.wait[slot].cancel_id = cancel_id;
		M.wait[slot].session = session;
		M.waiting++;
		pthread_cond_broadcast(&M.cond);
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 20;
		int e = 0;
		while (!M.wait[slot].cancelled && e != ETIMEDOUT)
			e = pthread_cond_timedwait(&M.cond, &M.lock, &dl);
		bool cancelled = M.wait[slot].cancelled;
		M.wait[slot].used = false;
		M.waiting--;
		return cancelled ? TEE_ERROR_CANCEL : TEE_ERROR_GENERIC;
	}
	case F_SLEEP: /* a TA command that takes p[0].a ms */
		if (n < 1 || ptype(&p[0]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT)
			return TEE_ERROR_BAD_PARAMETERS;
		usleep((useconds_t)(p[0].a * 1000));
		return TEE_SUCCESS;
	default:
		return TEE_ERROR_NOT_IMPLEMENTED;
	}
}

static int mock_call(int dev, unsigned long req, void *arg)
{
	struct tee_ioctl_buf_data *bd = arg;
	if (bd->buf_len > TEE_MAX_ARG_SIZE)
		return -EINVAL;
	if (req == TEE_IOC_OPEN_SESSION) {
		struct tee_ioctl_open_session_arg *a = (void *)(uintptr_t)bd->buf_ptr;
		if (bd->buf_len < sizeof(*a) || bd->buf_len != sizeof(*a) + a->num_params * sizeof(a->params[0]))
			return -EINVAL;
		struct rparam r[8];
		int e = a->num_params > 8 ? -EINVAL : mock_params(a->params, a->num_params, r);
		if (e)
			return e;
		if (a->clnt_login >= TEE_IOCTL_LOGIN_REE_KERNEL_MIN && a->clnt_login <= TEE_IOCTL_LOGIN_REE_KERNEL_MAX) {
			M.eperm++;
			return -EPERM;
		}
		M.opens++;
		M.open_login = a->clnt_login;
		M.open_cancel_id = a->cancel_id;
		memcpy(M.open_clnt, a->clnt_uuid, 16);
		if (M.nids < 8192)
			M.ids[M.nids++] = a->cancel_id;
		if (a->uuid[0] == 0xee) {
			a->ret = TEE_ERROR_ITEM_NOT_FOUND;
			a->ret_origin = TEE_ORIGIN_TEE;
			return 0;
		}
		if (a->num_params && ptype(&a->params[0]) == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT)
			a->params[0].a += 1;
		for (int s = 0; s < MOCK_SESS; s++)
			if (!M.sess[s].id) {
				M.sess[s].id = M.next_sess++;
				M.sess[s].dev = dev;
				a->session = M.sess[s].id;
				a->ret = TEE_SUCCESS;
				a->ret_origin = TEE_ORIGIN_TRUSTED_APP;
				return 0;
			}
		return -ENOMEM;
	}
	struct tee_ioctl_invoke_arg *a = (void *)(uintptr_t)bd->buf_ptr;
	if (bd->buf_len < sizeof(*a) || bd->buf_len != sizeof(*a) + a->num_params * sizeof(a->params[0]))
		return -EINVAL;
	bool known = false;
	for (int s = 0; s < MOCK_SESS; s++)
		known |= M.sess[s].id == a->session && M.sess[s].dev == dev;
	if (!known)
		return -EINVAL;
	struct rparam r[8];
	int e = a->num_params > 8 ? -EINVAL : mock_params(a->params, a->num_params, r);
	if (e)
		return e;
	if (a->func == F_EINVAL)
		return -EINVAL;
	M.invokes++;
	M.invoke_thread = pthread_self();
	if (M.nids < 8192)
		M.ids[M.nids++] = a->cancel_id;
	a->ret = mock_ta(a->func, a->session, a->cancel_id, a->params, a->num_params, r);
	a->ret_origin = TEE_ORIGIN_TRUSTED_APP;
	return 0;
}

static int mock_ioctl(int fd, unsigned long req, void *arg)
{
	int r = 0;
	pthread_mutex_lock(&M.lock);
	int kind = -1;
	for (unsigned i = 0; i < M.ndev; i++)
		if (M.dev[i].fd == fd)
			kind = M.dev[i].kind;
	if (kind < 0) {
		r = -EBADF;
		goto out;
	}
	if (req == TEE_IOC_VERSION) {
		struct tee_ioctl_version_data *v = arg;
		if (kind == K_NONE) {
			r = -ENOTTY;
			goto out;
		}
		v->impl_id = kind == K_AMD ? TEE_IMPL_ID_AMDTEE : TEE_IMPL_ID_OPTEE;
		v->impl_caps = kind == K_AMD ? 0 : TEE_OPTEE_CAP_TZ;
		v->gen_caps = kind == K_OPTEE ? M.caps
			      : kind == K_SUPP ? TEE_GEN_CAP_GP | TEE_GEN_CAP_PRIVILEGED | TEE_GEN_CAP_REG_MEM
					       : TEE_GEN_CAP_GP | TEE_GEN_CAP_REG_MEM;
		goto out;
	}
	if (kind != K_OPTEE) {
		r = -EINVAL; /* only the VM's device gets used */
		goto out;
	}
	switch (req) {
	case TEE_IOC_SHM_REGISTER: {
		struct tee_ioctl_shm_register_data *d = arg;
		if (!(M.caps & TEE_GEN_CAP_REG_MEM)) {
			r = -EOPNOTSUPP;
			break;
		}
		if (d->flags || !d->length || !d->addr) {
			r = -EINVAL;
			break;
		}
		/* the kernel pins every page: touch the first and the last byte */
		volatile uint8_t *a = (uint8_t *)(uintptr_t)d->addr;
		(void)a[0];
		(void)a[d->length - 1];
		struct mshm *m = mock_shm_new();
		if (!m) {
			r = -ENOMEM;
			break;
		}
		m->fd = eventfd(0, EFD_CLOEXEC);
		m->addr = (uint8_t *)(uintptr_t)d->addr;
		m->len = d->length;
		d->id = m->id;
		M.registers++;
		r = m->fd;
		break;
	}
	case TEE_IOC_SHM_ALLOC: {
		struct tee_ioctl_shm_alloc_data *d = arg;
		if (d->flags || !d->size) {
			r = -EINVAL;
			break;
		}
		struct mshm *m = mock_shm_new();
		if (!m) {
			r = -ENOMEM;
			break;
		}
		m->fd = memfd_create("mock-shm", MFD_CLOEXEC);
		REQUIRE(m->fd >= 0 && ftruncate(m->fd, (off_t)d->size) == 0);
		m->addr = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
		REQUIRE(m->addr != MAP_FAILED);
		/* stale data from an earlier user: the back-end must not hand it to an output-only TA */
		memset(m->addr, 0xcc, d->size);
		m->alloc = true;
		m->len = d->size;
		d->id = m->id;
		M.allocs++;
		r = m->fd;
		break;
	}
	case TEE_IOC_OPEN_SESSION:
	case TEE_IOC_INVOKE:
		r = mock_call(fd, req, arg);
		break;
	case TEE_IOC_CANCEL: {
		struct tee_ioctl_cancel_arg *c = arg;
		while (M.cancel_blocks)
			pthread_cond_wait(&M.cond, &M.lock);
		if (M.ncancels < 64) {
			M.cancels[M.ncancels].cancel_id = c->cancel_id;
			M.cancels[M.ncancels].session = c->session;
			M.ncancels++;
		}
		if (M.lose_cancels) /* OP-TEE finds no call to flag yet */
			M.lose_cancels--;
		else
			for (int i = 0; i < MOCK_WAIT; i++)
				if (M.wait[i].used && M.wait[i].cancel_id == c->cancel_id &&
				    M.wait[i].session == c->session)
					M.wait[i].cancelled = true;
		pthread_cond_broadcast(&M.cond);
		break;
	}
	case TEE_IOC_CLOSE_SESSION: {
		struct tee_ioctl_close_session_arg *c = arg;
		r = -EINVAL;
		for (int s = 0; s < MOCK_SESS; s++)
			if (M.sess[s].id == c->session && M.sess[s].dev == fd) {
				M.sess[s].id = 0;
				M.closes++;
				r = M.lose_sessions ? -EINVAL : 0;
			}
		break;
	}
	default:
		r = -ENOTTY;
		break;
	}
out:
	pthread_mutex_unlock(&M.lock);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

static struct teedev_sys mock_sys = { mock_open, mock_ioctl, mock_close, NULL };

/* ---- a VM on the mock ---- */

#define RAM_PAGES 256
#define GPA_A 0x40000000ull
#define GPA_B 0x80000000ull
#define A(p) (GPA_A + (uint64_t)(p) * PG)
#define B(p) (GPA_B + (uint64_t)(p) * PG)

struct env {
	struct vtee_tee *tee;
	struct vtee_vm *vm;
	void *be;
	int ramfd;
	uint8_t *ram;
};

static const struct vtee_backend_ops *const ops = &vtee_teedev_backend;

/* The teedev back-end's own VM behind a core VM (its ops are driven directly here). */
static void *teedev_vm(struct vtee_vm *vm)
{
	return vtee_vm_backend_priv(vm, &vtee_teedev_backend);
}

/* RAM: one memfd, two regions (gpa A: file pages 0..127, gpa B: 128..255). */
static void env_up(struct env *e, uint32_t caps, const char *extra, bool ram_fd)
{
	char opt[256];
	mock_reset(caps);
	mock_sys.dev_dir = tmpdir;
	teedev_set_sys(&mock_sys);
	snprintf(opt, sizeof(opt), "dev=%s/tee2%s%s", tmpdir, extra ? "," : "", extra ? extra : "");
	REQUIRE_EQ(vtee_tee_open("teedev", opt, &e->tee), 0);
	REQUIRE_EQ(vm_create(e->tee, 7, &e->vm), 0);
	e->be = teedev_vm(e->vm);
	e->ramfd = make_file(2, RAM_PAGES);
	e->ram = mmap(NULL, RAM_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, e->ramfd, 0);
	REQUIRE(e->ram != MAP_FAILED);
	int fd = ram_fd ? e->ramfd : -1;
	REQUIRE_EQ(vtee_vm_add_ram(e->vm, GPA_A, 128 * PG, e->ram, fd, 0), 0);
	REQUIRE_EQ(vtee_vm_add_ram(e->vm, GPA_B, 128 * PG, e->ram + 128 * PG, fd, 128 * PG), 0);
}

static void env_down(struct env *e)
{
	vtee_vm_destroy(e->vm);
	vtee_tee_close(e->tee);
	munmap(e->ram, RAM_PAGES * PG);
	close(e->ramfd);
	pthread_mutex_lock(&M.lock);
	CHECK_EQ(M.ndev, 0);   /* the VM's context is closed */
	CHECK_EQ(M.bad_fd, 0); /* and nothing else was closed that was not ours */
	CHECK_EQ(M.eperm, 0);  /* a kernel-range login never reached the "kernel" */
	pthread_mutex_unlock(&M.lock);
	CHECK_EQ(mock_live_shms(), 0);
	CHECK_EQ(shmview_windows(), 0); /* no view outlives its buffer or its call */
	teedev_set_sys(NULL);
}

static struct vtee_teedev_stats stats(struct env *e)
{
	struct vtee_teedev_stats st;
	REQUIRE_EQ(vtee_teedev_stats(e->be, &st), 0);
	return st;
}

static struct vtee_shm *make_shm(struct env *e, const uint64_t *gpas, size_t n, uint32_t first_off, uint64_t size)
{
	struct vtee_shm *shm = NULL;
	REQUIRE_EQ(vtee_shm_new(e->vm, size, first_off, &shm), 0);
	REQUIRE_EQ(vtee_shm_num_pages(shm), n);
	for (size_t i = 0; i < n; i++)
		REQUIRE_EQ(vtee_shm_set_page(shm, i, gpas[i]), 0);
	return shm;
}

static void start(struct env *e, struct vtee_req *r)
{
	r->client.vm_id = vtee_vm_id(e->vm);
	vtee_req_arm(r);
	ops->submit(e->be, r);
}

static void run(struct env *e, struct vtee_req *r)
{
	start(e, r);
	REQUIRE(vtee_req_wait(r, WAIT_US));
}

static void set_mem(struct vtee_req *r, unsigned i, uint32_t type, struct vtee_shm *shm, uint64_t offs, uint64_t size)
{
	r->params[i].type = type;
	r->params[i].u.memref.shm = shm;
	r->params[i].u.memref.offs = offs;
	r->params[i].u.memref.size = size;
	if (r->num_params <= i)
		r->num_params = i + 1;
}

static void set_val(struct vtee_req *r, unsigned i, uint32_t type, uint64_t a, uint64_t b, uint64_t c)
{
	r->params[i].type = type;
	r->params[i].u.value.a = a;
	r->params[i].u.value.b = b;
	r->params[i].u.value.c = c;
	if (r->num_params <= i)
		r->num_params = i + 1;
}

static void *open_sess(struct env *e, uint32_t login)
{
	struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = ta_ok, .client = { .login = login } };
	memset(r.client.uuid.b, 0x5c, 16); /* the guest's claim: never reaches the host */
	run(e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK(r.session != NULL);
	return r.session;
}

static uint32_t close_sess(struct env *e, void *s)
{
	struct vtee_req r = { .op = VTEE_REQ_CLOSE, .session = s };
	run(e, &r);
	return r.ret;
}

static struct vtee_req invoke(void *s, uint32_t func)
{
	return (struct vtee_req){ .op = VTEE_REQ_INVOKE, .session = s, .func = func };
}

static uint64_t shm_sum(struct vtee_shm *shm, uint64_t offs, uint64_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	REQUIRE(b && vtee_shm_read(shm, offs, b, size) == 0);
	uint64_t sum = 0;
	for (uint64_t i = 0; i < size; i++)
		sum += b[i];
	free(b);
	return sum;
}

/* teedev's session handle is the host's session id + 1 (teedev.c, sess_handle) */
static uint32_t host_id(const void *session)
{
	return (uint32_t)((uintptr_t)session - 1);
}

static long tee_sessions(struct env *e)
{
	struct vtee_vm_stats st;
	vtee_vm_get_stats(e->vm, &st);
	return st.tee_sessions;
}

static bool wait_for(unsigned *counter, unsigned want)
{
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&M.lock);
		bool ok = *counter >= want;
		pthread_mutex_unlock(&M.lock);
		if (ok)
			return true;
		usleep(5000);
	}
	return false;
}

#define CAPS_ALL (TEE_GEN_CAP_GP | TEE_GEN_CAP_REG_MEM | TEE_GEN_CAP_MEMREF_NULL)

static void test_discovery(void)
{
	char opt[160];
	touch("tee1");
	touch("tee2");
	mock_reset(CAPS_ALL);
	mock_sys.dev_dir = tmpdir;
	teedev_set_sys(&mock_sys);
	/* tee0 is AMD's, tee1 a supplicant device, teepriv0 not a client name: tee2 it is */
	struct vtee_tee *tee;
	struct vtee_vm *vm;
	REQUIRE_EQ(vtee_tee_open("teedev", NULL, &tee), 0);
	REQUIRE_EQ(vm_create(tee, 3, &vm), 0);
	pthread_mutex_lock(&M.lock);
	CHECK_EQ(M.ndev, 1);
	CHECK_EQ(M.dev[0].kind, K_OPTEE);
	pthread_mutex_unlock(&M.lock);
	struct vtee_teedev_stats st;
	REQUIRE_EQ(vtee_teedev_stats(teedev_vm(vm), &st), 0);
	CHECK_EQ(st.impl_id, TEE_IMPL_ID_OPTEE);
	CHECK(st.reg_mem && st.memref_null);
	/* a second VM: a context of its own */
	struct vtee_vm *vm2;
	REQUIRE_EQ(vm_create(tee, 4, &vm2), 0);
	pthread_mutex_lock(&M.lock);
	CHECK_EQ(M.ndev, 2);
	pthread_mutex_unlock(&M.lock);
	vtee_vm_destroy(vm2);
	vtee_vm_destroy(vm);
	vtee_tee_close(tee);
	CHECK_EQ(M.ndev, 0);

	/* named ones that are not OP-TEE clients; none left open */
	snprintf(opt, sizeof(opt), "dev=%s/tee0", tmpdir);
	CHECK_EQ(try_vm(opt), (unsigned long long)-ENODEV);
	snprintf(opt, sizeof(opt), "dev=%s/tee1", tmpdir);
	CHECK_EQ(try_vm(opt), (unsigned long long)-ENODEV);
	snprintf(opt, sizeof(opt), "dev=%s/teepriv0", tmpdir);
	CHECK_EQ(try_vm(opt), (unsigned long long)-ENODEV);
	snprintf(opt, sizeof(opt), "dev=%s/tee9", tmpdir);
	CHECK_EQ(try_vm(opt), (unsigned long long)-ENOENT);
	/* no OP-TEE among several */
	char sub[96];
	snprintf(sub, sizeof(sub), "%s/amd", tmpdir);
	REQUIRE(mkdir(sub, 0700) == 0);
	snprintf(opt, sizeof(opt), "%s/tee0", sub);
	int fd = open(opt, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	mock_sys.dev_dir = sub;
	teedev_set_sys(&mock_sys);
	CHECK_EQ(try_vm(NULL), (unsigned long long)-ENOENT);
	CHECK_EQ(M.ndev, 0);
	teedev_set_sys(NULL);
}

/* Everything in place: registered views, temporary views, all parameter kinds, logins, sessions. */
static void test_zero_copy(void)
{
	struct env e;
	env_up(&e, CAPS_ALL, NULL, true);
	struct vtee_teedev_stats st = stats(&e);
	CHECK(st.reg_mem && st.memref_null);

	/* a registered buffer over scattered pages of both regions: 4 runs */
	const uint64_t pg[] = { A(10), A(3), A(4), B(0), B(1), A(50) };
	uint64_t size = 6 * PG - 300 - 200;
	struct vtee_shm *reg = make_shm(&e, pg, 6, 300, size);
	REQUIRE_EQ(vtee_shm_register(&(struct vtee_smc){ .vm = e.vm }, reg, 1), 0);
	st = stats(&e);
	CHECK_EQ(st.views, 1);
	CHECK_EQ(st.view_maps, 4);
	CHECK_EQ(st.maps_now, 4);
	CHECK_EQ(st.view_fallbacks, 0);
	CHECK_EQ(M.registers, 1);
	/* what the "kernel" was given is the guest's buffer, byte for byte */
	pthread_mutex_lock(&M.lock);
	struct mshm *m = NULL;
	for (int i = 0; i < MOCK_SHMS; i++)
		if (M.shm[i].used)
			m = &M.shm[i];
	REQUIRE(m != NULL);
	CHECK_EQ(m->len, size);
	uint8_t *want = malloc(size);
	REQUIRE(want && vtee_shm_read(reg, 0, want, size) == 0);
	CHECK(!memcmp(m->addr, want, size));
	pthread_mutex_unlock(&M.lock);

	/* logins: the guest's REE_KERNEL becomes PUBLIC, its client UUID is dropped */
	static const uint8_t zero[16];
	void *s1 = open_sess(&e, TEE_LOGIN_REE_KERNEL);
	CHECK_EQ(M.open_login, TEE_IOCTL_LOGIN_PUBLIC);
	CHECK(!memcmp(M.open_clnt, zero, 16));
	CHECK_EQ(stats(&e).logins_mapped, 1);
	void *s2 = open_sess(&e, TEE_LOGIN_PUBLIC);
	CHECK_EQ(stats(&e).logins_mapped, 1);
	CHECK_EQ(tee_sessions(&e), 2);
	CHECK_EQ(stats(&e).sessions, 2);
	/* a TA that is not there; an OPEN with a parameter */
	struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = ta_missing };
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TEE);
	CHECK(r.session == NULL);
	r = (struct vtee_req){ .op = VTEE_REQ_OPEN, .ta = ta_ok };
	set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, 41, 0, 0);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.value.a, 42);
	void *gone = r.session;
	CHECK_EQ(close_sess(&e, gone), TEE_SUCCESS);
	CHECK_EQ(tee_sessions(&e), 2);
	/*
	 * An INVOKE the core prepared before another vCPU's CLOSE ended the session
	 * is submitted with the stale handle: it must fail in the TEE, never read
	 * freed memory (the handle used to be a pointer the CLOSE freed).
	 */
	r = invoke(gone, F_VALUES);
	set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, 1, 0, 0);
	run(&e, &r);
	CHECK(r.ret != TEE_SUCCESS);
	CHECK_EQ(tee_sessions(&e), 2);
	CHECK_EQ(close_sess(&e, gone), TEE_SUCCESS); /* a second CLOSE of it: nothing to forget */
	CHECK_EQ(stats(&e).sessions, 2);

	/* INOUT on the registered buffer: the TA works on guest RAM itself */
	uint64_t offs = 1000, len = 9000;
	uint8_t *before = malloc(len), *after = malloc(len);
	REQUIRE(before && after && vtee_shm_read(reg, offs, before, len) == 0);
	r = invoke(s1, F_REVERSE);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_INOUT, reg, offs, len);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK_EQ(r.params[0].u.memref.size, len);
	REQUIRE(vtee_shm_read(reg, offs, after, len) == 0);
	bool reversed = true;
	for (uint64_t i = 0; i < len; i++)
		reversed &= after[i] == before[len - 1 - i];
	CHECK(reversed);
	CHECK_EQ(stats(&e).copies, 0);
	CHECK_EQ(M.registers, 1); /* no registration per call */

	/* a temporary memref, in place for its call only */
	const uint64_t tp[] = { A(20), A(22), A(21) };
	struct vtee_shm *tmp = make_shm(&e, tp, 3, 5, 3 * PG - 10);
	r = invoke(s2, F_SUM);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, tmp, 0, 3 * PG - 10);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.value.a, shm_sum(tmp, 0, 3 * PG - 10));
	CHECK_EQ(r.params[1].u.value.b, 3 * PG - 10);
	st = stats(&e);
	CHECK_EQ(st.tmp_views, 1);
	CHECK_EQ(st.view_maps, 4 + 3); /* A20, A22, A21: three runs */
	CHECK_EQ(st.maps_now, 4); /* gone with its call */
	CHECK_EQ(st.copies, 0);
	CHECK_EQ(mock_live_shms(), 1);
	/* part of it */
	r = invoke(s2, F_SUM);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, tmp, 4000, 300);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	run(&e, &r);
	CHECK_EQ(r.params[1].u.value.a, shm_sum(tmp, 4000, 300));
	vtee_shm_free(tmp);

	/* output sizes: SHORT_BUFFER leaves the buffer alone, a shorter answer only its bytes */
	const uint64_t op[] = { A(30) };
	struct vtee_shm *out = make_shm(&e, op, 1, 0, 16);
	uint8_t orig[16];
	REQUIRE(vtee_shm_read(out, 0, orig, 16) == 0);
	r = invoke(s1, F_OUT);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_OUT, out, 0, 4);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(r.params[0].u.memref.size, 8);
	uint8_t now[16];
	REQUIRE(vtee_shm_read(out, 0, now, 16) == 0);
	CHECK(!memcmp(now, orig, 16));
	r = invoke(s1, F_OUT);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_OUT, out, 0, 16);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[0].u.memref.size, 8);
	REQUIRE(vtee_shm_read(out, 0, now, 16) == 0);
	CHECK(!memcmp(now, "MOCKDATA", 8));
	CHECK(!memcmp(now + 8, orig + 8, 8));
	vtee_shm_free(out);
	r = invoke(s1, F_OUT); /* on the registered buffer, at an offset */
	set_mem(&r, 0, VTEE_PARAM_MEMREF_OUT, reg, 5000, 100);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	REQUIRE(vtee_shm_read(reg, 5000, now, 8) == 0);
	CHECK(!memcmp(now, "MOCKDATA", 8));

	/* a NULL memref (size only), and every kind of value */
	r = invoke(s1, F_NULL);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_OUT, NULL, 0, 77);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 9, 9, 9);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.value.a, 1);
	CHECK_EQ(r.params[1].u.value.b, 77);
	r = invoke(s1, F_VALUES);
	set_val(&r, 0, VTEE_PARAM_VALUE_INOUT, 1, 2, 3);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0xdead, 0xdead, 0xdead);
	set_val(&r, 2, VTEE_PARAM_VALUE_IN, 0x77, 0, 0);
	set_val(&r, 3, VTEE_PARAM_NONE, 0, 0, 0);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK(r.params[0].u.value.a == 2 && r.params[0].u.value.b == 4 && r.params[0].u.value.c == 6);
	CHECK(r.params[1].u.value.a == 0x11 && r.params[1].u.value.b == 0x22 && r.params[1].u.value.c == 0x33);
	CHECK_EQ(r.params[2].u.value.a, 0x77);

	/* errors: ioctl failures, bad memrefs (refused before the ioctl), bad types */
	unsigned inv = M.invokes;
	r = invoke(s1, F_EINVAL);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(r.ret_origin, TEE_ORIGIN_COMMS);
	r = invoke(s1, F_SUM);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, reg, size - 10, 11);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	r = invoke(s1, F_SUM);
	set_val(&r, 0, 4, 0, 0, 0);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	r = invoke(s1, F_SUM);
	r.num_params = VTEE_MAX_PARAMS + 1;
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	r = invoke(NULL, F_SUM);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_BAD_PARAMETERS);
	CHECK_EQ(M.invokes, inv);

	/* CLOSE; one the context no longer has is forgotten too */
	CHECK_EQ(close_sess(&e, s2), TEE_SUCCESS);
	CHECK_EQ(tee_sessions(&e), 1);
	void *s3 = open_sess(&e, TEE_LOGIN_USER);
	M.lose_sessions = true;
	CHECK_EQ(close_sess(&e, s3), TEE_SUCCESS);
	M.lose_sessions = false;
	CHECK_EQ(tee_sessions(&e), 1);

	/* unregister: its registration goes, so do its maps */
	void *s4 = open_sess(&e, TEE_LOGIN_GROUP);
	(void)s4;
	CHECK_EQ(vtee_shm_unregister(&(struct vtee_smc){ .vm = e.vm }, 1), 0);
	CHECK_EQ(mock_live_shms(), 0);
	CHECK_EQ(stats(&e).maps_now, 0);
	/* teardown with a registered buffer and two sessions still open: the context takes them */
	struct vtee_shm *reg2 = make_shm(&e, pg, 6, 0, 6 * PG);
	REQUIRE_EQ(vtee_shm_register(&(struct vtee_smc){ .vm = e.vm }, reg2, 2), 0);
	CHECK_EQ(mock_live_shms(), 1);
	unsigned closed_before = M.ctx_closed_sessions;
	env_down(&e);
	CHECK_EQ(M.ctx_closed_sessions, closed_before + 2);
	/* every OPEN and INVOKE carried its own cancel id */
	bool unique = M.nids > 10;
	for (unsigned i = 0; i < M.nids; i++)
		for (unsigned j = i + 1; j < M.nids; j++)
			unique &= M.ids[i] != M.ids[j] && M.ids[i];
	CHECK(unique);
	free(want);
	free(before);
	free(after);
}

/* TEE_IOC_CANCEL with the request's own id and session; a queued request never reaches the TEE. */
static void test_cancel(void)
{
	struct env e;
	env_up(&e, CAPS_ALL, "threads=2", true);
	void *s1 = open_sess(&e, TEE_LOGIN_PUBLIC), *s2 = open_sess(&e, TEE_LOGIN_PUBLIC);
	struct vtee_req r1 = invoke(s1, F_WAIT), r2 = invoke(s2, F_WAIT), r3 = invoke(s1, F_SUM);
	start(&e, &r1);
	start(&e, &r2);
	REQUIRE(wait_for(&M.waiting, 2));
	/* both threads busy: r3 queues */
	const uint64_t tp[] = { A(7) };
	struct vtee_shm *tmp = make_shm(&e, tp, 1, 0, 100);
	set_mem(&r3, 0, VTEE_PARAM_MEMREF_IN, tmp, 0, 100);
	set_val(&r3, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	unsigned inv = M.invokes;
	start(&e, &r3);
	CHECK(!vtee_req_wait(&r3, 50000));
	ops->cancel(e.be, &r3);
	REQUIRE(vtee_req_wait(&r3, WAIT_US));
	CHECK_EQ(r3.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(r3.ret_origin, TEE_ORIGIN_COMMS);
	CHECK_EQ(M.invokes, inv);
	CHECK_EQ(stats(&e).cancels, 0);

	/* the running one on s1, exactly: s2's keeps waiting */
	pthread_mutex_lock(&M.lock);
	uint32_t id1 = 0, id2 = 0;
	for (int i = 0; i < MOCK_WAIT; i++) {
		if (M.wait[i].used && M.wait[i].session == host_id(s1))
			id1 = M.wait[i].cancel_id;
		if (M.wait[i].used && M.wait[i].session == host_id(s2))
			id2 = M.wait[i].cancel_id;
	}
	pthread_mutex_unlock(&M.lock);
	CHECK(id1 && id2 && id1 != id2);
	ops->cancel(e.be, &r1);
	REQUIRE(vtee_req_wait(&r1, WAIT_US));
	CHECK_EQ(r1.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(r1.ret_origin, TEE_ORIGIN_TRUSTED_APP);
	CHECK(!vtee_req_wait(&r2, 50000));
	CHECK_EQ(M.ncancels, 1);
	CHECK_EQ(M.cancels[0].cancel_id, id1);
	CHECK_EQ(M.cancels[0].session, host_id(s1));
	/* a finished request is not cancelled again; a CLOSE is never cancelled */
	ops->cancel(e.be, &r1);
	CHECK_EQ(M.ncancels, 1);
	ops->cancel(e.be, &r2);
	REQUIRE(vtee_req_wait(&r2, WAIT_US));
	CHECK_EQ(r2.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(M.cancels[1].cancel_id, id2);
	CHECK_EQ(stats(&e).cancels, 2);

	/* the queue still works after all that */
	r3 = invoke(s1, F_SUM);
	set_mem(&r3, 0, VTEE_PARAM_MEMREF_IN, tmp, 0, 100);
	set_val(&r3, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	run(&e, &r3);
	CHECK_EQ(r3.ret, TEE_SUCCESS);
	CHECK_EQ(r3.params[1].u.value.a, shm_sum(tmp, 0, 100));
	vtee_shm_free(tmp);

	/*
	 * A cancel that waits in the kernel (no free OP-TEE thread) never holds
	 * up cancel(), which the core calls with the VM's lock held; asking
	 * again meanwhile sends nothing more.
	 */
	struct vtee_req r5 = invoke(s1, F_WAIT);
	start(&e, &r5);
	REQUIRE(wait_for(&M.waiting, 1));
	pthread_mutex_lock(&M.lock);
	M.cancel_blocks = true;
	unsigned nc = M.ncancels;
	pthread_mutex_unlock(&M.lock);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 5; i++)
		ops->cancel(e.be, &r5);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_CMP((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec), <, 200000000ll);
	CHECK(!vtee_req_wait(&r5, 50000));
	pthread_mutex_lock(&M.lock);
	M.cancel_blocks = false;
	pthread_cond_broadcast(&M.cond);
	pthread_mutex_unlock(&M.lock);
	REQUIRE(vtee_req_wait(&r5, WAIT_US));
	CHECK_EQ(r5.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(M.ncancels, nc + 1);

	/* teardown while a call waits in the TEE: the core cancels it first */
	struct vtee_req r4 = invoke(s2, F_WAIT);
	start(&e, &r4);
	REQUIRE(wait_for(&M.waiting, 1));
	ops->cancel(e.be, &r4);
	REQUIRE(vtee_req_wait(&r4, WAIT_US));
	CHECK_EQ(close_sess(&e, s1), TEE_SUCCESS);
	CHECK_EQ(close_sess(&e, s2), TEE_SUCCESS);
	env_down(&e);
}

struct stress {
	struct env *e;
	void *sess;
	unsigned idx;
	_Atomic unsigned bad;
};

static void *stress_main(void *arg)
{
	struct stress *st = arg;
	/* each thread its own scattered temporary buffer */
	uint64_t pg[3] = { A(60 + st->idx * 4 + 2), A(60 + st->idx * 4), B(60 + st->idx * 4) };
	for (int it = 0; it < 40; it++) {
		struct vtee_shm *tmp = make_shm(st->e, pg, 3, 7, 3 * PG - 7);
		struct vtee_req r = invoke(st->sess, F_SUM);
		set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, tmp, 0, 3 * PG - 7);
		set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
		run(st->e, &r);
		if (r.ret != TEE_SUCCESS || r.params[1].u.value.a != shm_sum(tmp, 0, 3 * PG - 7))
			st->bad++;
		vtee_shm_free(tmp);
	}
	return NULL;
}

static void test_stress(void)
{
	struct env e;
	env_up(&e, CAPS_ALL, NULL, true);
	void *s = open_sess(&e, TEE_LOGIN_PUBLIC);
	struct stress st[8];
	pthread_t th[8];
	for (unsigned i = 0; i < 8; i++) {
		st[i] = (struct stress){ .e = &e, .sess = s, .idx = i };
		REQUIRE(pthread_create(&th[i], NULL, stress_main, &st[i]) == 0);
	}
	unsigned bad = 0;
	for (unsigned i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		bad += st[i].bad;
	}
	CHECK_EQ(bad, 0);
	struct vtee_teedev_stats x = stats(&e);
	CHECK_EQ(x.tmp_views, 8 * 40);
	CHECK_EQ(x.maps_now, 0);
	CHECK_EQ(x.copies, 0);
	CHECK_EQ(mock_live_shms(), 0);
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	env_down(&e);
}

/* Copies, counted: no REG_MEM, zerocopy=0, guest RAM without a file, the map budget. */
static void copy_round(struct env *e, bool expect_views)
{
	const uint64_t pg[] = { A(10), A(3), A(4), B(0) };
	uint64_t size = 4 * PG - 100;
	struct vtee_shm *reg = make_shm(e, pg, 4, 100, size);
	REQUIRE_EQ(vtee_shm_register(&(struct vtee_smc){ .vm = e->vm }, reg, 9), 0);
	struct vtee_teedev_stats st0 = stats(e);
	CHECK_EQ(st0.views, expect_views ? 1u : 0u);
	void *s = open_sess(e, TEE_LOGIN_PUBLIC);

	uint64_t offs = 1000, len = 9000;
	uint8_t *before = malloc(len), *after = malloc(len);
	REQUIRE(before && after && vtee_shm_read(reg, offs, before, len) == 0);
	struct vtee_req r = invoke(s, F_REVERSE);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_INOUT, reg, offs, len);
	run(e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	REQUIRE(vtee_shm_read(reg, offs, after, len) == 0);
	bool reversed = true;
	for (uint64_t i = 0; i < len; i++)
		reversed &= after[i] == before[len - 1 - i];
	CHECK(reversed);
	struct vtee_teedev_stats st = stats(e);
	if (!expect_views) {
		CHECK_EQ(st.copies, st0.copies + 1);
		CHECK_EQ(st.copy_bytes, st0.copy_bytes + 2 * len);
	}
	CHECK_EQ(mock_live_shms(), expect_views ? 1u : 0u); /* the copy's buffer went with its call */

	/* output-only: the TA never sees what the allocator left; SHORT_BUFFER copies nothing back */
	const uint64_t op[] = { A(90) };
	struct vtee_shm *out = make_shm(e, op, 1, 0, 64);
	uint8_t orig[64], now[64];
	REQUIRE(vtee_shm_read(out, 0, orig, 64) == 0);
	r = invoke(s, F_OUT);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_OUT, out, 0, 4);
	run(e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(r.params[0].u.memref.size, 8);
	REQUIRE(vtee_shm_read(out, 0, now, 64) == 0);
	CHECK(!memcmp(now, orig, 64));
	r = invoke(s, F_OUT);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_OUT, out, 0, 64);
	run(e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	REQUIRE(vtee_shm_read(out, 0, now, 64) == 0);
	CHECK(!memcmp(now, "MOCKDATA", 8));
	CHECK(!memcmp(now + 8, orig + 8, 56)); /* only the 8 bytes the TA reported */
	vtee_shm_free(out);

	/* a zero-length memref on a real buffer */
	r = invoke(s, F_SUM);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, reg, 5, 0);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 1, 1, 1);
	run(e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.value.a, 0);

	CHECK_EQ(close_sess(e, s), TEE_SUCCESS);
	CHECK_EQ(vtee_shm_unregister(&(struct vtee_smc){ .vm = e->vm }, 9), 0);
	CHECK_EQ(mock_live_shms(), 0);
	free(before);
	free(after);
}

static void test_copies(void)
{
	struct env e;
	/* the host TEE cannot register user memory */
	env_up(&e, TEE_GEN_CAP_GP | TEE_GEN_CAP_MEMREF_NULL, NULL, true);
	CHECK(!stats(&e).reg_mem);
	copy_round(&e, false);
	CHECK_EQ(stats(&e).view_fallbacks, 0); /* not a fallback: there is no other way */
	CHECK_EQ(M.registers, 0);
	CHECK_CMP(M.allocs, >=, 3);
	env_down(&e);

	/* it can, but zerocopy=0 */
	env_up(&e, CAPS_ALL, "zerocopy=0", true);
	copy_round(&e, false);
	CHECK_EQ(M.registers, 0);
	env_down(&e);

	/* guest RAM without a file: nothing to map, copied (and counted as fallbacks) */
	env_up(&e, CAPS_ALL, NULL, false);
	copy_round(&e, false);
	CHECK_EQ(M.registers, 0);
	CHECK_CMP(stats(&e).view_fallbacks, >=, 2);
	env_down(&e);

	/* the map budget: a 3-run buffer does not fit in 2 maps, a 1-run one does */
	env_up(&e, CAPS_ALL, "maxmaps=2", true);
	copy_round(&e, false);
	const uint64_t pg[] = { A(100), A(101), A(102) };
	struct vtee_shm *one = make_shm(&e, pg, 3, 0, 3 * PG);
	REQUIRE_EQ(vtee_shm_register(&(struct vtee_smc){ .vm = e.vm }, one, 5), 0);
	CHECK_EQ(stats(&e).views, 1);
	CHECK_EQ(stats(&e).maps_now, 1);
	env_down(&e); /* unregisters it */

	/* the copy path's own limit: more than it may hold at once */
	env_up(&e, TEE_GEN_CAP_GP | TEE_GEN_CAP_MEMREF_NULL, NULL, true);
	void *s = open_sess(&e, TEE_LOGIN_PUBLIC);
	const uint64_t tp[] = { A(1) };
	struct vtee_shm *t = make_shm(&e, tp, 1, 0, 64);
	struct vtee_req r = invoke(s, F_SUM);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, t, 0, 64);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	vtee_test_shm_set_size(t, 65ull << 20); /* as if the guest had given 65 MiB */
	r.params[0].u.memref.size = 65ull << 20;
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_OUT_OF_MEMORY);
	vtee_test_shm_set_size(t, 64);
	vtee_shm_free(t);
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	env_down(&e);
}

/* No MEMREF_NULL: a NULL memref is refused, never turned into a buffer. */
static void test_no_memref_null(void)
{
	struct env e;
	env_up(&e, TEE_GEN_CAP_GP | TEE_GEN_CAP_REG_MEM, NULL, true);
	CHECK(!stats(&e).memref_null);
	void *s = open_sess(&e, TEE_LOGIN_PUBLIC);
	unsigned inv = M.invokes;
	struct vtee_req r = invoke(s, F_NULL);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_OUT, NULL, 0, 77);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_NOT_SUPPORTED);
	CHECK_EQ(M.invokes, inv);
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	env_down(&e);
}

/* The login policy, as the host sees it. */
static void test_login_policy(void)
{
	struct env e;
	env_up(&e, CAPS_ALL, "login=user,login.kernel=deny,login.group=group,gid=777", true);
	unsigned opens = M.opens;
	struct vtee_req r = { .op = VTEE_REQ_OPEN, .ta = ta_ok, .client = { .login = TEE_LOGIN_REE_KERNEL } };
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_ACCESS_DENIED);
	CHECK(r.session == NULL);
	CHECK_EQ(M.opens, opens);
	CHECK_EQ(stats(&e).logins_denied, 1);
	void *s1 = open_sess(&e, TEE_LOGIN_PUBLIC);
	CHECK_EQ(M.open_login, TEE_IOCTL_LOGIN_USER);
	void *s2 = open_sess(&e, TEE_LOGIN_GROUP);
	CHECK_EQ(M.open_login, TEE_IOCTL_LOGIN_GROUP);
	gid_t g;
	memcpy(&g, M.open_clnt, sizeof(g));
	CHECK_EQ(g, 777);
	CHECK_EQ(stats(&e).logins_mapped, 1); /* PUBLIC -> USER; GROUP stayed GROUP */
	CHECK_EQ(close_sess(&e, s1), TEE_SUCCESS);
	CHECK_EQ(close_sess(&e, s2), TEE_SUCCESS);
	env_down(&e);
}


/*
 * Host-wide budgets: fds, mmap()s and copies are the process's, so two VMs
 * together stay within them; past them a buffer is copied, and a copy that
 * does not fit fails the call cleanly.
 */
static void test_host_budgets(void)
{
	struct env e;
	teedev_set_host_limits(3, 1000, 8192);
	env_up(&e, CAPS_ALL, NULL, true);
	struct vtee_vm *vm2;
	REQUIRE_EQ(vm_create(e.tee, 8, &vm2), 0);
	REQUIRE_EQ(vtee_vm_add_ram(vm2, GPA_A, 128 * PG, e.ram, e.ramfd, 0), 0);
	void *s1 = open_sess(&e, TEE_LOGIN_PUBLIC);

	/* VM 7 registers two buffers in place, VM 8 one: the three fds */
	struct vtee_shm *b[4];
	for (int i = 0; i < 4; i++) {
		const uint64_t pg[] = { A(10 + i) };
		struct vtee_smc smc = { .vm = i < 2 ? e.vm : vm2 };
		REQUIRE_EQ(vtee_shm_new(smc.vm, PG, 0, &b[i]), 0);
		REQUIRE_EQ(vtee_shm_set_page(b[i], 0, pg[0]), 0);
		REQUIRE_EQ(vtee_shm_register(&smc, b[i], 100 + i), 0);
	}
	CHECK_EQ(stats(&e).views, 2);
	CHECK_EQ(stats(&e).host_fds, 3);
	CHECK_EQ(stats(&e).host_maps, 3);
	/* VM 8's second: no fd left, so copied at each call, and that copy needs an fd too */
	struct vtee_teedev_stats st2;
	REQUIRE_EQ(vtee_teedev_stats(teedev_vm(vm2), &st2), 0);
	CHECK_EQ(st2.views, 1);
	CHECK_EQ(st2.view_fallbacks, 1);
	/* VM 7's temporary memref: none either, and no fd for a copy: refused */
	const uint64_t tp[] = { A(40) };
	struct vtee_shm *t = make_shm(&e, tp, 1, 0, 100);
	struct vtee_req r = invoke(s1, F_SUM);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, t, 0, 100);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	unsigned inv = M.invokes;
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(M.invokes, inv);
	/* VM 8 lets one go: VM 7's call goes through, in place */
	vtee_shm_unregister(&(struct vtee_smc){ .vm = vm2 }, 102);
	CHECK_EQ(stats(&e).host_fds, 2);
	r = invoke(s1, F_SUM);
	set_mem(&r, 0, VTEE_PARAM_MEMREF_IN, t, 0, 100);
	set_val(&r, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	run(&e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	CHECK_EQ(r.params[1].u.value.a, shm_sum(t, 0, 100));
	CHECK_EQ(stats(&e).host_fds, 2); /* its view went with the call */

	/* the copy budget: 8 KiB in all, so a 12 KiB copy is refused, a 4 KiB one is not */
	struct vtee_shm *big = make_shm(&e, (const uint64_t[]){ A(50), A(52), A(54) }, 3, 0, 3 * PG);
	struct vtee_req rc = invoke(s1, F_SUM);
	set_mem(&rc, 0, VTEE_PARAM_MEMREF_IN, big, 0, 3 * PG);
	set_val(&rc, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	teedev_set_host_limits(3, 2, 8192); /* too few maps for a view of 3 runs: a copy */
	run(&e, &rc);
	CHECK_EQ(rc.ret, TEE_ERROR_OUT_OF_MEMORY);
	rc = invoke(s1, F_SUM);
	set_mem(&rc, 0, VTEE_PARAM_MEMREF_IN, big, 0, PG);
	set_val(&rc, 1, VTEE_PARAM_VALUE_OUT, 0, 0, 0);
	run(&e, &rc);
	CHECK_EQ(rc.ret, TEE_SUCCESS);
	CHECK_EQ(rc.params[1].u.value.a, shm_sum(big, 0, PG));
	CHECK_EQ(stats(&e).host_copy_bytes, 0);
	CHECK_EQ(stats(&e).host_fds, 2);
	vtee_shm_free(big);
	vtee_shm_free(t);

	CHECK_EQ(close_sess(&e, s1), TEE_SUCCESS);
	vtee_vm_destroy(vm2);
	env_down(&e);
	/* both VMs gone: nothing held host-wide */
	teedev_set_host_limits(0, 0, 0);
	env_up(&e, CAPS_ALL, NULL, true);
	CHECK_EQ(stats(&e).host_fds, 0);
	CHECK_EQ(stats(&e).host_maps, 0);
	CHECK_EQ(stats(&e).host_copy_bytes, 0);
	env_down(&e);
}

/* A cancel that reaches the TEE before its call did goes out again while the call runs. */
static void test_cancel_again(void)
{
	struct env e;
	env_up(&e, CAPS_ALL, NULL, true);
	void *s = open_sess(&e, TEE_LOGIN_PUBLIC);
	struct vtee_req r = invoke(s, F_WAIT);
	start(&e, &r);
	REQUIRE(wait_for(&M.waiting, 1));
	pthread_mutex_lock(&M.lock);
	M.lose_cancels = 2;
	pthread_mutex_unlock(&M.lock);
	ops->cancel(e.be, &r);
	REQUIRE(vtee_req_wait(&r, WAIT_US));
	CHECK_EQ(r.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(M.ncancels, 3);
	CHECK_EQ(M.cancels[2].cancel_id, M.cancels[0].cancel_id);
	CHECK_EQ(stats(&e).cancels, 3);

	/* after the counter wraps, an id a running call still holds is skipped */
	struct vtee_req w = invoke(s, F_WAIT);
	start(&e, &w);
	REQUIRE(wait_for(&M.waiting, 1));
	uint32_t held = M.ids[M.nids - 1];
	teedev_test_set_cancel_id(e.be, held - 1);
	struct vtee_req n = invoke(s, F_NULL);
	run(&e, &n);
	CHECK_EQ(M.ids[M.nids - 1], held + 1);
	teedev_test_set_cancel_id(e.be, UINT32_MAX);
	run(&e, &n);
	CHECK_EQ(M.ids[M.nids - 1], 1); /* never 0 */
	ops->cancel(e.be, &w);
	REQUIRE(vtee_req_wait(&w, WAIT_US));
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	env_down(&e);
}

/*
 * fd=: a context opened by someone else (vteed's supervisor) serves one VM; a
 * second VM is refused; a restarted mediator imports the sessions by handle.
 */
static void test_fd_option(void)
{
	char path[128], opt[64];
	mock_reset(CAPS_ALL);
	teedev_set_sys(&mock_sys);
	snprintf(path, sizeof(path), "%s/tee2", tmpdir);
	int fd = mock_open(path, O_RDWR | O_CLOEXEC);
	REQUIRE(fd >= 0);
	snprintf(opt, sizeof(opt), "fd=%d", fd);
	struct vtee_tee *tee;
	struct vtee_vm *vm, *vm2;
	REQUIRE_EQ(vtee_tee_open("teedev", opt, &tee), 0);
	REQUIRE_EQ(vm_create(tee, 7, &vm), 0);
	CHECK_EQ(vm_create(tee, 8, &vm2), (unsigned long long)-EBUSY);
	struct vtee_req o = { .op = VTEE_REQ_OPEN, .ta = ta_ok, .client.login = TEE_LOGIN_PUBLIC };
	o.client.vm_id = 7;
	vtee_req_arm(&o);
	ops->submit(teedev_vm(vm), &o);
	REQUIRE(vtee_req_wait(&o, WAIT_US));
	REQUIRE_EQ(o.ret, TEE_SUCCESS);
	uint64_t handle = ops->session_export(teedev_vm(vm), o.session);
	CHECK_EQ(handle, (uint64_t)(uintptr_t)o.session);
	/* what a restarted vteed does with the journal's handle, in a VM of its own */
	void *again = ops->session_import(teedev_vm(vm), handle);
	CHECK(again == NULL); /* this VM has it already */
	CHECK(ops->session_import(teedev_vm(vm), 0) == NULL);
	CHECK(ops->session_import(teedev_vm(vm), (uint64_t)UINT32_MAX + 2) == NULL);
	vtee_vm_destroy(vm); /* closes the context */
	vtee_tee_close(tee);
	pthread_mutex_lock(&M.lock);
	CHECK_EQ(M.ndev, 0);
	pthread_mutex_unlock(&M.lock);

	/* a fresh context and back-end, as after a restart: the session is imported and usable */
	fd = mock_open(path, O_RDWR | O_CLOEXEC);
	REQUIRE(fd >= 0);
	snprintf(opt, sizeof(opt), "fd=%d", fd);
	REQUIRE_EQ(vtee_tee_open("teedev", opt, &tee), 0);
	REQUIRE_EQ(vm_create(tee, 7, &vm), 0);
	void *s = ops->session_import(teedev_vm(vm), handle);
	CHECK(s != NULL);
	CHECK_EQ(ops->vm_session_count(teedev_vm(vm)), 1);
	vtee_vm_destroy(vm);
	vtee_tee_close(tee);

	/* a back-end that never made a VM still closes the fd it was given */
	fd = mock_open(path, O_RDWR | O_CLOEXEC);
	snprintf(opt, sizeof(opt), "fd=%d", fd);
	REQUIRE_EQ(vtee_tee_open("teedev", opt, &tee), 0);
	vtee_tee_close(tee);
	/* an fd that is no TEE: refused, and closed */
	fd = mock_open(path, O_RDWR | O_CLOEXEC);
	pthread_mutex_lock(&M.lock);
	M.dev[M.ndev - 1].kind = K_NONE;
	pthread_mutex_unlock(&M.lock);
	snprintf(opt, sizeof(opt), "fd=%d", fd);
	REQUIRE_EQ(vtee_tee_open("teedev", opt, &tee), 0);
	CHECK_EQ(vm_create(tee, 7, &vm), (unsigned long long)-ENODEV);
	vtee_tee_close(tee);
	pthread_mutex_lock(&M.lock);
	CHECK_EQ(M.ndev, 0);
	CHECK_EQ(M.bad_fd, 0);
	pthread_mutex_unlock(&M.lock);
	teedev_set_sys(NULL);
}

/* An INVOKE of F_SLEEP for ms milliseconds; true if its ioctl ran on this thread. */
static bool sleep_call(struct env *e, void *s, uint32_t ms)
{
	struct vtee_req r = invoke(s, F_SLEEP);
	set_val(&r, 0, VTEE_PARAM_VALUE_IN, ms, 0, 0);
	run(e, &r);
	CHECK_EQ(r.ret, TEE_SUCCESS);
	pthread_mutex_lock(&M.lock);
	bool here = pthread_equal(M.invoke_thread, pthread_self());
	pthread_mutex_unlock(&M.lock);
	return here;
}

struct inline_wait {
	struct env *e;
	struct vtee_req r;
	bool here;
};

static void *inline_wait_main(void *arg)
{
	struct inline_wait *w = arg;
	start(w->e, &w->r); /* inline=on: returns when the mock's F_WAIT does */
	pthread_mutex_lock(&M.lock);
	w->here = pthread_equal(M.invoke_thread, pthread_self());
	pthread_mutex_unlock(&M.lock);
	return NULL;
}

/*
 * inline=auto: a (session, command) runs on the caller's thread once it came
 * back within inline_us TEEDEV_INLINE_NEED times in a row; one overrun sends it
 * back to the pool until it has done twice as many quick calls.
 */
static void test_inline(void)
{
	struct env e;
	/* quick: within 100 ms, far above a mock call however loaded the machine; overrun: 200 ms */
	env_up(&e, CAPS_ALL, "inline_us=200000", true);
	void *s = open_sess(&e, TEE_LOGIN_PUBLIC);
	for (unsigned i = 0; i < TEEDEV_INLINE_NEED; i++)
		CHECK(!sleep_call(&e, s, 0));
	CHECK_EQ(stats(&e).inline_calls, 0);
	CHECK(sleep_call(&e, s, 0));
	CHECK(sleep_call(&e, s, 0));
	CHECK_EQ(stats(&e).inline_calls, 2);
	/* another command of the same session has its own record */
	struct vtee_req r = invoke(s, F_NULL);
	run(&e, &r);
	pthread_mutex_lock(&M.lock);
	CHECK(!pthread_equal(M.invoke_thread, pthread_self()));
	pthread_mutex_unlock(&M.lock);

	/* slower than quick but within inline_us: it stays inline, no penalty */
	CHECK(sleep_call(&e, s, 150));
	CHECK(sleep_call(&e, s, 0));
	CHECK_EQ(stats(&e).inline_overruns, 0);

	/* the same command turns slow: this one stalls its caller, once */
	CHECK(sleep_call(&e, s, 300));
	CHECK_EQ(stats(&e).inline_overruns, 1);
	for (unsigned i = 0; i < 2 * TEEDEV_INLINE_NEED; i++)
		CHECK(!sleep_call(&e, s, 0));
	CHECK(sleep_call(&e, s, 0));
	/* slow on the pool: back to the pool, with no overrun counted (nobody stalled) */
	CHECK(sleep_call(&e, s, 300));
	CHECK_EQ(stats(&e).inline_overruns, 2);
	CHECK(!sleep_call(&e, s, 300));
	CHECK_EQ(stats(&e).inline_overruns, 2);
	/* not yet inline, a call slower than quick starts the count again */
	for (unsigned i = 0; i < 4 * TEEDEV_INLINE_NEED - 1; i++)
		CHECK(!sleep_call(&e, s, 0));
	CHECK(!sleep_call(&e, s, 150));
	CHECK(!sleep_call(&e, s, 0));
	CHECK_EQ(stats(&e).inline_overruns, 2);

	/* a closed session's record goes with it */
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	s = open_sess(&e, TEE_LOGIN_PUBLIC);
	CHECK(!sleep_call(&e, s, 0));
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	env_down(&e);

	/* inline=off: never on the caller's thread */
	env_up(&e, CAPS_ALL, "inline=off", true);
	s = open_sess(&e, TEE_LOGIN_PUBLIC);
	for (unsigned i = 0; i < 3 * TEEDEV_INLINE_NEED; i++)
		CHECK(!sleep_call(&e, s, 0));
	CHECK_EQ(stats(&e).inline_calls, 0);
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	env_down(&e);

	/* inline=on: from the first call; a call in the TEE on its caller's thread is still cancelled */
	env_up(&e, CAPS_ALL, "inline=on", true);
	s = open_sess(&e, TEE_LOGIN_PUBLIC);
	CHECK(sleep_call(&e, s, 0));
	struct inline_wait w = { .e = &e, .r = invoke(s, F_WAIT) };
	pthread_t t;
	REQUIRE(pthread_create(&t, NULL, inline_wait_main, &w) == 0);
	REQUIRE(wait_for(&M.waiting, 1));
	ops->cancel(e.be, &w.r);
	pthread_join(t, NULL);
	CHECK(w.here);
	REQUIRE(vtee_req_wait(&w.r, WAIT_US));
	CHECK_EQ(w.r.ret, TEE_ERROR_CANCEL);
	CHECK_EQ(stats(&e).cancels, 1);
	CHECK_EQ(stats(&e).inline_calls, 2);
	CHECK_EQ(close_sess(&e, s), TEE_SUCCESS);
	env_down(&e);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vtee-teedev-XXXXXX");
	REQUIRE(mkdtemp(tmpdir) != NULL);
	test_options();
	test_logins();
	test_view();
	test_no_device();
	test_discovery();
	test_zero_copy();
	test_cancel();
	test_stress();
	test_copies();
	test_no_memref_null();
	test_login_policy();
	test_inline();
	test_host_budgets();
	test_cancel_again();
	test_fd_option();

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_report();
}
