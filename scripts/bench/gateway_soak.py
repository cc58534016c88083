"""Mixed valid and abusive load against `warden serve` for a bounded time, with the server's RSS
sampled every few seconds; see gateway_soak.sh.

Usage: gateway_soak.py URL TOKEN PID TEST_CSV SECONDS
Kinds (and the status each must get):
  valid        one test row, FP32 [1, 64]                        → 200
  oversized    a 9 MiB body (limit 8 MiB)                        → 413
  malformed    truncated / non-JSON bodies                       → 400
  wrong_dtype  datatype INT64 or BYTES, or strings as FP32 data  → 400
  huge_shape   shape [100000000, 64] (and [2^40]) with one row   → 400 or 413
  slow         headers, then the body one byte per second        → 408 at the server's body timeout (30 s); never a hang
Prints the status counts per kind, the wrong answers, and RSS (KiB) and open descriptors per sample as JSON.
"""
import asyncio
import json
import os
import random
import sys
import time
from urllib.parse import urlsplit

url, token, pid, test_csv, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
host, port = urlsplit(url).hostname, urlsplit(url).port
rows = [[float(v) for v in line.split(",")[:64]] for line in open(test_csv).read().splitlines()[1:]]
PATH = "/v2/models/digits/infer"
rng = random.Random(0)
expected = {"valid": {200}, "oversized": {413}, "malformed": {400}, "wrong_dtype": {400}, "huge_shape": {400, 413}}
counts = {kind: {} for kind in list(expected) + ["slow"]}
wrong = []
rss = []
fds = []


def body(kind):
    row = rng.choice(rows)
    tensor = {"name": "input", "shape": [1, 64], "datatype": "FP32", "data": row}
    if kind == "valid":
        return json.dumps({"inputs": [tensor]}).encode()
    if kind == "oversized":
        return b'{"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [' + b"0.0," * (9 << 18) + b"0]}]}"
    if kind == "malformed":
        return rng.choice([json.dumps({"inputs": [tensor]})[:-7].encode(), b"{inputs: [1, 2", b"\xff\xfe\x00garbage", b"[" * 100000])
    if kind == "wrong_dtype":
        choice = rng.randrange(3)
        if choice == 0:
            tensor["datatype"] = "INT64"
        elif choice == 1:
            tensor["datatype"] = "BYTES"
        else:
            tensor["data"] = [str(v) for v in row]
        return json.dumps({"inputs": [tensor]}).encode()
    if kind == "huge_shape":
        tensor["shape"] = rng.choice([[100000000, 64], [1 << 40], [1, 64, 1 << 30]])
        return json.dumps({"inputs": [tensor]}).encode()
    raise ValueError(kind)


def head(length):
    return (f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").encode()


async def status_of(reader):
    line = await reader.readline()
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1") else 0


async def send(kind):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        data = body(kind)
        writer.write(head(len(data)) + data)
        try:
            await writer.drain()
        except ConnectionError:
            pass  # the server answered early and closed (413 before the whole body)
        status = await asyncio.wait_for(status_of(reader), 60)
    except (ConnectionError, asyncio.IncompleteReadError) as error:
        status = f"closed:{type(error).__name__}"
    finally:
        writer.close()
    counts[kind][status] = counts[kind].get(status, 0) + 1
    if kind in expected and status not in expected[kind] and len(wrong) < 20:
        wrong.append((kind, status))


async def slow(deadline):
    while time.monotonic() < deadline - 40:
        reader, writer = await asyncio.open_connection(host, port)
        data = body("valid")
        writer.write(head(len(data)))
        status = None
        start = time.monotonic()
        try:
            for i in range(len(data)):
                writer.write(data[i:i + 1])
                await writer.drain()
                try:
                    status = await asyncio.wait_for(status_of(reader), 1)
                    break
                except asyncio.TimeoutError:
                    pass
                if time.monotonic() - start > 90:
                    break
        except ConnectionError:
            status = "closed"
        writer.close()
        key = f"{status} after {int(time.monotonic() - start)} s" if status else "no answer in 90 s"
        counts["slow"][key] = counts["slow"].get(key, 0) + 1
        if status != 408 and len(wrong) < 20:
            wrong.append(("slow", key))


async def sampler(deadline):
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/status") as f:
            rss.append(int(next(line for line in f if line.startswith("VmRSS")).split()[1]))
        fds.append(len(os.listdir(f"/proc/{pid}/fd")))
        await asyncio.sleep(5)


async def worker(deadline, mix):
    while time.monotonic() < deadline:
        await send(rng.choice(mix))


async def main():
    deadline = time.monotonic() + seconds
    mix = ["valid"] * 12 + ["malformed"] * 2 + ["wrong_dtype"] * 2 + ["huge_shape"] * 2 + ["oversized"]
    await asyncio.gather(sampler(deadline), slow(deadline), slow(deadline), *(worker(deadline, mix) for _ in range(4)))
    sent = sum(sum(c.values()) for c in counts.values())
    print(json.dumps({"seconds": seconds, "requests": sent, "counts": {k: {str(s): n for s, n in v.items()} for k, v in counts.items()},
                      "wrong": wrong, "rss_kib": rss, "fds": fds}))


asyncio.run(main())
