#!/usr/bin/env bash
# SLSA provenance attestations against the Python in-toto tooling, both directions:
# warden's envelopes verify with securesystemslib's DSSE and parse strictly as in-toto Statement v1
# + SLSA Provenance v1 (in-toto-attestation protobufs); envelopes securesystemslib signs verify with
# `warden attest verify`; tampering and wrong keys fail in both.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv "securesystemslib[crypto]" in-toto-attestation
WARDEN="$(warden_bin)" || exit 2
CHECK="$PY scripts/interop/attest_check.py"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT

echo "-- warden attests, the Python tools verify"
echo "feature,label" > "$T/train.csv"
printf 'print("training")\n' > "$T/train.py"
for type in p256 p384; do
    "$WARDEN" keys generate --type $type --out "$T/$type" >/dev/null
    check "warden run ($type) writes an attestation" \
        "$WARDEN" run --key "$T/$type/private.pem" --attestation "$T/$type.att.json" --input "$T/train.csv" \
        --output "$T/model-$type.bin" --param epochs=3 -- sh -c "cp '$T/train.csv' '$T/model-$type.bin'"
    check "securesystemslib verifies warden's $type envelope; the statement parses strictly as SLSA v1" \
        $CHECK verify "$T/$type.att.json" "$T/$type/public.pem"
done
# The strict parse is not vacuous: a field outside the SLSA v1 schema makes it fail.
"$PY" - "$T/p256.att.json" "$T/p256/private.pem" "$T/extra.att.json" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import serialization
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
st["predicate"]["runDetails"]["notInTheSchema"] = 1
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), password=None)
env = Envelope(json.dumps(st).encode(), "application/vnd.in-toto+json", {})
sig = env.sign(CryptoSigner(key))
d = env.to_dict()
d["signatures"][0]["keyid"] = json.load(open(sys.argv[1]))["signatures"][0]["keyid"]
json.dump(d, open(sys.argv[3], "w"))
PY
check_fails "the strict SLSA parse rejects a predicate field outside the schema" $CHECK verify "$T/extra.att.json" "$T/p256/public.pem"
check_fails "securesystemslib rejects warden's envelope with the wrong key" $CHECK verify "$T/p256.att.json" "$T/p384/public.pem"
"$PY" - "$T/p256.att.json" "$T/tampered.att.json" <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
payload = base64.b64decode(d["payload"]).replace(b'"epochs": "3"', b'"epochs": "9"')
d["payload"] = base64.b64encode(payload).decode()
json.dump(d, open(sys.argv[2], "w"))
PY
check_fails "securesystemslib rejects a warden envelope whose payload was edited" $CHECK verify "$T/tampered.att.json" "$T/p256/public.pem"
check_fails_with 1 "warden rejects the edited envelope (exit 1)" "$WARDEN" attest verify "$T/tampered.att.json" --key "$T/p256/public.pem"
check_fails_with 1 "warden run writes nothing when the command fails (exit 1)" \
    "$WARDEN" run --key "$T/p256/private.pem" --attestation "$T/never.json" --output "$T/x" -- false
check_fails "… and no attestation file exists" test -e "$T/never.json"

echo "-- the Python tools attest, warden verifies"
printf 'weights' > "$T/model.bin"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$T/py.pem" 2>/dev/null
openssl pkey -in "$T/py.pem" -pubout -out "$T/py.pub" 2>/dev/null
check "securesystemslib signs a SLSA v1 statement" $CHECK sign "$T/py.pem" "$T/model.bin" "$T/py.att.json"
check "warden verifies securesystemslib's envelope and the subject" \
    "$WARDEN" attest verify "$T/py.att.json" --key "$T/py.pub" --subject "$T/model.bin"
check_fails_with 1 "warden rejects it with the wrong key (exit 1)" "$WARDEN" attest verify "$T/py.att.json" --key "$T/p256/public.pem"
printf 'other weights' > "$T/model.bin"
check_fails_with 1 "warden rejects a changed subject file (exit 1)" \
    "$WARDEN" attest verify "$T/py.att.json" --key "$T/py.pub" --subject "$T/model.bin"
echo '{"payload": "%%%"}' > "$T/garbage.json"
check_fails_with 2 "warden refuses a corrupt envelope (exit 2)" "$WARDEN" attest verify "$T/garbage.json" --key "$T/py.pub"
summary
