"""Warden's ONNX runtime against onnxruntime: every supported operator (models built with
onnx.helper), scikit-learn models converted by skl2onnx, PyTorch exports (when a torch export folder
is given) and models Warden trained. Prints one PASS/FAIL line per check; exit 1 on any failure.

Usage: onnx_check.py WARDEN_BINARY WORK_DIR [TORCH_EXPORT_DIR]
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

WARDEN, WORK = sys.argv[1], sys.argv[2]
TORCH = sys.argv[3] if len(sys.argv) > 3 else None
TOLERANCE = 1e-4
rng = np.random.default_rng(2024)
failures = 0
passes = 0


def report(ok, what, detail=""):
    global failures, passes
    if ok:
        passes += 1
        print(f"PASS {what}")
    else:
        failures += 1
        print(f"FAIL {what} {detail}")


def warden_run(model_path, feeds, name):
    folder = os.path.join(WORK, name)
    os.makedirs(folder, exist_ok=True)
    inputs = os.path.join(folder, "inputs.npz")
    np.savez(inputs, **feeds)
    out = subprocess.run([WARDEN, "model", "run", model_path, "--inputs", inputs, "--output-dir", os.path.join(folder, "out"), "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return {k: np.load(v) for k, v in json.loads(out.stdout).items()}


def compare(model, feeds, name):
    path = os.path.join(WORK, name + ".onnx")
    if not isinstance(model, str):
        onnx.checker.check_model(model)
        onnx.save(model, path)
    else:
        path = model
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    try:
        got = warden_run(path, feeds, name)
    except RuntimeError as error:
        report(False, name, str(error))
        return
    worst = 0.0
    for key, value in expected.items():
        if key not in got:
            report(False, name, f"output {key} missing")
            return
        if value.shape != got[key].shape:
            report(False, name, f"output {key}: shape {got[key].shape}, onnxruntime {value.shape}")
            return
        worst = max(worst, float(np.max(np.abs(value.astype(np.float64) - got[key].astype(np.float64)))) if value.size else 0.0)
    report(worst <= TOLERANCE, f"{name} (max abs diff {worst:.2e})")


def single(op, inputs, attrs=None, opset=17, initializers=None, outputs=1, domain="", float_output=None):
    """A one-node model: `inputs` maps names to arrays (fed) or ('init', array) (initialisers)."""
    feeds, graph_inputs, inits = {}, [], []
    names = []
    for name, value in inputs:
        names.append(name)
        if name == "":
            continue
        if isinstance(value, tuple):
            inits.append(numpy_helper.from_array(value[1], name))
        else:
            feeds[name] = value
            graph_inputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(value.dtype), value.shape))
    out_names = [f"y{i}" for i in range(outputs)]
    node = helper.make_node(op, names, out_names, domain=domain, **(attrs or {}))
    declared = [helper.make_tensor_value_info(n, TensorProto.FLOAT, float_output) if float_output else helper.make_empty_tensor_value_info(n)
                for n in out_names]
    graph = helper.make_graph([node], op, graph_inputs, declared, inits)
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    # Output types come from ONNX's own shape inference.
    return onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=opsets, ir_version=8)), feeds


def f32(*shape, low=-2, high=2):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def operator_cases():
    x = f32(3, 4)
    img = f32(2, 3, 7, 7)
    yield "Gemm", single("Gemm", [("a", x), ("b", ("init", f32(5, 4))), ("c", ("init", f32(5)))], {"transB": 1, "alpha": 0.5, "beta": 2.0})
    yield "Gemm-transA", single("Gemm", [("a", f32(4, 3)), ("b", ("init", f32(4, 5)))], {"transA": 1})
    yield "MatMul", single("MatMul", [("a", f32(2, 3, 4)), ("b", ("init", f32(4, 6)))])
    for op in ["Add", "Sub", "Mul", "Div"]:
        yield op, single(op, [("a", f32(3, 4)), ("b", ("init", f32(4, low=0.5, high=2)))])
    for op in ["Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Identity"]:
        yield op, single(op, [("x", x)])
    yield "Log", single("Log", [("x", f32(3, 4, low=0.1, high=3))])
    yield "Sqrt", single("Sqrt", [("x", f32(3, 4, low=0.1, high=3))])
    yield "Reciprocal", single("Reciprocal", [("x", f32(3, 4, low=0.5, high=3))])
    yield "LeakyRelu", single("LeakyRelu", [("x", x)], {"alpha": 0.2})
    yield "Softmax", single("Softmax", [("x", f32(2, 3, 4))], {"axis": 1})
    yield "Softmax-opset11", single("Softmax", [("x", f32(2, 3, 4))], {"axis": 1}, opset=11)
    yield "LogSoftmax", single("LogSoftmax", [("x", f32(2, 5))], {"axis": -1})
    yield "Clip", single("Clip", [("x", x), ("lo", ("init", np.array(-0.5, np.float32))), ("hi", ("init", np.array(0.7, np.float32)))])
    yield "Clip-opset6", single("Clip", [("x", x)], {"min": -0.5, "max": 0.7}, opset=6)
    yield "Conv", single("Conv", [("x", img), ("w", ("init", f32(4, 3, 3, 3))), ("b", ("init", f32(4)))], {"pads": [1, 1, 1, 1]})
    yield "Conv-strided-dilated-grouped", single("Conv", [("x", f32(1, 4, 9, 9)), ("w", ("init", f32(6, 2, 3, 3)))],
                                                 {"strides": [2, 1], "dilations": [1, 2], "group": 2, "pads": [1, 0, 0, 2]})
    yield "Conv-same-upper", single("Conv", [("x", img), ("w", ("init", f32(2, 3, 2, 2)))], {"auto_pad": "SAME_UPPER"})
    yield "Conv-1d", single("Conv", [("x", f32(2, 3, 10)), ("w", ("init", f32(4, 3, 3)))], {"pads": [1, 1]})
    yield "MaxPool", single("MaxPool", [("x", img)], {"kernel_shape": [2, 2], "strides": [2, 2]})
    yield "MaxPool-padded-ceil", single("MaxPool", [("x", img)], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1})
    yield "AveragePool", single("AveragePool", [("x", img)], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
    yield "AveragePool-include-pad", single("AveragePool", [("x", img)], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1})
    yield "GlobalAveragePool", single("GlobalAveragePool", [("x", img)])
    yield "BatchNormalization", single("BatchNormalization", [("x", img), ("s", ("init", f32(3))), ("b", ("init", f32(3))),
                                                              ("m", ("init", f32(3))), ("v", ("init", f32(3, low=0.5, high=2)))], {"epsilon": 1e-3})
    yield "Flatten", single("Flatten", [("x", img)], {"axis": 2})
    yield "Reshape", single("Reshape", [("x", img), ("s", ("init", np.array([0, -1, 7], np.int64)))])
    yield "Transpose", single("Transpose", [("x", img)], {"perm": [0, 2, 3, 1]})
    yield "Concat", single("Concat", [("a", x), ("b", ("init", f32(2, 4)))], {"axis": 0})
    yield "Dropout", single("Dropout", [("x", x)])
    yield "Shape", single("Shape", [("x", img)])
    yield "Gather", single("Gather", [("x", f32(5, 3)), ("i", ("init", np.array([[0, 4], [-1, 2]], np.int64)))], {"axis": 0})
    yield "Unsqueeze", single("Unsqueeze", [("x", x), ("a", ("init", np.array([0, 3], np.int64)))])
    yield "Squeeze", single("Squeeze", [("x", f32(1, 3, 1, 2)), ("a", ("init", np.array([0], np.int64)))])
    yield "Cast", single("Cast", [("x", x)], {"to": TensorProto.INT64})
    yield "ConstantOfShape", single("ConstantOfShape", [("s", ("init", np.array([2, 3], np.int64)))],
                                    {"value": numpy_helper.from_array(np.array([1.5], np.float32))})
    yield "Slice", single("Slice", [("x", img), ("s", ("init", np.array([1, -1], np.int64))), ("e", ("init", np.array([9223372036854775807, 0], np.int64))),
                                     ("a", ("init", np.array([2, 3], np.int64))), ("t", ("init", np.array([2, -2], np.int64)))])
    yield "Pad", single("Pad", [("x", img), ("p", ("init", np.array([0, 0, 1, -1, 0, 1, 2, 0], np.int64))), ("v", ("init", np.array(0.5, np.float32)))])
    yield "Expand", single("Expand", [("x", f32(3, 1)), ("s", ("init", np.array([2, 3, 4], np.int64)))])
    yield "ArgMax", single("ArgMax", [("x", x)], {"axis": 1, "keepdims": 0})
    yield "ReduceMean", single("ReduceMean", [("x", img)], {"axes": [2, 3], "keepdims": 1})
    yield "ReduceSum", single("ReduceSum", [("x", img), ("a", ("init", np.array([1], np.int64)))], {"keepdims": 0})
    # Constant: a graph of its own (no inputs).
    const = helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(f32(2, 2), "v"))
    add = helper.make_node("Add", ["x", "c"], ["y"])
    graph = helper.make_graph([const, add], "constant", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])])
    yield "Constant", (helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), {"x": f32(2, 2)})
    # The torch `x.view(x.size(0), -1)` chain.
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array([0], np.int64), "axes"),
             numpy_helper.from_array(np.array([-1], np.int64), "minus1")]
    graph = helper.make_graph(nodes, "view", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 7, 7])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 147])], inits)
    model = onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8))
    yield "Shape-Gather-Unsqueeze-Concat-Reshape", (model, {"x": img})
    # ai.onnx.ml
    yield "LinearClassifier", single("LinearClassifier", [("x", x)], {
        "coefficients": f32(3, 4).ravel().tolist(), "intercepts": [0.1, -0.2, 0.3], "classlabels_ints": [3, 5, 7],
        "post_transform": "LOGISTIC"}, outputs=2, domain="ai.onnx.ml")
    yield "LinearRegressor", single("LinearRegressor", [("x", x)], {"coefficients": f32(2, 4).ravel().tolist(), "intercepts": [0.1, -0.2],
                                                          "targets": 2}, domain="ai.onnx.ml", float_output=[3, 2])
    for norm in ["L1", "L2", "MAX"]:
        yield f"Normalizer-{norm}", single("Normalizer", [("x", f32(3, 4, low=0.1, high=2))], {"norm": norm}, domain="ai.onnx.ml", float_output=[3, 4])
    yield "Scaler", single("Scaler", [("x", x)], {"offset": [0.1, 0.2, 0.3, 0.4], "scale": [2.0, 1.0, 0.5, 3.0]}, domain="ai.onnx.ml", float_output=[3, 4])
    yield "ArrayFeatureExtractor", single("ArrayFeatureExtractor", [("x", x), ("i", ("init", np.array([3, 0], np.int64)))], domain="ai.onnx.ml")


def sklearn_cases():
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skl2onnx import to_onnx
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    models = {
        "skl2onnx-MLPClassifier": MLPClassifier((32, 16), max_iter=200, random_state=0).fit(X, y),
        "skl2onnx-LogisticRegression": LogisticRegression(max_iter=500).fit(X, y),
        "skl2onnx-LinearRegression": LinearRegression().fit(X, y.astype(np.float32)),
        "skl2onnx-LogisticRegression-binary": LogisticRegression(max_iter=500).fit(X, y > 4),
        "skl2onnx-StandardScaler+LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y),
    }
    for name, model in models.items():
        options = {"zipmap": False} if hasattr(model, "predict_proba") else None
        onx = to_onnx(model, X[:1], options=options, target_opset=17)
        yield name, (onx, {"X": X[:200]})


def warden_trained_cases():
    """Models written by `warden train` run in onnxruntime with the same outputs."""
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = X / 16
    path = os.path.join(WORK, "digits-small.csv")
    header = ",".join([f"p{i}" for i in range(64)] + ["label"])
    np.savetxt(path, np.column_stack([X[:300], y[:300]]), delimiter=",", header=header, comments="", fmt=["%.6f"] * 64 + ["%d"])
    for spec in ["mlp:32,bn,16", "cnn:1x8x8:conv4k3,bn,pool2,conv8k3s2p1,dense16,dropout0.1", "cnn:1x8x8:conv4k3,avgpool2,gap"]:
        out = os.path.join(WORK, "warden-" + spec.replace(":", "_").replace(",", "_") + ".onnx")
        run = subprocess.run([WARDEN, "train", "--data", path, "--label", "label", "--model", spec, "--epochs", "2", "--out", out, "--quiet"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            report(False, f"warden train {spec}", run.stderr.strip())
            continue
        shape = (-1, 64) if spec.startswith("mlp") else (-1, 1, 8, 8)
        yield f"warden-trained {spec} in onnxruntime", (out, {"input": X[300:400].astype(np.float32).reshape(shape)})


def torch_cases():
    if not TORCH:
        return
    for name in sorted(os.listdir(TORCH)):
        if name.endswith(".onnx"):
            feeds = dict(np.load(os.path.join(TORCH, name[:-5] + ".npz")))
            yield f"torch.onnx.export {name[:-5]}", (os.path.join(TORCH, name), feeds)


for group in (operator_cases, sklearn_cases, warden_trained_cases, torch_cases):
    try:
        for case_name, (model, feeds) in group():
            try:
                compare(model, feeds, case_name.replace(" ", "_").replace(":", "_").replace(",", "_").replace("/", "_"))
            except Exception as error:  # a crash in one case is a failed check, not a stopped run
                report(False, case_name, repr(error))
    except Exception as error:  # so is a crash while building a group's models
        report(False, group.__name__, repr(error))

print(f"onnx_check: {passes} passed, {failures} failed")
sys.exit(1 if failures else 0)
