# Debian's own Rust-enabled kernel: its packages, a sid build environment
# with the toolchain Debian built it with, and a KDIR for out-of-tree Rust
# modules. Source it after common.sh; do not run it. scripts/debian.sh is the
# command-line entry point.
# shellcheck shell=bash
#
# Everything lives in $CACHE/debian/ and is keyed by Debian package versions:
#   chroot/<key>/root         sid root with gcc-16, rustc, bindgen, pahole...
#                             (key: the sid versions of those packages)
#   kernel/<release>_<pkgver>/debs   the kernel's .deb files (apt-get download)
#   kernel/<release>_<pkgver>/root   those packages unpacked (dpkg-deb -x)
#   kernel/<release>_<pkgver>/kdir-<key>  the KDIR: linux-source configured with
#                             Debian's .config, modules_prepare'd (rust/ too)
#
# DEBIAN_KERNEL selects the kernel by ABI name (7.2.13+deb14); by default the
# one sid's linux-image-$DEBIAN_FLAVOUR meta package points to. Nothing here
# names a version: a new upload (7.2.14) needs no change.

DEBIAN_SUITE=${DEBIAN_SUITE:-sid}
DEBIAN_FLAVOUR=${DEBIAN_FLAVOUR:-amd64}
DEBIAN_CACHE=$CACHE/debian

# The build environment. Changing the list (or DEBIAN_CHROOT_FORMAT, for a
# change in how the root is made) gives a new chroot key.
DEBIAN_CHROOT_FORMAT=1
DEBIAN_CHROOT_PACKAGES=(
	gcc-16 gcc make bc bison flex kmod cpio xz-utils zstd python3 perl
	libelf-dev libssl-dev zlib1g-dev openssl ca-certificates
	rustc rust-src cargo rustfmt bindgen libclang-dev pahole
)
# The packages whose versions must be the ones the kernel was built with
# (checked against its .config by debian_check_toolchain).
DEBIAN_TOOLCHAIN_PACKAGES=(gcc-16 rustc rust-src cargo bindgen pahole binutils)

# debian_resolve: set DEBIAN_ABI (7.2.13+deb14), DEBIAN_PKGVER (7.2.13-1) and
# DEBIAN_TOOLCHAIN_VERSIONS ("pkg version" lines) from the host's apt lists
# (setup.sh adds the suite). apt-cache takes seconds per call: the answer is
# computed once per process and remembered in $DEBIAN_CACHE/resolved/ until
# apt's lists or the selection change.
debian_resolve() {
	[ -n "${DEBIAN_PKGVER:-}" ] && return 0
	local stamp memo tmp abi pkgver
	stamp=$({
		echo "$DEBIAN_SUITE $DEBIAN_FLAVOUR ${DEBIAN_KERNEL:-} ${DEBIAN_TOOLCHAIN_PACKAGES[*]}"
		ls -l --time-style=+%s /var/lib/apt/lists/ | grep '_Packages' || true
	} | sha256sum | cut -c1-16)
	memo=$DEBIAN_CACHE/resolved/$stamp
	if [ ! -s "$memo" ]; then
		abi=${DEBIAN_KERNEL:-}
		if [ -z "$abi" ]; then
			abi=$(apt-cache show "linux-image-$DEBIAN_FLAVOUR/$DEBIAN_SUITE" 2>/dev/null |
				sed -n "s/^Depends:.*linux-image-\([^ ,]*\)-$DEBIAN_FLAVOUR\b.*/\1/p" | head -n1 || true)
			[ -n "$abi" ] || die "cannot find linux-image-$DEBIAN_FLAVOUR in $DEBIAN_SUITE (run scripts/setup.sh and apt-get update, or set DEBIAN_KERNEL=<abi>, e.g. 7.2.13+deb14)"
		fi
		pkgver=$(apt-cache show "linux-binary-$abi-$DEBIAN_FLAVOUR/$DEBIAN_SUITE" 2>/dev/null |
			sed -n 's/^Version: //p' | head -n1 || true)
		[ -n "$pkgver" ] || die "no package linux-binary-$abi-$DEBIAN_FLAVOUR in $DEBIAN_SUITE (DEBIAN_KERNEL=$abi)"
		mkdir -p "$DEBIAN_CACHE/resolved"
		tmp=$memo.$$
		{
			printf 'DEBIAN_ABI=%q\nDEBIAN_PKGVER=%q\n' "$abi" "$pkgver"
			printf 'DEBIAN_TOOLCHAIN_VERSIONS=%q\n' "$(apt-cache show "${DEBIAN_TOOLCHAIN_PACKAGES[@]/%//$DEBIAN_SUITE}" 2>/dev/null |
				awk '/^Package: /{p=$2} /^Version: /{print p, $2}' | sort -u || true)"
		} >"$tmp"
		mv "$tmp" "$memo"
	fi
	# shellcheck disable=SC1090
	. "$memo"
}

