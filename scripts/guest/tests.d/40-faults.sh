# Fault cases the kernel's selftests do not cover. Each
# asserts the exact kernel log line (where the kernel prints one: the sysfs
# refusals print nothing, their errno is checked) and that the guest goes on
# working (guest_still_patches; and the next test starts from an empty
# /sys/kernel/livepatch and the original /proc/cmdline).

# insmod_fails KO LOG_LINE: insmod must fail, the log must have LOG_LINE,
# and nothing may be left behind.
insmod_fails() {
	local ko=$1 line=$2 name err
	name=$(basename "$ko" .ko)
	log_mark
	if err=$(insmod "$MODULES/$ko" 2>&1); then
		fail "insmod $ko succeeded"
		# Leave nothing behind for the next tests.
		if [ -d "$LP/$name" ]; then
			echo 0 >"$LP/$name/enabled" 2>/dev/null
			wait_until 60 gone "$LP/$name"
		fi
		rmmod "$name" 2>/dev/null
		return 1
	fi
	echo "insmod said: $err"
	log_since_mark | grep -qF "$line" ||
		fail "kernel log lacks '$line'; it has: $(log_since_mark | tr '\n' '|')" || return 1
	gone "/sys/module/$name" || fail "$name stayed loaded" || return 1
	expect_eq "$(ls $LP)" "" "contents of $LP" || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline afterwards" || return 1
	guest_still_patches
}

# The kernel prints the object of this one as '(null)' for vmlinux
# (klp_find_object_symbol() passes objname unmapped): the line as it is.
t_ambiguous_name_sympos_0() {
	insmod_fails rust_lp_ambiguous.ko "livepatch: unresolvable ambiguity for symbol 'c_start' in object '(null)'"
}

t_wrong_sympos() {
	insmod_fails rust_lp_bad_sympos.ko "livepatch: symbol position 100 for symbol 'c_start' in object 'vmlinux' not found"
}

t_pre_patch_callback_fails() {
	insmod_fails rust_lp_pre_patch_fails.ko "livepatch: pre-patch callback failed for object 'vmlinux'" || return 1
	log_since_mark | grep -qF "rust_lp_pre_patch_fails: pre_patch_callback: vmlinux: refusing" ||
		fail "the Rust callback did not run"
}

# A module object whose module never loads: the patch enables, the object
# stays pending, and the patch still disables and unloads.
t_target_module_never_loaded() {
	local d=$LP/rust_lp_absent_object
	log_mark
	insmod $MODULES/rust_lp_absent_object.ko || fail "insmod failed" || return 1
	wait_until 60 file_is $d/transition 0 || fail "transition did not finish" || return 1
	# The core says nothing of the absent module: the patch is enabled and
	# its transition completes (over vmlinux only).
	log_since_mark | grep -qF "livepatch: 'rust_lp_absent_object': patching complete" ||
		fail "no 'patching complete' line in the kernel log" || return 1
	expect_eq "$(cat $d/enabled)" 1 "enabled" || return 1
	expect_eq "$(cat $d/rust_lp_never_loaded/patched)" 0 "rust_lp_never_loaded/patched" || return 1
	echo 0 >$d/enabled || fail "disable failed" || return 1
	wait_until 60 gone $d || fail "$d still present after disabling" || return 1
	log_mark
	rmmod rust_lp_absent_object || fail "rmmod failed" || return 1
	# Its `exit = goodbye` ran.
	log_since_mark | grep -q "rust_lp_absent_object: module exit" || fail "the module exit did not run" || return 1
	# The guest goes on: nothing left, the sample still patches and unpatches.
	expect_eq "$(ls $LP)" "" "contents of $LP" || return 1
	guest_still_patches
}

# With the sample enabled: re-enabling (already enabled) and force outside a
# transition are EINVAL, rmmod is refused; after disabling, the patch is
# gone (a disabled patch cannot be enabled again: load it anew).
t_sysfs_misuse_is_refused() {
	local d=$LP/rust_livepatch_sample err
	insmod $MODULES/rust_livepatch_sample.ko || fail "insmod failed" || return 1
	wait_until 60 file_is $d/transition 0 || fail "transition did not finish" || return 1
	err=$( (echo 1 >$d/enabled) 2>&1) && { fail "echo 1 > enabled succeeded on an enabled patch"; return 1; }
	echo "$err" | grep -q "Invalid argument" || fail "enabled: expected EINVAL, got: $err" || return 1
	err=$( (echo 1 >$d/force) 2>&1) && { fail "echo 1 > force succeeded outside a transition"; return 1; }
	echo "$err" | grep -q "Invalid argument" || fail "force: expected EINVAL, got: $err" || return 1
	err=$(rmmod rust_livepatch_sample 2>&1) && { fail "rmmod of an enabled patch succeeded"; return 1; }
	echo "$err" | grep -q "in use" || fail "rmmod: expected 'in use', got: $err" || return 1
	expect_eq "$(cat /proc/cmdline)" "$PATCHED" "/proc/cmdline while patched" || return 1
	echo 0 >$d/enabled || fail "disable failed" || return 1
	wait_until 60 gone $d || fail "$d still present after disabling" || return 1
	[ ! -e $d/enabled ] || fail "a disabled patch still offers enabled" || return 1
	rmmod rust_livepatch_sample || fail "rmmod after disabling failed" || return 1
	insmod $MODULES/rust_livepatch_sample.ko || fail "loading it anew failed" || return 1
	wait_until 60 file_is $d/transition 0 || fail "second transition did not finish" || return 1
	expect_eq "$(cat /proc/cmdline)" "$PATCHED" "/proc/cmdline after loading anew" || return 1
	echo 0 >$d/enabled && wait_until 60 gone $d && rmmod rust_livepatch_sample || fail "cleanup failed"
}

TESTS="$TESTS t_ambiguous_name_sympos_0 t_wrong_sympos t_pre_patch_callback_fails
t_target_module_never_loaded t_sysfs_misuse_is_refused"
