#!/usr/bin/env bash
# Interop with OpenSSF model-signing (PyPI model-signing 1.1.1), both directions:
#   warden signs  -> model_signing verifies (CLI and API), tampered copies fail;
#   model_signing signs (CLI and API: sha256, blake2b, blake3, shards; P-256/P-384/P-521)
#                 -> warden verifies, tampered copies fail with exit 1.
# Usage: scripts/interop/oms.sh   (creates .build-interop/venv on first use)
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv model-signing==1.1.1 pyOpenSSL blake3
WARDEN="$(warden_bin)" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A model folder with nesting, an empty file, a dotfile and binary data.
make_model() {
    "$PY" - "$1" <<'PYEOF'
import os, sys, random
root = sys.argv[1]
rng = random.Random(1234)
os.makedirs(os.path.join(root, "weights"), exist_ok=True)
os.makedirs(os.path.join(root, "tokenizer"), exist_ok=True)
open(os.path.join(root, "config.json"), "w").write('{"model_type": "mlp"}\n')
open(os.path.join(root, "weights", "w0.bin"), "wb").write(bytes(rng.getrandbits(8) for _ in range(300_000)))
open(os.path.join(root, "weights", "w1.bin"), "wb").write(bytes(rng.getrandbits(8) for _ in range(5_000)))
open(os.path.join(root, "tokenizer", "vocab.txt"), "w").write("a\nb\n")
open(os.path.join(root, "empty.txt"), "w").close()
open(os.path.join(root, ".hidden"), "w").write("dot\n")
PYEOF
}

# Keys made by Python's cryptography (as model-signing users make them).
make_key() { # curve out_dir
    "$PY" - "$1" "$2" <<'PYEOF'
import os, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
curve = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}[sys.argv[1]]
os.makedirs(sys.argv[2], exist_ok=True)
k = ec.generate_private_key(curve)
open(os.path.join(sys.argv[2], "private.pem"), "wb").write(k.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
open(os.path.join(sys.argv[2], "public.pem"), "wb").write(k.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
PYEOF
}

# API signing/verifying with an explicit hashing config (the CLI has no such options).
api() { # sign|verify model sig key mode  (mode: sha256|blake2|blake3|shards)
    "$PY" - "$@" <<'PYEOF'
import sys
import model_signing
op, model, sig, key, mode = sys.argv[1:6]
hc = model_signing.hashing.Config()
if mode == "shards":
    hc = hc.use_shard_serialization(hashing_algorithm="sha256", shard_size=65536)
else:
    hc = hc.use_file_serialization(hashing_algorithm=mode)
if op == "sign":
    model_signing.signing.Config().use_elliptic_key_signer(private_key=key).set_hashing_config(hc).sign(model, sig)
else:
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=key).set_hashing_config(hc).verify(model, sig)
PYEOF
}

model="$work/model"
make_model "$model"

echo "-- warden signs, model-signing verifies"
for curve in p256 p384 p521; do
    "$WARDEN" keys generate --type "$curve" --out "$work/wk-$curve" >/dev/null || fail "warden keys generate $curve"
    "$WARDEN" model sign "$model" --key "$work/wk-$curve/private.pem" --signature "$work/w-$curve.sig" --quiet >/dev/null
    check "model_signing CLI verifies a warden $curve signature" \
        "$VENV/bin/model_signing" verify key "$model" --signature "$work/w-$curve.sig" --public_key "$work/wk-$curve/public.pem"
done
for mode in blake3 shards; do
    case $mode in shards) opts=(--shard-size 65536);; *) opts=(--hash "$mode");; esac
    "$WARDEN" model sign "$model" --key "$work/wk-p256/private.pem" --signature "$work/w-$mode.sig" "${opts[@]}" --quiet >/dev/null
    check "model_signing API verifies a warden $mode signature" api verify "$model" "$work/w-$mode.sig" "$work/wk-p256/public.pem" "$mode"
done
"$WARDEN" model sign "$model" --key "$work/wk-p256/private.pem" --signature "$work/w-blake2b.sig" --hash blake2b --quiet >/dev/null
check "model_signing API verifies a warden blake2b signature" api verify "$model" "$work/w-blake2b.sig" "$work/wk-p256/public.pem" blake2

