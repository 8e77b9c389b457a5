// SPDX-License-Identifier: MIT
/*
 * The worker pool (lib/util/pool.h) on its own: threads on demand up to the
 * limit, the FIFO beyond it, withdrawing a queued item, can_start_now, a
 * thread back in the pool before done() (back-to-back items need one thread),
 * stop draining the queue and refusing new items, signals blocked in the
 * pool's threads.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

#include "../check.h"

struct item {
	struct vtee_pool_item pi;
	int id;
	bool block;       /* run() waits until the test releases it */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int order[64];
	unsigned ran, done, blocked;
	bool release;
	bool sigint_blocked;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void reset(void)
{
	pthread_mutex_lock(&T.lock);
	T.ran = T.done = T.blocked = 0;
	T.release = false;
	T.sigint_blocked = true;
	pthread_mutex_unlock(&T.lock);
}

static void run(void *ctx, struct vtee_pool_item *pi)
{
	(void)ctx;
	struct item *it = vtee_container_of(pi, struct item, pi);
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	pthread_mutex_lock(&T.lock);
	if (!sigismember(&now, SIGINT) || !sigismember(&now, SIGTERM))
		T.sigint_blocked = false;
	if (T.ran < 64)
		T.order[T.ran] = it->id;
	T.ran++;
	if (it->block) {
		T.blocked++;
		pthread_cond_broadcast(&T.cond);
		while (!T.release)
			pthread_cond_wait(&T.cond, &T.lock);
		T.blocked--;
	}
	pthread_mutex_unlock(&T.lock);
}

static void done(void *ctx, struct vtee_pool_item *pi)
{
	(void)ctx;
	(void)pi;
	pthread_mutex_lock(&T.lock);
	T.done++;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

static void init(struct vtee_pool *p, unsigned max, uint64_t spin_ns)
{
	reset();
	struct vtee_pool_config pc = { .max_threads = max, .stack_size = 128u << 10, .spin_ns = spin_ns,
				       .run = run, .done = done };
	vtee_pool_init(p, &pc);
}

static void wait_blocked(unsigned n)
{
	pthread_mutex_lock(&T.lock);
	while (T.blocked < n)
		pthread_cond_wait(&T.cond, &T.lock);
	pthread_mutex_unlock(&T.lock);
}

static void wait_done(unsigned n)
{
	pthread_mutex_lock(&T.lock);
	while (T.done < n)
		pthread_cond_wait(&T.cond, &T.lock);
	pthread_mutex_unlock(&T.lock);
}

static void release(void)
{
	pthread_mutex_lock(&T.lock);
	T.release = true;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

/* One thread busy: the rest wait in order; a queued item can be taken back, a running one not. */
static void test_fifo_and_withdraw(void)
{
	struct vtee_pool p;
	init(&p, 1, 0);
	CHECK(vtee_pool_can_start_now(&p));
	struct item blocker = { .id = 100, .block = true }, q[5];
	REQUIRE_EQ(vtee_pool_submit(&p, &blocker.pi), 0);
	wait_blocked(1);
	CHECK(!vtee_pool_can_start_now(&p));
	for (int i = 0; i < 5; i++) {
		q[i] = (struct item){ .id = i };
		CHECK_EQ(vtee_pool_submit(&p, &q[i].pi), 0);
	}
	CHECK_EQ(vtee_pool_threads(&p), 1);
	CHECK_EQ(vtee_pool_withdraw(&p, &q[2].pi), 0);
	CHECK_EQ(vtee_pool_withdraw(&p, &q[2].pi), (unsigned long long)-EBUSY);
	CHECK_EQ(vtee_pool_withdraw(&p, &q[4].pi), 0); /* the tail */
	CHECK_EQ(vtee_pool_withdraw(&p, &blocker.pi), (unsigned long long)-EBUSY);
	release();
	wait_done(4);
	pthread_mutex_lock(&T.lock);
	CHECK_EQ(T.ran, 4);
	CHECK_EQ(T.order[0], 100);
	CHECK_EQ(T.order[1], 0);
	CHECK_EQ(T.order[2], 1);
	CHECK_EQ(T.order[3], 3);
	pthread_mutex_unlock(&T.lock);
	CHECK(vtee_pool_can_start_now(&p)); /* the thread is parked again */
	vtee_pool_stop(&p);
	CHECK(T.sigint_blocked);
}

/* A thread per item in flight, up to the limit; past it, the FIFO. */
static void test_growth(void)
{
	struct vtee_pool p;
	init(&p, 4, 0);
	struct item b[6];
	for (int i = 0; i < 6; i++) {
		b[i] = (struct item){ .id = i, .block = true };
		CHECK_EQ(vtee_pool_submit(&p, &b[i].pi), 0);
	}
	wait_blocked(4);
	CHECK_EQ(vtee_pool_threads(&p), 4);
	CHECK(!vtee_pool_can_start_now(&p));
	release();
	wait_done(6);
	CHECK_EQ(vtee_pool_threads(&p), 4);
	vtee_pool_stop(&p);
}

/* A caller that submits again as soon as done() woke it finds the same thread idle. */
static void test_back_to_back(uint64_t spin_ns)
{
	struct vtee_pool p;
	init(&p, 8, spin_ns);
	struct item it = { .id = 1 };
	for (unsigned i = 1; i <= 200; i++) {
		REQUIRE_EQ(vtee_pool_submit(&p, &it.pi), 0);
		wait_done(i);
	}
	CHECK_EQ(vtee_pool_threads(&p), 1);
	vtee_pool_stop(&p);
}

static void *stopper(void *arg)
{
	vtee_pool_stop(arg);
	return NULL;
}

/* Stop: what is queued still runs, nothing new is taken, every thread joined. */
static void test_stop_drains(void)
{
	struct vtee_pool p;
	init(&p, 1, 0);
	struct item blocker = { .id = 100, .block = true }, q[3], late = { .id = 9 };
	REQUIRE_EQ(vtee_pool_submit(&p, &blocker.pi), 0);
	wait_blocked(1);
	for (int i = 0; i < 3; i++) {
		q[i] = (struct item){ .id = i };
		CHECK_EQ(vtee_pool_submit(&p, &q[i].pi), 0);
	}
	pthread_t th;
	REQUIRE_EQ(pthread_create(&th, NULL, stopper, &p), 0);
	for (bool stopping = false; !stopping; usleep(1000)) {
		pthread_mutex_lock(&p.lock);
		stopping = p.stopping;
		pthread_mutex_unlock(&p.lock);
	}
	CHECK_EQ(vtee_pool_submit(&p, &late.pi), (unsigned long long)-ESHUTDOWN);
	release();
	pthread_join(th, NULL);
	CHECK_EQ(T.ran, 4);
	CHECK_EQ(T.done, 4);
	CHECK_EQ(p.nthreads, 0);
}

/* The embedder's thread keeps its mask; a thread started like the pool's has every signal blocked. */
static void *mask_probe(void *arg)
{
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	*(bool *)arg = sigismember(&now, SIGINT) && sigismember(&now, SIGUSR1);
	return NULL;
}

static void test_thread_start(void)
{
	bool blocked = false;
	pthread_t th;
	REQUIRE_EQ(vtee_thread_start(&th, 64u << 10, mask_probe, &blocked), 0);
	pthread_join(th, NULL);
	CHECK(blocked);
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	CHECK(!sigismember(&now, SIGUSR1));
}

int main(void)
{
	test_fifo_and_withdraw();
	test_growth();
	test_back_to_back(0);
	test_back_to_back(2000);
	test_stop_drains();
	test_thread_start();
	return check_report();
}
