/* SPDX-License-Identifier: MIT */
/*
 * vtee-served: a TEE service for mediators on other machines (docs/remote.md).
 *
 * It listens on TCP, speaks TLS 1.3 only and requires a client certificate
 * signed by its CA. The certificate's SHA-256 fingerprint names a tenant
 * (--tenants FILE); an unknown one is refused. Each tenant has its own TEE
 * process, vtee-tee with the tenant's policy (--policy: which TAs, how many
 * sessions), so tenants share nothing: not sessions, not TA state, not
 * memory. A connection carries channels (lib/backend/remote/mux.h), one per
 * VM, each a TEE link stream (docs/tee-link.md) that the tenant's vtee-tee
 * serves over a socketpair of its own. The mediators' remote back-end
 * (lib/backend/remote) is the other side; its VMs share a pool of connections.
 *
 * Least privilege (docs/threat-model.md): once the listening socket is bound
 * and the certificates and tenants are loaded, vtee-served gives up root
 * (--user, default "nobody") and enters its seccomp allowlist: no file, no
 * new process, no exec, no socket but accepted connections and socketpairs.
 * The tenants' vtee-tees are started by the spawner, a small process forked
 * before any of that (spawner.c), which keeps the privileges vtee-served was
 * started with and does nothing but start the vtee-tee of the tenant it is
 * asked for, with the arguments fixed at start-up.
 *
 *   main.c     arguments, start-up, least privilege, the accept loop
 *   tenants.c  the tenants file
 *   spawner.c  the spawner process, and asking it
 *   conn.c     a connection: TLS, the tenant, the caps, its channels
 */
#ifndef VTEE_SERVED_H
#define VTEE_SERVED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "daemon_log.h"

#define MAX_TENANTS            64
#define DEFAULT_TENANT_CONNS   64u  /* [tenant] connections */
#define DEFAULT_SERVER_CONNS   256u /* [server] connections, --max-connections */
#define MAX_CONNS_LIMIT        4096u

struct tenant {
	char name[64];
	char fingerprint[65];
	char policy[512];
	pthread_mutex_t lock;
	int ctl;      /* to its vtee-tee: connections go there (SCM_RIGHTS), -1 none yet */
	unsigned connections;     /* channels handed to its vtee-tee so far */
	unsigned max_conns, conns; /* TLS connections: the cap ([tenant] connections), open now */
};

struct served {
	struct tenant tenants[MAX_TENANTS];
	unsigned ntenants;
	const char *tee_path;                 /* --vtee-tee */
	const char *tee_backend, *tee_options; /* --backend, --backend-options: passed to vtee-tee */
	unsigned timeout_ms;                  /* --timeout-ms */
	SSL_CTX *ctx;
	int spawner;                          /* the socket to the spawner */
	/* every connection, authenticated or not: the server's cap */
	pthread_mutex_t lock;
	unsigned max_conns, conns;            /* [server] connections / --max-connections; open now */
	bool at_cap;                          /* refusing, since the last time it was below */
	unsigned refused;                     /* refused since it reached the cap */
};

extern struct served srv;

#define served_log(...) vteed_log(VLOG_INFO, __VA_ARGS__)

/* tenants.c */
/* Read the tenants file: [tenant NAME] sections, and [server]. 0 or -errno, with the reason in err. */
int tenants_load(const char *path, unsigned *server_conns, char *err, size_t errlen);
/* The tenant a client certificate's fingerprint names, or NULL. */
struct tenant *tenant_by_fingerprint(const char *fp);

/* spawner.c */
/* Fork the spawner (before any thread and before the sandbox): 0 or -errno. */
int spawner_start(void);
/* Start tenant t's vtee-tee: *ctl = its control socket. 0 or -errno. */
int spawner_spawn(const struct tenant *t, int *ctl, pid_t *pid);

/* conn.c */
/* A new TCP connection (fd taken): served on a thread of its own, unless the server is at its cap. */
void conn_accepted(int fd, const struct sockaddr_storage *sa, socklen_t salen);

#endif
