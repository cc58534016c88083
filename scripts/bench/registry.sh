#!/usr/bin/env bash
# Registry speed, side by side in one run on this machine: `warden serve` (release build, SQLite)
# and `mlflow server` (SQLite backend, artifacts proxied), both driven by the real mlflow client
# (scripts/bench/registry_bench.py): model-version creation, reads (client session and a fresh
# connection per request), alias reads, a 100 MiB artefact up/download; then the basic-auth request
# rate of `warden serve` against `mlflow server --app-name basic-auth` (registry_auth_rate.py).
# Usage: scripts/bench/registry.sh [VERSIONS] [READS] [ARTIFACT_MB]   (defaults 200 500 100)
# Also runs the mlflow client against an instant server (registry_client_floor.py): the client's own
# floor per create and per read, which bounds the ratios any server can reach through it.
# Prints JSON lines per server, then the ratios against the goals of issue 6
# (scripts/bench/registry_ratios.py); the numbers go to docs/BENCHMARKS.md.
# WARDEN_BIN=path skips the release build (a smoke run with a debug binary: its numbers mean nothing).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSIONS="${1:-200}"; READS="${2:-500}"; MB="${3:-100}"
export WARDEN_INTEROP_VENV="${WARDEN_INTEROP_VENV:-$PWD/.build-interop/venv-mlflow-server}"
source scripts/interop/common.sh
ensure_venv "mlflow[auth]" requests
if [[ -n "${WARDEN_BIN:-}" ]]; then
    WARDEN="$WARDEN_BIN"
else
    echo "building warden (release)…" >&2
    swift build -c release --product warden --scratch-path .build-release >/dev/null
    WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"
fi
T="$(mktemp -d)"; PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }
# CPU ticks (1/100 s) used so far by a process and all its descendants.
tree_ticks() {
    local all="$1" todo="$1" next p t=0
    while [[ -n "$todo" ]]; do
        next=""; for p in $todo; do next+=" $(cat /proc/"$p"/task/*/children 2>/dev/null)"; done
        todo="$(echo $next)"; all+=" $todo"
    done
    for p in $all; do t=$((t + $(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0))); done
    echo "$t"
}
# Waits (at most 180 s) until a server's process tree is idle: under 0.1 s of CPU in 2 s. `mlflow
# server` answers /health ~20 s before it is done starting: its job runner then spawns seven huey
# consumers that import mlflow, a whole core for ~20 s. Measuring anything then (the first run of
# this script measured warden's creates in that window) charges mlflow's start-up to the other side.
wait_quiet() { # PID LABEL
    local before after start=$SECONDS
    before="$(tree_ticks "$1")"
    while (( SECONDS - start < 180 )); do
        sleep 2; after="$(tree_ticks "$1")"
        if (( after - before < 10 )); then echo "$2 idle after $((SECONDS - start)) s" >&2; return 0; fi
        before="$after"
    done
    echo "$2 still busy after 180 s; measuring anyway" >&2
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)" >&2
WPORT="$(free_port)"; ADMIN="$("$WARDEN" serve --new-token)"
WARDEN_SERVER_TIMING=1 WARDEN_ADMIN_TOKEN="$ADMIN" "$WARDEN" serve --data "$T/warden" --port "$WPORT" 2>"$T/warden.log" & PIDS+=($!)
wait_http "http://127.0.0.1:$WPORT/healthz"
MIA="$("$WARDEN" registry token create --server "http://127.0.0.1:$WPORT" --token "$ADMIN" --role maintainer --name mia)"

# Each server is measured alone: warden's runs before any mlflow server exists, and each mlflow
# server only once its start-up has finished (wait_quiet).
echo "== create/read/download through the mlflow client" >&2
MLFLOW_TRACKING_TOKEN="$MIA" "$PY" scripts/bench/registry_bench.py "http://127.0.0.1:$WPORT" "warden serve" \
    --versions "$VERSIONS" --reads "$READS" --artifact-mb "$MB" | tee "$T/warden.json"
echo "== basic-auth request rate (fresh connection per request)" >&2
printf '{"server": "warden serve", "basic_auth": %s}\n' "$("$PY" scripts/bench/registry_auth_rate.py "http://127.0.0.1:$WPORT" mia "$MIA" 300)" \
    | tee "$T/warden-auth.json"

MPORT="$(free_port)"
"$VENV/bin/mlflow" server --host 127.0.0.1 --port "$MPORT" --backend-store-uri "sqlite:///$T/mlflow.db" \
    --serve-artifacts --artifacts-destination "$T/mlartifacts" >"$T/mlflow.log" 2>&1 & PIDS+=($!)
wait_http "http://127.0.0.1:$MPORT/health"
wait_quiet "${PIDS[-1]}" "mlflow server"
"$PY" scripts/bench/registry_bench.py "http://127.0.0.1:$MPORT" "mlflow server" --versions "$VERSIONS" --reads "$READS" --artifact-mb "$MB" \
    | tee "$T/mlflow.json"

APORT="$(free_port)"
cat > "$T/basic_auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///$T/auth.db
admin_username = admin
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
MLFLOW_AUTH_CONFIG_PATH="$T/basic_auth.ini" MLFLOW_AUTH_ADMIN_PASSWORD="bench-Admin-password-1" MLFLOW_FLASK_SERVER_SECRET_KEY="bench" \
    "$VENV/bin/mlflow" server --app-name basic-auth --host 127.0.0.1 --port "$APORT" \
    --backend-store-uri "sqlite:///$T/mlflow-auth.db" >"$T/mlflow-auth.log" 2>&1 & PIDS+=($!)
wait_http "http://127.0.0.1:$APORT/health"
wait_quiet "${PIDS[-1]}" "mlflow server --app-name basic-auth"
printf '{"server": "mlflow server --app-name basic-auth", "basic_auth": %s}\n' \
    "$("$PY" scripts/bench/registry_auth_rate.py "http://127.0.0.1:$APORT" admin bench-Admin-password-1 50)" | tee "$T/mlflow-auth.json"
echo "== the mlflow client against a server that answers at once (the client's own floor)" >&2
"$PY" scripts/bench/registry_client_floor.py --creates "$VERSIONS" --reads "$READS" 2>/dev/null | tee "$T/floor.json"
echo "== ratios (warden serve / mlflow server)" >&2
"$PY" scripts/bench/registry_ratios.py "$T/warden.json" "$T/mlflow.json" "$T/warden-auth.json" "$T/mlflow-auth.json" "$T/floor.json"
echo "machine after: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
