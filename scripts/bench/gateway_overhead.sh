#!/usr/bin/env bash
# Gateway overhead (issue 8 quality bar): p50/p99 latency and req/s at 1 and 16 concurrent clients,
# one digits row per request over loopback, for
#   - `warden serve` with every protection on: token auth, rate limit (high enough never to refuse),
#     input validation, extraction detection (PRADA + out-of-distribution count test), adversarial
#     screening at policy log (Mahalanobis, two feature squeezers, low confidence; --reference),
#     alert file, prediction audit events;
#   - `warden serve` with the detectors off (--no-extraction-detection, no --reference; auth,
#     validation and the prediction audit stay, as they cannot be turned off from the flags);
#   - `warden serve` bare: no token (anonymous), no prediction audit, no detectors, no rate limit
#     (warden.yaml `inference: {anonymous: true, audit_predictions: false, extraction: false}`),
#     the model behind the HTTP and validation path only: what every protection costs together;
#   - `mlflow models serve --env-manager local` on a scikit-learn MLP of the same shape (64-64-10).
# Bounded: REQUESTS per run (default 3000) or SECONDS_PER_RUN (default 20), whichever comes first.
# WITH_MLFLOW=0 leaves mlflow out (the warden rows alone, for short runs under /work/quiet.sh-style pauses).
# WARDEN_BIN=path reuses a built binary (use a release build).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
if [ "${WITH_MLFLOW:-1}" = 0 ]; then ensure_venv numpy scikit-learn requests; else ensure_venv numpy scikit-learn requests mlflow; fi
WARDEN="$(warden_bin)" || exit 2
T="$(mktemp -d)"; SERVER=""; MLFLOW=""  # MLFLOW: the mlflow server's process group
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; [ -n "$MLFLOW" ] && kill -- -"$MLFLOW" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
N="${REQUESTS:-3000}"; S="${SECONDS_PER_RUN:-20}"

digits_mlp "$T" || exit 2
if [ "${WITH_MLFLOW:-1}" = 0 ]; then
    # The request bodies alone (one test row each), as gateway_mlflow_model.py writes them.
    "$PY" - "$T" <<'PY' || { echo "FAIL bodies"; exit 2; }
import json, sys
rows = [line.split(",")[:64] for line in open(f"{sys.argv[1]}/digits-test.csv").read().splitlines()[1:]]
with open(f"{sys.argv[1]}/warden.jsonl", "w") as out:
    for row in rows:
        out.write(json.dumps({"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [round(float(v), 4) for v in row]}]}) + "\n")
PY
else
    "$PY" scripts/bench/gateway_mlflow_model.py "$T" "$T/mlflow-model" "$T/warden.jsonl" "$T/mlflow.jsonl" >/dev/null || { echo "FAIL mlflow model"; exit 2; }
fi
ADMIN="$("$WARDEN" serve --new-token)"

run() { # label url path bodies [token]
    for c in 1 16; do
        echo "$1 c=$c $("$PY" scripts/bench/gateway_load.py "$2" "$3" "$4" "$c" "$N" "$S" ${5:-})"
    done
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start_warden_serve "$T/on.log" --data "$T/on" --port 0 --model "digits=$T/digits.onnx" --reference "digits=$T/digits-train.csv" \
    --adversarial-policy log --alerts "$T/alerts.jsonl" --rate-limit 1000000 --burst 1000000
run "warden-protected" "$URL" /v2/models/digits/infer "$T/warden.jsonl" "$ADMIN"
echo "warden-protected rss_kib $(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)"
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""
start_warden_serve "$T/off.log" --data "$T/off" --port 0 --model "digits=$T/digits.onnx" --no-extraction-detection
run "warden-detectors-off" "$URL" /v2/models/digits/infer "$T/warden.jsonl" "$ADMIN"
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""
printf 'inference:\n  anonymous: true\n  audit_predictions: false\n  extraction: false\n' > "$T/bare.yaml"
start_warden_serve "$T/bare.log" --config "$T/bare.yaml" --data "$T/bare" --port 0 --model "digits=$T/digits.onnx"
run "warden-bare" "$URL" /v2/models/digits/infer "$T/warden.jsonl"
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""

if [ "${WITH_MLFLOW:-1}" = 0 ]; then echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"; exit 0; fi
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# mlflow starts its scoring server as `uvicorn` from PATH: the venv's bin/ must be on it.
PATH="$VENV/bin:$PATH" setsid "$VENV/bin/mlflow" models serve -m "$T/mlflow-model" --env-manager local -h 127.0.0.1 -p "$PORT" >"$T/mlflow.log" 2>&1 &
MLFLOW=$!
for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/ping" >/dev/null || { echo "FAIL mlflow models serve did not start"; tail -5 "$T/mlflow.log"; exit 2; }
run "mlflow" "http://127.0.0.1:$PORT" /invocations "$T/mlflow.jsonl"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
