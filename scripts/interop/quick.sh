#!/usr/bin/env bash
# The interop checks CI runs after the tests: each script installs what it needs from PyPI into
# .build-interop/venv (ignored by git) and checks Warden against the real tools in both directions.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
for script in oms sbom attest dp scan onnx mlflow drift oip; do
    if [ -x "scripts/interop/$script.sh" ]; then
        echo "== interop $script"
        "scripts/interop/$script.sh" || status=1
    else
        echo "interop $script: missing scripts/interop/$script.sh"; status=1
    fi
done
exit $status
