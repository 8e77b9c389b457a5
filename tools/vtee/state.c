// SPDX-License-Identifier: MIT
/*
 * `vtee state export|import|reset`: a VM's TEE state (docs/storage.md) as
 * one file, and where `vtee run` keeps it by default:
 *   $XDG_CACHE_HOME/vtee (or ~/.cache/vtee): host.key, anchors/, state/<vm>
 * with $CREDENTIALS_DIRECTORY/vtee-host-key as the host key when systemd
 * passes one and none is named.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vtee/vtee.h"
#include "vtee_cmd.h"

#define WHO "vtee state"

/* Exit statuses besides 0 (done) and 2 (usage). */
#define STATE_EXIT_FAILED 1   /* the operation failed (the message says why) */
#define STATE_EXIT_KEY 3      /* the file is wrapped for another host key, or the state is */
#define STATE_EXIT_BUSY 4     /* import/reset: a process serves the VM now */

static char *join(const char *a, const char *b)
{
	char *s = NULL;
	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

/* The cache root: $XDG_CACHE_HOME/vtee, else ~/.cache/vtee. Malloc'd, NULL: no memory. */
static char *cache_root(void)
{
	const char *x = getenv("XDG_CACHE_HOME");
	if (x && x[0] == '/')
		return join(x, "vtee");
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	char *s = NULL;
	return asprintf(&s, "%s/.cache/vtee", home) < 0 ? NULL : s;
}

bool state_vm_name_ok(const char *vm)
{
	size_t n = strlen(vm);
	if (n == 0 || n > 31 || !strcmp(vm, ".") || !strcmp(vm, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (vm[i] <= 0x20 || vm[i] >= 0x7f || vm[i] == '/')
			return false;
	return true;
}

int state_paths_fill(struct state_paths *p, const char *vm)
{
	char *root = cache_root();
	if (!root)
		return -ENOMEM;
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	int e = 0;
	if (!p->state_dir) {
		char *st = join(root, "state");
		p->state_dir = p->own_state = st ? join(st, vm) : NULL;
		free(st);
		e = p->state_dir ? 0 : -ENOMEM;
	}
	if (!e && !p->anchor_dir)
		e = (p->anchor_dir = p->own_anchor = join(root, "anchors")) ? 0 : -ENOMEM;
	if (!e && !p->host_key)
		e = (p->host_key = p->own_key = cred && *cred ? join(cred, "vtee-host-key") : join(root, "host.key"))
			    ? 0 : -ENOMEM;
	free(root);
	return e;
}

void state_paths_free(struct state_paths *p)
{
	free(p->own_state);
	free(p->own_anchor);
	free(p->own_key);
	*p = (struct state_paths){ 0 };
}

static int exit_for(int e)
{
	return e == -EKEYREJECTED ? STATE_EXIT_KEY : e == -EBUSY ? STATE_EXIT_BUSY : STATE_EXIT_FAILED;
}

/* The engine's message says what went wrong better than strerror (which is the fallback). */
static void report(const char *what, const char *vm, int e, const char *msg)
{
	cmd_log(WHO, "%s %s: %s", what, vm, msg[0] ? msg : strerror(-e));
}

/* The export file: created new (mode 0600; "-": stdout). -errno. */
static int export_open(const char *file, int *fd)
{
	if (!strcmp(file, "-")) {
		*fd = STDOUT_FILENO;
		return 0;
	}
	*fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	return *fd < 0 ? -errno : 0;
}

static int do_export(const struct state_paths *p, const char *vm, const char *file, const char *to_key)
{
	int fd;
	int e = export_open(file, &fd);
	if (e) {
		cmd_log(WHO, "export %s: %s: %s%s", vm, file, strerror(-e), e == -EEXIST ? " (not overwritten)" : "");
		return STATE_EXIT_FAILED;
	}
	char msg[512];
	e = vtee_state_export(p->state_dir, p->anchor_dir, vm, p->host_key, to_key, fd, msg,
			      sizeof(msg));
	if (!e && fd != STDOUT_FILENO && fsync(fd) < 0)
		e = -errno;
	if (fd != STDOUT_FILENO && close(fd) < 0 && !e)
		e = -errno;
	if (e) {
		report("export", vm, e, msg);
		if (fd != STDOUT_FILENO)
			unlink(file); /* no half-written backup left behind */
		return exit_for(e);
	}
	if (fd != STDOUT_FILENO)
		printf("exported %s (state %s, anchors %s) to %s\n", vm, p->state_dir, p->anchor_dir, file);
	return 0;
}

static int do_import(const struct state_paths *p, const char *vm, const char *file, const char *from_key)
{
	int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0) {
		cmd_log(WHO, "import %s: %s: %s", vm, file, strerror(errno));
		return STATE_EXIT_FAILED;
	}
	char msg[512];
	int e = vtee_state_import(p->state_dir, p->anchor_dir, vm, p->host_key, from_key, fd, msg, sizeof(msg));
	if (fd != STDIN_FILENO)
		close(fd);
	if (e) {
		report("import", vm, e, msg);
		return exit_for(e);
	}
	printf("imported %s into %s (anchors %s)\n", file, p->state_dir, p->anchor_dir);
	return 0;
}

static int do_reset(const struct state_paths *p, const char *vm)
{
	char msg[512];
	int e = vtee_state_reset(p->state_dir, p->anchor_dir, vm, msg, sizeof(msg));
	if (e) {
		report("reset", vm, e, msg);
		return exit_for(e);
	}
	printf("reset %s (state %s, anchors %s): the next start begins with no objects\n", vm,
	       p->state_dir, p->anchor_dir);
	return 0;
}

static void state_usage(FILE *f)
{
	fprintf(f,
		"usage: vtee state export VM FILE [--to-key FILE] [paths]\n"
		"       vtee state import VM FILE [--from-key FILE] [paths]\n"
		"       vtee state reset VM [paths]\n"
		"paths: [--state DIR] [--anchor-dir DIR] [--host-key FILE]\n"
		"\n"
		"A VM's TEE state (its TAs' persistent objects, docs/storage.md) as one\n"
		"authenticated file. VM is the VM's name; its state is in DIR (--state) or\n"
		"else where `vtee run` keeps it: $XDG_CACHE_HOME/vtee/state/VM (or\n"
		"~/.cache/vtee/state/VM), rollback anchors in .../vtee/anchors, the host key\n"
		"$CREDENTIALS_DIRECTORY/vtee-host-key if set, else .../vtee/host.key.\n"
		"  export     write the state to FILE (new, mode 0600; \"-\": stdout), consistent\n"
		"             while the VM runs; its key wrapped for --to-key [the host key]\n"
		"  import     replace the state with FILE's (\"-\": stdin), which must be wrapped\n"
		"             for --from-key [the host key]; refused while the VM runs\n"
		"  reset      remove the state: the VM's next start has no objects\n"
		"Exit status: 0 done, 1 failed, 2 usage, 3 wrong host key, 4 the VM is running.\n");
}

static const struct option state_opts[] = {
	{ "state", required_argument, NULL, 's' },     { "anchor-dir", required_argument, NULL, 'a' },
	{ "host-key", required_argument, NULL, 'k' },  { "to-key", required_argument, NULL, 't' },
	{ "from-key", required_argument, NULL, 'f' },  { "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct state_args {
	struct state_paths paths;
	const char *to_key, *from_key;
	const char *pos[3]; /* action, VM, FILE */
	int npos;
};

/* 0, 2 (usage) or -1 (--help). */
static int state_parse(int argc, char **argv, struct state_args *a)
{
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "+h", state_opts, NULL)) != -1 || optind < argc) {
		if (c == -1) {
			if (a->npos == 3)
				return 2;
			a->pos[a->npos++] = argv[optind++]; /* positional: go on after it */
			continue;
		}
		switch (c) {
		case 's': a->paths.state_dir = optarg; break;
		case 'a': a->paths.anchor_dir = optarg; break;
		case 'k': a->paths.host_key = optarg; break;
		case 't': a->to_key = optarg; break;
		case 'f': a->from_key = optarg; break;
		case 'h': return -1;
		default: return 2;
		}
	}
	if (a->npos < 2)
		return 2;
	const char *act = a->pos[0];
	bool with_file = !strcmp(act, "export") || !strcmp(act, "import");
	if (with_file ? a->npos != 3 : strcmp(act, "reset") || a->npos != 2)
		return 2;
	if ((a->to_key && strcmp(act, "export")) || (a->from_key && strcmp(act, "import")))
		return 2;
	return 0;
}

int state_main(int argc, char **argv)
{
	struct state_args a = { 0 };
	int rc = state_parse(argc, argv, &a);
	if (rc) {
		state_usage(rc < 0 ? stdout : stderr);
		return rc < 0 ? 0 : rc;
	}
	const char *vm = a.pos[1];
	if (!state_vm_name_ok(vm)) {
		cmd_log(WHO, "'%s' is not a VM name (1..31 printable bytes, no '/', no spaces)", vm);
		return 2;
	}
	if (state_paths_fill(&a.paths, vm)) {
		cmd_log(WHO, "out of memory");
		return STATE_EXIT_FAILED;
	}
	if (!strcmp(a.pos[0], "export"))
		rc = do_export(&a.paths, vm, a.pos[2], a.to_key);
	else if (!strcmp(a.pos[0], "import"))
		rc = do_import(&a.paths, vm, a.pos[2], a.from_key);
	else
		rc = do_reset(&a.paths, vm);
	state_paths_free(&a.paths);
	return rc;
}
