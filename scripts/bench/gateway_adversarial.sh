#!/usr/bin/env bash
# Adversarial/OOD screening of the gateway (issue 8 quality bar): detection rate and false-positive
# rate of `warden serve`'s adversarial detection (Mahalanobis to the training data, feature
# squeezing, low confidence; calibrated on --reference) against FGSM and PGD examples of the same
# digits MLP, made by `warden attack --save-adversarial`. Two servers on loopback: one with
# adversarial detection at policy `reject` (a flagged row → 400 reason "adversarial"), one with
# every detector off that gives the model's plain predictions (to tell which adversarial rows
# succeeded). One row per request. Counts, not timing: fine on a busy machine.
# WARDEN_BIN=path reuses a built binary; EPS="0.1 0.2" L∞ budgets (default "0.1 0.2").
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv numpy scikit-learn requests
WARDEN="$(warden_bin)" || exit 2
T="$(mktemp -d)"; SERVER=""; PLAIN=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; [ -n "$PLAIN" ] && kill "$PLAIN" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

digits_mlp "$T" || exit 2
sets=("clean=$T/digits-test.csv")
for eps in ${EPS:-0.1 0.2}; do
    "$WARDEN" attack --model "$T/digits.onnx" --data "$T/digits-test.csv" --label label --attack fgsm --eps "$eps" --quiet \
        --save-adversarial "$T/fgsm-$eps.csv" >/dev/null || { echo "FAIL warden attack fgsm"; exit 2; }
    "$WARDEN" attack --model "$T/digits.onnx" --data "$T/digits-test.csv" --label label --attack pgd --eps "$eps" --steps 40 --random-start --seed 0 --quiet \
        --save-adversarial "$T/pgd-$eps.csv" >/dev/null || { echo "FAIL warden attack pgd"; exit 2; }
    sets+=("fgsm-$eps=$T/fgsm-$eps.csv" "pgd-$eps=$T/pgd-$eps.csv")
done
ADMIN="$("$WARDEN" serve --new-token)"
start_warden_serve "$T/plain.log" --data "$T/plain" --port 0 --model "digits=$T/digits.onnx" --no-extraction-detection
PLAIN="$SERVER"; PLAIN_URL="$URL"
start_warden_serve "$T/serve.log" --data "$T/data" --port 0 --model "digits=$T/digits.onnx" --reference "digits=$T/digits-train.csv" \
    --adversarial-policy reject --no-extraction-detection ${SERVE_ARGS:-}
"$PY" scripts/bench/gateway_adversarial.py "$URL" "$PLAIN_URL" "$ADMIN" "${sets[@]}"
status=$?
kill "$SERVER" "$PLAIN"; wait 2>/dev/null; SERVER=""; PLAIN=""
exit $status
