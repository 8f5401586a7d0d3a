# Replacements checked against the running kernel's BTF (/sys/kernel/btf):
# `klp load` refuses, before the kernel sees it, a patch whose replacement
# has another signature than its target (tests/modules/rust_lp_sig_*.rs; the
# same messages as `klp build` gives, scripts/check-signatures.sh), and
# `klp info` shows the verdict of each replacement.
# Uses klp/expect_* and with_cleanup (30-klp.sh).

SIG_REFUSED="a replacement's signature does not match the running kernel's BTF"

# sig_refused NAME MESSAGE: klp load refuses $MODULES/NAME.ko with exit 6 and
# MESSAGE as the reason, and loads nothing. A struct's size depends on the
# configuration (lockdep doubles seq_file's): MESSAGE says "N bytes" for it.
# BTF names C's integers as the compiler did: MESSAGE spells them as clang
# does (GCC's `long unsigned int` is `unsigned long`).
sig_refused() {
	klp load "$MODULES/$1.ko"
	expect_rc 6 || return 1
	KLP_OUT=$(echo "$KLP_OUT" | sed -E 's/\([1-9][0-9]* bytes, struct by value\)/(N bytes, struct by value)/g; s/`long unsigned int`/`unsigned long`/g')
	expect_line "klp: error: refusing $MODULES/$1.ko: $SIG_REFUSED: $2; nothing was loaded" || return 1
	gone "/sys/module/$1" || fail "$1 was loaded anyway" || return 1
	gone "$LP/$1" || fail "$LP/$1 exists"
}

# Each line: a module, then the reason klp load gives for refusing it.
sig_load_refuses_vmlinux() {
	local bad=0 name reason
	while read -r name reason <&3; do
		sig_refused "$name" "$reason" || bad=1
	done 3<<'CASES'
rust_lp_sig_extra_param cmdline_proc_show: parameter 3 `_extra`: the replacement has `c_int` (4 bytes, signed integer), the kernel's function has only 2 parameters
rust_lp_sig_missing_param cmdline_proc_show: parameter 2 `v`: missing from the replacement (the kernel has `void *` (pointer), 2 parameters in all)
rust_lp_sig_width apply_mlockall_flags: parameter 1 `flags`: the replacement has `i64` (8 bytes, signed integer), the kernel has `int` (4 bytes, signed integer)
rust_lp_sig_signedness apply_mlockall_flags: parameter 1 `flags`: the replacement has `u32` (4 bytes, unsigned integer), the kernel has `int` (4 bytes, signed integer)
rust_lp_sig_value_for_pointer cmdline_proc_show: parameter 2 `v`: the replacement has `u64` (8 bytes, unsigned integer), the kernel has `void *` (pointer)
rust_lp_sig_wrong_struct cmdline_proc_show: parameter 1 `m`: the replacement has `*mut bindings::inode` (pointer), the kernel has `struct seq_file *` (pointer); the replacement points to `inode`, the kernel to `struct seq_file` (N bytes, struct by value)
rust_lp_sig_absent __x64_sys_getpid: not in /sys/kernel/btf/vmlinux: the compiler may have inlined it or changed its ABI (.isra, .constprop, dropped arguments), or pahole left it out; its signature cannot be checked; if you checked the signature by hand, mark the replacement `unchecked_signature`
CASES
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline afterwards" || bad=1
	return $bad
}

# A module's function: checked against /sys/kernel/btf/<module> once the
# module is loaded; before, klp says it could not check it.
sig_load_refuses_module() {
	klp info $MODULES/rust_lp_sig_module_width.ko
	expect_line '  ?    signature: livepatch_shadow_mod:dummy_check: not checked: module livepatch_shadow_mod is not loaded, so the kernel has no BTF of it (/sys/kernel/btf/livepatch_shadow_mod appears when it loads; klp build checks it against the build tree'"'"'s)' || return 1
	insmod $MODULES/livepatch-shadow-mod.ko || fail "insmod livepatch-shadow-mod failed" || return 1
	sig_refused rust_lp_sig_module_width \
		'livepatch_shadow_mod:dummy_check: parameter 2 `jiffies`: the replacement has `u32` (4 bytes, unsigned integer), the kernel has `unsigned long` (8 bytes, unsigned integer)'
}
sig_module_cleanup() {
	klp_cleanup
	rmmod livepatch_shadow_mod 2>/dev/null
	return 0
}

sig_info_verdicts() {
	klp info $MODULES/rust_lp_sig_width.ko
	expect_rc 0 || return 1
	expect_line "fits the running kernel: no" || return 1
	expect_line '  FAIL signature: apply_mlockall_flags: parameter 1 `flags`: the replacement has `i64` (8 bytes, signed integer), the kernel has `int` (4 bytes, signed integer)' || return 1
	klp info $MODULES/rust_livepatch_sample.ko
	expect_line "fits the running kernel: yes" || return 1
	expect_line "  ok   signature: cmdline_proc_show: matches /sys/kernel/btf/vmlinux" || return 1
	# A module object's, against the split BTF the kernel made for it.
	insmod $MODULES/klp_test_target.ko || fail "insmod klp_test_target failed" || return 1
	klp info $MODULES/rust_lp_module_statics.ko
	expect_line "  ok   signature: klp_test_target:klp_test_target_show_value: matches /sys/kernel/btf/klp_test_target" || return 1
	# A target BTF lacks, marked unchecked_signature: unchecked, said so.
	klp info $MODULES/rust_lp_missing_target.ko
	expect_text "  ?    signature: rust_livepatch_no_such_function: not in /sys/kernel/btf/vmlinux: " || return 1
	expect_text "(unchecked, as the replacement asks)"
}
sig_info_cleanup() {
	klp_cleanup
	rmmod klp_test_target 2>/dev/null
	return 0
}

# Every other Rust patch the tests load has its target's signature: klp info
# finds no mismatch in any of them (a module object not loaded is unchecked).
sig_shipped_patches_match() {
	local ko bad=0 fails
	for ko in $MODULES/*.ko; do
		case "${ko##*/}" in
		rust_lp_sig_*) continue ;;
		esac
		fails=$("$KLP" info "$ko" 2>&1 | grep -E '^  FAIL +signature')
		[ -z "$fails" ] || { echo "${ko##*/}: $fails"; bad=1; }
	done
	[ $bad = 0 ] || fail "patches whose signatures do not match the kernel's BTF"
}

t_klp_load_refuses_wrong_signatures() { with_cleanup sig_load_refuses_vmlinux; }
t_klp_load_refuses_wrong_module_signature() { with_cleanup sig_load_refuses_module sig_module_cleanup; }
t_klp_info_signature_verdicts() { with_cleanup sig_info_verdicts sig_info_cleanup; }
t_shipped_patches_match_btf() { sig_shipped_patches_match; }
TESTS="$TESTS t_klp_load_refuses_wrong_signatures t_klp_load_refuses_wrong_module_signature t_klp_info_signature_verdicts t_shipped_patches_match_btf"
