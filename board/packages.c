// SPDX-License-Identifier: MIT
/*
 * The guest's Debian packages for `vtee run`: resolved with apt-cache,
 * fetched with `apt-get download` and unpacked with `dpkg-deb -x`, all
 * into a cache dir ($VTEE_CACHE or ~/.cache/vtee):
 *
 *   debs/<pkg>_<version>_arm64.deb       what apt-get download wrote
 *   pkgs/<pkg>_<version>_arm64/          the unpacked tree (renamed into place when complete)
 *   pkgs/local-<name>-<size>-<mtime>/    a --kernel .deb, unpacked
 *   kernels/<name>-<size>-<mtime>.Image  a gzip-compressed --kernel, decompressed
 *
 * apt-cache needs only the local package lists, so a run with everything cached
 * does not touch the network. VTEE_KERNEL_PKG names another kernel package (the e2e
 * suite boots Debian 11's 5.10 that way).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch_int.h"

static const char *const userspace_pkgs[] = { "libc6", "libgcc-s1", "libteec1", "tee-supplicant" };

static const char *hint = "(scripts/install-deps --board sets up the arm64 architecture, "
			  "bookworm-backports and bullseye for 5.10 kernels; then apt-get update)";

static char *cache_root(const struct launch_options *o)
{
	if (o->cache_dir)
		return xasprintf("%s", o->cache_dir);
	const char *e = getenv("VTEE_CACHE");
	if (e && *e)
		return xasprintf("%s", e);
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	return xasprintf("%s/.cache/vtee", home);
}

/* "Field: value" of the first stanza in apt-cache show output. */
static char *stanza_field(const char *text, const char *field)
{
	size_t fl = strlen(field);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (*l == '\n')
			break; /* end of the first stanza */
		if (!strncmp(l, field, fl) && l[fl] == ':') {
			const char *v = l + fl + 1;
			while (*v == ' ')
				v++;
			size_t n = strcspn(v, "\n");
			return xasprintf("%.*s", (int)n, v);
		}
	}
	return NULL;
}

/* Version string as it appears in .deb file names: the epoch's ':' becomes %3a. */
static char *file_version(const char *v)
{
	const char *c = strchr(v, ':');
	if (!c)
		return xasprintf("%s", v);
	return xasprintf("%.*s%%3a%s", (int)(c - v), v, c + 1);
}

/* An already-unpacked pkgs/<pkg>_*_arm64 (any version): the offline fallback. */
static char *cached_any(const char *cache, const char *pkg)
{
	char *dir = xasprintf("%s/pkgs", cache);
	DIR *d = opendir(dir);
	char *best = NULL;
	size_t pl = strlen(pkg);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			size_t n = strlen(e->d_name);
			if (!strncmp(e->d_name, pkg, pl) && e->d_name[pl] == '_' && n > 6 &&
			    !strcmp(e->d_name + n - 6, "_arm64") && (!best || strcmp(e->d_name, best) > 0)) {
				free(best);
				best = xasprintf("%s", e->d_name);
			}
		}
		closedir(d);
	}
	char *r = best ? xasprintf("%s/%s", dir, best) : NULL;
	free(best);
	free(dir);
	return r;
}

static int unpack_deb(const char *deb, const char *root)
{
	char *tmp = xasprintf("%s.tmp.%d", root, (int)getpid());
	char *rm[] = { "rm", "-rf", tmp, NULL };
	run_cmd(rm, NULL, NULL, true);
	char *argv[] = { "dpkg-deb", "-x", (char *)deb, tmp, NULL };
	int r = run_cmd(argv, NULL, NULL, false);
	if (r != 0) {
		lmsg("dpkg-deb -x %s failed", deb);
		run_cmd(rm, NULL, NULL, true);
		free(tmp);
		return -EIO;
	}
	if (rename(tmp, root) && !path_exists(root)) {
		lmsg("cannot rename %s: %s", tmp, strerror(errno));
		run_cmd(rm, NULL, NULL, true);
		free(tmp);
		return -EIO;
	}
	run_cmd(rm, NULL, NULL, true); /* lost a race with another run: drop ours */
	free(tmp);
	return 0;
}

