#!/usr/bin/env bash
# `warden data encrypt|decrypt` against age (Debian package, X25519 recipient) on the same 1 GiB
# file, side by side: the runs alternate (warden, age, age + sync, warden, …) so a load that comes
# and goes on a shared machine hits all alike; page cache warm; each output is removed before its
# run. Warden fsyncs its output before renaming it into place; age does not, so age is also timed
# followed by `sync FILE` (coreutils: fsync of that file), the same durability. "audited" rows
# encrypt the same bytes inside a data repository, where the plaintext is also hashed (SHA-256) for
# the audit event.
# Prints median and minimum seconds, GiB/s and the speed-up over age, the CPU seconds (user +
# system) each used, and the load average before and after.
# Usage: [BENCH_DIR=DIR] [WARDEN=path/to/warden] scripts/bench/encrypt.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-5}"
command -v age >/dev/null || apt-get install -y age >/dev/null 2>&1
PY="$(command -v python3)"

if [ -z "${WARDEN:-}" ]; then
    swift build -c release --product warden --scratch-path .build-release >/dev/null
    WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"
fi

DATA="${BENCH_DIR:-$PWD/.build-bench}"  # BENCH_DIR=/dev/shm/… measures the CPU side without the disk
mkdir -p "$DATA/one" "$DATA/enc"
[ -f "$DATA/one/model.bin" ] || head -c 1073741824 /dev/urandom > "$DATA/one/model.bin"
IN="$DATA/one/model.bin"; E="$DATA/enc"
# The same bytes inside a data repository: there the access is audited with the plaintext's SHA-256.
mkdir -p "$DATA/repo/.warden"; ln -f "$IN" "$DATA/repo/model.bin"
rm -rf "$E/keyring" "$E/age-key.txt"
"$WARDEN" keys init --keyring "$E/keyring" >/dev/null
age-keygen -o "$E/age-key.txt" 2>/dev/null
RECIPIENT=$(age-keygen -y "$E/age-key.txt")
"$WARDEN" data encrypt "$IN" --out "$E/w.wenc" --keyring "$E/keyring" --quiet
age -r "$RECIPIENT" -o "$E/a.age" "$IN"
cat "$IN" "$E/w.wenc" "$E/a.age" > /dev/null

"$PY" - "$RUNS" "$WARDEN" "$IN" "$E" "$RECIPIENT" <<'PY'
import os, statistics, subprocess, sys, time
runs, warden, src, e, recipient = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ops = {
    "encrypt": [
        ("warden data encrypt", f"{e}/w2.wenc", [warden, "data", "encrypt", src, "--out", f"{e}/w2.wenc", "--keyring", f"{e}/keyring", "--quiet"]),
        ("warden data encrypt, audited", f"{e}/w3.wenc", [warden, "data", "encrypt", f"{os.path.dirname(e)}/repo/model.bin", "--out", f"{e}/w3.wenc", "--keyring", f"{e}/keyring", "--quiet"]),
        ("age -r", f"{e}/a2.age", ["age", "-r", recipient, "-o", f"{e}/a2.age", src]),
        ("age -r, then sync FILE", f"{e}/a2.age", ["sh", "-c", f'age -r "$0" -o "$1" "$2" && sync "$1"', recipient, f"{e}/a2.age", src]),
    ],
    "decrypt": [
        ("warden data decrypt", f"{e}/w.out", [warden, "data", "decrypt", f"{e}/w.wenc", "--out", f"{e}/w.out", "--keyring", f"{e}/keyring", "--quiet"]),
        ("warden data decrypt, audited", f"{os.path.dirname(e)}/repo/w.out", [warden, "data", "decrypt", f"{e}/w.wenc", "--out", f"{os.path.dirname(e)}/repo/w.out", "--keyring", f"{e}/keyring", "--quiet"]),
        ("age -d", f"{e}/a.out", ["age", "-d", "-i", f"{e}/age-key.txt", "-o", f"{e}/a.out", f"{e}/a.age"]),
        ("age -d, then sync FILE", f"{e}/a.out", ["sh", "-c", 'age -d -i "$0" -o "$1" "$2" && sync "$1"', f"{e}/age-key.txt", f"{e}/a.out", f"{e}/a.age"]),
    ],
}
load_before = os.getloadavg()
times = {(op, name): [] for op, cmds in ops.items() for name, _, _ in cmds}
cpu = {key: [] for key in times}  # user + system seconds of the child: what the load does not change
for op, cmds in ops.items():
    for _ in range(runs):
        for name, output, argv in cmds:
            if os.path.exists(output):
                os.unlink(output)
            start = time.perf_counter()
            child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            times[(op, name)].append(time.perf_counter() - start)
            cpu[(op, name)].append(usage.ru_utime + usage.ru_stime)
            if status != 0:
                sys.exit(f"{name} failed ({status})")
load_after = os.getloadavg()
for out in ("w.out", "a.out"):
    if open(src, "rb").read(1 << 20) != open(f"{e}/{out}", "rb").read(1 << 20):
        sys.exit(f"{out} differs from the input")
subprocess.run(["cmp", src, f"{e}/w.out"], check=True)
subprocess.run(["cmp", src, f"{e}/a.out"], check=True)
for f in (f"{e}/w2.wenc", f"{e}/w3.wenc", f"{e}/a2.age", f"{e}/w.out", f"{e}/a.out", f"{os.path.dirname(e)}/repo/w.out"):
    if os.path.exists(f):
        os.unlink(f)
print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}; {runs} alternating runs each")
print("| operation (1 GiB) | command | median s | min s | GiB/s (median) | speed-up vs age (median) | CPU s (median) |")
print("|---|---|---|---|---|---|---|")
for op, cmds in ops.items():
    base = statistics.median(next(times[(op, n)] for n, _, _ in cmds if n.startswith("age") and "sync" not in n))
    for name, _, _ in cmds:
        t = times[(op, name)]
        m = statistics.median(t)
        print(f"| {op} | {name} | {m:.3f} | {min(t):.3f} | {1 / m:.2f} | {base / m:.2f}× | {statistics.median(cpu[(op, name)]):.2f} |")
PY
