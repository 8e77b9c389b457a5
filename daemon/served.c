// SPDX-License-Identifier: MIT
/*
 * vtee-served: a TEE service for mediators on other machines (docs/remote.md).
 *
 * It listens on TCP, speaks TLS 1.3 only and requires a client certificate
 * signed by its CA. The certificate's SHA-256 fingerprint names a tenant
 * (--tenants FILE); an unknown one is refused. Each tenant has its own TEE
 * process, vtee-tee with the tenant's policy (--policy: which TAs, how many
 * sessions), so tenants share nothing: not sessions, not TA state, not
 * memory. A connection carries channels (lib/backend/remote/mux.h), one per
 * VM, each a TEE link stream (docs/tee-link.md) that the tenant's vtee-tee
 * serves over a socketpair of its own. The mediators' remote back-end
 * (lib/backend/remote) is the other side; its VMs share a pool of connections.
 *
 * usage: vtee-served --listen HOST:PORT --ca FILE --cert FILE --key FILE --tenants FILE
 *                    [--vtee-tee PATH] [--backend NAME] [--backend-options S] [--timeout-ms N]
 */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mux.h"
#include "tls.h"

#define MAX_TENANTS 64
#define HANDSHAKE_MS 10000

extern char **environ;

struct tenant {
	char name[64];
	char fingerprint[65];
	char policy[512];
	pthread_mutex_t lock;
	int ctl;      /* to its vtee-tee: connections go there (SCM_RIGHTS), -1 none yet */
	pid_t pid;
	unsigned connections;     /* channels handed to its vtee-tee so far */
	unsigned max_conns, conns; /* TLS connections: the cap ([tenant] connections), open now */
};

static struct tenant tenants[MAX_TENANTS];
static unsigned ntenants;
static SSL_CTX *ctx;
static const char *tee_path = "vtee-tee";
static const char *tee_backend, *tee_options; /* --backend, --backend-options: passed to vtee-tee */
static unsigned timeout_ms = 5000;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vtee-served: %s\n", buf);
}

/* ---- tenants (--tenants FILE, libinih) ---- */

/* "AB:cd:..." or "abcd...": 64 hex digits, lowercased into out. */
static bool parse_fingerprint(const char *v, char out[65])
{
	size_t n = 0;
	for (; *v; v++) {
		if (*v == ':')
			continue;
		if (n == 64 || !((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'f') || (*v >= 'A' && *v <= 'F')))
			return false;
		out[n++] = (char)(*v >= 'A' && *v <= 'F' ? *v - 'A' + 'a' : *v);
	}
	out[n] = 0;
	return n == 64;
}

struct tparse {
	const char *path;
	char err[256];
};

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct tparse *p = user;
	if (strncmp(section, "tenant ", 7) || !section[7]) {
		snprintf(p->err, sizeof(p->err), "[%s]: sections are [tenant NAME]", section);
		return 0;
	}
	const char *tn = section + 7;
	struct tenant *t = NULL;
	for (unsigned i = 0; i < ntenants; i++)
		if (!strcmp(tenants[i].name, tn))
			t = &tenants[i];
	if (!t) {
		if (ntenants == MAX_TENANTS || strlen(tn) >= sizeof(t->name)) {
			snprintf(p->err, sizeof(p->err), "[tenant %s]: too many tenants, or the name is too long", tn);
			return 0;
		}
		t = &tenants[ntenants++];
		snprintf(t->name, sizeof(t->name), "%s", tn);
		t->ctl = -1;
		t->max_conns = 64;
		pthread_mutex_init(&t->lock, NULL);
	}
	if (!strcmp(name, "certificate")) {
		if (!parse_fingerprint(value, t->fingerprint)) {
			snprintf(p->err, sizeof(p->err), "[tenant %s] certificate: expected a SHA-256 fingerprint", tn);
			return 0;
		}
	} else if (!strcmp(name, "policy")) {
		if (strlen(value) >= sizeof(t->policy)) {
			snprintf(p->err, sizeof(p->err), "[tenant %s] policy: path too long", tn);
			return 0;
		}
		snprintf(t->policy, sizeof(t->policy), "%s", value);
	} else if (!strcmp(name, "connections")) {
		char *end;
		unsigned long n = strtoul(value, &end, 10);
		if (*end || n < 1 || n > 4096) {
			snprintf(p->err, sizeof(p->err), "[tenant %s] connections: expected 1..4096", tn);
			return 0;
		}
		t->max_conns = (unsigned)n;
	} else {
		snprintf(p->err, sizeof(p->err), "[tenant %s]: unknown key '%s' (certificate, policy, connections)", tn,
			 name);
		return 0;
	}
	return 1;
}

