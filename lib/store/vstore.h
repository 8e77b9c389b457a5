/* SPDX-License-Identifier: MIT */
/*
 * vstore: one VM's secure storage on the host's file system (docs/storage.md).
 *
 * A utility below the soft back-end: it knows objects by (TA UUID, namespace, id) and stores two
 * opaque blobs for each (meta: what the GP runtime serialises of the object's info and
 * attributes; data: the data stream). It knows nothing of GP handles, flags or sharing: the soft
 * back-end does (lib/backend/soft/ta_storage.c). Users: the soft back-end (objects), the tools
 * and libvteed (prepare a VM's state for a sandboxed TEE process; export, import, reset).
 *
 * On disk, in the VM's state directory (all names ours, nothing else is touched):
 *   vm.key          the VM's random 256-bit key, wrapped (AES-256-GCM) by a key derived from the
 *                   host key; with the VM's state id (random, 16 bytes)
 *   manifest        AES-256-GCM under a key derived from the VM key: version counter, the hash of
 *                   the previous manifest, and for every object its key, file number, sizes and the
 *                   SHA-256 of its file
 *   obj-<16 hex>    one object, AES-256-GCM under a key derived from the VM key and the TA's UUID,
 *                   the object's key and file number in the associated data; written once, never
 *                   changed (a new version is a new file number)
 *   lock            flock: LOCK_EX around a commit, LOCK_SH for an export (consistent while the VM
 *                   runs)
 *   owner           flock LOCK_EX held by the process serving the VM for as long as it does
 *                   (import and reset refuse with -EBUSY while it is held)
 *   keeper          flock LOCK_SH held by a process that keeps the VM's storage between the
 *                   VM's incarnations (vtee-tee); import and reset refuse with -EBUSY too
 * And outside it, in the anchor directory next to the host key, one file per VM and state directory
 * (named after both): the manifest version and the manifest's SHA-256, MACed. It is what makes a rollback of the
 * whole directory (or its deletion) visible.
 *
 * A commit (put, rename, delete): new object file written and fsynced; new manifest written to
 * manifest.tmp, fsynced, renamed over manifest, directory fsynced; anchor rewritten likewise;
 * the old object file unlinked. Opening accepts manifest version == anchor version with the same
 * hash, or anchor version + 1 whose "previous" hash is the anchor's (a crash between the two
 * renames; the anchor is rolled forward). Object files the manifest does not name are removed.
 *
 * Errors (0 or -errno, docs/hacking.md) and the GP result the soft back-end makes of them:
 *   -ENOENT   no such object                                   TEE_ERROR_ITEM_NOT_FOUND
 *   -EEXIST   the new id exists (put with VSTORE_PUT_NEW, rename)  TEE_ERROR_ACCESS_CONFLICT
 *   -EDQUOT   over the VM's quota (objects or bytes)           TEE_ERROR_STORAGE_NO_SPACE
 *   -ENOSPC   the host file system is full                     TEE_ERROR_STORAGE_NO_SPACE
 *   -EBADMSG  the object (or the whole state) fails its checks TEE_ERROR_CORRUPT_OBJECT
 *   -ENOMEM                                                    TEE_ERROR_OUT_OF_MEMORY
 *   -EINVAL   a bad argument (id too long, ...)                TEE_ERROR_BAD_PARAMETERS
 *   -EIO and other errno from the file system                  TEE_ERROR_STORAGE_NOT_AVAILABLE
 * A store whose whole state failed its checks at open (bad manifest, rollback, deleted
 * directory) still opens: every call then fails with -EBADMSG (vstore_stats.state_corrupt) until
 * the operator resets it or imports a backup.
 *
 * Thread safety: one struct vstore may be used from several threads; calls are serialised inside.
 */
#ifndef VTEE_VSTORE_H
#define VTEE_VSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSTORE_ID_MAX 64u              /* GP TEE_OBJECT_ID_MAX_LEN */
#define VSTORE_META_MAX (16u << 10)    /* one object's meta blob */
#define VSTORE_DATA_MAX (64u << 20)    /* one object's data stream */
#define VSTORE_KEY_BYTES 32u

/* Default per-VM quota (the policy's [storage] keys change it). */
#define VSTORE_DEFAULT_MAX_OBJECTS 16384u
#define VSTORE_DEFAULT_MAX_BYTES (256ull << 20)  /* meta + data of all objects */

enum vstore_ns {
	VSTORE_NS_TA = 0,  /* a TA's own persistent objects (GP TEE_STORAGE_PRIVATE) */
	VSTORE_NS_TEE = 1, /* what the TEE keeps for a TA or the VM: TA persistent time, services */
};

struct vstore_key {
	uint8_t uuid[16];  /* the TA, RFC 4122 byte order; the nil UUID for the VM itself */
	uint8_t ns;        /* enum vstore_ns */
	uint8_t id_len;    /* 0 .. VSTORE_ID_MAX */
	uint8_t id[VSTORE_ID_MAX];
};

struct vstore_quota {
	uint32_t max_objects; /* 0: VSTORE_DEFAULT_MAX_OBJECTS */
	uint64_t max_bytes;   /* 0: VSTORE_DEFAULT_MAX_BYTES */
};

/*
 * What a sandboxed process needs to serve a VM's storage, made by vstore_prepare() in a process
 * that may read the host key and the file system. Plain data plus two fds, so that it can be
 * handed over a socket (SCM_RIGHTS for the fds).
 */
struct vstore_handoff {
	int dir_fd;                       /* the state directory, O_DIRECTORY|O_PATH not allowed: O_RDONLY */
	int anchor_fd;                    /* the VM's anchor file, O_RDWR; -1: no rollback anchor */
	uint8_t vm_key[VSTORE_KEY_BYTES]; /* unwrapped */
	uint8_t state_id[16];
	struct vstore_quota quota;
};

