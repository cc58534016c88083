"""Attackers and benign clients against `warden serve`'s /v2 API; see extraction.sh.

Usage: extraction_sim.py URL TOKENS_FILE TEST_CSV ALERTS_JSONL QUERIES
"""
import json
import os
import sys
import time

import numpy as np
import requests

url, tokens_file, test_csv, alerts_path, queries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
tokens = dict(line.split() for line in open(tokens_file) if line.strip())
data = np.loadtxt(test_csv, delimiter=",", skiprows=1)
x_test, y_test = data[:, :64].astype(np.float32), data[:, 64].astype(int)
session = requests.Session()


def alerted(client):
    """The first extraction alert for client (None when there is none yet)."""
    if not os.path.exists(alerts_path):
        return None
    for line in open(alerts_path):
        alert = json.loads(line)
        if alert["type"] == "extraction" and alert["client"] == client:
            return alert
    return None


def query(client, row):
    body = {"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [float(v) for v in row]}]}
    reply = session.post(f"{url}/v2/models/digits/infer", json=body, headers={"Authorization": f"Bearer {tokens[client]}"})
    if reply.status_code != 200:
        raise SystemExit(f"FAIL {client}: HTTP {reply.status_code} {reply.text[:200]}")
    scores = np.array(reply.json()["outputs"][0]["data"], dtype=np.float64)
    return int(scores.argmax())


class Run:
    """Counts a client's queries and the one after which it was first flagged."""

    def __init__(self, client):
        self.client, self.sent, self.flagged_at, self.alert = client, 0, None, None
        self.size = 0

    def send(self, row):
        label = query(self.client, row)
        self.sent += 1
        size = os.path.getsize(alerts_path) if os.path.exists(alerts_path) else 0
        if self.flagged_at is None and size != self.size:
            self.size = size
            alert = alerted(self.client)
            if alert:
                self.flagged_at, self.alert = self.sent, alert
        return label


rng = np.random.default_rng(0)
results = {}
start = time.time()

# Synthetic queries (Tramèr et al.): uniform random points of the input space.
synthetic = Run("synthetic")
for _ in range(queries):
    synthetic.send(rng.uniform(0, 1, 64).astype(np.float32))
results["synthetic"] = synthetic

# Jacobian-based augmentation (Papernot et al.): substitute = softmax regression on the labels so far.
jacobian = Run("jacobian")
seeds = x_test[rng.choice(len(x_test), 10, replace=False)]
points = list(seeds)
labels = [jacobian.send(x) for x in points]
lam = 0.1
while jacobian.sent < queries:
    X, Y = np.array(points), np.array(labels)
    W, b = np.zeros((64, 10)), np.zeros(10)
    for _ in range(200):
        logits = X @ W + b
        p = np.exp(logits - logits.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
        p[np.arange(len(Y)), Y] -= 1
        W -= 0.5 * X.T @ p / len(Y); b -= 0.5 * p.mean(0)
    new = []
    for x, y in zip(points, labels):
        # ∂ logit_y / ∂x of the substitute is W[:, y] (minus the softmax-weighted mean for the probability).
        logits = x @ W + b
        p = np.exp(logits - logits.max()); p /= p.sum()
        grad = W[:, y] - W @ p
        new.append(np.clip(x + lam * np.sign(grad), 0, 1).astype(np.float32))
        if len(points) + len(new) > queries:
            break
    for x in new:
        if jacobian.sent >= queries:
            break
        labels.append(jacobian.send(x)); points.append(x)
results["jacobian"] = jacobian

# Benign clients: the real test split, each in its own order (repeated when QUERIES > test rows).
benign = [name for name in tokens if name.startswith("benign")]
for name in benign:
    run = Run(name)
    order = np.concatenate([rng.permutation(len(x_test)) for _ in range(queries // len(x_test) + 1)])[:queries]
    for i in order:
        run.send(x_test[i])
    results[name] = run

elapsed = time.time() - start
for name in ["synthetic", "jacobian"]:
    r = results[name]
    detail = r.alert["details"] if r.alert else {}
    print(f"{name}: flagged after {r.flagged_at} of {r.sent} queries" if r.flagged_at else f"{name}: NOT flagged in {r.sent} queries",
          f"(reasons {detail.get('reasons')}, W {detail.get('w')}, out-of-distribution share {detail.get('out_of_distribution_share')}, "
          f"class-balance p {detail.get('class_balance_p')}, low-margin share {detail.get('low_margin_share')})" if r.alert else "")
flagged = [name for name in benign if results[name].flagged_at]
print(f"benign: {len(flagged)} of {len(benign)} clients flagged (false-alarm rate {len(flagged) / max(1, len(benign)):.2f})"
      + (": " + ", ".join(f"{n} at {results[n].flagged_at} {results[n].alert['details'].get('reasons')}" for n in flagged) if flagged else ""))
print(f"{sum(r.sent for r in results.values())} requests in {elapsed:.1f} s")