static int load_tenants(const char *path)
{
	struct tparse p = { .path = path };
	int r = ini_parse(path, on_ini, &p);
	if (r) {
		fprintf(stderr, "vtee-served: %s:%d: %s\n", path, r > 0 ? r : 0,
			p.err[0] ? p.err : r < 0 ? "cannot read" : "syntax error");
		return -1;
	}
	for (unsigned i = 0; i < ntenants; i++) {
		if (!tenants[i].fingerprint[0]) {
			fprintf(stderr, "vtee-served: %s: [tenant %s] has no certificate\n", path, tenants[i].name);
			return -1;
		}
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(tenants[i].fingerprint, tenants[j].fingerprint)) {
				fprintf(stderr, "vtee-served: %s: tenants %s and %s have the same certificate\n", path,
					tenants[j].name, tenants[i].name);
				return -1;
			}
	}
	if (!ntenants) {
		fprintf(stderr, "vtee-served: %s: no [tenant NAME] sections\n", path);
		return -1;
	}
	return 0;
}

/* ---- each tenant's TEE process ---- */

/* t->lock held. Its vtee-tee, started now if there is none (or it died). */
static int tenant_tee(struct tenant *t)
{
	if (t->ctl >= 0 && waitpid(t->pid, NULL, WNOHANG) == 0)
		return 0;
	if (t->ctl >= 0) {
		logmsg("tenant %s: its TEE process had ended (its sessions with it): starting another", t->name);
		close(t->ctl);
		t->ctl = -1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	const char *argv[12] = { tee_path, "--ctl-fd", "3", "--ephemeral" };
	int n = 4;
	if (tee_backend) {
		argv[n++] = "--backend";
		argv[n++] = tee_backend;
	}
	if (tee_options) {
		argv[n++] = "--options";
		argv[n++] = tee_options;
	}
	if (t->policy[0]) {
		argv[n++] = "--policy";
		argv[n++] = t->policy;
	}
	argv[n] = NULL;
	int e = posix_spawnp(&t->pid, tee_path, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (e) {
		close(sv[0]);
		logmsg("tenant %s: starting %s: %s", t->name, tee_path, strerror(e));
		return -e;
	}
	t->ctl = sv[0];
	logmsg("tenant %s: TEE process %d%s%s", t->name, (int)t->pid, t->policy[0] ? ", policy " : "", t->policy);
	return 0;
}

/* Hand one end of a new socketpair to the tenant's vtee-tee; the other end is ours. */
static int tenant_connect(struct tenant *t, int *mine)
{
	pthread_mutex_lock(&t->lock);
	int r = tenant_tee(t);
	int sv[2] = { -1, -1 };
	if (!r && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		r = -errno;
	if (!r) {
		char byte = 'C';
		struct iovec iov = { &byte, 1 };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} cm;
		memset(&cm, 0, sizeof(cm));
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
		if (sendmsg(t->ctl, &m, MSG_NOSIGNAL) != 1)
			r = -errno;
		close(sv[1]);
		if (r)
			close(sv[0]);
		else
			t->connections++;
	}
	pthread_mutex_unlock(&t->lock);
	*mine = sv[0];
	return r;
}

/* ---- connections ---- */

/* A new channel on a tenant's connection: a new link stream to its vtee-tee. */
static int channel_open(void *ctx, uint32_t channel)
{
	struct tenant *t = ctx;
	int local, r = tenant_connect(t, &local);
	if (r) {
		logmsg("tenant %s: channel %u: no TEE: %s", t->name, channel, strerror(-r));
		return r;
	}
	return local;
}

struct conn {
	int fd;
	char peer[80];
};

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	char err[384], fp[65], subject[256] = "";
	SSL *ssl = SSL_new(ctx);
	struct timeval tv = { .tv_sec = HANDSHAKE_MS / 1000 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!ssl || !SSL_set_fd(ssl, c->fd) || SSL_accept(ssl) != 1) {
		vtee_tls_error(err, sizeof(err), "TLS handshake");
		logmsg("%s: refused: %s", c->peer, err);
		goto out;
	}
	struct timeval none = { 0 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	if (vtee_tls_peer_fingerprint(ssl, fp, subject, sizeof(subject))) {
		logmsg("%s: refused: no client certificate", c->peer);
		goto out;
	}
	struct tenant *t = NULL;
	for (unsigned i = 0; i < ntenants && !t; i++)
		if (!strcmp(tenants[i].fingerprint, fp))
			t = &tenants[i];
	if (!t) {
		logmsg("%s: refused: certificate %s (%s) is no tenant's", c->peer, fp, subject);
		goto out;
	}
	pthread_mutex_lock(&t->lock);
	bool room = t->conns < t->max_conns;
	t->conns += room;
	pthread_mutex_unlock(&t->lock);
	if (!room) {
		logmsg("%s: tenant %s: refused: it has its %u connections open already", c->peer, t->name,
		       t->max_conns);
		goto out;
	}
	logmsg("%s: tenant %s (%s): connected", c->peer, t->name, subject);
	/* each channel the client opens is one VM's link stream, served by the tenant's vtee-tee */
	struct mux m;
	if (mux_init(&m, ssl)) {
		logmsg("%s: out of resources", c->peer);
		pthread_mutex_lock(&t->lock);
		t->conns--;
		pthread_mutex_unlock(&t->lock);
		goto out;
	}
	m.on_open = channel_open;
	m.ctx = t;
	mux_run(&m);
	mux_destroy(&m);
	pthread_mutex_lock(&t->lock);
	t->conns--;
	pthread_mutex_unlock(&t->lock);
	logmsg("%s: tenant %s: disconnected", c->peer, t->name);
out:
	if (ssl)
		SSL_free(ssl);
	close(c->fd);
	free(c);
	return NULL;
}

static int listen_on(const char *spec)
{
	char host[256], port[16];
	const char *colon = strrchr(spec, ':');
	const char *h = spec;
	size_t hl = colon ? (size_t)(colon - spec) : 0;
	if (hl && spec[0] == '[' && spec[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (!colon || hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port) || !colon[1]) {
		fprintf(stderr, "vtee-served: --listen %s: expected HOST:PORT\n", spec);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int g = getaddrinfo(hl ? host : NULL, port, &hints, &res);
	if (g) {
		fprintf(stderr, "vtee-served: --listen %s: %s\n", spec, gai_strerror(g));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		int one = 1;
		if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
				bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 64))) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "vtee-served: --listen %s: %s\n", spec, strerror(errno));
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtee-served --listen HOST:PORT --ca FILE --cert FILE --key FILE --tenants FILE\n"
		"                   [--vtee-tee PATH] [--backend NAME] [--backend-options S] [--timeout-ms N]\n"
		"Serve TEEs to remote mediators (the \"remote\" back-end) over TLS 1.3 with mutual\n"
		"certificate authentication; each client certificate is a tenant's (docs/remote.md).\n"
		"  --listen HOST:PORT  where to listen (HOST empty: every address)\n"
		"  --ca FILE           the CA that signs client certificates\n"
		"  --cert, --key FILE  this server's certificate and key\n"
		"  --tenants FILE      [tenant NAME] sections: certificate = SHA-256 fingerprint of\n"
		"                      its client certificate; policy = FILE (optional: its TAs and\n"
		"                      session quota, docs/policy.md); connections = N (at most N\n"
		"                      at once, 1..4096 [64])\n"
		"  --vtee-tee PATH     the TEE process [$VTEE_TEE, else vtee-tee in PATH]\n"
		"  --backend NAME      what each tenant's vtee-tee serves [soft, the built-in TEE];\n"
		"                      teedev serves this Arm host's /dev/tee (untested remotely)\n"
		"  --backend-options S its options\n"
		"  --timeout-ms N      a silent peer breaks a connection after this long [5000]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' }, { "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },   { "key", required_argument, NULL, 'k' },
		{ "tenants", required_argument, NULL, 't' }, { "vtee-tee", required_argument, NULL, 'v' },
		{ "timeout-ms", required_argument, NULL, 'T' }, { "help", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, 'b' }, { "backend-options", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_spec = NULL, *ca = NULL, *cert = NULL, *key = NULL, *tfile = NULL;
	if (getenv("VTEE_TEE"))
		tee_path = getenv("VTEE_TEE");
	int o;
	char *end;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'l': listen_spec = optarg; break;
		case 'a': ca = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 't': tfile = optarg; break;
		case 'v': tee_path = optarg; break;
		case 'b': tee_backend = optarg; break;
		case 'o': tee_options = optarg; break;
		case 'T':
			timeout_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end || timeout_ms < 500 || timeout_ms > 600000) {
				fprintf(stderr, "vtee-served: --timeout-ms %s: expected 500..600000\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!listen_spec || !ca || !cert || !key || !tfile || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load_tenants(tfile))
		return 2;
	char err[384];
	if (vtee_tls_ctx(true, ca, cert, key, &ctx, err, sizeof(err))) {
		fprintf(stderr, "vtee-served: %s\n", err);
		return 2;
	}
	int lfd = listen_on(listen_spec);
	if (lfd < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	logmsg("listening on %s: %u tenant%s, TLS 1.3, client certificates required", listen_spec, ntenants,
	       ntenants == 1 ? "" : "s");
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
				continue;
			logmsg("accept: %s", strerror(errno));
			return 1;
		}
		vtee_tls_tcp_options(fd, timeout_ms);
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		char h[64] = "?", p[16] = "?";
		getnameinfo((struct sockaddr *)&sa, sl, h, sizeof(h), p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(c->peer, sizeof(c->peer), "%s:%s", h, p);
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &at, conn_main, c)) {
			close(fd);
			free(c);
		}
		pthread_attr_destroy(&at);
	}
}
