#!/usr/bin/env bash
# The rust-fentry kernel: the test kernel's config built by rustc >= 1.98
# with KRUSTFLAGS=-Zinstrument-mcount=fentry, where Rust functions are
# ftrace sites and so livepatch targets (scripts/lib/rust-fentry.sh). Every
# build runs in a sid root with that rustc; the QEMU tests run on the host.
#
#   rust-fentry.sh root       make the toolchain root; print its path
#   rust-fentry.sh versions   the toolchain's package versions and flags
#   rust-fentry.sh kernel     build the kernel (cached like the others,
#                             KERNEL=rust-fentry scripts/kernel.sh build);
#                             print its directory; its output is saved in
#                             out/rust-fentry/kernel-build.log
#   rust-fentry.sh build      build every module of the checkout for it
#                             (KERNEL=rust-fentry scripts/build.sh), in a
#                             private copy of the tree (out/rust-fentry/tree:
#                             modules built for this kernel never mix with the
#                             test kernel's); its output is saved in
#                             out/rust-fentry/modules-build.log
#   rust-fentry.sh sites      Rust functions of vmlinux and of the modules
#                             built above, and how many are ftrace sites
#                             (recorded in __mcount_loc)
#   rust-fentry.sh tests      the whole QEMU suite on it, the Rust-target
#                             tests required (rl.rust_targets=required)
#   rust-fentry.sh check      kernel, build, sites, tests, with each one's time
#                             (make check-rust-targets)
#   rust-fentry.sh run CMD... run CMD in the root (the checkout, the kernel
#                             sources and trees mounted at their own paths)
#
# Needs root (debootstrap, chroot, mount namespace). QEMU_TIMEOUT etc. as
# for scripts/qemu-run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/kernel-rust-fentry.sh"
top=$(dirname "$here")
export KERNEL=rust-fentry
unset KDIR

cmd=${1:-}
[ $# -gt 0 ] && shift
out=$top/out/rust-fentry
tree=$out/tree

kdir() { "$here/kernel.sh" dir; }

# The private copy of the checkout (as check-debug.sh makes one): what git
# tracks plus new files, copied afresh; target/ is kept between runs.
make_tree() {
	mkdir -p "$tree"
	find "$tree" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -co --exclude-standard -z) |
			(cd "$top" && rsync -a --from0 --files-from=- ./ "$tree/")
	else
		rsync -a --exclude /out --exclude /target "$top/" "$tree/"
	fi
}

case "$cmd" in
root) rust_fentry_root ;;
versions)
	rust_fentry_root >/dev/null
	grep -E "^(rustc|rust-src|cargo|libstd-rust-[0-9.]*|clang-$RUST_FENTRY_LLVM|lld-$RUST_FENTRY_LLVM|llvm-$RUST_FENTRY_LLVM|bindgen|libclang-[0-9]*-dev|pahole|libc6) " \
		"$(rust_fentry_root_dir)/packages"
	rust_fentry_run rustc --version
	echo "KRUSTFLAGS=$RUST_FENTRY_FLAGS LLVM=-$RUST_FENTRY_LLVM"
	echo "kernel source: $RUST_FENTRY_SOURCE_EDIT"
	;;
kernel)
	mkdir -p "$out"
	k=$(kdir)
	if [ -f "$k/.rust-livepatch-built" ]; then
		echo "$k"
		exit 0
	fi
	rust_fentry_root >/dev/null
	log "building the rust-fentry kernel; its output goes to $out/kernel-build.log"
	"$here/kernel.sh" build 2>&1 >"$out/kernel-dir" | tee "$out/kernel-build.log" >&2
	[ -f "$k/.rust-livepatch-built" ] || die "the rust-fentry kernel did not build (log: $out/kernel-build.log)"
	log "rust-fentry kernel built in $(cat "$k/.build-seconds") s; objtool and the build said:"
	grep -E 'warning|error|objtool' "$out/kernel-build.log" | sed 's/^/    /' >&2 || log "    (nothing)"
	echo "$k"
	;;
build)
	"$0" kernel >/dev/null
	make_tree
	t0=$SECONDS
	# The proc macro and the livepatch crate by the kernel's rustc, the
	# modules, klp post-link, the crate check: as for any kernel.
	"$tree/scripts/build.sh" 2>&1 | tee "$out/modules-build.log" >&2
	[ "${PIPESTATUS[0]}" = 0 ] || die "the modules did not build for the rust-fentry kernel (log: $out/modules-build.log)"
	log "modules for the rust-fentry kernel built in $((SECONDS - t0)) s in $tree"
	echo "$tree"
	;;
sites)
	k=$(kdir)
	[ -f "$k/.rust-livepatch-built" ] || die "no rust-fentry kernel: run $0 kernel"
	python3 "$here/rust-fentry-sites.py" "$k/vmlinux" "$k/System.map" \
		"$tree"/samples/*.ko "$tree"/tests/modules/*.ko "$tree"/tests/rust_targets/*.ko
	;;
tests)
	k=$(kdir)
	[ -f "$tree/tests/rust_targets/rust_victim.ko" ] || die "no modules built for the rust-fentry kernel: run $0 build"
	# The suite loads the patches klp new writes for this kernel, built in
	# the sid root, which sees the tree (not /tmp).
	mkdir -p "$tree/out/tmp"
	TMPDIR=$tree/out/tmp "$tree/scripts/check-klp-new.sh"
	QEMU_APPEND="${QEMU_APPEND:+$QEMU_APPEND }rl.rust_targets=required" "$tree/scripts/qemu-run.sh" tests
	;;
check)
	times=()
	for step in kernel build sites tests; do
		t0=$SECONDS
		"$0" "$step"
		times+=("$step $((SECONDS - t0)) s")
	done
	printf '%s\n' "${times[@]}"
	;;
run)
	[ $# -gt 0 ] || die "usage: rust-fentry.sh run CMD..."
	rust_fentry_run "$@"
	;;
*) die "usage: rust-fentry.sh root|versions|kernel|build|sites|tests|check|run CMD..." ;;
esac
