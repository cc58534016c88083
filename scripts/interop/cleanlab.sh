#!/usr/bin/env bash
# Poisoning-detection quality benchmark (on demand, not in quick.sh: several minutes): exports
# scikit-learn's digits and breast-cancer data with planted poison (poison_export.py, seeded) and
# scores one `warden data scan` per dataset side by side with cleanlab's find_label_issues on 5-fold
# probabilities of LogisticRegression and an MLP, pyod's IForest and ECOD (poison_bench.py), and ART's
# spectral-signature and activation-clustering defences (poison_art.py, PyTorch from Debian's
# python3-torch; skipped with a note when it is not installed). Prints Markdown tables for
# docs/BENCHMARKS.md. F1 does not depend on the machine; for meaningful seconds use a release build:
#   nice -n 5 swift build -c release --product warden --scratch-path .build-release
#   WARDEN=.build-release/release/warden scripts/interop/cleanlab.sh 0
# WARDEN_INTEROP_VENV=dir and WARDEN_ART_VENV=dir choose the two venvs (ART's sees the system
# site-packages for torch and keeps NumPy below 2, which Debian's torch is built against).
# WARDEN_POISON_KEEP=1 keeps an existing export and ART result of the seed (ART does not depend on
# warden: re-scoring a new warden build then takes a few minutes, not twenty).
# Usage: scripts/interop/cleanlab.sh [SEED]
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/interop/common.sh
seed="${1:-0}"
bin="${WARDEN:-$(warden_bin)}"
out=".build-interop/poison-$seed"
if [ "${WARDEN_POISON_KEEP:-0}" != 1 ]; then rm -rf "$out"; fi
echo "cleanlab.sh: $bin, seed $seed, $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)" >&2
if [ -f "$out/art.json" ]; then
    echo "note: keeping $out with its ART result (WARDEN_POISON_KEEP=1)" >&2
elif /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
    (
        VENV="${WARDEN_ART_VENV:-$PWD/.build-interop/venv-art}"
        PY="$VENV/bin/python"
        [ -x "$PY" ] || /usr/bin/python3 -m venv --system-site-packages "$VENV" || { echo "FAIL cannot create $VENV"; exit 2; }
        printf "numpy<2\npandas<3\n" >"$VENV/numpy-constraint.txt"
        export PIP_CONSTRAINT="$VENV/numpy-constraint.txt"
        ensure_venv "numpy<2" packaging adversarial-robustness-toolbox scikit-learn
        "$PY" scripts/interop/poison_export.py "$out" "$seed" >/dev/null || { echo "FAIL export"; exit 2; }
        "$PY" scripts/interop/poison_art.py "$out" "$seed" || { echo "FAIL ART defences"; exit 2; }
    ) || exit 2
else
    echo "note: python3-torch is not installed (apt-get install python3-torch); the ART columns are left out" >&2
fi
ensure_venv numpy scipy scikit-learn cleanlab pyod
[ -d "$out" ] || "$PY" scripts/interop/poison_export.py "$out" "$seed" >/dev/null || { echo "FAIL export"; exit 2; }
"$PY" scripts/interop/poison_bench.py "$out" "$bin" "$seed"
