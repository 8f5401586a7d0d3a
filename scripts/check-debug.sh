#!/usr/bin/env bash
# The QEMU suite on the debug kernel (kernel/debug.config: KASAN, lockdep,
# DEBUG_LIST, DEBUG_OBJECTS, DEBUG_KOBJECT_RELEASE, kmemleak), booted with
# panic_on_warn: any warning, KASAN or kmemleak report fails the run (the
# harness greps the console too). The crate's layout assertions are checked
# again at build time: this config changes the size of kobject and
# completion.
#
#   check-debug.sh        QEMU tests, kernel selftests (C and Rust), soak
#   check-debug.sh soak   the soak only (make soak)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

export KERNEL_FLAVOUR=debug
KDIR=$("$here/kernel.sh" build)
export KDIR
log "debug kernel: $KDIR"
"$here/build.sh"

export QEMU_APPEND="panic_on_warn=1"
export QEMU_MEM=${QEMU_MEM:-1024}
if [ "${1:-}" != soak ]; then
	"$here/qemu-run.sh" tests
	"$here/selftests.sh"
fi
"$here/qemu-run.sh" soak
