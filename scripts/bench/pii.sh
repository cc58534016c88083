#!/usr/bin/env bash
# PII detection quality and speed. Quality: recall and false positives per type on the seeded,
# labelled corpus the tests generate (2 000 true values per type and 2 000 decoys per look-alike
# family); the test prints the Markdown table for docs/BENCHMARKS.md. Speed: `warden data pii scan`
# and `pii mask` (release build) on that corpus written as CSV, repeated to ~50 MB.
# Usage: scripts/bench/pii.sh   (SCRATCH=.build-pii by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH="${SCRATCH:-.build-pii}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== quality (swift test --filter PIICorpusTests)" >&2
WARDEN_PII_BENCH=1 WARDEN_PII_CORPUS_OUT="$out/corpus.csv" \
    swift test --scratch-path "$SCRATCH" --filter 'PIICorpusTests/recallAndFalsePositivesMeetTheTargets' 2>&1 \
    | sed -n '/^| type/,/^| all decoys/p'

echo "== speed (release build)" >&2
swift build -c release --product warden --scratch-path "$SCRATCH-release" >/dev/null
WARDEN="$(swift build -c release --scratch-path "$SCRATCH-release" --show-bin-path)/warden"
{ head -1 "$out/corpus.csv"; for _ in $(seq 1 25); do tail -n +2 "$out/corpus.csv"; done; } > "$out/big.csv"
size=$(stat -c %s "$out/big.csv")
rows=$(($(wc -l < "$out/big.csv") - 1))
t0=$(date +%s.%N); "$WARDEN" data pii scan "$out/big.csv" --exit-zero --json > /dev/null; t1=$(date +%s.%N)
"$WARDEN" data pii mask "$out/big.csv" --out "$out/masked.csv" --json > /dev/null; t2=$(date +%s.%N)
awk -v s="$size" -v r="$rows" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
    printf "| command | rows | MB | seconds | MB/s | rows/s |\n|---|---|---|---|---|---|\n";
    printf "| warden data pii scan | %d | %.1f | %.2f | %.1f | %.0f |\n", r, s/1e6, b-a, s/1e6/(b-a), r/(b-a);
    printf "| warden data pii mask | %d | %.1f | %.2f | %.1f | %.0f |\n", r, s/1e6, c-b, s/1e6/(c-b), r/(c-b) }'
