#!/usr/bin/env bash
# Poisoning-detection quality benchmark (on demand, not in quick.sh: several minutes): exports
# scikit-learn's digits and breast-cancer data with planted poison (poison_export.py, seeded) and
# scores one `warden data scan` per dataset side by side with cleanlab's find_label_issues on 5-fold
# probabilities of LogisticRegression and an MLP (poison_bench.py). Prints a Markdown table for
# docs/BENCHMARKS.md. Quality numbers, not timing: fine on a busy machine (the seconds are indicative;
# WARDEN=path/to/release/warden for meaningful times).
# Usage: scripts/interop/cleanlab.sh [SEED]
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/interop/common.sh
seed="${1:-0}"
ensure_venv numpy scipy scikit-learn cleanlab
bin="${WARDEN:-$(warden_bin)}"
out=".build-interop/poison-$seed"
rm -rf "$out"
"$PY" scripts/interop/poison_export.py "$out" "$seed" >/dev/null || { echo "FAIL export"; exit 2; }
"$PY" scripts/interop/poison_bench.py "$out" "$bin" "$seed"
