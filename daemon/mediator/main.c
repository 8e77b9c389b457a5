// SPDX-License-Identifier: MIT
/*
 * vteed's start: arguments, the control socket, then everything that needs
 * the file system or new sockets (policy, log, status socket), then least
 * privilege (sandbox.h), and only then the handshake and the serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sandbox.h"
#include "vteed.h"

#define HELLO_TIMEOUT_S 10

struct options {
	const char *path, *user, *probe, *policy, *log;
	int sock;
	bool no_sandbox, no_status;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vteed (--socket PATH | --fd N) [--policy FILE] [--log stderr|syslog]\n"
		"             [--user NAME] [--no-sandbox] [--no-status] [--echo] [--help]\n"
		"\n"
		"Serve one virtual machine's TEE (OP-TEE SMC ABI) for one VMM, out of the VMM's\n"
		"process. The VMM describes the VM in a HELLO message (docs/vteed-protocol.md)\n"
		"and passes the VM's RAM fds and an SMC mailbox memfd; vteed maps only those.\n"
		"\n"
		"  --socket PATH  listen on a Unix stream socket at PATH (created; must not\n"
		"                 exist), accept exactly one VMM connection, then remove PATH\n"
		"  --fd N         use the already-connected Unix stream socket N (how a VMM\n"
		"                 supervisor spawns vteed; see vteed_spawn() in libvteed)\n"
		"  --policy FILE  the VM's policy (docs/policy.md): back-end, which TAs it may\n"
		"                 open, quotas (the stricter of the policy and the VMM's HELLO\n"
		"                 wins), time slice, logging. Read once, before the sandbox\n"
		"  --log TARGET   stderr (default) or syslog (/dev/log: journald or rsyslog);\n"
		"                 overrides the policy's [log] target\n"
		"  --no-status    no status socket (by default vteed answers `vtee status` on\n"
		"                 the abstract socket @vtee-status/PID, for its user and root)\n"
		"  --user NAME    run as NAME, or UID:GID (started as root: default \"nobody\"; root is\n"
		"                 refused). Not root: only the current user is accepted\n"
		"  --no-sandbox   UNSAFE, for debugging only: no seccomp filter. By default,\n"
		"                 once its control socket is set up, vteed may use only the\n"
		"                 system calls it needs (no files, no new processes or sockets;\n"
		"                 anything else kills it with SIGSYS; docs/threat-model.md)\n"
		"  --echo         debug/benchmark: answer every SMC with its own registers,\n"
		"                 without a TEE (measures the bare mailbox round trip)\n"
		"  --help         this text\n"
		"\n"
		"vteed exits when its VMM says GOODBYE or disconnects (status 0), on SIGTERM or\n"
		"SIGINT after telling the VMM STOP (status 0), and with status 2 when the handshake\n"
		"fails (the VMM gets an ERROR reply with an errno and a message first) or --user\n"
		"or the sandbox or the policy cannot be set up, 1 on other errors. Every log line\n"
		"carries the VM's name; denied OPEN_SESSIONs are logged (policy [log] denials).\n"
		"A supervisor (vteed_start() in libvteed) restarts a vteed that dies;\n"
		"the guest keeps its sessions (docs/recovery.md).\n");
}

/* 0: go on; else the exit status (after --help: 0 and *done). */
static int parse_args(int argc, char **argv, struct options *o, bool *done)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },  { "fd", required_argument, NULL, 'f' },
		{ "echo", no_argument, NULL, 'e' },          { "user", required_argument, NULL, 'u' },
		{ "policy", required_argument, NULL, 'p' },  { "log", required_argument, NULL, 'l' },
		{ "no-status", no_argument, NULL, 'S' },     { "no-sandbox", no_argument, NULL, 'N' },
		/* hidden: tests/daemon/test_sandbox.c */
		{ "sandbox-probe", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	*o = (struct options){ .sock = -1 };
	*done = false;
	int c;
	char *end;
	long v;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->path = optarg; break;
		case 'f':
			v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > INT_MAX) {
				fprintf(stderr, "vteed: bad --fd %s\n", optarg);
				return 1;
			}
			o->sock = (int)v;
			break;
		case 'e': med.echo = true; break;
		case 'u': o->user = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'l':
			if (strcmp(optarg, "stderr") && strcmp(optarg, "syslog")) {
				fprintf(stderr, "vteed: --log must be stderr or syslog\n");
				return 1;
			}
			o->log = optarg;
			break;
		case 'S': o->no_status = true; break;
		case 'N': o->no_sandbox = true; break;
		case 'P':
			if (!vteed_sandbox_probe_known(optarg)) {
				fprintf(stderr, "vteed: unknown --sandbox-probe %s\n", optarg);
				return 1;
			}
			o->probe = optarg;
			break;
		case 'h': usage(stdout); *done = true; return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc || (o->path != NULL) == (o->sock >= 0)) {
		usage(stderr);
		return 1;
	}
	return 0;
}

