"""The mlflow client's own cost per call: the floor no server can go under.

Usage: registry_client_floor.py [--creates N] [--reads N]
Starts an "instant" server (a child process that answers every request at once over HTTP/1.1
keep-alive with TCP_NODELAY, no parsing beyond the headers) and times, through the real client,
`MlflowClient.create_model_version`, `get_model_version` and `get_model_version_by_alias` against
it: wall time per call (ops/s, p50, p99) and the client process's own CPU per call. Prints one JSON
object. With status READY the client sends exactly one POST per create
(mlflow/store/model_registry/abstract_store.py `_await_model_version_creation_impl` polls only
while PENDING_REGISTRATION), and one GET per read, so this is the client's whole fixed cost; a
server can only add to it.

What it answers is what a minimal correct server sends (so the floor is honest, not flattered by
a response no real server could give): a status line, `Date` (RFC 9110 requires it of an origin
server with a clock), `Content-Type`, `Content-Length` framing (not chunked: urllib3 reads chunked
bodies line by line in Python), and a model version with the fields `warden serve` returns (name,
version, timestamps, user, stage, source, run id, status), all written with one `sendall`.
Measured with the same client (docs/BENCHMARKS.md, Registry): the client's time does not change
between this answer and warden's exact bytes (its `Server` and `Server-Timing` headers included).
"""
import argparse
import email.utils
import json
import multiprocessing
import os
import socket
import time
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

RUN = "0123456789abcdef0123456789abcdef"
BODY = json.dumps({"model_version": {
    "name": "floor", "version": "1", "creation_timestamp": 1796580887852, "last_updated_timestamp": 1796580887852,
    "user_id": "mia", "current_stage": "None", "source": f"runs:/{RUN}/model", "run_id": RUN, "status": "READY"}},
    separators=(",", ":")).encode()


def response():
    """The whole answer, head and body in one buffer (one write, one segment)."""
    head = (f"HTTP/1.1 200 OK\r\nDate: {email.utils.formatdate(usegmt=True)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n")
    return head.encode() + BODY


def serve(listener):
    """Answers each request on each connection at once (one connection at a time: the client has one)."""
    while True:
        connection, _ = listener.accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        while True:
            data = connection.recv(65536)
            if not data:
                break
            pending += data
            while b"\r\n\r\n" in pending:
                head, rest = pending.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if len(rest) < length:
                    break
                pending = rest[length:]
                connection.sendall(response())
        connection.close()


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def timed(call, count):
    """ops/s, p50, p99 (ms) and the client's CPU per call (ms) of `count` calls after 20 warm-up calls."""
    for _ in range(20):
        call()
    walls, cpus = [], []
    for _ in range(count):
        cpu, start = time.process_time(), time.perf_counter()
        call()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return {"ops_per_s": round(len(walls) / sum(walls), 1), "p50_ms": round(pct(walls, 50), 2), "p99_ms": round(pct(walls, 99), 2),
            "client_cpu_ms": round(1000 * sum(cpus) / len(cpus), 3)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--reads", type=int, default=500)
    args = parser.parse_args()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    server = multiprocessing.Process(target=serve, args=(listener,), daemon=True)
    server.start()
    try:
        import mlflow
        from mlflow import MlflowClient
        mlflow.set_tracking_uri(f"http://127.0.0.1:{port}")
        client = MlflowClient()
        create = timed(lambda: client.create_model_version("floor", f"runs:/{RUN}/model", run_id=RUN), args.creates)
        result = {
            "server": "instant (minimal correct READY response)", "creates": args.creates,
            "create_model_version": {k: create[k] for k in ("ops_per_s", "p50_ms", "p99_ms")},
            "client_cpu_ms_per_create": create["client_cpu_ms"],
        }
        if args.reads:
            result["get_model_version"] = timed(lambda: client.get_model_version("floor", "1"), args.reads)
            result["get_model_version_by_alias"] = timed(lambda: client.get_model_version_by_alias("floor", "champion"), args.reads)
        result["mlflow"] = mlflow.__version__
        print(json.dumps(result))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
