#!/usr/bin/env bash
# `warden data add` against `dvc add` on the same 1 GiB file and on 200 × 5 MiB files (a folder),
# side by side with hyperfine; each run starts from an empty cache (the --prepare step removes it).
# Usage: scripts/bench/data-add.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
RUNS="${1:-5}"
ensure_venv dvc
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1

swift build -c release --product warden --scratch-path .build-release >/dev/null
WARDEN="$(swift build -c release --scratch-path .build-release --show-bin-path)/warden"
DVC="$VENV/bin/dvc"

DATA="$PWD/.build-bench"
mkdir -p "$DATA/one"
[ -f "$DATA/one/model.bin" ] || head -c 1073741824 /dev/urandom > "$DATA/one/model.bin"
if [ ! -f "$DATA/many/f199.bin" ]; then
    mkdir -p "$DATA/many"
    for i in $(seq 0 199); do head -c 5242880 /dev/urandom > "$DATA/many/f$i.bin"; done
fi

W="$DATA/warden-repo"; D="$DATA/dvc-repo"
rm -rf "$W" "$D"; mkdir -p "$W" "$D"
# Same files in each repository (hard links: no extra disk, same page cache).
cp -al "$DATA/one/model.bin" "$W/big.bin"; cp -al "$DATA/one/model.bin" "$D/big.bin"
cp -al "$DATA/many" "$W/many"; cp -al "$DATA/many" "$D/many"
(cd "$D" && git init -q && "$DVC" init -q && "$DVC" config core.autostage false && "$DVC" config core.analytics false)
cat "$DATA/one/model.bin" "$DATA/many"/* > /dev/null

results="$DATA/results"; mkdir -p "$results"
for target in big.bin many; do
    hyperfine --runs "$RUNS" --export-json "$results/data-add-$target.json" \
        -n "warden data add ($target)" --prepare "rm -rf $W/.warden $W/$target.warden" "cd $W && $WARDEN data add $target --quiet" \
        -n "dvc add ($target)" --prepare "rm -rf $D/.dvc/cache $D/$target.dvc $D/.dvc/tmp; rm -f $D/.gitignore" "cd $D && $DVC add -q $target" >&2
done

"$PY" - "$results" <<'PY'
import json, os, sys
d = sys.argv[1]
print("| data | command | median s | speed-up vs dvc |")
print("|---|---|---|---|")
for target, label in (("big.bin", "1 × 1 GiB"), ("many", "200 × 5 MiB")):
    res = json.load(open(os.path.join(d, f"data-add-{target}.json")))["results"]
    base = next(r["median"] for r in res if r["command"].startswith("dvc"))
    for r in res:
        print(f"| {label} | {r['command'].rsplit(' (', 1)[0]} | {r['median']:.3f} | {base / r['median']:.1f}× |")
PY
