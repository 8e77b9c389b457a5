// SPDX-License-Identifier: MIT
/*
 * vtee-served's start: arguments, the tenants, the spawner (forked first),
 * TLS and the listening socket, then least privilege and the seccomp
 * allowlist; then the accept loop.
 *
 * usage: vtee-served --listen HOST:PORT --ca FILE --cert FILE --key FILE --tenants FILE
 *                    [--vtee-tee PATH] [--backend NAME] [--backend-options S] [--timeout-ms N]
 *                    [--max-connections N] [--user NAME] [--no-sandbox]
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox.h"
#include "served.h"
#include "tls.h"

struct served srv = {
	.tee_path = "vtee-tee",
	.timeout_ms = 5000,
	.spawner = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

struct options {
	const char *listen, *ca, *cert, *key, *tenants;
	unsigned max_conns; /* 0: the tenants file's [server] connections, or the default */
	struct vteed_sandbox_opts sb;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtee-served --listen HOST:PORT --ca FILE --cert FILE --key FILE --tenants FILE\n"
		"                   [--vtee-tee PATH] [--backend NAME] [--backend-options S] [--timeout-ms N]\n"
		"                   [--max-connections N] [--user NAME] [--no-sandbox]\n"
		"Serve TEEs to remote mediators (the \"remote\" back-end) over TLS 1.3 with mutual\n"
		"certificate authentication; each client certificate is a tenant's (docs/remote.md).\n"
		"  --listen HOST:PORT  where to listen (HOST empty: every address)\n"
		"  --ca FILE           the CA that signs client certificates\n"
		"  --cert, --key FILE  this server's certificate and key\n"
		"  --tenants FILE      [tenant NAME] sections: certificate = SHA-256 fingerprint of\n"
		"                      its client certificate; policy = FILE (optional: its TAs and\n"
		"                      session quota, docs/policy.md); connections = N (at most N\n"
		"                      at once, 1..4096 [64]). [server] connections = N: at most N\n"
		"                      connections at once in all, authenticated or not [256]\n"
		"  --vtee-tee PATH     the TEE process [$VTEE_TEE, else vtee-tee in PATH]\n"
		"  --backend NAME      what each tenant's vtee-tee serves [soft, the built-in TEE];\n"
		"                      teedev serves this Arm host's /dev/tee (untested remotely)\n"
		"  --backend-options S its options\n"
		"  --timeout-ms N      a silent peer breaks a connection after this long [5000]\n"
		"  --max-connections N at most N connections at once in all (1..4096; overrides\n"
		"                      [server] connections) [256]\n"
		"  --user NAME         run as NAME, or UID:GID, once started (as root: default\n"
		"                      \"nobody\"; root is refused). Not root: only the current user\n"
		"  --no-sandbox        UNSAFE, for debugging only: no seccomp filter\n"
		"                      (docs/threat-model.md)\n");
}

