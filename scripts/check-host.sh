#!/usr/bin/env bash
# Host half of `make check`: the format of every Rust file (the kernel's
# .rustfmt.toml), unit, expansion and compile-fail (UI) tests of the host
# workspace, and the tests of the harness's own verdicts (scripts/tests: every
# defect of a guest run must fail it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")
log "format: rustfmt --check (kernel .rustfmt.toml) on every tracked .rs file"
mapfile -t rs < <(git -C "$top" ls-files '*.rs')
(cd "$top" && rustfmt --check --config-path .rustfmt.toml "${rs[@]}") ||
	die "rustfmt finds diffs (above): run rustfmt --config-path .rustfmt.toml on those files"
log "host tests: cargo test --workspace"
cargo test --locked --workspace --manifest-path "$top/Cargo.toml"
log "harness tests: python3 -m unittest (scripts/tests)"
python3 -m unittest discover -s "$top/scripts/tests" -t "$top/scripts/tests"
