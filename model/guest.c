// SPDX-License-Identifier: MIT
/*
 * The modelled guest itself: creation and teardown of its RAM, the SMC it
 * issues, errors and statistics (guest.h). The driver's jobs live beside it:
 * memory.c (pages, buffers, page lists), call.c (yielding calls, messages),
 * rpc.c (RPCs from the TEE), client.c (the TEE client operations), probe.c
 * (driver probe and remove). Written from the ABI description in docs
 * (optee-abi.md 2, 3, 6), not from the kernel sources.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_int.h"

void gerr(struct guest *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&g->err_lock);
	memcpy(g->err, buf, sizeof(buf));
	pthread_mutex_unlock(&g->err_lock);
	if (!g->cfg.quiet)
		guest_say("guest(vm %u): %s", g->vm ? vtee_vm_id(g->vm) : 0u, buf);
}

void guest_say(const char *fmt, ...)
{
	char line[560];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write, as libvtee's own lines: those of other threads never land inside it */
	vtee_log_to_fd((void *)(intptr_t)STDERR_FILENO, VTEE_LOG_ERR, line);
}

void guest_error(struct guest *g, char *msg, size_t msglen)
{
	if (!msglen)
		return;
	pthread_mutex_lock(&g->err_lock);
	snprintf(msg, msglen, "%s", g->err);
	pthread_mutex_unlock(&g->err_lock);
}

struct vtee_vm *guest_vm(const struct guest *g)
{
	return g->vm;
}

struct vtee_vm *guest_release_vm(struct guest *g)
{
	g->owns_vm = false;
	return g->vm;
}

uint64_t guest_new_cookie(struct guest *g)
{
	return atomic_fetch_add(&g->next_cookie, 0x140);
}

static void cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

/* ---- creation ----------------------------------------------------------- */

/* The guest's RAM: one memfd, region 0 then region 1 (if any), and its page bitmap. */
static int ram_map(struct guest *g, uint64_t s0, uint64_t s1)
{
	g->map_size = s0 + s1;
	g->memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (g->memfd < 0)
		return -errno;
	if (ftruncate(g->memfd, (off_t)g->map_size) < 0)
		return -errno;
	g->map = mmap(NULL, g->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		return -errno;
	}
	g->rgn[0] = (struct region){ GUEST_RAM0_GPA, s0, g->map, 0, s0 / PAGE };
	g->nrgn = 1;
	if (s1) {
		g->rgn[1] = (struct region){ GUEST_RAM1_GPA, s1, g->map + s0, s0 / PAGE, s1 / PAGE };
		g->nrgn = 2;
	}
	g->total_pages = g->free_pages = g->map_size / PAGE;
	g->bitmap = calloc((g->total_pages + 63) / 64, sizeof(uint64_t));
	if (!g->bitmap)
		return -ENOMEM;
	return 0;
}

int guest_create(struct vtee_vm *vm, const struct guest_config *cfg, struct guest **out)
{
	struct guest *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (cfg)
		g->cfg = *cfg;
	g->vm = vm;
	g->memfd = -1;
	uint64_t s0 = g->cfg.ram_size ? g->cfg.ram_size : GUEST_DEFAULT_RAM;
	uint64_t s1 = g->cfg.ram2_size;
	if ((s0 | s1) % PAGE || s0 > GUEST_RAM1_GPA - GUEST_RAM0_GPA) {
		free(g);
		return -EINVAL;
	}
	g->cfg.ram_size = s0;
	pthread_mutex_init(&g->mem_lock, NULL);
	pthread_mutex_init(&g->cq_lock, NULL);
	pthread_mutex_init(&g->slot_lock, NULL);
	pthread_mutex_init(&g->rpc_lock, NULL);
	pthread_mutex_init(&g->notif_lock, NULL);
	pthread_mutex_init(&g->err_lock, NULL);
	cond_init_mono(&g->cq_cond);
	cond_init_mono(&g->notif_cond);
	atomic_init(&g->next_cookie, 0xFFFF000012340000ull);

	int err = ram_map(g, s0, s1);
	if (err)
		goto fail;
	if (vm && !g->cfg.no_add_ram) {
		for (unsigned i = 0; i < g->nrgn; i++) {
			err = vtee_vm_add_ram(vm, g->rgn[i].gpa, g->rgn[i].size, g->rgn[i].hva, g->memfd,
					      (uint64_t)(g->rgn[i].hva - g->map));
			if (err) {
				gerr(g, "vtee_vm_add_ram(region %u) = %d", i, err);
				goto fail;
			}
		}
	}
	*out = g;
	return 0;
fail:
	g->vm = NULL;
	guest_destroy(g);
	return err;
}

