#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Figures of `make bench` (scripts/bench.sh): parses the guest's results and
the host's build times, measures module sizes, writes latest.json and
call-overhead.png into the results directory, the README's table from them
(bench/report.py), and prints it."""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import benchstats  # noqa: E402
import report  # noqa: E402
from ko_crate_check import crate_functions  # noqa: E402


def median(xs):
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return round(a / b, 4) if a is not None and b else None


# --- guest results ---------------------------------------------------------

def parse_guest(path):
    calls = {}      # label -> [ns per call per round]
    by_cycle = {}   # (label, cycle) -> [ns per call per round]
    states = {}     # label -> set of bench_target_fn(0) values
    polls = {}      # (tasks, rep, flavour) -> (load_us, poll_us)
    kmsg = []
    errors = []
    clock = {}      # phase -> clocksource
    done = set()    # phases that finished
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        f = line.split()
        if not f:
            continue
        if f[0] == "calls" and len(f) == 5:
            if f[3] == "ps":
                calls.setdefault(f[1], []).append(int(f[4]) / 1000.0)
                by_cycle.setdefault((f[1], int(f[2])), []).append(int(f[4]) / 1000.0)
            elif f[3] == "state":
                states.setdefault(f[1], set()).add(int(f[4]))
        elif f[0] == "trans" and len(f) == 8:
            polls[(int(f[1]), int(f[2]), f[3])] = (int(f[5]), int(f[7]))
        elif f[0] == "kmsg":
            kmsg.append(line[5:])
        elif f[0] == "clocksource" and len(f) == 3:
            clock[f[1]] = f[2]
        elif f[0] == "error":
            errors.append(line[6:])
        elif line.startswith("# END rust-livepatch bench "):
            done.add(line.split()[-1])
    return calls, by_cycle, states, polls, kmsg, errors, clock, done


TS = re.compile(r"^\[\s*(\d+\.\d+)\]\s*(.*)$")


def parse_kmsg(kmsg):
    """Per (tasks, rep, flavour): kernel-clock µs from the "bench: load" mark
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
        mm = re.search(r"bench: trans (\d+) (\d+) (\w+)$", msg)
        if mm:
            cur = {"key": (int(mm.group(1)), int(mm.group(2)), mm.group(3))}
            continue
        if cur is None:
            continue
        if re.search(r"bench: load bench_patch_", msg) and "t0" not in cur:
            cur["t0"] = t
        elif "starting patching transition" in msg and "t0" in cur:
            cur["start"] = t
        elif "patching complete" in msg and "t0" in cur and "start" in cur:
            out[cur["key"]] = {"start_us": round((cur["start"] - cur["t0"]) * 1e6),
                               "complete_us": round((t - cur["t0"]) * 1e6)}
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


SIZE = tool("size")
FILT = tool("c++filt")


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


def stripped(path, outdir):
    """A copy of the module without debug info, as `make modules_install
    INSTALL_MOD_STRIP=1` and distributions install it: the kernel's debug
    info (DWARF, which BTF needs) would otherwise be most of both files."""
    out = os.path.join(outdir, "stripped-" + os.path.basename(path))
    run("strip", "--strip-debug", "-o", out, path)
    return out


def module_size(path):
    b = berkeley(path)
    return {"file": os.path.getsize(path), **b, "alloc": b["text"] + b["data"] + b["bss"]}


def section_groups(ko):
    """File bytes of a .ko by kind of section."""
    groups = {"symbols": 0, "relocations": 0, "ORC unwind + IBT seal": 0, "code + rodata": 0,
              "data + bss": 0, "modinfo + other": 0}
    for s, (size, alloc) in sections(ko).items():
        if s in (".symtab", ".strtab"):
            groups["symbols"] += size
        elif s.startswith(".rela"):
            groups["relocations"] += size
        elif s.startswith(".orc") or s == ".ibt_endbr_seal":
            groups["ORC unwind + IBT seal"] += size
        elif s.startswith(".text") or s.startswith(".rodata") or s.endswith(".text"):
            groups["code + rodata"] += size
        elif s in (".data", ".bss") or s.endswith(".data") or s == ".gnu.linkonce.this_module":
            groups["data + bss"] += size
        else:
            groups["modinfo + other"] += size
    return groups


def rust_breakdown(ko, c_ko):
    """Where the bytes of the Rust sample .ko are, next to the C one's; the
    functions of the livepatch crate in it (scripts/ko_crate_check.py)."""
    funcs = crate_functions(ko, "livepatch")
    panic_refs = sorted({l.split()[-1] for l in run("nm", "-u", ko).splitlines()
                         if "panicking" in l or "fmt" in l})
    return {"ko_sections": section_groups(ko), "c_ko_sections": section_groups(c_ko),
            "livepatch_crate_functions": funcs,
            "panic_or_fmt_symbols_referenced": [run(FILT, s).strip() for s in panic_refs],
            "symbols_in_ko": len(run("nm", ko).splitlines())}


