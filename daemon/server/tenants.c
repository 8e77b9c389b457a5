// SPDX-License-Identifier: MIT
/*
 * The tenants file (--tenants FILE, libinih): a [tenant NAME] section per
 * tenant (certificate = SHA-256 fingerprint, policy = FILE, connections = N)
 * and an optional [server] section (connections = N: the cap on every
 * connection at once, authenticated or not).
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "served.h"

/* "AB:cd:..." or "abcd...": 64 hex digits, lowercased into out. 0 or -EINVAL. */
static int parse_fingerprint(const char *v, char out[65])
{
	size_t n = 0;
	for (; *v; v++) {
		if (*v == ':')
			continue;
		if (n == 64 || !((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'f') || (*v >= 'A' && *v <= 'F')))
			return -EINVAL;
		out[n++] = (char)(*v >= 'A' && *v <= 'F' ? *v - 'A' + 'a' : *v);
	}
	out[n] = 0;
	return n == 64 ? 0 : -EINVAL;
}

/* "connections = N": 1..MAX_CONNS_LIMIT. */
static int parse_count(const char *value, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(value, &end, 10);
	if (*end || end == value || n < 1 || n > MAX_CONNS_LIMIT)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

struct tparse {
	unsigned *server_conns;
	char err[256];
};

/* The tenant of that name, new if the file did not name it before. 0 or -ENOSPC (p->err says why). */
static int tenant_named(const char *tn, struct tparse *p, struct tenant **out)
{
	for (unsigned i = 0; i < srv.ntenants; i++)
		if (!strcmp(srv.tenants[i].name, tn)) {
			*out = &srv.tenants[i];
			return 0;
		}
	if (srv.ntenants == MAX_TENANTS || strlen(tn) >= sizeof(srv.tenants[0].name)) {
		snprintf(p->err, sizeof(p->err), "[tenant %s]: too many tenants, or the name is too long", tn);
		return -ENOSPC;
	}
	struct tenant *t = &srv.tenants[srv.ntenants++];
	snprintf(t->name, sizeof(t->name), "%s", tn);
	t->ctl = -1;
	t->max_conns = DEFAULT_TENANT_CONNS;
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

static int on_tenant_key(struct tparse *p, struct tenant *t, const char *name, const char *value)
{
	if (!strcmp(name, "certificate")) {
		if (parse_fingerprint(value, t->fingerprint)) {
			snprintf(p->err, sizeof(p->err), "[tenant %s] certificate: expected a SHA-256 fingerprint",
				 t->name);
			return 0;
		}
	} else if (!strcmp(name, "policy")) {
		if (strlen(value) >= sizeof(t->policy)) {
			snprintf(p->err, sizeof(p->err), "[tenant %s] policy: path too long", t->name);
			return 0;
		}
		snprintf(t->policy, sizeof(t->policy), "%s", value);
	} else if (!strcmp(name, "connections")) {
		if (parse_count(value, &t->max_conns)) {
			snprintf(p->err, sizeof(p->err), "[tenant %s] connections: expected 1..%u", t->name,
				 MAX_CONNS_LIMIT);
			return 0;
		}
	} else {
		snprintf(p->err, sizeof(p->err), "[tenant %s]: unknown key '%s' (certificate, policy, connections)",
			 t->name, name);
		return 0;
	}
	return 1;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct tparse *p = user;
	if (!strcmp(section, "server")) {
		if (strcmp(name, "connections")) {
			snprintf(p->err, sizeof(p->err), "[server]: unknown key '%s' (connections)", name);
			return 0;
		}
		if (parse_count(value, p->server_conns)) {
			snprintf(p->err, sizeof(p->err), "[server] connections: expected 1..%u", MAX_CONNS_LIMIT);
			return 0;
		}
		return 1;
	}
	if (strncmp(section, "tenant ", 7) || !section[7]) {
		snprintf(p->err, sizeof(p->err), "[%s]: sections are [tenant NAME] and [server]", section);
		return 0;
	}
	struct tenant *t;
	return tenant_named(section + 7, p, &t) ? 0 : on_tenant_key(p, t, name, value);
}

/* Every tenant has a certificate, no two the same; at least one tenant. */
static int check_tenants(const char *path, char *err, size_t errlen)
{
	for (unsigned i = 0; i < srv.ntenants; i++) {
		const struct tenant *t = &srv.tenants[i];
		if (!t->fingerprint[0]) {
			snprintf(err, errlen, "%s: [tenant %s] has no certificate", path, t->name);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(t->fingerprint, srv.tenants[j].fingerprint)) {
				snprintf(err, errlen, "%s: tenants %s and %s have the same certificate", path,
					 srv.tenants[j].name, t->name);
				return -EINVAL;
			}
	}
	if (!srv.ntenants) {
		snprintf(err, errlen, "%s: no [tenant NAME] sections", path);
		return -EINVAL;
	}
	return 0;
}

int tenants_load(const char *path, unsigned *server_conns, char *err, size_t errlen)
{
	struct tparse p = { .server_conns = server_conns };
	int r = ini_parse(path, on_ini, &p);
	if (r) {
		snprintf(err, errlen, "%s:%d: %s", path, r > 0 ? r : 0,
			 p.err[0] ? p.err : r < 0 ? "cannot read" : "syntax error");
		return r < 0 ? -ENOENT : -EINVAL;
	}
	return check_tenants(path, err, errlen);
}

struct tenant *tenant_by_fingerprint(const char *fp)
{
	for (unsigned i = 0; i < srv.ntenants; i++)
		if (!strcmp(srv.tenants[i].fingerprint, fp))
			return &srv.tenants[i];
	return NULL;
}
