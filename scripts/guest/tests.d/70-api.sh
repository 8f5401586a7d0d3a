# The safe API at run time: what safe Rust code can do must not make the
# kernel warn or crash.

API_MOD=$MODULES/livepatch-callbacks-mod.ko

# Context::prev_state() from the callbacks of a module that loads after the
# patch and is removed while patched: no transition is running, so it is
# None (the core's klp_get_prev_state() would WARN, which ktap.py catches in
# the console; panic_on_warn would make it a panic).
api_prev_state_on_module_load() {
	local log
	[ -f "$API_MOD" ] || fail "$API_MOD missing" || return 1
	log_mark
	insmod $MODULES/rust_lp_prev_state.ko || fail "insmod rust_lp_prev_state failed" || return 1
	wait_until 60 file_is $LP/rust_lp_prev_state/transition 0 || fail "transition did not finish" || return 1
	insmod "$API_MOD" || fail "insmod livepatch-callbacks-mod failed" || return 1
	rmmod livepatch_callbacks_mod || fail "rmmod livepatch_callbacks_mod failed" || return 1
	echo 0 >$LP/rust_lp_prev_state/enabled
	wait_until 30 gone $LP/rust_lp_prev_state || fail "the patch did not go away" || return 1
	rmmod rust_lp_prev_state || fail "rmmod rust_lp_prev_state failed" || return 1
	log=$(log_since_mark | grep -o 'rust_lp_prev_state: .*prev_state.*')
	echo "$log"
	for want in \
		"rust_lp_prev_state: pre_patch vmlinux: prev_state none" \
		"rust_lp_prev_state: post_patch vmlinux: prev_state none" \
		"rust_lp_prev_state: pre_patch livepatch_callbacks_mod: prev_state none" \
		"rust_lp_prev_state: post_patch livepatch_callbacks_mod: prev_state none" \
		"rust_lp_prev_state: pre_unpatch livepatch_callbacks_mod: prev_state none" \
		"rust_lp_prev_state: post_unpatch livepatch_callbacks_mod: prev_state none" \
		"rust_lp_prev_state: pre_unpatch vmlinux: prev_state none" \
		"rust_lp_prev_state: post_unpatch vmlinux: prev_state none"; do
		echo "$log" | grep -qxF "$want" || fail "no kernel log line '$want'" || return 1
	done
	if log_since_mark | grep -q "WARNING"; then
		fail "the kernel warned"
		return 1
	fi
}
api_cleanup() {
	rmmod livepatch_callbacks_mod 2>/dev/null
	klp_cleanup
}
t_api_prev_state_on_module_load() { with_cleanup api_prev_state_on_module_load api_cleanup; }

TESTS="$TESTS t_api_prev_state_on_module_load"
