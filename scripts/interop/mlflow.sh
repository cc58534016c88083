#!/usr/bin/env bash
# The real mlflow client (3.x, PyPI) against a real `warden serve` on loopback: log and register a
# scikit-learn model, aliases, tags, search, stages, load models:/NAME@ALIAS, and Warden's
# authorisation and gates through MLflow's API (bearer and basic auth). Tokens are made with
# `warden registry token create`; the audit chain is verified afterwards with `warden audit verify`.
# WARDEN_INTEROP_KEYRING=1 runs the server with artefacts encrypted at rest (`--keyring`) and checks
# that every stored blob is an encrypted file.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv mlflow-skinny scikit-learn pandas skops
WARDEN="$(warden_bin)" || exit 2
T="$(mktemp -d)"; SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

ADMIN="$("$WARDEN" serve --new-token)"
ENCRYPT=()
if [ "${WARDEN_INTEROP_KEYRING:-0}" = 1 ]; then
    "$WARDEN" keys init --keyring "$T/keyring" >/dev/null || { echo "FAIL warden keys init"; exit 2; }
    ENCRYPT=(--keyring "$T/keyring")
fi
start_warden_serve "$T/serve.log" --data "$T/data" --port 0 "${ENCRYPT[@]}"

MAINTAINER="$(token --role maintainer --name mia)" || { echo "FAIL token create"; exit 2; }
READER="$(token --role reader --name rita)"
INFERENCE="$(token --role inference-client --name ivan)"
check "warden registry token create prints wdn_ tokens" test "${MAINTAINER:0:4}${READER:0:4}" = "wdn_wdn_"

echo "-- the mlflow client against warden serve"
VERSION="$("$PY" -c 'import mlflow; print(mlflow.__version__)')"
if "$PY" scripts/interop/mlflow_check.py "$URL" "$MAINTAINER" "$READER" "$INFERENCE" > "$T/check.log" 2>&1; then
    echo "PASS mlflow $VERSION: log, register, alias, tags, search, stages, load, authz ($(grep -c '^PASS' "$T/check.log") checks)"
    passed=$((passed + 1))
else
    echo "FAIL mlflow $VERSION: log, register, alias, tags, search, stages, load, authz"
    grep -v '^PASS' "$T/check.log" | tail -n 30 | sed 's/^/    /'
    failed=$((failed + 1))
fi

echo "-- the warden CLI sees what mlflow registered"
check "warden registry show lists the MLflow-registered version" \
    sh -c "'$WARDEN' registry show iris-lr --server '$URL' --token '$READER' --json | grep -q '\"uploader\": \"mia\"'"
check_fails_with 1 "warden registry promote to production is refused (exit 1)" \
    "$WARDEN" registry promote iris-lr 1 --to production --server "$URL" --token "$MAINTAINER"
check "warden registry pull --alias champion verifies every digest" \
    "$WARDEN" registry pull iris-lr --alias champion --out "$T/pulled" --server "$URL" --token "$READER" --quiet
check "the pulled folder holds the MLmodel file" test -f "$T/pulled/MLmodel"

kill "$SERVER"; wait "$SERVER" 2>/dev/null; SERVER=""
check "the registry's audit chain verifies" "$WARDEN" audit verify --data "$T/data"
check "no token secret reached the server log" sh -c "! grep -q '${MAINTAINER:17:20}' '$T/serve.log'"
if [ "${#ENCRYPT[@]}" -gt 0 ]; then
    check "every stored blob is encrypted at rest (WRDNENC1)" \
        sh -c "find '$T/data/blobs/sha256' -type f | { n=0; while read -r f; do head -c 8 \"\$f\" | grep -q WRDNENC1 || exit 1; n=\$((n+1)); done; [ \$n -gt 0 ]; }"
fi
summary
