/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: GP TEE Sockets API, the interface every socket instance
 * (TEE_tcpSocket, TEE_udpSocket) implements. TAs run without network
 * access in vtee, so these compile but the instances are not provided.
 */
#ifndef __TEE_ISOCKET_H
#define __TEE_ISOCKET_H

#include <stdint.h>
#include <tee_api_types.h>
#include <__tee_isocket_defines.h>

typedef void *TEE_iSocketHandle;

typedef const struct TEE_iSocket_s {
	uint32_t TEE_iSocketVersion;
	uint8_t protocolID;
	TEE_Result (*open)(TEE_iSocketHandle *ctx, void *setup,
			   uint32_t *protocolError);
	TEE_Result (*close)(TEE_iSocketHandle ctx);
	TEE_Result (*send)(TEE_iSocketHandle ctx, const void *buf,
			   uint32_t *length, uint32_t timeout);
	TEE_Result (*recv)(TEE_iSocketHandle ctx, void *buf, uint32_t *length,
			   uint32_t timeout);
	uint32_t (*error)(TEE_iSocketHandle ctx);
	TEE_Result (*ioctl)(TEE_iSocketHandle ctx, uint32_t commandCode,
			    void *buf, uint32_t *length);
} TEE_iSocket;

#endif /* __TEE_ISOCKET_H */
