// SPDX-License-Identifier: MIT
/*
 * The input of fuzz_ta_msg, turned into what a guest does and what each TA
 * instance sends on its channel (fuzz_ta.h), and the protocol's rules for
 * each frame (ft_kind), written from ta_proto.h: the oracle the target
 * checks the back-end against.
 *
 * Input format (little-endian; reads past the end give 0):
 *   u8 invokes (% 4), u8 guest flags (bit 0: the guest's REE_TIME answers
 *   fail), u8 x 4 OPEN parameters, then u8 x 4 per INVOKE; a parameter byte:
 *   bits 0-2 NONE, VALUE_IN/OUT/INOUT, MEMREF_IN/OUT/INOUT, a NULL
 *   MEMREF_INOUT; bits 3-6 the memref size (ft_sizes[0..15]).
 *   Then a program for the instances' scripts, script 0 first (the guest's
 *   instance), op byte, then by op % 15:
 *   0 NEXT        the next instance's script
 *   1 READY       u8 mode (bits 0-1: uuid own, other, as is, own; bit 2:
 *                 u8 result-sel follows), u8 flag bits (SINGLE, MULTI,
 *                 KEEP_ALIVE, KEEP_CRASHED, CONCURRENT)
 *   2 DONE        u8 result-sel, u8 origin, u8 x 4 per parameter: b =
 *                 ft_sizes[x % 32], a = x * 0x01010101
 *   3 LOG         u16 len (% 300), that many text bytes
 *   4 PANIC       u32 code
 *   5 REE_TIME    6 PTIME_LOAD    7 PTIME_STORE u64 offset
 *   8 TA_OPEN     u8 uuid-sel, types, memrefs, u8 cancel timeout
 *   9 TA_INVOKE   u8 session-sel, u32 cmd, types, memrefs
 *   10 TA_CLOSE   u8 session-sel
 *   11 RAW        u8 type-sel, u16 len, up to 128 payload bytes (then a pattern)
 *   12 TRUNC      u8 type-sel, u16 len, u8 n: a header and fewer bytes than
 *                 it says (n >= 0x80: only n % 8 bytes of the header); the
 *                 script ends there
 *   13 PAUSE      u8 x: the bytes after the point (x % 128) % 80 back from
 *                 the end are held back, once the back-end has read up to
 *                 it, while the guest is inside submit() (a TA that stalls
 *                 mid-message); x >= 0x80: for FT_SLOW_PAUSE_MS (a slow TA)
 *   14 ST         a persistent-object request: u8 type (% 11 from
 *                 ST_OPEN), u8 mode, u32 obj, u32 flags, u64 pos, u8 id_len,
 *                 u16 meta_len, u32 read_len, u32 data_len, u32 staged;
 *                 mode bit 0: a u16 header length follows (else the sum of
 *                 the parts); bit 1: meta_room = u16 that follows. The
 *                 parts are a pattern
 *   types: u8 mode, u16 (mode bit 0: the u16 as is; else a table per
 *   nibble; bit 1: junk above bit 15); memrefs: u8 x 4, bit 7 NULL, bit 6
 *   a = 5 (not 0), size ft_sizes[x % 32]; input memrefs' data is generated.
 *   selectors >= 0xF0 take a raw u32 (session, result) or 16 bytes (uuid).
 */
#include <string.h>

#include "fuzz_ta.h"
#include "ta_proc.h"
#include "vtee/test_ta.h"

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct rd *r, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		uint64_t b = 0;
		if (r->n) {
			b = *r->p++;
			r->n--;
		}
		v |= b << (8 * i);
	}
	return v;
}

/*
 * n bytes of input into dst (zeros past its end). Out of line: gcc -O3 sees
 * through the inlined loop in op_raw() a write beyond payload[] that the
 * bound on n rules out (-Wstringop-overflow, a false positive).
 */
static __attribute__((noinline)) void take_bytes(struct rd *r, uint8_t *dst, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (uint8_t)take(r, 1);
}

const uint64_t ft_sizes[32] = {
	0, 1, 3, 8, 16, 63, 64, 100, 255, 256, 1000, 2048, 4095, 4096, 17, 4000, /* the guest's */
	4097, 8192, 32768, 65535, 65536, 65537, 1u << 20, 0x7fffffffu, 0xffffffffu, 1ull << 32,
	0x100000040ull, 1ull << 63, UINT64_MAX - 63, UINT64_MAX - 1, UINT64_MAX, 12345,
};

