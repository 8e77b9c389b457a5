/* SPDX-License-Identifier: MIT */
/*
 * A model of a Linux arm64 guest running the OP-TEE SMC-ABI driver
 * (drivers/tee/optee/smc_abi.c + call.c + rpc.c) on top of libvtee.
 *
 * The model owns the guest's RAM (a memfd mapped shared, registered with
 * vtee_vm_add_ram()), a page allocator over it, and a driver that probes the
 * TEE, issues yielding calls, services RPCs and offers the client operations
 * the kernel's TEE core offers (open/invoke/close/cancel, shm register).
 *
 * Typical use:
 *
 *   struct guest *g;
 *   guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "g1" }, NULL, &g);
 *   guest_probe(g);
 *   uint32_t sess;
 *   guest_open_session(g, uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL);
 *   struct guest_param p[4] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, 41, 0, 0) };
 *   guest_invoke(g, sess, VTEE_TEST_CMD_INC, p, 4, 0, NULL);
 *   guest_close_session(g, sess);
 *   guest_shutdown(g);      driver remove (polite: unregisters its arg pages)
 *   guest_destroy(g);       destroys the VM (if the guest created it), then the RAM
 *
 * Thread safety: every function taking a struct guest may be called from
 * several threads (vCPUs) at once, except guest_create*, guest_probe,
 * guest_shutdown and guest_destroy.
 *
 * Result conventions: client operations return a TEE result (TEE_SUCCESS,
 * TEE_ERROR_*) like the kernel reports it to a client: a transport failure
 * (final a0 != OK, malformed RPC, ...) reads as TEE_ERROR_COMMUNICATION with
 * origin TEE_ORIGIN_COMMS. Everything else returning int gives 0 or -errno.
 * The last error message is available from guest_error() (into a buffer
 * of the caller's), and goes to stderr unless the configuration says quiet.
 */
#ifndef VTEE_MODEL_GUEST_H
#define VTEE_MODEL_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtee/backend.h"
#include "vtee/vtee.h"
#include "optee_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GUEST_PAGE_SIZE   4096u
#define GUEST_RAM0_GPA    0x40000000ull  /* first RAM region */
#define GUEST_RAM1_GPA    0x100000000ull /* optional second region, after a hole */
#define GUEST_DEFAULT_RAM (64ull << 20)

/* Page-list entries per 4 KiB list page; entry 511 links to the next list page. */
#define GUEST_PAGELIST_ENTRIES 511u

struct guest;

struct guest_config {
	uint64_t ram_size;  /* region 0 at GUEST_RAM0_GPA, multiple of 4 KiB; 0 = GUEST_DEFAULT_RAM */
	uint64_t ram2_size; /* region 1 at GUEST_RAM1_GPA; 0 = no second region */
	bool no_add_ram;    /* do not call vtee_vm_add_ram() (hostile tests register RAM themselves) */
	bool uniprocessor;  /* EXCHANGE_CAPABILITIES with a1 = OPTEE_SMC_NSEC_CAP_UNIPROCESSOR */
	/* Do not limit calls in flight to GET_THREAD_COUNT: rely on ETHREAD_LIMIT (like pre-6.8 Linux). */
	bool ignore_thread_count;
	bool quiet;         /* do not print errors on stderr (guest_error() still has them) */
	/*
	 * Give up on a call after this many RPCs (0 = never, like Linux). The call
	 * is abandoned in the TEE (as by a vCPU that stops) and the loop returns
	 * the last RPC code as its a0; its arg page or slot stays allocated.
	 */
	uint64_t max_rpcs_per_call;
	/* Transport override; default is vtee_vm_smc(vm, regs). */
	void (*smc_fn)(void *ctx, uint64_t regs[8]);
	void *smc_ctx;
	/* Called on every RPC (regs as received: a0 = 0xFFFF000x) before the guest services it. */
	void (*rpc_hook)(void *ctx, struct guest *g, const uint64_t regs[8]);
	void *rpc_hook_ctx;
};

/* Create the guest's RAM and (unless cfg->no_add_ram) register it with vm. cfg may be NULL. */
int guest_create(struct vtee_vm *vm, const struct guest_config *cfg, struct guest **out);
/* Same, creating the VM too; guest_destroy() then destroys the VM. */
int guest_create_vm(struct vtee_tee *tee, const struct vtee_vm_config *vcfg,
		    const struct guest_config *cfg, struct guest **out);
