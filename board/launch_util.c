// SPDX-License-Identifier: MIT
/* Small helpers for `vtee run`: buffers, files, child processes. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch_int.h"

bool launch_verbose = true;

int lbuf_append(struct lbuf *b, const void *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0; /* always NUL-terminated, so text output can be parsed as a string */
	return 0;
}

int lbuf_printf(struct lbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int r = lbuf_append(b, s, (size_t)n);
	free(s);
	return r;
}

void lbuf_free(struct lbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void lmsg(const char *fmt, ...)
{
	static const char prefix[] = "vtee run: ";
	char line[4096];
	memcpy(line, prefix, sizeof(prefix) - 1);
	size_t room = sizeof(line) - (sizeof(prefix) - 1) - 2; /* and "\r\n" */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + sizeof(prefix) - 1, room + 1, fmt, ap);
	va_end(ap);
	size_t len = sizeof(prefix) - 1 + (n < 0 ? 0 : (size_t)n < room ? (size_t)n : room);
	/* \r too: the terminal may be in raw mode while QEMU owns it. */
	line[len++] = '\r';
	line[len++] = '\n';
	/* one write: a line never mixes with vteed's or QEMU's on the same terminal */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		lmsg("out of memory");
		exit(LAUNCH_EXIT_BOARD);
	}
	return s;
}

/* In the child: stdout as asked (out_fd, /dev/null or our stderr), stdin /dev/null, then exec. */
static _Noreturn void run_child(char *const argv[], const char *dir, int out_fd, bool quiet_out)
{
	if (dir && chdir(dir))
		_exit(127);
	int fd = out_fd;
	if (fd < 0)
		fd = quiet_out ? open("/dev/null", O_WRONLY) : dup(2);
	if (fd >= 0 && fd != 1) {
		dup2(fd, 1);
		close(fd);
	}
	int in = open("/dev/null", O_RDONLY);
	if (in >= 0 && in != 0) {
		dup2(in, 0);
		close(in);
	}
	execvp(argv[0], argv);
	lmsg("cannot run %s: %s", argv[0], strerror(errno));
	_exit(127);
}

/* Everything the child writes to fd, into out (what does not fit is read and dropped). */
static void read_child_output(int fd, struct lbuf *out)
{
	char tmp[65536];
	bool full = false;
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!full && lbuf_append(out, tmp, (size_t)n))
			full = true;
	}
}

/* 0 if the child exited 0, -EIO if it failed or was killed, -errno if it cannot be waited for. */
static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int run_cmd(char *const argv[], const char *dir, struct lbuf *out, bool quiet_out)
{
	int pfd[2] = { -1, -1 };
	if (out && pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		if (out) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return e;
	}
	if (pid == 0)
		run_child(argv, dir, pfd[1], quiet_out);
	if (out) {
		close(pfd[1]);
		read_child_output(pfd[0], out);
		close(pfd[0]);
	}
	return wait_child(pid);
}

int read_file(const char *path, struct lbuf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && lbuf_append(out, NULL, 0) == 0) {
		size_t want = out->len + (size_t)st.st_size + 1;
		if (want > out->cap) {
			uint8_t *p = realloc(out->p, want);
			if (p) {
				out->p = p;
				out->cap = want;
			}
		}
	}
	char tmp[65536];
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		if ((r = lbuf_append(out, tmp, (size_t)n)))
			break;
	}
	close(fd);
	return r;
}

/*
 * Write a whole file under a temporary name and rename it into place, so a
 * second run sharing the cache never reads a half-written file.
 */
int write_file(const char *path, const void *d, size_t n)
{
	char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = 0;
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	const uint8_t *p = d;
	while (n && !r) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

bool path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int mkdir_p(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST) {
			int e = -errno;
			free(p);
			return e;
		}
		*s = '/';
	}
	int r = (mkdir(p, 0755) && errno != EEXIST) ? -errno : 0;
	free(p);
	return r;
}
