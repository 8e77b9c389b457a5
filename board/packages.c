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
 * does not touch the network. Which kernel, and where its Image and modules are:
 * kernel.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packages_int.h"

static const char *const userspace_pkgs[] = { "libc6", "libgcc-s1", "libteec1", "tee-supplicant" };

#define NUSERSPACE (sizeof(userspace_pkgs) / sizeof(userspace_pkgs[0]))

const char pkg_hint[] = "(scripts/install-deps --board sets up the arm64 architecture, "
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

int unpack_deb(const char *deb, const char *root)
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

/* apt-get download pkg:arm64 (spec) into debs, unless deb is there already. */
static int download_deb(const char *debs, const char *deb, const char *spec, const char *ver)
{
	mkdir_p(debs);
	if (path_exists(deb))
		return 0;
	if (launch_verbose)
		lmsg("downloading %s %s", spec, ver);
	/* as root apt would drop to _apt, which cannot write into a private cache */
	char *dl[] = { "apt-get", "download", "-qq", (char *)spec,
		       getuid() == 0 ? "-oAPT::Sandbox::User=root" : NULL, NULL };
	if (run_cmd(dl, debs, NULL, false) != 0 || !path_exists(deb)) {
		lmsg("apt-get download %s failed %s", spec, pkg_hint);
		return -EIO;
	}
	return 0;
}

/* Fetch (if needed) and unpack (if needed) pkg:arm64 version ver (NULL: apt does not know it). */
static int fetch_pkg(const char *cache, const char *pkg, const char *ver, char **root)
{
	char *spec = xasprintf("%s:arm64", pkg);
	if (!ver) {
		*root = cached_any(cache, pkg);
		if (*root)
			lmsg("apt-cache does not know %s; using the cached %s", spec, *root);
		else
			lmsg("apt-cache does not know %s %s", spec, pkg_hint);
		free(spec);
		return *root ? 0 : -ENOENT;
	}
	char *fv = file_version(ver);
	*root = xasprintf("%s/pkgs/%s_%s_arm64", cache, pkg, fv);
	int r = 0;
	if (!path_exists(*root)) {
		char *debs = xasprintf("%s/debs", cache);
		char *deb = xasprintf("%s/%s_%s_arm64.deb", debs, pkg, fv);
		r = download_deb(debs, deb, spec, ver);
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

int memo_read(const char *path, struct lbuf *m)
{
	struct stat ms, ls;
	if (stat(path, &ms) || stat("/var/lib/apt/lists", &ls) || ls.st_mtime >= ms.st_mtime)
		return -ESTALE;
	int r = read_file(path, m);
	return r ? r : m->p ? 0 : -ENODATA;
}

/*
 * The memo after a lookup: this run's answers, and the old lines of packages it did not ask
 * about (a run with VTEE_KERNEL_PKG names another kernel; the default run's stays valid).
 */
static int memo_write(const char *path, const char *old, const char *const *pkgs, size_t n,
		      char *const *vers)
{
	struct lbuf w = { 0 };
	int r = 0;
	for (const char *l = old; *l && !r;) {
		size_t ll = strcspn(l, "\n"), kl = strcspn(l, " \n");
		bool asked = false;
		for (size_t i = 0; i < n && !asked; i++)
			asked = strlen(pkgs[i]) == kl && !strncmp(l, pkgs[i], kl);
		if (!asked && kl < ll)
			r = lbuf_printf(&w, "%.*s\n", (int)ll, l);
		l += ll + (l[ll] == '\n');
	}
	for (size_t i = 0; i < n && !r; i++)
		r = lbuf_printf(&w, "%s %s\n", pkgs[i], vers[i]);
	if (!r)
		r = write_file(path, w.p, w.len);
	lbuf_free(&w);
	return r;
}

/*
 * Candidate versions of pkgs[i]:arm64 in vers[i] (NULL if apt does not know one). The answers
 * are kept in <cache>/resolved until the apt lists change, since apt-cache takes about a second
 * per call.
 */
static void resolve_versions(const char *cache, const char *const *pkgs, size_t n, char **vers)
{
	char *memo = xasprintf("%s/resolved", cache);
	struct lbuf m = { 0 };
	bool fresh = memo_read(memo, &m) == 0;
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
		if (all) /* a lost memo only costs the next run the lookup */
			(void)memo_write(memo, fresh ? (char *)m.p : "", pkgs, n, vers);
	}
	lbuf_free(&m);
	free(memo);
}

/* The kernel package's Image and modules (its name and version resolved). */
static int kernel_from_pkg(const char *cache, const char *name, const char *ver, struct guest_pkgs *gp)
{
	char *root = NULL;
	int r = fetch_pkg(cache, name, ver, &root);
	if (r == 0)
		r = kernel_from_tree(root, gp);
	free(root);
	return r;
}

/* busybox-static (names[0]) and the userspace packages (names[1..NUSERSPACE]). */
static int userspace_fetch(struct guest_pkgs *gp, const char *const *names, char *const *vers)
{
	int r = fetch_pkg(gp->cache, names[0], vers[0], &gp->busybox_root);
	for (size_t i = 1; r == 0 && i <= NUSERSPACE; i++) {
		r = fetch_pkg(gp->cache, names[i], vers[i], &gp->userspace[i - 1]);
		if (r == 0)
			gp->nuserspace = i;
	}
	return r;
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

	char *kname = NULL;
	if (!o->kernel && (r = kernel_pkg_name(gp->cache, &kname)))
		return r;
	/* one apt-cache call (or none, memoised) for every package's version */
	const char *names[2 + NUSERSPACE];
	size_t n = 0;
	names[n++] = "busybox-static";
	for (size_t i = 0; i < NUSERSPACE; i++)
		names[n++] = userspace_pkgs[i];
	if (kname)
		names[n++] = kname;
	char *vers[2 + NUSERSPACE];
	resolve_versions(gp->cache, names, n, vers);

	if (o->kernel)
		r = kernel_from_file(gp->cache, o->kernel, gp);
	else
		r = kernel_from_pkg(gp->cache, kname, vers[n - 1], gp);
	if (r == 0)
		r = userspace_fetch(gp, names, vers);
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
