/* Operation management: allocate (algorithm, mode and maxKeySize rules), free, info, reset,
 * keys (one, or two for XTS), copy. The checks and panics are libutee's; an operation keeps
 * its own copies of its keys, as OP-TEE's does, so the TA may free its key objects at once. */
#include "crypto_int.h"

#include <stdlib.h>
#include <string.h>

/* Mode, required key usage and whether the key is a private one; false: mode not valid. */
static bool mode_rules(const struct alg_info *ai, uint32_t mode, uint32_t *usage, bool *priv)
{
	*priv = false;
	switch (ai->op_class) {
	case TEE_OPERATION_CIPHER:
	case TEE_OPERATION_AE:
		*usage = mode == TEE_MODE_ENCRYPT ? TEE_USAGE_ENCRYPT : TEE_USAGE_DECRYPT;
		return mode == TEE_MODE_ENCRYPT || mode == TEE_MODE_DECRYPT;
	case TEE_OPERATION_ASYMMETRIC_SIGNATURE:
		*priv = mode == TEE_MODE_SIGN;
		*usage = *priv ? TEE_USAGE_SIGN : TEE_USAGE_VERIFY;
		return mode == TEE_MODE_SIGN || mode == TEE_MODE_VERIFY;
	case TEE_OPERATION_ASYMMETRIC_CIPHER:
		*priv = mode == TEE_MODE_DECRYPT;
		*usage = *priv ? TEE_USAGE_DECRYPT : TEE_USAGE_ENCRYPT;
		if (ai->main == MAIN_RSA_NOPAD)
			*usage |= *priv ? TEE_USAGE_SIGN : TEE_USAGE_VERIFY;
		return mode == TEE_MODE_ENCRYPT || mode == TEE_MODE_DECRYPT;
	case TEE_OPERATION_KEY_DERIVATION:
		*priv = true;
		*usage = TEE_USAGE_DERIVE;
		return mode == TEE_MODE_DERIVE;
	case TEE_OPERATION_DIGEST:
		*usage = 0;
		return mode == TEE_MODE_DIGEST;
	case TEE_OPERATION_MAC:
		*usage = TEE_USAGE_MAC;
		return mode == TEE_MODE_MAC;
	default:
		return false;
	}
}

static void op_destroy(TEE_OperationHandle op)
{
	handle_unregister(op);
	EVP_MD_CTX_free(op->md);
	mac_free(op);
	cipher_free(op);
	ae_free(op);
	obj_destroy(op->key1);
	obj_destroy(op->key2);
	OPENSSL_cleanse(op->buf, sizeof(op->buf));
	free(op);
}

static TEE_Result alloc_keys(TEE_OperationHandle op, bool priv)
{
	uint32_t type = priv ? op->ai->key_type_priv : op->ai->key_type;
	uint32_t bits = op->info.maxKeySize;
	TEE_Result res;

	if (op->info.handleState & TEE_HANDLE_FLAG_EXPECT_TWO_KEYS)
		bits /= 2; /* maxKeySize counts both keys */
	res = obj_new(type, bits, &op->key1);
	if (!res && (op->info.handleState & TEE_HANDLE_FLAG_EXPECT_TWO_KEYS))
		res = obj_new(type, bits, &op->key2);
	return res;
}

TEE_Result TEE_AllocateOperation(TEE_OperationHandle *operation, uint32_t algorithm,
				 uint32_t mode, uint32_t maxKeySize)
{
	const struct alg_info *ai = alg_find(algorithm);
	TEE_OperationHandle op;
	uint32_t usage = 0;
	bool priv = false;
	TEE_Result res = TEE_SUCCESS;

	PANIC_UNLESS(operation, 0);
	if (!ai || (ai->fixed_bits && maxKeySize != ai->fixed_bits) ||
	    (ai->max_bits && maxKeySize > ai->max_bits) || !mode_rules(ai, mode, &usage, &priv))
		return TEE_ERROR_NOT_SUPPORTED;
	op = calloc(1, sizeof(*op));
	if (!op)
		return TEE_ERROR_OUT_OF_MEMORY;
	op->ai = ai;
	op->info.algorithm = algorithm;
	op->info.operationClass = ai->op_class;
	op->info.mode = mode;
	op->info.digestLength = ai->digest_len;
	op->info.maxKeySize = maxKeySize;
	op->info.requiredKeyUsage = usage;
	if (ai->main == MAIN_XTS)
		op->info.handleState = TEE_HANDLE_FLAG_EXPECT_TWO_KEYS;
	if (ai->op_class == TEE_OPERATION_DIGEST) {
		/* GP 1.1: a digest operation has its "key" and is initialised from the start */
		op->info.handleState |= TEE_HANDLE_FLAG_KEY_SET | TEE_HANDLE_FLAG_INITIALIZED;
		res = digest_setup(op);
	} else {
		res = alloc_keys(op, priv);
	}
	if (!res && handle_register(op, HANDLE_OPERATION))
		res = TEE_ERROR_OUT_OF_MEMORY;
	if (res) {
		op_destroy(op);
		ALLOW_ONLY(res, TEE_ERROR_OUT_OF_MEMORY, TEE_ERROR_NOT_SUPPORTED);
		return res;
	}
	op->state = TEE_OPERATION_STATE_INITIAL;
	*operation = op;
	return TEE_SUCCESS;
}

