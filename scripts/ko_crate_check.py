#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fail when a kernel module carries a function of a crate that nothing in
the module uses.

    ko_crate_check.py [--crate livepatch] [-v] MODULE.ko...

A patch module must contain the crate's functions it calls and no other
(rust/livepatch/Kbuild.crate: the crate is generated only where it is used).
For each module, the functions of the crate are the FUNC symbols whose
demangled name has a `<crate>::` path (v0-mangled Rust names carry the crate).
A function is used when code or data outside the crate's functions refers to
it, directly or through other used functions of the crate: by a relocation
(symbol or section + addend), or by a direct call or jump already resolved in
the object (objdump). References that are only bookkeeping of the code (ORC
unwind tables, IBT seal list, return/call/retpoline site lists, mcount
locations, bug and exception tables, alternatives, jump labels, debug info)
do not count: every function has them.

Exit status 1, with the unused functions listed, if any module has one.
Python and binutils' objdump only; the ELF is read here (ELF64, x86_64).
"""

import argparse
import bisect
import re
import shutil
import struct
import subprocess
import sys

SHT_SYMTAB, SHT_RELA = 2, 4
SHF_ALLOC = 0x2
STT_FUNC, STT_SECTION = 2, 3
SHN_LORESERVE = 0xFF00
# PC-relative relocations: the addend counts from the end of the 4-byte
# field, so the place referred to is symbol + addend + 4.
R_X86_64_PC32, R_X86_64_PLT32 = 2, 4

# Sections whose relocations record where code is, for the kernel's tools,
# rather than refer to it.
BOOKKEEPING = {
    ".orc_unwind_ip", ".orc_unwind", ".ibt_endbr_seal", ".return_sites", ".call_sites",
    ".retpoline_sites", "__mcount_loc", "__patchable_function_entries", ".static_call_sites",
    "__bug_table", "__ex_table", ".altinstructions", ".altinstr_aux", "__jump_table",
    ".smp_locks", ".parainstructions", ".cfi_sites", ".kcfi_traps", ".eh_frame",
}
BOOKKEEPING_PREFIXES = (".discard", ".debug", ".note", ".comment")


class Elf:
    """Sections, symbols and relocations of an ELF64 little-endian object."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = data = f.read()
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError(f"{path}: not an ELF64 little-endian file")
        (shoff,) = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        self.sections = []
        for i in range(shnum):
            name, typ, flags, _addr, off, size, link, info, _align, entsize = struct.unpack_from(
                "<IIQQQQIIQQ", data, shoff + i * shentsize)
            self.sections.append({"name_off": name, "type": typ, "flags": flags, "offset": off,
                                  "size": size, "link": link, "info": info, "entsize": entsize})
        strtab = self.sections[shstrndx]
        for s in self.sections:
            s["name"] = self._str(strtab["offset"], s["name_off"])
        self.symbols = []
        for s in self.sections:
            if s["type"] != SHT_SYMTAB:
                continue
            names = self.sections[s["link"]]["offset"]
            for j in range(s["size"] // 24):
                name, info, _other, shndx, value, size = struct.unpack_from(
                    "<IBBHQQ", data, s["offset"] + j * 24)
                self.symbols.append({"name": self._str(names, name), "type": info & 0xF,
                                     "bind": info >> 4, "shndx": shndx, "value": value, "size": size})

    def _str(self, base, off):
        end = self.data.index(b"\0", base + off)
        return self.data[base + off:end].decode(errors="replace")

    def relocations(self):
        """(section index the relocation applies to, offset, symbol, type, addend)."""
        for s in self.sections:
            if s["type"] != SHT_RELA:
                continue
            for j in range(s["size"] // 24):
                off, info, addend = struct.unpack_from("<QQq", self.data, s["offset"] + j * 24)
                yield s["info"], off, self.symbols[info >> 32], info & 0xFFFFFFFF, addend


def demangle(names):
    """binutils' c++filt, without the crate hashes it prints (`kernel[1a2b]::`)."""
    if not names or not shutil.which("c++filt"):
        return dict(zip(names, names))
    out = subprocess.run(["c++filt"], input="\n".join(names) + "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return {n: re.sub(r"\[[0-9a-f]+\]::", "::", d) for n, d in zip(names, out)}


BRANCH = re.compile(r"^\s*([0-9a-f]+):\s+(?:(?:bnd|notrack|cs|ds)\s+)*"
                    r"(?:call|jmp|j[a-z]{1,3})q?\s+([0-9a-f]+) <")
INSN = re.compile(r"^\s*([0-9a-f]+):\s")
RELOC = re.compile(r"^\s*([0-9a-f]+): R_")
SECTION = re.compile(r"^Disassembly of section (\S+):$")


def direct_branches(path, elf):
    """(section index, offset of the instruction, target offset in the same
    section) of each call or jump whose target the assembler resolved (no
    relocation inside the instruction)."""
    index = {s["name"]: i for i, s in enumerate(elf.sections)}
    out = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", path], capture_output=True,
                         text=True, check=True).stdout
    sec = None
    insns = []  # (section, address, branch target or None)
    relocs = set()
    for line in out.splitlines():
        m = SECTION.match(line)
        if m:
            sec = index.get(m.group(1))
            continue
        if sec is None:
            continue
        m = RELOC.match(line)
        if m:
            relocs.add((sec, int(m.group(1), 16)))
            continue
        m = INSN.match(line)
        if m:
            b = BRANCH.match(line)
            insns.append((sec, int(m.group(1), 16), int(b.group(2), 16) if b else None))
    for i, (sec, addr, target) in enumerate(insns):
        if target is None:
            continue
        end = insns[i + 1][1] if i + 1 < len(insns) and insns[i + 1][0] == sec else addr + 16
        if any((sec, o) in relocs for o in range(addr, end)):
            continue  # the relocation is the reference, counted as such
        yield sec, addr, target


def crate_functions(path, crate):
    """The crate's functions in the module: [{"symbol" (demangled), "size",
    "used"}], by symbol."""
    elf = Elf(path)
    funcs = [s for s in elf.symbols if s["type"] == STT_FUNC and 0 < s["shndx"] < SHN_LORESERVE]
    mangled = sorted({s["name"] for s in funcs if s["name"].startswith("_R")})
    names = demangle(mangled)
    crate_path = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(crate) + r"::")
    ours = {id(s) for s in funcs if crate_path.search(names.get(s["name"], s["name"]))}
    # Per section: the crate's functions, sorted, to find the one containing an offset.
    by_sec = {}
    for s in funcs:
        if id(s) in ours:
            by_sec.setdefault(s["shndx"], []).append((s["value"], max(s["size"], 1), s["name"]))
    for v in by_sec.values():
        v.sort()

    def crate_func(sec, off):
        fs = by_sec.get(sec, [])
        i = bisect.bisect_right(fs, (off, float("inf"), "")) - 1
        if i >= 0 and fs[i][0] <= off < fs[i][0] + fs[i][1]:
            return fs[i][2]
        return None

    edges = []  # (from: crate function or None, to: crate function)
    for sec, off, sym, typ, addend in elf.relocations():
        target_sec = elf.sections[sec]
        if not target_sec["flags"] & SHF_ALLOC or target_sec["name"] in BOOKKEEPING or \
                target_sec["name"].startswith(BOOKKEEPING_PREFIXES):
            continue
        if not 0 < sym["shndx"] < SHN_LORESERVE:
            continue  # undefined or special: not in this module
        place = sym["value"] + addend + (4 if typ in (R_X86_64_PC32, R_X86_64_PLT32) else 0)
        if sym["type"] == STT_FUNC and sym["shndx"] in by_sec and crate_func(sym["shndx"], sym["value"]):
            place = sym["value"]
        to = crate_func(sym["shndx"], place)
        if to:
            edges.append((crate_func(sec, off), to))
    if by_sec:
        for sec, addr, target in direct_branches(path, elf):
            to = crate_func(sec, target)
            frm = crate_func(sec, addr)
            if to and to != frm:
                edges.append((frm, to))
    reached = set()
    work = [to for frm, to in edges if frm is None]
    while work:
        f = work.pop()
        if f in reached:
            continue
        reached.add(f)
        work.extend(to for frm, to in edges if frm == f)
    sizes = {}
    for v in by_sec.values():
        for _, size, name in v:
            sizes[name] = size
    return sorted(({"symbol": names.get(n, n), "size": sizes[n], "used": n in reached} for n in sizes),
                  key=lambda f: f["symbol"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--crate", default="livepatch")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("modules", nargs="+")
    a = ap.parse_args()
    bad = 0
    for ko in a.modules:
        funcs = crate_functions(ko, a.crate)
        unused = [f for f in funcs if not f["used"]]
        if unused:
            bad += 1
            print(f"{ko}: {len(unused)} of the {len(funcs)} functions of the {a.crate} crate in it are "
                  f"never used ({sum(f['size'] for f in unused)} bytes of code):", file=sys.stderr)
            for f in unused:
                print(f"    {f['symbol']} ({f['size']} bytes)", file=sys.stderr)
        elif a.verbose:
            print(f"{ko}: {len(funcs)} functions of the {a.crate} crate, all used: "
                  + ", ".join(f["symbol"] for f in funcs))
    if bad:
        print(f"[rust-livepatch] error: {bad} module(s) carry {a.crate} functions they never use: "
              f"the crate must generate code only in the modules that call it "
              f"(rust/livepatch/Kbuild.crate)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
