// SPDX-License-Identifier: MIT
/*
 * vteed's per-VM policy file (docs/policy.md), parsed with libinih.
 *
 * libinih does the INI syntax (sections, key = value, comments); lines come to
 * it through our own reader so that every error carries its line number (the
 * library's handler does not get one), and so that the few things the library
 * would accept silently are refused: over-long lines (it would split them),
 * NUL bytes, indented keys (it would take them as the continuation of the key
 * above) and unknown sections without keys (it never reports empty sections).
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

/* ---- UUIDs ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vteed_uuid_parse(const char *s, struct vtee_uuid *out)
{
	struct vtee_uuid u;
	size_t n = 0;

	if (!s || strlen(s) != VTEED_UUID_STRLEN - 1)
		return -EINVAL;
	for (size_t i = 0; i < VTEED_UUID_STRLEN - 1;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u.b[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*out = u;
	return 0;
}

void vteed_uuid_format(const struct vtee_uuid *u, char out[VTEED_UUID_STRLEN])
{
	const uint8_t *b = u->b;
	snprintf(out, VTEED_UUID_STRLEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

/* ---- the policy ---- */

void vteed_policy_init(struct vteed_policy *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->backend, sizeof(p->backend), "soft");
	p->default_allow = true;
	p->log_target = VTEED_LOG_STDERR;
	p->log_level = VTEED_LOG_INFO;
	p->log_denials = true;
}

void vteed_policy_free(struct vteed_policy *p)
{
	if (p)
		vteed_policy_init(p);
}

static bool in_list(const struct vtee_uuid *list, uint32_t n, const struct vtee_uuid *ta)
{
	for (uint32_t i = 0; i < n; i++)
		if (!memcmp(list[i].b, ta->b, sizeof(ta->b)))
			return true;
	return false;
}

bool vteed_policy_ta_allowed(void *ctx, const struct vtee_uuid *ta)
{
	const struct vteed_policy *p = ctx;
	bool ok;

	if (in_list(p->deny, p->n_deny, ta))
		ok = false; /* deny wins over allow */
	else if (in_list(p->allow, p->n_allow, ta))
		ok = true;
	else
		ok = p->default_allow;
	if (!ok && p->log_denials && p->on_denied)
		p->on_denied(p->log_ctx, ta);
	return ok;
}

void vteed_policy_apply(const struct vteed_policy *p, struct vtee_vm_config *cfg)
{
	cfg->quota = p->quota;
	cfg->slice_us = p->slice_us;
	cfg->ta_allowed = vteed_policy_ta_allowed;
	cfg->policy_ctx = (void *)p; /* read-only from here on */
}

/* ---- the parser ---- */

enum key {
	K_BACKEND, K_OPTIONS,
	K_DEFAULT, K_ALLOW, K_DENY, K_DIRS,
	K_SESSIONS, K_CALLS, K_SHM_BUFFERS, K_SHM_BYTES,
	K_SLICE,
	K_STORAGE_DIR, K_STORAGE_OBJECTS, K_STORAGE_BYTES,
	K_TARGET, K_LEVEL, K_DENIALS,
	K_COUNT,
};

static const struct {
	const char *section, *name;
	bool repeats; /* list keys may be given several times */
} keys[K_COUNT] = {
	[K_BACKEND] = { "tee", "backend", false },
	[K_OPTIONS] = { "tee", "options", false },
	[K_DEFAULT] = { "ta", "default", false },
	[K_ALLOW] = { "ta", "allow", true },
	[K_DENY] = { "ta", "deny", true },
	[K_DIRS] = { "ta", "dirs", true },
	[K_SESSIONS] = { "quota", "sessions", false },
	[K_CALLS] = { "quota", "calls", false },
	[K_SHM_BUFFERS] = { "quota", "shm_buffers", false },
	[K_SHM_BYTES] = { "quota", "shm_bytes", false },
	[K_SLICE] = { "call", "time_slice_us", false },
	[K_STORAGE_DIR] = { "storage", "dir", false },
	[K_STORAGE_OBJECTS] = { "storage", "max_objects", false },
	[K_STORAGE_BYTES] = { "storage", "max_bytes", false },
	[K_TARGET] = { "log", "target", false },
	[K_LEVEL] = { "log", "level", false },
	[K_DENIALS] = { "log", "denials", false },
};

