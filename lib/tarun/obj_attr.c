/* Object attributes: storing them (TEE_PopulateTransientObject and key generation), the
 * required/optional rules per type, and reading them back (TEE_GetObject*Attribute) with
 * OP-TEE's extractable/public rules and SHORT_BUFFER sizes. */
#include "crypto_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define BIGNUM_MAX_BYTES (TARUN_RSA_MAX_BITS / 8)

TEE_Result obj_attr_store(TEE_ObjectHandle o, int idx, const void *buf, size_t len)
{
	struct obj_attr *a = &o->attr[idx];
	const uint8_t *p = buf;
	uint8_t *copy = NULL;

	switch (o->t->attrs[idx].kind) {
	case ATTR_SECRET:
		if (len > o->t->max_bits / 8u)
			return TEE_ERROR_SECURITY;
		break;
	case ATTR_BIGNUM:
		/* kept as the core keeps a bignum: no leading zero bytes */
		while (len && !*p) {
			p++;
			len--;
		}
		if (len > BIGNUM_MAX_BYTES)
			return TEE_ERROR_BAD_PARAMETERS;
		break;
	case ATTR_KEY32:
		if (len != 32)
			return TEE_ERROR_BAD_PARAMETERS;
		break;
	default:
		return TEE_ERROR_BAD_STATE;
	}
	if (len) {
		copy = malloc(len);
		if (!copy)
			return TEE_ERROR_OUT_OF_MEMORY;
		memcpy(copy, p, len);
	}
	if (a->buf)
		OPENSSL_clear_free(a->buf, a->len);
	a->buf = copy;
	a->len = len;
	a->set = true;
	EVP_PKEY_free(o->pkey);
	o->pkey = NULL;
	return TEE_SUCCESS;
}

const struct obj_attr *obj_attr_get(TEE_ObjectHandle o, uint32_t id)
{
	int i = obj_type_attr_index(o->t, id);

	return i >= 0 && o->attr[i].set ? &o->attr[i] : NULL;
}

TEE_Result obj_check_attr_set(const struct obj_type *t, const TEE_Attribute *attrs,
			      uint32_t count, bool gen)
{
	uint32_t need_flag = gen ? ATTR_GEN_REQ : ATTR_REQUIRED;
	uint32_t opt_flag = gen ? ATTR_GEN_OPT : ATTR_OPT_GROUP;
	uint32_t required = 0, optional = 0, found = 0;

	for (int i = 0; i < t->nattrs; i++) {
		if (t->attrs[i].flags & need_flag)
			required |= 1u << i;
		else if (t->attrs[i].flags & opt_flag)
			optional |= 1u << i;
	}
	for (uint32_t n = 0; n < count; n++) {
		int i = obj_type_attr_index(t, attrs[n].attributeID);
		uint32_t bit = i >= 0 ? 1u << i : 0;

		/* unknown, repeated, or not for this use */
		if (!bit || (found & bit) || !(bit & (required | optional)))
			return TEE_ERROR_ITEM_NOT_FOUND;
		found |= bit;
	}
	if ((found & required) != required)
		return TEE_ERROR_ITEM_NOT_FOUND;
	/* populate: the optional group (RSA CRT values) comes whole or not at all */
	if (!gen && (found & optional) && (found & optional) != optional)
		return TEE_ERROR_ITEM_NOT_FOUND;
	return TEE_SUCCESS;
}

/* The size an attribute flagged ATTR_SIZE_IND gives the object. */
static TEE_Result size_from_attr(TEE_ObjectHandle o, const TEE_Attribute *a, uint32_t *bits)
{
	if (a->attributeID == TEE_ATTR_ECC_CURVE) {
		uint32_t curve = a->content.value.a;

		/* OP-TEE's table: SM2 and Curve25519 count as 256 bits here */
		if (curve == TEE_ECC_CURVE_SM2 || curve == TEE_ECC_CURVE_25519)
			*bits = 256;
		else if (!ecc_curve_info(curve, NULL, NULL, bits))
			return TEE_ERROR_NOT_SUPPORTED;
	} else {
		if (a->content.ref.length > UINT32_MAX / 8)
			return TEE_ERROR_BAD_STATE;
		*bits = (uint32_t)a->content.ref.length * 8;
	}
	if (*bits > o->info.maxObjectSize)
		return TEE_ERROR_BAD_STATE;
	return obj_type_check_size(o->t, *bits);
}

