// SPDX-License-Identifier: MIT
/*
 * `vtee state export|import|reset` (tools/vtee/state.c) on state directories
 * made by the engine: the default places under $XDG_CACHE_HOME and the
 * systemd credential, the round trip export -> reset -> import (the objects
 * come back), an export for another host key and its import there, a wrong
 * key (exit 3), a VM being served (exit 4), an existing export file, usage
 * errors (exit 2).
 *
 * Usage: test-state-cli PATH-TO-VTEE
 */
#include <sys/wait.h>

#include "../unit/vstore_test_util.h"

static const char *vtee;
static char xdg[300], cache[320], state[400], anchors[400], hostkey[400];

/* Run vtee with args (NULL-terminated, after "state"), stdout quiet: its exit status (-1: no exit). */
static int run_state(const char *const *args)
{
	const char *argv[16] = { vtee, "state" };
	size_t n = 2;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		execv(vtee, (char *const *)argv);
		_exit(127);
	}
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
#define STATE(...) run_state((const char *const[]){ __VA_ARGS__, NULL })

static struct vstore *open_at(const char *dir, const char *vm, const char *key_path)
{
	struct vstore_host_key hk;
	char msg[256] = "";
	REQUIRE_EQ(vstore_host_key_load(key_path, true, &hk, msg, sizeof(msg)), 0);
	struct vstore_handoff h;
	int r = vstore_prepare(dir, anchors, vm, &hk, &(struct vstore_quota){ 0 }, &h, msg, sizeof(msg));
	if (r)
		fprintf(stderr, "prepare %s: %s\n", dir, msg);
	REQUIRE_EQ(r, 0);
	struct vstore *s;
	REQUIRE_EQ(vstore_open(&h, NULL, NULL, &s), 0);
	return s;
}

static const struct vstore_key *key_n(int i)
{
	static struct vstore_key k[3];
	static const char *const ids[] = { "alpha", "beta", "a much longer object id, sixty-four bytes at most...." };
	k[i] = vt_key((uint8_t)(0x10 + i), VSTORE_NS_TA, ids[i]);
	return &k[i];
}

/* The three objects of the round trip: present (want 0) or all gone (want -ENOENT). */
static void check_objects(const char *dir, const char *key_path, int want)
{
	struct vstore *s = open_at(dir, "vm1", key_path);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vt_check(s, key_n(i), (uint32_t)(100 + i), (size_t)(i * 3000)), want);
	vstore_close(s);
}

static void test_round_trip(void)
{
	/* made as `vtee run` would: the cache's state/vm1, anchors/, host.key */
	struct vstore *s = open_at(state, "vm1", hostkey);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vt_put(s, key_n(i), (uint32_t)(100 + i), (size_t)(i * 3000), 0), 0);
	/* served: import and reset refuse (4), export reads it consistently */
	char backup[512], path[512];
	snprintf(backup, sizeof(backup), "%s/vm1.vtee", xdg);
	CHECK_EQ(STATE("reset", "vm1"), 4);
	CHECK_EQ(STATE("export", "vm1", backup), 0);
	CHECK_EQ(STATE("import", "vm1", backup), 4);
	vstore_close(s);
	struct stat sb;
	CHECK(stat(backup, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size > 3 * 3000);
	CHECK_EQ(STATE("export", "vm1", backup), 1); /* never overwritten */

	CHECK_EQ(STATE("reset", "vm1"), 0);
	check_objects(state, hostkey, -ENOENT);
	CHECK_EQ(STATE("import", "vm1", backup), 0);
	check_objects(state, hostkey, 0);

	/* another host: its own key; the export is wrapped for it, the local key cannot take it */
	char other[512], clone[512];
	vt_path(other, sizeof(other), "other.key");
	struct vstore_host_key ok;
	vt_host_key("other.key", &ok);
	snprintf(backup, sizeof(backup), "%s/vm1-for-other.vtee", xdg);
	CHECK_EQ(STATE("export", "vm1", backup, "--to-key", other), 0);
	CHECK_EQ(STATE("import", "vm1", backup), 3);
	check_objects(state, hostkey, 0); /* untouched by the refused import */
	snprintf(clone, sizeof(clone), "%s/clone", vt_root);
	CHECK_EQ(STATE("import", "vm1", backup, "--state", clone, "--host-key", other), 0);
	check_objects(clone, other, 0);
	/* an explicit --from-key naming the key it was wrapped for, imported on this host */
	snprintf(path, sizeof(path), "%s/clone2", vt_root);
	CHECK_EQ(STATE("import", "vm1", backup, "--state", path, "--from-key", other), 0);
	check_objects(path, hostkey, 0);
	/* a file that is no export */
	CHECK_EQ(STATE("import", "vm1", hostkey, "--state", path), 1);
	check_objects(path, hostkey, 0);
}

/* systemd's credential is the host key when none is named. */
static void test_credential(void)
{
	char cred[512], ckey[600], backup[512];
	vt_path(cred, sizeof(cred), "cred");
	REQUIRE(mkdir(cred, 0700) == 0);
	snprintf(ckey, sizeof(ckey), "%s/vtee-host-key", cred);
	REQUIRE(link(hostkey, ckey) == 0 || errno == EEXIST);
	setenv("CREDENTIALS_DIRECTORY", cred, 1);
	snprintf(backup, sizeof(backup), "%s/cred.vtee", xdg);
	CHECK_EQ(STATE("export", "vm1", backup), 0);
	/* the credential names another key now: the state is not its */
	unlink(ckey);
	char other[512];
	REQUIRE(link(vt_path(other, sizeof(other), "other.key"), ckey) == 0);
	snprintf(backup, sizeof(backup), "%s/cred2.vtee", xdg);
	CHECK_EQ(STATE("export", "vm1", backup), 3);
	CHECK(access(backup, F_OK) < 0); /* nothing half-written left */
	CHECK_EQ(STATE("export", "vm1", backup, "--host-key", hostkey), 0);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void test_usage(void)
{
	CHECK_EQ(STATE("export", "vm1"), 2);
	CHECK_EQ(STATE("reset"), 2);
	CHECK_EQ(STATE("reset", "vm1", "extra"), 2);
	CHECK_EQ(STATE("rename", "vm1", "x"), 2);
	CHECK_EQ(STATE("import", "vm1", "f", "--to-key", "k"), 2);
	CHECK_EQ(STATE("export", "vm1", "f", "--from-key", "k"), 2);
	CHECK_EQ(STATE("reset", "../vm1"), 2);
	CHECK_EQ(STATE("reset", ""), 2);
	CHECK_EQ(STATE("reset", "vm1", "--bogus"), 2);
	CHECK_EQ(STATE("--help"), 0);
	CHECK_EQ(STATE("import", "vm1", "/nonexistent/file"), 1);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-VTEE\n", argv[0]);
		return 2;
	}
	vtee = argv[1];
	vt_setup("vtee-state-cli");
	snprintf(xdg, sizeof(xdg), "%s/xdg", vt_root);
	REQUIRE(mkdir(xdg, 0700) == 0);
	setenv("XDG_CACHE_HOME", xdg, 1);
	unsetenv("CREDENTIALS_DIRECTORY");
	snprintf(cache, sizeof(cache), "%s/vtee", xdg);
	snprintf(state, sizeof(state), "%s/state/vm1", cache);
	snprintf(anchors, sizeof(anchors), "%s/anchors", cache);
	snprintf(hostkey, sizeof(hostkey), "%s/host.key", cache);
	test_round_trip();
	test_credential();
	test_usage();
	return check_report();
}
