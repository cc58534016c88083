"""Sends clean and adversarial digits rows through two gateways; see gateway_adversarial.sh.

Usage: gateway_adversarial.py GUARDED_URL PLAIN_URL TOKEN NAME=CSV...   (the first set is the clean one)
A row is "detected" when the guarded gateway answers 400 with reason "adversarial"; an adversarial
row "succeeded" when the plain gateway's prediction differs from the label while the clean row's
was right. Detection rate = detected successful adversarial rows / successful adversarial rows;
false-positive rate = detected clean rows / clean rows.
"""
import sys

import numpy as np
import requests

guarded, plain, token = sys.argv[1], sys.argv[2], sys.argv[3]
sets = [arg.split("=", 1) for arg in sys.argv[4:]]
session = requests.Session()
headers = {"Authorization": f"Bearer {token}"}


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :64].astype(np.float32), data[:, 64].astype(int)


def send(url, row):
    body = {"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [float(v) for v in row]}]}
    return session.post(f"{url}/v2/models/digits/infer", json=body, headers=headers)


def predict(row):
    reply = send(plain, row)
    if reply.status_code != 200:
        raise SystemExit(f"FAIL plain gateway: HTTP {reply.status_code} {reply.text[:200]}")
    return int(np.argmax(reply.json()["outputs"][0]["data"]))


def detected(row):
    reply = send(guarded, row)
    if reply.status_code == 200:
        return False
    if reply.status_code == 400 and "adversarial" in reply.text:
        return True
    raise SystemExit(f"FAIL guarded gateway: HTTP {reply.status_code} {reply.text[:200]}")


clean_x, labels = load(sets[0][1])
clean_pred = np.array([predict(x) for x in clean_x])
clean_flag = np.array([detected(x) for x in clean_x])
print(f"clean: accuracy {np.mean(clean_pred == labels):.3f}, flagged {clean_flag.sum()} of {len(clean_x)} "
      f"(false-positive rate {clean_flag.mean():.3f})")
print("| set | rows | successful adversarial | detected | detection rate | detected (all rows) |")
print("|---|---|---|---|---|---|")
for name, path in sets[1:]:
    x, y = load(path)
    n = min(len(x), len(clean_x))
    pred = np.array([predict(r) for r in x[:n]])
    flag = np.array([detected(r) for r in x[:n]])
    success = (clean_pred[:n] == labels[:n]) & (pred != labels[:n])
    hits = int((flag & success).sum())
    print(f"| {name} | {n} | {int(success.sum())} | {hits} | {hits / max(1, success.sum()):.3f} | {flag.mean():.3f} |")