/* Fetch (if needed) and unpack (if needed) pkg:arm64 version ver (NULL: apt does not know it). */
static int fetch_pkg(const char *cache, const char *pkg, const char *ver, char **root)
{
	char *spec = xasprintf("%s:arm64", pkg);
	if (!ver) {
		*root = cached_any(cache, pkg);
		if (*root) {
			lmsg("apt-cache does not know %s; using the cached %s", spec, *root);
			free(spec);
			return 0;
		}
		lmsg("apt-cache does not know %s %s", spec, hint);
		free(spec);
		return -ENOENT;
	}
	char *fv = file_version(ver);
	*root = xasprintf("%s/pkgs/%s_%s_arm64", cache, pkg, fv);
	int r = 0;
	if (!path_exists(*root)) {
		char *debs = xasprintf("%s/debs", cache);
		char *deb = xasprintf("%s/%s_%s_arm64.deb", debs, pkg, fv);
		mkdir_p(debs);
		if (!path_exists(deb)) {
			if (launch_verbose)
				lmsg("downloading %s %s", spec, ver);
			/* as root apt would drop to _apt, which cannot write into a private cache */
			char *dl[] = { "apt-get", "download", "-qq", spec,
				       getuid() == 0 ? "-oAPT::Sandbox::User=root" : NULL, NULL };
			if (run_cmd(dl, debs, NULL, false) != 0 || !path_exists(deb)) {
				lmsg("apt-get download %s failed %s", spec, hint);
				r = -EIO;
			}
		}
		if (r == 0)
			r = unpack_deb(deb, *root);
		free(deb);
		free(debs);
	}
	free(fv);
	free(spec);
	if (r) {
		free(*root);
		*root = NULL;
	}
	return r;
}

/* The version after "<pkg> " on a line of the memo text, or NULL. */
static char *memo_version(const char *memo, const char *pkg)
{
	size_t pl = strlen(pkg);
	char *v = NULL;
	for (const char *l = memo; *l;) {
		size_t ll = strcspn(l, "\n");
		if (ll > pl + 1 && !strncmp(l, pkg, pl) && l[pl] == ' ') {
			free(v);
			v = xasprintf("%.*s", (int)(ll - pl - 1), l + pl + 1);
		}
		l += ll + (l[ll] == '\n');
	}
	return v;
}

/* For every vers[i] still NULL: the candidate version apt-cache knows, with a single call. */
static void apt_show_versions(const char *const *pkgs, size_t n, char **vers)
{
	char *argv[16] = { "apt-cache", "show", "--no-all-versions" };
	size_t argc = 3;
	for (size_t i = 0; i < n && argc < 15; i++)
		argv[argc++] = xasprintf("%s:arm64", pkgs[i]);
	argv[argc] = NULL;
	struct lbuf out = { 0 };
	run_cmd(argv, NULL, &out, false);
	for (size_t i = 3; i < argc; i++)
		free(argv[i]);
	/* stanzas separated by blank lines: Package: then Version: */
	for (char *st = out.p ? (char *)out.p : ""; *st;) {
		char *next = strstr(st, "\n\n");
		if (next)
			*next = 0;
		char *pkg = stanza_field(st, "Package"), *ver = stanza_field(st, "Version");
		for (size_t i = 0; pkg && ver && i < n; i++)
			if (!vers[i] && !strcmp(pkg, pkgs[i]))
				vers[i] = xasprintf("%s", ver);
		free(pkg);
		free(ver);
		if (!next)
			break;
		st = next + 2;
	}
	lbuf_free(&out);
}

/*
 * The memo after a lookup: this run's answers, and the old lines of packages it did not ask
 * about (a run with VTEE_KERNEL_PKG names another kernel; the default run's stays valid).
 */
static void memo_write(const char *path, const char *old, const char *const *pkgs, size_t n,
		       char *const *vers)
{
	struct lbuf w = { 0 };
	for (const char *l = old; *l;) {
		size_t ll = strcspn(l, "\n"), kl = strcspn(l, " \n");
		bool asked = false;
		for (size_t i = 0; i < n && !asked; i++)
			asked = strlen(pkgs[i]) == kl && !strncmp(l, pkgs[i], kl);
		if (!asked && kl < ll)
			lbuf_printf(&w, "%.*s\n", (int)ll, l);
		l += ll + (l[ll] == '\n');
	}
	for (size_t i = 0; i < n; i++)
		lbuf_printf(&w, "%s %s\n", pkgs[i], vers[i]);
	write_file(path, w.p, w.len);
	lbuf_free(&w);
}

