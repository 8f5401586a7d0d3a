#!/usr/bin/env python3
"""The harness's verdicts fail on every defect a guest run can have.

Feeds scripts/ktap.py (QEMU tests, soak) and scripts/selftests_check.py
(kernel selftests) synthetic logs: a clean one, which must pass (so that each
failing case fails for its defect, not for something else), then the same
log with one defect each: a `not ok`, a SKIP of a required test, a missing
result, a guest that stopped early or was killed at its timeout, a console
report (warning, BUG, KASAN, oops, call trace, kmemleak...).

Run by `make check-host`: python3 -m unittest discover -s scripts/tests
"""
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ktap  # noqa: E402
import selftests_check  # noqa: E402

CLEAN_CONSOLE = """\
[    0.000000] Linux version 7.2.13 (clang version 19)
[    0.512000] kmemleak: Kernel memory leak detector initialized (mem pool available: 15000)
[    1.200000] livepatch: enabling patch 'rust_livepatch_sample'
[    1.300000] livepatch: 'rust_livepatch_sample': patching complete
"""

# One line of each kind of report the console must not have.
CONSOLE_REPORTS = {
    "warning": "[    2.0] WARNING: CPU: 0 PID: 42 at kernel/livepatch/core.c:123 klp_enable_patch+0x1/0x2",
    "bug": "[    2.0] BUG: kernel NULL pointer dereference, address: 0000000000000008",
    "BUG_ON": "[    2.0] kernel BUG at kernel/livepatch/core.c:123!",
    "kasan": "[    2.0] BUG: KASAN: slab-use-after-free in klp_free_patch_finish+0x1/0x2",
    "lockdep": "[    2.0] WARNING: possible circular locking dependency detected",
    "oops": "[    2.0] Oops: general protection fault, probably for non-canonical address",
    "call trace": "[    2.0] Call Trace:",
    "panic": "[    2.0] Kernel panic - not syncing: panic_on_warn set ...",
    "ubsan": "[    2.0] UBSAN: array-index-out-of-bounds in kernel/livepatch/shadow.c:50:3",
    "kmemleak": "[   60.0] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
}

END = "# END rust-livepatch tests"
CLEAN_KTAP = f"""\
KTAP version 1
1..3
ok 1 rust_sample_loads
# a diagnostic line
ok 2 rust_sample_disable
ok 3 missing_target_fails_cleanly
{END}
"""


class Files:
    """Temporary files for a results log and a console log, removed at the
    end of the test case."""

    def __init__(self, case):
        d = tempfile.TemporaryDirectory()
        case.addCleanup(d.cleanup)
        self.dir = d.name

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path


