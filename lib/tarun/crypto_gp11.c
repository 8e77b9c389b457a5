/* The GP 1.1 twins (__GP11_*) of the object and operation functions that are plain
 * conversions: 32-bit lengths in and out, __GP11_TEE_Attribute and __GP11_TEE_ObjectInfo.
 * Twins whose behaviour differs from the 1.3 function live beside it (operation keys and
 * free in op_alloc.c, asymmetric ones in op_asym.c); the AE twins' differences are here. */
#include "crypto_int.h"

#include <stdlib.h>

TEE_Attribute *attrs_from_gp11(const __GP11_TEE_Attribute *a, uint32_t count)
{
	TEE_Attribute *out;

	if (!count)
		return NULL;
	PANIC_UNLESS(a, TEE_ERROR_BAD_PARAMETERS);
	out = calloc(count, sizeof(*out));
	PANIC_UNLESS(out, TEE_ERROR_OUT_OF_MEMORY);
	for (uint32_t i = 0; i < count; i++) {
		out[i].attributeID = a[i].attributeID;
		if (a[i].attributeID & TEE_ATTR_FLAG_VALUE) {
			out[i].content.value.a = a[i].content.value.a;
			out[i].content.value.b = a[i].content.value.b;
		} else {
			out[i].content.ref.buffer = a[i].content.ref.buffer;
			out[i].content.ref.length = a[i].content.ref.length;
		}
	}
	return out;
}

void attrs_free(TEE_Attribute *a)
{
	free(a);
}

void obj_info_to_gp11(const TEE_ObjectInfo *in, __GP11_TEE_ObjectInfo *out)
{
	out->objectType = in->objectType;
	out->keySize = in->objectSize;
	out->maxKeySize = in->maxObjectSize;
	out->objectUsage = in->objectUsage;
	out->dataSize = (uint32_t)in->dataSize;
	out->dataPosition = (uint32_t)in->dataPosition;
	out->handleFlags = in->handleFlags;
}

TEE_Result __GP11_TEE_GetObjectInfo1(TEE_ObjectHandle object, __GP11_TEE_ObjectInfo *objectInfo)
{
	TEE_ObjectInfo info;
	TEE_Result res = TEE_GetObjectInfo1(object, &info);

	PANIC_UNLESS(objectInfo, TEE_ERROR_BAD_PARAMETERS);
	obj_info_to_gp11(&info, objectInfo);
	return res;
}

void __GP11_TEE_GetObjectInfo(TEE_ObjectHandle object, __GP11_TEE_ObjectInfo *objectInfo)
{
	(void)__GP11_TEE_GetObjectInfo1(object, objectInfo);
}

void __GP11_TEE_InitRefAttribute(__GP11_TEE_Attribute *attr, uint32_t attributeID,
				 const void *buffer, uint32_t length)
{
	PANIC_UNLESS(attr && !(attributeID & TEE_ATTR_FLAG_VALUE), 0);
	attr->attributeID = attributeID;
	attr->content.ref.buffer = (void *)buffer;
	attr->content.ref.length = length;
}

void __GP11_TEE_InitValueAttribute(__GP11_TEE_Attribute *attr, uint32_t attributeID,
				   uint32_t a, uint32_t b)
{
	PANIC_UNLESS(attr && (attributeID & TEE_ATTR_FLAG_VALUE), 0);
	attr->attributeID = attributeID;
	attr->content.value.a = a;
	attr->content.value.b = b;
}

void __GP11_TEE_GenerateRandom(void *randomBuffer, uint32_t randomBufferLen)
{
	TEE_GenerateRandom(randomBuffer, randomBufferLen);
}

void __GP11_TEE_DigestUpdate(TEE_OperationHandle operation, const void *chunk,
			     uint32_t chunkSize)
{
	TEE_DigestUpdate(operation, chunk, chunkSize);
}

/* GP 1.1 twins of the functions (operation, in, in_len, out, *out_len): the 32-bit length
 * through a size_t one. */
typedef TEE_Result (*sized_fn)(TEE_OperationHandle op, const void *in, size_t in_len,
			       void *out, size_t *out_len);

static TEE_Result via_size_t(sized_fn fn, TEE_OperationHandle op, const void *in,
			     uint32_t in_len, void *out, uint32_t *out_len)
{
	size_t l;
	TEE_Result res;

	PANIC_UNLESS(out_len, TEE_ERROR_BAD_PARAMETERS);
	l = *out_len;
	res = fn(op, in, in_len, out, &l);
	*out_len = (uint32_t)l;
	return res;
}

TEE_Result __GP11_TEE_DigestDoFinal(TEE_OperationHandle operation, const void *chunk,
				    uint32_t chunkLen, void *hash, uint32_t *hashLen)
{
	return via_size_t(TEE_DigestDoFinal, operation, chunk, chunkLen, hash, hashLen);
}

