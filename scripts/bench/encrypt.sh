#!/usr/bin/env bash
# `warden data encrypt|decrypt` against age (Debian package, X25519 recipient) on the same 1 GiB
# file, side by side with hyperfine; page cache warm, outputs on the same disk.
# Usage: [BENCH_DIR=DIR] scripts/bench/encrypt.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-5}"
command -v age >/dev/null || apt-get install -y age >/dev/null 2>&1
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1
PY="$(command -v python3)"

swift build -c release --product warden --scratch-path .build-release >/dev/null
WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"

DATA="${BENCH_DIR:-$PWD/.build-bench}"  # BENCH_DIR=/dev/shm/… measures the CPU side without the disk
mkdir -p "$DATA/one" "$DATA/enc"
[ -f "$DATA/one/model.bin" ] || head -c 1073741824 /dev/urandom > "$DATA/one/model.bin"
IN="$DATA/one/model.bin"; E="$DATA/enc"
rm -rf "$E/keyring" "$E/age-key.txt"
"$WARDEN" keys init --keyring "$E/keyring" >/dev/null
age-keygen -o "$E/age-key.txt" 2>/dev/null
RECIPIENT=$(age-keygen -y "$E/age-key.txt")
"$WARDEN" data encrypt "$IN" --out "$E/w.wenc" --keyring "$E/keyring" --quiet
age -r "$RECIPIENT" -o "$E/a.age" "$IN"
cat "$IN" "$E/w.wenc" "$E/a.age" > /dev/null

results="$DATA/results"; mkdir -p "$results"
# Outputs are removed before each run (--prepare) so no run pays for freeing the previous output.
hyperfine --runs "$RUNS" --prepare "rm -f $E/w2.wenc $E/a2.age $E/w.out $E/a.out" --export-json "$results/encrypt.json" \
    -n "warden data encrypt" "$WARDEN data encrypt $IN --out $E/w2.wenc --keyring $E/keyring --quiet" \
    -n "age -r (encrypt)" "age -r $RECIPIENT -o $E/a2.age $IN" >&2
hyperfine --runs "$RUNS" --prepare "rm -f $E/w2.wenc $E/a2.age $E/w.out $E/a.out" --export-json "$results/decrypt.json" \
    -n "warden data decrypt" "$WARDEN data decrypt $E/w.wenc --out $E/w.out --keyring $E/keyring --quiet" \
    -n "age -d (decrypt)" "age -d -i $E/age-key.txt -o $E/a.out $E/a.age" >&2
cmp "$IN" "$E/w.out" && cmp "$IN" "$E/a.out"
rm -f "$E/w2.wenc" "$E/a2.age" "$E/w.out" "$E/a.out"

"$PY" - "$results" <<'PY'
import json, os, sys
d = sys.argv[1]
print("| operation (1 GiB) | command | median s | GiB/s | speed-up vs age |")
print("|---|---|---|---|---|")
for op in ("encrypt", "decrypt"):
    res = json.load(open(os.path.join(d, f"{op}.json")))["results"]
    base = next(r["median"] for r in res if r["command"].startswith("age"))
    for r in res:
        print(f"| {op} | {r['command']} | {r['median']:.3f} | {1/r['median']:.2f} | {base / r['median']:.2f}× |")
PY
