# `make bench` in the guest (rl.mode=bench; busybox sh). rl.phase= on the
# kernel command line says what to measure: calls or transitions (the host
# boots one guest for each). Settings come from /bench/config (written by
# scripts/bench.sh); results go to /dev/ttyS1 as lines the host parses
# (bench/analyze.py):
#   calls LABEL CYCLE state N | calls LABEL CYCLE ps P
#                                              call overhead, LABEL none|c|rust
#   trans TASKS REP FLAVOUR load_us U poll_us P  one enable, seen from user space
#   kmsg [  T] ...                             kernel log lines of the transitions
#   clocksource NAME                           the guest's clock (tsc, not jiffies)
#   error MSG                                  anything that went wrong
. /guest/lib.sh
. /bench/config
B=/bench
P=/sys/module/bench_caller/parameters

error() { say "error $*"; }

# enable FLAVOUR: load bench_patch_FLAVOUR, wait for its transition to end.
enable() {
	local name=bench_patch_$1 r
	r=$($B/benchtool load $MODULES/$name.ko $name 2>&1) || { error "enable $1: $r"; return 1; }
	echo "$r"
}

# disable FLAVOUR: disable the patch, wait until it is gone, unload it.
disable() {
	local name=bench_patch_$1
	echo 0 >$LP/$name/enabled || error "disable $1"
	wait_until 300 gone $LP/$name || error "$name still in sysfs 300 s after disabling"
	rmmod $name || error "rmmod $name"
}

# calls LABEL CYCLE: ROUNDS rounds of NCALLS calls.
calls() {
	cat $P/run | sed "s/^/calls $1 $2 /" >"$OUT"
}

# Flavour order alternates with each repetition (c rust, rust c, ...): the
# two runs of a repetition are a pair, and a drift over the run affects C and
# Rust alike.
order() { if [ $(($1 % 2)) = 1 ]; then echo "c rust"; else echo "rust c"; fi; }

phase=$(sed -n 's/.*rl\.phase=\([a-z]*\).*/\1/p' /proc/cmdline)
say "# bench $phase: ncalls $NCALLS rounds $ROUNDS cycles $CYCLES reps $REPS tasks $TASKS busy% $BUSY_PCT"
say "clocksource $phase $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
insmod $MODULES/bench_target.ko || error "insmod bench_target"
insmod $MODULES/bench_caller.ko || error "insmod bench_caller"
echo "$NCALLS" >$P/ncalls
echo "$ROUNDS" >$P/rounds

# 1. Call overhead: unpatched, patched by C, patched by Rust, CYCLES times;
# the C and Rust rounds of a cycle are a pair.
calls_phase() {
	cat $P/run >/dev/null # warm-up (TCG translates the code once)
	for cycle in $(seq "$CYCLES"); do
		calls none "$cycle"
		for f in $(order "$cycle"); do
			enable "$f" >/dev/null && calls "$f" "$cycle"
			disable "$f"
		done
	done
}

# 2. Transition latency with N extra tasks (BUSY_PCT % of them spinning in
# user space, the others asleep), for each N[:REPS] of TASKS: REPS pairs.
# First one cycle of calls, labelled i:none, i:c, i:rust: in icount mode
# their "ns" are guest instructions.
transitions_phase() {
	cat $P/run >/dev/null
	for f in none c rust; do
		if [ $f = none ]; then
			calls i:none 1
		else
			enable "$f" >/dev/null && calls "i:$f" 1
			disable "$f"
		fi
	done
	for spec in $TASKS; do
		n=${spec%%:*}
		reps=${spec#*:}
		[ "$reps" != "$spec" ] || reps=$REPS
		spid=
		if [ "$n" -gt 0 ]; then
			nbusy=$((n * BUSY_PCT / 100))
			rm -f /tmp/ready
			$B/benchtool spawn $((n - nbusy)) "$nbusy" /tmp/ready &
			spid=$!
			wait_until 600 test -e /tmp/ready || error "spawning $n tasks took over 600 s"
		fi
		sleep 1
		for rep in $(seq "$reps"); do
			for f in $(order "$rep"); do
				echo "bench: trans $n $rep $f" >/dev/kmsg
				r=$(enable "$f") && say "trans $n $rep $f $r"
				disable "$f"
			done
		done
		if [ -n "$spid" ]; then
			kill "$spid"
			wait "$spid" 2>/dev/null
		fi
	done

	dmesg | grep -E "bench: |patching complete|starting patching transition" | sed 's/^/kmsg /' >"$OUT"
}

case "$phase" in
calls) calls_phase ;;
transitions) transitions_phase ;;
*) error "unknown rl.phase '$phase' (calls or transitions)" ;;
esac
say "# END rust-livepatch bench $phase"
