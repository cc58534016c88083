#!/usr/bin/env bash
# Scan speed: warden (release build) against picklescan and modelscan, side by side in the same
# run, on a ~1 GiB PyTorch-layout checkpoint (torch.save's zip: data.pkl + 64 × 16 MiB storages)
# and on the whole labelled corpus; plus `cat FILE > /dev/null` as the cost of reading the file.
# Usage: [WARDEN_BIN=path] scripts/bench/scan.sh [RUNS]   (default 5; prints a Markdown table; warm page cache)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
RUNS="${1:-5}"
ensure_venv numpy scikit-learn joblib onnx safetensors gguf h5py picklescan modelscan
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1 \
    || { echo "hyperfine is missing and apt-get could not install it" >&2; exit 2; }
# The shipped binary: `warden model scan --quiet` from a release build with the Swift runtime linked
# statically (`--static-swift-stdlib`, as the README's install line builds it; start-up ~9 ms, ~4 ms
# of it the loader relocating the 230 MB binary). SCAN_BENCH=1 measures ScanBench (Fuzz/) instead: Scanner.scan(paths:) alone, in a
# release build of Core, Formats and Scan.
# WARDEN_BIN=path times that warden binary instead of building one.
if [ -n "${WARDEN_BIN:-}" ]; then
    WARDEN="$WARDEN_BIN model scan --quiet"
elif [ "${SCAN_BENCH:-0}" = 1 ]; then
    echo "building ScanBench (release)…" >&2
    swift build -c release --static-swift-stdlib --package-path Fuzz --scratch-path .build-fuzz/bench --product ScanBench >/dev/null
    WARDEN="$PWD/.build-fuzz/bench/release/ScanBench"
else
    echo "building warden (release; 10–20 minutes the first time)…" >&2
    swift build -c release --static-swift-stdlib --product warden --scratch-path .build-release-static >/dev/null
    WARDEN="$(swift build -c release --static-swift-stdlib --scratch-path .build-release-static --show-bin-path)/warden model scan --quiet"
fi
DATA=.build-bench/scan
mkdir -p "$DATA"
if [ ! -f "$DATA/big/model.pt" ]; then
    mkdir -p "$DATA/big"
    "$PY" - "$DATA/big/model.pt" <<'PYEOF'
import collections, io, pickle, sys, types, zipfile, os
fake = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
class FloatStorage: pass
def _rebuild_tensor_v2(*a): raise RuntimeError
FloatStorage.__module__ = "torch"; _rebuild_tensor_v2.__module__ = "torch._utils"
fake.FloatStorage = FloatStorage; fake._utils = utils; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
sys.modules["torch"] = fake; sys.modules["torch._utils"] = utils
class Ref:
    def __init__(self, key, n): self.key, self.n = key, n
class T:
    def __init__(self, key, n): self.key, self.n = key, n
    def __reduce_ex__(self, p): return (_rebuild_tensor_v2, (Ref(self.key, self.n), 0, (self.n,), (1,), False, collections.OrderedDict()))
class P(pickle.Pickler):
    def persistent_id(self, o): return ("storage", FloatStorage, o.key, "cpu", o.n) if isinstance(o, Ref) else None
n = 4 << 20  # 16 MiB of float32 per tensor, 64 tensors
state = collections.OrderedDict((f"layer{i}.weight", T(str(i), n)) for i in range(64))
buf = io.BytesIO(); P(buf, protocol=2).dump(state)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", buf.getvalue())
    for i in range(64): z.writestr(f"archive/data/{i}", os.urandom(n * 4))
    z.writestr("archive/version", "3\n")
PYEOF
fi
if [ ! -d "$DATA/corpus/malicious" ]; then
    WARDEN_SCAN_CORPUS_OUT="$PWD/$DATA/corpus" swift test --filter writeCorpus >/dev/null 2>&1
    "$PY" scripts/interop/scan_real_corpus.py "$DATA/corpus" >/dev/null
    if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then /usr/bin/python3 scripts/interop/scan_real_torch.py "$DATA/corpus" >/dev/null; fi
fi
files=$(find "$DATA/corpus" -type f | wc -l)
echo "checkpoint: $(du -h "$DATA/big/model.pt" | cut -f1); corpus: $files files; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N --warmup 1 --runs "$RUNS" -i --export-markdown "$DATA/big.md" \
    -n "cat (read the file)" "cat $DATA/big/model.pt" \
    -n warden "$WARDEN $DATA/big/model.pt" \
    -n picklescan "$VENV/bin/picklescan -p $DATA/big/model.pt" \
    -n modelscan "$VENV/bin/modelscan -p $DATA/big/model.pt" >&2
hyperfine -N --warmup 1 --runs "$RUNS" -i --export-markdown "$DATA/corpus.md" \
    -n warden "$WARDEN $DATA/corpus" \
    -n picklescan "$VENV/bin/picklescan -p $DATA/corpus" \
    -n modelscan "$VENV/bin/modelscan -p $DATA/corpus" >&2
echo "### ~1 GiB PyTorch-layout checkpoint"; cat "$DATA/big.md"
echo; echo "### whole corpus ($files files)"; cat "$DATA/corpus.md"
