#!/usr/bin/env bash
# Host half of `make check`: unit, expansion and compile-fail (UI) tests of
# the host workspace.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
top=$(dirname "$here")
log "host tests: cargo test --workspace"
cargo test --locked --workspace --manifest-path "$top/Cargo.toml"
