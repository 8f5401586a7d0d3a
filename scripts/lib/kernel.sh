# The kernel tree every rust-livepatch build, guest and benchmark uses, and
# the make arguments for it: resolved here and nowhere else. Source it after
# common.sh; do not run it (scripts/kernel.sh is its command line).
# shellcheck shell=bash
#
# The selection comes from the environment:
#   KDIR=/path     a kernel build tree of your own (configured and built with
#                  CONFIG_RUST, CONFIG_LIVEPATCH, CONFIG_MODULES); wins over KERNEL
#   KERNEL=test    (default) the test kernel: Debian's linux-source-$KVER,
#                  tinyconfig + kernel/test-kernel.config, cached in $CACHE/kernel/
#   KERNEL=debug   the test kernel plus kernel/debug.config, its own cache entry
#   KERNEL=rust-fentry  the test kernel's config built by rustc >= 1.98 with
#                  -Zinstrument-mcount=fentry in a sid root: Rust functions are
#                  ftrace sites (scripts/lib/kernel-rust-fentry.sh)
#   KERNEL=NAME    any other NAME is a flavour defined by scripts/lib/kernel-NAME.sh,
#                  which must define kernel_select_NAME MODE (see the contract
#                  below): e.g. a distribution kernel built in a chroot
#
# kernel_select MODE resolves the selection. MODE name: only KDIR, which may
# not be built yet; dir: KDIR must be a built tree; build: a cached flavour is
# built first if needed. It sets:
#   KDIR         the kernel build tree
#   KERNEL_NAME  a label for messages: test, debug, NAME, or KDIR
#   KMAKE_ARGS   make variables for that tree's toolchain: LLVM= (clang trees),
#                RUSTC=, RUSTDOC=, BINDGEN=
#   KRUSTC       the rustc the tree was built with (CONFIG_RUSTC_VERSION_TEXT):
#                a proc macro the tree's modules load must be built by it
#   KCARGO       a cargo of the same version, for that proc macro
#   KRUN         a command prefix every toolchain command runs under (empty on
#                the host; a chroot flavour puts its wrapper here)
# and exports LIBCLANG_PATH for bindgen. kmake ARGS... runs make -C $KDIR with
# them. It also sets what the guests need (defaults for the test kernels):
#   KMO          where Kbuild writes the modules of this checkout (MO=); empty:
#                next to their sources. kernel_modules_dir prints where they
#                are: every script that uses them asks it
#   KBOOT        the kernel image QEMU boots ($KDIR/arch/x86/boot/bzImage)
#   KSRC         the kernel's source, whose livepatch selftests run
#                ($CACHE/src/linux-source-$KVER)
#   KC_SAMPLES   the kernel's C livepatch samples (livepatch-sample.ko...)
#                built for it ($KDIR/samples/livepatch)
#   KC_TEST_MODULES  the selftests' C test modules built for it; empty:
#                selftests.sh builds them against $KDIR
#   KGUEST_MEM   the QEMU tests' guest RAM in MiB (512)
#   KGUEST_TIMEOUT  the QEMU tests' guest's hard timeout in seconds (1200;
#                QEMU_TIMEOUT overrides it)
#   KGUEST_MODULES  an uncompressed cpio archive of the kernel's own modules
#                (lib/modules/<release>/, with modules.dep) for the guests;
#                empty: the kernel has none
#   KSYMVERS     the Module.symvers of the kernel, which every module built
#                for it must link against ($KDIR/Module.symvers)
#   KTESTS_MAY_SKIP  1: a QEMU test may answer SKIP, with the property of the
#                kernel it lacks (listed at the end); empty: every test must
#                run (the test kernels are configured for all of them; 1 for a
#                KDIR of your own)
#
# Contract of a flavour file's kernel_select_NAME MODE: set KDIR (a path the
# host sees), and either set KMAKE_ARGS, KRUSTC, KCARGO, KRUN itself (then set
# KERNEL_TOOLCHAIN_SET=1) or leave them to kernel_toolchain, which derives them
# from $KDIR/.config and the host's tools; it may set any variable of the list
# above. In mode build it builds what the guests need too (C samples...).
#
# Explicit overrides, for a tree whose tools are elsewhere: RUSTC (its rustc;
# RUSTDOC next to it), CARGO_FOR_KERNEL, BINDGEN, LLVM (the kernel's LLVM=).

