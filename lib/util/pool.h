/* SPDX-License-Identifier: MIT */
/*
 * A pool of worker threads, written once for the back-ends (soft's TEE
 * threads, teedev's ioctl threads) and the daemons (vtee-tee's handler
 * threads). Internal to libvtee; the daemons link the static archive.
 *
 * What it does:
 *   - threads are started on demand, one per item in flight, up to
 *     max_threads; beyond that items wait in a FIFO (never overtaken);
 *   - an idle thread parks on a futex word of its own; submit hands the item
 *     to the most recently parked thread (LIFO: the warmest stack and cache)
 *     by writing the item and flipping that word, with no lock on the
 *     thread's side; a parked thread may first spin for spin_ns, so that
 *     back-to-back calls are handed over without a system call;
 *   - after run() a thread parks itself (or takes the next queued item)
 *     before it calls done(): a caller woken by done() that submits again at
 *     once finds it idle, instead of starting a new thread;
 *   - an item still queued can be withdrawn (cancelled before it ran);
 *   - threads start with every signal blocked (the embedder's signals are
 *     not theirs to take) and with stack_size bytes of stack;
 *   - vtee_pool_stop() refuses new items, lets the threads run what is
 *     queued, and joins them.
 *
 * Locking: the pool's lock is a leaf: run() and done() are called with no
 * lock of the pool held, and the pool calls nothing else under it, so an
 * embedder may call submit(), withdraw() and can_start_now() under its own
 * locks.
 */
#ifndef VTEE_UTIL_POOL_H
#define VTEE_UTIL_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The job an item is embedded in: vtee_container_of(item, struct job, item). */
#define vtee_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Embedded in the embedder's job; the pool's fields, not to be touched. */
struct vtee_pool_item {
	struct vtee_pool_item *qnext; /* the FIFO */
	uint8_t state;                /* POOL_ITEM_* (pool.c) */
};

struct vtee_pool_config {
	unsigned max_threads;   /* at least 1 */
	size_t stack_size;      /* 0: the system's default */
	uint64_t spin_ns;       /* how long a parked thread spins before it sleeps; 0: sleeps at once */
	/* Runs item on a pool thread. */
	void (*run)(void *ctx, struct vtee_pool_item *item);
	/* Optional: the item's last touch, once the thread that ran it is back in the pool. */
	void (*done)(void *ctx, struct vtee_pool_item *item);
	void *ctx;
};

struct vtee_pool_worker;

/* The pool's state (embedded by its user; its fields are pool.c's). */
struct vtee_pool {
	struct vtee_pool_config cfg;
	pthread_mutex_t lock;
	struct vtee_pool_worker *idle;   /* parked, most recent first */
	struct vtee_pool_worker *all;    /* every thread, for the join */
	struct vtee_pool_item *qhead, *qtail;
	unsigned nthreads;
	bool stopping;
};

/* Ready to take items; no thread runs yet. cfg is copied. */
void vtee_pool_init(struct vtee_pool *p, const struct vtee_pool_config *cfg);

/*
 * Hands item to a parked thread, to a new thread, or to the FIFO when
 * max_threads are busy. 0; -ESHUTDOWN once stopping; or, when no thread
 * exists and none could be started (nothing would ever run it), the
 * negative errno of the failure: the item is then the caller's again.
 */
int vtee_pool_submit(struct vtee_pool *p, struct vtee_pool_item *item);

/* Takes a queued item back before any thread took it: 0, or -EBUSY (a thread has it, or it is not in the pool). */
int vtee_pool_withdraw(struct vtee_pool *p, struct vtee_pool_item *item);

/* Whether a submit now would start at once: nothing queued, and a parked thread or room for a new one. */
bool vtee_pool_can_start_now(struct vtee_pool *p);

/* Threads the pool has started (they stay until vtee_pool_stop()). */
unsigned vtee_pool_threads(struct vtee_pool *p);

/* No more items; what is queued still runs; joins every thread. The pool may then be freed. */
void vtee_pool_stop(struct vtee_pool *p);

/* A thread started as the pool starts its own: every signal blocked, stack_size (0: default). 0 or -errno. */
int vtee_thread_start(pthread_t *t, size_t stack_size, void *(*fn)(void *), void *arg);

#endif