static uint32_t result(struct rd *r)
{
	static const uint32_t results[16] = {
		TEE_SUCCESS, TEE_SUCCESS, TEE_ERROR_SHORT_BUFFER, TEE_ERROR_GENERIC, TEE_ERROR_BAD_PARAMETERS,
		TEE_ERROR_TARGET_DEAD, TEE_ERROR_OUT_OF_MEMORY, TEE_ERROR_CANCEL, TEE_ERROR_BUSY,
		TEE_ERROR_ITEM_NOT_FOUND, TEE_ERROR_ACCESS_DENIED, TEE_ERROR_COMMUNICATION,
		TEE_ERROR_NOT_SUPPORTED, TEE_ERROR_BAD_STATE, 0x80000000u, 0x12345678u,
	};
	uint8_t s = (uint8_t)take(r, 1);
	return s < 0xF0 ? results[s & 15] : (uint32_t)take(r, 4);
}

static uint32_t session_sel(struct rd *r)
{
	uint8_t s = (uint8_t)take(r, 1);
	return s < 0xF0 ? s & 7u : (uint32_t)take(r, 4);
}

/* ---- frames ---- */

/* Payload bytes a frame appended now could have. */
static uint32_t room(const struct ft_script *s)
{
	uint32_t used = s->n + (uint32_t)sizeof(struct tap_hdr);
	return used < FT_SCRIPT_MAX ? FT_SCRIPT_MAX - used : 0;
}

/*
 * Append a frame: its header says len; flen bytes of fixed and then extra
 * bytes of a pattern follow. False (and the script closed) when it is full.
 */
static bool put_frame(struct ft_script *s, uint32_t type, uint32_t len, const void *fixed, uint32_t flen,
		      uint32_t extra)
{
	if (s->closed)
		return false;
	if (s->nf == FT_MAX_FRAMES || s->n + sizeof(struct tap_hdr) > FT_SCRIPT_MAX || flen > room(s) ||
	    extra > room(s) - flen) {
		s->closed = true;
		return false;
	}
	struct tap_hdr h = { type, len };
	memcpy(s->bytes + s->n, &h, sizeof(h));
	s->n += sizeof(h);
	s->f[s->nf++] = (struct ft_frame){ .type = type, .len = len, .off = s->n, .cut = flen + extra < len };
	if (flen)
		memcpy(s->bytes + s->n, fixed, flen);
	for (uint32_t i = 0; i < extra; i++)
		s->bytes[s->n + flen + i] = (uint8_t)(s->n + i * 7);
	s->n += flen + extra;
	s->closed = s->f[s->nf - 1].cut;
	return true;
}

static uint32_t type_sel(struct rd *r)
{
	uint8_t t = (uint8_t)take(r, 1);
	return t < 0xE0 ? t & 31u : (uint32_t)take(r, 4);
}

static void op_ready(struct ft_script *s, struct rd *r)
{
	uint8_t mode = (uint8_t)take(r, 1), fl = (uint8_t)take(r, 1);
	struct tap_ready rd = { .stack_size = 0x4800, .heap_size = 0x8000 };
	if (mode & 4)
		rd.ret = result(r);
	rd.flags = (fl & 1 ? TAF_SINGLE_INSTANCE : 0) | (fl & 2 ? TAF_MULTI_SESSION : 0) |
		   (fl & 4 ? TAF_INSTANCE_KEEP_ALIVE : 0) | (fl & 8 ? TAF_KEEP_CRASHED : 0) |
		   (fl & 16 ? TAF_CONCURRENT : 0);
	static const uint8_t uuid_mode[4] = { FT_UUID_OWN, FT_UUID_OTHER, FT_UUID_AS_IS, FT_UUID_OWN };
	if (put_frame(s, TAP_MSG_READY, sizeof(rd), &rd, sizeof(rd), 0))
		s->f[s->nf - 1].ready_uuid = uuid_mode[mode & 3];
}

static void op_done(struct ft_script *s, struct rd *r)
{
	struct tap_done d = { .ret = result(r), .origin = (uint32_t)take(r, 1) };
	for (int i = 0; i < 4; i++) {
		uint8_t x = (uint8_t)take(r, 1);
		d.p[i].a = x * 0x01010101u;
		d.p[i].b = ft_sizes[x % 32];
	}
	put_frame(s, TAP_MSG_DONE, sizeof(d), &d, sizeof(d), 0);
}

static void op_log(struct ft_script *s, struct rd *r)
{
	uint8_t text[300];
	uint32_t len = (uint32_t)take(r, 2) % sizeof(text);
	for (uint32_t i = 0; i < len; i++)
		text[i] = (uint8_t)take(r, 1);
	put_frame(s, TAP_MSG_LOG, len, text, len, 0);
}