# The toolchain the test kernels are built with (setup.sh installs it).
LLVM_VERSION=19
TOOLCHAIN_RUSTC=/usr/bin/rustc
TOOLCHAIN_RUSTDOC=/usr/bin/rustdoc
TOOLCHAIN_CARGO=/usr/bin/cargo
BINDGEN_VERSION=0.72.1
TOOLCHAIN_BINDGEN=$CACHE/tools/bin/bindgen
LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-$LLVM_VERSION/lib}
export LIBCLANG_PATH

# The make arguments a test kernel is configured and built with.
test_kernel_make_args() {
	KMAKE_ARGS=("LLVM=-$LLVM_VERSION" "RUSTC=$TOOLCHAIN_RUSTC" "RUSTDOC=$TOOLCHAIN_RUSTDOC"
		"BINDGEN=$TOOLCHAIN_BINDGEN")
}

# kernel_config KEY: the value of KEY in $KDIR/.config, quotes removed.
kernel_config() {
	sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$KDIR/.config"
}

# kernel_toolchain: KMAKE_ARGS, KRUSTC, KCARGO from $KDIR/.config and the
# tools on this machine.
kernel_toolchain() {
	local want have cand tried=() major llvm
	KMAKE_ARGS=()
	KRUN=()
	if [ "$(kernel_config CONFIG_CC_IS_CLANG)" = y ]; then
		major=$(($(kernel_config CONFIG_CLANG_VERSION) / 10000))
		if [ -n "${LLVM:-}" ]; then
			llvm=$LLVM
		elif command -v "clang-$major" >/dev/null; then
			llvm=-$major
		elif clang --version 2>/dev/null | head -n1 | grep -q "version $major\."; then
			llvm=1
		else
			die "KDIR=$KDIR was built with clang $major: install clang-$major, or set LLVM= to the kernel's LLVM= setting"
		fi
		KMAKE_ARGS+=("LLVM=$llvm")
		[ -d "/usr/lib/llvm-$major/lib" ] && [ "$LIBCLANG_PATH" = "/usr/lib/llvm-$LLVM_VERSION/lib" ] &&
			LIBCLANG_PATH=/usr/lib/llvm-$major/lib
	fi
	# The rustc whose --version is the tree's CONFIG_RUSTC_VERSION_TEXT.
	want=$(kernel_config CONFIG_RUSTC_VERSION_TEXT)
	KRUSTC=
	for cand in ${RUSTC:-} "$TOOLCHAIN_RUSTC" "$(command -v rustc || true)"; do
		[ -n "$cand" ] && [ -x "$cand" ] || continue
		tried+=("$cand")
		have=$("$cand" --version 2>/dev/null || true)
		if [ "$have" = "$want" ]; then
			KRUSTC=$cand
			break
		fi
		[ -z "${RUSTC:-}" ] || [ "$cand" != "$RUSTC" ] ||
			die "KDIR=$KDIR was built with '$want' but RUSTC=$RUSTC is '$have': set RUSTC to the kernel's rustc"
	done
	[ -n "$KRUSTC" ] ||
		die "KDIR=$KDIR was built with '$want'; no rustc of that version found (tried ${tried[*]:-none}): set RUSTC=/path/to/that/rustc"
	KMAKE_ARGS+=("RUSTC=$KRUSTC" "RUSTDOC=$(dirname "$KRUSTC")/rustdoc")
	KCARGO=${CARGO_FOR_KERNEL:-$(dirname "$KRUSTC")/cargo}
	if [ -n "${BINDGEN:-}" ]; then
		KMAKE_ARGS+=("BINDGEN=$BINDGEN")
	elif [ -x "$TOOLCHAIN_BINDGEN" ]; then
		KMAKE_ARGS+=("BINDGEN=$TOOLCHAIN_BINDGEN")
	fi
	export LIBCLANG_PATH
}

# test_kernel_dir FLAVOUR: the cache directory of a test kernel flavour
# (test, debug or rust-fentry), keyed by source version, config fragments and
# toolchain.
test_kernel_dir() {
	local flavour=$1 name pkgver
	[ -s "$KSRC_VERSION_FILE" ] || die "kernel source not fetched: run make setup"
	pkgver=$(cat "$KSRC_VERSION_FILE")
	test_kernel_frags "$flavour"
	case "$flavour" in
	test) name=test-kernel ;;
	*) name=$flavour ;;
	esac
	local key
	key=$({
		echo "$pkgver"
		cat "${TEST_KERNEL_FRAGS[@]}"
		if [ "$flavour" = rust-fentry ]; then
			rust_fentry_toolchain
		else
			"$TOOLCHAIN_RUSTC" --version
			"clang-$LLVM_VERSION" --version | head -n1
			"$TOOLCHAIN_BINDGEN" --version
			pahole --version
		fi
	} | sha256sum | cut -c1-12)
	echo "$CACHE/kernel/$pkgver-$name-$key"
}

