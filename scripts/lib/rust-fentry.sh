# The Rust-fentry toolchain and kernel variant: Rust functions of the kernel
# as livepatch targets. Source it after common.sh and debian.sh; do not run
# it. scripts/rust-fentry.sh is the command-line entry point; KERNEL=rust-fentry
# selects the kernel (scripts/lib/kernel-rust-fentry.sh) and scripts/kernel.sh
# builds it with the functions below.
# shellcheck shell=bash
#
# rustc >= 1.98 has `-Zinstrument-mcount=fentry`: every Rust function starts
# with `call __fentry__`, as C does with -mfentry. The test kernel's config,
# built with that flag in KRUSTFLAGS (the top Makefile appends it to
# KBUILD_RUSTFLAGS, for vmlinux's crates and for every module built against
# the tree when it is given again), gets an ftrace site in each Rust
# function: objtool's mcount pass (CONFIG_FTRACE_MCOUNT_USE_OBJTOOL, which
# clang builds use) records the calls in __mcount_loc whatever compiler
# emitted them. With GCC (CONFIG_FTRACE_MCOUNT_USE_CC) the kernel trusts the
# C compiler's -mrecord-mcount and nothing records the Rust sites.
#
# The toolchain: a sid build root (debian_make_root) with rustc, rust-src
# and cargo from experimental (1.98.1 when this was written; sid has 1.97)
# and clang/lld/llvm of the LLVM major rustc uses, from sid; bindgen and
# libclang from sid. It lives in $CACHE/debian/chroot/rust-fentry-<key>,
# keyed by the versions apt offers for those packages.

RUST_FENTRY_FLAGS=${RUST_FENTRY_FLAGS:--Zinstrument-mcount=fentry}
# The suite rustc comes from, and the LLVM of the C side (rustc 1.98.1 is
# built on LLVM 22; clang-22 is in sid).
RUST_FENTRY_RUST_SUITE=${RUST_FENTRY_RUST_SUITE:-experimental}
RUST_FENTRY_LLVM=${RUST_FENTRY_LLVM:-22}
# Changing how the root is made gives a new key.
RUST_FENTRY_ROOT_FORMAT=1

# rust_fentry_packages: the root's packages, one a line, name/suite for
# those from another suite than sid.
rust_fentry_packages() {
	printf '%s\n' make bc bison flex kmod cpio xz-utils zstd python3 perl \
		libelf-dev libssl-dev zlib1g-dev openssl ca-certificates gcc \
		"clang-$RUST_FENTRY_LLVM" "lld-$RUST_FENTRY_LLVM" "llvm-$RUST_FENTRY_LLVM" \
		bindgen libclang-dev pahole
	printf '%s\n' rustc rust-src cargo | sed "s|\$|/$RUST_FENTRY_RUST_SUITE|"
}

# rust_fentry_versions: "package version" of the toolchain packages as apt
# offers them now (from the host's lists: setup.sh adds sid and
# experimental, pinned low), remembered until apt's lists change.
rust_fentry_versions() {
	local stamp memo p v
	stamp=$({
		echo "$RUST_FENTRY_RUST_SUITE $RUST_FENTRY_LLVM"
		ls -l --time-style=+%s /var/lib/apt/lists/ | grep '_Packages' || true
	} | sha256sum | cut -c1-16)
	memo=$DEBIAN_CACHE/resolved/rust-fentry-$stamp
	if [ ! -s "$memo" ]; then
		mkdir -p "$DEBIAN_CACHE/resolved"
		for p in rustc/$RUST_FENTRY_RUST_SUITE rust-src/$RUST_FENTRY_RUST_SUITE \
			cargo/$RUST_FENTRY_RUST_SUITE "clang-$RUST_FENTRY_LLVM/$DEBIAN_SUITE" \
			"lld-$RUST_FENTRY_LLVM/$DEBIAN_SUITE" "bindgen/$DEBIAN_SUITE" "pahole/$DEBIAN_SUITE"; do
			v=$(apt-cache show "$p" 2>/dev/null | sed -n 's/^Version: //p' | head -n1 || true)
			[ -n "$v" ] || die "apt offers no $p: run scripts/setup.sh (it adds the $DEBIAN_SUITE and $RUST_FENTRY_RUST_SUITE suites) and apt-get update"
			echo "${p%/*} $v"
		done >"$memo.$$"
		mv "$memo.$$" "$memo"
	fi
	cat "$memo"
}

