/* SPDX-License-Identifier: MIT */
/*
 * The "link" back-end's own structures, shared by its files:
 *   link.c        set-up: options, transport, handshake, open, close; a broken link
 *   link_xport.c  the transports under it: a stream socket, or a channel (lib/util/chan.h)
 *   link_ctl.c    control exchanges: VMs, STATS, recovery (IMPORT, RESTORED)
 *   link_req.c    requests out: checks, REQ with its data, CANCEL
 *   link_rx.c     the receiver thread: RESP, RPC (with its helper threads), control answers, ERROR
 *
 * Threads: submit() and the control operations (vm_created, session_import,
 * ...) write on the caller's thread under send_lock (header, structure and
 * the first chunk of data in one write). What the TEE sends is read,
 * through a buffer (one read for a small message, often for several), by
 * whoever holds the reader role (`reader`): on a socket always the receiver
 * thread; on a channel, which can be polled without a system call, the
 * caller of submit() takes the role when nobody has it and reads the
 * channel itself until its answer is in, for as long as the channel would
 * poll (link_pump), so a quick call costs one hop each way and no thread
 * hand-off; then, if anything is still outstanding, the role goes to the
 * receiver thread, which keeps it while anything is. Readers never write,
 * so neither side can block the other's reader. An RPC from the TEE is
 * handed to a helper thread, which blocks in vtee_req_rpc() until the guest
 * answered and then sends RPC_ANSWER.
 *
 * In-flight requests live in `pend` (tag -> struct pend) from submit() to
 * completion; whoever takes one out of the table under `lock` completes it,
 * so each is completed exactly once. A pend being written (sending) or
 * waiting for the guest (in_rpc) is completed by that thread, never by the
 * receiver. When the link breaks (EOF, I/O or protocol error) every other
 * pend completes at once with TEE_ERROR_COMMUNICATION / TEE_ORIGIN_COMMS and
 * later requests fail the same way without touching the transport.
 */
#ifndef VTEE_LINK_PRIV_H
#define VTEE_LINK_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "idmap.h"
#include "link.h"
#include "link_proto.h"
#include "spin.h"

#define LINK_HELLO_TIMEOUT_MS 10000
#define LINK_CTL_TIMEOUT_MS   30000        /* a control answer, and a blocked send */
#define LINK_CHUNK            (256u << 10) /* memref data goes through a buffer this big */
#define LINK_HELPER_STACK     (256u << 10)

/* ---- transports (link_xport.c) ---- */

struct link_xport;

struct link_xport_ops {
	const char *name;
	/* every byte of iov[0..n) (modified); 0 or -errno; one writer at a time */
	int (*writev_all)(struct link_xport *x, struct iovec *iov, int n);
	/* 1: something to read (or the end), 0: timeout, -errno */
	int (*wait_readable)(struct link_xport *x, int timeout_ms);
	/* the receiver's reads end, the peer sees the end; idempotent, any thread */
	void (*shutdown)(struct link_xport *x);
	/* release everything, fds included */
	void (*close)(struct link_xport *x);
	/* a read would not block now, found without a system call; NULL: the receiver always reads */
	bool (*ready)(struct link_xport *x);
};

struct link_xport {
	const struct link_xport_ops *ops;
	int fd;                 /* the stream socket; with a channel, the set-up socket */
	int memfd;              /* the channel's memfd, or -1 */
	struct vtee_chan *chan; /* the channel, or NULL */
	uint64_t pump_ns;       /* ready(): how long a caller may poll for its answer */
};

/* Take over fd (a connected stream socket), and memfd (a channel) if >= 0. 0 or -errno; the fds stay the caller's on failure. */
int link_xport_open(int fd, int memfd, struct link_xport *x);
/* Point a reader at the transport. */
void link_xport_reader(const struct link_xport *x, struct tl_rbuf *rb);

/* ---- the connection ---- */

