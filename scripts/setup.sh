#!/usr/bin/env bash
# Install everything rust-livepatch needs on a Debian 12 (bookworm) host.
# Idempotent: re-running only does what is missing.
#
#   setup.sh               check every package, install what is missing
#   setup.sh --if-needed   the same, unless the last run of this very script
#                          finished and every tool it installs is still there
#                          (no apt, no dpkg: what `make` runs before each build)
#
# Extra apt suites (sid for linux-source-7.2, bookworm-backports for QEMU)
# reuse the mirror already configured on this machine and are pinned low so
# nothing else gets upgraded from them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# apt_suites NAME WHY PIN...: add suites of the configured mirror to apt,
# once: each PIN is apt_preferences' release selector and a priority,
# "n=CODENAME:PRIORITY" or "a=ARCHIVE:PRIORITY"; the suites go to
# sources.list.d/NAME.sources, their pins to preferences.d/NAME.pref.
apt_suites() {
	local name=$1 why=$2 uri pin suites=()
	shift 2
	local list=/etc/apt/sources.list.d/$name.sources
	local pref=/etc/apt/preferences.d/$name.pref
	[ -f "$list" ] && [ -f "$pref" ] && return 0
	for pin; do
		pin=${pin%:*}
		suites+=("${pin#*=}")
	done
	uri=$(debian_mirror) || die "no Debian mirror configured in /etc/apt: cannot add ${suites[*]}"
	log "adding suites ${suites[*]} from the configured mirror ($why)"
	$SUDO tee "$list" >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: ${suites[*]}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	for pin; do
		printf 'Package: *\nPin: release %s\nPin-Priority: %s\n\n' "${pin%:*}" "${pin##*:}"
	done | $SUDO tee "$pref" >/dev/null
	$SUDO apt-get update -qq
}

have_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "${p%%/*}" 2>/dev/null | grep -q 'install ok installed' || return 1
	done
}

# apt_install [-t SUITE] PKG...: install what is missing (from SUITE if given).
apt_install() {
	local target=()
	if [ "$1" = -t ]; then target=(-t "$2"); shift 2; fi
	have_pkgs "$@" && return 0
	log "apt-get install ${target[*]} $*"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		"${target[@]}" "$@" >/dev/null
}

# linux-source-$KVER lives in sid, whose dependencies (a newer libc) must not
# be installed here: fetch the package alone and unpack its tarball into the
# cache. $KSRC_TARBALL and $KSRC_VERSION_FILE are defined in common.sh.
kernel_source() {
	[ -s "$KSRC_TARBALL" ] && [ -s "$KSRC_VERSION_FILE" ] && return 0
	local tmp
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt downloads as user _apt
	log "fetching linux-source-$KVER (sources only, no dependencies)"
	(cd "$tmp" && apt-get download -qq "linux-source-$KVER/sid" >/dev/null) ||
		die "apt-get download linux-source-$KVER/sid failed"
	mkdir -p "$(dirname "$KSRC_TARBALL")"
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb |
		tar -xO "./usr/src/linux-source-$KVER.tar.xz" >"$KSRC_TARBALL.tmp"
	dpkg-deb -f "$tmp"/linux-source-*.deb Version >"$KSRC_VERSION_FILE"
	mv "$KSRC_TARBALL.tmp" "$KSRC_TARBALL"
	rm -rf "$tmp"
}

# What setup installs, as the commands and files the project uses: checked by
# --if-needed, which then trusts the stamp of the last complete run.
ready() {
	local cmd
	for cmd in make gcc bc bison flex cpio xz python3 gzip rsync debootstrap kmod \
		"clang-$LLVM_VERSION" "ld.lld-$LLVM_VERSION" "llvm-nm-$LLVM_VERSION" qemu-system-x86_64; do
		command -v "$cmd" >/dev/null || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ] || return 1
	done
	[ -x "$TOOLCHAIN_RUSTC" ] && [ -x "$TOOLCHAIN_RUSTDOC" ] && [ -x "$TOOLCHAIN_CARGO" ] &&
		[ -x "$TOOLCHAIN_BINDGEN" ] && [ -x /bin/busybox ] &&
		[ -e "$LIBCLANG_PATH/libclang.so" ] && [ -s "$KSRC_TARBALL" ] && [ -s "$KSRC_VERSION_FILE" ]
}

# The stamp of a complete run: one file per version of this script and of the
# settings it reads (checkouts of different versions share the cache).
stamp_file=$CACHE/setup-done.$(cat "$0" "$here/lib/common.sh" "$here/lib/kernel.sh" | sha256sum | cut -c1-16)

main() {
	if [ "${1:-}" = --if-needed ] && [ -f "$stamp_file" ] && ready; then
		return 0
	fi
	apt_suites rust-livepatch "pinned low" n=sid:50 n=bookworm-backports:100
	# experimental, for the rust-fentry kernel's rustc (scripts/lib/rust-fentry.sh):
	# only its build root installs from it; here apt only reads its lists, so
	# that the root's versions are known. Pinned at 1: never installed from.
	apt_suites rust-livepatch-experimental "pinned at 1, for the rust-fentry build root" a=experimental:1
	# Host build tools for the kernel, and the Rust toolchain the kernel uses
	# (Debian's rustc-web ships rust-src, which the rustup toolchain lacks).
	apt_install build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils \
		python3 rustc-web rust-web-src cargo-web \
		"clang-$LLVM_VERSION" "lld-$LLVM_VERSION" "llvm-$LLVM_VERSION" "libclang-$LLVM_VERSION-dev" \
		kmod busybox-static gzip debootstrap rsync dwarves openssl
	apt_install -t bookworm-backports qemu-system-x86
	kernel_source
	# bindgen >= 0.71.1 (kernel 7.2's minimum), pinned, into the cache.
	if [ ! -x "$TOOLCHAIN_BINDGEN" ]; then
		log "cargo install bindgen-cli $BINDGEN_VERSION"
		LIBCLANG_PATH=$LIBCLANG_PATH cargo install --quiet --locked \
			--root "$(dirname "$(dirname "$TOOLCHAIN_BINDGEN")")" "bindgen-cli@$BINDGEN_VERSION"
	fi
	ready || die "setup finished but a tool is still missing (see ready() in $0)"
	mkdir -p "$CACHE"
	touch "$stamp_file"
	log "toolchain ready: $("$TOOLCHAIN_RUSTC" --version), bindgen $("$TOOLCHAIN_BINDGEN" --version | awk '{print $2}')"
}
main "$@"
