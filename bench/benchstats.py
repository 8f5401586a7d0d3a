# SPDX-License-Identifier: GPL-2.0
"""Statistics of `make bench` (standard library only): ratios of Rust to C
with a bootstrap confidence interval, and a verdict that uses the interval.

A verdict against a target "Rust / C <= target" is:
  met           the whole interval is at or below the target
  not met       the whole interval is above it
  inconclusive  the interval contains the target: the run cannot tell (more
                repetitions would)
"""

import math
import random
import statistics

CONFIDENCE = 0.95
RESAMPLES = 10000
SEED = 1


def verdict(lo, hi, target):
    if lo is None or hi is None:
        return "n/a"
    if hi <= target:
        return "met"
    if lo > target:
        return "not met"
    return "inconclusive"


def _percentiles(xs, confidence=CONFIDENCE):
    xs = sorted(xs)
    a = (1 - confidence) / 2
    lo = xs[max(0, int(math.floor(a * len(xs))))]
    hi = xs[min(len(xs) - 1, int(math.ceil((1 - a) * len(xs))) - 1)]
    return lo, hi


def paired_ratio(levels, resamples=RESAMPLES, seed=SEED):
    """levels: {level: [(c, rust), ...]}, positive values, each pair measured
    back to back. Per level, the median over the pairs of rust / c: a pair
    cancels what the two runs share (the guest's and the host's state at the
    time), the median ignores the pairs in which one run alone was hit by the
    host (a preempted vCPU makes a run tens of percent slower: a few such
    pairs would move a mean). Overall, the geometric mean of the levels'
    ratios. The interval: percentile bootstrap, pairs resampled within each
    level.

    Returns {"ratio", "lo", "hi", "by_level": {level: {"n", "ratio", "lo",
    "hi", "sd_log"}}}."""
    rng = random.Random(seed)
    logs = {k: [math.log(r / c) for c, r in v] for k, v in levels.items() if v}
    if not logs:
        return {"ratio": None, "lo": None, "hi": None, "by_level": {}}
    boot = {k: [] for k in logs}
    overall = []
    for _ in range(resamples):
        centres = []
        for k, d in logs.items():
            m = statistics.median([d[rng.randrange(len(d))] for _ in d])
            boot[k].append(m)
            centres.append(m)
        overall.append(statistics.fmean(centres))
    by_level = {}
    for k, d in logs.items():
        lo, hi = _percentiles(boot[k])
        by_level[k] = {"n": len(d), "ratio": round(math.exp(statistics.median(d)), 4),
                       "lo": round(math.exp(lo), 4), "hi": round(math.exp(hi), 4),
                       "sd_log": round(statistics.stdev(d), 4) if len(d) > 1 else None}
    lo, hi = _percentiles(overall)
    point = statistics.fmean(statistics.median(d) for d in logs.values())
    return {"ratio": round(math.exp(point), 4), "lo": round(math.exp(lo), 4),
            "hi": round(math.exp(hi), 4), "by_level": by_level}


def median_ratio(c, rust, resamples=RESAMPLES, seed=SEED):
    """median(rust) / median(c) of two independent samples, with a percentile
    bootstrap interval (each sample resampled on its own).
    Returns {"ratio", "lo", "hi"}."""
    if not c or not rust:
        return {"ratio": None, "lo": None, "hi": None}
    rng = random.Random(seed)
    rs = []
    for _ in range(resamples):
        mc = statistics.median(rng.choices(c, k=len(c)))
        mr = statistics.median(rng.choices(rust, k=len(rust)))
        rs.append(mr / mc)
    lo, hi = _percentiles(rs)
    return {"ratio": round(statistics.median(rust) / statistics.median(c), 4),
            "lo": round(lo, 4), "hi": round(hi, 4)}
