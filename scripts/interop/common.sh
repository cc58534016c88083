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

warden_bin() {
    swift build --product warden >/dev/null 2>&1 || { echo "FAIL swift build" >&2; exit 2; }
    echo "$(swift build --show-bin-path)/warden"
}

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
