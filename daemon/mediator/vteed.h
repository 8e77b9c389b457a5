/* SPDX-License-Identifier: MIT */
/*
 * vteed's insides: one mediator process per VM. It receives the VM's RAM fds
 * and an SMC mailbox from its VMM (docs/vteed-protocol.md), maps only those,
 * and serves the VM's TEE calls with libvtee, one server thread per vCPU slot.
 *
 *   main.c      arguments, the start-up order (sandbox last), the handshake
 *   hello.c     receiving and checking HELLO, the replies
 *   tee_desc.c  the TEE HELLO describes: back-end, options, fds; the policy's say
 *   vm.c        mapping what HELLO brings, the TEE and the VM; teardown
 *   recovery.c  the journal a supervised vteed takes its VM over from
 *   serve.c     the mailbox: one server thread per vCPU slot
 *   control.c   the control socket's loop (GOODBYE, signals, status)
 *   status.c    the status socket (`vtee status`)
 */
#ifndef VTEED_MEDIATOR_H
#define VTEED_MEDIATOR_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon_log.h"
#include "policy.h"
#include "vtee/vtee.h"
#include "vtee/vteed_proto.h"

struct mediator_ram {
	int fd;
	void *hva;
	struct vteed_region r;
};

struct slot_server {
	struct vteed_slot *slot;
	uint32_t seen; /* last req_seq served; read before WELCOME, so no request can be missed */
	pthread_t thread;
	bool started;
};

/* The TEE as HELLO describes it (any version): opened as backend with desc's options and fds. */
struct mediator_tee {
	char backend[VTEED_BACKEND_MAX];
	struct vteed_tee_desc desc;
};

/* The one VM this vteed serves; set up by the handshake, then read-only but for stop. */
struct mediator {
	struct vteed_policy policy;  /* read-only once the sandbox is on */
	bool echo;                   /* --echo: answer SMCs with their own registers */
	uint64_t start_ns;
	uint16_t proto_version;      /* HELLO's, once accepted; replies before that carry the newest */
	struct vteed_hello hello;
	struct mediator_ram ram[VTEED_MAX_REGIONS];
	unsigned nram;
	struct vteed_mailbox *mb;
	struct vtee_tee *tee;
	struct vtee_vm *vm;
	char backend[VTEED_BACKEND_MAX];
	struct vtee_quota quota;     /* as asked for (0 = libvtee's default) */
	void *jn;
	size_t jn_size;
	struct slot_server srv[VTEED_MAX_SLOTS];
	_Atomic bool stop;
};

extern struct mediator med;

uint64_t mediator_now_ns(void);

/* hello.c */
/* Receive HELLO and its fds (at most VTEED_MAX_FDS, their count in *nfds). 0, or -errno with why. */
int hello_receive(int sock, struct vteed_hello *h, int *fds, unsigned *nfds, char *why, size_t whylen);
/*
 * Check HELLO and its fds against the protocol and the policy; *tee = what
 * serves the VM. Names the log after the VM once its name is valid. 0, or
 * -errno with why.
 */
int hello_check(const struct vteed_hello *h, const int *fds, unsigned nfds, struct mediator_tee *tee, char *why,
		size_t whylen);
/* WELCOME or ERROR (err: a negative errno) with a message. */
void reply_send(int sock, uint16_t type, int err, uint32_t nslots, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A header-only message: BYE, STOP. */
void reply_hdr(int sock, uint16_t type);

/* tee_desc.c */
/* The TEE a HELLO (its header checked) describes, as the policy allows it. 0, or -errno with why. */
int tee_desc_from_hello(const struct vteed_hello *h, struct mediator_tee *t, char *why, size_t whylen);
/*
 * The options to open t->backend with: the descriptor's, then each TEE fd
 * (fds[i], vteed's number) as its key, then the policy's when it names this
 * back-end. 0, or -E2BIG when they do not fit in out.
 */
int tee_desc_options(const struct mediator_tee *t, const int *fds, char *out, size_t outlen);

/* vm.c */
/* Map what a checked HELLO brings, open the TEE, create the VM, start serving. 0, or -errno with why. */
int mediator_setup(const struct vteed_hello *h, int *fds, unsigned nfds, char *why, size_t whylen);
void mediator_teardown(void);

/* recovery.c */
/* The journal memfd: sized on first use (the VMM does not know the layout), then mapped into vc. */
int journal_map(int fd, struct vtee_vm_config *vc, char *why, size_t whylen);
/* Take over the sessions and buffers the journal records (a restarted vteed). */
int journal_restore(char *why, size_t whylen);

/* serve.c */
int servers_start(char *why, size_t whylen);
void servers_stop(void);

/* control.c: serve the control socket until GOODBYE, EOF or a signal */
struct control_end {
	int rc;       /* vteed's exit status */
	bool goodbye; /* the VMM said GOODBYE: answer BYE after teardown */
	bool signal;  /* SIGTERM/SIGINT: tell the VMM STOP */
};
void control_loop(int sock, int sfd, int status_fd, struct control_end *end);

/* status.c */
/* Listen on this process's status socket: the listening fd (non-blocking) or -errno. */
int status_listen(void);
/* The uid besides root that may ask (vteed's own once it dropped root). */
void status_set_uid(uid_t uid);
/* Accept one client, read its STATUS (at most 100 ms), answer. Never blocks longer. */
void status_serve(int lfd);

#endif
