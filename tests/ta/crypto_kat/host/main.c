// SPDX-License-Identifier: MIT
/*
 * vtee-ta-crypto-kat: runs every known-answer family of the crypto_kat TA and
 * prints one line per check the TA made. A family that kills the TA is a
 * failure, and the next family gets a new session. Exit status 0 only if
 * every check passed.
 */
#include <crypto_kat_ta.h>

#include "ta_client.h"

static const struct {
	uint32_t cmd;
	const char *name;
} families[] = {
	{ TA_CRYPTO_KAT_CMD_DIGEST, "SHA" },
	{ TA_CRYPTO_KAT_CMD_HMAC, "HMAC" },
	{ TA_CRYPTO_KAT_CMD_CMAC, "AES-CMAC" },
	{ TA_CRYPTO_KAT_CMD_CBC_MAC, "AES-CBC-MAC" },
	{ TA_CRYPTO_KAT_CMD_AES, "AES ECB/CBC/CTR" },
	{ TA_CRYPTO_KAT_CMD_AES_CTS, "AES-CTS" },
	{ TA_CRYPTO_KAT_CMD_AES_XTS, "AES-XTS" },
	{ TA_CRYPTO_KAT_CMD_AES_GCM, "AES-GCM" },
	{ TA_CRYPTO_KAT_CMD_AES_CCM, "AES-CCM" },
	{ TA_CRYPTO_KAT_CMD_RSA_SIGN, "RSA signatures" },
	{ TA_CRYPTO_KAT_CMD_RSA_CIPHER, "RSA encryption" },
	{ TA_CRYPTO_KAT_CMD_ECDSA, "ECDSA" },
	{ TA_CRYPTO_KAT_CMD_ED25519, "Ed25519" },
	{ TA_CRYPTO_KAT_CMD_ECDH, "ECDH" },
	{ TA_CRYPTO_KAT_CMD_X25519, "X25519" },
	{ TA_CRYPTO_KAT_CMD_KEYGEN, "key generation" },
	{ TA_CRYPTO_KAT_CMD_RANDOM, "random" },
	{ TA_CRYPTO_KAT_CMD_ERRORS, "error contract" },
};

static const TEEC_UUID kat_uuid = TA_CRYPTO_KAT_UUID;

static bool open_kat(TEEC_Context *ctx, TEEC_Session *sess)
{
	uint32_t origin = 0;
	TEEC_Result res = TEEC_OpenSession(ctx, sess, &kat_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL,
					   &origin);

	return check(res == TEEC_SUCCESS, "open a session to crypto_kat (%s)", RES(res, origin));
}

/* A report buffer too small: SHORT_BUFFER, the size needed, and the counts all the same. */
static void check_short_report(TEEC_Session *sess)
{
	char small[16];
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE,
					 TEEC_NONE);
	op.params[1].tmpref.buffer = small;
	op.params[1].tmpref.size = sizeof(small);
	res = TEEC_InvokeCommand(sess, TA_CRYPTO_KAT_CMD_RANDOM, &op, &origin);
	check(res == TEEC_ERROR_SHORT_BUFFER && origin == TEEC_ORIGIN_TRUSTED_APP &&
	      op.params[1].tmpref.size > sizeof(small) && op.params[0].value.a > 0,
	      "a 16-byte report buffer: SHORT_BUFFER from the TA with the size needed "
	      "(%zu) and the counts (%u) (%s)", op.params[1].tmpref.size,
	      op.params[0].value.a, RES(res, origin));
}

int main(void)
{
	TEEC_Context ctx;
	TEEC_Session sess;
	TEEC_Result res = TEEC_InitializeContext(NULL, &ctx);
	bool open;

	if (!check(res == TEEC_SUCCESS, "TEEC_InitializeContext (%s)", RES(res, 0)))
		return finish();
	open = open_kat(&ctx, &sess);
	if (open)
		check_short_report(&sess);
	for (size_t i = 0; open && i < sizeof(families) / sizeof(families[0]); i++) {
		uint64_t t0 = mono_ns();

		res = run_report(&sess, families[i].name, families[i].cmd, TEEC_NONE, NULL, NULL);
		note("%s: %" PRIu64 " ms", families[i].name, ms_since(t0));
		if (res == TEEC_ERROR_TARGET_DEAD) {
			TEEC_CloseSession(&sess);
			open = open_kat(&ctx, &sess);
		}
	}
	if (open)
		TEEC_CloseSession(&sess);
	TEEC_FinalizeContext(&ctx);
	return finish();
}
