// SPDX-License-Identifier: MIT
/*
 * The VM's policy on what its guest asks, decided here for every front-end
 * before a back-end sees a request: the replay filter after a restart, the
 * login a client may claim, the TAs it may open, the session quota. The
 * front-end turned guest input into a neutral request; nothing here knows
 * a guest ABI.
 */
#include <errno.h>
#include <string.h>

#include "core.h"

int vtee_smc_admit(const struct vtee_smc *smc, enum vtee_guest_op op)
{
	if (!smc->replay)
		return 0;
	/*
	 * The previous mediator died serving this SMC: what only removes state
	 * is carried out, so the guest's close or unregister takes effect;
	 * anything else may have half happened and fails cleanly.
	 */
	switch (op) {
	case VTEE_GUEST_CLOSE:
	case VTEE_GUEST_SHM_UNREGISTER:
	case VTEE_GUEST_CANCEL:
		return 0;
	default:
		return -ECOMM;
	}
}

/* The class of a normal-world login; -EINVAL for any other (TRUSTED_APP, unknown). */
static int login_class(uint32_t login, enum vtee_login_class *cls)
{
	switch (login) {
	case TEE_LOGIN_PUBLIC:
		*cls = VTEE_LOGIN_CLASS_PUBLIC;
		return 0;
	case TEE_LOGIN_USER:
		*cls = VTEE_LOGIN_CLASS_USER;
		return 0;
	case TEE_LOGIN_GROUP:
		*cls = VTEE_LOGIN_CLASS_GROUP;
		return 0;
	case TEE_LOGIN_APPLICATION:
	case TEE_LOGIN_APPLICATION_USER:
	case TEE_LOGIN_APPLICATION_GROUP:
		*cls = VTEE_LOGIN_CLASS_APPLICATION;
		return 0;
	case TEE_LOGIN_REE_KERNEL: /* the guest's kernel, tagged with the VM id like every client */
		*cls = VTEE_LOGIN_CLASS_REE_KERNEL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The login the back-end sees, by the VM's login policy. */
static int admit_login(struct vtee_vm *vm, struct vtee_client *client)
{
	enum vtee_login_class cls;
	if (login_class(client->login, &cls)) {
		vtee_count(&vm->st_bad); /* not a normal-world identity: a bad request, not a policy matter */
		return -EACCES;
	}
	switch (vm->logins[cls]) {
	case VTEE_LOGIN_DENY:
		vtee_count(&vm->st_denied);
		return -EACCES;
	case VTEE_LOGIN_AS_PUBLIC:
		client->login = TEE_LOGIN_PUBLIC;
		memset(client->uuid.b, 0, sizeof(client->uuid.b));
		return 0;
	default:
		return 0;
	}
}

static int admit_open(struct vtee_vm *vm, struct vtee_call_slot *s, struct vtee_call *c)
{
	int r = admit_login(vm, &c->req.client);
	if (r)
		return r;
	/* the TA policy before the quota: a refused OPEN reaches neither quota nor back-end */
	if (vm->ta_allowed && !vm->ta_allowed(vm->policy_ctx, &c->req.ta)) {
		vtee_count(&vm->st_denied);
		return -EACCES;
	}
	pthread_mutex_lock(&vm->lock);
	bool ok = vm->sessions.count + vm->sessions_reserved < vm->quota.max_sessions;
	if (ok)
		vm->sessions_reserved++;
	pthread_mutex_unlock(&vm->lock);
	s->session_reserved = ok;
	if (!ok) {
		vtee_count(&vm->st_quota);
		vtee_count(&vm->st_bad);
		return -EDQUOT;
	}
	return 0;
}

int vtee_call_admit(struct vtee_smc *smc, struct vtee_call *c)
{
	struct vtee_vm *vm = smc->vm;
	struct vtee_call_slot *s = call_slot(c);

	switch (c->req.op) {
	case VTEE_REQ_OPEN:
		return admit_open(vm, s, c);
	case VTEE_REQ_INVOKE:
		s->session = vtee_session_get(vm, c->session);
		if (!s->session) {
			vtee_count(&vm->st_bad);
			return -EINVAL;
		}
		c->req.session = s->session->be;
		return 0;
	case VTEE_REQ_CLOSE:
		/* out of the table now: no new call can find it; running ones keep their reference */
		s->session = vtee_session_take(vm, c->session);
		if (!s->session && smc->replay) {
			s->settled = true; /* a replayed CLOSE of a session the dead mediator already took */
			return 0;
		}
		if (!s->session) {
			vtee_count(&vm->st_bad);
			return -ENOENT;
		}
		c->req.session = s->session->be;
		return 0;
	}
	vtee_count(&vm->st_bad);
	return -EINVAL;
}

void vtee_tee_result(int err, uint32_t *ret, uint32_t *origin)
{
	*origin = TEE_ORIGIN_TEE;
	switch (err) {
	case 0:
		*ret = TEE_SUCCESS;
		break;
	case -EINVAL:
	case -EEXIST:
	case -EFAULT:
		*ret = TEE_ERROR_BAD_PARAMETERS;
		break;
	case -EACCES:
	case -EPERM:
		*ret = TEE_ERROR_ACCESS_DENIED;
		break;
	case -ENOMEM:
	case -EDQUOT:
	case -ENOSPC:
		*ret = TEE_ERROR_OUT_OF_MEMORY;
		break;
	case -ENOENT:
		*ret = TEE_ERROR_ITEM_NOT_FOUND;
		break;
	case -EBUSY:
		*ret = TEE_ERROR_BUSY;
		break;
	case -ECOMM:
		*ret = TEE_ERROR_COMMUNICATION;
		*origin = TEE_ORIGIN_COMMS;
		break;
	default:
		*ret = TEE_ERROR_GENERIC;
		break;
	}
}
