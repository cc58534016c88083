#!/usr/bin/env bash
# Warden's training defences on scikit-learn's digits (pixels / 16, 70/30 stratified split,
# random_state 0 as in art.sh): clean test accuracy and PGD(ε = 0.1, 40 steps, random start) robust
# accuracy (`warden attack`) of an undefended MLP and of the same MLP trained with each defence; then
# 25 % random label flips planted in the training split (seeded) and the clean test accuracy of plain
# training, `--robust trimmed:0.25` and `--drop-flagged` with `warden data scan --flagged-out`.
# Accuracy, not timing: fine on a busy machine. Slow (minutes): on demand, numbers in docs/BENCHMARKS.md.
# Pass WARDEN=path for a release binary.
set -eu
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv numpy scikit-learn
WARDEN="${WARDEN:-$(warden_bin)}"
WORK="${WORK:-$(mktemp -d)}"
# The shared digits exporter (pixels / 16, 70/30 stratified split, random_state 0, as art.sh).
"$PY" scripts/bench/digits_csv.py "$WORK" 0 >/dev/null
mv "$WORK/digits-train.csv" "$WORK/train.csv"
mv "$WORK/digits-test.csv" "$WORK/test.csv"
"$PY" - "$WORK" <<'PYEOF'
import sys
import numpy as np
work = sys.argv[1]
table = np.loadtxt(f"{work}/train.csv", delimiter=",", skiprows=1)
labels = table[:, 64].astype(np.int64)
rng = np.random.default_rng(7)
flipped = labels.copy()
rows = rng.choice(len(labels), size=int(0.25 * len(labels)), replace=False)
flipped[rows] = (labels[rows] + rng.integers(1, 10, size=len(rows))) % 10
with open(f"{work}/train.csv") as f:
    header = f.readline()
with open(f"{work}/flipped.csv", "w") as f:
    f.write(header)
    for row, label in zip(table[:, :64], flipped):
        f.write(",".join("%.4f" % v for v in row) + f",{label}\n")
PYEOF
TRAIN=(--label label --model mlp:64 --epochs 30 --lr 0.003 --seed 0 --quiet --json)
field() { "$PY" -c "import json,sys; print('%.4f' % json.load(sys.stdin)['$1'])"; }
run() { # name train-options…
    local name="$1"; shift
    local start=$SECONDS
    local clean
    clean=$("$WARDEN" train --data "$WORK/train.csv" --test "$WORK/test.csv" "${TRAIN[@]}" --out "$WORK/$name.onnx" "$@" | field test_accuracy)
    local robust
    robust=$("$WARDEN" attack --model "$WORK/$name.onnx" --data "$WORK/test.csv" --label label --attack pgd --eps 0.1 --steps 40 --random-start --json --quiet | field robust_accuracy)
    printf "%-44s clean %s  PGD(0.1) robust %s  (%ds)\n" "$name $*" "$clean" "$robust" $((SECONDS - start))
}
echo "== adversarial defences (digits, mlp:64, 30 epochs) =="
run undefended
run pgd --adversarial pgd:eps=0.1,steps=10
run pgd-all --adversarial pgd:eps=0.1,steps=10,ratio=1
run noise --noise 0.3
run distill --distill 20
echo "== 25 % random label flips in the training split =="
flip() { # name options…
    local name="$1"; shift
    printf "%-44s clean test accuracy %s\n" "$name $*" \
        "$("$WARDEN" train --data "$WORK/flipped.csv" --test "$WORK/test.csv" "${TRAIN[@]}" --out "$WORK/f-$name.onnx" "$@" | field test_accuracy)"
}
flip plain
flip trimmed --robust trimmed:0.25
"$WARDEN" data scan "$WORK/flipped.csv" --label label --flagged-out "$WORK/flagged.txt" --quiet >/dev/null || true
echo "data scan flagged $(wc -l <"$WORK/flagged.txt") rows"
flip drop-flagged --drop-flagged "$WORK/flagged.txt"
flip drop-flagged+trimmed --drop-flagged "$WORK/flagged.txt" --robust trimmed:0.1
