/* SPDX-License-Identifier: MIT */
/*
 * vteed's status socket: `vtee status` asks, vteed answers with its VM's
 * figures. The socket is in the abstract namespace ("@vtee-status/PID"): no
 * file to create before the sandbox or to clean up after a crash, and it goes
 * with the process. Only a peer with vteed's uid, or root, gets an answer
 * (SO_PEERCRED), since abstract sockets have no file permissions.
 */
#ifndef VTEED_STATUS_H
#define VTEED_STATUS_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "vteed_proto.h"

#define VTEED_STATUS_PREFIX "vtee-status/"

/* The abstract address of pid's status socket; returns the address length. */
socklen_t vteed_status_addr(pid_t pid, struct sockaddr_un *sa);
/* Listen on this process's status socket. Returns the listening fd (non-blocking) or -errno. */
int vteed_status_listen(void);
/* The uid besides root that may ask (vteed's own once it dropped root); listen() sets the current one. */
void vteed_status_set_uid(uid_t uid);
/* Accept one client, read its STATUS (at most 100 ms), answer with *st. Never blocks longer. */
void vteed_status_serve(int lfd, const struct vteed_status *st);

#endif
