"""A bounded closed-loop HTTP/1.1 load generator on loopback (keep-alive, asyncio streams): C
clients each send POST requests back to back until N requests in all are answered or S seconds
have passed; prints one JSON line with p50/p99/mean latency (ms), req/s and the status counts.

Usage: gateway_load.py URL PATH BODIES_JSONL CONCURRENCY REQUESTS SECONDS [TOKEN]
BODIES_JSONL holds one request body per line; they are sent in turn.
"""
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

url, path, bodies_path = sys.argv[1], sys.argv[2], sys.argv[3]
concurrency, total, seconds = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
token = sys.argv[7] if len(sys.argv) > 7 else None
host, port = urlsplit(url).hostname, urlsplit(url).port
bodies = [line.strip().encode() for line in open(bodies_path) if line.strip()]
auth = f"Authorization: Bearer {token}\r\n" if token else ""
requests = [
    (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n{auth}"
     f"Content-Length: {len(body)}\r\n\r\n").encode() + body for body in bodies]


async def response(reader):
    """Reads one response; returns its status (Content-Length or chunked bodies)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def client(index, state, deadline):
    reader, writer = await asyncio.open_connection(host, port)
    i = index
    try:
        while state["started"] < total and time.perf_counter() < deadline:
            state["started"] += 1
            start = time.perf_counter_ns()
            writer.write(requests[i % len(requests)])
            status = await response(reader)
            state["latencies"].append(time.perf_counter_ns() - start)
            state["status"][status] = state["status"].get(status, 0) + 1
            i += concurrency
    finally:
        writer.close()


async def main():
    state = {"started": 0, "latencies": [], "status": {}}
    # Warm-up: a few requests on one connection, not counted.
    warm = {"started": 0, "latencies": [], "status": {}}
    global total
    measured, total = total, min(200, total)
    await client(0, warm, time.perf_counter() + 10)
    total = measured
    start = time.perf_counter()
    await asyncio.gather(*(client(i, state, start + seconds) for i in range(concurrency)))
    elapsed = time.perf_counter() - start
    lat = sorted(state["latencies"])
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6
    print(json.dumps({
        "concurrency": concurrency, "requests": len(lat), "seconds": round(elapsed, 2),
        "req_per_s": round(len(lat) / elapsed, 1), "p50_ms": round(pick(0.50), 3), "p99_ms": round(pick(0.99), 3),
        "mean_ms": round(sum(lat) / len(lat) / 1e6, 3), "status": state["status"]}))


asyncio.run(main())
