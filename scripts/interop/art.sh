#!/usr/bin/env bash
# Warden's attacks and randomized smoothing against adversarial-robustness-toolbox (PyTorch backend
# from Debian's python3-torch) on the same MLP trained on scikit-learn's digits: robust accuracy,
# success, median L2, certified accuracy and wall time side by side. Slow (several minutes): run on
# demand, not from quick.sh; numbers go in docs/BENCHMARKS.md. WARDEN=path or WARDEN_BIN=path uses a
# built binary (a release one for the time column); WARDEN_ART_VENV=dir reuses a venv with ART, e.g.
#   swift build -c release --product warden
#   WARDEN_BIN=$(swift build -c release --show-bin-path)/warden WARDEN_ART_VENV=/work/wt-tensor/.build-interop/venv-art \
#       scripts/interop/art.sh --rows 200 --slow-rows 50
set -u
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
    echo "note: python3-torch is not installed (apt-get install python3-torch); skipping the ART comparison"
    exit 0
fi
# Debian's torch lives in the system site-packages, so this venv sees them (and keeps numpy < 2 for it).
VENV="${WARDEN_ART_VENV:-$PWD/.build-interop/venv-art}"
PY="$VENV/bin/python"
[ -x "$PY" ] || /usr/bin/python3 -m venv --system-site-packages "$VENV" || { echo "FAIL cannot create $VENV"; exit 2; }
# Debian's torch is built against NumPy 1.x: keep every install below 2.
CONSTRAINTS="$VENV/numpy-constraint.txt"
printf "numpy<2\npandas<3\n" >"$CONSTRAINTS"
export PIP_CONSTRAINT="$CONSTRAINTS"
ensure_venv "numpy<2" packaging adversarial-robustness-toolbox scikit-learn onnx statsmodels
"$PY" -c "import numpy, sys; sys.exit(int(numpy.__version__.split('.')[0]) >= 2)" || "$VENV/bin/pip" install -q --disable-pip-version-check "numpy<2" >/dev/null
WARDEN="${WARDEN:-$(warden_bin)}"
echo "art.sh: $WARDEN on $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PY" scripts/interop/art_compare.py --warden "$WARDEN" --work "$WORK" "$@"