/* --socket PATH: listen there, accept one VMM, remove PATH. The connection or -1. */
static int listen_accept(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		vteed_log(VLOG_INFO, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0) {
		vteed_log(VLOG_INFO, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		vteed_log(VLOG_INFO, "bind/listen %s: %s", path, strerror(errno));
		close(ls);
		return -1;
	}
	int s;
	do
		s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	while (s < 0 && errno == EINTR);
	if (s < 0)
		vteed_log(VLOG_INFO, "accept: %s", strerror(errno));
	close(ls);
	unlink(path);
	return s;
}

/* The control socket (--fd or --socket), and nothing else the spawner leaked. -1 on failure. */
static int control_socket(const struct options *o)
{
	int sock = o->sock;
	if (sock >= 0) {
		int type;
		socklen_t tl = sizeof(type);
		if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM) {
			vteed_log(VLOG_INFO, "--fd %d is not a stream socket", sock);
			return -1;
		}
		fcntl(sock, F_SETFD, FD_CLOEXEC);
	} else if ((sock = listen_accept(o->path)) < 0) {
		return -1;
	}
	/* Hold only stdio and the control socket (then what HELLO brings). */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);
	return sock;
}

static void log_denied(void *ctx, const struct vtee_uuid *ta)
{
	(void)ctx;
	char u[VTEED_UUID_STRLEN];
	vteed_uuid_format(ta, u);
	vteed_log(VLOG_WARNING, "policy: OPEN_SESSION of TA %s denied (TEE_ERROR_ACCESS_DENIED)", u);
}

/* libvtee's lines (back-end warnings) join vteed's own, with the VM's name */
static void log_from_lib(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	vteed_log((enum vteed_log_prio)level, "%s", line);
}

/* The policy and the log, before the sandbox. 0, or vteed's exit status. */
static int load_policy_and_log(const struct options *o)
{
	if (o->policy) {
		char perr[256];
		if (vteed_policy_load(&med.policy, o->policy, perr, sizeof(perr))) {
			vteed_log(VLOG_INFO, "policy: %s", perr);
			return 2;
		}
	}
	med.policy.on_denied = log_denied;
	bool to_syslog = o->log ? !strcmp(o->log, "syslog") : med.policy.log_target == VTEED_LOG_SYSLOG;
	static const enum vteed_log_prio prio_of[] = { [VTEED_LOG_ERROR] = VLOG_ERR,
		[VTEED_LOG_WARNING] = VLOG_WARNING, [VTEED_LOG_INFO] = VLOG_INFO, [VTEED_LOG_DEBUG] = VLOG_DEBUG };
	int lr = vteed_log_open(to_syslog, prio_of[med.policy.log_level]);
	vtee_set_log(log_from_lib, NULL);
	if (lr)
		vteed_log(VLOG_INFO, "syslog: %s; logging to stderr", strerror(-lr));
	return 0;
}

