#!/usr/bin/env bash
# Modules that must not build (tests/build-fail/*.rs): each is built alone
# against KDIR and must fail with the messages its `// EXPECT:` lines give.
# They cover what the macros' host tests cannot: types against the kernel's
# bindings, constants evaluated by the kernel's crates, `unsafe` contracts.
#
# A case that builds, or fails with another message, fails this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")

cases=("$top"/tests/build-fail/${BUILD_FAIL_CASES:-*}.rs)
out=$top/out/build-fail
rm -rf "$out"
mkdir -p "$out"
failed=0
for src in "${cases[@]}"; do
	name=$(basename "$src" .rs)
	dir=$out/$name
	mkdir -p "$dir"
	cp "$src" "$top/tests/build-fail/Kbuild" "$dir/"
	if "$here/build.sh" --dir "$dir" BUILD_FAIL_CASE="$name" >"$dir/build.log" 2>&1; then
		log "FAIL $name: it built"
		failed=$((failed + 1))
		continue
	fi
	missing=0
	while IFS= read -r want; do
		grep -qF -- "$want" "$dir/build.log" || { log "FAIL $name: no '$want' in the build output"; missing=1; }
	done < <(sed -n 's,^// EXPECT: ,,p' "$src")
	if [ "$missing" = 0 ]; then
		log "ok   $name"
	else
		sed 's/^/    /' "$dir/build.log" | grep -E 'error|expected|found' | head -n 20 >&2
		failed=$((failed + 1))
	fi
done
[ "$failed" = 0 ] || die "$failed of ${#cases[@]} build-fail cases did not fail as expected (logs in $out)"
log "build-fail: ${#cases[@]} cases refused as expected"
