# A transition that cannot finish, with the klp command (tools/klp) and a
# Rust patch: the kernel's busy sample module (livepatch-callbacks-busymod.ko,
# sleep_secs=N) leaves a kworker asleep for N s inside busymod_work_func(),
# which rust_livepatch_callbacks_demo replaces. Until that worker leaves the
# function the kernel cannot switch it, and the transition stays open.

ST_BUSY=$MODULES/livepatch-callbacks-busymod.ko
ST_PATCH=rust_livepatch_callbacks_demo
ST_KO=$MODULES/$ST_PATCH.ko
# Long enough to outlast `klp load --timeout 3`, a force and an unload under
# TCG on the debug kernel, short enough not to slow the suite much (each
# test waits for the worker to wake up before the next).
ST_SLEEP=40

# st_busy: load the busy module; return once its worker sleeps in
# busymod_work_func() (its log line says so).
st_busy() {
	log_mark
	insmod "$ST_BUSY" sleep_secs=$ST_SLEEP || fail "insmod $ST_BUSY failed" || return 1
	wait_until 20 st_sleeping || fail "the busy module's worker did not start within 20 s"
}
st_sleeping() { log_since_mark | grep -q "busymod_work_func, sleeping $ST_SLEEP seconds"; }

# st_stalled_load: klp load with a short timeout reports the stall (exit 7)
# and names the sleeping worker, with its kernel stack in the old function.
st_stalled_load() {
	klp load "$ST_KO" --timeout 3 --no-progress
	expect_rc 7 || return 1
	expect_text "timed out after 3 s: $ST_PATCH is still in transition to patched (enabled=1, transition=1); it is left that way" || return 1
	expect_text "task(s) have not switched yet:" || return 1
	expect_text "comm kworker/" || return 1
	expect_text "busymod_work_func+" || return 1
	expect_text "klp force $ST_PATCH" || return 1
	expect_eq "$(cat $LP/$ST_PATCH/transition)" 1 "transition while the worker sleeps"
}

st_cleanup() {
	klp_cleanup
	rmmod livepatch_callbacks_busymod 2>/dev/null
	return 0
}

klp_stalled_transition_completes() {
	st_busy || return 1
	st_stalled_load || return 1
	klp status
	expect_rc 0 || return 1
	expect_text "transition: $ST_PATCH to patched, " || return 1
	expect_text "comm kworker/" || return 1
	# The worker wakes up, leaves the old function: the kernel switches it
	# and the transition ends by itself.
	wait_until $((ST_SLEEP + 30)) file_is $LP/$ST_PATCH/transition 0 ||
		fail "the transition did not finish once the worker woke up" || return 1
	klp status
	expect_line "no transition in progress" || return 1
	klp unload $ST_PATCH
	expect_rc 0 || return 1
	gone /sys/module/$ST_PATCH || fail "the patch module is still loaded"
}

# A patch in transition is enabled already: enabling it again is EINVAL;
# disabling it reverses the transition, which ends at once (the worker is
# in the original function, the one a transition back to it may leave).
klp_stalled_transition_reversed() {
	local err
	st_busy || return 1
	st_stalled_load || return 1
	err=$( (echo 1 >$LP/$ST_PATCH/enabled) 2>&1) &&
		{ fail "echo 1 > enabled succeeded during the transition"; return 1; }
	echo "$err" | grep -q "Invalid argument" || fail "enabled: expected EINVAL, got: $err" || return 1
	klp disable $ST_PATCH --timeout 10 --no-progress
	expect_rc 0 || return 1
	# The core removes the sysfs directory in its free work, after the
	# transition (later still with DEBUG_KOBJECT_RELEASE).
	wait_until 30 gone $LP/$ST_PATCH || fail "$LP/$ST_PATCH still present 30 s after klp disable" || return 1
	klp unload $ST_PATCH --no-progress
	expect_rc 0 || return 1
	gone /sys/module/$ST_PATCH || fail "the patch module is still loaded"
}

klp_force_completes_a_stalled_transition() {
	st_busy || return 1
	st_stalled_load || return 1
	log_mark
	klp force $ST_PATCH --yes
	expect_rc 0 || return 1
	# Forcing a patch in pins no module (klp_force_transition() marks only
	# the patches a transition removes as forced).
	expect_text "$ST_PATCH: transition forced to completion; no module is pinned" || return 1
	expect_eq "$(cat $LP/$ST_PATCH/transition)" 0 "transition after klp force" || return 1
	log_since_mark | grep -q "livepatch: forcing remaining tasks to the patched state" ||
		fail "no 'forcing remaining tasks' line in the kernel log" || return 1
	# Unloading works at once: a transition back to the original function
	# waits only for tasks in the replacement, and the worker still sleeps
	# in the original.
	klp unload $ST_PATCH --no-progress
	expect_rc 0 || return 1
	gone $LP/$ST_PATCH || fail "$LP/$ST_PATCH still present after klp unload" || return 1
	gone /sys/module/$ST_PATCH || fail "the patch module is still loaded" || return 1
	st_sleeping_still || fail "the worker finished before the unload: nothing was shown"
}
st_sleeping_still() { ! log_since_mark | grep -q "busymod_work_func exit"; }

# After each: the patch and the busy module unloaded (which waits for its
# worker to wake up).
cleanup_tests st_cleanup "" klp_stalled_transition_completes klp_stalled_transition_reversed \
	klp_force_completes_a_stalled_transition

TESTS="$TESTS t_klp_stalled_transition_completes t_klp_stalled_transition_reversed
t_klp_force_completes_a_stalled_transition"
