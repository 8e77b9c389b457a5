// SPDX-License-Identifier: MIT
/*
 * The guest's kernel for `vtee run`: which Debian kernel package to boot (the
 * newest generic linux-image-6.12.*-arm64-unsigned, from bookworm-backports if
 * it has one; or VTEE_KERNEL_PKG: the e2e suite boots Debian 11's 5.10 that
 * way), where the Image and the modules are in an unpacked kernel package, and
 * a --kernel FILE (an Image, a gzip-compressed one, or a kernel .deb) with the
 * modules for its release from the cache.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "packages_int.h"

/*
 * linux-image-6.12.<N>+<tag>-arm64-unsigned: the generic flavour only (not -rt-, not -16k-).
 * 0 with *patch = N, or -EINVAL for other names.
 */
static int kernel_pkg_patch(const char *name, long *patch)
{
	static const char pre[] = "linux-image-6.12.", suf[] = "-arm64-unsigned";
	size_t n = strlen(name), pl = sizeof(pre) - 1, sl = sizeof(suf) - 1;
	if (n <= pl + sl || strncmp(name, pre, pl) || strcmp(name + n - sl, suf))
		return -EINVAL;
	const char *p = name + pl;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	char *end;
	long v = strtol(p, &end, 10);
	if (*end != '+')
		return -EINVAL;
	/* between '+' and the suffix: one tag such as "deb12", no further '-' */
	for (const char *q = end + 1; q < name + n - sl; q++)
		if (*q == '-')
			return -EINVAL;
	*patch = v;
	return 0;
}

/* ---- which kernel package ---- */

