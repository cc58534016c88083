"""Writes benign PyTorch checkpoints with the real torch.save (run with Debian's python3, which has
python3-torch): state dicts in several dtypes, a training checkpoint with Adam and LR-scheduler
state, storage shared between views, a bare tensor, the legacy (non-zip) format, and a
TorchScript-free nested structure of lists, tuples and scalars. Nothing is ever loaded.

Usage: /usr/bin/python3 scripts/interop/scan_real_torch.py OUT_DIR   (files go to OUT_DIR/benign/pytorch)
"""
import collections
import os
import sys

import torch
from torch import nn

out = os.path.join(sys.argv[1], "benign", "pytorch")
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def path(name):
    return os.path.join(out, name)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.BatchNorm1d(16), nn.Linear(16, 2))

    def forward(self, x):
        return self.net(x)


model = MLP()
torch.save(model.state_dict(), path("torch-state-dict.pt"))
torch.save(model.half().state_dict(), path("torch-state-dict-fp16.pt"))
model = MLP()
torch.save({k: v.to(torch.bfloat16) for k, v in model.state_dict().items()}, path("torch-state-dict-bf16.pt"))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
loss = model(torch.randn(4, 8)).sum()
loss.backward()
optimizer.step()
scheduler.step()
torch.save({"epoch": 3, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "loss": float(loss), "best": (0.5, [1, 2, 3])},
           path("torch-training-checkpoint.pt"))
base = torch.arange(64, dtype=torch.float32)
torch.save({"whole": base, "view": base[8:24].view(4, 4), "transposed": base[:16].view(4, 4).t()},
           path("torch-shared-storage.pt"))
torch.save(torch.randint(0, 255, (3, 5), dtype=torch.uint8), path("torch-tensor.pt"))
torch.save({"mask": torch.ones(5, dtype=torch.bool), "ids": torch.arange(7), "c": torch.randn(2, 2, dtype=torch.complex64)},
           path("torch-dtypes.pt"))
torch.save(model.state_dict(), path("torch-legacy.pt"), _use_new_zipfile_serialization=False)
torch.save(collections.OrderedDict(embedding=nn.Embedding(10, 4).state_dict(), meta={"vocab": ["a", "b"], "n": 10}),
           path("torch-nested.pt"))
print(f"wrote {len(os.listdir(out))} files to {out}")
