#!/usr/bin/env bash
# The real Open Inference Protocol clients (tritonclient[http] and requests, PyPI) against
# `warden serve --model`: health, metadata, inference (known answers from numpy), request ids,
# refusals of hostile bodies (4xx with {"error"}), token auth, /metrics. The model is an ONNX file
# written by the onnx package (Gemm), so Warden also serves what other tools export. Then the same
# checks through a second `warden serve --upstream` proxying the first (upstream mode).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv "tritonclient[http]" numpy requests onnx
WARDEN="$(warden_bin)" || exit 2
T="$(mktemp -d)"; SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

"$PY" - "$T" <<'PY' || { echo "FAIL writing the ONNX model"; exit 2; }
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
folder = sys.argv[1]
rng = np.random.default_rng(3)
W = rng.normal(size=(3, 4)).astype(np.float32); b = rng.normal(size=3).astype(np.float32)
np.savez(f"{folder}/weights.npz", W=W, b=b)
graph = helper.make_graph(
    [helper.make_node("Gemm", ["x", "W", "b"], ["y"], transB=1)], "lin",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, f"{folder}/lin.onnx")
PY

ADMIN="$("$WARDEN" serve --new-token)"
start_warden_serve "$T/serve.log" --data "$T/data" --port 0 --model "lin=$T/lin.onnx"
CLIENT="$(token --role inference-client --name app)" || { echo "FAIL token create"; exit 2; }
READER="$(token --role reader --name rita)"

VERSION="$("$PY" -c 'import importlib.metadata as m; print(m.version("tritonclient"))')"
if "$PY" scripts/interop/oip_check.py "$URL" "$CLIENT" "$READER" "$T/weights.npz" > "$T/check.log" 2>&1; then
    echo "PASS tritonclient $VERSION + requests: health, metadata, infer, refusals, auth, metrics ($(grep -c '^PASS' "$T/check.log") checks)"
    [ -n "${VERBOSE:-}" ] && sed "s/^/    /" "$T/check.log"
    passed=$((passed + 1))
else
    echo "FAIL tritonclient $VERSION + requests against warden serve --model"
    grep -v '^PASS' "$T/check.log" | tail -n 30 | sed 's/^/    /'
    failed=$((failed + 1))
fi
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""
check "every prediction is in the verified audit chain" sh -c "'$WARDEN' audit verify --data '$T/data' && '$WARDEN' audit export --data '$T/data' 2>/dev/null | grep -q inference.predict"
check "no token secret reached the server log" sh -c "! grep -q '${CLIENT:17:20}' '$T/serve.log'"

# Upstream mode: a second warden serves the same file openly (no admin token) and the gateway
# proxies it with `--upstream`; the same client checks must pass against the gateway.
env -u WARDEN_ADMIN_TOKEN "$WARDEN" serve --data "$T/upstream" --port 0 --model "lin=$T/lin.onnx" 2>"$T/upstream.log" &
UPSTREAM=$!
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; kill "$UPSTREAM" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
UPSTREAM_URL=""
for _ in $(seq 1 100); do
    UPSTREAM_URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$T/upstream.log" | head -n1)"
    [ -n "$UPSTREAM_URL" ] && break
    sleep 0.1
done
[ -n "$UPSTREAM_URL" ] || { echo "FAIL the upstream warden serve did not start"; cat "$T/upstream.log"; exit 2; }
start_warden_serve "$T/gateway.log" --data "$T/gateway" --port 0 --upstream "lin=$UPSTREAM_URL/v2/models/lin"
CLIENT="$(token --role inference-client --name app)" || { echo "FAIL token create (gateway)"; exit 2; }
READER="$(token --role reader --name rita)"
if "$PY" scripts/interop/oip_check.py "$URL" "$CLIENT" "$READER" "$T/weights.npz" > "$T/check-upstream.log" 2>&1; then
    echo "PASS tritonclient $VERSION + requests through the gateway in upstream mode ($(grep -c '^PASS' "$T/check-upstream.log") checks)"
    passed=$((passed + 1))
else
    echo "FAIL tritonclient $VERSION + requests against warden serve --upstream"
    grep -v '^PASS' "$T/check-upstream.log" | tail -n 30 | sed 's/^/    /'
    failed=$((failed + 1))
fi
kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""
check "the gateway audited the proxied predictions" sh -c "'$WARDEN' audit verify --data '$T/gateway' && '$WARDEN' audit export --data '$T/gateway' 2>/dev/null | grep -q inference.predict"
summary