/* A TA-to-TA request's types and memrefs; the input bytes its memrefs announce. */
static uint64_t ta_params(struct rd *r, struct tap_tareq *q)
{
	static const uint8_t nibble[16] = { 0, 1, 2, 3, 5, 6, 7, 0, 1, 2, 3, 5, 6, 7, 4, 9 };
	uint8_t mode = (uint8_t)take(r, 1);
	uint16_t t = (uint16_t)take(r, 2);
	q->types = mode & 1 ? t : 0;
	for (int i = 0; !(mode & 1) && i < 4; i++)
		q->types |= (uint32_t)nibble[(t >> (4 * i)) & 15] << (4 * i);
	if (mode & 2)
		q->types |= (uint32_t)(mode >> 2) << 16;
	uint64_t in = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t m = (uint8_t)take(r, 1);
		uint32_t type = TA_PARAM_TYPE_GET(q->types, i);
		q->p[i].a = m & 0x80 ? TAP_NULL_MEMREF : m & 0x40 ? 5 : 0;
		q->p[i].b = ft_sizes[m % 32];
		if (vtee_param_is_value(type))
			q->p[i] = (struct tap_param){ m * 0x01000193u, ~(uint64_t)m };
		else if (vtee_param_is_memref(type) && vtee_param_is_input(type) && q->p[i].a != TAP_NULL_MEMREF)
			in += q->p[i].b;
	}
	return in;
}

static void op_ta(struct ft_script *s, struct rd *r, uint32_t type)
{
	struct tap_tareq q = { .cancel_timeout = TA_TIMEOUT_INFINITE };
	uint64_t in = 0;
	if (type == TAP_MSG_TA_OPEN) {
		static const uint8_t dest[4][16] = { FT_GUEST_TA_UUID, FT_GUEST_TA_UUID, VTEE_TEST_TA_UUID_BYTES,
						     { 0xf0, 0x22, 0xa7, 0x11, 0x6e, 0x1d, 0x4c, 0x2b, 0x9a, 0x01, 0, 0, 0, 0, 0,
						       0x02 } };
		uint8_t u = (uint8_t)take(r, 1);
		for (int i = 0; i < 16; i++)
			q.uuid[i] = u < 0xF0 ? dest[u & 3][i] : (uint8_t)take(r, 1);
		if (u & 4)
			q.uuid[15] = 0x03; /* a third TA */
		in = ta_params(r, &q);
		uint8_t t = (uint8_t)take(r, 1);
		if (t)
			q.cancel_timeout = t * 10u;
	} else {
		q.session = session_sel(r);
		if (type == TAP_MSG_TA_INVOKE) {
			q.cmd = (uint32_t)take(r, 4);
			in = ta_params(r, &q);
		}
	}
	if (room(s) < sizeof(q)) {
		s->closed = true;
		return;
	}
	/* the data the memrefs announce, or what fits: then the frame breaks the rule, as it should */
	uint32_t data = in < room(s) - sizeof(q) ? (uint32_t)in : room(s) - (uint32_t)sizeof(q);
	put_frame(s, type, (uint32_t)sizeof(q) + data, &q, sizeof(q), data);
}

/* A frame cut inside its header: the script ends with part of one. */
static void cut_header(struct ft_script *s, uint32_t type, uint32_t len, uint32_t keep)
{
	struct tap_hdr h = { type, len };
	if (s->closed || s->nf == FT_MAX_FRAMES || s->n + sizeof(h) > FT_SCRIPT_MAX)
		return;
	memcpy(s->bytes + s->n, &h, keep);
	s->f[s->nf++] = (struct ft_frame){ .type = type, .len = len, .off = s->n + (uint32_t)sizeof(h), .cut = true };
	s->n += keep;
	s->closed = true;
}

static void op_raw(struct ft_script *s, struct rd *r, bool cut)
{
	uint8_t payload[128] = { 0 };
	uint32_t type = type_sel(r), len = (uint32_t)take(r, 2);
	uint32_t have = cut ? (uint32_t)take(r, 1) : len;
	if (cut && have >= 0x80) {
		cut_header(s, type, len, have % sizeof(struct tap_hdr));
		return;
	}
	if (cut && !len)
		len = 1;
	if (cut && have >= len)
		have = len - 1;
	uint32_t given = have < sizeof(payload) ? have : (uint32_t)sizeof(payload);
	take_bytes(r, payload, given);
	if (have > room(s)) {
		s->closed = true;
		return;
	}
	put_frame(s, type, len, payload, given, have - given);
}