# debian_abi: the kernel's ABI name, e.g. 7.2.13+deb14.
debian_abi() { debian_resolve && echo "$DEBIAN_ABI"; }

# debian_release: uname -r of the kernel, e.g. 7.2.13+deb14-amd64.
debian_release() { debian_resolve && echo "$DEBIAN_ABI-$DEBIAN_FLAVOUR"; }

# debian_pkgver: the Debian version of its packages, e.g. 7.2.13-1.
debian_pkgver() { debian_resolve && echo "$DEBIAN_PKGVER"; }

# debian_kernel_packages: the binary packages of the kernel release.
debian_kernel_packages() {
	local rel abi
	rel=$(debian_release)
	abi=$(debian_abi)
	echo "linux-binary-$rel linux-base-$rel linux-modules-$rel linux-headers-$rel linux-headers-$abi-common linux-kbuild-$abi"
}

# debian_kernel_dir: $DEBIAN_CACHE/kernel/<release>_<pkgver> (not created).
debian_kernel_dir() { echo "$DEBIAN_CACHE/kernel/$(debian_release)_$(debian_pkgver)"; }

# ---------------------------------------------------------------------------
# The sid build environment

# debian_chroot_key: hash of the package list and the sid versions of the
# toolchain packages (so a new rustc in sid gives a new root).
debian_chroot_key() {
	debian_resolve
	printf '%s\n' "$DEBIAN_SUITE $DEBIAN_CHROOT_FORMAT ${DEBIAN_CHROOT_PACKAGES[*]}" "$DEBIAN_TOOLCHAIN_VERSIONS" |
		sha256sum | cut -c1-12
}

# debian_chroot_dir: the chroot directory for the current key (not created).
debian_chroot_dir() { echo "$DEBIAN_CACHE/chroot/$DEBIAN_SUITE-$(debian_chroot_key)"; }

# debian_chroot: make the sid root if needed (debootstrap minbase from the
# configured mirror, then apt-get install the build packages); print its
# path. The mirror line is removed from the root afterwards, with apt's lists
# and caches.
debian_chroot() { debian_make_root "$(debian_chroot_dir)" "${DEBIAN_CHROOT_PACKAGES[@]}"; }

