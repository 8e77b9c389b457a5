/* SPDX-License-Identifier: MIT */
/*
 * A child's log (its stderr pipe) read by a thread: echoed to our stderr and
 * kept, so a test can wait for a line (test_link.c, test_tee_storage.c).
 *
 *   log_capture_start(&lc, pipe_read_end);   ...log_capture_wait(&lc, "text", 1, 5000)...
 *   (the child exits) log_capture_join(&lc); log_capture_count(&lc, "..."); log_capture_free(&lc);
 */
#ifndef VTEE_TESTS_LOG_CAPTURE_H
#define VTEE_TESTS_LOG_CAPTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct log_capture {
	int fd;
	pthread_t th;
	pthread_mutex_t lock;
	char *text; /* all read so far, NUL-terminated; NULL before the first line */
	size_t len;
};

static inline void *log_capture_main(void *arg)
{
	struct log_capture *lc = arg;
	char buf[4096];
	ssize_t n;
	while ((n = read(lc->fd, buf, sizeof(buf))) > 0) {
		if (write(2, buf, (size_t)n) < 0) {
			/* our stderr is gone: keep collecting */
		}
		pthread_mutex_lock(&lc->lock);
		char *p = realloc(lc->text, lc->len + (size_t)n + 1);
		if (p) {
			memcpy(p + lc->len, buf, (size_t)n);
			lc->len += (size_t)n;
			p[lc->len] = 0;
			lc->text = p;
		}
		pthread_mutex_unlock(&lc->lock);
	}
	return NULL;
}

/* Read fd (taken) until EOF. 0 or the pthread_create error. */
static inline int log_capture_start(struct log_capture *lc, int fd)
{
	memset(lc, 0, sizeof(*lc));
	lc->fd = fd;
	pthread_mutex_init(&lc->lock, NULL);
	return pthread_create(&lc->th, NULL, log_capture_main, lc);
}

/* How many times `what` is in the log so far. */
static inline unsigned log_capture_count(struct log_capture *lc, const char *what)
{
	unsigned n = 0;
	pthread_mutex_lock(&lc->lock);
	for (const char *p = lc->text; p && (p = strstr(p, what)); p++)
		n++;
	pthread_mutex_unlock(&lc->lock);
	return n;
}

/* Wait until `what` is in the log at least n times: false after timeout_ms. */
static inline bool log_capture_wait(struct log_capture *lc, const char *what, unsigned n, unsigned timeout_ms)
{
	struct timespec t0, t, tick = { 0, 10 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (log_capture_count(lc, what) < n) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000 + (uint64_t)(t.tv_nsec / 1000000) -
			    (uint64_t)(t0.tv_nsec / 1000000) > timeout_ms)
			return false;
		nanosleep(&tick, NULL);
	}
	return true;
}

/* After the writer's end: wait until everything is read. */
static inline void log_capture_join(struct log_capture *lc)
{
	pthread_join(lc->th, NULL);
}

static inline void log_capture_free(struct log_capture *lc)
{
	close(lc->fd);
	free(lc->text);
	pthread_mutex_destroy(&lc->lock);
	memset(lc, 0, sizeof(*lc));
}

#endif
