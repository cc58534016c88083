"""The mlflow client's own cost per model-version create: the floor no server can go under.

Usage: registry_client_floor.py [--creates N]
Starts an "instant" server (a child process that answers every request at once
with a canned READY model version over HTTP/1.1 keep-alive, no parsing beyond the headers) and
times `MlflowClient.create_model_version` against it: wall time per create (ops/s, p50, p99) and
the client process's own CPU per create. Prints one JSON object. With status READY the client
sends exactly one POST per create (mlflow/store/model_registry/abstract_store.py
`_await_model_version_creation_impl` polls only while PENDING_REGISTRATION), so this is the
client's whole fixed cost; a server can only add to it.
"""
import argparse
import json
import multiprocessing
import os
import socket
import time
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

BODY = json.dumps({"model_version": {
    "name": "floor", "version": "1", "creation_timestamp": 1, "last_updated_timestamp": 1, "current_stage": "None",
    "source": "runs:/0123456789abcdef/model", "run_id": "0123456789abcdef", "status": "READY"}}).encode()
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


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
                connection.sendall(RESPONSE)
        connection.close()


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=500)
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
        for _ in range(20):  # warm-up: imports, the session, the connection
            client.create_model_version("floor", "runs:/0123456789abcdef/model", run_id="0123456789abcdef")
        walls, cpus = [], []
        for _ in range(args.creates):
            cpu, start = time.process_time(), time.perf_counter()
            client.create_model_version("floor", "runs:/0123456789abcdef/model", run_id="0123456789abcdef")
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        print(json.dumps({
            "server": "instant (canned READY response)", "creates": args.creates,
            "create_model_version": {"ops_per_s": round(len(walls) / sum(walls), 1), "p50_ms": round(pct(walls, 50), 2), "p99_ms": round(pct(walls, 99), 2)},
            "client_cpu_ms_per_create": round(1000 * sum(cpus) / len(cpus), 3),
            "mlflow": mlflow.__version__,
        }))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
