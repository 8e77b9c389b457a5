/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: the numbers of OP-TEE's attestation pseudo-TA, so that
 * TAs calling it compile; vtee has no such pseudo-TA (opening it fails).
 */
#ifndef __PTA_ATTESTATION_H
#define __PTA_ATTESTATION_H

#define PTA_ATTESTATION_UUID { 0x0dc571c7, 0xb1a7, 0x43fb, \
		{ 0xa8, 0x78, 0x72, 0xc7, 0xb8, 0xc5, 0x88, 0xbb } }

/* value[0].a of the open: how the TA's immutable pages are hashed */
#define PTA_ATTESTATION_HASH_METHOD_FULL	0x0
#define PTA_ATTESTATION_HASH_METHOD_TAGS	0x1

#endif /* __PTA_ATTESTATION_H */