def quiet(fn, *args):
    """fn(*args), its printing captured: (exit status, output)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = fn(*args)
    return rc, out.getvalue()


class KtapVerdict(unittest.TestCase):
    def run_ktap(self, results, console=CLEAN_CONSOLE, status="0", may_skip=""):
        f = Files(self)
        return quiet(ktap.main, f.write("results.log", results), f.write("console.log", console), END, status, "600",
                     may_skip)

    def assert_fails(self, results, why, console=CLEAN_CONSOLE):
        rc, out = self.run_ktap(results, console)
        self.assertEqual(rc, 1, out)
        self.assertIn(why, out)

    def test_clean_run_passes(self):
        rc, out = self.run_ktap(CLEAN_KTAP)
        self.assertEqual(rc, 0, out)
        self.assertIn("3 passed, 0 failed", out)

    def test_not_ok_fails(self):
        self.assert_fails(CLEAN_KTAP.replace("ok 2 rust_sample_disable", "not ok 2 rust_sample_disable"),
                          "FAIL: rust_sample_disable: not ok")

    def test_skip_of_a_test_fails(self):
        # Every QEMU test is required: a SKIP is a failure.
        self.assert_fails(CLEAN_KTAP.replace("ok 2 rust_sample_disable", "ok 2 rust_sample_disable # SKIP no C sample"),
                          "FAIL: rust_sample_disable: ok # SKIP no C sample")

    def test_skip_with_its_reason_is_listed_where_allowed(self):
        # A kernel not configured for the tests (MAY_SKIP=1): the SKIP and
        # its reason are listed, the run passes.
        rc, out = self.run_ktap(CLEAN_KTAP.replace("ok 2 rust_sample_disable",
                                                   "ok 2 rust_sample_disable # SKIP CONFIG_FOO is not set"),
                                may_skip="1")
        self.assertEqual(rc, 0, out)
        self.assertIn("SKIP: rust_sample_disable: CONFIG_FOO is not set", out)
        self.assertIn("2 passed, 0 failed, 1 skipped", out)

    def test_skip_without_a_reason_fails_where_allowed(self):
        rc, out = self.run_ktap(CLEAN_KTAP.replace("ok 2 rust_sample_disable", "ok 2 rust_sample_disable # SKIP"),
                                may_skip="1")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL: rust_sample_disable: a SKIP must say why", out)

    def test_not_ok_fails_where_skips_are_allowed(self):
        rc, out = self.run_ktap(CLEAN_KTAP.replace("ok 2 rust_sample_disable", "not ok 2 rust_sample_disable # SKIP x"),
                                may_skip="1")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL: rust_sample_disable: not ok # SKIP x", out)

    def test_missing_result_fails(self):
        self.assert_fails(CLEAN_KTAP.replace("ok 3 missing_target_fails_cleanly\n", ""),
                          "2 results for a plan of 3")

    def test_result_out_of_order_fails(self):
        text = CLEAN_KTAP.replace("ok 2 rust_sample_disable\n", "").replace("1..3", "1..2")
        self.assert_fails(text, "result 3 (missing_target_fails_cleanly) out of order, expected 2")

    def test_guest_stopped_early_fails(self):
        # What a guest killed at QEMU_TIMEOUT (or crashed) leaves: no end line.
        cut = CLEAN_KTAP[: CLEAN_KTAP.index("ok 3")]
        rc, out = self.run_ktap(cut)
        self.assertEqual(rc, 1, out)
        self.assertIn(f"no end line '{END}': the guest stopped early", out)
        self.assertIn("2 results for a plan of 3", out)

    def test_guest_timeout_fails(self):
        # Killed at QEMU_TIMEOUT (`timeout` exits 124, 137 after -k), even
        # with every result in: it hung at the end.
        for status in ("124", "137"):
            with self.subTest(status=status):
                rc, out = self.run_ktap(CLEAN_KTAP, status=status)
                self.assertEqual(rc, 1, out)
                self.assertIn("FAIL: the guest did not finish within 600 s (QEMU_TIMEOUT)", out)

    def test_qemu_failure_fails(self):
        rc, out = self.run_ktap(CLEAN_KTAP, status="1")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL: QEMU exited with status 1", out)

    def test_guest_that_never_ran_fails(self):
        self.assert_fails("", "no 'KTAP version 1' line: the guest did not run the tests")

    def test_no_plan_fails(self):
        self.assert_fails(CLEAN_KTAP.replace("1..3\n", ""), "no test plan (1..N)")

    def test_bail_out_fails(self):
        self.assert_fails(CLEAN_KTAP.replace(END, "Bail out! no /sys/kernel/livepatch\n" + END),
                          "FAIL: Bail out! no /sys/kernel/livepatch")

    def test_no_test_fails(self):
        self.assert_fails(f"KTAP version 1\n1..0\n{END}\n", "FAIL: no test ran")

    def test_every_console_report_fails(self):
        for kind, line in CONSOLE_REPORTS.items():
            with self.subTest(kind=kind):
                self.assert_fails(CLEAN_KTAP, f"FAIL: kernel console: {line}", CLEAN_CONSOLE + line + "\n")

    def test_missing_console_fails(self):
        self.assert_fails(CLEAN_KTAP, "no console log", "")


# The selftests guest log (scripts/guest/selftests/init).
SCRIPTS = ["test-livepatch.sh", "test-callbacks.sh"]
TESTS = {
    "test-livepatch.sh": ["basic function patching", "multiple livepatches"],
    "test-callbacks.sh": ["target module before livepatch"],
}


def selftests_log(skip=None, fail=None, drop=None, left=None, done=True):
    """A selftests log of both flavours. skip=(flavour, script), or a list
    of them: those runs exit 4; fail=(flavour, test): that TEST line says 'not ok';
    drop=(flavour, script): that run is absent; left=(flavour, script): that
    run left a module loaded; done: the guest's last line."""
    lines = ["rl-selftests: start 2 scripts"]
    for fl in ("c", "rust"):
        for s in SCRIPTS:
            if drop == (fl, s):
                continue
            lines.append(f"rl-selftests: begin {fl} {s}")
            if (fl, s) == skip or (isinstance(skip, list) and (fl, s) in skip):
                lines.append(f"rl-selftests: out {fl} {s} | SKIP: {s}: the test module is not there")
                lines.append(f"rl-selftests: end {fl} {s} rc=4 secs=1")
                continue
            for t in TESTS[s]:
                verdict = "not ok" if fail == (fl, t) else "ok"
                lines.append(f"rl-selftests: out {fl} {s} | TEST: {t} ... {verdict}")
            rc = 1 if fail and fail[0] == fl and fail[1] in TESTS[s] else 0
            lines.append(f"rl-selftests: end {fl} {s} rc={rc} secs=3")
            if left == (fl, s):
                lines.append(f"rl-selftests: left {fl} {s} test_klp_livepatch")
    if done:
        lines.append("rl-selftests: done")
    return "\n".join(lines) + "\n"


