/* SPDX-License-Identifier: MIT */
/*
 * Where a vteed's status socket is (docs/vteed-protocol.md, "Status"): the
 * abstract address "@vtee-status/PID" (VTEED_STATUS_PREFIX). vteed listens
 * there (mediator/status.c), `vtee status` and vteed_status() ask there.
 */
#ifndef VTEED_STATUS_ADDR_H
#define VTEED_STATUS_ADDR_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* pid's status socket address in *sa; returns the address length. */
socklen_t vteed_status_addr(pid_t pid, struct sockaddr_un *sa);

#endif
