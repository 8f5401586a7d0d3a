# Tests of the Rust ports of the kernel's samples/livepatch/ demos
# (samples/rust_livepatch_{shadow_fix1,shadow_fix2,callbacks_demo}.rs).
#
# Each test plays a scenario of the C demo's "Usage" twice against the same
# C modules the demo patches (livepatch-shadow-mod.ko,
# livepatch-callbacks-{mod,busymod}.ko): once with the C patch, once with
# the Rust port. It records what a user sees (command results, sysfs, module
# states, the kernel log lines), asserts that the C run shows the demo's
# behaviour, then that the Rust transcript equals the C one.
#
# What differs between two runs by nature is normalised: timestamps, the
# `rust_` prefix of the Rust module names, %p hashes (PTR), jiffies (J) and
# check counters (N). The shadow demos are driven by the victim's timers
# (an allocation every 1 s, a cleanup every 3 s, expiry after 12 s), so
# their log is not compared line by line: each dummy's story (the log lines
# that name its hash, in order: allocated by, leak freed by, freed by) is,
# as the set of distinct stories of each phase. Each phase waits for the
# events that make its set of stories certain, and lasts well under the
# 12 s expiry, so that a freed dummy's address is not reused in a phase.

S_SHADOW_MOD=$MODULES/livepatch-shadow-mod.ko
S_CB_MOD=$MODULES/livepatch-callbacks-mod.ko
S_CB_BUSY=$MODULES/livepatch-callbacks-busymod.ko

# Log lines as a user reads them, minus the timestamp, with the Rust patch
# names as the C ones, without the taint notices (printed once per boot).
s_strip() {
	sed -E -e 's/^\[[^]]*\] ?//' -e 's/rust_livepatch_/livepatch_/g' | grep -v taint
}

# What differs between runs: %p hashes, jiffies, check counters.
s_norm() {
	sed -E -e 's/(dummy|leak) @ [^ ,]+/\1 @ PTR/g' \
		-e 's/(expires @|expired =|jiffies =) [0-9a-f]+/\1 J/g' \
		-e 's/check counter = -?[0-9]+/check counter = N/'
}

# Kernel log lines since the last log_mark that match an ERE: count, test.
s_count() { log_since_mark | grep -cE "$1"; }
s_seen() { [ "$(s_count "$1")" -ge "$2" ]; }

# s_wait_log PATTERN N WHAT: wait (20 s at most) for the Nth line.
s_wait_log() {
	wait_until 20 s_seen "$1" "$2" || echo "waited 20 s for $3: it did not come"
}

# s_insmod KO [ARGS]: load, print the outcome as a user sees it (named as
# the module, whose C and Rust names differ by the prefix only).
s_insmod() {
	local err name
	name=$(basename "$1" .ko | tr - _)
	if err=$(insmod "$@" 2>&1); then
		echo "insmod $name: ok"
	else
		echo "insmod $name: failed: $err"
	fi
}

s_rmmod() {
	local err
	if err=$(rmmod "$1" 2>&1); then echo "rmmod $1: ok"; else echo "rmmod $1: failed: $err"; fi
	[ -e "/sys/module/$1" ] && echo "module $1: still loaded" || echo "module $1: gone"
}

# s_disable NAME: disable a patch through sysfs, wait until it is released.
s_disable() {
	local d=$LP/$1
	echo 0 >"$d/enabled" && echo "disable: ok" || echo "disable: failed"
	wait_until 60 gone "$d" || echo "sysfs: $d still present 60 s after disabling"
}

