// SPDX-License-Identifier: MIT
/*
 * `vtee run`'s options (tools/vtee/run.c) as the board launcher gets them:
 * the secure storage's defaults (the cache's state/board, anchors/ and
 * host.key; $CREDENTIALS_DIRECTORY's key), --state, --host-key and
 * --no-state in either order, with --in-process too, and refusals. The
 * launcher is replaced by one that records what it was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "launch.h"
#include "vtee_cmd.h"

static struct {
	bool called, vteed;
	char state[512], anchors[512], key[512];
	uint32_t max_objects;
	uint64_t max_bytes;
} seen;

static void keep(char *dst, const char *src)
{
	snprintf(dst, 512, "%s", src ? src : "(null)");
}

int launch_run(const struct launch_options *o)
{
	seen.called = true;
	seen.vteed = o->vteed;
	keep(seen.state, o->state_dir);
	keep(seen.anchors, o->anchor_dir);
	keep(seen.key, o->host_key);
	seen.max_objects = o->state_max_objects;
	seen.max_bytes = o->state_max_bytes;
	return 0;
}

void vtee_usage(FILE *f)
{
	fprintf(f, "usage\n");
}

void cmd_log(const char *who, const char *fmt, ...)
{
	(void)who;
	(void)fmt;
}

/* vtee run ARGS...: run_main's status; what the launcher saw in `seen`. */
static int run(const char *const *args)
{
	char *argv[16] = { "vtee", "run" };
	int n = 2;
	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	memset(&seen, 0, sizeof(seen));
	return run_main(n, argv);
}
#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })

static void expect(const char *state, const char *anchors, const char *key)
{
	CHECK(seen.called);
	if (strcmp(seen.state, state) || strcmp(seen.anchors, anchors) || strcmp(seen.key, key)) {
		CHECK(!"storage paths");
		fprintf(stderr, "got %s, %s, %s; want %s, %s, %s\n", seen.state, seen.anchors, seen.key, state, anchors,
			key);
	}
}

int main(void)
{
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	unsetenv("CREDENTIALS_DIRECTORY");
	CHECK_EQ(RUN("--quiet"), 0);
	expect("/x/cache/vtee/state/board", "/x/cache/vtee/anchors", "/x/cache/vtee/host.key");
	CHECK(seen.vteed);
	CHECK_EQ(RUN("--in-process"), 0);
	CHECK(!seen.vteed);
	expect("/x/cache/vtee/state/board", "/x/cache/vtee/anchors", "/x/cache/vtee/host.key");

	CHECK_EQ(RUN("--state", "/srv/s", "--host-key", "/etc/k"), 0);
	expect("/srv/s", "/x/cache/vtee/anchors", "/etc/k");
	/* the last of --state and --no-state wins */
	CHECK_EQ(RUN("--state", "/srv/s", "--no-state"), 0);
	expect("(null)", "(null)", "(null)");
	CHECK_EQ(RUN("--no-state", "--state", "/srv/s"), 0);
	expect("/srv/s", "/x/cache/vtee/anchors", "/x/cache/vtee/host.key");
	CHECK_EQ(RUN("--no-state", "--in-process"), 0);
	expect("(null)", "(null)", "(null)");

	/* systemd's credential, unless a key is named */
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/vtee.service", 1);
	CHECK_EQ(RUN("--quiet"), 0);
	expect("/x/cache/vtee/state/board", "/x/cache/vtee/anchors", "/run/credentials/vtee.service/vtee-host-key");
	CHECK_EQ(RUN("--host-key", "/etc/k"), 0);
	expect("/x/cache/vtee/state/board", "/x/cache/vtee/anchors", "/etc/k");
	unsetenv("CREDENTIALS_DIRECTORY");

	/* no (absolute) XDG_CACHE_HOME: ~/.cache */
	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_CACHE_HOME");
	CHECK_EQ(RUN("--quiet"), 0);
	expect("/home/u/.cache/vtee/state/board", "/home/u/.cache/vtee/anchors", "/home/u/.cache/vtee/host.key");
	setenv("XDG_CACHE_HOME", "relative", 1);
	CHECK_EQ(RUN("--quiet"), 0);
	expect("/home/u/.cache/vtee/state/board", "/home/u/.cache/vtee/anchors", "/home/u/.cache/vtee/host.key");

	/* the policy's [storage]: its dir unless --state, its quota */
	char pol[] = "/tmp/vtee-run-options-XXXXXX";
	int fd = mkstemp(pol);
	REQUIRE(fd >= 0);
	static const char text[] = "[storage]\ndir = /srv/vtee/state\nmax_objects = 77\nmax_bytes = 1M\n";
	REQUIRE(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	close(fd);
	CHECK_EQ(RUN("--policy", pol), 0);
	expect("/srv/vtee/state/board", "/home/u/.cache/vtee/anchors", "/home/u/.cache/vtee/host.key");
	CHECK_EQ(seen.max_objects, 77);
	CHECK_EQ(seen.max_bytes, 1 << 20);
	CHECK_EQ(RUN("--policy", pol, "--state", "/s"), 0);
	expect("/s", "/home/u/.cache/vtee/anchors", "/home/u/.cache/vtee/host.key");
	CHECK_EQ(seen.max_objects, 77);
	CHECK_EQ(RUN("--quiet"), 0);
	CHECK_EQ(seen.max_objects, 0);
	CHECK_EQ(seen.max_bytes, 0);
	fd = open(pol, O_WRONLY | O_TRUNC);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "[storage]\nmax_objects = 0\n", 26) == 26);
	close(fd);
	CHECK_EQ(RUN("--policy", pol), LAUNCH_EXIT_USAGE);
	CHECK(!seen.called);
	unlink(pol);

	/* refusals: the launcher is not reached */
	CHECK_EQ(RUN("--state"), LAUNCH_EXIT_USAGE);
	CHECK(!seen.called);
	CHECK_EQ(RUN("--no-state=yes"), LAUNCH_EXIT_USAGE);
	CHECK(!seen.called);
	CHECK_EQ(RUN("--state", "/s", "extra"), LAUNCH_EXIT_USAGE);
	CHECK(!seen.called);
	CHECK_EQ(RUN("--help"), 0);
	CHECK(!seen.called);
	return check_report();
}