# debian_make_root DIR PKG...: make a $DEBIAN_SUITE build root in DIR/root if
# DIR/.ready is missing (debootstrap minbase from the configured mirror, then
# apt-get install PKG...); print DIR/root. A PKG written name/SUITE comes
# from another suite of the mirror (experimental): that suite is added to the
# root's sources for the install, and apt takes the dependencies it needs
# from it too. DIR/packages lists what the root holds; the mirror line,
# apt's lists and caches, docs and man pages are removed afterwards.
debian_make_root() {
	local dir=$1 root t0 mirror v p suites=()
	shift
	root=$dir/root
	if [ -f "$dir/.ready" ]; then
		echo "$root"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "making the $DEBIAN_SUITE build root needs root (debootstrap, chroot)"
	command -v debootstrap >/dev/null || die "debootstrap missing: run scripts/setup.sh"
	mkdir -p "$(dirname "$dir")"
	local lockfd
	exec {lockfd}>>"$(dirname "$dir")/.lock"
	flock "$lockfd"
	if [ -f "$dir/.ready" ]; then
		exec {lockfd}>&-
		echo "$root"
		return 0
	fi
	t0=$SECONDS
	mirror=$(debian_mirror)
	# Resumable: a failed apt step does not redo the debootstrap.
	if [ ! -f "$dir/.debootstrapped" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		log "debootstrap $DEBIAN_SUITE (minbase) into $root"
		if ! debootstrap --variant=minbase "$DEBIAN_SUITE" "$root" "$mirror" >"$dir/debootstrap.log" 2>&1; then
			tail -n 30 "$dir/debootstrap.log" >&2
			die "debootstrap $DEBIAN_SUITE failed (log: $dir/debootstrap.log)"
		fi
		touch "$dir/.debootstrapped"
	fi
	# debootstrap wrote the mirror into the root's sources.list; apt needs
	# it once more (with the other suites asked for), then it goes. The
	# host's apt policy on Release dates (some mirrors serve expired Release
	# files) applies inside too.
	for p in "$@"; do
		case "$p" in */*) suites+=("${p#*/}") ;; esac
	done
	if [ ${#suites[@]} -gt 0 ]; then
		printf 'deb %s %s main\n' "$mirror" "$DEBIAN_SUITE" >"$root/etc/apt/sources.list"
		printf '%s\n' "${suites[@]}" | sort -u | while read -r v; do
			printf 'deb %s %s main\n' "$mirror" "$v"
		done >>"$root/etc/apt/sources.list"
	fi
	local aptopts=() o
	for o in Acquire::Check-Valid-Until Acquire::Check-Date; do
		v=$(apt-config dump "$o" --format '%v%n' | head -n1)
		[ -n "$v" ] && aptopts+=(-o "$o=$v")
	done
	log "installing the build packages in the $DEBIAN_SUITE root: $*"
	if ! debian_in_chroot "$root" sh -ec '
		n=$1; shift
		opts=""
		while [ "$n" -gt 0 ]; do opts="$opts $1"; shift; n=$((n - 1)); done
		apt-get $opts update -qq
		DEBIAN_FRONTEND=noninteractive apt-get $opts install -y -qq --no-install-recommends "$@"
		apt-get clean' sh "${#aptopts[@]}" "${aptopts[@]}" "$@" >"$dir/apt.log" 2>&1; then
		tail -n 30 "$dir/apt.log" >&2
		die "installing the build packages in $root failed (log: $dir/apt.log)"
	fi
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/etc/apt/sources.list \
		"$root"/etc/apt/sources.list.d/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
	debian_in_chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$dir/packages"
	touch "$dir/.ready"
	log "$DEBIAN_SUITE build root ready in $((SECONDS - t0)) s: $(du -sh "$root" | cut -f1) ($root)"
	exec {lockfd}>&-
	echo "$root"
}

# debian_in_chroot ROOT CMD...: run CMD as root inside ROOT, in a private
# mount namespace: /proc, /dev (bind), a tmpfs on /tmp, the host's
# /etc/ssl/certs (cargo downloads crates with the host's trust) and the directories
# listed in DEBIAN_BINDS (bind-mounted at the same path, so paths are the
# same inside and out; an entry HOSTDIR=DIR mounts HOSTDIR at DIR) vanish with the namespace when CMD ends, however it
# ends: nothing is left mounted on the host. The environment is reset to
# PATH, HOME, LANG and the variables named in DEBIAN_PASS_ENV. The working
# directory is kept when it is one of the bound directories (or below).
debian_in_chroot() {
	local root=$1 v
	shift
	local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)
	for v in ${DEBIAN_PASS_ENV:-}; do
		[ -n "${!v+x}" ] && envs+=("$v=${!v}")
	done
	unshare --mount --propagation private -- bash -euc '
		root=$1 binds=$2 cwd=$3 nenv=$4
		shift 4
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mount -t tmpfs tmpfs "$root/tmp"
		dir=/
		for b in $binds; do
			d=${b#*=}
			mkdir -p "$root$d"
			mount --bind "${b%%=*}" "$root$d"
			[ "$d" = "$b" ] && case "$cwd/" in "$d"/*) dir=$cwd ;; esac
		done
		# The host'"'"'s name resolution and TLS trust (cargo fetches crates).
		cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		if [ -d /etc/ssl/certs ] && [ -d "$root/etc/ssl/certs" ]; then
			mount --bind /etc/ssl/certs "$root/etc/ssl/certs"
		fi
		envs=("${@:1:$nenv}")
		shift "$nenv"
		exec chroot "$root" /usr/bin/env -i "${envs[@]}" sh -c "cd \"\$0\" && exec \"\$@\"" "$dir" "$@"
	' bash "$root" "${DEBIAN_BINDS:-}" "$PWD" "${#envs[@]}" "${envs[@]}" "$@"
}

# ---------------------------------------------------------------------------
# The kernel's packages

# debian_fetch: download the kernel's packages from $DEBIAN_SUITE (no
# install: apt-get download) and unpack them into <dir>/root; print <dir>.
# <dir>/versions lists the packages and versions.
debian_fetch() {
	local dir pkgver p tmp t0
	dir=$(debian_kernel_dir)
	if [ -f "$dir/.fetched" ]; then
		echo "$dir"
		return 0
	fi
	pkgver=$(debian_pkgver)
	t0=$SECONDS
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/debs.XXXXXX")
	chmod 755 "$tmp" # apt downloads as user _apt
	log "fetching Debian's kernel $(debian_release) $pkgver: $(debian_kernel_packages)"
	for p in $(debian_kernel_packages); do
		(cd "$tmp" && apt-get download -qq "$p=$pkgver" 2>&1 | grep -v 'Download is performed unsandboxed' >&2) || true
		compgen -G "$tmp/${p}_*.deb" >/dev/null || die "apt-get download $p=$pkgver failed"
	done
	rm -rf "$dir/debs" "$dir/root"
	mv "$tmp" "$dir/debs"
	mkdir -p "$dir/root"
	for p in "$dir"/debs/*.deb; do
		dpkg-deb -x "$p" "$dir/root"
		dpkg-deb -f "$p" Package Version | paste -sd' ' | sed 's/^Package: \(.*\) Version: /\1 /'
	done >"$dir/versions"
	touch "$dir/.fetched"
	log "fetched and unpacked in $((SECONDS - t0)) s: $(du -sh "$dir/debs" | cut -f1) of packages, $(du -sh "$dir/root" | cut -f1) unpacked"
	echo "$dir"
}

# debian_headers: the linux-headers directory of the unpacked packages (the
# one /lib/modules/<release>/build points to).
debian_headers() { echo "$(debian_kernel_dir)/root/usr/src/linux-headers-$(debian_release)"; }

# debian_modules_dir: /usr/lib/modules/<release> of the unpacked packages.
debian_modules_dir() { echo "$(debian_kernel_dir)/root/usr/lib/modules/$(debian_release)"; }

# debian_source: print the directory of linux-source-<major.minor> at exactly
# the kernel's package version: the tree setup.sh unpacked in $CACHE/src when
# its version matches, else that version fetched into the kernel's directory.
debian_source() {
	local abi series pkgver dir tmp
	abi=$(debian_abi)
	series=$(echo "$abi" | cut -d. -f1,2)
	pkgver=$(debian_pkgver)
	if [ "$(cat "$CACHE/src/linux-source-$series.version" 2>/dev/null)" = "$pkgver" ] &&
		[ -f "$CACHE/src/linux-source-$series/.unpacked-$pkgver" ]; then
		echo "$CACHE/src/linux-source-$series"
		return 0
	fi
	dir=$(debian_kernel_dir)/src
	if [ ! -f "$dir/.unpacked-$pkgver" ]; then
		log "fetching linux-source-$series $pkgver (the cached source is another version)"
		rm -rf "$dir"
		mkdir -p "$dir"
		tmp=$(mktemp -d)
		chmod 755 "$tmp"
		(cd "$tmp" && apt-get download -qq "linux-source-$series=$pkgver" 2>&1 |
			grep -v 'Download is performed unsandboxed' >&2) || true
		compgen -G "$tmp/linux-source-*.deb" >/dev/null || die "apt-get download linux-source-$series=$pkgver failed"
		dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb |
			tar -xO "./usr/src/linux-source-$series.tar.xz" | tar -xJ -C "$dir" --strip-components=1
		rm -rf "$tmp"
		touch "$dir/.unpacked-$pkgver"
	fi
	echo "$dir"
}

# ---------------------------------------------------------------------------
# The KDIR

# debian_chroot_run CMD...: run CMD in the sid root with the checkout
# ($RL_TOP), the kernel source, $DEBIAN_CACHE/kernel, the cargo home
# $DEBIAN_CACHE/cargo (CARGO_HOME) and the directories of DEBIAN_EXTRA_BINDS
# mounted at their own paths, and Debian's headers package (once fetched) at
# /usr/src/linux-headers-<release> as if installed.
debian_chroot_run() {
	local root src binds pkgroot rel abi
	root=$(debian_chroot)
	src=$(debian_source)
	mkdir -p "$DEBIAN_CACHE/kernel" "$DEBIAN_CACHE/cargo"
	binds="$RL_TOP $src $DEBIAN_CACHE/kernel $DEBIAN_CACHE/cargo ${DEBIAN_EXTRA_BINDS:-}"
	# Debian's headers where the package installs them (their Makefile
	# names /usr/src/linux-headers-*-common and /usr/lib/linux-kbuild-*).
	pkgroot=$(debian_kernel_dir)/root
	if [ -f "$(debian_kernel_dir)/.fetched" ]; then
		rel=$(debian_release)
		abi=$(debian_abi)
		binds="$binds $pkgroot/usr/src/linux-headers-$rel=/usr/src/linux-headers-$rel"
		binds="$binds $pkgroot/usr/src/linux-headers-$abi-common=/usr/src/linux-headers-$abi-common"
		binds="$binds $pkgroot/usr/lib/linux-kbuild-$abi=/usr/lib/linux-kbuild-$abi"
	fi
	CARGO_HOME=$DEBIAN_CACHE/cargo DEBIAN_PASS_ENV="${DEBIAN_PASS_ENV:-} CARGO_HOME" \
		DEBIAN_BINDS=$binds debian_in_chroot "$root" "$@"
}

# debian_check_toolchain: fail unless the sid root's gcc-16, rustc, bindgen
# and pahole are the ones the kernel's .config records (a proc macro or a
# crate's symbol hashes only match with the very same rustc).
debian_check_toolchain() {
	local cfg want have o
	cfg=$(debian_headers)/.config
	[ -f "$cfg" ] || die "no $cfg: run scripts/debian.sh fetch"
	# shellcheck disable=SC2016
	have=$(debian_chroot_run sh -c '
		echo "CC_VERSION_TEXT=\"$(x86_64-linux-gnu-gcc-16 --version | head -n1)\""
		echo "RUSTC_VERSION_TEXT=\"$(rustc --version)\""
		echo "BINDGEN_VERSION_TEXT=\"$(bindgen --version)\""
		echo "PAHOLE_VERSION=$(pahole --version | tr -d v. | sed "s/^0*//")"')
	for o in CC_VERSION_TEXT RUSTC_VERSION_TEXT BINDGEN_VERSION_TEXT PAHOLE_VERSION; do
		want=$(grep "^CONFIG_$o=" "$cfg" | sed 's/^CONFIG_//')
		echo "$have" | grep -qxF -- "$want" ||
			die "the $DEBIAN_SUITE root has $(echo "$have" | grep "^$o=") but $(debian_release) was built with $want: $DEBIAN_SUITE moved on; pin the packages or pick the kernel sid has now (DEBIAN_KERNEL)"
	done
}

# debian_kdir_dir: the KDIR for the current kernel and sid root (not created).
debian_kdir_dir() {
	echo "$(debian_kernel_dir)/kdir-$(basename "$(debian_chroot_dir)" | sed "s/^$DEBIAN_SUITE-//")"
}

# debian_verify_kdir KDIR: every file of Debian's headers package under
# include/ and arch/ (generated headers, asm offsets, autoconf.h, the module
# linker script...) must be identical in KDIR, but for the build stamps
# (compiler user/host, package id, UTS version). Prints a one-line summary.
debian_verify_kdir() {
	local kdir=$1 headers f n=0 bad=0 theirs
	headers=$(debian_headers)
	while IFS= read -r f; do
		case "$f" in
		include/generated/compile.h | include/generated/package.h | include/generated/utsversion.h) continue ;;
		arch/x86/module.lds) theirs=$kdir/scripts/module.lds ;; # the package moves it
		*) theirs=$kdir/$f ;;
		esac
		n=$((n + 1))
		if ! cmp -s "$headers/$f" "$theirs"; then
			log "KDIR differs from Debian's headers: $f"
			bad=$((bad + 1))
		fi
	done < <(cd "$headers" && find include arch -type f | LC_ALL=C sort)
	[ "$bad" = 0 ] || die "$bad of $n files of Debian's headers differ in $kdir"
	cmp -s "$headers/.config" "$kdir/.config" || die "$kdir/.config is not Debian's"
	log "KDIR matches Debian's headers package: .config and $n files of include/ and arch/ identical"
}

