#!/usr/bin/env bash
# One training epoch, `warden train` vs PyTorch CPU (Debian's python3-torch), side by side in one run
# (release build): an MLP (784-256-128-10) and a small CNN (two conv16/conv32 3x3 + max-pool blocks,
# dense 128) on ROWS synthetic MNIST-sized rows, batch 64, Adam, all cores. Each tool runs EPOCHS
# epochs; the fastest epoch counts (data in memory: Warden's CSV parsing is not in its epoch time).
# Both tools use THREADS threads (default: all cores). PyTorch needs Debian's python3-torch; install
# libopenblas0-pthread too, or Debian's torch runs its linear layers on the reference BLAS.
# Usage: [THREADS=N] scripts/bench/train.sh [ROWS] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${1:-10000}"
EPOCHS="${2:-3}"
export THREADS="${THREADS:-$(nproc)}" WARDEN_THREADS="${THREADS:-$(nproc)}"
source scripts/interop/common.sh
ensure_venv numpy
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "needs Debian's python3-torch: apt-get install -y python3-torch"; exit 2; }
swift build -c release --product warden --scratch-path .build-release >/dev/null
WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PY" scripts/bench/train_data.py "$WORK" "$ROWS" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg); $ROWS rows, batch 64, $THREADS thread(s) each; BLAS behind torch: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
printf "%-5s %14s %14s %8s\n" model "warden s/epoch" "torch s/epoch" ratio
for kind in mlp cnn; do
    spec="mlp:256,128"
    [ "$kind" = cnn ] && spec="cnn:1x28x28:conv16k3,pool2,conv32k3,pool2,dense128"
    w=$("$WARDEN" train --data "$WORK/train.csv" --label label --model "$spec" --epochs "$EPOCHS" --batch 64 --out "$WORK/$kind.onnx" --json \
        | "$PY" -c "import json,sys; print(min(e['seconds'] for e in json.load(sys.stdin)['epochs']))")
    t=$(/usr/bin/python3 scripts/bench/train_torch.py "$WORK/train.npz" "$kind" 64 "$EPOCHS" | "$PY" -c "import json,sys; print(min(json.load(sys.stdin)['epochs']))")
    "$PY" -c "w, t = $w, $t; print('%-5s %14.3f %14.3f %7.2fx' % ('$kind', w, t, t / w))"
done
echo "(ratio = PyTorch time / Warden time: above 1 means Warden is faster)"
