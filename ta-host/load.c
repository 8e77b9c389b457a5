// SPDX-License-Identifier: MIT
/*
 * Finding and loading a TA (ta_host.h), in the instance process.
 *
 * Only <dir>/<uuid>.ta is ever opened, dir one of the configured
 * directories (the first that has the name decides), uuid the canonical
 * lowercase text of the UUID the guest asked for: a guest names a TA but
 * never a path. The name must be a regular file, not a symlink (O_NOFOLLOW).
 * Before anything of it runs, libelf reads its .ta_head section: the UUID
 * there must be the one asked for, or the TA does not exist as far as the
 * guest can tell (TEE_ERROR_ITEM_NOT_FOUND, as OP-TEE answers an unknown
 * UUID). It is then loaded through /proc/self/fd (the file we checked),
 * RTLD_NOW so that nothing is resolved after the sandbox closes, and the
 * ta_head the loader maps must say what the section said.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ta_host.h"

#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#else
#error "vtee-ta-host: which ELF machine is native here?"
#endif

void uuid_from_bytes(const uint8_t b[16], TEE_UUID *u)
{
	u->timeLow = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	u->timeMid = (uint16_t)(b[4] << 8 | b[5]);
	u->timeHiAndVersion = (uint16_t)(b[6] << 8 | b[7]);
	memcpy(u->clockSeqAndNode, b + 8, 8);
}

void uuid_to_bytes(const TEE_UUID *u, uint8_t b[16])
{
	b[0] = (uint8_t)(u->timeLow >> 24);
	b[1] = (uint8_t)(u->timeLow >> 16);
	b[2] = (uint8_t)(u->timeLow >> 8);
	b[3] = (uint8_t)u->timeLow;
	b[4] = (uint8_t)(u->timeMid >> 8);
	b[5] = (uint8_t)u->timeMid;
	b[6] = (uint8_t)(u->timeHiAndVersion >> 8);
	b[7] = (uint8_t)u->timeHiAndVersion;
	memcpy(b + 8, u->clockSeqAndNode, 8);
}

static bool same_uuid(const TEE_UUID *a, const TEE_UUID *b)
{
	return a->timeLow == b->timeLow && a->timeMid == b->timeMid && a->timeHiAndVersion == b->timeHiAndVersion &&
	       !memcmp(a->clockSeqAndNode, b->clockSeqAndNode, 8);
}

/* <dir>/<name> in the first directory that has the name: an fd of a regular file, or -ENOENT. */
static int open_in_dirs(const struct host_cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->ndirs; i++) {
		int dfd = open(cfg->dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		/* O_NONBLOCK: a FIFO put there must not hang us before fstat says what it is */
		int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		int e = errno;
		close(dfd);
		if (fd < 0 && e == ENOENT)
			continue;
		struct stat sb;
		if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
			return fd;
		ti_logf("%s/%s: %s", cfg->dirs[i], name,
			fd < 0 ? (e == ELOOP ? "a symlink, not loaded" : strerror(e)) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -ENOENT; /* the first directory with the name decides */
	}
	return -ENOENT;
}

/* The 64-bit constant a dynamic symbol names in a data section (ta_heap_size): 0, or -ENOENT. */
static int sym_u64(Elf *e, const GElf_Sym *sym, uint64_t *out)
{
	Elf_Scn *scn = sym->st_shndx != SHN_UNDEF && sym->st_shndx < SHN_LORESERVE ? elf_getscn(e, sym->st_shndx) : NULL;
	GElf_Shdr sh;
	Elf_Data *d = scn && gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS ? elf_getdata(scn, NULL) : NULL;
	if (!d || !d->d_buf || sym->st_value < sh.sh_addr || sym->st_size != sizeof(*out) ||
	    sym->st_value - sh.sh_addr > d->d_size || d->d_size - (sym->st_value - sh.sh_addr) < sizeof(*out))
		return -ENOENT;
	memcpy(out, (const uint8_t *)d->d_buf + (sym->st_value - sh.sh_addr), sizeof(*out));
	return 0;
}

/* The heap sizes the TA declares (ta_heap_size, __ta_no_share_heap_size): for its limits, before it runs. */
static void read_heap_sizes(Elf *e, struct ta_file *f)
{
	for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = d ? d->d_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name = gelf_getsym(d, (int)i, &sym) ? elf_strptr(e, sh.sh_link, sym.st_name) : NULL;
			if (name && !strcmp(name, "ta_heap_size"))
				sym_u64(e, &sym, &f->heap_size);
			else if (name && !strcmp(name, "__ta_no_share_heap_size"))
				sym_u64(e, &sym, &f->no_share_heap_size);
		}
	}
}

