// SPDX-License-Identifier: MIT
/*
 * Hostile, for loadable TAs: the TEE-side rules a guest cannot get around.
 *  - a TA file must say (in its header) the UUID the guest asked for: a TA
 *    copied under another TA's name, a file of junk and an empty file named
 *    like TAs do not open (the mismatch answers ITEM_NOT_FOUND, as OP-TEE
 *    answers an unknown UUID), and the TEE stays usable;
 *  - instances are per VM: instance data set in VM 1's gp_core instance is not
 *    in VM 2's, each VM's keep-alive instance is created once for that VM;
 *  - a TA panicking in one VM leaves the same TA's session in the other working.
 * Usage: ta-hostile TA_DIR (the folder with the built <uuid>.ta files).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"
#include "vtee/vtee.h"
#include "../check.h"

#include <gp_core_ta.h>
#include <misbehave_ta.h>

/* The UUIDs of the TAs' headers as the OP-TEE message carries them (big-endian). */
static const uint8_t core_uuid[16] = { 0xa3, 0xd2, 0xe9, 0xb4, 0x51, 0xc7, 0x4f, 0x08,
				       0x8e, 0x6a, 0x1b, 0x9c, 0x4d, 0x7f, 0x2e, 0x05 };
static const uint8_t peer_uuid[16] = { 0x0b, 0x8e, 0x4f, 0x27, 0xc6, 0xa1, 0x4d, 0x93,
				       0xb5, 0xf2, 0x7e, 0x3a, 0x9d, 0x1c, 0x60, 0x48 };
static const uint8_t misbehave_uuid[16] = { 0xd7, 0xa9, 0x4c, 0x13, 0x8e, 0x25, 0x4b, 0x6f,
					    0xa0, 0xd1, 0x52, 0xf8, 0xc3, 0xe6, 0xb9, 0x7a };
/* gp_peer's UUID's neighbours: no TA of ours has them */
static const uint8_t impostor_uuid[16] = { 0x0b, 0x8e, 0x4f, 0x27, 0xc6, 0xa1, 0x4d, 0x93,
					   0xb5, 0xf2, 0x7e, 0x3a, 0x9d, 0x1c, 0x60, 0x49 };
static const uint8_t junk_uuid[16] = { 0x0b, 0x8e, 0x4f, 0x27, 0xc6, 0xa1, 0x4d, 0x93,
				       0xb5, 0xf2, 0x7e, 0x3a, 0x9d, 0x1c, 0x60, 0x4a };
static const uint8_t empty_uuid[16] = { 0x0b, 0x8e, 0x4f, 0x27, 0xc6, 0xa1, 0x4d, 0x93,
					0xb5, 0xf2, 0x7e, 0x3a, 0x9d, 0x1c, 0x60, 0x4b };

static void uuid_name(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

/* dir/<uuid>.ta := len bytes of data (or a copy of file src when src is set). */
static void put_ta(const char *dir, const uint8_t u[16], const char *src, const void *data,
		   size_t len)
{
	char name[37], path[4096], cmd[8192];
	FILE *f;

	uuid_name(u, name);
	snprintf(path, sizeof(path), "%s/%s.ta", dir, name);
	if (src) {
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, path);
		REQUIRE_EQ(system(cmd), 0);
		return;
	}
	f = fopen(path, "wb");
	REQUIRE(f != NULL);
	REQUIRE_EQ(fwrite(data, 1, len, f), len);
	REQUIRE_EQ(fclose(f), 0);
}

/* The TA folder of this test: the real gp_core and misbehave, and three fakes. */
static void make_ta_dir(const char *built, char *dir, size_t len)
{
	static const char junk[] = "\x7f" "ELF but not really; a guest cannot make us run this";
	char name[37], src[4096];

	snprintf(dir, len, "/tmp/vtee-ta-hostile.XXXXXX");
	REQUIRE(mkdtemp(dir) != NULL);
	/* the TA processes may run as another user (ta_user=): they must be able to look in */
	REQUIRE_EQ(chmod(dir, 0755), 0);
	uuid_name(core_uuid, name);
	snprintf(src, sizeof(src), "%s/%s.ta", built, name);
	put_ta(dir, core_uuid, src, NULL, 0);
	uuid_name(misbehave_uuid, name);
	snprintf(src, sizeof(src), "%s/%s.ta", built, name);
	put_ta(dir, misbehave_uuid, src, NULL, 0);
	/* gp_peer's file under another UUID: its header gives it away */
	uuid_name(peer_uuid, name);
	snprintf(src, sizeof(src), "%s/%s.ta", built, name);
	put_ta(dir, impostor_uuid, src, NULL, 0);
	put_ta(dir, junk_uuid, NULL, junk, sizeof(junk));
	put_ta(dir, empty_uuid, NULL, "", 0);
}

static uint32_t open_ta(struct guest *g, const uint8_t uuid[16], uint32_t *sess,
			uint32_t *origin)
{
	return guest_open_session(g, uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, sess, origin);
}

