#!/usr/bin/env bash
# Boot the selected kernel (scripts/lib/kernel.sh: KERNEL=test|debug|debian,
# or KDIR) in QEMU with the Rust livepatch modules built for it and run a job.
#
#   qemu-run.sh sample   load the Rust sample, show /proc/cmdline change and revert
#   qemu-run.sh tests    the QEMU tests of `make check` (KTAP, checked strictly)
#   qemu-run.sh soak     SOAK_CYCLES (100) load/replace/unload cycles, then
#                        no task left patched and no kmemleak report
#   qemu-run.sh sigenforce  module.sig_enforce=1: unsigned patches refused, a
#                        signed one loads (run by scripts/check-sig-enforce.sh,
#                        which builds them in out/sig-enforce/)
#
# QEMU_APPEND adds to the kernel command line, QEMU_MEM sets the guest's RAM.
#
# KVM is used when it really works (probed with a short timeout: on some
# hosts /dev/kvm exists but guests hang), else TCG; QEMU_ACCEL=kvm|tcg forces
# one. Every guest runs under a hard timeout (QEMU_TIMEOUT, seconds; default
# the kernel's KGUEST_TIMEOUT). The console and the results are saved under
# out/qemu-<job>/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/initramfs.sh"
. "$here/lib/qemu.sh"
top=$(dirname "$here")

job=${1:-}
case "$job" in
sample | tests | soak | sigenforce) ;;
*) die "usage: qemu-run.sh sample|tests|soak|sigenforce" ;;
esac

kernel_select dir
kernel=$KBOOT
[ -f "$kernel" ] || die "no kernel image $kernel"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run make setup"
mods=$(kernel_modules_dir)

out=$top/out/qemu-$job
rm -rf "$out"
mkdir -p "$out"

modules=("$mods/samples/rust_livepatch_sample.ko")
if [ "$job" = tests ]; then
	modules=("$mods"/samples/*.ko "$mods"/tests/modules/*.ko "$mods"/tests/rust_targets/*.ko)
	# The kernel's own C samples: the reference the Rust ports are compared
	# with, the modules the ported demos patch (tests.d/10-sample.sh,
	# 20-samples.sh).
	for m in livepatch-sample livepatch-shadow-{mod,fix1,fix2} livepatch-callbacks-{demo,mod,busymod}; do
		[ -f "$KC_SAMPLES/$m.ko" ] ||
			die "the kernel's C sample $m.ko is not in $KC_SAMPLES (the kernel's CONFIG_SAMPLE_LIVEPATCH=m builds them)"
		modules+=("$KC_SAMPLES/$m.ko")
	done
	# The patches `klp new` wrote and `klp build` built for this kernel
	# (scripts/check-klp-new.sh), loaded by tests.d/66-klp-new.sh.
	new_dir=$top/out/klp-new
	[ "$(cat "$new_dir/kdir" 2>/dev/null)" = "$KDIR" ] ||
		die "no klp new patches built for $KDIR in $new_dir: run scripts/check-klp-new.sh"
	modules+=("$new_dir"/*.ko)
	# A module built for another kernel (tests.d/30-klp.sh): the Rust sample
	# with another release in its vermagic (same length: the ELF is intact).
	python3 - "$mods/samples/rust_livepatch_sample.ko" "$out/rust_lp_other_vermagic.ko" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
m = re.search(rb"vermagic=([^ \0]+)", data)
rel = m[1]
other = (b"9" if rel[:1] != b"9" else b"8") + rel[1:]
open(sys.argv[2], "wb").write(data[: m.start(1)] + other + data[m.end(1) :])
PY
	modules+=("$out/rust_lp_other_vermagic.ko")
	# The klp command (tools/klp, built by make), run by tests.d/30-klp.sh.
	klp_bin=$(klp_release)
	export GUEST_BINARIES="${GUEST_BINARIES:-} $klp_bin"
fi
if [ "$job" = sigenforce ]; then
	modules=("$top"/out/sig-enforce/*.ko)
	[ "$(cat "$top/out/sig-enforce/kdir" 2>/dev/null)" = "$KDIR" ] ||
		die "no signed and unsigned patches built for $KDIR in out/sig-enforce: run scripts/check-sig-enforce.sh"
	export GUEST_BINARIES="${GUEST_BINARIES:-} $top/target/release/klp"
fi
if [ "$job" = soak ]; then
	modules+=("$mods/samples/test_modules/test_klp_atomic_replace.ko")
fi
for m in "${modules[@]}"; do
	[ -f "$m" ] || die "module $m not built: run make"
done
# The external-symbol modules as klp post-link left them (readelf's view).
[ "$job" = tests ] && "$here/check-klp-elf.sh" "$mods/tests/modules"
make_initramfs "$out/initramfs.cpio.gz" "${modules[@]}"
# The kernel's own modules, for modprobe (scripts/lib/kernel.sh: KGUEST_MODULES).
[ -z "$KGUEST_MODULES" ] || initramfs_append "$out/initramfs.cpio.gz" "$KGUEST_MODULES"

qemu_kernel=$kernel
qemu_initrd=$out/initramfs.cpio.gz
qemu_out=$out
qemu_mem=${QEMU_MEM:-$KGUEST_MEM}
qemu_log_buf=1M
qemu_append=${QEMU_APPEND:-}
[ "$job" = soak ] && qemu_append="$qemu_append rl.cycles=${SOAK_CYCLES:-100}"
[ "$job" = sigenforce ] && qemu_append="$qemu_append module.sig_enforce=1"

qemu_pick_accel
log "accelerator: ${ACCEL^^} ($ACCEL_WHY)"
secs=${QEMU_TIMEOUT:-$KGUEST_TIMEOUT}
t0=$SECONDS
status=0
qemu_boot "$ACCEL" "$job" "$secs" || status=$?
log "guest ran $((SECONDS - t0)) s under ${ACCEL^^}; console: $out/console.log"
echo "${ACCEL}" >"$out/accel"

case "$job" in
tests | soak | sigenforce)
	# The verdict (scripts/ktap.py, tested by scripts/tests/): every result,
	# the end line, a clean console, QEMU's exit status.
	"$here/ktap.py" "$out/results.log" "$out/console.log" "# END rust-livepatch $job" "$status" "$secs" \
		"$KTESTS_MAY_SKIP" ||
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