struct vstore_host_key {
	uint8_t key[VSTORE_KEY_BYTES];
	char id[17];                      /* 16 hex digits naming the key (a hash of it), NUL */
};

/*
 * The host key: `path` holds 32 bytes. With create, a missing file is made (random, mode 0600,
 * O_EXCL, fsynced) and its directory with mode 0700. A file readable by others than its owner is
 * refused (-EPERM) with a message. systemd: LoadCredential=vtee-host-key:/etc/vtee/host.key, and
 * the services pass $CREDENTIALS_DIRECTORY/vtee-host-key (docs/storage.md).
 */
int vstore_host_key_load(const char *path, bool create, struct vstore_host_key *out, char *msg,
			 size_t msglen);

/*
 * Opens (creating if missing, mode 0700) the state directory `state_dir` of the VM `vm_name`
 * and its anchor `anchor_dir`/<vm_name>-<hash of the canonical state_dir>.anchor (anchor_dir
 * NULL: none; one VM name with two state directories has two anchors), creates or unwraps
 * vm.key with `hk`. -EKEYREJECTED when vm.key was wrapped by another host key.
 * The caller closes the fds (vstore_handoff_close) once handed over.
 */
int vstore_prepare(const char *state_dir, const char *anchor_dir, const char *vm_name,
		   const struct vstore_host_key *hk, const struct vstore_quota *quota,
		   struct vstore_handoff *out, char *msg, size_t msglen);
void vstore_handoff_close(struct vstore_handoff *h); /* closes fds, wipes the key */

/*
 * Serving: vstore_open takes the fds of `h` (they belong to the store from then on, also on
 * failure) and takes the owner lock (-EBUSY if another process serves the VM). It checks the
 * manifest against the anchor; a failure of the whole state opens a corrupt store (see above) and
 * logs why through `log` (may be NULL). Needs only *at() calls on the two fds: runs under
 * vtee-tee's seccomp allowlist.
 */
typedef void vstore_log_fn(void *arg, const char *line);
struct vstore;
int vstore_open(struct vstore_handoff *h, vstore_log_fn *log, void *log_arg, struct vstore **out);
void vstore_close(struct vstore *s);

/*
 * Reads an object: *meta and *data are malloc'd (free them), *meta_len and *data_len their sizes
 * (either may be 0 with a non-NULL pointer). -ENOENT, -EBADMSG (the file is missing, altered,
 * or older than the manifest says: counted in stats.corrupt_objects, logged once).
 */
int vstore_get(struct vstore *s, const struct vstore_key *k, void **meta, size_t *meta_len,
	       void **data, size_t *data_len);

#define VSTORE_PUT_NEW 1u  /* fail with -EEXIST if the object exists */
/* Creates or replaces an object, atomically. */
int vstore_put(struct vstore *s, const struct vstore_key *k, const void *meta, size_t meta_len,
	       const void *data, size_t data_len, unsigned int flags);
/* Gives an object a new id within its TA and namespace (-EEXIST, -ENOENT), atomically. */
int vstore_rename(struct vstore *s, const struct vstore_key *from, const uint8_t *new_id,
		  size_t new_id_len);
int vstore_delete(struct vstore *s, const struct vstore_key *k);
/*
 * Enumeration of one TA's namespace, ordered by (id_len, id): the first object after `after`
 * (NULL: the first of all) with the same uuid and ns; fills *next and *data_len. -ENOENT at the
 * end.
 */
int vstore_next(struct vstore *s, const uint8_t uuid[16], uint8_t ns,
		const struct vstore_key *after, struct vstore_key *next, uint64_t *data_len);

struct vstore_stats {
	uint64_t objects, bytes;          /* stored now (meta + data) */
	uint64_t bytes_on_disk;           /* the files' sizes, manifest included */
	uint64_t version;                 /* the manifest's */
	uint64_t commits;
	uint64_t corrupt_objects;         /* gets that failed their checks since open */
	bool state_corrupt;               /* the whole state failed at open */
};
void vstore_get_stats(struct vstore *s, struct vstore_stats *out);

/*
 * A VM's state as one file (docs/storage.md, "Export format"). Export reads the state directory
 * under the lock file's LOCK_SH, so it is consistent while a process serves the VM; the VM key is
 * wrapped for `to` (a named host key; its id is in the file). Import checks the whole file (MAC)
 * before it changes anything, refuses a file wrapped for another key (-EKEYREJECTED, with a
 * message naming both key ids) and a VM being served (-EBUSY), then replaces the state directory
 * atomically, re-wraps the VM key with `local` and sets the anchor to the imported version.
 * Export refuses (-EBADMSG, with a message) a state whose manifest the anchor in `anchor_dir`
 * (named as for vstore_prepare with `vm_name`) would not accept at open (same version and hash,
 * or its successor): a rolled-back directory cannot be laundered through an export. anchor_dir
 * NULL: no such check (vm_name unused).
 * Reset removes the state and the anchor (the next prepare starts a new, empty state).
 */
int vstore_export(const char *state_dir, const char *anchor_dir, const char *vm_name,
		  const struct vstore_host_key *local, const struct vstore_host_key *to, int out_fd,
		  char *msg, size_t msglen);
int vstore_import(const char *state_dir, const char *anchor_dir, const char *vm_name,
		  const struct vstore_host_key *local, const struct vstore_host_key *from, int in_fd,
		  char *msg, size_t msglen);
int vstore_reset(const char *state_dir, const char *anchor_dir, const char *vm_name, char *msg,
		 size_t msglen);

#endif
