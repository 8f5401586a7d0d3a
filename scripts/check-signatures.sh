#!/usr/bin/env bash
# Patches whose replacements do not have their target's C signature
# (tests/modules/rust_lp_sig_*.rs): `klp build` builds each alone, from a
# directory outside the checkout, against the selected kernel, and must
# refuse it with the messages its `// EXPECT:` lines give, print no module
# and leave none. The regular build (scripts/build.sh) does not check
# signatures, so the same modules reach the QEMU guest, where `klp load`
# must refuse them too (scripts/guest/tests.d/67-signatures.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")
klp=$(klp_release)
# The BTF of a target module the kernel tree did not build (Debian's tree
# has none of the kernel's C samples: they are built apart, in KC_SAMPLES).
# In a subshell: klp build resolves the kernel itself, from KERNEL or the
# user's KDIR, not from the KDIR the selector sets.
sel=$(kernel_select dir >&2 && printf '%s\n%s\n' "$KDIR" "$KC_SAMPLES")
kdir=${sel%%$'\n'*}
samples=${sel#*$'\n'}
btf_modules=()
if ! grep -qs '/livepatch-shadow-mod\.o$' "$kdir/modules.order"; then
	btf_modules=(--btf-module "livepatch_shadow_mod=$samples/livepatch-shadow-mod.ko")
fi
out=$top/out/signatures
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/rust-livepatch-signatures.XXXXXX")
trap 'rm -rf "$work"' EXIT

cases=("$top"/tests/modules/rust_lp_sig_*.rs)
failed=0
for src in "${cases[@]}"; do
	name=$(basename "$src" .rs)
	dir=$work/$name
	mkdir -p "$dir"
	cp "$src" "$dir/"
	printf 'obj-m += %s.o\n\ninclude $(RUST_LIVEPATCH)/rust/livepatch/Kbuild.livepatch\n' "$name" >"$dir/Kbuild"
	rc=0
	"$klp" build ${btf_modules[@]+"${btf_modules[@]}"} "$dir" >"$out/$name.stdout" 2>"$out/$name.log" || rc=$?
	bad=
	[ "$rc" = 1 ] || bad="exit $rc, not 1"
	[ ! -s "$out/$name.stdout" ] || bad="${bad:+$bad; }it printed a module: $(cat "$out/$name.stdout")"
	[ ! -e "$dir/$name.ko" ] || bad="${bad:+$bad; }$name.ko was left"
	grep -qF "klp: error: refusing $dir/$name.ko (removed): its replacements' signatures do not match the kernel's BTF:" "$out/$name.log" ||
		bad="${bad:+$bad; }no refusal line"
	# BTF names C's integers as the compiler did: the EXPECT lines spell
	# them as clang does (GCC's `long unsigned int` is `unsigned long`).
	said=$(sed 's/`long unsigned int`/`unsigned long`/g' "$out/$name.log")
	while IFS= read -r want; do
		grep -qF -- "$want" <<<"$said" || bad="${bad:+$bad; }no '$want'"
	done < <(sed -n 's,^// EXPECT: ,,p' "$src")
	if [ -n "$bad" ]; then
		log "FAIL $name: $bad (log: $out/$name.log)"
		grep -E 'signature|error' "$out/$name.log" | head -n 10 >&2 || true
		failed=$((failed + 1))
	else
		log "ok   $name"
	fi
done
[ "$failed" = 0 ] || die "$failed of ${#cases[@]} wrong-signature patches were not refused by klp build as expected"
log "signatures: klp build refused ${#cases[@]} wrong-signature patches with their messages"
