/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: GP TEE Sockets API, the UDP socket instance. */
#ifndef __TEE_UDPSOCKET_H
#define __TEE_UDPSOCKET_H

#include <tee_isocket.h>
#include <__tee_ipsocket.h>
#include <__tee_udpsocket_defines.h>

typedef struct TEE_udpSocket_Setup_s {
	TEE_ipSocket_ipVersion ipVersion;
	char *server_addr;
	uint16_t server_port;
} TEE_udpSocket_Setup;

#ifdef __cplusplus
extern "C" {
#endif
extern TEE_iSocket *const TEE_udpSocket;
#ifdef __cplusplus
}
#endif

#endif /* __TEE_UDPSOCKET_H */
