#!/usr/bin/env bash
# Warden's ONNX runtime against onnxruntime: every supported operator, skl2onnx models, torch.onnx
# exports (when Debian's python3-torch is installed) and models `warden train` wrote, all within
# 1e-4 max abs of onnxruntime's outputs.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv numpy onnx onnxruntime skl2onnx scikit-learn
WARDEN=$(warden_bin) || exit 2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TORCH_DIR=""
if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
    if /usr/bin/python3 scripts/interop/torch_export.py "$WORK/torch" >/dev/null 2>"$WORK/torch.log"; then
        TORCH_DIR="$WORK/torch"
    else
        fail "torch.onnx.export: $(tail -n 3 "$WORK/torch.log")"
    fi
else
    echo "note: python3-torch is not installed (apt-get install python3-torch); skipping the torch exports"
fi
"$PY" scripts/interop/onnx_check.py "$WARDEN" "$WORK" $TORCH_DIR | tee "$WORK/check.log"
status=${PIPESTATUS[0]}
passed=$((passed + $(grep -c '^PASS' "$WORK/check.log")))
failed=$((failed + $(grep -c '^FAIL' "$WORK/check.log")))
summary && [ "$status" -eq 0 ]
