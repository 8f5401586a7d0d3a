# Rust ports of kpatch's integration tests (test/integration in
# dynup/kpatch), each with non-exported code or data of the patched object
# reached through klp relocations. Each test reads what a user sees before
# the patch, while it is enabled and after it is disabled, and checks its
# claim against all three: the unpatched output must fail it (so the check
# can fail), the patched one must pass it, and the original must be back.
# Uses klp/expect_* and with_cleanup (30-klp.sh), insmod_fails (40-faults.sh).

# port_load NAME: insmod the patch module, wait for its transition, and check
# the kernel's "patching complete".
port_load() {
	local d=$LP/$1
	log_mark
	insmod "$MODULES/$1.ko" || fail "insmod $1 failed" || return 1
	wait_until 60 file_is "$d/transition" 0 || fail "$1: transition did not finish" || return 1
	log_since_mark | grep -qF "livepatch: '$1': patching complete" ||
		fail "$1: no 'patching complete' in the kernel log"
}

# port_unload NAME: disable the patch, wait for it to go, rmmod it.
port_unload() {
	local d=$LP/$1
	echo 0 >"$d/enabled" || fail "$1: disable failed" || return 1
	wait_until 60 gone "$d" || fail "$1: $d still present after disabling" || return 1
	rmmod "$1" || fail "rmmod $1 failed"
}

# port_claim WHAT CHECK BEFORE DURING AFTER: CHECK (a function of one output)
# must fail on BEFORE and AFTER and pass on DURING; AFTER must be BEFORE.
port_claim() {
	local what=$1 check=$2 before=$3 during=$4 after=$5
	if "$check" "$before" >/dev/null; then
		fail "$what: the unpatched output already passes the check: $(echo "$before" | tr '\n' '|')"
		return 1
	fi
	"$check" "$during" || fail "$what while patched: $(echo "$during" | tr '\n' '|')" || return 1
	expect_eq "$after" "$before" "$what after disabling"
}

# cmdline-string: /proc/cmdline ends with the marker, after the real
# command line read through the non-exported saved_command_line.
PORT_CMDLINE=rust_lp_port_cmdline
port_cmdline_ok() { expect_eq "$1" "$ORIG_CMDLINE $PORT_CMDLINE=1" "/proc/cmdline"; }

port_cmdline() {
	local before during after
	before=$(cat /proc/cmdline)
	port_load $PORT_CMDLINE || return 1
	during=$(cat /proc/cmdline)
	port_unload $PORT_CMDLINE || return 1
	after=$(cat /proc/cmdline)
	echo "/proc/cmdline patched: $during"
	port_claim "/proc/cmdline" port_cmdline_ok "$before" "$during" "$after"
}
t_port_cmdline_string() { with_cleanup port_cmdline; }

# data-new / new-globals: /proc/meminfo has every line of the original, in
# the same format (numbers aside), plus the new "RustLpReads:" line, just
# before "Balloon:", whose value (the patch module's new global) counts the
# reads; the values that do not move are the same as the original's.
PORT_MEMINFO=rust_lp_port_meminfo
MI_NEW=RustLpReads
MI_BEFORE=
# mi_shape OUT: OUT with each number (and the spaces before it) as " N".
mi_shape() { echo "$1" | sed 's/ *[0-9][0-9]*/ N/g'; }
# mi_value OUT FIELD: FIELD's number in OUT.
mi_value() { echo "$1" | sed -n "s/^$2: *\([0-9]*\).*/\1/p"; }
port_meminfo_ok() {
	local out=$1 f
	expect_eq "$(mi_shape "$out" | grep -v "^$MI_NEW:")" "$(mi_shape "$MI_BEFORE")" \
		"/proc/meminfo without its $MI_NEW line, numbers aside" || return 1
	expect_eq "$(echo "$out" | grep -A1 "^$MI_NEW:" | cut -d: -f1 | tr '\n' ' ')" "$MI_NEW Balloon " \
		"the $MI_NEW line and the next field" || return 1
	for f in MemTotal SwapTotal SwapFree CommitLimit VmallocTotal VmallocChunk NFS_Unstable Bounce; do
		expect_eq "$(mi_value "$out" $f)" "$(mi_value "$MI_BEFORE" $f)" "$f" || return 1
	done
}

