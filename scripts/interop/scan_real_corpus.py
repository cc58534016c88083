"""Benign model files written by the real libraries, for the scanner's false-positive check.

Usage: python scan_real_corpus.py OUT_DIR
Writes OUT_DIR/benign/<family>/<file>: scikit-learn estimators (pickle protocols 2/4/5, joblib raw
and zlib/gzip/bz2/lzma/xz), NumPy .npy/.npz (also object arrays of plain values), a PyTorch-layout
checkpoint (torch.save's zip layout, written with a stand-in `torch` module when PyTorch is not
installed), ONNX (inline and external data), safetensors, GGUF (llama-3, zephyr, mistral
templates and none), and Keras configs in HDF5 (h5py) and .keras zips. Nothing is ever loaded.
"""
import collections
import io
import json
import os
import pickle
import sys
import types
import zipfile

import joblib
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

out = sys.argv[1]


def path(family, name):
    folder = os.path.join(out, "benign", family)
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


# scikit-learn
X, y = make_classification(n_samples=60, n_features=6, random_state=0)
models = {
    "logreg": LogisticRegression(max_iter=200).fit(X, y),
    "forest": RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y),
    "tree": DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
    "pipeline": Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=200))]).fit(X, y),
}
for name, model in models.items():
    for protocol in (2, 4, 5):
        with open(path("sklearn", f"{name}-p{protocol}.pkl"), "wb") as f:
            pickle.dump(model, f, protocol=protocol)
    joblib.dump(model, path("joblib", f"{name}.joblib"))
    for compress in ("zlib", "gzip", "bz2", "lzma", "xz"):
        joblib.dump(model, path("joblib", f"{name}.{compress}.joblib"), compress=(compress, 3))

# NumPy
np.save(path("numpy", "floats.npy"), np.arange(24, dtype=np.float32).reshape(4, 6))
np.save(path("numpy", "ints.npy"), np.arange(10, dtype=np.int64))
np.save(path("numpy", "objects.npy"), np.array(["cat", 3, 2.5, None], dtype=object), allow_pickle=True)
np.savez(path("numpy", "arrays.npz"), a=np.ones(5), b=np.zeros((2, 2)))
np.savez_compressed(path("numpy", "arrays-compressed.npz"), a=np.ones(50), b=np.arange(9))
with open(path("numpy", "array.pkl"), "wb") as f:
    pickle.dump({"weights": np.ones((3, 3)), "step": np.int64(5)}, f, protocol=4)

# A PyTorch-layout checkpoint: torch.save's zip (archive/data.pkl with persistent ids, data/N storages).
try:
    import torch  # noqa: F401

    real_torch = True
except ImportError:
    real_torch = False
if real_torch:
    import torch

    torch.save(collections.OrderedDict(w=torch.ones(4, 4), b=torch.zeros(4)), path("pytorch", "state_dict.pt"))
    torch.save({"model": torch.nn.Linear(4, 2).state_dict(), "epoch": 3}, path("pytorch", "checkpoint.pt"))
else:
    fake = types.ModuleType("torch")
    fake_utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks):
        raise RuntimeError("never called")

    FloatStorage.__module__ = "torch"
    _rebuild_tensor_v2.__module__ = "torch._utils"
    fake.FloatStorage = FloatStorage
    fake._utils = fake_utils
    fake_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    sys.modules["torch"] = fake
    sys.modules["torch._utils"] = fake_utils

    class Tensor:
        def __init__(self, key, shape):
            self.key, self.shape = key, shape

        def __reduce_ex__(self, protocol):
            stride, running = [], 1
            for dim in reversed(self.shape):
                stride.insert(0, running)
                running *= dim
            return (_rebuild_tensor_v2, (StorageRef(self.key, running), 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()))

    class StorageRef:
        def __init__(self, key, numel):
            self.key, self.numel = key, numel

    class TorchPickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, StorageRef):
                return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
            return None

    def torch_zip(filename, obj, tensors, prefix="archive"):
        buffer = io.BytesIO()
        TorchPickler(buffer, protocol=2).dump(obj)
        with zipfile.ZipFile(filename, "w", zipfile.ZIP_STORED) as z:
            z.writestr(f"{prefix}/data.pkl", buffer.getvalue())
            z.writestr(f"{prefix}/byteorder", "little")
            for key, numel in tensors:
                z.writestr(f"{prefix}/data/{key}", np.random.default_rng(int(key)).standard_normal(numel).astype(np.float32).tobytes())
            z.writestr(f"{prefix}/version", "3\n")
            z.writestr(f"{prefix}/.data/serialization_id", "0123456789")

    state = collections.OrderedDict([("fc.weight", Tensor("0", [4, 4])), ("fc.bias", Tensor("1", [4]))])
    torch_zip(path("pytorch", "state_dict.pt"), state, [("0", 16), ("1", 4)])
    torch_zip(path("pytorch", "checkpoint.pt"), {"model": state, "epoch": 3, "lr": 0.01}, [("0", 16), ("1", 4)], prefix="checkpoint")

# ONNX
import onnx
from onnx import TensorProto, helper, numpy_helper

w = numpy_helper.from_array(np.ones((4, 2), dtype=np.float32), "W")
b = numpy_helper.from_array(np.zeros(2, dtype=np.float32), "b")
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["z"]), helper.make_node("Relu", ["z"], ["y"])],
    "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [w, b])
model = helper.make_model(graph, producer_name="warden-interop", opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
onnx.save(model, path("onnx", "mlp.onnx"))
os.makedirs(os.path.join(out, "benign", "onnx", "external"), exist_ok=True)
onnx.save_model(model, path("onnx", "external/mlp.onnx"), save_as_external_data=True, all_tensors_to_one_file=True, location="mlp.data", size_threshold=0)

# safetensors
from safetensors.numpy import save_file

save_file({"weight": np.ones((4, 4), dtype=np.float32), "bias": np.zeros(4, dtype=np.float16)}, path("safetensors", "model.safetensors"), metadata={"format": "np"})

# GGUF
import gguf

templates = {
    "llama3": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
    "zephyr": "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    "mistral": "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
    "none": None,
}
for name, template in templates.items():
    writer = gguf.GGUFWriter(path("gguf", f"{name}.gguf"), "llama")
    writer.add_block_count(1)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<s>", "</s>", "hello"])
    if template:
        writer.add_chat_template(template)
    writer.add_tensor("token_embd.weight", np.ones((2, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

# Keras configs: a Dense-only model_config as Keras 2 stores it in HDF5, and a Keras 3 .keras zip.
import h5py

dense = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "relu", "use_bias": True}}]},
    "keras_version": "2.15.0", "backend": "tensorflow"}
with h5py.File(path("keras", "dense.h5"), "w") as f:
    f.attrs["model_config"] = json.dumps(dense)
    f.attrs["keras_version"] = "2.15.0"
    f.create_group("model_weights").create_dataset("dense/kernel:0", data=np.ones((4, 2), dtype=np.float32))
keras3 = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input_layer"}, "registered_name": None},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "relu"}, "registered_name": None}]},
    "registered_name": None, "build_config": {"input_shape": [None, 4]}}
with zipfile.ZipFile(path("keras", "dense.keras"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.4.1", "date_saved": "2024-07-01@12:00:00"}))
    z.writestr("config.json", json.dumps(keras3))
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.ones((4, 2), dtype=np.float32))
    z.writestr("model.weights.h5", buffer.getvalue())

count = sum(len(files) for _, _, files in os.walk(os.path.join(out, "benign")))
print(f"wrote {count} benign files from the real libraries (PyTorch: {'real' if real_torch else 'torch.save layout, stand-in module'})")
