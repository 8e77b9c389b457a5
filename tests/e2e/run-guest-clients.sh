# Guest script for `vtee run --script`: run every program that --add put in
# /usr/local/bin/vtee-e2e (name order, no arguments); exit 0 only if all do.
# Example: vtee run --add build/tests/e2e/guest/vtee-ta-test:/usr/local/bin/vtee-e2e/vtee-ta-test \
#                   --script tests/e2e/run-guest-clients.sh
dir=/usr/local/bin/vtee-e2e
fail=0
n=0
for p in "$dir"/*; do
	[ -x "$p" ] || continue
	n=$((n + 1))
	echo "e2e: running $p"
	"$p"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "e2e: ok   $(basename "$p")"
	else
		echo "e2e: FAIL $(basename "$p") (exit $rc)"
		fail=1
	fi
done
# Unload the driver: it unregisters its own shared memory and closes its
# sessions, so with --expect-clean the host then checks vtee holds nothing.
unload_tee() {
	killall tee-supplicant 2>/dev/null
	sleep 1
	rmmod optee_rng 2>/dev/null
	rmmod optee
	! grep -q "^optee " /proc/modules
}
if unload_tee; then
	echo "e2e: ok   optee driver unloaded"
else
	echo "e2e: FAIL optee driver unloaded"
	fail=1
fi
if [ $n -eq 0 ]; then
	echo "e2e: FAIL no programs in $dir"
	exit 1
fi
exit $fail
