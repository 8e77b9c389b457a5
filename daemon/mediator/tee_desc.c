// SPDX-License-Identifier: MIT
/*
 * The VM's TEE as HELLO describes it (docs/vteed-protocol.md): which back-end
 * vteed opens, with which options and which of HELLO's fds. Version 3 says it
 * in a neutral descriptor, so vteed needs to know no back-end by name; for
 * versions 1 and 2 the rules they were published with say it. The policy
 * has the last word on the back-end (docs/policy.md).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vteed.h"

/* A check failed: the reason in why, a negative errno back. */
#define FAIL(e, ...)                                   \
	do {                                           \
		snprintf(why, whylen, __VA_ARGS__);    \
		return -(e);                           \
	} while (0)

/* Whether bytes [from, n) of p are all zero (what follows a string's NUL is reserved). */
static bool is_zero_from(const char *p, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Whether k is an option key: [a-z0-9_.]+, NUL-terminated within the field, zero after. */
static bool is_key(const char *k)
{
	size_t n = strnlen(k, VTEED_TEE_KEY_MAX);
	if (n == 0 || n == VTEED_TEE_KEY_MAX || !is_zero_from(k, n, VTEED_TEE_KEY_MAX))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)k[i]) && !isdigit((unsigned char)k[i]) && k[i] != '_' && k[i] != '.')
			return false;
	return true;
}

static int check_fd_keys(const struct vteed_tee_desc *d, char *why, size_t whylen)
{
	if (d->nfds > VTEED_MAX_TEE_FDS)
		FAIL(EINVAL, "TEE descriptor: %u fds, at most %u", d->nfds, VTEED_MAX_TEE_FDS);
	for (unsigned i = 0; i < VTEED_MAX_TEE_FDS; i++) {
		const char *k = d->fd_keys[i];
		if (i >= d->nfds) {
			if (!is_zero_from(k, 0, VTEED_TEE_KEY_MAX))
				FAIL(EINVAL, "TEE descriptor: unused fd key %u not zero", i);
			continue;
		}
		if (!is_key(k))
			FAIL(EINVAL, "TEE descriptor: fd key %u is not [a-z0-9_.]+ within %u bytes", i,
			     VTEED_TEE_KEY_MAX - 1);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(d->fd_keys[j], k))
				FAIL(EINVAL, "TEE descriptor: fd key \"%s\" given twice", k);
	}
	return 0;
}

/* v3: the descriptor as the VMM sent it. */
static int desc_v3(const struct vteed_hello *h, struct mediator_tee *t, char *why, size_t whylen)
{
	const struct vteed_tee_desc *d = &h->tee;
	if (d->reserved)
		FAIL(EINVAL, "TEE descriptor: reserved field not zero");
	int err = check_fd_keys(d, why, whylen);
	if (err)
		return err;
	size_t ol = strnlen(d->options, sizeof(d->options));
	if (ol == sizeof(d->options) || !is_zero_from(d->options, ol, sizeof(d->options)))
		FAIL(EINVAL, "TEE descriptor: options not NUL-terminated, or not zero after");
	for (size_t i = 0; i < ol; i++)
		if (!isgraph((unsigned char)d->options[i]))
			FAIL(EINVAL, "TEE descriptor: options have a blank or non-printable byte at %zu", i);
	t->desc = *d;
	snprintf(t->backend, sizeof(t->backend), "%s", h->backend[0] ? h->backend : "soft");
	return 0;
}

/*
 * v1 and v2: what their rules imply. "" is "soft", or "link" with a TEE fd;
 * a TEE fd is only for "link" (the TEE process's socket; "resume" from the
 * second epoch on) or "teedev" (an open /dev/teeN, which teedev needs).
 */
static int desc_v2(const struct vteed_hello *h, struct mediator_tee *t, char *why, size_t whylen)
{
	bool has_tee = h->flags & VTEED_HELLO_TEE_FD;
	snprintf(t->backend, sizeof(t->backend), "%s", h->backend[0] ? h->backend : has_tee ? "link" : "soft");
	bool is_link = !strcmp(t->backend, "link"), is_teedev = !strcmp(t->backend, "teedev");
	if (has_tee && !is_link && !is_teedev)
		FAIL(EINVAL, "a TEE fd was passed, but back-end %s is not link or teedev", t->backend);
	if (is_teedev && !has_tee)
		FAIL(EINVAL, "back-end teedev: HELLO must bring the TEE context (an open /dev/teeN)");
	memset(&t->desc, 0, sizeof(t->desc));
	if (has_tee) {
		t->desc.nfds = 1;
		snprintf(t->desc.fd_keys[0], sizeof(t->desc.fd_keys[0]), "fd");
		if (is_link && h->epoch)
			snprintf(t->desc.options, sizeof(t->desc.options), "resume");
	}
	return 0;
}

/* The policy names the TEE; its "soft" also admits the built-in TEE in its own process, through "link". */
static bool policy_allows(const char *backend)
{
	const char *allowed = med.policy.backend;
	return !strcmp(allowed, backend) || (!strcmp(allowed, "soft") && !strcmp(backend, "link"));
}

int tee_desc_from_hello(const struct vteed_hello *h, struct mediator_tee *t, char *why, size_t whylen)
{
	if (strnlen(h->backend, sizeof(h->backend)) == sizeof(h->backend))
		FAIL(EINVAL, "backend name not NUL-terminated");
	int err = h->hdr.version >= 3 ? desc_v3(h, t, why, whylen) : desc_v2(h, t, why, whylen);
	if (err)
		return err;
	if (!vtee_backend_find(t->backend))
		FAIL(ENOENT, "unknown back-end \"%s\"", t->backend);
	if (!policy_allows(t->backend))
		FAIL(EPERM, "the policy allows back-end \"%s\" only, not \"%s\"", med.policy.backend, t->backend);
	return 0;
}

/* Append ",text" (no comma first) to out; -E2BIG when it does not fit. */
static int append(char *out, size_t outlen, const char *text)
{
	size_t n = strlen(out);
	if (!text[0])
		return 0;
	int w = snprintf(out + n, outlen - n, "%s%s", n ? "," : "", text);
	return w < 0 || (size_t)w >= outlen - n ? -E2BIG : 0;
}

int tee_desc_options(const struct mediator_tee *t, const int *fds, char *out, size_t outlen)
{
	out[0] = 0;
	int err = append(out, outlen, t->desc.options);
	for (unsigned i = 0; i < t->desc.nfds && !err; i++) {
		char kv[VTEED_TEE_KEY_MAX + 16];
		snprintf(kv, sizeof(kv), "%s=%d", t->desc.fd_keys[i], fds[i]);
		err = append(out, outlen, kv);
	}
	/* the host's options come last: a back-end that takes a key's last value lets the policy win */
	if (!err && !strcmp(med.policy.backend, t->backend))
		err = append(out, outlen, med.policy.backend_options);
	return err;
}
