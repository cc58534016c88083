"""Writes the benchmark models with onnx.helper (random weights, seeded): an MNIST-sized MLP
(784-256-128-10, Gemm + Relu) and a small CNN (1x28x28: two 3x3 conv + ReLU + 2x2 max-pool blocks of
16 and 32 channels, then 1568-128-10), both with a symbolic batch dimension.

Usage: onnx_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)


def weight(*shape):
    fan_in = int(np.prod(shape[1:]))
    return (rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(np.float32)


def save(name, nodes, inits, input_shape):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + input_shape)],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def dense(i, x, n_in, n_out, inits, relu=True, y=None):
    inits[f"w{i}"], inits[f"b{i}"] = weight(n_out, n_in), np.zeros(n_out, np.float32)
    y = y or f"h{i}"
    nodes = [helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [y + ("_pre" if relu else "")], transB=1)]
    if relu:
        nodes.append(helper.make_node("Relu", [y + "_pre"], [y]))
    return nodes, y


inits = {}
n1, h = dense(1, "input", 784, 256, inits)
n2, h = dense(2, h, 256, 128, inits)
n3, _ = dense(3, h, 128, 10, inits, relu=False, y="logits")
save("mlp", n1 + n2 + n3, inits, [784])

inits = {"c1w": weight(16, 1, 3, 3), "c1b": np.zeros(16, np.float32), "c2w": weight(32, 16, 3, 3), "c2b": np.zeros(32, np.float32)}
nodes = [
    helper.make_node("Conv", ["input", "c1w", "c1b"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Conv", ["p1", "c2w", "c2b"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c2"], ["r2"]),
    helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Flatten", ["p2"], ["f"], axis=1),
]
d1, h = dense(4, "f", 32 * 7 * 7, 128, inits)
d2, _ = dense(5, h, 128, 10, inits, relu=False, y="logits")
save("cnn", nodes + d1 + d2, inits, [1, 28, 28])
print(f"wrote mlp.onnx and cnn.onnx to {out}")
