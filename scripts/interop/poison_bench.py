"""Scores `warden data scan` and cleanlab on the planted-poison datasets poison_export.py writes:
precision, recall and F1 of the flags against the planted rows per dataset and kind, and the flag
count on the clean data. cleanlab: find_label_issues on 5-fold cross-validated probabilities
(cross_val_predict, StratifiedKFold shuffled with the seed) of LogisticRegression(max_iter=2000) on
standardised features and of MLPClassifier(64 units); cleanlab does not look for backdoors or noise
rows, it is scored on every kind all the same. pyod: IForest (seeded) and ECOD at their default
threshold (contamination 0.1), and, as an upper bound they cannot reach without knowing the answer,
at the planted share (the top `planted` scores). ART: SpectralSignatureDefense and ActivationDefence,
whose flags poison_art.py writes to DATA_DIR/art.json (skipped when that file is absent). Every
anchor is scored on every kind, whether or not it looks for that kind.

The anchors do not depend on warden: they are saved to DATA_DIR/anchors.json (after each table, so
an interrupted run keeps them), and with WARDEN_POISON_KEEP=1 a saved result (with its seconds) is
reused, so a new warden build is re-scored in a few minutes. WARDEN "-" computes and saves the anchors only.

Usage: poison_bench.py DATA_DIR WARDEN [SEED]   (prints Markdown tables; writes DATA_DIR/results.json)
"""
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from cleanlab.filter import find_label_issues
from pyod.models.ecod import ECOD
from pyod.models.iforest import IForest
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
    art_path = os.path.join(folder, "art.json")
    art = json.load(open(art_path)) if os.path.exists(art_path) else {}
    anchors_path = os.path.join(folder, "anchors.json")
    keep = os.environ.get("WARDEN_POISON_KEEP") == "1" and os.path.exists(anchors_path)
    saved = json.load(open(anchors_path)) if keep else {}
    names = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".csv"))
    order = ["clean", "random", "systematic", "pairs", "backdoor", "duplicates", "noise"]
    names.sort(key=lambda n: (n.split("-")[0], order.index(n.split("-", 1)[1])))
    for name in names:
        csv = os.path.join(folder, name + ".csv")
        truth = [int(line) for line in open(os.path.join(folder, name + ".truth")) if line.strip()]
        data = np.loadtxt(csv, delimiter=",", skiprows=1)
        X, y = data[:, :-1], data[:, -1].astype(int)
        row = {"data": name, "rows": len(y)}
        reasons = {}
        if warden != "-":
            start = time.time()
            out = subprocess.run([warden, "data", "scan", csv, "--label", "label", "--json", "--exit-zero", "--seed", str(seed)],
                                 capture_output=True, text=True, check=True)
            report = json.loads(out.stdout)
            row["warden_seconds"] = time.time() - start
            row["warden"] = score([s["index"] for s in report["suspicious"]], truth, len(y))
            for s in report["suspicious"]:
                for reason in s["reasons"]:
                    reasons[reason] = reasons.get(reason, 0) + 1
            row["warden_reasons"] = reasons
        if name in saved:
            row.update(saved[name])
            results.append(row)
            print(f"{name}: warden {row.get('warden')} {reasons} (anchors kept)", file=sys.stderr)
            continue
        for label, model in [
            ("cleanlab_logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
            ("cleanlab_mlp", make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=500, random_state=seed))),
        ]:
            start = time.time()
            row[label] = score(cleanlab_flags(X, y, model, seed), truth, len(y))
            row[label + "_seconds"] = time.time() - start
        for label, make in [("pyod_iforest", lambda: IForest(random_state=seed)), ("pyod_ecod", ECOD)]:
            start = time.time()
            detector = make().fit(X)
            row[label] = score(list(np.flatnonzero(detector.labels_ == 1)), truth, len(y))
            row[label + "_seconds"] = time.time() - start
            top = list(np.argsort(-detector.decision_scores_, kind="stable")[: len(truth)])
            row[label + "_oracle"] = score(top, truth, len(y))
        for method in ["spectral", "activation"]:
            if name in art:
                row["art_" + method] = score(art[name][method]["flags"], truth, len(y))
                row["art_" + method + "_seconds"] = art[name][method]["seconds"]
        saved[name] = {key: value for key, value in row.items() if key.startswith(("cleanlab", "pyod", "art"))}
        with open(anchors_path, "w") as f:  # after every table: an interrupted run keeps what it computed
            json.dump(saved, f, indent=1)
        results.append(row)
        print(f"{name}: warden {row.get('warden')} {reasons}", file=sys.stderr)
    with open(anchors_path, "w") as f:
        json.dump(saved, f, indent=1)
    if warden == "-":
        return
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    anchors = [("cleanlab_logreg", "cleanlab LR"), ("cleanlab_mlp", "cleanlab MLP"), ("pyod_iforest", "pyod IForest"),
               ("pyod_ecod", "pyod ECOD"), ("art_spectral", "ART spectral"), ("art_activation", "ART activation")]
    anchors = [(key, title) for key, title in anchors if any(key in r for r in results)]
    print("F1 of the flags (flag count in brackets; clean rows: flag count); best anchor and warden's margin over it.\n")
    print("| data | planted | warden P / R / F1 (flags) | " + " | ".join(title for _, title in anchors) + " | best anchor | margin |")
    print("|---|---|---|" + "---|" * len(anchors) + "---|---|")
    for r in results:
        w = r["warden"]
        cells = [r["data"], str(w["planted"])]
        cells.append(f"{w['flagged']}" if not w["planted"] else f"{w['precision']:.2f} / {w['recall']:.2f} / **{w['f1']:.2f}** ({w['flagged']})")
        best = None
        for key, title in anchors:
            s = r.get(key)
            if s is None:
                cells.append("-")
                continue
            cells.append(f"{s['flagged']}" if not s["planted"] else f"{s['f1']:.2f} ({s['flagged']})")
            value = s["flagged"] if not s["planted"] else s["f1"]
            better = (lambda a, b: a < b) if not s["planted"] else (lambda a, b: a > b)
            if best is None or better(value, best[0]):
                best = (value, title)
        if best is None:
            cells += ["-", "-"]
        elif not w["planted"]:
            cells += [f"{best[1]} {best[0]}", f"{w['flagged'] - best[0]:+d} flags"]
        else:
            cells += [f"{best[1]} {best[0]:.2f}", f"{w['f1'] - best[0]:+.2f}"]
        print("| " + " | ".join(cells) + " |")
    print("\nWall time in seconds (one `warden data scan`; cleanlab LR + MLP cross-validation and find_label_issues; pyod IForest + ECOD; ART model training + both defences):\n")
    print("| data | warden | cleanlab LR+MLP | ratio | pyod | ART |")
    print("|---|---|---|---|---|---|")
    for r in results:
        cleanlab = r["cleanlab_logreg_seconds"] + r["cleanlab_mlp_seconds"]
        pyod = r["pyod_iforest_seconds"] + r["pyod_ecod_seconds"]
        art_s = r.get("art_spectral_seconds", 0) + r.get("art_activation_seconds", 0)
        print(f"| {r['data']} | {r['warden_seconds']:.2f} | {cleanlab:.2f} | {cleanlab / r['warden_seconds']:.1f}x | {pyod:.2f} | {art_s:.2f} |" if art_s else
              f"| {r['data']} | {r['warden_seconds']:.2f} | {cleanlab:.2f} | {cleanlab / r['warden_seconds']:.1f}x | {pyod:.2f} | - |")
    print("\npyod at the planted share (an oracle threshold), F1: " + ", ".join(
        f"{r['data']} IForest {r['pyod_iforest_oracle']['f1']:.2f} ECOD {r['pyod_ecod_oracle']['f1']:.2f}" for r in results if r["warden"]["planted"]))


if __name__ == "__main__":
    main()
