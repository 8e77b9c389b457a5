/* OP-TEE's extensions beyond GP that are not memory (tee_mem.c): UUID text, cache maintenance,
 * tee-supplicant plugins. */
#include "tarun_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int tarun_uuid_format(char *out, size_t size, const TEE_UUID *u)
{
	const uint8_t *c = u->clockSeqAndNode;

	return snprintf(out, size, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			(unsigned int)u->timeLow, (unsigned int)u->timeMid,
			(unsigned int)u->timeHiAndVersion, c[0], c[1], c[2], c[3], c[4], c[5], c[6],
			c[7]);
}

static int hex_digit(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* n hex digits at s into *v; false on anything else. */
static bool parse_hex(const char *s, size_t n, uint32_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(s[i]);

		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", any case; TEE_ERROR_BAD_FORMAT otherwise, *uuid
 * untouched. */
TARUN_EXPORT TEE_Result tee_uuid_from_str(TEE_UUID *uuid, const char *s)
{
	static const size_t node_at[8] = { 19, 21, 24, 26, 28, 30, 32, 34 };
	TEE_UUID u;
	uint32_t v;

	if (!s || strnlen(s, 37) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' ||
	    s[23] != '-')
		return TEE_ERROR_BAD_FORMAT;
	if (!parse_hex(s, 8, &u.timeLow))
		return TEE_ERROR_BAD_FORMAT;
	if (!parse_hex(s + 9, 4, &v))
		return TEE_ERROR_BAD_FORMAT;
	u.timeMid = (uint16_t)v;
	if (!parse_hex(s + 14, 4, &v))
		return TEE_ERROR_BAD_FORMAT;
	u.timeHiAndVersion = (uint16_t)v;
	for (size_t i = 0; i < 8; i++) {
		if (!parse_hex(s + node_at[i], 2, &v))
			return TEE_ERROR_BAD_FORMAT;
		u.clockSeqAndNode[i] = (uint8_t)v;
	}
	*uuid = u;
	return TEE_SUCCESS;
}

/* OP-TEE's core: only with TA_FLAG_CACHE_MAINTENANCE, and only on the memref parameters of the
 * current call (never TA-private memory). A host process has nothing to clean: success. */
static TEE_Result cache_operation(char *buf, size_t len)
{
	if (!(tarun_ta_flags() & TA_FLAG_CACHE_MAINTENANCE))
		return TEE_ERROR_NOT_SUPPORTED;
	if (len && !tarun_inside_param(buf, len))
		return TEE_ERROR_ACCESS_DENIED;
	return TEE_SUCCESS;
}

TARUN_EXPORT TEE_Result TEE_CacheClean(char *buf, size_t len)
{
	return cache_operation(buf, len);
}

TARUN_EXPORT TEE_Result TEE_CacheFlush(char *buf, size_t len)
{
	return cache_operation(buf, len);
}

TARUN_EXPORT TEE_Result TEE_CacheInvalidate(char *buf, size_t len)
{
	return cache_operation(buf, len);
}

/* There is no tee-supplicant behind vtee's TEE, hence no plugin to call. */
TARUN_EXPORT TEE_Result tee_invoke_supp_plugin(const TEE_UUID *uuid, uint32_t cmd,
					       uint32_t sub_cmd, void *buf, size_t len,
					       size_t *outlen)
{
	(void)uuid;
	(void)cmd;
	(void)sub_cmd;
	(void)buf;
	(void)len;
	(void)outlen;
	return TEE_ERROR_NOT_SUPPORTED;
}
