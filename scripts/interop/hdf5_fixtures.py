"""Writes the HDF5 fixtures of Tests/WardenFormatsTests/Fixtures/hdf5 with h5py (libhdf5), the way
legacy Keras .h5 files keep model_config in the root group's attributes, in both file formats
libhdf5 writes: the default ("earliest": superblock 0, version 1 object headers) and
libver="latest" (superblock 3, version 2 object headers, dense attribute storage in a fractal heap
once there are more than 8 attributes or one passes 64 KiB).
  .build-interop/venv/bin/python scripts/interop/hdf5_fixtures.py Tests/WardenFormatsTests/Fixtures/hdf5
Nothing here is loaded by Keras; the configs are plain JSON."""
import json
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
small = json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}})
# Just over 64 KiB: too large for an object header message, so libhdf5 stores it elsewhere.
big = json.dumps({"class_name": "Sequential", "config": {"name": "big", "layers": [
    {"class_name": "Dense", "config": {"name": "dense_%d" % i, "units": 2}} for i in range(1000)]}})
assert 65536 < len(big) < 80000, len(big)


def path(name):
    return os.path.join(out, name)


# Keras 2 (tf.keras hdf5_format) stores json.dumps(...).encode("utf8").
with h5py.File(path("earliest-fixed.h5"), "w") as f:
    f.attrs["model_config"] = small.encode()
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["backend"] = "tensorflow"
    f.create_dataset("weights", data=np.arange(8, dtype="f4"))
# A Python str → a variable-length UTF-8 string in the global heap; an array of fixed strings.
with h5py.File(path("latest-vlen.h5"), "w", libver="latest") as f:
    f.attrs["model_config"] = small
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["layer_names"] = np.array([b"dense", b"dense_1"])
# More than 8 attributes: dense storage, managed objects of the fractal heap.
with h5py.File(path("latest-dense.h5"), "w", libver="latest") as f:
    for i in range(12):
        f.attrs["extra%02d" % i] = "value %d" % i
    f.attrs["model_config"] = small.encode()
# One attribute over 64 KiB: a variable-length string in the global heap.
with h5py.File(path("latest-huge.h5"), "w", libver="latest") as f:
    f.attrs["model_config"] = big.encode()
    f.attrs["keras_version"] = "2.15.0"
# The same in the default format, and many attributes (object header continuation blocks).
with h5py.File(path("earliest-big.h5"), "w") as f:
    f.attrs["model_config"] = big.encode()
with h5py.File(path("earliest-many.h5"), "w") as f:
    for i in range(40):
        f.attrs["a%02d" % i] = "x" * 200
    f.attrs["model_config"] = small
# What the tests compare against: each file's attributes as h5py reads them (each string as its
# length, first 40 and last 20 characters, to keep the file small).
def summary(value):
    values = [value] if isinstance(value, (bytes, str)) else list(value)
    texts = [v.decode() if isinstance(v, bytes) else v for v in values]
    return [[len(t.encode()), t[:40], t[-20:]] for t in texts]


expected = {}
for name in sorted(os.listdir(out)):
    if name.endswith(".h5"):
        with h5py.File(path(name), "r") as f:
            expected[name] = {k: summary(v) for k, v in f.attrs.items()}
with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