struct link_sess {
	uint64_t handle;               /* the TEE's name for it, never 0 */
	struct link_sess *prev, *next; /* in link_vm.sessions, under link_tee.lock */
};

enum pend_kind { PEND_REQ, PEND_CTL };

struct pend {
	enum pend_kind kind;
	uint64_t tag;
	/* PEND_REQ */
	struct vtee_req *req;
	struct link_sess *open_sess;   /* OPEN: allocated before the request goes out */
	bool sending;                  /* submit() is still writing it */
	bool in_rpc;                   /* a helper waits for the guest's answer */
	struct vtee_rpc rpc;
	/* PEND_CTL */
	uint16_t want;                 /* answer type */
	uint32_t want_len;
	bool answered;
	uint8_t answer[64];            /* the largest control answer (STORAGE_STATS_ANSWER: 56) */
};

struct link_vm;

/* Who reads the transport now (link_tee.lock). */
enum link_reader { READER_NONE, READER_RX, READER_CALLER };

struct link_tee {
	struct link_xport x;
	bool resume;
	uint16_t version;
	pthread_t rx;
	pthread_mutex_t send_lock;
	pthread_mutex_t lock;          /* everything below */
	pthread_cond_t cond;           /* control answers, broken, helpers, a pend sent */
	pthread_cond_t rx_cond;        /* the receiver: the role is its, or the link broke */
	unsigned settle_waiters;       /* readers waiting for a pend to be sent (pend_settled) */
	bool broken;
	enum link_reader reader;       /* RX for good when the transport has no ready() */
	struct vtee_spin pump;         /* how long a caller polls for its answer (its reader's) */
	struct idmap pend;             /* tag -> struct pend; its count: what is outstanding */
	uint64_t next_tag;
	struct link_vm *vm;            /* one VM per connection */
	unsigned helpers;              /* RPC helper threads running */
	char label[TL_NAME_MAX];
	struct tl_rbuf rb;             /* what the TEE sent; the receiver's */
};

struct link_vm {
	struct link_tee *t;
	uint32_t vm_id;
	struct link_sess sessions;     /* list head */
};

/* link.c */
void link_log(struct link_tee *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The link is gone: complete every request nobody else owns, wake waiters. Idempotent; t->lock NOT held. */
void link_break(struct link_tee *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool link_is_broken(struct link_tee *t);
/* One message (header + up to two pieces); false if the link is (now) down. */
bool link_send(struct link_tee *t, uint16_t type, uint64_t tag, const void *a, size_t alen, const void *b,
	       size_t blen);
void link_fail_req(struct vtee_req *req, uint32_t ret, uint32_t origin);
void link_pend_free(struct pend *p);
/* pthread_create() with every signal blocked in the new thread: the VMM's signals are not ours. */
int link_thread_start(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

/* link_ctl.c */
int link_vm_created(void *tee, uint32_t vm_id, const char *name, void **out);
void link_vm_destroyed(void *vm);
uint64_t link_session_export(void *vm, void *session);
void *link_session_import(void *vm, uint64_t handle);
void link_vm_restored(void *vm);
long link_vm_session_count(void *vm);
int link_vm_storage_stats(void *vm, struct vtee_storage_stats *out);
/* t->lock held */
void link_sess_add(struct link_vm *vm, struct link_sess *s);
void link_sess_remove(struct link_sess *s);

/* link_req.c */
void link_submit(void *vm, struct vtee_req *req);
void link_cancel(void *vm, struct vtee_req *req);
void link_param_to_wire(struct tl_param *w, const struct vtee_param *p, bool memref_null);

/* link_rx.c */
void *link_rx_main(void *arg);
/* Give the role to the receiver if nobody reads (t->lock held): an answer is expected. */
void link_reader_wake(struct link_tee *t);
/* submit(), after the REQ went out, with the role taken: read until tag is answered, or hand over. */
void link_pump(struct link_tee *t, uint64_t tag);

#endif
