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
	"$klp" build "$dir" >"$out/$name.stdout" 2>"$out/$name.log" || rc=$?
	bad=
	[ "$rc" = 1 ] || bad="exit $rc, not 1"
	[ ! -s "$out/$name.stdout" ] || bad="${bad:+$bad; }it printed a module: $(cat "$out/$name.stdout")"
	[ ! -e "$dir/$name.ko" ] || bad="${bad:+$bad; }$name.ko was left"
	grep -qF "klp: error: refusing $dir/$name.ko (removed): its replacements' signatures do not match the kernel's BTF:" "$out/$name.log" ||
		bad="${bad:+$bad; }no refusal line"
	while IFS= read -r want; do
		grep -qF -- "$want" "$out/$name.log" || bad="${bad:+$bad; }no '$want'"
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
