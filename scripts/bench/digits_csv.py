"""Writes scikit-learn's bundled 8x8 digits as CSV: pixels / 16 in columns p0..p63 (row-major, so a
row is a 1x8x8 image), the digit in `label`, split 70/30 with a seeded, stratified split.

Usage: digits_csv.py OUT_DIR [SEED]   (writes OUT_DIR/digits-train.csv and OUT_DIR/digits-test.csv)
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

out = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
os.makedirs(out, exist_ok=True)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.3, random_state=seed, stratify=y)
header = ",".join([f"p{i}" for i in range(64)] + ["label"])
for name, features, labels in [("train", X_train, y_train), ("test", X_test, y_test)]:
    np.savetxt(os.path.join(out, f"digits-{name}.csv"), np.column_stack([features, labels]), delimiter=",", header=header,
               comments="", fmt=["%.4f"] * 64 + ["%d"])
print(f"wrote {len(y_train)} training and {len(y_test)} test rows to {out}")