# The lines of /proc/meminfo the port does not print, each with the option
# that adds it (fs/proc/meminfo.c); tests/modules/Kbuild builds the port only
# for a kernel without those options.
MI_UNPORTED='SwapCached:SWAP Zswap:ZSWAP HighTotal:HIGHMEM ShadowCallStack:SHADOW_CALL_STACK
EarlyMemtestBad:MEMTEST HardwareCorrupted:MEMORY_FAILURE AnonHugePages:TRANSPARENT_HUGEPAGE
CmaTotal:CMA Unaccepted:UNACCEPTED_MEMORY HugePages_Total:HUGETLB_PAGE'

port_meminfo() {
	local during second reads after l unported=
	MI_BEFORE=$(cat /proc/meminfo)
	for l in $MI_UNPORTED; do
		echo "$MI_BEFORE" | grep -q "^${l%%:*}:" && unported="$unported ${l%%:*} (CONFIG_${l#*:})"
	done
	if [ ! -f "$MODULES/$PORT_MEMINFO.ko" ]; then
		[ -n "$unported" ] || fail "$PORT_MEMINFO.ko not built, yet /proc/meminfo has no line it lacks" || return 1
		skip "/proc/meminfo lines the port of meminfo_proc_show() does not print:$unported"
		return
	fi
	port_load $PORT_MEMINFO || return 1
	during=$(cat /proc/meminfo)
	second=$(cat /proc/meminfo)
	port_unload $PORT_MEMINFO || return 1
	after=$(cat /proc/meminfo)
	echo "/proc/meminfo patched: $(echo "$during" | tr '\n' '|')"
	# Numbers move between reads: the claim on the format and the stable
	# values, and the original's shape back afterwards.
	if port_meminfo_ok "$MI_BEFORE" >/dev/null; then
		fail "the unpatched /proc/meminfo already passes the check"
		return 1
	fi
	port_meminfo_ok "$during" || return 1
	port_meminfo_ok "$second" || return 1
	# The new global: one more read, one more.
	reads=$(mi_value "$during" $MI_NEW)
	expect_eq "$(mi_value "$second" $MI_NEW)" "$((reads + 1))" "$MI_NEW on the next read" || return 1
	expect_eq "$(mi_shape "$after")" "$(mi_shape "$MI_BEFORE")" "/proc/meminfo after disabling, numbers aside"
}
t_port_data_new_globals() { with_cleanup port_meminfo; }

# syscall: uname(2) shows the system name with the suffix; everything else
# as before (the copy under the non-exported uts_sem, the non-exported
# override_release() called as the original does, a 32-bit personality's
# machine).
PORT_SYSCALL=rust_lp_port_syscall
UNAME_BEFORE=
port_uname_ok() {
	expect_eq "$1" "Linux.$PORT_SYSCALL${UNAME_BEFORE#Linux}" "uname -a"
}

port_syscall() {
	local during after machine32
	UNAME_BEFORE=$(uname -a)
	machine32=$(linux32 uname -m)
	expect_eq "$machine32" i686 "linux32 uname -m, unpatched" || return 1
	port_load $PORT_SYSCALL || return 1
	during=$(uname -a)
	expect_eq "$(uname -s)" "Linux.$PORT_SYSCALL" "uname -s while patched" || return 1
	# override_architecture(): a PER_LINUX32 task sees i686, as unpatched.
	expect_eq "$(linux32 uname -m)" "$machine32" "linux32 uname -m while patched" || return 1
	expect_eq "$(cat /proc/sys/kernel/ostype)" "Linux" "ostype (not the syscall) while patched" || return 1
	port_unload $PORT_SYSCALL || return 1
	after=$(uname -a)
	echo "uname -a: before: $UNAME_BEFORE"
	echo "uname -a: patched: $during"
	port_claim "uname -a" port_uname_ok "$UNAME_BEFORE" "$during" "$after"
}
t_port_syscall() { with_cleanup port_syscall; }

