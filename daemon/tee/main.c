// SPDX-License-Identifier: MIT
/* vtee-tee's start (back-end, then least privilege), its main loop (supervisor, signals), its end. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#ifdef VTEE_TEE_OPENSSL
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#endif

#include "sandbox.h"
#include "tee.h"

#define MAX_FDS 64
#define MAX_TA_DIRS 16

#ifndef VTEE_TA_DIR_DEFAULT
#define VTEE_TA_DIR_DEFAULT "/usr/local/lib/vtee/ta"
#endif

struct tee_process srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.ev_fd = -1,
};

struct options {
	int fds[MAX_FDS], nfds, ctl;
	const char *backend, *options;
	const char *ta_dirs[MAX_TA_DIRS];
	int n_ta_dirs;
	struct vteed_sandbox_opts sb;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtee-tee [--fd N]... [--ctl-fd N] [--backend NAME] [--options STR]\n"
		"                [--ta-dir DIR]... [--policy FILE] [--ephemeral] [--user NAME] [--no-sandbox]\n"
		"                [--help]\n"
		"\n"
		"Serve a built-in TEE to VM mediators (vteed with the \"link\" back-end) over the\n"
		"TEE link protocol (docs/tee-link.md). Each VM's TEE state is kept by vm_id and\n"
		"outlives the mediator's connection, so a mediator killed at any instant can be\n"
		"restarted and take its VM's sessions over.\n"
		"\n"
		"  --fd N         serve the already-connected stream socket N (may be repeated)\n"
		"  --ctl-fd N     a Unix socket to the supervisor: every message on it is one byte\n"
		"                 with one connected stream socket attached (SCM_RIGHTS), served\n"
		"                 like --fd; the byte 'B' followed by a little-endian u32 vm_id\n"
		"                 binds the connection to that VM (it may ATTACH no other).\n"
		"                 The byte 'S' hands over a VM's secure storage instead\n"
		"                 (docs/tee-link.md): kept, given to the back-end when the VM\n"
		"                 is created.\n"
		"                 EOF on it means the supervisor is gone: every VM is destroyed\n"
		"                 and vtee-tee exits with status 0\n"
		"  --backend NAME the built-in back-end to serve (default \"soft\")\n"
		"  --options STR  its options (e.g. \"threads=8\" for soft)\n"
		"  --ta-dir DIR   soft: run Trusted Applications DIR/<uuid>.ta in processes of their own\n"
		"                 (may be repeated; also the policy's [ta] dirs). With none given\n"
		"                 anywhere: " VTEE_TA_DIR_DEFAULT " if it exists\n"
		"  --policy FILE  enforce a policy file's [ta] rules and [quota] sessions here,\n"
		"                 whatever the mediator does (docs/policy.md): a remote tenant's\n"
		"                 (vtee-served) limits, which its own mediator cannot lift;\n"
		"                 its [storage] max_objects/max_bytes cap the VMs' storage quota\n"
		"  --ephemeral    a VM ends when the connection that attached it ends (remote\n"
		"                 mediators: none comes back to resume it); default: it is kept\n"
		"  --user NAME    run as NAME (started as root: default \"nobody\"; root itself is\n"
		"                 refused). Not root: only the current user is accepted\n"
		"  --no-sandbox   UNSAFE, for debugging only: no seccomp filter. By default,\n"
		"                 once the back-end is open and before anything is read from a\n"
		"                 connection, vtee-tee may use only the system calls it needs\n"
		"                 to serve (docs/threat-model.md); any other kills it (SIGSYS)\n"
		"  --help         this text\n"
		"\n"
		"Without --ctl-fd, vtee-tee exits when its last connection has ended. SIGTERM,\n"
		"SIGINT and SIGHUP destroy every VM and exit with status 0. Exit status 2: bad\n"
		"arguments, or --user or the sandbox cannot be set up; 1: other errors. Logs go\n"
		"to stderr, one line per event, prefixed with \"vtee-tee[VM name]:\".\n");
}

static int parse_fd(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 1000000)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* One option; 0 to go on, else the exit status (-1: 0 after --help). */
static int parse_option(int opt, struct options *o)
{
	char err[256];
	switch (opt) {
	case 'f':
		if (o->nfds == MAX_FDS || parse_fd(optarg, &o->fds[o->nfds])) {
			fprintf(stderr, "vtee-tee: bad --fd %s\n", optarg);
			return 2;
		}
		o->nfds++;
		return 0;
	case 'c':
		if (!parse_fd(optarg, &o->ctl))
			return 0;
		fprintf(stderr, "vtee-tee: bad --ctl-fd %s\n", optarg);
		return 2;
	case 'b': o->backend = optarg; return 0;
	case 't':
		if (o->n_ta_dirs == MAX_TA_DIRS || optarg[0] != '/' || strchr(optarg, ',')) {
			fprintf(stderr, "vtee-tee: bad --ta-dir %s (absolute, no comma, at most %d)\n", optarg, MAX_TA_DIRS);
			return 2;
		}
		o->ta_dirs[o->n_ta_dirs++] = optarg;
		return 0;
	case 'o': o->options = optarg; return 0;
	case 'p':
		vteed_policy_init(&srv.policy);
		if (vteed_policy_load(&srv.policy, optarg, err, sizeof(err)) < 0) {
			fprintf(stderr, "vtee-tee: --policy: %s\n", err);
			return 2;
		}
		srv.have_policy = true;
		return 0;
	case 'e': srv.ephemeral = true; return 0;
	case 'u':
	case 'N':
	case 'P':
		return vteed_sandbox_option(&o->sb, opt, optarg, "vtee-tee") ? 2 : 0;
	case 'h': usage(stdout); return -1;
	default: usage(stderr); return 2;
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' },        { "ctl-fd", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },   { "options", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'p' },    { "ephemeral", no_argument, NULL, 'e' },
		{ "ta-dir", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },      { "no-sandbox", no_argument, NULL, 'N' },
		/* hidden: tests/daemon/test_sandbox.c */
		{ "sandbox-probe", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
	};
	*o = (struct options){ .ctl = -1, .backend = "soft" };
	int opt, rc;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if ((rc = parse_option(opt, o)))
			return rc;
	if (optind != argc || (!o->nfds && o->ctl < 0)) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/*
 * The VMs' secure storage (lib/store) uses OpenSSL, which reads its
 * configuration file and sets up its provider at first use: do it now, while
 * files can be read, rather than at a VM's first object under the sandbox
 * (where the open would kill the process). 0 or -EIO.
 */
static int crypto_preload(void)
{
#ifdef VTEE_TEE_OPENSSL
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		return -EIO;
	EVP_CIPHER *gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_KDF *hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	int r = gcm && sha && hmac && hkdf ? 0 : -EIO;
	EVP_CIPHER_free(gcm);
	EVP_MD_free(sha);
	EVP_MAC_free(hmac);
	EVP_KDF_free(hkdf);
	return r;
#else
	return 0;
#endif
}

/*
 * Least privilege from here on (sandbox.h, docs/threat-model.md): not root,
 * no filesystem, the vtee-tee allowlist. Nothing has been read from the
 * supervisor or a mediator yet. 0 to serve, else the exit status (-1: 0).
 */
static int enter_sandbox(const struct options *o)
{
	char sberr[256];
	int sbr = vteed_drop_privileges(o->sb.user ? o->sb.user : geteuid() == 0 ? "nobody" : NULL, sberr, sizeof(sberr));
	if (!sbr && !o->sb.no_sandbox)
		sbr = vteed_sandbox_enter_as(SANDBOX_VTEE_TEE, sberr, sizeof(sberr));
	if (sbr) {
		tee_log(NULL, "%s", sberr);
		return 2;
	}
	if (o->sb.no_sandbox)
		tee_log(NULL, "--no-sandbox: no seccomp filter (unsafe, for debugging only)");
	if (o->sb.probe) {
		vteed_sandbox_probe(o->sb.probe); /* the filter kills vtee-tee here unless it allows the call */
		return -1;
	}
	return 0;
}

/* Append ",ta_dir=DIR" to *opts (malloc'd, may start NULL); 0 or -ENOMEM. */
static int add_ta_dir(char **opts, const char *dir)
{
	char *n = NULL;
	if (asprintf(&n, "%s%sta_dir=%s", *opts ? *opts : "", *opts && **opts ? "," : "", dir) < 0)
		return -ENOMEM;
	free(*opts);
	*opts = n;
	return 0;
}

/*
 * The soft back-end's options with the TA directories added: --ta-dir, the
 * policy's [ta] dirs, or when none is named anywhere the installed default
 * (if there is one). The back-end starts the TA host now, before the sandbox.
 */
static int options_with_ta_dirs(const struct options *o, char **out)
{
	*out = o->options ? strdup(o->options) : NULL;
	if (o->options && !*out)
		return -ENOMEM;
	if (strcmp(o->backend, "soft"))
		return 0;
	int r = 0;
	for (int i = 0; !r && i < o->n_ta_dirs; i++)
		r = add_ta_dir(out, o->ta_dirs[i]);
	for (uint32_t i = 0; !r && srv.have_policy && i < srv.policy.n_ta_dirs; i++)
		r = add_ta_dir(out, srv.policy.ta_dirs[i]);
	bool named = *out && (!strncmp(*out, "ta_dir=", 7) || strstr(*out, ",ta_dir="));
	if (!r && !named && access(VTEE_TA_DIR_DEFAULT, R_OK | X_OK) == 0)
		r = add_ta_dir(out, VTEE_TA_DIR_DEFAULT);
	return r;
}

/*
 * The back-end this process serves, by name. This process is its core: it
 * drives the instance's ops itself, with its own VM and session tables.
 */
static int backend_open(const struct options *o)
{
	srv.ops = vtee_backend_find(o->backend);
	if (!srv.ops)
		return -ENOENT;
	char *opts;
	int r = options_with_ta_dirs(o, &opts);
	if (!r)
		r = vtee_tee_open(o->backend, opts, &srv.tee);
	free(opts);
	if (r)
		return r;
	srv.be = vtee_tee_backend_priv(srv.tee, srv.ops);
	return 0;
}

/* Serve until a signal, the supervisor's end, or (without one) the last connection's. Why, in *why. */
static int main_loop(int sfd, int ctl, const char **why)
{
	*why = "no connection left";
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { srv.ev_fd, POLLIN, 0 }, { ctl, POLLIN, 0 } };
		int n = poll(p, ctl >= 0 ? 3 : 2, 1000);
		if (n < 0 && errno != EINTR) {
			*why = strerror(errno);
			return 1;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				*why = strsignal((int)si.ssi_signo);
			return 0;
		}
		uint64_t v;
		if (p[1].revents && read(srv.ev_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: someone else read it */
		}
		bool eof = false;
		if (ctl >= 0 && p[2].revents && ctl_receive(ctl, &eof)) {
			*why = "error on the supervisor socket";
			return 1;
		}
		if (eof) {
			*why = "the supervisor is gone";
			return 0;
		}
		pthread_mutex_lock(&srv.lock);
		bool none = ctl < 0 && srv.nconns == 0;
		pthread_mutex_unlock(&srv.lock);
		if (none)
			return 0;
	}
}

/* Stop every connection, destroy every VM, wait until all is gone. The VMs destroyed. */
static unsigned shut_down(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.exiting = true;
	for (struct conn *c = srv.conns; c; c = c->next)
		conn_kick(c);
	struct tvm *all = srv.vms;
	srv.vms = NULL;
	for (struct tvm *v = all; v; v = v->next)
		v->in_table = false;
	pthread_mutex_unlock(&srv.lock);
	unsigned nvm = 0;
	while (all) {
		struct tvm *v = all;
		all = v->next;
		char name[TL_NAME_MAX];
		uint32_t id = v->vm_id;
		memcpy(name, v->name, sizeof(name));
		uint32_t closed = vm_destroy(v);
		tee_log(name, "vm %u destroyed on exit (%u sessions closed)", id, closed);
		nvm++;
	}
	pthread_mutex_lock(&srv.lock);
	while (srv.nconns)
		pthread_cond_wait(&srv.cond, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
	return nvm;
}

int main(int argc, char **argv)
{
	vtee_set_log(vtee_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* libvtee's lines on stderr */
	vteed_log_init("vtee-tee", "-");
	struct options o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;

	/* Signals: SIGTERM/SIGINT/SIGHUP through a signalfd in the main loop, blocked in every thread. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	srv.ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || srv.ev_fd < 0) {
		fprintf(stderr, "vtee-tee: signalfd/eventfd: %s\n", strerror(errno));
		return 1;
	}
	int r = backend_open(&o);
	if (r) {
		fprintf(stderr, "vtee-tee: cannot open back-end \"%s\"%s%s: %s\n", o.backend,
			o.options ? " with " : "", o.options ? o.options : "", strerror(-r));
		return 1;
	}
	if (crypto_preload())
		tee_log(NULL, "OpenSSL cannot be set up: the VMs' secure storage will fail");
	rc = enter_sandbox(&o);
	if (rc) {
		vtee_tee_close(srv.tee);
		return rc < 0 ? 0 : rc;
	}
	tee_log(NULL, "serving back-end \"%s\", protocol %u..%u", o.backend, TL_VERSION_MIN, TL_VERSION_MAX);
	for (int i = 0; i < o.nfds; i++)
		conn_start(o.fds[i], -1, 0);
	const char *why;
	int status = main_loop(sfd, o.ctl, &why);
	unsigned nvm = shut_down();
	vtee_tee_close(srv.tee);
	storage_free_all();
	tee_log(NULL, "exiting: %s (%u VMs destroyed)", why, nvm);
	if (o.ctl >= 0)
		close(o.ctl);
	close(sfd);
	close(srv.ev_fd);
	return status;
}
