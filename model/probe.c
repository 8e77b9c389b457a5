// SPDX-License-Identifier: MIT
/*
 * The modelled driver's probe (UID, revision, thread count, capabilities,
 * the shm cache) and remove (arg pages unregistered, the cache disabled).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_int.h"

#define SHM_CACHE_MAX_OK    4096u  /* DISABLE_SHM_CACHE answers with a cookie */
#define SHM_CACHE_MAX_OTHER 16u    /* answers Linux would wait on (EBUSY, unknown, ...) */

/* ---- probe -------------------------------------------------------------- */

static void drop_cached_cookie(struct guest *g, uint64_t cookie)
{
	struct rpc_buf b;
	if (guest_rpc_buf_find(g, cookie, true, &b) == 0)
		guest_pages_free(g, b.gpa, b.npages);
}

/* Linux's DISABLE_SHM_CACHE loop (probe and remove), bounded where Linux would wait forever. */
static int shm_cache_disable(struct guest *g)
{
	unsigned ok = 0, other = 0;
	for (;;) {
		uint64_t r[8];
		guest_fast_call(g, OPTEE_SMC_DISABLE_SHM_CACHE, 0, r);
		if (r[0] == OPTEE_SMC_RETURN_ENOTAVAIL)
			return 0;
		if (r[0] == OPTEE_SMC_RETURN_OK) {
			g->info.shm_cache_disable_ok++;
			drop_cached_cookie(g, reg_pair(r[1], r[2]));
			if (++ok > SHM_CACHE_MAX_OK) {
				gerr(g, "DISABLE_SHM_CACHE returned OK %u times", ok);
				return -ETIMEDOUT;
			}
			continue;
		}
		/* Linux waits for a call to complete and retries: a hang if nothing is running. */
		if (++other > SHM_CACHE_MAX_OTHER) {
			gerr(g, "DISABLE_SHM_CACHE keeps answering 0x%llx (Linux would hang)",
			     (unsigned long long)r[0]);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
}

/* The API UID and revision, and the OS revision. */
static int probe_revision(struct guest *g)
{
	struct guest_probe_info *in = &g->info;
	uint64_t r[8];
	guest_fast_call(g, OPTEE_SMC_CALLS_UID, 0, r);
	if (!(r[0] == OPTEE_MSG_UID_0 && r[1] == OPTEE_MSG_UID_1 && r[2] == OPTEE_MSG_UID_2 &&
	      r[3] == OPTEE_MSG_UID_3)) {
		gerr(g, "api uid mismatch: %llx %llx %llx %llx", (unsigned long long)r[0],
		     (unsigned long long)r[1], (unsigned long long)r[2], (unsigned long long)r[3]);
		return -EINVAL;
	}

	guest_fast_call(g, OPTEE_SMC_GET_OS_REVISION, 0, r);
	in->os_major = (uint32_t)r[0];
	in->os_minor = (uint32_t)r[1];
	in->os_build = (uint32_t)r[2];

	guest_fast_call(g, OPTEE_SMC_CALLS_REVISION, 0, r);
	in->api_major = (uint32_t)r[0];
	in->api_minor = (uint32_t)r[1];
	if (!(r[0] == OPTEE_MSG_REVISION_MAJOR && (int)r[1] >= (int)OPTEE_MSG_REVISION_MINOR)) {
		gerr(g, "api revision mismatch: %llx.%llx", (unsigned long long)r[0], (unsigned long long)r[1]);
		return -EINVAL;
	}
	return 0;
}

/* The thread count and EXCHANGE_CAPABILITIES: what the driver can live with. */
static int probe_capabilities(struct guest *g)
{
	struct guest_probe_info *in = &g->info;
	uint64_t r[8];
	guest_fast_call(g, OPTEE_SMC_GET_THREAD_COUNT, 0, r);
	in->thread_count = r[0] == OPTEE_SMC_RETURN_OK ? (uint32_t)r[1] : 0;

	guest_fast_call(g, OPTEE_SMC_EXCHANGE_CAPABILITIES, g->cfg.uniprocessor ? OPTEE_SMC_NSEC_CAP_UNIPROCESSOR : 0,
			r);
	if (r[0] != OPTEE_SMC_RETURN_OK) {
		gerr(g, "capabilities mismatch: a0 = 0x%llx", (unsigned long long)r[0]);
		return -EINVAL;
	}
	in->sec_caps = (uint32_t)r[1];
	in->max_notif_value = in->sec_caps & OPTEE_SMC_SEC_CAP_ASYNC_NOTIF ? (uint32_t)r[2] : 255u;
	in->rpc_param_count = in->sec_caps & OPTEE_SMC_SEC_CAP_RPC_ARG ? (uint32_t)(r[3] & 0xFFu) : 0;

	if (!(in->sec_caps & OPTEE_SMC_SEC_CAP_DYNAMIC_SHM)) {
		/* Linux would fall back to a reserved carve-out; this model has none. */
		gerr(g, "no DYNAMIC_SHM in capabilities 0x%x", in->sec_caps);
		in->rpc_param_count = 0;
		return -EINVAL;
	}
	if (in->sec_caps & OPTEE_SMC_SEC_CAP_ASYNC_NOTIF) {
		/* The guest DT has no interrupt for notifications: Linux's probe fails. */
		gerr(g, "ASYNC_NOTIF offered but the guest has no notification interrupt");
		in->rpc_param_count = 0;
		return -EINVAL;
	}
	return 0;
}

/* Without an RPC arg, Linux turns the shm cache back on after emptying it. */
static int shm_cache_enable(struct guest *g)
{
	uint64_t r[8];
	for (unsigned tries = 0;; usleep(1000)) {
		guest_fast_call(g, OPTEE_SMC_ENABLE_SHM_CACHE, 0, r);
		if (r[0] == OPTEE_SMC_RETURN_OK)
			break;
		if (++tries > SHM_CACHE_MAX_OTHER) {
			gerr(g, "ENABLE_SHM_CACHE keeps answering 0x%llx (Linux would hang)", (unsigned long long)r[0]);
			return -ETIMEDOUT;
		}
	}
	g->info.shm_cache_enabled = true;
	return 0;
}

/* How messages will travel: slots of registered arg pages (RPC_ARG), or a page per call. */
static int probe_call_mode(struct guest *g)
{
	struct guest_probe_info *in = &g->info;
	if (!in->rpc_param_count) {
		in->mode = GUEST_MODE_CALL_WITH_ARG;
		return 0;
	}
	in->mode = GUEST_MODE_REGD_ARG;
	in->slot_size = (uint32_t)(OPTEE_MSG_GET_ARG_SIZE(6) + OPTEE_MSG_GET_ARG_SIZE(in->rpc_param_count));
	if (in->slot_size > PAGE) {
		gerr(g, "rpc_param_count %u makes an arg slot bigger than a page", in->rpc_param_count);
		in->mode = GUEST_MODE_NONE;
		return -EINVAL;
	}
	g->slots_per_page = PAGE / in->slot_size;
	if (g->slots_per_page > 32)
		g->slots_per_page = 32;
	return 0;
}

int guest_probe(struct guest *g)
{
	struct guest_probe_info *in = &g->info;
	memset(in, 0, sizeof(*in));
	int err = probe_revision(g);
	if (!err)
		err = probe_capabilities(g);
	if (err)
		return err;
	err = shm_cache_disable(g);
	if (err) {
		in->rpc_param_count = 0;
		return err;
	}
	if (in->rpc_param_count == 0 && (err = shm_cache_enable(g)))
		return err;
	return probe_call_mode(g);
}

const struct guest_probe_info *guest_probe_info(const struct guest *g)
{
	return &g->info;
}

void guest_shutdown(struct guest *g)
{
	pthread_mutex_lock(&g->slot_lock);
	struct arg_page *list = g->arg_pages;
	g->arg_pages = NULL;
	pthread_mutex_unlock(&g->slot_lock);
	while (list) {
		struct arg_page *p = list;
		list = p->next;
		if (p->used)
			gerr(g, "shutdown with arg slots in use");
		uint32_t ret = guest_shm_unregister(g, p->shm);
		if (ret != TEE_SUCCESS)
			gerr(g, "UNREGISTER_SHM of an arg page: 0x%x", ret);
		free(p);
	}
	if (g->info.mode != GUEST_MODE_NONE && g->info.rpc_param_count == 0)
		shm_cache_disable(g);
}
