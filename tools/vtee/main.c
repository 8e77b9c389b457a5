// SPDX-License-Identifier: MIT
/*
 * The vtee command: this file picks the subcommand; each lives in its own
 * file (demo.c, run.c, status.c, state.c) but the small ones below.
 *
 *   vtee demo [--backend NAME] [--no-rpc-arg]
 *       Run a model of a Linux guest's OP-TEE driver against libvtee in this
 *       process: probe, device enumeration, the RNG TA, the test TA with
 *       every kind of parameter. Exits non-zero if anything is wrong.
 *   vtee run [options]
 *       Boot a Debian arm64 kernel on the emulated board (QEMU TCG + the EL3
 *       firmware) with the guest's OP-TEE calls served by a supervised vteed
 *       (or, with --in-process, by libvtee in this process).
 *       A shell in the guest, or --script FILE and exit with its status.
 *   vtee status        the running vteeds (one per VM): sessions, memory, calls, restarts, storage
 *   vtee state export|import|reset VM ...   a VM's TEE state as one file (state.c)
 *   vtee backends      list the registered TEE back-ends, a line each: name, description
 *   vtee version
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vtee_cmd.h"
#include "vtee/backend.h"
#include "vtee/vtee.h"

void vtee_usage(FILE *f)
{
	fprintf(f, "usage: vtee demo [--backend NAME] [--no-rpc-arg]\n"
		   "       vtee run [--script FILE] [--add HOSTFILE[:GUESTPATH]]... [--kernel FILE]\n"
		   "                [--smp N] [--mem MiB] [--no-virt] [--no-rpc-arg] [--timeout S]\n"
		   "                [--append ARGS] [--quiet] [--firmware FILE] [--cache DIR] [--expect-clean]\n"
		   "                [--policy FILE] [--ta-dir DIR]... [--in-process] [--export DIR]\n"
		   "                [--state DIR | --no-state] [--host-key FILE]\n"
		   "       vtee status [--pid PID]\n"
		   "       vtee state export|import|reset VM [FILE] [options] (vtee state --help)\n"
		   "       vtee backends\n"
		   "       vtee version\n"
		   "\n"
		   "demo     run a modelled Linux guest's OP-TEE driver against libvtee: probe,\n"
		   "         device enumeration, the RNG TA and the test TA; non-zero exit on error\n"
		   "run      boot Debian's arm64 kernel under QEMU on the emulated board, its TEE\n"
		   "         served by vtee (packages are fetched with apt-get download and cached\n"
		   "         in $VTEE_CACHE or ~/.cache/vtee; scripts/install-deps --board sets up apt)\n"
		   "  --script FILE     run FILE (sh) in the guest after boot, exit with its status\n"
		   "                    (124 timeout, 125 board failure or no status, 128+N signal N)\n"
		   "  --add H[:G]       put host file or directory H at guest path G (default /root/NAME)\n"
		   "  --kernel FILE     an arm64 Image or a kernel .deb instead of the newest\n"
		   "                    linux-image-6.12.*-arm64-unsigned from bookworm-backports\n"
		   "  --smp N           CPUs, 1..8 [1]       --mem MiB     guest RAM, >= 256 [1024]\n"
		   "  --no-virt         no EL2 (virtualization=off)\n"
		   "  --no-rpc-arg      vtee does not offer OP-TEE's RPC_ARG capability\n"
		   "  --timeout S       stop the guest after S seconds [none]\n"
		   "  --append ARGS     extra kernel command-line arguments\n"
		   "  --quiet           kernel 'quiet', and fewer messages from vtee\n"
		   "  --firmware FILE   EL3 firmware [$VTEE_FIRMWARE or the one built with vtee]\n"
		   "  --cache DIR       package cache [$VTEE_CACHE or ~/.cache/vtee]\n"
		   "  --expect-clean    after the script, fail (126) if vtee still holds sessions,\n"
		   "                    shared memory or calls for the VM (unload the driver first)\n"
		   "  --policy FILE     the VM's policy file for its vteed (docs/policy.md)\n"
		   "  --ta-dir DIR      run Trusted Applications DIR/<uuid>.ta (an absolute directory,\n"
		   "                    may be repeated) in processes of their own [the installed\n"
		   "                    TA directory, if it exists]\n"
		   "  --in-process      serve the TEE with libvtee inside this process instead of\n"
		   "                    the default: a vteed (unprivileged, sandboxed, restarted if\n"
		   "                    it dies) with the built-in TEE in vtee-tee (docs/recovery.md)\n"
		   "  --vteed           the default, kept for scripts\n"
		   "  --export DIR      boot nothing: write the kernel (DIR/Image) and the initramfs\n"
		   "                    this run would boot (DIR/initrd.cpio) for another VMM\n"
		   "  --state DIR       the guest's secure storage (its TAs' persistent objects,\n"
		   "                    kept between runs) [the policy's [storage] dir/board, else\n"
		   "                    $XDG_CACHE_HOME/vtee/state/board or ~/.cache/vtee/state/board]\n"
		   "  --no-state        no secure storage (persistent objects: ITEM_NOT_FOUND)\n"
		   "  --host-key FILE   the key that protects the state, created on first use\n"
		   "                    [$CREDENTIALS_DIRECTORY/vtee-host-key if set, else the\n"
		   "                    cache's host.key]\n"
		   "status   the running vteeds this user may ask: sessions (vteed / TEE), shared\n"
		   "         memory, calls, quota use, denials, restarts and storage counters\n"
		   "         (vtee status --help)\n"
		   "state    export a VM's TEE state to one file, import it, or reset it\n"
		   "         (vtee state --help)\n"
		   "backends list the TEE back-ends built in, with what each is\n");
}

void cmd_log(const char *who, const char *fmt, ...)
{
	char msg[480], line[560];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", who, msg);
	/* one write, as libvtee's own lines: vteed's lines on the same stderr never land inside ours */
	vtee_log_to_fd((void *)(intptr_t)STDERR_FILENO, VTEE_LOG_ERR, line);
}

static int version_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("vtee %s\n", VTEE_VERSION);
	return 0;
}

static int backends_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const struct vtee_backend_ops *ops;
	size_t pos = 0;
	while ((ops = vtee_backend_next(&pos)))
		printf("%-8s %s\n", ops->name, ops->description ? ops->description : "");
	return 0;
}

static int help_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	vtee_usage(stdout);
	return 0;
}

static const struct command {
	const char *name;
	int (*main)(int argc, char **argv);
} commands[] = {
	{ "demo", demo_main },
	{ "run", run_main },
	{ "status", status_main },
	{ "state", state_main },
	{ "backends", backends_main },
	{ "version", version_main },
	{ "help", help_main },
	{ "--help", help_main },
	{ "-h", help_main },
};

int main(int argc, char **argv)
{
	vtee_set_log(vtee_log_to_fd, (void *)(intptr_t)STDERR_FILENO); /* libvtee's lines on stderr */
	if (argc < 2) {
		vtee_usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc, argv);
	cmd_log("vtee", "unknown command '%s'", argv[1]);
	vtee_usage(stderr);
	return 2;
}
