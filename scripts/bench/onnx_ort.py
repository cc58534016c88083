"""Times onnxruntime (CPU, THREADS threads, default all cores) on a model at a batch size the way `warden bench onnx` does:
the best of repeated runs after a warm-up, for at least MIN_TIME seconds. Prints JSON.

Usage: onnx_ort.py MODEL.onnx BATCH [MIN_TIME]
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort

path, batch = sys.argv[1], int(sys.argv[2])
min_time = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
options = ort.SessionOptions()
options.intra_op_num_threads = int(os.environ.get("THREADS", os.cpu_count()))
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
first = session.get_inputs()[0]
shape = [batch] + [int(d) for d in first.shape[1:]]
feeds = {first.name: np.random.default_rng(4).uniform(0, 1, size=shape).astype(np.float32)}
session.run(None, feeds)
best, total, runs = float("inf"), 0.0, 0
while runs < 3 or total < min_time:
    start = time.perf_counter()
    session.run(None, feeds)
    elapsed = time.perf_counter() - start
    best, total, runs = min(best, elapsed), total + elapsed, runs + 1
print(json.dumps({"tool": f"onnxruntime {ort.__version__}", "batch": batch, "seconds_per_batch": best, "items_per_second": batch / best}))
