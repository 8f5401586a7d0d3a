# Helpers for the guest scripts (busybox sh). Results go to the second serial
# port, /dev/ttyS1, which the host saves apart from the kernel console.
OUT=/dev/ttyS1
MODULES=/modules
LP=/sys/kernel/livepatch
# /proc/cmdline unpatched, and as the cmdline_proc_show samples patch it.
ORIG_CMDLINE=$(cat /proc/cmdline)
PATCHED="this has been live patched"

# kmod's tools, not busybox's applets (which busybox's shell prefers): the
# selftests and users see kmod's messages.
insmod() { /usr/sbin/insmod "$@"; }
rmmod() { /usr/sbin/rmmod "$@"; }
modinfo() { /usr/sbin/modinfo "$@"; }

say() { echo "$*" >"$OUT"; }

# fail MSG: report why the current check failed (as a KTAP diagnostic).
fail() {
	echo "$*"
	return 1
}

# skip WHY: the test cannot apply to the running kernel, which lacks WHY (a
# property checked here, in the guest). Return its status: `skip ... ; return`.
SKIP_RC=4
skip() {
	echo "SKIP: $*"
	return $SKIP_RC
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[ "$1" = "$2" ] && return 0
	fail "$3: expected '$2', got '$1'"
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s.
wait_until() {
	local limit=$(($1 * 10)) i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
}

file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
gone() { [ ! -e "$1" ]; }

# Kernel log lines written since the last `log_mark`. Marks are unique
# (tests run in subshells: a counter would start again in each).
log_mark() {
	MARK="rust-livepatch-test-mark-$(cat /proc/sys/kernel/random/uuid)"
	echo "$MARK" >/dev/kmsg
}
log_since_mark() { dmesg | sed -n "/$MARK\$/,\$p" | sed 1d; }

# patch_transcript KO NAME: load a cmdline_proc_show patch, read what a user
# sees at each step, then disable and remove it. Prints one line per fact.
patch_transcript() {
	local ko=$1 name=$2 d=$LP/$2
	echo "before: $(cat /proc/cmdline)"
	insmod "$ko" && echo "insmod: ok" || echo "insmod: failed"
	wait_until 60 file_is "$d/transition" 0 || echo "transition: not finished after 60 s"
	echo "enabled: $(cat "$d/enabled" 2>&1)"
	echo "transition: $(cat "$d/transition" 2>&1)"
	echo "vmlinux patched: $(cat "$d/vmlinux/patched" 2>&1)"
	echo "functions: $(cd "$d" 2>/dev/null && find . -name '*,*' | sort | tr '\n' ' ')"
	echo "patched: $(cat /proc/cmdline)"
	echo 0 >"$d/enabled" && echo "disable: ok" || echo "disable: failed"
	wait_until 60 gone "$d" || echo "sysfs: $d still present 60 s after disabling"
	echo "unpatched: $(cat /proc/cmdline)"
	rmmod "$name" && echo "rmmod: ok" || echo "rmmod: failed"
	[ -e "/sys/module/$name" ] && echo "module: still loaded" || echo "module: gone"
}

# guest_still_patches: after a fault, the guest still works: the Rust sample
# loads, patches /proc/cmdline, disables, unloads, and the original is back.
guest_still_patches() {
	local t
	t=$(patch_transcript $MODULES/rust_livepatch_sample.ko rust_livepatch_sample)
	echo "$t" | grep -qxF "patched: $PATCHED" && echo "$t" | grep -qxF "unpatched: $ORIG_CMDLINE" &&
		echo "$t" | grep -qxF "module: gone" && return 0
	fail "after the fault the sample no longer works: $(echo "$t" | tr '\n' '|')"
}

# ktap_run JOB: run the tests named in TESTS (shell functions that print why
# they failed and return non-zero) as KTAP on $OUT, then the end line the
# host (scripts/ktap.py) requires.
ktap_run() {
	local n=0 t out rc
	say "KTAP version 1"
	say "1..$(echo $TESTS | wc -w)"
	# Why some tests did not register on this kernel (a tests.d file says).
	[ -n "${NOTES:-}" ] && printf '%s' "$NOTES" >"$OUT"
	for t in $TESTS; do
		n=$((n + 1))
		out=$($t 2>&1)
		rc=$?
		[ -n "$out" ] && echo "$out" | sed 's/^/# /' >"$OUT"
		if [ $rc = 0 ]; then
			say "ok $n ${t#t_}"
		elif [ $rc = "$SKIP_RC" ]; then
			say "ok $n ${t#t_} # SKIP $(echo "$out" | sed -n 's/^SKIP: //p' | tail -n1)"
		else
			say "not ok $n ${t#t_}"
		fi
	done
	say "# END rust-livepatch $1"
}
