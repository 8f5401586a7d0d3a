# `qemu-run.sh sigenforce` (scripts/check-sig-enforce.sh): the kernel booted
# with module.sig_enforce=1 loads only modules signed with a key it trusts.
# The same patch, built by `klp build` from a `klp new` directory: unsigned
# (unsigned-fix_cmdline_proc_show.ko), signed with a key the kernel does not
# know (otherkey-...), and signed with `klp build --sign` and the build tree's
# signing key (fix_cmdline_proc_show.ko). KTAP on /dev/ttyS1, as tests.sh.
. /guest/lib.sh
. /guest/tests.d/30-klp.sh # klp, expect_*, with_cleanup
TESTS=
NAME=fix_cmdline_proc_show
PATCHED_NEW="klp new: cmdline_proc_show"

sig_enforced() {
	expect_eq "$(cat /sys/module/module/parameters/sig_enforce)" Y "/sys/module/module/parameters/sig_enforce"
}

# refused_by_insmod FILE LOG_LINE: insmod fails with EKEYREJECTED and the log line.
refused_by_insmod() {
	local err
	log_mark
	err=$(insmod "$MODULES/$1" 2>&1) && { fail "insmod $1 succeeded"; return 1; }
	echo "insmod said: $err"
	echo "$err" | grep -qF "Key was rejected by service" || fail "insmod's error is not EKEYREJECTED" || return 1
	log_since_mark | grep -qF "$2" || fail "kernel log lacks '$2'; it has: $(log_since_mark | tr '\n' '|')" || return 1
	gone "/sys/module/$NAME" || fail "$NAME was loaded"
}

# refused_by_klp FILE LOG_LINE: klp load fails, quoting the kernel's log line.
refused_by_klp() {
	klp load --no-progress "$MODULES/$1"
	expect_rc 1 || return 1
	expect_text "nothing was loaded" || return 1
	expect_text "$2" || return 1
	gone "/sys/module/$NAME" || fail "$NAME was loaded"
}

unsigned_refused() {
	refused_by_insmod unsigned-$NAME.ko "Loading of unsigned module is rejected" || return 1
	refused_by_klp unsigned-$NAME.ko "Loading of unsigned module is rejected" || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline"
}

other_key_refused() {
	refused_by_insmod otherkey-$NAME.ko "Loading of module with unavailable key is rejected" || return 1
	refused_by_klp otherkey-$NAME.ko "Loading of module with unavailable key is rejected"
}

signed_loads() {
	klp load --no-progress "$MODULES/$NAME.ko"
	expect_rc 0 || return 1
	file_is "$LP/$NAME/enabled" 1 || fail "$NAME is not enabled" || return 1
	expect_eq "$(cat /proc/cmdline)" "$PATCHED_NEW" "/proc/cmdline patched" || return 1
	# Signed with a trusted key: no E (unsigned module) taint; K (livepatch).
	case "$(cat /sys/module/$NAME/taint)" in
	*E*) fail "the module is tainted E (unsigned): $(cat /sys/module/$NAME/taint)"; return 1 ;;
	*K*) ;;
	*) fail "the module's taint lacks K: $(cat /sys/module/$NAME/taint)"; return 1 ;;
	esac
	klp unload --no-progress $NAME
	expect_rc 0 || return 1
	expect_eq "$(cat /proc/cmdline)" "$ORIG_CMDLINE" "/proc/cmdline after the unload"
}

t_sig_enforce_is_on() { sig_enforced; }
t_unsigned_patch_refused() { with_cleanup unsigned_refused; }
t_patch_signed_with_other_key_refused() { with_cleanup other_key_refused; }
t_signed_patch_loads() { with_cleanup signed_loads; }
TESTS="t_sig_enforce_is_on t_unsigned_patch_refused t_patch_signed_with_other_key_refused t_signed_patch_loads"

ktap_run sigenforce
