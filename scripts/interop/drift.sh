#!/usr/bin/env bash
# `warden data drift` p-values against scipy.stats on generated tables: KS D and p (scipy's exact
# two-sample p: within 0.015, or 25 % relative below 0.01), chi-square statistic and p for categorical columns and the label
# (chi2_contingency without continuity correction, relative 1e-6). See drift_check.py.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/interop/common.sh
ensure_venv numpy scipy
bin="$(warden_bin)"
work=".build-interop/drift"
rm -rf "$work"
"$PY" scripts/interop/drift_check.py "$bin" "$work"
