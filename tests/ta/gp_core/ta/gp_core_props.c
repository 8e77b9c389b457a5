// SPDX-License-Identifier: MIT
/*
 * Properties: the three sets through every getter, the conversions to text,
 * the errors (ITEM_NOT_FOUND, BAD_FORMAT, SHORT_BUFFER with the size needed)
 * and enumerators.
 */
#include <string.h>
#include <tee_internal_api.h>

#include <gp_core_ta.h>
#include "gp_core.h"
#include "user_ta_header_defines.h"

#define TA_SET TEE_PROPSET_CURRENT_TA
#define CLIENT_SET TEE_PROPSET_CURRENT_CLIENT
#define TEE_SET TEE_PROPSET_TEE_IMPLEMENTATION

static void check_bool(struct ta_report *r, TEE_PropSetHandle set, const char *name,
		       bool want)
{
	bool v = !want;
	TEE_Result res = TEE_GetPropertyAsBool(set, name, &v);

	report_check(r, res == TEE_SUCCESS && v == want, "bool %s is %s (%s)", name,
		     want ? "true" : "false", report_res_name(res));
}

static void check_u32(struct ta_report *r, TEE_PropSetHandle set, const char *name,
		      uint32_t want)
{
	uint32_t v = ~want;
	TEE_Result res = TEE_GetPropertyAsU32(set, name, &v);

	report_check(r, res == TEE_SUCCESS && v == want,
		     "u32 %s is 0x%" PRIx32 " (0x%" PRIx32 ", %s)", name, want, v,
		     report_res_name(res));
}

static void check_string(struct ta_report *r, TEE_PropSetHandle set, const char *name,
			 const char *want)
{
	char v[96] = "";
	size_t len = sizeof(v);
	TEE_Result res = TEE_GetPropertyAsString(set, name, v, &len);

	if (!want)	/* any non-empty text */
		report_check(r, res == TEE_SUCCESS && v[0], "string %s is set (\"%s\", %s)",
			     name, v, report_res_name(res));
	else
		report_check(r, res == TEE_SUCCESS && !strcmp(v, want),
			     "string %s is \"%s\" (\"%s\", %s)", name, want, v,
			     report_res_name(res));
}

static void check_uuid(struct ta_report *r, TEE_PropSetHandle set, const char *name,
		       const TEE_UUID *want)
{
	TEE_UUID v;
	TEE_Result res;

	memset(&v, 0xee, sizeof(v));
	res = TEE_GetPropertyAsUUID(set, name, &v);
	if (!want)
		report_check(r, res == TEE_SUCCESS, "uuid %s is set (%s)", name,
			     report_res_name(res));
	else
		report_check(r, res == TEE_SUCCESS && !memcmp(&v, want, sizeof(v)),
			     "uuid %s is %08" PRIx32 "-... (%08" PRIx32 ", %s)", name,
			     want->timeLow, v.timeLow, report_res_name(res));
}

static void check_errors(struct ta_report *r)
{
	char s[4];
	size_t len = sizeof(s);
	uint8_t blob[2];
	uint32_t u = 0;
	bool b = false;
	TEE_Result res;

	report_res(r, TEE_GetPropertyAsU32(TA_SET, "vtee.test.missing", &u),
		   TEE_ERROR_ITEM_NOT_FOUND, "a property that does not exist: ITEM_NOT_FOUND");
	report_res(r, TEE_GetPropertyAsBool(TA_SET, "vtee.test.string", &b),
		   TEE_ERROR_BAD_FORMAT, "a string read as bool: BAD_FORMAT");
	report_res(r, TEE_GetPropertyAsU32(TA_SET, "vtee.test.bool", &u),
		   TEE_ERROR_BAD_FORMAT, "a bool read as u32: BAD_FORMAT");
	res = TEE_GetPropertyAsString(TA_SET, "vtee.test.string", s, &len);
	report_check(r, res == TEE_ERROR_SHORT_BUFFER && len == sizeof("hello from gp_core"),
		     "a string into 4 bytes: SHORT_BUFFER with %zu needed (%s, %zu)",
		     sizeof("hello from gp_core"), report_res_name(res), len);
	len = sizeof(blob);
	res = TEE_GetPropertyAsBinaryBlock(TA_SET, "vtee.test.binary", blob, &len);
	report_check(r, res == TEE_ERROR_SHORT_BUFFER && len == 4,
		     "a 4-byte block into 2 bytes: SHORT_BUFFER with 4 needed (%s, %zu)",
		     report_res_name(res), len);
}

