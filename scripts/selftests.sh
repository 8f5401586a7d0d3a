#!/usr/bin/env bash
# The kernel's own livepatch selftests (tools/testing/selftests/livepatch),
# unmodified, in one QEMU guest, in two flavours:
#
#   c     the selftests with the kernel's C test modules
#   rust  the same scripts, each C livepatch module that has a Rust port
#         (samples/test_modules/<name>.ko, built by `make`) replaced by it;
#         the modules the patches act on stay C
#
# Every test must pass with C, and every test that passes with C must pass
# with Rust. Prints a per-test table, KTAP lines and `N passed, N failed`;
# fails on any failed, skipped, missing or timed-out script, a guest that did
# not finish, or a warning/oops/call trace on the kernel console.
#
# Environment: KERNEL or KDIR (scripts/lib/kernel.sh), QEMU_ACCEL=kvm|tcg,
# QEMU_TIMEOUT (whole guest, seconds, default 1500), SELFTESTS_SCRIPT_TIMEOUT
# (each script, default 300), SELFTESTS_RUST_DIR (where the Rust ports are,
# default samples/test_modules of the kernel's modules: kernel_modules_dir), SELFTESTS_MAY_SKIP (scripts allowed to
# skip, e.g. "test-kprobe.sh" on a kernel without KPROBES_ON_FTRACE).
# Output in out/selftests/: console.log (ttyS0), results.log (ttyS1).
#
#   selftests.sh             build what is missing, boot, check
#   selftests.sh --no-boot   check the logs of the last run again (no QEMU)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/initramfs.sh"
. "$here/lib/qemu.sh"
top=$(dirname "$here")

kernel_select dir
kernel=$KBOOT
[ -f "$kernel" ] || die "no kernel image $kernel"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run make setup"
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox (busybox-static): run make setup"

ksrc=$KSRC
st=$ksrc/tools/testing/selftests/livepatch
[ -d "$st/test_modules" ] ||
	die "no livepatch selftests in $ksrc (unpacked by scripts/kernel.sh build)"
rust_dir=${SELFTESTS_RUST_DIR:-$(kernel_modules_dir)/samples/test_modules}
# Modules the livepatches act on (or that hold the patched code busy): they
# are part of the test set-up, not ports, and always stay C.
VICTIMS="test_klp_callbacks_busy test_klp_callbacks_mod test_klp_kprobe test_klp_mod_target"

# Missing before: the kernel config options the scripts need.
for opt in CONFIG_LIVEPATCH CONFIG_DYNAMIC_DEBUG CONFIG_DEBUG_FS CONFIG_FUNCTION_TRACER \
	CONFIG_KPROBES CONFIG_PROC_SYSCTL CONFIG_RD_GZIP; do
	grep -qx "$opt=y" "$KDIR/.config" || die "KDIR=$KDIR: $opt is not enabled; the livepatch selftests need it"
done

out=$top/out/selftests
mkdir -p "$out"
# One run at a time in this checkout: a second one would overwrite the
# modules, the initramfs and the logs of the first.
exec 8>"$out/.lock"
if ! flock -n 8; then
	log "another selftests run is using $out: waiting for it"
	flock 8
fi

# 1. The guest root: Debian minbase (bash, coreutils, kmod, procps), cached.
t0=$SECONDS
rootfs=$("$here/rootfs.sh")
log "guest root filesystem ready ($((SECONDS - t0)) s): $rootfs"

