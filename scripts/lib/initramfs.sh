# Build the guest's initramfs. Source it; do not run it.
# shellcheck shell=bash

# add_binary ROOT PATH [DEST]: copy a host binary (to DEST, default PATH)
# and the shared libraries it needs (at their host paths).
add_binary() {
	local root=$1 bin=$2 dest=${3:-$2} lib
	install -D -m 755 "$bin" "$root$dest"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -e "$root$lib" ] || install -D -m 755 "$lib" "$root$lib"
	done
}

# make_initramfs OUT.cpio.gz MODULE.ko...: busybox (shell and tools), kmod
# (insmod/rmmod/modinfo with their real messages), the guest scripts, the
# given modules in /modules, and the host programs listed in GUEST_BINARIES
# (copied to /usr/bin, with their libraries: the checkout may live under
# /tmp, which the guest mounts a tmpfs over).
make_initramfs() {
	local out=$1 root tool bin
	shift
	root=$(mktemp -d)
	for bin in ${GUEST_BINARIES:-}; do
		add_binary "$root" "$bin" "/usr/bin/$(basename "$bin")"
	done
	install -D -m 755 /bin/busybox "$root/bin/busybox"
	add_binary "$root" /usr/bin/kmod
	mkdir -p "$root/usr/sbin"
	for tool in insmod rmmod modinfo lsmod modprobe depmod; do
		ln -s ../bin/kmod "$root/usr/sbin/$tool"
	done
	install -D -m 755 "$top/scripts/guest/init" "$root/init"
	mkdir -p "$root/guest" "$root/modules"
	cp -r "$top"/scripts/guest/*.sh "$top/scripts/guest/tests.d" "$root/guest/"
	cp "$@" "$root/modules/"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$root"
}

# initramfs_append OUT.cpio.gz ARCHIVE.cpio: append an uncompressed cpio
# archive (the kernel unpacks concatenated archives in order; an
# uncompressed one must start at a multiple of 4 bytes: zeros pad it).
initramfs_append() {
	truncate -s %4 "$1"
	cat "$2" >>"$1"
}
