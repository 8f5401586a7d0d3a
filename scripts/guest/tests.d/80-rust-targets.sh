# Rust functions as livepatch targets (tests/rust_targets/): Rust patches of
# the Rust module rust_victim (an extern "C" and a Rust-ABI function, named
# by path and by symbol) and of vmlinux's kernel::error::Error::name().
#
# They need a kernel whose Rust code has ftrace sites: built by rustc >= 1.98
# with KRUSTFLAGS=-Zinstrument-mcount=fentry (scripts/rust-fentry.sh), its
# Rust functions listed in available_filter_functions. On such a kernel
# every test below runs. On a kernel without them (the test kernel, rustc
# 1.96) one test checks that such a patch is refused cleanly, and the run
# says why the others are not run. `rl.rust_targets=required` on the kernel
# command line (scripts/rust-fentry.sh sets it) makes a kernel without Rust
# ftrace sites a failure instead. Needs klp() and friends from 30-klp.sh.

RT_FILTER=/sys/kernel/tracing/available_filter_functions
RT_PROC=/proc/rust_victim
RT_SLOW=/proc/rust_victim_slow
RT_VICTIM=rust_victim
RT_FIX=rust_lp_victim_fix
RT_SYM=rust_lp_victim_sym
RT_ERRNAME=rust_lp_errname
RT_TWINS=/proc/rust_victim_twins
RT_TWIN_FIX=rust_lp_twins
RT_NAP_S=5

