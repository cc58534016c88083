#!/usr/bin/env bash
# Model-extraction detection through the real HTTP API (issue 8 quality bar): `warden serve` with a
# digits MLP (scikit-learn's digits, pixels / 16, trained by `warden train`) and extraction
# detection at its defaults (action alert, --alerts FILE); over loopback, one row per request:
#   - a synthetic-query attacker (Tramèr et al. 2016 style: uniform random inputs in [0, 1]^64),
#   - a Jacobian-augmentation attacker (Papernot et al. 2017: 10 natural seeds, a softmax-regression
#     substitute trained on the gateway's labels, rounds of x + λ·sign(∇ substitute), λ = 0.1),
#   - benign clients each replaying the real test split in their own shuffled order.
# The server gets the training split as --reference (the out-of-distribution and class-balance
# rules; adversarial screening at policy log); REFERENCE=0 leaves it out (PRADA, low margin only).
# Reports after how many queries each attacker was flagged (first `extraction` alert for its token),
# and the benign false-alarm rate. Accuracy-style numbers, not timing: fine on a busy machine, but
# it sends a few thousand requests (minutes with a debug build). On demand; numbers go in
# docs/BENCHMARKS.md. WARDEN_BIN=path reuses a built binary; BENIGN=N clients (default 10);
# QUERIES=N per client (default 500).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv numpy scikit-learn requests
WARDEN="$(warden_bin)" || exit 2
T="$(mktemp -d)"; SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

digits_mlp "$T" || exit 2
ADMIN="$("$WARDEN" serve --new-token)"
reference=(--reference "digits=$T/digits-train.csv")
[ "${REFERENCE:-1}" = 0 ] && reference=()
start_warden_serve "$T/serve.log" --data "$T/data" --port 0 --model "digits=$T/digits.onnx" --alerts "$T/alerts.jsonl" "${reference[@]}" ${SERVE_ARGS:-}
TOKENS="$T/tokens.txt"
for name in synthetic jacobian $(seq -f "benign%g" 1 "${BENIGN:-10}"); do
    echo "$name $(token --role inference-client --name "$name")" >> "$TOKENS" || { echo "FAIL token create"; exit 2; }
done
"$PY" scripts/bench/extraction_sim.py "$URL" "$TOKENS" "$T/digits-test.csv" "$T/alerts.jsonl" "${QUERIES:-500}"
status=$?
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""
exit $status
