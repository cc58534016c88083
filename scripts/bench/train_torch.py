"""One training epoch in PyTorch (CPU, THREADS threads, default all cores), the same network, batch size and optimiser as
`warden train`: Adam (lr 1e-3), softmax cross-entropy, a seeded shuffle per epoch. Runs EPOCHS epochs
and prints JSON with every epoch's seconds (data already in memory, as Warden's epoch timing is).

Usage: train_torch.py DATA.npz mlp|cnn BATCH EPOCHS
"""
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

path, kind, batch, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(int(os.environ.get("THREADS", os.cpu_count())))
torch.manual_seed(0)
data = np.load(path)
x = torch.from_numpy(np.ascontiguousarray(data["x"], dtype=np.float32))
y = torch.from_numpy(data["y"].astype(np.int64))
if kind == "mlp":
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    x = x.view(-1, 1, 28, 28)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
seconds = []
for epoch in range(epochs):
    start = time.perf_counter()
    order = torch.randperm(len(y))
    for i in range(0, len(y), batch):
        pick = order[i:i + batch]
        optimizer.zero_grad()
        loss = loss_fn(model(x[pick]), y[pick])
        loss.backward()
        optimizer.step()
    seconds.append(time.perf_counter() - start)
print(json.dumps({"tool": f"torch {torch.__version__}", "epochs": seconds, "loss": float(loss)}))
