// SPDX-License-Identifier: MIT
/*
 * vtee-served's own hardening (daemon/server, docs/threat-model.md), on the
 * loopback, no namespace needed:
 *   - after start-up it runs in its seccomp allowlist: `--sandbox-probe
 *     getpid` returns, openat, execve, socket and ptrace kill it with SIGSYS,
 *     and without the filter (--no-sandbox) the same probes return;
 *   - serving, it has Seccomp: 2 and NoNewPrivs: 1; as root it runs as
 *     nobody, and its spawner (the one process that starts the tenants'
 *     vtee-tees) is its child;
 *   - the server's cap on connections at once (--max-connections, or the
 *     tenants file's [server] connections; the option wins): connections
 *     beyond it are closed before any TLS, the log says so once, and once
 *     one ends a tenant's TLS connection is served again.
 * usage: test_served VTEE-SERVED VTEE-TEE MKCERTS
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "tls.h"

static const char *served, *vtee_tee;
static char dir[64], log_path[96];

/* A port nobody listens on now (the kernel's choice for a socket bound to port 0). */
static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || getsockname(s, (struct sockaddr *)&sa, &sl)) {
		perror("free_port");
		exit(1);
	}
	close(s);
	return ntohs(sa.sin_port);
}

/* Start vtee-served on 127.0.0.1:port with the test certificates, tenants file and args; its stderr to log_path. */
static pid_t start_served(int port, const char *tenants, const char *const *args)
{
	char listen_spec[32], ca[96], cert[96], key[96];
	snprintf(listen_spec, sizeof(listen_spec), "127.0.0.1:%d", port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	const char *argv[24] = { served, "--listen", listen_spec, "--ca", ca, "--cert", cert, "--key", key,
				 "--tenants", tenants, "--vtee-tee", vtee_tee };
	int n = 13;
	for (int i = 0; args && args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(served, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Does the server's log hold needle, within ms? */
static bool log_has(const char *needle, int ms)
{
	for (int t = 0; t <= ms; t += 20) {
		FILE *f = fopen(log_path, "r");
		char line[1024];
		bool found = false;
		while (f && !found && fgets(line, sizeof(line), f))
			found = strstr(line, needle) != NULL;
		if (f)
			fclose(f);
		if (found)
			return true;
		usleep(20000);
	}
	fprintf(stderr, "not in the server's log: %s\n", needle);
	return false;
}

static void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int wait_status(pid_t pid)
{
	int st = -1;
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void test_probes(const char *tenants)
{
	const char *const ok[] = { "--sandbox-probe", "getpid", NULL };
	int st = wait_status(start_served(free_port(), tenants, ok));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	static const char *const forbidden[] = { "openat", "execve", "socket", "ptrace" };
	for (unsigned i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		const char *const a[] = { "--sandbox-probe", forbidden[i], NULL };
		st = wait_status(start_served(free_port(), tenants, a));
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fprintf(stderr, "vtee-served probe %s: wait status %#x, expected death by SIGSYS\n",
				forbidden[i], st);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
		/* it is the filter that kills: without it the call comes back */
		const char *const b[] = { "--no-sandbox", "--sandbox-probe", forbidden[i], NULL };
		st = wait_status(start_served(free_port(), tenants, b));
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* The value of a /proc/PID/status field ("Seccomp:"), or -1. */
static long proc_status(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = strtol(line + strlen(field), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* Its one child: the spawner. */
static pid_t child_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	long c = -1;
	if (f && fscanf(f, "%ld", &c) != 1)
		c = -1;
	if (f)
		fclose(f);
	return (pid_t)c;
}

static void test_privileges(pid_t pid)
{
	CHECK_EQ(proc_status(pid, "Seccomp:"), 2);
	CHECK_EQ(proc_status(pid, "NoNewPrivs:"), 1);
	pid_t sp = child_of(pid);
	CHECK(sp > 0);
	if (geteuid() != 0) {
		printf("not root: the switch to nobody is not checked\n");
		return;
	}
	struct passwd *pw = getpwnam("nobody");
	CHECK(pw != NULL);
	if (pw)
		CHECK_EQ(proc_status(pid, "Uid:"), pw->pw_uid);
	/* the spawner keeps what vtee-served started with: vtee-tee starts as it did */
	if (sp > 0)
		CHECK_EQ(proc_status(sp, "Uid:"), 0);
}

static int tcp_connect(int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		close(s);
		s = -1;
	}
	return s;
}

/* Did the server close the connection (EOF or reset) within ms, without a byte of TLS? */
static bool closed_by_server(int s, int ms)
{
	struct pollfd pf = { s, POLLIN, 0 };
	if (poll(&pf, 1, ms) != 1)
		return false;
	char b;
	ssize_t n = recv(s, &b, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* A tenant's TLS connection (alice's certificate); the server says it connected. Closes it again. */
static bool tenant_connects(int port)
{
	char ca[96], cert[96], key[96], err[256];
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/alice.pem", dir);
	snprintf(key, sizeof(key), "%s/alice.key", dir);
	SSL_CTX *ctx = NULL;
	if (vtee_tls_ctx(false, ca, cert, key, &ctx, err, sizeof(err)))
		ctx = NULL;
	int s = tcp_connect(port);
	SSL *ssl = ctx && s >= 0 ? SSL_new(ctx) : NULL;
	bool ok = ssl && SSL_set_fd(ssl, s) && SSL_connect(ssl) == 1;
	if (!ok)
		fprintf(stderr, "TLS to vtee-served failed: %s\n", ctx ? "handshake" : err);
	ok = ok && log_has("tenant alice (", 5000); /* "tenant alice (SUBJECT): connected" */
	if (ssl)
		SSL_free(ssl);
	if (s >= 0)
		close(s);
	SSL_CTX_free(ctx);
	return ok;
}

/* cap connections at once: the next is closed before TLS; once one ends, a tenant's is served. */
static void check_cap(int port, unsigned cap)
{
	int held[8];
	for (unsigned i = 0; i < cap; i++)
		held[i] = tcp_connect(port);
	int over = tcp_connect(port);
	CHECK(over >= 0 && closed_by_server(over, 3000));
	char want[96];
	snprintf(want, sizeof(want), "at its cap of %u connections at once", cap);
	CHECK(log_has(want, 2000));
	/* the ones within the cap are still open (waiting in their TLS handshake) */
	for (unsigned i = 0; i < cap; i++)
		CHECK(held[i] >= 0 && !closed_by_server(held[i], 100));
	close(over);
	close(held[0]);
	snprintf(want, sizeof(want), "below the cap of %u connections again (1 refused meanwhile)", cap);
	CHECK(log_has(want, 3000));
	CHECK(tenant_connects(port));
	for (unsigned i = 1; i < cap; i++)
		close(held[i]);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: test_served VTEE-SERVED VTEE-TEE MKCERTS\n");
		return 2;
	}
	served = argv[1];
	vtee_tee = argv[2];
	snprintf(dir, sizeof(dir), "/tmp/vtee-served-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(log_path, sizeof(log_path), "%s/served.log", dir);
	char cmd[512], tenants[96], capped[96];
	snprintf(cmd, sizeof(cmd), "'%s' '%s'", argv[3], dir);
	REQUIRE(system(cmd) == 0);
	snprintf(tenants, sizeof(tenants), "%s/tenants.ini", dir);
	snprintf(capped, sizeof(capped), "%s/capped.ini", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && printf '\\n[server]\\nconnections = 1\\n' >>'%s'", tenants, capped,
		 capped);
	REQUIRE(system(cmd) == 0);

	test_probes(tenants);

	/* the option */
	int port = free_port();
	pid_t pid = start_served(port, tenants, (const char *const[]){ "--max-connections", "2", NULL });
	REQUIRE(log_has("at most 2 connections", 5000));
	test_privileges(pid);
	check_cap(port, 2);
	stop(pid);

	/* the tenants file's [server] connections, and the option over it */
	port = free_port();
	pid = start_served(port, capped, NULL);
	CHECK(log_has("at most 1 connections", 5000));
	check_cap(port, 1);
	stop(pid);
	pid = start_served(free_port(), capped, (const char *const[]){ "--max-connections", "3", NULL });
	CHECK(log_has("at most 3 connections", 5000));
	stop(pid);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_report();
}