void __GP11_TEE_CipherInit(TEE_OperationHandle operation, const void *IV, uint32_t IVLen)
{
	TEE_CipherInit(operation, IV, IVLen);
}

TEE_Result __GP11_TEE_CipherUpdate(TEE_OperationHandle operation, const void *srcData,
				   uint32_t srcLen, void *destData, uint32_t *destLen)
{
	return via_size_t(TEE_CipherUpdate, operation, srcData, srcLen, destData, destLen);
}

TEE_Result __GP11_TEE_CipherDoFinal(TEE_OperationHandle operation, const void *srcData,
				    uint32_t srcLen, void *destData, uint32_t *destLen)
{
	size_t l = destLen ? *destLen : 0;
	TEE_Result res = TEE_CipherDoFinal(operation, srcData, srcLen, destData, &l);

	if (destLen)
		*destLen = (uint32_t)l;
	return res;
}

void __GP11_TEE_MACInit(TEE_OperationHandle operation, const void *IV, uint32_t IVLen)
{
	TEE_MACInit(operation, IV, IVLen);
}

void __GP11_TEE_MACUpdate(TEE_OperationHandle operation, const void *chunk, uint32_t chunkSize)
{
	TEE_MACUpdate(operation, chunk, chunkSize);
}

TEE_Result __GP11_TEE_MACComputeFinal(TEE_OperationHandle operation, const void *message,
				      uint32_t messageLen, void *mac, uint32_t *macLen)
{
	return via_size_t(TEE_MACComputeFinal, operation, message, messageLen, mac, macLen);
}

TEE_Result __GP11_TEE_MACCompareFinal(TEE_OperationHandle operation, const void *message,
				      uint32_t messageLen, const void *mac, uint32_t macLen)
{
	return TEE_MACCompareFinal(operation, message, messageLen, mac, macLen);
}

TEE_Result __GP11_TEE_AEInit(TEE_OperationHandle operation, const void *nonce,
			     uint32_t nonceLen, uint32_t tagLen, uint32_t AADLen,
			     uint32_t payloadLen)
{
	return TEE_AEInit(operation, nonce, nonceLen, tagLen, AADLen, payloadLen);
}

/* GP 1.1: AAD is also accepted after payload, and makes the operation active. */
void __GP11_TEE_AEUpdateAAD(TEE_OperationHandle operation, const void *AADdata,
			    uint32_t AADdataLen)
{
	TEE_OperationHandle op = op_checked(operation);

	PANIC_UNLESS(AADdata || !AADdataLen, 0);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_AE &&
		     (op->info.handleState & TEE_HANDLE_FLAG_INITIALIZED), 0);
	op->state = TEE_OPERATION_STATE_ACTIVE;
	ae_update_aad(op, AADdata, AADdataLen);
}

/* GP 1.1: the operation turns active on success only, an empty update included. */
TEE_Result __GP11_TEE_AEUpdate(TEE_OperationHandle operation, const void *srcData,
			       uint32_t srcLen, void *destData, uint32_t *destLen)
{
	TEE_OperationHandle op = op_checked(operation);
	TEE_Result res;
	size_t l;

	PANIC_UNLESS(srcData || !srcLen, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(destLen, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.operationClass == TEE_OPERATION_AE &&
		     (op->info.handleState & TEE_HANDLE_FLAG_INITIALIZED),
		     TEE_ERROR_BAD_PARAMETERS);
	l = *destLen;
	res = ae_update(op, srcData, srcLen, destData, &l);
	*destLen = (uint32_t)l;
	if (!res)
		op->state = TEE_OPERATION_STATE_ACTIVE;
	return res;
}

TEE_Result __GP11_TEE_AEEncryptFinal(TEE_OperationHandle operation, const void *srcData,
				     uint32_t srcLen, void *destData, uint32_t *destLen,
				     void *tag, uint32_t *tagLen)
{
	size_t dl, tl;
	TEE_Result res;

	PANIC_UNLESS(destLen && tagLen, TEE_ERROR_BAD_PARAMETERS);
	dl = *destLen;
	tl = *tagLen;
	res = TEE_AEEncryptFinal(operation, srcData, srcLen, destData, &dl, tag, &tl);
	*destLen = (uint32_t)dl;
	*tagLen = (uint32_t)tl;
	return res;
}

TEE_Result __GP11_TEE_AEDecryptFinal(TEE_OperationHandle operation, const void *srcData,
				     uint32_t srcLen, void *destData, uint32_t *destLen,
				     void *tag, uint32_t tagLen)
{
	size_t l;
	TEE_Result res;

	PANIC_UNLESS(destLen, TEE_ERROR_BAD_PARAMETERS);
	l = *destLen;
	res = TEE_AEDecryptFinal(operation, srcData, srcLen, destData, &l, tag, tagLen);
	*destLen = (uint32_t)l;
	return res;
}