/*
 * Candidate versions of pkgs[i]:arm64 in vers[i] (NULL if apt does not know one). The answers
 * are kept in <cache>/resolved until the apt lists change, since apt-cache takes about a second
 * per call.
 */
static void resolve_versions(const char *cache, const char *const *pkgs, size_t n, char **vers)
{
	char *memo = xasprintf("%s/resolved", cache);
	struct stat ms, ls;
	struct lbuf m = { 0 };
	bool fresh = stat(memo, &ms) == 0 && stat("/var/lib/apt/lists", &ls) == 0 &&
		     ls.st_mtime < ms.st_mtime && read_file(memo, &m) == 0 && m.p;
	bool all = true;
	for (size_t i = 0; i < n; i++) {
		vers[i] = fresh ? memo_version((char *)m.p, pkgs[i]) : NULL;
		all = all && vers[i];
	}
	if (!all) {
		apt_show_versions(pkgs, n, vers);
		all = true;
		for (size_t i = 0; i < n; i++)
			all = all && vers[i];
		if (all)
			memo_write(memo, fresh ? (char *)m.p : "", pkgs, n, vers);
	}
	lbuf_free(&m);
	free(memo);
}

/*
 * linux-image-6.12.<N>+<tag>-arm64-unsigned: the generic flavour only (not -rt-, not -16k-).
 * Returns N, or -1 for other names.
 */
static long kernel_pkg_patch(const char *name)
{
	static const char pre[] = "linux-image-6.12.", suf[] = "-arm64-unsigned";
	size_t n = strlen(name), pl = sizeof(pre) - 1, sl = sizeof(suf) - 1;
	if (n <= pl + sl || strncmp(name, pre, pl) || strcmp(name + n - sl, suf))
		return -1;
	const char *p = name + pl;
	if (!isdigit((unsigned char)*p))
		return -1;
	char *end;
	long v = strtol(p, &end, 10);
	if (*end != '+')
		return -1;
	/* between '+' and the suffix: one tag such as "deb12", no further '-' */
	for (const char *q = end + 1; q < name + n - sl; q++)
		if (*q == '-')
			return -1;
	return v;
}

/* The newest linux-image-6.12.*-arm64-unsigned, preferring bookworm-backports. */
static char *resolve_kernel_pkg(void)
{
	const char *e = getenv("VTEE_KERNEL_PKG");
	if (e && *e)
		return xasprintf("%s", e);
	struct lbuf out = { 0 };
	char *names[] = { "apt-cache", "pkgnames", "linux-image-6.12.", NULL };
	if (run_cmd(names, NULL, &out, false) != 0 || !out.p) {
		lbuf_free(&out);
		return NULL;
	}
	/* apt-cache policy pkg:arm64 ... for every candidate name */
	char *argv[64] = { "apt-cache", "policy" };
	size_t argc = 2;
	for (char *l = strtok((char *)out.p, "\n"); l && argc < 63; l = strtok(NULL, "\n"))
		if (kernel_pkg_patch(l) >= 0)
			argv[argc++] = xasprintf("%s:arm64", l);
	argv[argc] = NULL;
	lbuf_free(&out);
	char *best = NULL, *best_any = NULL;
	long best_n = -1, best_any_n = -1;
	if (argc > 2 && run_cmd(argv, NULL, &out, false) == 0 && out.p) {
		/* blocks: "name:arm64:" then indented lines; the version table names the suites */
		char *cur = NULL;
		bool has_candidate = false, in_bpo = false;
		char *save;
		for (char *l = strtok_r((char *)out.p, "\n", &save);; l = strtok_r(NULL, "\n", &save)) {
			if (!l || (*l != ' ' && *l)) {
				if (cur && has_candidate) {
					long n = kernel_pkg_patch(cur);
					if (n > best_any_n) {
						best_any_n = n;
						free(best_any);
						best_any = xasprintf("%s", cur);
					}
					if (in_bpo && n > best_n) {
						best_n = n;
						free(best);
						best = xasprintf("%s", cur);
					}
				}
				free(cur);
				cur = NULL;
				if (!l)
					break;
				size_t len = strcspn(l, ":");
				cur = xasprintf("%.*s", (int)len, l);
				has_candidate = in_bpo = false;
				continue;
			}
			if (strstr(l, "Candidate:") && !strstr(l, "(none)"))
				has_candidate = true;
			if (strstr(l, "bookworm-backports/"))
				in_bpo = true;
		}
	}
	lbuf_free(&out);
	for (size_t i = 2; i < argc; i++)
		free(argv[i]);
	if (!best) {
		best = best_any;
		best_any = NULL;
	}
	free(best_any);
	return best;
}

