"""Warden's attacks and randomized smoothing against adversarial-robustness-toolbox (ART, PyTorch
backend) on the same MLP: scikit-learn's digits (pixels / 16), trained by `warden train`, exported to
ONNX, and loaded into PyTorch weight for weight. Every attack runs with the same parameters on the
same rows in both; the script prints both numbers, the tolerance of issue 9 and PASS/FAIL.

Usage: art_compare.py --warden PATH --work DIR [--rows N] [--slow-rows N]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from art.attacks.evasion import (CarliniL2Method, DeepFool, FastGradientMethod, HopSkipJump,
                                 ProjectedGradientDescent, SquareAttack)
from art.estimators.certification.randomized_smoothing import PyTorchRandomizedSmoothing
from art.estimators.classification import PyTorchClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--warden", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--rows", type=int, default=300, help="rows for FGSM, PGD and certification")
parser.add_argument("--slow-rows", type=int, default=100, help="rows for C&W, DeepFool, HopSkipJump, Square")
args = parser.parse_args()
os.makedirs(args.work, exist_ok=True)
np.random.seed(0)
torch.manual_seed(0)
torch.set_num_threads(1)

# The digits CSVs come from the shared exporter (scripts/bench/digits_csv.py: pixels / 16, 70/30
# stratified split, random_state 0); the arrays ART sees are read back from the same files.
subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "digits_csv.py"), args.work, "0"],
               check=True, stdout=subprocess.DEVNULL)
train_csv, test_csv = os.path.join(args.work, "digits-train.csv"), os.path.join(args.work, "digits-test.csv")
test_table = np.loadtxt(test_csv, delimiter=",", skiprows=1)
x_test, y_test = test_table[:, :64].astype(np.float32), test_table[:, 64].astype(np.int64)
model_path = os.path.join(args.work, "digits.onnx")
subprocess.run([args.warden, "train", "--data", train_csv, "--label", "label", "--model", "mlp:64", "--epochs", "30",
                "--lr", "0.003", "--seed", "0", "--out", model_path, "--quiet"], check=True, stdout=subprocess.DEVNULL)


def torch_model(path):
    """The ONNX MLP (Gemm transB=1 / Relu / Identity) as a torch module with the same weights."""
    graph = onnx.load(path).graph
    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    layers = []
    for node in graph.node:
        if node.op_type == "Gemm":
            w, b = weights[node.input[1]], weights[node.input[2]]
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            w = w if trans_b else w.T
            linear = torch.nn.Linear(w.shape[1], w.shape[0])
            linear.weight.data = torch.tensor(w.copy())
            linear.bias.data = torch.tensor(b.copy())
            layers.append(linear)
        elif node.op_type == "Relu":
            layers.append(torch.nn.ReLU())
        elif node.op_type not in ("Identity", "Flatten"):
            sys.exit(f"unexpected ONNX node {node.op_type}")
    return torch.nn.Sequential(*layers).eval()


class Image(torch.nn.Module):
    """The MLP on 1×8×8 images (ART's Square Attack wants images), flattened first."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.reshape(x.shape[0], -1))


class Counting(PyTorchClassifier):
    queries = 0

    def predict(self, x, batch_size=128, training_mode=False, **kwargs):
        Counting.queries += x.shape[0]
        return super().predict(x, batch_size=batch_size, training_mode=training_mode, **kwargs)


net = torch_model(model_path)
loss = torch.nn.CrossEntropyLoss()


def classifier(image=False):
    module = Image(net) if image else net
    return Counting(model=module, loss=loss, input_shape=(1, 8, 8) if image else (64,), nb_classes=10, clip_values=(0.0, 1.0))


def metrics(xs, xadv, ys):
    clf = classifier()
    clean = clf.predict(xs).argmax(1) == ys
    adv = clf.predict(xadv.reshape(len(ys), 64)).argmax(1)
    fooled = clean & (adv != ys)
    d = (xadv.reshape(len(ys), 64) - xs)
    l2 = np.linalg.norm(d, axis=1)[fooled]
    return {"clean_accuracy": float(clean.mean()), "robust_accuracy": float((adv == ys).mean()),
            "success_rate": float(fooled.sum() / max(clean.sum(), 1)), "median_l2": float(np.median(l2)) if len(l2) else None}


def warden(*extra, rows):
    out = subprocess.run([args.warden, *extra, "--model", model_path, "--data", test_csv, "--label", "label", "--limit", str(rows),
                          "--json", "--quiet"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


results = []
failures = 0


def compare(name, art_values, art_seconds, warden_report, checks):
    global failures
    line = {"attack": name, "art": art_values, "art_seconds": round(art_seconds, 3), "warden": {k: warden_report.get(k) for k in art_values},
            "warden_seconds": round(warden_report["seconds"], 3)}
    ok = True
    notes = []
    for key, kind, tolerance in checks:
        a, w = art_values[key], warden_report[key]
        if a is None or w is None:
            good = a == w
        elif kind == "points":
            good = abs(a - w) * 100 <= tolerance
        else:
            good = abs(a - w) <= tolerance * a
        notes.append(f"{key} ART {a if a is None else round(a, 4)} Warden {w if w is None else round(w, 4)} "
                     f"({'±' + str(tolerance) + ' points' if kind == 'points' else '±' + str(int(tolerance * 100)) + ' %'})")
        ok = ok and good
    line["pass"] = ok
    results.append(line)
    if not ok:
        failures += 1
    print(f"{'PASS' if ok else 'FAIL'} {name}: " + "; ".join(notes) + f"; time ART {art_seconds:.2f} s, Warden {warden_report['seconds']:.2f} s")


n, m = args.rows, args.slow_rows


def onehot(labels):
    """True labels for ART (without them ART attacks the model's own predictions; Warden uses the labels)."""
    return np.eye(10, dtype=np.float32)[labels]


xs, ys = x_test[:n], y_test[:n]
xm, ym = x_test[:m], y_test[:m]

for eps in (0.05, 0.1, 0.2):
    start = time.perf_counter()
    adv = FastGradientMethod(classifier(), norm=np.inf, eps=eps, batch_size=256).generate(xs, y=onehot(ys))
    seconds = time.perf_counter() - start
    compare(f"fgsm eps={eps}", metrics(xs, adv, ys), seconds, warden("attack", "--attack", "fgsm", "--eps", str(eps), rows=n),
            [("robust_accuracy", "points", 2)])

for norm, eps, step in (("inf", 0.1, 0.01), ("2", 1.0, 0.1)):
    start = time.perf_counter()
    adv = ProjectedGradientDescent(classifier(), norm=np.inf if norm == "inf" else 2, eps=eps, eps_step=step, max_iter=40,
                                   num_random_init=1, batch_size=256, verbose=False).generate(xs, y=onehot(ys))
    seconds = time.perf_counter() - start
    report = warden("attack", "--attack", "pgd", "--norm", norm, "--eps", str(eps), "--step-size", str(step), "--steps", "40",
                    "--random-start", rows=n)
    compare(f"pgd L{'∞' if norm == 'inf' else '2'} eps={eps}", metrics(xs, adv, ys), seconds, report, [("robust_accuracy", "points", 2)])

start = time.perf_counter()
adv = CarliniL2Method(classifier(), confidence=0.0, learning_rate=0.01, binary_search_steps=5, max_iter=100, initial_const=1.0,
                      batch_size=m, verbose=False).generate(xm, y=onehot(ym))
seconds = time.perf_counter() - start
compare("cw L2", metrics(xm, adv, ym), seconds,
        warden("attack", "--attack", "cw", "--steps", "100", "--binary-search-steps", "5", "--learning-rate", "0.01",
               "--initial-constant", "1", rows=m),
        [("success_rate", "points", 5), ("median_l2", "relative", 0.2)])

start = time.perf_counter()
adv = DeepFool(classifier(), max_iter=50, epsilon=0.02, nb_grads=10, batch_size=m, verbose=False).generate(xm)
seconds = time.perf_counter() - start
compare("deepfool L2", metrics(xm, adv, ym), seconds, warden("attack", "--attack", "deepfool", "--steps", "50", "--overshoot", "0.02", rows=m),
        [("success_rate", "points", 5), ("median_l2", "relative", 0.2)])

hsj_rows = min(m, 50)
xh, yh = x_test[:hsj_rows], y_test[:hsj_rows]
Counting.queries = 0
per_row = []
start = time.perf_counter()
attack = HopSkipJump(classifier(), targeted=False, norm=2, max_iter=20, max_eval=1000, init_eval=100, init_size=100, verbose=False)
adv_rows = []
for i in range(hsj_rows):
    before = Counting.queries
    adv_rows.append(attack.generate(xh[i:i + 1], y=onehot(yh[i:i + 1])))
    per_row.append(Counting.queries - before)
seconds = time.perf_counter() - start
art_values = metrics(xh, np.concatenate(adv_rows), yh)
report = warden("attack", "--attack", "hopskipjump", "--steps", "20", "--max-evaluations", "1000", rows=hsj_rows)
print(f"     hopskipjump queries per row: ART median {np.median(per_row):.0f}, Warden median {report['queries_median']}")
compare("hopskipjump L2", art_values, seconds, report, [("success_rate", "points", 5)])

Counting.queries = 0
start = time.perf_counter()
adv = SquareAttack(classifier(image=True), norm=np.inf, eps=0.1, max_iter=500, p_init=0.8, nb_restarts=1, batch_size=m,
                   verbose=False).generate(xm.reshape(m, 1, 8, 8), y=onehot(ym))
seconds = time.perf_counter() - start
art_queries = Counting.queries / m
report = warden("attack", "--attack", "square", "--eps", "0.1", "--steps", "500", rows=m)
print(f"     square queries: ART mean {art_queries:.0f} per row (all calls), Warden median {report['queries_median']} per attacked row")
compare("square L∞ eps=0.1", metrics(xm, adv, ym), seconds, report, [("success_rate", "points", 5)])

for sigma in (0.25, 0.5):
    smoother = PyTorchRandomizedSmoothing(model=net, loss=loss, input_shape=(64,), nb_classes=10, clip_values=(0.0, 1.0),
                                          sample_size=100, scale=sigma, alpha=0.001)
    start = time.perf_counter()
    prediction, radius = smoother.certify(xs, n=1000, batch_size=1000)
    seconds = time.perf_counter() - start
    art_values = {f"{r}": float(((prediction == ys) & (radius >= r)).mean()) for r in (0.25, 0.5)}
    report = warden("certify", "--sigma", str(sigma), "--n0", "100", "--n", "1000", "--alpha", "0.001", "--radii", "0.25,0.5", rows=n)
    flat = {k: v for k, v in report["certified_accuracy"].items()}
    flat["seconds"] = report["seconds"]
    compare(f"certify sigma={sigma}", art_values, seconds, flat, [("0.25", "points", 3), ("0.5", "points", 3)])

with open(os.path.join(args.work, "art_compare.json"), "w") as f:
    json.dump(results, f, indent=2)
print(f"art_compare: {len(results) - failures} comparisons within tolerance, {failures} outside")
sys.exit(1 if failures else 0)