# 2. The C test modules, built out of tree from a copy of the kernel's
# sources (rebuilt when the kernel or the sources change), unless the kernel
# comes with them (KC_TEST_MODULES: built against its headers package).
cdir=$out/c
c_test_modules=${KC_TEST_MODULES:-$cdir/test_modules}
stamp=$( (echo "$ksrc" && echo "$KDIR" && stat -c %Y "$KDIR/Module.symvers" &&
	cat "$st"/test_modules/* "$st/test_klp-call_getpid.c") | sha256sum | cut -c1-16)
if [ "$(cat "$cdir/.stamp" 2>/dev/null)" != "$stamp" ]; then
	t0=$SECONDS
	rm -rf "$cdir"
	mkdir -p "$cdir"
	if [ -z "$KC_TEST_MODULES" ]; then
		log "building the kernel's C livepatch test modules against $KDIR"
		cp -r "$st/test_modules" "$cdir/test_modules"
		kmake -s M="$cdir/test_modules" -j"$(nproc)" modules
	fi
	gcc -static -O2 -o "$cdir/test_klp-call_getpid" "$st/test_klp-call_getpid.c"
	echo "$stamp" >"$cdir/.stamp"
	log "C test modules built in $((SECONDS - t0)) s"
fi
mapfile -t c_modules < <(cd "$c_test_modules" && ls ./*.ko | sed 's|^\./||; s|\.ko$||')
[ "${#c_modules[@]}" -gt 0 ] || die "no C test module was built in $c_test_modules"

# 3. The guest's /selftests: one directory per flavour.
mapfile -t scripts < <(cd "$st" && ls test-*.sh)
[ "${#scripts[@]}" -gt 0 ] || die "no test-*.sh in $st"
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage/selftests" "$stage/usr/local/bin"
ported=() still_c=()
for fl in c rust; do
	d=$stage/selftests/$fl
	mkdir -p "$d/test_modules"
	cp "$st"/*.sh "$st/settings" "$d/"
	cp "$cdir/test_klp-call_getpid" "$d/"
	for m in "${c_modules[@]}"; do
		src=$c_test_modules/$m.ko
		if [ "$fl" = rust ] && [[ " $VICTIMS " != *" $m "* ]]; then
			if [ -f "$rust_dir/$m.ko" ]; then
				src=$rust_dir/$m.ko
				name=$(modinfo -F name "$src")
				[ "$name" = "$m" ] || die "$src is module '$name', not '$m'"
				ported+=("$m")
			else
				still_c+=("$m")
			fi
		fi
		cp "$src" "$d/test_modules/$m.ko"
	done
done
echo "c rust" >"$stage/selftests/FLAVOURS"
echo "${scripts[*]}" >"$stage/selftests/SCRIPTS"
install -m 755 "$here/guest/selftests/init" "$stage/init"
install -m 755 "$busybox" "$stage/usr/local/bin/busybox"
log "rust flavour: ported: ${ported[*]:-none}; still C: ${still_c[*]:-none}"

# Linux unpacks concatenated archives in order: the root, then this job.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/job.cpio.gz"
cat "$rootfs" "$out/job.cpio.gz" >"$out/initramfs.cpio.gz"
# The kernel's own modules, for modprobe (scripts/lib/kernel.sh: KGUEST_MODULES).
[ -z "$KGUEST_MODULES" ] || initramfs_append "$out/initramfs.cpio.gz" "$KGUEST_MODULES"

# 4. One guest for both flavours.
qemu_kernel=$kernel
qemu_initrd=$out/initramfs.cpio.gz
qemu_out=$out
qemu_mem=2048
qemu_log_buf=16M
qemu_append="rl.script_timeout=${SELFTESTS_SCRIPT_TIMEOUT:-300}${QEMU_APPEND:+ $QEMU_APPEND}"
if [ "${1:-}" != --no-boot ]; then
	qemu_pick_accel
	log "accelerator: ${ACCEL^^} ($ACCEL_WHY)"
fi
secs=${QEMU_TIMEOUT:-1500}
t0=$SECONDS
status=0
if [ "${1:-}" = --no-boot ]; then
	log "--no-boot: checking the logs of the last run again"
else
	qemu_boot "$ACCEL" selftests "$secs" || status=$?
	log "guest ran $((SECONDS - t0)) s under ${ACCEL^^}; console: $out/console.log, results: $out/results.log"
fi

# 5. Strict check on the host.
"$here/selftests_check.py" "$out/results.log" "$out/console.log" "$status" "$secs" \
	"${scripts[*]}" "${ported[*]:-}" "${still_c[*]:-}" "${SELFTESTS_MAY_SKIP:-}" ||
	{ tail -n 30 "$out/console.log" >&2 2>/dev/null; exit 1; }
