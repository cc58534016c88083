"""Authenticated request rate: N sequential GET registered-models/search with basic auth, each on
a fresh connection (no session reuse, so every request is authenticated from scratch).

Usage: registry_auth_rate.py URL USER PASSWORD [N]   → JSON {req_per_s, p50_ms, p99_ms}
"""
import base64
import http.client
import json
import sys
import time
import urllib.parse

url, user, password = sys.argv[1:4]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 200
target = urllib.parse.urlparse(url)
header = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
samples = []
for _ in range(count):
    start = time.perf_counter()
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    connection.request("GET", "/api/2.0/mlflow/registered-models/search?max_results=10", headers=header)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200, (response.status, response.read())
    samples.append(time.perf_counter() - start)
ordered = sorted(samples)
print(json.dumps({"req_per_s": round(count / sum(samples), 1), "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
                  "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 2)}))
