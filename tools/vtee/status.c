// SPDX-License-Identifier: MIT
/*
 * `vtee status`: every running vteed this user may ask (its own, or all for
 * root), found by their abstract status sockets in /proc/net/unix.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtee/vteed.h"
#include "vtee_cmd.h"

/* OBJECTS, STORED (bytes), CORRUPT: "-" without storage, "?" when the TEE cannot tell. */
static void storage_columns(const struct vteed_status *s, char *objs, char *stored, char *corrupt, size_t len)
{
	if (s->storage != VTEED_STORAGE_SERVED) {
		const char *what = s->storage == VTEED_STORAGE_NONE ? "-" : "?";
		snprintf(objs, len, "%s", what);
		snprintf(stored, len, "%s", what);
		snprintf(corrupt, len, "%s", what);
		return;
	}
	snprintf(objs, len, "%llu", (unsigned long long)s->storage_objects);
	snprintf(stored, len, "%llu", (unsigned long long)s->storage_bytes);
	if (s->storage_flags & VTEED_STORAGE_STATE_CORRUPT)
		snprintf(corrupt, len, "STATE!");
	else
		snprintf(corrupt, len, "%llu", (unsigned long long)s->storage_corrupt_objects);
}

static void print_one(const struct vteed_status *s, bool header)
{
	if (header)
		printf("%-16s %5s %7s %8s %13s %13s %17s %7s %10s %6s %6s %5s %8s %7s %10s %7s\n", "VM", "ID", "PID",
		       "RESTARTS", "SESSIONS", "TEE-SESSIONS", "SHM BUFFERS/PAGES", "CALLS", "SMCS", "QUOTA", "DENIED",
		       "BAD", "UPTIME", "OBJECTS", "STORED", "CORRUPT");
	char sess[32], shm[40], calls[24], tee[16], objs[24], stored[24], corrupt[24];
	snprintf(sess, sizeof(sess), "%u/%u", s->sessions, s->max_sessions);
	snprintf(shm, sizeof(shm), "%u/%u %llu", s->shm_buffers, s->max_shm, (unsigned long long)s->shm_pages);
	snprintf(calls, sizeof(calls), "%u/%u", s->calls, s->max_calls);
	if (s->tee_sessions < 0)
		snprintf(tee, sizeof(tee), "?");
	else
		snprintf(tee, sizeof(tee), "%d", s->tee_sessions);
	storage_columns(s, objs, stored, corrupt, sizeof(objs));
	printf("%-16s %5u %7u %8u %13s %13s %17s %7s %10llu %6llu %6llu %5llu %7llus %7s %10s %7s\n", s->name,
	       s->vm_id, s->pid, s->epoch, sess, tee, shm, calls, (unsigned long long)s->smc_count,
	       (unsigned long long)s->quota_denials, (unsigned long long)s->access_denials,
	       (unsigned long long)s->bad_requests, (unsigned long long)(s->uptime_ms / 1000), objs, stored, corrupt);
}

static const char status_help[] =
	"usage: vtee status [--pid PID]\n"
	"For each running vteed (one per VM) this user may ask: its sessions (vteed's\n"
	"table / quota, and what the TEE holds), shared memory (buffers / quota, pages),\n"
	"calls in flight / quota, SMCs served, requests refused by a quota (QUOTA) or by\n"
	"the policy (DENIED), malformed requests (BAD), how many times the VM's\n"
	"vteed was restarted after a crash (RESTARTS), and its secure storage: objects\n"
	"(OBJECTS), bytes stored (STORED), reads of objects that failed their integrity\n"
	"checks (CORRUPT; STATE! when the whole state failed them: vtee state import or\n"
	"reset). \"-\": the VM has no storage; \"?\": its TEE cannot tell.\n";

/* Whether pid was met before; remembered (the first 4096 of them). */
static bool seen_before(long pid)
{
	static long seen[4096];
	static size_t nseen;
	for (size_t i = 0; i < nseen; i++)
		if (seen[i] == pid)
			return true;
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = pid;
	return false;
}

/* A line for every vteed whose status socket /proc/net/unix lists (only: that pid); *found, *refused. */
static void show_all(FILE *f, long only, int *found, int *refused)
{
	char line[512];
	const char *key = "@" VTEED_STATUS_PREFIX;
	while (fgets(line, sizeof(line), f)) {
		char *at = strstr(line, key);
		if (!at)
			continue;
		long pid = strtol(at + strlen(key), NULL, 10);
		/* a listening socket appears once per connection too: take the first of each pid */
		if (pid <= 0 || (only && pid != only) || seen_before(pid))
			continue;
		struct vteed_status st;
		if (vteed_status_query((pid_t)pid, &st)) {
			(*refused)++;
			continue; /* another user's vteed, or it just exited */
		}
		print_one(&st, *found == 0);
		(*found)++;
	}
}

int status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long only = 0;
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			only = strtol(optarg, NULL, 10);
			break;
		case 'h':
			fputs(status_help, stdout);
			return 0;
		default:
			return 2;
		}
	}
	FILE *f = fopen("/proc/net/unix", "r");
	if (!f) {
		cmd_log("vtee status", "/proc/net/unix: %s", strerror(errno));
		return 1;
	}
	int found = 0, refused = 0;
	show_all(f, only, &found, &refused);
	fclose(f);
	if (!found)
		printf("no vteed running%s\n", refused ? " that this user may ask" : "");
	return 0;
}