/* Every generic linux-image-6.12.* apt knows, as "<name>:arm64" in names[] (at most max); how many. */
static size_t kernel_pkg_names(char **names, size_t max)
{
	char *argv[] = { "apt-cache", "pkgnames", "linux-image-6.12.", NULL };
	struct lbuf out = { 0 };
	size_t n = 0;
	long patch;
	if (run_cmd(argv, NULL, &out, false) == 0 && out.p) {
		char *save;
		for (char *l = strtok_r((char *)out.p, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
			if (!kernel_pkg_patch(l, &patch))
				names[n++] = xasprintf("%s:arm64", l);
	}
	lbuf_free(&out);
	return n;
}

/* The newest kernel package with a candidate version, overall and in bookworm-backports. */
struct kernel_pick {
	char *best, *best_any;
	long best_n, best_any_n;
};

static void kernel_pick_consider(struct kernel_pick *k, const char *name, bool in_bpo)
{
	long n;
	if (kernel_pkg_patch(name, &n))
		return;
	if (n > k->best_any_n) {
		k->best_any_n = n;
		free(k->best_any);
		k->best_any = xasprintf("%s", name);
	}
	if (in_bpo && n > k->best_n) {
		k->best_n = n;
		free(k->best);
		k->best = xasprintf("%s", name);
	}
}

/* apt-cache policy's blocks: "name:arm64:" then indented lines; the version table names the suites. */
static void kernel_pick_from_policy(struct kernel_pick *k, char *text)
{
	char *cur = NULL, *save;
	bool has_candidate = false, in_bpo = false;
	for (char *l = strtok_r(text, "\n", &save);; l = strtok_r(NULL, "\n", &save)) {
		if (l && (*l == ' ' || !*l)) {
			if (strstr(l, "Candidate:") && !strstr(l, "(none)"))
				has_candidate = true;
			if (strstr(l, "bookworm-backports/"))
				in_bpo = true;
			continue;
		}
		if (cur && has_candidate)
			kernel_pick_consider(k, cur, in_bpo);
		free(cur);
		cur = NULL;
		if (!l)
			break;
		cur = xasprintf("%.*s", (int)strcspn(l, ":"), l);
		has_candidate = in_bpo = false;
	}
}

/* VTEE_KERNEL_PKG, else the newest generic 6.12 kernel apt offers, preferring bookworm-backports. */
static int resolve_kernel_pkg(char **out)
{
	const char *e = getenv("VTEE_KERNEL_PKG");
	if (e && *e) {
		*out = xasprintf("%s", e);
		return 0;
	}
	char *argv[64] = { "apt-cache", "policy" };
	size_t argc = 2 + kernel_pkg_names(argv + 2, 61);
	argv[argc] = NULL;
	struct kernel_pick k = { .best_n = -1, .best_any_n = -1 };
	struct lbuf policy = { 0 };
	if (argc > 2 && run_cmd(argv, NULL, &policy, false) == 0 && policy.p)
		kernel_pick_from_policy(&k, (char *)policy.p);
	lbuf_free(&policy);
	for (size_t i = 2; i < argc; i++)
		free(argv[i]);
	if (!k.best) {
		k.best = k.best_any;
		k.best_any = NULL;
	}
	free(k.best_any);
	*out = k.best;
	return k.best ? 0 : -ENOENT;
}

/* Offline and no package lists: the newest 6.12 kernel package already unpacked in the cache. */
static char *cached_kernel_pkg(const char *cache)
{
	char *pkd = xasprintf("%s/pkgs", cache);
	DIR *d = opendir(pkd);
	struct dirent *e;
	char *best = NULL;
	long best_n = -1, n;
	while (d && (e = readdir(d))) {
		char pkg[256];
		size_t len = strcspn(e->d_name, "_");
		if (len >= sizeof(pkg))
			continue;
		memcpy(pkg, e->d_name, len);
		pkg[len] = 0;
		if (!kernel_pkg_patch(pkg, &n) && n > best_n) {
			best_n = n;
			free(best);
			best = xasprintf("%s", pkg);
		}
	}
	if (d)
		closedir(d);
	free(pkd);
	return best;
}

/* The memo of the last lookup, if the apt lists have not changed since and it names a kernel package. */
static char *kernel_memo_read(const char *memo)
{
	struct lbuf m = { 0 };
	long n;
	char *name = NULL;
	if (!memo_read(memo, &m) && !kernel_pkg_patch((char *)m.p, &n))
		name = xasprintf("%s", (char *)m.p);
	lbuf_free(&m);
	return name;
}

int kernel_pkg_name(const char *cache, char **out)
{
	const char *env = getenv("VTEE_KERNEL_PKG");
	bool from_env = env && *env;
	/* apt-cache pkgnames + policy cost about 2 s: the answer is kept in <cache>/kernel-package */
	char *memo = xasprintf("%s/kernel-package", cache);
	char *name = from_env ? NULL : kernel_memo_read(memo);
	if (!name && !resolve_kernel_pkg(&name) && !from_env)
		(void)write_file(memo, name, strlen(name)); /* a lost memo only costs the next run the lookup */
	free(memo);
	if (!name)
		name = cached_kernel_pkg(cache);
	if (!name) {
		lmsg("no linux-image-6.12.*-arm64-unsigned package known to apt %s", pkg_hint);
		return -ENOENT;
	}
	*out = name;
	return 0;
}

/* ---- the kernel's files ---- */

int kernel_from_tree(const char *root, struct guest_pkgs *gp)
{
	char *boot = xasprintf("%s/boot", root);
	DIR *d = opendir(boot);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "vmlinuz-", 8) && !gp->kernel_image) {
				gp->kernel_image = xasprintf("%s/%s", boot, e->d_name);
				gp->kver = xasprintf("%s", e->d_name + 8);
			}
		closedir(d);
	}
	free(boot);
	if (!gp->kernel_image) {
		lmsg("no boot/vmlinuz-* in %s", root);
		return -ENOENT;
	}
	const char *const mdirs[] = { "lib/modules", "usr/lib/modules" };
	for (size_t i = 0; i < 2 && !gp->modules_dir; i++) {
		char *m = xasprintf("%s/%s/%s", root, mdirs[i], gp->kver);
		if (path_exists(m))
			gp->modules_dir = m;
		else
			free(m);
	}
	return 0;
}

/* "Linux version 6.12.95+deb12-arm64 (...)" inside a raw Image. */
static char *image_kver(const struct lbuf *img)
{
	static const char tag[] = "Linux version ";
	const uint8_t *p = img->p, *end = img->p + img->len;
	while (p < end) {
		p = memmem(p, (size_t)(end - p), tag, sizeof(tag) - 1);
		if (!p)
			return NULL;
		const uint8_t *v = p + sizeof(tag) - 1;
		size_t n = 0;
		while (v + n < end && n < 64 && (isalnum(v[n]) || strchr(".+-_~", v[n])))
			n++;
		if (n > 2 && isdigit(v[0]) && v + n < end && v[n] == ' ')
			return xasprintf("%.*s", (int)n, (const char *)v);
		p = v;
	}
	return NULL;
}

