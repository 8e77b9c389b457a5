// SPDX-License-Identifier: MIT
/*
 * The TEE of a `vtee run`: libvtee in this process, or with --vteed a
 * supervised vteed and what holds its TEE (vtee-tee for the built-in one),
 * found by option, environment, beside this program, in this build tree or in
 * PATH; either on the back-end the options name ("soft" by default).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch_run.h"
#include "vtee/vteed.h"

#ifndef VTEE_TA_DIR_DEFAULT
#define VTEE_TA_DIR_DEFAULT "/usr/local/lib/vtee/ta"
#endif

static char *helper_path(const char *given, const char *env, const char *name);

/*
 * The back-end's options, with --ta-dir's directories for the built-in TEE
 * (in process with none given: the installed default, if it exists), and
 * $VTEE_TA_HOST set for it when vtee-ta-host is found beside this program
 * or in this build tree. Malloc'd (NULL: no options).
 */
static char *tee_options(const struct launch_options *o)
{
	char *opts = o->backend_options ? strdup(o->backend_options) : NULL;
	if (o->backend && strcmp(o->backend, "soft"))
		return opts;
	const char *dflt[] = { VTEE_TA_DIR_DEFAULT, NULL };
	const char *const *dirs = o->ta_dirs && o->ta_dirs[0] ? o->ta_dirs :
				  !o->vteed && access(VTEE_TA_DIR_DEFAULT, R_OK | X_OK) == 0 ? dflt : NULL;
	for (size_t i = 0; dirs && dirs[i]; i++) {
		char *n = NULL;
		if (asprintf(&n, "%s%sta_dir=%s", opts ? opts : "", opts && *opts ? "," : "", dirs[i]) < 0)
			n = NULL;
		free(opts);
		opts = n;
	}
	if (dirs && !getenv("VTEE_TA_HOST")) {
		char *host = helper_path(NULL, "VTEE_TA_HOST", "vtee-ta-host");
		if (host && strchr(host, '/'))
			setenv("VTEE_TA_HOST", host, 0);
		free(host);
	}
	return opts;
}

static bool is_soft(const struct launch_options *o)
{
	return !o->backend || !strcmp(o->backend, "soft");
}

/* In process: the VM's storage, prepared and given to the back-end. */
static int give_storage(struct run *r)
{
	const struct launch_options *o = r->o;
	if (!o->state_dir || !is_soft(o))
		return 0;
	struct vtee_storage st;
	char msg[256];
	int e = vtee_storage_prepare(o->state_dir, o->anchor_dir, "board", o->host_key, o->state_max_objects,
				     o->state_max_bytes, &st, msg, sizeof(msg));
	if (e) {
		lmsg("storage in %s: %s%s%s", o->state_dir, strerror(-e), msg[0] ? ": " : "", msg);
		return e;
	}
	e = vtee_vm_set_storage(r->vm, &st);
	if (e == -EOPNOTSUPP) {
		lmsg("this back-end keeps no secure storage: the guest's persistent objects are not kept");
		return 0;
	}
	if (e)
		lmsg("storage in %s: %s", o->state_dir, strerror(-e));
	else if (launch_verbose)
		lmsg("secure storage in %s", o->state_dir);
	return e;
}

int run_tee_open(struct run *r)
{
	const struct launch_options *o = r->o;
	if (o->vteed)
		return 0;
	const char *backend = o->backend ? o->backend : "soft";
	char *opts = tee_options(o);
	int e = vtee_tee_open(backend, opts, &r->tee);
	free(opts);
	if (e) {
		lmsg("vtee_tee_open(%s): %s", backend, strerror(-e));
		return e;
	}
	struct vtee_vm_config vc = { .vm_id = 1, .name = "board", .no_rpc_arg = o->no_rpc_arg };
	if ((e = vtee_vm_create(r->tee, &vc, &r->vm))) {
		lmsg("vtee_vm_create: %s", strerror(-e));
		return e;
	}
	return give_storage(r);
}

