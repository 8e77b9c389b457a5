// SPDX-License-Identifier: MIT
/*
 * `vtee run`: the options, into a struct launch_options for the board
 * launcher (board/launch.h), which does the rest. Built when libfdt is there.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef VTEE_HAVE_BOARD
#include "launch.h"
#include "policy.h"
#endif
#include "vtee_cmd.h"

#ifdef VTEE_HAVE_BOARD
/* HOST[:GUEST]: GUEST is what follows the last ':' that starts an absolute path. a->guest is malloc'd. */
static int parse_add(char *s, struct launch_add *a)
{
	char *sep = NULL;
	for (char *p = strchr(s, ':'); p; p = strchr(p + 1, ':'))
		if (p[1] == '/')
			sep = p;
	char *g;
	if (sep) {
		*sep = 0;
		g = strdup(sep + 1);
	} else {
		const char *base = strrchr(s, '/');
		base = base ? base + 1 : s;
		g = malloc(strlen(base) + 7);
		if (g)
			sprintf(g, "/root/%s", base);
	}
	a->host = s;
	a->guest = g;
	return g ? 0 : -ENOMEM;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xffffffffu)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static const struct option run_opts[] = {
	{ "script", required_argument, NULL, 's' },
	{ "add", required_argument, NULL, 'a' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "smp", required_argument, NULL, 'p' },
	{ "mem", required_argument, NULL, 'm' },
	{ "no-virt", no_argument, NULL, 'V' },
	{ "no-rpc-arg", no_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 't' },
	{ "append", required_argument, NULL, 'A' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "firmware", required_argument, NULL, 'f' },
	{ "cache", required_argument, NULL, 'c' },
	{ "expect-clean", no_argument, NULL, 'E' },
	{ "vteed", no_argument, NULL, 'D' },
	{ "in-process", no_argument, NULL, 'I' },
	{ "policy", required_argument, NULL, 'P' },
	{ "export", required_argument, NULL, 'X' },
	{ "ta-dir", required_argument, NULL, 'T' },
	{ "state", required_argument, NULL, 'S' },
	{ "host-key", required_argument, NULL, 'K' },
	{ "no-state", no_argument, NULL, 'N' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* --ta-dir DIR: absolute, no comma (the back-end's options are comma-separated); dirs has room for every argument. */
static int add_ta_dir(const char *dir, const char **dirs)
{
	if (dir[0] != '/' || strchr(dir, ','))
		return -EINVAL;
	size_t n = 0;
	while (dirs[n])
		n++;
	dirs[n] = dir;
	return 0;
}

/* --no-state came after any --state (the last of the two wins) */
static bool no_state;

/* Option c (its argument in optarg) into o; adds and dirs have room for every argument. 0, -EINVAL or -ENOMEM. */
static int run_option(int c, struct launch_options *o, struct launch_add *adds, const char **dirs)
{
	switch (c) {
	case 's': o->script = optarg; return 0;
	case 'a': return parse_add(optarg, &adds[o->nadds++]);
	case 'k': o->kernel = optarg; return 0;
	case 'p': return parse_uint(optarg, &o->smp);
	case 'm': return parse_uint(optarg, &o->mem_mib);
	case 'V': o->no_virt = true; return 0;
	case 'n': o->no_rpc_arg = true; return 0;
	case 't': return parse_uint(optarg, &o->timeout_s);
	case 'A': o->append = optarg; return 0;
	case 'q': o->quiet = true; return 0;
	case 'f': o->firmware = optarg; return 0;
	case 'c': o->cache_dir = optarg; return 0;
	case 'E': o->expect_clean = true; return 0;
	case 'D': o->vteed = true; return 0;
	case 'I': o->vteed = false; return 0;
	case 'P': o->policy = optarg; return 0;
	case 'X': o->export_dir = optarg; return 0;
	case 'T': return add_ta_dir(optarg, dirs);
	case 'S': o->state_dir = optarg; no_state = false; return 0;
	case 'K': o->host_key = optarg; return 0;
	case 'N': o->state_dir = NULL; no_state = true; return 0;
	default: return -EINVAL;
	}
}

/*
 * The policy's [storage] (docs/policy.md): its dir holds the state when no
 * --state is given (<dir>/board), its quota is the VM's. 0, or -EINVAL (said why).
 */
static int policy_storage(struct launch_options *o, struct state_paths *sp, char **own_dir)
{
	if (!o->policy)
		return 0;
	struct vteed_policy *pol = malloc(sizeof(*pol));
	char err[256];
	if (!pol)
		return -ENOMEM;
	vteed_policy_init(pol);
	int e = vteed_policy_load(pol, o->policy, err, sizeof(err));
	if (e) {
		cmd_log("vtee run", "--policy: %s", err);
	} else {
		o->state_max_objects = pol->storage_max_objects;
		o->state_max_bytes = pol->storage_max_bytes;
		if (!sp->state_dir && pol->storage_dir[0] && asprintf(own_dir, "%s/board", pol->storage_dir) < 0)
			e = -ENOMEM;
		if (!e && *own_dir)
			sp->state_dir = *own_dir;
	}
	vteed_policy_free(pol);
	free(pol);
	return e ? -EINVAL : 0;
}

int run_main(int argc, char **argv)
{
	struct launch_options o = { .smp = 1, .mem_mib = 1024, .vteed = true };
	struct launch_add *adds = calloc((size_t)argc, sizeof(*adds));
	const char **dirs = calloc((size_t)argc + 1, sizeof(*dirs));
	if (!adds || !dirs) {
		free(adds);
		free(dirs);
		cmd_log("vtee", "out of memory");
		return LAUNCH_EXIT_BOARD;
	}
	o.adds = adds;
	o.ta_dirs = dirs;
	bool help = false;
	int c, e = 0;
	no_state = false;
	optind = 2;
	while (!e && !help && (c = getopt_long(argc, argv, "s:a:k:p:m:Vnt:A:qf:c:Eh", run_opts, NULL)) != -1) {
		if (c == 'h')
			help = true;
		else
			e = run_option(c, &o, adds, dirs);
	}
	if (!e && !help && (optind != argc || (o.policy && !o.vteed)))
		e = -EINVAL;
	struct state_paths sp = { .state_dir = o.state_dir, .host_key = o.host_key };
	char *policy_dir = NULL;
	if (!e && !help && !no_state)
		e = policy_storage(&o, &sp, &policy_dir);
	if (!e && !help && !no_state && (e = state_paths_fill(&sp, "board")) == 0) {
		/* the guest's objects between runs: the cache's state/board unless --state or --no-state */
		o.state_dir = sp.state_dir;
		o.anchor_dir = sp.anchor_dir;
		o.host_key = sp.host_key;
	}
	int rc = 0;
	if (help) {
		vtee_usage(stdout);
	} else if (e) {
		vtee_usage(stderr);
		rc = LAUNCH_EXIT_USAGE;
	} else {
		rc = launch_run(&o);
	}
	state_paths_free(&sp);
	free(policy_dir);
	for (size_t i = 0; i < o.nadds; i++)
		free((char *)adds[i].guest);
	free(adds);
	free(dirs);
	return rc;
}
#else
int run_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_log("vtee", "'run' was not built (needs libfdt: scripts/install-deps --board)");
	return 2;
}
#endif