void TEE_FreeOperation(TEE_OperationHandle operation)
{
	if (operation == TEE_HANDLE_NULL)
		return;
	op_destroy(op_checked(operation));
}

void __GP11_TEE_FreeOperation(TEE_OperationHandle operation)
{
	PANIC_UNLESS(operation, 0);
	TEE_FreeOperation(operation);
}

void TEE_GetOperationInfo(TEE_OperationHandle operation, TEE_OperationInfo *operationInfo)
{
	op_checked(operation);
	PANIC_UNLESS(operationInfo, 0);
	*operationInfo = operation->info;
	if (operation->info.handleState & TEE_HANDLE_FLAG_EXPECT_TWO_KEYS) {
		operationInfo->keySize = 0;
		operationInfo->requiredKeyUsage = 0;
	}
}

TEE_Result TEE_GetOperationInfoMultiple(TEE_OperationHandle op,
					TEE_OperationInfoMultiple *info, size_t *size)
{
	size_t nkeys_room, nkeys;

	op_checked(op);
	PANIC_UNLESS(size && info && *size >= sizeof(*info), TEE_ERROR_BAD_PARAMETERS);
	nkeys_room = (*size - sizeof(*info)) / sizeof(TEE_OperationInfoKey);
	memset(info, 0, *size);
	nkeys = op->info.mode == TEE_MODE_DIGEST ? 0 : op->key2 ? 2 : 1;
	if (nkeys > nkeys_room)
		return TEE_ERROR_SHORT_BUFFER;
	for (size_t i = 0; i < nkeys; i++) {
		info->keyInformation[i].keySize = (i ? op->key2 : op->key1)->info.objectSize;
		info->keyInformation[i].requiredKeyUsage = op->info.requiredKeyUsage;
	}
	info->numberOfKeys = (uint32_t)nkeys;
	info->algorithm = op->info.algorithm;
	info->operationClass = op->info.operationClass;
	info->mode = op->info.mode;
	info->digestLength = op->info.digestLength;
	info->maxKeySize = op->info.maxKeySize;
	info->handleState = op->info.handleState;
	info->operationState = op->state;
	return TEE_SUCCESS;
}

TEE_Result __GP11_TEE_GetOperationInfoMultiple(TEE_OperationHandle operation,
					       TEE_OperationInfoMultiple *info,
					       uint32_t *operationSize)
{
	size_t s;
	TEE_Result res;

	PANIC_UNLESS(operationSize, 0);
	s = *operationSize;
	res = TEE_GetOperationInfoMultiple(operation, info, &s);
	*operationSize = (uint32_t)s;
	return res;
}

void op_reset_state(TEE_OperationHandle op)
{
	op->state = TEE_OPERATION_STATE_INITIAL;
	op->buf_offs = 0;
	if (op->info.operationClass == TEE_OPERATION_DIGEST) {
		PANIC_UNLESS(EVP_DigestInit_ex(op->md, NULL, NULL) == 1, TEE_ERROR_GENERIC);
		op->info.handleState |= TEE_HANDLE_FLAG_INITIALIZED;
	} else {
		op->info.handleState &= ~TEE_HANDLE_FLAG_INITIALIZED;
	}
}

void TEE_ResetOperation(TEE_OperationHandle operation)
{
	op_checked(operation);
	PANIC_UNLESS(operation->info.handleState & TEE_HANDLE_FLAG_KEY_SET, 0);
	op_reset_state(operation);
}

