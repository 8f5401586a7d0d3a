#!/usr/bin/env bash
# `klp new` and `klp build` as a user runs them, on five targets of the
# selected kernel: each patch directory is written by `klp new` from the
# tree's BTF (--kdir), in a directory outside the checkout; its body, which
# `klp new` leaves as a compile_error!, is replaced by tests/klp-new/FUNC.body
# (a patch that does not build until then: checked too); `klp build` builds
# it and checks its signature. The modules go to out/klp-new/, which the QEMU
# tests load (scripts/guest/tests.d/66-klp-new.sh).
#
#   target                 object                 what it covers
#   cmdline_proc_show      vmlinux                a struct by pointer, int return
#   arch_report_meminfo    vmlinux                a void return
#   proc_task_name         vmlinux                a bool parameter
#   dummy_check            livepatch_shadow_mod   a module's function, bool return,
#                                                 a struct bindings lack (c_void)
#   busymod_work_func      livepatch_callbacks_busymod  a module loaded after the patch
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")
klp=$(klp_release)
# klp build resolves the kernel as the user gives it: KDIR if given, else
# KERNEL through the selector (which runs a sid root's toolchain for the
# kernels that need one), not the KDIR the selector prints.
user_kdir=${KDIR:-}
klp_build() {
	if [ -n "$user_kdir" ]; then "$klp" build "$@"; else env -u KDIR "$klp" build "$@"; fi
}
kernel_select dir
out=$top/out/klp-new
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/rust-livepatch-klp-new.XXXXXX")
trap 'rm -rf "$work"' EXIT

targets=(
	"cmdline_proc_show vmlinux"
	"arch_report_meminfo vmlinux"
	"proc_task_name vmlinux"
	"dummy_check livepatch_shadow_mod"
	"busymod_work_func livepatch_callbacks_busymod"
)
failed=0
for t in "${targets[@]}"; do
	read -r func object <<<"$t"
	name=fix_$func
	dir=$work/$name
	args=(new "$func" "$dir" --kdir "$KDIR")
	[ "$object" = vmlinux ] || args+=(--object "$object")
	# A module of the kernel's C samples the tree did not build (Debian's
	# tree: they are built apart, in KC_SAMPLES): its BTF from there.
	build_args=()
	ko=${object//_/-}.ko
	if [ "$object" != vmlinux ] && ! grep -qs "/${ko%.ko}\.o\$" "$KDIR/modules.order"; then
		args+=(--btf "$KC_SAMPLES/$ko")
		build_args=(--btf-module "$object=$KC_SAMPLES/$ko")
	fi
	if ! (cd "$work" && "$klp" "${args[@]}") >"$out/$name.new.log" 2>&1; then
		log "FAIL $name: klp ${args[*]}: $(cat "$out/$name.new.log")"
		failed=$((failed + 1))
		continue
	fi
	rs=$dir/$name.rs
	# As generated, it must not build.
	if klp_build ${build_args[@]+"${build_args[@]}"} "$dir" >"$out/$name.unwritten.log" 2>&1; then
		log "FAIL $name: built before its body was written"
		failed=$((failed + 1))
		continue
	fi
	grep -qF "write the fix for $func here, then remove this line" "$out/$name.unwritten.log" ||
		{ log "FAIL $name: the unwritten body did not stop the build with its message"; failed=$((failed + 1)); continue; }
	grep -q 'compile_error!' "$rs" || die "$rs: no compile_error! line to replace"
	sed -i -e "/compile_error!/{r $top/tests/klp-new/$func.body" -e 'd}' "$rs"
	cp "$rs" "$out/"
	if ! klp_build ${build_args[@]+"${build_args[@]}"} "$dir" >"$out/$name.stdout" 2>"$out/$name.log"; then
		log "FAIL $name: klp build failed (log: $out/$name.log)"
		tail -n 20 "$out/$name.log" >&2
		failed=$((failed + 1))
		continue
	fi
	if [ "$(cat "$out/$name.stdout")" != "$dir/$name.ko" ]; then
		log "FAIL $name: klp build printed '$(cat "$out/$name.stdout")', not $dir/$name.ko"
		failed=$((failed + 1))
		continue
	fi
	grep -qF "  ok   signature: $([ "$object" = vmlinux ] || echo "$object:")$func: matches " "$out/$name.log" ||
		{ log "FAIL $name: no 'ok' signature check in the log"; failed=$((failed + 1)); continue; }
	cp "$dir/$name.ko" "$out/"
	log "ok   $name ($object)"
done
[ "$failed" = 0 ] || die "$failed of ${#targets[@]} klp new patches failed (logs in $out)"
# For this kernel: scripts/qemu-run.sh loads them only into it.
echo "$KDIR" >"$out/kdir"
log "klp new: ${#targets[@]} patches written, refused unwritten, built and checked by klp build in $work"
