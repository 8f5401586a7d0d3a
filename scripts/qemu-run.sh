#!/usr/bin/env bash
# Boot the test kernel in QEMU with the Rust livepatch modules and run a job.
#
#   qemu-run.sh sample   load the Rust sample, show /proc/cmdline change and revert
#   qemu-run.sh tests    the QEMU tests of `make check` (KTAP, checked strictly)
#
# KVM is used when it really works (probed with a short timeout: on some
# hosts /dev/kvm exists but guests hang), else TCG; QEMU_ACCEL=kvm|tcg forces
# one. Every guest runs under a hard timeout (QEMU_TIMEOUT, seconds). The
# console and the results are saved under out/qemu-<job>/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/initramfs.sh"
top=$(dirname "$here")

job=${1:-}
case "$job" in
sample | tests) ;;
*) die "usage: qemu-run.sh sample|tests" ;;
esac

KDIR=${KDIR:-$("$here/kernel.sh" dir)}
check_kdir "$KDIR"
kernel=$KDIR/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "no kernel image $kernel"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run make setup"

out=$top/out/qemu-$job
rm -rf "$out"
mkdir -p "$out"

modules=("$top/samples/rust_livepatch_sample.ko")
if [ "$job" = tests ]; then
	modules=("$top"/samples/*.ko "$top"/tests/modules/*.ko)
	# The kernel's own C sample, the reference the Rust port is compared with.
	c_sample=$KDIR/samples/livepatch/livepatch-sample.ko
	[ -f "$c_sample" ] && modules+=("$c_sample")
fi
for m in "${modules[@]}"; do
	[ -f "$m" ] || die "module $m not built: run make"
done
make_initramfs "$out/initramfs.cpio.gz" "${modules[@]}"

# boot ACCEL JOB SECONDS: one guest run; returns QEMU's status (124: timeout).
boot() {
	local accel=$1 mode=$2 secs=$3
	rm -f "$out/console.log" "$out/results.log"
	timeout -k 5 "$secs" qemu-system-x86_64 -nodefaults -no-user-config \
		-accel "$accel" -cpu max -m 512 -smp 2 -display none -no-reboot \
		-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 oops=panic log_buf_len=1M rl.mode=$mode" \
		-serial "file:$out/console.log" -serial "file:$out/results.log" \
		</dev/null || return
	# The serial ports write CRLF.
	sed -i 's/\r$//' "$out/results.log"
}

pick_accel() {
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
		if boot kvm probe 20 && grep -q "rust-livepatch: guest up" "$out/results.log" 2>/dev/null; then
			echo "kvm KVM probe booted" >"$memo"
		else
			echo "tcg KVM probe: the guest did not come up within 20 s" >"$memo"
		fi
	fi
	read -r ACCEL ACCEL_WHY <"$memo"
}

pick_accel
log "accelerator: ${ACCEL^^} ($ACCEL_WHY)"
secs=${QEMU_TIMEOUT:-600}
t0=$SECONDS
status=0
boot "$ACCEL" "$job" "$secs" || status=$?
log "guest ran $((SECONDS - t0)) s under ${ACCEL^^}; console: $out/console.log"
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	log "FAIL: the guest did not finish within $secs s (QEMU_TIMEOUT)"
fi
echo "${ACCEL}" >"$out/accel"

case "$job" in
tests)
	"$here/ktap.py" "$out/results.log" "$out/console.log" "# END rust-livepatch tests" ||
		{ tail -n 40 "$out/console.log" >&2; exit 1; }
	;;
sample)
	cat "$out/results.log"
	grep -qx "this has been live patched" "$out/results.log" &&
		grep -qx "# END rust-livepatch sample" "$out/results.log" ||
		{ tail -n 40 "$out/console.log" >&2; die "the sample did not patch /proc/cmdline"; }
	;;
esac
[ "$status" = 0 ] || die "QEMU exited with status $status"