rt_tracefs() {
	[ -e "$RT_FILTER" ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	[ -e "$RT_FILTER" ]
}

# Rust functions of vmlinux that are ftrace sites (v0 symbols start with
# _R; a module's lines end with " [module]").
rt_vmlinux_sites() { grep -c '^_R[^ ]*$' "$RT_FILTER"; }
# ... of module $1.
rt_module_sites() { grep -c "^_R[^ ]* \[$1\]\$" "$RT_FILTER"; }

rt_required() { grep -q 'rl\.rust_targets=required' /proc/cmdline; }

# rt_show: /proc/rust_victim, one line per fact, joined by '|'.
rt_show() { cat "$RT_PROC" 2>&1 | tr '\n' '|'; }
RT_BUGGY="double(21) = 43|verdict(Some(50)) = fail|EINVAL.name() = None|"
RT_FIXED="double(21) = 42|verdict(Some(50)) = pass|EINVAL.name() = None|"

# rt_load MODULE: load a patch, wait for its transition.
rt_load() {
	insmod "$MODULES/$1.ko" || fail "insmod $1 failed" || return 1
	wait_until 60 file_is "$LP/$1/transition" 0 || fail "$1: the transition did not finish"
}

# rt_unload MODULE: disable a patch, wait until it is gone, remove it.
rt_unload() {
	echo 0 >"$LP/$1/enabled" || fail "disabling $1 failed" || return 1
	wait_until 60 gone "$LP/$1" || fail "$LP/$1 still present 60 s after disabling" || return 1
	rmmod "$1" || fail "rmmod $1 failed"
}

rt_cleanup() {
	[ -n "${RT_PID:-}" ] && wait "$RT_PID" 2>/dev/null
	klp_cleanup
	rmmod "$RT_VICTIM" 2>/dev/null
	return 0
}

RT_HAVE_SITES=0
rt_tracefs && [ "$(rt_vmlinux_sites)" -gt 0 ] && RT_HAVE_SITES=1

# The kernel's Rust functions are ftrace sites: vmlinux's (among them the
# function rust_lp_errname patches) and a Rust module's, its two targets
# included; a Rust patch's entry is traceable too.
rt_case_rust_ftrace_sites() {
	rt_tracefs || fail "no $RT_FILTER (tracefs)" || return 1
	local n
	n=$(rt_vmlinux_sites)
	echo "vmlinux: $n Rust functions are ftrace sites"
	[ "$n" -gt 0 ] || fail "no Rust function of vmlinux is an ftrace site: not built with rustc >= 1.98 and KRUSTFLAGS=-Zinstrument-mcount=fentry" || return 1
	grep -q '^_R[^ ]*5Error4name$' "$RT_FILTER" || fail "kernel::error::Error::name is not an ftrace site" || return 1
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	n=$(rt_module_sites "$RT_VICTIM")
	echo "$RT_VICTIM: $n Rust functions are ftrace sites: $(grep " \[$RT_VICTIM\]\$" "$RT_FILTER" | cut -d' ' -f1 | tr '\n' ' ')"
	grep -qx "rust_victim_double \[$RT_VICTIM\]" "$RT_FILTER" || fail "rust_victim_double is not an ftrace site" || return 1
	grep -q "^_R[^ ]*7verdict \[$RT_VICTIM\]\$" "$RT_FILTER" || fail "rust_victim::verdict is not an ftrace site" || return 1
	rt_load "$RT_FIX" || return 1
	echo "$RT_FIX: $(grep -c " \[$RT_FIX\]\$" "$RT_FILTER") ftrace sites: $(grep " \[$RT_FIX\]\$" "$RT_FILTER" | cut -d' ' -f1 | tr '\n' ' ')"
	grep -qx "livepatch_verdict \[$RT_FIX\]" "$RT_FILTER" || fail "the Rust entry livepatch_verdict is not an ftrace site"
}

# A Rust patch fixes both functions of the Rust module, named by path: the
# output changes, sysfs names the mangled target, disabling restores it.
rt_case_rust_target_module() {
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	expect_eq "$(rt_show)" "$RT_BUGGY" "$RT_PROC before the patch" || return 1
	rt_load "$RT_FIX" || return 1
	expect_eq "$(rt_show)" "$RT_FIXED" "$RT_PROC patched" || return 1
	local funcs
	funcs=$(cd "$LP/$RT_FIX/$RT_VICTIM" && ls -d -- *,* | tr '\n' ' ')
	echo "sysfs: $RT_FIX/$RT_VICTIM: $funcs"
	[ -d "$LP/$RT_FIX/$RT_VICTIM/rust_victim_double,1" ] || fail "no sysfs entry for rust_victim_double" || return 1
	ls -d "$LP/$RT_FIX/$RT_VICTIM"/_R*11rust_victim7verdict,1 >/dev/null 2>&1 ||
		fail "no sysfs entry for the mangled rust_victim::verdict" || return 1
	expect_eq "$(cat "$LP/$RT_FIX/$RT_VICTIM/patched")" 1 "$RT_VICTIM patched" || return 1
	rt_unload "$RT_FIX" || return 1
	expect_eq "$(rt_show)" "$RT_BUGGY" "$RT_PROC after disabling the patch"
}

# By its symbol name: the #[no_mangle] extern "C" target, sympos 1.
rt_case_rust_target_by_symbol() {
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	rt_load "$RT_SYM" || return 1
	expect_eq "$(rt_show)" "double(21) = 42|verdict(Some(50)) = fail|EINVAL.name() = None|" \
		"$RT_PROC with only double() patched" || return 1
	[ -d "$LP/$RT_SYM/$RT_VICTIM/rust_victim_double,1" ] || fail "no sysfs entry rust_victim_double,1" || return 1
	rt_unload "$RT_SYM" || return 1
	expect_eq "$(rt_show)" "$RT_BUGGY" "$RT_PROC after disabling the patch"
}

# A Rust function of vmlinux, kernel::error::Error::name(): the Rust
# module's call of it reaches the replacement.
rt_case_rust_target_vmlinux() {
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	rt_load "$RT_ERRNAME" || return 1
	ls "$LP/$RT_ERRNAME/vmlinux"
	expect_eq "$(rt_show)" "double(21) = 43|verdict(Some(50)) = fail|EINVAL.name() = EINVAL|" \
		"$RT_PROC with Error::name() patched" || return 1
	rt_unload "$RT_ERRNAME" || return 1
	expect_eq "$(rt_show)" "$RT_BUGGY" "$RT_PROC after disabling the patch"
}

# rt_asleep: the reader (RT_PID) sleeps in msleep() (state D).
rt_asleep() { [ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$RT_PID/status" 2>/dev/null)" = D ]; }

# A task asleep inside the Rust target while the patch is enabled keeps the
# transition open (its stack shows the old Rust function) until it leaves;
# it finishes with the old code's answer, and the next read gets the new.
rt_case_rust_target_transition_held() {
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	cat "$RT_SLOW" >/tmp/rt.out &
	RT_PID=$!
	wait_until 10 rt_asleep || fail "the reader did not fall asleep in verdict()" || return 1
	echo "reader $RT_PID: $(tr '\n' ' ' <"/proc/$RT_PID/stack" 2>/dev/null)"
	grep -q '^\[<[0-9a-f]*>\] _R[^+]*11rust_victim7verdict+' "/proc/$RT_PID/stack" ||
		fail "the reader's kernel stack does not show rust_victim::verdict" || return 1
	insmod "$MODULES/$RT_FIX.ko" || fail "insmod $RT_FIX failed" || return 1
	sleep 1
	rt_asleep || fail "the reader woke up too early to test anything" || return 1
	expect_eq "$(cat "$LP/$RT_FIX/transition")" 1 \
		"$RT_FIX: transition while a task sleeps in rust_victim::verdict" || return 1
	expect_eq "$(cat "/proc/$RT_PID/patch_state" 2>&1)" 0 "patch_state of the reader asleep in the old code" || return 1
	klp status
	expect_text "transition: $RT_FIX to " || return 1
	expect_text "comm cat" || return 1
	wait "$RT_PID"
	RT_PID=
	expect_eq "$(cat /tmp/rt.out)" "verdict(Some(50)) = fail" "what the reader asleep in the old verdict() printed" || return 1
	wait_until 30 file_is "$LP/$RT_FIX/transition" 0 || fail "the transition did not finish once the reader left" || return 1
	expect_eq "$(rt_show)" "$RT_FIXED" "$RT_PROC once patched" || return 1
	rt_unload "$RT_FIX"
}

# rt_rust_addr NAME: the address of the Rust function of rust_victim whose
# path ends with NAME, from /proc/kallsyms.
rt_rust_addr() { grep " _R[^ ]*11rust_victim${#1}$1[[:space:]]*\[$RT_VICTIM\]\$" /proc/kallsyms | cut -d' ' -f1; }

# A target the compiler merged with another Rust function (triple() and
# thrice() of rust_victim have the same code: one body, two symbols, one
# ftrace site): klp info says so, naming the other; loaded anyway, the
# patch redirects both, which is what the check warns of.
rt_case_rust_target_merged() {
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	expect_eq "$(tr '\n' '|' <"$RT_TWINS")" "triple(7) = 21|thrice(7) = 21|" "$RT_TWINS before the patch" || return 1
	local a b
	a=$(rt_rust_addr triple)
	b=$(rt_rust_addr thrice)
	echo "triple at $a, thrice at $b"
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "triple and thrice are not merged in this build: the test proves nothing" || return 1
	klp info "$MODULES/$RT_TWIN_FIX.ko"
	expect_rc 0 || return 1
	expect_line "fits the running kernel: no" || return 1
	expect_text "FAIL $RT_VICTIM:_R" || return 1
	expect_text "11rust_victim6triple not merged: _R" || return 1
	expect_text "shares its code (its address in /proc/kallsyms) with 1 other Rust function(s) of $RT_VICTIM, merged by the compiler: _R" || return 1
	expect_text "11rust_victim6thrice; patching it redirects all of them" || return 1
	rt_load "$RT_TWIN_FIX" || return 1
	expect_eq "$(tr '\n' '|' <"$RT_TWINS")" "triple(7) = 1021|thrice(7) = 1021|" "$RT_TWINS patched (both redirected)" || return 1
	rt_unload "$RT_TWIN_FIX" || return 1
	expect_eq "$(tr '\n' '|' <"$RT_TWINS")" "triple(7) = 21|thrice(7) = 21|" "$RT_TWINS after disabling the patch"
}

# The patch loaded first, the Rust module after: patched as it loads,
# unpatched as it goes.
rt_case_rust_target_module_loaded_after() {
	rt_load "$RT_FIX" || return 1
	expect_eq "$(cat "$LP/$RT_FIX/$RT_VICTIM/patched")" 0 "$RT_VICTIM patched before it is loaded" || return 1
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	expect_eq "$(cat "$LP/$RT_FIX/$RT_VICTIM/patched")" 1 "$RT_VICTIM patched once loaded" || return 1
	expect_eq "$(rt_show)" "$RT_FIXED" "$RT_PROC of a module loaded after the patch" || return 1
	rmmod "$RT_VICTIM" || fail "rmmod $RT_VICTIM failed" || return 1
	expect_eq "$(cat "$LP/$RT_FIX/$RT_VICTIM/patched")" 0 "$RT_VICTIM patched once removed" || return 1
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM (again) failed" || return 1
	expect_eq "$(rt_show)" "$RT_FIXED" "$RT_PROC of the module loaded again" || return 1
	rt_unload "$RT_FIX" || return 1
	expect_eq "$(rt_show)" "$RT_BUGGY" "$RT_PROC after disabling the patch"
}

# Without Rust ftrace sites the core cannot redirect a Rust function: the
# patch fails to load, with the kernel's reason, and leaves nothing behind.
rt_case_rust_target_refused_without_fentry() {
	local before
	insmod "$MODULES/$RT_VICTIM.ko" || fail "insmod $RT_VICTIM failed" || return 1
	# What the victim shows depends on the kernel (EINVAL.name() is None
	# without CONFIG_SYMBOLIC_ERRNAME): the refused patch must change none
	# of it.
	before=$(rt_show)
	case "$before" in "double(21) = 43|"*) ;; *) fail "$RT_PROC before the patch: '$before'" || return 1 ;; esac
	log_mark
	insmod "$MODULES/$RT_FIX.ko" && { fail "insmod $RT_FIX succeeded on a kernel without Rust ftrace sites"; return 1; }
	log_since_mark
	log_since_mark | grep -q "livepatch: failed to find location for function 'rust_victim_double'" ||
		fail "no 'failed to find location' line in the kernel log" || return 1
	[ -e "$LP/$RT_FIX" ] && { fail "$LP/$RT_FIX left behind"; return 1; }
	[ -e "/sys/module/$RT_FIX" ] && { fail "module $RT_FIX left loaded"; return 1; }
	expect_eq "$(rt_show)" "$before" "$RT_PROC after the refused patch"
}

