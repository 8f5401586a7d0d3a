# Patches a user writes with `klp new` and builds with `klp build`
# (scripts/check-klp-new.sh: five targets, each body from tests/klp-new/):
# `klp info` finds each signature matching the running kernel's BTF, `klp load`
# applies it, the patched function's new output shows, `klp unload` removes
# it and the original output is back.
# Uses klp/expect_* and with_cleanup (30-klp.sh).

# new_load NAME: klp load the klp-new patch NAME and check its state.
new_load() {
	klp load --no-progress "$MODULES/$1.ko"
	expect_rc 0 || return 1
	file_is "$LP/$1/enabled" 1 || fail "$1 is not enabled"
}

# new_unload NAME: klp unload NAME; it must be gone.
new_unload() {
	klp unload --no-progress "$1"
	expect_rc 0 || return 1
	gone "/sys/module/$1" || fail "$1 is still loaded"
}

# new_info_ok NAME OBJECT:FUNC: klp info NAME.ko says the signature matches.
new_info_ok() {
	local btf=vmlinux
	case "$2" in *:*) btf=${2%%:*} ;; esac
	klp info "$MODULES/$1.ko"
	expect_line "  ok   signature: $2: matches /sys/kernel/btf/$btf"
}

new_cmdline() {
	new_info_ok fix_cmdline_proc_show cmdline_proc_show || return 1
	new_load fix_cmdline_proc_show || return 1
	expect_eq "$(cat /proc/cmdline)" "klp new: cmdline_proc_show" "/proc/cmdline patched" || return 1
	new_unload fix_cmdline_proc_show || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline afterwards"
}

new_meminfo() {
	if grep -q '^KlpNew:' /proc/meminfo; then
		fail "/proc/meminfo has KlpNew before the patch"
		return 1
	fi
	new_info_ok fix_arch_report_meminfo arch_report_meminfo || return 1
	new_load fix_arch_report_meminfo || return 1
	grep -qxF "KlpNew:         arch_report_meminfo" /proc/meminfo ||
		fail "/proc/meminfo lacks the patch's line: $(tail -n 3 /proc/meminfo | tr '\n' '|')" || return 1
	new_unload fix_arch_report_meminfo || return 1
	if grep -q '^KlpNew:' /proc/meminfo; then
		fail "/proc/meminfo still has KlpNew after the unload"
		return 1
	fi
}

# proc_task_name(m, p, escape): /proc/PID/status passes escape=true, stat false.
new_task_name() {
	new_info_ok fix_proc_task_name proc_task_name || return 1
	new_load fix_proc_task_name || return 1
	expect_eq "$(sed -n 's/^Name:\t//p' /proc/self/status)" "klp-new-1" "Name: in /proc/self/status" || return 1
	expect_eq "$(cut -d' ' -f2 /proc/self/stat)" "(klp-new-0)" "the name in /proc/self/stat" || return 1
	new_unload fix_proc_task_name || return 1
	expect_eq "$(sed -n 's/^Name:\t//p' /proc/self/status)" "sed" "Name: in /proc/self/status afterwards"
}

# A module's function, the module loaded first: checked against its BTF.
new_dummy_check() {
	insmod $MODULES/livepatch-shadow-mod.ko || fail "insmod livepatch-shadow-mod failed" || return 1
	new_info_ok fix_dummy_check livepatch_shadow_mod:dummy_check || return 1
	log_mark
	new_load fix_dummy_check || return 1
	# The module's cleanup work calls dummy_check() every 3 s.
	wait_until 10 sh -c "dmesg | sed -n '/$MARK\$/,\$p' | grep -q 'klp new: dummy_check'" ||
		fail "no 'klp new: dummy_check' in the log 10 s after the load" || return 1
	new_unload fix_dummy_check
}
new_dummy_check_cleanup() {
	klp_cleanup
	rmmod livepatch_shadow_mod 2>/dev/null
	return 0
}

# A module loaded after the patch: klp load says it could not check the
# signature yet; the module's work runs the replacement when it loads.
new_busymod() {
	log_mark
	new_load fix_busymod_work_func || return 1
	expect_text "signature: livepatch_callbacks_busymod:busymod_work_func: not checked: module livepatch_callbacks_busymod is not loaded" || return 1
	insmod $MODULES/livepatch-callbacks-busymod.ko || fail "insmod livepatch-callbacks-busymod failed" || return 1
	wait_until 10 sh -c "dmesg | sed -n '/$MARK\$/,\$p' | grep -q 'klp new: busymod_work_func'" ||
		fail "no 'klp new: busymod_work_func' in the log 10 s after the module loaded" || return 1
	if log_since_mark | grep -q 'busymod_work_func, sleeping'; then
		fail "the original busymod_work_func ran: $(log_since_mark | tr '\n' '|')"
		return 1
	fi
	new_info_ok fix_busymod_work_func livepatch_callbacks_busymod:busymod_work_func || return 1
	new_unload fix_busymod_work_func
}
new_busymod_cleanup() {
	klp_cleanup
	rmmod livepatch_callbacks_busymod 2>/dev/null
	return 0
}

t_klp_new_cmdline_proc_show() { with_cleanup new_cmdline; }
t_klp_new_arch_report_meminfo() { with_cleanup new_meminfo; }
t_klp_new_proc_task_name() { with_cleanup new_task_name; }
t_klp_new_module_dummy_check() { with_cleanup new_dummy_check new_dummy_check_cleanup; }
t_klp_new_module_loaded_later() { with_cleanup new_busymod new_busymod_cleanup; }
TESTS="$TESTS t_klp_new_cmdline_proc_show t_klp_new_arch_report_meminfo t_klp_new_proc_task_name"
TESTS="$TESTS t_klp_new_module_dummy_check t_klp_new_module_loaded_later"
