// SPDX-License-Identifier: MIT
/*
 * The teedev back-end's options (teedev.h lists them) and the policy that maps
 * a guest's login to the one the host kernel sees. The host kernel computes
 * the client identity itself, from this process, and refuses the REE-kernel
 * login range from userspace; guest logins become PUBLIC unless the options
 * say otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "teedev_int.h"

_Static_assert(TEE_IOCTL_LOGIN_PUBLIC == TEE_LOGIN_PUBLIC && TEE_IOCTL_LOGIN_USER == TEE_LOGIN_USER &&
		       TEE_IOCTL_LOGIN_GROUP == TEE_LOGIN_GROUP,
	       "login numbers");

static const char *const class_names[TEEDEV_CLASSES] = { "public", "user", "group", "app", "kernel" };
static const char *const action_names[] = { "public", "user", "group", "deny" };

/* Each key once; login.CLASS counts as its own key per class. */
enum { K_DEV, K_LOGIN, K_GID, K_THREADS, K_ZEROCOPY, K_MAXMAPS, K_INLINE, K_INLINE_US, K_FD, K_CLASS0 };

/* The options that are a number in a range. */
struct number_option {
	const char *name;
	int key;
	unsigned long min, max;
	const char *expect; /* NULL: "min..max" */
};

static const struct number_option number_options[] = {
	/* (gid_t)-1 is "no group" to the kernel */
	{ "gid", K_GID, 0, UINT32_MAX - 1, "a group id" },
	{ "threads", K_THREADS, 1, TEEDEV_MAX_THREADS, NULL },
	{ "maxmaps", K_MAXMAPS, 1, 1u << 20, NULL },
	{ "fd", K_FD, 0, INT32_MAX, "a file descriptor" },
	{ "inline_us", K_INLINE_US, 4, 1000000, NULL },
};

/* What parsing builds besides the options: the login policy before classes inherit login=. */
struct parse {
	struct teedev_opts *o;
	int all;                 /* login= */
	int cls[TEEDEV_CLASSES]; /* login.CLASS=, -1 unset */
	char *err;
	size_t errlen;
};

static bool token_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(s, word, len);
}