TESTS="$TESTS t_port_cmdline_string t_port_data_new_globals t_port_syscall"

# new-function: n_tty_write() as a Rust function of the patch, with n_tty.c's
# static process_echoes() and do_output_char(). Every terminal write goes
# through it (this harness's results too); the test writes to a legacy
# pseudo terminal's slave (/dev/ttyp0) and reads its master (/dev/ptyp0):
# output processing (ONLCR, OLCUC, XTABS, none) as the original does it,
# before, while patched and after; the module counts its writes and logs the
# count when it goes.
PORT_TTY=rust_lp_port_tty
# pty_out STTY DATA: the bytes the master reads within 1 s (in hex) when
# DATA (printf's format) is written to the slave set with STTY.
pty_out() (
	exec 3<>/dev/ptyp0 4<>/dev/ttyp0 || exit 1
	[ -z "$1" ] || stty $1 <&4 || exit 1
	printf "$2" >&4
	set -- $({ timeout 1 cat <&3; } 2>/dev/null | od -An -tx1)
	echo "$*"
)
pty_transcript() {
	echo "onlcr: $(pty_out "" 'a\tb\nc\n')"
	echo "olcuc: $(pty_out olcuc 'a\tb\nc\n')"
	echo "tab3: $(pty_out tab3 'a\tb\n')"
	echo "-opost: $(pty_out -opost 'a\tb\nc\n')"
}
PTY_EXPECTED='onlcr: 61 09 62 0d 0a 63 0d 0a
olcuc: 41 09 42 0d 0a 43 0d 0a
tab3: 61 20 20 20 20 20 20 20 62 0d 0a
-opost: 61 09 62 0a 63 0a'

port_tty() {
	local before during after writes
	# Legacy BSD pseudo terminals are the only ones a shell can open by name
	# (a Unix98 pty needs ptmx's TIOCGPTN/unlockpt): their driver registers
	# the "pty" major in /proc/devices.
	if [ ! -c /dev/ptyp0 ] && ! grep -q ' pty$' /proc/devices; then
		skip "legacy pseudo terminals (CONFIG_LEGACY_PTYS: no pty major in /proc/devices, no /dev/ptyp0); the test's shell cannot open a Unix98 pty"
		return
	fi
	before=$(pty_transcript)
	expect_eq "$before" "$PTY_EXPECTED" "the pseudo terminal's output, unpatched" || return 1
	port_load $PORT_TTY || return 1
	[ -d "$LP/$PORT_TTY/vmlinux/n_tty_write,1" ] || fail "no $LP/$PORT_TTY/vmlinux/n_tty_write,1" || return 1
	during=$(pty_transcript)
	log_mark
	port_unload $PORT_TTY || return 1
	after=$(pty_transcript)
	echo "pseudo terminal output while patched: $(echo "$during" | tr '\n' '|')"
	expect_eq "$during" "$PTY_EXPECTED" "the pseudo terminal's output while patched" || return 1
	expect_eq "$after" "$PTY_EXPECTED" "the pseudo terminal's output after disabling" || return 1
	# At least the four writes above went through the new function.
	writes=$(log_since_mark | sed -n "s/.*$PORT_TTY: \([0-9]*\) writes through the new n_tty_write()\$/\1/p")
	echo "writes through the new n_tty_write(): ${writes:-none}"
	[ "${writes:-0}" -ge 4 ] ||
		fail "no '$PORT_TTY: N writes through the new n_tty_write()' line with N >= 4 when the module went"
}
t_port_new_function_n_tty_write() { with_cleanup port_tty; }
TESTS="$TESTS t_port_new_function_n_tty_write"

