/* libvtee_ta, properties: every getter on the three sets by name and through an enumerator,
 * the text conversions, the sizes given back with TEE_ERROR_SHORT_BUFFER, BAD_FORMAT and
 * ITEM_NOT_FOUND, the enumeration order, and the panics, as OP-TEE's tee_api_property.c
 * answers them. The TA's table is the fake host's (tarun_fake_host.c). */
#include "tarun_fake_host.h"
#include "../check.h"

#include <string.h>

#define TA TEE_PROPSET_CURRENT_TA
#define CLIENT TEE_PROPSET_CURRENT_CLIENT
#define TEE TEE_PROPSET_TEE_IMPLEMENTATION

/* AsString into a roomy buffer: the result, and the text in out. */
static TEE_Result as_string(TEE_PropSetHandle h, const char *name, char *out, size_t room)
{
	size_t len = room;
	TEE_Result res = TEE_GetPropertyAsString(h, name, out, &len);

	if (res == TEE_SUCCESS && len != strlen(out) + 1)
		return TEE_ERROR_GENERIC; /* the size given back must be the text's */
	return res;
}

static void check_string(TEE_PropSetHandle h, const char *name, const char *want)
{
	char out[256] = "";
	const size_t need = strlen(want) + 1;
	/* too small by one, far too small, nothing: SHORT_BUFFER with the whole size */
	const size_t rooms[] = { need - 1, 1, 0 };

	CHECK_EQ(as_string(h, name, out, sizeof(out)), TEE_SUCCESS);
	if (strcmp(out, want))
		fprintf(stderr, "%s: \"%s\", want \"%s\"\n", name, out, want);
	CHECK(!strcmp(out, want));
	for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
		size_t len = rooms[i];

		CHECK_EQ(TEE_GetPropertyAsString(h, name, len ? out : NULL, &len),
			 TEE_ERROR_SHORT_BUFFER);
		CHECK_EQ(len, need);
	}
}