/* The key the TA gives must allow what the operation needs and fit its maxKeySize. */
static void check_key(TEE_OperationHandle op, TEE_ObjectHandle key)
{
	PANIC_UNLESS((key->info.objectUsage & op->info.requiredKeyUsage) ==
		     op->info.requiredKeyUsage, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(key->info.objectSize <= op->info.maxKeySize, TEE_ERROR_BAD_PARAMETERS);
}

static void forget_keys(TEE_OperationHandle op)
{
	if (op->key1)
		obj_clear(op->key1);
	if (op->key2)
		obj_clear(op->key2);
	op->info.handleState &= ~TEE_HANDLE_FLAG_KEY_SET;
	if (op->state != TEE_OPERATION_STATE_INITIAL)
		op_reset_state(op);
}

TEE_Result op_set_key(TEE_OperationHandle op, TEE_ObjectHandle key)
{
	if (!key) {
		forget_keys(op);
		return TEE_SUCCESS;
	}
	PANIC_UNLESS(op->info.operationClass != TEE_OPERATION_DIGEST, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(!(op->info.handleState & TEE_HANDLE_FLAG_EXPECT_TWO_KEYS),
		     TEE_ERROR_BAD_PARAMETERS);
	check_key(op, key);
	obj_clear(op->key1);
	op->info.handleState &= ~TEE_HANDLE_FLAG_KEY_SET;
	obj_copy_object(op->key1, key);
	op->info.handleState |= TEE_HANDLE_FLAG_KEY_SET;
	op->info.keySize = key->info.objectSize;
	if (op->state != TEE_OPERATION_STATE_INITIAL)
		op_reset_state(op);
	return TEE_SUCCESS;
}

TEE_Result TEE_SetOperationKey(TEE_OperationHandle operation, TEE_ObjectHandle key)
{
	op_checked(operation);
	PANIC_UNLESS(!(operation->info.handleState & TEE_HANDLE_FLAG_INITIALIZED), 0);
	return op_set_key(operation, key ? obj_checked(key) : NULL);
}

TEE_Result __GP11_TEE_SetOperationKey(TEE_OperationHandle operation, TEE_ObjectHandle key)
{
	op_checked(operation);
	PANIC_UNLESS(operation->state == TEE_OPERATION_STATE_INITIAL, 0);
	return op_set_key(operation, key ? obj_checked(key) : NULL);
}

/* Keys already checked (or an operation's own slots). */
static TEE_Result set_key2(TEE_OperationHandle op, TEE_ObjectHandle k1, TEE_ObjectHandle k2)
{
	if (!k1 && !k2) {
		forget_keys(op);
		return TEE_SUCCESS;
	}
	PANIC_UNLESS(k1 && k2, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.operationClass != TEE_OPERATION_DIGEST, TEE_ERROR_BAD_PARAMETERS);
	PANIC_UNLESS(op->info.handleState & TEE_HANDLE_FLAG_EXPECT_TWO_KEYS,
		     TEE_ERROR_BAD_PARAMETERS);
	check_key(op, k1);
	check_key(op, k2);
	/* both keys of one size, as all two-key algorithms want */
	PANIC_UNLESS(k1->info.objectSize == k2->info.objectSize, TEE_ERROR_BAD_PARAMETERS);
	obj_clear(op->key1);
	obj_clear(op->key2);
	op->info.handleState &= ~TEE_HANDLE_FLAG_KEY_SET;
	obj_copy_object(op->key1, k1);
	obj_copy_object(op->key2, k2);
	op->info.handleState |= TEE_HANDLE_FLAG_KEY_SET;
	op->info.keySize = k1->info.objectSize;
	if (op->state != TEE_OPERATION_STATE_INITIAL)
		op_reset_state(op);
	return TEE_SUCCESS;
}

TEE_Result __GP11_TEE_SetOperationKey2(TEE_OperationHandle operation, TEE_ObjectHandle key1,
				       TEE_ObjectHandle key2)
{
	op_checked(operation);
	PANIC_UNLESS(operation->state == TEE_OPERATION_STATE_INITIAL, 0);
	return set_key2(operation, key1 ? obj_checked(key1) : NULL,
			key2 ? obj_checked(key2) : NULL);
}

TEE_Result TEE_SetOperationKey2(TEE_OperationHandle operation, TEE_ObjectHandle key1,
				TEE_ObjectHandle key2)
{
	if (operation && key1 && key1 == key2)
		return TEE_ERROR_SECURITY;
	return __GP11_TEE_SetOperationKey2(operation, key1, key2);
}

static TEE_Result copy_engine(TEE_OperationHandle dst, TEE_OperationHandle src)
{
	switch (src->info.operationClass) {
	case TEE_OPERATION_DIGEST:
		return EVP_MD_CTX_copy_ex(dst->md, src->md) == 1 ? TEE_SUCCESS : TEE_ERROR_GENERIC;
	case TEE_OPERATION_MAC:
		return mac_copy(dst, src);
	case TEE_OPERATION_CIPHER:
		return cipher_copy(dst, src);
	case TEE_OPERATION_AE:
		return ae_copy(dst, src);
	default:
		return TEE_SUCCESS; /* asymmetric operations keep no running state */
	}
}

void TEE_CopyOperation(TEE_OperationHandle dstOperation, TEE_OperationHandle srcOperation)
{
	TEE_OperationHandle dst = op_checked(dstOperation);
	TEE_OperationHandle src = op_checked(srcOperation);
	bool keyed = src->info.handleState & TEE_HANDLE_FLAG_KEY_SET;
	TEE_Result res;

	PANIC_UNLESS(dst->info.algorithm == src->info.algorithm &&
		     dst->info.mode == src->info.mode, 0);
	if (src->info.operationClass != TEE_OPERATION_DIGEST) {
		if (!(src->info.handleState & TEE_HANDLE_FLAG_EXPECT_TWO_KEYS)) {
			op_set_key(dst, keyed ? src->key1 : NULL);
		} else {
			PANIC_UNLESS(dst->state == TEE_OPERATION_STATE_INITIAL, 0);
			set_key2(dst, keyed ? src->key1 : NULL, keyed ? src->key2 : NULL);
		}
	}
	dst->info.handleState = src->info.handleState;
	dst->info.keySize = src->info.keySize;
	dst->info.digestLength = src->info.digestLength;
	dst->state = src->state;
	memcpy(dst->buf, src->buf, sizeof(dst->buf));
	dst->buf_offs = src->buf_offs;
	res = copy_engine(dst, src);
	if (res)
		tarun_panic(res);
}
