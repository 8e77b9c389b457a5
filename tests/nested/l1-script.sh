# The level-1 guest's script: its /dev/tee0 is the real Linux OP-TEE driver,
# served by vtee on the host. It boots a level-2 guest with vtee-vmm on KVM
# (nested virtualization under TCG): once with the SMCCC filter and a vteed on
# /dev/tee0 (teedev), once without the filter. Exits 0 only if both behave.
d=/usr/local/lib/vtee-nested
args="console=ttyS0 earlycon rdinit=/init panic=-1 quiet"
fail=0
echo "nested-l1: $(nproc) CPU(s), kernel $(uname -r)"
[ -c /dev/kvm ] || { echo "nested-l1: FAIL no /dev/kvm (is the board at EL2?)"; exit 1; }

run_l2() { # NAME EXPECTED-EXIT VMM-ARGS...: boot L2, its console to /tmp/NAME.log
	name=$1 want=$2
	shift 2
	t0=$(date +%s)
	# a hung L2 must not use up the whole board's time: 300 s each, then SIGKILL
	timeout -s KILL 300 "$d/bin/vtee-vmm" --kernel "$d/l2/Image" --initrd "$d/l2/initrd.cpio" --mem 512 "$@" \
		>"/tmp/$name.log" 2>&1
	rc=$?
	t1=$(date +%s)
	# the board watches its console for its own markers and for a panic: L2's must not look like them
	sed -e "s/VTEE-EXIT/l2-exit/" -e "s/VTEE-READY/l2-ready/" -e "s/Kernel panic/L2 kernel-panic/" \
		-e "s/^/$name| /" "/tmp/$name.log"
	ok=yes
	grep -q "VTEE-EXIT 0" "/tmp/$name.log" || ok=no
	echo "nested-l1: $name: vtee-vmm exit $rc after $((t1 - t0)) s; L2's script succeeded: $ok"
	[ "$rc" = "$want" ] && [ $ok = yes ]
}

# the whole path: L2 SMC -> KVM filter -> vtee-vmm -> vteed -> L1 /dev/tee0 -> L1 driver -> firmware -> vtee
if run_l2 l2-tee 0 --tee vteed --vteed "$d/bin/vteed" --policy "$d/policy.ini" --forward os,apps \
	--append "$args vtee_nested.mode=tee"; then
	echo "nested-l1: PASS L2 through the SMCCC filter and vteed"
else
	echo "nested-l1: FAIL L2 through the SMCCC filter and vteed"
	fail=1
fi
# no filter: KVM itself answers the Trusted-OS SMCs with "not supported"
if run_l2 l2-nofilter 0 --tee none --no-filter --append "$args vtee_nested.mode=nofilter"; then
	echo "nested-l1: PASS L2 without the filter fails cleanly"
else
	echo "nested-l1: FAIL L2 without the filter"
	fail=1
fi
# make bench (run-nested --bench): the same L2 with libvtee inside vtee-vmm (teedev, no vteed),
# to split the L2 call's cost between vteed's hand-off and the rest
if [ -e "$d/bench" ]; then
	run_l2 l2-inproc 0 --tee teedev --append "$args vtee_nested.mode=tee" >/dev/null ||
		echo "nested-l1: FAIL L2 with libvtee in vtee-vmm (bench only)"
	tr -d '\r' </tmp/l2-inproc.log | sed -n 's/^BENCH nested_l2_null_invoke /BENCH nested_l2_inproc_null_invoke /p'
fi
# the same call made directly on L1's /dev/tee0, in this boot (printed every run; make bench keeps it)
if [ -x "$d/bin/vtee-bench-guest" ]; then
	"$d/bin/vtee-bench-guest" 2>&1 | sed -n 's/^BENCH guest_null_invoke /BENCH nested_l1_null_invoke /p'
	tr -d '\r' </tmp/l2-tee.log | grep '^BENCH nested_l2_null_invoke'
fi
exit $fail
