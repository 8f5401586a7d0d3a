#!/usr/bin/env bash
# Host half of `make check`: unit, expansion and compile-fail (UI) tests of
# the host workspace, and the tests of the harness's own verdicts
# (scripts/tests: every defect of a guest run must fail it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")
log "host tests: cargo test --workspace"
cargo test --locked --workspace --manifest-path "$top/Cargo.toml"
log "harness tests: python3 -m unittest (scripts/tests)"
python3 -m unittest discover -s "$top/scripts/tests" -t "$top/scripts/tests"
