# The consistency model with a task asleep INSIDE the new code, C and Rust
# side by side: a reader of /proc/version sleeps in a patch's replacement of
# version_proc_show() (tests/modules/klp_c_sleepy.c, rust_lp_sleepy.rs)
# while that patch is disabled, atomically replaced, or unstacked from above
# another patch (klp_c_other.c, rust_lp_other.rs). The kernel must keep the
# transition open until the task has left the new code, refuse to remove the
# patch's module meanwhile, and only then finish; the reader completes with
# the new code's output and nothing oopses (ktap.py checks the console).
# Needs klp() and friends from 30-klp.sh.

CS_SLEEP_MS=8000
CS_ORIG_VERSION=$(cat /proc/version)

# cs_names FLAVOUR: the two patches of that flavour, CS_SLEEPY and CS_OTHER.
cs_names() {
	case "$1" in
	c) CS_SLEEPY=klp_c_sleepy CS_OTHER=klp_c_other ;;
	rust) CS_SLEEPY=rust_lp_sleepy CS_OTHER=rust_lp_other ;;
	esac
}

# cs_load MODULE [PARAM=VALUE...]: load a patch, wait for its transition.
cs_load() {
	local m=$1
	shift
	insmod "$MODULES/$m.ko" "$@" || fail "insmod $m $* failed" || return 1
	wait_until 60 file_is "$LP/$m/transition" 0 || fail "$m: the transition did not finish"
}

# cs_sleep_in MODULE: a reader of /proc/version (CS_PID, output in
# /tmp/cs.out) asleep for CS_SLEEP_MS in MODULE's replacement; only it
# sleeps (sleep_ms is back to 0 once it does).
cs_sleep_in() {
	echo "$CS_SLEEP_MS" >"/sys/module/$1/parameters/sleep_ms"
	cat /proc/version >/tmp/cs.out &
	CS_PID=$!
	wait_until 10 cs_asleep || fail "the reader did not fall asleep in $1's replacement"
	local rc=$?
	echo 0 >"/sys/module/$1/parameters/sleep_ms"
	return $rc
}
# msleep() sleeps uninterruptibly: state D.
cs_asleep() { [ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$CS_PID/status" 2>/dev/null)" = D ]; }

# cs_held PATCH MODULE: 2 s into the sleep, the transition of PATCH is still
# open, klp status names the reader, and MODULE (whose code the reader is
# in) cannot be removed.
cs_held() {
	local err
	sleep 2
	cs_asleep || fail "the reader woke up too early to test anything" || return 1
	expect_eq "$(cat "$LP/$1/transition" 2>&1)" 1 \
		"$1: transition while a task sleeps in $2's replacement" || return 1
	klp status
	expect_text "transition: $1 to " || return 1
	expect_text "comm cat" || return 1
	err=$(rmmod "$2" 2>&1) && { fail "rmmod $2 succeeded while a task sleeps in its code"; return 1; }
	echo "$err" | grep -q "in use" || fail "rmmod $2: expected 'in use', got: $err"
}

# cs_reader_done MODULE: the reader finished, with MODULE's output.
cs_reader_done() {
	wait "$CS_PID"
	expect_eq "$(cat /tmp/cs.out)" "$1" "what the reader asleep in $1's replacement printed"
}

# cs_unload MODULE: its patch is gone (the transition done); remove it.
cs_unload() {
	wait_until 30 gone "$LP/$1" || fail "$LP/$1 still present after the transition" || return 1
	rmmod "$1" || fail "rmmod $1 failed once no task was in its code"
}

cs_cleanup() {
	[ -n "${CS_PID:-}" ] && wait "$CS_PID" 2>/dev/null
	klp_cleanup
	rmmod "$CS_OTHER" "$CS_SLEEPY" 2>/dev/null
	expect_eq "$(cat /proc/version)" "$CS_ORIG_VERSION" "/proc/version after the test"
}

# (a) Disable the patch while the reader sleeps in its replacement.
# FLAVOUR [PARAM=VALUE...] (tail=1: the Rust replacement sleeps in a helper
# reached by its last call).
cs_disable() {
	cs_names "$1"
	shift
	cs_load "$CS_SLEEPY" "$@" || return 1
	cs_sleep_in "$CS_SLEEPY" || return 1
	echo 0 >"$LP/$CS_SLEEPY/enabled" || fail "disabling $CS_SLEEPY failed" || return 1
	cs_held "$CS_SLEEPY" "$CS_SLEEPY" || return 1
	cs_reader_done "$CS_SLEEPY" || return 1
	cs_unload "$CS_SLEEPY" || return 1
	expect_eq "$(cat /proc/version)" "$CS_ORIG_VERSION" "/proc/version once unpatched"
}

# (b) An atomic-replace patch while the reader sleeps in the replaced one.
cs_replace() {
	cs_names "$1"
	cs_load "$CS_SLEEPY" || return 1
	cs_sleep_in "$CS_SLEEPY" || return 1
	insmod "$MODULES/$CS_OTHER.ko" replace=1 || fail "insmod $CS_OTHER replace=1 failed" || return 1
	cs_held "$CS_OTHER" "$CS_SLEEPY" || return 1
	cs_reader_done "$CS_SLEEPY" || return 1
	wait_until 30 file_is "$LP/$CS_OTHER/transition" 0 ||
		fail "$CS_OTHER: the transition did not finish once the reader left" || return 1
	cs_unload "$CS_SLEEPY" || return 1
	expect_eq "$(cat /proc/version)" "$CS_OTHER" "/proc/version after the atomic replace" || return 1
	echo 0 >"$LP/$CS_OTHER/enabled"
	cs_unload "$CS_OTHER"
}

# (c) Two patches stacked on the function; the top one is disabled while the
# reader sleeps in it.
cs_stack() {
	cs_names "$1"
	cs_load "$CS_OTHER" || return 1
	cs_load "$CS_SLEEPY" || return 1
	cs_sleep_in "$CS_SLEEPY" || return 1
	echo 0 >"$LP/$CS_SLEEPY/enabled" || fail "disabling $CS_SLEEPY failed" || return 1
	cs_held "$CS_SLEEPY" "$CS_SLEEPY" || return 1
	cs_reader_done "$CS_SLEEPY" || return 1
	cs_unload "$CS_SLEEPY" || return 1
	expect_eq "$(cat /proc/version)" "$CS_OTHER" "/proc/version with the lower patch only" || return 1
	echo 0 >"$LP/$CS_OTHER/enabled"
	cs_unload "$CS_OTHER"
}

cs_consistency_disable_c() { cs_disable c; }
cs_consistency_disable_rust() { cs_disable rust; }
cs_consistency_disable_rust_tail_call() { cs_disable rust tail=1; }
cs_consistency_replace_c() { cs_replace c; }
cs_consistency_replace_rust() { cs_replace rust; }
cs_consistency_stack_c() { cs_stack c; }
cs_consistency_stack_rust() { cs_stack rust; }
cleanup_tests cs_cleanup cs_ consistency_disable_c consistency_disable_rust consistency_disable_rust_tail_call \
	consistency_replace_c consistency_replace_rust consistency_stack_c consistency_stack_rust

TESTS="$TESTS t_consistency_disable_c t_consistency_disable_rust t_consistency_disable_rust_tail_call
t_consistency_replace_c t_consistency_replace_rust t_consistency_stack_c t_consistency_stack_rust"
