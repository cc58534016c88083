"""Scores `warden data scan` and cleanlab on the planted-poison datasets poison_export.py writes:
precision, recall and F1 of the flags against the planted rows per dataset and kind, and the flag
count on the clean data. cleanlab: find_label_issues on 5-fold cross-validated probabilities
(cross_val_predict, StratifiedKFold shuffled with the seed) of LogisticRegression(max_iter=2000) on
standardised features and of MLPClassifier(64 units); cleanlab does not look for backdoors or noise
rows, it is scored on every kind all the same.

Usage: poison_bench.py DATA_DIR WARDEN [SEED]   (prints a Markdown table; writes DATA_DIR/results.json)
"""
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from cleanlab.filter import find_label_issues
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def score(flagged, truth, n):
    flagged, truth = set(flagged), set(truth)
    hits = len(flagged & truth)
    p = hits / len(flagged) if flagged else (1.0 if not truth else 0.0)
    r = hits / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {"flagged": len(flagged), "planted": len(truth), "hits": hits, "precision": p, "recall": r, "f1": f}


def cleanlab_flags(X, y, model, seed):
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    probabilities = cross_val_predict(model, X, y, cv=folds, method="predict_proba")
    return list(np.flatnonzero(find_label_issues(y, probabilities, filter_by="prune_by_noise_rate")))


def main():
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")  # MLP max_iter: fine for scoring
    folder, warden = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    results = []
    names = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".csv"))
    order = ["clean", "random", "systematic", "pairs", "backdoor", "duplicates", "noise"]
    names.sort(key=lambda n: (n.split("-")[0], order.index(n.split("-", 1)[1])))
    for name in names:
        csv = os.path.join(folder, name + ".csv")
        truth = [int(line) for line in open(os.path.join(folder, name + ".truth")) if line.strip()]
        data = np.loadtxt(csv, delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1].astype(int)
        row = {"data": name, "rows": len(y)}
        start = time.time()
        out = subprocess.run([warden, "data", "scan", csv, "--label", "label", "--json", "--exit-zero", "--seed", str(seed)],
                             capture_output=True, text=True, check=True)
        report = json.loads(out.stdout)
        row["warden_seconds"] = time.time() - start
        row["warden"] = score([s["index"] for s in report["suspicious"]], truth, len(y))
        reasons = {}
        for s in report["suspicious"]:
            for reason in s["reasons"]:
                reasons[reason] = reasons.get(reason, 0) + 1
        row["warden_reasons"] = reasons
        for label, model in [
            ("cleanlab_logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
            ("cleanlab_mlp", make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=500, random_state=seed))),
        ]:
            start = time.time()
            row[label] = score(cleanlab_flags(X, y, model, seed), truth, len(y))
            row[label + "_seconds"] = time.time() - start
        results.append(row)
        print(f"{name}: warden {row['warden']} {reasons}", file=sys.stderr)
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("| data | planted | warden flags | warden P / R / F1 | cleanlab LR flags | P / R / F1 | cleanlab MLP flags | P / R / F1 | warden s | cleanlab LR+MLP s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        cells = [r["data"], str(r["warden"]["planted"])]
        for key in ["warden", "cleanlab_logreg", "cleanlab_mlp"]:
            s = r[key]
            cells += [str(s["flagged"]), "-" if not s["planted"] else f"{s['precision']:.2f} / {s['recall']:.2f} / {s['f1']:.2f}"]
        cells += [f"{r['warden_seconds']:.1f}", f"{r['cleanlab_logreg_seconds'] + r['cleanlab_mlp_seconds']:.1f}"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
