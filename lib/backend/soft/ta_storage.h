/* SPDX-License-Identifier: MIT */
/*
 * Persistent objects of the TAs in processes, per VM (ta_storage.c,
 * ta_storage_msg.c): the VM's store (lib/store/vstore.h), the objects its
 * instances have open, their handles, and the GP sharing rules between them.
 * Private to lib/backend/soft/.
 *
 * Locking: v->lock guards everything of a struct ta_st_vm but the queue of
 * instances gone, and is held across a commit (disk writes, fsyncs, the
 * state's flock, which an export may hold for long): it is never waited for
 * under another lock, only tried (a death notice holds the process-wide
 * st->lock, a failing instance its VM's pv->lock), and only v->gone_lock (a
 * leaf, never held across anything slow) is taken under it. Channel I/O happens outside both.
 */
#ifndef VTEE_SOFT_TA_STORAGE_H
#define VTEE_SOFT_TA_STORAGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vstore.h"

#include "ta_proc.h"

/* GP TEE_DATA_FLAG_* (tee_api_defines.h) */
#define ST_ACCESS_READ       0x00000001u
#define ST_ACCESS_WRITE      0x00000002u
#define ST_ACCESS_WRITE_META 0x00000004u
#define ST_SHARE_READ        0x00000010u
#define ST_SHARE_WRITE       0x00000020u
#define ST_OVERWRITE         0x00000400u

#define TEE_ERROR_ACCESS_CONFLICT     0xFFFF0003u
#define TEE_ERROR_CORRUPT_OBJECT      0xF0100001u
#define TEE_ERROR_STORAGE_NOT_AVAILABLE 0xF0100003u
#define TEE_ERROR_STORAGE_NO_SPACE    0xFFFF3041u

/* Handles one VM's instances may hold open at once, and one instance of them (so one TA cannot starve the rest). */
#define TA_ST_MAX_HANDLES 16384u
#define TA_ST_MAX_INST_HANDLES 4096u
/* Bytes all instances of one VM may have staged (ST_STAGE) at once. */
#define TA_ST_VM_STAGE_MAX (128ull << 20)

struct ta_st_vm;

/*
 * Once per process, while it may still open files (soft_open, before vtee-tee's sandbox): what
 * the store's first use would otherwise do under the seccomp filter (libcrypto's configuration).
 */
void ta_st_process_init(void);

int ta_st_vm_new(struct ta_st_vm **out);
/* After every instance of the VM is gone: closes the store. */
void ta_st_vm_free(struct ta_st_vm *v);

/* One ST_* request of the instance (header read, payload pending): 0, or -EPIPE/-EPROTO (dead). */
int ta_st_request(struct pwait *w, const struct tap_hdr *h);

/*
 * The instance has ended, is ending or is freed: its handles and staged bytes go now, or at the
 * VM's next storage call when a commit holds the table. Any thread, any time, under any lock: it
 * never waits for the disk.
 */
void ta_st_inst_gone(struct ta_inst *in);

/* The TA persistent time of the instance's TA: in the store when the VM has one, else in memory. */
int ta_st_ptime_load(struct ta_inst *in, int64_t *offset_ms); /* 0, -ENOENT never set, -errno */
int ta_st_ptime_store(struct ta_inst *in, int64_t offset_ms);

/* ---- between ta_storage.c (the table), ta_storage_vm.c (the VM) and ta_storage_msg.c (the wire) ---- */

struct st_obj {
	struct st_obj *next;
	struct vstore_key key;
	uint32_t flags;         /* the first handle's: later opens are checked against them */
	unsigned handles;
	uint8_t *meta, *data;
	size_t meta_len, data_len;
};

struct st_handle {
	struct st_handle *next;
	uint32_t id;
	uint32_t flags;
	uint64_t owner;         /* the instance's id (never reused) */
	struct st_obj *obj;
};

struct st_stage {
	struct st_stage *next;
	uint64_t owner;
	uint8_t *buf;
	size_t len, cap;
};

struct ta_st_vm {
	pthread_mutex_t lock;
	struct vstore *vs;      /* NULL: no storage for this VM */
	char name[TAP_VM_NAME_MAX];
	struct st_obj *objs;
	struct st_handle *handles;
	struct st_stage *stages;
	uint32_t next_handle;   /* the last one given (wraps, skipping 0 and ids in the table) */
	unsigned nhandles;
	uint64_t staged;        /* bytes in stages */
	bool corrupt_logged;    /* the whole state's corruption was logged */
	uint64_t corrupt_unlogged; /* CORRUPT_OBJECT answers of the corrupt state not logged */
	pthread_mutex_t gone_lock; /* a leaf: guards the three below only */
	uint64_t *gone;         /* instances gone whose handles are still in the table */
	size_t ngone, gone_cap;
};

/* v->lock taken, and the handles of the instances gone since the last time released. */
void ta_st_vm_lock(struct ta_st_vm *v);
/* v->lock held: */
void ta_st_owner_release(struct ta_st_vm *v, uint64_t owner);  /* its handles and stage go */
void ta_st_stage_drop_owner(struct ta_st_vm *v, uint64_t owner);
void ta_st_table_clear(struct ta_st_vm *v);                    /* every handle and object */
/* The store's whole state failed its checks (logged once per VM, counted after). */
bool ta_st_state_corrupt(struct ta_st_vm *v);
uint32_t ta_st_result(int err);                                /* vstore's -errno as a TEE result */
struct vstore_key ta_st_key(const struct ta_inst *in, uint8_t ns, const void *id, size_t id_len);

/* A request, read and bounds-checked; the buffers are owned by it. */
struct st_req {
	uint32_t type;
	struct tap_st q;
	uint8_t id[TAP_ST_ID_MAX];
	uint8_t *meta;
	uint8_t *data;         /* CREATE, WRITE: the staged bytes, then the inline ones; data_len in all */
	uint64_t data_len;
};

/* What to answer: the fixed part and up to two buffers (owned: freed after sending). */
struct st_ans {
	struct tap_answer a;
	void *out[2];
	size_t out_len[2];
};

/* Run a request for the instance under the VM's lock: 0 with *ans filled, or -EPROTO. */
int ta_st_run(struct ta_inst *in, struct st_req *r, struct st_ans *ans);
/* The instance's staged bytes taken (*len of them, *buf malloc'd or NULL); the stage is empty after. */
void ta_st_stage_take(struct ta_inst *in, uint8_t **buf, uint64_t *len);
/* Append to the instance's stage: 0, -ENOMEM (the stage is dropped), -EPROTO (over TAP_ST_STAGE_MAX). */
int ta_st_stage_add(struct ta_inst *in, const uint8_t *data, uint64_t len);

#endif
