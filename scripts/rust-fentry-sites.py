#!/usr/bin/env python3
"""Rust functions that are ftrace sites (scripts/rust-fentry.sh sites).

usage: rust-fentry-sites.py VMLINUX SYSTEM.MAP [MODULE.ko...]

An ftrace site is a call of __fentry__ recorded in __mcount_loc (objtool's
mcount pass does it for C and Rust objects alike); the kernel makes each one
a traceable, patchable function at boot or module load. Rust functions are
told by their v0 symbols (`_R...`). For vmlinux, the addresses between
__start_mcount_loc and __stop_mcount_loc are mapped to the functions of
System.map; for a module, the relocations of its __mcount_loc section to its
function symbols. Prints, per object, Rust functions, how many are sites,
and up to 3 Rust functions that are not. (A `#[no_mangle]` Rust function has
a C-like name: not counted.)
"""
import bisect
import struct
import sys


class Elf:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise SystemExit(f"{path}: not a 64-bit little-endian ELF file")
        shoff, = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
        self.sections = []
        for i in range(shnum):
            f = struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
            self.sections.append(
                dict(name=f[0], type=f[1], flags=f[2], addr=f[3], offset=f[4], size=f[5],
                     link=f[6], info=f[7], entsize=f[9]))
        strtab = self.sections[shstrndx]
        for s in self.sections:
            s["name"] = self.cstr(strtab["offset"] + s["name"])

    def cstr(self, off):
        end = self.data.index(b"\0", off)
        return self.data[off:end].decode("utf-8", "replace")

    def section(self, name):
        return next((s for s in self.sections if s["name"] == name), None)

    def symbols(self):
        """(name, section index, value, size, type) of .symtab."""
        symtab = next((s for s in self.sections if s["type"] == 2), None)
        if symtab is None:
            return []
        strtab = self.sections[symtab["link"]]
        out = []
        for i in range(symtab["size"] // 24):
            name, info, _, shndx, value, size = struct.unpack_from(
                "<IBBHQQ", self.data, symtab["offset"] + i * 24)
            out.append((self.cstr(strtab["offset"] + name), shndx, value, size, info & 0xF))
        return out


def report(what, rust, sites):
    """One line; when some Rust functions are sites, up to 3 that are not."""
    missing = sorted(rust - sites)
    line = f"{what}: {len(rust)} Rust functions, {len(rust & sites)} ftrace sites"
    if missing and rust & sites:
        line += f"; not: {' '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}"
    print(line)


def vmlinux(path, system_map):
    elf = Elf(path)
    funcs = []
    marks = {}
    with open(system_map) as f:
        for line in f:
            addr, kind, name = line.split()[:3]
            if kind in "tTwW":
                funcs.append((int(addr, 16), name))
            if name in ("__start_mcount_loc", "__stop_mcount_loc"):
                marks[name] = int(addr, 16)
    funcs.sort()
    starts = [a for a, _ in funcs]
    start, stop = marks["__start_mcount_loc"], marks["__stop_mcount_loc"]
    sec = next(s for s in elf.sections
               if s["addr"] <= start < s["addr"] + s["size"] and s["type"] != 8)
    raw = elf.data[sec["offset"] + start - sec["addr"]:sec["offset"] + stop - sec["addr"]]
    # The start address of the function each entry is in. Several symbols
    # may share one address (aliases: LLVM merges identical Rust functions):
    # they are one function, one site.
    site_addrs = set()
    for (addr,) in struct.iter_unpack("<Q", raw):
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0:
            site_addrs.add(starts[i])
    rust = {n for _, n in funcs if n.startswith("_R")}
    sites = {n for a, n in funcs if a in site_addrs}
    report("vmlinux", rust, sites)
    rust_addrs = {a for a, n in funcs if n.startswith("_R")}
    print(f"vmlinux: {len(rust_addrs)} distinct Rust function addresses, "
          f"{len(rust_addrs & site_addrs)} ftrace sites; {len(site_addrs)} sites in all "
          f"({len(raw) // 8} __mcount_loc entries)")


def module(path):
    elf = Elf(path)
    syms = elf.symbols()
    funcs = [(shndx, value, size, name) for name, shndx, value, size, typ in syms if typ == 2]
    rust = {name for _, _, _, name in funcs if name.startswith("_R")}
    rela = elf.section(".rela__mcount_loc")
    # (section, offset) of the functions with a site; aliases share one.
    site_at = set()
    if rela is not None:
        for i in range(rela["size"] // 24):
            _, info, addend = struct.unpack_from("<QQq", elf.data, rela["offset"] + i * 24)
            _, shndx, value, _, _ = syms[info >> 32]
            target = value + addend
            for fs, fv, fsz, _ in funcs:
                if fs == shndx and fv <= target < fv + max(fsz, 1):
                    site_at.add((fs, fv))
                    break
    sites = {name for fs, fv, _, name in funcs if (fs, fv) in site_at}
    report(path.rsplit("/", 1)[-1], rust, sites)
    return len(rust), len(rust & sites)


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    vmlinux(argv[1], argv[2])
    total = [0, 0]
    for ko in argv[3:]:
        r, s = module(ko)
        total[0] += r
        total[1] += s
    if argv[3:]:
        print(f"modules ({len(argv) - 3}): {total[0]} Rust functions, {total[1]} ftrace sites")


if __name__ == "__main__":
    main(sys.argv)