/* cmd with one value parameter of type; a and b in and out. */
static uint32_t value_call(struct guest *g, uint32_t sess, uint32_t cmd, uint32_t type,
			   uint32_t *a, uint32_t *b)
{
	struct guest_param p[1] = { guest_param_value(type, *a, *b, 0) };
	uint32_t origin = 0;
	uint32_t ret = guest_invoke(g, sess, cmd, p, 1, 0, &origin);

	*a = (uint32_t)p[0].u.value.a;
	*b = (uint32_t)p[0].u.value.b;
	return ret;
}

static void check_fakes(struct guest *g)
{
	const uint8_t *fakes[] = { impostor_uuid, junk_uuid, empty_uuid };
	uint32_t sess = 0, origin = 0;

	for (size_t i = 0; i < 3; i++) {
		uint32_t ret = open_ta(g, fakes[i], &sess, &origin);

		CHECK(ret != TEE_SUCCESS);
		CHECK_EQ(origin, TEE_ORIGIN_TEE);
		if (ret == TEE_SUCCESS)
			guest_close_session(g, sess);
	}
	/* a TA's file under another name: refused the way an unknown UUID is */
	CHECK_EQ(open_ta(g, impostor_uuid, &sess, &origin), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(open_ta(g, peer_uuid, &sess, &origin), TEE_ERROR_ITEM_NOT_FOUND);
	/* and the TEE goes on serving the real ones */
	CHECK_EQ(open_ta(g, core_uuid, &sess, &origin), TEE_SUCCESS);
	guest_close_session(g, sess);
}

static void check_per_vm_instances(struct guest *g1, struct guest *g2)
{
	uint32_t s1 = 0, s2 = 0, a = 0x1111, b = 0;

	REQUIRE_EQ(open_ta(g1, core_uuid, &s1, NULL), TEE_SUCCESS);
	REQUIRE_EQ(open_ta(g2, core_uuid, &s2, NULL), TEE_SUCCESS);
	CHECK_EQ(value_call(g1, s1, TA_GP_CORE_CMD_SET_INSTANCE, VTEE_PARAM_VALUE_IN, &a, &b),
		 TEE_SUCCESS);
	a = b = 0x5555;
	CHECK_EQ(value_call(g2, s2, TA_GP_CORE_CMD_GET_INSTANCE, VTEE_PARAM_VALUE_OUT, &a, &b),
		 TEE_SUCCESS);
	CHECK_EQ(b, 0);	/* VM 2's instance has no instance data */
	a = b = 0;
	CHECK_EQ(value_call(g1, s1, TA_GP_CORE_CMD_GET_INSTANCE, VTEE_PARAM_VALUE_OUT, &a, &b),
		 TEE_SUCCESS);
	CHECK_EQ(b, 1);
	CHECK_EQ(a, 0x1111);
	a = b = 0;
	CHECK_EQ(value_call(g2, s2, TA_GP_CORE_CMD_COUNTS, VTEE_PARAM_VALUE_OUT, &a, &b),
		 TEE_SUCCESS);
	CHECK_EQ(a, 1);	/* VM 2's instance, created once */
	CHECK_EQ(b, 1);	/* with VM 2's one session: VM 1's is elsewhere */
	guest_close_session(g1, s1);
	guest_close_session(g2, s2);
}

static void check_panic_stays_in_its_vm(struct guest *g1, struct guest *g2)
{
	uint32_t m1 = 0, m2 = 0, origin = 0, a = 0, b = 0;
	struct guest_param none[1] = { { .type = VTEE_PARAM_NONE } };

	REQUIRE_EQ(open_ta(g1, misbehave_uuid, &m1, NULL), TEE_SUCCESS);
	REQUIRE_EQ(open_ta(g2, misbehave_uuid, &m2, NULL), TEE_SUCCESS);
	CHECK_EQ(guest_invoke(g1, m1, TA_MISBEHAVE_CMD_PANIC, none, 1, 0, &origin),
		 TEE_ERROR_TARGET_DEAD);
	CHECK_EQ(origin, TEE_ORIGIN_TEE);
	a = 41;
	CHECK_EQ(value_call(g2, m2, TA_MISBEHAVE_CMD_PING, VTEE_PARAM_VALUE_INOUT, &a, &b),
		 TEE_SUCCESS);
	CHECK_EQ(a, 42);
	guest_close_session(g1, m1);
	guest_close_session(g2, m2);
}

static struct guest *vm(struct vtee_tee *tee, uint32_t id)
{
	struct guest *g = NULL;

	REQUIRE_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = id, .name = "ta" },
				   NULL, &g), 0);
	REQUIRE_EQ(guest_probe(g), 0);
	return g;
}

int main(int argc, char **argv)
{
	char dir[64], options[256], cmd[128];
	struct vtee_tee *tee = NULL;
	struct guest *g1, *g2;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TA_DIR\n", argv[0]);
		return 2;
	}
	make_ta_dir(argv[1], dir, sizeof(dir));
	snprintf(options, sizeof(options), "ta_dir=%s", dir);
	REQUIRE_EQ(vtee_tee_open("soft", options, &tee), 0);
	g1 = vm(tee, 21);
	g2 = vm(tee, 22);
	check_fakes(g1);
	check_per_vm_instances(g1, g2);
	check_panic_stays_in_its_vm(g1, g2);
	guest_destroy(g1);
	guest_destroy(g2);
	vtee_tee_close(tee);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
	return check_report();
}
