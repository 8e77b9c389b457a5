// SPDX-License-Identifier: MIT
/*
 * One request's ioctl, on a pool thread or the caller's: TEE_IOC_OPEN_SESSION
 * (the guest's login mapped by the policy, options.c), TEE_IOC_INVOKE and
 * TEE_IOC_CLOSE_SESSION, with the request's parameters turned into the
 * uapi's (memref.c) and the results back. Every request carries its own
 * cancel id (cancel.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "teedev_int.h"

_Static_assert(TEEDEV_ARG_MAX <= TEE_MAX_ARG_SIZE, "argument size");

uint32_t teedev_errno_to_tee(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return TEE_ERROR_ACCESS_DENIED;
	case EINVAL:
	case EFAULT:
	case E2BIG:
		return TEE_ERROR_BAD_PARAMETERS;
	case ENOMEM:
	case ENOSPC:
		return TEE_ERROR_OUT_OF_MEMORY;
	case EBUSY:
	case EAGAIN:
		return TEE_ERROR_BUSY;
	case EOPNOTSUPP:
		return TEE_ERROR_NOT_SUPPORTED;
	default:
		return TEE_ERROR_COMMUNICATION;
	}
}

/*
 * OPEN and INVOKE alike: req's parameters into params (views or copies), the
 * ioctl on arg (head bytes, then the parameters), the results back into req.
 * 0 when the TEE answered (req->ret is then its result), or -errno (req->ret
 * says why as a TEE result).
 */
static int call_with_params(struct teedev_vm *vm, struct vtee_req *req, unsigned long ioc, void *arg, size_t head,
			    struct tee_ioctl_param *params, uint32_t *num_params, const uint32_t *ret,
			    const uint32_t *ret_origin)
{
	struct callref refs[VTEE_MAX_PARAMS];
	int r = teedev_params_in(vm, req, params, refs);
	if (r) {
		req->ret = teedev_errno_to_tee(-r);
	} else {
		*num_params = req->num_params;
		struct tee_ioctl_buf_data bd = { .buf_ptr = (uint64_t)(uintptr_t)arg,
						 .buf_len = head + req->num_params * sizeof(params[0]) };
		if (teedev_ioctl(vm->fd, ioc, &bd) < 0) {
			r = errno ? -errno : -EIO;
			req->ret = teedev_errno_to_tee(-r);
			req->ret_origin = TEE_ORIGIN_COMMS;
		} else {
			req->ret = *ret;
			req->ret_origin = *ret_origin;
			teedev_params_out(vm, req, params, refs);
		}
	}
	for (uint32_t i = 0; i < VTEE_MAX_PARAMS; i++)
		teedev_callref_release(vm, &refs[i]);
	return r;
}

void teedev_session_add(struct teedev_vm *vm, struct teedev_sess *s)
{
	s->next = vm->sessions.next;
	s->prev = &vm->sessions;
	s->next->prev = s;
	vm->sessions.next = s;
	vm->nsessions++;
}

static void do_open(struct teedev_vm *vm, struct job *j)
{
	struct vtee_req *req = j->req;
	req->session = NULL;
	req->ret_origin = TEE_ORIGIN_TEE;
	struct tee_ioctl_open_session_arg *a = calloc(1, TEEDEV_ARG_MAX);
	struct teedev_sess *s = a ? calloc(1, sizeof(*s)) : NULL;
	uint32_t host_login = 0;
	if (!s) {
		req->ret = TEE_ERROR_OUT_OF_MEMORY;
	} else if (teedev_map_login(vm->o, req->client.login, &host_login, a->clnt_uuid)) {
		req->ret = TEE_ERROR_ACCESS_DENIED;
		count(&vm->st_logins_denied, 1);
	} else {
		if (host_login != req->client.login)
			count(&vm->st_logins_mapped, 1);
		memcpy(a->uuid, req->ta.b, sizeof(a->uuid));
		a->clnt_login = host_login;
		a->cancel_id = j->cancel_id;
		if (!call_with_params(vm, req, TEE_IOC_OPEN_SESSION, a, sizeof(*a), a->params, &a->num_params,
				      &a->ret, &a->ret_origin) &&
		    a->ret == TEE_SUCCESS) {
			s->id = a->session;
			pthread_mutex_lock(&vm->lock);
			teedev_session_add(vm, s);
			teedev_hint_forget(vm, s->id); /* a reused id starts afresh, whatever ran late on the old one */
			pthread_mutex_unlock(&vm->lock);
			req->session = sess_handle(s->id);
			s = NULL;
		}
	}
	free(s);
	free(a);
}

static void do_invoke(struct teedev_vm *vm, struct job *j)
{
	struct vtee_req *req = j->req;
	req->ret_origin = TEE_ORIGIN_TEE;
	struct tee_ioctl_invoke_arg *a = calloc(1, TEEDEV_ARG_MAX);
	if (!a) {
		req->ret = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	a->func = req->func;
	a->session = j->session;
	a->cancel_id = j->cancel_id;
	call_with_params(vm, req, TEE_IOC_INVOKE, a, sizeof(*a), a->params, &a->num_params, &a->ret, &a->ret_origin);
	free(a);
}

/* Our record of a closed session, found by id (a second CLOSE of the same id finds none). */
static void session_forget(struct teedev_vm *vm, uint32_t id)
{
	pthread_mutex_lock(&vm->lock);
	teedev_hint_forget(vm, id);
	struct teedev_sess *s = vm->sessions.next;
	while (s != &vm->sessions && s->id != id)
		s = s->next;
	if (s != &vm->sessions) {
		s->prev->next = s->next;
		s->next->prev = s->prev;
		vm->nsessions--;
	} else {
		s = NULL;
	}
	pthread_mutex_unlock(&vm->lock);
	free(s);
}

static void do_close(struct teedev_vm *vm, struct job *j)
{
	struct vtee_req *req = j->req;
	struct tee_ioctl_close_session_arg a = { .session = j->session };
	req->ret = TEE_SUCCESS;
	req->ret_origin = TEE_ORIGIN_TEE;
	if (teedev_ioctl(vm->fd, TEE_IOC_CLOSE_SESSION, &a) < 0) {
		int e = errno;
		if (e != EINVAL) {
			req->ret = teedev_errno_to_tee(e);
			req->ret_origin = TEE_ORIGIN_COMMS;
			return; /* still open: the guest may try again */
		}
		/* the context has no such session: it is gone whatever we say, so forget it */
		if (first_time(vm, WARN_CLOSE))
			teedev_log(vm->label, "TEE_IOC_CLOSE_SESSION %u: the context has no such session (said once)",
				   j->session);
	}
	session_forget(vm, j->session);
}

void teedev_run_job(struct teedev_vm *vm, struct job *j)
{
	switch (j->req->op) {
	case VTEE_REQ_OPEN:
		do_open(vm, j);
		break;
	case VTEE_REQ_INVOKE:
		do_invoke(vm, j);
		break;
	case VTEE_REQ_CLOSE:
		do_close(vm, j);
		break;
	default:
		j->req->ret = TEE_ERROR_NOT_SUPPORTED;
		j->req->ret_origin = TEE_ORIGIN_TEE;
		break;
	}
}
