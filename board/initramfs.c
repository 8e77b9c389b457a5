// SPDX-License-Identifier: MIT
/*
 * The guest's initramfs for `vtee run`: an uncompressed newc cpio archive
 * written in memory (so no root is needed for /dev/console or uid 0 files).
 *
 *   /init                    busybox sh script generated here (see init_script())
 *   /bin/busybox             busybox-static:arm64; applets linked by /init at boot
 *   /lib, /usr/lib/...       libc6, libgcc-s1, libteec1 (arm64), minus usr/share and gconv
 *   /usr/sbin/tee-supplicant
 *   /lib/modules/vtee/NAME.ko tee, optee, optee-rng and dependencies, decompressed
 *   /vtee/script             --script FILE
 *   --add files              where asked (default /root/<name>)
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "launch_int.h"

/* ---- newc cpio writer ---- */

struct cpio {
	struct lbuf *out;
	char **dirs; /* directories already in the archive */
	size_t ndirs, capdirs;
	unsigned ino;
};

static int cpio_pad(struct cpio *c)
{
	static const uint8_t zero[4];
	size_t pad = (4 - c->out->len % 4) % 4;
	return pad ? lbuf_append(c->out, zero, pad) : 0;
}

static int cpio_entry(struct cpio *c, const char *name, unsigned mode, unsigned rmaj, unsigned rmin,
		      const void *data, size_t size)
{
	if (*name == '/')
		name++;
	if (size > 0xffffffffu)
		return -EFBIG;
	char hdr[160];
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino & 0xffffffffu, mode, 0u, 0u, (mode & S_IFMT) == S_IFDIR ? 2u : 1u, 0u,
		 (unsigned)size, 0u, 0u, rmaj & 0xffffffffu, rmin & 0xffffffffu, (unsigned)(strlen(name) + 1), 0u);
	int r = lbuf_append(c->out, hdr, 110);
	if (!r)
		r = lbuf_append(c->out, name, strlen(name) + 1);
	if (!r)
		r = cpio_pad(c);
	if (!r && size)
		r = lbuf_append(c->out, data, size);
	return r ? r : cpio_pad(c);
}

static bool cpio_has_dir(struct cpio *c, const char *d)
{
	for (size_t i = 0; i < c->ndirs; i++)
		if (!strcmp(c->dirs[i], d))
			return true;
	return false;
}

static int cpio_dir(struct cpio *c, const char *path);

/* The directories above path, each once. */
static int cpio_parent(struct cpio *c, const char *path)
{
	char *p = xasprintf("%s", path);
	char *slash = strrchr(p, '/');
	int r = 0;
	if (slash) {
		*slash = 0;
		r = cpio_dir(c, p);
	}
	free(p);
	return r;
}

