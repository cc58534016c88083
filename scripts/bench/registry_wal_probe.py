"""SQLite commits shaped like a registry create (a version row, its audit entry, an origin
document and its audit entry; WAL, synchronous=FULL) with and without the write-ahead log laid
out with zeros first (SQLiteRegistryStore.preallocateLog): the time of each synced commit.

Usage: registry_wal_probe.py [FOLDER] [COMMITS] [ROUNDS]   (defaults: a temp folder, 300, 2)
Prints one JSON line per round and mode (p50/p90/p99/max/mean ms, final log size).
"""
import json
import os
import sqlite3
import sys
import tempfile
import time

folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
commits = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2


def run(preallocate):
    path = os.path.join(folder, f"probe-{os.getpid()}-{preallocate}.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE versions (model TEXT, version INTEGER, json TEXT, PRIMARY KEY (model, version))")
    db.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY, details TEXT, hash TEXT)")
    db.execute("CREATE TABLE documents (kind TEXT, id TEXT, json TEXT, PRIMARY KEY (kind, id))")
    if preallocate:
        db.execute("BEGIN IMMEDIATE")
        fd = os.open(path + "-wal", os.O_WRONLY)
        size = os.fstat(fd).st_size
        os.pwrite(fd, b"\0" * ((8 << 20) - size), size)
        os.fsync(fd)
        os.close(fd)
        db.execute("COMMIT")
    samples = []
    for i in range(commits):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO versions VALUES (?, ?, ?)", ("m", i, "x" * 600))
        db.execute("INSERT INTO audit VALUES (?, ?, ?)", (2 * i, "y" * 300, "h" * 64))
        db.execute("INSERT INTO documents VALUES (?, ?, ?)", ("origin", f"m#{i}", "z" * 200))
        db.execute("INSERT INTO audit VALUES (?, ?, ?)", (2 * i + 1, "y" * 300, "h" * 64))
        db.execute("COMMIT")
        samples.append((time.perf_counter() - start) * 1000)
    log_bytes = os.path.getsize(path + "-wal")
    db.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    samples.sort()
    pick = lambda q: round(samples[min(len(samples) - 1, int(len(samples) * q))], 3)  # noqa: E731
    return {"preallocated_log": preallocate, "commits": commits, "p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99),
            "max_ms": round(samples[-1], 3), "mean_ms": round(sum(samples) / len(samples), 3), "log_bytes": log_bytes}


for _ in range(rounds):
    for preallocate in (False, True):
        print(json.dumps(run(preallocate)))
