# Guest script for `vtee run --script` (busybox sh in the emulated board's arm64
# guest): run the conformance and hostile programs cross-built by cross-build,
# each against the TEE back-end $VTEE_TEST_BACKEND (tests/test_backend.h).
# With 'teedev' their simulated VM (RAM: a memfd in the guest) talks to the
# guest's /dev/tee0: the real Linux OP-TEE driver, served by vtee on the host.
# Exits 0 only if every program does (exit 77 counts as skipped, like meson).
#
# The back-end comes from the environment or from the kernel command line
# (vtee run --append 'vtee_teedev.backend=NAME vtee_teedev.options=OPTS', OPTS
# without spaces); default teedev. vtee_teedev.only=WORD runs only the tests
# whose SUITE/NAME contains WORD. Example, from the source tree:
#   vtee run --add build/tests/teedev/guest:/usr/local/lib/vtee-teedev \
#            --script tests/teedev/run-in-guest.sh --append vtee_teedev.backend=soft
dir=/usr/local/lib/vtee-teedev
list=$dir/tests.list

cmdline_arg() { # NAME: the value of vtee_teedev.NAME= on the kernel command line
	for w in $(cat /proc/cmdline); do
		case $w in vtee_teedev.$1=*) echo "${w#vtee_teedev.$1=}" ;; esac
	done
}
[ -n "${VTEE_TEST_BACKEND:-}" ] || VTEE_TEST_BACKEND=$(cmdline_arg backend)
[ -n "${VTEE_TEST_BACKEND_OPTIONS:-}" ] || VTEE_TEST_BACKEND_OPTIONS=$(cmdline_arg options)
[ -n "$VTEE_TEST_BACKEND" ] || VTEE_TEST_BACKEND=teedev
export VTEE_TEST_BACKEND VTEE_TEST_BACKEND_OPTIONS
only=$(cmdline_arg only)
# vtee_teedev.pending=a,b: programs not run yet (their soft-only checks are not
# guarded for teedev: tests/teedev/meson.build says which and why); listed, not passed
pending=$(cmdline_arg pending)

if [ ! -r "$list" ]; then
	echo "teedev: FAIL no $list (vtee run --add <build>/tests/teedev/guest:$dir)"
	exit 1
fi
echo "teedev: back-end '$VTEE_TEST_BACKEND' options '$VTEE_TEST_BACKEND_OPTIONS'," \
	"$(nproc) CPU(s), kernel $(uname -r)"
[ "$VTEE_TEST_BACKEND" != teedev ] || ls -l /dev/tee0 /dev/teepriv0

pass=0 fail=0 skip=0 npending=0 failed=""
start=$(date +%s)
while read -r name tmo cmd; do
	[ -n "$name" ] || continue
	case $name in *"$only"*) ;; *) continue ;; esac
	case ",$pending," in
	*",$(basename "$name"),"*)
		npending=$((npending + 1))
		echo "teedev: NOT RUN $name (pending: soft-only checks not guarded for teedev)"
		continue
		;;
	esac
	eval "set -- $cmd"
	echo "teedev: run  $name"
	t0=$(date +%s)
	# twice meson's timeout for the test (0: none)
	if [ "$tmo" -gt 0 ]; then
		timeout -s KILL $((tmo * 2)) "$@" </dev/null
	else
		"$@" </dev/null
	fi
	rc=$?
	t=$(($(date +%s) - t0))
	if [ $rc -eq 77 ]; then
		skip=$((skip + 1))
		echo "teedev: skip $name (${t}s)"
		continue
	fi
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "teedev: ok   $name (${t}s)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "teedev: FAIL $name (exit $rc, ${t}s)"
	fi
done <"$list"

# Unload the driver: it unregisters its own shared memory and closes its
# sessions, so with --expect-clean the host then checks vtee holds nothing
# (with teedev: the programs left nothing open in the TEE either).
killall tee-supplicant 2>/dev/null
sleep 1
rmmod optee_rng 2>/dev/null
rmmod optee
if grep -q "^optee " /proc/modules; then
	fail=$((fail + 1))
	failed="$failed optee-unload"
	echo "teedev: FAIL optee driver unloaded"
fi

echo "teedev: $pass passed, $fail failed, $skip skipped, $npending not run (pending) in $(($(date +%s) - start))s (back-end $VTEE_TEST_BACKEND)"
[ $fail -eq 0 ] || echo "teedev: failed:$failed"
[ $((pass + fail)) -gt 0 ] || { echo "teedev: FAIL no test ran"; exit 1; }
[ $fail -eq 0 ]
