# Shared settings for rust-livepatch scripts. Source it; do not run it.
# shellcheck shell=bash

# The checkout.
RL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Kernel version line of the test kernel (Debian package linux-source-$KVER).
KVER=${KVER:-7.2}
# Cache outside the checkout: toolchain bits, kernel trees, guest images.
CACHE=${RUST_LIVEPATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-livepatch}
log() { printf '[rust-livepatch] %s\n' "$*" >&2; }
die() { printf '[rust-livepatch] error: %s\n' "$*" >&2; exit 1; }

# build_lock: hold $CACHE/build.lock until the calling process exits. Every
# kernel build (and any other job that takes both cores for minutes) takes it,
# so that two never run at once; a second caller waits.
build_lock() {
	local fd
	mkdir -p "$CACHE"
	exec {fd}>>"$CACHE/build.lock"
	if ! flock -n "$fd"; then
		log "another kernel build is running: waiting for it (lock $CACHE/build.lock)"
		flock "$fd"
	fi
}

# klp_release: print the klp command that make builds (target/release/klp),
# or fail with what to run.
klp_release() {
	local klp=$RL_TOP/target/release/klp
	[ -x "$klp" ] || die "$klp not built: run make"
	printf '%s\n' "$klp"
}

# Debian's linux-source-$KVER tarball, kept in the cache (see setup.sh).
KSRC_TARBALL=$CACHE/src/linux-source-$KVER.tar.xz
KSRC_VERSION_FILE=$CACHE/src/linux-source-$KVER.version

# check_kdir DIR: fail with a clear message unless DIR is a kernel build tree
# that can build Rust livepatch modules.
check_kdir() {
	local kdir=$1 opt
	[ -f "$kdir/.config" ] || die "KDIR=$kdir is not a configured kernel build tree (no .config)"
	for opt in CONFIG_RUST CONFIG_LIVEPATCH CONFIG_MODULES; do
		grep -qx "$opt=y" "$kdir/.config" || die "KDIR=$kdir: $opt is not enabled; Rust livepatches need CONFIG_RUST=y, CONFIG_LIVEPATCH=y and CONFIG_MODULES=y"
	done
	[ -f "$kdir/rust/libkernel.rmeta" ] ||
		die "KDIR=$kdir has no Rust metadata (rust/libkernel.rmeta): build the kernel first (make vmlinux modules)"
	[ -f "$kdir/Module.symvers" ] ||
		die "KDIR=$kdir has no Module.symvers: build the kernel first (make vmlinux modules)"
}

# debian_mirror: print the first Debian mirror URI configured in /etc/apt
# (deb822 .sources or one-line .list format; security mirrors skipped), or
# fail. Nothing in the checkout names a mirror host: the machine's choice is
# reused everywhere (apt suites in setup.sh, debootstrap in rootfs.sh).
debian_mirror() {
	local uri
	uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)
	if [ -z "$uri" ]; then
		uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)
	fi
	[ -n "$uri" ] || die "no Debian mirror configured in /etc/apt"
	printf '%s\n' "$uri"
}

# The kernel tree and its toolchain (KDIR, KERNEL=...): lib/kernel.sh.
# shellcheck source=kernel.sh
. "$RL_TOP/scripts/lib/kernel.sh"
