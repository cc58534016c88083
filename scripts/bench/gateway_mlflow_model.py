"""Saves a scikit-learn MLP (64 hidden units, like `warden train --model mlp:64`) trained on the digits
training split as an MLflow model, and writes request bodies for both servers.

Usage: gateway_mlflow_model.py DIGITS_DIR OUT_MODEL_DIR WARDEN_BODIES MLFLOW_BODIES
"""
import json
import sys

import mlflow.sklearn
import numpy as np
from sklearn.neural_network import MLPClassifier

digits, out, warden_bodies, mlflow_bodies = sys.argv[1:5]
train = np.loadtxt(f"{digits}/digits-train.csv", delimiter=",", skiprows=1)
test = np.loadtxt(f"{digits}/digits-test.csv", delimiter=",", skiprows=1)
model = MLPClassifier((64,), max_iter=300, random_state=0).fit(train[:, :64], train[:, 64].astype(int))
# The fitted MLP keeps its Adam optimiser, a type skops does not trust by default.
mlflow.sklearn.save_model(model, out, pyfunc_predict_fn="predict_proba",
                          skops_trusted_types=["sklearn.neural_network._stochastic_optimizers.AdamOptimizer"])
with open(warden_bodies, "w") as w, open(mlflow_bodies, "w") as m:
    for row in test[:, :64]:
        values = [round(float(v), 4) for v in row]
        w.write(json.dumps({"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": values}]}) + "\n")
        m.write(json.dumps({"inputs": [values]}) + "\n")
print(f"test accuracy {model.score(test[:, :64], test[:, 64].astype(int)):.3f}")