int teedev_parse_ulong(const char *s, size_t len, unsigned long min, unsigned long max, unsigned long *out)
{
	char buf[24];
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
	errno = 0;
	char *end;
	unsigned long v = strtoul(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int fail(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *ps, const char *fmt, ...)
{
	if (ps->err && ps->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_dev(struct parse *ps, const char *val, size_t vlen)
{
	struct teedev_opts *o = ps->o;
	if (!vlen || vlen >= sizeof(o->dev) || val[0] != '/')
		return fail(ps, "dev=%.*s: expected an absolute path", (int)vlen, val);
	memcpy(o->dev, val, vlen);
	o->dev[vlen] = 0;
	return 0;
}

/* login=ACTION or login.CLASS=ACTION. */
static int parse_login(struct parse *ps, const char *item, size_t klen, const char *val, size_t vlen, int *key)
{
	int c = -1;
	if (klen > 6) {
		for (int i = 0; i < TEEDEV_CLASSES; i++)
			if (token_is(item + 6, klen - 6, class_names[i]))
				c = i;
		if (c < 0)
			return fail(ps, "'%.*s': unknown login class (public, user, group, app, kernel)", (int)klen,
				    item);
	}
	*key = c < 0 ? K_LOGIN : K_CLASS0 + c;
	int a = -1;
	for (int i = 0; i < (int)(sizeof(action_names) / sizeof(action_names[0])); i++)
		if (token_is(val, vlen, action_names[i]))
			a = i;
	if (a < 0)
		return fail(ps, "%.*s=%.*s: expected public, user, group or deny", (int)klen, item, (int)vlen, val);
	if (c < 0)
		ps->all = a;
	else
		ps->cls[c] = a;
	return 0;
}

static int parse_inline(struct parse *ps, const char *val, size_t vlen)
{
	if (token_is(val, vlen, "off"))
		ps->o->inline_mode = TEEDEV_INLINE_OFF;
	else if (token_is(val, vlen, "auto"))
		ps->o->inline_mode = TEEDEV_INLINE_AUTO;
	else if (token_is(val, vlen, "on"))
		ps->o->inline_mode = TEEDEV_INLINE_ON;
	else
		return fail(ps, "inline=%.*s: expected off, auto or on", (int)vlen, val);
	return 0;
}

static int parse_number(struct parse *ps, const struct number_option *n, const char *val, size_t vlen)
{
	unsigned long v;
	if (teedev_parse_ulong(val, vlen, n->min, n->max, &v)) {
		if (n->expect)
			return fail(ps, "%s=%.*s: expected %s", n->name, (int)vlen, val, n->expect);
		return fail(ps, "%s=%.*s: expected %lu..%lu", n->name, (int)vlen, val, n->min, n->max);
	}
	struct teedev_opts *o = ps->o;
	switch (n->key) {
	case K_GID:
		o->gid = (uint32_t)v;
		o->gid_set = true;
		break;
	case K_THREADS:
		o->threads = (unsigned)v;
		break;
	case K_MAXMAPS:
		o->max_maps = (unsigned)v;
		break;
	case K_FD:
		o->fd = (int)v;
		break;
	default:
		o->inline_us = (unsigned)v;
		break;
	}
	return 0;
}

/* One KEY=VALUE; *key says which key it was. */
static int parse_item(struct parse *ps, const char *item, size_t klen, const char *val, size_t vlen, int *key)
{
	if (token_is(item, klen, "dev")) {
		*key = K_DEV;
		return parse_dev(ps, val, vlen);
	}
	if (token_is(item, klen, "login") || (klen > 6 && !strncmp(item, "login.", 6)))
		return parse_login(ps, item, klen, val, vlen, key);
	if (token_is(item, klen, "zerocopy")) {
		*key = K_ZEROCOPY;
		if (!token_is(val, vlen, "0") && !token_is(val, vlen, "1"))
			return fail(ps, "zerocopy=%.*s: expected 0 or 1", (int)vlen, val);
		ps->o->zerocopy = val[0] == '1';
		return 0;
	}
	if (token_is(item, klen, "inline")) {
		*key = K_INLINE;
		return parse_inline(ps, val, vlen);
	}
	for (size_t i = 0; i < sizeof(number_options) / sizeof(number_options[0]); i++)
		if (token_is(item, klen, number_options[i].name)) {
			*key = number_options[i].key;
			return parse_number(ps, &number_options[i], val, vlen);
		}
	return fail(ps,
		    "unknown option '%.*s' (dev, fd, login, login.CLASS, gid, threads, zerocopy, maxmaps, inline, "
		    "inline_us)",
		    (int)klen, item);
}

static void set_defaults(struct teedev_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threads = TEEDEV_DEFAULT_THREADS;
	o->zerocopy = true;
	o->max_maps = TEEDEV_DEFAULT_MAXMAPS;
	o->inline_mode = TEEDEV_INLINE_AUTO;
	o->inline_us = TEEDEV_DEFAULT_INLINE_US;
	o->fd = -1;
}

int teedev_parse_options(const char *options, struct teedev_opts *o, char *err, size_t errlen)
{
	set_defaults(o);
	if (err && errlen)
		err[0] = 0;
	struct parse ps = { .o = o, .all = TEEDEV_LOGIN_PUBLIC, .err = err, .errlen = errlen };
	for (int i = 0; i < TEEDEV_CLASSES; i++)
		ps.cls[i] = -1;
	unsigned seen = 0;
	for (const char *s = options ? options : ""; *s;) {
		size_t len = strcspn(s, ",");
		const char *item = s;
		s += len;
		if (*s == ',')
			s++;
		if (!len)
			continue;
		const char *eq = memchr(item, '=', len);
		if (!eq)
			return fail(&ps, "'%.*s': expected KEY=VALUE", (int)len, item);
		size_t klen = (size_t)(eq - item);
		int key = K_DEV, r = parse_item(&ps, item, klen, eq + 1, len - klen - 1, &key);
		if (r)
			return r;
		if (seen & (1u << key))
			return fail(&ps, "option '%.*s' given twice", (int)klen, item);
		seen |= 1u << key;
	}
	if ((seen & (1u << K_DEV)) && (seen & (1u << K_FD)))
		return fail(&ps, "dev= and fd= both name the device: give one");
	for (int i = 0; i < TEEDEV_CLASSES; i++)
		o->login[i] = (uint8_t)(ps.cls[i] >= 0 ? ps.cls[i] : ps.all);
	return 0;
}

enum teedev_login_class teedev_login_class(uint32_t login)
{
	switch (login) {
	case TEE_LOGIN_PUBLIC:
		return TEEDEV_CLASS_PUBLIC;
	case TEE_LOGIN_USER:
		return TEEDEV_CLASS_USER;
	case TEE_LOGIN_GROUP:
		return TEEDEV_CLASS_GROUP;
	case TEE_LOGIN_APPLICATION:
	case TEE_LOGIN_APPLICATION_USER:
	case TEE_LOGIN_APPLICATION_GROUP:
		return TEEDEV_CLASS_APP;
	default:
		break;
	}
	if (login >= TEE_IOCTL_LOGIN_REE_KERNEL_MIN && login <= TEE_IOCTL_LOGIN_REE_KERNEL_MAX)
		return TEEDEV_CLASS_KERNEL;
	return TEEDEV_CLASSES;
}

int teedev_map_login(const struct teedev_opts *o, uint32_t guest_login, uint32_t *host_login, uint8_t clnt_uuid[16])
{
	/* The guest's client UUID means nothing on the host: the kernel derives its own. */
	memset(clnt_uuid, 0, 16);
	enum teedev_login_class c = teedev_login_class(guest_login);
	if (c == TEEDEV_CLASSES)
		return -EACCES;
	switch (o->login[c]) {
	case TEEDEV_LOGIN_PUBLIC:
		*host_login = TEE_IOCTL_LOGIN_PUBLIC;
		return 0;
	case TEEDEV_LOGIN_USER:
		*host_login = TEE_IOCTL_LOGIN_USER;
		return 0;
	case TEEDEV_LOGIN_GROUP: {
		/* the kernel reads a gid_t from the connection data and checks we are in the group */
		gid_t g = o->gid_set ? (gid_t)o->gid : getegid();
		memcpy(clnt_uuid, &g, sizeof(g));
		*host_login = TEE_IOCTL_LOGIN_GROUP;
		return 0;
	}
	default:
		return -EACCES;
	}
}
