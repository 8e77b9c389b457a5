/* The host's side of the seam: tarun_start, and the entry brackets that tell the runtime which
 * call is running on this thread (its client, parameters, cancellation deadline and mask). */
#include "tarun_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct tarun_host_ops *tarun_ops;
const struct tarun_ta *tarun_ta_info;

static _Thread_local struct tarun_call current_call = { .cancel_masked = true };

/* The st_* ops come all together or not at all: a host without them is a TEE without storage
 * (persistent objects answer ITEM_NOT_FOUND, as OP-TEE built without it). */
static bool st_ops_consistent(const struct tarun_host_ops *o)
{
	int n = !!o->st_open + !!o->st_create + !!o->st_read + !!o->st_write +
		!!o->st_truncate + !!o->st_size + !!o->st_restrict_usage + !!o->st_rename +
		!!o->st_close + !!o->st_next;

	return n == 0 || n == 10;
}

static bool ops_complete(const struct tarun_host_ops *o)
{
	return o->panic && o->log_line && o->cancel_requested && o->wait_cancel && o->ree_time &&
	       o->ptime_load && o->ptime_store && o->ta_open && o->ta_invoke && o->ta_close &&
	       st_ops_consistent(o);
}

int tarun_start(unsigned int version, const struct tarun_host_ops *ops, const struct tarun_ta *ta)
{
	if (version != TARUN_HOST_VERSION || !ops || !ta || !ta->head || !ops_complete(ops))
		return -EINVAL;
	if (ta->num_props && !ta->props)
		return -EINVAL;
	if (tarun_ops)
		return -EALREADY;
	tarun_ta_info = ta;
	tarun_ops = ops;
	return 0;
}

void tarun_entry_begin(const struct tarun_entry *e)
{
	struct tarun_call *c = &current_call;

	memset(c, 0, sizeof(*c));
	c->active = true;
	c->cancel_masked = true;
	c->session = e->session;
	c->param_types = e->params ? e->param_types : 0;
	c->params = e->params;
	c->cancel_deadline_ns = e->cancel_deadline_ns;
	if (e->client)
		c->client = *e->client; /* PUBLIC + nil UUID otherwise (memset) */
}

void tarun_entry_end(void)
{
	struct tarun_call *c = &current_call;

	memset(c, 0, sizeof(*c));
	c->cancel_masked = true;
}

struct tarun_call *tarun_current_call(void)
{
	return &current_call;
}

_Noreturn void tarun_panic(uint32_t code)
{
	if (tarun_ops)
		tarun_ops->panic(code);
	abort();
}

void tarun_log_line(const char *line, size_t len)
{
	if (!tarun_ops)
		return;
	if (len > TARUN_LOG_LINE_MAX)
		len = TARUN_LOG_LINE_MAX;
	tarun_ops->log_line(line, len);
}

uint64_t tarun_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t tarun_ta_flags(void)
{
	return tarun_ta_info ? tarun_ta_info->head->flags : 0;
}
