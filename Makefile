# SPDX-License-Identifier: GPL-2.0
# rust-livepatch: Linux kernel livepatches written in Rust.
#
#   make setup        install the toolchain, QEMU, kernel sources (idempotent;
#                     the other targets run it only when something is missing)
#   make              build the Rust livepatch modules against the kernel
#   make run          boot the test kernel, load the sample, show /proc/cmdline
#   make check        host tests, build-fail cases, the modules' symbols
#                     against the kernel's Module.symvers, wrong signatures
#                     refused by klp build, klp new patches built, then QEMU
#                     tests against the real kernel (with module.sig_enforce=1
#                     too), then the kernel's livepatch selftests (C and Rust)
#   make check-debug  the QEMU suite again on the debug kernel (KASAN, lockdep,
#                     kmemleak...), then the soak
#   make soak         load/replace/unload cycles on the debug kernel, kmemleak
#   make check-rust-targets  Rust functions as targets: the rust-fentry kernel
#                     (rustc 1.98, -Zinstrument-mcount=fentry), the QEMU suite
#   make check-debian make check KERNEL=debian: Debian's own kernel (not in CI)
#   make print-kdir   the kernel build tree in use
#
# The kernel (scripts/lib/kernel.sh): KERNEL=test (default; the test kernel,
# cached outside the checkout and built on first use), KERNEL=debug,
# KERNEL=debian (Debian's own kernel, its toolchain in a sid root: every
# target above runs against it), or KDIR=/path for your own CONFIG_RUST +
# CONFIG_LIVEPATCH build tree.

# When Kbuild reads this directory (make -C $KDIR M=...), it uses Kbuild.
ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

export KDIR KERNEL
SCRIPTS := $(CURDIR)/scripts

.PHONY: all setup setup-if-needed run check check-host check-build-fail check-symvers check-signatures check-klp-new check-sig-enforce check-qemu check-selftests check-debug soak bench print-kdir clean
.PHONY: check-rust-targets check-debian
# klp (tools/klp), a host program the QEMU tests also run in the guest: built
# with the cargo on PATH (rustup's), like the host tests.
HOST_CARGO ?= cargo
all: setup-if-needed
	$(SCRIPTS)/build.sh
	$(HOST_CARGO) build --release --locked -p klp --manifest-path $(CURDIR)/Cargo.toml

setup:
	$(SCRIPTS)/setup.sh

# No apt, no dpkg on a machine set up by this version of setup.sh.
setup-if-needed:
	@$(SCRIPTS)/setup.sh --if-needed

run: all
	$(SCRIPTS)/qemu-run.sh sample

check: check-host check-build-fail check-symvers check-signatures check-klp-new check-qemu check-sig-enforce check-selftests

check-host: setup-if-needed
	$(SCRIPTS)/check-host.sh

# Modules that must not build (tests/build-fail): types against the
# kernel's bindings, unsafe contracts, constants the kernel crates evaluate.
check-build-fail: all
	$(SCRIPTS)/check-build-fail.sh

# Every undefined symbol of the modules built for the kernel is in its
# Module.symvers, Rust crates under its hashes (for KERNEL=debian, Debian's).
check-symvers: all
	$(SCRIPTS)/check-symvers.sh

# Patches whose replacements have another signature than their target:
# klp build refuses each with its message (klp load too: tests.d/67-signatures.sh).
check-signatures: all
	$(SCRIPTS)/check-signatures.sh

# klp new on five targets, written outside the checkout, refused until their
# body is written, then built by klp build (loaded by tests.d/66-klp-new.sh).
check-klp-new: all
	$(SCRIPTS)/check-klp-new.sh

check-qemu: all check-klp-new
	$(SCRIPTS)/qemu-run.sh tests

# klp build --sign: a guest booted with module.sig_enforce=1 refuses the
# unsigned patch and one signed with an untrusted key, loads the signed one.
check-sig-enforce: all
	$(SCRIPTS)/check-sig-enforce.sh

# The kernel's livepatch selftests, C modules vs their Rust ports.
check-selftests: all
	$(SCRIPTS)/selftests.sh

# KERNEL=debug: these build the modules against it.
check-debug: setup-if-needed
	$(SCRIPTS)/check-debug.sh

# Debian's own kernel: its sid toolchain root and packages on first use
# (README: Patching Debian's kernel). Not part of make check (CI's time).
check-debian:
	$(MAKE) check KERNEL=debian

soak: setup-if-needed
	$(SCRIPTS)/check-debug.sh soak

# Rust functions as livepatch targets, on the kernel built by rustc >= 1.98
# with -Zinstrument-mcount=fentry (its own cached build, in a sid root): the
# whole QEMU suite there, the Rust-target tests required.
check-rust-targets: setup-if-needed
	$(SCRIPTS)/rust-fentry.sh check

# Rust vs C livepatch: call overhead, transition latency, size, build time.
bench: all
	$(SCRIPTS)/bench.sh

print-kdir:
	@$(SCRIPTS)/kernel.sh dir

clean:
	-$(SCRIPTS)/build.sh clean
	rm -rf target out
endif