/* Offline and no package lists: the newest 6.12 kernel package already unpacked in the cache. */
static char *cached_kernel_pkg(const char *cache)
{
	char *pkd = xasprintf("%s/pkgs", cache);
	DIR *d = opendir(pkd);
	struct dirent *e;
	char *best = NULL;
	while (d && (e = readdir(d))) {
		char pkg[256];
		size_t n = strcspn(e->d_name, "_");
		if (n >= sizeof(pkg))
			continue;
		memcpy(pkg, e->d_name, n);
		pkg[n] = 0;
		if (kernel_pkg_patch(pkg) >= 0 && (!best || kernel_pkg_patch(pkg) > kernel_pkg_patch(best))) {
			free(best);
			best = xasprintf("%s", pkg);
		}
	}
	if (d)
		closedir(d);
	free(pkd);
	return best;
}

/* In an unpacked kernel package: boot/vmlinuz-<kver> and lib/modules/<kver>. */
static int kernel_from_tree(const char *root, struct guest_pkgs *gp)
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

static int kernel_from_file(const char *cache, const char *file, struct guest_pkgs *gp)
{
	struct stat st;
	if (stat(file, &st) || !S_ISREG(st.st_mode)) {
		lmsg("--kernel %s: not a file", file);
		return -ENOENT;
	}
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t bl = strlen(base);
	char *key = xasprintf("%.*s-%lld-%lld", (int)(bl > 4 && !strcmp(base + bl - 4, ".deb") ? bl - 4 : bl),
			      base, (long long)st.st_size, (long long)st.st_mtime);
	int r;
	if (bl > 4 && !strcmp(base + bl - 4, ".deb")) {
		char *pk = xasprintf("%s/pkgs", cache);
		mkdir_p(pk);
		char *root = xasprintf("%s/local-%s", pk, key);
		r = path_exists(root) ? 0 : unpack_deb(file, root);
		if (r == 0)
			r = kernel_from_tree(root, gp);
		free(root);
		free(pk);
		free(key);
		return r;
	}
	/* A raw Image, or a gzip-compressed one (vmlinuz of some distributions). */
	struct lbuf img = { 0 };
	if ((r = read_file(file, &img))) {
		lmsg("cannot read %s: %s", file, strerror(-r));
		free(key);
		return r;
	}
	if (img.len > 2 && img.p[0] == 0x1f && img.p[1] == 0x8b) {
		char *kd = xasprintf("%s/kernels", cache);
		mkdir_p(kd);
		char *raw = xasprintf("%s/%s.Image", kd, key);
		if (!path_exists(raw)) {
			struct lbuf un = { 0 };
			char *gz[] = { "gzip", "-dc", (char *)file, NULL };
			if (run_cmd(gz, NULL, &un, false) != 0 || write_file(raw, un.p, un.len)) {
				lmsg("cannot decompress %s", file);
				r = -EIO;
			}
			lbuf_free(&un);
		}
		lbuf_free(&img);
		if (r == 0)
			r = read_file(raw, &img);
		gp->kernel_image = raw;
		free(kd);
	} else {
		char *abs = realpath(file, NULL);
		gp->kernel_image = abs ? abs : xasprintf("%s", file);
	}
	free(key);
	if (r) {
		lbuf_free(&img);
		return r;
	}
	if (img.len < 64 || memcmp(img.p + 56, "ARM\x64", 4))
		lmsg("warning: %s has no arm64 Image header", gp->kernel_image);
	gp->kver = image_kver(&img);
	lbuf_free(&img);
	/* Modules for that release from any kernel package already in the cache. */
	if (gp->kver) {
		char *pk = xasprintf("%s/pkgs", cache);
		DIR *d = opendir(pk);
		struct dirent *e;
		while (d && (e = readdir(d)) && !gp->modules_dir) {
			if (e->d_name[0] == '.')
				continue;
			char *m = xasprintf("%s/%s/lib/modules/%s", pk, e->d_name, gp->kver);
			if (path_exists(m))
				gp->modules_dir = m;
			else
				free(m);
		}
		if (d)
			closedir(d);
		free(pk);
	}
	if (!gp->modules_dir)
		lmsg("no modules for kernel %s in the cache: tee/optee must be built in",
		     gp->kver ? gp->kver : "(unknown release)");
	return 0;
}