# --- output ----------------------------------------------------------------

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
    ap.add_argument("--readme", help="README whose benchmark block to rewrite (bench/report.py)")
    ap.add_argument("--accel", required=True)
    ap.add_argument("--accel-why", default="")
    ap.add_argument("--commit", default="", help="git rev-parse HEAD of the measured tree")
    ap.add_argument("--dirty", action="store_true", help="the tree had uncommitted changes")
    ap.add_argument("--c-sample", required=True)
    ap.add_argument("--rust-sample", required=True)
    ap.add_argument("--c-patch", required=True)
    ap.add_argument("--rust-patch", required=True)
    a = ap.parse_args()

    calls, by_cycle, states, polls, kmsg, errors, clock, done = parse_guest(os.path.join(a.out, "results.log"))
    problems = list(errors)
    for phase in ("calls", "transitions"):
        if phase not in clock or "jiffies" in clock[phase]:
            problems.append(f"{phase}: guest clocksource {clock.get(phase)}: too coarse for these figures")
        if phase not in done:
            problems.append(f"the {phase} guest did not finish")
    for label, want in (("none", {1}), ("c", {2}), ("rust", {2}),
                        ("i:none", {1}), ("i:c", {2}), ("i:rust", {2})):
        if label.startswith("i:") and label not in calls:
            continue  # no icount guest (KVM)
        if label not in calls:
            problems.append(f"no call figures for {label}")
        elif states.get(label) != want:
            problems.append(f"{label}: bench_target_fn(0) returned {states.get(label)}, expected {want}")

    # 1. Calls: per cycle, the median of the C rounds and of the Rust rounds
    # (a pair); the median over the cycles of Rust / C, with its interval.
    co = {}
    for label in ("none", "c", "rust"):
        xs = calls.get(label, [])
        co[label] = {"rounds": len(xs), "min_ns": round(min(xs), 3) if xs else None,
                     "median_ns": round(median(xs), 3) if xs else None,
                     "ns_per_round": [round(x, 3) for x in xs]}
    c, r, n = co["c"]["median_ns"], co["rust"]["median_ns"], co["none"]["median_ns"]
    cycles = sorted({cy for (label, cy) in by_cycle if ("c", cy) in by_cycle and ("rust", cy) in by_cycle})
    call_pairs = [(median(by_cycle[("c", cy)]), median(by_cycle[("rust", cy)])) for cy in cycles]
    call_fit = benchstats.paired_ratio({0: call_pairs})
    call = {k: call_fit[k] for k in ("ratio", "lo", "hi")}
    call_ratio_min = ratio(co["rust"]["min_ns"], co["c"]["min_ns"])
    # The same calls in the icount guest: guest instructions per call.
    insns = None
    if all(f"i:{k}" in calls for k in ("none", "c", "rust")):
        insns = {k: round(median(calls[f"i:{k}"]), 1) for k in ("none", "c", "rust")}
        insns["ratio"] = ratio(insns["rust"], insns["c"])
    extra_ratio = ratio(r - n, c - n) if None not in (r, c, n) and c != n else None

    # 2. Transitions: pairs (C and Rust back to back, order alternating).
    kt = parse_kmsg(kmsg)
    tasks = sorted({k[0] for k in list(kt) + list(polls)})
    trans, pairs, load_pairs = {}, {}, {}
    for t in tasks:
        reps = sorted({k[1] for k in kt if k[0] == t})
        row = {}
        for f in ("c", "rust"):
            ks = [kt[(t, rep, f)] for rep in reps if (t, rep, f) in kt]
            row[f] = {"n": len(ks),
                      "median_us": median([k["complete_us"] for k in ks]),
                      "min_us": min([k["complete_us"] for k in ks]) if ks else None,
                      "load_median_us": median([k["start_us"] for k in ks])}
            if not ks:
                problems.append(f"no transition figures for {f} with {t} tasks")
        both = [rep for rep in reps if (t, rep, "c") in kt and (t, rep, "rust") in kt]
        pairs[t] = [(kt[(t, rep, "c")]["complete_us"], kt[(t, rep, "rust")]["complete_us"]) for rep in both]
        load_pairs[t] = [(kt[(t, rep, "c")]["start_us"], kt[(t, rep, "rust")]["start_us"]) for rep in both]
        row["pairs"] = len(both)
        row["raw_us"] = [{"rep": rep, "c": kt[(t, rep, "c")], "rust": kt[(t, rep, "rust")],
                          "c_poll": polls.get((t, rep, "c")), "rust_poll": polls.get((t, rep, "rust"))}
                         for rep in both]
        trans[str(t)] = row
    tr = benchstats.paired_ratio(pairs)
    ld = benchstats.paired_ratio(load_pairs)
    for t in tasks:
        trans[str(t)]["ratio"] = tr["by_level"].get(t, {"ratio": None})
        trans[str(t)]["load_ratio"] = ld["by_level"].get(t, {"ratio": None})

    # 3. Sizes.
    kos = {k: stripped(getattr(a, k), a.out)
           for k in ("c_sample", "rust_sample", "c_patch", "rust_patch")}
    sizes = {k: module_size(ko) for k, ko in kos.items()}
    size_ratio = ratio(sizes["rust_sample"]["file"], sizes["c_sample"]["file"])
    size_ratio_alloc = ratio(sizes["rust_sample"]["alloc"], sizes["c_sample"]["alloc"])
    size_ratio_patch = ratio(sizes["rust_patch"]["file"], sizes["c_patch"]["file"])
    breakdown = rust_breakdown(kos["rust_sample"], kos["c_sample"])
    if any(not f["used"] for f in breakdown["livepatch_crate_functions"]):
        problems.append("the Rust sample carries livepatch functions it never calls")

    # 4. Build times.
    builds = {"c": [], "rust": []}
    host = {}
    guest_s = {}
    for line in open(os.path.join(a.out, "host.log")):
        f = line.split()
        if f[0] == "build":
            builds[f[1]].append(int(f[2]) / 1e6)
        elif f[0] == "guest_s":
            guest_s[f[1]] = int(f[2])
        else:
            host[f[0]] = f[1]
    build = {k: {"median_s": round(median(v), 3) if v else None, "runs_s": [round(x, 3) for x in v]}
             for k, v in builds.items()}
    build_ratio = benchstats.median_ratio(builds["c"], builds["rust"])

    targets = {"call_overhead_ratio": 1.02, "transition_ratio": 1.05, "size_ratio": 1.2,
               "build_time_ratio": 1.5}
    verdicts = {
        "call_overhead_ratio": benchstats.verdict(call["lo"], call["hi"], targets["call_overhead_ratio"]),
        "transition_ratio": benchstats.verdict(tr["lo"], tr["hi"], targets["transition_ratio"]),
        "size_ratio": benchstats.verdict(size_ratio, size_ratio, targets["size_ratio"]),
        "build_time_ratio": benchstats.verdict(build_ratio["lo"], build_ratio["hi"],
                                               targets["build_time_ratio"]),
    }
    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": {"rev": a.commit or None, "dirty": a.dirty},
        "accel": a.accel, "accel_why": a.accel_why, "guest_clocksource": clock,
        "transition_clock": host.get("transition_clock"), "guest_s": guest_s,
        "confidence": benchstats.CONFIDENCE,
        "call_overhead_ratio": call["ratio"],
        "transition_ratio": tr["ratio"],
        "size_ratio": size_ratio,
        "build_time_ratio": build_ratio["ratio"],
        "targets": targets,
        "verdicts": verdicts,
        "call_overhead": {**co, "ratio": call, "ratio_min": call_ratio_min,
                          "patch_cost_ratio": extra_ratio,
                          "cycles": len(cycles), "instructions": insns,
                          "note": "ns per call of bench_target_fn() from bench_caller, loop included; "
                                  "ratio: per cycle the medians of the C and Rust rounds are a pair; "
                                  "median over the cycles of Rust / C, bootstrap interval; "
                                  "patch_cost_ratio = (Rust - unpatched) / (C - unpatched); "
                                  "instructions: per call, loop included, counted in the icount guest"},
        "transition": {"by_tasks": trans, "ratio": {k: tr[k] for k in ("ratio", "lo", "hi")},
                       "busy_pct": int(host.get("busy_pct", 0)),
                       "load_ratio": {k: ld[k] for k in ("ratio", "lo", "hi")},
                       "note": "kernel clock (transition_clock icount: QEMU's icount mode, 1 ns per "
                               "guest instruction, idle time skipped), from the mark written just before "
                               "finit_module() to the core's \"patching complete\"; load = to \"starting "
                               "patching transition\"; busy_pct of the tasks spin in user space, the others "
                               "sleep; each pair is C and "
                               "Rust back to back (order alternating); per task count the median over the "
                               "pairs of Rust / C, overall their geometric mean; interval: bootstrap "
                               "over the pairs"},
        "size": {**sizes, "ratio_file": size_ratio, "ratio_text_data_bss": size_ratio_alloc,
                 "ratio_bench_patch_file": size_ratio_patch, "rust_sample_breakdown": breakdown},
        "build_time": {**build, "ratio": build_ratio, "host_loadavg": host.get("loadavg"),
                       "note": "one patch module alone, make clean then make, warm kernel tree; "
                               "what a directory's patches share (the proc macro, the livepatch "
                               "crate, built once per kernel tree) is prebuilt and not counted"},
        "problems": problems,
    }
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "latest.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    plot(calls, a.accel, os.path.join(a.results, "call-overhead.png"))
    if a.readme:
        with open(a.readme) as f:
            text = f.read()
        new = report.replace_block(text, report.block(res))
        if new != text:
            with open(a.readme, "w") as f:
                f.write(new)
    print(report.render(res))
    print(f"[rust-livepatch] results: {a.results}/latest.json, call-overhead.png"
          + (f"; {a.readme} updated" if a.readme else ""), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