t_rust_ftrace_sites_required() {
	fail "rl.rust_targets=required, but no Rust function of vmlinux is an ftrace site ($RT_FILTER): the kernel was not built with rustc >= 1.98 and KRUSTFLAGS=-Zinstrument-mcount=fentry"
}

cleanup_tests rt_cleanup rt_case_ rust_ftrace_sites rust_target_module rust_target_by_symbol \
	rust_target_vmlinux rust_target_transition_held rust_target_module_loaded_after \
	rust_target_merged rust_target_refused_without_fentry

if [ "$RT_HAVE_SITES" = 1 ]; then
	TESTS="$TESTS t_rust_ftrace_sites t_rust_target_module t_rust_target_by_symbol t_rust_target_vmlinux
		t_rust_target_transition_held t_rust_target_module_loaded_after t_rust_target_merged"
elif rt_required; then
	TESTS="$TESTS t_rust_ftrace_sites_required"
else
	TESTS="$TESTS t_rust_target_refused_without_fentry"
	NOTES="${NOTES:-}# rust targets: this kernel's Rust functions are not ftrace sites (rustc < 1.98, or no KRUSTFLAGS=-Zinstrument-mcount=fentry): only the refusal is tested here; the Rust-target tests run on the rust-fentry kernel (make check-rust-targets)
"
fi
