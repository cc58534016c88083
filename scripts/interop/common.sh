# Shared helpers for the interop scripts: a venv in an ignored folder, the warden binary, and
# PASS/FAIL bookkeeping. Source it; do not run it.
VENV="${WARDEN_INTEROP_VENV:-$PWD/.build-interop/venv}"
PY="$VENV/bin/python"
passed=0
failed=0

ensure_venv() { # packages…
    if [ ! -x "$PY" ]; then
        python3 -m venv "$VENV" 2>/dev/null || {
            # Debian splits venv support into its own package.
            apt-get install -y python3-venv >/dev/null 2>&1 && python3 -m venv "$VENV"
        } || { echo "FAIL cannot create the venv at $VENV (install python3-venv)"; exit 2; }
    fi
    local missing=()
    for pkg in "$@"; do
        local name="${pkg%%[=<>\[]*}"
        "$VENV/bin/pip" show -q "$name" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        "$VENV/bin/pip" install -q --disable-pip-version-check "${missing[@]}" >/dev/null \
            || { echo "FAIL pip install ${missing[*]}"; exit 2; }
    fi
}

warden_bin() { # WARDEN_BIN=path uses a binary built elsewhere (e.g. a release build)
    if [ -n "${WARDEN_BIN:-}" ]; then echo "$WARDEN_BIN"; return; fi
    swift build --product warden >/dev/null 2>&1 || { echo "FAIL swift build" >&2; exit 2; }
    echo "$(swift build --show-bin-path)/warden"
}

# `warden serve ARGS…` in the background with $ADMIN as the first admin token, stderr to LOG; returns
# once it listens, with its pid in SERVER and its address in URL (the caller's EXIT trap kills it).
start_warden_serve() { # LOG serve-arguments…
    local log="$1"; shift
    WARDEN_ADMIN_TOKEN="$ADMIN" "$WARDEN" serve "$@" 2>"$log" &
    SERVER=$!
    URL=""
    for _ in $(seq 1 100); do
        URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -n1)"
        [ -n "$URL" ] && return 0
        sleep 0.1
    done
    echo "FAIL warden serve did not start"; cat "$log"; exit 2
}

# A registry token from the server at $URL, created with $ADMIN: token --role ROLE --name NAME
digits_mlp() { # DIR: scikit-learn's digits split into DIR/digits-{train,test}.csv and an mlp:64 trained on it, DIR/digits.onnx (the gateway benches' model)
    "$PY" scripts/bench/digits_csv.py "$1" 0 >/dev/null || { echo "FAIL digits CSV"; return 2; }
    "$WARDEN" train --data "$1/digits-train.csv" --label label --model mlp:64 --epochs 30 --lr 0.003 --seed 0 --quiet --out "$1/digits.onnx" \
        >/dev/null || { echo "FAIL warden train"; return 2; }
}
token() { "$WARDEN" registry token create --server "$URL" --token "$ADMIN" "$@"; }

fail() { echo "FAIL $*"; failed=$((failed + 1)); }

check() { # description command…
    local what="$1"; shift
    local out
    if out=$("$@" 2>&1); then
        echo "PASS $what"; passed=$((passed + 1))
    else
        echo "FAIL $what"; echo "$out" | tail -n 5 | sed 's/^/    /'; failed=$((failed + 1))
    fi
}

check_fails() { # description command… (passes when the command fails)
    local what="$1"; shift
    if "$@" >/dev/null 2>&1; then
        echo "FAIL $what (it succeeded)"; failed=$((failed + 1))
    else
        echo "PASS $what"; passed=$((passed + 1))
    fi
}

check_fails_with() { # code description command…
    local want="$1" what="$2"; shift 2
    "$@" >/dev/null 2>&1
    local got=$?
    if [ "$got" -eq "$want" ]; then
        echo "PASS $what"; passed=$((passed + 1))
    else
        echo "FAIL $what (exit $got, expected $want)"; failed=$((failed + 1))
    fi
}

summary() {
    echo "interop $(basename "$0" .sh): $passed checks ok, $failed checks failed"
    [ "$failed" -eq 0 ]
}