# rust_fentry_root_dir: the root's directory for the current versions.
rust_fentry_root_dir() {
	local key
	key=$({
		echo "$DEBIAN_SUITE $RUST_FENTRY_ROOT_FORMAT"
		rust_fentry_packages
		rust_fentry_versions
	} | sha256sum | cut -c1-12)
	echo "$DEBIAN_CACHE/chroot/rust-fentry-$key"
}

# rust_fentry_root: make the root if needed; print its path.
rust_fentry_root() {
	local dir root pkgs
	dir=$(rust_fentry_root_dir)
	mapfile -t pkgs < <(rust_fentry_packages)
	root=$(debian_make_root "$dir" "${pkgs[@]}")
	# The flag this variant is about: refuse a rustc without it now, with
	# its own words, rather than in the middle of a kernel build.
	if [ ! -f "$dir/.fentry-ok" ]; then
		local t
		t=$(mktemp -d "$CACHE/rust-fentry-probe.XXXXXX")
		printf '#![no_std]\n#[no_mangle]\npub extern "C" fn target_fn(x: u32) -> u32 { x + 1 }\n' >"$t/probe.rs"
		DEBIAN_BINDS=$t debian_in_chroot "$root" env RUSTC_BOOTSTRAP=1 rustc --edition 2021 \
			--crate-type lib --emit obj -o "$t/probe.o" -Copt-level=2 -Cpanic=abort \
			-Ccode-model=kernel -Crelocation-model=static $RUST_FENTRY_FLAGS "$t/probe.rs" >&2 ||
			die "the rustc of $root does not take $RUST_FENTRY_FLAGS (above)"
		DEBIAN_BINDS=$t debian_in_chroot "$root" "llvm-objdump-$RUST_FENTRY_LLVM" -dr "$t/probe.o" >"$t/probe.dis"
		grep -q '__fentry__' "$t/probe.dis" ||
			{ cat "$t/probe.dis" >&2; die "rustc $RUST_FENTRY_FLAGS emitted no call to __fentry__ (above)"; }
		rm -rf "$t"
		touch "$dir/.fentry-ok"
	fi
	echo "$root"
}

# rust_fentry_run CMD...: run CMD in the root, with the kernel sources and
# trees ($CACHE/src, $CACHE/kernel), the cargo home and the checkout $RL_TOP
# mounted at their own paths.
rust_fentry_run() {
	local root
	root=$(rust_fentry_root)
	mkdir -p "$DEBIAN_CACHE/cargo" "$CACHE/kernel" "$CACHE/src"
	DEBIAN_BINDS="$CACHE/src $CACHE/kernel $DEBIAN_CACHE/cargo $RL_TOP ${RUST_FENTRY_BINDS:-}" \
		debian_in_chroot "$root" "$@"
}

# rust_fentry_krun CMD...: KRUN of the rust-fentry kernel (scripts/lib/kernel.sh):
# CMD in the root, with the variables the project's builds pass to cargo and
# make (RUSTC, CARGO_TARGET_DIR) and a cargo home in the cache.
rust_fentry_krun() {
	CARGO_HOME=$DEBIAN_CACHE/cargo DEBIAN_PASS_ENV="CARGO_HOME RUSTC CARGO_TARGET_DIR ${DEBIAN_PASS_ENV:-}" \
		rust_fentry_run "$@"
}

