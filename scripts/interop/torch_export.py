"""Exports small PyTorch models with torch.onnx.export (run with Debian's python3, which has
python3-torch): an MLP and a CNN that flattens with x.view(x.size(0), -1), each with an .npz of inputs.

Usage: torch_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
from torch import nn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn(self.conv1(x))), 2)
        x = torch.nn.functional.leaky_relu(self.conv2(x), 0.1)
        x = x.view(x.size(0), -1)
        return torch.log_softmax(self.fc(torch.dropout(x, 0.2, self.training)), dim=1)


class GAP(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        x = nn.functional.avg_pool2d(torch.sigmoid(self.conv(x)), 2, ceil_mode=True)
        x = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(torch.clamp(self.fc(x), -1, 1), dim=-1)


models = {
    "mlp": (nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 10)), (5, 64)),
    "cnn": (CNN(), (4, 1, 8, 8)),
    "gap": (GAP(), (3, 3, 9, 9)),
}
for name, (model, shape) in models.items():
    model.eval()
    x = torch.rand(*shape)
    for opset in (11, 13):
        torch.onnx.export(model, x, os.path.join(out, f"{name}-opset{opset}.onnx"), input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, opset_version=opset)
        np.savez(os.path.join(out, f"{name}-opset{opset}.npz"), input=x.numpy())
print(f"exported {len(models) * 2} models to {out}")