tampered="$work/tampered"
cp -r "$model" "$tampered"
printf 'x' >> "$tampered/weights/w1.bin"
check_fails "model_signing CLI rejects a changed file under a warden signature" \
    "$VENV/bin/model_signing" verify key "$tampered" --signature "$work/w-p256.sig" --public_key "$work/wk-p256/public.pem"
check_fails "model_signing CLI rejects a warden signature with the wrong key" \
    "$VENV/bin/model_signing" verify key "$model" --signature "$work/w-p256.sig" --public_key "$work/wk-p384/public.pem"

echo "-- model-signing signs, warden verifies"
for curve in p256 p384 p521; do
    make_key "$curve" "$work/pk-$curve"
    "$VENV/bin/model_signing" sign key "$model" --private_key "$work/pk-$curve/private.pem" --signature "$work/m-$curve.sig" >/dev/null 2>&1 \
        || fail "model_signing sign key ($curve)"
    check "warden verifies a model_signing CLI $curve signature" \
        "$WARDEN" model verify "$model" --key "$work/pk-$curve/public.pem" --signature "$work/m-$curve.sig" --quiet
done
for mode in sha256 blake2 blake3 shards; do
    api sign "$model" "$work/m-api-$mode.sig" "$work/pk-p256/private.pem" "$mode" || fail "model_signing API sign ($mode)"
    check "warden verifies a model_signing API $mode signature" \
        "$WARDEN" model verify "$model" --key "$work/pk-p256/public.pem" --signature "$work/m-api-$mode.sig" --quiet
    check_fails_with 1 "warden rejects a changed file under a model_signing $mode signature" \
        "$WARDEN" model verify "$tampered" --key "$work/pk-p256/public.pem" --signature "$work/m-api-$mode.sig" --quiet
done
extra="$work/extra"; cp -r "$model" "$extra"; echo new > "$extra/added.txt"
missing="$work/missing"; cp -r "$model" "$missing"; rm "$missing/tokenizer/vocab.txt"
check_fails_with 1 "warden rejects an added file" "$WARDEN" model verify "$extra" --key "$work/pk-p256/public.pem" --signature "$work/m-p256.sig" --quiet
check "warden accepts an added file with --ignore-unsigned-files" "$WARDEN" model verify "$extra" --key "$work/pk-p256/public.pem" --signature "$work/m-p256.sig" --ignore-unsigned-files --quiet
check_fails_with 1 "warden rejects a removed file" "$WARDEN" model verify "$missing" --key "$work/pk-p256/public.pem" --signature "$work/m-p256.sig" --quiet
check_fails_with 1 "warden rejects a model_signing signature with the wrong key" "$WARDEN" model verify "$model" --key "$work/pk-p384/public.pem" --signature "$work/m-p256.sig" --quiet
"$PY" - "$work/m-p256.sig" "$work/forged.sig" <<'PYEOF'
import base64, json, sys
b = json.load(open(sys.argv[1]))
p = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
p["predicate"]["resources"][0]["digest"] = "00" * 32
b["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(p).encode()).decode()
open(sys.argv[2], "w").write(json.dumps(b))
PYEOF
check_fails_with 1 "warden rejects a model_signing signature whose payload was edited" "$WARDEN" model verify "$model" --key "$work/pk-p256/public.pem" --signature "$work/forged.sig" --quiet

single="$work/single.bin"; head -c 100000 /dev/urandom > "$single"
"$VENV/bin/model_signing" sign key "$single" --private_key "$work/pk-p256/private.pem" --signature "$work/single.sig" >/dev/null 2>&1 || fail "model_signing sign (single file)"
check "warden verifies a model_signing single-file signature" "$WARDEN" model verify "$single" --key "$work/pk-p256/public.pem" --signature "$work/single.sig" --quiet
"$WARDEN" model sign "$single" --key "$work/wk-p256/private.pem" --signature "$work/single-w.sig" --quiet >/dev/null
check "model_signing verifies a warden single-file signature" "$VENV/bin/model_signing" verify key "$single" --signature "$work/single-w.sig" --public_key "$work/wk-p256/public.pem"

summary
