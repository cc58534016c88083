#!/usr/bin/env bash
# ONNX inference latency, Warden vs onnxruntime, side by side in one run (release build): an MLP and
# a small CNN (scripts/bench/onnx_models.py) at batch 1 and 256, both on all cores, best of repeated
# runs for at least MIN_TIME seconds each, both tools on THREADS threads (default: all cores).
# Usage: [THREADS=N] scripts/bench/onnx.sh [MIN_TIME]
set -euo pipefail
cd "$(dirname "$0")/../.."
MIN_TIME="${1:-2}"
export THREADS="${THREADS:-$(nproc)}"
source scripts/interop/common.sh
ensure_venv numpy onnx onnxruntime
swift build -c release --product warden --scratch-path .build-release >/dev/null
WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PY" scripts/bench/onnx_models.py "$WORK" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg); $THREADS thread(s) each"
printf "%-5s %6s %16s %16s %8s\n" model batch "warden ms" "onnxruntime ms" ratio
for model in mlp cnn; do
    for batch in 1 256; do
        w=$("$WARDEN" bench onnx --model "$WORK/$model.onnx" --batch "$batch" --threads "$THREADS" --min-time "$MIN_TIME" --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['seconds_per_batch'])")
        o=$("$PY" scripts/bench/onnx_ort.py "$WORK/$model.onnx" "$batch" "$MIN_TIME" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['seconds_per_batch'])")
        "$PY" -c "w, o = $w, $o; print(f'%-5s %6d %16.4f %16.4f %7.2fx' % ('$model', $batch, w * 1e3, o * 1e3, o / w))"
    done
done
echo "(ratio = onnxruntime time / Warden time: above 1 means Warden is faster)"
