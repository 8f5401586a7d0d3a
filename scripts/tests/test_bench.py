#!/usr/bin/env python3
"""The benchmark's verdicts come from its confidence intervals, and the
README's benchmark table is what bench/results/latest.json gives.

Run by `make check-host` (python3 -m unittest discover -s scripts/tests).
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import unittest

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(TOP, "bench"))
import benchstats  # noqa: E402
import report  # noqa: E402

README = os.path.join(TOP, "README.md")
LATEST = os.path.join(TOP, "bench", "results", "latest.json")


def pairs(ratio, spread, n, seed=7):
    """n (C, Rust) pairs: C around 1000 (x 1 +- 30 %, as the load drifts);
    Rust = C x ratio x a lognormal noise of sd `spread` (log scale)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        c = 1000 * rng.uniform(0.7, 1.3)
        out.append((c, c * ratio * math.exp(rng.gauss(0, spread))))
    return out


class Verdict(unittest.TestCase):
    def test_interval_decides(self):
        self.assertEqual(benchstats.verdict(0.98, 1.04, 1.05), "met")
        self.assertEqual(benchstats.verdict(0.98, 1.05, 1.05), "met")
        self.assertEqual(benchstats.verdict(1.01, 1.08, 1.05), "inconclusive")
        self.assertEqual(benchstats.verdict(1.06, 1.20, 1.05), "not met")
        self.assertEqual(benchstats.verdict(None, None, 1.05), "n/a")

    def test_clear_pass(self):
        r = benchstats.paired_ratio({0: pairs(1.01, 0.02, 30), 100: pairs(1.0, 0.03, 30)})
        self.assertLess(r["lo"], r["ratio"])
        self.assertLess(r["ratio"], r["hi"])
        self.assertLess(r["hi"], 1.05)
        self.assertEqual(benchstats.verdict(r["lo"], r["hi"], 1.05), "met")

    def test_clear_fail(self):
        r = benchstats.paired_ratio({0: pairs(1.2, 0.02, 30), 100: pairs(1.15, 0.03, 30)})
        self.assertGreater(r["lo"], 1.05)
        self.assertEqual(benchstats.verdict(r["lo"], r["hi"], 1.05), "not met")

    def test_noise_is_inconclusive_not_met(self):
        # A point estimate under the target does not pass when the noise is
        # as large as a few runs of a loaded guest.
        r = benchstats.paired_ratio({1000: pairs(0.95, 0.3, 5)})
        self.assertLess(r["lo"], 1.05)
        self.assertGreater(r["hi"], 1.05)
        self.assertEqual(benchstats.verdict(r["lo"], r["hi"], 1.05), "inconclusive")

    def test_pairs_cancel_a_common_drift(self):
        # C and Rust equal within each pair, the load varying 3x between pairs.
        drift = [(c, c) for c in (100, 300, 150, 290, 110, 200)]
        r = benchstats.paired_ratio({0: drift})
        self.assertEqual((r["lo"], r["ratio"], r["hi"]), (1.0, 1.0, 1.0))

    def test_a_few_hit_runs_do_not_decide(self):
        # Rust 1 % slower; in 6 pairs of 40 one run was hit by the host
        # (+-35 %): the mean of the logs would lose the target, the median
        # keeps it.
        rng = random.Random(3)
        ps = [(100.0, 101.0 * math.exp(rng.gauss(0, 0.003))) for _ in range(34)]
        ps += [(100.0, 135.0), (135.0, 100.0), (100.0, 140.0), (100.0, 138.0), (100.0, 136.0), (100.0, 137.0)]
        r = benchstats.paired_ratio({0: ps})
        self.assertAlmostEqual(r["ratio"], 1.01, places=2)
        self.assertEqual(benchstats.verdict(r["lo"], r["hi"], 1.02), "met")
        mean = math.exp(sum(math.log(b / a) for a, b in ps) / len(ps))
        self.assertGreater(mean, 1.02)

    def test_geometric_mean_of_levels(self):
        r = benchstats.paired_ratio({0: [(100, 110)] * 4, 1: [(100, 100)] * 4})
        self.assertAlmostEqual(r["ratio"], math.sqrt(1.1), places=4)

    def test_deterministic(self):
        a = benchstats.paired_ratio({0: pairs(1.02, 0.1, 10)})
        b = benchstats.paired_ratio({0: pairs(1.02, 0.1, 10)})
        self.assertEqual(a, b)

    def test_median_ratio(self):
        r = benchstats.median_ratio([10.0, 10.1, 9.9, 10.05, 9.95], [12.0, 12.1, 11.9, 12.05, 11.95])
        self.assertAlmostEqual(r["ratio"], 1.2, places=3)
        self.assertEqual(benchstats.verdict(r["lo"], r["hi"], 1.5), "met")


class Readme(unittest.TestCase):
    def check(self, readme):
        return subprocess.run([sys.executable, report.__file__, "--json", LATEST, "--check", readme],
                              capture_output=True, text=True)

    def test_readme_table_is_latest_json(self):
        r = self.check(README)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_latest_json_names_its_commit(self):
        with open(LATEST) as f:
            res = json.load(f)
        self.assertRegex(res["commit"]["rev"] or "", r"^[0-9a-f]{40}$")
        self.assertIn(res["commit"]["dirty"], (True, False))

    def test_edited_figure_fails(self):
        with open(README) as f:
            text = f.read()
        b = text.index(report.BEGIN)
        with open(LATEST) as f:
            res = json.load(f)
        size = str(res["size"]["rust_sample"]["file"])
        i = text.index(size, b)
        edited = text[:i] + str(int(size) - 1) + text[i + len(size):]
        with tempfile.NamedTemporaryFile("w", suffix=".md") as f:
            f.write(edited)
            f.flush()
            r = self.check(f.name)
        self.assertEqual(r.returncode, 1)
        self.assertIn("report.py --write", r.stderr)

    def test_missing_markers_fail(self):
        with tempfile.NamedTemporaryFile("w", suffix=".md") as f:
            f.write("# no table\n")
            f.flush()
            r = self.check(f.name)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
