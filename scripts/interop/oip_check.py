"""The real Open Inference Protocol clients against `warden serve --model`: NVIDIA's tritonclient
(HTTP) and plain `requests` posting the KServe v2 JSON. Known answers come from numpy on the same
weights; refusals must be 4xx with the protocol's {"error": "..."} body.

usage: oip_check.py URL TOKEN READER_TOKEN WEIGHTS.npz"""
import json
import sys

import numpy as np
import requests
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

url, token, reader, weights = sys.argv[1:5]
w = np.load(weights)
W, b = w["W"], w["b"]
auth = {"Authorization": f"Bearer {token}"}
failures = 0


def check(what, ok):
    global failures
    print(("PASS " if ok else "FAIL ") + what)
    failures += 0 if ok else 1


client = httpclient.InferenceServerClient(url=url.removeprefix("http://"))
check("tritonclient: server live", client.is_server_live())
check("tritonclient: server ready", client.is_server_ready())
meta = client.get_server_metadata()
check(f"tritonclient: server metadata names warden ({meta})", meta["name"] == "warden")
model = client.get_model_metadata("lin", headers=dict(auth))
check(f"tritonclient: model metadata ({model})",
      model["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}] and model["outputs"][0]["name"] == "y")
check("tritonclient: model ready", client.is_model_ready("lin", headers=dict(auth)))

rng = np.random.default_rng(7)
x = rng.normal(size=(5, 4)).astype(np.float32)
expected = x @ W.T + b
inp = httpclient.InferInput("x", list(x.shape), "FP32")
inp.set_data_from_numpy(x, binary_data=False)
out = httpclient.InferRequestedOutput("y", binary_data=False)
result = client.infer("lin", [inp], outputs=[out], request_id="abc-1", headers=dict(auth))
got = result.as_numpy("y")
check(f"tritonclient: infer matches numpy (max diff {np.abs(got - expected).max():.2e})",
      got.shape == expected.shape and np.allclose(got, expected, atol=1e-5))
check("tritonclient: request id echoed", result.get_response()["id"] == "abc-1")

# A wrong shape: tritonclient raises with the server's message.
bad = httpclient.InferInput("x", [1, 3], "FP32")
bad.set_data_from_numpy(np.zeros((1, 3), np.float32), binary_data=False)
try:
    client.infer("lin", [bad], headers=dict(auth))
    check("tritonclient: wrong shape is refused", False)
except InferenceServerException as e:
    check(f"tritonclient: wrong shape is refused ({e.message()})", "shape" in (e.message() or ""))

# tritonclient's default binary tensor extension is refused with a clear 400, not misread.
binary = httpclient.InferInput("x", [1, 4], "FP32")
binary.set_data_from_numpy(np.zeros((1, 4), np.float32), binary_data=True)
try:
    client.infer("lin", [binary], headers=dict(auth))
    check("tritonclient: binary extension is refused", False)
except InferenceServerException as e:
    check(f"tritonclient: binary extension is refused ({e.message()})", "binary" in (e.message() or ""))

# Plain requests with the spec's JSON, nested data.
body = {"id": "r2", "inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32", "data": x[:2].tolist()}]}
r = requests.post(f"{url}/v2/models/lin/infer", json=body, headers=auth, timeout=10)
data = r.json()["outputs"][0]
check("requests: nested data infers", r.status_code == 200 and np.allclose(np.array(data["data"]).reshape(data["shape"]), expected[:2], atol=1e-5))

hostile = {
    "truncated JSON": b'{"inputs": [{"name": "x", "shape": [1, 4]',
    "wrong datatype": json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]}]}).encode(),
    "data/shape mismatch": json.dumps({"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}).encode(),
    "huge shape": json.dumps({"inputs": [{"name": "x", "shape": [10**12, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}).encode(),
    "NaN": b'{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [NaN, 1, 2, 3]}]}',
    "oversized body": b'{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [' + b"1," * (9 << 20) + b"1]}]}",
}
for name, raw in hostile.items():
    r = requests.post(f"{url}/v2/models/lin/infer", data=raw, headers={**auth, "Content-Type": "application/json"}, timeout=30)
    try:
        message = r.json().get("error")
    except ValueError:
        message = None
    check(f"requests: {name} → {r.status_code} {message!r:.90}", 400 <= r.status_code < 500 and isinstance(message, str))

r = requests.post(f"{url}/v2/models/lin/infer", json=body, timeout=10)
check(f"requests: no token → {r.status_code}", r.status_code == 401 and "error" in r.json())
r = requests.post(f"{url}/v2/models/lin/infer", json=body, headers={"Authorization": f"Bearer {reader}"}, timeout=10)
check(f"requests: reader token → {r.status_code}", r.status_code == 403 and "error" in r.json())
metrics = requests.get(f"{url}/metrics", timeout=10).text
check("requests: /metrics counts the successes", 'guard_requests_total{model="lin",code="200"}' in metrics)
sys.exit(1 if failures else 0)
