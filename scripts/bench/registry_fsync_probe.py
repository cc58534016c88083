"""What one synced commit costs on this disk: fdatasync after appending 4 KiB (the file grows, so
the file system's journal commits too) against fdatasync after overwriting 4 KiB in place (what
SQLite's preallocated write-ahead log does; SQLiteRegistryStore.preallocateLog).

Usage: registry_fsync_probe.py [FOLDER] [COUNT]   (defaults: a temp folder, 50)
Prints one JSON object with p50/p90/max in ms for each pattern.
"""
import json
import os
import sys
import tempfile
import time

folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir()
count = int(sys.argv[2]) if len(sys.argv) > 2 else 50
out = {"folder": folder, "count": count}
for mode in ("append", "overwrite"):
    path = os.path.join(folder, f".fsync-probe-{os.getpid()}")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    samples = []
    try:
        if mode == "overwrite":
            os.write(fd, b"\0" * (4096 * count))
            os.fsync(fd)
        for i in range(count):
            if mode == "append":
                os.write(fd, b"x" * 4096)
            else:
                os.pwrite(fd, b"x" * 4096, 4096 * i)
            start = time.perf_counter()
            os.fdatasync(fd)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()
    out[mode] = {"p50_ms": round(samples[len(samples) // 2], 3), "p90_ms": round(samples[int(len(samples) * 0.9)], 3), "max_ms": round(samples[-1], 3)}
print(json.dumps(out))
