# The QEMU tests of `make check`, as KTAP on /dev/ttyS1. Each file of
# tests.d/ defines tests as shell functions and appends their names to TESTS;
# a test prints why it failed and returns non-zero, or `skip WHY` (a
# property of the running kernel the test needs and it lacks: ok N # SKIP
# WHY). The host (scripts/ktap.py) requires the plan, every result and the
# end line, and accepts a SKIP only on a kernel not configured for the tests.
. /guest/lib.sh

# rl.only=PATTERN on the kernel command line (QEMU_APPEND) runs only the
# tests of the files of tests.d/ whose name matches the shell pattern, e.g.
# 'rl.only=65-*' (every file is still read: the files share helpers).
only=$(sed -n 's/.*rl\.only=\([^ ]*\).*/\1/p' /proc/cmdline)
TESTS=
for f in /guest/tests.d/*.sh; do
	kept=$TESTS
	. "$f"
	case "${f##*/}" in
	${only:-*}) ;;
	*) TESTS=$kept ;;
	esac
done

ktap_run tests
