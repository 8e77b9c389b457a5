// SPDX-License-Identifier: MIT
/*
 * vteed's logging and status, end to end: a VM whose policy denies the test
 * TA. The guest's OPEN_SESSION gets TEE_ERROR_ACCESS_DENIED; vteed logs the
 * denial to syslog (a datagram socket standing in for /dev/log, through
 * $VTEED_SYSLOG_SOCKET) with the VM's name on the line; `vtee status`'s
 * query counts it.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common.h"

/* Wait up to 2 s for a log datagram containing needle; the line goes to out. */
static bool log_has(int s, const char *needle, char *out, size_t outlen)
{
	double t0 = now_s();
	while (now_s() - t0 < 2) {
		struct pollfd pf = { s, POLLIN, 0 };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t n = recv(s, out, outlen - 1, 0);
		if (n <= 0)
			continue;
		out[n] = 0;
		if (strstr(out, needle))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *vteed = vteed_path_arg(argc, argv);
	char dir[] = "/tmp/vtee-logging-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char sock_path[64], policy[128];
	snprintf(sock_path, sizeof(sock_path), "%s/log", dir);
	snprintf(policy, sizeof(policy), "%s/vm.ini", dir);
	FILE *f = fopen(policy, "w");
	CHECK(f != NULL);
	fprintf(f, "[ta]\ndefault = allow\ndeny = %s\n[log]\ntarget = syslog\nlevel = info\ndenials = yes\n",
		VTEE_TEST_TA_UUID_STR);
	fclose(f);

	int ls = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	CHECK_EQ(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("VTEED_SYSLOG_SOCKET", sock_path, 1);

	struct dguest d;
	const char *extra[] = { "--policy", policy, NULL };
	CHECK_EQ(dguest_start(vteed, NULL, 5, "logvm", 1, 16u << 20, extra, &d), 0);
	char line[700];
	/* daemon facility (3 << 3) | info (6) = 30, the pid, then the VM's name */
	char want[64];
	snprintf(want, sizeof(want), "<30>vteed[%d]: [logvm] serving VM 5", (int)d.pid);
	CHECK(log_has(ls, want, line, sizeof(line)));

	CHECK_EQ(guest_probe(d.g), 0);
	uint32_t sess = 0, origin = 0;
	CHECK_EQ(guest_open_session(d.g, test_ta_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, &origin),
		 TEE_ERROR_ACCESS_DENIED);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	/* warning (4): 28 */
	snprintf(want, sizeof(want), "<28>vteed[%d]: [logvm] policy: OPEN_SESSION of TA", (int)d.pid);
	CHECK(log_has(ls, want, line, sizeof(line)));
	CHECK(strstr(line, VTEE_TEST_TA_UUID_STR) != NULL);

	/* an allowed TA still opens */
	static const uint8_t rng_uuid[16] = { 0xab, 0x7a, 0x61, 0x7c, 0xb8, 0xe7, 0x4d, 0x8f,
					      0x83, 0x01, 0xd0, 0x9b, 0x61, 0x03, 0x6b, 0x64 };
	CHECK_EQ(guest_open_session(d.g, rng_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL), TEE_SUCCESS);

	struct vteed_status st;
	CHECK_EQ(vteed_status_query(d.pid, &st), 0);
	CHECK_EQ(st.access_denials, 1);
	CHECK_EQ(st.sessions, 1);
	CHECK_EQ(st.tee_sessions, 1);
	CHECK_EQ(st.vm_id, 5);
	CHECK(strcmp(st.name, "logvm") == 0);
	CHECK(strcmp(st.backend, "soft") == 0);
	CHECK_EQ(st.epoch, 0);
	CHECK_EQ(guest_close_session(d.g, sess), TEE_SUCCESS);

	/* another uid gets no answer: only root and vteed's own user may ask */
	if (geteuid() == 0) {
		pid_t c = fork();
		if (c == 0) {
			if (setgid(4242) || setuid(4242)) /* neither root nor vteed's "nobody" */
				_exit(3);
			struct vteed_status s2;
			_exit(vteed_status_query(d.pid, &s2) == 0 ? 1 : 0);
		}
		int wst = 0;
		waitpid(c, &wst, 0);
		CHECK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
	} else {
		printf("not root: the other-uid status check is skipped\n");
	}

	guest_shutdown(d.g);
	CHECK_EQ(dguest_stop(&d), 0);
	close(ls);
	unlink(sock_path);
	unlink(policy);
	rmdir(dir);
	return check_report();
}
