# Boot the test kernel in QEMU: shared by qemu-run.sh and selftests.sh.
# Source it after common.sh; do not run it.
# shellcheck shell=bash
#
# Set before calling:
#   qemu_kernel   the bzImage
#   qemu_initrd   the initramfs; its /init must answer rl.mode=probe by
#                 writing "rust-livepatch: guest up" to /dev/ttyS1
#   qemu_out      directory for console.log (ttyS0) and results.log (ttyS1)
#   qemu_mem      guest RAM in MiB (default 512)
#   qemu_log_buf  the kernel's log_buf_len (default 1M)
#   qemu_append   more kernel command line (optional)
#   qemu_extra    an array of more QEMU options (optional)

# qemu_boot ACCEL MODE SECONDS: one guest run of job MODE (rl.mode=MODE on
# the kernel command line) under a hard timeout; returns QEMU's status (124:
# timeout).
#
# One guest at a time on the machine: a TCG guest takes a core or two, and two
# at once slow each other into timeouts. A second caller waits for the first
# (lock $CACHE/qemu.lock); the timeout starts once it has the lock.
qemu_boot() {
	local accel=$1 mode=$2 secs=$3 lockfd rc=0
	mkdir -p "$CACHE"
	exec {lockfd}>>"$CACHE/qemu.lock"
	if ! flock -n "$lockfd"; then
		log "another QEMU guest is running: waiting for it (lock $CACHE/qemu.lock)"
		flock "$lockfd"
	fi
	rm -f "$qemu_out/console.log" "$qemu_out/results.log"
	timeout -k 5 "$secs" qemu-system-x86_64 -nodefaults -no-user-config \
		-accel "$accel" -cpu max -m "${qemu_mem:-512}" -smp 2 -display none -no-reboot \
		${qemu_extra[@]+"${qemu_extra[@]}"} \
		-kernel "$qemu_kernel" -initrd "$qemu_initrd" \
		-append "console=ttyS0 panic=-1 oops=panic log_buf_len=${qemu_log_buf:-1M} rl.mode=$mode${qemu_append:+ $qemu_append}" \
		-serial "file:$qemu_out/console.log" -serial "file:$qemu_out/results.log" \
		</dev/null {lockfd}>&- || rc=$?
	exec {lockfd}>&-
	[ "$rc" = 0 ] || return "$rc"
	# The serial ports write CRLF.
	sed -i 's/\r$//' "$qemu_out/results.log"
}

# qemu_pick_accel: set ACCEL (kvm|tcg) and ACCEL_WHY. KVM only when a probe
# guest really boots (on some hosts /dev/kvm exists but guests hang);
# QEMU_ACCEL=kvm|tcg forces one.
qemu_pick_accel() {
	if [ -n "${QEMU_ACCEL:-}" ]; then
		ACCEL=$QEMU_ACCEL
		ACCEL_WHY="forced by QEMU_ACCEL"
		return
	fi
	ACCEL=tcg
	if [ ! -w /dev/kvm ]; then
		ACCEL_WHY="no usable /dev/kvm"
		return
	fi
	# The probe costs up to 20 s when KVM hangs: remember its verdict until
	# the host reboots.
	local memo
	memo=$CACHE/kvm-probe.$(cat /proc/sys/kernel/random/boot_id)
	if [ ! -f "$memo" ]; then
		if qemu_boot kvm probe 20 && grep -q "rust-livepatch: guest up" "$qemu_out/results.log" 2>/dev/null; then
			echo "kvm KVM probe booted" >"$memo"
		else
			echo "tcg KVM probe: the guest did not come up within 20 s" >"$memo"
		fi
	fi
	read -r ACCEL ACCEL_WHY <"$memo"
}
