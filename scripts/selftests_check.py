#!/usr/bin/env python3
"""Strict check of a selftests guest run (scripts/selftests.sh).

usage: selftests_check.py RESULTS CONSOLE QEMU_STATUS SECS SCRIPTS PORTED STILL_C MAY_SKIP

RESULTS is the guest's log (`rl-selftests: begin/out/end/left` lines, see
scripts/guest/selftests/init), CONSOLE the kernel log, QEMU_STATUS the exit
status of the guest (124/137: killed at SECS, QEMU_TIMEOUT). SCRIPTS, PORTED,
STILL_C and MAY_SKIP are space-separated lists: the selftest scripts run
(each with the C modules, then the Rust ports), the modules ported to Rust,
those left in C, the scripts allowed to SKIP.

Every script must run to its end under both flavours; every TEST line of the
C run must say ok (the Rust run too where the C one does); a SKIP fails
unless its script is in MAY_SKIP and says why; no module may be left loaded;
the console must be free of reports (ktap.console_problem). Prints the table
of results and KTAP, then `N passed, N failed`; exit 1 on any problem.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktap import console_problems, read, status_problems, verdict  # noqa: E402  (the same report patterns as the QEMU tests)

FLAVOURS = ["c", "rust"]
# "TEST: <name> ... ok"; anything else after the dots ("not ok", "FAIL", an
# error message, nothing when the script died) is a failure.
TEST = re.compile(r"TEST: (.*?) \.\.\.(?: (.*))?$")


def guest_problems(lines, status, secs):
    """Did the guest run and finish?"""
    problems = status_problems(status, secs)
    if not any(l.startswith("rl-selftests: start ") for l in lines):
        problems.append("the guest never started the selftests (did it boot? see console.log)")
    if "rl-selftests: done" not in lines:
        problems.append("no 'rl-selftests: done' line: the guest stopped early")
    return problems


def parse_runs(lines):
    """runs[(flavour, script)] = {"out": [...], "rc": int|None, "left": str, "secs": int|None}"""
    runs = {}

    def run(fl, script):
        return runs.setdefault((fl, script), {"out": [], "rc": None, "left": "", "secs": None})

    for line in lines:
        if m := re.fullmatch(r"rl-selftests: begin (\S+) (\S+)", line):
            run(m[1], m[2])
        elif m := re.fullmatch(r"rl-selftests: out (\S+) (\S+) \| ?(.*)", line):
            run(m[1], m[2])["out"].append(m[3])
        elif m := re.fullmatch(r"rl-selftests: end (\S+) (\S+) rc=(\d+) secs=(\d+)", line):
            r = run(m[1], m[2])
            r["rc"], r["secs"] = int(m[3]), int(m[4])
        elif m := re.fullmatch(r"rl-selftests: left (\S+) (\S+) (.*)", line):
            run(m[1], m[2])["left"] = m[3]
    return runs


class Results:
    """results[flavour][(script, test)] = "ok" | "FAIL" | "SKIP", and the
    rows in order of first appearance."""

    def __init__(self):
        self.by_flavour = {fl: {} for fl in FLAVOURS}
        self.order = []

    def set(self, fl, script, test, value):
        key = (script, test)
        if key not in self.order:
            self.order.append(key)
        self.by_flavour[fl][key] = value

    def get(self, fl, key):
        return self.by_flavour[fl].get(key)

    def failed_in(self, fl, script):
        return any(v == "FAIL" for (sc, _), v in self.by_flavour[fl].items() if sc == script)


def check_run(fl, s, r, may_skip, results, problems):
    """One script's run under one flavour: its TEST lines, its exit code."""
    if r is None or r["rc"] is None:
        problems.append(f"{fl}/{s}: {'never started' if r is None else 'did not finish'}")
        return
    tests = [(m[1], (m[2] or "").strip() == "ok") for l in r["out"] if (m := TEST.match(l))]
    for name, ok in tests:
        results.set(fl, s, name, "ok" if ok else "FAIL")
    rc = r["rc"]
    if rc == 4:
        reason = next((l for l in r["out"] if re.search(r"SKIP:|skip all tests", l)), "")
        if not reason:
            problems.append(f"{fl}/{s}: skipped without saying why")
        elif s not in may_skip:
            problems.append(f"{fl}/{s}: skipped, but it must run: {reason}")
        else:
            print(f"# {fl}/{s} skipped: {reason}")
        if not tests:
            results.set(fl, s, "(whole script)", "SKIP")
    elif rc != 0:
        why = "timed out in the guest" if rc in (124, 137) else f"exited {rc}"
        problems.append(f"{fl}/{s}: {why}")
        for l in [l for l in r["out"] if l.strip()][-20:]:
            print(f"#   {fl}/{s}: {l}")
        if not results.failed_in(fl, s):
            results.set(fl, s, f"(script {why})", "FAIL")
    elif not tests:
        problems.append(f"{fl}/{s}: exited 0 without running a test")
    if r["left"]:
        problems.append(f"{fl}/{s}: left modules loaded: {r['left']}")


def print_table(results, ported, still_c):
    w = max([len(f"{s} {t}") for s, t in results.order] + [20])
    print(f"{'test':<{w}}  {'C':<5} {'Rust':<5}")
    for key in results.order:
        s, t = key
        c = results.get("c", key) or "-"
        rs = results.get("rust", key) or "-"
        print(f"{s.removesuffix('.sh') + ': ' + t:<{w}}  {c:<5} {rs:<5}")
    print(f"# rust flavour: ported: {' '.join(ported) or 'none'}; still C: {' '.join(still_c) or 'none'}")


def rule_problems(results, may_skip):
    """Every C test passes (or may skip); every Rust test passes where C does."""
    problems = []
    for key in results.order:
        s, t = key
        c, rs = results.get("c", key), results.get("rust", key)
        if c != "ok" and not (c == "SKIP" and s in may_skip):
            problems.append(f"C: {s}: {t}: {c or 'missing'}")
        if c == "ok" and rs != "ok":
            problems.append(f"Rust: {s}: {t}: {rs or 'missing'} (passes with C)")
    return problems


def print_ktap(results, may_skip):
    """Both flavours as KTAP; (passed, failed)."""
    n = passed = failed = 0
    ktap = []
    for fl in FLAVOURS:
        for key in results.order:
            s, t = key
            v = results.get(fl, key)
            if v is None and t.startswith("("):
                continue  # a whole-script row of the other flavour
            n += 1
            name = f"{fl}:{s.removesuffix('.sh')}: {t}"
            if v == "ok":
                passed += 1
                ktap.append(f"ok {n} {name}")
            elif v == "SKIP" and s in may_skip:
                ktap.append(f"ok {n} {name} # SKIP")
            else:
                failed += 1
                ktap.append(f"not ok {n} {name}")
    print("KTAP version 1")
    print(f"1..{n}")
    print("\n".join(ktap))
    return passed, failed


def main(results_path, console_path, status, secs, scripts, ported, still_c, may_skip):
    scripts, ported, still_c, may_skip = scripts.split(), ported.split(), still_c.split(), may_skip.split()
    lines = read(results_path).splitlines()
    problems = guest_problems(lines, status, secs)
    runs = parse_runs(lines)
    results = Results()
    for fl in FLAVOURS:
        for s in scripts:
            check_run(fl, s, runs.get((fl, s)), may_skip, results, problems)
    print_table(results, ported, still_c)
    problems += rule_problems(results, may_skip)
    passed, failed = print_ktap(results, may_skip)
    problems += console_problems(console_path)
    return verdict(problems, passed, failed)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:9]))
