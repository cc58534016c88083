#!/usr/bin/env bash
# Fuzzes Warden's model-file readers with libFuzzer (the Fuzz/ package, built with
# -sanitize=fuzzer,address in release mode), seeded with the generated scanner corpus.
#   scripts/fuzz.sh [RUNS_PER_TARGET] [TARGET…]     (default: 200000 runs; every target)
# Prints, per target, how many executions ran clean. Crashes leave crash-* files in .build-fuzz/.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200000}"; shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(pickle zip npy safetensors gguf onnx hdf5 scan)
work=.build-fuzz
mkdir -p "$work"
if [ ! -d "$work/seeds/malicious" ]; then
    echo "== writing the seed corpus"
    WARDEN_SCAN_CORPUS_OUT="$PWD/$work/seeds" swift test --filter writeCorpus >/dev/null 2>&1 || { echo "FAIL writing seeds"; exit 2; }
fi
echo "== building Fuzz/ (release, -sanitize=fuzzer,address on every Swift module)"
swift build -c release --package-path Fuzz --scratch-path "$work/build" --product WardenFuzz \
    -Xswiftc -sanitize=fuzzer,address 2>&1 | tail -3
bin="$work/build/release/WardenFuzz"
[ -x "$bin" ] || { echo "FAIL no fuzz binary"; exit 2; }
status=0
for target in "${targets[@]}"; do
    corpus="$work/corpus-$target"
    mkdir -p "$corpus"
    find "$work/seeds" -type f -exec cp -n {} "$corpus/" \; 2>/dev/null
    # The h5py-written HDF5 fixtures seed every target (the hdf5 reader above all).
    cp -n Tests/WardenFormatsTests/Fixtures/hdf5/*.h5 "$corpus/" 2>/dev/null
    log="$work/$target.log"
    WARDEN_FUZZ_TARGET="$target" "$bin" "$corpus" -runs="$runs" -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$work/$target-" >"$log" 2>&1
    code=$?
    done_line=$(grep -E "^Done [0-9]+ runs" "$log" | tail -1)
    if [ $code -eq 0 ]; then
        echo "fuzz $target: ${done_line:-?} — clean"
    else
        echo "fuzz $target: FAILED (exit $code), see $log"; tail -n 20 "$log" | sed 's/^/    /'; status=1
    fi
done
exit $status
