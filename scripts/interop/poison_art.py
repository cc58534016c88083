"""ART's poisoning defences on the planted-poison datasets poison_export.py writes: the flags of
SpectralSignatureDefense and ActivationDefence (adversarial-robustness-toolbox, PyTorch backend from
Debian's python3-torch) for the poisoning benchmark (scripts/interop/cleanlab.sh; poison_bench.py
scores them beside warden and cleanlab).

Both defences read the penultimate layer of a model trained on the (poisoned) rows: here an MLP with
one hidden layer of 64 ReLU units on standardised features, Adam (lr 3e-3) for 30 epochs, batch 32,
seeded - the shape `warden data scan` uses for its own representations. ART's defaults otherwise:
spectral signatures with expected_pp_poison 0.33 and eps_multiplier 1.5; activation clustering with
2 clusters per class on 10 PCA dimensions, the smaller cluster called poison.

Usage: poison_art.py DATA_DIR [SEED]   (writes DATA_DIR/art.json: {dataset: {method: {flags, seconds}}})
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
from art.defences.detector.poison import ActivationDefence, SpectralSignatureDefense
from art.estimators.classification import PyTorchClassifier


def model_for(X, y, classes, seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, classes))
    classifier = PyTorchClassifier(
        model=net, loss=torch.nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(net.parameters(), lr=3e-3),
        input_shape=(X.shape[1],), nb_classes=classes)
    classifier.fit(X, np.eye(classes, dtype=np.float32)[y], nb_epochs=30, batch_size=32, verbose=False)
    return classifier


def main():
    warnings.filterwarnings("ignore")
    folder = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    torch.set_num_threads(1)
    results = {}
    for name in sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".csv")):
        data = np.loadtxt(os.path.join(folder, name + ".csv"), delimiter=",", skiprows=1)
        X, y = data[:, :-1].astype(np.float32), data[:, -1].astype(int)
        scale = X.std(axis=0)
        X = ((X - X.mean(axis=0)) / np.where(scale > 0, scale, 1)).astype(np.float32)
        classes = int(y.max()) + 1
        onehot = np.eye(classes, dtype=np.float32)[y]
        row = {}
        start = time.time()
        classifier = model_for(X, y, classes, seed)
        trained = time.time() - start
        for method in ["spectral", "activation"]:
            start = time.time()
            np.random.seed(seed)
            if method == "spectral":
                defence = SpectralSignatureDefense(classifier, X, onehot, batch_size=128, eps_multiplier=1.5, expected_pp_poison=0.33)
                _, is_clean = defence.detect_poison()
            else:
                defence = ActivationDefence(classifier, X, onehot)
                _, is_clean = defence.detect_poison(nb_clusters=2, nb_dims=10, reduce="PCA", cluster_analysis="smaller")
            flags = [int(i) for i in np.flatnonzero(np.asarray(is_clean) == 0)]
            row[method] = {"flags": flags, "seconds": trained + time.time() - start}
        results[name] = row
        print(f"{name}: ART spectral {len(row['spectral']['flags'])}, activation {len(row['activation']['flags'])} flags", file=sys.stderr)
    with open(os.path.join(folder, "art.json"), "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