/*
 * Driver remove: unregister the driver's own arg pages and drain the shm
 * cache (DISABLE_SHM_CACHE loop). Does not touch client sessions or shm.
 */
void guest_shutdown(struct guest *g);
/*
 * Free the model. If the guest owns its VM, vtee_vm_destroy() is called first
 * (so the library drops whatever the guest left open); the RAM is unmapped last.
 * Without an owned VM, destroy the VM yourself before calling this.
 */
void guest_destroy(struct guest *g);

struct vtee_vm *guest_vm(const struct guest *g);
/* Take back ownership of a VM made by guest_create_vm(): guest_destroy() will not destroy it. */
struct vtee_vm *guest_release_vm(struct guest *g);
/* The last error message into msg (msglen bytes, NUL-terminated), "" if none. */
void guest_error(struct guest *g, char *msg, size_t msglen);

/* ---- raw SMC ---------------------------------------------------------- */

/* One SMC exactly as given (regs[0..7] = x0..x7 in, results out). Counted in stats. */
void guest_smc(struct guest *g, uint64_t regs[8]);

/* ---- guest RAM and page allocator ------------------------------------- */

/*
 * The memfd holding the guest's RAM, for handing it to another process (a
 * vteed): region 0 starts at offset 0, region 1 (if any) right after it.
 * Owned by the model.
 */
int guest_ram_fd(const struct guest *g);
/* Host pointer for [gpa, gpa + len) if it lies inside one RAM region, else NULL. */
void *guest_gpa_ptr(struct guest *g, uint64_t gpa, size_t len);
/* Guest-physical address of a host pointer inside guest RAM, or UINT64_MAX. */
uint64_t guest_ptr_gpa(struct guest *g, const void *p);
/* Allocate n physically contiguous zeroed pages (within one region); *gpa = first page. */
int guest_pages_alloc(struct guest *g, size_t n, uint64_t *gpa);
/*
 * Allocate n zeroed pages that are deliberately not contiguous: no two pages
 * adjacent in the list are adjacent in memory, and the list is not sorted.
 * span_regions alternates between the two RAM regions (needs ram2_size).
 */
int guest_pages_alloc_scattered(struct guest *g, size_t n, uint64_t *gpas, bool span_regions);
void guest_pages_free(struct guest *g, uint64_t gpa, size_t n);   /* contiguous run */
void guest_pages_free_list(struct guest *g, const uint64_t *gpas, size_t n);
size_t guest_pages_free_count(struct guest *g);

/* ---- buffers (a kernel virtual mapping of guest pages) ---------------- */

enum guest_buf_layout {
	GUEST_BUF_CONTIG,          /* physically contiguous pages */
	GUEST_BUF_SCATTER,         /* see guest_pages_alloc_scattered() */
	GUEST_BUF_SCATTER_REGIONS, /* scattered and alternating between the two RAM regions */
};

struct guest_buf {
	size_t size;      /* bytes */
	uint32_t offset;  /* where the data starts inside page 0 (0..4095) */
	size_t npages;    /* pages covering offset + size */
	uint64_t *gpa;    /* npages page addresses */
	bool contig;      /* pages physically contiguous */
};

/*
 * A zeroed buffer of size bytes starting offset bytes into its first page, in
 * *out: 0, -EINVAL (offset not inside a page) or -ENOMEM (out of guest pages:
 * guest_error() says so). *out is left alone on failure.
 */
int guest_buf_alloc(struct guest *g, size_t size, uint32_t offset, enum guest_buf_layout layout,
		    struct guest_buf **out);
void guest_buf_free(struct guest *g, struct guest_buf *b);
/* PA of byte off of the buffer. */
uint64_t guest_buf_gpa(const struct guest_buf *b, size_t off);
/* Copy in/out of the buffer; -EFAULT when [off, off + len) is outside it. */
int guest_buf_write(struct guest *g, const struct guest_buf *b, size_t off, const void *src, size_t len);
int guest_buf_read(struct guest *g, const struct guest_buf *b, size_t off, void *dst, size_t len);
int guest_buf_fill(struct guest *g, const struct guest_buf *b, size_t off, uint8_t byte, size_t len);

/*
 * Build an OPTEE_MSG non-contiguous page list (Linux layout: ceil(n/511)
 * contiguous list pages, entry 511 = PA of the next list page) describing
 * [off, off + len) of b. *buf_ptr = list PA | offset in the first data page;
 * free with guest_pages_free(g, *list_gpa, *list_pages).
 */
