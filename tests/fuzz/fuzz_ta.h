/* SPDX-License-Identifier: MIT */
/*
 * The TA-message fuzz target (fuzz_ta_msg.c) in three files:
 *
 *   fuzz_ta_script.c  the input's scripts: what each TA instance sends on
 *                     its channel, as frames (a header and its payload), and
 *                     what ta_proto.h makes of each frame (ft_kind)
 *   fuzz_ta_host.c    a stand-in for vtee-ta-host: a fork server in this
 *                     process that the soft back-end reaches over its real
 *                     control socket; each instance it "starts" is a real
 *                     channel and shared memfd whose TA side sends a script
 *                     and reads (and checks) what the back-end sends
 *   fuzz_ta_msg.c     the target: a guest's OPEN, INVOKEs and CLOSE through
 *                     the soft back-end's ops, and the checks of its answers
 */
#ifndef VTEE_FUZZ_TA_H
#define VTEE_FUZZ_TA_H

#include <stdbool.h>
#include <stdint.h>

#include "ta_proto.h"
#include "vtee/backend.h"

#define FT_MAX_INST   24           /* scripts (instances that can start) per input */
#define FT_MAX_FRAMES 192          /* frames per script */
#define FT_SCRIPT_MAX (60u << 10)  /* bytes per script: all of it fits in the channel's ring at once */
#define FT_BULK       (64u << 10)  /* the back-end's ta_memref_max= */
/* The TA the guest opens (a TA in a process: none of the built-in ones). */
#define FT_GUEST_TA_UUID \
	{ 0xf0, 0x22, 0xa7, 0x11, 0x6e, 0x1d, 0x4c, 0x2b, 0x9a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 }

/* ---- scripts (fuzz_ta_script.c) ---- */

/* What a READY frame's uuid field gets when the instance starts. */
enum ft_ready_uuid { FT_UUID_AS_IS, FT_UUID_OWN, FT_UUID_OTHER };

struct ft_frame {
	uint32_t type, len;       /* the header as sent */
	uint32_t off;             /* where the payload starts in the script's bytes */
	bool cut;                 /* fewer than len payload bytes follow: the script's last frame */
	uint8_t ready_uuid;       /* enum ft_ready_uuid */
};

#define FT_MAX_PAUSES 8
#define FT_SLOW_PAUSE_MS 20

struct ft_script {
	uint8_t bytes[FT_SCRIPT_MAX];
	uint32_t n;
	struct ft_frame f[FT_MAX_FRAMES];
	unsigned nf;
	uint32_t pause[FT_MAX_PAUSES]; /* byte offsets: what follows waits until the guest is out of submit() */
	bool pause_slow[FT_MAX_PAUSES]; /* ... or, instead, FT_SLOW_PAUSE_MS */
	unsigned npause;
	bool closed;              /* a cut frame or a full script: nothing more is added */
};

/* The guest's side of an input: how many INVOKEs, its parameters, how it answers REE_TIME. */
struct ft_guest {
	unsigned ninvokes;
	bool rpc_fails;
	uint8_t open_params[4];
	uint8_t invoke_params[3][4];
};

/* Sizes a selector picks; the first 16 are the guest's memref sizes (at most a page). */
extern const uint64_t ft_sizes[32];

/* Parse an input: the guest's part into *g, the instances' scripts into s[]; how many scripts. */
unsigned ft_parse(const uint8_t *data, size_t size, struct ft_guest *g, struct ft_script *s);

/* What the back-end must make of frame i of s (ta_proto.h), at an instance's start or in a call. */
enum ft_kind {
	FK_FATAL,  /* breaks the protocol (or is cut short): the instance ends, TARGET_DEAD */
	FK_LOG,    /* a log line */
	FK_READY,  /* a READY of the right size (at start only) */
	FK_DONE,   /* a DONE of the right size */
	FK_PANIC,  /* a PANIC of the right size: the instance ends, TARGET_DEAD */
	FK_ASK,    /* REE_TIME, PTIME_LOAD, PTIME_STORE of the right size: one ANSWER */
	FK_TA,     /* TA_OPEN, TA_INVOKE, TA_CLOSE within the rules: one ANSWER */
};
enum ft_kind ft_kind(const struct ft_script *s, unsigned i, bool at_start);
/* A TA-to-TA request frame's parameters (TA_CLOSE: none), as the back-end must read them. */
void ft_tareq(const struct ft_script *s, unsigned i, struct tap_tareq *q);
/* The output bytes an ANSWER to TA-to-TA request frame i carries, given the sizes it reports. */
uint64_t ft_answer_data(const struct ft_script *s, unsigned i, const struct tap_answer *ans);

/* ---- the stand-in fork server (fuzz_ta_host.c) ---- */

/* Open the soft back-end with TAs in processes served by the stand-in; abort()s when it cannot. */
void *fh_open(void);
/* An input begins: instances of VM vm_id start with scripts s[0..n) in the order they are asked for. */
void fh_begin(uint32_t vm_id, struct ft_script *s, unsigned n);
/* The guest enters (true) or leaves submit(): held-back bytes wait for it to leave; 2 s inside fail. */
void fh_in_submit(bool inside);
/* Return after the stand-in has read everything the back-end sent so far (and checked it). */
void fh_sync(void);
/* The last OPEN/INVOKE instance k (in start order) received, and its bulk area; false: none. */
bool fh_last_call(unsigned k, struct tap_call *call, const uint8_t **bulk);
/* The input ends (its VM destroyed): every instance must be over; the stand-in forgets them. */
void fh_end(void);

_Noreturn void ft_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