void run_vteed_smc(void *ctx, unsigned cpu, uint64_t regs[8])
{
	struct run *r = ctx;
	vteed_smc(r->vteed, cpu, regs);
}

/* A helper program: the option, the environment, beside this program, this build tree, PATH. */
static char *helper_path(const char *given, const char *env, const char *name)
{
	if (given)
		return strdup(given);
	const char *e = getenv(env);
	if (e && *e)
		return strdup(e);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			char *p = NULL;
			if (asprintf(&p, "%s/%s", self, name) > 0 && access(p, X_OK) == 0)
				return p;
			free(p);
			p = NULL;
			/* build tree: tools/vtee next to daemon/ and ta-host/ */
			if (asprintf(&p, "%s/../daemon/%s", self, name) > 0 && access(p, X_OK) == 0)
				return p;
			free(p);
			p = NULL;
			if (asprintf(&p, "%s/../ta-host/%s", self, name) > 0 && access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return strdup(name);
}

int run_vteed_start(struct run *r)
{
	const struct launch_options *o = r->o;
	struct board_tee_ram tr[2];
	unsigned n = board_host_tee_ram(r->host, tr);
	struct vteed_ram ram[2];
	for (unsigned i = 0; i < n; i++)
		ram[i] = (struct vteed_ram){ tr[i].gpa, tr[i].size, tr[i].fd, tr[i].fd_offset };
	char *vp = helper_path(o->vteed_path, "VTEED", "vteed");
	char *tp = helper_path(o->tee_path, "VTEE_TEE", "vtee-tee");
	const char *extra[3] = { NULL };
	if (o->policy) {
		extra[0] = "--policy";
		extra[1] = o->policy;
	}
	char *opts = tee_options(o);
	struct vteed_config vc = { .vm_id = 1, .name = "board", .backend = o->backend,
				   .backend_options = opts, .nvcpus = o->smp,
				   .no_rpc_arg = o->no_rpc_arg, .vteed_path = vp, .tee_path = tp, .extra_args = extra };
	if (is_soft(o) && o->state_dir) {
		vc.state_dir = o->state_dir;
		vc.state_anchor_dir = o->anchor_dir;
		vc.host_key = o->host_key;
		vc.state_max_objects = o->state_max_objects;
		vc.state_max_bytes = o->state_max_bytes;
	}
	char msg[VTEED_MSG_MAX];
	vteed_set_log(vteed_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* the supervisor's lines on stderr */
	int e = vteed_start(&vc, ram, n, &r->vteed, msg, sizeof(msg));
	if (e)
		lmsg("starting vteed (%s, %s): %s (%s)", vp, tp, strerror(-e), msg);
	else if (launch_verbose) {
		struct vteed_info info;
		vteed_get_info(r->vteed, &info);
		lmsg("TEE served by vteed (pid %d) on back-end %s (TEE process: pid %d)", (int)info.pid,
		     o->backend ? o->backend : "soft", (int)info.tee_pid);
	}
	free(vp);
	free(tp);
	free(opts);
	return e;
}

int run_vteed_stats(struct run *r, struct vtee_vm_stats *vs)
{
	struct vteed_status st;
	memset(vs, 0, sizeof(*vs));
	int e = vteed_status(r->vteed, &st);
	if (e) {
		lmsg("vteed status: %s", strerror(-e));
		return e;
	}
	vs->sessions = st.sessions;
	vs->shm_buffers = st.shm_buffers;
	vs->shm_pages = st.shm_pages;
	vs->calls = st.calls;
	vs->tee_sessions = st.tee_sessions;
	struct vteed_info info;
	vteed_get_info(r->vteed, &info);
	if (info.restarts || launch_verbose)
		lmsg("vteed was restarted %u times (last recovery %.1f ms, %u calls lost)", info.restarts,
		     (double)info.last_recovery_ns / 1e6, info.lost_calls);
	return 0;
}
