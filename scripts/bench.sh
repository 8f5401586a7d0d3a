#!/usr/bin/env bash
# `make bench`: does a Rust livepatch cost anything a C one does not?
# Measures the same patch of a C function (bench/modules/) written in C and in
# Rust, and the Rust sample against the kernel's C livepatch-sample.ko:
#
#   1. patched-call overhead (in the guest): ns/call unpatched, patched by C,
#      patched by Rust, several rounds each;
#   2. transition latency (in the guest): insmod to `transition` = 0 with
#      extra sleeping and busy tasks, C and Rust in pairs, with a confidence
#      interval;
#   3. module size: .ko file, text/data/bss, and what the Rust bytes are;
#   4. build time of one patch module against the warm kernel tree.
#
# One guest run (KVM when it works, else TCG; the run says which). Writes
# bench/results/latest.json (with the commit measured), call-overhead.png and
# the README's table (bench/report.py); raw logs in out/bench/. Settings
# (environment): BENCH_NCALLS (calls per round), BENCH_ROUNDS (rounds per
# measurement), BENCH_CYCLES (none/C/Rust cycles), BENCH_TASKS (extra task
# counts, each N or N:PAIRS), BENCH_BUSY_PCT (% of them spinning), BENCH_REPS
# (C/Rust pairs per task count without :PAIRS), BENCH_BUILD_REPS; KERNEL or
# KDIR (scripts/lib/kernel.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/initramfs.sh"
. "$here/lib/qemu.sh"
. "$here/lib/livepatch.sh"
top=$(dirname "$here")

NCALLS=${BENCH_NCALLS:-100000}
ROUNDS=${BENCH_ROUNDS:-5}
# 320 cycles (1600 rounds a flavour): under TCG a round's time spreads by
# tens of percent, and at 40 the interval of the call ratio (about +-0.06)
# held the 1.02 target, an inconclusive verdict.
CYCLES=${BENCH_CYCLES:-320}
TASKS=${BENCH_TASKS:-0 100 1000}
BUSY_PCT=${BENCH_BUSY_PCT:-0}
REPS=${BENCH_REPS:-30}
BUILD_REPS=${BENCH_BUILD_REPS:-5}

# What is measured: the commit, and whether the tree differs from it.
commit=$(git -C "$top" rev-parse HEAD 2>/dev/null || true)
dirty=()
[ -z "$(git -C "$top" status --porcelain 2>/dev/null)" ] || dirty=(--dirty)

kernel_select dir
kernel=$KBOOT
[ -f "$kernel" ] || die "no kernel image $kernel"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run make setup"

out=$top/out/bench
results=$top/bench/results
mods=$(kernel_modules_dir)/bench/modules
rm -rf "$out"
mkdir -p "$out" "$results"

ko_list=("$mods/bench_target.ko" "$mods/bench_caller.ko" "$mods/bench_patch_c.ko" "$mods/bench_patch_rust.ko")
c_sample=$KC_SAMPLES/livepatch-sample.ko
rust_sample=$(kernel_modules_dir)/samples/rust_livepatch_sample.ko
for m in "${ko_list[@]}" "$c_sample" "$rust_sample"; do
	[ -f "$m" ] || die "module $m not built: run make"
done

# The plot needs matplotlib: a venv in the cache, installed once.
venv=$CACHE/venv
if ! "$venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
	log "installing matplotlib into $venv (once)"
	python3 -m venv "$venv"
	"$venv/bin/pip" install -q matplotlib
fi

# 4. Build time: one patch module alone, in a scratch directory, against the
# warm kernel tree, as build.sh builds it (what all patches share, the proc
# macro and the livepatch crate, is built once per kernel tree: up to date
# here, not counted).
livepatch_prepare -s
for flavour in c rust; do
	d=$out/build/$flavour
	mkdir -p "$d"
	if [ $flavour = c ]; then
		cp "$top/bench/modules/bench_patch_c.c" "$d/"
		echo "obj-m += bench_patch_c.o" >"$d/Kbuild"
	else
		cp "$top/bench/modules/bench_patch_rust.rs" "$d/"
		printf 'obj-m += bench_patch_rust.o\ninclude $(RUST_LIVEPATCH)/rust/livepatch/Kbuild.livepatch\n' >"$d/Kbuild"
	fi
	# One untimed build first (page cache, make's own start-up).
	kmake -s M="$d" "${LP_ARGS[@]}" -j"$(nproc)" modules >/dev/null
	for i in $(seq "$BUILD_REPS"); do
		kmake -s M="$d" "${LP_ARGS[@]}" clean >/dev/null
		t0=$(date +%s%N)
		kmake -s M="$d" "${LP_ARGS[@]}" -j"$(nproc)" modules >/dev/null
		echo "build $flavour $(( ($(date +%s%N) - t0) / 1000 ))" >>"$out/host.log"
	done