int guest_pagelist_build(struct guest *g, const struct guest_buf *b, size_t off, size_t len,
			 uint64_t *buf_ptr, uint64_t *list_gpa, size_t *list_pages);

/* ---- registered shared memory ----------------------------------------- */

struct guest_shm {
	uint64_t cookie;        /* shm_ref the TEE knows it by */
	struct guest_buf *buf;  /* backing buffer */
	size_t offs, size;      /* registered range inside buf */
	bool owns_buf;          /* guest_shm_unregister() frees buf */
};

/* REGISTER_SHM [offs, offs + size) of buf (non-contiguous page list). Returns a TEE result. */
uint32_t guest_shm_register(struct guest *g, struct guest_buf *buf, size_t offs, size_t size,
			    struct guest_shm **out);
/* Allocate a buffer of the given layout and register all of it (owned). */
uint32_t guest_shm_alloc(struct guest *g, size_t size, enum guest_buf_layout layout,
			 struct guest_shm **out);
/* UNREGISTER_SHM; frees *shm (and its buffer if owned) whatever the TEE answered. */
uint32_t guest_shm_unregister(struct guest *g, struct guest_shm *shm);
/* Free *shm (and its buffer if owned) without telling the TEE (the VM is gone, or a hostile test). */
void guest_shm_forget(struct guest *g, struct guest_shm *shm);

/* ---- client operations ------------------------------------------------ */

enum guest_mem {
	GUEST_MEM_TMEM = 1,       /* temporary memref by PA; the range must be contiguous */
	GUEST_MEM_TMEM_NONCONTIG, /* temporary memref by page list */
	GUEST_MEM_RMEM,           /* registered memref (offs inside the registered range, cookie) */
	GUEST_MEM_NULL,           /* NULL memref: TMEM with buf_ptr = size = shm_ref = 0 */
};

struct guest_param {
	uint32_t type; /* VTEE_PARAM_* */
	uint32_t mem;  /* memrefs: enum guest_mem */
	union {
		struct { uint64_t a, b, c; } value;
		struct {
			struct guest_buf *buf; /* TMEM, TMEM_NONCONTIG */
			struct guest_shm *shm; /* RMEM */
			uint64_t offs;         /* TMEM: into buf; RMEM: into the registered range */
			uint64_t size;         /* in: size; out: size the TEE reported */
		} memref;
	} u;
};

static inline struct guest_param guest_param_value(uint32_t type, uint64_t a, uint64_t b, uint64_t c)
{
	struct guest_param p = { .type = type };
	p.u.value.a = a; p.u.value.b = b; p.u.value.c = c;
	return p;
}
static inline struct guest_param guest_param_tmem(uint32_t type, struct guest_buf *buf, uint64_t offs,
						   uint64_t size, bool noncontig)
{
	struct guest_param p = { .type = type, .mem = noncontig ? GUEST_MEM_TMEM_NONCONTIG : GUEST_MEM_TMEM };
	p.u.memref.buf = buf; p.u.memref.offs = offs; p.u.memref.size = size;
	return p;
}
static inline struct guest_param guest_param_rmem(uint32_t type, struct guest_shm *shm, uint64_t offs,
						   uint64_t size)
{
	struct guest_param p = { .type = type, .mem = GUEST_MEM_RMEM };
	p.u.memref.shm = shm; p.u.memref.offs = offs; p.u.memref.size = size;
	return p;
}
static inline struct guest_param guest_param_null(uint32_t type)
{
	struct guest_param p = { .type = type, .mem = GUEST_MEM_NULL };
	return p;
}

/*
 * OPEN_SESSION: 2 meta params (ta, client uuid + login) then params[0..n).
 * client_uuid NULL = nil. Outputs are written back into params. session and
 * origin may be NULL.
 */
uint32_t guest_open_session(struct guest *g, const uint8_t ta_uuid[16], uint32_t login,
			    const uint8_t client_uuid[16], struct guest_param *params, unsigned n,
			    uint32_t cancel_id, uint32_t *session, uint32_t *origin);
uint32_t guest_invoke(struct guest *g, uint32_t session, uint32_t func, struct guest_param *params,
		      unsigned n, uint32_t cancel_id, uint32_t *origin);
uint32_t guest_close_session(struct guest *g, uint32_t session);
uint32_t guest_cancel(struct guest *g, uint32_t session, uint32_t cancel_id);