static void test_strings(void)
{
	check_string(TA, "gpd.ta.singleInstance", "true");
	check_string(TA, "myprop.42", "42");
	check_string(TA, "myprop.u64", "18446744073709551615");
	check_string(TA, "myprop.123", "01234567-89ab-cdef-0123-456789abcdef");
	check_string(TA, "myprop.1234", "4026531840:deadbeef-0001-0002-0102-030405060708");
	check_string(TA, "gpd.ta.version", "1.0");
	check_string(TA, "myprop.hello",
		     "hello property, larger than 80 characters, so that it checks that it is not "
		     "truncated by anything in the source code which may be wrong");
	check_string(TA, "myprop.binaryblock", "SGVsbG8gd29ybGQh");
	check_string(TA, "gpd.ta.appID", "8aaaf200-2450-11e4-abe2-0002a5d5c51b");
	check_string(CLIENT, "gpd.client.identity", "1:a1a2a3a4-b1b2-c1c2-0102-030405060708");
	check_string(CLIENT, "gpd.client.endian", "0");
	check_string(TEE, "gpd.tee.internalCore.version", "16974080");
	check_string(TEE, "gpd.tee.apiversion", "1.3.1");
	check_string(TEE, "gpd.tee.deviceID", "11223344-5566-7788-090a-0b0c0d0e0f10");
	check_string(TEE, "gpd.tee.cryptography.ecc", "true");
	check_string(TEE, "org.trustedfirmware.optee.cpu.feat_bti_implemented", "false");

	char out[8] = "x";
	CHECK_EQ(as_string(TA, "myprop.binaryblock.1", out, sizeof(out)), TEE_SUCCESS);
	CHECK(!strcmp(out, ""));
	CHECK_EQ(as_string(TA, "no.such.property", out, sizeof(out)), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(as_string(CLIENT, "gpd.ta.appID", out, sizeof(out)), TEE_ERROR_ITEM_NOT_FOUND);

	uint32_t len32 = 2;
	CHECK_EQ(__GP11_TEE_GetPropertyAsString(TA, "myprop.42", out, &len32),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len32, 3);
	CHECK_EQ(__GP11_TEE_GetPropertyAsString(TA, "myprop.42", out, &len32), TEE_SUCCESS);
	CHECK(!strcmp(out, "42"));
}

static void test_typed(void)
{
	bool b = false;
	uint32_t u = 0;
	uint64_t u64 = 0;
	TEE_UUID uuid;
	TEE_Identity id;

	CHECK_EQ(TEE_GetPropertyAsBool(TA, "myprop.true", &b), TEE_SUCCESS);
	CHECK(b);
	CHECK_EQ(TEE_GetPropertyAsU32(TA, "gpd.ta.dataSize", &u), TEE_SUCCESS);
	CHECK_EQ(u, 32 * 1024);
	CHECK_EQ(TEE_GetPropertyAsU64(TA, "myprop.u64", &u64), TEE_SUCCESS);
	CHECK_EQ(u64, UINT64_MAX);
	CHECK_EQ(TEE_GetPropertyAsUUID(TA, "gpd.ta.appID", &uuid), TEE_SUCCESS);
	CHECK(!memcmp(&uuid, &fake_head.uuid, sizeof(uuid)));
	CHECK_EQ(TEE_GetPropertyAsIdentity(CLIENT, "gpd.client.identity", &id), TEE_SUCCESS);
	CHECK_EQ(id.login, TEE_LOGIN_USER);
	CHECK_EQ(id.uuid.timeLow, 0xa1a2a3a4);
	CHECK_EQ(TEE_GetPropertyAsU32(TEE, "gpd.tee.internalCore.version", &u), TEE_SUCCESS);
	CHECK_EQ(u, 0x01030100);
	CHECK_EQ(TEE_GetPropertyAsU32(TEE, "gpd.tee.systemTime.protectionLevel", &u), TEE_SUCCESS);
	CHECK_EQ(u, 1000);
	CHECK_EQ(TEE_GetPropertyAsU32(TEE, "gpd.tee.TAPersistentTime.protectionLevel", &u),
		 TEE_SUCCESS);
	CHECK_EQ(u, 100);
	CHECK_EQ(TEE_GetPropertyAsUUID(TEE, "gpd.tee.deviceID", &uuid), TEE_SUCCESS);
	CHECK(!memcmp(&uuid, &fake_ta.tee_device_id, sizeof(uuid)));

	/* another type: BAD_FORMAT, value untouched; unknown: ITEM_NOT_FOUND */
	u = 77;
	CHECK_EQ(TEE_GetPropertyAsU32(TA, "gpd.ta.version", &u), TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(u, 77);
	CHECK_EQ(TEE_GetPropertyAsBool(TA, "myprop.42", &b), TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(TEE_GetPropertyAsU64(TA, "myprop.42", &u64), TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(TEE_GetPropertyAsUUID(TA, "myprop.1234", &uuid), TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(TEE_GetPropertyAsIdentity(TA, "nothing", &id), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_GetPropertyAsU32(TA, "gpd.client.endian", &u), TEE_ERROR_ITEM_NOT_FOUND);
}

static void test_binary(void)
{
	char buf[32];
	size_t len = 5;
	uint32_t len32 = 12;

	CHECK_EQ(TEE_GetPropertyAsBinaryBlock(TA, "myprop.binaryblock", buf, &len),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 12);
	CHECK_EQ(TEE_GetPropertyAsBinaryBlock(TA, "myprop.binaryblock", buf, &len), TEE_SUCCESS);
	CHECK_EQ(len, 12);
	CHECK(!memcmp(buf, "Hello world!", 12));
	for (int i = 1; i <= 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "myprop.binaryblock.%d", i);
		len = sizeof(buf);
		CHECK_EQ(TEE_GetPropertyAsBinaryBlock(TA, name, buf, &len), TEE_SUCCESS);
		CHECK_EQ(len, 0);
	}
	len = sizeof(buf);
	CHECK_EQ(TEE_GetPropertyAsBinaryBlock(TA, "myprop.binaryblock.4", buf, &len), TEE_SUCCESS);
	CHECK_EQ(len, 1);
	CHECK_EQ(buf[0], 'A');
	check_string(TA, "myprop.binaryblock.4", "QQ==");
	len = sizeof(buf);
	CHECK_EQ(TEE_GetPropertyAsBinaryBlock(TA, "myprop.42", buf, &len), TEE_ERROR_BAD_FORMAT);
	CHECK_EQ(__GP11_TEE_GetPropertyAsBinaryBlock(TA, "myprop.binaryblock", buf, &len32),
		 TEE_SUCCESS);
	CHECK_EQ(len32, 12);
	/* as text, a block that does not fit asks for its base64 size */
	len = 2;
	CHECK_EQ(TEE_GetPropertyAsString(TA, "myprop.binaryblock", buf, &len),
		 TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, 17);
}

/* Walks set h with enumerator e; the names in order into names (each up to 64), the count. */
static size_t walk(TEE_PropSetHandle e, TEE_PropSetHandle h, char names[][64], size_t max)
{
	size_t n = 0;

	TEE_StartPropertyEnumerator(e, h);
	for (;;) {
		char v1[256], v2[256];
		size_t len = 64, l1 = sizeof(v1), l2 = sizeof(v2);

		if (n == max || TEE_GetPropertyName(e, names[n], &len) != TEE_SUCCESS)
			break;
		CHECK_EQ(len, strlen(names[n]) + 1);
		/* the value through the enumerator is the value by name */
		if (strcmp(names[n], "myprop.invalid")) {
			CHECK_EQ(TEE_GetPropertyAsString(e, NULL, v1, &l1), TEE_SUCCESS);
			CHECK_EQ(TEE_GetPropertyAsString(h, names[n], v2, &l2), TEE_SUCCESS);
			CHECK(!strcmp(v1, v2));
		}
		n++;
		if (TEE_GetNextProperty(e) != TEE_SUCCESS)
			break;
	}
	return n;
}

static void test_enumerator(void)
{
	TEE_PropSetHandle e;
	char names[32][64];
	size_t n, len;
	char small[4];

	CHECK_EQ(TEE_AllocatePropertyEnumerator(&e), TEE_SUCCESS);
	/* not started */
	len = sizeof(small);
	CHECK_EQ(TEE_GetPropertyName(e, small, &len), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_GetNextProperty(e), TEE_ERROR_ITEM_NOT_FOUND);

	n = walk(e, TA, names, 32);
	CHECK_EQ(n, fake_ta.num_props + 1);
	CHECK(!strcmp(names[0], "gpd.ta.singleInstance"));
	CHECK(!strcmp(names[n - 2], "myprop.invalid"));
	CHECK(!strcmp(names[n - 1], "gpd.ta.appID"));
	/* past the end */
	len = sizeof(small);
	CHECK_EQ(TEE_GetPropertyName(e, small, &len), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_GetNextProperty(e), TEE_ERROR_ITEM_NOT_FOUND);

	n = walk(e, CLIENT, names, 32);
	CHECK_EQ(n, 2);
	CHECK(!strcmp(names[0], "gpd.client.identity"));
	CHECK(!strcmp(names[1], "gpd.client.endian"));

	n = walk(e, TEE, names, 32);
	CHECK_EQ(n, 18);
	CHECK(!strcmp(names[0], "gpd.tee.arith.maxBigIntSize"));
	CHECK(!strcmp(names[1], "gpd.tee.internalCore.version"));
	CHECK(!strcmp(names[2], "gpd.tee.apiversion"));

	/* a name that does not fit: SHORT_BUFFER with its size, also through the 1.1 twin */
	TEE_StartPropertyEnumerator(e, CLIENT);
	len = 2;
	CHECK_EQ(TEE_GetPropertyName(e, small, &len), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len, sizeof("gpd.client.identity"));
	uint32_t len32 = 3;
	CHECK_EQ(__GP11_TEE_GetPropertyName(e, small, &len32), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(len32, sizeof("gpd.client.identity"));

	TEE_ResetPropertyEnumerator(e);
	len = sizeof(small);
	CHECK_EQ(TEE_GetPropertyName(e, small, &len), TEE_ERROR_ITEM_NOT_FOUND);
	/* started on something that is not a set */
	TEE_StartPropertyEnumerator(e, (TEE_PropSetHandle)0xFFFFFFFC);
	CHECK_EQ(TEE_GetPropertyName(e, small, &len), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(TEE_GetNextProperty(e), TEE_ERROR_ITEM_NOT_FOUND);
	TEE_StartPropertyEnumerator(NULL, TA); /* ignored, as OP-TEE */
	TEE_FreePropertyEnumerator(e);
	TEE_FreePropertyEnumerator(NULL);
}

static void past_end_getter(void *arg)
{
	TEE_PropSetHandle e;
	uint32_t u;

	(void)arg;
	TEE_AllocatePropertyEnumerator(&e);
	TEE_StartPropertyEnumerator(e, CLIENT);
	TEE_GetNextProperty(e);
	TEE_GetNextProperty(e);
	TEE_GetPropertyAsU32(e, NULL, &u);
}

static void invalid_type(void *arg)
{
	char out[16];
	size_t len = sizeof(out);

	(void)arg;
	TEE_GetPropertyAsString(TA, "myprop.invalid", out, &len);
}

static void stale_enumerator(void *arg)
{
	TEE_PropSetHandle e;

	(void)arg;
	TEE_AllocatePropertyEnumerator(&e);
	TEE_FreePropertyEnumerator(e);
	TEE_GetNextProperty(e);
}

static void null_name_enumerator(void *arg)
{
	char out[16];
	size_t len = sizeof(out);

	(void)arg;
	TEE_GetPropertyName(NULL, out, &len);
}

static void null_name(void *arg)
{
	bool b;

	(void)arg;
	TEE_GetPropertyAsBool(TA, NULL, &b);
}

static void test_panics(void)
{
	void (*cases[])(void *) = { past_end_getter, invalid_type, stale_enumerator,
				   null_name_enumerator, null_name };
	uint32_t code;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool panicked = fake_panics(cases[i], NULL, &code);

		if (!panicked)
			fprintf(stderr, "property panic case %zu did not panic\n", i);
		CHECK(panicked);
		CHECK_EQ(code, 0);
	}
}

int main(void)
{
	fake_start();
	fake_entry(TEE_LOGIN_USER, 0, NULL, UINT64_MAX);
	test_strings();
	test_typed();
	test_binary();
	test_enumerator();
	test_panics();
	tarun_entry_end();
	return check_report();
}
