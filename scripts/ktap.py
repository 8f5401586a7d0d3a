#!/usr/bin/env python3
"""Strict KTAP check of a guest's results (scripts/qemu-run.sh).

usage: ktap.py RESULTS CONSOLE END_LINE [QEMU_STATUS SECS [MAY_SKIP]]

Fails (exit 1) unless RESULTS starts with the KTAP version line, has a plan,
one result per planned test in order, and the END_LINE sentinel; any `not ok`,
`Bail out!` or missing result is a failure. CONSOLE (the kernel log) must exist
and be free of warnings, oopses and call traces. QEMU_STATUS, the guest's exit
status, must be 0 (124/137: killed at SECS, QEMU_TIMEOUT).

A SKIP (`ok N name # SKIP reason`: the guest found the kernel lacks what the
test needs) is a failure unless MAY_SKIP is 1 (a kernel not configured for
the tests, e.g. a distribution's); then it must give its reason, and every
SKIP is listed with it at the end. Prints the results, then `N passed, N
failed` (`, N skipped`).
"""
import re
import sys

# Reports, not boot banners: KASAN and lockdep reports start with "BUG:" or
# "WARNING:"; kmemleak says "kmemleak: N new suspected memory leaks".
BAD_CONSOLE = re.compile(
    r"Call Trace|WARNING:|BUG:|kernel BUG at|Oops|Kernel panic|general protection|UBSAN:"
    r"|kmemleak: \d+ new suspected memory leaks"
)


def console_problem(console):
    """The first report line in a kernel console log, or None."""
    m = BAD_CONSOLE.search(console)
    if not m:
        return None
    return console[console.rfind("\n", 0, m.start()) + 1 : console.find("\n", m.start())].strip()


def console_problems(console_path):
    """What is wrong with a guest's kernel console log: missing, or a report."""
    console = read(console_path)
    if not console:
        return ["no console log: the kernel's reports could not be checked"]
    if bad := console_problem(console):
        return [f"kernel console: {bad}"]
    return []


def verdict(problems, passed, failed, skips=()):
    """Prints the SKIPs with their reasons, the problems and the closing
    `N passed, N failed` line; the exit status."""
    for name, why in skips:
        print(f"SKIP: {name}: {why}")
    for p in problems:
        print(f"FAIL: {p}")
    if not problems and passed == 0:
        problems.append("no test ran")
        print("FAIL: no test ran")
    print(f"{passed} passed, {failed} failed" + (f", {len(skips)} skipped" if skips else ""))
    return 1 if problems else 0


def read(path):
    """The text of a log file ("" if there is none)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except (OSError, TypeError):
        return ""


def status_problems(status, secs):
    """What QEMU's exit status says: killed at its timeout, or failed."""
    status = int(status)
    if status in (124, 137):
        return [f"the guest did not finish within {secs} s (QEMU_TIMEOUT)"]
    if status != 0:
        return [f"QEMU exited with status {status}"]
    return []


def main(results_path, console_path, end_line, status="0", secs="?", may_skip=""):
    text = read(results_path)
    lines = text.splitlines()
    problems = status_problems(status, secs)
    passed = failed = 0
    skips = []
    try:
        start = lines.index("KTAP version 1")
    except ValueError:
        start = None
        problems.append("no 'KTAP version 1' line: the guest did not run the tests")
    planned = None
    expected = 1
    for line in lines[start + 1 if start is not None else len(lines):]:
        print(line)
        if m := re.fullmatch(r"1\.\.(\d+)", line):
            planned = int(m.group(1))
        elif m := re.fullmatch(r"(not ok|ok) (\d+) (\S+)(.*)", line):
            status, num, name, rest = m.groups()
            if int(num) != expected:
                problems.append(f"result {num} ({name}) out of order, expected {expected}")
            expected = int(num) + 1
            skip = re.search(r"# SKIP\b\s*(.*)", rest)
            if status == "ok" and not skip:
                passed += 1
            elif status == "ok" and skip and skip[1] and may_skip == "1":
                skips.append((name, skip[1]))
            elif status == "ok" and skip and may_skip == "1":
                failed += 1
                problems.append(f"{name}: a SKIP must say why")
            else:
                failed += 1
                problems.append(f"{name}: {status}{rest}")
        elif line.startswith("Bail out!"):
            problems.append(line)
    if start is not None:
        if planned is None:
            problems.append("no test plan (1..N)")
        elif expected - 1 != planned:
            missing = planned - (expected - 1)
            failed += max(missing, 0)
            problems.append(f"{expected - 1} results for a plan of {planned}")
        if end_line not in lines:
            problems.append(f"no end line '{end_line}': the guest stopped early")
    problems += console_problems(console_path)
    return verdict(problems, passed, failed, skips)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
