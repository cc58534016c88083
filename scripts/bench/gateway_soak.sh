#!/usr/bin/env bash
# Soak of the gateway (issue 8 quality bar): SECONDS (default 300) of mixed load over loopback —
# valid rows and abuse (9 MiB bodies, malformed JSON, wrong dtypes, huge shapes, slow clients
# trickling their body) — against `warden serve` with every protection on, RSS sampled every 5 s.
# Passes when every abusive request got its 4xx (a slow body 408), every valid one 200, and the RSS level
# (median of the samples) of the last quarter of the run is within 10% of the second quarter's (flat memory).
# The median, not the maximum: a sample can catch a refused 9 MiB body in flight (up to the 8 MiB
# limit is read before the 413), a transient of +8 MiB that says nothing about growth; the
# maximum is printed too.
# WARDEN_BIN=path reuses a built binary (use a release build).
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv numpy scikit-learn requests
WARDEN="$(warden_bin)" || exit 2
T="$(mktemp -d)"; SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

digits_mlp "$T" || exit 2
ADMIN="$("$WARDEN" serve --new-token)"
start_warden_serve "$T/serve.log" --data "$T/data" --port 0 --model "digits=$T/digits.onnx" --reference "digits=$T/digits-train.csv" \
    --adversarial-policy log --alerts "$T/alerts.jsonl" --rate-limit 1000000 --burst 1000000 ${SERVE_ARGS:-}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" scripts/bench/gateway_soak.py "$URL" "$ADMIN" "$SERVER" "$T/digits-test.csv" "${SECONDS_TOTAL:-300}" > "$T/soak.json" || { echo "FAIL soak client"; exit 2; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - "$T/soak.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rss = r["rss_kib"]
half = rss[len(rss) // 2]
q = len(rss) // 4
second, last = sorted(rss[q:2 * q]), sorted(rss[3 * q:])
level2, level4 = second[len(second) // 2], last[len(last) // 2]
growth = (level4 - level2) / level2
print(f"{r['requests']} requests in {r['seconds']:.0f} s")
for kind, counts in r["counts"].items():
    print(f"  {kind}: {counts}")
print(f"RSS KiB: start {rss[0]}, half-way {half}, end {rss[-1]}, max {max(rss)} (max of the second half {100 * (max(rss[len(rss) // 2:]) - half) / half:+.1f}% over half-way)")
print(f"RSS level (median) second quarter {level2}, last quarter {level4}: growth {100 * growth:+.1f}%")
print("RSS samples:", " ".join(str(v) for v in rss))
print("open descriptors:", " ".join(str(v) for v in r.get("fds", [])))
ok = not r["wrong"] and growth < 0.10
print("PASS" if ok else f"FAIL wrong answers {r['wrong']}, growth {100 * growth:.1f}%")
sys.exit(0 if ok else 1)
PY