# s_sysfs NAME: the patch's sysfs state once its transition is over.
s_sysfs() {
	local d=$LP/$1 o
	wait_until 60 file_is "$d/transition" 0 || echo "transition: not finished after 60 s"
	echo "enabled: $(cat "$d/enabled" 2>&1), transition: $(cat "$d/transition" 2>&1)"
	for o in "$d"/*/patched; do
		[ -f "$o" ] && echo "object $(basename "$(dirname "$o")"): patched $(cat "$o")"
	done
	echo "functions: $(cd "$d" 2>/dev/null && find . -name '*,*' | sort | tr '\n' ' ')"
}

# Leave no patch or demo module loaded (after a failed run too).
s_cleanup() {
	local n
	for n in $LP/*; do
		[ -d "$n" ] && echo 0 >"$n/enabled" 2>/dev/null && wait_until 60 gone "$n"
	done
	for n in rust_livepatch_shadow_fix2 livepatch_shadow_fix2 rust_livepatch_shadow_fix1 \
		livepatch_shadow_fix1 livepatch_shadow_mod rust_livepatch_callbacks_demo \
		livepatch_callbacks_demo livepatch_callbacks_busymod livepatch_callbacks_mod; do
		[ -e /sys/module/$n ] && rmmod $n 2>/dev/null
	done
	return 0
}

# s_phase N [SED]: the log of a phase (since the last log_mark): the
# livepatch core's lines in order, then the distinct stories of the dummies
# (normalised, then edited by SED if given).
s_phase() {
	local log
	log=$(log_since_mark | s_strip)
	echo "$log" | grep '^livepatch: ' | sed "s/^/$1 core: /"
	# %p prints a 32-bit hash on 64-bit (ptr_to_id()), as 16 hex digits:
	# never a raw kernel address (ffff...).
	echo "$log" | grep -oE '(dummy|leak) @ [^ ,]+' | awk -v phase="$1" '
		{ n++ } $3 !~ /^00000000[0-9a-f]{8}$/ { raw = raw " " $3 }
		END { print phase " pointers: " (n ? (raw ? "NOT hashed:" raw : "hashed") : "none") }'
	echo "$log" | awk '
		match($0, /dummy @ [^ ,]+/) {
			p = substr($0, RSTART + 8, RLENGTH - 8)
			if (p in story) story[p] = story[p] " > " $0
			else { story[p] = $0; order[n++] = p }
		}
		END { for (i = 0; i < n; i++) print story[order[i]] }' | s_norm | sed -E "${2:-s/^//}" | sort -u |
		sed "s/^/$1 story: /"
}

# s_fix1_transcript KO NAME: the shadow-fix1 demo with the patch KO.
s_fix1_transcript() {
	local ko=$1 name=$2
	# Phase 1: dummies allocated before and after the patch, all freed by
	# the patched dummy_free() when the victim is removed (its exit frees
	# the dummies left, and it runs while the module is still patched).
	log_mark
	s_insmod $S_SHADOW_MOD
	s_wait_log '] dummy_alloc: dummy' 1 "an allocation by the original dummy_alloc"
	s_insmod $ko
	s_sysfs $name
	s_wait_log 'livepatch_fix1_dummy_alloc: dummy' 1 "an allocation by the patched dummy_alloc"
	s_rmmod livepatch_shadow_mod
	echo "after removing the victim: object livepatch_shadow_mod: patched $(cat $LP/$name/livepatch_shadow_mod/patched 2>&1)"
	s_phase 1
	# Phase 2: the victim loaded while patched; then the patch is disabled
	# and removed, its exit frees the leaks left; then an allocation by
	# the original again, and the victim's own dummy_free() for all.
	log_mark
	s_insmod $S_SHADOW_MOD
	s_sysfs $name
	s_wait_log 'livepatch_fix1_dummy_alloc: dummy' 1 "an allocation by the patched dummy_alloc"
	s_disable $name
	s_rmmod $name
	s_wait_log '] dummy_alloc: dummy' 1 "an allocation by the original dummy_alloc after the patch"
	s_rmmod livepatch_shadow_mod
	s_phase 2
	s_cleanup
}

# s_fix2_transcript KO1 NAME1 KO2 NAME2: the shadow-fix2 demo, fix2 on top
# of fix1, as its Usage says.
s_fix2_transcript() {
	local n0 na cleanups
	log_mark
	s_insmod $S_SHADOW_MOD
	s_wait_log '] dummy_alloc: dummy' 1 "an allocation by the original dummy_alloc"
	s_insmod $1
	s_sysfs $2
	s_wait_log 'livepatch_fix1_dummy_alloc: dummy' 1 "an allocation by fix1's dummy_alloc"
	# The cleanup passes from here on: the most any counter can count.
	nb=$(s_count 'cleanup_work_func: jiffies')
	s_insmod $3
	s_sysfs $4
	# A cleanup pass with the patched dummy_check(), then one more dummy
	# that no check saw, then the victim is removed: its exit frees every
	# dummy with fix2's dummy_free().
	n0=$(s_count 'cleanup_work_func: jiffies')
	s_wait_log 'cleanup_work_func: jiffies' $((n0 + 1)) "a cleanup pass"
	na=$(s_count 'dummy_alloc: dummy')
	s_wait_log 'dummy_alloc: dummy' $((na + 1)) "an allocation after the cleanup pass"
	s_rmmod livepatch_shadow_mod
	# Each counter counts the cleanup passes that saw its dummy with fix2's
	# dummy_check(): at least one (fix2 prints no counter for a dummy no
	# pass saw), and no more than the passes since fix2 was loaded (however
	# long its load and transition took: several passes on a slow kernel).
	cleanups=$(($(s_count 'cleanup_work_func: jiffies') - nb))
	log_since_mark | sed -n 's/.*check counter = \(-\{0,1\}[0-9]*\)$/\1/p' |
		awk -v max=$cleanups '$1 < 1 || $1 > max { bad = 1 } END { print "check counters between 1 and the cleanup passes: " (NR && !bad ? "yes" : "no") }'
	s_disable $4
	s_disable $2
	s_rmmod $4
	s_rmmod $2
	# Whether the dummies allocated last were seen by a cleanup pass before
	# the victim was removed depends on timing (a slow kernel removes it
	# later): the stories leave out the check counters, which the line
	# above checks.
	s_phase 1 's/ > [^>]*check counter = N$//'
	s_cleanup
}

# s_callbacks_transcript KO NAME: the callbacks demo's Usage, with the
# target module loaded before and after the patch, and pre_patch_ret.
s_callbacks_transcript() {
	local ko=$1 name=$2 p=/sys/module/$2/parameters/pre_patch_ret
	log_mark
	s_insmod $S_CB_MOD
	s_insmod $ko
	echo "modinfo: livepatch $(modinfo -F livepatch $ko), parm $(modinfo -F parm $ko)"
	s_sysfs $name
	echo "pre_patch_ret: $(cat $p 2>&1) $(stat -c %A $p 2>&1)"
	s_insmod $S_CB_BUSY
	s_wait_log 'patched_work_func|busymod_work_func exit' 1 "the busy module's work"
	s_sysfs $name
	echo -19 >$p && echo "pre_patch_ret=-19: ok" || echo "pre_patch_ret=-19: failed"
	s_rmmod livepatch_callbacks_busymod
	s_insmod $S_CB_BUSY
	echo 0 >$p && echo "pre_patch_ret=0: ok" || echo "pre_patch_ret=0: failed"
	s_disable $name
	s_rmmod $name
	s_rmmod livepatch_callbacks_mod
	log_since_mark | s_strip | grep -E '^(livepatch|livepatch_callbacks_[a-z]+): ' | sed 's/^/log: /'
	s_cleanup
}

# s_compare C RUST: equal transcripts, or both shown.
s_compare() {
	[ "$1" = "$2" ] && return 0
	echo "C:"
	echo "$1"
	echo "Rust:"
	echo "$2"
	fail "the transcripts differ"
}

# s_expect TRANSCRIPT LINE...: every LINE is in the transcript.
s_expect() {
	local t=$1 l
	shift
	for l in "$@"; do
		echo "$t" | grep -qxF "$l" || fail "the C run lacks: $l" || return 1
	done
}

# s_stories_are TRANSCRIPT PHASE STORY...: the phase's stories are exactly
# these.
s_stories_are() {
	local t=$1 ph=$2 want got
	shift 2
	want=$(for l in "$@"; do echo "$ph story: $l"; done | sort)
	got=$(echo "$t" | grep "^$ph story: " | sort)
	[ "$want" = "$got" ] && return 0
	fail "phase $ph of the C run: stories '$(echo "$got" | tr '\n' '|')', expected '$(echo "$want" | tr '\n' '|')'"
}

S_F1=livepatch_shadow_fix1
S_F2=livepatch_shadow_fix2
S_ALLOC="dummy_alloc: dummy @ PTR, expires @ J"
S_FREE="dummy_free: dummy @ PTR, expired = J"
S_F1_ALLOC="$S_F1: livepatch_fix1_dummy_alloc: dummy @ PTR, expires @ J"

t_shadow_fix1_c_and_rust() {
	local c r
	for m in $S_SHADOW_MOD $MODULES/livepatch-shadow-fix1.ko; do
		[ -f $m ] || fail "no C module $m" || return 1
	done
	s_cleanup
	c=$(s_fix1_transcript $MODULES/livepatch-shadow-fix1.ko $S_F1)
	r=$(s_fix1_transcript $MODULES/rust_livepatch_shadow_fix1.ko rust_$S_F1 | s_strip)
	s_expect "$c" "enabled: 1, transition: 0" "object livepatch_shadow_mod: patched 1" \
		"functions: ./livepatch_shadow_mod/dummy_alloc,1 ./livepatch_shadow_mod/dummy_free,1 " \
		"after removing the victim: object livepatch_shadow_mod: patched 0" \
		"1 core: livepatch: reverting patch '$S_F1' on unloading module 'livepatch_shadow_mod'" \
		"2 core: livepatch: applying patch '$S_F1' to loading module 'livepatch_shadow_mod'" \
		"1 pointers: hashed" "2 pointers: hashed" || return 1
	s_stories_are "$c" 1 \
		"$S_ALLOC > $S_F1: livepatch_fix1_dummy_free: dummy @ PTR leaked!" \
		"$S_F1_ALLOC > $S_F1: livepatch_fix1_dummy_leak_dtor: dummy @ PTR, prevented leak @ PTR" || return 1
	s_stories_are "$c" 2 \
		"$S_F1_ALLOC > $S_F1: livepatch_fix1_dummy_leak_dtor: dummy @ PTR, prevented leak @ PTR > $S_FREE" \
		"$S_ALLOC > $S_FREE" || return 1
	s_compare "$c" "$r"
}

t_shadow_fix2_c_and_rust() {
	local c r m
	for m in $S_SHADOW_MOD $MODULES/livepatch-shadow-fix1.ko $MODULES/livepatch-shadow-fix2.ko; do
		[ -f $m ] || fail "no C module $m" || return 1
	done
	s_cleanup
	c=$(s_fix2_transcript $MODULES/livepatch-shadow-fix1.ko $S_F1 $MODULES/livepatch-shadow-fix2.ko $S_F2)
	r=$(s_fix2_transcript $MODULES/rust_livepatch_shadow_fix1.ko rust_$S_F1 \
		$MODULES/rust_livepatch_shadow_fix2.ko rust_$S_F2 | s_strip)
	echo "$c" >/tmp/shadow_fix2_c.transcript
	s_expect "$c" "functions: ./livepatch_shadow_mod/dummy_check,1 ./livepatch_shadow_mod/dummy_free,1 " \
		"check counters between 1 and the cleanup passes: yes" "1 pointers: hashed" || return 1
	s_stories_are "$c" 1 \
		"$S_ALLOC > $S_F2: livepatch_fix2_dummy_free: dummy @ PTR leaked!" \
		"$S_F1_ALLOC > $S_F2: livepatch_fix2_dummy_leak_dtor: dummy @ PTR, prevented leak @ PTR" || return 1
	s_compare "$c" "$r"
}

# The C and Rust ports mixed: fix2 frees the leaks fix1 saved, so their
# shadow data must agree (an `int *` in C, a `KBox<c_int>` in Rust).
t_shadow_fix2_mixed_c_and_rust() {
	local c r F1=$S_F1 F2=$S_F2
	c=$(cat /tmp/shadow_fix2_c.transcript 2>/dev/null)
	[ -n "$c" ] || fail "no C transcript from shadow_fix2_c_and_rust" || return 1
	s_cleanup
	r=$(s_fix2_transcript $MODULES/livepatch-shadow-fix1.ko $F1 $MODULES/rust_$F2.ko rust_$F2 | s_strip)
	s_compare "$c" "$r" || { echo "(C fix1, Rust fix2)"; return 1; }
	r=$(s_fix2_transcript $MODULES/rust_$F1.ko rust_$F1 $MODULES/livepatch-shadow-fix2.ko $F2 | s_strip)
	s_compare "$c" "$r" || { echo "(Rust fix1, C fix2)"; return 1; }
}

t_callbacks_demo_c_and_rust() {
	local c r m D=livepatch_callbacks_demo
	for m in $S_CB_MOD $S_CB_BUSY $MODULES/livepatch-callbacks-demo.ko; do
		[ -f $m ] || fail "no C module $m" || return 1
	done
	s_cleanup
	c=$(s_callbacks_transcript $MODULES/livepatch-callbacks-demo.ko $D)
	r=$(s_callbacks_transcript $MODULES/rust_livepatch_callbacks_demo.ko rust_$D | s_strip)
	s_expect "$c" "pre_patch_ret: 0 -rw-r--r--" \
		"object livepatch_callbacks_busymod: patched 1" \
		"insmod livepatch_callbacks_busymod: failed: insmod: ERROR: could not insert module $S_CB_BUSY: No such device" \
		"log: $D: pre_patch_callback: vmlinux" \
		"log: $D: post_patch_callback: livepatch_callbacks_mod -> [MODULE_STATE_LIVE] Normal state" \
		"log: $D: pre_patch_callback: livepatch_callbacks_busymod -> [MODULE_STATE_COMING] Full formed, running module_init" \
		"log: $D: patched_work_func" \
		"log: $D: post_unpatch_callback: livepatch_callbacks_busymod -> [MODULE_STATE_GOING] Going away" \
		"log: livepatch: pre-patch callback failed for object 'livepatch_callbacks_busymod'" \
		"log: $D: post_unpatch_callback: vmlinux" || return 1
	s_compare "$c" "$r"
}

TESTS="$TESTS t_shadow_fix1_c_and_rust t_shadow_fix2_c_and_rust t_shadow_fix2_mixed_c_and_rust
t_callbacks_demo_c_and_rust"
