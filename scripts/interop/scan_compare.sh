#!/usr/bin/env bash
# On demand (slow): Warden, picklescan, modelscan, fickling and modelaudit side by side on the
# labelled corpus (the generated malicious and benign files plus the real-library benign files).
#   scripts/interop/scan_compare.sh [TOOL…]    → a Markdown table for docs/BENCHMARKS.md
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv numpy scikit-learn joblib onnx safetensors gguf h5py picklescan modelscan fickling modelaudit
warden=$(warden_bin) || exit 2
work=.build-interop/scan-compare
rm -rf "$work"; mkdir -p "$work"
WARDEN_SCAN_CORPUS_OUT="$PWD/$work" swift test --filter writeCorpus >/dev/null 2>&1 || { echo "FAIL writing the corpus"; exit 2; }
"$PY" scripts/interop/scan_real_corpus.py "$work/real" >/dev/null || { echo "FAIL real-library corpus"; exit 2; }
if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
    /usr/bin/python3 scripts/interop/scan_real_torch.py "$work/real" >/dev/null || { echo "FAIL real torch.save corpus"; exit 2; }
fi
# The real-library files join the benign side, by family.
for dir in "$work"/real/benign/*; do mkdir -p "$work/benign/$(basename "$dir")-real"; cp -r "$dir"/. "$work/benign/$(basename "$dir")-real/"; done
rm -rf "$work/real"
"$PY" scripts/interop/scan_compare.py "$warden" "$work" "$@"
