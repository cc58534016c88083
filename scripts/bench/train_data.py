"""Writes an MNIST-sized synthetic classification set for the training benchmark: ROWS rows of 784
features in [0, 1) and a label in 0..9 from a fixed random linear map (learnable, seeded), as CSV
(for warden train) and as train.npz (x, y) for the PyTorch side.

Usage: train_data.py OUT_DIR [ROWS]
"""
import os
import sys

import numpy as np

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
x = rng.uniform(0, 1, size=(rows, 784)).astype(np.float32)
y = np.argmax((x - 0.5) @ rng.standard_normal((784, 10)), axis=1)
np.savez(os.path.join(out, "train.npz"), x=x, y=y)
header = ",".join([f"p{i}" for i in range(784)] + ["label"])
np.savetxt(os.path.join(out, "train.csv"), np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt=["%.4f"] * 784 + ["%d"])
print(f"wrote {rows} rows to {out}")
