#!/usr/bin/env bash
# The QEMU suite on the debug kernel (kernel/debug.config: KASAN, lockdep,
# DEBUG_LIST, DEBUG_OBJECTS, DEBUG_KOBJECT_RELEASE, kmemleak), booted with
# panic_on_warn: any warning, KASAN or kmemleak report fails the run (the
# harness greps the console too). The crate's layout assertions are checked
# again at build time: this config changes the size of kobject and
# completion.
#
#   check-debug.sh                  QEMU tests, kernel selftests (C and Rust), soak
#   check-debug.sh STEP...          some of them: tests, selftests, soak
#                                   (make soak runs `soak` alone)
#
# QEMU_TIMEOUT bounds each guest (3600 s); the soak's is SOAK_TIMEOUT, by
# default 600 s + 60 s per cycle (SOAK_CYCLES, 100).
#
# It runs in a private copy of the tree (out/debug/tree): modules built for
# the debug kernel (other struct layouts) must never mix with the test
# kernel's in the checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")

if [ -z "${RL_DEBUG_TREE:-}" ]; then
	tree=$top/out/debug/tree
	log "copying the tree to $tree"
	rm -rf "$tree"
	mkdir -p "$tree"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -co --exclude-standard -z) |
			(cd "$top" && rsync -a --from0 --files-from=- ./ "$tree/")
	else
		rsync -a --exclude /out --exclude /target "$top/" "$tree/"
	fi
	RL_DEBUG_TREE=1 exec "$tree/scripts/check-debug.sh" "$@"
fi

export KERNEL=debug
unset KDIR
KDIR=$("$here/kernel.sh" build)
log "debug kernel: $KDIR"
make -C "$top" all

# rl.dmesg_filter: see scripts/guest/selftests/init (DEBUG_KOBJECT_RELEASE
# adds log lines the kernel's selftests do not expect).
export QEMU_APPEND="panic_on_warn=1 rl.dmesg_filter=kobject_release"
export QEMU_MEM=${QEMU_MEM:-1024}
# Under TCG this kernel is slow (KASAN, lockdep, kobject releases delayed by
# DEBUG_KOBJECT_RELEASE): the QEMU tests take about 10 minutes.
export QEMU_TIMEOUT=${QEMU_TIMEOUT:-3600}
# test-callbacks.sh alone takes about 5 minutes on it.
export SELFTESTS_SCRIPT_TIMEOUT=${SELFTESTS_SCRIPT_TIMEOUT:-900}
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tests selftests soak)
for step in "${steps[@]}"; do
	case "$step" in
	tests | selftests | soak) ;;
	*) die "unknown step $step (tests, selftests, soak)" ;;
	esac
done
# Every step runs (each takes long): a failed one is reported at the end.
failed=()
for step in "${steps[@]}"; do
	t0=$SECONDS
	case "$step" in
	tests) "$here/qemu-run.sh" tests ;;
	# A cycle takes up to 36 s on this kernel under TCG, mostly waiting for
	# the delayed kobject releases: the guest's limit grows with the cycles.
	soak) QEMU_TIMEOUT=${SOAK_TIMEOUT:-$((600 + 60 * ${SOAK_CYCLES:-100}))} "$here/qemu-run.sh" soak ;;
	selftests) "$here/selftests.sh" ;;
	esac || failed+=("$step")
	log "debug kernel: step $step took $((SECONDS - t0)) s"
done
[ ${#failed[@]} = 0 ] || die "debug kernel: failed: ${failed[*]} (of: ${steps[*]})"
log "debug kernel: passed: ${steps[*]}"
