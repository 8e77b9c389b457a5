/* SPDX-License-Identifier: MIT */
/*
 * ECDSA, ECDH, Ed25519 and X25519 known answers for crypto_kat (kat_ecc.c).
 *
 * Generated once from the published values; each value was checked against
 * an independent implementation (Python cryptography / hashlib) when written.
 */
#ifndef VECTORS_ECC_H
#define VECTORS_ECC_H

#include <stdint.h>
#include <tee_internal_api.h>

/* ECDSA: RFC 6979 appendix A.2.5-A.2.7, message "sample"; coordinates and
 * scalars big-endian, padded to the field size; sig = r || s. */
struct ecdsa_vec {
	const char *name;
	uint32_t curve;
	uint32_t bits;
	uint32_t alg;
	uint32_t hash;
	const char *d, *x, *y;
	const char *msg;	/* ASCII */
	const char *sig;
};

static const struct ecdsa_vec ecdsa_vecs[] = {
	{ "ECDSA P-256 SHA-256, RFC 6979 A.2.5", TEE_ECC_CURVE_NIST_P256, 256, TEE_ALG_ECDSA_SHA256, TEE_ALG_SHA256,
		"c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
		"60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
		"7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
		"sample",
		"efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
		"f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8" },
	{ "ECDSA P-384 SHA-384, RFC 6979 A.2.6", TEE_ECC_CURVE_NIST_P384, 384, TEE_ALG_ECDSA_SHA384, TEE_ALG_SHA384,
		"6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d8"
		"96d5724e4c70a825f872c9ea60d2edf5",
		"ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64"
		"def8f0ea9055866064a254515480bc13",
		"8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1"
		"288b231c3ae0d4fe7344fd2533264720",
		"sample",
		"94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c"
		"81a648152e44acf96e36dd1e80fabe4699ef4aeb15f178cea1fe40db2603138f"
		"130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8" },
	{ "ECDSA P-521 SHA-512, RFC 6979 A.2.7", TEE_ECC_CURVE_NIST_P521, 521, TEE_ALG_ECDSA_SHA512, TEE_ALG_SHA512,
		"00fad06daa62ba3b25d2fb40133da757205de67f5bb0018fee8c86e1b68c7e75"
		"caa896eb32f1f47c70855836a6d16fcc1466f6d8fbec67db89ec0c08b0e996b8"
		"3538",
		"01894550d0785932e00eaa23b694f213f8c3121f86dc97a04e5a7167db4e5bcd"
		"371123d46e45db6b5d5370a7f20fb633155d38ffa16d2bd761dcac474b9a2f50"
		"23a4",
		"00493101c962cd4d2fddf782285e64584139c2f91b47f87ff82354d6630f746a"
		"28a0db25741b5b34a828008b22acc23f924faafbd4d33f81ea66956dfeaa2bfd"
		"fcf5",
		"sample",
		"00c328fafcbd79dd77850370c46325d987cb525569fb63c5d3bc53950e6d4c5f"
		"174e25a1ee9017b5d450606add152b534931d7d4e8455cc91f9b15bf05ec36e3"
		"77fa00617cce7cf5064806c467f678d3b4080d6f1cc50af26ca209417308281b"
		"68af282623eaa63e5b5c0723d8b8c37ff0777b1a20f8ccb1dccc43997f1ee0e4"
		"4da4a67a" },
};

/* ECDH: RFC 5903 section 8 (IKE groups 19-21); priv/x/y are the initiator's
 * key, peer_x/peer_y the responder's public value, shared the x-coordinate of
 * the shared point. The P-521 public values are derived from the RFC's scalars. */
struct ecdh_vec {
	const char *name;
	uint32_t curve;
	uint32_t bits;
	const char *priv, *x, *y;
	const char *peer_x, *peer_y;
	const char *shared;
};

static const struct ecdh_vec ecdh_vecs[] = {
	{ "ECDH P-256, RFC 5903 8.1", TEE_ECC_CURVE_NIST_P256, 256,
		"c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
		"dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
		"5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
		"d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
		"56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
		"d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de" },
	{ "ECDH P-384, RFC 5903 8.2", TEE_ECC_CURVE_NIST_P384, 384,
		"099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655"
		"e35b538041e649ee3faef896783ab194",
		"667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6"
		"de3ac808acb4bdb4c88732aee95f41aa",
		"9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38e"
		"eb9fcff3c2c947dae69b4c634573a81c",
		"e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d"
		"0d1ac43a0336def96fda41d0774a3571",
		"dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1ff"
		"f83fa40142209dff5eaad96db9e6386c",
		"11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4"
		"d603135569b9e9d09cf5d4a270f59746" },
	{ "ECDH P-521, RFC 5903 8.3", TEE_ECC_CURVE_NIST_P521, 521,
		"0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a0"
		"95aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d"
		"4a52",
		"0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbe"
		"e1e3bf42e00b8e380aeae57c2d107564941885942af5a7f4601723c4195d176c"
		"ed3e",
		"017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10a"
		"d8a788015ac405d7799dc75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f"
		"9582",
		"00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a21"
		"9b97c356436adc6e95bb0352f6be64a6c2912d4ef2d0433ced2b6171640012d9"
		"460f",
		"015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87"
		"220b6536c5c408a1d2aebb8e86d678ae49cb57091f4732296579ab44fcd17f0f"
		"c56a",
		"01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04"
		"d1427e73ca4baa240a34786859810c06b3c715a3a8cc3151f2bee417996d19f3"
		"ddea" },
};

/* Ed25519: RFC 8032 section 7.1, TEST 1-3 (pure Ed25519; msg and sig hex). */
struct ed25519_vec {
	const char *name;
	const char *sk, *pk, *msg, *sig;
};

static const struct ed25519_vec ed25519_vecs[] = {
	{ "Ed25519 RFC 8032 TEST 1",
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"",
		"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		"5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "Ed25519 RFC 8032 TEST 2",
		"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
		"72",
		"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		"085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "Ed25519 RFC 8032 TEST 3",
		"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
		"af82",
		"6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
		"18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

/* X25519: RFC 7748 section 6.1 (Alice and Bob; little-endian as in the RFC). */
struct x25519_vec {
	const char *name;
	const char *priv, *pub, *peer_pub, *shared;
};

static const struct x25519_vec x25519_vecs[] = {
	{ "X25519 RFC 7748 6.1, Alice",
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		"4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	{ "X25519 RFC 7748 6.1, Bob",
		"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		"4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
};

#endif
