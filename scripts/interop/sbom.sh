#!/usr/bin/env bash
# ML SBOMs against the official validators: CycloneDX 1.6 (cyclonedx-python-lib's strict JSON
# validator) and SPDX 2.3 (spdx-tools), on several kinds of model, plus corrupted SBOMs that must fail
# (so the checks are not vacuous).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv "cyclonedx-python-lib[json-validation]" spdx-tools
WARDEN="$(warden_bin)" || exit 2
CHECK="$PY scripts/interop/sbom_check.py"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT

# An HF-style folder with config.json and requirements.txt.
mkdir -p "$T/bert/tokenizer"
cat > "$T/bert/config.json" <<'JSON'
{"architectures": ["BertForSequenceClassification"], "model_type": "bert", "transformers_version": "4.44.2",
 "torch_dtype": "float32", "hidden_size": 768, "num_labels": 2}
JSON
head -c 200000 /dev/urandom > "$T/bert/model.safetensors"
printf 'torch==2.3.1\nnumpy>=1.26,<2 ; python_version >= "3.9"\nscikit-learn[alldeps]==1.5.1\n# a comment\n-r other.txt\n' > "$T/bert/requirements.txt"
echo "[CLS] [SEP]" > "$T/bert/tokenizer/vocab.txt"
# A single-file model, a folder with awkward names, and dependency files of every kind.
head -c 5000 /dev/urandom > "$T/model.onnx"
mkdir -p "$T/odd/sub dir"; echo x > "$T/odd/sub dir/wéights (1).bin"; echo y > "$T/odd/#hash&amp.txt"
printf 'torch==2.3.1\nnumpy==1.26.4\nPillow==10.4.0\n' > "$T/freeze.txt"
cat > "$T/pyproject.toml" <<'TOML'
[project]
name = "trainer"
dependencies = [
  "pandas>=2.2",
  "pyarrow==16.1.0",
]
[tool.poetry.dependencies]
python = "^3.11"
lightgbm = "4.5.0"
xgboost = { version = "^2.1", optional = true }
TOML
printf 'id,label\n1,0\n' > "$T/train.csv"

for format in cyclonedx spdx; do
    check "$format: HF-style model with config.json, requirements and a dataset" \
        "$WARDEN" model sbom "$T/bert" --format $format --output "$T/bert.$format.json" \
        --requirements "$T/freeze.txt" --requirements "$T/pyproject.toml" --requirements Package.resolved \
        --dataset train="$T/train.csv" --metric accuracy=0.93
    check "$format: the validator accepts it" $CHECK $format "$T/bert.$format.json"
    check "$format: single-file model" "$WARDEN" model sbom "$T/model.onnx" --format $format --output "$T/one.$format.json"
    check "$format: the validator accepts it" $CHECK $format "$T/one.$format.json"
    check "$format: odd file names" "$WARDEN" model sbom "$T/odd" --format $format --output "$T/odd.$format.json"
    check "$format: the validator accepts it" $CHECK $format "$T/odd.$format.json"
done

check "CycloneDX names the model as a machine-learning-model with its task" \
    "$PY" -c "import json,sys; d=json.load(open('$T/bert.cyclonedx.json')); c=d['metadata']['component']; assert c['type']=='machine-learning-model' and c['modelCard']['modelParameters']['task']=='text-classification', c"
check "CycloneDX lists pinned packages with purls" \
    "$PY" -c "import json; d=json.load(open('$T/bert.cyclonedx.json')); p={c.get('purl') for c in d['components']}; assert {'pkg:pypi/torch@2.3.1','pkg:pypi/transformers@4.44.2','pkg:pypi/pyarrow@16.1.0','pkg:swift/github.com/apple/swift-crypto@4.5.2'} <= p, p"

# Negative controls: a broken document must fail each validator.
"$PY" -c "import json; d=json.load(open('$T/bert.cyclonedx.json')); d['components'][0]['type']='not-a-type'; json.dump(d, open('$T/bad.cdx.json','w'))"
check_fails "cyclonedx: the validator rejects an invalid component type" $CHECK cyclonedx "$T/bad.cdx.json"
"$PY" -c "import json; d=json.load(open('$T/bert.spdx.json')); d['files'][0]['checksums']=[c for c in d['files'][0]['checksums'] if c['algorithm']!='SHA1']; json.dump(d, open('$T/bad.spdx.json','w'))"
check_fails "spdx: the validator rejects a file without its SHA1" $CHECK spdx "$T/bad.spdx.json"
check_fails_with 2 "warden refuses a missing model (exit 2)" "$WARDEN" model sbom "$T/none" --output "$T/x.json"
summary
