/* Transient objects: allocation, reset, free, info, usage restriction, attribute copy and the
 * attribute initialisers, with OP-TEE's panics (libutee's checks plus the core's refusals that
 * libutee turns into panics). Close, info and usage also take persistent handles
 * (obj_persistent.c does their storage side). */
#include "crypto_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static void attr_wipe(struct obj_attr *a)
{
	if (a->buf)
		OPENSSL_clear_free(a->buf, a->len);
	memset(a, 0, sizeof(*a));
}

void obj_clear(TEE_ObjectHandle o)
{
	for (int i = 0; i < OBJ_MAX_ATTRS; i++)
		attr_wipe(&o->attr[i]);
	EVP_PKEY_free(o->pkey);
	o->pkey = NULL;
	o->info.objectSize = 0;
	o->info.objectUsage = USAGE_ALL;
	o->info.handleFlags &= ~TEE_HANDLE_FLAG_INITIALIZED;
}

TEE_Result obj_new(uint32_t type, uint32_t max_bits, TEE_ObjectHandle *out)
{
	const struct obj_type *t = NULL;
	TEE_ObjectHandle o;

	if (type == TEE_TYPE_DATA) {
		if (max_bits)
			return TEE_ERROR_NOT_SUPPORTED;
	} else {
		t = obj_type_find(type);
		if (!t || obj_type_check_size(t, max_bits))
			return TEE_ERROR_NOT_SUPPORTED;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return TEE_ERROR_OUT_OF_MEMORY;
	o->t = t;
	o->info.objectType = type;
	o->info.maxObjectSize = max_bits;
	o->info.objectUsage = USAGE_ALL;
	*out = o;
	return TEE_SUCCESS;
}

void obj_destroy(TEE_ObjectHandle o)
{
	if (!o)
		return;
	handle_unregister(o);
	obj_clear(o);
	free(o);
}

/* Copy of the attributes a keypair and its public type share. */
static bool is_public_of(uint32_t pub, uint32_t pair)
{
	switch (pub) {
	case TEE_TYPE_RSA_PUBLIC_KEY: return pair == TEE_TYPE_RSA_KEYPAIR;
	case TEE_TYPE_ECDSA_PUBLIC_KEY: return pair == TEE_TYPE_ECDSA_KEYPAIR;
	case TEE_TYPE_ECDH_PUBLIC_KEY: return pair == TEE_TYPE_ECDH_KEYPAIR;
	case TEE_TYPE_ED25519_PUBLIC_KEY: return pair == TEE_TYPE_ED25519_KEYPAIR;
	default: return false;
	}
}

static TEE_Result copy_one(TEE_ObjectHandle dst, int di, const struct obj_attr *sa)
{
	struct obj_attr *da = &dst->attr[di];

	if (!sa->set)
		return TEE_SUCCESS;
	if (dst->t->attrs[di].kind == ATTR_VALUE) {
		da->a = sa->a;
		da->b = sa->b;
		da->set = true;
		return TEE_SUCCESS;
	}
	/* a secret must fit the destination's type, as OP-TEE's allocation */
	if (dst->t->attrs[di].kind == ATTR_SECRET && sa->len > dst->t->max_bits / 8u)
		return TEE_ERROR_BAD_STATE;
	return obj_attr_store(dst, di, sa->buf, sa->len);
}

TEE_Result obj_copy_attrs(TEE_ObjectHandle dst, TEE_ObjectHandle src)
{
	TEE_Result res = TEE_SUCCESS;

	if (dst->info.objectType == TEE_TYPE_DATA)
		return TEE_SUCCESS;
	if (dst->info.objectType != src->info.objectType &&
	    !is_public_of(dst->info.objectType, src->info.objectType))
		return TEE_ERROR_BAD_PARAMETERS;
	for (int i = 0; i < dst->t->nattrs && !res; i++) {
		int si = obj_type_attr_index(src->t, dst->t->attrs[i].id);

		if (si < 0)
			return TEE_ERROR_BAD_STATE;
		res = copy_one(dst, i, &src->attr[si]);
	}
	if (res)
		obj_clear(dst);
	return res;
}

TEE_Result TEE_AllocateTransientObject(TEE_ObjectType objectType, uint32_t maxObjectSize,
				       TEE_ObjectHandle *object)
{
	if (objectType == TEE_TYPE_DATA)
		return TEE_ERROR_NOT_SUPPORTED;
	return __GP11_TEE_AllocateTransientObject(objectType, maxObjectSize, object);
}

TEE_Result __GP11_TEE_AllocateTransientObject(TEE_ObjectType objectType, uint32_t maxKeySize,
					      TEE_ObjectHandle *object)
{
	TEE_ObjectHandle o = NULL;
	TEE_Result res;

	PANIC_UNLESS(object, TEE_ERROR_BAD_PARAMETERS);
	res = obj_new(objectType, maxKeySize, &o);
	if (res)
		return res;
	if (handle_register(o, HANDLE_OBJECT)) {
		obj_destroy(o);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	*object = o;
	return TEE_SUCCESS;
}

void TEE_FreeTransientObject(TEE_ObjectHandle object)
{
	if (object == TEE_HANDLE_NULL)
		return;
	obj_checked(object);
	PANIC_UNLESS(!(object->info.handleFlags & TEE_HANDLE_FLAG_PERSISTENT), 0);
	obj_destroy(object);
}

void TEE_ResetTransientObject(TEE_ObjectHandle object)
{
	if (object == TEE_HANDLE_NULL)
		return;
	obj_checked(object);
	PANIC_UNLESS(!(object->info.handleFlags & TEE_HANDLE_FLAG_PERSISTENT), 0);
	obj_clear(object);
}

void TEE_CloseObject(TEE_ObjectHandle object)
{
	if (object == TEE_HANDLE_NULL)
		return;
	if (obj_is_persistent(obj_checked(object)))
		pobj_close(object);
	else
		obj_destroy(object);
}

TEE_Result TEE_GetObjectInfo1(TEE_ObjectHandle object, TEE_ObjectInfo *objectInfo)
{
	TEE_Result res = TEE_SUCCESS;

	obj_checked(object);
	PANIC_UNLESS(objectInfo, TEE_ERROR_BAD_PARAMETERS);
	if (obj_is_persistent(object)) /* another handle may have resized the stream */
		res = pobj_refresh_size(object);
	ALLOW_ONLY(res, TEE_ERROR_CORRUPT_OBJECT, TEE_ERROR_STORAGE_NOT_AVAILABLE);
	*objectInfo = object->info;
	return res;
}

void TEE_GetObjectInfo(TEE_ObjectHandle object, TEE_ObjectInfo *objectInfo)
{
	(void)TEE_GetObjectInfo1(object, objectInfo);
}

TEE_Result TEE_RestrictObjectUsage1(TEE_ObjectHandle object, uint32_t objectUsage)
{
	TEE_Result res;

	if (!obj_is_persistent(obj_checked(object))) {
		object->info.objectUsage &= objectUsage;
		return TEE_SUCCESS;
	}
	res = pobj_restrict_usage(object, objectUsage);
	ALLOW_ONLY(res, TEE_ERROR_CORRUPT_OBJECT, TEE_ERROR_STORAGE_NOT_AVAILABLE);
	return res;
}

void TEE_RestrictObjectUsage(TEE_ObjectHandle object, uint32_t objectUsage)
{
	TEE_Result res = TEE_RestrictObjectUsage1(object, objectUsage);

	PANIC_UNLESS(res == TEE_SUCCESS, res);
}

void obj_copy_object(TEE_ObjectHandle dst, TEE_ObjectHandle src)
{
	TEE_Result res;

	PANIC_UNLESS(src->info.handleFlags & TEE_HANDLE_FLAG_INITIALIZED, 0);
	PANIC_UNLESS(!(dst->info.handleFlags &
		       (TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED)), 0);
	res = obj_copy_attrs(dst, src);
	if (res) /* a type mismatch panics: libutee lets no error through */
		tarun_panic(res);
	dst->info.handleFlags |= TEE_HANDLE_FLAG_INITIALIZED;
	dst->info.objectSize = src->info.objectSize;
	dst->info.objectUsage = src->info.objectUsage;
}

TEE_Result TEE_CopyObjectAttributes1(TEE_ObjectHandle destObject, TEE_ObjectHandle srcObject)
{
	obj_copy_object(obj_checked(destObject), obj_checked(srcObject));
	return TEE_SUCCESS;
}

void TEE_CopyObjectAttributes(TEE_ObjectHandle destObject, TEE_ObjectHandle srcObject)
{
	(void)TEE_CopyObjectAttributes1(destObject, srcObject);
}

void TEE_InitRefAttribute(TEE_Attribute *attr, uint32_t attributeID, const void *buffer,
			  size_t length)
{
	PANIC_UNLESS(attr && !(attributeID & TEE_ATTR_FLAG_VALUE), 0);
	attr->attributeID = attributeID;
	attr->content.ref.buffer = (void *)buffer;
	attr->content.ref.length = length;
}

void TEE_InitValueAttribute(TEE_Attribute *attr, uint32_t attributeID, uint32_t a, uint32_t b)
{
	PANIC_UNLESS(attr && (attributeID & TEE_ATTR_FLAG_VALUE), 0);
	attr->attributeID = attributeID;
	attr->content.value.a = a;
	attr->content.value.b = b;
}