# klp symbols the kernel cannot resolve: it refuses the module while it
# applies the klp relocations of vmlinux, before the module's init; nothing
# is left behind and the guest goes on patching (insmod_fails).
t_klp_symbol_missing_variable() {
	insmod_fails rust_lp_sym_missing_var.ko "livepatch: symbol 'rust_lp_no_such_variable' not found in symbol table"
}
t_klp_symbol_ambiguous_sympos_0() {
	insmod_fails rust_lp_sym_ambiguous.ko "livepatch: unresolvable ambiguity for symbol 'c_start' in object '(null)'"
}
t_klp_symbol_sympos_past_the_last() {
	insmod_fails rust_lp_sym_bad_sympos.ko \
		"livepatch: symbol position 2 for symbol 'saved_command_line' in object 'vmlinux' not found"
}

# klp checks the same against /proc/kallsyms before loading anything.
klp_refuses_unresolvable() {
	local m
	klp info $MODULES/rust_lp_sym_ambiguous.ko
	expect_line "fits the running kernel: no" || return 1
	expect_text "  FAIL external vmlinux:c_start,0: c_start occurs " || return 1
	expect_text " times in vmlinux: ambiguous without a sympos" || return 1
	klp load $MODULES/rust_lp_sym_ambiguous.ko
	expect_rc 6 || return 1
	expect_text "external vmlinux:c_start,0: c_start occurs " || return 1
	expect_text "nothing was loaded" || return 1
	klp load $MODULES/rust_lp_sym_bad_sympos.ko
	expect_rc 6 || return 1
	expect_text "external vmlinux:saved_command_line,2: saved_command_line occurs 1 times in vmlinux, sympos is 2; nothing was loaded" || return 1
	klp load $MODULES/rust_lp_sym_missing_var.ko
	expect_rc 6 || return 1
	expect_text "external vmlinux:rust_lp_no_such_variable,0: rust_lp_no_such_variable is not in vmlinux's symbols; nothing was loaded" || return 1
	for m in rust_lp_sym_ambiguous rust_lp_sym_bad_sympos rust_lp_sym_missing_var; do
		gone /sys/module/$m || fail "$m was loaded" || return 1
	done
	expect_eq "$(ls $LP)" "" "contents of $LP"
}
t_klp_refuses_unresolvable_symbols() { with_cleanup klp_refuses_unresolvable; }

# klp info on a port: its external symbols, converted, found.
klp_info_port() {
	klp info $MODULES/$PORT_SYSCALL.ko
	expect_rc 0 || return 1
	expect_line "external symbols: 2 (converted)" || return 1
	expect_line "  ok   external vmlinux:uts_sem,0: found in /proc/kallsyms" || return 1
	expect_line "  ok   external vmlinux:override_release,0: found in /proc/kallsyms" || return 1
	expect_line "fits the running kernel: yes" || return 1
	klp info $MODULES/$PORT_MOD.ko
	expect_rc 0 || return 1
	expect_line "  ?    external $TARGET:klp_test_target_secret,0: module $TARGET is not loaded: checked by the kernel when it loads" || return 1
}
t_klp_info_port_symbols() { with_cleanup klp_info_port; }
TESTS="$TESTS t_klp_symbol_missing_variable t_klp_symbol_ambiguous_sympos_0 t_klp_symbol_sympos_past_the_last"
TESTS="$TESTS t_klp_refuses_unresolvable_symbols t_klp_info_port_symbols"