static const char *const sections[] = { "tee", "ta", "quota", "call", "storage", "log" };

struct parse {
	struct vteed_policy pol;   /* the result, copied out on success */
	const char *path;
	FILE *f;
	char *buf;                 /* getline's */
	size_t cap;
	unsigned line;             /* of the line inih has now */
	bool seen[K_COUNT];
	/* the first error found by us (inih reports its own syntax errors by line only) */
	int err;                   /* 0 or -errno */
	unsigned err_line;
	char msg[200];
};

/* Record the first error (the line it is on, why); returns err. */
__attribute__((format(printf, 3, 4)))
static int fail(struct parse *ps, int err, const char *fmt, ...)
{
	if (ps->err)
		return err;
	ps->err = err;
	ps->err_line = ps->line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
	va_end(ap);
	return err;
}

static bool known_section(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i]) == len && !strncasecmp(sections[i], s, len))
			return true;
	return false;
}

/*
 * inih's line reader (fgets semantics): hand over one whole line, after the
 * checks inih does not make. NULL (end of input) after the first error.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;

	if (ps->err)
		return NULL;
	errno = 0;
	ssize_t n = getline(&ps->buf, &ps->cap, ps->f);
	if (n < 0) {
		if (ferror(ps->f)) {
			ps->line++;
			fail(ps, errno ? -errno : -EIO, "read error: %s", strerror(errno ? errno : EIO));
		}
		return NULL;
	}
	ps->line++;
	char *s = ps->buf;
	size_t len = (size_t)n;
	if (len && s[len - 1] == '\n')
		s[--len] = '\0';
	if (ps->line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) { /* UTF-8 BOM */
		s += 3;
		len -= 3;
	}
	if (strlen(s) != len) {
		fail(ps, -EINVAL, "NUL byte in line");
		return NULL;
	}
	if (len + 1 > (size_t)num) {
		fail(ps, -EINVAL, "line longer than %d characters", num - 1);
		return NULL;
	}
	const char *t = s + strspn(s, " \t\r");
	if (t != s && *t && *t != ';' && *t != '#') {
		fail(ps, -EINVAL, "indented line: keys and [sections] start in the first column");
		return NULL;
	}
	if (*s == '[') {
		const char *end = strchr(s + 1, ']');
		/* no ']': inih reports the syntax error */
		if (end && !known_section(s + 1, (size_t)(end - s - 1))) {
			fail(ps, -EINVAL, "unknown section [%.*s]", (int)(end - s - 1), s + 1);
			return NULL;
		}
	}
	memcpy(str, s, len + 1);
	return str;
}