static int cpio_dir(struct cpio *c, const char *path)
{
	while (*path == '/')
		path++;
	if (!*path || cpio_has_dir(c, path))
		return 0;
	int r = cpio_parent(c, path); /* parents first */
	if (r)
		return r;
	if (c->ndirs == c->capdirs) {
		size_t cap = c->capdirs ? c->capdirs * 2 : 64;
		char **d = realloc(c->dirs, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		c->dirs = d;
		c->capdirs = cap;
	}
	c->dirs[c->ndirs++] = xasprintf("%s", path);
	return cpio_entry(c, path, S_IFDIR | 0755, 0, 0, NULL, 0);
}

static int cpio_file(struct cpio *c, const char *path, unsigned perm, const void *d, size_t n)
{
	int r = cpio_parent(c, path);
	return r ? r : cpio_entry(c, path, S_IFREG | (perm & 07777), 0, 0, d, n);
}

static int cpio_symlink(struct cpio *c, const char *path, const char *target)
{
	int r = cpio_parent(c, path);
	return r ? r : cpio_entry(c, path, S_IFLNK | 0777, 0, 0, target, strlen(target));
}

static int cpio_host(struct cpio *c, const char *host, const char *gpath, const char *const *skip);

/* A host directory's entries, recursively, under guest path gpath. */
static int cpio_host_dir(struct cpio *c, const char *host, const char *gpath, const char *const *skip)
{
	int r = cpio_dir(c, gpath);
	if (r)
		return r;
	DIR *d = opendir(host);
	if (!d)
		return -errno;
	struct dirent *e;
	while (!r && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *h = xasprintf("%s/%s", host, e->d_name);
		char *g = xasprintf("%s/%s", strcmp(gpath, "/") ? gpath : "", e->d_name);
		r = cpio_host(c, h, g, skip);
		free(h);
		free(g);
	}
	closedir(d);
	return r;
}

/* Copy a host file, directory (recursively) or symlink to guest path gpath. */
static int cpio_host(struct cpio *c, const char *host, const char *gpath, const char *const *skip)
{
	for (size_t i = 0; skip && skip[i]; i++)
		if (!strcmp(gpath, skip[i]))
			return 0;
	struct stat st;
	if (lstat(host, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return cpio_host_dir(c, host, gpath, skip);
	if (S_ISLNK(st.st_mode)) {
		char t[4096];
		ssize_t n = readlink(host, t, sizeof(t) - 1);
		if (n < 0)
			return -errno;
		t[n] = 0;
		return cpio_symlink(c, gpath, t);
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	struct lbuf b = { 0 };
	int r = read_file(host, &b);
	if (!r)
		r = cpio_file(c, gpath, st.st_mode & 07777, b.p, b.len);
	lbuf_free(&b);
	return r;
}

/* ---- kernel modules ---- */

static const char *const tee_modules[] = { "tee", "optee", "optee-rng" };

/* Module names treat '-' and '_' alike. */
static void modname(const char *file, char *out, size_t n)
{
	const char *b = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t i = 0;
	for (; b[i] && b[i] != '.' && i + 1 < n; i++)
		out[i] = b[i] == '_' ? '-' : b[i];
	out[i] = 0;
}

struct modfile {
	char name[64];
	char *rel; /* relative to modules_dir */
};

struct resolver {
	const char *dir;
	struct modfile *files;
	size_t nfiles, capfiles;
	struct lbuf dep;     /* modules.dep, if the package has one */
	struct lbuf builtin; /* modules.builtin */
	struct initramfs_module *mods;
	size_t *nmods;
	int depth;
};

/* Module file rel (taken: freed on failure), known by its module name. */
static int modfile_add(struct resolver *rs, const char *file, char *rel)
{
	if (rs->nfiles == rs->capfiles) {
		size_t cap = rs->capfiles ? rs->capfiles * 2 : 256;
		struct modfile *v = realloc(rs->files, cap * sizeof(*v));
		if (!v) {
			free(rel);
			return -ENOMEM;
		}
		rs->files = v;
		rs->capfiles = cap;
	}
	modname(file, rs->files[rs->nfiles].name, sizeof(rs->files[rs->nfiles].name));
	rs->files[rs->nfiles++].rel = rel;
	return 0;
}

/* Every *.ko* below rs->dir/rel (a directory that is not there has none). */
static int find_modules(struct resolver *rs, const char *rel)
{
	char *full = xasprintf("%s/%s", rs->dir, rel);
	DIR *d = opendir(full);
	free(full);
	if (!d)
		return 0;
	struct dirent *e;
	int r = 0;
	while (!r && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *sub = xasprintf("%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (e->d_type == DT_DIR) {
			r = find_modules(rs, sub);
			free(sub);
		} else if (strstr(e->d_name, ".ko")) {
			r = modfile_add(rs, e->d_name, sub);
		} else {
			free(sub);
		}
	}
	closedir(d);
	return r;
}

static int decompress(const char *path, struct lbuf *out)
{
	size_t n = strlen(path);
	const char *tool = NULL;
	if (n > 3 && !strcmp(path + n - 3, ".xz"))
		tool = "xz";
	else if (n > 3 && !strcmp(path + n - 3, ".gz"))
		tool = "gzip";
	else if (n > 4 && !strcmp(path + n - 4, ".zst"))
		tool = "zstd";
	if (!tool)
		return read_file(path, out);
	char *argv[] = { (char *)tool, "-dc", (char *)path, NULL };
	return run_cmd(argv, NULL, out, false);
}

/* The "depends=" string of a module's .modinfo section (ELF64 LE). */
static char *modinfo_depends(const struct lbuf *m)
{
	if (m->len < sizeof(Elf64_Ehdr) || memcmp(m->p, ELFMAG, SELFMAG) || m->p[EI_CLASS] != ELFCLASS64)
		return NULL;
	Elf64_Ehdr eh;
	memcpy(&eh, m->p, sizeof(eh));
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > m->len ||
	    (m->len - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum || eh.e_shstrndx >= eh.e_shnum)
		return NULL;
	Elf64_Shdr strs;
	memcpy(&strs, m->p + eh.e_shoff + eh.e_shstrndx * sizeof(Elf64_Shdr), sizeof(strs));
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		memcpy(&sh, m->p + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
		if (strs.sh_offset + sh.sh_name + 9 > m->len ||
		    memcmp(m->p + strs.sh_offset + sh.sh_name, ".modinfo", 9))
			continue;
		if (sh.sh_offset > m->len || sh.sh_size > m->len - sh.sh_offset)
			return NULL;
		const char *p = (const char *)m->p + sh.sh_offset, *end = p + sh.sh_size;
		while (p < end) {
			size_t l = strnlen(p, (size_t)(end - p));
			if (l > 8 && !strncmp(p, "depends=", 8))
				return xasprintf("%.*s", (int)(l - 8), p + 8);
			p += l + 1;
		}
		return xasprintf("%s", "");
	}
	return NULL;
}

static bool is_builtin(struct resolver *rs, const char *name)
{
	if (!rs->builtin.p)
		return false;
	for (char *l = (char *)rs->builtin.p; *l;) {
		size_t n = strcspn(l, "\n");
		char mn[64];
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%.*s", (int)n, l);
		modname(tmp, mn, sizeof(mn));
		if (!strcmp(mn, name))
			return true;
		l += n + (l[n] == '\n');
	}
	return false;
}

/* Dependencies of rel from modules.dep ("a.ko.xz: b.ko.xz c.ko.xz"), as names, comma-separated. */
static char *dep_line(struct resolver *rs, const char *rel)
{
	size_t rl = strlen(rel);
	for (char *l = (char *)rs->dep.p; l && *l;) {
		size_t n = strcspn(l, "\n");
		if (n > rl && !strncmp(l, rel, rl) && l[rl] == ':') {
			struct lbuf names = { 0 };
			char *deps = xasprintf("%.*s", (int)(n - rl - 1), l + rl + 1);
			for (char *t = strtok(deps, " "); t; t = strtok(NULL, " ")) {
				char mn[64];
				modname(t, mn, sizeof(mn));
				lbuf_printf(&names, "%s%s", names.len ? "," : "", mn);
			}
			free(deps);
			char *r = xasprintf("%s", names.p ? (char *)names.p : "");
			lbuf_free(&names);
			return r;
		}
		l += n + (l[n] == '\n');
	}
	return NULL;
}

static int resolve_one(struct resolver *rs, const char *want)
{
	char name[64];
	modname(want, name, sizeof(name));
	for (size_t i = 0; i < *rs->nmods; i++)
		if (!strcmp(rs->mods[i].name, name))
			return 0;
	if (rs->depth > 16)
		return -ELOOP;
	struct modfile *f = NULL;
	for (size_t i = 0; i < rs->nfiles && !f; i++)
		if (!strcmp(rs->files[i].name, name))
			f = &rs->files[i];
	if (!f) {
		if (is_builtin(rs, name))
			return 0;
		lmsg("kernel module %s not found in %s", name, rs->dir);
		return -ENOENT;
	}
	struct initramfs_module m = { .path = xasprintf("%s/%s", rs->dir, f->rel) };
	snprintf(m.name, sizeof(m.name), "%s", name);
	int r = decompress(m.path, &m.data);
	if (r) {
		lmsg("cannot decompress %s", m.path);
		free(m.path);
		return r;
	}
	char *deps = rs->dep.p ? dep_line(rs, f->rel) : NULL;
	if (!deps)
		deps = modinfo_depends(&m.data);
	rs->depth++;
	for (char *save, *t = deps ? strtok_r(deps, ",", &save) : NULL; t && !r; t = strtok_r(NULL, ",", &save))
		r = resolve_one(rs, t);
	rs->depth--;
	free(deps);
	if (r || *rs->nmods >= INITRAMFS_MAX_MODULES) {
		free(m.path);
		lbuf_free(&m.data);
		return r ? r : -E2BIG;
	}
	rs->mods[(*rs->nmods)++] = m;
	return 0;
}

/* A file of the modules dir (modules.dep, modules.builtin) into b; none: b stays empty. */
static void modules_file(const char *modules_dir, const char *name, struct lbuf *b)
{
	char *p = xasprintf("%s/%s", modules_dir, name);
	if (read_file(p, b))
		lbuf_free(b);
	free(p);
}

int modules_resolve(const char *modules_dir, struct initramfs_module *mods, size_t *nmods)
{
	struct resolver rs = { .dir = modules_dir, .mods = mods, .nmods = nmods };
	*nmods = 0;
	int r = find_modules(&rs, "");
	modules_file(modules_dir, "modules.dep", &rs.dep);
	modules_file(modules_dir, "modules.builtin", &rs.builtin);
	for (size_t i = 0; i < sizeof(tee_modules) / sizeof(tee_modules[0]) && !r; i++)
		r = resolve_one(&rs, tee_modules[i]);
	for (size_t i = 0; i < rs.nfiles; i++)
		free(rs.files[i].rel);
	free(rs.files);
	lbuf_free(&rs.dep);
	lbuf_free(&rs.builtin);
	if (r)
		modules_free(mods, *nmods);
	return r;
}

void modules_free(struct initramfs_module *mods, size_t nmods)
{
	for (size_t i = 0; i < nmods; i++) {
		free(mods[i].path);
		lbuf_free(&mods[i].data);
	}
}

/* ---- /init ---- */

/* busybox's applets, the file systems, and a helper that waits for a device node. */
static const char init_head[] =
	"#!/bin/busybox sh\n"
	"# Generated by vtee run: bring up the OP-TEE driver, then run the script or a shell.\n"
	"/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin /proc /sys /dev /tmp /run /root /var/lib/tee /data/tee\n"
	"/bin/busybox --install -s\n"
	"export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=${TERM:-linux}\n"
	"export LD_LIBRARY_PATH=/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
	"mkdir -p /dev/pts && mount -t devpts devpts /dev/pts\n"
	"mount -t tmpfs tmpfs /tmp\n"
	"hostname vtee-guest\n"
	"vtee_wait() { i=0; while [ ! -e \"$1\" ] && [ $i -lt 200 ]; do sleep 0.05 2>/dev/null || sleep 1; i=$((i+1)); done; [ -e \"$1\" ]; }\n";

/* After the modules: tee-supplicant once the driver's devices are there, then the ready mark. */
static const char init_driver[] =
	"if vtee_wait /dev/teepriv0; then\n"
	"\ttee-supplicant &\n"
	"else\n"
	"\techo 'vtee-init: no /dev/teepriv0, tee-supplicant not started'\n"
	"fi\n"
	"vtee_wait /dev/tee0 || echo 'vtee-init: no /dev/tee0'\n"
	"echo " GUEST_READY_MARK "\n"
	"cd /root\n";

/* --script: run it, report its status (then let the console drain: poweroff -f does not wait for the UART). */
static const char init_script_run[] =
	"sh /vtee/script\n"
	"printf '\\n" GUEST_EXIT_MARK "%d\\n' $?\n"
	"sleep 0.2 2>/dev/null || sleep 1\n";

/*
 * No script: a shell. busybox poweroff/reboot/halt signal init (USR2/TERM/USR1): a trap only
 * runs while init waits with `wait`, not during a foreground command.
 */
static const char init_shell[] =
	"echo 'vtee: a shell in the guest; poweroff, exit or Ctrl-A x ends the run'\n"
	"[ -x /usr/bin/vtee-ta-test ] && echo 'vtee: try vtee-ta-test (libteec client of the built-in test TA)'\n"
	"trap 'sync; poweroff -f' USR1 USR2 TERM\n"
	"setsid cttyhack sh -l &\n"
	"wait $!\n";

static int lbuf_puts(struct lbuf *b, const char *s)
{
	return lbuf_append(b, s, strlen(s));
}

static int init_script(struct lbuf *s, const struct launch_options *o, const struct initramfs_module *mods,
		       size_t nmods)
{
	int r = lbuf_puts(s, init_head);
	for (size_t i = 0; i < nmods && !r; i++)
		r = lbuf_printf(s, "insmod /lib/modules/vtee/%s.ko || echo 'vtee-init: insmod %s.ko failed'\n",
				mods[i].name, mods[i].name);
	if (!r)
		r = lbuf_puts(s, init_driver);
	if (!r)
		r = lbuf_puts(s, o->script ? init_script_run : init_shell);
	return r ? r : lbuf_puts(s, "sync\npoweroff -f\n");
}

/* ---- the archive ---- */

/* What the kernel needs before /init: /dev/console (5:1), opened before devtmpfs is mounted; /root, /tmp. */
static int add_skeleton(struct cpio *c)
{
	int r = cpio_dir(c, "dev");
	if (!r)
		r = cpio_entry(c, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	if (!r)
		r = cpio_dir(c, "root");
	return r ? r : cpio_dir(c, "tmp");
}

/* busybox (sh is busybox too) and the userspace packages, whole but for documentation, locales and iconv. */
static int add_userspace(struct cpio *c, const struct guest_pkgs *gp)
{
	static const char *const skip[] = { "/usr/share", "/usr/lib/aarch64-linux-gnu/gconv", "/etc/init.d",
					    "/lib/systemd", "/usr/lib/systemd", NULL };
	int r = cpio_host(c, gp->busybox_root, "/", skip);
	if (!r)
		r = cpio_symlink(c, "/bin/sh", "busybox");
	for (size_t i = 0; i < gp->nuserspace && !r; i++)
		r = cpio_host(c, gp->userspace[i], "/", skip);
	return r;
}

static int add_modules(struct cpio *c, const struct initramfs_module *mods, size_t nmods)
{
	int r = 0;
	for (size_t i = 0; i < nmods && !r; i++) {
		char *g = xasprintf("/lib/modules/vtee/%s.ko", mods[i].name);
		r = cpio_file(c, g, 0644, mods[i].data.p, mods[i].data.len);
		free(g);
	}
	return r;
}

/* --add files and --script FILE. */
static int add_user_files(struct cpio *c, const struct launch_options *o)
{
	int r = 0;
	for (size_t i = 0; i < o->nadds && !r; i++) {
		r = cpio_host(c, o->adds[i].host, o->adds[i].guest, NULL);
		if (r)
			lmsg("--add %s: %s", o->adds[i].host, strerror(-r));
	}
	if (r || !o->script)
		return r;
	struct lbuf s = { 0 };
	if ((r = read_file(o->script, &s)))
		lmsg("--script %s: %s", o->script, strerror(-r));
	else
		r = cpio_file(c, "/vtee/script", 0755, s.p, s.len);
	lbuf_free(&s);
	return r;
}

static int add_init(struct cpio *c, const struct launch_options *o, const struct initramfs_module *mods,
		    size_t nmods)
{
	struct lbuf init = { 0 };
	int r = init_script(&init, o, mods, nmods);
	if (!r)
		r = cpio_file(c, "/init", 0755, init.p, init.len);
	lbuf_free(&init);
	return r;
}

int initramfs_build(const struct launch_options *o, const struct guest_pkgs *gp, struct lbuf *out)
{
	struct cpio c = { .out = out };
	struct initramfs_module mods[INITRAMFS_MAX_MODULES];
	size_t nmods = 0;
	int r = 0;
	if (gp->modules_dir && (r = modules_resolve(gp->modules_dir, mods, &nmods)))
		return r;
	r = add_skeleton(&c);
	if (!r)
		r = add_userspace(&c, gp);
	if (!r)
		r = add_modules(&c, mods, nmods);
	if (!r)
		r = add_user_files(&c, o);
	if (!r)
		r = add_init(&c, o, mods, nmods);
	if (!r)
		r = cpio_entry(&c, "TRAILER!!!", 0, 0, 0, NULL, 0);
	modules_free(mods, nmods);
	for (size_t i = 0; i < c.ndirs; i++)
		free(c.dirs[i]);
	free(c.dirs);
	return r;
}