# A module object: rust_lp_module_statics patches klp_test_target's
# klp_test_target_show_value() with a function that reads the module's
# static klp_test_target_secret and calls its static klp_test_target_scale()
# through klp relocations of the module, written when the module loads
# (before or after the patch) and cleared when it goes.
PORT_MOD=rust_lp_module_statics
TARGET=klp_test_target
TARGET_VALUE=/sys/kernel/$TARGET/value
# target_patched SECRET OUT: OUT is what the replacement prints for SECRET.
target_patched() { expect_eq "$2" "patched: secret=$1 scaled=$(($1 * 10))" "$TARGET_VALUE"; }
target_load() {
	insmod "$MODULES/$TARGET.ko" || fail "insmod $TARGET failed" || return 1
	expect_eq "$(cat $LP/$PORT_MOD/$TARGET/patched 2>/dev/null || echo none)" "$1" \
		"$LP/$PORT_MOD/$TARGET/patched after $TARGET loaded"
}
target_no_bad_reloc() {
	if log_since_mark | grep -F "Invalid relocation target"; then
		fail "the kernel complained about a relocation site"
		return 1
	fi
}

port_module_object() {
	local before out
	# The module first, unpatched: the original's output fails the claim.
	target_load none || return 1
	before=$(cat $TARGET_VALUE)
	expect_eq "$before" 42 "$TARGET_VALUE unpatched" || return 1
	target_patched 42 "$before" >/dev/null && { fail "the unpatched output passes the check"; return 1; }
	# The patch: klp writes the module's relocations when the patch loads.
	port_load $PORT_MOD || return 1
	target_patched 42 "$(cat $TARGET_VALUE)" || return 1
	# The module's variable itself, not a copy: written by the module.
	echo 7 >$TARGET_VALUE || fail "write to $TARGET_VALUE failed" || return 1
	target_patched 7 "$(cat $TARGET_VALUE)" || return 1
	# Unloaded and loaded again while patched: klp cleared the sites when it
	# went (the kernel writes only over zeros) and writes them again.
	log_mark
	rmmod $TARGET || fail "rmmod $TARGET failed" || return 1
	log_since_mark | grep -qF "livepatch: reverting patch '$PORT_MOD' on unloading module '$TARGET'" ||
		fail "no 'reverting patch' line when $TARGET went" || return 1
	target_load 1 || return 1
	log_since_mark | grep -qF "livepatch: applying patch '$PORT_MOD' to loading module '$TARGET'" ||
		fail "no 'applying patch' line when $TARGET came back" || return 1
	target_patched 42 "$(cat $TARGET_VALUE)" || return 1
	target_no_bad_reloc || return 1
	# Disabled: the original again, on the module's current value.
	echo 5 >$TARGET_VALUE || return 1
	port_unload $PORT_MOD || return 1
	expect_eq "$(cat $TARGET_VALUE)" 5 "$TARGET_VALUE after disabling" || return 1
	rmmod $TARGET || fail "rmmod $TARGET failed" || return 1

	# The patch first: its module object waits; the relocations are
	# written late, when the module loads.
	log_mark
	port_load $PORT_MOD || return 1
	expect_eq "$(cat $LP/$PORT_MOD/$TARGET/patched)" 0 "$TARGET patched before it loads" || return 1
	target_load 1 || return 1
	target_patched 42 "$(cat $TARGET_VALUE)" || return 1
	rmmod $TARGET || fail "rmmod $TARGET failed" || return 1
	target_load 1 || return 1
	out=$(cat $TARGET_VALUE)
	echo "$TARGET_VALUE patched, after the module came back: $out"
	target_patched 42 "$out" || return 1
	target_no_bad_reloc || return 1
	port_unload $PORT_MOD || return 1
	expect_eq "$(cat $TARGET_VALUE)" 42 "$TARGET_VALUE after disabling" || return 1
	rmmod $TARGET || fail "rmmod $TARGET failed"
}
port_module_object_cleanup() {
	klp_cleanup
	rmmod $TARGET 2>/dev/null
	return 0
}
t_port_module_statics() { with_cleanup port_module_object port_module_object_cleanup; }
TESTS="$TESTS t_port_module_statics"