int guest_pkgs_fetch(const struct launch_options *o, struct guest_pkgs *gp)
{
	memset(gp, 0, sizeof(*gp));
	gp->cache = cache_root(o);
	int r = mkdir_p(gp->cache);
	if (r) {
		lmsg("cannot create the cache dir %s: %s", gp->cache, strerror(-r));
		return r;
	}
	char *pk = xasprintf("%s/pkgs", gp->cache);
	mkdir_p(pk);
	free(pk);

	/* kernel package name: apt-cache pkgnames + policy cost about 2 s, so memoised too */
	char *kname = NULL;
	if (!o->kernel) {
		char *memo = xasprintf("%s/kernel-package", gp->cache);
		struct stat ms, ls;
		struct lbuf m = { 0 };
		const char *env = getenv("VTEE_KERNEL_PKG");
		if (!(env && *env) && stat(memo, &ms) == 0 && stat("/var/lib/apt/lists", &ls) == 0 &&
		    ls.st_mtime < ms.st_mtime && read_file(memo, &m) == 0 && m.p && kernel_pkg_patch((char *)m.p) >= 0)
			kname = xasprintf("%s", (char *)m.p);
		lbuf_free(&m);
		if (!kname && (kname = resolve_kernel_pkg()) && !(env && *env))
			write_file(memo, kname, strlen(kname));
		free(memo);
		if (!kname)
			kname = cached_kernel_pkg(gp->cache);
		if (!kname) {
			lmsg("no linux-image-6.12.*-arm64-unsigned package known to apt %s", hint);
			return -ENOENT;
		}
	}
	const char *names[8];
	size_t n = 0;
	names[n++] = "busybox-static";
	for (size_t i = 0; i < sizeof(userspace_pkgs) / sizeof(userspace_pkgs[0]); i++)
		names[n++] = userspace_pkgs[i];
	if (kname)
		names[n++] = kname;
	char *vers[8];
	resolve_versions(gp->cache, names, n, vers);

	if (o->kernel) {
		r = kernel_from_file(gp->cache, o->kernel, gp);
	} else {
		char *root = NULL;
		r = fetch_pkg(gp->cache, kname, vers[n - 1], &root);
		if (r == 0)
			r = kernel_from_tree(root, gp);
		free(root);
	}
	if (r == 0)
		r = fetch_pkg(gp->cache, names[0], vers[0], &gp->busybox_root);
	for (size_t i = 1; r == 0 && i < 1 + sizeof(userspace_pkgs) / sizeof(userspace_pkgs[0]); i++) {
		r = fetch_pkg(gp->cache, names[i], vers[i], &gp->userspace[i - 1]);
		if (r == 0)
			gp->nuserspace = i;
	}
	for (size_t i = 0; i < n; i++)
		free(vers[i]);
	free(kname);
	return r;
}

void guest_pkgs_free(struct guest_pkgs *gp)
{
	free(gp->cache);
	free(gp->kernel_image);
	free(gp->kver);
	free(gp->modules_dir);
	free(gp->busybox_root);
	for (size_t i = 0; i < gp->nuserspace; i++)
		free(gp->userspace[i]);
	memset(gp, 0, sizeof(*gp));
}