done
log "build times: $(awk '{printf "%s %.2f s; ", $2, $3/1e6}' "$out/host.log")"
echo "loadavg $(cut -d' ' -f1 /proc/loadavg)" >>"$out/host.log"

# 1-2. The guest: the usual initramfs (busybox, kmod, the modules), plus a
# second archive with the bench script, its helper and its settings.
gcc -static -O2 -Wall -o "$out/benchtool" "$top/bench/guest/benchtool.c"
make_initramfs "$out/initramfs.cpio.gz" "${ko_list[@]}"
stage=$out/stage
mkdir -p "$stage/guest" "$stage/bench"
cp "$top/bench/guest/bench.sh" "$stage/guest/bench.sh"
cp "$out/benchtool" "$stage/bench/benchtool"
cat >"$stage/bench/config" <<CFG
NCALLS=$NCALLS
ROUNDS=$ROUNDS
CYCLES=$CYCLES
TASKS="$TASKS"
BUSY_PCT=$BUSY_PCT
REPS=$REPS
CFG
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >>"$out/initramfs.cpio.gz"

qemu_kernel=$kernel
qemu_initrd=$out/initramfs.cpio.gz
qemu_mem=1024
qemu_log_buf=4M
qemu_out=$out
qemu_pick_accel
log "accelerator: ${ACCEL^^} ($ACCEL_WHY)"
echo "$ACCEL" >"$out/accel"
secs=${QEMU_TIMEOUT:-900}

# bench_guest PHASE: one guest run of rl.phase=PHASE; its logs in $out/PHASE/,
# its results appended to $out/results.log.
bench_guest() {
	local phase=$1 t0=$SECONDS status=0
	qemu_out=$out/$phase
	mkdir -p "$qemu_out"
	qemu_boot "$ACCEL" bench "$secs" || status=$?
	log "$phase: guest ran $((SECONDS - t0)) s under ${ACCEL^^}; console: $qemu_out/console.log"
	echo "guest_s $phase $((SECONDS - t0))" >>"$out/host.log"
	if [ "$status" != 0 ]; then
		tail -n 30 "$qemu_out/console.log" >&2
		die "$phase: QEMU exited with status $status (124: over QEMU_TIMEOUT=$secs s)"
	fi
	grep -qx "# END rust-livepatch bench $phase" "$qemu_out/results.log" ||
		{ tail -n 30 "$qemu_out/console.log" >&2; die "the $phase guest did not finish (see $qemu_out/results.log)"; }
	cat "$qemu_out/results.log" >>"$out/results.log"
}

# 1. Calls, timed by the host's clock: the test kernel has no PIT, HPET or
# ACPI timer to calibrate the TSC against and falls back to jiffies (4 ms);
# give it the TSC rate, measured here (the guest's TSC is the host's).
tsc_khz=$("$out/benchtool" tsc-khz)
echo "tsc_khz $tsc_khz" >>"$out/host.log"
echo "busy_pct $BUSY_PCT" >>"$out/host.log"
qemu_extra=()
qemu_append="tsc_early_khz=$tsc_khz tsc=reliable clocksource=tsc rl.phase=calls"
bench_guest calls

# 2. Transitions. Under TCG, in icount mode: the guest's clock (and its TSC,
# at 1 GHz) advances by 1 ns per instruction executed and jumps over idle
# time (sleep=off), so the host's load, which spreads wall-clock runs by tens
# of percent, does not reach the figures: they count the guest's work and
# the guest timers it waits for. (Under KVM there is no icount: wall clock.)
if [ "$ACCEL" = tcg ]; then
	qemu_extra=(-icount shift=0,sleep=off)
	qemu_append="tsc_early_khz=1000000 tsc=reliable clocksource=tsc rl.phase=transitions"
	echo "transition_clock icount" >>"$out/host.log"
else
	qemu_append="tsc_early_khz=$tsc_khz tsc=reliable clocksource=tsc rl.phase=transitions"
	echo "transition_clock wall" >>"$out/host.log"
fi
bench_guest transitions

# 3. Sizes, then every figure into the results.
"$venv/bin/python" "$top/bench/analyze.py" --out "$out" --results "$results" \
	--readme "$top/README.md" --commit "$commit" "${dirty[@]}" \
	--accel "$ACCEL" --accel-why "$ACCEL_WHY" \
	--c-sample "$c_sample" --rust-sample "$rust_sample" \
	--c-patch "$mods/bench_patch_c.ko" --rust-patch "$mods/bench_patch_rust.ko"