/* The .ta_head section of an ELF shared object for this machine, and its heap sizes: 0, or -ENOEXEC. */
static int read_head(struct ta_file *f)
{
	int fd = f->fd;
	struct ta_head *head = &f->head;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	size_t shstrndx;
	int r = -ENOEXEC;
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || gelf_getclass(e) != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_DYN || eh.e_machine != NATIVE_MACHINE ||
	    elf_getshdrstrndx(e, &shstrndx))
		goto out;
	for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
		GElf_Shdr sh;
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		if (!name || strcmp(name, ".ta_head"))
			continue;
		Elf_Data *d = sh.sh_type == SHT_PROGBITS ? elf_getdata(scn, NULL) : NULL;
		if (d && d->d_buf && d->d_size >= sizeof(*head)) {
			memcpy(head, d->d_buf, sizeof(*head));
			r = 0;
		}
		break;
	}
	if (!r)
		read_heap_sizes(e, f);
out:
	if (e)
		elf_end(e);
	return r;
}

uint32_t ta_file_open(const struct host_cfg *cfg, const TEE_UUID *uuid, struct ta_file *f)
{
	uint8_t b[16];
	char name[64];
	uuid_to_bytes(uuid, b);
	snprintf(name, sizeof(name), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x.ta", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	memset(f, 0, sizeof(*f));
	f->fd = open_in_dirs(cfg, name);
	if (f->fd < 0)
		return TEE_ERROR_ITEM_NOT_FOUND;
	bool elf_ok = !read_head(f);
	if (!elf_ok || !same_uuid(&f->head.uuid, uuid)) {
		ti_logf("%s: %s", name, elf_ok ? "its .ta_head names another UUID" : "no .ta_head: not a TA for this machine");
		close(f->fd);
		f->fd = -1;
		return TEE_ERROR_ITEM_NOT_FOUND;
	}
	struct stat sb;
	f->file_size = fstat(f->fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	return TEE_SUCCESS;
}

/* dlsym that insists the symbol is defined by the TA itself, not by a library it links. */
static void *ta_symbol(void *handle, const struct link_map *self, const char *name)
{
	void *p = dlsym(handle, name);
	Dl_info info;
	struct link_map *where = NULL;
	if (!p || !dladdr1(p, &info, (void **)&where, RTLD_DL_LINKMAP) || where != self)
		return NULL;
	return p;
}

uint32_t ta_file_load(const struct ta_file *f)
{
	const struct ta_head *head = &f->head;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	struct link_map *self = NULL;
	if (!h || dlinfo(h, RTLD_DI_LINKMAP, &self) || !self) {
		ti_logf("loading the TA: %s", h ? "no link map" : dlerror());
		return TEE_ERROR_BAD_FORMAT;
	}
	const struct ta_head *mapped = ta_symbol(h, self, "ta_head");
	*(void **)&ti.ep.create = ta_symbol(h, self, "TA_CreateEntryPoint");
	*(void **)&ti.ep.destroy = ta_symbol(h, self, "TA_DestroyEntryPoint");
	*(void **)&ti.ep.open = ta_symbol(h, self, "TA_OpenSessionEntryPoint");
	*(void **)&ti.ep.close = ta_symbol(h, self, "TA_CloseSessionEntryPoint");
	*(void **)&ti.ep.invoke = ta_symbol(h, self, "TA_InvokeCommandEntryPoint");
	const size_t *heap = ta_symbol(h, self, "ta_heap_size");
	const size_t *nprops = ta_symbol(h, self, "ta_num_props");
	const struct user_ta_property *props = ta_symbol(h, self, "ta_props");
	const size_t *no_share = ta_symbol(h, self, "__ta_no_share_heap_size");
	/* what the loader mapped must be what libelf read (and what the limits were made for) */
	if (!mapped || memcmp(mapped, head, sizeof(*head)) || !ti.ep.create || !ti.ep.destroy || !ti.ep.open ||
	    !ti.ep.close || !ti.ep.invoke || !heap || *heap != f->heap_size ||
	    (no_share ? *no_share : 0) != f->no_share_heap_size || (nprops && *nprops && !props)) {
		ti_logf("the TA lacks an entry point or its header data");
		return TEE_ERROR_BAD_FORMAT;
	}
	ti.ta.head = mapped;
	ti.ta.props = props;
	ti.ta.num_props = nprops ? *nprops : 0;
	ti.ta.heap_size = *heap;
	ti.ta.no_share_heap_size = no_share ? *no_share : 0;
	ti.ta.trace_level = ta_symbol(h, self, "trace_level");
	return TEE_SUCCESS;
}