# test_kernel_frags FLAVOUR: TEST_KERNEL_FRAGS, its config fragments.
test_kernel_frags() {
	TEST_KERNEL_FRAGS=("$RL_TOP/kernel/test-kernel.config")
	case "$1" in
	test) ;;
	debug) TEST_KERNEL_FRAGS+=("$RL_TOP/kernel/debug.config") ;;
	rust-fentry)
		# Same config, another toolchain.
		# shellcheck source=kernel-rust-fentry.sh
		. "$RL_TOP/scripts/lib/kernel-rust-fentry.sh"
		;;
	*) die "unknown test kernel flavour $1" ;;
	esac
}

# kernel_select name|dir|build: see the top of this file.
kernel_select() {
	local mode=$1
	case "$mode" in
	name | dir | build) ;;
	*) die "kernel_select: unknown mode $mode" ;;
	esac
	KERNEL_TOOLCHAIN_SET=
	KRUN=()
	KMO= KBOOT= KSRC= KC_SAMPLES= KC_TEST_MODULES= KGUEST_MEM= KGUEST_TIMEOUT= KGUEST_MODULES= KTESTS_MAY_SKIP= KSYMVERS=
	if [ -n "${KDIR:-}" ]; then
		KERNEL_NAME="KDIR=$KDIR"
		KTESTS_MAY_SKIP=1
	else
		KERNEL_NAME=${KERNEL:-test}
		case "$KERNEL_NAME" in
		test | debug)
			if [ "$mode" = build ]; then
				KDIR=$("$RL_TOP/scripts/kernel.sh" build-test-kernel "$KERNEL_NAME")
			else
				KDIR=$(test_kernel_dir "$KERNEL_NAME")
			fi
			;;
		*)
			local lib
			lib=$RL_TOP/scripts/lib/kernel-$KERNEL_NAME.sh
			[ -f "$lib" ] || die "unknown KERNEL=$KERNEL_NAME (test, debug$(kernel_flavours)), or set KDIR=/path/to/a/kernel/build/tree"
			# shellcheck source=/dev/null
			. "$lib"
			"kernel_select_$KERNEL_NAME" "$mode"
			;;
		esac
	fi
	export KDIR
	KBOOT=${KBOOT:-$KDIR/arch/x86/boot/bzImage}
	KSRC=${KSRC:-$CACHE/src/linux-source-$KVER}
	KC_SAMPLES=${KC_SAMPLES:-$KDIR/samples/livepatch}
	KGUEST_MEM=${KGUEST_MEM:-512}
	KGUEST_TIMEOUT=${KGUEST_TIMEOUT:-1200}
	KSYMVERS=${KSYMVERS:-$KDIR/Module.symvers}
	[ "$mode" != name ] || return 0
	if [ "$KERNEL_NAME" = test ] || [ "$KERNEL_NAME" = debug ]; then
		[ -f "$KDIR/.rust-livepatch-built" ] ||
			die "the $KERNEL_NAME kernel is not built yet ($KDIR): run make (or scripts/kernel.sh build)"
	fi
	check_kdir "$KDIR"
	[ -n "$KERNEL_TOOLCHAIN_SET" ] || kernel_toolchain
}

# The flavours defined by scripts/lib/kernel-*.sh, for messages.
kernel_flavours() {
	local f
	for f in "$RL_TOP"/scripts/lib/kernel-*.sh; do
		[ -f "$f" ] || continue
		f=${f##*/kernel-}
		printf ', %s' "${f%.sh}"
	done
}

# kmake ARGS...: make -C $KDIR with the tree's toolchain.
kmake() { "${KRUN[@]}" make -C "$KDIR" "${KMAKE_ARGS[@]}" "$@"; }

# kernel_modules_dir: the directory that holds this checkout's modules built
# for the selected kernel (samples/, tests/modules/, bench/modules/ below it).
kernel_modules_dir() { echo "${KMO:-$RL_TOP}"; }

