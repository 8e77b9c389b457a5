/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: GP TEE Sockets API, the TCP socket instance. */
#ifndef __TEE_TCPSOCKET_H
#define __TEE_TCPSOCKET_H

#include <tee_isocket.h>
#include <__tee_ipsocket.h>
#include <__tee_tcpsocket_defines.h>

typedef struct TEE_tcpSocket_Setup_s {
	TEE_ipSocket_ipVersion ipVersion;
	char *server_addr;
	uint16_t server_port;
} TEE_tcpSocket_Setup;

#ifdef __cplusplus
extern "C" {
#endif
extern TEE_iSocket *const TEE_tcpSocket;
#ifdef __cplusplus
}
#endif

#endif /* __TEE_TCPSOCKET_H */