/* A decimal number, digits only (what follows in *rest, else nothing may). 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t *out, const char **rest)
{
	uint64_t v = 0;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	if (rest)
		*rest = s;
	else if (*s)
		return -EINVAL;
	return 0;
}

static int set_u32(struct parse *ps, const char *name, const char *value, uint32_t max, uint32_t *out)
{
	uint64_t v;
	if (parse_u64(value, &v, NULL))
		return fail(ps, -EINVAL, "%s = '%s' is not a number", name, value);
	if (v < 1 || v > max)
		return fail(ps, -EINVAL, "%s = %s is out of range (1..%u)", name, value, max);
	*out = (uint32_t)v;
	return 0;
}

/* Bytes with an optional K/M/G/T (binary) suffix into *bytes: 0, -EINVAL (not a size), -ERANGE. */
static int parse_size(const char *value, uint64_t *bytes)
{
	uint64_t v;
	const char *rest;
	unsigned shift = 0;
	if (parse_u64(value, &v, &rest))
		return -EINVAL;
	if (*rest) {
		const char *suffixes = "KMGT", *at = rest[1] ? NULL : strchr(suffixes, toupper((unsigned char)*rest));
		if (!at || !*at)
			return -EINVAL;
		shift = 10 * (unsigned)(at - suffixes + 1);
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

/* [quota] shm_bytes, rounded up to 4 KiB pages. */
static int set_shm_bytes(struct parse *ps, const char *value)
{
	uint64_t bytes = 0, pages;
	if (parse_size(value, &bytes) == -EINVAL)
		return fail(ps, -EINVAL, "shm_bytes = '%s' is not a size (number with K, M, G or T)", value);
	pages = bytes / 4096 + (bytes % 4096 != 0);
	if (pages == 0 || pages > VTEE_LIMIT_MAX_SHM_PAGES)
		return fail(ps, -EINVAL, "shm_bytes = %s is out of range (1 byte..%lluG)", value,
			    (unsigned long long)(VTEE_LIMIT_MAX_SHM_PAGES >> 18));
	ps->pol.quota.max_shm_pages = pages;
	return 0;
}

/* [storage] max_bytes: a size, 4 KiB .. 1 TiB (meta and data of all the VM's objects). */
static int set_storage_bytes(struct parse *ps, const char *value)
{
	uint64_t bytes = 0;
	if (parse_size(value, &bytes) == -EINVAL)
		return fail(ps, -EINVAL, "max_bytes = '%s' is not a size (number with K, M, G or T)", value);
	if (bytes < 4096 || bytes > (1ull << 40))
		return fail(ps, -EINVAL, "max_bytes = %s is out of range (4K..1T)", value);
	ps->pol.storage_max_bytes = bytes;
	return 0;
}

/* [storage] dir: where the VMs' state directories are (absolute). */
static int set_storage_dir(struct parse *ps, const char *value)
{
	struct vteed_policy *p = &ps->pol;
	if (value[0] != '/' || strlen(value) >= sizeof(p->storage_dir))
		return fail(ps, -EINVAL, "dir = '%.64s' is not an absolute directory (at most %zu bytes)", value,
			    sizeof(p->storage_dir) - 1);
	snprintf(p->storage_dir, sizeof(p->storage_dir), "%s", value);
	return 0;
}

static int set_uuids(struct parse *ps, const char *name, const char *value, struct vtee_uuid *list,
		      uint32_t *n)
{
	const char *sep = ", \t";
	const char *s = value + strspn(value, sep);
	while (*s) {
		size_t len = strcspn(s, sep);
		char tok[VTEED_UUID_STRLEN];
		struct vtee_uuid u;
		bool ok = len < sizeof(tok);
		if (ok) {
			memcpy(tok, s, len);
			tok[len] = '\0';
			ok = vteed_uuid_parse(tok, &u) == 0;
		}
		if (!ok)
			return fail(ps, -EINVAL, "%s: '%.*s' is not a UUID", name, (int)(len > 64 ? 64 : len), s);
		if (!in_list(list, *n, &u)) {
			if (*n == VTEED_POLICY_MAX_UUIDS)
				return fail(ps, -EINVAL, "%s: more than %d UUIDs", name, VTEED_POLICY_MAX_UUIDS);
			list[(*n)++] = u;
		}
		s += len;
		s += strspn(s, sep);
	}
	return 0;
}

/* [ta] dirs: absolute directories, blank or comma separated (so none of them may hold either). */
static int set_dirs(struct parse *ps, const char *value)
{
	struct vteed_policy *p = &ps->pol;
	const char *sep = ", \t";
	for (const char *s = value + strspn(value, sep); *s; s += strspn(s, sep)) {
		size_t len = strcspn(s, sep);
		if (s[0] != '/' || len >= sizeof(p->ta_dirs[0]))
			return fail(ps, -EINVAL, "dirs: '%.*s' is not an absolute directory (at most %zu bytes)",
				    (int)(len > 64 ? 64 : len), s, sizeof(p->ta_dirs[0]) - 1);
		if (p->n_ta_dirs == VTEED_POLICY_MAX_TA_DIRS)
			return fail(ps, -EINVAL, "dirs: more than %d directories", VTEED_POLICY_MAX_TA_DIRS);
		memcpy(p->ta_dirs[p->n_ta_dirs], s, len);
		p->ta_dirs[p->n_ta_dirs++][len] = '\0';
		s += len;
	}
	return 0;
}

/* Which of n words value is (case aside), in *out. 0 or -EINVAL. */
static int pick(struct parse *ps, const char *name, const char *value, const char *const *words, int n, int *out)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(value, words[i])) {
			*out = i;
			return 0;
		}
	char list[100] = "";
	for (int i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", words[i]);
	return fail(ps, -EINVAL, "%s = '%s': expected one of %s", name, value, list);
}

static int set_backend(struct parse *ps, const char *value)
{
	struct vteed_policy *p = &ps->pol;
	const char *const *names = vtee_backend_names();
	size_t i;
	for (i = 0; names[i] && strcmp(names[i], value); i++)
		;
	if (!names[i] || strlen(value) >= sizeof(p->backend)) {
		char list[160] = "";
		for (i = 0; names[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", names[i]);
		return fail(ps, -EINVAL, "backend = '%s': not a built-in back-end (%s)", value, list);
	}
	snprintf(p->backend, sizeof(p->backend), "%s", value);
	return 0;
}

static int set_options(struct parse *ps, const char *value)
{
	struct vteed_policy *p = &ps->pol;
	/* checked by the back-end when vteed opens it; fd= is vteed's to give */
	if (strlen(value) >= sizeof(p->backend_options) || strpbrk(value, " \t") || !strncmp(value, "fd=", 3) ||
	    strstr(value, ",fd="))
		return fail(ps, -EINVAL, "options = '%s': a comma-separated list without spaces, up to %zu bytes, "
				  "and no fd=", value, sizeof(p->backend_options) - 1);
	snprintf(p->backend_options, sizeof(p->backend_options), "%s", value);
	return 0;
}

/* The [ta] default and the [log] keys: one of a few words each. */
static int set_word(struct parse *ps, enum key k, const char *value)
{
	static const char *const allow_deny[] = { "deny", "allow" };
	static const char *const targets[] = { [VTEED_LOG_STDERR] = "stderr", [VTEED_LOG_SYSLOG] = "syslog" };
	static const char *const levels[] = { [VTEED_LOG_ERROR] = "error", [VTEED_LOG_WARNING] = "warning",
					      [VTEED_LOG_INFO] = "info", [VTEED_LOG_DEBUG] = "debug" };
	static const char *const bools[] = { "no", "yes", "false", "true", "0", "1" };
	struct vteed_policy *p = &ps->pol;
	int w = 0, err;
	switch (k) {
	case K_DEFAULT:
		if (!(err = pick(ps, "default", value, allow_deny, 2, &w)))
			p->default_allow = w == 1;
		return err;
	case K_TARGET:
		if (!(err = pick(ps, "target", value, targets, 2, &w)))
			p->log_target = (enum vteed_log_target)w;
		return err;
	case K_LEVEL:
		if (!(err = pick(ps, "level", value, levels, 4, &w)))
			p->log_level = (enum vteed_log_level)w;
		return err;
	case K_DENIALS:
		if (!(err = pick(ps, "denials", value, bools, 6, &w)))
			p->log_denials = w & 1;
		return err;
	default:
		return -EINVAL;
	}
}

static int set_value(struct parse *ps, enum key k, const char *value)
{
	struct vteed_policy *p = &ps->pol;
	switch (k) {
	case K_BACKEND:
		return set_backend(ps, value);
	case K_OPTIONS:
		return set_options(ps, value);
	case K_ALLOW:
		return set_uuids(ps, "allow", value, p->allow, &p->n_allow);
	case K_DENY:
		return set_uuids(ps, "deny", value, p->deny, &p->n_deny);
	case K_DIRS:
		return set_dirs(ps, value);
	case K_SESSIONS:
		return set_u32(ps, "sessions", value, VTEE_LIMIT_MAX_SESSIONS, &p->quota.max_sessions);
	case K_CALLS:
		return set_u32(ps, "calls", value, VTEE_LIMIT_MAX_CALLS, &p->quota.max_calls);
	case K_SHM_BUFFERS:
		return set_u32(ps, "shm_buffers", value, VTEE_LIMIT_MAX_SHM, &p->quota.max_shm);
	case K_SHM_BYTES:
		return set_shm_bytes(ps, value);
	case K_SLICE:
		return set_u32(ps, "time_slice_us", value, 1000000u, &p->slice_us);
	case K_STORAGE_DIR:
		return set_storage_dir(ps, value);
	case K_STORAGE_OBJECTS:
		return set_u32(ps, "max_objects", value, VTEED_POLICY_MAX_STORAGE_OBJECTS, &p->storage_max_objects);
	case K_STORAGE_BYTES:
		return set_storage_bytes(ps, value);
	default:
		return set_word(ps, k, value);
	}
}

/* The key a line names, once only unless it is a list; 0 or -EINVAL (recorded). */
static int find_key(struct parse *ps, const char *section, const char *name, const char *value, enum key *out)
{
	int k;
	if (!*section)
		return fail(ps, -EINVAL, "key '%s' outside a section", name);
	for (k = 0; k < K_COUNT; k++)
		if (!strcasecmp(keys[k].section, section) && !strcasecmp(keys[k].name, name))
			break;
	if (k == K_COUNT)
		return fail(ps, -EINVAL, "unknown key '%s' in [%s]", name, section);
	if (ps->seen[k] && !keys[k].repeats)
		return fail(ps, -EINVAL, "duplicate key '%s' in [%s]", keys[k].name, keys[k].section);
	ps->seen[k] = true;
	if (!*value && !keys[k].repeats)
		return fail(ps, -EINVAL, "%s: missing value", keys[k].name);
	*out = (enum key)k;
	return 0;
}

/* inih's handler: nonzero to go on. */
static int on_value(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	enum key k = K_COUNT;
	if (ps->err || find_key(ps, section, name, value, &k))
		return 0;
	return set_value(ps, k, value) == 0;
}

int vteed_policy_load(struct vteed_policy *p, const char *path, char *err, size_t errlen)
{
	char dummy[1];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!p || !path) {
		snprintf(err, errlen, "no policy file");
		return -EINVAL;
	}
	struct parse *ps = calloc(1, sizeof(*ps));
	if (!ps) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ps->pol = *p;
	ps->path = path;
	ps->f = fopen(path, "re");
	if (!ps->f) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		free(ps);
		return -e;
	}

	int r = ini_parse_stream(read_line, ps, on_value, ps);
	int ret = 0;
	if (r == -2) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
	} else if (ps->err && (r <= 0 || (unsigned)r >= ps->err_line)) {
		/* ours came first (inih stops seeing lines after it) */
		ret = ps->err;
		snprintf(err, errlen, "%s:%u: %s", path, ps->err_line, ps->msg);
	} else if (r > 0) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s:%d: syntax error: expected [section], key = value or a comment", path,
			 r);
	} else if (r < 0) {
		ret = -EIO;
		snprintf(err, errlen, "%s: cannot read", path);
	}
	if (!ret)
		*p = ps->pol;
	fclose(ps->f);
	free(ps->buf);
	free(ps);
	return ret;
}
