# The level-2 guest's script (vtee-vmm boots it inside the level-1 guest).
# Mode from the kernel command line: vtee_nested.mode=tee (default): the OP-TEE
# driver must probe and the libteec test client succeed; nofilter: KVM got no
# SMCCC filter, so the driver must fail cleanly and leave no /dev/tee0.
mode=tee
for w in $(cat /proc/cmdline); do
	case $w in vtee_nested.mode=*) mode=${w#vtee_nested.mode=} ;; esac
done
echo "nested-l2: mode $mode, kernel $(uname -r), $(nproc) CPU(s)"
if [ "$mode" = nofilter ]; then
	dmesg | grep -i optee | sed 's/^/nested-l2: dmesg: /'
	if [ -e /dev/tee0 ]; then
		echo "nested-l2: FAIL /dev/tee0 exists though nothing serves OP-TEE"
		exit 1
	fi
	if ! dmesg | grep -qi "optee"; then
		echo "nested-l2: FAIL the OP-TEE driver said nothing (did it run?)"
		exit 1
	fi
	echo "nested-l2: PASS no filter: the OP-TEE driver did not probe, no /dev/tee0"
	exit 0
fi
dmesg | grep -i optee | sed 's/^/nested-l2: dmesg: /'
[ -e /dev/tee0 ] || { echo "nested-l2: FAIL no /dev/tee0"; exit 1; }
if ! /usr/local/bin/vtee-ta-test; then
	echo "nested-l2: FAIL vtee-ta-test"
	exit 1
fi
echo "nested-l2: PASS the libteec test client through KVM, vtee-vmm, vteed and the level-1 /dev/tee0"
if [ -x /usr/local/bin/vtee-bench-guest ]; then
	/usr/local/bin/vtee-bench-guest 2>&1 | sed -n 's/^BENCH guest_null_invoke /BENCH nested_l2_null_invoke /p'
fi
exit 0
