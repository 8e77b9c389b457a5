// SPDX-License-Identifier: MIT
/*
 * The worker pool (pool.h). A worker's handoff word goes IDLE -> POSTED when
 * an item (or "exit": no item) is posted to it, and IDLE -> SLEEPING when it
 * gives up spinning and waits on the futex; the poster wakes it only then.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "pool.h"
#include "sync.h"

enum { WORD_IDLE, WORD_POSTED, WORD_SLEEPING };
enum { POOL_ITEM_OUT, POOL_ITEM_QUEUED, POOL_ITEM_TAKEN };

struct vtee_pool_worker {
	struct vtee_pool *pool;
	pthread_t thread;
	_Atomic uint32_t word;            /* WORD_*: the handoff */
	struct vtee_pool_item *item;      /* posted to it; NULL with WORD_POSTED means "exit" */
	struct vtee_pool_worker *next_idle, *next_all;
};

/* Pool lock held: the item goes to w (which is not parked, or was just taken off the idle list). */
static void give(struct vtee_pool_worker *w, struct vtee_pool_item *item)
{
	w->item = item;
	if (item)
		item->state = POOL_ITEM_TAKEN;
}

/* Lock dropped: let a parked w see what give() left it. */
static void kick(struct vtee_pool_worker *w)
{
	if (atomic_exchange_explicit(&w->word, WORD_POSTED, memory_order_acq_rel) == WORD_SLEEPING)
		vtee_futex_wake(&w->word);
}

static bool posted(struct vtee_pool_worker *w)
{
	return atomic_load_explicit(&w->word, memory_order_acquire) == WORD_POSTED;
}

static void wait_posted(struct vtee_pool_worker *w)
{
	uint64_t spin = w->pool->cfg.spin_ns;
	if (spin) {
		uint64_t start = vtee_now_ns();
		do {
			for (int i = 0; i < 64; i++) {
				if (posted(w))
					return;
				vtee_cpu_relax();
			}
		} while (vtee_now_ns() - start < spin);
	}
	for (;;) {
		uint32_t expect = WORD_IDLE;
		if (!atomic_compare_exchange_strong_explicit(&w->word, &expect, WORD_SLEEPING, memory_order_acq_rel,
							     memory_order_acquire) &&
		    expect == WORD_POSTED)
			return;
		vtee_futex(&w->word, FUTEX_WAIT_PRIVATE, WORD_SLEEPING, NULL);
		if (posted(w))
			return;
	}
}

/* Pool lock held. */
static struct vtee_pool_item *dequeue(struct vtee_pool *p)
{
	struct vtee_pool_item *item = p->qhead;
	if (item) {
		p->qhead = item->qnext;
		if (!p->qhead)
			p->qtail = NULL;
	}
	return item;
}

/*
 * After an item ran: the next queued item, or parked (NULL), or, when
 * stopping with nothing queued, *quit. Parking comes before the caller's
 * done(), so that a submit done() provokes finds this thread idle.
 */
static struct vtee_pool_item *next_or_park(struct vtee_pool_worker *w, bool *quit)
{
	struct vtee_pool *p = w->pool;
	pthread_mutex_lock(&p->lock);
	struct vtee_pool_item *next = dequeue(p);
	give(w, next);
	if (!next && p->stopping) {
		*quit = true;
	} else if (!next) {
		atomic_store_explicit(&w->word, WORD_IDLE, memory_order_relaxed);
		w->next_idle = p->idle;
		p->idle = w;
	}
	pthread_mutex_unlock(&p->lock);
	return next;
}

static void *worker_main(void *arg)
{
	struct vtee_pool_worker *w = arg;
	const struct vtee_pool_config *cfg = &w->pool->cfg;
	for (;;) {
		wait_posted(w);
		struct vtee_pool_item *item = w->item;
		if (!item)
			return NULL;
		while (item) {
			cfg->run(cfg->ctx, item);
			bool quit = false;
			struct vtee_pool_item *next = next_or_park(w, &quit);
			if (cfg->done)
				cfg->done(cfg->ctx, item);
			if (quit)
				return NULL;
			item = next;
		}
	}
}

