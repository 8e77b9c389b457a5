// SPDX-License-Identifier: MIT
/* vtee-ta-host's start: options, OpenSSL's configuration, the user, then the fork server (server.c). */
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "ta_host.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtee-ta-host --ctl-fd N --ta-dir DIR [--ta-dir DIR]... [--user NAME] [--no-sandbox]\n"
		"\n"
		"The TA host of vtee's built-in TEE, started by its soft back-end (option ta_dir=):\n"
		"a fork server that starts each Trusted Application instance in a process of its\n"
		"own, loaded only from DIR/<uuid>.ta, unprivileged, under rlimits from the TA's\n"
		"header and a seccomp allowlist. Not meant to be run by hand.\n"
		"\n"
		"  --ctl-fd N     the back-end's control socket (SOCK_SEQPACKET); EOF ends every instance\n"
		"  --ta-dir DIR   an absolute directory TAs are loaded from, searched in order\n"
		"  --user NAME    run as NAME (started as root: default \"nobody\"; root is refused)\n"
		"  --no-sandbox   UNSAFE, for debugging only: instances get no seccomp filter and no rlimits\n");
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

static int parse_args(int argc, char **argv, struct host_cfg *cfg, int *ctl, const char **user)
{
	static const struct option longopts[] = {
		{ "ctl-fd", required_argument, NULL, 'c' }, { "ta-dir", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },   { "no-sandbox", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse_fd(optarg, ctl))
				return 2;
			break;
		case 'd':
			if (cfg->ndirs == HOST_MAX_DIRS || optarg[0] != '/')
				return 2;
			cfg->dirs[cfg->ndirs++] = optarg;
			break;
		case 'u': *user = optarg; break;
		case 'N': cfg->no_sandbox = true; break;
		case 'h': usage(stdout); return -1;
		default: return 2;
		}
	}
	return optind == argc && *ctl >= 0 && cfg->ndirs ? 0 : 2;
}

int main(int argc, char **argv)
{
	struct host_cfg cfg = { .ndirs = 0 };
	int ctl = -1;
	const char *user = NULL;
	int rc = parse_args(argc, argv, &cfg, &ctl, &user);
	if (rc) {
		if (rc > 0)
			usage(stderr);
		return rc < 0 ? 0 : rc;
	}
	signal(SIGPIPE, SIG_IGN);
	/* OpenSSL reads its configuration (and may load providers) now, while files can be opened */
	if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS,
				 NULL)) {
		fprintf(stderr, "vtee-ta-host: OpenSSL did not initialise\n");
		return 1;
	}
	char err[256];
	if (vteed_drop_privileges(user ? user : geteuid() == 0 ? "nobody" : NULL, err, sizeof(err))) {
		fprintf(stderr, "vtee-ta-host: %s\n", err);
		return 2;
	}
	return server_run(ctl, &cfg);
}
