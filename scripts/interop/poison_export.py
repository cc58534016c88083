"""Exports scikit-learn's bundled digits (8x8, pixels/16, columns p0..p63 row-major so a row is a
1x8x8 image) and breast-cancer data as CSV, clean and with planted poison, seeded, with the ground
truth: for the poisoning-detection benchmark (scripts/interop/cleanlab.sh, docs/BENCHMARKS.md).

Usage: poison_export.py OUT_DIR [SEED]

Writes OUT_DIR/<dataset>-<kind>.csv (features then `label`) and OUT_DIR/<dataset>-<kind>.truth
(the 0-based poisoned data rows, one per line, ascending; empty for `clean`). Kinds:
  clean        the data as bundled
  random       10 % of the rows relabelled to another random class
  systematic   40 % of one class relabelled to one other class (digits 1 -> 7, cancer 1 -> 0)
  pairs        (digits) 30 % of each of 3 -> 8, 4 -> 9, 5 -> 6
  backdoor     (digits) 5 % of the rows outside class 0 get a 2x2 patch of 1.0 at pixels
               (6..7, 6..7), the bottom-right corner, and the label 0
  duplicates   2 % of the rows copied with another label (appended)
  noise        2 % rows of uniform noise over the features' ranges, random labels (appended)
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits

PATCH = [(y, x) for y in (6, 7) for x in (6, 7)]


def write(out, name, X, y, truth, digits):
    header = ",".join([f"p{i}" for i in range(X.shape[1])] if digits else [f"f{i}" for i in range(X.shape[1])]) + ",label"
    fmt = ["%.4f" if digits else "%.6g"] * X.shape[1] + ["%d"]
    np.savetxt(os.path.join(out, f"{name}.csv"), np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt=fmt)
    with open(os.path.join(out, f"{name}.truth"), "w") as f:
        f.write("".join(f"{i}\n" for i in sorted(truth)))


def plant(X, y, kind, rng, digits):
    X, y = X.copy(), y.copy()
    classes = np.unique(y)
    n = len(y)
    if kind == "clean":
        return X, y, []
    if kind == "random":
        rows = rng.choice(n, int(round(0.10 * n)), replace=False)
        for r in rows:
            y[r] = rng.choice([c for c in classes if c != y[r]])
        return X, y, rows
    if kind in ("systematic", "pairs"):
        pairs = [(1, 7)] if digits else [(1, 0)]
        share = 0.4
        if kind == "pairs":
            pairs, share = [(3, 8), (4, 9), (5, 6)], 0.3
        rows = []
        for source, target in pairs:
            members = np.flatnonzero(y == source)
            chosen = rng.choice(members, int(round(share * len(members))), replace=False)
            y[chosen] = target
            rows += list(chosen)
        return X, y, rows
    if kind == "backdoor":
        candidates = np.flatnonzero(y != 0)
        rows = rng.choice(candidates, int(round(0.05 * n)), replace=False)
        for r in rows:
            for py, px in PATCH:
                X[r, py * 8 + px] = 1.0
            y[r] = 0
        return X, y, rows
    if kind == "duplicates":
        sources = rng.choice(n, int(round(0.02 * n)), replace=False)
        labels = [rng.choice([c for c in classes if c != y[s]]) for s in sources]
        return np.vstack([X, X[sources]]), np.concatenate([y, labels]), list(range(n, n + len(sources)))
    if kind == "noise":
        count = int(round(0.02 * n))
        low, high = X.min(axis=0), X.max(axis=0)
        rows = low + rng.random((count, X.shape[1])) * (high - low)
        if digits:
            rows = np.round(rows * 16) / 16
        return np.vstack([X, rows]), np.concatenate([y, rng.choice(classes, count)]), list(range(n, n + count))
    raise ValueError(kind)


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    os.makedirs(out, exist_ok=True)
    digits_X, digits_y = load_digits(return_X_y=True)
    cancer_X, cancer_y = load_breast_cancer(return_X_y=True)
    sets = [
        ("digits", digits_X / 16, digits_y, ["clean", "random", "systematic", "pairs", "backdoor", "duplicates", "noise"]),
        ("cancer", cancer_X, cancer_y, ["clean", "random", "systematic", "duplicates", "noise"]),
    ]
    for name, X, y, kinds in sets:
        for i, kind in enumerate(kinds):
            rng = np.random.default_rng(seed * 1000 + i)
            PX, Py, truth = plant(X, y, kind, rng, name == "digits")
            write(out, f"{name}-{kind}", PX, Py, [int(t) for t in truth], name == "digits")
            print(f"{name}-{kind}: {len(Py)} rows, {len(truth)} planted")


if __name__ == "__main__":
    main()