# rust_fentry_toolchain_select: KMAKE_ARGS, KRUSTC, KCARGO, KRUN for the built
# kernel $KDIR (scripts/lib/kernel.sh), after checking that the root's rustc
# is the one that built it: a module's Rust code is only ABI-compatible with
# the kernel's (and its Rust-ABI targets) when compiled by the same rustc
# against the same crate metadata.
rust_fentry_toolchain_select() {
	local want have
	want=$(kernel_config CONFIG_RUSTC_VERSION_TEXT)
	have=$(rust_fentry_run /usr/bin/rustc --version)
	[ "$want" = "$have" ] ||
		die "$KDIR was built with '$want' but the rust-fentry root's rustc is '$have': rebuild the kernel (scripts/rust-fentry.sh kernel) or use the root it was built in"
	mapfile -t KMAKE_ARGS < <(rust_fentry_kmake_args)
	KMAKE_ARGS+=(RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc)
	KRUSTC=/usr/bin/rustc
	KCARGO=/usr/bin/cargo
	KRUN=(rust_fentry_krun)
	KERNEL_TOOLCHAIN_SET=1
}

# The kernel side: rustc accepts -Zinstrument-mcount=fentry only for a
# target whose spec says `supports-fentry` (its builtin x86_64 Linux targets
# do); the kernel's x86_64 target is the JSON spec scripts/target.json that
# scripts/generate_rust_target.rs writes, without that key (Linux 7.2), and
# every Rust object fails with "error: fentry instrumentation is not
# supported for this target". The variant builds from a copy of the source
# whose generator adds the key. RUST_FENTRY_SOURCE_EDIT names the edit in
# the cache key.
RUST_FENTRY_SOURCE_EDIT="generate_rust_target.rs: x86_64 supports-fentry (1)"

# rust_fentry_source SRC: print the variant's source tree, made once from
# SRC (unpacked, unchanged): a copy made of hard links ($SRC-rust-fentry,
# no space taken) in which only scripts/generate_rust_target.rs is a new
# file, with `ts.push("supports-fentry", true);` in the x86_64 branch. The
# original tree is left as it was (checked).
rust_fentry_source() {
	local src=$1 dst gen before
	dst=$src-rust-fentry
	gen=scripts/generate_rust_target.rs
	if [ -f "$dst/.rust-fentry-source" ] && [ "$(cat "$dst/.rust-fentry-source")" = "$RUST_FENTRY_SOURCE_EDIT $(stat -c %i "$src/Makefile")" ]; then
		echo "$dst"
		return 0
	fi
	before=$(sha256sum <"$src/$gen")
	rm -rf "$dst"
	cp -al "$src" "$dst"
	# A new file, not an edit in place: the hard link to $src's stays.
	awk '
		{ print }
		/ts\.push\("supported-sanitizers", \["kcfi", "kernel-address"\]\);/ && !done {
			match($0, /^[ \t]*/)
			print substr($0, 1, RLENGTH) "// rust-livepatch: Rust functions as ftrace sites (-Zinstrument-mcount=fentry)."
			print substr($0, 1, RLENGTH) "ts.push(\"supports-fentry\", true);"
			done = 1
		}
	' "$src/$gen" >"$dst/$gen.new"
	rm -f "$dst/$gen"
	mv "$dst/$gen.new" "$dst/$gen"
	grep -q '"supports-fentry", true' "$dst/$gen" ||
		die "cannot add supports-fentry to $dst/$gen: the x86_64 branch of the generator changed (look for its supported-sanitizers line)"
	[ "$(sha256sum <"$src/$gen")" = "$before" ] || die "internal error: $src/$gen changed"
	echo "$RUST_FENTRY_SOURCE_EDIT $(stat -c %i "$src/Makefile")" >"$dst/.rust-fentry-source"
	echo "$dst"
}

# rust_fentry_toolchain: what the kernel's cache key holds for this variant:
# the root (named by the toolchain versions apt offers), those versions and
# the flags. Builds nothing.
rust_fentry_toolchain() {
	basename "$(rust_fentry_root_dir)"
	rust_fentry_versions
	echo "KRUSTFLAGS=$RUST_FENTRY_FLAGS LLVM=-$RUST_FENTRY_LLVM"
	echo "$RUST_FENTRY_SOURCE_EDIT"
}

# rust_fentry_kmake_args: the make variables of every build against the
# variant, kernel or modules (KRUSTFLAGS is not saved in the tree: a module
# built without it has no ftrace site in its Rust code).
rust_fentry_kmake_args() {
	printf '%s\n' "LLVM=-$RUST_FENTRY_LLVM" "KRUSTFLAGS=$RUST_FENTRY_FLAGS"
}
