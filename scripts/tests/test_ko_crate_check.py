#!/usr/bin/env python3
"""scripts/ko_crate_check.py finds every function of the crate that nothing
in the module uses, and only those.

An object assembled here has crate functions referenced in each way a module
can reference one (a call through a relocation, a call the assembler
resolved, a pointer in data, through another used function) and in the ways
that do not count (only from an unused function, only from ORC bookkeeping,
not at all). Needs binutils' `as` (make setup installs it).
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ko_crate_check  # noqa: E402


def mangled(name):
    """A v0 name `livepatch::<name>` (crate disambiguator 1)."""
    return f"_RNvCs1_9livepatch{len(name)}{name}"


FUNCS = ["by_reloc", "by_direct_call", "by_data", "through_used", "unused", "only_from_unused",
         "only_orc"]
USED = {"by_reloc", "by_direct_call", "by_data", "through_used"}


def asm():
    m = {f: mangled(f) for f in FUNCS}
    out = ["\t.text", "\t.globl module_init_fn", "\t.type module_init_fn,@function", "module_init_fn:",
           f"\tcall {m['by_reloc']}",        # global symbol: a relocation
           f"\tcall {m['by_direct_call']}",  # local, same section: resolved, no relocation
           "\tret", "\t.size module_init_fn, .-module_init_fn",
           # A module crate function whose name mentions another crate's items.
           "\t.type _RNvCs2_21rust_livepatch_sample3fix,@function",
           "_RNvCs2_21rust_livepatch_sample3fix:", "\tret",
           "\t.size _RNvCs2_21rust_livepatch_sample3fix, .-_RNvCs2_21rust_livepatch_sample3fix"]
    for f in FUNCS:
        out += [f"\t.type {m[f]},@function"]
        if f == "by_reloc":
            out += [f"\t.globl {m[f]}"]
        out += [f"{m[f]}:"]
        if f == "by_reloc":
            out += [f"\tcall {m['through_used']}"]
        if f == "unused":
            out += [f"\tcall {m['only_from_unused']}"]
        out += ["\tnop", "\tret", f"\t.size {m[f]}, .-{m[f]}"]
    out += ["\t.data", f"\t.quad {m['by_data']}",
            '\t.section .orc_unwind_ip,"a"', f"\t.long {m['only_orc']} - ."]
    return "\n".join(out) + "\n"


class KoCrateCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        src = os.path.join(cls.dir.name, "m.s")
        cls.obj = os.path.join(cls.dir.name, "m.o")
        with open(src, "w") as f:
            f.write(asm())
        subprocess.run(["as", "--64", "-o", cls.obj, src], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_used_and_unused(self):
        funcs = {f["symbol"]: f["used"] for f in ko_crate_check.crate_functions(self.obj, "livepatch")}
        self.assertEqual(set(funcs), {f"livepatch::{f}" for f in FUNCS})
        self.assertEqual({k for k, v in funcs.items() if v}, {f"livepatch::{f}" for f in USED})

    def test_other_crates_not_listed(self):
        names = [f["symbol"] for f in ko_crate_check.crate_functions(self.obj, "rust_livepatch_sample")]
        self.assertEqual(names, ["rust_livepatch_sample::fix"])

    def test_command_fails_and_names_them(self):
        r = subprocess.run([sys.executable, ko_crate_check.__file__, self.obj], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 1)
        for f in set(FUNCS) - USED:
            self.assertIn(f"livepatch::{f} ", r.stderr)
        for f in USED:
            self.assertNotIn(f"livepatch::{f} ", r.stderr)

    def test_command_passes_without_the_crate(self):
        r = subprocess.run([sys.executable, ko_crate_check.__file__, "--crate", "kernel", self.obj],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
