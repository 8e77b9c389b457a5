/* SPDX-License-Identifier: MIT */
/*
 * vteed's per-VM policy file (docs/policy.md): which back-end serves the VM,
 * which TAs the guest may open sessions with, the VM's quotas and time slice,
 * and how vteed logs. Parsed with libinih.
 *
 *   struct vteed_policy pol;
 *   char err[256];
 *   vteed_policy_init(&pol);
 *   if (vteed_policy_load(&pol, path, err, sizeof(err)) < 0) { fprintf(stderr, "%s\n", err); exit(2); }
 *   pol.on_denied = log_denial; pol.log_ctx = ...;     optional
 *   struct vtee_vm_config cfg = { .vm_id = id, .name = name };
 *   vteed_policy_apply(&pol, &cfg);                       quota, slice, TA filter
 *   vtee_tee_open(pol.backend, NULL, &tee); vtee_vm_create(tee, &cfg, &vm);
 *   ...
 *   vtee_vm_destroy(vm); vteed_policy_free(&pol);
 *
 * Thread safety: after loading, the policy is read-only; vteed_policy_ta_allowed()
 * may run on any number of vCPU threads at once (on_denied must be thread-safe too).
 * The policy must outlive every VM configured with vteed_policy_apply().
 */
#ifndef VTEED_POLICY_H
#define VTEED_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtee/vtee.h"

/* At most this many UUIDs in each of [ta] allow and [ta] deny. */
#define VTEED_POLICY_MAX_UUIDS 256
/* At most this many directories in [ta] dirs. */
#define VTEED_POLICY_MAX_TA_DIRS 8
/* [storage] max_objects at most (the GP object ids a VM may hold). */
#define VTEED_POLICY_MAX_STORAGE_OBJECTS (1u << 20)
/* Text form of a UUID with its NUL: 8-4-4-4-12 hex digits. */
#define VTEED_UUID_STRLEN 37

enum vteed_log_target { VTEED_LOG_STDERR, VTEED_LOG_SYSLOG };
/* Ordered: a message is logged when its level <= the configured one. */
enum vteed_log_level { VTEED_LOG_ERROR, VTEED_LOG_WARNING, VTEED_LOG_INFO, VTEED_LOG_DEBUG };

struct vteed_policy {
	char backend[32];              /* [tee] backend, a name from vtee_backend_names() ["soft"] */
	char backend_options[256];     /* [tee] options, the back-end's option string [""] */
	/* [ta]: deny list, then allow list, then the default */
	bool default_allow;            /* [ta] default [allow] */
	uint32_t n_allow, n_deny;
	struct vtee_uuid allow[VTEED_POLICY_MAX_UUIDS];
	struct vtee_uuid deny[VTEED_POLICY_MAX_UUIDS];
	/*
	 * [ta] dirs: where TAs in processes come from (the soft back-end's
	 * ta_dir=), for the process that runs the built-in TEE with this
	 * policy: vtee-tee --policy (vteed's own TEE cannot start processes)
	 */
	uint32_t n_ta_dirs;
	char ta_dirs[VTEED_POLICY_MAX_TA_DIRS][256];
	struct vtee_quota quota;       /* [quota]; a zero field = libvtee's default */
	uint32_t slice_us;             /* [call] time_slice_us; 0 = libvtee's default */
	/*
	 * [storage] (docs/storage.md): dir, the root of the VMs' state directories
	 * (<dir>/<vm name>), for whoever prepares a VM's storage (a VMM with
	 * libvteed, `vtee run`); "" = theirs. max_objects/max_bytes, the VM's
	 * quota (0 = the engine's default): vtee-tee --policy caps what the
	 * supervisor asks with them.
	 */
	char storage_dir[256];
	uint32_t storage_max_objects;
	uint64_t storage_max_bytes;
	enum vteed_log_target log_target; /* [log] target [stderr] */
	enum vteed_log_level log_level;   /* [log] level [info] */
	bool log_denials;              /* [log] denials [yes] */
	/*
	 * Not from the file: set by vteed. Called by vteed_policy_ta_allowed() for
	 * each TA it refuses while log_denials is set; on any vCPU thread.
	 */
	void (*on_denied)(void *log_ctx, const struct vtee_uuid *ta);
	void *log_ctx;
};

/* Defaults: back-end "soft", every TA allowed, libvtee's quotas and slice, stderr/info, denials logged. */
void vteed_policy_init(struct vteed_policy *p);
/*
 * Read a policy file on top of *p (normally fresh from vteed_policy_init()):
 * each key the file sets replaces the value, allow/deny UUIDs are added.
 * Returns 0, or -errno with "path:line: what is wrong" (or "path: ..." when the
 * file cannot be read) in err: -EINVAL for any error in the file's contents,
 * -ENOENT/-EACCES/... when it cannot be opened or read, -ENOMEM. On failure *p
 * is unchanged. err may be NULL.
 */
int vteed_policy_load(struct vteed_policy *p, const char *path, char *err, size_t errlen);
/* Release what the policy holds (nothing today) and reset it to the defaults. */
void vteed_policy_free(struct vteed_policy *p);

/* The OPEN_SESSION filter: ctx is the struct vteed_policy. Matches vtee_vm_config.ta_allowed. */
bool vteed_policy_ta_allowed(void *ctx, const struct vtee_uuid *ta);
/* Set cfg's quota, slice_us, ta_allowed and policy_ctx from the policy; other fields untouched. */
void vteed_policy_apply(const struct vteed_policy *p, struct vtee_vm_config *cfg);

/*
 * RFC 4122 text form (8-4-4-4-12 hex digits, either case, nothing else) to
 * 16 bytes in network order. 0 or -EINVAL.
 */
int vteed_uuid_parse(const char *s, struct vtee_uuid *out);
/* The reverse, lower case, for logs. */
void vteed_uuid_format(const struct vtee_uuid *u, char out[VTEED_UUID_STRLEN]);

#endif