int guest_create_vm(struct vtee_tee *tee, const struct vtee_vm_config *vcfg,
		    const struct guest_config *cfg, struct guest **out)
{
	struct vtee_vm *vm;
	int err = vtee_vm_create(tee, vcfg, &vm);
	if (err)
		return err;
	err = guest_create(vm, cfg, out);
	if (err) {
		vtee_vm_destroy(vm);
		return err;
	}
	(*out)->owns_vm = true;
	return 0;
}

void guest_destroy(struct guest *g)
{
	if (!g)
		return;
	if (g->owns_vm && g->vm)
		vtee_vm_destroy(g->vm);
	g->vm = NULL;
	while (g->arg_pages) {
		struct arg_page *p = g->arg_pages;
		g->arg_pages = p->next;
		guest_buf_free(g, p->shm->buf);
		free(p->shm);
		free(p);
	}
	while (g->rpc_bufs) {
		struct rpc_buf *b = g->rpc_bufs;
		g->rpc_bufs = b->next;
		free(b);
	}
	if (g->map)
		munmap(g->map, g->map_size);
	if (g->memfd >= 0)
		close(g->memfd);
	free(g->bitmap);
	pthread_mutex_destroy(&g->mem_lock);
	pthread_mutex_destroy(&g->cq_lock);
	pthread_mutex_destroy(&g->slot_lock);
	pthread_mutex_destroy(&g->rpc_lock);
	pthread_mutex_destroy(&g->notif_lock);
	pthread_mutex_destroy(&g->err_lock);
	pthread_cond_destroy(&g->cq_cond);
	pthread_cond_destroy(&g->notif_cond);
	free(g);
}

/* ---- SMC ---------------------------------------------------------------- */

void guest_smc(struct guest *g, uint64_t regs[8])
{
	atomic_fetch_add(&g->st.smc, 1);
	if (g->cfg.smc_fn)
		g->cfg.smc_fn(g->cfg.smc_ctx, regs);
	else
		vtee_vm_smc(g->vm, regs);
}

void guest_fast_call(struct guest *g, uint32_t fid, uint64_t a1, uint64_t r[8])
{
	memset(r, 0, 8 * sizeof(uint64_t));
	r[0] = fid;
	r[1] = a1;
	guest_smc(g, r);
}

void guest_get_stats(struct guest *g, struct guest_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->smc = atomic_load(&g->st.smc);
	st->calls = atomic_load(&g->st.calls);
	st->foreign_intr = atomic_load(&g->st.foreign_intr);
	st->ethread_limit = atomic_load(&g->st.ethread_limit);
	st->ethread_limit_alone = atomic_load(&g->st.ethread_limit_alone);
	st->rpc_alloc = atomic_load(&g->st.rpc_alloc);
	st->rpc_free = atomic_load(&g->st.rpc_free);
	st->rpc_cmd = atomic_load(&g->st.rpc_cmd);
	st->rpc_unknown = atomic_load(&g->st.rpc_unknown);
	st->comm_errors = atomic_load(&g->st.comm_errors);
	pthread_mutex_lock(&g->cq_lock);
	st->max_inflight = g->max_inflight;
	st->inflight = g->inflight;
	pthread_mutex_unlock(&g->cq_lock);
}