static int parse_number(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || end == s || v < lo || v > hi) {
		fprintf(stderr, "vtee-served: %s %s: expected %u..%u\n", opt, s, lo, hi);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* One option; 0 to go on, else the exit status (-1: 0 after --help). */
static int parse_option(int opt, struct options *o)
{
	switch (opt) {
	case 'l': o->listen = optarg; return 0;
	case 'a': o->ca = optarg; return 0;
	case 'c': o->cert = optarg; return 0;
	case 'k': o->key = optarg; return 0;
	case 't': o->tenants = optarg; return 0;
	case 'v': srv.tee_path = optarg; return 0;
	case 'b': srv.tee_backend = optarg; return 0;
	case 'o': srv.tee_options = optarg; return 0;
	case 'T': return parse_number("--timeout-ms", optarg, 500, 600000, &srv.timeout_ms) ? 2 : 0;
	case 'm': return parse_number("--max-connections", optarg, 1, MAX_CONNS_LIMIT, &o->max_conns) ? 2 : 0;
	case 'u':
	case 'N':
	case 'P':
		return vteed_sandbox_option(&o->sb, opt, optarg, "vtee-served") ? 2 : 0;
	case 'h': usage(stdout); return -1;
	default: usage(stderr); return 2;
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },     { "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },       { "key", required_argument, NULL, 'k' },
		{ "tenants", required_argument, NULL, 't' },    { "vtee-tee", required_argument, NULL, 'v' },
		{ "timeout-ms", required_argument, NULL, 'T' }, { "help", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, 'b' },    { "backend-options", required_argument, NULL, 'o' },
		{ "max-connections", required_argument, NULL, 'm' }, { "user", required_argument, NULL, 'u' },
		{ "no-sandbox", no_argument, NULL, 'N' },
		/* hidden: tests/remote/test_served.c */
		{ "sandbox-probe", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct options){ 0 };
	if (getenv("VTEE_TEE"))
		srv.tee_path = getenv("VTEE_TEE");
	int opt, rc;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1)
		if ((rc = parse_option(opt, o)))
			return rc;
	if (!o->listen || !o->ca || !o->cert || !o->key || !o->tenants || optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* Bind and listen on HOST:PORT; the socket or -errno (the reason logged). */
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
		served_log("--listen %s: expected HOST:PORT", spec);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int g = getaddrinfo(hl ? host : NULL, port, &hints, &res);
	if (g) {
		served_log("--listen %s: %s", spec, gai_strerror(g));
		return -EINVAL;
	}
	int fd = -1, err = -EADDRNOTAVAIL;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		int one = 1;
		if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
				bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 64))) {
			err = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		served_log("--listen %s: %s", spec, strerror(-err));
	return fd < 0 ? err : fd;
}

/* Everything that needs files, privileges or new processes: the spawner, TLS, the socket. fd or -errno. */
static int start_up(const struct options *o)
{
	char err[384];
	unsigned file_cap = 0;
	int r = tenants_load(o->tenants, &file_cap, err, sizeof(err));
	if (r) {
		served_log("%s", err);
		return r;
	}
	srv.max_conns = o->max_conns ? o->max_conns : file_cap ? file_cap : DEFAULT_SERVER_CONNS;
	/* first, while this process holds no key and runs no thread */
	r = spawner_start();
	if (r) {
		served_log("the spawner: %s", strerror(-r));
		return r;
	}
	r = vtee_tls_ctx(true, o->ca, o->cert, o->key, &srv.ctx, err, sizeof(err));
	if (r) {
		served_log("%s", err);
		return r;
	}
	return listen_on(o->listen);
}

/* Least privilege from here on (sandbox.h, docs/threat-model.md). 0, else the exit status (-1: 0). */
static int enter_sandbox(const struct options *o)
{
	char sberr[256];
	int r = vteed_drop_privileges(o->sb.user ? o->sb.user : geteuid() == 0 ? "nobody" : NULL, sberr, sizeof(sberr));
	if (!r && !o->sb.no_sandbox)
		r = vteed_sandbox_enter_as(SANDBOX_VTEE_SERVED, sberr, sizeof(sberr));
	if (r) {
		served_log("%s", sberr);
		return 2;
	}
	if (o->sb.no_sandbox)
		served_log("--no-sandbox: no seccomp filter (unsafe, for debugging only)");
	if (o->sb.probe) {
		vteed_sandbox_probe(o->sb.probe); /* the filter kills vtee-served here unless it allows the call */
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	vteed_log_init("vtee-served", NULL);
	struct options o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	signal(SIGPIPE, SIG_IGN);
	int lfd = start_up(&o);
	if (lfd < 0)
		return 2;
	rc = enter_sandbox(&o);
	if (rc)
		return rc < 0 ? 0 : rc;
	served_log("listening on %s: %u tenant%s, TLS 1.3, client certificates required, at most %u connections",
		   o.listen, srv.ntenants, srv.ntenants == 1 ? "" : "s", srv.max_conns);
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_accepted(fd, &sa, sl);
		} else if (errno != EINTR && errno != ECONNABORTED && errno != EMFILE && errno != ENFILE) {
			served_log("accept: %s", strerror(errno));
			return 1;
		}
	}
}