/* Least privilege from here on (sandbox.h, docs/threat-model.md): not root, no filesystem. 0 or 2. */
static int enter_sandbox(const struct options *o)
{
	char sberr[256];
	int sbr = vteed_drop_privileges(o->user ? o->user : geteuid() == 0 ? "nobody" : NULL, sberr, sizeof(sberr));
	if (!sbr) {
		status_set_uid(geteuid()); /* its user, besides root, may ask for status */
		if (!o->no_sandbox)
			sbr = vteed_sandbox_enter(sberr, sizeof(sberr));
	}
	if (sbr) {
		vteed_log(VLOG_INFO, "%s", sberr);
		return 2;
	}
	if (o->no_sandbox)
		vteed_log(VLOG_INFO, "--no-sandbox: no seccomp filter (unsafe, for debugging only)");
	if (o->probe) {
		vteed_sandbox_probe(o->probe); /* the filter kills vteed here unless it allows the call */
		exit(0);
	}
	return 0;
}

/* HELLO, the VM set up, WELCOME. 0, or 2 after an ERROR reply (what HELLO brought closed). */
static int handshake(int sock, int *fds, unsigned *nfds)
{
	struct timeval tv = { .tv_sec = HELLO_TIMEOUT_S };
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char why[VTEED_MSG_MAX];
	int err = hello_receive(sock, &med.hello, fds, nfds, why, sizeof(why));
	if (!err)
		err = mediator_setup(&med.hello, fds, *nfds, why, sizeof(why));
	if (err) {
		reply_send(sock, VTEED_MSG_ERROR, err, 0, "%s", why);
		return 2;
	}
	tv.tv_sec = 0;
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	med.proto_version = med.hello.hdr.version;
	reply_send(sock, VTEED_MSG_WELCOME, 0, med.hello.nslots, "vteed %u serving VM %u", med.proto_version,
		   med.hello.vm_id);
	vteed_log(VLOG_INFO, "serving VM %u: %u vCPU slots, %u RAM regions%s", med.hello.vm_id, med.hello.nslots,
		  med.nram, med.echo ? " (echo mode)" : "");
	return 0;
}

static void close_fds(int *fds, unsigned nfds)
{
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int main(int argc, char **argv)
{
	struct options o;
	bool done;
	med.start_ns = mediator_now_ns();
	med.proto_version = VTEED_VERSION;
	vteed_log_init("vteed", "?");
	vteed_policy_init(&med.policy);
	int rc = parse_args(argc, argv, &o, &done);
	if (rc || done)
		return rc;
	int sock = control_socket(&o);
	if (sock < 0)
		return 1;

	/* SIGTERM/SIGINT through a signalfd, so the control loop can tell the VMM STOP. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC);

	/* Everything that needs the file system or new sockets happens before the sandbox. */
	int status_fd = -1;
	rc = load_policy_and_log(&o);
	if (!rc && !o.no_status && (status_fd = status_listen()) < 0)
		vteed_log(VLOG_INFO, "status socket: %s; `vtee status` will not see this VM", strerror(-status_fd));
	if (!rc)
		rc = enter_sandbox(&o);
	int fds[VTEED_MAX_FDS];
	unsigned nfds = 0;
	if (!rc)
		rc = handshake(sock, fds, &nfds);
	struct control_end end = { .rc = rc };
	if (!rc)
		control_loop(sock, sfd, status_fd, &end);
	if (end.signal)
		reply_hdr(sock, VTEED_MSG_STOP);
	mediator_teardown();
	if (end.goodbye)
		reply_hdr(sock, VTEED_MSG_BYE);
	close_fds(fds, nfds);
	close(sock);
	if (sfd >= 0)
		close(sfd);
	if (!rc)
		vteed_log(VLOG_INFO, "exit %d", end.rc);
	return end.rc;
}
