# Guest script for `vtee run --script` (busybox sh inside the emulated board):
# the real OP-TEE driver probed against vtee, its devices exist, and the
# optee-rng TA (served by vtee on the host) gives random bytes through /dev/hwrng.
# Then every program that --add put in /usr/local/bin/vtee-e2e (libteec clients,
# name order, no arguments) must exit 0. Exits 0 only if every check holds.
fail=0
check() {
	if eval "$2"; then
		echo "e2e: ok   $1"
	else
		echo "e2e: FAIL $1"
		fail=1
	fi
}

check "optee driver initialised" 'dmesg | grep -q "optee: initialized driver"'
check "/dev/tee0 is a char device" '[ -c /dev/tee0 ]'
check "/dev/teepriv0 is a char device" '[ -c /dev/teepriv0 ]'
rng=/sys/bus/tee/devices/optee-ta-ab7a617c-b8e7-4d8f-8301-d09b61036b64
check "TEE bus device for the RNG TA" "[ -e $rng ]"
check "optee-rng is the current hwrng" \
	'grep -q optee /sys/class/misc/hw_random/rng_current 2>/dev/null || grep -q optee /sys/devices/virtual/misc/hw_random/rng_current'

a=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
b=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
echo "e2e: hwrng read 1: $a"
echo "e2e: hwrng read 2: $b"
check "/dev/hwrng gave 64 bytes" '[ ${#a} -eq 128 ] && [ ${#b} -eq 128 ]'
first=$(echo "$a" | cut -c1-2)
check "the 64 bytes are not all equal" '[ -n "$a" ] && [ "$(echo "$a" | sed "s/$first//g")" != "" ]'
check "two reads differ" '[ "$a" != "$b" ]'

# every CPU the board was given is online (PSCI CPU_ON through the host)
want=$(cat /sys/devices/system/cpu/possible)
check "all CPUs online ($want)" '[ "$(cat /sys/devices/system/cpu/online)" = "$want" ]'

for p in /usr/local/bin/vtee-e2e/*; do
	[ -x "$p" ] || continue
	echo "e2e: running $p"
	check "$(basename "$p") exits 0" '"$p"'
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
check "optee driver unloaded" unload_tee

[ $fail -eq 0 ] && echo "e2e: all checks passed" || echo "e2e: some checks FAILED"
exit $fail