static void op_st(struct ft_script *s, struct rd *r)
{
	uint32_t type = TAP_MSG_ST_OPEN + (uint32_t)(take(r, 1) % 11);
	uint8_t mode = (uint8_t)take(r, 1);
	struct tap_st q = { .obj = (uint32_t)take(r, 4), .flags = (uint32_t)take(r, 4), .pos = take(r, 8) };
	q.id_len = (uint32_t)take(r, 1);
	q.meta_len = (uint32_t)take(r, 2);
	q.read_len = (uint32_t)take(r, 4);
	q.data_len = take(r, 4);
	q.staged = take(r, 4);
	uint64_t parts = (uint64_t)q.id_len + q.meta_len + q.data_len;
	uint64_t len = mode & 1 ? take(r, 2) : sizeof(q) + parts;
	if (mode & 2)
		q.meta_room = (uint32_t)take(r, 2);
	if (len > room(s)) {
		s->closed = true;
		return;
	}
	uint32_t extra = len > sizeof(q) ? (uint32_t)len - (uint32_t)sizeof(q) : 0;
	put_frame(s, type, (uint32_t)len, &q, len < sizeof(q) ? (uint32_t)len : (uint32_t)sizeof(q), extra);
}

static void run_op(struct ft_script *s, struct rd *r, uint8_t op)
{
	switch (op) {
	case 1: op_ready(s, r); break;
	case 2: op_done(s, r); break;
	case 3: op_log(s, r); break;
	case 4: {
		uint32_t code = (uint32_t)take(r, 4);
		put_frame(s, TAP_MSG_PANIC, sizeof(code), &code, sizeof(code), 0);
		break;
	}
	case 5: put_frame(s, TAP_MSG_REE_TIME, 0, NULL, 0, 0); break;
	case 6: put_frame(s, TAP_MSG_PTIME_LOAD, 0, NULL, 0, 0); break;
	case 7: {
		struct tap_param t = { take(r, 8), 0 };
		put_frame(s, TAP_MSG_PTIME_STORE, sizeof(t), &t, sizeof(t), 0);
		break;
	}
	case 8: op_ta(s, r, TAP_MSG_TA_OPEN); break;
	case 9: op_ta(s, r, TAP_MSG_TA_INVOKE); break;
	case 10: op_ta(s, r, TAP_MSG_TA_CLOSE); break;
	case 14: op_st(s, r); break;
	case 13: {
		uint8_t x = (uint8_t)take(r, 1);
		uint32_t back = (x & 0x7fu) % 80, at = back < s->n ? s->n - back : 0;
		if (at && s->npause < FT_MAX_PAUSES && (!s->npause || s->pause[s->npause - 1] < at)) {
			s->pause_slow[s->npause] = x & 0x80;
			s->pause[s->npause++] = at;
		}
		break;
	}
	default: op_raw(s, r, op == 12); break;
	}
}

unsigned ft_parse(const uint8_t *data, size_t size, struct ft_guest *g, struct ft_script *s)
{
	struct rd r = { data, size };
	memset(g, 0, sizeof(*g));
	g->ninvokes = (unsigned)take(&r, 1) % 4;
	g->rpc_fails = take(&r, 1) & 1;
	for (int i = 0; i < 4; i++)
		g->open_params[i] = (uint8_t)take(&r, 1);
	for (unsigned k = 0; k < g->ninvokes; k++)
		for (int i = 0; i < 4; i++)
			g->invoke_params[k][i] = (uint8_t)take(&r, 1);
	unsigned n = 1;
	s[0].n = s[0].nf = s[0].npause = 0;
	s[0].closed = false;
	while (r.n) {
		uint8_t op = (uint8_t)(take(&r, 1) % 15);
		if (op == 0 && n < FT_MAX_INST) {
			s[n].n = s[n].nf = s[n].npause = 0;
			s[n].closed = false;
			n++;
		} else if (op) {
			run_op(&s[n - 1], &r, op);
		}
	}
	return n;
}

/* ---- the rules (ta_proto.h) ---- */

void ft_tareq(const struct ft_script *s, unsigned i, struct tap_tareq *q)
{
	memcpy(q, s->bytes + s->f[i].off, sizeof(*q));
	if (s->f[i].type == TAP_MSG_TA_CLOSE)
		q->types = 0; /* a close has no parameters, whatever the field says */
}

