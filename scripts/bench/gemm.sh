#!/usr/bin/env bash
# GEMM GFLOP/s (float32, N×N·N×N) of `warden bench gemm` side by side with NumPy from PyPI (its
# bundled OpenBLAS as installed, and forced to its AVX-512 kernel with OPENBLAS_CORETYPE=SkylakeX and
# to its AVX2 kernel with OPENBLAS_CORETYPE=Haswell; the AVX-512 column is n/a on a CPU without
# AVX-512, where forcing it would die with SIGILL), at 256, 512, 1024, 2048 on one and two threads.
# Each figure is the best of repeated runs (≥ 3 runs, ≥ MIN_TIME s) after a warm-up.
# Usage: scripts/bench/gemm.sh [MIN_TIME] [SIZES…]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
MIN_TIME="${1:-2}"
shift || true
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(256 512 1024 2048); fi
ensure_venv numpy threadpoolctl

swift build -c release --product warden --scratch-path .build-release >/dev/null
WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(uname -sr)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "warden kernels: $("$WARDEN" bench gemm --size 64 --min-time 0.01 --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["kernels"])')"
"$PY" -c 'import numpy, threadpoolctl; i = [x for x in threadpoolctl.threadpool_info() if x["user_api"] == "blas"][0]; print("numpy", numpy.__version__ + ", OpenBLAS", i["version"] + ", as installed picks", i["architecture"])'
echo
echo "| N | threads | warden GFLOP/s | NumPy as installed | warden ÷ NumPy | OpenBLAS SkylakeX (AVX-512) | warden ÷ SkylakeX | OpenBLAS Haswell (AVX2) |"
echo "|---|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
    for t in 1 2; do
        w=$("$WARDEN" bench gemm --size "$n" --threads "$t" --min-time "$MIN_TIME" --json)
        np=$(OPENBLAS_NUM_THREADS=$t "$PY" scripts/bench/gemm_numpy.py "$n" "$MIN_TIME")
        # Forcing the AVX-512 kernel on a CPU without AVX-512 dies with SIGILL: report it as not measurable.
        skx='null'
        if grep -qw avx512f /proc/cpuinfo; then
            skx=$(OPENBLAS_NUM_THREADS=$t OPENBLAS_CORETYPE=SkylakeX "$PY" scripts/bench/gemm_numpy.py "$n" "$MIN_TIME")
        fi
        hsw=$(OPENBLAS_NUM_THREADS=$t OPENBLAS_CORETYPE=Haswell "$PY" scripts/bench/gemm_numpy.py "$n" "$MIN_TIME")
        "$PY" - "$n" "$t" "$w" "$np" "$skx" "$hsw" <<'PY'
import json, sys
n, t = sys.argv[1], sys.argv[2]
w, np_, skx, hsw = (json.loads(x) for x in sys.argv[3:7])
g = w["gflops"]
avx512 = f"{skx['gflops']:.1f} ({skx['architecture']}) | {100 * g / skx['gflops']:.0f} %" if skx else "n/a (CPU has no AVX-512) | n/a"
print(f"| {n} | {t} | {g:.1f} | {np_['gflops']:.1f} ({np_['architecture']}) | {g / np_['gflops']:.2f}× "
      f"| {avx512} | {hsw['gflops']:.1f} ({hsw['architecture']}) |")
PY
    done
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
