# Tests of the klp command (tools/klp) against the real kernel: load, list,
# info, status, disable, unload, load --all, and its refusals. qemu-run.sh
# copies the host's release build into the guest as /usr/bin/klp.

KLP=/usr/bin/klp # GUEST_BINARIES (scripts/lib/initramfs.sh)
KLP_R=$MODULES/rust_livepatch_sample.ko
KLP_C=$MODULES/livepatch-sample.ko
KLP_PATCHED="this has been live patched"
KLP_ORIG=$(cat /proc/cmdline)

# klp ARGS...: run klp; its output in KLP_OUT (also printed, as diagnostics
# when the test fails), its exit code in KLP_RC.
klp() {
	[ -x "$KLP" ] || { KLP_OUT="no klp binary in the guest"; KLP_RC=127; echo "$KLP_OUT"; return; }
	KLP_OUT=$("$KLP" "$@" 2>&1)
	KLP_RC=$?
	echo "\$ klp $* -> $KLP_RC"
	echo "$KLP_OUT"
}

# expect_rc CODE: the last klp run exited with CODE.
expect_rc() { expect_eq "$KLP_RC" "$1" "klp exit code"; }

# expect_line LINE: the last klp output has LINE (exactly).
expect_line() {
	echo "$KLP_OUT" | grep -qxF -- "$1" || fail "klp output lacks the line '$1'"
}

# expect_line_re REGEX: the last klp output has a line matching REGEX (ERE).
expect_line_re() {
	echo "$KLP_OUT" | grep -qxE -- "$1" || fail "klp output lacks a line matching '$1'"
}

# expect_text TEXT: the last klp output contains TEXT.
expect_text() {
	echo "$KLP_OUT" | grep -qF -- "$1" || fail "klp output lacks '$1'"
}

# Leave no patch behind for the next test, whatever happened.
klp_cleanup() {
	local d
	for d in "$LP"/*; do
		[ -d "$d" ] || continue
		echo 0 >"$d/enabled" 2>/dev/null
		wait_until 30 gone "$d"
		rmmod "${d##*/}" 2>/dev/null
	done
	rmmod not_a_livepatch 2>/dev/null
	return 0
}

# with_cleanup FN [CLEANUP]: run test body FN, then CLEANUP (klp_cleanup by
# default); FN's status.
with_cleanup() {
	local rc
	"$1"
	rc=$?
	"${2:-klp_cleanup}"
	return $rc
}

# cleanup_tests CLEANUP PREFIX NAME...: define each test t_NAME as test body
# PREFIX$NAME run by with_cleanup, then CLEANUP.
cleanup_tests() {
	local cleanup=$1 prefix=$2 name
	shift 2
	for name in "$@"; do
		eval "t_$name() { with_cleanup $prefix$name $cleanup; }"
	done
}

klp_refuses_non_livepatch() {
	klp load $MODULES/not_a_livepatch.ko
	expect_rc 6 || return 1
	expect_text "not a livepatch: its modinfo has no livepatch=Y; nothing was loaded" || return 1
	gone /sys/module/not_a_livepatch || fail "the module was loaded anyway"
}

klp_info_reads_the_file() {
	klp info $KLP_R
	expect_rc 0 || return 1
	expect_line "livepatch: yes" || return 1
	expect_line "  vmlinux" || return 1
	expect_text "    cmdline_proc_show sympos=0 -> " || return 1
	expect_line "fits the running kernel: yes" || return 1
	expect_line "  ok   vermagic: built for $(uname -r), the running kernel" || return 1
	expect_line "  ok   vmlinux:cmdline_proc_show: found in /proc/kallsyms" || return 1
	klp info $KLP_C --json
	expect_rc 0 || return 1
	expect_text '"name": "cmdline_proc_show"' || return 1
	klp info $MODULES/rust_lp_missing_target.ko
	expect_line "fits the running kernel: no" || return 1
	expect_line "  FAIL vmlinux:rust_livepatch_no_such_function: rust_livepatch_no_such_function is not in vmlinux's symbols"
}

# The sample with another kernel release in its vermagic (qemu-run.sh makes
# it): klp info says it does not fit, klp load refuses it before the kernel
# sees it, and the kernel refuses it too.
klp_refuses_other_kernel() {
	local ko=$MODULES/rust_lp_other_vermagic.ko other err
	other=$(modinfo -F vermagic $ko | cut -d' ' -f1)
	[ -n "$other" ] && [ "$other" != "$(uname -r)" ] || fail "$ko: vermagic '$other' is not another kernel's" || return 1
	klp info $ko
	expect_rc 0 || return 1
	expect_line "fits the running kernel: no" || return 1
	expect_line "  FAIL vermagic: built for kernel $other but the running kernel is $(uname -r) (vermagic mismatch)" || return 1
	log_mark
	klp load $ko
	expect_rc 6 || return 1
	expect_text "built for kernel $other but the running kernel is $(uname -r) (vermagic mismatch)" || return 1
	gone /sys/module/rust_livepatch_sample || fail "the module was loaded anyway" || return 1
	[ -z "$(log_since_mark)" ] || fail "klp load let the kernel see the module: $(log_since_mark | tr '\n' '|')" || return 1
	err=$(insmod $ko 2>&1) && { fail "insmod of a module for kernel $other succeeded"; return 1; }
	echo "insmod said: $err"
	log_since_mark | grep -qF "rust_livepatch_sample: version magic '$other " ||
		fail "the kernel log lacks its version magic refusal: $(log_since_mark | tr '\n' '|')"
}

