#!/usr/bin/env bash
# Signing/verification throughput: warden (release build) against model-signing's CLI, side by side
# in the same run, on one 1 GiB file and on 200 × 5 MiB files (random bytes, warm page cache).
# Usage: scripts/bench/signing.sh [RUNS]   (default 5 runs each; prints a Markdown table)
# Needs hyperfine (installed with apt-get when missing) and the interop venv (created when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
RUNS="${1:-5}"
ensure_venv model-signing==1.1.1 pyOpenSSL
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1 \
    || { echo "hyperfine is missing and apt-get could not install it" >&2; exit 2; }

echo "building warden (release)…" >&2
swift build -c release --product warden --scratch-path .build-release >/dev/null
WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"
MS="$VENV/bin/model_signing"

DATA=.build-bench
mkdir -p "$DATA"
if [ ! -f "$DATA/one/model.bin" ]; then
    mkdir -p "$DATA/one" && head -c 1073741824 /dev/urandom > "$DATA/one/model.bin"
fi
if [ ! -f "$DATA/many/f199.bin" ]; then
    mkdir -p "$DATA/many"
    for i in $(seq 0 199); do head -c 5242880 /dev/urandom > "$DATA/many/f$i.bin"; done
fi
[ -f "$DATA/keys/private.pem" ] || "$WARDEN" keys generate --type p256 --out "$DATA/keys" >/dev/null

results="$DATA/results"
mkdir -p "$results"
for set in one many; do
    model="$DATA/$set"
    cat "$model"/* > /dev/null   # warm the page cache
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$results/sign-$set.json" \
        -n "warden sign ($set)" "$WARDEN model sign $model --key $DATA/keys/private.pem --signature $DATA/w-$set.sig --quiet" \
        -n "warden sign --shard-size 256MiB ($set)" "$WARDEN model sign $model --key $DATA/keys/private.pem --signature $DATA/ws-$set.sig --shard-size 268435456 --quiet" \
        -n "model_signing sign ($set)" "$MS sign key $model --private_key $DATA/keys/private.pem --signature $DATA/m-$set.sig" >&2
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$results/verify-$set.json" \
        -n "warden verify ($set)" "$WARDEN model verify $model --key $DATA/keys/public.pem --signature $DATA/w-$set.sig --quiet" \
        -n "model_signing verify ($set)" "$MS verify key $model --public_key $DATA/keys/public.pem --signature $DATA/m-$set.sig" >&2
done

# Cross-check while we are here: each tool verifies the other's signature of the big data.
for set in one many; do
    "$MS" verify key "$DATA/$set" --public_key "$DATA/keys/public.pem" --signature "$DATA/w-$set.sig" >/dev/null
    "$WARDEN" model verify "$DATA/$set" --key "$DATA/keys/public.pem" --signature "$DATA/m-$set.sig" --quiet >/dev/null
done

"$PY" - "$results" <<'PY'
import json, sys, os
d = sys.argv[1]
gib = 1024 ** 3
size = {"one": 1 * gib, "many": 200 * 5 * 1024 ** 2}
print("| data | command | median s | GiB/s | speed-up vs model_signing |")
print("|---|---|---|---|---|")
for op in ("sign", "verify"):
    for s in ("one", "many"):
        res = json.load(open(os.path.join(d, f"{op}-{s}.json")))["results"]
        base = next(r["median"] for r in res if r["command"].startswith("model_signing"))
        label = "1 × 1 GiB" if s == "one" else "200 × 5 MiB"
        for r in res:
            m = r["median"]
            print(f"| {label} | {r['command'].rsplit(' (', 1)[0]} | {m:.3f} | {size[s] / gib / m:.2f} | {base / m:.1f}× |")
PY