/*
 * Device enumeration, drivers/tee/optee/device.c: open the device PTA,
 * GET_DEVICES-style command pta_cmd with a NULL memref, expect SHORT_BUFFER
 * (or SUCCESS) + size, register a buffer, call again into RMEM, unregister,
 * close. A refused OPEN_SESSION means "no devices" (0, *count = 0).
 * *uuids is malloc'ed (free() it), NULL when *count == 0.
 */
#define GUEST_PTA_DEVICE_UUID \
	{ 0x70, 0x11, 0xa6, 0x88, 0xdd, 0xde, 0x40, 0x53, \
	  0xa5, 0xa9, 0x7b, 0x3c, 0x4d, 0xdf, 0x13, 0xb8 }
#define GUEST_PTA_CMD_GET_DEVICES 0u
int guest_enumerate_devices(struct guest *g, uint32_t pta_cmd, struct vtee_uuid **uuids, size_t *count);

/* ---- probe ------------------------------------------------------------ */

enum guest_call_mode {
	GUEST_MODE_NONE = 0,      /* not probed */
	GUEST_MODE_CALL_WITH_ARG, /* private page per call, PA in a1:a2 */
	GUEST_MODE_REGD_ARG,      /* slots in registered pages: CALL_WITH_REGD_ARG, RPC arg appended */
};

struct guest_probe_info {
	uint32_t os_major, os_minor, os_build;
	uint32_t api_major, api_minor;
	uint32_t thread_count;        /* 0 = unknown */
	uint32_t sec_caps;
	uint32_t max_notif_value;
	uint32_t rpc_param_count;
	uint32_t shm_cache_disable_ok; /* DISABLE_SHM_CACHE answers that returned a cookie */
	bool shm_cache_enabled;       /* ENABLE_SHM_CACHE was issued and answered OK */
	enum guest_call_mode mode;
	uint32_t slot_size;           /* REGD mode: bytes per arg slot */
};

/*
 * The Linux probe sequence (optee-abi.md 6.1), with Linux's checks. Returns 0,
 * or -EINVAL (uid/revision/capabilities mismatch), -ETIMEDOUT (shm-cache loop
 * would hang in Linux), -EIO (a call failed). Does not enumerate devices.
 */
int guest_probe(struct guest *g);
const struct guest_probe_info *guest_probe_info(const struct guest *g);

/* ---- lower level calls (for hostile tests) ---------------------------- */

/*
 * Issue one yielding call carrying the message arg (header + arg->num_params
 * params) the way the probed driver would (slot + CALL_WITH_REGD_ARG, or a
 * private page + CALL_WITH_ARG / CALL_WITH_RPC_ARG when the message is too
 * big for a slot; CALL_WITH_ARG before guest_probe()). The call loop runs to
 * completion; the message as the TEE left it is copied back into *arg.
 * Returns the final a0.
 */
uint32_t guest_call_msg(struct guest *g, struct optee_msg_arg *arg);
/*
 * Run the call loop from an initial yielding SMC in regs (a4..a7 used as
 * given): ETHREAD_LIMIT waits, RPCs are serviced (rpc_arg = the appended RPC
 * arg for RPC_CMD in RPC_ARG modes, NULL otherwise). Returns the final a0;
 * regs holds the last answer.
 */
uint32_t guest_call_loop(struct guest *g, uint64_t regs[8], struct optee_msg_arg *rpc_arg);

/* A fresh unique 64-bit cookie (Linux uses struct tee_shm pointers). */
uint64_t guest_new_cookie(struct guest *g);

/* ---- statistics ------------------------------------------------------- */

struct guest_stats {
	uint64_t smc;                 /* SMCs issued */
	uint64_t calls;               /* yielding calls started (call loops) */
	uint64_t foreign_intr;        /* FOREIGN_INTR RPCs serviced */
	uint64_t ethread_limit;       /* ETHREAD_LIMIT answers */
	uint64_t ethread_limit_alone; /* ... while no other call of this guest was in flight (TEE bug) */
	uint64_t rpc_alloc, rpc_free, rpc_cmd;
	uint64_t rpc_unknown;         /* RPCs or RPC commands the model could not serve */
	uint64_t comm_errors;         /* calls that ended in a transport error */
	uint32_t max_inflight;        /* most yielding calls in flight at once */
	uint32_t inflight;            /* now */
};
void guest_get_stats(struct guest *g, struct guest_stats *st);

#ifdef __cplusplus
}
#endif
#endif
