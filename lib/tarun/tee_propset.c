/* What the three GP property sets hold, in OP-TEE's enumeration order (libutee's own entries
 * first, then the core's):
 *  - TEE_PROPSET_CURRENT_TA: the TA's ta_props (user_ta_header.c), then gpd.ta.appID;
 *  - TEE_PROPSET_CURRENT_CLIENT: gpd.client.identity (the current call's client), gpd.client.endian;
 *  - TEE_PROPSET_TEE_IMPLEMENTATION: vtee's values below.
 *
 * vtee's implementation properties (OP-TEE's value in brackets where it differs):
 *  gpd.tee.arith.maxBigIntSize 2048 (as OP-TEE; the BigInt API itself is not implemented),
 *  gpd.tee.internalCore.version 0x01030100 (GP 1.3.1),
 *  gpd.tee.apiversion "1.3.1" ["GPD-1.1-dev"], gpd.tee.description "vtee" ["OPTEE"],
 *  gpd.tee.deviceID from the TEE (struct tarun_ta.tee_device_id) [a hash of the die id],
 *  gpd.tee.systemTime.protectionLevel 1000: the host kernel's monotonic clock, out of the
 *    guest's reach [1000 with the arm counter],
 *  gpd.tee.TAPersistentTime.protectionLevel 100 (as OP-TEE: kept in the TEE's memory),
 *  gpd.tee.cryptography.ecc true,
 *  gpd.tee.trustedStorage.antiRollback.protectionLevel 0 (no persistent storage yet),
 *  gpd.tee.trustedos.implementation.version / gpd.tee.firmware.implementation.version: vtee's
 *    version string; the .binaryversion ones (major << 16 | minor << 8 | patch);
 *  gpd.tee.trustedos.manufacturer / gpd.tee.firmware.manufacturer "vtee",
 *  org.trustedfirmware.optee.cpu.feat_{bti,pauth,memtag}_implemented false (OP-TEE's names, kept
 *    so TAs that ask get an answer; vtee enforces none of them).
 * Not present: gpd.tee.sockets.version and gpd.tee.sockets.tcp.version (no GP Sockets). */
#include "tarun_int.h"

#include <string.h>

#ifndef TARUN_VERSION
#define TARUN_VERSION "0"
#endif
#ifndef TARUN_VERSION_BIN
#define TARUN_VERSION_BIN 0
#endif

static const uint32_t max_bigint_bits = 2048;
static const uint32_t internal_core_version = 0x01030100;
static const uint32_t level_1000 = 1000;
static const uint32_t level_100 = 100;
static const uint32_t level_0 = 0;
static const uint32_t version_bin = TARUN_VERSION_BIN;
static const uint32_t zero_u32;
static const bool yes = true;
static const bool no = false;
static const TEE_UUID nil_uuid;

static const struct user_ta_property tee_props[] = {
	{ "gpd.tee.arith.maxBigIntSize", USER_TA_PROP_TYPE_U32, &max_bigint_bits },
	{ "gpd.tee.internalCore.version", USER_TA_PROP_TYPE_U32, &internal_core_version },
	{ "gpd.tee.apiversion", USER_TA_PROP_TYPE_STRING, "1.3.1" },
	{ "gpd.tee.description", USER_TA_PROP_TYPE_STRING, "vtee" },
	{ "gpd.tee.deviceID", USER_TA_PROP_TYPE_UUID, NULL }, /* from tarun_ta_info */
	{ "gpd.tee.systemTime.protectionLevel", USER_TA_PROP_TYPE_U32, &level_1000 },
	{ "gpd.tee.TAPersistentTime.protectionLevel", USER_TA_PROP_TYPE_U32, &level_100 },
	{ "gpd.tee.cryptography.ecc", USER_TA_PROP_TYPE_BOOL, &yes },
	{ "gpd.tee.trustedStorage.antiRollback.protectionLevel", USER_TA_PROP_TYPE_U32, &level_0 },
	{ "gpd.tee.trustedos.implementation.version", USER_TA_PROP_TYPE_STRING, TARUN_VERSION },
	{ "gpd.tee.trustedos.implementation.binaryversion", USER_TA_PROP_TYPE_U32, &version_bin },
	{ "gpd.tee.trustedos.manufacturer", USER_TA_PROP_TYPE_STRING, "vtee" },
	{ "gpd.tee.firmware.implementation.version", USER_TA_PROP_TYPE_STRING, TARUN_VERSION },
	{ "gpd.tee.firmware.implementation.binaryversion", USER_TA_PROP_TYPE_U32, &version_bin },
	{ "gpd.tee.firmware.manufacturer", USER_TA_PROP_TYPE_STRING, "vtee" },
	{ "org.trustedfirmware.optee.cpu.feat_bti_implemented", USER_TA_PROP_TYPE_BOOL, &no },
	{ "org.trustedfirmware.optee.cpu.feat_pauth_implemented", USER_TA_PROP_TYPE_BOOL, &no },
	{ "org.trustedfirmware.optee.cpu.feat_memtag_implemented", USER_TA_PROP_TYPE_BOOL, &no },
};
#define NUM_TEE_PROPS (sizeof(tee_props) / sizeof(tee_props[0]))

bool tarun_propset_is_pseudo(TEE_PropSetHandle h)
{
	return h == TEE_PROPSET_CURRENT_TA || h == TEE_PROPSET_CURRENT_CLIENT ||
	       h == TEE_PROPSET_TEE_IMPLEMENTATION;
}

static size_t ta_prop_count(void)
{
	return tarun_ta_info ? tarun_ta_info->num_props : 0;
}

/* The idx-th property of set `h` into *out; false past the end or for a set that is not one. */
bool tarun_propset_at(TEE_PropSetHandle h, size_t idx, struct user_ta_property *out)
{
	if (h == TEE_PROPSET_CURRENT_TA) {
		if (idx < ta_prop_count()) {
			*out = tarun_ta_info->props[idx];
			return true;
		}
		if (idx != ta_prop_count())
			return false;
		*out = (struct user_ta_property){ "gpd.ta.appID", USER_TA_PROP_TYPE_UUID,
			tarun_ta_info ? &tarun_ta_info->head->uuid : &nil_uuid };
		return true;
	}
	if (h == TEE_PROPSET_CURRENT_CLIENT) {
		if (idx == 0)
			*out = (struct user_ta_property){ "gpd.client.identity",
				USER_TA_PROP_TYPE_IDENTITY, &tarun_current_call()->client };
		else if (idx == 1)
			*out = (struct user_ta_property){ "gpd.client.endian",
				USER_TA_PROP_TYPE_U32, &zero_u32 };
		return idx < 2;
	}
	if (h == TEE_PROPSET_TEE_IMPLEMENTATION && idx < NUM_TEE_PROPS) {
		*out = tee_props[idx];
		if (!out->value) /* gpd.tee.deviceID */
			out->value = tarun_ta_info ? &tarun_ta_info->tee_device_id : &nil_uuid;
		return true;
	}
	return false;
}

bool tarun_propset_find(TEE_PropSetHandle h, const char *name, struct user_ta_property *out)
{
	for (size_t i = 0; tarun_propset_at(h, i, out); i++)
		if (out->name && !strcmp(out->name, name))
			return true;
	return false;
}