/* --kernel FILE.deb: unpacked once into pkgs/local-<key>, then read like a kernel package. */
static int kernel_from_local_deb(const char *cache, const char *file, const char *key, struct guest_pkgs *gp)
{
	char *pk = xasprintf("%s/pkgs", cache);
	mkdir_p(pk);
	char *root = xasprintf("%s/local-%s", pk, key);
	int r = path_exists(root) ? 0 : unpack_deb(file, root);
	if (r == 0)
		r = kernel_from_tree(root, gp);
	free(root);
	free(pk);
	return r;
}

/* A gzip-compressed Image, decompressed once into kernels/<key>.Image, read into img. */
static int kernel_gunzip(const char *cache, const char *file, const char *key, struct guest_pkgs *gp,
			 struct lbuf *img)
{
	char *kd = xasprintf("%s/kernels", cache);
	mkdir_p(kd);
	char *raw = xasprintf("%s/%s.Image", kd, key);
	free(kd);
	int r = 0;
	if (!path_exists(raw)) {
		struct lbuf un = { 0 };
		char *gz[] = { "gzip", "-dc", (char *)file, NULL };
		if (run_cmd(gz, NULL, &un, false) || write_file(raw, un.p, un.len)) {
			lmsg("cannot decompress %s", file);
			r = -EIO;
		}
		lbuf_free(&un);
	}
	if (r == 0)
		r = read_file(raw, img);
	gp->kernel_image = raw;
	return r;
}

/* A raw Image, or a gzip-compressed one (vmlinuz of some distributions), into img. */
static int kernel_image_read(const char *cache, const char *file, const char *key, struct guest_pkgs *gp,
			     struct lbuf *img)
{
	int r = read_file(file, img);
	if (r) {
		lmsg("cannot read %s: %s", file, strerror(-r));
		return r;
	}
	if (img->len > 2 && img->p[0] == 0x1f && img->p[1] == 0x8b) {
		lbuf_free(img);
		return kernel_gunzip(cache, file, key, gp, img);
	}
	char *abs = realpath(file, NULL);
	gp->kernel_image = abs ? abs : xasprintf("%s", file);
	return 0;
}

/* Modules for release kver from any kernel package already in the cache, NULL if none. */
static char *cached_modules_dir(const char *cache, const char *kver)
{
	char *pk = xasprintf("%s/pkgs", cache);
	DIR *d = opendir(pk);
	struct dirent *e;
	char *found = NULL;
	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *m = xasprintf("%s/%s/lib/modules/%s", pk, e->d_name, kver);
		if (path_exists(m))
			found = m;
		else
			free(m);
	}
	if (d)
		closedir(d);
	free(pk);
	return found;
}

int kernel_from_file(const char *cache, const char *file, struct guest_pkgs *gp)
{
	struct stat st;
	if (stat(file, &st) || !S_ISREG(st.st_mode)) {
		lmsg("--kernel %s: not a file", file);
		return -ENOENT;
	}
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t bl = strlen(base);
	bool deb = bl > 4 && !strcmp(base + bl - 4, ".deb");
	/* the cache key: the name (without .deb), size and mtime */
	char *key = xasprintf("%.*s-%lld-%lld", (int)(deb ? bl - 4 : bl), base, (long long)st.st_size,
			      (long long)st.st_mtime);
	struct lbuf img = { 0 };
	int r = deb ? kernel_from_local_deb(cache, file, key, gp) : kernel_image_read(cache, file, key, gp, &img);
	free(key);
	if (r || deb) {
		lbuf_free(&img);
		return r;
	}
	if (img.len < 64 || memcmp(img.p + 56, "ARM\x64", 4))
		lmsg("warning: %s has no arm64 Image header", gp->kernel_image);
	gp->kver = image_kver(&img);
	lbuf_free(&img);
	if (gp->kver)
		gp->modules_dir = cached_modules_dir(cache, gp->kver);
	if (!gp->modules_dir)
		lmsg("no modules for kernel %s in the cache: tee/optee must be built in",
		     gp->kver ? gp->kver : "(unknown release)");
	return 0;
}
