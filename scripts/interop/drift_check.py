"""Checks `warden data drift` p-values against scipy.stats on generated tables (seeded): for each
numeric column the KS statistic D (to 1e-9) and p-value against scipy's ks_2samp(method="exact")
(Warden uses the asymptotic Kolmogorov distribution with Stephens' correction, so: within 0.015
absolute, and within 25 % relative below p = 0.01 where a gate decides; measured worst 0.011 at
n = 60/45 and p = 0.72, 17 % at p = 4e-23), for
each categorical column and the label the chi-square statistic and p-value of
chi2_contingency(correction=False) (relative 1e-6, p within 1e-9 absolute or 1e-6 relative).
MMD is not compared: Warden's statistic is on a seeded row sample with its own permutation test.

Usage: drift_check.py WARDEN WORK_DIR   (exit 1 when a value is out of tolerance)
"""
import json
import os
import subprocess
import sys

import numpy as np
from scipy import stats

warden, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
failures = 0
checked = 0


def write(path, columns):
    names = list(columns)
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for row in zip(*columns.values()):
            f.write(",".join(str(v) for v in row) + "\n")


def close(a, b, absolute, relative=0.0):
    return abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))


cases = [(200, 300, 0.0, 1.0, 0), (500, 400, 0.1, 1.0, 1), (1000, 800, 0.25, 1.2, 2), (60, 45, 0.5, 1.0, 3), (3000, 3000, 0.05, 1.0, 4)]
for n_old, n_new, shift, scale, seed in cases:
    rng = np.random.default_rng(seed)
    cats = np.array(["a", "b", "c", "d"])
    old = {
        "x": np.round(rng.normal(0, 1, n_old), 6), "y": np.round(rng.exponential(1, n_old), 6),
        "k": rng.integers(0, 6, n_old),  # few distinct values: ties
        "colour": rng.choice(cats, n_old, p=[0.4, 0.3, 0.2, 0.1]), "label": rng.choice(["cat", "dog"], n_old, p=[0.5, 0.5]),
    }
    new = {
        "x": np.round(rng.normal(shift, scale, n_new), 6), "y": np.round(rng.exponential(1 + shift, n_new), 6),
        "k": rng.integers(0, 6 if shift == 0 else 7, n_new),
        "colour": rng.choice(cats, n_new, p=[0.4 - shift / 2, 0.3, 0.2, 0.1 + shift / 2]),
        "label": rng.choice(["cat", "dog"], n_new, p=[0.5 + shift / 2, 0.5 - shift / 2]),
    }
    po, pn = os.path.join(work, f"old{seed}.csv"), os.path.join(work, f"new{seed}.csv")
    write(po, old)
    write(pn, new)
    out = subprocess.run([warden, "data", "drift", po, pn, "--label", "label", "--json", "--permutations", "20", "--mmd-rows", "50"],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        print(f"FAIL case {seed}: warden exited {out.returncode}: {out.stderr.strip()}")
        failures += 1
        continue
    report = json.loads(out.stdout)
    for feature in report["features"]:
        name = feature["name"]
        if feature["kind"] == "numeric":
            ref = stats.ks_2samp(old[name], new[name], method="exact")
            small = min(feature["pValue"], ref.pvalue) < 0.01
            ok = close(feature["statistic"], ref.statistic, 1e-9) and (
                close(feature["pValue"], ref.pvalue, 0, 0.25) if small else close(feature["pValue"], ref.pvalue, 0.015))
            what = f"KS {name}: D {feature['statistic']:.6f} vs {ref.statistic:.6f}, p {feature['pValue']:.6g} vs {ref.pvalue:.6g}"
        else:
            values = sorted(set(old[name]) | set(new[name]))
            table = [[int(np.sum(old[name] == v)) for v in values], [int(np.sum(new[name] == v)) for v in values]]
            chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
            ok = close(feature["statistic"], chi2, 1e-9, 1e-6) and close(feature["pValue"], p, 1e-9, 1e-6)
            what = f"chi2 {name}: {feature['statistic']:.6f} vs {chi2:.6f}, p {feature['pValue']:.6g} vs {p:.6g}"
        checked += 1
        if not ok:
            failures += 1
        print(("PASS " if ok else "FAIL ") + f"case {seed} (n={n_old}/{n_new}) " + what)
    shift_report = report.get("labelShift")
    if shift_report:
        table = [[int(np.sum(old["label"] == v)) for v in ["cat", "dog"]], [int(np.sum(new["label"] == v)) for v in ["cat", "dog"]]]
        chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
        ok = close(shift_report["chiSquare"], chi2, 1e-9, 1e-6) and close(shift_report["pValue"], p, 1e-9, 1e-6)
        checked += 1
        failures += 0 if ok else 1
        print(("PASS " if ok else "FAIL ") + f"case {seed} label chi2 {shift_report['chiSquare']:.6f} vs {chi2:.6f}, p {shift_report['pValue']:.6g} vs {p:.6g}")
print(f"{checked - failures} of {checked} values within tolerance")
sys.exit(1 if failures else 0)
