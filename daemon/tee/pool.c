// SPDX-License-Identifier: MIT
/*
 * Each connection's handler threads: up to TL_MAX_INFLIGHT, made when a
 * submitted request finds none idle, each waiting for its requests (job_wait).
 */
#include <errno.h>

#include "tee.h"

#define WORKER_STACK (512u << 10)

static void *worker_main(void *arg)
{
	struct conn *c = arg;
	pthread_mutex_lock(&c->plock);
	for (;;) {
		while (!c->qhead && !c->stopping) {
			c->idle++;
			pthread_cond_wait(&c->pcond, &c->plock);
			c->idle--;
		}
		struct job *j = c->qhead;
		if (!j)
			break; /* stopping, and nothing left to run */
		c->qhead = j->qnext;
		if (!c->qhead)
			c->qtail = NULL;
		c->qlen--;
		pthread_mutex_unlock(&c->plock);
		job_wait(j);
		pthread_mutex_lock(&c->plock);
	}
	pthread_mutex_unlock(&c->plock);
	return NULL;
}

int pool_push(struct conn *c, struct job *j)
{
	pthread_mutex_lock(&c->plock);
	j->qnext = NULL;
	if (c->qtail)
		c->qtail->qnext = j;
	else
		c->qhead = j;
	c->qtail = j;
	c->qlen++;
	if (c->idle >= c->qlen) {
		pthread_cond_signal(&c->pcond);
	} else if (c->nworkers < TL_MAX_INFLIGHT) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, WORKER_STACK);
		if (!pthread_create(&c->workers[c->nworkers], &attr, worker_main, c))
			c->nworkers++;
		pthread_attr_destroy(&attr);
	}
	bool none = c->nworkers == 0;
	if (none) {
		c->qhead = c->qtail = NULL;
		c->qlen = 0;
	}
	pthread_mutex_unlock(&c->plock);
	return none ? -EAGAIN : 0;
}

void pool_stop(struct conn *c)
{
	pthread_mutex_lock(&c->plock);
	c->stopping = true;
	pthread_cond_broadcast(&c->pcond);
	unsigned n = c->nworkers;
	pthread_mutex_unlock(&c->plock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(c->workers[i], NULL);
}