# debian_kdir: build the KDIR if needed; print it. It is linux-source at the
# kernel's package version, configured out of tree with Debian's .config and
# .kernelvariables (CC=gcc-16, KERNELRELEASE), `make modules_prepare` run in
# the sid root (which builds rust/: core, kernel, macros, bindings...), then
# Debian's Module.symvers and its BTF-only vmlinux (the base of module BTF)
# copied in. Fails if olddefconfig changes any option of Debian's .config.
debian_kdir() {
	local kdir headers src
	kdir=$(debian_kdir_dir)
	if [ -f "$kdir/.rust-livepatch-built" ]; then
		echo "$kdir"
		return 0
	fi
	debian_fetch >/dev/null
	debian_chroot >/dev/null
	headers=$(debian_headers)
	src=$(debian_source)
	debian_check_toolchain
	(
		# One kernel build at a time on the machine.
		build_lock
		[ -f "$kdir/.rust-livepatch-built" ] && exit 0
		local t0=$SECONDS
		rm -rf "$kdir"
		mkdir -p "$kdir"
		cp "$headers/.config" "$headers/.kernelvariables" "$kdir/"
		log "configuring $src for Debian's $(debian_release) in $kdir"
		debian_chroot_run make -s -C "$src" O="$kdir" olddefconfig >/dev/null
		if ! diff -u <(grep -v '^# Linux/' "$headers/.config") <(grep -v '^# Linux/' "$kdir/.config") >"$kdir/config.diff"; then
			cat "$kdir/config.diff" >&2
			die "olddefconfig in the $DEBIAN_SUITE root changed Debian's .config (above): the toolchain differs from Debian's"
		fi
		rm -f "$kdir/config.diff"
		log "make modules_prepare (with rust/) in the $DEBIAN_SUITE root"
		debian_chroot_run make -C "$src" O="$kdir" -j"$(nproc)" modules_prepare >"$kdir/build.log" 2>&1 ||
			{ tail -n 40 "$kdir/build.log" >&2; die "make modules_prepare failed (log: $kdir/build.log)"; }
		[ -f "$kdir/rust/libkernel.rmeta" ] || die "modules_prepare built no rust/libkernel.rmeta (log: $kdir/build.log)"
		log "Debian's kernel prepared in $((SECONDS - t0)) s"
		cp "$headers/Module.symvers" "$kdir/Module.symvers"
		cp "$headers/vmlinux" "$kdir/vmlinux"
		debian_verify_kdir "$kdir"
		touch "$kdir/.rust-livepatch-built"
	)
	echo "$kdir"
}

