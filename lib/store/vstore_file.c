// SPDX-License-Identifier: MIT
/*
 * Whole-file I/O for the storage engine, relative to a directory fd (the engine runs under a
 * seccomp allowlist of *at() calls once opened). Every open is O_NOFOLLOW|O_CLOEXEC: a symlink
 * planted in a state directory is never followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vstore_int.h"

int vs_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long vs_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	return (long)got;
}

int vs_read_file_at(int dirfd, const char *name, size_t max, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted under our name must not hang the TEE process */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st)) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EBADMSG;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	uint8_t *b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	long n = vs_read_full(fd, b, (size_t)st.st_size);
	if (n < 0) {
		free(b);
		r = (int)n;
		goto out;
	}
	*buf = b;
	*len = (size_t)n;
out:
	close(fd);
	return r;
}

int vs_create_file_at(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = vs_write_all(fd, buf, len);
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	if (r)
		unlinkat(dirfd, name, 0);
	return r;
}

int vs_replace_file_at(int dirfd, const char *tmp, const char *name, const void *buf, size_t len)
{
	unlinkat(dirfd, tmp, 0);
	int r = vs_create_file_at(dirfd, tmp, buf, len);
	if (r)
		return r;
	if (renameat(dirfd, tmp, dirfd, name)) {
		r = -errno;
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync(dirfd) ? -errno : 0;
}

int vs_open_dir_at(int dirfd, const char *name, int *out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*out = fd;
	return 0;
}

int vs_mkdirs_open(const char *path, int *out)
{
	if (!path || !*path)
		return -EINVAL;
	/* the operator's paths may pass through symlinks (only our own files are never followed) */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (errno != ENOENT)
		return -errno;
	fd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *copy = strdup(path), *save = NULL;
	if (!copy) {
		close(fd);
		return -ENOMEM;
	}
	int r = 0;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (mkdirat(fd, c, 0700) && errno != EEXIST) {
			r = -errno;
			break;
		}
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (next < 0) {
			r = -errno;
			break;
		}
		close(fd);
		fd = next;
	}
	free(copy);
	if (r) {
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

void vs_obj_name(uint64_t fileno, char name[VS_OBJ_NAME_LEN])
{
	snprintf(name, VS_OBJ_NAME_LEN, "obj-%016llx", (unsigned long long)fileno);
}

bool vs_parse_obj_name(const char *name, uint64_t *fileno)
{
	if (strncmp(name, "obj-", 4) || strlen(name) != VS_OBJ_NAME_LEN - 1)
		return false;
	uint64_t v = 0;
	for (const char *p = name + 4; *p; p++) {
		int d = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*fileno = v;
	return true;
}

static bool is_our_name(const char *n)
{
	uint64_t f;
	return !strcmp(n, VS_NAME_VMKEY) || !strcmp(n, "vm.key.tmp") || !strcmp(n, VS_NAME_MANIFEST) ||
	       !strcmp(n, VS_NAME_MANIFEST_TMP) || !strcmp(n, VS_NAME_LOCK) ||
	       !strcmp(n, VS_NAME_OWNER) || !strcmp(n, VS_NAME_KEEPER) || vs_parse_obj_name(n, &f);
}

int vs_remove_state_dir_at(int parentfd, const char *name)
{
	int dfd = -1;
	int r = vs_open_dir_at(parentfd, name, &dfd);
	if (r)
		return r == -ENOENT ? 0 : r;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (is_our_name(e->d_name) && unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT)
			r = -errno;
	closedir(d);
	if (!r && unlinkat(parentfd, name, AT_REMOVEDIR))
		r = -errno;
	if (!r && fsync(parentfd))
		r = -errno;
	return r;
}

bool vs_valid_vm_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > 128 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20)
			return false;
	return true;
}