klp_load_list_disable_unload() {
	klp load $KLP_R
	expect_rc 0 || return 1
	expect_line "rust_livepatch_sample: enabled, transition finished" || return 1
	expect_eq "$(cat /proc/cmdline)" "$KLP_PATCHED" "/proc/cmdline after klp load" || return 1
	klp list
	expect_rc 0 || return 1
	expect_line "rust_livepatch_sample enabled=1 transition=0 replace=0 stack_order=1" || return 1
	expect_line "  vmlinux patched=1" || return 1
	expect_line "    cmdline_proc_show,1" || return 1
	klp list --json
	expect_text '"name": "rust_livepatch_sample"' || return 1
	expect_text '"stack_order": 1' || return 1
	klp status
	expect_rc 0 || return 1
	expect_line "no transition in progress" || return 1
	expect_text "tasks: " || return 1
	# force applies only during a transition; outside one nothing is written.
	klp force rust_livepatch_sample --yes
	expect_rc 1 || return 1
	expect_text "is not in transition (enabled=1): force only completes a transition in progress; nothing was done" || return 1
	klp disable rust_livepatch_sample
	expect_rc 0 || return 1
	expect_eq "$(cat /proc/cmdline)" "$KLP_ORIG" "/proc/cmdline after klp disable" || return 1
	[ -e /sys/module/rust_livepatch_sample ] || fail "klp disable removed the module" || return 1
	klp unload rust_livepatch_sample
	expect_rc 0 || return 1
	expect_line "rust_livepatch_sample: module removed" || return 1
	gone /sys/module/rust_livepatch_sample || fail "the module is still loaded after klp unload"
}

klp_unload_enabled_patch() {
	klp load $KLP_C
	expect_rc 0 || return 1
	klp unload livepatch_sample
	expect_rc 0 || return 1
	gone $LP/livepatch_sample || fail "still in $LP" || return 1
	gone /sys/module/livepatch_sample || fail "the module is still loaded" || return 1
	expect_eq "$(cat /proc/cmdline)" "$KLP_ORIG" "/proc/cmdline after klp unload"
}

klp_unknown_patch() {
	klp disable no_such_patch
	expect_rc 5 || return 1
	expect_text "no livepatch named 'no_such_patch' is loaded" || return 1
	klp unload no_such_patch
	expect_rc 5 || return 1
	klp force no_such_patch --yes
	expect_rc 5
}

klp_kernel_refusal_shows_the_log() {
	klp load $MODULES/rust_lp_missing_target.ko
	expect_rc 1 || return 1
	expect_text "nothing was loaded" || return 1
	expect_text "livepatch: symbol 'rust_livepatch_no_such_function' not found in symbol table" || return 1
	gone /sys/module/rust_lp_missing_target || fail "the module stayed loaded"
}

klp_load_all_dir() {
	local dir=/tmp/klp-patches
	rm -rf $dir
	mkdir -p $dir
	cp $KLP_R $dir/10-rust.ko
	cp $KLP_C $dir/20-c.ko
	klp load --all $dir
	expect_rc 0 || return 1
	klp list
	expect_line "rust_livepatch_sample enabled=1 transition=0 replace=0 stack_order=1" || return 1
	expect_line "livepatch_sample enabled=1 transition=0 replace=0 stack_order=2" || return 1
	expect_eq "$(cat /proc/cmdline)" "$KLP_PATCHED" "/proc/cmdline" || return 1
	# At boot it may run again: what is loaded is skipped.
	klp load --all $dir
	expect_rc 0 || return 1
	expect_text "rust_livepatch_sample: already loaded, skipped" || return 1
	expect_text "livepatch_sample: already loaded, skipped" || return 1
	cp $MODULES/not_a_livepatch.ko $dir/30-plain.ko
	klp load --all $dir
	expect_rc 8 || return 1
	expect_text "1 of 3 modules failed to load" || return 1
	klp unload livepatch_sample
	expect_rc 0 || return 1
	klp unload rust_livepatch_sample
	expect_rc 0 || return 1
	expect_eq "$(ls $LP)" "" "contents of $LP"
}

t_klp_refuses_non_livepatch() { with_cleanup klp_refuses_non_livepatch; }
t_klp_info_reads_the_file() { with_cleanup klp_info_reads_the_file; }
t_klp_refuses_other_kernel() { with_cleanup klp_refuses_other_kernel; }
t_klp_load_list_disable_unload() { with_cleanup klp_load_list_disable_unload; }
t_klp_unload_enabled_patch() { with_cleanup klp_unload_enabled_patch; }
t_klp_unknown_patch() { with_cleanup klp_unknown_patch; }
t_klp_kernel_refusal_shows_the_log() { with_cleanup klp_kernel_refusal_shows_the_log; }
t_klp_load_all_dir() { with_cleanup klp_load_all_dir; }

TESTS="$TESTS t_klp_refuses_non_livepatch t_klp_info_reads_the_file t_klp_refuses_other_kernel
t_klp_load_list_disable_unload t_klp_unload_enabled_patch t_klp_unknown_patch
t_klp_kernel_refusal_shows_the_log t_klp_load_all_dir"
