# Tests of the Rust sample (samples/rust_livepatch_sample.rs) and the
# foundation: load, disable, a missing target, parity with the C sample.

R=$MODULES/rust_livepatch_sample.ko
C=$MODULES/livepatch-sample.ko

# 1. The Rust sample loads, the transition completes, /proc/cmdline changes.
t_rust_sample_loads() {
	local d=$LP/rust_livepatch_sample
	expect_eq "$(modinfo -F livepatch $R)" Y "modinfo livepatch" || return 1
	insmod $R || fail "insmod $R failed" || return 1
	wait_until 60 file_is $d/transition 0 || fail "transition still $(cat $d/transition) after 60 s" || return 1
	expect_eq "$(cat $d/enabled)" 1 "$d/enabled" || return 1
	expect_eq "$(cat $d/vmlinux/patched)" 1 "$d/vmlinux/patched" || return 1
	# The core names it "<name>,<sympos>", sympos 0 shown as 1.
	[ -d "$d/vmlinux/cmdline_proc_show,1" ] || fail "no $d/vmlinux/cmdline_proc_show,1" || return 1
	expect_eq "$(cat /proc/cmdline)" "$PATCHED" "/proc/cmdline while patched"
}

# 2. Disabling through sysfs restores /proc/cmdline; then rmmod succeeds.
t_rust_sample_disable() {
	local d=$LP/rust_livepatch_sample
	[ -d $d ] || fail "the sample is not loaded" || return 1
	echo 0 >$d/enabled || fail "writing 0 to $d/enabled failed" || return 1
	wait_until 60 gone $d || fail "$d still present 60 s after disabling" || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline after disabling" || return 1
	rmmod rust_livepatch_sample || fail "rmmod failed" || return 1
	gone /sys/module/rust_livepatch_sample || fail "module still loaded after rmmod"
}

# 3. A Rust patch whose target does not exist fails insmod cleanly.
t_missing_target_fails_cleanly() {
	local err
	log_mark
	if err=$(insmod $MODULES/rust_lp_missing_target.ko 2>&1); then
		fail "insmod succeeded"
		return 1
	fi
	echo "insmod said: $err"
	log_since_mark | grep -q "livepatch: symbol 'rust_livepatch_no_such_function' not found in symbol table" ||
		fail "kernel log lacks the symbol-not-found line; it has: $(log_since_mark | tr '\n' '|')" || return 1
	gone /sys/module/rust_lp_missing_target || fail "the module stayed loaded" || return 1
	expect_eq "$(ls $LP)" "" "contents of $LP" || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline afterwards" || return 1
	guest_still_patches
}

# 4. The kernel's C sample and the Rust port behave the same, step by step.
t_c_and_rust_samples_identical() {
	local c r
	[ -f $C ] || fail "no C sample $C" || return 1
	c=$(patch_transcript $C livepatch_sample)
	r=$(patch_transcript $R rust_livepatch_sample)
	echo "$c" | grep -qxF "patched: $PATCHED" || fail "the C sample did not patch: $c" || return 1
	echo "$c" | grep -qxF "unpatched: $ORIG_CMDLINE" || fail "the C sample did not unpatch: $c" || return 1
	echo "$c" | grep -q "^functions: ./vmlinux/cmdline_proc_show,1 $" ||
		fail "the C sample's sysfs lacks its function: $c" || return 1
	[ "$c" = "$r" ] && return 0
	echo "C:    $c" | tr '\n' '|'
	echo
	echo "Rust: $r" | tr '\n' '|'
	echo
	fail "the transcripts differ"
}

TESTS="$TESTS t_rust_sample_loads t_rust_sample_disable t_missing_target_fails_cleanly
t_c_and_rust_samples_identical"
