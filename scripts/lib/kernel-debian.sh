# KERNEL=debian: Debian's own Rust-enabled kernel (sid's linux-image-amd64,
# or DEBIAN_KERNEL=<abi>), the flavour scripts/lib/kernel.sh loads. Its build
# tree, toolchain (the sid root with Debian's gcc-16, rustc, bindgen), image,
# C samples and modules come from scripts/lib/debian.sh, cached in
# $CACHE/debian/ keyed by Debian package versions.
# shellcheck shell=bash

# shellcheck source=debian.sh
. "$RL_TOP/scripts/lib/debian.sh"

# kernel_select_debian MODE: see the contract in scripts/lib/kernel.sh. In
# mode build, everything is built or fetched first if needed: the sid root,
# Debian's packages, the KDIR, the kernel's C samples and selftest modules
# built against Debian's headers package, the guest's copy of its modules.
kernel_select_debian() {
	local mode=$1
	debian_resolve
	if [ "$mode" = build ]; then
		KDIR=$(debian_kdir)
		debian_build_c >/dev/null
		debian_guest_modules >/dev/null
	else
		KDIR=$(debian_kdir_dir)
	fi
	if [ "$mode" != name ] && [ ! -f "$KDIR/.rust-livepatch-built" ]; then
		die "Debian's kernel $(debian_release) is not prepared yet ($KDIR): run make KERNEL=debian (or scripts/debian.sh kdir)"
	fi
	# Everything runs in the sid root, whose tools are the ones Debian built
	# the kernel with (debian_check_toolchain): no make arguments needed.
	KRUN=("$RL_TOP/scripts/debian.sh" run)
	KMAKE_ARGS=()
	KRUSTC=/usr/bin/rustc
	KCARGO=/usr/bin/cargo
	KERNEL_TOOLCHAIN_SET=1
	# The modules for Debian's kernel never mix with the test kernel's,
	# which are built next to their sources.
	KMO=$RL_TOP/out/debian/$(debian_release)
	KBOOT=$(debian_modules_dir)/vmlinuz
	KC_SAMPLES=$(debian_kernel_dir)/c-modules/samples
	KC_TEST_MODULES=$(debian_kernel_dir)/c-modules/test_modules
	# Debian's own, from its headers package (the KDIR has a copy).
	KSYMVERS=$(debian_headers)/Module.symvers
	KGUEST_MODULES=$(debian_guest_modules_cpio)
	# Its initramfs and modules need more than the test kernel's 512 MiB.
	KGUEST_MEM=1024
	# Its 112 MB of modules to unpack at boot, and a slower kernel under
	# TCG: its QEMU tests' guest ran 600 s and more.
	KGUEST_TIMEOUT=1800
	# A kernel configured by Debian, not for the tests: a test whose kernel
	# feature it lacks says so (SKIP and why), and the summary lists it.
	KTESTS_MAY_SKIP=1
	[ "$mode" = name ] || KSRC=$(debian_source)
}