# ---------------------------------------------------------------------------
# Modules

# debian_build_c [MAKE ARGS...]: build the kernel's C livepatch samples
# (samples/livepatch) and the livepatch selftests' modules
# (tools/testing/selftests/livepatch/test_modules) of the kernel's source,
# out of tree, against Debian's own headers package with Debian's own kbuild
# (its Makefile sets CC=gcc-16), in the sid root. Prints the directory that
# holds samples/ and test_modules/. Done once per sid root (the sources and
# headers are those of the package version the directory is named after):
# MAKE ARGS, or a missing stamp, build again.
debian_build_c() {
	local src dir headers t0 stamp
	dir=$(debian_kernel_dir)/c-modules
	stamp=$(basename "$(debian_chroot_dir)")
	if [ $# = 0 ] && [ "$(cat "$dir/.built" 2>/dev/null)" = "$stamp" ]; then
		echo "$dir"
		return 0
	fi
	src=$(debian_source)
	debian_fetch >/dev/null
	headers=/usr/src/linux-headers-$(debian_release)
	t0=$SECONDS
	mkdir -p "$dir"
	rm -f "$dir/.built"
	# Copies of the sources (Kbuild writes next to them); kept between runs
	# so that an unchanged tree is not rebuilt.
	rsync -a "$src/samples/livepatch/" "$dir/samples/"
	rsync -a "$src/tools/testing/selftests/livepatch/test_modules/" "$dir/test_modules/"
	debian_chroot_run make -s -C "$headers" M="$dir/samples" CONFIG_SAMPLE_LIVEPATCH=m -j"$(nproc)" "$@" >&2
	debian_chroot_run make -s -C "$headers" M="$dir/test_modules" -j"$(nproc)" "$@" >&2
	echo "$stamp" >"$dir/.built"
	log "C modules for $(debian_release) built in $((SECONDS - t0)) s in $dir"
	echo "$dir"
}

# debian_guest_modules_cpio: the path of the guests' copy of the kernel's own
# modules (not created).
debian_guest_modules_cpio() { echo "$(debian_kernel_dir)/guest-modules.cpio"; }

# debian_guest_modules: make the guests' copy of the kernel's modules if
# needed, print its path: an uncompressed newc cpio archive of
# lib/modules/<release>/ as the linux-modules package installs it (the
# .ko.xz files, modules.order, modules.builtin...) plus the modules.dep*
# files the package's postinst would make, from the host's depmod (the kmod
# the guest runs). Uncompressed: the modules are compressed already.
debian_guest_modules() {
	local cpio
	cpio=$(debian_guest_modules_cpio)
	[ -s "$cpio" ] || debian_make_guest_modules "$cpio"
	echo "$cpio"
}

# debian_make_guest_modules CPIO: make the archive debian_guest_modules
# describes.
debian_make_guest_modules() {
	local cpio=$1 stage rel
	debian_fetch >/dev/null
	rel=$(debian_release)
	command -v depmod >/dev/null || die "depmod missing (kmod): run make setup"
	stage=$(mktemp -d "$(debian_kernel_dir)/guest-modules.XXXXXX")
	mkdir -p "$stage/lib/modules"
	cp -al "$(debian_modules_dir)" "$stage/lib/modules/$rel"
	# The image is not a module (the guest boots it).
	rm -f "$stage/lib/modules/$rel/vmlinuz"
	depmod -b "$stage" -F "$(debian_modules_dir)/System.map" "$rel" ||
		{ rm -rf "$stage"; die "depmod for $rel failed"; }
	[ -s "$stage/lib/modules/$rel/modules.dep" ] || { rm -rf "$stage"; die "depmod wrote no modules.dep"; }
	(cd "$stage" && find lib/modules | LC_ALL=C sort | cpio -o -H newc --quiet) >"$cpio.tmp"
	rm -rf "$stage"
	mv "$cpio.tmp" "$cpio"
	log "Debian's modules for the guests: $(grep -c . "$(debian_modules_dir)/modules.order") modules, $(du -h "$cpio" | cut -f1) ($cpio)"
}