class SelftestsVerdict(unittest.TestCase):
    def run_check(self, results, status=0, console=CLEAN_CONSOLE, may_skip=""):
        f = Files(self)
        return quiet(selftests_check.main, f.write("results.log", results), f.write("console.log", console),
                     str(status), "600", " ".join(SCRIPTS), "test_klp_livepatch", "", may_skip)

    def assert_fails(self, why, results=None, **kw):
        rc, out = self.run_check(selftests_log() if results is None else results, **kw)
        self.assertEqual(rc, 1, out)
        self.assertIn(why, out)

    def test_clean_run_passes(self):
        rc, out = self.run_check(selftests_log())
        self.assertEqual(rc, 0, out)
        self.assertIn("6 passed, 0 failed", out)

    def test_failed_c_test_fails(self):
        self.assert_fails("C: test-livepatch.sh: multiple livepatches: FAIL",
                          selftests_log(fail=("c", "multiple livepatches")))

    def test_failed_rust_test_fails(self):
        self.assert_fails("Rust: test-livepatch.sh: multiple livepatches: FAIL (passes with C)",
                          selftests_log(fail=("rust", "multiple livepatches")))

    def test_skip_of_a_required_script_fails(self):
        self.assert_fails("rust/test-callbacks.sh: skipped, but it must run: SKIP: test-callbacks.sh",
                          selftests_log(skip=("rust", "test-callbacks.sh")))

    def test_skip_allowed_only_where_said(self):
        both = [("c", "test-callbacks.sh"), ("rust", "test-callbacks.sh")]
        rc, out = self.run_check(selftests_log(skip=both), may_skip="test-callbacks.sh")
        self.assertEqual(rc, 0, out)
        self.assertIn("ok 3 c:test-callbacks: (whole script) # SKIP", out)

    def test_skip_allowed_for_one_script_is_not_for_another(self):
        self.assert_fails("c/test-livepatch.sh: skipped, but it must run",
                          selftests_log(skip=("c", "test-livepatch.sh")), may_skip="test-callbacks.sh")

    def test_script_that_did_not_finish_fails(self):
        # Its begin and output, no end line: the script hung or the guest died.
        text = selftests_log().replace("rl-selftests: end rust test-callbacks.sh rc=0 secs=3\n", "")
        self.assert_fails("rust/test-callbacks.sh: did not finish", text)

    def test_script_that_ran_no_test_fails(self):
        text = selftests_log().replace(
            "rl-selftests: out c test-callbacks.sh | TEST: target module before livepatch ... ok\n", "")
        self.assert_fails("c/test-callbacks.sh: exited 0 without running a test", text)

    def test_missing_console_fails(self):
        self.assert_fails("no console log", console="")

    def test_missing_script_run_fails(self):
        self.assert_fails("rust/test-callbacks.sh: never started",
                          selftests_log(drop=("rust", "test-callbacks.sh")))

    def test_module_left_loaded_fails(self):
        self.assert_fails("c/test-livepatch.sh: left modules loaded: test_klp_livepatch",
                          selftests_log(left=("c", "test-livepatch.sh")))

    def test_guest_stopped_early_fails(self):
        self.assert_fails("no 'rl-selftests: done' line: the guest stopped early", selftests_log(done=False))

    def test_guest_timeout_fails(self):
        # Killed at QEMU_TIMEOUT: `timeout` exits 124 (137 after -k).
        for status in (124, 137):
            with self.subTest(status=status):
                self.assert_fails("the guest did not finish within 600 s (QEMU_TIMEOUT)",
                                  selftests_log(done=False), status=status)

    def test_guest_that_never_booted_fails(self):
        self.assert_fails("the guest never started the selftests", "")

    def test_every_console_report_fails(self):
        for kind, line in CONSOLE_REPORTS.items():
            with self.subTest(kind=kind):
                self.assert_fails(f"FAIL: kernel console: {line}", console=CLEAN_CONSOLE + line + "\n")


if __name__ == "__main__":
    unittest.main()