int vtee_thread_start(pthread_t *t, size_t stack_size, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int e = pthread_attr_init(&attr);
	if (e)
		return -e;
	if (stack_size)
		e = pthread_attr_setstacksize(&attr, stack_size);
	if (!e) {
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		e = pthread_create(t, &attr, fn, arg);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_attr_destroy(&attr);
	return -e;
}

/* Pool lock held: a new thread, item posted to it already. 0 or -errno. */
static int start_worker(struct vtee_pool *p, struct vtee_pool_item *item)
{
	struct vtee_pool_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->pool = p;
	give(w, item);
	atomic_store_explicit(&w->word, WORD_POSTED, memory_order_relaxed);
	int e = vtee_thread_start(&w->thread, p->cfg.stack_size, worker_main, w);
	if (e) {
		item->state = POOL_ITEM_OUT;
		free(w);
		return e;
	}
	w->next_all = p->all;
	p->all = w;
	p->nthreads++;
	return 0;
}

void vtee_pool_init(struct vtee_pool *p, const struct vtee_pool_config *cfg)
{
	*p = (struct vtee_pool){ .cfg = *cfg };
	if (!p->cfg.max_threads)
		p->cfg.max_threads = 1;
	pthread_mutex_init(&p->lock, NULL);
}

int vtee_pool_submit(struct vtee_pool *p, struct vtee_pool_item *item)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return -ESHUTDOWN;
	}
	struct vtee_pool_worker *w = p->idle;
	if (w) {
		p->idle = w->next_idle;
		give(w, item);
		pthread_mutex_unlock(&p->lock);
		kick(w);
		return 0;
	}
	/* Grow: rare (once per level of concurrency ever reached), so under the lock. */
	int e = p->nthreads < p->cfg.max_threads ? start_worker(p, item) : -EAGAIN;
	if (e && p->nthreads) {
		/* every thread is busy (or no new one could be made): one of them takes it later */
		item->qnext = NULL;
		item->state = POOL_ITEM_QUEUED;
		if (p->qtail)
			p->qtail->qnext = item;
		else
			p->qhead = item;
		p->qtail = item;
		e = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return e;
}

int vtee_pool_withdraw(struct vtee_pool *p, struct vtee_pool_item *item)
{
	pthread_mutex_lock(&p->lock);
	if (item->state != POOL_ITEM_QUEUED) {
		pthread_mutex_unlock(&p->lock);
		return -EBUSY;
	}
	struct vtee_pool_item **pp = &p->qhead, *prev = NULL;
	while (*pp != item) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	*pp = item->qnext;
	if (p->qtail == item)
		p->qtail = prev;
	item->state = POOL_ITEM_OUT;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

bool vtee_pool_can_start_now(struct vtee_pool *p)
{
	pthread_mutex_lock(&p->lock);
	bool now = !p->stopping && !p->qhead && (p->idle || p->nthreads < p->cfg.max_threads);
	pthread_mutex_unlock(&p->lock);
	return now;
}

unsigned vtee_pool_threads(struct vtee_pool *p)
{
	pthread_mutex_lock(&p->lock);
	unsigned n = p->nthreads;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void vtee_pool_stop(struct vtee_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	/* Parked threads get "exit"; busy ones leave when the queue is empty. */
	struct vtee_pool_worker *idle = p->idle;
	p->idle = NULL;
	for (struct vtee_pool_worker *w = idle; w; w = w->next_idle)
		give(w, NULL);
	pthread_mutex_unlock(&p->lock);
	while (idle) {
		struct vtee_pool_worker *w = idle;
		idle = w->next_idle;
		kick(w);
	}
	/* No thread is added once stopping is set: the list is stable. */
	for (struct vtee_pool_worker *w = p->all; w; w = w->next_all)
		pthread_join(w->thread, NULL);
	while (p->all) {
		struct vtee_pool_worker *w = p->all;
		p->all = w->next_all;
		free(w);
	}
	p->nthreads = 0;
	pthread_mutex_destroy(&p->lock);
}