static void check_ta_set(struct ta_report *r)
{
	static const TEE_UUID self = TA_GP_CORE_UUID;
	static const TEE_UUID ext = { 0x01020304, 0x0506, 0x0708,
				      { 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 } };
	uint8_t blob[8];
	size_t len = sizeof(blob);
	uint64_t u64 = 0;
	TEE_Identity id;
	TEE_Result res;

	check_uuid(r, TA_SET, "gpd.ta.appID", &self);
	check_bool(r, TA_SET, "gpd.ta.singleInstance", true);
	check_bool(r, TA_SET, "gpd.ta.multiSession", true);
	check_bool(r, TA_SET, "gpd.ta.instanceKeepAlive", true);
	check_u32(r, TA_SET, "gpd.ta.dataSize", TA_DATA_SIZE);
	check_u32(r, TA_SET, "gpd.ta.stackSize", TA_STACK_SIZE);
	check_string(r, TA_SET, "gpd.ta.version", TA_VERSION);
	check_string(r, TA_SET, "gpd.ta.description", TA_DESCRIPTION);
	check_u32(r, TA_SET, "gpd.ta.endian", 0);
	check_bool(r, TA_SET, "vtee.test.bool", true);
	check_u32(r, TA_SET, "vtee.test.u32", 0x12345678);
	res = TEE_GetPropertyAsU64(TA_SET, "vtee.test.u64", &u64);
	report_check(r, res == TEE_SUCCESS && u64 == 0x0123456789abcdefULL,
		     "u64 vtee.test.u64 (%s)", report_res_name(res));
	check_uuid(r, TA_SET, "vtee.test.uuid", &ext);
	res = TEE_GetPropertyAsIdentity(TA_SET, "vtee.test.identity", &id);
	report_check(r, res == TEE_SUCCESS && id.login == TEE_LOGIN_USER &&
		     id.uuid.timeLow == 0x11223344, "identity vtee.test.identity (%s)",
		     report_res_name(res));
	check_string(r, TA_SET, "vtee.test.string", "hello from gp_core");
	res = TEE_GetPropertyAsBinaryBlock(TA_SET, "vtee.test.binary", blob, &len);
	report_check(r, res == TEE_SUCCESS && len == 4 && !memcmp(blob, "vtee", 4),
		     "binary block vtee.test.binary decodes to \"vtee\" (%s, %zu)",
		     report_res_name(res), len);
	/* any property reads as text */
	check_string(r, TA_SET, "vtee.test.u32", "305419896");
	check_string(r, TA_SET, "vtee.test.bool", "true");
	check_string(r, TA_SET, "vtee.test.uuid", "01020304-0506-0708-090a-0b0c0d0e0f10");
	check_errors(r);
}

static void check_client_set(struct ta_report *r, uint32_t login)
{
	static const TEE_UUID nil;
	TEE_Identity id;
	TEE_Result res = TEE_GetPropertyAsIdentity(CLIENT_SET, "gpd.client.identity", &id);

	report_check(r, res == TEE_SUCCESS && id.login == login,
		     "gpd.client.identity login is the client's 0x%" PRIx32 " (0x%" PRIx32 ", %s)",
		     login, id.login, report_res_name(res));
	if (login == TEE_LOGIN_PUBLIC)
		report_check(r, res == TEE_SUCCESS && !memcmp(&id.uuid, &nil, sizeof(nil)),
			     "gpd.client.identity of a PUBLIC login has the nil UUID");
	else
		report_check(r, res == TEE_SUCCESS && memcmp(&id.uuid, &nil, sizeof(nil)),
			     "gpd.client.identity of a non-PUBLIC login has a UUID");
	check_u32(r, CLIENT_SET, "gpd.client.endian", 0);
}

