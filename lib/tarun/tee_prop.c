/* The GP property API as OP-TEE's libutee answers it: getters on a set by name or on an
 * enumerator, conversions to text (bool "true"/"false", integers in decimal, UUIDs canonical,
 * identities "<login in decimal>:<uuid>", binary blocks re-encoded in base64), the sizes given
 * back with TEE_ERROR_SHORT_BUFFER (the whole value plus its NUL), and the panics: any result a
 * getter may not return panics the TA, as does an unknown enumerator handle (OP-TEE would
 * dereference it). What the sets hold: tee_propset.c. */
#include "tarun_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOT_STARTED UINT32_MAX

struct prop_enum {
	struct prop_enum *next;
	uint32_t idx;
	TEE_PropSetHandle set;
};

static pthread_mutex_t enums_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prop_enum *enums;

/* The enumerator behind handle h; panics when h is not one this TA holds. */
static struct prop_enum *enum_get(TEE_PropSetHandle h)
{
	struct prop_enum *e;

	pthread_mutex_lock(&enums_lock);
	for (e = enums; e && (TEE_PropSetHandle)e != h; e = e->next)
		;
	pthread_mutex_unlock(&enums_lock);
	if (!e)
		tarun_panic(0);
	return e;
}

/* strlcpy: copies what fits, NUL-terminated when room > 0; returns strlen(src) + 1. */
static size_t copy_str(char *dst, size_t room, const char *src)
{
	size_t n = strlen(src);

	if (room) {
		size_t c = n < room ? n : room - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n + 1;
}

/* The property a getter names: by name in a set, or the enumerator's current one. */
static TEE_Result lookup(TEE_PropSetHandle h, const char *name, struct user_ta_property *p)
{
	struct prop_enum *e;

	if (tarun_propset_is_pseudo(h))
		return tarun_propset_find(h, name, p) ? TEE_SUCCESS : TEE_ERROR_ITEM_NOT_FOUND;
	e = enum_get(h);
	if (e->idx == NOT_STARTED || !tarun_propset_is_pseudo(e->set))
		return TEE_ERROR_ITEM_NOT_FOUND;
	/* a started enumerator past its last property: OP-TEE's libutee says BAD_PARAMETERS */
	return tarun_propset_at(e->set, e->idx, p) ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
}

static size_t raw_size(const struct user_ta_property *p)
{
	switch (p->type) {
	case USER_TA_PROP_TYPE_BOOL:
		return sizeof(bool);
	case USER_TA_PROP_TYPE_U32:
		return sizeof(uint32_t);
	case USER_TA_PROP_TYPE_U64:
		return sizeof(uint64_t);
	case USER_TA_PROP_TYPE_UUID:
		return sizeof(TEE_UUID);
	case USER_TA_PROP_TYPE_IDENTITY:
		return sizeof(TEE_Identity);
	default:
		return 0;
	}
}

/* The value in its binary form (a binary block decoded) into buf; *len: the room in, the size out. */
static TEE_Result raw_value(const struct user_ta_property *p, void *buf, size_t *len)
{
	size_t need;

	if (p->type == USER_TA_PROP_TYPE_BINARY_BLOCK)
		need = tarun_base64_decode(p->value, NULL, 0);
	else
		need = raw_size(p);
	if (*len < need) {
		*len = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (p->type == USER_TA_PROP_TYPE_BINARY_BLOCK)
		tarun_base64_decode(p->value, buf, need);
	else
		memcpy(buf, p->value, need);
	*len = need;
	return TEE_SUCCESS;
}

static TEE_Result format_binary(const struct user_ta_property *p, char *out, size_t *len)
{
	size_t n = tarun_base64_decode(p->value, NULL, 0);
	size_t need = tarun_base64_encode_len(n);
	unsigned char *bin;

	if (*len < need) {
		*len = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	bin = malloc(n ? n : 1);
	if (!bin)
		return TEE_ERROR_OUT_OF_MEMORY;
	tarun_base64_decode(p->value, bin, n);
	tarun_base64_encode(bin, n, out);
	free(bin);
	*len = need;
	return TEE_SUCCESS;
}

/* The value as text into out (cut to fit, like OP-TEE's strlcpy/snprintf). */
static TEE_Result format_value(const struct user_ta_property *p, char *out, size_t *len)
{
	char text[64];
	const char *s = text;
	const TEE_Identity *id;
	size_t need;

	switch (p->type) {
	case USER_TA_PROP_TYPE_BOOL:
		s = *(const bool *)p->value ? "true" : "false";
		break;
	case USER_TA_PROP_TYPE_U32:
		snprintf(text, sizeof(text), "%" PRIu32, *(const uint32_t *)p->value);
		break;
	case USER_TA_PROP_TYPE_U64:
		snprintf(text, sizeof(text), "%" PRIu64, *(const uint64_t *)p->value);
		break;
	case USER_TA_PROP_TYPE_UUID:
		tarun_uuid_format(text, sizeof(text), p->value);
		break;
	case USER_TA_PROP_TYPE_IDENTITY:
		id = p->value;
		need = (size_t)snprintf(text, sizeof(text), "%" PRIu32 ":", id->login);
		tarun_uuid_format(text + need, sizeof(text) - need, &id->uuid);
		break;
	case USER_TA_PROP_TYPE_STRING:
		s = p->value;
		break;
	case USER_TA_PROP_TYPE_BINARY_BLOCK:
		return format_binary(p, out, len);
	default:
		return TEE_ERROR_BAD_FORMAT;
	}
	need = copy_str(out, *len, s);
	if (need > *len) {
		*len = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	*len = need;
	return TEE_SUCCESS;
}

static TEE_Result prop_as_string(TEE_PropSetHandle h, const char *name, char *value,
				 size_t *value_len)
{
	struct user_ta_property p;
	TEE_Result res = lookup(h, name, &p);

	if (res == TEE_SUCCESS)
		res = format_value(&p, value, value_len);
	if (res != TEE_SUCCESS && res != TEE_ERROR_ITEM_NOT_FOUND && res != TEE_ERROR_SHORT_BUFFER)
		tarun_panic(0);
	return res;
}

/* The getters of one binary type: a property of another type is BAD_FORMAT. */
static TEE_Result get_typed(TEE_PropSetHandle h, const char *name, uint32_t type, void *value,
			    size_t size)
{
	struct user_ta_property p;
	TEE_Result res;

	if (tarun_propset_is_pseudo(h))
		tarun_check_instring(name);
	tarun_check_out(value, size);
	res = lookup(h, name, &p);
	if (res == TEE_SUCCESS && (uint32_t)p.type != type)
		res = TEE_ERROR_BAD_FORMAT;
	if (res == TEE_SUCCESS)
		res = raw_value(&p, value, &size);
	if (res != TEE_SUCCESS && res != TEE_ERROR_ITEM_NOT_FOUND && res != TEE_ERROR_BAD_FORMAT)
		tarun_panic(0);
	return res;
}

TEE_Result TEE_GetPropertyAsBool(TEE_PropSetHandle propsetOrEnumerator, const char *name,
				 bool *value)
{
	return get_typed(propsetOrEnumerator, name, USER_TA_PROP_TYPE_BOOL, value, sizeof(*value));
}

TEE_Result TEE_GetPropertyAsU32(TEE_PropSetHandle propsetOrEnumerator, const char *name,
				uint32_t *value)
{
	return get_typed(propsetOrEnumerator, name, USER_TA_PROP_TYPE_U32, value, sizeof(*value));
}

TEE_Result TEE_GetPropertyAsU64(TEE_PropSetHandle propsetOrEnumerator, const char *name,
				uint64_t *value)
{
	return get_typed(propsetOrEnumerator, name, USER_TA_PROP_TYPE_U64, value, sizeof(*value));
}

TEE_Result TEE_GetPropertyAsUUID(TEE_PropSetHandle propsetOrEnumerator, const char *name,
				 TEE_UUID *value)
{
	return get_typed(propsetOrEnumerator, name, USER_TA_PROP_TYPE_UUID, value, sizeof(*value));
}

TEE_Result TEE_GetPropertyAsIdentity(TEE_PropSetHandle propsetOrEnumerator, const char *name,
				     TEE_Identity *value)
{
	return get_typed(propsetOrEnumerator, name, USER_TA_PROP_TYPE_IDENTITY, value,
			 sizeof(*value));
}

static TEE_Result prop_as_binary(TEE_PropSetHandle h, const char *name, void *value,
				 size_t *value_len)
{
	struct user_ta_property p;
	TEE_Result res = lookup(h, name, &p);

	if (res == TEE_SUCCESS && p.type != USER_TA_PROP_TYPE_BINARY_BLOCK)
		res = TEE_ERROR_BAD_FORMAT;
	if (res == TEE_SUCCESS)
		res = raw_value(&p, value, value_len);
	if (res != TEE_SUCCESS && res != TEE_ERROR_ITEM_NOT_FOUND &&
	    res != TEE_ERROR_BAD_FORMAT && res != TEE_ERROR_SHORT_BUFFER)
		tarun_panic(0);
	return res;
}

TEE_Result TEE_AllocatePropertyEnumerator(TEE_PropSetHandle *enumerator)
{
	struct prop_enum *e;

	tarun_check_out(enumerator, sizeof(*enumerator));
	e = TEE_Malloc(sizeof(*e), TEE_USER_MEM_HINT_NO_FILL_ZERO);
	if (!e)
		return TEE_ERROR_OUT_OF_MEMORY;
	e->idx = NOT_STARTED;
	e->set = NULL;
	pthread_mutex_lock(&enums_lock);
	e->next = enums;
	enums = e;
	pthread_mutex_unlock(&enums_lock);
	*enumerator = (TEE_PropSetHandle)e;
	return TEE_SUCCESS;
}

void TEE_FreePropertyEnumerator(TEE_PropSetHandle enumerator)
{
	struct prop_enum **pp;
	struct prop_enum *e = NULL;

	if (!enumerator)
		return;
	pthread_mutex_lock(&enums_lock);
	for (pp = &enums; *pp; pp = &(*pp)->next) {
		if ((TEE_PropSetHandle)*pp == enumerator) {
			e = *pp;
			*pp = e->next;
			break;
		}
	}
	pthread_mutex_unlock(&enums_lock);
	if (!e)
		tarun_panic(0);
	TEE_Free(e);
}

void TEE_StartPropertyEnumerator(TEE_PropSetHandle enumerator, TEE_PropSetHandle propSet)
{
	struct prop_enum *e;

	if (!enumerator)
		return;
	e = enum_get(enumerator);
	e->idx = 0;
	e->set = propSet;
}

void TEE_ResetPropertyEnumerator(TEE_PropSetHandle enumerator)
{
	enum_get(enumerator)->idx = NOT_STARTED;
}

static TEE_Result prop_name(TEE_PropSetHandle h, void *name, size_t *name_len)
{
	struct prop_enum *e = enum_get(h);
	struct user_ta_property p;
	size_t need;

	if (e->idx == NOT_STARTED || !tarun_propset_is_pseudo(e->set) ||
	    !tarun_propset_at(e->set, e->idx, &p))
		return TEE_ERROR_ITEM_NOT_FOUND;
	need = copy_str(name, *name_len, p.name);
	if (need > *name_len) {
		*name_len = need;
		return TEE_ERROR_SHORT_BUFFER;
	}
	*name_len = need;
	return TEE_SUCCESS;
}

TEE_Result tarun_prop_sized(enum tarun_prop_op op, TEE_PropSetHandle h, const char *name,
			    void *buf, size_t *len)
{
	if (op == TARUN_PROP_NAME) {
		if (!h)
			tarun_panic(0); /* OP-TEE: BAD_PARAMETERS, which it may not return */
		return prop_name(h, buf, len);
	}
	if (tarun_propset_is_pseudo(h))
		tarun_check_instring(name);
	if (op == TARUN_PROP_STRING)
		return prop_as_string(h, name, buf, len);
	return prop_as_binary(h, name, buf, len);
}

TEE_Result TEE_GetPropertyAsString(TEE_PropSetHandle propsetOrEnumerator, const char *name,
				   char *valueBuffer, size_t *valueBufferLen)
{
	tarun_check_outbuf(valueBuffer, valueBufferLen);
	return tarun_prop_sized(TARUN_PROP_STRING, propsetOrEnumerator, name, valueBuffer,
				valueBufferLen);
}

TEE_Result TEE_GetPropertyAsBinaryBlock(TEE_PropSetHandle propsetOrEnumerator, const char *name,
					void *valueBuffer, size_t *valueBufferLen)
{
	tarun_check_outbuf(valueBuffer, valueBufferLen);
	return tarun_prop_sized(TARUN_PROP_BINARY, propsetOrEnumerator, name, valueBuffer,
				valueBufferLen);
}

TEE_Result TEE_GetPropertyName(TEE_PropSetHandle enumerator, void *nameBuffer,
			       size_t *nameBufferLen)
{
	tarun_check_outbuf(nameBuffer, nameBufferLen);
	return tarun_prop_sized(TARUN_PROP_NAME, enumerator, NULL, nameBuffer, nameBufferLen);
}

TEE_Result TEE_GetNextProperty(TEE_PropSetHandle enumerator)
{
	struct prop_enum *e;
	struct user_ta_property p;

	if (!enumerator)
		tarun_panic(0);
	e = enum_get(enumerator);
	if (e->idx == NOT_STARTED || !tarun_propset_is_pseudo(e->set))
		return TEE_ERROR_ITEM_NOT_FOUND;
	e->idx++;
	return tarun_propset_at(e->set, e->idx, &p) ? TEE_SUCCESS : TEE_ERROR_ITEM_NOT_FOUND;
}
