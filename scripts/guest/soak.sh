# `make soak` (and `make check-debug`): load, transition, disable, unload of
# the Rust sample, and (every other cycle) of an atomic-replace patch stacked
# over it, many times, under a busy userland; then no task may be left in a patched state and
# kmemleak must find nothing. KTAP on /dev/ttyS1.
. /guest/lib.sh

R=$MODULES/rust_livepatch_sample.ko
REPLACE=$MODULES/test_klp_atomic_replace.ko
CYCLES=$(sed -n 's/.*rl\.cycles=\([0-9]*\).*/\1/p' /proc/cmdline)
CYCLES=${CYCLES:-100}

uptime_cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }

# load_sample: insmod the Rust sample, wait for its transition, check it.
load_sample() {
	insmod $R || fail "insmod sample" || return 1
	wait_until 60 file_is $LP/rust_livepatch_sample/transition 0 || fail "sample transition" || return 1
	expect_eq "$(cat /proc/cmdline)" "$PATCHED" "cmdline patched"
}

# A plain cycle: the sample loaded, disabled through sysfs, unloaded.
plain_cycle() {
	load_sample || return 1
	echo 0 >$LP/rust_livepatch_sample/enabled || fail "disable sample" || return 1
	wait_until 60 gone $LP/rust_livepatch_sample || fail "sample not freed" || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "cmdline after disable" || return 1
	wait_until 60 rmmod rust_livepatch_sample || fail "rmmod sample"
}

# A replace cycle: the sample loaded, an atomic-replace patch stacked over
# it (which frees the sample's patch), disabled, both unloaded.
replace_cycle() {
	load_sample || return 1
	# The replace patch patches meminfo only: once its transition is done,
	# the sample is replaced and /proc/cmdline is the original again.
	insmod $REPLACE replace=1 || fail "insmod replace patch" || return 1
	wait_until 60 file_is $LP/test_klp_atomic_replace/transition 0 || fail "replace transition" || return 1
	wait_until 60 gone $LP/rust_livepatch_sample || fail "the sample was not replaced" || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "cmdline after replace" || return 1
	expect_eq "$(head -n1 /proc/meminfo)" "test_klp_atomic_replace: this has been live patched" "meminfo" || return 1
	wait_until 60 rmmod rust_livepatch_sample || fail "rmmod sample" || return 1
	echo 0 >$LP/test_klp_atomic_replace/enabled || fail "disable replace patch" || return 1
	wait_until 60 gone $LP/test_klp_atomic_replace || fail "replace patch not freed" || return 1
	wait_until 60 rmmod test_klp_atomic_replace || fail "rmmod replace patch"
}

# Cycle N: odd ones plain, even ones with the replace patch; prints what
# went wrong.
cycle() {
	if [ $(($1 % 2)) = 1 ]; then plain_cycle; else replace_cycle; fi
}

say "KTAP version 1"
say "1..3"

# A busy userland: two spinning shells and two readers of the patched file.
busy=
for i in 1 2; do
	(while :; do :; done) &
	busy="$busy $!"
	(while :; do cat /proc/cmdline >/dev/null; done) &
	busy="$busy $!"
done

t0=$(uptime_cs)
done_cycles=0
failed=
for c in $(seq 1 "$CYCLES"); do
	if ! out=$(cycle "$c" 2>&1); then
		echo "$out" | sed "s/^/# cycle $c: /" >"$OUT"
		failed=$c
		break
	fi
	done_cycles=$c
done
t1=$(uptime_cs)
kill $busy 2>/dev/null
wait 2>/dev/null
rate=$(awk -v n="$done_cycles" -v cs="$((t1 - t0))" 'BEGIN { printf "%.2f", cs ? n * 100 / cs : 0 }')
say "# soak: $done_cycles of $CYCLES cycles in $(((t1 - t0) / 100)) s: $rate cycles/s"
if [ -z "$failed" ]; then say "ok 1 soak_cycles"; else say "not ok 1 soak_cycles"; fi

left=$(for f in /proc/[0-9]*/patch_state; do
	s=$(cat "$f" 2>/dev/null) && [ "$s" != -1 ] && echo "${f%/patch_state}: $s"
done)
if [ -z "$left" ] && [ -z "$(ls $LP)" ]; then
	say "ok 2 no_task_left_patched"
else
	say "# tasks not in state -1: $left; patches left: $(ls $LP)"
	say "not ok 2 no_task_left_patched"
fi

KML=/sys/kernel/debug/kmemleak
if [ ! -e $KML ]; then
	say "# this kernel has no kmemleak (use the debug kernel: make soak)"
	say "not ok 3 kmemleak_clean"
else
	# Two scans: kmemleak reports an object only once it was unreferenced
	# in two consecutive scans.
	echo scan >$KML
	sleep 6
	echo scan >$KML
	leaks=$(cat $KML)
	if [ -z "$leaks" ]; then
		say "ok 3 kmemleak_clean"
	else
		echo "$leaks" | head -n 60 | sed 's/^/# /' >"$OUT"
		say "not ok 3 kmemleak_clean"
	fi
fi
say "# END rust-livepatch soak"