static void check_tee_set(struct ta_report *r)
{
	uint32_t level = 0;
	TEE_Result res;

	check_u32(r, TEE_SET, "gpd.tee.internalCore.version", 0x01030100);
	check_string(r, TEE_SET, "gpd.tee.apiversion", NULL);
	check_string(r, TEE_SET, "gpd.tee.description", NULL);
	check_uuid(r, TEE_SET, "gpd.tee.deviceID", NULL);
	check_bool(r, TEE_SET, "gpd.tee.cryptography.ecc", true);
	res = TEE_GetPropertyAsU32(TEE_SET, "gpd.tee.systemTime.protectionLevel", &level);
	report_check(r, res == TEE_SUCCESS && (level == 100 || level == 1000),
		     "gpd.tee.systemTime.protectionLevel is 100 or 1000 (%" PRIu32 ", %s)",
		     level, report_res_name(res));
	check_u32(r, TEE_SET, "gpd.tee.TAPersistentTime.protectionLevel", 100);
}

/* Walks set with e; counts the names and whether `want` is among them. */
static uint32_t walk(TEE_PropSetHandle e, TEE_PropSetHandle set, const char *want,
		     bool *found, uint32_t *want_u32)
{
	uint32_t n = 0;

	*found = false;
	TEE_StartPropertyEnumerator(e, set);
	for (TEE_Result res = TEE_SUCCESS; res == TEE_SUCCESS && n < 200;
	     res = TEE_GetNextProperty(e)) {
		char name[80];
		size_t len = sizeof(name);

		if (TEE_GetPropertyName(e, name, &len) != TEE_SUCCESS)
			break;
		n++;
		if (!strcmp(name, want)) {
			*found = true;
			if (want_u32)
				TEE_GetPropertyAsU32(e, NULL, want_u32);
		}
	}
	return n;
}

static void check_enumerator(struct ta_report *r)
{
	TEE_PropSetHandle e = TEE_HANDLE_NULL;
	TEE_Result res = TEE_AllocatePropertyEnumerator(&e);
	uint32_t n, u32 = 0;
	char name[3];
	size_t len = sizeof(name);
	bool found;

	if (!report_res(r, res, TEE_SUCCESS, "TEE_AllocatePropertyEnumerator"))
		return;
	n = walk(e, TA_SET, "vtee.test.u32", &found, &u32);
	report_check(r, n >= 17, "the current TA's set enumerates at least 17 names (%" PRIu32 ")", n);
	report_check(r, found && u32 == 0x12345678,
		     "the enumerator finds vtee.test.u32 and reads it as 0x12345678 (0x%" PRIx32 ")",
		     u32);
	walk(e, TA_SET, "gpd.ta.singleInstance", &found, NULL);
	report_check(r, found, "the enumerator finds gpd.ta.singleInstance");
	TEE_StartPropertyEnumerator(e, TA_SET);
	res = TEE_GetPropertyName(e, name, &len);
	report_check(r, res == TEE_ERROR_SHORT_BUFFER && len > sizeof(name),
		     "TEE_GetPropertyName into 3 bytes: SHORT_BUFFER with more needed (%s, %zu)",
		     report_res_name(res), len);
	TEE_ResetPropertyEnumerator(e);
	len = sizeof(name);
	report_res(r, TEE_GetPropertyName(e, name, &len), TEE_ERROR_ITEM_NOT_FOUND,
		   "TEE_GetPropertyName after a reset: ITEM_NOT_FOUND");
	walk(e, CLIENT_SET, "gpd.client.identity", &found, NULL);
	report_check(r, found, "the client set enumerates gpd.client.identity");
	n = walk(e, TEE_SET, "gpd.tee.apiversion", &found, NULL);
	report_check(r, found && n >= 5,
		     "the TEE set enumerates gpd.tee.apiversion among %" PRIu32 " names", n);
	TEE_FreePropertyEnumerator(e);
}

void gp_core_properties(struct ta_report *r, uint32_t types, TEE_Param params[4])
{
	if (TEE_PARAM_TYPE_GET(types, 2) != TEE_PARAM_TYPE_VALUE_INPUT) {
		report_check(r, false, "properties: [2] must be VALUE_INPUT (the client's login)");
		return;
	}
	check_ta_set(r);
	check_client_set(r, params[2].value.a);
	check_tee_set(r);
	check_enumerator(r);
}
