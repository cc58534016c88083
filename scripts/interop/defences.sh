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
"$PY" - "$WORK" <<'PYEOF'
import sys
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
work = sys.argv[1]
d = load_digits()
x = (d.data / 16.0).astype(np.float32)
y = d.target.astype(np.int64)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
def write(path, features, labels):
    with open(path, "w") as f:
        f.write(",".join([f"p{i}" for i in range(64)] + ["label"]) + "\n")
        for row, label in zip(features, labels):
            f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")
write(f"{work}/train.csv", x_train, y_train)
write(f"{work}/test.csv", x_test, y_test)
rng = np.random.default_rng(7)
flipped = y_train.copy()
rows = rng.choice(len(y_train), size=int(0.25 * len(y_train)), replace=False)
flipped[rows] = (y_train[rows] + rng.integers(1, 10, size=len(rows))) % 10
write(f"{work}/flipped.csv", x_train, flipped)
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
