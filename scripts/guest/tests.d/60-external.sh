# Patches that use non-exported symbols of vmlinux through klp relocations
# (tests/modules/common/external.rs), converted at build time by
# `klp post-link`; one left unconverted; one whose symbol the kernel lacks;
# one that reads a static of a module (rust_lp_external_mod.rs), whose
# relocations klp writes when that module loads and clears when it goes.
# Uses insmod_fails (40-faults.sh) and klp/expect_* (30-klp.sh).

EXT=rust_lp_external
EXT_LINE="$EXT: [1-9][0-9]* processes"

# ext_cmdline_ok: /proc/cmdline shows the real command line, read through
# the non-exported saved_command_line, then the replacement's own line with
# the count from the non-exported nr_processes().
ext_cmdline_ok() {
	local out first second
	out=$(cat /proc/cmdline)
	echo "/proc/cmdline while patched: $(echo "$out" | tr '\n' '|')"
	first=$(echo "$out" | sed -n 1p)
	second=$(echo "$out" | sed -n 2p)
	expect_eq "$first" "$ORIG_CMDLINE" "first line of /proc/cmdline (saved_command_line)" || return 1
	echo "$second" | grep -qx "$EXT_LINE" ||
		fail "second line of /proc/cmdline: expected '$EXT_LINE', got '$second'"
}

t_external_symbols_resolved_by_klp() {
	local d=$LP/$EXT
	log_mark
	insmod $MODULES/$EXT.ko || fail "insmod failed" || return 1
	wait_until 60 file_is $d/transition 0 || fail "transition did not finish" || return 1
	ext_cmdline_ok || return 1
	[ -d "$d/vmlinux/cmdline_proc_show,1" ] || fail "no $d/vmlinux/cmdline_proc_show,1" || return 1
	log_since_mark | grep -qF "livepatch: '$EXT': patching complete" ||
		fail "no 'patching complete' line in the kernel log" || return 1
	echo 0 >$d/enabled || fail "disable failed" || return 1
	wait_until 60 gone $d || fail "$d still present after disabling" || return 1
	rmmod $EXT || fail "rmmod failed" || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline after unloading" || return 1
	guest_still_patches
}

# The post-link step skipped: the module loads (the loader takes the
# unresolved WEAK symbols as 0) but its init refuses to enable the patch.
t_unconverted_module_refuses_to_enable() {
	insmod_fails ${EXT}_unconverted.ko \
		"rust_livepatch: ${EXT}_unconverted: refusing to enable the patch: its references to non-exported symbols were not converted by 'klp post-link' after its link (they would call address 0)"
}

# The kernel refuses a klp symbol it cannot resolve, before any init runs.
t_missing_external_symbol_is_refused() {
	insmod_fails ${EXT}_missing.ko "livepatch: symbol 'rust_lp_no_such_function' not found in symbol table"
}

klp_external_info_and_load() {
	klp info $MODULES/$EXT.ko
	expect_rc 0 || return 1
	expect_line "external symbols: 2 (converted)" || return 1
	# The count is the compiler's (KASAN adds one per access of a variable).
	expect_line_re "  vmlinux saved_command_line sympos=0 \([1-9][0-9]* relocations?\)" || return 1
	expect_line_re "  vmlinux nr_processes sympos=0 \([1-9][0-9]* relocations?\)" || return 1
	expect_line "  ok   external vmlinux:saved_command_line,0: found in /proc/kallsyms" || return 1
	expect_line "  ok   external vmlinux:nr_processes,0: found in /proc/kallsyms" || return 1
	expect_line "fits the running kernel: yes" || return 1
	klp load --no-progress $MODULES/$EXT.ko
	expect_rc 0 || return 1
	expect_line "$EXT: enabled, transition finished" || return 1
	ext_cmdline_ok || return 1
	klp unload --no-progress $EXT
	expect_rc 0 || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline after klp unload"
}
t_klp_info_and_load_external_symbols() { with_cleanup klp_external_info_and_load; }

