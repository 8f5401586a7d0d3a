#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Figures of `make bench` (scripts/bench.sh): parses the guest's results and
the host's build times, measures module sizes, writes latest.json, latest.md
and call-overhead.png into the results directory, prints the markdown."""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys


def median(xs):
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return round(a / b, 4) if a is not None and b else None


# --- guest results ---------------------------------------------------------

def parse_guest(path):
    calls = {}      # label -> [ns per call per round]
    states = {}     # label -> set of bench_target_fn(0) values
    polls = {}      # (tasks, flavour) -> [(load_us, poll_us)]
    kmsg = []
    errors = []
    clock = None
    done = False
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        f = line.split()
        if not f:
            continue
        if f[0] == "calls" and len(f) == 4:
            if f[2] == "ps":
                calls.setdefault(f[1], []).append(int(f[3]) / 1000.0)
            elif f[2] == "state":
                states.setdefault(f[1], set()).add(int(f[3]))
        elif f[0] == "trans" and len(f) == 7:
            polls.setdefault((int(f[1]), f[2]), []).append((int(f[4]), int(f[6])))
        elif f[0] == "kmsg":
            kmsg.append(line[5:])
        elif f[0] == "clocksource" and len(f) == 2:
            clock = f[1]
        elif f[0] == "error":
            errors.append(line[6:])
        elif line == "# END rust-livepatch bench":
            done = True
    return calls, states, polls, kmsg, errors, clock, done


TS = re.compile(r"^\[\s*(\d+\.\d+)\]\s*(.*)$")


def parse_kmsg(kmsg):
    """Per (tasks, flavour): kernel-clock µs from the "bench: load" mark
    (written just before finit_module) to "starting patching transition"
    (module loaded, patch initialised) and to "patching complete" (the
    transition ended: `transition` reads 0 from then on)."""
    out = {}
    cur = None
    for line in kmsg:
        m = TS.match(line)
        if not m:
            continue
        t, msg = float(m.group(1)), m.group(2)
        mm = re.search(r"bench: trans (\d+) (\w+)$", msg)
        if mm:
            cur = {"key": (int(mm.group(1)), mm.group(2))}
            continue
        if cur is None:
            continue
        if re.search(r"bench: load bench_patch_", msg) and "t0" not in cur:
            cur["t0"] = t
        elif "starting patching transition" in msg and "t0" in cur:
            cur["start"] = t
        elif "patching complete" in msg and "t0" in cur and "start" in cur:
            out.setdefault(cur["key"], []).append(
                {"start_us": round((cur["start"] - cur["t0"]) * 1e6),
                 "complete_us": round((t - cur["t0"]) * 1e6)})
            cur = None
    return out


# --- sizes -----------------------------------------------------------------

def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def tool(*names):
    for n in names:
        if subprocess.run(["sh", "-c", f"command -v {n}"], capture_output=True).returncode == 0:
            return n
    sys.exit(f"none of {names} found")


SIZE = tool("llvm-size-19", "llvm-size", "size")
FILT = tool("llvm-cxxfilt-19", "llvm-cxxfilt", "c++filt")


def berkeley(path):
    line = run(SIZE, path).splitlines()[1].split()
    return {"text": int(line[0]), "data": int(line[1]), "bss": int(line[2])}


def sections(path):
    """name -> (size, alloc) from readelf -SW."""
    out = {}
    for line in run("readelf", "-SW", path).splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s+([0-9a-f]+)\s+\S+\s*(\S*)", line)
        if m and m.group(1) != "NULL" and m.group(2) != "NULL":
            out[m.group(1)] = (int(m.group(3), 16), "A" in m.group(4))
    return out


def module_size(path):
    b = berkeley(path)
    return {"file": os.path.getsize(path), **b, "alloc": b["text"] + b["data"] + b["bss"]}


def rust_breakdown(ko):
    """Where the bytes of a Rust patch .ko come from: per linked object (the
    livepatch crate, the module's crate, the C .mod.o), and file bytes that
    are not loaded code/data (symbols, relocations, unwind tables)."""
    base = ko[:-3]
    name = os.path.basename(base)
    objs = {"livepatch crate": f"{base}.lp/livepatch.o",
            "module crate": f"{base}.lp/{name}.o",
            "modinfo/this_module (C)": f"{base}.mod.o"}
    per_obj = {}
    for k, o in objs.items():
        if os.path.exists(o):
            per_obj[k] = {"file": os.path.getsize(o), **berkeley(o)}
    secs = sections(ko)
    groups = {"symbols (.symtab+.strtab)": 0, "relocations (.rela.*)": 0,
              "ORC unwind + IBT seal": 0, "code+rodata": 0, "data/bss": 0, "other": 0}
    for s, (size, alloc) in secs.items():
        if s in (".symtab", ".strtab"):
            groups["symbols (.symtab+.strtab)"] += size
        elif s.startswith(".rela"):
            groups["relocations (.rela.*)"] += size
        elif s.startswith(".orc") or s == ".ibt_endbr_seal":
            groups["ORC unwind + IBT seal"] += size
        elif s.startswith(".text") or s.startswith(".rodata") or s.endswith(".text"):
            groups["code+rodata"] += size
        elif s in (".data", ".bss") or s.endswith(".data") or s == ".gnu.linkonce.this_module":
            groups["data/bss"] += size
        else:
            groups["other"] += size
    # Functions of the livepatch crate in the .ko, and which the module uses.
    lp = objs["livepatch crate"]
    funcs = []
    if os.path.exists(lp):
        used = set()
        mod_o = objs["module crate"]
        if os.path.exists(mod_o):
            used = {l.split()[-1] for l in run("nm", "-u", mod_o).splitlines()}
        mangled = {}
        for l in run("nm", "-S", "--defined-only", lp).splitlines():
            f = l.split()
            if len(f) == 4 and f[2] in "Tt":
                mangled[f[3]] = int(f[1], 16)
        for sym, size in sorted(mangled.items(), key=lambda kv: -kv[1]):
            d = run(FILT, sym).strip()
            funcs.append({"symbol": d, "size": size, "used_by_module": sym in used})
    panic_refs = sorted({l.split()[-1] for o in objs.values() if os.path.exists(o)
                         for l in run("nm", "-u", o).splitlines()
                         if "panicking" in l or "fmt" in l})
    return {"objects": per_obj, "ko_sections": groups, "livepatch_crate_functions": funcs,
            "panic_or_fmt_symbols_referenced": [run(FILT, s).strip() for s in panic_refs],
            "symbols_in_ko": len(run("nm", ko).splitlines())}


# --- output ----------------------------------------------------------------

def fmt(x, nd=2):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def plot(calls, accel, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [("none", "unpatched"), ("c", "patched by C"), ("rust", "patched by Rust")]
    colours = {"none": "tab:blue", "c": "tab:orange", "rust": "tab:green"}
    data = [calls.get(k, []) for k, _ in labels]
    fig, (ax, hx) = plt.subplots(1, 2, figsize=(11, 4.4), dpi=110, gridspec_kw={"width_ratios": [1, 1.3]})
    ax.boxplot(data, showfliers=True, widths=0.5)
    ax.set_xticks(range(1, len(labels) + 1), [l for _, l in labels])
    for i, (d, (k, _)) in enumerate(zip(data, labels), 1):
        jitter = [i + ((j % 7) - 3) * 0.03 for j in range(len(d))]
        ax.scatter(jitter, d, s=9, alpha=0.55, zorder=3, color=colours[k])
    ax.set_ylabel("ns per call (loop included)")
    ax.set_title("all rounds")
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(bottom=0)
    # The patched distributions, side by side at a readable scale.
    pc, pr = calls.get("c", []), calls.get("rust", [])
    both = pc + pr
    if both:
        lo, hi = min(both), max(both)
        bins = [lo + (hi - lo) * i / 30 for i in range(31)] if hi > lo else 10
        for k, d in (("c", pc), ("rust", pr)):
            if d:
                hx.hist(d, bins=bins, alpha=0.55, color=colours[k],
                        label=f"{dict(labels)[k]}: median {statistics.median(d):.2f}, min {min(d):.2f}")
                hx.axvline(statistics.median(d), color=colours[k], linestyle="--")
    hx.set_xlabel("ns per call")
    hx.set_ylabel("rounds")
    hx.set_title("patched calls: C vs Rust")
    hx.legend(fontsize=8)
    hx.grid(alpha=0.3)
    fig.suptitle(f"bench_target_fn() call cost, {len(pc)} rounds per case, {accel.upper()}")
    fig.tight_layout()
    fig.savefig(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--accel", required=True)
    ap.add_argument("--accel-why", default="")
    ap.add_argument("--c-sample", required=True)
    ap.add_argument("--rust-sample", required=True)
    ap.add_argument("--c-patch", required=True)
    ap.add_argument("--rust-patch", required=True)
    a = ap.parse_args()

    calls, states, polls, kmsg, errors, clock, done = parse_guest(os.path.join(a.out, "results.log"))
    problems = list(errors)
    if clock is None or "jiffies" in clock:
        problems.append(f"guest clocksource {clock}: too coarse for these figures")
    if not done:
        problems.append("the guest did not finish")
    for label, want in (("none", {1}), ("c", {2}), ("rust", {2})):
        if label not in calls:
            problems.append(f"no call figures for {label}")
        elif states.get(label) != want:
            problems.append(f"{label}: bench_target_fn(0) returned {states.get(label)}, expected {want}")

    co = {}
    for label in ("none", "c", "rust"):
        xs = calls.get(label, [])
        co[label] = {"rounds": len(xs), "min_ns": round(min(xs), 3) if xs else None,
                     "median_ns": round(median(xs), 3) if xs else None,
                     "ns_per_round": [round(x, 3) for x in xs]}
    c, r, n = co["c"]["median_ns"], co["rust"]["median_ns"], co["none"]["median_ns"]
    call_ratio = ratio(r, c)
    call_ratio_min = ratio(co["rust"]["min_ns"], co["c"]["min_ns"])
    extra_ratio = ratio(r - n, c - n) if None not in (r, c, n) and c != n else None

    kt = parse_kmsg(kmsg)
    trans = {}
    tasks = sorted({k[0] for k in list(kt) + list(polls)})
    for t in tasks:
        row = {}
        for f in ("c", "rust"):
            ks = kt.get((t, f), [])
            ps = polls.get((t, f), [])
            row[f] = {"n": len(ks),
                      "median_us": median([k["complete_us"] for k in ks]),
                      "min_us": min([k["complete_us"] for k in ks]) if ks else None,
                      "load_median_us": median([k["start_us"] for k in ks]),
                      "raw_kernel_us": ks,
                      "raw_poll_us": [{"finit_module_us": l, "transition_0_seen_us": p} for l, p in ps]}
            if not ks:
                problems.append(f"no transition figures for {f} with {t} tasks")
        row["ratio"] = ratio(row["rust"]["median_us"], row["c"]["median_us"])
        row["load_ratio"] = ratio(row["rust"]["load_median_us"], row["c"]["load_median_us"])
        trans[str(t)] = row
    # One figure: the geometric mean of the per-task-count median ratios.
    rs = [v["ratio"] for v in trans.values() if v["ratio"]]
    trans_ratio = round(statistics.geometric_mean(rs), 4) if rs else None
    trans_ratio_max = max(rs) if rs else None

    sizes = {"c_sample": module_size(a.c_sample), "rust_sample": module_size(a.rust_sample),
             "c_patch": module_size(a.c_patch), "rust_patch": module_size(a.rust_patch)}
    size_ratio = ratio(sizes["rust_sample"]["file"], sizes["c_sample"]["file"])
    size_ratio_alloc = ratio(sizes["rust_sample"]["alloc"], sizes["c_sample"]["alloc"])
    size_ratio_patch = ratio(sizes["rust_patch"]["file"], sizes["c_patch"]["file"])
    breakdown = rust_breakdown(a.rust_sample)

    builds = {"c": [], "rust": []}
    host = {}
    for line in open(os.path.join(a.out, "host.log")):
        f = line.split()
        if f[0] == "build":
            builds[f[1]].append(int(f[2]) / 1e6)
        else:
            host[f[0]] = f[1]
    build = {k: {"median_s": round(median(v), 3) if v else None, "runs_s": [round(x, 3) for x in v]}
             for k, v in builds.items()}
    build_ratio = ratio(build["rust"]["median_s"], build["c"]["median_s"])

    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "accel": a.accel, "accel_why": a.accel_why, "guest_clocksource": clock,
        "call_overhead_ratio": call_ratio,
        "transition_ratio": trans_ratio,
        "size_ratio": size_ratio,
        "build_time_ratio": build_ratio,
        "targets": {"call_overhead_ratio": 1.02, "transition_ratio": 1.05, "size_ratio": 1.5},
        "call_overhead": {**co, "ratio_median": call_ratio, "ratio_min": call_ratio_min,
                          "patch_cost_ratio": extra_ratio,
                          "note": "ns per call of bench_target_fn() from bench_caller, loop included; "
                                  "patch_cost_ratio = (Rust - unpatched) / (C - unpatched)"},
        "transition": {"by_tasks": trans, "ratio_geomean": trans_ratio, "ratio_max": trans_ratio_max,
                       "note": "kernel clock, from the mark written just before finit_module() to the "
                               "core's \"patching complete\"; load = to \"starting patching transition\"; "
                               "tasks: half sleeping, half spinning in user space"},
        "size": {**sizes, "ratio_file": size_ratio, "ratio_text_data_bss": size_ratio_alloc,
                 "ratio_bench_patch_file": size_ratio_patch, "rust_sample_breakdown": breakdown},
        "build_time": {**build, "ratio": build_ratio, "host_loadavg": host.get("loadavg"),
                       "note": "one patch module alone, make clean then make, warm kernel tree; "
                               "the proc-macro .so is prebuilt and not counted"},
        "problems": problems,
    }
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "latest.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    png = os.path.join(a.results, "call-overhead.png")
    plot(calls, a.accel, png)

    def ok(x, target):
        return "n/a" if x is None else ("yes" if x <= target else "**no**")

    md = []
    md.append(f"Accelerator: **{a.accel.upper()}** ({a.accel_why}); guest clock {clock}. Ratios are Rust ÷ C.")
    md.append("")
    md.append("| measure | C | Rust | Rust ÷ C | target | met |")
    md.append("|---|---|---|---|---|---|")
    md.append(f"| call, unpatched: median / min ns | {fmt(n)} / {fmt(co['none']['min_ns'])} | | | | |")
    md.append(f"| patched call: median ns | {fmt(c)} | {fmt(r)} | {fmt(call_ratio, 3)} | ≤ 1.02 | {ok(call_ratio, 1.02)} |")
    md.append(f"| patched call: min ns | {fmt(co['c']['min_ns'])} | {fmt(co['rust']['min_ns'])} | {fmt(call_ratio_min, 3)} | | |")
    md.append(f"| patch cost over unpatched: median ns | {fmt(c - n if c and n else None)} | {fmt(r - n if r and n else None)} | {fmt(extra_ratio, 3)} | | |")
    for t, row in trans.items():
        cm, rm = row["c"]["median_us"], row["rust"]["median_us"]
        md.append(f"| insmod to transition 0, {t} extra tasks: median ms (n={row['c']['n']}) | "
                  f"{fmt(cm / 1000 if cm is not None else None, 1)} | {fmt(rm / 1000 if rm is not None else None, 1)} | "
                  f"{fmt(row['ratio'], 3)} | | |")
    md.append(f"| transition: geometric mean of the ratios | | | {fmt(trans_ratio, 3)} | ≤ 1.05 | {ok(trans_ratio, 1.05)} |")
    lc, lr = trans.get("0", {}).get("c", {}).get("load_median_us"), trans.get("0", {}).get("rust", {}).get("load_median_us")
    if lc:
        md.append(f"| load (finit_module to transition start), 0 tasks: median ms | {fmt(lc / 1000, 2)} | {fmt(lr / 1000, 2)} | {fmt(trans['0']['load_ratio'], 3)} | | |")
    sc, sr = sizes["c_sample"], sizes["rust_sample"]
    md.append(f"| sample .ko file, bytes | {sc['file']} | {sr['file']} | {fmt(size_ratio, 3)} | ≤ 1.5 | {ok(size_ratio, 1.5)} |")
    md.append(f"| sample text / data / bss | {sc['text']} / {sc['data']} / {sc['bss']} | {sr['text']} / {sr['data']} / {sr['bss']} | {fmt(size_ratio_alloc, 3)} | | |")
    pc, pr = sizes["c_patch"], sizes["rust_patch"]
    md.append(f"| bench patch .ko file, bytes | {pc['file']} | {pr['file']} | {fmt(size_ratio_patch, 3)} | | |")
    md.append(f"| build of one patch module, s (median of {len(builds['c'])}) | {fmt(build['c']['median_s'])} | {fmt(build['rust']['median_s'])} | {fmt(build_ratio, 3)} | | |")
    md.append("")
    bd = breakdown
    md.append("Rust sample .ko by section group (bytes): " + ", ".join(f"{k} {v}" for k, v in bd["ko_sections"].items()) + ".")
    md.append("Linked objects (text/data/bss): " + "; ".join(
        f"{k} {v['text']}/{v['data']}/{v['bss']}" for k, v in bd["objects"].items()) + ".")
    unused = [f for f in bd["livepatch_crate_functions"] if not f["used_by_module"]]
    md.append(f"The livepatch crate puts {len(bd['livepatch_crate_functions'])} functions in the .ko "
              f"({sum(f['size'] for f in bd['livepatch_crate_functions'])} bytes of code); the module calls "
              f"{len(bd['livepatch_crate_functions']) - len(unused)} of them.")
    if problems:
        md.append("")
        md.append("Problems: " + "; ".join(problems))
    text = "\n".join(md) + "\n"
    with open(os.path.join(a.results, "latest.md"), "w") as f:
        f.write(text)
    print(text)
    print(f"[rust-livepatch] results: {a.results}/latest.json, latest.md, call-overhead.png", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
