"""Times float32 C = A @ B with NumPy (its bundled OpenBLAS) like `warden bench gemm` times Warden:
best of repeated runs after a warm-up, at least 3 runs and MIN_TIME seconds. Prints one JSON line.
Usage: python gemm_numpy.py N [MIN_TIME]   (thread count: OPENBLAS_NUM_THREADS; kernel: OPENBLAS_CORETYPE)"""
import json
import sys
import time

import numpy as np
import threadpoolctl

n = int(sys.argv[1])
minimum = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
rng = np.random.default_rng(1)
a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
a @ b
best, total, runs = float("inf"), 0.0, 0
while runs < 3 or total < minimum:
    start = time.perf_counter()
    a @ b
    elapsed = time.perf_counter() - start
    best, total, runs = min(best, elapsed), total + elapsed, runs + 1
blas = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
print(json.dumps({
    "gflops": 2 * n**3 / best / 1e9, "seconds": best, "numpy": np.__version__,
    "openblas": blas[0].get("version") if blas else None, "architecture": blas[0].get("architecture") if blas else None,
    "threads": blas[0].get("num_threads") if blas else None,
}))