TEE_Result obj_store_attrs(TEE_ObjectHandle o, const TEE_Attribute *attrs, uint32_t count)
{
	uint32_t size = 0;
	TEE_Result res = TEE_SUCCESS;

	for (uint32_t n = 0; n < count && !res; n++) {
		const TEE_Attribute *a = &attrs[n];
		int i = obj_type_attr_index(o->t, a->attributeID);

		if (i < 0)
			return TEE_ERROR_ITEM_NOT_FOUND;
		if (o->t->attrs[i].kind == ATTR_VALUE) {
			/* the core keeps the first word only */
			o->attr[i].a = a->content.value.a;
			o->attr[i].b = 0;
			o->attr[i].set = true;
		} else {
			PANIC_UNLESS(a->content.ref.buffer || !a->content.ref.length,
				     TEE_ERROR_BAD_PARAMETERS);
			res = obj_attr_store(o, i, a->content.ref.buffer, a->content.ref.length);
		}
		if (!res && (o->t->attrs[i].flags & ATTR_SIZE_IND)) {
			if (size)
				return TEE_ERROR_BAD_STATE;
			res = size_from_attr(o, a, &size);
		}
	}
	if (!size && o->t->attrs[0].kind == ATTR_KEY32)
		size = 256; /* Curve25519 keys have no size attribute */
	o->info.objectSize = size;
	return res;
}

static TEE_Result populate(TEE_ObjectHandle o, const TEE_Attribute *attrs, uint32_t count)
{
	TEE_Result res;

	obj_checked(o);
	PANIC_UNLESS(attrs || !count, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(!(o->info.handleFlags &
		       (TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED)), 0);
	PANIC_UNLESS(o->t, TEE_ERROR_NOT_IMPLEMENTED);
	res = obj_check_attr_set(o->t, attrs, count, false);
	if (!res)
		res = obj_store_attrs(o, attrs, count);
	if (res) {
		obj_clear(o);
		ALLOW_ONLY(res, TEE_ERROR_BAD_PARAMETERS);
		return res;
	}
	o->info.handleFlags |= TEE_HANDLE_FLAG_INITIALIZED;
	return TEE_SUCCESS;
}

TEE_Result TEE_PopulateTransientObject(TEE_ObjectHandle object, const TEE_Attribute *attrs,
				       uint32_t attrCount)
{
	return populate(object, attrs, attrCount);
}

TEE_Result __GP11_TEE_PopulateTransientObject(TEE_ObjectHandle object,
					      const __GP11_TEE_Attribute *attrs,
					      uint32_t attrCount)
{
	TEE_Attribute *copy = attrs_from_gp11(attrs, attrCount);
	TEE_Result res = populate(object, copy, attrCount);

	attrs_free(copy);
	return res;
}

/* The attribute `id` of an initialised object the TA may read, or a panic / ITEM_NOT_FOUND. */
static TEE_Result readable_attr(TEE_ObjectHandle o, uint32_t id, const struct obj_attr **out)
{
	obj_checked(o);
	PANIC_UNLESS(o->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS((id & TEE_ATTR_FLAG_PUBLIC) ||
		     (o->info.objectUsage & TEE_USAGE_EXTRACTABLE), TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(o->t, TEE_ERROR_BAD_STATE);
	*out = obj_attr_get(o, id);
	return *out ? TEE_SUCCESS : TEE_ERROR_ITEM_NOT_FOUND;
}

TEE_Result TEE_GetObjectBufferAttribute(TEE_ObjectHandle object, uint32_t attributeID,
					void *buffer, size_t *size)
{
	const struct obj_attr *a = NULL;
	TEE_Result res;
	size_t room;

	PANIC_UNLESS(size, TEE_ERROR_BAD_PARAMETERS);
	obj_checked(object);
	PANIC_UNLESS(!(attributeID & TEE_ATTR_FLAG_VALUE), TEE_ERROR_BAD_PARAMETERS);
	res = readable_attr(object, attributeID, &a);
	if (res)
		return res;
	room = *size;
	*size = a->len;
	/* an empty bignum is a success; an empty secret still wants a buffer (OP-TEE) */
	if (!a->len && object->t->attrs[obj_type_attr_index(object->t, attributeID)].kind ==
			       ATTR_BIGNUM)
		return TEE_SUCCESS;
	if (room < a->len || !buffer)
		return TEE_ERROR_SHORT_BUFFER;
	if (a->len)
		memcpy(buffer, a->buf, a->len);
	return TEE_SUCCESS;
}

TEE_Result __GP11_TEE_GetObjectBufferAttribute(TEE_ObjectHandle object, uint32_t attributeID,
					       void *buffer, uint32_t *size)
{
	size_t len;
	TEE_Result res;

	PANIC_UNLESS(size, TEE_ERROR_BAD_PARAMETERS);
	len = *size;
	res = TEE_GetObjectBufferAttribute(object, attributeID, buffer, &len);
	*size = (uint32_t)len;
	return res;
}

TEE_Result TEE_GetObjectValueAttribute(TEE_ObjectHandle object, uint32_t attributeID,
				       uint32_t *a, uint32_t *b)
{
	const struct obj_attr *at = NULL;
	TEE_Result res;

	obj_checked(object);
	PANIC_UNLESS(attributeID & TEE_ATTR_FLAG_VALUE, TEE_ERROR_BAD_PARAMETERS);
	res = readable_attr(object, attributeID, &at);
	if (res)
		return res;
	if (a)
		*a = at->a;
	if (b)
		*b = 0; /* the core keeps one word of a value attribute */
	return TEE_SUCCESS;
}