/* A TA-to-TA request within the rules: known types, NULL or bounded memrefs, exactly their input data. */
static bool ta_ok(const struct ft_script *s, unsigned i)
{
	const struct ft_frame *f = &s->f[i];
	struct tap_tareq q;
	if (f->len < sizeof(q))
		return false;
	ft_tareq(s, i, &q);
	if (q.types >> 16)
		return false;
	uint64_t all = 0, in = 0;
	for (int k = 0; k < 4; k++) {
		uint32_t t = TA_PARAM_TYPE_GET(q.types, k);
		if (t == VTEE_PARAM_NONE || vtee_param_is_value(t))
			continue;
		if (!vtee_param_is_memref(t))
			return false;
		if (q.p[k].a == TAP_NULL_MEMREF)
			continue;
		if (q.p[k].b > FT_BULK || (all += q.p[k].b) > FT_BULK)
			return false; /* more than a callee's bulk area could take */
		if (vtee_param_is_input(t))
			in += q.p[k].b;
	}
	return f->len - sizeof(q) == in;
}

/*
 * The data of the STAGE frames before frame i since the last CREATE or WRITE: the instance's stage.
 * A frame before i that broke a rule ended the instance, so frame i does not matter then.
 */
static uint64_t staged_before(const struct ft_script *s, unsigned i)
{
	uint64_t n = 0;
	for (unsigned j = 0; j < i; j++) {
		struct tap_st q;
		if (s->f[j].cut || s->f[j].len < sizeof(q))
			continue;
		memcpy(&q, s->bytes + s->f[j].off, sizeof(q));
		if (s->f[j].type == TAP_MSG_ST_STAGE)
			n += q.data_len;
		else if (s->f[j].type == TAP_MSG_ST_CREATE || s->f[j].type == TAP_MSG_ST_WRITE)
			n = 0;
	}
	return n;
}

/* A persistent-object request within the rules (tap_st_len_ok; CREATE and WRITE: all of the stage). */
static bool st_ok(const struct ft_script *s, unsigned i)
{
	const struct ft_frame *f = &s->f[i];
	struct tap_st q;
	if (f->len < sizeof(q))
		return false;
	memcpy(&q, s->bytes + f->off, sizeof(q));
	if (!tap_st_len_ok(f->type, &q, f->len, FT_BULK))
		return false;
	return (f->type != TAP_MSG_ST_CREATE && f->type != TAP_MSG_ST_WRITE) || q.staged == staged_before(s, i);
}

enum ft_kind ft_kind(const struct ft_script *s, unsigned i, bool at_start)
{
	const struct ft_frame *f = &s->f[i];
	if (f->cut)
		return FK_FATAL; /* the back-end waits for the rest, then the instance is gone */
	if (f->type == TAP_MSG_LOG)
		return f->len <= TAP_LOG_MAX ? FK_LOG : FK_FATAL;
	if (at_start)
		return f->type == TAP_MSG_READY && f->len == sizeof(struct tap_ready) ? FK_READY : FK_FATAL;
	switch (f->type) {
	case TAP_MSG_DONE:
		return f->len == sizeof(struct tap_done) ? FK_DONE : FK_FATAL;
	case TAP_MSG_PANIC:
		return f->len == sizeof(uint32_t) ? FK_PANIC : FK_FATAL;
	case TAP_MSG_REE_TIME:
	case TAP_MSG_PTIME_LOAD:
		return f->len == 0 ? FK_ASK : FK_FATAL;
	case TAP_MSG_PTIME_STORE:
		return f->len == sizeof(struct tap_param) ? FK_ASK : FK_FATAL;
	case TAP_MSG_TA_OPEN:
	case TAP_MSG_TA_INVOKE:
	case TAP_MSG_TA_CLOSE:
		return ta_ok(s, i) ? FK_TA : FK_FATAL;
	default:
		if (f->type >= TAP_MSG_ST_OPEN && f->type <= TAP_MSG_ST_STAGE)
			return st_ok(s, i) ? FK_ASK : FK_FATAL;
		return FK_FATAL;
	}
}

uint64_t ft_answer_data(const struct ft_script *s, unsigned i, const struct tap_answer *ans)
{
	struct tap_tareq q;
	ft_tareq(s, i, &q);
	uint64_t n = 0;
	for (int k = 0; k < 4; k++) {
		uint32_t t = TA_PARAM_TYPE_GET(q.types, k);
		if (vtee_param_is_memref(t) && vtee_param_is_output(t) && q.p[k].a != TAP_NULL_MEMREF &&
		    ans->p[k].b && ans->p[k].b <= q.p[k].b)
			n += ans->p[k].b;
	}
	return n;
}