klp_refuses_external() {
	klp info $MODULES/${EXT}_unconverted.ko
	expect_line "external symbols: 2 (NOT converted: run 'klp post-link' on the file)" || return 1
	klp load $MODULES/${EXT}_unconverted.ko
	expect_rc 6 || return 1
	expect_text "it references 2 external symbols but was not converted: run 'klp post-link' on it after the build; nothing was loaded" || return 1
	klp load $MODULES/${EXT}_missing.ko
	expect_rc 6 || return 1
	expect_text "external vmlinux:rust_lp_no_such_function,0: rust_lp_no_such_function is not in vmlinux's symbols; nothing was loaded" || return 1
	expect_eq "$(ls $LP)" "" "contents of $LP" || return 1
	for m in ${EXT}_unconverted ${EXT}_missing; do
		gone /sys/module/$m || fail "$m was loaded" || return 1
	done
}
t_klp_load_refuses_unconverted_and_missing() { with_cleanup klp_refuses_external; }

# The module object: livepatch-shadow-mod.c and its static dummy_list.
EXT_MOD=rust_lp_external_mod
EXT_VICTIM=$MODULES/livepatch-shadow-mod.ko
EXT_FOUND="$EXT_MOD: dummy_check: dummy found on dummy_list"

# ext_mod_checks: within 15 s the replacement of dummy_check() (called every
# 3 s for each dummy) finds the dummy on the module's list, and never
# reports one missing; the relocation writes gave no warning.
ext_found() { log_since_mark | grep -qF "$EXT_FOUND"; }
ext_mod_checks() {
	wait_until 15 ext_found ||
		fail "no '$EXT_FOUND' within 15 s" || return 1
	if log_since_mark | grep -F "$EXT_MOD: dummy_check: dummy NOT on"; then
		fail "a dummy was not found on dummy_list"
		return 1
	fi
	if log_since_mark | grep -F "Invalid relocation target"; then
		fail "the kernel complained about a relocation site"
		return 1
	fi
}

ext_module_object() {
	local d=$LP/$EXT_MOD
	# The patch first: the module's symbol cannot be checked, its
	# relocations wait for the module.
	klp load --no-progress $MODULES/$EXT_MOD.ko
	expect_rc 0 || return 1
	expect_line "external livepatch_shadow_mod:dummy_list,0: module livepatch_shadow_mod is not loaded: checked by the kernel when it loads" || return 1
	expect_eq "$(cat $d/livepatch_shadow_mod/patched)" 0 "patched before the module loads" || return 1
	# The module loads: klp writes the relocations, the replacement runs.
	log_mark
	insmod $EXT_VICTIM || fail "insmod livepatch-shadow-mod failed" || return 1
	expect_eq "$(cat $d/livepatch_shadow_mod/patched)" 1 "patched after the module loads" || return 1
	ext_mod_checks || return 1
	# It goes and comes back: klp cleared the sites (the kernel writes only
	# over zeros, so loading it again would fail otherwise).
	log_mark
	rmmod livepatch_shadow_mod || fail "rmmod livepatch_shadow_mod failed" || return 1
	insmod $EXT_VICTIM || fail "insmod livepatch-shadow-mod (again) failed" || return 1
	ext_mod_checks || return 1
	# The module first: klp writes the relocations when the patch loads.
	klp unload --no-progress $EXT_MOD
	expect_rc 0 || return 1
	log_mark
	klp load --no-progress $MODULES/$EXT_MOD.ko
	expect_rc 0 || return 1
	expect_line "$EXT_MOD: enabled, transition finished" || return 1
	ext_mod_checks || return 1
	klp unload --no-progress $EXT_MOD
	expect_rc 0 || return 1
	rmmod livepatch_shadow_mod || fail "rmmod livepatch_shadow_mod failed"
}
ext_module_object_cleanup() {
	klp_cleanup
	rmmod livepatch_shadow_mod 2>/dev/null
	return 0
}
t_module_external_symbol_follows_the_module() { with_cleanup ext_module_object ext_module_object_cleanup; }

TESTS="$TESTS t_external_symbols_resolved_by_klp t_unconverted_module_refuses_to_enable
t_missing_external_symbol_is_refused t_klp_info_and_load_external_symbols
t_klp_load_refuses_unconverted_and_missing t_module_external_symbol_follows_the_module"
