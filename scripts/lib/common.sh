# Shared settings for rust-livepatch scripts. Source it; do not run it.
# shellcheck shell=bash

# Kernel version line of the test kernel (Debian package linux-source-$KVER).
KVER=${KVER:-7.2}
# Cache outside the checkout: toolchain bits, kernel trees, guest images.
CACHE=${RUST_LIVEPATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-livepatch}
BINDGEN_VERSION=0.72.1
BINDGEN=$CACHE/tools/bin/bindgen
LIBCLANG_PATH=/usr/lib/llvm-19/lib
export LIBCLANG_PATH

# The toolchain every kernel and module build uses.
KMAKE_ARGS=(LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc "BINDGEN=$BINDGEN")

log() { printf '[rust-livepatch] %s\n' "$*" >&2; }
die() { printf '[rust-livepatch] error: %s\n' "$*" >&2; exit 1; }

# Debian's linux-source-$KVER tarball, kept in the cache (see setup.sh).
KSRC_TARBALL=$CACHE/src/linux-source-$KVER.tar.xz
KSRC_VERSION_FILE=$CACHE/src/linux-source-$KVER.version
