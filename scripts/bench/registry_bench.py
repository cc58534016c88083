"""Registry speed through the real mlflow client, against any MLflow-compatible server.

Usage: registry_bench.py URL LABEL [--versions N] [--reads N] [--artifact-mb N]
Env: MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD as the server needs.
Prints one JSON object: ops/s and p50/p99 (ms) for create_model_version and reads via MlflowClient,
the same read over a fresh TCP connection each time (raw HTTP), and a streamed 100 MiB artefact
download (through mlflow.artifacts.download_artifacts and a raw streamed GET).
Beside the end-to-end create times it reports the client process's own CPU per create
(time.process_time) and, when the server sends `Server-Timing: app;dur=MS` (warden serve with
WARDEN_SERVER_TIMING=1), the server's own time per create: end to end = client + server + the
wait between them (scheduling, the network stack).
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
import mlflow  # noqa: E402
import requests  # noqa: E402
from mlflow import MlflowClient  # noqa: E402

# The server's own time per request, from its Server-Timing header (when it sends one).
server_times = []
_send = requests.Session.send


def _timed_send(self, request, **kwargs):
    response = _send(self, request, **kwargs)
    timing = response.headers.get("Server-Timing", "")
    if "dur=" in timing:
        server_times.append(float(timing.split("dur=")[1].split(";")[0].split(",")[0]) / 1000)
    return response


requests.Session.send = _timed_send

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("label")
parser.add_argument("--versions", type=int, default=200)
parser.add_argument("--reads", type=int, default=500)
parser.add_argument("--artifact-mb", type=int, default=100)
args = parser.parse_args()
mlflow.set_tracking_uri(args.url)
client = MlflowClient()


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def summary(samples):
    return {"ops_per_s": round(len(samples) / sum(samples), 1), "p50_ms": round(pct(samples, 50), 2), "p99_ms": round(pct(samples, 99), 2)}


def auth_headers():
    if os.environ.get("MLFLOW_TRACKING_TOKEN"):
        return {"Authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]}
    if os.environ.get("MLFLOW_TRACKING_USERNAME"):
        import base64
        pair = f'{os.environ["MLFLOW_TRACKING_USERNAME"]}:{os.environ["MLFLOW_TRACKING_PASSWORD"]}'
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    return {}


name = f"bench-{int(time.time() * 1000)}"
mlflow.set_experiment("bench")
with mlflow.start_run() as run:
    mlflow.log_text("x", "model/MLmodel")
source = f"runs:/{run.info.run_id}/model"
client.create_registered_model(name)
for _ in range(20):  # warm-up, as registry_client_floor.py does: the client's lazy set-up is not timed
    client.create_model_version(name, source, run_id=run.info.run_id)
creates, create_cpu = [], []
server_times.clear()
for _ in range(args.versions):
    cpu, start = time.process_time(), time.perf_counter()
    client.create_model_version(name, source, run_id=run.info.run_id)
    creates.append(time.perf_counter() - start)
    create_cpu.append(time.process_time() - cpu)
create_server = list(server_times)
client.set_registered_model_alias(name, "champion", "1")
reads, alias_reads, fresh = [], [], []
server_times.clear()
for i in range(args.reads):
    start = time.perf_counter()
    client.get_model_version(name, str(1 + i % args.versions))
    reads.append(time.perf_counter() - start)
read_server = list(server_times)
for _ in range(args.reads):
    start = time.perf_counter()
    client.get_model_version_by_alias(name, "champion")
    alias_reads.append(time.perf_counter() - start)
target = urllib.parse.urlparse(args.url)
path = f"/api/2.0/mlflow/model-versions/get?name={name}&version=1"
for _ in range(args.reads):
    start = time.perf_counter()
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    connection.request("GET", path, headers=auth_headers())
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200, response.status
    fresh.append(time.perf_counter() - start)

result = {"server": args.label, "create_model_version": summary(creates),
          "create_client_cpu_ms": round(1000 * sum(create_cpu) / len(create_cpu), 3),
          "create_server_time": summary(create_server) if len(create_server) == len(creates) else None,
          "get_model_version": summary(reads),
          "get_server_time": summary(read_server) if len(read_server) == len(reads) else None,
          "get_model_version_by_alias": summary(alias_reads), "get_model_version_fresh_connection": summary(fresh)}

if args.artifact_mb:
    with tempfile.TemporaryDirectory() as folder:
        blob = os.path.join(folder, "weights.bin")
        with open(blob, "wb") as handle:
            handle.write(os.urandom(args.artifact_mb << 20))
        with mlflow.start_run() as big:
            start = time.perf_counter()
            mlflow.log_artifact(blob)
            upload = time.perf_counter() - start
        best_client, best_raw = 1e9, 1e9
        info = client.get_run(big.info.run_id).info
        uri = info.artifact_uri.replace("mlflow-artifacts:/", args.url.rstrip("/") + "/api/2.0/mlflow-artifacts/artifacts/") + "/weights.bin"
        for attempt in range(3):
            out = os.path.join(folder, f"d{attempt}")
            start = time.perf_counter()
            mlflow.artifacts.download_artifacts(run_id=big.info.run_id, artifact_path="weights.bin", dst_path=out)
            best_client = min(best_client, time.perf_counter() - start)
            start = time.perf_counter()
            with requests.get(uri, headers=auth_headers(), stream=True, timeout=60) as response:
                response.raise_for_status()
                size = sum(len(chunk) for chunk in response.iter_content(1 << 20))
            best_raw = min(best_raw, time.perf_counter() - start)
            assert size == args.artifact_mb << 20
        mb = (args.artifact_mb << 20) / 1e6
        result["artifact_upload_mb_s"] = round(mb / upload, 1)
        result["artifact_download_client_mb_s"] = round(mb / best_client, 1)
        result["artifact_download_raw_mb_s"] = round(mb / best_raw, 1)
print(json.dumps(result))
