# `make bench` in the guest (rl.mode=bench; busybox sh). Settings come from
# /bench/config (written by scripts/bench.sh); results go to /dev/ttyS1 as
# lines the host parses (bench/analyze.py):
#   calls LABEL state N | calls LABEL ps P     call overhead, LABEL none|c|rust
#   trans TASKS FLAVOUR load_us U poll_us P    one enable, seen from user space
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

calls() {
	cat $P/run | sed "s/^/calls $1 /" >"$OUT"
}

# Flavour order alternates with each repetition, so that neither always
# runs first.
order() { if [ $(($1 % 2)) = 1 ]; then echo "c rust"; else echo "rust c"; fi; }

say "# bench: ncalls $NCALLS rounds $ROUNDS cycles $CYCLES reps $REPS tasks $TASKS busy% $BUSY_PCT"
say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
insmod $MODULES/bench_target.ko || error "insmod bench_target"
insmod $MODULES/bench_caller.ko || error "insmod bench_caller"
echo "$NCALLS" >$P/ncalls
echo "$ROUNDS" >$P/rounds

# 1. Call overhead: unpatched, patched by C, patched by Rust, CYCLES times.
cat $P/run >/dev/null # warm-up (TCG translates the code once)
for cycle in $(seq "$CYCLES"); do
	calls none
	for f in $(order "$cycle"); do
		enable "$f" >/dev/null && calls "$f"
		disable "$f"
	done
done

# 2. Transition latency with TASKS extra tasks (BUSY_PCT % of them spinning
# in user space, the others asleep).
for n in $TASKS; do
	spid=
	if [ "$n" -gt 0 ]; then
		nbusy=$((n * BUSY_PCT / 100))
		rm -f /tmp/ready
		$B/benchtool spawn $((n - nbusy)) "$nbusy" /tmp/ready &
		spid=$!
		wait_until 600 test -e /tmp/ready || error "spawning $n tasks took over 600 s"
	fi
	sleep 1
	for rep in $(seq "$REPS"); do
		for f in $(order "$rep"); do
			echo "bench: trans $n $f" >/dev/kmsg
			r=$(enable "$f") && say "trans $n $f $r"
			disable "$f"
		done
	done
	if [ -n "$spid" ]; then
		kill "$spid"
		wait "$spid" 2>/dev/null
	fi
done

dmesg | grep -E "bench: |patching complete|starting patching transition" | sed 's/^/kmsg /' >"$OUT"
say "# END rust-livepatch bench"
